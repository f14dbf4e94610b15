import Foundation
import Synchronization
import Testing
import CLISupport
@testable import OctopodsKit
#if canImport(Glibc)
import Glibc
#endif

/// A virtual clock for the budget: the monotonic clock moves only when the code sleeps; the
/// wall clock moves with it, and can also be made to jump on its own.
final class BudgetClock: Sendable {
    private let state = Mutex((mono: 1000.0, wallOffset: fixedNow.timeIntervalSince1970 - 1000.0))
    var mono: Double { state.withLock { $0.mono } }
    var wall: Date { state.withLock { Date(timeIntervalSince1970: $0.mono + $0.wallOffset) } }
    func advance(_ seconds: Double) { state.withLock { $0.mono += seconds } }
    func jumpWall(_ seconds: Double) { state.withLock { $0.wallOffset += seconds } }
    func pacerClock(boot: String = "boot-1", alive: @escaping @Sendable (Int32) -> Bool = { _ in true }) -> Pacer.Clock {
        var clock = Pacer.Clock(wall: { self.wall }, monotonic: { self.mono }, sleep: { self.advance($0) }, boot: boot)
        clock.alive = alive
        return clock
    }
}

final class Notices: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func add(_ line: String) { lines.withLock { $0.append(line) } }
}

@Suite struct RateBudgetTests {
    let rate = Pacer.Rate(count: 3, window: 10)

    func file() -> URL {
        RateBudgetFile.url(directory: temporaryDirectory(), identity: "https://app.octopods.io\nkey")
    }

    @Test func theFileIsNamedWithoutTheKeyAndDiffersByBaseURL() {
        let dir = temporaryDirectory()
        let a = RateBudgetFile.url(directory: dir, identity: "https://app.octopods.io\nsecret-key-1234")
        let b = RateBudgetFile.url(directory: dir, identity: "http://127.0.0.1:4747\nsecret-key-1234")
        #expect(a != b)
        #expect(!a.path.contains("secret"))
        #expect(a.deletingLastPathComponent().lastPathComponent == "rate")
        #expect(a.lastPathComponent.count == 32)
    }

    @Test func neverMoreThanNInAnyWindowAcrossTwoProcesses() async throws {
        let clock = BudgetClock()
        let url = file()
        // Two pacers on one file, as two processes would be.
        let a = Pacer(store: RateBudgetFile(url: url), clock: clock.pacerClock())
        let b = Pacer(store: RateBudgetFile(url: url), clock: clock.pacerClock())
        var starts: [Double] = []
        for i in 0..<12 {
            let pacer = i % 2 == 0 ? a : b
            let slot = try await pacer.acquire(rate: rate, patience: .unlimited)
            starts.append(clock.mono)
            pacer.finish(slot, .answered)
        }
        for (i, t) in starts.enumerated() where i >= 3 {
            #expect(t - starts[i - 3] >= 10, "request \(i) at \(t)")
        }
        #expect(starts.prefix(3) == [1000, 1000, 1000])
        // Full use of the allowance: the 10th request starts at 3 windows (plus the 1% spacing).
        #expect(abs(starts[9] - 1030.3) < 0.01)
    }

    @Test func anUnansweredRequestKeepsItsSlotUntilAnswered() throws {
        var budget = RateBudget()
        for i in 0..<3 { #expect(budget.acquire(id: "\(i)", pid: 1, now: 0, rate: rate) == nil) }
        // Long after the window, the three are still in flight: nothing more goes.
        budget.sanitize(now: 50, wallNow: 50, boot: "", keep: 10.1, alive: { _ in true })
        #expect(budget.acquire(id: "x", pid: 1, now: 50, rate: rate) != nil)
        // One answer frees its slot one window after the answer, not after the start.
        budget.finish(id: "0", now: 50, wallNow: 50, answer: .answered)
        #expect(budget.acquire(id: "x", pid: 1, now: 55, rate: rate) == .window(until: 60.1))
        #expect(budget.acquire(id: "x", pid: 1, now: 60.1, rate: rate) == nil)
    }

    @Test func concurrentWritersOnOneFileLoseNoSlot() throws {
        let url = file()
        let granted = Mutex(0)
        let limit = Pacer.Rate(count: 50, window: 10)
        // Eight threads, each with its own descriptor (as separate processes have), 20 tries each
        // at one frozen instant: exactly 50 may get through, and the file must count all of them.
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            let store = RateBudgetFile(url: url)
            for i in 0..<20 {
                let ok = (try? store.update { $0.acquire(id: "\(t)-\(i)", pid: 1, now: 5, rate: limit) == nil }) ?? false
                if ok { granted.withLock { $0 += 1 } }
            }
        }
        #expect(granted.withLock { $0 } == 50)
        let budget = RateBudget.parse(try String(contentsOf: url, encoding: .utf8))
        #expect(budget.entries.count == 50)
        #expect(Set(budget.entries.map(\.id)).count == 50)
        #expect(AtomicFile.mode(of: url) == 0o600)
    }

