import Testing
@testable import OctopodsKit

/// The message and hint of the `invalidInput` a call throws, or nil when it throws nothing.
private func smsInputError(_ body: () throws -> Void) -> (message: String, hint: String?)? {
    do {
        try body()
        Issue.record("expected an error")
        return nil
    } catch {
        guard let error = error as? OctopodsError, case .invalidInput(let message, let hint) = error else {
            Issue.record("expected invalidInput, got \(error)")
            return nil
        }
        return (message, hint)
    }
}

private func smsRepeat(_ s: String, _ n: Int) -> String { String(repeating: s, count: n) }

@Suite struct SMSTextTests {
    @Test func plainASCIIIsOneGSMSegment() {
        let sms = SMSText.analyse("Hello")
        #expect(sms == SMSText(encoding: .gsm7, characters: 5, units: 5, segments: 1, perSegment: 160, trigger: nil))
        #expect(sms.summary == "GSM-7, 5 characters, 1 segment")
        #expect(SMSText.analyse("!").summary == "GSM-7, 1 character, 1 segment")
    }

    @Test(arguments: [
        (160, 1, 160), (161, 2, 153), (306, 2, 153), (307, 3, 153), (459, 3, 153), (460, 4, 153),
    ])
    func gsmSegmentBoundaries(_ length: Int, _ segments: Int, _ perSegment: Int) {
        let sms = SMSText.analyse(smsRepeat("a", length))
        #expect(sms.encoding == .gsm7)
        #expect(sms.characters == length)
        #expect(sms.units == length)
        #expect(sms.segments == segments)
        #expect(sms.perSegment == perSegment)
    }

    @Test(arguments: [
        (70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67),
    ])
    func ucs2SegmentBoundaries(_ length: Int, _ segments: Int, _ perSegment: Int) {
        // "ł" (U+0142) is not in the GSM alphabet: one UTF-16 unit each.
        let sms = SMSText.analyse(smsRepeat("ł", length))
        #expect(sms.encoding == .ucs2)
        #expect(sms.characters == length)
        #expect(sms.units == length)
        #expect(sms.segments == segments)
        #expect(sms.perSegment == perSegment)
    }

