import Foundation
import Testing
import TestSupport
@testable import CLISupport

/// The stand-ins for full Foundation's text API must say what Foundation said.
@Suite struct PlainTextTests {
    @Test(arguments: [
        (0.0, 1, "0.0"), (2.25, 1, "2.3"), (3, 1, "3.0"), (0.05, 1, "0.1"), (12.345, 2, "12.35"),
        (-1.25, 1, "-1.3"), (-0.01, 1, "0.0"), (1_234_567.891, 1, "1234567.9"), (7.6, 0, "8"),
    ])
    func decimals(_ x: Double, _ places: Int, _ expected: String) {
        #expect(PlainText.decimal(x, places: places) == expected)
    }

    @Test func decimalsAgreeWithPrintfAwayFromTies() {
        // Seeded, so a failure can be replayed: the seed is in the message.
        let seed: UInt64 = 0x5EED_0C70
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<2_000 {
            let x = Double.random(in: -100_000...100_000, using: &generator)
            let expected = String(format: "%.1f", x)
            // Near a tie printf rounds the exact binary value (and exact ties to even); skip those.
            let tenths = x * 10
            guard abs(abs(tenths - tenths.rounded(.towardZero)) - 0.5) > 1e-6 else { continue }
            #expect(PlainText.decimal(x, places: 1) == expected, "seed \(seed), x \(x)")
        }
    }

    @Test func trimsLikeCharacterSets() {
        let text = "\u{2003}\t value \u{00A0}\r\n"
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect("  ".trimmingSpaces() == "")
        #expect("[::1]".trimming(where: { $0 == "[" || $0 == "]" }) == "::1")
    }

    @Test func containsTextIsContains() {
        let needles = ["127.0.0.1", "", "a", "\r\n", "1\u{301}"]
        let haystacks = [
            "", "127.0.0.1", "x,127.0.0.1,y", "127.0.0.10", "127.0.0.1\u{301}", "127.0.0.\r\n1", "a\r\nb",
            "localhost", "1\u{301}27.0.0.1", "127.0.0.1é",
        ]
        for hay in haystacks {
            for needle in needles {
                // The standard library's `contains` (through firstRange): Foundation's, which this
                // file would get from `contains`, says false for "".
                #expect(
                    hay.containsText(needle) == (hay.firstRange(of: needle) != nil), "\(hay.debugDescription) \(needle.debugDescription)")
            }
        }
    }

    @Test func replacesByteForByteEvenInsideACharacter() {
        // `"` followed by a combining acute is one Character; it must still be doubled (Linux
        // Foundation's replacingOccurrences compares Characters and leaves it alone).
        let text = "say \"\u{301}hi\" \"\""
        #expect(text.replacingAll("\"", with: "\"\"") == "say \"\"\u{301}hi\"\" \"\"\"\"")
        #expect("it'\u{301}s".replacingAll("'", with: "'\\''") == "it'\\''\u{301}s")
        #expect("abcabc".replacingAll("abc", with: "x") == "xx")
        #expect("aaa".replacingAll("aa", with: "b") == "ba")
        #expect("key".replacingAll("", with: "x") == "key")
    }

    @Test func percentEncodingMatchesFoundation() {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        for text in ["plain", "a b/c?d=e&f#g", "ü€😀", "%41", ""] {
            #expect(PlainText.percentEncoded(text) == text.addingPercentEncoding(withAllowedCharacters: unreserved))
            #expect(PlainText.percentDecoded(PlainText.percentEncoded(text)) == text)
        }
        #expect(PlainText.percentDecoded("a%2") == nil)
        #expect(PlainText.percentDecoded("%FF") == nil)
        #expect(PlainText.percentDecoded("%2f%2F") == "//")
    }

    @Test func hexAndPadding() {
        #expect(PlainText.hex(0x1B, width: 2) == "1B")
        #expect(PlainText.hex(0x7F, width: 4) == "007F")
        #expect(PlainText.zeroPadded(7, width: 3) == "007")
        #expect(PlainText.zeroPadded(-7, width: 2) == "-07")
    }

    @Test func describesSystemErrors() {
        #expect(PlainText.describe(POSIXError(.ENOENT)) == "No such file or directory")
        #expect(throws: (any Error).self) { try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/octopods")) }
        do {
            _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/octopods"))
        } catch {
            #expect(PlainText.describe(error) == "No such file or directory")
        }
        #expect(PlainText.sameIgnoringCase("X-Octopods-Auth", "x-octopods-AUTH"))
        #expect(!PlainText.sameIgnoringCase("X-Octopods-Auth", "X-Octopods-Aut"))
    }
}
