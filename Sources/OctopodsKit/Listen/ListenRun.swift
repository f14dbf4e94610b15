#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// The messages `listen` follows: this profile's accepted WhatsApp and SMS sends in the window
/// that are not final, each with the status last known and when to ask again.
struct ListenWatch {
    struct Message {
        var send: LedgerRecord
        var status: DeliveryStatus?
        var nextPoll: Date
    }

    private(set) var messages: [String: Message] = [:]

    /// How long to wait between polls of a message sent `age` seconds ago: statuses move fast
    /// at first, then rarely, so 1,000 messages in flight cost few requests.
    static func interval(age: Double) -> Double {
        switch age {
        case ..<300: return 10
        case ..<3_600: return 30
        case ..<21_600: return 120
        case ..<86_400: return 600
        default: return 1_800
        }
    }

    /// Takes in what the ledger holds now: new sends are watched from the status it knows;
    /// those that left the window are dropped. A watched message keeps the status this run
    /// saw, so a change another command recorded meanwhile still makes its event here.
    mutating func update(_ entries: [HistoryEntry], since: Date, now: Date) {
        messages = messages.filter { $0.value.send.time >= since }
        for entry in entries {
            guard let key = entry.send.messageKey, messages[key] == nil else { continue }
            messages[key] = Message(send: entry.send, status: entry.status, nextPoll: now)
        }
    }

    mutating func set(_ key: String, status: DeliveryStatus, now: Date) {
        guard var message = messages[key] else { return }
        message.status = status
        if HistoryEntry(send: message.send, status: status).isFinal {
            messages[key] = nil
            return
        }
        message.nextPoll = now.addingTimeInterval(Self.interval(age: now.timeIntervalSince(message.send.time)))
        messages[key] = message
    }

    mutating func postpone(_ key: String, until: Date) {
        messages[key]?.nextPoll = until
    }

    /// The messages due at `now` (all of them with `all`), the longest waiting first, then the oldest sends.
    func due(_ now: Date, all: Bool) -> [(key: String, message: Message)] {
        messages.filter { all || $0.value.nextPoll <= now }.map { (key: $0.key, message: $0.value) }
            .sorted { ($0.message.nextPoll, $0.message.send.time) < ($1.message.nextPoll, $1.message.send.time) }
    }

    var nextPoll: Date? { messages.values.map(\.nextPoll).min() }
}

/// One `octopods listen` run: scan the ledger, poll what is due within the budget, emit,
/// record and queue events, deliver the queue, wait; until interrupted (exit 0).
struct ListenRun {
    enum Window {
        case last(Double)
        case from(Date)
    }

    let ctx: Context
    let settings: Settings
    let window: Window
    let kinds: Set<ListenEvent.Kind>
    let sink: (any EventSink)?
    let outbox: Outbox?
    let ledgerURL: URL
    /// nil with the profile's `ledger = off`: then there is nothing to follow either.
    let recorder: HistoryRecorder?
    var client: APIClient
    var watch = ListenWatch()
    var status: ListenStatusLine

    var events = 0
    var lastScan: Date?
    var ledgerSize: Int64 = -1
    var viberSkipped = 0
    /// Deliveries: consecutive failures, and when to try again.
    var failures = 0
    var retryAt = Date.distantPast
    var pollProblem: String?

    init(
        ctx: Context, settings: Settings, window: Window, kinds: Set<ListenEvent.Kind>, budget: Double,
        sink: (any EventSink)?, outbox: Outbox?
    ) {
        self.ctx = ctx; self.settings = settings; self.window = window; self.kinds = kinds; self.sink = sink; self.outbox = outbox
        ledgerURL = Ledger.location(ctx, baseURL: settings.baseURL.value)
        recorder = ctx.historyRecorder(settings, disabled: false)
        client = ctx.apiClient(settings)
        // A guest of the key's budget: a share of the profile's rate counted against every
        // request of the key, so it gets a slot only while sends leave room (docs/rate-limits.md).
        let rate = settings.rate ?? .documented
        client.rate = Pacer.Rate(count: max(1, Int((Double(rate.count) * budget).rounded(.down))), window: rate.window)
        client.patience = .unlimited
        client.notice = nil
        status = ListenStatusLine(ctx: ctx)
    }

    var since: Date {
        switch window {
        case .last(let seconds): ctx.now().addingTimeInterval(-seconds)
        case .from(let date): date
        }
    }

