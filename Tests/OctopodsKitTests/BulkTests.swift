import Foundation
import Synchronization
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct PacerRateTests {
    @Test func rateSyntax() {
        #expect(Pacer.Rate.parse("55/10s") == Pacer.Rate(count: 55, window: 10))
        #expect(Pacer.Rate.parse("330/1m") == Pacer.Rate(count: 330, window: 60))
        #expect(Pacer.Rate.parse("0/10") == nil)
        #expect(Pacer.Rate.parse("55") == nil)
    }
}

@Suite struct JournalTests {
    @Test func recordsReopensAndSurvivesATornLine() async throws {
        let url = temporaryDirectory().appendingPathComponent("run.journal")
        do {
            let journal = try Journal(url: url, command: "send template 1")
            try await journal.record(.init(line: 2, hash: "a", state: .sending))
            try await journal.record(.init(line: 2, hash: "a", state: .accepted, messageID: "42"))
            try await journal.record(.init(line: 3, hash: "b", state: .sending))
        }
        #expect(AtomicFile.mode(of: url) == 0o600)
        // A kill mid-write leaves half a line.
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"line":4,"ha"#.utf8))
        try handle.close()
        let states = try Journal.peek(url)
        #expect(states[2]?.state == .accepted)
        #expect(states[2]?.messageID == "42")
        #expect(states[3]?.state == .sending)
        #expect(states[4] == nil)
        let reopened = try Journal(url: url, command: "send template 1")
        #expect(await reopened.tornLines == 1)
        try await reopened.record(.init(line: 4, hash: "c", state: .accepted, messageID: "43"))
        #expect(try Journal.peek(url)[4]?.messageID == "43")  // not glued onto the torn line
        #expect(throws: OctopodsError.self) { try Journal(url: url, command: "sms send") }
    }

    @Test func concurrentRecordsAllLand() async throws {
        let url = temporaryDirectory().appendingPathComponent("many.journal")
        let journal = try Journal(url: url, command: "x")
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<200 { group.addTask { try? await journal.record(.init(line: i, hash: "h", state: .accepted)) } }
        }
        #expect(try Journal.peek(url).count == 200)
    }
}

