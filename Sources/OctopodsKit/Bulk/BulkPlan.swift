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
    /// The columns the flags name (`--var 1={Order}`): checked against the header before any row is read.
    package var references: [ColumnReference] = []
    /// What is sent, for the confirmation: `template 1001 "order_update" (en)`, `SMS`.
    package var describe = "messages"
    /// Recipients, for messages: "recipient" / "recipients".
    package var channel: Channel = .whatsapp
    /// A checked row as its recipient will read it (`--dry-run` at a terminal shows the first few).
    package var preview: (@Sendable (_ row: InputRow, _ body: JSONValue) -> String)?
    /// How many segments a checked row's message is billed as (SMS).
    package var segments: (@Sendable (_ body: JSONValue) -> Int)?
}

/// Column names shared by the commands.
package enum BulkColumns {
    /// `1`, `header.2`, `button.1`, `body_1` (as `templates csv` names them)…: a placeholder column of a section,
    /// and its number.
    package static func placeholder(_ column: String) -> (section: String, number: Int)? {
        // Every row asks this of every column: most are not placeholders, and say so by their first byte.
        switch column.utf8.first ?? 0 {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "h"): break
        default: return nil
        }
        if let n = Int(column) { return (1...100).contains(n) ? ("body", n) : nil }
        guard let dot = column.firstIndex(where: { $0 == "." || $0 == "_" }) else { return nil }
        let section = String(column[..<dot])
        guard ["header", "footer", "button", "body"].contains(section), let n = Int(column[column.index(after: dot)...]),
            (1...100).contains(n)
        else { return nil }
        return (section, n)
    }

    /// The row's value for a column, with an empty cell meaning "no value".
    package static func value(_ row: InputRow, _ column: String) -> String? {
        guard let v = row.fields[column], !v.isEmpty else { return nil }
        return v
    }

    /// The recipient of a row, checked (the reader stores the phone column under `phone`, whatever its header says).
    package static func phone(_ row: InputRow) throws(OctopodsError) -> String {
        guard let raw = value(row, "phone") else { throw .invalidInput("no phone: the phone column is empty") }
        return try PhoneColumn.check(raw)
    }

    /// Columns every command accepts: the phone, and the `reason` a `--rejected` file adds.
    package static func isCommon(_ column: String) -> Bool {
        column == "phone" || column == "reason"
    }
}
