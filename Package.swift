// swift-tools-version:6.0
import PackageDescription
import Foundation

let package = Package(
    name: "octopods",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "octopods", targets: ["octopods"]),
    ],
    targets: [
        .executableTarget(name: "octopods", dependencies: ["OctopodsKit"]),
        .target(name: "CLISupport"),
        .target(name: "OctopodsSandbox", dependencies: ["CLISupport"]),
        .target(name: "CCurlShim", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "OctopodsKit", dependencies: ["CLISupport", "OctopodsSandbox", "CCurlShim"]),
        .target(name: "FuzzTargets", dependencies: ["CLISupport", "OctopodsKit", "OctopodsSandbox"]),
        .testTarget(name: "CLISupportTests", dependencies: ["CLISupport"]),
        .testTarget(name: "OctopodsSandboxTests", dependencies: ["OctopodsSandbox"]),
        .testTarget(name: "OctopodsKitTests", dependencies: ["OctopodsKit", "CLISupport", "OctopodsSandbox", "FuzzTargets"],
                    exclude: ["Golden"]),
        .testTarget(name: "EndToEndTests", dependencies: ["octopods", "OctopodsKit", "OctopodsSandbox", "CLISupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// The libFuzzer executable (scripts/fuzz.sh; FUZZING.md). It has no `main` of its own, libFuzzer
// supplies it, so it exists only in builds made with `--sanitize=fuzzer`.
if ProcessInfo.processInfo.environment["OCTOPODS_FUZZ"] == "1" {
    package.targets.append(.executableTarget(name: "Fuzz", dependencies: ["FuzzTargets"],
                                             swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
