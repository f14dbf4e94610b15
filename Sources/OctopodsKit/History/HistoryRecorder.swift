#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport

/// Records a run's sends, and the statuses it learns, in the history ledger. A ledger that
/// cannot be written never fails a send that went out: it is said once on stderr.
package final class HistoryRecorder: Sendable {
    let ledger: Ledger
    let profile: String
    let ctx: Context
    private let warned = Mutex(false)
    /// Where the ledger's lock is waited for by async callers (a bulk run's workers): off the
    /// cooperative pool.
    let io = BlockingQueue("octopods.history")

    /// The repeat guard's store shared by machines (`state_store = redis://…`), if any, and how
    /// long it keeps a message (the profile's repeat_window): read from the run's settings once.
    let shared: SharedRepeats?
    let sharedWindow: Double?

    init(ledger: Ledger, profile: String, ctx: Context) {
        self.ledger = ledger; self.profile = profile; self.ctx = ctx
        let settings = ctx.sandbox == nil ? try? ctx.resolvedSettings() : nil
        if case .redis(let address)? = settings?.stateStore {
            shared = SharedRepeats(client: ctx.redisClients.client(address).0)
        } else {
            shared = nil
        }
        sharedWindow = settings?.repeatWindow
    }

    /// What a failed send means for the ledger, from the error's disposition: nil when the
    /// request was certainly not processed (usage, auth, a 429, no connection), which is not a send.
    static func outcome(_ error: OctopodsError) -> SendOutcome? {
        switch error.disposition {
        case .refused: return .rejected
        case .sentUnconfirmed: return .accepted
        case .outcomeUnknown, .interrupted(requestInFlight: true): return .unknown
        case .notSent, .interrupted(requestInFlight: false): return nil
        }
    }

    /// Records a send; `message`: what the repeat guard reserved for it (its fingerprint and
    /// key go on the line; a send that was certainly not made gives the reservation back).
    package func sent(
        _ endpoint: Endpoint<SendResult>, to: String, result: Result<APIResponse<SendResult>, OctopodsError>,
        source: String? = nil, message: RepeatGuard.Message? = nil
    ) {
        let kind: String
        switch endpoint.family {
        case .whatsappInteractive: kind = "interactive"
        case .sms: kind = "sms"
        case .whatsappTemplates, .vbm: kind = "template"
        }
        var record = LedgerRecord(
            time: ctx.now(), type: .send, profile: profile, channel: endpoint.channel, kind: kind,
            templateID: endpoint.templateID, to: to, source: source)
        record.templateName = endpoint.templateName
        record.fingerprint = message?.fingerprint
        record.idempotencyKey = message?.key
        switch result {
        case .success(let response):
            record.outcome = .accepted
            record.messageID = response.value.messageID
            record.requestID = response.value.requestID
        case .failure(let error):
            guard let outcome = Self.outcome(error) else {
                if let message { release(message) }
                return
            }
            if outcome == .rejected, let message, let shared { recordShared(shared, message, outcome: nil, record: record) }
            let report = error.report(now: ctx.now)
            record.outcome = outcome
            record.error = ([report.message] + report.details.filter { !$0.hasPrefix("request_id:") }).joined(separator: "; ")
            record.requestID = report.requestID
        }
        if let message, let shared, record.outcome != .rejected { recordShared(shared, message, outcome: record.outcome, record: record) }
        append(record)
    }

    /// The send's result in the state store shared by machines; a store that cannot be written
    /// now is said once (the send went out: nothing to stop).
    func recordShared(_ shared: SharedRepeats, _ message: RepeatGuard.Message, outcome: SendOutcome?, record: LedgerRecord) {
        do {
            try shared.record(
                message, profile: profile, outcome: outcome, messageID: record.messageID, requestID: record.requestID,
                window: sharedWindow, time: record.time)
        } catch {
            failedToWrite(error)
        }
    }

    /// `sent`, on the history's queue: for async callers, whose threads must not wait for a lock.
    package func sentWaitingOffThePool(
        _ endpoint: Endpoint<SendResult>, to: String, result: Result<APIResponse<SendResult>, OctopodsError>, source: String? = nil,
        message: RepeatGuard.Message? = nil
    ) async {
        await io.run { () -> Void in self.sent(endpoint, to: to, result: result, source: source, message: message) }
    }

    /// `learned`, on the history's queue.
    package func learnedWaitingOffThePool(_ status: MessageStatus, channel: Channel, messageID: String) async {
        await io.run { () -> Void in self.learned(status, channel: channel, messageID: messageID) }
    }

    /// Gives back a reservation whose message was not sent (a 429, no connection, Ctrl-C before the request).
    package func release(_ message: RepeatGuard.Message) {
        do { try repeatGuard(window: nil).release(message) } catch { failedToWrite(error) }
        if let shared {
            do { try shared.release(message, profile: profile, window: sharedWindow) } catch { failedToWrite(error) }
        }
    }

    /// The repeat guard over this history: identical messages within `window` (nil: none looked
    /// for); a claim waits for another process's reservation up to the run's request timeout.
    package func repeatGuard(window: Double?) -> RepeatGuard {
        RepeatGuard(recorder: self, window: window, patience: (ctx.globals.timeout ?? Defaults.timeout) + 5, shared: shared)
    }

    package func learned(_ status: MessageStatus, channel: Channel, messageID: String) {
        guard status.status != .unknown else { return }
        append(
            LedgerRecord(
                time: ctx.now(), type: .status, profile: profile, channel: channel, messageID: messageID,
                status: status.status, failure: status.failure))
    }

    func append(_ record: LedgerRecord) {
        do {
            try ledger.append([record])
        } catch {
            failedToWrite(error, record: record)
        }
    }

    /// Said once per run: sends go on, unrecorded. What was sent is said with it, so it can
    /// still be found: the request went out before this.
    func failedToWrite(_ error: OctopodsError, record: LedgerRecord? = nil) {
        let first = warned.withLock { warned in
            defer { warned = true }
            return !warned
        }
        if first {
            let what = record.map { $0.type == .send ? " (not recorded: \($0.line))" : "" } ?? ""
            ctx.warn("\(error.message(now: ctx.now)); sends of this run are not recorded in the history\(what)")
        }
    }

    package func close() { ledger.close() }
}

extension Context {
    /// The recorder for a send run, from the settings its client was made with (--sandbox runs
    /// are profile "sandbox"); nil with --no-ledger or the profile's `ledger = off`.
    func historyRecorder(_ settings: Settings, disabled: Bool) -> HistoryRecorder? {
        guard !disabled, settings.ledger else { return nil }
        return HistoryRecorder(
            ledger: Ledger(url: Ledger.location(self, baseURL: settings.baseURL.value)), profile: settings.profile.value, ctx: self)
    }
}
