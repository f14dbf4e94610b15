/// Recipient numbers: E.164 (`+`, country code and number, 8 to 15 digits, no separators),
/// with a "did you mean" for the usual ways people write numbers.
package enum PhoneNumber {
    package static func validate(_ raw: String, field: String = "--to") throws(OctopodsError) -> String {
        if isE164(raw) { return raw }
        let shown = "'\(String(raw.prefix(40)))'"
        let candidate = withoutSeparators(raw)
        if isE164(candidate) {
            throw .invalidInput("\(field) \(shown) is not an E.164 phone number; did you mean \(candidate)?",
                                hint: "Write numbers as '+', country code and number, with no spaces, dashes or brackets.")
        }
        if !candidate.hasPrefix("+"), isE164("+" + candidate) {
            throw .invalidInput("\(field) \(shown) is not an E.164 phone number: it needs a leading '+' and the country code; did you mean +\(candidate)?",
                                hint: "E.164 is '+', country code and number, e.g. +14155552671.")
        }
        throw .invalidInput("\(field) \(shown) is not an E.164 phone number",
                            hint: "E.164 is '+', country code and number, 8 to 15 digits with no separators, e.g. +14155552671.")
    }

    /// The number without spaces, dashes, brackets, dots or slashes, and `00` as `+`.
    static func withoutSeparators(_ raw: String) -> String {
        let candidate = raw.filter { !" -().\u{A0}/".contains($0) }
        return candidate.hasPrefix("00") ? "+" + candidate.dropFirst(2) : candidate
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
        return digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
