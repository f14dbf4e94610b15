// swift-tools-version:6.0
import PackageDescription

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
        .testTarget(name: "CLISupportTests", dependencies: ["CLISupport"]),
        .testTarget(name: "OctopodsSandboxTests", dependencies: ["OctopodsSandbox"]),
        .testTarget(name: "OctopodsKitTests", dependencies: ["OctopodsKit", "CLISupport", "OctopodsSandbox"],
                    exclude: ["Golden"]),
        .testTarget(name: "EndToEndTests", dependencies: ["octopods", "OctopodsSandbox"]),
    ],
    swiftLanguageModes: [.v6]
)
