// swift-tools-version:6.0
import PackageDescription
import Foundation

// Release builds reach type metadata through accessor functions, not by mangled name: a
// mangled name is decoded at run time, and each generic type's first use then searched every
// protocol conformance in the binary (10 searches, 1.4 M instructions of a `templates list`;
// docs/linux-notes.md, "Type metadata by mangled name"). Costs 46 KB of code.
let release: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release))
]

let package = Package(
    name: "octopods",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "octopods", targets: ["octopods"])
    ],
    targets: [
        .executableTarget(name: "octopods", dependencies: ["OctopodsKit"], swiftSettings: release),
        .target(name: "CLISupport", swiftSettings: release),
        .target(name: "OctopodsSandbox", dependencies: ["CLISupport"], swiftSettings: release),
        .target(name: "CCurlShim", linkerSettings: [.linkedLibrary("dl")]),
        // The commit `octopods --version` names, given by the Makefile's release build (CBuildInfo.h).
        .target(name: "CBuildInfo"),
        .target(name: "OctopodsKit", dependencies: ["CLISupport", "OctopodsSandbox", "CCurlShim", "CBuildInfo"], swiftSettings: release),
        .target(name: "FuzzTargets", dependencies: ["CLISupport", "OctopodsKit", "OctopodsSandbox"]),
        // What every test target shares (starting children with posix_spawn, not Foundation's Process;
        // seeded random numbers); not part of the product.
        .target(name: "TestSupport", dependencies: ["CLISupport"], path: "Tests/TestSupport"),
        .testTarget(name: "CLISupportTests", dependencies: ["CLISupport", "TestSupport"]),
        .testTarget(name: "OctopodsSandboxTests", dependencies: ["OctopodsSandbox", "TestSupport"]),
        .testTarget(
            name: "OctopodsKitTests", dependencies: ["TestSupport", "OctopodsKit", "CLISupport", "OctopodsSandbox", "FuzzTargets"],
            exclude: ["Golden"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "octopods", "OctopodsKit", "OctopodsSandbox", "CLISupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// The libFuzzer executable (scripts/fuzz.sh; FUZZING.md). It has no `main` of its own, libFuzzer
// supplies it, so it exists only in builds made with `--sanitize=fuzzer`.
if ProcessInfo.processInfo.environment["OCTOPODS_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "Fuzz", dependencies: ["FuzzTargets"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