    mutating func run(polls: Int?) async throws(OctopodsError) -> CommandOutput {
        defer { recorder?.close() }
        if recorder == nil {
            ctx.warn(
                "the history is off for profile '\(settings.profile.value)' (ledger = off): sends are not recorded, so there is nothing to follow"
            )
        }
        if let outbox, !outbox.pending.isEmpty, let sink {
            ctx.notice("\(NumberText.counted(outbox.pending.count, "event")) from an earlier run waiting for \(sink.name).")
        }
        var cycles = 0
        do {
            while !stopped {
                let pollsLeft = polls.map { cycles < $0 } ?? true
                try scanIfNeeded(every: polls != nil)
                if pollsLeft, polls != nil || (watch.nextPoll.map { $0 <= ctx.now() } ?? false) {
                    try await poll(all: polls != nil)
                    cycles += 1
                }
                try await deliver()
                if let polls, cycles >= polls, outbox?.pending.isEmpty ?? true { break }
                if polls.map({ cycles < $0 }) == true { continue }
                try await wait()
            }
        } catch .interrupted {
            // Ctrl-C or SIGTERM: what was learned is recorded and queued; a clean stop.
        }
        status.clear()
        let queued = outbox?.pending.count ?? 0
        ctx.notice(
            "Stopped after \(NumberText.counted(events, "event"))"
                + (queued > 0 ? "; \(NumberText.grouped(queued)) queued for the next run." : "."))
        return .none
    }

    var stopped: Bool { ctx.isInterrupted() || Task.isCancelled }

    // MARK: The ledger

    /// Reads the ledger again when it grew (a send, a status) and 10 s passed, or every minute
    /// (the window moves); `always` with --polls. (A scan of a 292 MB ledger's last 72 hours
    /// takes about 0.25 s: docs/performance.md.)
    mutating func scanIfNeeded(every always: Bool) throws(OctopodsError) {
        let now = ctx.now()
        var info = stat()
        let size = stat(ledgerURL.path, &info) == 0 ? Int64(info.st_size) : 0
        if !always, let lastScan, now.timeIntervalSince(lastScan) < (size != ledgerSize ? 10 : 60) { return }
        let first = lastScan == nil
        lastScan = now
        ledgerSize = size
        var query = HistoryQuery()
        query.since = since
        query.profile = settings.profile.value
        query.limit = 0
        var entries: [HistoryEntry] = []
        var viber = 0
        _ = try query.run(ledgerURL) { entry in
            guard entry.send.messageID != nil, entry.send.outcome == .accepted, !entry.isFinal else { return }
            if entry.send.channel == .vbm { viber += 1 } else { entries.append(entry) }
        }
        if viber > viberSkipped { ctx.notice("Skipping \(NumberText.counted(viber, "Viber message")): Viber has no status endpoint.") }
        viberSkipped = viber
        watch.update(entries, since: query.since ?? .distantPast, now: now)
        if first {
            ctx.notice(
                "Watching \(NumberText.counted(watch.messages.count, "message")) of profile '\(settings.profile.value)' not final yet (\(ledgerURL.path))."
            )
        }
    }

    // MARK: Polling

    mutating func poll(all: Bool) async throws(OctopodsError) {
        let now = ctx.now()
        let due = watch.due(now, all: all)
        guard !due.isEmpty else { return }
        var single = due.filter { $0.message.send.channel != .whatsapp }
        let whatsapp = due.filter { $0.message.send.channel == .whatsapp }
        do throws(OctopodsError) {
            if !whatsapp.isEmpty {
                // One request tells up to 100 WhatsApp statuses; what it does not list is asked one by one.
                var listed: [String: MessageSummary] = [:]
                do {
                    for item in try await client.send(API.listMessages(limit: 100)).value {
                        if let id = item.messageID, listed[id] == nil { listed[id] = item }
                    }
                } catch {
                    guard isRefusal(error) else { throw error }
                }
                for entry in whatsapp {
                    if let id = entry.message.send.messageID, let item = listed[id], let status = item.status {
                        try learned(entry.key, status, failure: item.failure)
                    } else {
                        single.append(entry)
                    }
                }
            }
            for (done, entry) in single.enumerated() {
                guard let id = entry.message.send.messageID, watch.messages[entry.key] != nil else { continue }
                if stopped { throw OctopodsError.interrupted }
                // A long round (many SMS at a small share of the rate) still delivers as it goes.
                try await deliver()
                status.show(
                    "Asking about \(NumberText.grouped(done + 1)) of \(NumberText.counted(single.count, "message")) · \(NumberText.counted(events, "event"))"
                )
                do {
                    let status = try await client.send(API.messageStatus(channel: entry.message.send.channel, id: id)).value
                    try learned(entry.key, status.status, failure: status.failure)
                } catch {
                    // The API refuses ids it does not know (any more): it keeps only a key's recent messages.
                    guard isRefusal(error) else { throw error }
                    try learned(entry.key, .expired, failure: nil)
                }
            }
            pollProblem = nil
        } catch {
            if case .interrupted = error { throw error }
            let report = error.report(now: ctx.now)
            if report.code == .auth { throw error }
            // Anything else (network, server, a cool-down longer than an hour) fails every
            // request alike: try again later, from the messages still due.
            let retry: Double
            if case .api(let api) = error, let at = api.retryAt { retry = max(at.timeIntervalSince(ctx.now()), 1) } else { retry = 30 }
            for entry in due where watch.messages[entry.key]?.nextPoll ?? .distantFuture <= now || all {
                watch.postpone(entry.key, until: ctx.now().addingTimeInterval(retry))
            }
            if pollProblem != report.message {
                status.clear()
                ctx.notice("Polling failed: \(report.message); trying again in \(DurationText.format(seconds: retry.rounded(.up))).")
            }
            pollProblem = report.message
        }
    }

