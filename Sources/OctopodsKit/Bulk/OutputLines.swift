#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport

/// A row's `status` in a bulk run's output: what the API made of its send (the words of
/// `SendOutcome`), or why it was not sent.
enum BulkRowStatus: String, Sendable {
    case accepted, rejected, unknown
    /// Certainly not processed (could not connect, the row changed after the check): safe to send again.
    case notSent = "not_sent"
    /// On the --exclude list (an opt-out).
    case excluded
    /// Changed since an earlier run recorded it.
    case changed
    /// Identical to a message sent lately, or by an earlier run of the input: not sent again.
    case repeated = "repeat"

    var json: JSONValue { .string(rawValue) }
}

/// Where each row's outcome goes: one JSON object per line on stdout (piped, or `-o json`/`ndjson`),
/// a table after the run (`-o table`), or nowhere at a terminal, where the progress line and the
/// summary say it instead.
final class OutputLines: Sendable {
    enum Mode: Sendable, Equatable { case lines, table, none }

    let sink: any TextSink
    let mode: Mode
    let lock = Mutex(())
    let kept = Mutex<[JSONValue]>([])
    /// `--fields`: only these keys, in this order.
    let fields: [String]?

    init(_ sink: any TextSink, mode: Mode = .lines, fields: [String]? = nil) { self.sink = sink; self.mode = mode; self.fields = fields }

    /// The mode for a run: an explicit `-o`/`OCTOPODS_OUTPUT` wins; otherwise nothing per row when
    /// both stdout and stderr are a terminal, JSON lines when not.
    static func mode(_ ctx: Context) -> Mode {
        guard ctx.formatChosen else { return ctx.stdoutIsTTY && ctx.stderrIsTTY ? .none : .lines }
        return ctx.format == .table ? .table : .lines
    }

    func write(_ json: JSONValue) {
        switch mode {
        case .lines:
            let text = (fields.map { FieldSelection.project(json, $0) } ?? json).serialized() + "\n"
            lock.withLock { _ in sink.write(text) }
        case .table:
            kept.withLock { $0.append(json) }
        case .none:
            break
        }
    }

    /// `-o table`: the rows, in line order, once the run is over.
    func table() -> Table? {
        guard mode == .table else { return nil }
        // A row's --wait outcome comes as a second object: one table row per input line.
        var byLine: [Int: JSONValue] = [:]
        for item in kept.withLock({ $0 }) {
            let line = item["line"]?.intValue ?? 0
            var merged = byLine[line] ?? [:]
            for (key, value) in item.objectValue ?? [] { merged.set(key, value) }
            byLine[line] = merged
        }
        let rows = byLine.sorted { $0.key < $1.key }.map(\.value)
        guard !rows.isEmpty else { return nil }
        let text = { (row: JSONValue, key: String) in row[key]?.scalarText ?? "" }
        if let fields {
            return Table(
                headers: fields.map(FieldSelection.header),
                rows: rows.map { row in fields.map { FieldSelection.cell($0, row[$0]) } })
        }
        return Table(
            headers: ["LINE", "PHONE", "STATUS", "MESSAGE ID", "ERROR"],
            rows: rows.map { row in
                [
                    text(row, "line"), text(row, "phone"),
                    text(row, "status") + (row["final_status"].map { " → \($0.scalarText ?? "")" } ?? ""),
                    text(row, "message_id"), text(row, "error").isEmpty ? text(row, "note") : text(row, "error"),
                ]
            },
            flexibleColumn: 4)
    }
}
