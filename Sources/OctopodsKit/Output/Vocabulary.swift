#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// One vocabulary across every command's output (docs/output.md).
package enum Vocabulary {
    /// Ids are strings in every JSON output: the API documents integer ids (`3851834`) and
    /// prefixed string ids (`msg_01HT…`) for messages, and integer, alphanumeric (`19S7`) and
    /// name ids for templates (docs/api-notes.md, "Id types"); only a string holds them all.
    package static let idKeys: Set<String> = ["message_id", "template_id"]

    /// `value` with every `message_id` and `template_id` number, at any depth, as a string.
    package static func normalizingIDs(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let pairs):
            return .object(
                pairs.map { key, item in
                    if idKeys.contains(key), case .number(let n) = item { return (key, .string(n)) }
                    return (key, normalizingIDs(item))
                })
        case .array(let items):
            return .array(items.map(normalizingIDs))
        default:
            return value
        }
    }

    /// A time for a table: local, with its zone (`2026-12-01 21:11:44 EST`). Nil when `text` is
    /// not a time this can read (`APITime`; then the table shows it as it came).
    package static func localTime(iso text: String) -> String? {
        LedgerTime.parse(text).map(localTime) ?? APITime.parse(text).map(localTime)
    }

    /// `2026-12-01 21:11:44 EST` in the local time zone (the zone's abbreviation, or its offset).
    package static func localTime(_ date: Date) -> String {
        CivilTime.text(date, in: .local) + " " + CivilTime.localZoneName(date)
    }

    /// `2026-12-01T21:11:44Z` (no fraction) to a date; nil otherwise.
    static func parseISOSeconds(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 20, b[19] == UInt8(ascii: "Z") else { return nil }
        return LedgerTime.parse(String(decoding: b[0..<19], as: UTF8.self) + ".000Z")
    }
}

/// `--fields a,b,c`: which fields a record-printing command shows, as table columns and JSON
/// keys. Each command declares its valid names statically (`Command.fields`), so a wrong name
/// is a usage error before anything is sent.
package enum FieldSelection {
    package static func key(_ valid: [String]) -> OptionKey<String?> {
        .value(
            "fields", "LIST",
            help: "Only these fields, in this order, as table columns and JSON keys (comma-separated): "
                + valid.joined(separator: ", ") + ".")
    }

    package static func parse(_ arguments: ParsedArguments, valid: [String]) throws(OctopodsError) -> [String]? {
        guard let raw = arguments[key(valid)] else { return nil }
        let names = raw.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        }
        let unknown = names.filter { !valid.contains($0) }
        guard unknown.isEmpty, !names.isEmpty else {
            let what =
                unknown.isEmpty || unknown == [""]
                ? "an empty field name"
                : "unknown field\(unknown.count > 1 ? "s" : "") "
                    + unknown.map { "'\($0)'" }.joined(separator: ", ")
            throw .usage(UsageError("--fields: \(what); valid fields: \(valid.joined(separator: ", "))", path: arguments.path))
        }
        return names
    }

    /// A table column's header for a field: `message_id` → `MESSAGE ID`.
    package static func header(_ field: String) -> String {
        String(field.uppercased().map { $0 == "_" ? " " : $0 })
    }

    /// A field's value as a table cell: times local with their zone, objects as compact JSON.
    package static func cell(_ field: String, _ value: JSONValue?) -> String {
        guard let value, !value.isNull else { return "" }
        if let text = value.scalarText {
            if field == "time" || field.hasSuffix("_time") || field.hasSuffix("_at") || field == "last_updated",
                let local = Vocabulary.localTime(iso: text)
            {
                return local
            }
            return text
        }
        return value.serialized()
    }

    package static func project(_ item: JSONValue, _ fields: [String]) -> JSONValue {
        .object(fields.map { ($0, item[$0] ?? .null) })
    }
}

extension CommandOutput {
    /// Only `fields`: the JSON keys of each record, and a table of those columns.
    package func selecting(_ fields: [String]?) -> CommandOutput {
        guard let fields else { return self }
        var out = self
        let single = items == nil && json?.arrayValue == nil
        let records = items ?? json.map { $0.arrayValue ?? [$0] } ?? []
        let projected = records.map { FieldSelection.project($0, fields) }
        if items != nil { out.items = projected }
        if json != nil { out.json = single ? projected.first : .array(projected) }
        out.table = Table(
            headers: fields.map(FieldSelection.header),
            rows: projected.map { p in fields.map { FieldSelection.cell($0, p[$0]) } },
            flexibleColumn: fields.count - 1)
        out.text = nil
        return out
    }
}