    @Test func aLockHeldByADeadOrStuckHolderNeverBlocksForever() async throws {
        let url = file()
        let clock = BudgetClock()
        _ = try RateBudgetFile(url: url).update { _ in () }
        // A holder that dies: the kernel drops its lock with its descriptor.
        let holder = open(url.path, O_RDWR)
        #expect(flock(holder, LOCK_EX) == 0)
        close(holder)
        let quick = try RateBudgetFile(url: url, lockTimeout: 0.05).update { _ in true }
        #expect(quick)
        // A holder that hangs with the lock: after the timeout this process paces by itself.
        let stuck = open(url.path, O_RDWR)
        defer { close(stuck) }
        #expect(flock(stuck, LOCK_EX) == 0)
        let notices = Notices()
        let pacer = Pacer(store: RateBudgetFile(url: url, lockTimeout: 0.05), clock: clock.pacerClock(), notice: notices.add)
        for _ in 0..<4 {
            let slot = try await pacer.acquire(rate: rate, patience: .unlimited)
            pacer.finish(slot, .answered)
        }
        #expect(clock.mono >= 1010)  // still paced: the fourth waited a window
        #expect(notices.all.count == 1)
        #expect(notices.all.first?.contains("paces by itself") == true)
    }

    @Test func aCrashedProcessesRequestsAreNotWaitedForLong() {
        var budget = RateBudget()
        for i in 0..<3 { _ = budget.acquire(id: "\(i)", pid: 4242, now: 0, rate: rate) }
        // Its process is gone: after a window its requests count as answered at that moment.
        budget.sanitize(now: 11, wallNow: 11, boot: "", keep: 10.1, alive: { $0 != 4242 })
        #expect(budget.entries.allSatisfy { $0.finished })
        #expect(budget.acquire(id: "a", pid: 1, now: 11, rate: rate) == .window(until: 21.1))
        // A pid reused by another process keeps them only until maxInFlight.
        var reused = RateBudget()
        for i in 0..<3 { _ = reused.acquire(id: "\(i)", pid: 1, now: 0, rate: rate) }
        reused.sanitize(now: RateBudget.maxInFlight, wallNow: 0, boot: "", keep: 10.1, alive: { _ in true })
        #expect(reused.entries.isEmpty)
    }

    @Test func corruptOrImpossibleStateIsBounded() {
        #expect(RateBudget.parse("\u{0}garbage\nr x\npause nan 3\nlearned 0 10 0\nstrikes 99999\n") == RateBudget())
        var budget = RateBudget.parse(
            "boot b\npause 99999999 99999999\nr a 1 99999999 1\nr b 1 99999999 1\nr c 1 99999999 1\nprobe p 99999999\nneeds-probe\n")
        budget.sanitize(now: 100, wallNow: 100, boot: "b", keep: 10.1, alive: { _ in true })
        #expect(budget.pauseUntil == 100 + RateBudget.maxPause)
        #expect(budget.entries.allSatisfy { $0.time == 100 })  // from the future: counted as now
        #expect(budget.probe?.at == 100)
        // The worst it does: a pause of maxPause, then one window.
        #expect(budget.acquire(id: "n", pid: 1, now: 100 + RateBudget.maxPause, rate: rate) == nil)  // the probe (expired)
    }

