import Foundation
import Testing
import TestSupport
import OctopodsSandbox
#if canImport(Glibc)
import Glibc
#endif

/// Issue 24, round three: one file by two paths, files that lie, signals beyond Ctrl-C. Each
/// point through the real binary, with planted files, FIFOs or a second process where the point
/// needs them. (SECURITY.md names these tests.)
@Suite struct SecurityRoundThreeTests {
    static let sms = ["sms", "send", "--to", "+14155552671", "--body", "hi"]

    // MARK: Point 2: files that lie

    @Test func implausibleNumbersInStateFilesResetOrRefuseButNeverTrap() async throws {
        let home = scratchDirectory()
        let send = ["--sandbox"] + Self.sms
        let first = try await octopods(send, home: home)
        #expect(first.status == 0, "\(first.stderr)")
        let rate = home.appendingPathComponent(".local/state/octopods/rate")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: rate.path).first.map { rate.appendingPathComponent($0) })
        let written = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        // This boot's id and a monotonic time of it, so the planted pause is one in force now.
        let boot = try #require(written.first { $0.hasPrefix("boot ") })
        let time = try #require(written.first { $0.hasPrefix("r ") }?.split(separator: " ").dropFirst(3).first.flatMap { Double($0) })
        for planted in ["learned 1 1e-300 0", "learned 1 10 -1e300", "pause \(time + 100) 1e300", "pause \(time + 100) -1e300"] {
            try Data("octopods-rate-budget 1\n\(boot)\n\(planted)\nend\n".utf8).write(to: file)
            let run = try await octopods(send, home: home)
            #expect(run.status == 0, "\(planted): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains("held an impossible value") && run.stderr.contains("it was reset"), "\(planted): \(run.stderr)")
        }

        // A sandbox state whose next id cannot be counted on from: a clear error, no trap.
        let state = home.appendingPathComponent(".local/state/octopods/sandbox.json")
        let text = try String(contentsOf: state, encoding: .utf8)
        let planted = text.replacingOccurrences(of: #""nextMessageID":\d+"#, with: #""nextMessageID":9223372036854775807"#,
                                                options: .regularExpression)
        #expect(planted != text)
        try Data(planted.utf8).write(to: state)
        let trapped = try await octopods(send, home: home)
        #expect(trapped.status != 0 && trapped.status < 128, "\(trapped.status) \(trapped.stderr)")
        #expect(trapped.stderr.contains("nextMessageID 9223372036854775807 is out of range"), "\(trapped.stderr)")
    }
}