/// A fake API for bulk runs: template GETs answered, every POST recorded and answered by `answer`.
final class BulkFake: Sendable {
    let posts = Mutex<[String]>([])
    let answer: @Sendable (String, Int) -> (Int, String)
    init(_ answer: @escaping @Sendable (String, Int) -> (Int, String) = { _, n in (201, #"{"message_id":\#(1000 + n)}"#) }) {
        self.answer = answer
    }
    var transport: FakeTransport {
        FakeTransport { request in
            if request.method == "GET" { return .success(HTTPResponse(status: 200, body: Data(orderTemplate.utf8))) }
            let body = String(decoding: request.body ?? Data(), as: UTF8.self)
            let n = self.posts.withLock { $0.append(body); return $0.count }
            let (status, text) = self.answer(body, n)
            return .success(HTTPResponse(status: status, body: Data(text.utf8)))
        }
    }
    var count: Int { posts.withLock { $0.count } }
}

@Suite struct BulkRunTests {
    func csv(_ rows: Int, in dir: URL = temporaryDirectory()) -> URL {
        let url = dir.appendingPathComponent("rows.csv")
        var text = "phone,name,1,2\n"
        for i in 0..<rows { text += "+1415555\(String(format: "%04d", i)),N\(i),Name\(i),A-\(i)\n" }
        try? Data(text.utf8).write(to: url)
        return url
    }

    func send(_ file: URL, _ extra: [String] = [], fake: BulkFake, clock: TestClock = TestClock(),
              configure: (inout Context) -> Void = { _ in }) async -> TestRun {
        await run(["send", "template", "1001", "--from", file.path, "--rate", "off"] + extra, transport: fake.transport, clock: clock,
                  configure: configure)
    }

    @Test func sendsEveryRowOnceWithNDJSONAndJournal() async {
        let fake = BulkFake()
        let file = csv(25)
        let r = await send(file, fake: fake)
        #expect(r.code == .success)
        #expect(fake.count == 25)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 25)
        #expect(lines.allSatisfy { $0.contains(#""status":"accepted""#) })
        #expect(r.stderr.contains("Checked 25 rows"))
        #expect(r.stderr.contains("25 accepted, 0 rejected, 0 unknown"))
        let again = await send(file, fake: fake)
        #expect(again.code == .success)
        #expect(fake.count == 25)  // resumed: nothing resent
        #expect(again.stdout.split(separator: "\n").allSatisfy { $0.contains("sent by an earlier run") })
    }

    @Test func aStray429PausesAndResendsTheRow() async {
        let clock = TestClock()
        let fake = BulkFake { _, n in
            n == 3 ? (429, #"{"message":"Please try after 2026-09-21 14:18:20 UTC."}"#) : (201, #"{"message_id":\#(1000 + n)}"#)
        }
        let r = await send(csv(5), ["--concurrency", "1"], fake: fake, clock: clock)
        #expect(r.code == .success)
        #expect(fake.count == 6)
        #expect(r.stdout.split(separator: "\n").count == 5)
        // Paused until the retry time (14:18:20) plus the safety second, then resumed.
        #expect(clock.now >= fixedNow.addingTimeInterval(301))
        #expect(r.stderr.contains("Rate limited (HTTP 429): every octopods process using this key waits until 2026-09-21 14:18:21 UTC (5m 1s)."))
        #expect(r.stderr.contains("; 1 rate-limited (429) and resent; 1 pause for the rate limit."))
    }

    @Test func rejectedAndUnknownRows() async {
        let fake = BulkFake { body, n in
            if body.contains("+14155550001") { return (400, #"{"error_code":5,"error":"Invalid Phone number"}"#) }
            if body.contains("+14155550002") { return (502, "<html>bad gateway</html>") }
            return (201, #"{"message_id":\#(1000 + n)}"#)
        }
        let file = csv(4)
        let r = await send(file, fake: fake)
        #expect(r.code == .unknownOutcome)
        #expect(r.stdout.contains(#""line":3,"phone":"+14155550001","error":"the API rejected the request (HTTP 400)","error_code":5,"status":"rejected""#))
        #expect(r.stdout.contains(#""phone":"+14155550002","error":"the API failed with HTTP 502","status":"unknown""#))
        #expect(r.stderr.contains("warning: 1 rows went out with no recorded answer"))
        // Run again: neither the rejected nor the unknown row is resent…
        let again = await send(file, fake: fake)
        #expect(fake.count == 4)
        #expect(again.code == .unknownOutcome)
        // …until asked to.
        let resend = await send(file, ["--resend-unknown"], fake: fake)
        #expect(fake.count == 5)
        #expect(resend.code == .unknownOutcome)  // the 502 again
    }

    @Test func ctrlCFinishesInFlightAndExits130() async {
        let fake = BulkFake()
        let r = await send(csv(50), ["--concurrency", "2"], fake: fake) { ctx in
            ctx.isInterrupted = { fake.count >= 10 }
        }
        #expect(r.code == .interrupted)
        #expect(fake.count >= 10 && fake.count < 50)
        #expect(r.stdout.split(separator: "\n").count == fake.count)  // every request that went out is reported
        #expect(r.stderr.contains("Interrupted: in-flight requests finished and the journal is written"))
    }

    @Test func authFailureStopsTheRun() async {
        let fake = BulkFake { _, _ in (401, "") }
        let r = await send(csv(20), ["--concurrency", "1"], fake: fake)
        #expect(r.code == .auth)
        #expect(fake.count == 1)
    }

    @Test func guards() async {
        let fake = BulkFake()
        let max = await send(csv(20), ["--max-messages", "10"], fake: fake)
        #expect(max.code == .usage)
        #expect(max.stderr.contains("this run would send 20 messages, more than --max-messages 10; nothing was sent"))
        let asked = Mutex<String?>(nil)
        let declined = await run(["send", "template", "1001", "--from", csv(101).path], stdinIsTTY: true, transport: fake.transport) { ctx in
            ctx.confirm = { question in asked.withLock { $0 = question }; return false }
        }
        #expect(declined.code == .rejected)
        #expect(asked.withLock { $0 } == "Send 101 messages?")
        #expect(fake.count == 0)
        let yes = await run(["send", "template", "1001", "--from", csv(101).path, "--yes", "--rate", "off"], stdinIsTTY: true,
                            transport: fake.transport)
        #expect(yes.code == .success)
        #expect(fake.count == 101)
    }

    @Test(arguments: [
        (["send", "template", "1", "--to", "+14155552671", "--journal", "j"], "error: --journal applies to bulk sends; give the recipients with --from FILE"),
        (["send", "template", "1", "--to", "+14155552671", "--from", "f.csv"], "error: --to and --from cannot be used together: --from gives the recipients"),
        (["send", "template", "1", "--from", "f.csv", "--rate", "fast"], "error: invalid value for '--rate': 'fast' is not N/DURATION (e.g. 55/10s) or off"),
        (["send", "template", "1"], "error: give the recipient with --to PHONE, or many with --from FILE"),
        (["sms", "send", "--from", "f.csv", "--max-wait", "1m"], "error: --max-wait is for single sends"),
    ])
    func optionErrors(_ argv: [String], _ prefix: String) async {
        let r = await run(argv)
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix(prefix), "\(r.stderr)")
    }

    @Test func stdinNeedsAJournal() async {
        let r = await run(["send", "template", "1001", "--from", "-"], stdin: "phone,1,2\n+14155552671,a,b\n", transport: BulkFake().transport)
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: reading recipients from stdin: name a journal with --journal FILE"))
    }
}

@Suite struct BulkWaitTests {
    @Test func waitFollowsEveryAcceptedMessage() async {
        let dir = temporaryDirectory()
        let file = dir.appendingPathComponent("w.csv")
        try? Data("phone,1,2\n+14155550001,a,b\n+14155550002,c,d\n".utf8).write(to: file)
        let polls = Counter()
        let transport = FakeTransport { request in
            if request.method == "GET", request.url.path.contains("/templates/") {
                return .success(HTTPResponse(status: 200, body: Data(orderTemplate.utf8)))
            }
            if request.method == "POST" {
                let id = request.body.map { String(decoding: $0, as: UTF8.self).contains("0001") ? "11" : "12" } ?? "0"
                return .success(HTTPResponse(status: 201, body: Data(#"{"message_id":\#(id)}"#.utf8)))
            }
            // Message 11 is delivered at once; 12 fails on its second poll.
            let n = polls.next()
            let status = request.url.path.hasSuffix("/11") ? "delivered" : (n > 2 ? "failed" : "sent")
            return .success(HTTPResponse(status: 200, body: Data(#"{"message_id":1,"status":"\#(status)"}"#.utf8)))
        }
        let r = await run(["send", "template", "1001", "--from", file.path, "--rate", "off", "--wait"], transport: transport)
        #expect(r.code == .rejected)
        #expect(r.stdout.contains(#""message_id":"11","final_status":"delivered""#))
        #expect(r.stdout.contains(#""message_id":"12","final_status":"failed""#))
    }
}
