import CLISupport

/// Which column of a bulk input holds the recipient, and what a spreadsheet may have done to it.
package enum PhoneColumn {
    /// The names a phone column usually has, compared without case, spaces, `_`, `-` or `.`
    /// (`Phone Number`, `phone_number`, `MSISDN` …).
    package static let usualNames = ["phone", "phone number", "destination_phone", "mobile", "msisdn", "to", "number", "whatsapp"]

    static func normalized(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { !" _-.\t".unicodeScalars.contains($0) })
    }

    private static let usual = Set(usualNames.map(normalized))

    /// The index of the phone column in a CSV header: the one `named` (exactly, or ignoring
    /// case and spaces when that is unambiguous), or the one column with a usual name.
    package static func find(in columns: [String], named: String?, file: String) throws(OctopodsError) -> Int {
        let listed =
            columns.prefix(30).map { "'\(TerminalText.sanitize(String($0.prefix(40))))'" }.joined(separator: ", ")
            + (columns.count > 30 ? " and \(columns.count - 30) more" : "")
        if let named {
            if let exact = columns.firstIndex(of: named) { return exact }
            let loose = columns.indices.filter { normalized(columns[$0]) == normalized(named) }
            if loose.count == 1 { return loose[0] }
            throw .usage(
                UsageError(
                    "--phone-column '\(TerminalText.sanitize(String(named.prefix(40))))': \(file) has no such column; its columns are \(listed)",
                    suggestion: Suggestions.closest(to: named, among: columns).map { "Did you mean --phone-column '\($0)'?" }))
        }
        let found = columns.indices.filter { usual.contains(normalized(columns[$0])) }
        if found.count > 1 {
            let both = found.prefix(4).map { "'\(TerminalText.sanitize(columns[$0]))'" }.joined(separator: " and ")
            throw .usage(
                UsageError(
                    "\(file) has \(found.count) columns that could hold the phone number: \(both)",
                    suggestion: "Say which with --phone-column NAME."))
        }
        guard let index = found.first else {
            throw .usage(
                UsageError(
                    "\(file) has no phone column (looked for: \(usualNames.joined(separator: ", "))); its columns are \(listed)",
                    suggestion: "Name it with --phone-column NAME."))
        }
        return index
    }

    /// The row's recipient, checked: E.164, and never a guess at what a spreadsheet changed.
    package static func check(_ raw: String) throws(OctopodsError) -> String {
        if PhoneNumber.isE164(raw) { return raw }
        let shown = "'\(String(raw.prefix(40)))'"
        let fix = "Format the phone column as text, write the numbers as +, country code and number (+14155552671), and export again."
        let bytes = Array(raw.utf8)
        let digit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        if let e = bytes.firstIndex(where: { $0 == UInt8(ascii: "E") || $0 == UInt8(ascii: "e") }), e > 0, e + 1 < bytes.count,
            bytes[..<e].allSatisfy({ digit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ",") }),
            bytes[(e + 1)...].drop(while: { $0 == UInt8(ascii: "+") }).allSatisfy(digit)
        {
            throw .invalidInput(
                "phone \(shown) is in scientific notation: the spreadsheet stored the number as a figure and rounded it, so its last digits are lost",
                hint: fix)
        }
        if bytes.count > 2, bytes.suffix(2) == [UInt8(ascii: "."), UInt8(ascii: "0")], bytes.dropLast(2).allSatisfy(digit) {
            throw .invalidInput(
                "phone \(shown) ends in '.0': the spreadsheet stored the number as a decimal figure, which also drops its '+'",
                hint: fix)
        }
        if !bytes.isEmpty, bytes.allSatisfy(digit), (8...15).contains(bytes.count) {
            throw .invalidInput(
                "phone \(shown) has no leading '+': the spreadsheet stored it as a number, which drops the '+' (and any leading zeros)",
                hint: fix)
        }
        return try PhoneNumber.validate(raw, field: "phone")
    }
}