    @Test func theWallClockJumpingChangesNothing() async throws {
        let clock = BudgetClock()
        let pacer = Pacer(store: RateBudgetFile(url: file()), clock: clock.pacerClock())
        let slot = try await pacer.acquire(rate: rate, patience: .unlimited)
        pacer.finish(slot, .rateLimited(retryWall: fixedNow.timeIntervalSince1970 + 60, rate: rate))
        clock.jumpWall(-3600)  // an hour back: the pause still ends 61 s after the 429
        let start = clock.mono
        pacer.finish(try await pacer.acquire(rate: rate, patience: .unlimited), .answered)
        #expect(clock.mono - start == 61)
        clock.jumpWall(7200)  // two hours forward: the window (the learned 1/10s, grown to 2/10s) still holds
        var starts: [Double] = []
        for _ in 0..<3 {
            pacer.finish(try await pacer.acquire(rate: rate, patience: .unlimited), .answered)
            starts.append(clock.mono)
        }
        for (x, y) in zip(starts, starts.dropFirst()) { #expect(y - x >= 10.1 / 2 - 1e-9) }
    }

    @Test func aRebootKeepsOnlyThePausesWallClockEnd() {
        var budget = RateBudget()
        budget.sanitize(now: 5000, wallNow: 1_000_000, boot: "one", keep: 10.1, alive: { _ in true })
        for i in 0..<3 { _ = budget.acquire(id: "\(i)", pid: 1, now: 5000, rate: rate) }
        budget.finish(id: "0", now: 5000, wallNow: 1_000_000, answer: .rateLimited(retryWall: 1_000_100, rate: rate))
        // The monotonic clock restarted near zero; 40 s of wall time passed.
        budget.sanitize(now: 3, wallNow: 1_000_040, boot: "two", keep: 10.1, alive: { _ in true })
        #expect(budget.entries.isEmpty)
        #expect(budget.pauseUntil == 64, "\(budget.serialized())")
        #expect(budget.acquire(id: "x", pid: 1, now: 3 + 61, rate: rate) == nil)
    }

    @Test func a429PausesEveryProcessOnceWithOneNoticeThenOneProbeThenATrickle() async throws {
        let clock = BudgetClock()
        let url = file()
        let notices = Notices()
        let a = Pacer(store: RateBudgetFile(url: url), clock: clock.pacerClock(), notice: notices.add)
        let b = Pacer(store: RateBudgetFile(url: url), clock: clock.pacerClock(), notice: notices.add)
        let limit = Pacer.Rate(count: 10, window: 10)
        let first = try await a.acquire(rate: limit, patience: .unlimited)
        let inFlight = try await a.acquire(rate: limit, patience: .unlimited)
        a.finish(first, .rateLimited(retryWall: fixedNow.timeIntervalSince1970 + 30, rate: limit))
        // A straggler (already in flight) moves nothing and cuts nothing again.
        a.finish(inFlight, .rateLimited(retryWall: fixedNow.timeIntervalSince1970 + 30, rate: limit))
        let budget = RateBudget.parse(try String(contentsOf: url, encoding: .utf8))
        #expect(budget.learned == Pacer.Rate(count: 5, window: 10))
        #expect(budget.total429 == 2)
        #expect(budget.strikes == 1)
        // A single command without --max-wait is refused at once, nothing sent.
        await #expect(throws: Pacer.Stop.paused(until: fixedNow.addingTimeInterval(31))) {
            try await b.acquire(rate: limit, patience: .none)
        }
        await #expect(throws: Pacer.Stop.paused(until: fixedNow.addingTimeInterval(31))) {
            try await b.acquire(rate: limit, patience: .until(fixedNow.addingTimeInterval(30)))
        }
        // b waits the pause out (the probe), a's requests wait for the probe's answer.
        let probe = try await b.acquire(rate: limit, patience: .unlimited)
        #expect(clock.mono == 1031)
        var state = RateBudget.parse(try String(contentsOf: url, encoding: .utf8))
        #expect(state.acquire(id: "other", pid: 1, now: 1031, rate: limit) == .probe(until: 1031.05))
        b.finish(probe, .answered)
        // Then a trickle: evenly spaced at the learned rate, no burst.
        var starts: [Double] = []
        for _ in 0..<5 {
            let slot = try await a.acquire(rate: limit, patience: .unlimited)
            starts.append(clock.mono)
            a.finish(slot, .answered)
        }
        for (x, y) in zip(starts, starts.dropFirst()) { #expect(y - x >= 10.1 / 5 - 1e-9) }
        let pauseNotices = notices.all.filter { $0.hasPrefix("Rate limited (HTTP 429)") }
        #expect(pauseNotices.count == 1, "\(notices.all)")
        #expect(pauseNotices.first?.contains("waits until 2026-09-21 14:13:51 UTC (31s)") == true, "\(notices.all)")
        #expect(
            notices.all.contains(
                "This key allows fewer requests than 10/10s: pacing at 5/10s from now on (remembered for later runs; it grows back after quiet)."
            ))
        #expect(b.stats.pauses == 1)
        #expect(a.stats.rateLimited == 2)
    }

    @Test func aRefusedProbeBacksOffWithoutCuttingAgain() {
        var budget = RateBudget()
        _ = budget.acquire(id: "1", pid: 1, now: 0, rate: rate)
        budget.finish(id: "1", now: 0, wallNow: 0, answer: .rateLimited(retryWall: 10, rate: rate))
        #expect(budget.learned?.count == 1)
        #expect(budget.pauseUntil == 11)
        var pauses: [Double] = []
        var now = 11.0
        for i in 0..<6 {
            #expect(budget.acquire(id: "p\(i)", pid: 1, now: now, rate: rate) == nil)  // the probe
            // The clock of the API is ahead of ours: its retry time is already past.
            budget.finish(id: "p\(i)", now: now, wallNow: now, answer: .rateLimited(retryWall: now - 5, rate: rate))
            pauses.append((budget.pauseUntil ?? 0) - now)
            now = budget.pauseUntil ?? now
            budget.sanitize(now: now, wallNow: now, boot: "", keep: 10.1, alive: { _ in true })
        }
        #expect(pauses == [2, 4, 8, 16, 32, 64])
        #expect(budget.failedAt == 0)  // cut once, at the first 429 (and grown back one since)
        #expect(budget.failedCount == 3)
        #expect(budget.total429 == 7)
    }

    @Test func theLearnedRateGrowsBackSlowlyAndNotPastWhatFailed() {
        var budget = RateBudget()
        let upper = Pacer.Rate(count: 40, window: 10)
        _ = budget.acquire(id: "1", pid: 1, now: 0, rate: upper)
        budget.finish(id: "1", now: 0, wallNow: 0, answer: .rateLimited(retryWall: 0, rate: upper))
        #expect(budget.effective(upper).count == 20)
        budget.sanitize(now: 59, wallNow: 59, boot: "", keep: 10.1, alive: { _ in true })
        #expect(budget.effective(upper).count == 20)
        budget.sanitize(now: 60 * 5, wallNow: 0, boot: "", keep: 10.1, alive: { _ in true })
        #expect(budget.effective(upper).count == 25)
        budget.sanitize(now: 60 * 50, wallNow: 0, boot: "", keep: 10.1, alive: { _ in true })
        #expect(budget.effective(upper).count == 39)  // never the rate that failed, within the hour
        budget.sanitize(now: 3600 + 60, wallNow: 0, boot: "", keep: 10.1, alive: { _ in true })
        #expect(budget.learned == nil)
        #expect(budget.effective(upper) == upper)
        // A process with a lower --rate keeps its own bound; the learned rate scales to its window.
        var small = RateBudget()
        small.learned = Pacer.Rate(count: 30, window: 10)
        #expect(small.effective(Pacer.Rate(count: 10, window: 10)).count == 10)
        #expect(small.effective(Pacer.Rate(count: 330, window: 60)).count == 180)
    }

    @Test func a429WithRateOffPausesButLearnsNothing() {
        var budget = RateBudget()
        _ = budget.acquire(id: "1", pid: 1, now: 0, rate: nil)
        budget.finish(id: "1", now: 0, wallNow: 0, answer: .rateLimited(retryWall: nil, rate: nil))
        #expect(budget.learned == nil)
        #expect(budget.pauseUntil == RateBudget.defaultCooldown + RateBudget.safetyMargin)
    }

    @Test func aDeletedFileIsAReset() throws {
        let url = file()
        let store = RateBudgetFile(url: url)
        try store.update {
            $0.pauseUntil = 1e6; $0.pauseWall = 1e6
        }
        try FileManager.default.removeItem(at: url)
        let paused = try store.update { $0.pauseUntil }
        #expect(paused == nil)
        #expect(FileManager.default.fileExists(atPath: url.path))
    }

    @Test func aFileOfAnotherUserOrALinkIsNotUsed() throws {
        let url = file()
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        symlink("/etc/passwd", url.path)
        #expect(throws: SystemFile.Failure.self) { try RateBudgetFile(url: url).update { _ in () } }
    }
}

