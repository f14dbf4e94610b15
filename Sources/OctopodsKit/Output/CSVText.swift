import CLISupport

/// CSV for spreadsheets (RFC 4180): fields with a comma, quote or line break are quoted, quotes
/// doubled. A field a spreadsheet would run as a formula (`=`, `@`, or `+`/`-` not starting a
/// number, such as a hostile error text) gets a leading `'`; phone numbers like `+14155552671`
/// stay as they are.
package enum CSVText {
    package static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    package static func field(_ raw: String) -> String {
        var text = raw
        if let first = text.unicodeScalars.first {
            let rest = text.unicodeScalars.dropFirst()
            let numeric = !rest.isEmpty && rest.allSatisfy { ("0"..."9").contains($0) || $0 == "." }
            if "=@\t\r".unicodeScalars.contains(first) || ("+-".unicodeScalars.contains(first) && !numeric) {
                text = "'" + text
            }
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A JSON scalar as a cell: strings as they are, null empty, numbers and booleans as text.
    package static func cell(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        if case .null = value { return "" }
        return value.scalarText ?? value.serialized()
    }
}
