import Foundation
import Testing
import OctopodsSandbox
#if canImport(Glibc)
import Glibc
#endif

/// What a script reads from octopods never invites a duplicate send (the contract's amendments):
/// each case against the sandbox's documented answer, through the real binary.
@Suite struct TruthfulOutcomesTests {
    /// The history of sends to a loopback base URL (the sandbox): practice, kept apart.
    func ledger(_ home: URL) -> String {
        (try? String(contentsOf: home.appendingPathComponent(".local/state/octopods/sandbox-history.ndjson"), encoding: .utf8)) ?? ""
    }

    func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// The send was accepted (201, id), then every status lookup was refused (400 "Message not
    /// found."): asked until --wait-timeout (right after a send the API may not know it yet), then
    /// the send's result on stdout, stderr says delivery is not confirmed, exit 6.
    @Test(arguments: [
        ["sms", "send", "--to", "+15550100007", "--body", "hi"],
        ["send", "template", "1001", "--to", "+15550100007", "--var", "1=a", "--var", "2=b"],
    ])
    func waitThatCannotConfirmExits6(_ send: [String]) async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let r = try await octopods(send + ["--wait", "--wait-timeout", "1s", "-o", "json"], environment: sandbox.environment, home: home)
        #expect(r.status == 6, "\(r.stderr)")
        // The same shape as a --wait that ends: {"send": …, "status": …}, status null here.
        let id = (object(r.stdout)?["send"] as? [String: Any])?["message_id"] as? String
        #expect(id != nil, "the send's result is on stdout: \(r.stdout)")
        #expect(object(r.stdout)?["status"] is NSNull)
        #expect(
            r.stderr.contains("error: message \(id ?? "?") was sent, but the API still does not know it after 1s; gave up waiting"),
            "\(r.stderr)")
        #expect(r.stderr.contains("Message not found."))
        #expect(r.stderr.contains("hint: Do not send it again."))
        #expect(r.stderr.contains(#""disposition":"sent_unconfirmed""#))
        #expect(ledger(home).contains(#""outcome":"accepted""#))
        #expect(sandbox.posts.count == 1)
    }

    /// 201 with only a request_id: accepted, the id unknown (a warning), recorded as accepted.
    @Test func createdWithoutMessageID() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let r = try await octopods(["sms", "send", "--to", "+15550100202", "--body", "hi"], environment: sandbox.environment, home: home)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(object(r.stdout)?["request_id"] != nil)
        #expect(r.stderr.contains("warning: the API accepted the send but did not return a message_id"))
        #expect(ledger(home).contains(#""outcome":"accepted""#))
        let wait = try await octopods(
            ["sms", "send", "--to", "+15550100202", "--body", "hi", "--wait", "--allow-repeat"], environment: sandbox.environment,
            home: home)
        #expect(wait.status == 6, "\(wait.stderr)")
        #expect(wait.stderr.contains("the send was accepted, but the API returned no message_id, so --wait cannot follow it"))
        #expect(!wait.stdout.isEmpty)
        #expect(sandbox.posts.count == 2)
    }

    /// 201 with the documented example's trailing comma: read, id and all.
    @Test func createdWithTheDocumentedTrailingComma() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(
            ["sms", "send", "--to", "+15550100203", "--body", "hi", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 0, "\(r.stderr)")
        let id = try #require(sandbox.api.recordedRequests().first?.messageID)
        #expect(r.stdout.hasPrefix("Sent to +15550100203 — message \(id)\n"), "\(r.stdout)")
        #expect(!r.stderr.contains("warning"))
    }

    /// DELETED (the recipient deleted it after delivery) is final and delivered; `status --wait`
    /// records it in the history like a send's --wait.
    @Test func deletedIsFinalAndStatusWaitIsRecorded() async throws {
        let sandbox = try TestSandbox(stageInterval: 0.01)
        let home = scratchDirectory()
        let sent = try await octopods(
            ["send", "template", "1001", "--to", "+15550100006", "--var", "1=a", "--var", "2=b"],
            environment: sandbox.environment, home: home)
        #expect(sent.status == 0, "\(sent.stderr)")
        let id = try #require(object(sent.stdout)?["message_id"] as? String)
        // --until read: delivered is not enough, so only DELETED ends the wait.
        let r = try await octopods(
            ["status", "\(id)", "--wait", "--until", "read", "-o", "table"], environment: sandbox.environment, home: home)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("Message \(id): deleted\n"))
        #expect(ledger(home).contains(#""type":"status""#) && ledger(home).contains(#""status":"deleted""#))
        let history = try await octopods(["history", "-o", "json"], environment: sandbox.environment, home: home)
        #expect(history.stdout.contains(#""status":"deleted""#), "\(history.stdout)")
        let send = try await octopods(
            ["send", "template", "1001", "--to", "+15550100006", "--var", "1=a", "--var", "2=b", "--wait", "--until", "read"],
            environment: sandbox.environment, home: home)
        #expect(send.status == 0, "\(send.stderr)")
    }

    /// Ctrl-C while the send is in flight (the sandbox has created it and holds the answer):
    /// it may have been sent, how to check, exit 130; the history says unknown.
    @Test func ctrlCWhileASendIsInFlight() async throws {
        let api = try SandboxAPI(options: SandboxOptions(slowResponseDelay: 120))
        let arrived = DispatchSemaphore(value: 0)
        let server = try SandboxServer(
            port: 0,
            handler: { request in
                let response = api.handle(request)
                if request.method == "POST" { arrived.signal() }
                return response
            })
        server.start()
        defer { server.stop() }
        let home = scratchDirectory()
        let errors = Pipe()
        let process = try startOctopods(
            ["sms", "send", "--to", "+15550100408", "--body", "hi", "--timeout", "10m"],
            environment: ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(server.port)", "OCTOPODS_SMS_API_KEY": SandboxKeys.sms],
            home: home, stderr: errors)
        defer { if process.isRunning { process.terminate() } }
        // Synchronised on the request's arrival (the message exists), not on time.
        let pid = process.processIdentifier
        let signalled = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let came = arrived.wait(timeout: .now() + 60) == .success
                continuation.resume(returning: came && kill(pid, SIGINT) == 0)
            }
        }
        #expect(signalled, "the request never arrived")
        // Only so that a broken cancel fails the test instead of hanging it; nothing is timed.
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: killer)
        defer { killer.cancel() }
        let stderr = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = readToEnd(errors.fileHandleForReading)
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("error: interrupted while the request was in flight: the message may have been sent"), "\(stderr)")
        #expect(stderr.contains("octopods status") && stderr.contains("messages list") && stderr.contains("history"))
        #expect(ledger(home).contains(#""outcome":"unknown""#))
    }

    @Test(arguments: [
        ("4155552671", "error: --to '4155552671' has no country code: a number must start with '+' and its country code"),
        ("+44 07700 900123", "error: --to '+44 07700 900123' is not an E.164 phone number; did you mean +447700900123?"),
        ("+1415\u{200B}5552671", "error: --to '+1415\\u{200B}5552671' is not an E.164 phone number; did you mean +14155552671?"),
    ])
    func phoneNumbersAreNeverGuessed(_ phone: String, _ message: String) async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["sms", "send", "--to", phone, "--body", "hi"], environment: sandbox.environment)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix(message + "\n"), "\(r.stderr)")
        #expect(!r.stderr.contains("+4155552671"))
        #expect(sandbox.api.recordedRequests().isEmpty)
    }

    /// `status <an SMS id>` without --channel: the history knows the channel; without it, a hint.
    @Test func statusFindsTheChannelInTheHistory() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let sent = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "hi"], environment: sandbox.environment, home: home)
        let id = try #require(object(sent.stdout)?["message_id"] as? String)
        let known = try await octopods(["status", "\(id)"], environment: sandbox.environment, home: home)
        #expect(known.status == 0, "\(known.stderr)")
        #expect(sandbox.api.recordedRequests().last?.path == "/api/v1/sms/messages/\(id)")
        let unknown = try await octopods(["status", "\(id)"], environment: sandbox.environment)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("--channel sms"), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("use the key that sent it"))
    }

    /// Code 4 with the documented "not approved" text is not VARIABLES_SIZE.
    @Test func codeFourNotApproved() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(
            ["send", "template", "1001", "--to", "+15550100008", "--var", "1=a", "--var", "2=b"], environment: sandbox.environment)
        #expect(r.status == 1)
        #expect(r.stderr.contains("is not approved."))
        #expect(r.stderr.contains("error code 4"))
        #expect(!r.stderr.contains("VARIABLES_SIZE") && !r.stderr.contains("variables each section needs"))
        #expect(r.stderr.contains("hint: Only approved (accepted) templates can be sent"))
    }

    @Test(arguments: [
        ["templates", "get", ""], ["status", ""], ["templates", "get", " ", "--channel", "vbm"],
        ["send", "template", "", "--to", "+14155552671"], ["templates", "csv", ""],
    ])
    func emptyIDsAreUsageErrors(_ argv: [String]) async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(argv, environment: sandbox.environment)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("is empty"), "\(r.stderr)")
        #expect(sandbox.api.recordedRequests().isEmpty)
    }

    @Test func viberCannotWait() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(
            ["vbm", "send", "2001", "--to", "+14155552671", "--header-image", "https://example.com/b.jpg", "--var", "1=A", "--wait"],
            environment: sandbox.environment)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("error: Viber messages have no status endpoint, so --wait cannot follow them"), "\(r.stderr)")
        #expect(sandbox.api.recordedRequests().isEmpty)
    }
}
