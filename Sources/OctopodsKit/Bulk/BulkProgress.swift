#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport

/// What a bulk run shows a person at a terminal: a progress line on stderr while it sends
/// (counts, the rate and an ETA from the rate budget, or why it is paused, redrawn every second
/// as well as when rows finish), then a summary with the same words and the first rejected
/// rows. Off a terminal, one summary line.
final class Progress: Sendable {
    let ctx: Context
    let total: Int
    let tally: BulkRun.Tally
    /// The budget the run is paced at (nil: --rate off): what the ETA is reckoned from.
    let budget: Pacer.Rate?
    /// The line is drawn (stderr is a terminal and not --quiet).
    let enabled: Bool
    let started: Date
    /// Redraws at most every 0.1 s; `samples` (time, rows done) over the last 10 s give the rate.
    private let state = Mutex(State())

    struct State {
        var lastDraw: Date?
        var samples: [(time: Date, done: Int)] = []
        var paused: String?
        var drawn = false
        var finished = false
        var firstRejected: [(line: Int, phone: String, reason: String)] = []
    }

    static let window = 10.0
    static let shownRejected = 5

    init(ctx: Context, total: Int, tally: BulkRun.Tally, budget: Pacer.Rate? = nil) {
        self.ctx = ctx; self.total = total; self.tally = tally; self.budget = budget
        enabled = ctx.stderrIsTTY && !ctx.globals.quiet
        started = ctx.now()
    }

    /// Rows done (answered) so far: the words of the bar and the summary.
    static func done(_ c: BulkRun.Tally.Counts) -> Int { c.accepted + c.rejected + c.unknown }

    /// A row is done: the bar moves on (and a pause is over).
    func update() {
        state.withLock { $0.paused = nil }
        draw(force: false)
    }

    /// Redraws the line every second until `finish`, so that it moves while rows wait for the
    /// rate window or a pause (not only when a burst of rows finishes). Cosmetic only, so it
    /// sleeps on the real clock; nil off a terminal.
    func startTicker() -> Task<Void, Never>? {
        guard enabled else { return nil }
        return Task.detached { [self] in
            while !Task.isCancelled {
                do { try await Task.sleep(nanoseconds: 1_000_000_000) } catch { return }
                guard !state.withLock({ $0.finished }) else { return }
                draw(force: true)
            }
        }
    }

    /// A rejected row, kept for the summary (the first few).
    func rejected(line: Int, phone: String, reason: String) {
        state.withLock { s in
            if s.firstRejected.count < Self.shownRejected { s.firstRejected.append((line, phone, reason)) }
        }
    }

    /// Why nothing moves (a 429 cool-down), shown instead of the ETA until the next row is done.
    func pause(_ reason: String) {
        state.withLock { $0.paused = reason }
        draw(force: true)
    }

    /// Text said on stderr while the bar is up (`ProgressNotices`): the bar is cleared, the text
    /// written, the bar redrawn. The rate budget's pause notice also pauses the bar.
    func note(_ text: String, to sink: any TextSink) {
        guard enabled else { sink.write(text); return }
        let wasDrawn = state.withLock { s -> Bool in
            let d = s.drawn; s.drawn = false; return d
        }
        sink.write((wasDrawn ? "\r\u{1B}[K" : "") + text)
        if text.hasPrefix("Rate limited") {
            pause(Self.pauseReason(text))
        } else if wasDrawn {
            draw(force: true)
        }
    }

    private func draw(force: Bool) {
        guard enabled else { return }
        let now = ctx.now()
        let c = tally.snapshot
        let done = Self.done(c)
        let line: String? = state.withLock { s in
            if s.finished { return nil }
            if !force, let last = s.lastDraw, now.timeIntervalSince(last) < 0.1 { return nil }
            s.lastDraw = now
            s.samples.append((now, done))
            while let first = s.samples.first, now.timeIntervalSince(first.time) > Self.window, s.samples.count > 2 {
                s.samples.removeFirst()
            }
            s.drawn = true
            return render(c, now: now, samples: s.samples, paused: s.paused)
        }
        if let line { ctx.stderr.write("\r\u{1B}[K" + line) }
    }

    /// The rate over the last 10 seconds (the whole run until then): steady while pacing,
    /// where the overall figure drifts with the first burst.
    static func rate(samples: [(time: Date, done: Int)], started: Date, now: Date, done: Int) -> Double {
        if let first = samples.first, now.timeIntervalSince(first.time) >= 2, done > first.done {
            return Double(done - first.done) / now.timeIntervalSince(first.time)
        }
        let elapsed = now.timeIntervalSince(started)
        return elapsed > 0 ? Double(done) / elapsed : 0
    }