/// Single sends draw on the same budget; --max-wait covers every request of the command.
@Suite struct SingleSendBudgetTests {
    let tooMany = #"{"message":"You have fired too many requests. Please try after 2026-09-21 14:14:00 UTC."}"#
    let args = ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"]

    @Test func a429OnTheTemplateCheckIsWaitedOutWithinMaxWait() async {
        let clock = TestClock()
        let counter = Counter()
        let fake = FakeTransport { request in
            if request.method == "GET" {
                return counter.next() == 1
                    ? .success(HTTPResponse(status: 429, body: Data(tooMany.utf8)))
                    : .success(HTTPResponse(status: 200, body: Data(orderTemplate.utf8)))
            }
            return .success(HTTPResponse(status: 201, body: Data(sent.utf8)))
        }
        let r = await run(args + ["--max-wait", "2m"], transport: fake, clock: clock)
        #expect(r.code == .success, "\(r.stderr)")
        #expect(fake.requests.map(\.method) == ["GET", "GET", "POST"])
        // 14:14:00 plus the safety second, then the send spaced after the check (a trickle).
        #expect(clock.now >= fixedNow.addingTimeInterval(41) && clock.now < fixedNow.addingTimeInterval(42))
        // Without --max-wait the 429 on the check fails the command at once.
        let counter2 = Counter()
        let refused = FakeTransport { _ in
            _ = counter2.next()
            return .success(HTTPResponse(status: 429, body: Data(tooMany.utf8)))
        }
        let short = await run(args, transport: refused)
        #expect(short.code == .retryable)
        #expect(refused.requests.count == 1)
    }

