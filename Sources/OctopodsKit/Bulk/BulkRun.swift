#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// A bulk send: validate every row first, then send the valid ones, paced, a few at a time,
/// each recorded in the journal before its request goes out and after its answer, so that a
/// run killed at any point resumes without messaging anyone twice.
package struct BulkRun: Sendable {
    let ctx: Context
    /// Identifies the command in the journal (`send template 1001`), so a journal is only
    /// resumed by the same command.
    let command: String
    let makePlan: @Sendable (APIClient) async throws(OctopodsError) -> BulkPlan
    let options: BulkOptions
    let send: SendOptions

    /// `plan` is made with the run's client: a template fetch is a request of the same key and
    /// is paced with the same budget.
    package init(ctx: Context, command: String, options: BulkOptions, send: SendOptions,
                 plan: @escaping @Sendable (APIClient) async throws(OctopodsError) -> BulkPlan) {
        self.ctx = ctx; self.command = command; self.makePlan = plan; self.options = options; self.send = send
    }

    /// One row as the send pass takes it.
    struct Prepared: Sendable {
        var line: Int
        var phone: String
        var body: JSONValue
        var hash: String
    }

    /// Counts of the run, shared by the workers.
    final class Tally: Sendable {
        struct Counts { var accepted = 0, rejected = 0, unknown = 0, skipped = 0, earlierUnknown = 0, rateLimited = 0 }
        let counts = Mutex(Counts())
        let fatal = Mutex<OctopodsError?>(nil)
        let sent = Mutex<[(line: Int, id: String)]>([])
        func add(_ change: (inout Counts) -> Void) { counts.withLock { change(&$0) } }
        var snapshot: Counts { counts.withLock { $0 } }
        func stop(_ error: OctopodsError) { fatal.withLock { if $0 == nil { $0 = error } } }
        var stopped: OctopodsError? { fatal.withLock { $0 } }
    }

    // MARK: Run

    package func run() async throws(OctopodsError) -> CommandOutput {
        let input = try openInput()
        let settings = try ctx.resolvedSettings()
        if send.dryRun { return try await dryRun(input, settings: settings) }
        // The journal before anything else: a second run of this input refuses here, and so
        // does a journal of another command or input, or of a run this one must not repeat.
        let journalURL = try journalURL(input, settings: settings, create: true)
        let journal = try await Journal.open(journalURL, input: input.identity, command: command, newRun: options.newRun,
                                             resendUnknown: options.resendUnknown, now: ctx.now())
        announce(journal, input: input)
        do {
            let output = try await run(input, journal: journal, settings: settings)
            await journal.close()
            return output
        } catch {
            await journal.close()
            throw error
        }
    }

    /// The run, once its journal is open and locked: check, confirm, send, wait.
    func run(_ input: Input, journal: Journal, settings: Settings) async throws(OctopodsError) -> CommandOutput {
        let journalURL = journal.url
        let earlier = await journal.states
        let (plan, paced, check) = try await checkEveryRow(input, earlier: earlier, settings: settings)
        if check.invalid > 0 && !options.skipInvalid {
            throw .invalidInput("\(NumberText.grouped(check.invalid)) of \(NumberText.grouped(check.rows)) rows are invalid (listed above); nothing was sent",
                                hint: "Fix them and run again, or send only the valid rows with --skip-invalid.")
        }
        if let changed = Self.changedSinceEarlier(check, journal: journalURL) { throw changed }
        if check.earlierSkips > 0 {
            ctx.notice("Resuming \(journalURL.path): \(NumberText.grouped(check.earlierSkips)) rows already handled by an earlier run are skipped.")
        }
        if let max = options.maxMessages, check.toSend > max {
            throw .invalidInput("this run would send \(NumberText.grouped(check.toSend)) messages, more than --max-messages \(NumberText.grouped(max)); nothing was sent")
        }
        if check.toSend > 100, !options.yes, ctx.stdinIsTTY,
           !ctx.confirm("Send \(NumberText.grouped(check.toSend)) messages?") {
            throw .failed("not confirmed; nothing was sent", hint: "Pass --yes to skip the question.")
        }

        // Pass 2: send exactly the rows checked, never more than counted.
        let tally = Tally()
        let output = OutputLines(ctx.stdout)
        let queue = try RowQueue(input: input, plan: plan, earlier: earlier, checked: check.checked, invalidLines: check.invalidLines,
                                 limit: min(check.toSend, options.maxMessages ?? Int.max), resendUnknown: options.resendUnknown,
                                 output: output, tally: tally)
        let progress = Progress(ctx: ctx, total: check.toSend, tally: tally)
        let history = ctx.historyRecorder(settings, disabled: send.noLedger)
        defer { history?.close() }
        ctx.takeOverInterrupts()
        let sendStarted = ctx.now()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<options.concurrency {
                group.addTask {
                    while !ctx.isInterrupted(), tally.stopped == nil, let row = await queue.next() {
                        await self.send(row, plan: plan, client: paced, journal: journal, output: output,
                                        tally: tally, history: history, source: input.name)
                        progress.update()
                    }
                }
            }
        }
        progress.finish()
        if !ctx.isInterrupted(), tally.stopped == nil {
            // Every row went through: a later run of the same content is refused.
            do { try await journal.finish(at: ctx.now()) } catch {
                ctx.warn("\(Self.describe(error)) (a later run of this file would resume it rather than refuse)")
            }
        }
        let counts = tally.snapshot
        let elapsed = ctx.now().timeIntervalSince(sendStarted)
        let done = counts.accepted + counts.rejected + counts.unknown
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "Sent \(NumberText.grouped(done)) of \(NumberText.grouped(check.toSend)) in " + "\(NumberText.decimal(elapsed))s (\(NumberText.decimal(rate))/s): "
        line += "\(NumberText.grouped(counts.accepted)) accepted, \(NumberText.grouped(counts.rejected)) rejected, \(NumberText.grouped(counts.unknown)) unknown"
        if counts.rateLimited > 0 { line += "; \(counts.rateLimited) rate-limited (429) and resent" }
        let pauses = ctx.rateBudgets.stats.pauses
        if pauses > 0 { line += "; \(pauses) pause\(pauses == 1 ? "" : "s") for the rate limit" }
        if counts.skipped > 0 { line += "; \(NumberText.grouped(counts.skipped)) skipped (earlier runs)" }
        ctx.notice(line + ". Journal: \(journalURL.path)")
        if counts.unknown + counts.earlierUnknown > 0 {
            ctx.stderr.write("warning: \(counts.unknown + counts.earlierUnknown) rows went out with no recorded answer (status \"unknown\"); they may have been delivered. Check 'octopods messages list' before resending them with --resend-unknown.\n")
        }

        var code: ExitCode = .success
        if ctx.isInterrupted() {
            ctx.stderr.write("Interrupted: in-flight requests finished and the journal is written; run the same command again to resume.\n")
            return CommandOutput(exitCode: .interrupted)
        }
        if let fatal = tally.stopped { throw fatal }
        if counts.rejected > 0 { code = .rejected }
        if counts.unknown + counts.earlierUnknown > 0 { code = .unknownOutcome }
        if send.wait, let channel = plan.statusChannel {
            let waited = await waitForAll(channel: channel, sent: tally.sent.withLock { $0 }, client: paced,
                                          output: output, history: history)
            if code == .success { code = waited }
        }
        return CommandOutput(exitCode: code)
    }

    /// Makes the plan (fetching the template) and checks every row, before anything is sent.
    /// Returns the client the run sends with: every request waits its turn in the key's shared
    /// budget, through any 429 pause.
    func checkEveryRow(_ input: Input, earlier: [Int: Journal.Entry], settings: Settings) async throws(OctopodsError)
        -> (BulkPlan, APIClient, Check) {
        var client = ctx.apiClient(settings)
        client.rate = Pacer.RateFlag.resolve(options.rate, profile: settings.rate)
        client.patience = .unlimited
        client.notice = nil
        let plan = try await makePlan(client)
        let started = ctx.now()
        let check = try validate(input, plan: plan, earlier: earlier)
        let checkedIn = ctx.now().timeIntervalSince(started)
        ctx.notice("Checked \(NumberText.grouped(check.rows)) rows in \(NumberText.decimal(checkedIn))s: \(NumberText.grouped(check.valid)) valid, \(NumberText.grouped(check.invalid)) invalid.")
        return (plan, client, check)
    }

    /// Rows that make another message than the unfinished run recorded for them (the same file
    /// sent with another --body or --var): resuming would mix two campaigns.
    static func changedSinceEarlier(_ check: Check, journal: URL) -> OctopodsError? {
        guard check.changed > 0 else { return nil }
        return .invalidInput("\(NumberText.grouped(check.changed)) rows would make another message than the unfinished run in the journal \(journal.path) sent for them (another --body, --var or option?); nothing was sent",
                             hint: "Finish that run with the options it began with, or start over with --new-run (the old journal is kept, renamed with its time).")
    }

    /// What opening the journal did, when it replaced an earlier run's.
    func announce(_ journal: Journal, input: Input) {
        guard case .replace(let newRun) = journal.decision else { return }
        let kept = journal.archived.map { "; its journal is kept as \($0.path)" } ?? ""
        if newRun {
            ctx.notice("Starting a new run (--new-run)\(kept).")
        } else {
            let when = journal.previous.finish?.at.map { " at \(JournalTime.display($0))" } ?? ""
            ctx.notice("\(input.name) changed since the run that finished\(when): this is a new run\(kept).")
        }
    }

    /// `--dry-run`: checks every row and counts those the journal already holds, without
    /// creating, locking or changing the journal; says what a real run would refuse.
    func dryRun(_ input: Input, settings: Settings) async throws(OctopodsError) -> CommandOutput {
        let journalURL = try journalURL(input, settings: settings, create: false)
        var earlier: [Int: Journal.Entry] = [:]
        var refusal: OctopodsError?
        if let previous = try Journal.peek(journalURL) {
            do {
                switch try Journal.decide(previous, input: input.identity, command: command, journal: journalURL,
                                          newRun: options.newRun, resendUnknown: options.resendUnknown) {
                case .resume: earlier = previous.states
                case .fresh: break
                case .replace(let newRun):
                    let when = previous.finish?.at.map { " at \(JournalTime.display($0))" } ?? ""
                    ctx.notice(newRun ? "A real run would start over (--new-run), keeping the journal \(journalURL.path) renamed."
                                      : "\(input.name) changed since the run that finished\(when): a real run would be a new run.")
                }
            } catch {
                refusal = error
                // Count what the journal holds for this command: the rows a real run would not send.
                if previous.command == command { earlier = previous.states }
            }
        }
        let (_, _, check) = try await checkEveryRow(input, earlier: earlier, settings: settings)
        refusal = refusal ?? Self.changedSinceEarlier(check, journal: journalURL)
        let summary: JSONValue = ["rows": .int(check.rows), "valid": .int(check.valid), "invalid": .int(check.invalid),
                                  "to_send": .int(check.toSend), "in_journal": .int(check.earlierSkips), "journal": .string(journalURL.path)]
        ctx.notice("Dry run: nothing was sent.")
        if check.earlierSkips > 0 {
            ctx.notice("The journal \(journalURL.path) already holds \(NumberText.grouped(check.earlierSkips)) of these rows.")
        }
        if let refusal {
            let report = ErrorReporter(now: ctx.now).report(refusal)
            ctx.notice("A real run would stop here: \(report.message)" + (report.hint.map { "\n\($0)" } ?? ""))
        }
        return CommandOutput(json: summary, exitCode: check.invalid > 0 || refusal != nil ? .usage : .success)
    }

    // MARK: Pass 1

    struct Check {
        var rows = 0, valid = 0, invalid = 0, toSend = 0, earlierSkips = 0
        /// Rows whose message differs from what the journal recorded for their line.
        var changed = 0
        /// The fingerprint of every valid row: the send pass sends only rows found here.
        var checked = Set<UInt64>()
        /// The lines of the invalid rows, reported here and skipped quietly by the send pass.
        var invalidLines = Set<Int>()
    }

    func validate(_ input: Input, plan: BulkPlan, earlier: [Int: Journal.Entry]) throws(OctopodsError) -> Check {
        let reader = try input.reader()
        if reader.format == .csv {
            let unknown = reader.columns.filter { !plan.knows($0) }
            if !unknown.isEmpty {
                let shown = unknown.prefix(5).map { "'\(String($0.prefix(40)))'" }.joined(separator: ", ")
                    + (unknown.count > 5 ? " and \(unknown.count - 5) more" : "")
                throw .invalidInput("\(input.name): unknown column\(unknown.count == 1 ? "" : "s") \(shown)",
                                    hint: "Columns are phone, name, 1, 2, … (body), header.1, footer.1, button.1, header_url, and body for SMS.")
            }
            if !reader.columns.contains("phone") {
                throw .invalidInput("\(input.name): the header has no 'phone' column")
            }
        }
        var check = Check()
        // Sized once from an estimate: letting the set double as it fills costs its old and
        // new tables at once (24 MB at a million rows), a third of the memory budget.
        check.checked.reserveCapacity(Self.estimatedRows(input))
        while let row = try reader.next() {
            check.rows += 1
            do {
                if let problem = row.problem { throw OctopodsError.invalidInput(problem) }
                let (_, body) = try plan.prepare(row)
                let fingerprint = body.fingerprint()
                guard check.checked.insert(fingerprint).inserted else {
                    throw OctopodsError.invalidInput("the same phone and content as an earlier row (a duplicate)")
                }
                check.valid += 1
                if let entry = earlier[row.line] {
                    if entry.hash != String(fingerprint, radix: 16) {
                        check.changed += 1
                        continue
                    }
                    if Self.skips(entry.state, resendUnknown: options.resendUnknown) {
                        check.earlierSkips += 1
                        continue
                    }
                }
                check.toSend += 1
            } catch let error as OctopodsError {
                check.invalid += 1
                check.invalidLines.insert(row.line)
                ctx.stderr.write("line \(row.line): \(Self.describe(error))\n")
            } catch {
                check.invalid += 1
                check.invalidLines.insert(row.line)
            }
        }
        if check.rows == 0 { throw .invalidInput("\(input.name) has no rows to send") }
        return check
    }

    /// Whether a row an earlier run recorded in this state is left alone.
    static func skips(_ state: RowState, resendUnknown: Bool) -> Bool {
        switch state {
        case .accepted, .rejected: return true
        case .sending, .unknown: return !resendUnknown
        case .notSent: return false
        }
    }

    static func describe(_ error: OctopodsError) -> String {
        switch error {
        case .invalidInput(let message, _): return TerminalText.sanitize(message)
        case .usage(let usage): return TerminalText.sanitize(usage.message)
        default: return TerminalText.sanitize(ErrorReporter(now: { Date() }).report(error).message)
        }
    }

    // MARK: Pass 2

    func send(_ row: Prepared, plan: BulkPlan, client: APIClient, journal: Journal, output: OutputLines, tally: Tally,
              history: HistoryRecorder?, source: String) async {
        let base: JSONValue = ["line": .int(row.line), "phone": .string(row.phone)]
        let endpoint = plan.endpoint(row.body)
        while true {
            // Wait for a slot first: only a row whose request is about to go out is "sending".
            let slot: APIClient.Reservation
            do {
                slot = try await client.reserve(endpoint)
            } catch {
                return
            }
            if ctx.isInterrupted() { client.release(slot); return }
            do {
                try await journal.record(Journal.Entry(line: row.line, hash: row.hash, state: .sending))
            } catch {
                tally.stop(.failed("the journal cannot be written: \(error)"))
                return
            }
            let result: Result<APIResponse<SendResult>, OctopodsError>
            do { result = .success(try await client.send(endpoint, in: slot)) } catch { result = .failure(error) }
            // A 429 (resent below) is not recorded: it was not processed.
            history?.sent(endpoint, to: row.phone, result: result, source: "\(source):\(row.line)")
            var entry = Journal.Entry(line: row.line, hash: row.hash, state: .accepted)
            var line = base
            switch result {
            case .success(let response):
                entry.messageID = response.value.messageID
                line.set("status", "accepted")
                line.set("message_id", response.value.messageID.map(JSONValue.string) ?? .null)
                tally.add { $0.accepted += 1 }
                if let id = response.value.messageID { tally.sent.withLock { $0.append((row.line, id)) } }
            case .failure(let error):
                let report = ErrorReporter(now: ctx.now).report(error)
                if case .api(let api) = error, api.status == 429, Clamp.plausibleRetry(api.retryAt, now: ctx.now()) {
                    // Not processed: the budget pauses every process for the cool-down (and says
                    // so once), then this row goes again. (An absurd retry time falls through:
                    // the row is not sent, the run stops, exit 4.)
                    tally.add { $0.rateLimited += 1 }
                    continue
                }
                line.set("error", .string(report.message))
                if let code = report.errorCode { line.set("error_code", .int(code)) }
                switch error.disposition {
                case .refused:
                    entry.state = .rejected
                    entry.error = report.message
                    line.set("status", "rejected")
                    tally.add { $0.rejected += 1 }
                case .notSent, .interrupted(requestInFlight: false):
                    // Every later row would fail the same way: stop, resume when fixed.
                    entry.state = .notSent
                    line.set("status", "not_sent")
                    tally.stop(error)
                case .interrupted(requestInFlight: true):
                    entry.state = .unknown
                    line.set("status", "unknown")
                    tally.add { $0.unknown += 1 }
                case .outcomeUnknown, .sentUnconfirmed:
                    entry.state = .unknown
                    entry.error = report.message
                    line.set("status", "unknown")
                    tally.add { $0.unknown += 1 }
                }
            }
            try? await journal.record(entry)
            output.write(line)
            return
        }
    }

    /// --wait after a bulk run: follows every accepted message to a final state, paced.
    func waitForAll(channel: Channel, sent: [(line: Int, id: String)], client: APIClient,
                    output: OutputLines, history: HistoryRecorder?) async -> ExitCode {
        let deadline = ctx.now().addingTimeInterval(ctx.globals.timeout ?? 120)
        var pending = sent
        var failed = false
        var delay = 1.0
        while !pending.isEmpty, !ctx.isInterrupted() {
            var next: [(line: Int, id: String)] = []
            for item in pending {
                if ctx.isInterrupted() { return .interrupted }
                do {
                    let status = try await client.send(API.messageStatus(channel: channel, id: item.id)).value
                    if let outcome = MessageStatus.outcome(status.status, until: send.until) {
                        history?.learned(status, channel: channel, messageID: item.id)
                        var line: JSONValue = ["line": .int(item.line), "message_id": .string(item.id), "final_status": .string(status.status)]
                        if let failure = status.failure { line.set("failure", .string(failure)) }
                        output.write(line)
                        if outcome == .rejected { failed = true }
                        continue
                    }
                } catch {
                    // Asked again next round (a 429's pause is waited out by the budget).
                }
                next.append(item)
            }
            pending = next
            if pending.isEmpty { break }
            let remaining = deadline.timeIntervalSince(ctx.now())
            if remaining <= 0 {
                ctx.stderr.write("error: \(pending.count) messages had no final status before the --timeout deadline\n")
                return .unconfirmed
            }
            try? await ctx.sleep(min(delay, remaining))
            delay = min(delay * 2, 15)
        }
        if ctx.isInterrupted() { return .interrupted }
        return failed ? .rejected : .success
    }
}

