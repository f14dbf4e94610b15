import Foundation
import Testing
import FuzzTargets

/// Replays the fuzzers' committed inputs (Tests/Fuzz, FUZZING.md) through the same bodies the
/// fuzzers run: the seed corpus, and every crash ever found, kept as a regression.
@Suite struct FuzzReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: String) -> [URL] {
        let directory = root.appendingPathComponent(kind).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func replaysEveryCommittedInput(_ name: String) throws {
        let target = try #require(FuzzTargets.target(named: name))
        let seeds = Self.inputs("corpus", name)
        #expect(!seeds.isEmpty, "Tests/Fuzz/corpus/\(name) has no seeds")
        for file in seeds + Self.inputs("regressions", name) {
            target.run(Array(try Data(contentsOf: file)))
        }
    }

    @Test func everyRegressionDirectoryNamesATarget() throws {
        let names = Set(FuzzTargets.all.map(\.name))
        let directories = (try? FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("regressions").path)) ?? []
        for directory in directories { #expect(names.contains(directory), "Tests/Fuzz/regressions/\(directory)") }
    }
}
