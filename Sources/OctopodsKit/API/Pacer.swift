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

/// This process's side of a key's shared rate budget (`RateBudget`, kept in a file every
/// octopods process using the key locks and updates): every request of the key, whatever the
/// command, takes a slot here first (`APIClient` does it), and reports its answer.
///
/// "At most N requests in any S seconds", as the API counts them: a sliding window, so no run
/// earns the 5-minute cool-down that stops every integration using the key. (A token bucket
/// that starts full would allow 2N in the first S seconds.) A 429 anywhere pauses every process
/// until its retry time plus a safety second; then one request probes, and the rest follow
/// evenly spaced. A 429 although the window was respected halves the key's rate, which grows
/// back slowly after quiet (docs/rate-limits.md).
package final class Pacer: Sendable {
    package struct Rate: Sendable, Equatable, CustomStringConvertible {
        package var count: Int
        package var window: Double

        package init(count: Int, window: Double) { self.count = count; self.window = window }

        /// The documented limit: 55 requests per 10 seconds per key (330 a minute).
        package static let documented = Rate(count: 55, window: 10)

        /// `55/10s`, `55/10`, `330/1m`.
        package static func parse(_ text: String) -> Rate? {
            let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let count = Int(parts[0]), count > 0,
                let window = DurationParser.seconds(parts[1]), window > 0, window.isFinite
            else { return nil }
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
        package var spacing: Double { window + min(window * 0.01, 0.1) }

        package var description: String { "\(count)/\(DurationText.format(seconds: window))" }
    }

    /// A `--rate` flag as given: it overrides the profile's `rate` for one command.
    package enum RateFlag: Sendable, Equatable {
        case off
        case limit(Rate)

        package init(_ text: String, path: [String]) throws(OctopodsError) {
            self = try Rate.option(text, path: path).map(RateFlag.limit) ?? .off
        }

        /// The rate in force: the flag's, or `profile` when the flag was not given.
        package static func resolve(_ flag: RateFlag?, profile: Rate?) -> Rate? {
            switch flag {
            case nil: return profile
            case .off?: return nil
            case .limit(let rate)?: return rate
            }
        }
    }

    /// How long a request may wait for a pause (a 429's cool-down) to end.
    package enum Patience: Sendable, Equatable {
        /// Not at all: a pause in force fails the request at once (exit 4), nothing sent.
        case none
        /// Until this time (`--max-wait`); 429s and refused connections are retried until then.
        case until(Date)
        /// As long as it takes (bulk runs, history refresh), for a pause of up to an hour
        /// (`Clamp.longestRetryWait`): a longer one stops the run, nothing sent.
        case unlimited

        /// Whether a pause ending at `end` may be waited for.
        package func covers(_ end: Date, now: Date) -> Bool {
            switch self {
            case .none: return false
            case .until(let deadline): return end <= deadline
            case .unlimited: return end.timeIntervalSince(now) <= Clamp.longestRetryWait
            }
        }
    }

    /// The outside world of a pacer; tests give a virtual one.
    package struct Clock: Sendable {
        package var wall: @Sendable () -> Date
        /// Seconds on a clock every process on the machine shares and nobody sets.
        package var monotonic: @Sendable () -> Double
        package var sleep: @Sendable (Double) async throws -> Void
        /// Changes when the machine reboots (and the monotonic clock restarts).
        package var boot: String
        /// Whether a process is still running.
        package var alive: @Sendable (Int32) -> Bool = { pid in kill(pid, 0) == 0 || errno == EPERM }
        package var pid: Int32 = getpid()

        package init(
            wall: @escaping @Sendable () -> Date, monotonic: @escaping @Sendable () -> Double,
            sleep: @escaping @Sendable (Double) async throws -> Void, boot: String
        ) {
            self.wall = wall; self.monotonic = monotonic; self.sleep = sleep; self.boot = boot
        }

        /// CLOCK_MONOTONIC in seconds.
        package static func systemMonotonic() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }

        /// This boot's id (`/proc/sys/kernel/random/boot_id`); empty when unreadable.
        package static func systemBootID() -> String {
            let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? ""
            return String(text.filter { $0.isHexDigit || $0 == "-" }.prefix(64))
        }
    }

    /// A slot taken: give it back to `finish` with the request's answer.
    package struct Slot: Sendable {
        package let id: String
        package let rate: Rate?
        /// When it was given (monotonic).
        package let granted: Double
    }

    /// Why no slot was given.
    package enum Stop: Error, Equatable {
        /// A pause lasts beyond the request's patience; nothing was sent.
        case paused(until: Date)
        case interrupted
        /// The budget's store, shared with other machines, cannot be used; nothing was sent.
        case storeUnavailable(String)
    }

    /// What this process saw, for the bulk summary.
    package struct Stats: Sendable, Equatable {
        package var rateLimited = 0
        package var pauses = 0
    }

    private struct Local {
        var store: any RateBudgetStore
        var counter = 0
        var announcedPause: Double?
        var announcedWindow = false
        var traced = false
        var warned = false
        var stats = Stats()
    }

    let clock: Clock
    let notice: @Sendable (String) -> Void
    let interrupted: @Sendable () -> Bool
    let prefix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    private let local: Mutex<Local>
    private let io = BlockingQueue("octopods.rate-budget")

    package init(
        store: any RateBudgetStore, clock: Clock, notice: @escaping @Sendable (String) -> Void = { _ in },
        interrupted: @escaping @Sendable () -> Bool = { false }
    ) {
        self.clock = clock; self.notice = notice; self.interrupted = interrupted
        local = Mutex(Local(store: store))
    }

    package var stats: Stats { local.withLock { $0.stats } }

    /// Reads and changes the shared budget; a file that cannot be used is said once, then this
    /// process paces by itself. A store shared with other machines (Redis) that cannot be used
    /// stops the request instead: pacing alone would break the budget the machines share.
    private func update<T>(keep: Double, _ change: (inout RateBudget) -> T) throws(Stop) -> T {
        let now = clock.monotonic(), wall = clock.wall().timeIntervalSince1970
        let boot = clock.boot, alive = clock.alive
        let store = local.withLock { $0.store }
        let body = { (budget: inout RateBudget) -> T in
            budget.sanitize(now: now, wallNow: wall, boot: boot, keep: keep, alive: alive)
            return change(&budget)
        }
        do {
            return try store.update(body)
        } catch {
            guard store.mayPaceAlone else { throw .storeUnavailable(error.description) }
            let memory = MemoryRateBudget()
            let first = local.withLock { l -> Bool in
                defer { l.warned = true; l.store = memory }
                return !l.warned
            }
            if first {
                notice(
                    "warning: the rate budget shared with other octopods processes cannot be used (\(error)); "
                        + "this process paces by itself")
            }
            do { return try memory.update(body) } catch {
                var fresh = RateBudget()
                return change(&fresh)
            }
        }
    }

    /// Waits until the budget gives a slot under `rate` (nil: no window, pauses only).
    package func acquire(
        rate: Rate?, patience: Patience, announceWaits: Bool = false,
        trace: (@Sendable (String) -> Void)? = nil
    ) async throws(Stop) -> Slot {
        let id = local.withLock { l -> String in
            l.counter += 1
            return "\(prefix)-\(l.counter)"
        }
        let keep = rate?.spacing ?? 0
        while true {
            let now = clock.monotonic()
            let pid = clock.pid
            // The budget file's lock is waited for on a queue of its own, off the cooperative pool.
            let (wait, summary) = try await io.run { () throws(Stop) -> (RateBudget.Wait?, String) in
                try self.update(keep: keep) { budget -> (RateBudget.Wait?, String) in
                    let summary = trace == nil ? "" : Self.describe(budget, now: now, rate: rate)
                    return (budget.acquire(id: id, pid: pid, now: now, rate: rate), summary)
                }
            }
            if let trace,
                local.withLock({ l in
                    defer { l.traced = true }; return !l.traced
                })
            {
                let path = local.withLock { $0.store.path }
                trace("* rate budget: \(summary)" + (path.map { " (\($0))" } ?? " (this process only)") + "\n")
            }
            guard let wait else { return Slot(id: id, rate: rate, granted: now) }
            let seconds = max(0, wait.until - now)
            switch wait {
            case .pause(_, let wallEnd):
                let end = Date(timeIntervalSince1970: wallEnd)
                // How long is told by the monotonic clock: the wall clock may have jumped since.
                let wallNow = clock.wall()
                if !patience.covers(wallNow.addingTimeInterval(seconds), now: wallNow) { throw .paused(until: end) }
                let first = local.withLock { l -> Bool in
                    guard l.announcedPause.map({ abs($0 - wallEnd) > 0.5 }) ?? true else { return false }
                    l.announcedPause = wallEnd
                    l.stats.pauses += 1
                    return true
                }
                if first {
                    notice(
                        "Rate limited (HTTP 429): every octopods process using this key waits until \(ErrorReporter.utc(end))"
                            + " (\(DurationText.format(seconds: seconds.rounded(.up)))).")
                }
            case .window:
                if announceWaits, seconds >= 2, let rate,
                    local.withLock({ l in
                        defer { l.announcedWindow = true }; return !l.announcedWindow
                    })
                {
                    notice(
                        "Waiting \(DurationText.format(seconds: seconds.rounded(.up))) for the rate limit "
                            + "(\(rate) per key, shared by every octopods process using the key).")
                }
            case .probe:
                break
            }
            // In steps of at most a second, so that an interrupted bulk run stops waiting; at
            // least a millisecond, so that a clock's rounding cannot make it spin.
            repeat {
                if interrupted() { throw .interrupted }
                let step = min(max(wait.until - clock.monotonic(), 0.001), 1)
                do { try await clock.sleep(step) } catch { throw .interrupted }
            } while clock.monotonic() < wait.until
            if interrupted() { throw .interrupted }
        }
    }

    /// The budget as it stands, taking no slot (`doctor`): when a 429's pause in force ends on
    /// the wall clock (nil when none is), and the -v summary of the rest.
    package func state(rate: Rate?) throws(Stop) -> (pauseEnd: Date?, summary: String) {
        let now = clock.monotonic()
        return try update(keep: rate?.spacing ?? 0) { budget in
            var end: Date?
            if let until = budget.pauseUntil, until > now, let wall = budget.pauseWall { end = Date(timeIntervalSince1970: wall) }
            return (end, Self.describe(budget, now: now, rate: rate))
        }
    }

    /// The request of `slot` is over; `answer` is what it got. `announce`: say when the
    /// key's rate was cut (not when the command is about to fail with the 429 anyway).
    package func finish(_ slot: Slot, _ answer: RateBudget.Answer, announce: Bool = true) {
        let now = clock.monotonic(), wall = clock.wall().timeIntervalSince1970
        let event: RateBudget.Event?
        do {
            event = try update(keep: slot.rate?.spacing ?? 0) { budget in
                budget.finish(id: slot.id, granted: slot.granted, now: now, wallNow: wall, answer: answer)
            }
        } catch {
            // The request is over: nothing to stop. Its slot ages out of the shared window.
            if local.withLock({ l in
                defer { l.warned = true }; return !l.warned
            }) {
                notice("warning: the answer could not be recorded in the shared rate budget (\(error))")
            }
            return
        }
        if case .rateLimited = answer { local.withLock { $0.stats.rateLimited += 1 } }
        guard let event, announce else { return }
        if let cut = event.cutTo, let from = event.from {
            notice(
                "This key allows fewer requests than \(from): pacing at \(cut) from now on "
                    + "(remembered for later runs; it grows back after quiet).")
        }
    }

    /// The -v line: what the budget holds now.
    static func describe(_ budget: RateBudget, now: Double, rate: Rate?) -> String {
        var parts: [String] = []
        if let rate {
            let inWindow = budget.entries.filter { !$0.finished || $0.time > now - rate.spacing }.count
            let effective = budget.effective(rate)
            parts.append("\(inWindow) of \(effective.count) requests in the last \(DurationText.format(seconds: rate.window)) taken")
            if effective != rate { parts.append("learned rate \(effective) (configured \(rate))") }
        } else {
            parts.append("no window (--rate off)")
        }
        if let until = budget.pauseUntil, until > now, let wall = budget.pauseWall {
            parts.append("paused until \(ErrorReporter.utc(Date(timeIntervalSince1970: wall)))")
        }
        if budget.total429 > 0 { parts.append("\(budget.total429) answers 429 so far") }
        return parts.joined(separator: "; ")
    }
}

/// A run's pacers, one per budget file, shared by every client the run makes: one notice per
/// pause, one set of counts for the summary.
package final class RateBudgets: Sendable {
    private let pacers = Mutex<[String: Pacer]>([:])

    package init() {}

    package func pacer(_ name: String, make: () -> Pacer) -> Pacer {
        pacers.withLock { all in
            if let existing = all[name] { return existing }
            let made = make()
            all[name] = made
            return made
        }
    }

    /// The counts of every pacer of the run.
    package var stats: Pacer.Stats {
        pacers.withLock { all in
            all.values.reduce(into: Pacer.Stats()) { sum, pacer in
                let s = pacer.stats
                sum.rateLimited += s.rateLimited
                sum.pauses += s.pauses
            }
        }
    }
}