/// One JSON object per line on stdout; each line is written whole.
final class OutputLines: Sendable {
    let sink: any TextSink
    let lock = Mutex(())
    init(_ sink: any TextSink) { self.sink = sink }
    func write(_ json: JSONValue) {
        let text = json.serialized() + "\n"
        lock.withLock { _ in sink.write(text) }
    }
}

/// The rows of the send pass, handed out one at a time to the workers: re-read from the input
/// (nothing is kept in memory but the checked rows' fingerprints), only the bytes the check
/// read, and only rows the check passed — at most `limit` of them; rows finished by earlier runs
/// are skipped (and reported).
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
    let output: OutputLines
    let tally: BulkRun.Tally

    init(input: BulkRun.Input, plan: BulkPlan, earlier: [Int: Journal.Entry], checked: Set<UInt64>, invalidLines: Set<Int>,
         limit: Int, resendUnknown: Bool, output: OutputLines, tally: BulkRun.Tally) throws(OctopodsError) {
        self.input = input
        reader = try input.reader()
        self.plan = plan; self.earlier = earlier; self.checked = checked; self.invalidLines = invalidLines
        remaining = limit
        self.resendUnknown = resendUnknown; self.output = output; self.tally = tally
    }

    /// A row that is not what the check passed (the file was changed in place meanwhile): reported, not sent.
    private func notChecked(_ row: InputRow, phone: String?, _ why: String) {
        var line: JSONValue = ["line": .int(row.line)]
        if let phone { line.set("phone", .string(phone)) }
        line.set("status", "not_sent")
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
            guard checked.remove(fingerprint) != nil else {
                notChecked(row, phone: phone, "the row changed after the check; not sent (run again to check and send it)")
                continue
            }
            let hash = String(fingerprint, radix: 16)
            if let entry = earlier[row.line] {
                var line: JSONValue = ["line": .int(row.line), "phone": .string(phone)]
                if entry.hash != hash {
                    line.set("status", "changed")
                    line.set("error", "the row changed since an earlier run recorded it; not sent (--new-run sends the file as it is now)")
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
            guard remaining > 0 else {
                notChecked(row, phone: phone, "more rows to send than were checked (the file changed after the check); not sent")
                continue
            }
            remaining -= 1
            return BulkRun.Prepared(line: row.line, phone: phone, body: body, hash: hash)
        }
    }
}

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
        let eta = rate > 0 ? DurationText.format(seconds: (Double(total - done) / rate).rounded()) : "?"
        let width = 24
        let filled = total > 0 ? min(width, width * done / total) : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        ctx.stderr.write("\r\u{1B}[K\(bar) \(done)/\(total)  ok \(c.accepted)  failed \(c.rejected + c.unknown)  "
                         + NumberText.decimal(rate) + "/s" + "  ETA \(eta)")
    }

    func finish() {
        if enabled { ctx.stderr.write("\r\u{1B}[K") }
    }
}
