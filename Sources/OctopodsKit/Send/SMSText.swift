/// An SMS body as the network sees it: which alphabet it needs (GSM-7 or UCS-2), how many
/// units that makes and how many segments the provider will split (and bill) it into.
/// Pure: no I/O.
package struct SMSText: Sendable, Equatable {
    package enum Encoding: String, Sendable { case gsm7 = "GSM-7", ucs2 = "UCS-2" }

    /// The first character that forces UCS-2.
    package struct Trigger: Sendable, Equatable {
        package var character: String
        /// "U+1F600"; for a character made of several scalars (a flag, "e" + combining accent) every
        /// scalar, space-separated: "U+0065 U+0301".
        package var codePoint: String
        /// 1-based, in characters (Swift `Character`s).
        package var position: Int

        package init(character: String, codePoint: String, position: Int) {
            self.character = character
            self.codePoint = codePoint
            self.position = position
        }
    }

    package var encoding: Encoding
    /// User-perceived characters (Swift `Character` count): what the 1,600 limit counts.
    package var characters: Int
    /// GSM-7 septets (extension characters count 2) or UTF-16 code units for UCS-2.
    package var units: Int
    package var segments: Int
    /// 160 or 153 (GSM-7), 70 or 67 (UCS-2): the size that applies.
    package var perSegment: Int
    package var trigger: Trigger?

    package init(encoding: Encoding, characters: Int, units: Int, segments: Int, perSegment: Int, trigger: Trigger?) {
        self.encoding = encoding
        self.characters = characters
        self.units = units
        self.segments = segments
        self.perSegment = perSegment
        self.trigger = trigger
    }

    /// The API's limit on `body`, in characters (docs/api-notes.md, "SMS body").
    package static let maxCharacters = 1_600

    // MARK: Analysis

    package static func analyse(_ text: String) -> SMSText {
        var characters = 0
        var trigger: Trigger?
        for character in text {
            characters += 1
            if trigger == nil, character.unicodeScalars.contains(where: { gsmSeptets($0) == nil }) {
                let codePoints = character.unicodeScalars.map { codePointText($0) }.joined(separator: " ")
                trigger = Trigger(character: String(character), codePoint: codePoints, position: characters)
            }
        }
        let encoding: Encoding = trigger == nil ? .gsm7 : .ucs2
        // The size of each scalar in units, in order. A multi-unit scalar (an escaped GSM-7
        // extension character, a UTF-16 surrogate pair) is never split across two segments.
        let sizes: [Int] = text.unicodeScalars.map { scalar in
            switch encoding {
            case .gsm7: return gsmSeptets(scalar) ?? 1
            case .ucs2: return scalar.value > 0xFFFF ? 2 : 1
            }
        }
        let units = sizes.reduce(0, +)
        let single = encoding == .gsm7 ? 160 : 70
        let multi = encoding == .gsm7 ? 153 : 67
        guard units > single else {
            return SMSText(
                encoding: encoding, characters: characters, units: units, segments: 1, perSegment: single,
                trigger: trigger)
        }
        var segments = 1
        var used = 0
        for size in sizes {
            if used + size > multi {
                segments += 1
                used = size
            } else {
                used += size
            }
        }
        return SMSText(
            encoding: encoding, characters: characters, units: units, segments: segments, perSegment: multi,
            trigger: trigger)
    }

    // MARK: Validation

    /// Checks an SMS body: not empty or whitespace-only, at most 1,600 characters. `field` is how
    /// the user gave it ("--body" or "--body-file").
    package static func validate(_ text: String, field: String) throws(OctopodsError) -> SMSText {
        let fix =
            field == "--body-file"
            ? "Write the text to send into the file, or give it with --body TEXT."
            : "Give the text to send, e.g. \(field) 'Your order has shipped'."
        if text.isEmpty {
            throw .invalidInput("\(field) is empty; an SMS needs some text", hint: fix)
        }
        if text.allSatisfy(\.isWhitespace) {
            throw .invalidInput("\(field) is only whitespace; an SMS needs some visible text", hint: fix)
        }
        let analysis = analyse(text)
        if analysis.characters > maxCharacters {
            let over = analysis.characters - maxCharacters
            throw .invalidInput(
                "\(field) is \(NumberText.grouped(analysis.characters)) characters; an SMS may be at most \(NumberText.grouped(maxCharacters))",
                hint: "Shorten it by \(NumberText.grouped(over)) \(over == 1 ? "character" : "characters"), or send it as two messages.")
        }
        return analysis
    }

    // MARK: Summary

    /// One line for --dry-run and --verbose, e.g. "GSM-7, 165 characters, 2 segments of up to 153" or
    /// "UCS-2 (because of '😀' U+1F600 at character 12), 80 characters, 2 segments of up to 67".
    /// The trigger is quoted only when it is visible and harmless on a terminal; otherwise only its
    /// code point is shown ("because of U+00A0 at character 5").
    package var summary: String {
        var encodingText = encoding.rawValue
        if let trigger {
            let shown = Self.isSafeToQuote(trigger.character) ? "'\(trigger.character)' " : ""
            encodingText += " (because of \(shown)\(trigger.codePoint) at character \(NumberText.grouped(trigger.position)))"
        }
        let characterText = "\(NumberText.grouped(characters)) \(characters == 1 ? "character" : "characters")"
        let segmentText = segments == 1 ? "1 segment" : "\(segments) segments of up to \(perSegment)"
        return "\(encodingText), \(characterText), \(segmentText)"
    }

    // MARK: GSM 03.38

    /// Septets a scalar takes in the GSM 03.38 default alphabet: 1 for the basic set, 2 for the
    /// extension table (escape + character), nil when it is not representable (→ UCS-2).
    static func gsmSeptets(_ scalar: Unicode.Scalar) -> Int? {
        if gsmBasic.contains(scalar.value) { return 1 }
        if gsmExtension.contains(scalar.value) { return 2 }
        return nil
    }

    /// The basic character set (0x1B, the escape to the extension table, has no character).
    private static let gsmBasic: Set<UInt32> = {
        let table =
            "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
        return Set(table.unicodeScalars.map(\.value))
    }()

    /// The extension table: form feed ^ { } \ [ ~ ] | €.
    private static let gsmExtension: Set<UInt32> = {
        Set("\u{0C}^{}\\[~]|€".unicodeScalars.map(\.value))
    }()

    // MARK: Helpers

    private static func codePointText(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// Whether a character can be shown between quotes on a terminal: no control characters or
    /// bidirectional controls anywhere, and not something invisible or combining on its own.
    private static func isSafeToQuote(_ character: String) -> Bool {
        guard let first = character.unicodeScalars.first else { return false }
        for scalar in character.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
                || v == 0x200E || v == 0x200F || v == 0x061C
            {
                return false
            }
        }
        switch first.properties.generalCategory {
        case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator, .nonspacingMark,
            .spacingMark, .enclosingMark, .privateUse, .unassigned, .surrogate:
            return false
        default:
            return true
        }
    }
}
