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

    init(ledger: Ledger, profile: String, ctx: Context) {
        self.ledger = ledger; self.profile = profile; self.ctx = ctx
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

    package func sent(_ endpoint: Endpoint<SendResult>, to: String, result: Result<APIResponse<SendResult>, OctopodsError>,
                      source: String? = nil) {
        let kind: String
        switch endpoint.family {
        case .whatsappInteractive: kind = "interactive"
        case .sms: kind = "sms"
        case .whatsappTemplates, .vbm: kind = "template"
        }
        var record = LedgerRecord(time: ctx.now(), type: .send, profile: profile, channel: endpoint.channel, kind: kind,
                                  templateID: endpoint.templateID, to: to, source: source)
        record.templateName = endpoint.templateName
        switch result {
        case .success(let response):
            record.outcome = .accepted
            record.messageID = response.value.messageID
            record.requestID = response.value.requestID
        case .failure(let error):
            guard let outcome = Self.outcome(error) else { return }
            let report = ErrorReporter(now: ctx.now).report(error)
            record.outcome = outcome
            record.error = ([report.message] + report.details.filter { !$0.hasPrefix("request_id:") }).joined(separator: "; ")
            record.requestID = report.requestID
        }
        append(record)
    }

    package func learned(_ status: MessageStatus, channel: Channel, messageID: String) {
        guard status.status != .unknown else { return }
        append(LedgerRecord(time: ctx.now(), type: .status, profile: profile, channel: channel, messageID: messageID,
                            status: status.status, failure: status.failure))
    }

    func append(_ record: LedgerRecord) {
        do {
            try ledger.append([record])
        } catch {
            let first = warned.withLock { warned in
                defer { warned = true }
                return !warned
            }
            if first {
                // What was sent, so it can still be found: the request went out before this.
                let what = record.type == .send ? " (not recorded: \(record.line))" : ""
                ctx.warn("\(ErrorReporter(now: ctx.now).report(error).message); sends of this run are not recorded in the history\(what)")
            }
        }
    }

    package func close() { ledger.close() }
}

extension Context {
    /// The recorder for a send run, from the settings its client was made with (--sandbox runs
    /// are profile "sandbox"); nil with --no-ledger or the profile's `ledger = off`.
    func historyRecorder(_ settings: Settings, disabled: Bool) -> HistoryRecorder? {
        guard !disabled, settings.ledger else { return nil }
        return HistoryRecorder(ledger: Ledger(url: Ledger.location(self, baseURL: settings.baseURL.value)), profile: settings.profile.value, ctx: self)
    }
}
