#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport

/// The rows of the send pass, handed out one at a time to the workers: re-read from the input
/// (nothing is kept in memory but the checked rows' fingerprints), only the bytes the check
/// read, and only rows the check passed — at most `limit` of them; excluded rows and rows
/// finished by earlier runs are skipped (and reported).
actor RowQueue {
    let input: BulkRun.Input
    let reader: RowReader
    let plan: BulkPlan
    let earlier: [Int: Journal.Entry]
    /// Fingerprints of the rows the check passed; each leaves the set when its row is taken, so a
    /// duplicate (or a row that changed after the check) is never sent.
    var checked: Set<UInt64>
    let invalidLines: Set<Int>
    /// Rows still to hand out: what the check counted (and --max-messages allows).
    var remaining: Int
    let resendUnknown: Bool
    let exclude: ExcludeList?
    /// Rows an earlier run of this input sent, by line (a grown file): recorded as repeats, not sent.
    let sentBefore: [Int: Journal.Entry]
    let keyColumn: String?
    let output: OutputLines
    let tally: BulkRun.Tally

    init(
        input: BulkRun.Input, delimiter: UInt8?, phoneColumn: String?, plan: BulkPlan, earlier: [Int: Journal.Entry],
        checked: Set<UInt64>, invalidLines: Set<Int>, limit: Int, resendUnknown: Bool, exclude: ExcludeList?,
        sentBefore: [Int: Journal.Entry] = [:], keyColumn: String? = nil, output: OutputLines, tally: BulkRun.Tally
    ) throws(OctopodsError) {
        self.input = input
        reader = try input.reader(delimiter: delimiter, phoneColumn: phoneColumn)
        self.plan = plan; self.earlier = earlier; self.checked = checked; self.invalidLines = invalidLines
        remaining = limit
        self.resendUnknown = resendUnknown; self.exclude = exclude; self.output = output; self.tally = tally
        self.sentBefore = sentBefore; self.keyColumn = keyColumn
    }

    /// A row that is not what the check passed (the file was changed in place meanwhile): reported, not sent.
    private func notChecked(_ row: InputRow, phone: String?, _ why: String) {
        var line: JSONValue = ["line": .int(row.line)]
        if let phone { line.set("phone", .string(phone)) }
        line.set("status", BulkRowStatus.notSent.json)
        line.set("error", .string(why))
        output.write(line)
        tally.add { $0.skipped += 1 }
    }

    func next() -> BulkRun.Prepared? {
        while true {
            let row: InputRow?
            do { row = try reader.next() } catch { return nil }
            guard let row else { return nil }
            if invalidLines.contains(row.line) { continue }  // listed by the check
            guard row.problem == nil, let (phone, body) = try? plan.prepare(row) else {
                notChecked(row, phone: nil, "the row changed after the check and is no longer valid; not sent")
                continue
            }
            let fingerprint = body.fingerprint()
            if let exclude, exclude.contains(phone) {
                output.write([
                    "line": .int(row.line), "phone": .string(phone), "status": BulkRowStatus.excluded.json,
                    "note": "on the --exclude list; not sent",
                ])
                tally.add { $0.excluded += 1 }
                // Recorded in the journal (by the worker), so the run's record says why the row was not sent.
                return BulkRun.Prepared(
                    line: row.line, phone: phone, body: body, hash: String(fingerprint, radix: 16), row: row,
                    excluded: true)
            }
            guard checked.remove(fingerprint) != nil else {
                notChecked(row, phone: phone, "the row changed after the check; not sent (run again to check and send it)")
                continue
            }
            let hash = String(fingerprint, radix: 16)
            if let entry = earlier[row.line] {
                var line: JSONValue = ["line": .int(row.line), "phone": .string(phone)]
                if entry.hash != hash {
                    line.set("status", BulkRowStatus.changed.json)
                    line.set("error", "the row changed since an earlier run recorded it; not sent (--new-run sends the file as it is now)")
                    output.write(line)
                    tally.add { $0.skipped += 1 }
                    continue
                }
                switch entry.state {
                case .accepted, .repeated:
                    let sent = entry.state == .accepted
                    line.set("status", (sent ? BulkRowStatus.accepted : .repeated).json)
                    if let id = entry.messageID { line.set("message_id", .string(id)) }
                    line.set(
                        "note", .string(sent ? "sent by an earlier run" : "a repeat of an earlier send, found by an earlier run; not sent"))
                    output.write(line)
                    tally.add { $0.skipped += 1 }
                    continue
                case .rejected:
                    line.set("status", BulkRowStatus.rejected.json)
                    line.set("error", .string(entry.error ?? "rejected in an earlier run"))
                    output.write(line)
                    tally.add { $0.skipped += 1 }
                    tally.reporters.withLock { $0.rejected }?.write(row, reason: entry.error ?? "rejected in an earlier run")
                    continue
                case .sending, .unknown:
                    if !resendUnknown {
                        line.set("status", BulkRowStatus.unknown.json)
                        line.set(
                            "error", "an earlier run sent this row and recorded no answer; not resent (check, then use --resend-unknown)")
                        output.write(line)
                        tally.add {
                            $0.skipped += 1; $0.earlierUnknown += 1
                        }
                        continue
                    }
                case .excluded:
                    line.set("status", BulkRowStatus.excluded.json)
                    line.set("note", "excluded in an earlier run; not sent")
                    output.write(line)
                    tally.add { $0.skipped += 1 }
                    continue
                case .notSent:
                    break
                }
            }
            if let before = sentBefore[row.line], before.hash == hash {
                var line: JSONValue = ["line": .int(row.line), "phone": .string(phone), "status": BulkRowStatus.repeated.json]
                if let id = before.messageID { line.set("message_id", .string(id)) }
                line.set("note", "identical to a row an earlier run of this input sent; not sent again (--new-run sends it)")
                output.write(line)
                tally.add { $0.repeated += 1 }
                return BulkRun.Prepared(line: row.line, phone: phone, body: body, hash: hash, row: row, sentBefore: before)
            }
            guard remaining > 0 else {
                notChecked(row, phone: phone, "more rows to send than were checked (the file changed after the check); not sent")
                continue
            }
            remaining -= 1
            return BulkRun.Prepared(
                line: row.line, phone: phone, body: body, hash: hash, row: row,
                key: keyColumn.flatMap { BulkColumns.value(row, $0) })
        }
    }
}
