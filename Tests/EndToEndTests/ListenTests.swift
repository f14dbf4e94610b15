import Foundation
import Testing
import TestSupport
import Synchronization
import CLISupport
import OctopodsSandbox
#if canImport(Glibc)
import Glibc
#endif

/// `octopods listen` through the real binary against the sandbox. Time is the sandbox's clock,
/// moved by the test; `--polls N` (hidden) polls N times without waiting and exits once its
/// queue is delivered, so every run ends by itself and nothing waits on the wall clock.
@Suite struct ListenEndToEndTests {
    struct User {
        let home = scratchDirectory()
        let sandbox: TestSandbox

        @discardableResult
        func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessResult {
            try await octopods(arguments, environment: sandbox.environment, home: home, timeout: 60, sourceLocation: sourceLocation)
        }

        /// Runs `listen` and returns its events.
        func listen(_ arguments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [JSONValue] {
            let r = try await run(["listen", "--polls", "1"] + arguments, sourceLocation: sourceLocation)
            #expect(r.status == 0, "\(r.stderr)", sourceLocation: sourceLocation)
            return r.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        }

        /// A sandbox reached on loopback is practice: its files are apart from the real ones.
        var queue: URL { home.appendingPathComponent(".local/state/octopods/listen/sandbox-default.queue.ndjson") }
    }

    /// A webhook receiver on loopback: records every delivery and answers as `answer` says.
    final class Receiver: Sendable {
        struct Delivery: Sendable {
            var id: String?
            var timestamp: String?
            var signature: String?
            var body: Data
            var contentType: String?
            var answered: Int
        }
        final class Log: Sendable {
            let deliveries = Mutex<[Delivery]>([])
            let firstArrived = Mutex<CheckedContinuation<Void, Never>?>(nil)
        }
        let log = Log()
        let server: SandboxServer

        /// `answer(delivery number of this id (1 = first), overall number)`: the status and whether to hang instead.
        init(answer: @escaping @Sendable (_ attempt: Int, _ overall: Int) -> SandboxResponse) throws {
            let log = self.log
            server = try SandboxServer(
                port: 0,
                handler: { request in
                    let id = request.header("webhook-id")
                    let (attempt, overall) = log.deliveries.withLock { all in
                        (all.filter { $0.id == id }.count + 1, all.count + 1)
                    }
                    let response = answer(attempt, overall)
                    log.deliveries.withLock {
                        $0.append(
                            Delivery(
                                id: id, timestamp: request.header("webhook-timestamp"), signature: request.header("webhook-signature"),
                                body: request.body, contentType: request.header("Content-Type"),
                                answered: response.fault == nil ? response.status : 0))
                    }
                    log.firstArrived.withLock {
                        $0?.resume(); $0 = nil
                    }
                    return response
                })
            server.start()
        }

        deinit { server.stop() }

        var url: String { "http://127.0.0.1:\(server.port)/hooks" }
        var all: [Delivery] { log.deliveries.withLock { $0 } }

        /// Returns once a delivery has arrived.
        func waitForFirst() async {
            await withCheckedContinuation { continuation in
                let arrived = log.deliveries.withLock { !$0.isEmpty }
                if arrived { continuation.resume(); return }
                log.firstArrived.withLock { $0 = continuation }
                if log.deliveries.withLock({ !$0.isEmpty }) {
                    log.firstArrived.withLock {
                        $0?.resume(); $0 = nil
                    }
                }
            }
        }