    /// What the line says while a 429's cool-down holds every request: when it ends, local time.
    static func pauseReason(_ notice: String) -> String {
        guard let from = notice.firstRange(of: "waits until "), let to = notice[from.upperBound...].firstRange(of: " UTC"),
            let end = APITime.parse(String(notice[from.upperBound..<to.upperBound]))
        else {
            return "paused: rate limited (429), see above"
        }
        let local = Vocabulary.localTime(end).split(separator: " ")
        return "rate limit: resuming at " + (local.count > 1 ? String(local[1]) : Vocabulary.localTime(end))
    }

    /// Rows a second for the ETA: the budget's pace (steady, where the rate seen over the last
    /// seconds swings with each burst the window allows), or what is seen when that is clearly
    /// slower (a slow server, few workers).
    static func pace(budget: Pacer.Rate?, observed: Double, seenFor seconds: Double) -> Double {
        guard let budget, budget.window > 0 else { return observed }
        let planned = Double(budget.count) / budget.window
        return seconds >= 5 && observed > 0 && observed < planned * 0.8 ? observed : planned
    }

    func render(_ c: BulkRun.Tally.Counts, now: Date, samples: [(time: Date, done: Int)], paused: String?) -> String {
        let done = Self.done(c)
        let rate = Self.rate(samples: samples, started: started, now: now, done: done)
        let seen = samples.first.map { now.timeIntervalSince($0.time) } ?? 0
        let pace = Self.pace(budget: budget, observed: rate, seenFor: seen)
        var parts = [
            "\(NumberText.grouped(done))/\(NumberText.grouped(total))",
            "accepted \(NumberText.grouped(c.accepted))", "rejected \(NumberText.grouped(c.rejected))",
            "unknown \(NumberText.grouped(c.unknown))",
        ]
        if let paused {
            parts.append(paused)
        } else {
            parts.append("\(NumberText.decimal(rate))/s")
            parts.append("ETA " + (pace > 0 ? NumberText.duration(Double(total - done) / pace) : "?"))
        }
        var text = parts.joined(separator: " · ")
        // The bar takes the room the words leave at their widest (so it does not jump), up to 20 cells.
        let columns = (ctx.terminalWidth ?? 80) - 1
        let widest =
            "\(NumberText.grouped(total))/\(NumberText.grouped(total)) · accepted \(NumberText.grouped(total)) · rejected "
            + "\(NumberText.grouped(total)) · unknown \(NumberText.grouped(total)) · 999.9/s · ETA 59 min 59 s"
        let width = min(20, columns - max(TerminalText.width(text), widest.count) - 1)
        if width >= 5 {
            let filled = total > 0 ? min(width, width * done / total) : width
            text = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + " " + text
        }
        return TerminalText.width(text) > columns ? TerminalText.truncate(text, to: columns) : text
    }

    func finish() {
        let wasDrawn = state.withLock { s -> Bool in
            let d = s.drawn; s.drawn = false; s.finished = true; return d
        }
        if enabled, wasDrawn { ctx.stderr.write("\r\u{1B}[K") }
    }

    // MARK: Summary

