import CLISupport

/// CSV for spreadsheets (RFC 4180): fields with a comma, quote or line break are quoted, quotes
/// doubled. A field a spreadsheet would run as a formula (`=`, `@`, or `+`/`-` not starting a
/// number, such as a hostile error text) gets a leading `'`; phone numbers like `+14155552671`
/// stay as they are. Control characters (escape sequences, bidirectional overrides, NUL; not tab
/// or line feed) are written escaped (`\x1b`), so `cat` of a file we wrote replays nothing.
package enum CSVText {
    package static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    package static func field(_ raw: String) -> String {
        let raw = TerminalText.sanitize(raw, keepNewlines: true)
        let bytes = raw.utf8
        guard let first = bytes.first else { return raw }
        var text = raw
        let formula: Bool
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "@"), 0x09, 0x0D: formula = true
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let rest = bytes.dropFirst()
            formula = rest.isEmpty || !rest.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: ".") }
        default: formula = false
        }
        if formula { text = "'" + text }
        // Bytes suffice: a comma, quote, CR or LF never occurs inside a multi-byte UTF-8 sequence.
        guard bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) else {
            return text
        }
        return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
    }

    /// A JSON scalar as a cell: strings as they are, null empty, numbers and booleans as text.
    package static func cell(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        if case .null = value { return "" }
        return value.scalarText ?? value.serialized()
    }
}
