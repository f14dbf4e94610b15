#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// "At most N requests in any S seconds", as the API counts them: a sliding window, so a run
/// never earns the 5-minute cool-down by itself. (A token bucket that starts full would allow
/// 2N in the first S seconds.) Every request of the key goes through one pacer: sends, status
/// polls and template fetches alike, since the limit is per key. A 429 pauses everyone.
package actor Pacer {
    package struct Rate: Sendable, Equatable {
        package var count: Int
        package var window: Double

        package init(count: Int, window: Double) { self.count = count; self.window = window }

        /// The documented limit: 55 requests per 10 seconds per key (330 a minute).
        package static let documented = Rate(count: 55, window: 10)

        /// `55/10s`, `55/10`, `330/1m`.
        package static func parse(_ text: String) -> Rate? {
            let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let count = Int(parts[0]), count > 0,
                  let window = DurationParser.seconds(parts[1]), window > 0 else { return nil }
            return Rate(count: count, window: window)
        }

        /// A `--rate` flag's value: nil for `off`.
        package static func option(_ text: String, path: [String]) throws(OctopodsError) -> Rate? {
            if text == "off" { return nil }
            guard let rate = parse(text) else {
                throw .usage(UsageError("invalid value for '--rate': '\(text)' is not N/DURATION (e.g. 55/10s) or off", path: path))
            }
            return rate
        }

        /// Requests arrive a little later than they leave, and not all equally late; spacing
        /// the window out by 1% (at most 100 ms) keeps the server's count under the limit.
        var spacing: Double { window + min(window * 0.01, 0.1) }
    }

    let rate: Rate?
    let now: @Sendable () -> Date
    let sleep: @Sendable (Double) async throws -> Void
    /// The last `rate.count` requests, oldest first: when each started, replaced by when it
    /// finished once it has. Counting a request's window from its completion is what makes the
    /// pacing safe whatever the latency: it reached the server no later than it finished.
    private var recent: [(ticket: Int, time: Date)] = []
    private var nextTicket = 0
    private var pausedUntil: Date?
    package private(set) var acquired = 0

    /// `rate` nil: no pacing (the sandbox with its limit off, for throughput measurements).
    package init(rate: Rate?, now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Double) async throws -> Void) {
        self.rate = rate; self.now = now; self.sleep = sleep
    }

    /// Waits until one more request fits in the window, then counts it as started; give the
    /// returned ticket to `finished` when its answer (or failure) arrives.
    @discardableResult
    package func acquire() async throws -> Int {
        while true {
            let t = now()
            if let until = pausedUntil, until > t {
                try await sleep(until.timeIntervalSince(t))
                continue
            }
            nextTicket += 1
            guard let rate else { acquired += 1; return nextTicket }
            if recent.count >= rate.count {
                let free = recent[0].time.addingTimeInterval(rate.spacing)
                guard free <= t else {
                    nextTicket -= 1
                    try await sleep(free.timeIntervalSince(t))
                    continue
                }
                recent.removeFirst()
            }
            recent.append((nextTicket, t))
            acquired += 1
            return nextTicket
        }
    }

    /// The request with this ticket is over: its window now counts from this moment.
    package func finished(_ ticket: Int) {
        guard let i = recent.firstIndex(where: { $0.ticket == ticket }) else { return }
        recent[i].time = now()
        // Keep the oldest first: a slow request finishing late moves behind quicker ones.
        recent.sort { $0.time < $1.time }
    }

    /// A 429 arrived anyway: nobody sends until `until`.
    package func pause(until: Date) {
        if pausedUntil.map({ until > $0 }) ?? true { pausedUntil = until }
    }
}