    /// After the run: at a terminal a small table and the first rejected rows; otherwise one line.
    func summary(
        _ c: BulkRun.Tally.Counts, elapsed: Double, journal: String, rejectedFile: RejectedFile?, invalid: Int = 0,
        pauses: Int = 0
    ) {
        guard !ctx.globals.quiet else { return }
        let done = Self.done(c)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let took = elapsed < 60 ? NumberText.decimal(elapsed) + " s" : NumberText.duration(elapsed)
        let head = "Sent \(NumberText.grouped(done)) of \(NumberText.counted(total, "row")) in \(took) (\(NumberText.decimal(rate))/s)"
        guard enabled else {
            var line =
                head
                + ": \(NumberText.grouped(c.accepted)) accepted, \(NumberText.grouped(c.rejected)) rejected, \(NumberText.grouped(c.unknown)) unknown"
            if c.rateLimited > 0 { line += "; \(NumberText.grouped(c.rateLimited)) rate-limited (429) and resent" }
            if pauses > 0 { line += "; \(NumberText.counted(pauses, "pause")) for the rate limit" }
            if c.skipped > 0 { line += "; \(NumberText.grouped(c.skipped)) skipped (earlier runs)" }
            if c.excluded > 0 { line += "; \(NumberText.grouped(c.excluded)) excluded (--exclude)" }
            if c.repeated > 0 { line += "; \(NumberText.grouped(c.repeated)) not sent again (repeat)" }
            ctx.stderr.write(line + ". Journal: \(journal)\n")
            return
        }
        var rows: [[String]] = [
            [BulkRowStatus.accepted.rawValue, NumberText.grouped(c.accepted), ""],
            [BulkRowStatus.rejected.rawValue, NumberText.grouped(c.rejected), ""],
            [
                BulkRowStatus.unknown.rawValue, NumberText.grouped(c.unknown),
                c.unknown > 0 ? "may have been delivered: check before resending" : "",
            ],
        ]
        if invalid > 0 { rows.append(["invalid", NumberText.grouped(invalid), "not sent (--skip-invalid)"]) }
        if c.skipped > 0 { rows.append(["skipped", NumberText.grouped(c.skipped), "handled by an earlier run"]) }
        if c.excluded > 0 { rows.append([BulkRowStatus.excluded.rawValue, NumberText.grouped(c.excluded), "on the --exclude list"]) }
        if c.repeated > 0 { rows.append([BulkRowStatus.repeated.rawValue, NumberText.grouped(c.repeated), "sent before: not sent again"]) }
        if c.rateLimited > 0 { rows.append(["rate-limited", NumberText.grouped(c.rateLimited), "(429) paused, then resent"]) }
        if pauses > 0 { rows.append(["pauses", NumberText.grouped(pauses), "for the rate limit"]) }
        rows.append(["elapsed", NumberText.duration(elapsed), ""])
        rows.append(["rate", NumberText.decimal(rate) + "/s", ""])
        let width = rows.map { TerminalText.width($0[0]) }.max() ?? 0
        let numbers = rows.map { TerminalText.width($0[1]) }.max() ?? 0
        var text = head + "\n"
        for row in rows {
            let number = String(repeating: " ", count: numbers - TerminalText.width(row[1])) + row[1]
            text += "  " + TerminalText.pad(row[0], to: width) + "  " + number + (row[2].isEmpty ? "" : "  " + row[2]) + "\n"
        }
        let first = state.withLock { $0.firstRejected }.sorted { $0.line < $1.line }
        if !first.isEmpty {
            text += c.rejected > first.count ? "First \(first.count) rejected rows:\n" : "Rejected \(first.count == 1 ? "row" : "rows"):\n"
            for r in first {
                text += "  line \(r.line)  \(r.phone)  \(TerminalText.sanitize(String(r.reason.prefix(120))))\n"
            }
        }
        if let file = rejectedFile, file.count > 0 {
            text += "\(NumberText.counted(file.count, "row")) to fix and send again: \(file.path)\n"
        }
        text += "Journal: \(journal)\n"
        ctx.stderr.write(text)
    }

    // MARK: Confirmation

    /// `Send template 539 "otp" (en) on whatsapp to 1,500 recipients with profile default? About 4 min 33 s at 55/10s.`
    static func question(plan: BulkPlan, recipients: Int, profile: String, rate: Pacer.Rate?) -> String {
        var text =
            "Send \(plan.describe) on \(plan.channel.rawValue) to \(NumberText.counted(recipients, "recipient")) with profile \(profile)?"
        if let rate {
            let seconds = Double(recipients) / Double(rate.count) * rate.window
            text += " About \(NumberText.duration(seconds)) at \(rateText(rate))."
        } else {
            text += " No rate limit (--rate off)."
        }
        return text
    }

    static func rateText(_ rate: Pacer.Rate) -> String {
        let window = rate.window == rate.window.rounded() ? "\(Int(rate.window))s" : NumberText.decimal(rate.window) + "s"
        return "\(rate.count)/\(window)"
    }
}

/// stderr for a bulk run's API client: once a progress line is attached, what is said (the rate
/// budget's pause notice) goes above the line instead of through it.
final class ProgressNotices: TextSink {
    let sink: any TextSink
    private let progress = Mutex<Progress?>(nil)

    init(_ sink: any TextSink) { self.sink = sink }

    func attach(_ progress: Progress?) { self.progress.withLock { $0 = progress } }

    func write(_ text: String) {
        if let progress = progress.withLock({ $0 }) { progress.note(text, to: sink) } else { sink.write(text) }
    }
}
