import Foundation
import Testing
import TestSupport
@testable import OctopodsKit

/// `Ledger.forEachLineBackward` (what `status <id>` reads the history with): the same lines as
/// the forward reader, last first, whatever the block boundaries; it stops when told.
@Suite struct LedgerBackwardTests {
    static func lines(forward url: URL) throws -> [String] {
        var lines: [String] = []
        try Ledger.forEachLine(url) { lines.append(String(decoding: $0, as: UTF8.self)) }
        return lines
    }

    @Test func theSameLinesLastFirst() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededGenerator(seed: seed)
        for round in 0..<20 {
            var text = ""
            for _ in 0..<Int.random(in: 0...400, using: &random) {
                // Short lines, empty ones, and some longer than a 64 KB block.
                let length =
                    Int.random(in: 0...10, using: &random) == 0
                    ? Int.random(in: 60_000...200_000, using: &random)
                    : Int.random(in: 0...300, using: &random)
                text += String(repeating: "abcdefghij", count: length / 10 + 1).prefix(length) + "\n"
            }
            if Bool.random(using: &random) { text += "no newline at the end" }
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)")
            try Data(text.utf8).write(to: url)
            chmod(url.path, 0o600)
            defer { try? FileManager.default.removeItem(at: url) }
            var backward: [String] = []
            try Ledger.forEachLineBackward(url) {
                backward.append(String(decoding: $0, as: UTF8.self)); return false
            }
            let forward = try Self.lines(forward: url).filter { !$0.isEmpty }
            #expect(backward.filter { !$0.isEmpty } == forward.reversed(), "seed \(seed), round \(round)")
            var seen = 0
            try Ledger.forEachLineBackward(url) { _ in
                seen += 1; return seen == 2
            }
            #expect(seen == min(2, backward.count), "it stops when told (seed \(seed))")
        }
    }

    @Test func aMissingFileHasNoLines() throws {
        var called = false
        try Ledger.forEachLineBackward(URL(fileURLWithPath: "/nonexistent/ledger")) { _ in
            called = true; return false
        }
        #expect(!called)
    }
}
