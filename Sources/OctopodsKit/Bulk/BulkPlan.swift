import CLISupport

/// What a send command contributes to a bulk run: how a row becomes a request.
package struct BulkPlan: Sendable {
    package var statusChannel: Channel?
    /// Whether an input column means something to this command (an unknown one is a typo that
    /// would silently drop data, so it stops the run).
    package var knows: @Sendable (String) -> Bool
    package var endpoint: @Sendable (JSONValue) -> Endpoint<SendResult>
    /// A row to its recipient and request body, or what is wrong with it.
    package var prepare: @Sendable (InputRow) throws(OctopodsError) -> (phone: String, body: JSONValue)
}

/// Column names shared by the commands.
package enum BulkColumns {
    /// `1`, `header.2`, `button.1`…: a placeholder column of a section, and its number.
    package static func placeholder(_ column: String) -> (section: String, number: Int)? {
        if let n = Int(column) { return (1...100).contains(n) ? ("body", n) : nil }
        guard let dot = column.firstIndex(of: ".") else { return nil }
        let section = String(column[..<dot])
        guard ["header", "footer", "button", "body"].contains(section), let n = Int(column[column.index(after: dot)...]),
              (1...100).contains(n) else { return nil }
        return (section, n)
    }

    /// The row's value for a column, with an empty cell meaning "no value".
    package static func value(_ row: InputRow, _ column: String) -> String? {
        guard let v = row.fields[column], !v.isEmpty else { return nil }
        return v
    }

    /// The recipient of a row, checked.
    package static func phone(_ row: InputRow) throws(OctopodsError) -> String {
        guard let raw = value(row, "phone") else { throw .invalidInput("no phone: the phone column is empty") }
        return try PhoneNumber.validate(raw, field: "phone")
    }
}
