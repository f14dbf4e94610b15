import Foundation
import Testing
import Synchronization
import TestSupport
import CLISupport
import OctopodsSandbox
#if canImport(Glibc)
import Glibc
#endif

/// A real `redis-server` (Debian's package; `.ci/run` installs it) on a free loopback port with a
/// private directory, for as long as the value lives.
final class RedisServer: Sendable {
    let port: UInt16
    let directory: URL
    private let child = Mutex<Child?>(nil)

    init() throws {
        guard let server = findProgram("redis-server") else { throw TLSLab.LabError("redis-server is not installed (see .ci/run)") }
        directory = scratchDirectory()
        let (fd, port) = try bindLoopback(listening: false)
        close(fd)
        self.port = port
        try start(server)
    }

    private func start(_ server: String) throws {
        let child = try Child(
            server,
            [
                "--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path, "--save", "",
                "--appendonly", "no", "--protected-mode", "yes",
            ],
            environment: ["PATH": "/usr/bin:/bin"])
        self.child.withLock { $0 = child }
        // Ready when it answers PING (bounded at a minute: a server that never comes up fails the test;
        // under load a start took over 5 s).
        let client = RedisClient(RedisAddress(host: "127.0.0.1", port: port, user: nil, password: nil, database: 0), timeout: 1)
        for _ in 0..<6_000 {
            if case .simple("PONG")? = try? client.command("PING") { return }
            guard child.isRunning else { break }
            usleep(10_000)
        }
        throw TLSLab.LabError("redis-server did not start on port \(port)")
    }

    var url: String { "redis://127.0.0.1:\(port)" }

    /// SIGKILL, waited for.
    func kill() {
        guard let child = child.withLock({ $0 }) else { return }
        Glibc.kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
    }

    func restart() throws {
        guard let server = findProgram("redis-server") else { return }
        try start(server)
    }

    deinit { kill() }
}

