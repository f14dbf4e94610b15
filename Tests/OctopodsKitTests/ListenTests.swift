import Foundation
import Synchronization
import Testing
import CLISupport
@testable import OctopodsKit

/// `listen`'s parts without the network: events and their ids, the signature, the queue on
/// disk, the polling schedule, and its command line.
@Suite struct ListenUnitTests {
    let send = LedgerRecord(
        time: fixedNow, type: .send, profile: "default", channel: .whatsapp, messageID: "100001", kind: "template",
        templateID: "1001", to: "+14155552671", outcome: .accepted, source: "list.csv:2")

    @Test func aStatusMakesTheStagesPassedSinceTheLastOneInOrder() {
        #expect(ListenEvent.kinds(from: nil, to: .sent) == [.sent])
        #expect(ListenEvent.kinds(from: nil, to: .read) == [.sent, .delivered, .read])
        #expect(ListenEvent.kinds(from: .sent, to: .read) == [.delivered, .read])
        #expect(ListenEvent.kinds(from: .delivered, to: .deleted) == [.deleted])
        #expect(ListenEvent.kinds(from: .delivered, to: .delivered) == [])
        #expect(ListenEvent.kinds(from: .delivered, to: .sent) == [], "a stale answer does not go back")
        #expect(ListenEvent.kinds(from: .queued, to: .undelivered) == [.failed])
        #expect(ListenEvent.kinds(from: .sent, to: .expired) == [.expired])
        #expect(ListenEvent.kinds(from: nil, to: .queued) == [])
        #expect(ListenEvent.kinds(from: nil, to: .other("pending")) == [])
    }

