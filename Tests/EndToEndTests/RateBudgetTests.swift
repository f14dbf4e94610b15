import Foundation
import Testing
import TestSupport
import OctopodsSandbox

/// The rate budget shared by every octopods process using a key (docs/rate-limits.md), through
/// the real binary against a sandbox that enforces a sliding window. The sandbox's request log
/// is the witness: these tests count 429s and rows, never durations. The limits are scaled down
/// (N per second instead of 55 per 10 s, a 1-second cool-down) so that they take seconds; the
/// client is told the same limit through the profile's `rate`.
@Suite struct RateBudgetEndToEndTests {
    /// A private HOME whose default profile paces at `rate`.
    func home(rate: String) throws -> URL {
        let home = scratchDirectory()
        let dir = home.appendingPathComponent(".config/octopods")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("config")
        #expect(
            FileManager.default.createFile(
                atPath: config.path, contents: Data("[default]\nrate = \(rate)\n".utf8),
                attributes: [.posixPermissions: 0o600]))
        return home
    }

    @Test func twoConcurrentBulkRunsWithOneKeyGetNo429AndSendEveryRowOnce() async throws {
        let sandbox = try TestSandbox(rateLimit: SandboxRateLimit(count: 20, window: 1), cooldown: 1)
        let home = try home(rate: "20/1s")
        let a = phoneCSV("a.csv", rows: 30, first: 0, in: home), b = phoneCSV("b.csv", rows: 30, first: 100, in: home)
        let other = try startOctopods(["send", "template", "1001", "--from", b], environment: sandbox.environment, home: home)
        let r = try await octopods(["send", "template", "1001", "--from", a], environment: sandbox.environment, home: home, timeout: 60)
        let otherStatus = await exitStatus(other)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(otherStatus == 0)
        #expect(tooManyRequests(sandbox) == 0)
        let sent = acceptedPhones(sandbox)
        #expect(sent.count == 60)
        #expect(Set(sent).count == 60)
    }

    @Test func aDryRunThenTheRealRunBackToBackGetNo429() async throws {
        let sandbox = try TestSandbox(rateLimit: SandboxRateLimit(count: 10, window: 1), cooldown: 1)
        let home = try home(rate: "10/1s")
        let file = phoneCSV("list.csv", rows: 12, first: 0, in: home)
        let dry = try await octopods(
            ["send", "template", "1001", "--from", file, "--dry-run"], environment: sandbox.environment, home: home)
        #expect(dry.status == 0, "\(dry.stderr)")
        let real = try await octopods(
            ["send", "template", "1001", "--from", file, "--yes"], environment: sandbox.environment, home: home,
            timeout: 60)
        #expect(real.status == 0, "\(real.stderr)")
        #expect(tooManyRequests(sandbox) == 0)
        #expect(Set(acceptedPhones(sandbox)).count == 12)
        #expect(sandbox.posts.count == 12)
    }

    @Test func aBulkRunWhileALoopOfStatusCallsUsesTheSameKeyGetsNo429() async throws {
        let sandbox = try TestSandbox(rateLimit: SandboxRateLimit(count: 10, window: 1), cooldown: 1)
        let home = try home(rate: "10/1s")
        let file = phoneCSV("list.csv", rows: 20, first: 0, in: home)
        let bulk = try startOctopods(["send", "template", "1001", "--from", file], environment: sandbox.environment, home: home)
        for _ in 0..<10 {
            // An id the API does not know: answered (not 429), and still a request of the key.
            let r = try await octopods(["status", "999999"], environment: sandbox.environment, home: home)
            #expect(r.status != 4, "\(r.stderr)")
        }
        #expect(await exitStatus(bulk) == 0)
        #expect(tooManyRequests(sandbox) == 0)
        #expect(Set(acceptedPhones(sandbox)).count == 20)
        #expect(sandbox.api.recordedRequests().filter { $0.method == "GET" && $0.path.contains("/messages/") }.count == 10)
    }

    @Test func a429GivenToOneProcessHoldsOffTheNextUntilTheRetryTime() async throws {
        // A key whose real limit (3 in 5 minutes) octopods does not know: the 4th request gets a 429.
        let sandbox = try TestSandbox(rateLimit: SandboxRateLimit(count: 3, window: 300), cooldown: 2)
        let home = scratchDirectory()
        for _ in 0..<3 {
            let ok = try await octopods(["templates", "list"], environment: sandbox.environment, home: home)
            #expect(ok.status == 0)
        }
        let limited = try await octopods(["templates", "list"], environment: sandbox.environment, home: home)
        #expect(limited.status == 4)
        let requests = sandbox.api.recordedRequests()
        #expect(requests.count == 4)
        let refused = try #require(requests.last)
        #expect(refused.status == 429)
        // Another command right away is refused by the budget: nothing more reaches the API.
        let next = try await octopods(["templates", "list", "-o", "table"], environment: sandbox.environment, home: home)
        #expect(next.status == 4)
        #expect(next.stderr.hasPrefix("error: rate limited until "), "\(next.stderr)")
        #expect(sandbox.api.recordedRequests().count == 4)
        // A bulk run waits until the retry time (plus the safety second), then sends. Whether
        // the pause was still in force when it first asked for a slot, its -v trace says: on a
        // machine slow enough to take the 3 s since the 429 to get here, there is nothing left
        // to wait for (what it sends is still checked against the retry time below).
        let file = phoneCSV("list.csv", rows: 2, first: 0, in: home)
        let bulk = try await octopods(
            ["send", "template", "1001", "--from", file, "-v"], environment: sandbox.environment, home: home,
            timeout: 60)
        #expect(bulk.status == 0, "\(bulk.stderr)")
        let budgetLine = bulk.stderr.split(separator: "\n").first { $0.hasPrefix("* rate budget: ") }
        #expect(budgetLine != nil, "\(bulk.stderr)")
        if budgetLine?.contains("paused until") == true {
            #expect(bulk.stderr.contains("Rate limited (HTTP 429): every octopods process using this key waits until "), "\(bulk.stderr)")
            #expect(bulk.stderr.contains("1 pause for the rate limit"), "\(bulk.stderr)")
        }
        let after = sandbox.api.recordedRequests().dropFirst(4)
        #expect(after.count == 3)  // the template and two sends
        #expect(after.allSatisfy { $0.status != 429 })
        let retry = try #require(limited.stderr.firstMatch(of: /until (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/)).1
        for request in after {
            // ISO time with a fraction; the retry time is whole seconds: compare as text.
            let time = request.time.replacingOccurrences(of: "T", with: " ")
            #expect(String(time.prefix(19)) >= String(retry), "\(request.time) before \(retry)")
        }
    }

    @Test func aBudgetFarBelowTheDocumentedOneSendsEveryRowOnceWithAHandfulOf429s() async throws {
        // octopods is told 40 a second; the key really allows 5.
        let sandbox = try TestSandbox(rateLimit: SandboxRateLimit(count: 5, window: 1), cooldown: 1)
        let home = try home(rate: "40/1s")
        let file = phoneCSV("list.csv", rows: 15, first: 0, in: home)
        let r = try await octopods(["send", "template", "1001", "--from", file], environment: sandbox.environment, home: home, timeout: 90)
        #expect(r.status == 0, "\(r.stderr)")
        let sent = acceptedPhones(sandbox)
        #expect(sent.count == 15)
        #expect(Set(sent).count == 15)
        let statuses = sandbox.api.recordedRequests().map(\.status)
        let refused = statuses.filter { $0 == 429 }.count
        #expect(refused >= 1)
        #expect(refused <= 12, "\(statuses)")
        // Never a burst: at most the requests already in flight (--concurrency 4) are refused in a row.
        var run = 0, longest = 0
        for status in statuses { run = status == 429 ? run + 1 : 0; longest = max(longest, run) }
        #expect(longest <= 4, "\(statuses)")
        #expect(r.stderr.contains("This key allows fewer requests than 40/1s: pacing at 20/1s"), "\(r.stderr)")
        // The next run starts from the learned rate.
        let budget = try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent(".local/state/octopods/rate").path)
        #expect(budget.count == 1)
    }
}