    @Test func maxWaitCountsFromTheStartOfTheCommand() async {
        // The pause (41 s) is longer than what is left of --max-wait 30s: no second request.
        let fake = FakeTransport { request in
            if request.method == "GET" { return .success(HTTPResponse(status: 200, body: Data(orderTemplate.utf8))) }
            return .success(HTTPResponse(status: 429, body: Data(tooMany.utf8)))
        }
        let r = await run(args + ["--max-wait", "30s"], transport: fake)
        #expect(r.code == .retryable)
        #expect(fake.requests.filter { $0.method == "POST" }.count == 1)
        // The server's time, as it gave it (not the budget's end, a safety second later).
        #expect(r.stderr.contains("error: rate limited until 2026-09-21 14:14:00 UTC"), "\(r.stderr)")
        #expect(
            r.stderr.contains("the API said: You have fired too many requests. Please try after 2026-09-21 14:14:00 UTC."), "\(r.stderr)")
    }

    @Test func aRefusedConnectionIsRetriedWithinMaxWaitAndAPauseRecordedEarlierHoldsTheNextCommand() async {
        let clock = TestClock()
        let home = temporaryDirectory()
        let counter = Counter()
        let flaky = FakeTransport { request in
            if request.method == "GET" { return .success(HTTPResponse(status: 200, body: Data(orderTemplate.utf8))) }
            return counter.next() == 1 ? .failure(.cannotConnect("refused")) : .success(HTTPResponse(status: 201, body: Data(sent.utf8)))
        }
        let r = await run(args + ["--max-wait", "1m"], transport: flaky, home: home, clock: clock)
        #expect(r.code == .success, "\(r.stderr)")
        #expect(flaky.requests.filter { $0.method == "POST" }.count == 2)
        // A 429 to one command is recorded for the key: the next command sends nothing.
        let limited = await run(["templates", "list"], transport: FakeTransport(status: 429, json: tooMany), home: home, clock: clock)
        #expect(limited.code == .retryable)
        let next = await run(["status", "3851834"], transport: NoNetwork(), home: home, clock: clock)
        #expect(next.code == .retryable)
        #expect(next.stderr.hasPrefix("error: rate limited until 2026-09-21 14:14:01 UTC"), "\(next.stderr)")
    }

    @Test func verboseShowsTheBudgetAndWhereItLives() async {
        let home = temporaryDirectory()
        let list = FakeTransport(status: 200, json: "[]")
        let r = await run(["-v", "templates", "list"], transport: list, home: home)
        #expect(r.code == .success)
        let rateDir = home.appendingPathComponent(".local/state/octopods/rate").path
        #expect(r.stderr.hasPrefix("* rate budget: 0 of 55 requests in the last 10s taken (\(rateDir)/"), "\(r.stderr)")
        #expect(!r.stderr.contains(testKey))
        let again = await run(["-v", "templates", "list"], transport: list, home: home)
        #expect(again.stderr.hasPrefix("* rate budget: 1 of 55 requests in the last 10s taken"), "\(again.stderr)")
    }
}
