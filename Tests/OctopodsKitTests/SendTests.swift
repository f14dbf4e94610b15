import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

let orderTemplate = """
    {"template_id":1001,"template_name":"order_update","template_status":"Accepted",
     "template_components":[{"type":"BODY","text":"Hi {{1}}, order {{2}}."}]}
    """
let sent = #"{"request_id":"r-1","message_id":3851834,"channel_message_id":"wamid.X","phone_number":"+14155552671"}"#

/// Answers by method and path: the template for GETs of it, a script for the rest.
func scripted(template: String = orderTemplate, _ answers: @escaping @Sendable (HTTPRequest, Int) -> (Int, String)) -> FakeTransport {
    let counter = Counter()
    return FakeTransport { request in
        if request.method == "GET", request.url.path.contains("/templates/") {
            return .success(HTTPResponse(status: 200, body: Data(template.utf8)))
        }
        let (status, body) = answers(request, counter.next())
        return .success(HTTPResponse(status: status, body: Data(body.utf8)))
    }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int {
        value.withLock {
            $0 += 1; return $0
        }
    }
}

import Synchronization

@Suite struct PhoneNumberTests {
    @Test(
        arguments: [
            ("+14155552671", nil),
            ("+1 (415) 555-2671", "--to '+1 (415) 555-2671' is not an E.164 phone number; did you mean +14155552671?"),
            ("+44 20-7946-0958", "--to '+44 20-7946-0958' is not an E.164 phone number; did you mean +442079460958?"),
            ("0044 20 7946 0958", "--to '0044 20 7946 0958' is not an E.164 phone number; did you mean +442079460958?"),
            // No country code is ever guessed (4155552671 is not +41…, Switzerland).
            ("14155552671", "--to '14155552671' has no country code: a number must start with '+' and its country code"),
            ("4155552671", "--to '4155552671' has no country code: a number must start with '+' and its country code"),
            ("07700 900123", "--to '07700 900123' has no country code: a number must start with '+' and its country code"),
            // A national trunk 0 is dropped only after an explicit country code (not Italy's, which keeps it).
            ("+44 07700 900123", "--to '+44 07700 900123' is not an E.164 phone number; did you mean +447700900123?"),
            ("+44 (0)20 7946 0958", "--to '+44 (0)20 7946 0958' is not an E.164 phone number; did you mean +442079460958?"),
            ("0044 07700 900123", "--to '0044 07700 900123' is not an E.164 phone number; did you mean +447700900123?"),
            ("+39 06 1234 5678", "--to '+39 06 1234 5678' is not an E.164 phone number; did you mean +390612345678?"),
            // Invisible characters are shown escaped.
            ("+1415\u{200B}5552671", "--to '+1415\\u{200B}5552671' is not an E.164 phone number; did you mean +14155552671?"),
            ("+14155552671\u{00A0}", "--to '+14155552671\\u{00A0}' is not an E.164 phone number; did you mean +14155552671?"),
            ("+0123456789", "--to '+0123456789' is not an E.164 phone number"),
            ("+1234", "--to '+1234' is not an E.164 phone number"),
            ("+1415555267１", "--to '+1415555267１' is not an E.164 phone number"),
            ("", "--to '' is not an E.164 phone number"),
        ] as [(String, String?)])
    func validates(_ raw: String, _ message: String?) {
        do {
            let phone = try PhoneNumber.validate(raw)
            #expect(message == nil)
            #expect(phone == raw)
        } catch {
            guard case .invalidInput(let text, _) = error else { Issue.record("\(error)"); return }
            #expect(text == message)
        }
    }
}

@Suite struct TemplateVariablesTests {
    func parse(_ argv: [String], stdin: String = "") throws -> TemplateVariables {
        let args = try ArgumentParser(Program.spec).parse(["send", "template", "1", "--to", "+14155552671"] + argv)
        let (ctx, _, _) = makeContext(stdin: stdin)
        return try TemplateVariables.parse(args).reading(ctx)
    }