        /// Whether the signature is what a Standard Webhooks receiver computes with `secret`.
        static func verify(_ delivery: Delivery, secret: String) -> Bool {
            guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))),
                let id = delivery.id, let timestamp = delivery.timestamp, Int64(timestamp) != nil,
                let signature = delivery.signature
            else { return false }
            let tag = HMACSHA256.authenticate(key: Array(key), message: Array("\(id).\(timestamp).".utf8) + Array(delivery.body))
            return signature.split(separator: " ").contains { $0 == "v1," + Data(tag).base64EncodedString() }
        }
    }

    func types(_ events: [JSONValue], _ messageID: String) -> [String] {
        events.filter { $0["data"]?["message_id"]?.stringValue == messageID }.compactMap { $0["type"]?.stringValue }
    }

    @Test func sendsAreFollowedToTheirEndWithEachEventOnceAndInOrder() async throws {
        let clock = TestClock()
        let user = User(sandbox: try TestSandbox(stageInterval: 10, clock: clock))
        var ids: [String] = []
        for argv in [
            ["send", "template", "1007", "--to", "+14155552671"], ["send", "template", "1007", "--to", "+15550100003"],
            ["sms", "send", "--to", "+14155552672", "--body", "x"], ["sms", "send", "--to", "+15550100003", "--body", "x"],
            ["sms", "send", "--to", "+15550100007", "--body", "x"],
            ["vbm", "send", "2002", "--to", "+14155552674", "--var", "1=Jo", "--var", "2=x"],
            ["send", "template", "1007", "--to", "+15550100006"],
        ] {
            let r = try await user.run(argv + ["-o", "json"])
            #expect(r.status == 0, "\(r.stderr)")
            ids.append((try? JSONValue.parse(r.stdout))?["message_id"]?.scalarText ?? "?")
        }
        var events: [JSONValue] = []
        for _ in 0..<3 {
            events += try await user.listen()
            clock.advance(10)
        }
        let requests = user.sandbox.api.recordedRequests().count
        #expect(try await user.listen().isEmpty, "nothing left to follow")
        #expect(user.sandbox.api.recordedRequests().count == requests, "final messages are not polled")

        #expect(types(events, ids[0]) == ["message.sent", "message.delivered", "message.read"])
        #expect(types(events, ids[1]) == ["message.sent", "message.failed"])
        #expect(types(events, ids[2]) == ["message.sent", "message.delivered"])
        #expect(types(events, ids[3]) == ["message.sent", "message.failed"])
        #expect(types(events, ids[4]) == ["message.expired"], "the API does not know it")
        #expect(types(events, ids[5]).isEmpty, "Viber has no status endpoint")
        #expect(types(events, ids[6]) == ["message.sent", "message.delivered", "message.deleted"])
        #expect(Set(events.compactMap { $0["id"]?.stringValue }).count == events.count, "each change once")
        let failed = events.first { $0["type"] == .string("message.failed") && $0["data"]?["message_id"]?.stringValue == ids[3] }
        #expect(failed?["data"]?["status"] == .string("undelivered"))
        #expect(failed?["data"]?["failure_reason"]?.stringValue?.contains("Carrier could not deliver") == true)
        #expect(events.first?["data"]?["to"] == .string("+14155552671"))
        #expect(events.first?["data"]?["template_id"] == .string("1007"))

        // What listen learned is in the history.
        let history = try await user.run(["history", "-o", "ndjson", "--limit", "0"])
        let statuses = history.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }.map {
            $0["status"]?.stringValue
        }
        // The Viber send has no delivery status: history's status is its outcome (docs/history.md).
        #expect(statuses == ["read", "failed", "delivered", "undelivered", "expired", "accepted", "deleted"])
    }

    /// A sandbox that, like the API, forgets all but a key's newest messages: the forgotten one expires.
    @Test func aMessageTheAPIForgotExpires() async throws {
        let user = User(sandbox: try TestSandbox(clock: TestClock(), statusMemory: 2))
        for i in 0..<3 { try await user.run(["sms", "send", "--to", "+1415555\(2671 + i)", "--body", "x"]) }
        let events = try await user.listen()
        #expect(events.map { $0["type"]?.stringValue } == ["message.expired"])
        #expect(events.first?["data"]?["to"] == .string("+14155552671"), "the oldest")
    }

    @Test func forwardedEventsAreSignedAndRetriedUntilAcknowledged() async throws {
        let clock = TestClock()
        let user = User(sandbox: try TestSandbox(stageInterval: 10, clock: clock))
        try await user.run(["send", "template", "1007", "--to", "+14155552671"])
        try await user.run(["send", "template", "1007", "--to", "+15550100001"])
        clock.advance(25)
        let receiver = try Receiver { attempt, _ in SandboxResponse(status: attempt == 1 ? 500 : 200) }
        let secret = try await user.run(["listen", "--print-secret"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("whsec_"))
        let r = try await user.run(["listen", "--polls", "1", "--events", "read,failed", "--forward-to", receiver.url])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("signed with \(secret)"))
        #expect(r.stderr.contains("failed (HTTP 500); trying again in 1s"), "\(r.stderr)")
        let printed = r.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        #expect(printed.compactMap { $0["type"]?.stringValue } == ["message.read", "message.failed"])

        let deliveries = receiver.all
        #expect(deliveries.map(\.answered) == [500, 200, 500, 200])
        #expect(
            deliveries.map(\.id) == [
                printed[0]["id"]?.stringValue, printed[0]["id"]?.stringValue,
                printed[1]["id"]?.stringValue, printed[1]["id"]?.stringValue,
            ])
        for delivery in deliveries {
            #expect(Receiver.verify(delivery, secret: secret), "\(delivery)")
            #expect((try? JSONValue.parse(delivery.body))?["id"]?.stringValue == delivery.id)
            #expect(delivery.contentType == "application/json")
        }
        #expect(deliveries[0].body == deliveries[1].body, "a repeat is the same event, byte for byte")
        var tampered = deliveries[1]
        tampered.body = Data(String(decoding: tampered.body, as: UTF8.self).replacingOccurrences(of: "read", with: "sent").utf8)
        #expect(!Receiver.verify(tampered, secret: secret))
        #expect(try Data(contentsOf: user.queue).isEmpty)
    }

    /// The receiver of docs/listen.md (examples/webhook-receiver.py, shown verbatim) accepts what
    /// listen sends: listen exits only once every event was acknowledged, and the receiver answers
    /// 400 to a signature it cannot verify.
    @Test func theDocumentedReceiverVerifiesWhatListenSends() async throws {
        let example = repositoryRoot.appendingPathComponent("examples/webhook-receiver.py")
        let page = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/listen.md"), encoding: .utf8)
        #expect(page.contains("```python\n" + (try String(contentsOf: example, encoding: .utf8)) + "```"))

        let clock = TestClock()
        let user = User(sandbox: try TestSandbox(stageInterval: 10, clock: clock))
        try await user.run(["send", "template", "1007", "--to", "+14155552671"])
        clock.advance(25)
        let secret = try await user.run(["listen", "--print-secret"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (fd, port) = try bindLoopback(listening: false)
        close(fd)
        let output = try pipePair()
        // Until it listens, listen's deliveries are refused and tried again (after 1 s, 2 s, …).
        let python = try #require(findProgram("python3"))
        let receiver = try Child(python, [example.path], environment: ["WEBHOOK_SECRET": secret, "PORT": "\(port)"], stdout: output.write)
        close(output.write)
        let r = try await user.run(["listen", "--polls", "1", "--forward-to", "http://127.0.0.1:\(port)/"])
        receiver.terminate()
        let received = String(decoding: readAllAndClose(output.read), as: UTF8.self)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 3)
        #expect(received.split(separator: "\n") == r.stdout.split(separator: "\n"), "\(received)")
    }

    /// --exec runs the command per event with its JSON on stdin; a command that fails gets it again.
    @Test func execRunsACommandPerEventUntilItSucceeds() async throws {
        let clock = TestClock()
        let user = User(sandbox: try TestSandbox(stageInterval: 10, clock: clock))
        try await user.run(["send", "template", "1007", "--to", "+15550100001"])
        clock.advance(15)
        let flag = user.home.appendingPathComponent("failed-once").path, file = user.home.appendingPathComponent("events.ndjson").path
        let command = "test -f '\(flag)' || { touch '\(flag)'; exit 3; }; { cat; echo; } >> '\(file)'"
        let r = try await user.run(["listen", "--polls", "1", "--exec", command])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("failed (the command exited 3); trying again in 1s"), "\(r.stderr)")
        let ran = try String(contentsOfFile: file, encoding: .utf8)
        #expect(ran == r.stdout, "each event once, as printed")
        #expect(
            ran.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }.compactMap { $0["type"]?.stringValue }
                == ["message.failed"], "a message seen failed at once has no sent event")
    }

    @Test func aListenKilledMidDeliveryLosesNoEventWhenStartedAgain() async throws {
        let clock = TestClock()
        let user = User(sandbox: try TestSandbox(stageInterval: 10, clock: clock))
        try await user.run(["send", "template", "1007", "--to", "+14155552671"])
        clock.advance(25)
        let hang = Atomic<Bool>(true)
        // The first delivery hangs (the receiver never answers) until listen is killed.
        let receiver = try Receiver { _, overall in
            overall == 1 && hang.load(ordering: .relaxed) ? SandboxResponse(status: 200, fault: .delay(60)) : SandboxResponse(status: 200)
        }
        let child = try startOctopods(["listen", "--forward-to", receiver.url], environment: user.sandbox.environment, home: user.home)
        await receiver.waitForFirst()
        kill(child.processIdentifier, SIGKILL)
        await withCheckedContinuation { c in
            DispatchQueue.global().async {
                child.waitUntilExit(); c.resume()
            }
        }
        #expect(child.terminationStatus == 128 + SIGKILL)
        hang.store(false, ordering: .relaxed)

        let r = try await user.run(["listen", "--polls", "1", "--forward-to", receiver.url])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("3 events from an earlier run waiting"), "\(r.stderr)")
        #expect(r.stdout.isEmpty, "nothing new: the statuses were recorded before the kill")
        let deliveries = receiver.all
        let acknowledged = deliveries.filter { $0.answered == 200 }.compactMap(\.id)
        let types = deliveries.dropFirst().compactMap { (try? JSONValue.parse($0.body))?["type"]?.stringValue }
        #expect(types == ["message.sent", "message.delivered", "message.read"], "each once, in order, after the kill")
        #expect(deliveries[1].id == deliveries[0].id, "the interrupted one again, with the same webhook-id")
        #expect(acknowledged.count == 3 && Set(acknowledged).count == 3, "each acknowledged once")
        #expect(try Data(contentsOf: user.queue).isEmpty)
    }

    @Test func sigtermStopsCleanly() async throws {
        let user = User(sandbox: try TestSandbox())
        try await user.run(["sms", "send", "--to", "+14155552671", "--body", "x"])
        let pipe = Pipe()
        let child = try startOctopods(["listen"], environment: user.sandbox.environment, home: user.home, stderr: pipe)
        let banner = readUntil(pipe.fileHandleForReading.fileDescriptor) { String(decoding: $0, as: UTF8.self).contains("not final yet") }
        #expect(String(decoding: banner, as: UTF8.self).contains("Watching 1 message of profile 'default'"))
        kill(child.processIdentifier, SIGTERM)
        let rest = readToEnd(pipe.fileHandleForReading)
        await withCheckedContinuation { c in
            DispatchQueue.global().async {
                child.waitUntilExit(); c.resume()
            }
        }
        #expect(child.terminationStatus == 0, "\(String(decoding: rest, as: UTF8.self))")
        #expect(String(decoding: rest, as: UTF8.self).contains("Stopped after"))
    }

    /// The sandbox enforces 20 requests per second per key; listen may use a quarter of it while a
    /// bulk run sends beside it with the same key.
    @Test func pollingStaysWithinItsShareWhileABulkRunSendsBesideIt() async throws {
        let sandbox = try TestSandbox(rateLimit: SandboxRateLimit(count: 20, window: 1), cooldown: 1, stageInterval: 3600)
        let user = User(sandbox: sandbox)
        let config = user.home.appendingPathComponent(".config/octopods")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        #expect(
            FileManager.default.createFile(
                atPath: config.appendingPathComponent("config").path, contents: Data("[default]\nrate = 20/1s\n".utf8),
                attributes: [.posixPermissions: 0o600]))
        for i in 0..<4 { try await user.run(["send", "template", "1007", "--to", "+1415555\(2000 + i)"]) }
        var csv = "phone,1,2\n"
        for i in 0..<40 { csv += "+1415555\(3000 + i),N\(i),A-\(i)\n" }
        let file = user.home.appendingPathComponent("list.csv")
        try Data(csv.utf8).write(to: file)
        let bulk = try startOctopods(["send", "template", "1001", "--from", file.path], environment: sandbox.environment, home: user.home)
        // Every poll is one list request (the list shows all four); without a budget, 12 would go out at once.
        let r = try await user.run(["listen", "--polls", "12"])
        #expect(r.status == 0, "\(r.stderr)")
        await withCheckedContinuation { c in
            DispatchQueue.global().async {
                bulk.waitUntilExit(); c.resume()
            }
        }
        #expect(bulk.terminationStatus == 0)

        let log = sandbox.api.recordedRequests()
        #expect(log.filter { $0.status == 429 }.isEmpty, "no 429")
        #expect(log.filter { $0.method == "POST" && $0.status == 201 }.count == 44)
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let polls = log.filter { $0.method == "GET" && $0.path.hasSuffix("/messages") }.compactMap {
            format.date(from: $0.time)?.timeIntervalSince1970
        }
        #expect(polls.count == 12)
        // At most 5 (a quarter of 20) in any second.
        for (i, t) in polls.enumerated() {
            #expect(polls[i...].prefix { $0 < t + 1 }.count <= 5, "\(polls)")
        }
    }
}
