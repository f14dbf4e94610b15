import Foundation
import Synchronization
import CLISupport

/// A progress line on stderr, only when it is a terminal: done / failed / rate / ETA.
final class Progress: Sendable {
    let ctx: Context
    let total: Int
    let tally: BulkRun.Tally
    let enabled: Bool
    let started: Date
    let last = Mutex<Date?>(nil)

    init(ctx: Context, total: Int, tally: BulkRun.Tally) {
        self.ctx = ctx; self.total = total; self.tally = tally
        enabled = ctx.stderrIsTTY && !ctx.globals.quiet
        started = ctx.now()
    }

    func update() {
        guard enabled else { return }
        let now = ctx.now()
        let due = last.withLock { previous -> Bool in
            if let previous, now.timeIntervalSince(previous) < 0.1 { return false }
            previous = now
            return true
        }
        guard due else { return }
        let c = tally.snapshot
        let done = c.accepted + c.rejected + c.unknown
        let elapsed = max(0.001, now.timeIntervalSince(started))
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? ErrorReporter.format(seconds: (Double(total - done) / rate).rounded()) : "?"
        let width = 24
        let filled = total > 0 ? min(width, width * done / total) : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        ctx.stderr.write("\r\u{1B}[K\(bar) \(done)/\(total)  ok \(c.accepted)  failed \(c.rejected + c.unknown)  "
                         + String(format: "%.1f/s", rate) + "  ETA \(eta)")
    }

    func finish() {
        if enabled { ctx.stderr.write("\r\u{1B}[K") }
    }
}
