import Foundation
import Testing
import TestSupport
@testable import OctopodsKit

/// The byte-wise paths taken for ASCII text (start-up cost, docs/performance.md) must give
/// what the Character-wise paths give. Random inputs are seeded; the seed is in the message.
@Suite struct FastPathTests {

    static let seed: UInt64 = 0x5EED_F00D

    /// ASCII made mostly of what the parsers look at: braces, spaces, digits, signs, tabs, CR LF.
    static func text(_ generator: inout SeededGenerator, alphabet: [String]) -> String {
        (0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "" }.joined()
    }

    @Test func placeholderCountOfASCIIIsTheCharacterWiseCount() {
        var generator = SeededGenerator(seed: Self.seed)
        let alphabet = ["{", "}", "{{", "}}", " ", "1", "2", "9", "0", "+", "-", "a", "\t", "\r\n", "\n", "1000"]
        for _ in 0..<3_000 {
            let text = Self.text(&generator, alphabet: alphabet)
            // A trailing "é" (one precomposed Character) sends the same text down the Character-wise path.
            #expect(Template.placeholderCount(text) == Template.placeholderCount(text + "é"), "seed \(Self.seed): \(text.debugDescription)")
        }
        #expect(Template.placeholderCount("Hi {{1}}, {{ 3 }} and {{2}}") == 3)
        #expect(Template.placeholderCount("{{+4}} {{-5}} {{1000}} {{}}") == 4)
    }

    @Test func templateListLinesOfASCIIParseAsCharacterWise() {
        var generator = SeededGenerator(seed: Self.seed)
        let alphabet = ["1001", "a_b", "\t", "\n", " ", "x y", "\u{7F}", "\u{1}", "-", "\t\t", "\n\n"]
        for _ in 0..<3_000 {
            let text = Self.text(&generator, alphabet: alphabet)
            // A last line "é" is no template id's shape and makes the whole text non-ASCII.
            #expect(TemplateListCache.parse(text) == TemplateListCache.parse(text + "\né"), "seed \(Self.seed): \(text.debugDescription)")
            #expect(TemplateListCache.clean(text) == TemplateListCache.cleanScalars(text), "seed \(Self.seed): \(text.debugDescription)")
        }
    }

    @Test func rateBudgetLinesOfASCIISplitAsCharacterWise() {
        var generator = SeededGenerator(seed: Self.seed)
        let alphabet = ["r", " ", "  ", "\n", "\n\n", "abc-1", "123", "4.5", "\t", "keep", "1e3", "\u{1}"]
        for _ in 0..<3_000 {
            let text = Self.text(&generator, alphabet: alphabet)
            #expect(RateBudget.fields(text) == RateBudget.fieldsByCharacter(text), "seed \(Self.seed): \(text.debugDescription)")
        }
    }

    @Test func theEnvironmentIsFoundations() {
        #expect(processEnvironment() == ProcessInfo.processInfo.environment)
    }
}