    @Test func sectionedIsTheDefault() throws {
        let v = try parse(["--var", "2=b", "--var", "1=a", "--header-var", "H", "--button-var", "x"])
        #expect(v.messageVariables(channel: .whatsapp, needs: nil)?.serialized() == #"{"header":["H"],"body":["a","b"],"buttons":["x"]}"#)
        #expect(v.messageVariables(channel: .vbm, needs: nil)?.serialized() == #"{"header":["H"],"body":["a","b"],"footer":[]}"#)
    }

    @Test func arrayAndKeyed() throws {
        #expect(
            try parse(["--var", "1=a", "--var", "2=b", "--variables-format", "array"])
                .messageVariables(channel: .whatsapp, needs: nil)?.serialized() == #"["a","b"]"#)
        #expect(
            try parse(["--var", "1=a", "--var", "2=b", "--variables-format", "keyed"])
                .messageVariables(channel: .whatsapp, needs: nil)?.serialized() == #"{"1":"a","2":"b"}"#)
    }

    @Test func nothingToSend() throws {
        #expect(try parse([]).messageVariables(channel: .whatsapp, needs: VariableRequirements()) == nil)
    }

    @Test func rawFromArgumentAndStdin() throws {
        #expect(try parse(["--variables", #"{"body":["a"]}"#]).raw == ["body": ["a"]])
        #expect(try parse(["--variables", "-"], stdin: #"["x","y"]"#).raw == ["x", "y"])
    }

    @Test(arguments: [
        (["--var", "2=b"], "--var 2 is given but --var 1 is not; placeholders are numbered from 1 without gaps"),
        (["--var", "1=a", "--var", "1=b"], "--var 1 is given twice"),
        (["--var", "one=a"], "--var 'one=a' is not N=VALUE with N a placeholder number (1, 2, …)"),
        (["--var", "1=two\nlines"], "--var #1 contains a line break; template variables must be one line"),
        (["--header-var", ""], "--header-var #1 is empty; WhatsApp rejects empty variables"),
        (["--variables", "{oops"], "--variables is not valid JSON (expected a string key at byte 1)"),
        (["--variables", "42"], "--variables must be a JSON object or array"),
    ])
    func rejects(_ argv: [String], _ message: String) {
        do {
            _ = try parse(argv)
            Issue.record("expected an error")
        } catch let error as OctopodsError {
            guard case .invalidInput(let text, _) = error else { Issue.record("\(error)"); return }
            #expect(text == message)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func fill() {
        #expect(TemplateVariables.fill("Hi {{1}}, {{ 2 }} and {{3}} {{x}}", ["a", "b"]) == "Hi a, b and {{3}} {{x}}")
        #expect(TemplateVariables.fill("open {{1", ["a"]) == "open {{1")
    }
}

@Suite struct SendCommandTests {
    @Test func sendsTheExactBody() async throws {
        let fake = scripted { _, _ in (201, sent) }
        let r = await run(
            [
                "send", "template", "1001", "--to", "+14155552671", "--var", "1=Jane", "--var", "2=A-1042",
                "--open-conversation", "--teammate", "5173352", "--name", "Jane Doe",
            ], transport: fake)
        #expect(r.code == .success)
        // The API's answer, with its integer id as a string (docs/output.md: one type per field).
        #expect(r.stdout == sent.replacingOccurrences(of: #""message_id":3851834"#, with: #""message_id":"3851834""#) + "\n")
        let post = try #require(fake.requests.last)
        #expect(post.method == "POST")
        #expect(post.url.path == "/api/v1/whatsapp/templates/1001/messages")
        #expect(
            String(decoding: post.body ?? Data(), as: UTF8.self)
                == #"{"destination_phone":"+14155552671","message_variables":{"header":[],"body":["Jane","A-1042"],"buttons":[]},"open_intercom_conversation":true,"intercom_teammate_id":"5173352","destination_user_name":"Jane Doe"}"#
        )
    }

    @Test func validationFailuresSendNothing() async {
        let fake = scripted { _, _ in (201, sent) }
        let r = await run(["send", "template", "1001", "--to", "+14155552671", "--var", "1=Jane"], transport: fake)
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: template 1001 (order_update) needs 2 body variables; got 1 (--var)\nhint: Add --var 2=VALUE.\n"))
        #expect(fake.requests.allSatisfy { $0.method == "GET" })
    }