    @Test func summariesMatchTheDocumentedShape() {
        #expect(SMSText.analyse(smsRepeat("a", 165)).summary == "GSM-7, 165 characters, 2 segments of up to 153")
        let text = smsRepeat("a", 11) + "😀" + smsRepeat("b", 68)
        #expect(
            SMSText.analyse(text).summary
                == "UCS-2 (because of '😀' U+1F600 at character 12), 80 characters, 2 segments of up to 67")
        #expect(
            SMSText.analyse(smsRepeat("x", 1_234) + "ł").summary
                == "UCS-2 (because of 'ł' U+0142 at character 1,235), 1,235 characters, 19 segments of up to 67")
    }

    @Test func extensionCharactersCountDouble() {
        for character in ["^", "{", "}", "\\", "[", "]", "~", "|", "€", "\u{0C}"] {
            let sms = SMSText.analyse(character)
            #expect(sms.encoding == .gsm7, "\(character.unicodeScalars.map(\.value))")
            #expect(sms.characters == 1)
            #expect(sms.units == 2, "\(character.unicodeScalars.map(\.value))")
        }
        let eighty = SMSText.analyse(smsRepeat("€", 80))
        #expect(eighty == SMSText(encoding: .gsm7, characters: 80, units: 160, segments: 1, perSegment: 160, trigger: nil))
        let eightyOne = SMSText.analyse(smsRepeat("€", 81))
        #expect(eightyOne == SMSText(encoding: .gsm7, characters: 81, units: 162, segments: 2, perSegment: 153, trigger: nil))
        #expect(eightyOne.summary == "GSM-7, 81 characters, 2 segments of up to 153")
    }

    @Test func theWholeBasicSetIsGSM7AtOneUnitEach() {
        let basic =
            "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
            + "abcdefghijklmnopqrstuvwxyzäöñüà"
        for scalar in basic.unicodeScalars {
            #expect(SMSText.gsmSeptets(scalar) == 1, "U+\(String(scalar.value, radix: 16))")
        }
        #expect(Set(basic.unicodeScalars).count + 2 == 127)  // 128 codes less the escape; + LF and CR
        #expect(SMSText.gsmSeptets("\n") == 1)
        #expect(SMSText.gsmSeptets("\r") == 1)
        let sms = SMSText.analyse(basic)
        #expect(sms.encoding == .gsm7)
        #expect(sms.units == basic.unicodeScalars.count)
    }

    @Test(arguments: [
        "`", "ç", "á", "ê", "\u{2126}" /* OHM SIGN, not the Greek omega */, "\t", "’", "\u{A0}", "\u{1B}", "ł", "😀",
    ])
    func charactersOutsideGSMForceUCS2(_ character: String) {
        let sms = SMSText.analyse("ab" + character)
        #expect(sms.encoding == .ucs2)
        #expect(sms.trigger?.position == 3)
        #expect(sms.trigger?.character == character)
    }

    @Test func crlfIsTwoGSMUnitsButOneCharacter() {
        let sms = SMSText.analyse("a\r\nb")
        #expect(sms == SMSText(encoding: .gsm7, characters: 3, units: 4, segments: 1, perSegment: 160, trigger: nil))
        #expect(SMSText.analyse(smsRepeat("\r\n", 80)).segments == 1)
        let over = SMSText.analyse(smsRepeat("\r\n", 81))
        #expect(over.characters == 81)
        #expect(over.units == 162)
        #expect(over.segments == 2)
        // In UCS-2 a CRLF is two UTF-16 units too.
        let ucs2 = SMSText.analyse("ł\r\n")
        #expect(ucs2.encoding == .ucs2)
        #expect(ucs2.characters == 2)
        #expect(ucs2.units == 3)
    }

    @Test func emojiAreSurrogatePairs() {
        let one = SMSText.analyse("😀")
        #expect(
            one
                == SMSText(
                    encoding: .ucs2, characters: 1, units: 2, segments: 1,
                    perSegment: 70, trigger: .init(character: "😀", codePoint: "U+1F600", position: 1)))
        #expect(SMSText.analyse(smsRepeat("😀", 35)).segments == 1)
        let thirtySix = SMSText.analyse(smsRepeat("😀", 36))
        #expect(thirtySix.units == 72)
        #expect(thirtySix.segments == 2)
        #expect(thirtySix.perSegment == 67)
        // A flag is one character of two scalars, four units.
        let flag = SMSText.analyse("🇮🇪")
        #expect(flag.characters == 1)
        #expect(flag.units == 4)
        #expect(flag.trigger == .init(character: "🇮🇪", codePoint: "U+1F1EE U+1F1EA", position: 1))
    }

    @Test func aTwoUnitCharacterIsNeverSplitAcrossSegments() {
        // 152 + 2 + 152 = 306 units, but the € cannot start in segment 1's last septet: 152 | 2 + 151 | 1.
        let gsm = SMSText.analyse(smsRepeat("a", 152) + "€" + smsRepeat("a", 152))
        #expect(gsm.units == 306)
        #expect(gsm.segments == 3)
        // 66 + 2 + 66 = 134 units, but the surrogate pair moves to segment 2: 66 | 2 + 65 | 1.
        let ucs2 = SMSText.analyse(smsRepeat("a", 66) + "😀" + smsRepeat("b", 66))
        #expect(ucs2.units == 134)
        #expect(ucs2.segments == 3)
        // When it fits exactly, nothing moves.
        #expect(SMSText.analyse(smsRepeat("a", 151) + "€" + smsRepeat("a", 153)).segments == 2)
    }

    @Test func theTriggerIsTheFirstNonGSMCharacter() {
        let sms = SMSText.analyse("Hello 😀 world 😃")
        #expect(sms.trigger == .init(character: "😀", codePoint: "U+1F600", position: 7))
        #expect(sms.summary == "UCS-2 (because of '😀' U+1F600 at character 7), 15 characters, 1 segment")
        // é as e + combining acute: one character, two scalars; every scalar is listed.
        let decomposed = SMSText.analyse("Cafe\u{301} ok")
        #expect(decomposed.characters == 7)
        #expect(decomposed.trigger == .init(character: "e\u{301}", codePoint: "U+0065 U+0301", position: 4))
        #expect(decomposed.summary == "UCS-2 (because of 'e\u{301}' U+0065 U+0301 at character 4), 7 characters, 1 segment")
        // Precomposed é is GSM.
        #expect(SMSText.analyse("Caf\u{E9}").encoding == .gsm7)
    }

    @Test func invisibleOrControlTriggersAreShownByCodePointOnly() {
        #expect(SMSText.analyse("a\u{A0}b").summary == "UCS-2 (because of U+00A0 at character 2), 3 characters, 1 segment")
        #expect(SMSText.analyse("a\tb").summary == "UCS-2 (because of U+0009 at character 2), 3 characters, 1 segment")
        #expect(
            SMSText.analyse("\u{1B}[31mred").summary
                == "UCS-2 (because of U+001B at character 1), 8 characters, 1 segment")
        #expect(SMSText.analyse("\u{202E}abc").summary == "UCS-2 (because of U+202E at character 1), 4 characters, 1 segment")
        #expect(SMSText.analyse("x\u{200B}").summary == "UCS-2 (because of U+200B at character 2), 2 characters, 1 segment")
        for text in ["a\u{A0}b", "a\tb", "\u{1B}[31mred", "\u{202E}abc", "\u{85}x"] {
            let summary = SMSText.analyse(text).summary
            #expect(!summary.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
        }
    }

    // MARK: Validation

    @Test func validateAcceptsUpTo1600Characters() throws {
        let sms = try SMSText.validate(smsRepeat("a", 1_600), field: "--body")
        #expect(sms.characters == 1_600)
        #expect(sms.segments == 11)
        #expect(sms.perSegment == 153)
        // The limit counts characters, not units.
        let emoji = try SMSText.validate(smsRepeat("😀", 1_600), field: "--body")
        #expect(emoji.units == 3_200)
        let crlf = try SMSText.validate(smsRepeat("a\r\n", 800), field: "--body")
        #expect(crlf.characters == 1_600)
        #expect(crlf.units == 2_400)
        #expect(try SMSText.validate(" hi ", field: "--body").characters == 4)
    }

    @Test func validateRejectsTooLong() {
        let error = smsInputError { _ = try SMSText.validate(smsRepeat("a", 1_601), field: "--body") }
        #expect(error?.message == "--body is 1,601 characters; an SMS may be at most 1,600")
        #expect(error?.hint == "Shorten it by 1 character, or send it as two messages.")
        let file = smsInputError { _ = try SMSText.validate(smsRepeat("€", 2_000), field: "--body-file") }
        #expect(file?.message == "--body-file is 2,000 characters; an SMS may be at most 1,600")
        #expect(file?.hint == "Shorten it by 400 characters, or send it as two messages.")
    }

    @Test func validateRejectsEmptyAndWhitespace() {
        let empty = smsInputError { _ = try SMSText.validate("", field: "--body") }
        #expect(empty?.message == "--body is empty; an SMS needs some text")
        #expect(empty?.hint == "Give the text to send, e.g. --body 'Your order has shipped'.")
        let blank = smsInputError { _ = try SMSText.validate("  \n\t\r\n\u{A0}", field: "--body") }
        #expect(blank?.message == "--body is only whitespace; an SMS needs some visible text")
        #expect(blank?.hint == "Give the text to send, e.g. --body 'Your order has shipped'.")
        let emptyFile = smsInputError { _ = try SMSText.validate("", field: "--body-file") }
        #expect(emptyFile?.message == "--body-file is empty; an SMS needs some text")
        #expect(emptyFile?.hint == "Write the text to send into the file, or give it with --body TEXT.")
        let blankFile = smsInputError { _ = try SMSText.validate("\n", field: "--body-file") }
        #expect(blankFile?.message == "--body-file is only whitespace; an SMS needs some visible text")
    }
}
