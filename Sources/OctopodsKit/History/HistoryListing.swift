#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// `octopods history`: the matching sends as a table, or streamed as JSON, NDJSON or CSV.
struct HistoryListing {
    let ctx: Context
    let url: URL
    /// `--fields`: the chosen fields, in order (all of `fields` when nil).
    var selected: [String]? = nil

    /// Every output has the same fields, null when unknown, in this order (the CSV header).
    static let fields = [
        "time", "profile", "channel", "kind", "template_id", "template_name", "to", "message_id", "request_id",
        "outcome", "error", "status", "status_time", "failure", "source",
    ]

    /// The values of `fields`, in order. `status` is the latest known: the delivery status once
    /// one was learned, else the send's outcome (as the table's STATUS column shows it).
    static func values(_ entry: HistoryEntry) -> [String?] {
        let s = entry.send
        return [
            LedgerTime.format(s.time), s.profile, s.channel.rawValue, s.kind, s.templateID, s.templateName, s.to, s.messageID, s.requestID,
            s.outcome?.rawValue, s.error, entry.state, entry.statusTime.map(LedgerTime.format), entry.failure, s.source,
        ]
    }

    static func json(_ entry: HistoryEntry) -> JSONValue {
        .object(zip(fields, values(entry)).map { ($0, $1.map(JSONValue.string) ?? .null) })
    }

    /// The chosen fields of an entry, in the chosen order.
    func chosen(_ entry: HistoryEntry) -> [(String, String?)] {
        let all = Array(zip(Self.fields, Self.values(entry)))
        guard let selected else { return all }
        return selected.map { name in (name, all.first { $0.0 == name }?.1 ?? nil) }
    }

    func run(_ query: HistoryQuery) throws(OctopodsError) -> CommandOutput {
        let format = ctx.format
        let result: HistoryQuery.Result
        var shown = 0
        if format == .table {
            var entries: [HistoryEntry] = []
            result = try query.run(url) { entries.append($0) }
            shown = entries.count
            report(result, shown: shown, query: query)
            if let selected {
                let rows = entries.map { entry in chosen(entry).map { FieldSelection.cell($0.0, $0.1.map(JSONValue.string)) } }
                return CommandOutput(
                    table: Table(
                        headers: selected.map(FieldSelection.header), rows: rows,
                        flexibleColumn: selected.count - 1), emptyMessage: emptyMessage)
            }
            return CommandOutput(table: Self.table(entries), emptyMessage: emptyMessage)
        }
        // Streamed: a million records never sit in memory at once.
        var buffer = ""
        func flush(_ force: Bool) {
            if force || buffer.utf8.count >= 1 << 16 { ctx.stdout.write(buffer); buffer = "" }
        }
        switch format {
        case .json: buffer = "["
        case .csv: buffer = CSVText.row(selected ?? Self.fields)
        default: break
        }
        result = try query.run(url) { entry in
            switch format {
            case .json: buffer += (shown == 0 ? "\n" : ",\n") + json(entry).serialized()
            case .ndjson: buffer += json(entry).serialized() + "\n"
            default:
                // On a terminal, every path goes through the sanitiser: a field from the API
                // (an OSC 52 clipboard write, a CSI 2J) must not reach it raw.
                let cells = chosen(entry).map { $0.1 ?? "" }
                buffer += CSVText.row(ctx.stdoutIsTTY ? cells.map { TerminalText.sanitize($0) } : cells)
            }
            shown += 1
            flush(false)
        }
        if format == .json { buffer += shown == 0 ? "]\n" : "\n]\n" }
        flush(true)
        report(result, shown: shown, query: query)
        if shown == 0 { ctx.notice(emptyMessage) }
        return .none
    }

    var emptyMessage: String {
        FileManager.default.fileExists(atPath: url.path) ? "No sends in the history match." : "Nothing recorded yet in \(url.path)."
    }

    func report(_ result: HistoryQuery.Result, shown: Int, query: HistoryQuery) {
        if result.unreadable > 0 {
            ctx.warn(
                "\(NumberText.counted(result.unreadable, "line")) of \(url.path) \(result.unreadable == 1 ? "is not a history record and was" : "are not history records and were") skipped"
            )
        }
        if result.matched > shown {
            ctx.notice(
                "Showing the latest \(NumberText.grouped(shown)) of \(NumberText.grouped(result.matched)) matching sends; --limit 0 shows all."
            )
        }
    }

    static func table(_ entries: [HistoryEntry]) -> Table {
        let profiles = Set(entries.map(\.send.profile))
        var headers = ["TIME", "CHANNEL", "TO", "WHAT", "MESSAGE ID", "STATUS", "DETAIL"]
        if profiles.count > 1 { headers.insert("PROFILE", at: 1) }
        let rows = entries.map { entry -> [String] in
            let s = entry.send
            let what = s.templateID.map { "template \($0)" } ?? s.kind ?? ""
            var row = [
                localTime(s.time), s.channel.rawValue, s.to ?? "", what, s.messageID ?? "",
                entry.state, entry.failure ?? s.error ?? (s.source ?? ""),
            ]
            if profiles.count > 1 { row.insert(s.profile, at: 1) }
            return row
        }
        return Table(headers: headers, rows: rows, flexibleColumn: headers.count - 1)
    }

    /// `2026-11-22 06:47:09 EST`: local time with its zone (docs/output.md).
    static func localTime(_ date: Date) -> String { Vocabulary.localTime(date) }

    func json(_ entry: HistoryEntry) -> JSONValue {
        .object(chosen(entry).map { ($0, $1.map(JSONValue.string) ?? .null) })
    }
}