/// Several machines on one key (README "Several machines"; docs/state-store.md): two "hosts"
/// are two processes with their own state directories, sharing only the store in Redis.
@Suite struct StateStoreTests {
    /// A HOME of its own (its own state directory: another machine's) pacing at `rate`, with the
    /// store in its config.
    func host(rate: String, store: String) throws -> URL {
        let home = scratchDirectory()
        let dir = home.appendingPathComponent(".config/octopods")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("config")
        #expect(
            FileManager.default.createFile(
                atPath: config.path,
                contents: Data("[default]\nrate = \(rate)\nstate_store = \(store)\n".utf8),
                attributes: [.posixPermissions: 0o600]))
        return home
    }

    /// Two hosts, one key, bulk runs at once at the key's limit: zero 429s, every row once. (With
    /// each host's own file, each believes it has the whole budget: twice the limit.)
    @Test func twoHostsSharingTheStoreGetNo429AndSendEveryRowOnce() async throws {
        let redis = try RedisServer()
        let sandbox = try TestSandbox(rateLimit: SandboxRateLimit(count: 20, window: 1), cooldown: 1)
        let first = try host(rate: "20/1s", store: redis.url), second = try host(rate: "20/1s", store: redis.url)
        let a = phoneCSV("a.csv", rows: 30, first: 0, in: first, placeholders: false),
            b = phoneCSV("b.csv", rows: 30, first: 100, in: second, placeholders: false)
        let other = try startOctopods(
            ["sms", "send", "--from", b, "--body", "hi", "--yes"], environment: sandbox.environment, home: second)
        let r = try await octopods(
            ["sms", "send", "--from", a, "--body", "hi", "--yes"], environment: sandbox.environment, home: first,
            timeout: 60)
        let otherStatus = await exitStatus(other)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(otherStatus == 0)
        #expect(tooManyRequests(sandbox) == 0)
        let sent = acceptedPhones(sandbox)
        #expect(sent.count == 60 && Set(sent).count == 60)
        // Nothing of the budget in either host's state directory: it lives in Redis.
        for home in [first, second] {
            let rate = home.appendingPathComponent(".local/state/octopods/rate")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: rate.path)) ?? []).isEmpty)
        }
    }

    /// The same message from two hosts goes once: at once (two single sends, two bulk runs of the
    /// same people) and later (a retried script on the other host); an idempotency key holds
    /// across hosts too. Each host's own history knows nothing of the other's sends.
    @Test func theSameMessageFromTwoHostsIsSentOnce() async throws {
        let redis = try RedisServer()
        let sandbox = try TestSandbox()
        let first = try host(rate: "55/10s", store: redis.url), second = try host(rate: "55/10s", store: redis.url)
        let single = ["sms", "send", "--to", "+14155550999", "--body", "Your visit is tomorrow"]
        let children = try [first, second].map { home in try startOctopods(single, environment: sandbox.environment, home: home) }
        for child in children { #expect(await exitStatus(child) == 0) }
        #expect(sandbox.posts.count == 1, "one of the two hosts sent it")
        // Later, from either host: the earlier result, nothing sent.
        for home in [first, second] {
            let again = try await octopods(single, environment: sandbox.environment, home: home)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stderr.contains("not sent again"), "\(again.stderr)")
        }
        #expect(sandbox.posts.count == 1)
        // Two bulk runs of the same people (in another order), one per host, at once.
        let a = phoneCSV("a.csv", rows: 20, first: 0, in: first, placeholders: false),
            b = phoneCSV("b.csv", rows: 20, first: 0, in: second, placeholders: false)
        let lines = try String(contentsOfFile: b, encoding: .utf8).split(separator: "\n")
        try Data(([lines[0]] + lines.dropFirst().reversed()).joined(separator: "\n").appending("\n").utf8).write(
            to: URL(fileURLWithPath: b))
        let bulk = { (file: String) in ["sms", "send", "--from", file, "--body", "hi", "--yes"] }
        let other = try startOctopods(bulk(b), environment: sandbox.environment, home: second)
        let r = try await octopods(bulk(a), environment: sandbox.environment, home: first, timeout: 60)
        let otherStatus = await exitStatus(other)
        #expect(r.status == 0 && otherStatus == 0, "\(r.stderr)")
        #expect(sandbox.posts.count == 21 && Set(acceptedPhones(sandbox)).count == 21, "each person once: \(sandbox.posts.count) posts")
        // An idempotency key given on one host is honoured on the other.
        let keyed = ["sms", "send", "--to", "+14155550888", "--body", "order 7", "--idempotency-key", "order-7"]
        let one = try await octopods(keyed, environment: sandbox.environment, home: first)
        let two = try await octopods(keyed, environment: sandbox.environment, home: second)
        #expect(one.status == 0 && two.status == 0, "\(two.stderr)")
        #expect(two.stderr.contains("idempotency key 'order-7'"), "\(two.stderr)")
        let conflict = try await octopods(
            ["sms", "send", "--to", "+14155550888", "--body", "order 8", "--idempotency-key", "order-7"],
            environment: sandbox.environment, home: second)
        #expect(conflict.status == 2, "\(conflict.stderr)")
        #expect(sandbox.posts.count == 22)
    }

    /// The store killed mid-run: the run stops (exit 4), sending nothing more; after a restart the
    /// same command resumes exactly where it stopped.
    @Test func theStoreKilledMidRunStopsTheRunWhichResumesExactly() async throws {
        let redis = try RedisServer()
        let sandbox = try TestSandbox()
        let home = try host(rate: "4/1s", store: redis.url)
        let file = phoneCSV("list.csv", rows: 12, first: 0, in: home, placeholders: false)
        let command = ["sms", "send", "--from", file, "--body", "hi", "--yes"]
        let run = try startOctopods(command, environment: sandbox.environment, home: home)
        for _ in 0..<6_000 where sandbox.posts.count < 3 { usleep(10_000) }
        redis.kill()
        let status = await exitStatus(run)
        #expect(status == 4, "the run stops when the store is gone")
        let before = acceptedPhones(sandbox).count
        #expect(before >= 3 && before < 12, "\(before) rows sent before the store went away")
        try redis.restart()
        let resumed = try await octopods(command, environment: sandbox.environment, home: home, timeout: 60)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let sent = acceptedPhones(sandbox)
        #expect(sent.count == 12 && Set(sent).count == 12, "every row once: \(sent.count) sent")
    }

    /// An unreachable store: said once, nothing sent, exit 4; `--state-store local` sends with
    /// this machine's budget for that run.
    @Test func anUnreachableStoreSendsNothingUnlessToldLocal() async throws {
        let sandbox = try TestSandbox()
        let refusing = try RefusingPort()
        let home = try host(rate: "55/10s", store: "redis://127.0.0.1:\(refusing.port)")
        let send = ["sms", "send", "--to", "+14155552671", "--body", "hi"]
        let r = try await octopods(send, environment: sandbox.environment, home: home)
        #expect(r.status == 4, "\(r.stderr)")
        #expect(r.stderr.contains("error: the state store shared with other machines cannot be used"), "\(r.stderr)")
        #expect(r.stderr.contains("--state-store local"))
        #expect(sandbox.posts.isEmpty)
        let local = try await octopods(send + ["--state-store", "local"], environment: sandbox.environment, home: home)
        #expect(local.status == 0, "\(local.stderr)")
        #expect(sandbox.posts.count == 1)
    }

    /// A password in the store's URL is never shown: not by config list, set or -v.
    @Test func theStoresPasswordIsNeverShown() async throws {
        let sandbox = try TestSandbox()
        let redis = try RedisServer()
        let home = scratchDirectory()
        let url = "redis://octo:s3cret-pa55@127.0.0.1:\(redis.port)/3"
        let set = try await octopods(["config", "set", "state_store", url], environment: sandbox.environment, home: home)
        #expect(set.status == 0, "\(set.stderr)")
        let list = try await octopods(["config", "list"], environment: sandbox.environment, home: home)
        let bad = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "hi", "-v"], environment: sandbox.environment,
            home: home)
        for r in [set, list, bad] {
            #expect(!r.stdout.contains("s3cret-pa55") && !r.stderr.contains("s3cret-pa55"), "\(r.stdout) \(r.stderr)")
        }
        #expect(list.stdout.contains("redis://127.0.0.1:\(redis.port)/3"), "\(list.stdout)")
        // The server has no such user: AUTH fails, nothing is sent.
        #expect(bad.status == 4 && sandbox.posts.isEmpty, "\(bad.stderr)")
    }
}
