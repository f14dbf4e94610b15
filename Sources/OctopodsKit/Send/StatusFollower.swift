#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// Follows messages' delivery statuses until each is final (per `until`) or the wait's deadline
/// passes: the one loop of every `--wait` (a send's, `status --wait`, a bulk run's). Each round
/// asks once for every message not final yet, then pauses as `PollSchedule` says.
///
/// Status checks are read-only, so a check that failed in a way asking again can mend (a 429, a
/// dropped connection, a 5xx) is asked again next round; after a send, "Message not found." means
/// not known yet (as UNKNOWN does), and the wait goes on. Any other failure (the key or the address
/// refused, TLS that cannot be trusted) would fail for every later check too: it is thrown, and
/// the caller, which knows what was sent, says what that means.
struct StatusFollower {
    let ctx: Context
    let client: APIClient
    let channel: Channel
    let until: DeliveryStatus
    /// The API has just accepted these messages.
    let afterSend: Bool
    /// The whole wait, in seconds (--wait-timeout).
    let total: Double
    /// Say on stderr what happens on the way (a single message's statuses, retries); a bulk
    /// run's lines say it per message instead.
    let narrate: Bool

    /// A message's final status.
    struct Final {
        var status: MessageStatus
        var raw: JSONValue
        /// 0 for a status that counts as done, 1 for a failure (`MessageStatus.outcome`).
        var code: ExitCode
    }

    /// What the checks of a message not final at the deadline learned.
    struct Learned {
        /// The last status the API gave, with its JSON.
        var status: (MessageStatus, JSONValue)?
        /// Since then (or from the start) the API has not known the message (after a send).
        var notKnownYet: OctopodsError?
    }

    /// Follows `ids`; `reached` hears of each final status as it comes (by index into `ids`).
    /// Returns the messages still not final when the deadline passed, with what was learned of
    /// each; empty when every one reached a final status. Throws `.interrupted` on Ctrl-C, and
    /// a failure of a check that asking again cannot mend.
    func follow(
        _ ids: [String], reached: (Int, Final) async -> Void
    ) async throws(OctopodsError) -> [(index: Int, learned: Learned)] {
        var schedule = PollSchedule(timeout: total, now: ctx.now())
        var pending = ids.indices.map { (index: $0, learned: Learned()) }
        var shown: [Int: DeliveryStatus] = [:]
        while !pending.isEmpty {
            var next: [(index: Int, learned: Learned)] = []
            for var item in pending {
                if ctx.isInterrupted() { throw .interrupted }
                let id = ids[item.index]
                do {
                    let response = try await client.send(API.messageStatus(channel: channel, id: id))
                    let status = response.value.status
                    if let code = MessageStatus.outcome(status, until: until) {
                        await reached(item.index, Final(status: response.value, raw: response.raw, code: code))
                        continue
                    }
                    item.learned = Learned(status: (response.value, response.raw))
                    // The final status is the command's output: only the ones on the way are said here.
                    if narrate, shown[item.index] != status {
                        ctx.notice("Message \(id): \(status.rawValue)")
                        shown[item.index] = status
                    }
                } catch {
                    try noteFailure(error, of: id, item: &item, schedule: &schedule)
                }
                next.append(item)
            }
            pending = next
            if pending.isEmpty { break }
            guard let pause = schedule.nextPause(now: ctx.now()) else { return pending }
            do { try await ctx.sleep(pause) } catch { throw .interrupted }
        }
        return []
    }

    /// A failed check: noted for the next round when asking again can mend it, else thrown.
    private func noteFailure(
        _ error: OctopodsError, of id: String, item: inout (index: Int, learned: Learned), schedule: inout PollSchedule
    ) throws(OctopodsError) {
        if case .interrupted = error.disposition { throw error }
        let report = error.report(now: ctx.now)
        if afterSend, error.disposition == .refused, case .api = error {
            if narrate, item.learned.notKnownYet == nil {
                ctx.notice("Message \(id): not known to the API yet (\(report.details.first ?? report.message)); retrying.")
            }
            item.learned.notKnownYet = error
            return
        }
        guard error.retryable else { throw error }
        if case .api(let api) = error, let retryAt = api.retryAt {
            schedule.pauseAtLeast(retryAt.timeIntervalSince(ctx.now()) + 1)
        }
        if narrate { ctx.notice("Status check failed (\(report.message)); retrying.") }
    }
}