    @Test func theSameChangeHasTheSameIDAndTheEventItsContractShape() throws {
        let a = ListenEvent(kind: .delivered, time: fixedNow, send: send, status: .delivered, failure: nil)
        let b = ListenEvent(kind: .delivered, time: fixedNow.addingTimeInterval(60), send: send, status: .delivered, failure: nil)
        #expect(a.id == b.id)
        #expect(a.id.hasPrefix("evt_") && a.id.count == 36)
        #expect(a.id != ListenEvent(kind: .read, time: fixedNow, send: send, status: .read, failure: nil).id)
        var sms = send
        sms.channel = .sms
        #expect(a.id != ListenEvent(kind: .delivered, time: fixedNow, send: sms, status: .delivered, failure: nil).id)
        let json = a.json
        #expect(json.objectValue?.map(\.0) == ["id", "type", "time", "data"])
        #expect(
            json["data"]?.objectValue?.map(\.0) == [
                "message_id", "channel", "to", "status", "failure_reason", "template_id",
                "template_name", "source", "sent_at",
            ])
        #expect(json["type"] == .string("message.delivered"))
        #expect(json["time"] == .string("2026-09-21T14:13:20.000Z"))
        #expect(json["data"]?["source"] == .string("list.csv:2"))
        #expect(json["data"]?["template_name"] == .null)
    }

    /// The Standard Webhooks specification's own example (its reference libraries test it).
    @Test func signaturesMatchTheStandardWebhooksExample() throws {
        let signer = try #require(WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(
            signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array("{\"test\": 2432232314}".utf8))
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookSigner(secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
        #expect(WebhookSigner(secret: "whsec_c2hvcnQ=") == nil, "too short a key")
        let made = try #require(WebhookSigner.generate())
        #expect(made.secret.hasPrefix("whsec_") && WebhookSigner(secret: made.secret) != nil)
    }

    @Test func theSecretIsKeptPrivateAndStable() throws {
        let url = temporaryDirectory().appendingPathComponent("listen/default.secret")
        let first = try WebhookSigner.stored(at: url).secret
        #expect(try WebhookSigner.stored(at: url).secret == first)
        #expect(AtomicFile.mode(of: url) == 0o600)
        try Data("not a secret\n".utf8).write(to: url)
        #expect(throws: OctopodsError.self) { try WebhookSigner.stored(at: url) }
    }

    @Test func theQueueKeepsWhatIsNotAcknowledgedAcrossReopeningAndTornLines() throws {
        let url = temporaryDirectory().appendingPathComponent("listen/q.ndjson")
        let events = [ListenEvent.Kind.sent, .delivered, .read].map {
            ListenEvent(kind: $0, time: fixedNow, send: send, status: ListenEvent.status(of: $0, reached: .read), failure: nil)
        }
        do {
            let outbox = try Outbox(url: url)
            for event in events { #expect(try outbox.add(event)) }
            #expect(try !outbox.add(events[0]), "an event already waiting is not queued twice")
            #expect(throws: OctopodsError.self) { try Outbox(url: url) }  // one listen per queue
            try outbox.acknowledge(events[0].id)
        }
        // A kill in the middle of a line leaves a torn one: skipped, the rest kept.
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        handle.write(Data("{\"id\":\"evt_torn\",\"bo".utf8))
        try handle.close()
        let reopened = try Outbox(url: url)
        #expect(reopened.pending.map(\.id) == [events[1].id, events[2].id])
        #expect(reopened.pending[0].body == Array(events[1].json.serialized().utf8))
        try reopened.acknowledge(events[1].id)
        try reopened.acknowledge(events[2].id)
        #expect(try Data(contentsOf: url).isEmpty, "emptied when nothing waits")
    }

    @Test func olderMessagesArePolledLessOften() {
        let ages: [Double] = [0, 299, 300, 3_599, 3_600, 21_600, 86_400, 400_000]
        #expect(ages.map(ListenWatch.interval) == [10, 10, 30, 30, 120, 600, 1_800, 1_800])
    }

    @Test func badCommandLinesAreUsageErrors() async {
        let cases: [([String], String)] = [
            (["listen", "--events", "delivered,opened"], "invalid value for '--events': 'opened' is not an event"),
            (["listen", "--budget", "0%"], "invalid value for '--budget': '0%' is not a percentage"),
            (["listen", "--budget", "150"], "is not a percentage from 1% to 100%"),
            (["listen", "--forward-to", "http://example.com/hooks"], "plain http is allowed only to loopback hosts"),
            (["listen", "--forward-to", "ftp://localhost/x"], "the scheme must be http (loopback only) or https"),
            (["listen", "--forward-to", "https://example.com/h", "--exec", "cat"], "--forward-to and --exec cannot be used together"),
            (["listen", "--since", "last week"], "invalid value for '--since'"),
        ]
        for (argv, message) in cases {
            let r = await run(argv)
            #expect(r.code == .usage, "\(argv)")
            #expect(r.stderr.contains(message), "\(argv): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    /// A whole run on the test's clock (its sleeps move it): a young message is asked every 10 s,
    /// each change printed once as a short line at a terminal, with the status line on stderr;
    /// the run ends cleanly when interrupted (exit 0).
    @Test func aRunPollsYoungMessagesEveryTenSecondsAndSaysWhatItDoesAtATerminal() async throws {
        let home = temporaryDirectory()
        let directory = home.appendingPathComponent(".local/state/octopods")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ledger = directory.appendingPathComponent("history.ndjson")
        try Data((send.line + "\n").utf8).write(to: ledger)
        let clock = TestClock()
        let transport = FakeTransport { request in
            let status = clock.now < fixedNow.addingTimeInterval(25) ? "sent" : "delivered"
            return .success(
                HTTPResponse(
                    status: 200, headers: ["Content-Type": "application/json"],
                    body: Data("{\"messages\":[{\"message_id\":100001,\"status\":\"\(status)\"}]}".utf8)))
        }
        let r = await run(["listen"], tty: true, transport: transport, home: home, clock: clock) { ctx in
            ctx.isInterrupted = { clock.now >= fixedNow.addingTimeInterval(60) }
        }
        #expect(r.code == .success)
        #expect(transport.requests.map(\.url.path) == Array(repeating: "/api/v1/whatsapp/messages", count: 6), "at 0, 10, … 50 s")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix("  message.sent  whatsapp 100001 to +14155552671") == true, "\(r.stdout)")
        #expect(lines.last?.hasSuffix("  message.delivered  whatsapp 100001 to +14155552671") == true)
        #expect(r.stderr.contains("\r\u{1B}[2KWatching 1 message · next poll in 10s · 1 event"), "\(r.stderr)")
        #expect(r.stderr.contains("Stopped after 2 events."))
        let recorded = try String(contentsOf: ledger, encoding: .utf8)
        #expect(recorded.contains("\"type\":\"status\"") && recorded.contains("\"status\":\"delivered\""))
    }

    /// A 429 pauses polling whole until the server's time (plus the safety second), then it goes on.
    @Test func a429PausesPollingUntilItsTime() async throws {
        let home = temporaryDirectory()
        let directory = home.appendingPathComponent(".local/state/octopods")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data((send.line + "\n").utf8).write(to: directory.appendingPathComponent("history.ndjson"))
        let clock = TestClock()
        final class Times: Sendable { let value = Mutex<[Date]>([]) }
        let times = Times()
        let transport = FakeTransport { _ in
            let first = times.value.withLock {
                $0.append(clock.now); return $0.count == 1
            }
            if first {
                return .success(
                    HTTPResponse(
                        status: 429, headers: ["Content-Type": "application/json"],
                        body: Data(
                            "{\"message\": \"You have fired too many requests. Please try after 2026-09-21 14:15:20 UTC.\"}".utf8)))
            }
            return .success(
                HTTPResponse(
                    status: 200, headers: ["Content-Type": "application/json"],
                    body: Data("{\"messages\":[{\"message_id\":100001,\"status\":\"delivered\"}]}".utf8)))
        }
        let r = await run(["listen", "--polls", "1"], transport: transport, home: home, clock: clock)
        #expect(r.code == .success, "\(r.stderr)")
        let seen = times.value.withLock { $0 }
        #expect(seen.count == 2)
        #expect(seen.last.map { $0 >= fixedNow.addingTimeInterval(121) } == true, "\(seen)")
        #expect(r.stderr.contains("Rate limited (HTTP 429): every octopods process using this key waits until"), "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 2, "sent and delivered, once")
    }
}
