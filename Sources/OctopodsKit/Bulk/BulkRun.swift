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
    package init(
        ctx: Context, command: String, options: BulkOptions, send: SendOptions,
        plan: @escaping @Sendable (APIClient) async throws(OctopodsError) -> BulkPlan
    ) {
        self.ctx = ctx; self.command = command; self.makePlan = plan; self.options = options; self.send = send
    }

    /// One row as the send pass takes it.
    struct Prepared: Sendable {
        var line: Int
        var phone: String
        var body: JSONValue
        var hash: String
        /// The row as read, for `--rejected`.
        var row = InputRow(line: 0, fields: [:])
        /// On the --exclude list: recorded in the journal as excluded, never sent.
        var excluded = false
        /// Its idempotency key (--idempotency-column).
        var key: String?
        /// What an earlier run of this input recorded for the identical row: recorded as a
        /// repeat, never sent.
        var sentBefore: Journal.Entry?
    }

    /// Counts of the run, shared by the workers.
    final class Tally: Sendable {
        struct Counts {
            var accepted = 0, rejected = 0, unknown = 0, skipped = 0, earlierUnknown = 0, rateLimited = 0, excluded = 0, repeated = 0
        }
        let counts = Mutex(Counts())
        let fatal = Mutex<OctopodsError?>(nil)
        let sent = Mutex<[(line: Int, id: String)]>([])
        func add(_ change: (inout Counts) -> Void) { counts.withLock { change(&$0) } }
        var snapshot: Counts { counts.withLock { $0 } }
        func stop(_ error: OctopodsError) { fatal.withLock { if $0 == nil { $0 = error } } }
        var stopped: OctopodsError? { fatal.withLock { $0 } }
        /// Stops the run because the journal cannot be written (a full disk): said at the end in
        /// a sentence with the run's counts (`journalFailed`).
        func journalUnwritable(_ error: any Error) {
            let reason = (error as? OctopodsError).map(BulkRun.describe) ?? "cannot write the journal"
            fatal.withLock { if $0 == nil { $0 = .failed(reason); journalFailed.withLock { $0 = true } } }
        }
        let journalFailed = Mutex(false)
        /// Whether the repeat guard's failure to read the history was said (once a run).
        let guardWarned = Mutex(false)
        /// Who hears of rejected rows and pauses (the progress line, the --rejected file).
        let reporters = Mutex<(progress: Progress?, rejected: RejectedFile?)>((nil, nil))
        func rejectedRow(_ row: Prepared, reason: String) {
            let (progress, file) = reporters.withLock { $0 }
            progress?.rejected(line: row.line, phone: row.phone, reason: reason)
            file?.write(row.row, reason: reason)
        }
    }

    // MARK: Run

    package func run() async throws(OctopodsError) -> CommandOutput {
        let input = try openInput()
        let settings = try ctx.resolvedSettings()
        if send.dryRun { return try await dryRun(input, settings: settings) }
        // The journal before anything else: a second run of this input refuses here, and so
        // does a journal of another command or input, or of a run this one must not repeat.
        let journalURL = try journalURL(input, settings: settings, create: true)
        let journal = try await Journal.open(
            journalURL, input: input.identity, command: command, newRun: options.newRun,
            resendUnknown: options.resendUnknown, now: ctx.now(), profile: settings.profile.value)
        linkContentJournal(journal, input: input, settings: settings)
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
        let history = ctx.historyRecorder(settings, disabled: send.noLedger)
        defer { history?.close() }
        let repeats = try repeatGuard(history, settings: settings)
        let sentBefore =
            journal.decision == .replace(newRun: false) ? Self.sentBefore(journal.previous, profile: settings.profile.value) : [:]
        let (plan, paced, check, exclude, notices) = try await checkEveryRow(
            input, earlier: earlier, settings: settings,
            sentBefore: sentBefore, snapshot: snapshot(repeats))
        if check.invalid > 0 && !options.skipInvalid {
            throw .invalidInput(
                "\(NumberText.grouped(check.invalid)) of \(NumberText.counted(check.rows, "row")) \(check.invalid == 1 ? "is" : "are") invalid (listed above); nothing was sent",
                hint: "Fix them and run again, or send only the valid rows with --skip-invalid.")
        }
        if let changed = Self.changedSinceEarlier(check, journal: journalURL) { throw changed }
        if check.earlierSkips > 0 {
            ctx.notice(
                "Resuming \(journalURL.path): \(NumberText.counted(check.earlierSkips, "row")) already handled by an earlier run \(check.earlierSkips == 1 ? "is" : "are") skipped."
            )
        }
        if check.sentBefore > 0 {
            let when = journal.previous.finish?.at.map { " at \(JournalTime.display($0))" } ?? " by an earlier run"
            ctx.notice(
                "\(NumberText.counted(check.sentBefore, "row")) identical to rows sent\(when) \(check.sentBefore == 1 ? "is" : "are") skipped; --new-run sends them again."
            )
        }
        if check.repeats > 0 {
            ctx.notice(
                "\(NumberText.counted(check.repeats, "row")) \(check.repeats == 1 ? "is" : "are") identical to messages the history shows as sent within repeat_window (\(DurationText.format(seconds: settings.repeatWindow ?? 0))) or kept under the same idempotency key, and \(check.repeats == 1 ? "is" : "are") skipped; --allow-repeat sends them."
            )
        }
        if let max = options.maxMessages, check.toSend > max {
            throw .invalidInput(
                "this run would send \(NumberText.counted(check.toSend, "message")), more than --max-messages \(NumberText.grouped(max)); nothing was sent"
            )
        }
        if check.toSend > 100, !options.yes, ctx.stdinIsTTY,
            !ctx.confirm(Progress.question(plan: plan, recipients: check.toSend, profile: settings.profile.value, rate: paced.rate))
        {
            throw .invalidInput("not confirmed; nothing was sent", hint: "Pass --yes to skip the question.")
        }

        // Pass 2: send exactly the rows checked, never more than counted.
        let tally = Tally()
        let output = OutputLines(ctx.stdout, mode: OutputLines.mode(ctx), fields: options.fields)
        let queue = try RowQueue(
            input: input, delimiter: options.delimiter, phoneColumn: check.phoneColumn, plan: plan,
            earlier: earlier, checked: check.checked, invalidLines: check.invalidLines,
            limit: min(check.toSend, options.maxMessages ?? Int.max) + check.repeats, resendUnknown: options.resendUnknown,
            exclude: exclude, sentBefore: check.sentBeforeLines, keyColumn: options.idempotencyColumn, output: output, tally: tally)
        let progress = Progress(ctx: ctx, total: check.toSend, tally: tally, budget: paced.rate)
        tally.reporters.withLock { $0 = (progress, check.rejectedFile) }
        notices.attach(progress)
        defer { notices.attach(nil) }
        ctx.takeOverInterrupts()
        let sendStarted = ctx.now()
        let ticker = progress.startTicker()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<options.concurrency {
                group.addTask {
                    while !ctx.isInterrupted(), tally.stopped == nil, let row = await queue.next() {
                        await self.send(
                            row, plan: plan, client: paced, journal: journal, output: output,
                            tally: tally, history: history, repeats: repeats, source: input.name)
                        progress.update()
                    }
                }
            }
        }
        ticker?.cancel()
        progress.finish()
        if !ctx.isInterrupted(), tally.stopped == nil {
            // Every row went through: a later run of the same content is refused.
            do { try await journal.finish(at: ctx.now()) } catch {
                ctx.warn("\(Self.describe(error)) (a later run of this file would resume it rather than refuse)")
            }
        }
        let counts = tally.snapshot
        let elapsed = ctx.now().timeIntervalSince(sendStarted)
        progress.summary(
            counts, elapsed: elapsed, journal: journalURL.path, rejectedFile: check.rejectedFile, invalid: check.invalid,
            pauses: ctx.rateBudgets.stats.pauses)
        if counts.unknown + counts.earlierUnknown > 0 {
            let n = counts.unknown + counts.earlierUnknown
            ctx.stderr.write(
                "warning: \(NumberText.counted(n, "row")) went out with no recorded answer (status \"unknown\"); \(n == 1 ? "it" : "they") may have been delivered. Check 'octopods messages list' before resending \(n == 1 ? "it" : "them") with --resend-unknown.\n"
            )
        }

        var code: ExitCode = .success
        if ctx.isInterrupted() {
            ctx.stderr.write("Interrupted: in-flight requests finished and the journal is written; run the same command again to resume.\n")
            return CommandOutput(exitCode: .interrupted)
        }
        if let fatal = tally.stopped {
            if tally.journalFailed.withLock({ $0 }), case .failed(let reason, _) = fatal {
                // The journal could not be written (a full disk): what, how far the run got, what next.
                let went = counts.accepted + counts.rejected + counts.unknown
                throw .failed(
                    "\(reason). The run stopped there: \(NumberText.grouped(went)) of \(NumberText.counted(check.toSend, "row")) went out, each recorded in the journal",
                    hint: "Make room, then run the same command again: it resumes with the rows not sent yet.")
            }
            throw fatal
        }
        if counts.rejected > 0 { code = .rejected }
        if counts.unknown + counts.earlierUnknown > 0 { code = .unknownOutcome }
        if send.wait, let channel = plan.statusChannel {
            let waited = await waitForAll(
                channel: channel, sent: tally.sent.withLock { $0 }, client: paced,
                output: output, history: history)
            if code == .success { code = waited }
        }
        return CommandOutput(table: output.table(), exitCode: code)
    }

    /// Makes the plan (fetching the template) and checks every row, before anything is sent.
    /// Returns the client the run sends with: every request waits its turn in the key's shared
    /// budget, through any 429 pause.
    func checkEveryRow(
        _ input: Input, earlier: [Int: Journal.Entry], settings: Settings, sentBefore: [String: Journal.Entry] = [:],
        snapshot: RepeatGuard.Snapshot? = nil
    ) async throws(OctopodsError)
        -> (plan: BulkPlan, client: APIClient, check: Check, exclude: ExcludeList?, notices: ProgressNotices)
    {
        // Notices said while the progress line is up (a 429 pause) go above it, not through it.
        let notices = ProgressNotices(ctx.stderr)
        var noticeContext = ctx
        noticeContext.stderr = notices
        var client = noticeContext.apiClient(settings)
        client.rate = Pacer.RateFlag.resolve(options.rate, profile: settings.rate)
        client.patience = .unlimited
        client.notice = nil
        let plan = try await makePlan(client)
        let exclude = try options.exclude.map { path throws(OctopodsError) in try ExcludeList(path: path, phoneColumn: options.phoneColumn)
        }
        let started = ctx.now()
        let check = try validate(input, plan: plan, earlier: earlier, exclude: exclude, sentBefore: sentBefore, snapshot: snapshot)
        let checkedIn = ctx.now().timeIntervalSince(started)
        ctx.notice(
            "Checked \(NumberText.counted(check.rows, "row")) in \(NumberText.decimal(checkedIn))s: \(NumberText.grouped(check.valid)) valid, \(NumberText.grouped(check.invalid)) invalid"
                + (check.excluded > 0 ? ", \(NumberText.grouped(check.excluded)) excluded (--exclude)" : "") + ".")
        if let file = check.rejectedFile, check.invalid > check.duplicates {
            ctx.notice("Invalid rows written to \(file.path) with a reason column: fix them there and send that file.")
        }
        if let file = check.rejectedFile, check.duplicates > 0 {
            ctx.notice(
                "\(NumberText.counted(check.duplicates, "duplicate row")) (the same phone and content as an earlier row) \(check.duplicates == 1 ? "is" : "are") left out of \(file.path): the earlier row is the one sent."
            )
        }
        return (plan, client, check, exclude, notices)
    }

    /// Rows that make another message than the unfinished run recorded for them (the same file
    /// sent with another --body or --var): resuming would mix two campaigns.
    static func changedSinceEarlier(_ check: Check, journal: URL) -> OctopodsError? {
        guard check.changed > 0 else { return nil }
        return .invalidInput(
            "\(NumberText.grouped(check.changed)) rows would make another message than the unfinished run in the journal \(journal.path) sent for them (another --body, --var or option?); nothing was sent",
            hint:
                "Finish that run with the options it began with, or start over with --new-run (the old journal is kept, renamed with its time)."
        )
    }

    /// Whether the repeat guard looks for identical messages sent lately: not with --allow-repeat,
    /// nor --new-run (sending the input again is asked for). Idempotency keys hold regardless.
    var lookForRepeats: Bool { !send.allowRepeat && !options.newRun }

    /// The run's repeat guard; nil without a history (--no-ledger, `ledger = off`), which is said
    /// once when it would have looked, and refused when keys need it.
    func repeatGuard(_ history: HistoryRecorder?, settings: Settings) throws(OctopodsError) -> RepeatGuard? {
        if let history { return history.repeatGuard(window: settings.repeatWindow) }
        if options.idempotencyColumn != nil {
            throw .usage(
                UsageError(
                    "--idempotency-column needs the history, which \(send.noLedger ? "--no-ledger" : "profile '\(settings.profile.value)' (ledger = off)") turns off"
                ))
        }
        if lookForRepeats, settings.repeatWindow != nil { ctx.warn(RepeatGuard.noHistoryWarning(send.noLedger)) }
        return nil
    }

    /// The history as the check reads it; nil (said) when it cannot be read: each row's claim
    /// in the send pass still looks.
    func snapshot(_ repeats: RepeatGuard?) -> RepeatGuard.Snapshot? {
        guard let repeats else { return nil }
        do { return try repeats.snapshot(lookForRepeats: lookForRepeats) } catch {
            ctx.warn(RepeatGuard.unreadableWarning(error))
            return nil
        }
    }

    /// Whether a claim keeps a row from being sent: an identical message sent lately, or its
    /// key's first send; but not, with --resend-unknown, one whose outcome is unknown.
    func isRepeat(_ claim: RepeatGuard.Claim) -> Bool {
        switch claim {
        case .repeated(let earlier): return !(options.resendUnknown && earlier.outcome == .unknown && earlier.inFlight == nil)
        case .sameKey: return true
        case .go, .keyConflict: return false
        }
    }

    /// The rows an earlier run of this input with this profile sent (or may have: no recorded
    /// answer), or skipped as sent before, by their message hash: a grown file sends only its new
    /// or changed rows. (The hash covers recipient and body; the journal, channel and template.)
    static func sentBefore(_ previous: Journal.Summary, profile: String) -> [String: Journal.Entry] {
        guard previous.lastStart?.profile ?? profile == profile else { return [:] }
        var rows: [String: Journal.Entry] = [:]
        for entry in previous.states.values where entry.state.wentOut || entry.state == .repeated { rows[entry.hash] = entry }
        return rows
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
        var sentBefore: [String: Journal.Entry] = [:]
        var refusal: OctopodsError?
        if let previous = try Journal.peek(journalURL) {
            do {
                switch try Journal.decide(
                    previous, input: input.identity, command: command, journal: journalURL,
                    newRun: options.newRun, resendUnknown: options.resendUnknown)
                {
                case .resume: earlier = previous.states
                case .fresh: break
                case .replace(let newRun):
                    if !newRun { sentBefore = Self.sentBefore(previous, profile: settings.profile.value) }
                    let when = previous.finish?.at.map { " at \(JournalTime.display($0))" } ?? ""
                    ctx.notice(
                        newRun
                            ? "A real run would start over (--new-run), keeping the journal \(journalURL.path) renamed."
                            : "\(input.name) changed since the run that finished\(when): a real run would be a new run.")
                }
            } catch {
                refusal = error
                // Count what the journal holds for this command: the rows a real run would not send.
                if previous.command == command { earlier = previous.states }
            }
        }
        let history = ctx.historyRecorder(settings, disabled: send.noLedger)
        defer { history?.close() }
        let (plan, paced, check, exclude, _) = try await checkEveryRow(
            input, earlier: earlier, settings: settings, sentBefore: sentBefore,
            snapshot: snapshot(try repeatGuard(history, settings: settings)))
        refusal = refusal ?? Self.changedSinceEarlier(check, journal: journalURL)
        var summary: JSONValue = [
            "rows": .int(check.rows), "valid": .int(check.valid), "invalid": .int(check.invalid),
            "to_send": .int(check.toSend), "in_journal": .int(check.earlierSkips), "journal": .string(journalURL.path),
            "repeat": .int(check.repeats + check.sentBefore),
        ]
        if exclude != nil { summary.set("excluded", .int(check.excluded)) }
        if plan.segments != nil { summary.set("segments", .int(check.segments)) }
        ctx.notice("Dry run: nothing was sent.")
        if check.earlierSkips > 0 {
            ctx.notice("The journal \(journalURL.path) already holds \(NumberText.grouped(check.earlierSkips)) of these rows.")
        }
        if let refusal {
            let report = refusal.report(now: ctx.now)
            ctx.notice("A real run would stop here: \(report.message)" + (report.hint.map { "\n\($0)" } ?? ""))
        }
        return CommandOutput(
            json: summary, text: Self.dryRunText(check, plan: plan, rate: paced.rate, excluded: exclude != nil),
            exitCode: check.invalid > 0 || refusal != nil ? .usage : .success)
    }

    /// What `--dry-run` shows a person (JSON when piped): the counts, the time it would take, the
    /// segments of an SMS run, and the first rows as their recipients will read them.
    static func dryRunText(_ check: Check, plan: BulkPlan, rate: Pacer.Rate?, excluded: Bool) -> String {
        var counts = [
            "\(NumberText.counted(check.rows, "row"))", "\(NumberText.grouped(check.valid)) valid",
            "\(NumberText.grouped(check.invalid)) invalid", "\(NumberText.grouped(check.earlierSkips)) skipped (in the journal)",
        ]
        if excluded { counts.append("\(NumberText.grouped(check.excluded)) excluded") }
        var text = counts.joined(separator: ", ") + "\n"
        text += "Would send \(NumberText.counted(check.toSend, "message"))"
        if let rate {
            text +=
                ", in about \(NumberText.duration(Double(check.toSend) / Double(rate.count) * rate.window)) at \(Progress.rateText(rate))"
        }
        if plan.segments != nil { text += "; \(NumberText.counted(check.segments, "SMS segment")) in all (billed per segment)" }
        text += ".\n"
        if !check.samples.isEmpty {
            text += "\nThe first \(check.samples.count == 1 ? "row" : "\(check.samples.count) rows") as the recipients will read them:\n"
            for sample in check.samples {
                text += "\nline \(sample.line), to \(sample.phone):\n"
                text +=
                    sample.text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
            }
        }
        return text
    }

    // MARK: Pass 1

    struct Check {
        var rows = 0, valid = 0, invalid = 0, toSend = 0, earlierSkips = 0, excluded = 0
        /// Rows the history shows as sent lately (or under their key), and rows identical to
        /// rows an earlier run of this input sent: not sent, and not counted in `toSend`.
        var repeats = 0
        var sentBefore: Int { sentBeforeLines.count }
        /// Invalid rows that repeat an earlier row of the input (left out of --rejected).
        var duplicates = 0
        /// The lines of the rows an earlier run of this input sent, and what it recorded.
        var sentBeforeLines: [Int: Journal.Entry] = [:]
        /// Rows whose message differs from what the journal recorded for their line.
        var changed = 0
        /// The fingerprint of every valid row: the send pass sends only rows found here.
        var checked = Set<UInt64>()
        /// The lines of the invalid rows, reported here and skipped quietly by the send pass.
        var invalidLines = Set<Int>()
        var phoneColumn: String?
        var rejectedFile: RejectedFile?
        /// The first valid rows as their recipients will read them (`plan.preview`), and the
        /// segments of every valid row (SMS).
        var samples: [(line: Int, phone: String, text: String)] = []
        var segments = 0
    }

    func validate(
        _ input: Input, plan: BulkPlan, earlier: [Int: Journal.Entry], exclude: ExcludeList? = nil,
        sentBefore: [String: Journal.Entry] = [:], snapshot: RepeatGuard.Snapshot? = nil
    ) throws(OctopodsError) -> Check {
        let reader = try input.reader(delimiter: options.delimiter)
        var check = Check()
        check.phoneColumn = try checkHeader(reader, plan: plan, name: input.name)
        if let phone = check.phoneColumn { reader.copyColumn(phone, to: "phone") }
        if let path = options.rejected {
            check.rejectedFile = try RejectedFile(path: path, format: reader.format, columns: reader.columns, dialect: reader.dialect)
        }
        // Sized once from an estimate: letting the set double as it fills costs its old and
        // new tables at once (24 MB at a million rows), a third of the memory budget.
        check.checked.reserveCapacity(Self.estimatedRows(input))
        var keys = Set<String>()
        while let row = try reader.next() {
            check.rows += 1
            do {
                if let problem = row.problem { throw OctopodsError.invalidInput(problem) }
                let (phone, body) = try plan.prepare(row)
                if let exclude, exclude.contains(phone) {
                    check.excluded += 1
                    continue
                }
                let fingerprint = body.fingerprint()
                guard check.checked.insert(fingerprint).inserted else {
                    // Not written to --rejected: its recipient gets this message from the earlier row.
                    check.invalid += 1
                    check.duplicates += 1
                    check.invalidLines.insert(row.line)
                    ctx.stderr.write("line \(row.line): the same phone and content as an earlier row (a duplicate)\n")
                    continue
                }
                let key = options.idempotencyColumn.flatMap { BulkColumns.value(row, $0) }
                if let key, !keys.insert(key).inserted {
                    throw OctopodsError.invalidInput(
                        "the same idempotency key as an earlier row ('\(TerminalText.sanitize(key))'): one key is one message")
                }
                // The history, read once before the check (a row's claim in the send pass has the last word).
                var found: RepeatGuard.Claim?
                if let snapshot, !snapshot.isEmpty {
                    found = snapshot.look(snapshot.guardian.message(plan.endpoint(body), to: phone, key: key))
                    if case .keyConflict(let earlier)? = found { throw RepeatGuard.keyConflict(earlier, key: key ?? "") }
                }
                check.valid += 1
                if let segments = plan.segments { check.segments += segments(body) }
                if check.samples.count < 3, let preview = plan.preview { check.samples.append((row.line, phone, preview(row, body))) }
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
                if let entry = sentBefore[String(fingerprint, radix: 16)] {
                    check.sentBeforeLines[row.line] = entry
                    continue
                }
                if let found, isRepeat(found) {
                    check.repeats += 1
                    continue
                }
                check.toSend += 1
            } catch let error as OctopodsError {
                check.invalid += 1
                check.invalidLines.insert(row.line)
                let reason = Self.describe(error)
                ctx.stderr.write("line \(row.line): \(reason)\n")
                check.rejectedFile?.write(row, reason: reason)
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
        case .accepted, .rejected, .excluded, .repeated: return true
        case .sending, .unknown: return !resendUnknown
        case .notSent: return false
        }
    }

    static func describe(_ error: OctopodsError) -> String {
        switch error {
        case .invalidInput(let message, _): return TerminalText.sanitize(message)
        case .usage(let usage): return TerminalText.sanitize(usage.message)
        default: return TerminalText.sanitize(error.message())
        }
    }

    // MARK: Pass 2

    func send(
        _ row: Prepared, plan: BulkPlan, client: APIClient, journal: Journal, output: OutputLines, tally: Tally,
        history: HistoryRecorder?, repeats: RepeatGuard?, source: String
    ) async {
        if row.excluded || row.sentBefore != nil {
            do {
                try await journal.record(
                    Journal.Entry(
                        line: row.line, hash: row.hash, state: row.excluded ? .excluded : .repeated,
                        messageID: row.sentBefore?.messageID))
            } catch {
                tally.journalUnwritable(error)
            }
            return
        }
        let base: JSONValue = ["line": .int(row.line), "phone": .string(row.phone)]
        let endpoint = plan.endpoint(row.body)
        while true {
            // Wait for a slot first: only a row whose request is about to go out is "sending".
            let slot: APIClient.Reservation
            do {
                slot = try await client.reserve(endpoint)
            } catch {
                if case .interrupted = error { return }
                // A pause longer than the run may wait (a 429's time hours away): nothing was
                // sent; every later row would wait the same, so the run stops.
                var line = base
                line.set("status", BulkRowStatus.notSent.json)
                line.set("error", .string(error.message(now: ctx.now)))
                output.write(line)
                tally.stop(error)
                return
            }
            if ctx.isInterrupted() { client.release(slot); return }
            do {
                try await journal.record(Journal.Entry(line: row.line, hash: row.hash, state: .sending))
            } catch {
                tally.journalUnwritable(error)
                return
            }
            // The history's word last, just before the request (another run may have sent it
            // meanwhile), after the journal's "sending": a run killed in between leaves the row
            // unknown in its journal and a reservation read as unknown, never a row sent twice
            // nor one that a resumed run takes for another's repeat.
            var message: RepeatGuard.Message?
            if let repeats {
                guard let claimed = await claim(row, endpoint: endpoint, repeats: repeats, tally: tally) else {
                    client.release(slot)
                    try? await journal.record(Journal.Entry(line: row.line, hash: row.hash, state: .notSent))
                    return
                }
                switch claimed {
                case .go(let claimed):
                    message = claimed
                case .repeated(let earlier), .sameKey(let earlier):
                    client.release(slot)
                    var line = base
                    line.set("status", BulkRowStatus.repeated.json)
                    line.set("message_id", earlier.messageID.map(JSONValue.string) ?? .null)
                    line.set("note", .string(RepeatGuard.notSentAgain(earlier, key: row.key)))
                    tally.add { $0.repeated += 1 }
                    do {
                        try await journal.record(
                            Journal.Entry(line: row.line, hash: row.hash, state: .repeated, messageID: earlier.messageID))
                    } catch {
                        tally.journalUnwritable(error)
                    }
                    output.write(line)
                    return
                case .keyConflict(let earlier):
                    client.release(slot)
                    var line = base
                    line.set("status", BulkRowStatus.notSent.json)
                    line.set("error", .string(Self.describe(RepeatGuard.keyConflict(earlier, key: row.key ?? ""))))
                    tally.add { $0.skipped += 1 }
                    do {
                        try await journal.record(Journal.Entry(line: row.line, hash: row.hash, state: .notSent))
                    } catch {
                        tally.journalUnwritable(error)
                    }
                    output.write(line)
                    return
                }
            }
            let result: Result<APIResponse<SendResult>, OctopodsError>
            do { result = .success(try await client.send(endpoint, in: slot)) } catch { result = .failure(error) }
            // A 429 (resent below) is not recorded: it was not processed.
            await history?.sentWaitingOffThePool(endpoint, to: row.phone, result: result, source: "\(source):\(row.line)", message: message)
            var entry = Journal.Entry(line: row.line, hash: row.hash, state: .accepted)
            var line = base
            switch result {
            case .success(let response):
                entry.messageID = response.value.messageID
                line.set("status", BulkRowStatus.accepted.json)
                line.set("message_id", response.value.messageID.map(JSONValue.string) ?? .null)
                tally.add { $0.accepted += 1 }
                if let id = response.value.messageID { tally.sent.withLock { $0.append((row.line, id)) } }
            case .failure(let error):
                let report = error.report(now: ctx.now)
                if case .api(let api) = error, api.status == 429, Clamp.plausibleRetry(api.retryAt, now: ctx.now()) {
                    // Not processed: the budget pauses every process for the cool-down (and says
                    // so once), then this row goes again. (An absurd retry time falls through:
                    // the row is not sent, the run stops, exit 4.)
                    tally.add { $0.rateLimited += 1 }
                    continue
                }
                // The API's own words too (as the summary and the rejected file give them).
                line.set("error", .string(RejectedFile.reason(report)))
                if let code = report.errorCode { line.set("error_code", .int(code)) }
                switch error.disposition {
                case .refused:
                    entry.state = .rejected
                    entry.error = report.message
                    line.set("status", BulkRowStatus.rejected.json)
                    tally.add { $0.rejected += 1 }
                    tally.rejectedRow(row, reason: RejectedFile.reason(report))
                case .notSent, .interrupted(requestInFlight: false):
                    // Every later row would fail the same way: stop, resume when fixed.
                    entry.state = .notSent
                    line.set("status", BulkRowStatus.notSent.json)
                    tally.stop(error)
                case .interrupted(requestInFlight: true):
                    entry.state = .unknown
                    line.set("status", BulkRowStatus.unknown.json)
                    tally.add { $0.unknown += 1 }
                case .outcomeUnknown, .sentUnconfirmed:
                    entry.state = .unknown
                    entry.error = report.message
                    line.set("status", BulkRowStatus.unknown.json)
                    tally.add { $0.unknown += 1 }
                }
            }
            // Unwritten, the row stays "sending" in the journal: a resumed run does not send it again.
            do { try await journal.record(entry) } catch { tally.journalUnwritable(error) }
            output.write(line)
            return
        }
    }

    /// The repeat guard's claim of a row; when the history cannot be read, said once and sent
    /// without the check, except a row with a key (it cannot be honoured): nil, and the run stops.
    func claim(_ row: Prepared, endpoint: Endpoint<SendResult>, repeats: RepeatGuard, tally: Tally) async -> RepeatGuard.Claim? {
        do {
            let message = repeats.message(endpoint, to: row.phone, key: row.key)
            let claim = try await repeats.claim(message, lookForRepeats: lookForRepeats)
            guard case .repeated = claim, !isRepeat(claim) else { return claim }
            // --resend-unknown: a send whose outcome is unknown goes again, as asked.
            return try await repeats.claim(message, lookForRepeats: false)
        } catch {
            guard row.key == nil else {
                tally.stop(error)
                return nil
            }
            let said = tally.guardWarned.withLock { said in
                defer { said = true }
                return said
            }
            if !said { ctx.warn(RepeatGuard.unreadableWarning(error)) }
            return .go(nil)
        }
    }

    /// --wait after a bulk run: follows every accepted message to a final state, paced.
    func waitForAll(
        channel: Channel, sent: [(line: Int, id: String)], client: APIClient,
        output: OutputLines, history: HistoryRecorder?
    ) async -> ExitCode {
        let follower = StatusFollower(
            ctx: ctx, client: client, channel: channel, until: send.until, afterSend: true, total: ctx.waitLimits().total, narrate: false)
        var failed = false
        var finals = 0
        let left: [(index: Int, learned: StatusFollower.Learned)]
        do {
            left = try await follower.follow(sent.map(\.id)) { index, final in
                finals += 1
                let item = sent[index]
                await history?.learnedWaitingOffThePool(final.status, channel: channel, messageID: item.id)
                var line: JSONValue = [
                    "line": .int(item.line), "message_id": .string(item.id), "final_status": .string(final.status.status.rawValue),
                ]
                if let failure = final.status.failure { line.set("failure", .string(failure)) }
                output.write(line)
                if final.code == .rejected { failed = true }
            }
        } catch {
            if case .interrupted = error.disposition { return .interrupted }
            // The key or the address refused (401, 403, a rotated key), or the checks cannot reach
            // the API: every later check would fail too. Stop, as a single --wait does: the sends
            // were accepted, their final status is not confirmed (exit 6).
            let report = error.report(now: ctx.now)
            var what = "failed"
            if case .api(let api) = error, api.isAccessProblem { what = "were refused" }
            ctx.stderr.write(
                "error: the status checks of --wait \(what): \(report.message); "
                    + "\(NumberText.counted(sent.count - finals, "message")) sent but not confirmed\n")
            if let hint = report.hint { ctx.stderr.write("hint: \(hint)\n") }
            return .unconfirmed
        }
        if !left.isEmpty {
            ctx.stderr.write(
                "error: \(NumberText.counted(left.count, "message")) had no final status before the --wait-timeout deadline\n")
            return .unconfirmed
        }
        if ctx.isInterrupted() { return .interrupted }
        return failed ? .rejected : .success
    }
}
