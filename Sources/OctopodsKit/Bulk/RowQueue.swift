#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport

/// The rows of the send pass, handed out one at a time to the workers: re-read from the file
/// (nothing is kept in memory), re-checked, duplicates and rows finished by earlier runs
/// skipped (and reported).
actor RowQueue {
    let reader: RowReader
    let plan: BulkPlan
    let earlier: [Int: Journal.Entry]
    let resendUnknown: Bool
    let exclude: ExcludeList?
    let output: OutputLines
    let tally: BulkRun.Tally
    var seen = Set<UInt64>()

    init(url: URL, delimiter: UInt8?, phoneColumn: String?, plan: BulkPlan, earlier: [Int: Journal.Entry], resendUnknown: Bool,
         exclude: ExcludeList?, output: OutputLines, tally: BulkRun.Tally) throws(OctopodsError) {
        reader = try BulkRun.reader(url, delimiter: delimiter, phoneColumn: phoneColumn)
        self.plan = plan; self.earlier = earlier; self.resendUnknown = resendUnknown; self.exclude = exclude
        self.output = output; self.tally = tally
    }

    func next() -> BulkRun.Prepared? {
        while true {
            let row: InputRow?
            do { row = try reader.next() } catch { return nil }
            guard let row else { return nil }
            guard row.problem == nil, let (phone, body) = try? plan.prepare(row) else { continue }
            if let exclude, exclude.contains(phone) {
                output.write(["line": .int(row.line), "phone": .string(phone), "status": "excluded", "note": "on the --exclude list; not sent"])
                tally.add { $0.excluded += 1 }
                continue
            }
            let fingerprint = body.fingerprint()
            guard seen.insert(fingerprint).inserted else { continue }
            let hash = String(fingerprint, radix: 16)
            if let entry = earlier[row.line] {
                var line: JSONValue = ["line": .int(row.line), "phone": .string(phone)]
                if entry.hash != hash {
                    line.set("status", "changed")
                    line.set("error", "the row changed since an earlier run recorded it; not sent (use a new --journal to send the file as it is now)")
                    output.write(line)
                    tally.add { $0.skipped += 1 }
                    continue
                }
                switch entry.state {
                case .accepted:
                    line.set("status", "accepted")
                    if let id = entry.messageID { line.set("message_id", .string(id)) }
                    line.set("note", "sent by an earlier run")
                    output.write(line)
                    tally.add { $0.skipped += 1 }
                    continue
                case .rejected:
                    line.set("status", "rejected")
                    line.set("error", .string(entry.error ?? "rejected in an earlier run"))
                    output.write(line)
                    tally.add { $0.skipped += 1 }
                    tally.reporters.withLock { $0.rejected }?.write(row, reason: entry.error ?? "rejected in an earlier run")
                    continue
                case .sending, .unknown:
                    if !resendUnknown {
                        line.set("status", "unknown")
                        line.set("error", "an earlier run sent this row and recorded no answer; not resent (check, then use --resend-unknown)")
                        output.write(line)
                        tally.add { $0.skipped += 1; $0.earlierUnknown += 1 }
                        continue
                    }
                case .notSent:
                    break
                }
            }
            return BulkRun.Prepared(line: row.line, phone: phone, body: body, hash: hash, row: row)
        }
    }
}
