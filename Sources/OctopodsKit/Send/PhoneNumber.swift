/// Recipient numbers: E.164 (`+`, country code and number, 8 to 15 digits, no separators),
/// with a "did you mean" for the usual ways people write numbers. A country code is never
/// guessed: a number without `+` (or `00`) gets an error saying the country code is missing.
package enum PhoneNumber {
    package static func validate(_ raw: String, field: String = "--to") throws(OctopodsError) -> String {
        if isE164(raw) { return raw }
        let shown = "'\(visible(String(raw.prefix(40))))'"
        let e164 = "E.164 is '+', the country code and the number, with no spaces, dashes or brackets, e.g. +14155552671."
        if let candidate = suggestion(raw) {
            throw .invalidInput(
                "\(field) \(shown) is not an E.164 phone number; did you mean \(candidate)?",
                hint: "Write numbers as '+', country code and number, with no spaces, dashes or brackets.")
        }
        let digits = withoutSeparators(raw)
        if (6...15).contains(digits.utf8.count), digits.utf8.allSatisfy(isDigit) {
            throw .invalidInput(
                "\(field) \(shown) has no country code: a number must start with '+' and its country code",
                hint: digits.hasPrefix("0")
                    ? "Write '+', the country code, then the number without its national leading 0 (a UK 07700 900123 is +447700900123)."
                    : e164)
        }
        throw .invalidInput("\(field) \(shown) is not an E.164 phone number", hint: e164 + " 8 to 15 digits.")
    }

    /// The E.164 form of a number written with an explicit country code (`+` or `00`) and
    /// separators, invisible characters or a national trunk `0` after the country code
    /// (`+44 07700 900123`, `+44 (0)20 7946 0958`); nil when there is no explicit country code.
    static func suggestion(_ raw: String) -> String? {
        let candidate = withoutSeparators(raw)
        guard candidate.hasPrefix("+"), candidate.utf8.dropFirst().allSatisfy(isDigit) else { return nil }
        // The country code as written: the digits after '+' or '00', up to the first separator.
        let shown = Substring(
            raw.unicodeScalars.filter { scalar in
                let category = scalar.properties.generalCategory
                return category != .format && category != .control
            }.map(String.init).joined()
        ).drop { $0 == " " }
        let afterPrefix = shown.hasPrefix("+") ? shown.dropFirst() : shown.dropFirst(2)
        let countryCode = afterPrefix.prefix { $0.isASCII && $0.isNumber }
        let national = candidate.dropFirst(1 + countryCode.count)
        // Italy keeps its leading 0 in international numbers (+39 06…), so it is not a trunk prefix there.
        if (1...3).contains(countryCode.count), countryCode.count < afterPrefix.count, national.hasPrefix("0"), countryCode != "39" {
            let trimmed = "+" + countryCode + national.dropFirst()
            if isE164(trimmed) { return trimmed }
        }
        return isE164(candidate) ? candidate : nil
    }

    /// The number without spaces, dashes, brackets, dots, slashes or invisible characters, and `00` as `+`.
    static func withoutSeparators(_ raw: String) -> String {
        let kept = raw.unicodeScalars.filter { !" -().\u{A0}/".unicodeScalars.contains($0) && !isInvisible($0) }
        let candidate = String(String.UnicodeScalarView(kept))
        return candidate.hasPrefix("00") ? "+" + candidate.dropFirst(2) : candidate
    }

    /// Characters that show as nothing (zero-width space, joiners, BOM, other format characters)
    /// or as a plain space (no-break and other spaces), or not at all (controls).
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return false }
        switch scalar.properties.generalCategory {
        case .format, .control, .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// The text with every invisible character written as `\u{200B}`, so an error shows why a
    /// number that looks right is not.
    static func visible(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if isInvisible(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u{" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// For searching what was sent (`history --to`), where there is no harm in being lenient:
    /// `+1 (415) 555-2671` is `+14155552671`; anything else is the error `validate` gives.
    package static func normalize(_ raw: String, field: String) throws(OctopodsError) -> String {
        let candidate = withoutSeparators(raw)
        return isE164(candidate) ? candidate : try validate(raw, field: field)
    }

    package static func isE164(_ text: String) -> Bool {
        let bytes = text.utf8
        guard bytes.first == UInt8(ascii: "+"), (9...16).contains(bytes.count) else { return false }
        let digits = bytes.dropFirst()
        guard digits.first != UInt8(ascii: "0") else { return false }
        return digits.allSatisfy(isDigit)
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