    @Test func dryRunPrintsTheRequestRedacted() async {
        let fake = scripted { _, _ in (201, sent) }
        let r = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=Jane", "--var", "2=A-1042", "--dry-run", "-o", "table"],
            transport: fake)
        #expect(r.code == .success)
        #expect(
            r.stdout == """
                POST https://app.octopods.io/api/v1/whatsapp/templates/1001/messages
                X-Octopods-Auth: [redacted]
                Accept: application/json
                User-Agent: octopods/\(Version.current)
                Content-Type: application/json

                {
                  "destination_phone": "+14155552671",
                  "message_variables": {
                    "header": [],
                    "body": [
                      "Jane",
                      "A-1042"
                    ],
                    "buttons": []
                  }
                }

                Preview (to +14155552671):
                  Hi Jane, order A-1042.

                """)
        #expect(r.stderr == "Dry run: the request is valid; nothing was sent.\n")
        #expect(!r.stdout.contains(testKey))
        #expect(fake.requests.allSatisfy { $0.method == "GET" })
    }

    @Test func templateIsCachedBetweenRuns() async {
        let home = temporaryDirectory()
        let fake = scripted { _, _ in (201, sent) }
        for _ in 0..<3 {
            _ = await run(
                ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--allow-repeat"], transport: fake,
                home: home)
        }
        #expect(fake.requests.filter { $0.method == "GET" }.count == 1)
        #expect(fake.requests.filter { $0.method == "POST" }.count == 3)
    }

    @Test func rateLimitedExits4WithTheRetryTime() async {
        let fake = scripted { _, _ in (429, #"{"message":"You have fired too many requests. Please try after 2026-09-21 14:17:32 UTC."}"#) }
        let r = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "-o", "table"], transport: fake)
        #expect(r.code == .retryable)
        #expect(r.stderr.hasPrefix("error: rate limited until 2026-09-21 14:17:32 UTC (in 4m 12s)\n"))
    }

    @Test func maxWaitWaitsOutTheCooldownAndRetriesOnce() async {
        let clock = TestClock()
        let fake = scripted { _, n in
            n == 1 ? (429, #"{"message":"You have fired too many requests. Please try after 2026-09-21 14:17:32 UTC."}"#) : (201, sent)
        }
        let r = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--max-wait", "5m"],
            transport: fake, clock: clock)
        #expect(r.code == .success)
        #expect(fake.requests.filter { $0.method == "POST" }.count == 2)
        #expect(clock.now == fixedNow.addingTimeInterval(253))  // the retry time plus the safety second
        #expect(
            r.stderr.contains(
                "Rate limited (HTTP 429): every octopods process using this key waits until 2026-09-21 14:17:33 UTC (4m 13s)."),
            "\(r.stderr)")
        let short = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--max-wait", "1m"],
            transport: scripted { _, _ in (429, #"{"message":"Please try after 2026-09-21 14:17:32 UTC."}"#) })
        #expect(short.code == .retryable)
    }

    @Test func ambiguousFailuresAreNeverRetried() async {
        for failure in [TransportError.timedOut(seconds: 30), .connectionLost("reset")] {
            let counter = Counter()
            let fake = FakeTransport { request in
                if request.method == "GET" { return .success(HTTPResponse(status: 200, body: Data(orderTemplate.utf8))) }
                _ = counter.next()
                return .failure(failure)
            }
            let r = await run(
                ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--max-wait", "10m"], transport: fake)
            #expect(r.code == .unknownOutcome)
            #expect(counter.next() == 2)  // exactly one POST went out
            #expect(r.stderr.contains("hint: The request may have been processed."))
        }
        let server = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"],
            transport: scripted { _, _ in (502, "<html>Bad Gateway</html>") })
        #expect(server.code == .unknownOutcome)
        let empty = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"],
            transport: scripted { _, _ in (201, "") })
        // 201 means created, whatever the body (cli-contract amendment): accepted, the id unknown.
        #expect(empty.code == .success)
        #expect(empty.stderr.contains("warning: the API answered 201 Created with a body that could not be read: the body is empty\n"))
        #expect(empty.stderr.contains("did not return a message_id"))
        let emptyOK = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"],
            transport: scripted { _, _ in (200, "") })
        #expect(emptyOK.code == .unknownOutcome)
        #expect(emptyOK.stderr.hasPrefix("error: the API answered 200 with a body that could not be read: the body is empty\n"))
    }

    @Test func waitFollowsToTheEnd() async {
        let clock = TestClock()
        let statuses = ["sent", "sent", "delivered"]
        let fake = scripted { request, n in
            if request.method == "POST" { return (201, sent) }
            return (200, #"{"message_id":3851834,"status":"\#(statuses[min(n - 2, 2)])"}"#)
        }
        let r = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--wait", "-o", "table"],
            transport: fake, clock: clock)
        #expect(r.code == .success)
        #expect(r.stdout.contains("3851834     +14155552671  delivered"))
        #expect(clock.sleeps == [1, 2])
        // The final status is the table's: only the ones on the way are said on stderr.
        #expect(r.stderr == "Message 3851834: sent\n")
    }

    /// Settings are resolved once per run: a `send template --wait` (template check, send,
    /// status polls) reads the config file once, so its warnings are said once.
    @Test func settingsResolvedOncePerRun() async throws {
        let clock = TestClock()
        let home = temporaryDirectory()
        let directory = home.appendingPathComponent(".config/octopods")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("config")
        try Data("[default]\nwhatsapp_api_key = \(testKey)\ncolour = blue\n".utf8).write(to: config)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config.path)
        let statuses = ["sent", "sent", "delivered"]
        let fake = scripted { request, n in
            if request.method == "POST" { return (201, sent) }
            return (200, #"{"message_id":3851834,"status":"\#(statuses[min(n - 2, 2)])"}"#)
        }
        let r = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--wait"],
            environment: [:], transport: fake, home: home, clock: clock)
        #expect(r.code == .success)
        #expect(r.stderr.components(separatedBy: "unknown setting 'colour'").count == 2, "said once: \(r.stderr)")
    }

    @Test func waitTimesOutWithExit6() async {
        let clock = TestClock()
        let fake = scripted { request, _ in
            request.method == "POST" ? (201, sent) : (200, #"{"message_id":3851834,"status":"SENT"}"#)
        }
        let r = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--wait", "--wait-timeout", "1m"],
            transport: fake, clock: clock)
        #expect(r.code == .unconfirmed)
        #expect(r.stderr.contains("error: message 3851834 was sent, but it is still sent after 1m; gave up waiting (--wait-timeout)\n"))
        #expect(!r.stderr.contains("warning"))
        #expect(r.stdout.contains("3851834"), "the send's result is on stdout")
        #expect(clock.sleeps.reduce(0, +) == 60)
        #expect(clock.sleeps.allSatisfy { $0 <= 15 })
    }

    @Test func waitSurvivesTransientFailuresAndReportsFailure() async {
        let clock = TestClock()
        let fake = scripted { request, n in
            if request.method == "POST" { return (201, sent) }
            return n == 2
                ? (503, "busy")
                : (200, #"{"message_id":3851834,"status":"failed","failure_reason":{"code":470,"title":"Re-engagement window expired"}}"#)
        }
        let r = await run(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--wait", "-o", "table"],
            transport: fake, clock: clock)
        #expect(r.code == .rejected)
        #expect(r.stdout.contains("failed  470: Re-engagement window expired"))
        #expect(r.stderr.contains("Status check failed (the API failed with HTTP 503); retrying."))
    }

    /// One follower for every --wait: a single send's and a bulk run's take the same steps
    /// through "not known yet", a 429 and a status on the way to the final one, and neither asks
    /// again before the 429's time.
    @Test func singleAndBulkWaitsFollowAlike() async throws {
        let notFound = #"{"errors":[{"message":"Message not found."}]}"#
        let limited = #"{"message":"You have fired too many requests. Please try after 2026-09-21 14:18:20 UTC."}"#
        let steps = [
            (404, notFound), (429, limited), (200, #"{"message_id":3851834,"status":"sent"}"#),
            (200, #"{"message_id":3851834,"status":"delivered"}"#),
        ]
        let home = temporaryDirectory()
        let file = home.appendingPathComponent("one.csv")
        try Data("phone,body\n+14155552671,hi\n".utf8).write(to: file)
        for command in [
            ["sms", "send", "--to", "+14155552671", "--body", "hi", "--wait", "--wait-timeout", "10m", "-o", "json"],
            ["sms", "send", "--from", file.path, "--yes", "--wait", "--wait-timeout", "10m", "--rate", "off", "-o", "ndjson"],
        ] {
            let clock = TestClock()
            let checks = Mutex<[(status: Int, at: Date)]>([])
            let fake = FakeTransport { request in
                if request.method == "POST" { return .success(HTTPResponse(status: 201, body: Data(sent.utf8))) }
                let step = checks.withLock { list in
                    let step = steps[min(list.count, steps.count - 1)]
                    list.append((step.0, clock.now))
                    return step
                }
                return .success(HTTPResponse(status: step.0, body: Data(step.1.utf8)))
            }
            let r = await run(command, transport: fake, home: temporaryDirectory(), clock: clock)
            #expect(r.code == .success, "\(command): \(r.stderr)")
            #expect(r.stdout.contains("delivered"), "\(command): \(r.stdout)")
            let seen = checks.withLock { $0 }
            #expect(seen.map(\.status) == [404, 429, 200, 200], "\(command)")
            if seen.count > 2 {
                let retryAt = Date(timeIntervalSince1970: 1_790_000_300)  // 2026-09-21 14:18:20 UTC
                #expect(seen[2].at >= retryAt, "\(command): asked again at \(seen[2].at), before the 429's time")
            }
        }
    }

    @Test func statusWaitUntilRead() async {
        let clock = TestClock()
        let order = ["delivered", "read"]
        let fake = FakeTransport { _ in
            let s = clock.sleeps.isEmpty ? order[0] : order[1]
            return .success(HTTPResponse(status: 200, body: Data(#"{"message_id":7,"status":"\#(s)"}"#.utf8)))
        }
        let r = await run(["status", "7", "--wait", "--until", "read", "-o", "table"], transport: fake, clock: clock)
        #expect(r.code == .success)
        #expect(r.stdout.hasPrefix("Message 7: read\n"))
        let sms = await run(["status", "7", "--channel", "sms", "--wait", "--until", "read"])
        #expect(sms.code == .usage)
        let untilAlone = await run(["status", "7", "--until", "read"])
        #expect(untilAlone.code == .usage)
        #expect(untilAlone.stderr.hasPrefix("error: --until needs --wait\n"))
    }

    @Test func vbmCannotWait() async {
        let r = await run(["vbm", "send", "2001", "--to", "+14155552671", "--wait"])
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: Viber messages have no status endpoint, so --wait cannot follow them"))
    }

    @Test func noVerifySkipsTheTemplate() async {
        let fake = scripted { _, _ in (201, sent) }
        let r = await run(
            ["send", "template", "77", "--to", "+14155552671", "--no-verify", "--var", "1=x", "--variables-format", "keyed"],
            transport: fake)
        #expect(r.code == .success)
        #expect(fake.requests.count == 1)
        #expect(
            fake.requests.first.map { String(decoding: $0.body ?? Data(), as: UTF8.self) }
                == #"{"destination_phone":"+14155552671","message_variables":{"1":"x"}}"#)
    }
}

@Suite struct TemplateCacheTests {
    @Test func expiresAfterFiveMinutes() async {
        let home = temporaryDirectory()
        let clock = TestClock()
        let fake = scripted { _, _ in (201, sent) }
        let argv = ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"]
        _ = await run(argv, transport: fake, home: home, clock: clock)
        clock.sleep(299)
        _ = await run(argv, transport: fake, home: home, clock: clock)
        #expect(fake.requests.filter { $0.method == "GET" }.count == 1)
        clock.sleep(2)
        _ = await run(argv, transport: fake, home: home, clock: clock)
        #expect(fake.requests.filter { $0.method == "GET" }.count == 2)
        let files =
            (try? FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent(".cache/octopods/templates").path)) ?? []
        #expect(files.count == 1)
        let text =
            files.first.flatMap { try? String(contentsOf: home.appendingPathComponent(".cache/octopods/templates/\($0)"), encoding: .utf8) }
            ?? ""
        #expect(!text.contains(testKey))
    }
}
