#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The shared rate budget of one API key on one base URL, as every octopods process on the
/// machine sees it (kept in a small locked file, `RateBudgetFile`; see docs/rate-limits.md).
///
/// Times in it are seconds on the machine's monotonic clock (the same for every process, never
/// moved by NTP or by hand), except `pauseWall`, the wall-clock end of a pause, which is what
/// the API's 429 says and what messages show. A reboot restarts the monotonic clock: `boot`
/// tells, and the pause is then re-derived from its wall-clock end (docs/linux-notes.md).
///
/// Nothing read from the file is trusted to be sane: `sanitize` bounds every time by `now`, so
/// stale or corrupt state, a crashed holder or a jumping clock delays requests by at most one
/// window (or `maxPause`), never for ever.
package struct RateBudget: Sendable, Equatable {
    /// One request that took a slot: when it started, then (once answered) when it finished.
    package struct Entry: Sendable, Equatable {
        package var id: String
        package var pid: Int32
        package var time: Double
        package var finished: Bool
    }

    package var boot = ""
    package var entries: [Entry] = []
    /// Nobody sends before this (monotonic); `pauseWall` is the same moment on the wall clock.
    package var pauseUntil: Double?
    package var pauseWall: Double?
    /// When the latest 429 was recorded: a 429 to a request granted before it is a straggler
    /// of the same event (it was already in flight), not a new one.
    package var lastEventAt: Double?
    /// After a pause, one request (the probe) goes first; the rest wait for its answer.
    package var needsProbe = false
    package var probe: (id: String, at: Double)?
    /// After a successful probe, requests are spaced evenly (no burst) until this time.
    package var trickleUntil: Double?
    package var lastGrant: Double?
    /// How long answered requests are kept: the longest window a process used in the last hour.
    package var keep: (seconds: Double, at: Double)?
    /// The learned rate: smaller than the configured one after 429s that came although the
    /// window was respected; grows back by one request per window every `growEvery` of quiet.
    package var learned: Pacer.Rate?
    package var learnedChangedAt: Double?
    /// The rate in force at the latest cut: growth stays below it for `failureMemory`.
    package var failedCount: Int?
    package var failedAt: Double?
    /// 429 events in a row with no other answer between: each doubles the least pause.
    package var strikes = 0
    /// 429 answers ever recorded here (shown by -v).
    package var total429 = 0

    package init() {}

    package static func == (a: RateBudget, b: RateBudget) -> Bool {
        a.serialized() == b.serialized()
    }

    // MARK: Tunables

    /// Added to every retry time: the API prints whole seconds (docs/api-notes.md).
    package static let safetyMargin = 1.0
    /// No pause is longer than this, whatever a 429 (or a corrupt file) says. The documented
    /// cool-down is 5 minutes, but a server that names a later time is obeyed by every process
    /// up to a day (docs/rate-limits.md); an absurd time ("try after 9999-12-31") pauses a day.
    package static let maxPause = 86_400.0
    /// The longest window whose requests are kept for processes that pace by a shorter one (or
    /// none): a longer stored value is taken for corrupt.
    package static let maxKeep = 600.0
    /// A 429 without a readable retry time pauses for the documented cool-down.
    package static let defaultCooldown = 300.0
    /// A request still unanswered after this long is not waited for any more (its process died
    /// or hangs; the transport's own timeout is 30 s by default).
    package static let maxInFlight = 120.0
    /// A probe unanswered after this long lets the next request probe instead.
    package static let probeTimeout = 35.0
    /// Quiet needed for the learned rate to grow by one.
    package static let growEvery = 60.0
    /// How long growth stays below the rate that last failed.
    package static let failureMemory = 3600.0

    // MARK: Decisions

    package enum Wait: Sendable, Equatable {
        /// A 429's pause: until then (monotonic), ending at `wall` on the wall clock.
        case pause(until: Double, wall: Double)
        /// The window is full, or requests are being spaced out after a pause.
        case window(until: Double)
        /// Another request is probing after a pause; ask again soon.
        case probe(until: Double)

        package var until: Double {
            switch self {
            case .pause(let until, _), .window(let until), .probe(let until): return until
            }
        }
    }

    /// The rate in force under an upper bound: the learned one when it is lower.
    package func effective(_ upper: Pacer.Rate) -> Pacer.Rate {
        guard let learned else { return upper }
        // In Double until it is bounded: a window far smaller than the upper one would overflow Int.
        let scaled = (Double(learned.count) * upper.window / learned.window).rounded(.down)
        let count = scaled.isNaN ? upper.count : Int(max(1, min(Double(upper.count), scaled)))
        return Pacer.Rate(count: count, window: upper.window)
    }

    /// Takes a slot for request `id` now, or says how long to wait. `rate` nil: no window
    /// (`--rate off`), but pauses and probes still hold.
    package mutating func acquire(id: String, pid: Int32, now: Double, rate: Pacer.Rate?) -> Wait? {
        if let until = pauseUntil, until > now { return .pause(until: until, wall: pauseWall ?? 0) }
        if needsProbe {
            if let probe, probe.at + Self.probeTimeout > now {
                return .probe(until: now + 0.05)
            }
            probe = (id, now)
        } else if let upper = rate {
            let rate = effective(upper)
            let spacing = rate.spacing
            var counted = 0
            var oldestFinished: Double?
            for entry in entries where !entry.finished || entry.time > now - spacing {
                counted += 1
                if entry.finished { oldestFinished = min(oldestFinished ?? entry.time, entry.time) }
            }
            if counted >= rate.count {
                // Free when the oldest answered request leaves the window; when every counted
                // request is still in flight, when one of them is answered.
                return .window(until: oldestFinished.map { $0 + spacing } ?? now + 0.05)
            }
            if let until = trickleUntil, until > now, let last = lastGrant {
                let next = last + spacing / Double(rate.count)
                if next > now { return .window(until: next) }
            }
        }
        // Without a window (--rate off) nothing is counted: there is nothing to count it against.
        if let rate {
            entries.append(Entry(id: id, pid: pid, time: now, finished: false))
            let spacing = effective(rate).spacing
            if spacing >= (keep?.seconds ?? 0) { keep = (spacing, now) }
        }
        lastGrant = now
        return nil
    }

    /// What a request's answer says about the budget.
    package enum Answer: Sendable, Equatable {
        /// Any answer but 429 (also a failure after the request went out).
        case answered
        /// Nothing reached the server (connection refused, DNS): the slot is given back.
        case notSent
        /// 429: paused until `retryWall` (nil: not readable), on a request sent under `rate`
        /// (nil: `--rate off`, no window was respected).
        case rateLimited(retryWall: Double?, rate: Pacer.Rate?)
    }

    /// What recording a 429 did, for the one notice a process prints about it.
    package struct Event: Sendable, Equatable {
        package var pauseWall: Double
        /// The new learned rate when it was cut.
        package var cutTo: Pacer.Rate?
        package var from: Pacer.Rate?
    }

    /// Request `id`, granted at `granted`, is over. Returns the event when it was a 429 that
    /// started a new pause.
    @discardableResult
    package mutating func finish(id: String, granted: Double? = nil, now: Double, wallNow: Double, answer: Answer) -> Event? {
        let index = entries.firstIndex { $0.id == id }
        let granted = granted ?? index.map { entries[$0].time }
        if let index {
            if answer == .notSent { entries.remove(at: index) } else { entries[index].time = now; entries[index].finished = true }
        }
        let wasProbe = probe?.id == id
        guard case .rateLimited(let retryWall, let rate) = answer else {
            if answer == .answered {
                // A request in flight before the latest 429 says nothing about its cool-down.
                if lastEventAt.map({ (granted ?? now) > $0 }) ?? true { strikes = 0 }
                if wasProbe {
                    needsProbe = false
                    probe = nil
                    trickleUntil = now + (learned ?? Pacer.Rate.documented).spacing
                }
            } else if wasProbe {
                probe = nil
            }
            return nil
        }
        total429 += 1
        if wasProbe { probe = nil }
        // A 429 to a request that was already in flight when the latest one was recorded is
        // the same event: the pause may move later, but nothing is cut or counted again.
        // (Nothing is granted during a pause, so "at or before" is safe with a coarse clock.)
        let straggler = lastEventAt.map { (granted ?? now) <= $0 } ?? false
        var wait = (retryWall ?? (wallNow + Self.defaultCooldown)) - wallNow + Self.safetyMargin
        if !straggler { strikes += 1 }
        // Exponential backoff besides the retry time: a clock out of step with the API's must
        // not turn into a probe every margin.
        wait = max(wait, min(Self.defaultCooldown, pow(2, Double(max(0, strikes - 1)))))
        wait = min(max(wait, Self.safetyMargin), Self.maxPause)
        let until = now + wait
        if straggler {
            if until > (pauseUntil ?? 0) { pauseUntil = until; pauseWall = wallNow + wait }
            return nil
        }
        pauseUntil = max(pauseUntil ?? 0, until)
        pauseWall = wallNow + ((pauseUntil ?? until) - now)
        lastEventAt = now
        needsProbe = true
        trickleUntil = nil
        var event = Event(pauseWall: pauseWall ?? wallNow + wait)
        // The window was respected and still the API refused: its real budget for this key is
        // smaller. A refused probe says only that the cool-down had not ended.
        if let rate, !wasProbe {
            let current = effective(rate)
            let cut = Pacer.Rate(count: max(1, current.count / 2), window: current.window)
            learned = cut
            learnedChangedAt = now
            failedCount = current.count
            failedAt = now
            event.cutTo = cut
            event.from = current
        }
        return event
    }

    // MARK: Keeping the state sane

    /// Drops what is over, bounds what cannot be true, and grows the learned rate after quiet.
    /// `alive` says whether a process still runs (its in-flight requests are then waited for).
    package mutating func sanitize(
        now: Double, wallNow: Double, boot: String, keep: Double,
        alive: (Int32) -> Bool
    ) {
        if self.boot != boot {
            // Another boot: the monotonic times mean nothing; the pause's wall-clock end still does.
            if !self.boot.isEmpty, let wall = pauseWall, wall > wallNow {
                pauseUntil = now + min(wall - wallNow, Self.maxPause)
            } else {
                pauseUntil = nil; pauseWall = nil
            }
            entries = []
            probe = nil
            lastEventAt = nil; trickleUntil = nil; lastGrant = nil
            if learned != nil { learnedChangedAt = now }
            if failedAt != nil { failedAt = now }
            self.boot = boot
        }
        if let stored = self.keep, !(stored.at > now - 3600 && stored.at <= now && stored.seconds < Self.maxKeep) { self.keep = nil }
        let keep = max(keep, self.keep?.seconds ?? 0)
        entries = entries.compactMap { entry in
            var entry = entry
            if entry.time > now { entry.time = now }  // from the future: corrupt; count it as now
            if entry.finished { return entry.time > now - keep ? entry : nil }
            if entry.time <= now - Self.maxInFlight { return nil }
            if entry.time <= now - keep, !alive(entry.pid) {
                // Its process died with the request in flight: count it as answered now.
                entry.finished = true
                entry.time = now
            }
            return entry
        }
        if entries.count > 10_000 { entries.removeFirst(entries.count - 10_000) }
        if let until = pauseUntil {
            if until <= now {
                pauseUntil = nil; pauseWall = nil
            } else if until > now + Self.maxPause {
                pauseUntil = now + Self.maxPause
                pauseWall = wallNow + Self.maxPause
            } else if let wall = pauseWall, abs(wall - wallNow - (until - now)) > Self.maxPause {
                pauseWall = wallNow + (until - now)  // a wall-clock end that cannot belong to this pause
            }
        }
        if let at = probe?.at, at > now { probe?.at = now }
        if let at = lastEventAt, at > now { lastEventAt = now }
        if let until = trickleUntil, until <= now || until > now + Self.maxPause { trickleUntil = nil }
        if let last = lastGrant, last > now { lastGrant = now }
        if let failed = failedAt, failed > now { failedAt = now }
        grow(now: now)
    }

    /// Additive increase: one request per window for every `growEvery` without a 429.
    mutating func grow(now: Double) {
        guard let current = learned else { return }
        let since = min(learnedChangedAt ?? now, now)
        let quiet = ((now - since) / Self.growEvery).rounded(.down)
        guard quiet >= 1 else { return }
        let steps = Int(min(quiet, 1e9))  // growth past any configured rate ends the same way
        var count = current.count + steps
        if let failed = failedCount {
            if let at = failedAt, now - at < Self.failureMemory {
                count = max(current.count, min(count, failed - 1))
            } else if count >= failed {
                learned = nil
                learnedChangedAt = nil
                failedCount = nil
                failedAt = nil
                return
            }
        }
        learned = Pacer.Rate(count: count, window: current.window)
        learnedChangedAt = since + Double(steps) * Self.growEvery
    }

    // MARK: File form

    /// A few lines of text: a tag per line, unknown or broken lines ignored.
    package func serialized() -> String {
        var lines = ["octopods-rate-budget 1", "boot \(boot)"]
        if let pauseUntil, let pauseWall { lines.append("pause \(pauseUntil) \(pauseWall)") }
        if let lastEventAt { lines.append("event \(lastEventAt)") }
        if needsProbe { lines.append("needs-probe") }
        if let probe { lines.append("probe \(probe.id) \(probe.at)") }
        if let trickleUntil { lines.append("trickle \(trickleUntil)") }
        if let lastGrant { lines.append("last-grant \(lastGrant)") }
        if let keep { lines.append("keep \(keep.seconds) \(keep.at)") }
        if let learned { lines.append("learned \(learned.count) \(learned.window) \(learnedChangedAt ?? 0)") }
        if let failedCount, let failedAt { lines.append("failed \(failedCount) \(failedAt)") }
        if strikes > 0 { lines.append("strikes \(strikes)") }
        if total429 > 0 { lines.append("total-429 \(total429)") }
        for e in entries { lines.append("r \(e.id) \(e.pid) \(e.time) \(e.finished ? 1 : 0)") }
        return lines.joined(separator: "\n") + "\nend\n"
    }

    package static func parse(_ text: String) -> RateBudget { read(text).budget }

    /// The budget a file holds, or an empty one with what was implausible in it: a line octopods
    /// cannot read is skipped, but a number it can read and that no octopods wrote (a time
    /// ten thousand years away, a window of 1e-300 s, a negative count) means the file is not a
    /// budget to trust, so none of it is used.
    package static func read(_ text: String) -> (budget: RateBudget, implausible: String?) {
        var budget = RateBudget()
        var implausible: String?
        for f in fields(text) {
            guard let tag = f.first, implausible == nil else { continue }
            /// Field `i` when it is a number in `range`; a number outside it makes the file implausible.
            func number(_ i: Int, in range: ClosedRange<Double> = -Self.maxTime...Self.maxTime) -> Double? {
                guard i < f.count, let value = Double(f[i]) else { return nil }
                guard value.isFinite, range.contains(value) else {
                    implausible = implausible ?? "\(tag) \(f[i])"
                    return nil
                }
                return value
            }
            switch tag {
            case "boot" where f.count == 2: budget.boot = f[1]
            case "pause": if let a = number(1), let b = number(2) { budget.pauseUntil = a; budget.pauseWall = b }
            case "event": budget.lastEventAt = number(1)
            case "needs-probe": budget.needsProbe = true
            case "probe" where f.count == 3: if let at = number(2) { budget.probe = (f[1], at) }
            case "trickle": budget.trickleUntil = number(1)
            case "last-grant": budget.lastGrant = number(1)
            case "keep": if let k = number(1, in: 0...Self.maxWindow), let at = number(2) { budget.keep = (k, at) }
            case "learned":
                if let c = number(1, in: 1...1e9), let w = number(2, in: Self.minWindow...Self.maxWindow) {
                    budget.learned = Pacer.Rate(count: Int(c), window: w)
                    budget.learnedChangedAt = number(3)
                }
            case "failed": if let c = number(1, in: 1...1e9), let at = number(2) { budget.failedCount = Int(c); budget.failedAt = at }
            case "strikes": if let n = number(1, in: 0...63) { budget.strikes = Int(n) }
            case "total-429": if let n = number(1, in: 0...1e15) { budget.total429 = Int(n) }
            case "r" where f.count == 5:
                if let pid = Int32(f[2]), let time = number(3) {
                    budget.entries.append(Entry(id: f[1], pid: pid, time: time, finished: f[4] == "1"))
                }
            default: continue
            }
        }
        // Each waited for up to maxInFlight: more than every process could have sent at once
        // (64 at a time each) is planted, not a budget.
        let inFlight = budget.entries.count { !$0.finished }
        if implausible == nil, inFlight > Self.maxInFlightEntries {
            implausible = "\(NumberText.grouped(inFlight)) requests in flight, more than \(NumberText.grouped(Self.maxInFlightEntries))"
        }
        return implausible == nil ? (budget, nil) : (RateBudget(), implausible)
    }

    static let maxInFlightEntries = 1_000

    /// Bounds of what the file may hold: times (seconds) within about 30,000 years of either
    /// clock's zero, windows between a millisecond and a year.
    static let maxTime = 1e12
    static let minWindow = 0.001
    static let maxWindow = 366 * 86_400.0

    /// Each line's space-separated fields. ASCII without CR (what `serialized` writes) is split
    /// by bytes: every byte is a Character there, so the split is the same, at a fraction of the
    /// cost (the file is read and rewritten by every request).
    static func fields(_ text: String) -> [[String]] {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return fieldsByCharacter(text) }
        return bytes.split(separator: UInt8(ascii: "\n")).map { line in
            line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    static func fieldsByCharacter(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    }
}