    func isRefusal(_ error: OctopodsError) -> Bool {
        error.disposition == .refused && error.report(now: ctx.now).code == .rejected
    }

    /// A status seen for a watched message: its events (the stages passed since the last
    /// known status) are queued (on disk first), the status recorded in the history, then emitted.
    mutating func learned(_ key: String, _ new: DeliveryStatus, failure: String?) throws(OctopodsError) {
        guard let message = watch.messages[key], let messageID = message.send.messageID else { return }
        let now = ctx.now()
        let changes = ListenEvent.kinds(from: message.status, to: new)
        guard !changes.isEmpty else {
            watch.set(key, status: message.status ?? new, now: now)
            return
        }
        let made = changes.map { kind in
            ListenEvent(
                kind: kind, time: now, send: message.send, status: ListenEvent.status(of: kind, reached: new),
                failure: kind == .failed ? failure : nil)
        }.filter { kinds.contains($0.kind) }
        for event in made { try outbox?.add(event) }
        recorder?.learned(
            MessageStatus(messageID: messageID, status: new, failure: failure), channel: message.send.channel, messageID: messageID)
        for event in made { emit(event) }
        watch.set(key, status: new, now: now)
    }

    mutating func emit(_ event: ListenEvent) {
        events += 1
        status.clear()
        if ctx.format == .table {
            let send = event.send
            var line = "\(Vocabulary.localTime(event.time))  \(event.kind.type)  \(send.channel.rawValue) \(send.messageID ?? "?")"
            if let to = send.to { line += " to \(to)" }
            if let failure = event.failure { line += ": \(failure)" }
            ctx.stdout.write(TerminalText.sanitize(line) + "\n")
        } else {
            ctx.stdout.write(event.json.serialized() + "\n")
        }
    }

    // MARK: Delivering

    /// Delivers the queue in order while the receiver acknowledges; after a failure, waits
    /// 1 s, 2 s, 4 s … (at most 5 minutes) before the next try.
    mutating func deliver() async throws(OctopodsError) {
        guard let sink, let outbox else { return }
        while let item = outbox.pending.first, ctx.now() >= retryAt {
            if stopped { throw .interrupted }
            status.show("Delivering \(item.id) to \(sink.name)…")
            if let problem = await sink.deliver(item) {
                if stopped { throw .interrupted }
                failures += 1
                let delay = min(pow(2, Double(min(failures, 20) - 1)), 300)
                retryAt = ctx.now().addingTimeInterval(delay)
                status.clear()
                ctx.notice(
                    "Delivering \(item.id) to \(sink.name) failed (\(problem)); trying again in \(DurationText.format(seconds: delay))"
                        + " (\(NumberText.counted(outbox.pending.count, "event")) waiting).")
                return
            }
            failures = 0
            try outbox.acknowledge(item.id)
        }
    }

    // MARK: Waiting

    /// Until the next poll or delivery is due, a second at a time (the status line counts down).
    mutating func wait() async throws(OctopodsError) {
        let now = ctx.now()
        var next = watch.nextPoll ?? now.addingTimeInterval(5)
        if let outbox, !outbox.pending.isEmpty { next = min(next, retryAt) }
        let seconds = min(max(next.timeIntervalSince(now), 0.05), 1)
        let pending = outbox?.pending.count ?? 0
        let nextIn = watch.nextPoll.map { DurationText.format(seconds: max($0.timeIntervalSince(now), 0).rounded(.up)) }
        status.show(
            "Watching \(NumberText.counted(watch.messages.count, "message"))"
                + (nextIn.map { " · next poll in \($0)" } ?? "") + " · \(NumberText.counted(events, "event"))"
                + (pending > 0 ? " · \(NumberText.grouped(pending)) to deliver" : ""))
        do { try await ctx.sleep(seconds) } catch { throw .interrupted }
    }
}

/// The line at the bottom of a terminal that says what `listen` is doing, rewritten in place
/// on stderr; nothing when stderr is not a terminal or with -q.
struct ListenStatusLine {
    let ctx: Context
    private var shown = false

    init(ctx: Context) { self.ctx = ctx }

    var enabled: Bool { ctx.stderrIsTTY && !ctx.globals.quiet }

    mutating func show(_ text: String) {
        guard enabled else { return }
        let width = max((ctx.terminalWidth ?? 80) - 1, 10)
        ctx.stderr.write("\r\u{1B}[2K" + TerminalText.sanitize(String(text.prefix(width))))
        shown = true
    }

    mutating func clear() {
        guard shown else { return }
        ctx.stderr.write("\r\u{1B}[2K")
        shown = false
    }
}

extension ListenEvent {
    /// The status an event stands for: its own stage, or what was reached for a failure.
    static func status(of kind: Kind, reached: DeliveryStatus) -> DeliveryStatus {
        switch kind {
        case .sent: .sent
        case .delivered: .delivered
        case .read: .read
        case .deleted: .deleted
        case .expired: .expired
        case .failed: reached
        }
    }
}
