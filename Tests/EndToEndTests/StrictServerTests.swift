import Foundation
import Testing
import Synchronization
import OctopodsSandbox
import CLISupport

/// A server that answers exactly as the API documents (issue 28, "What a strict server shows"):
/// the documented examples with their trailing commas, "Message not found." for what it forgot,
/// times in other spellings, more items than asked for. Each case through the real binary.
@Suite struct StrictServerTests {
    static let json = [HTTPField("Content-Type", "application/json")]

    /// The status example of doc 3989695 (WhatsApp) and 7052907 (SMS), trailing comma included.
    static let statusExample = """
        {
          "message_id": 1001,
          "status": "DELIVERED",
          "status_message": "Your message has been delivered successfully.",
          "intercom_conversation_id": "",
          "last_updated": "2026-12-05T14:05:12Z",
          "request_id": "d8c0d247-cfc9-48d7-868d-e6afdadb44dc",
        }
        """

    /// The list example of doc 3989695: a bare array whose last item is followed by `},`.
    static let listExample = """
        [
          {
            "user_phone_number": "+14155552671",
            "created_at": "2026-12-05T14:05:12Z",
            "message_content": "Hello",
            "message_status": {"channel_message_id": 98765, "message_status": "DELIVERED", "failure_reason": ""}
          },
        ]
        """

    func serve(_ answer: @escaping @Sendable (SandboxRequest) -> (Int, String)) throws -> Counting {
        try Counting { request in
            let (status, body) = answer(request)
            return SandboxResponse(status: status, headers: Self.json, body: Data(body.utf8))
        }
    }

    func environment(_ server: Counting) -> [String: String] {
        [
            "OCTOPODS_BASE_URL": "http://127.0.0.1:\(server.server.port)", "OCTOPODS_WHATSAPP_API_KEY": SandboxKeys.whatsapp,
            "OCTOPODS_SMS_API_KEY": SandboxKeys.sms, "TZ": "UTC",
        ]
    }

    func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    @Test func documentedTrailingCommasAreRead() async throws {
        let server = try serve { request in
            request.target.hasSuffix("/whatsapp/messages") ? (200, Self.listExample) : (200, Self.statusExample)
        }
        defer { server.stop() }
        for argv in [["status", "1001"], ["status", "1001", "--channel", "sms"], ["status", "1001", "--wait"]] {
            let r = try await octopods(argv + ["-o", "json"], environment: environment(server))
            #expect(r.status == 0, "\(argv): \(r.stderr)")
            #expect(object(r.stdout)?["status"] as? String == "DELIVERED", "\(argv): \(r.stdout)")
        }
        let list = try await octopods(["messages", "list", "-o", "json"], environment: environment(server))
        #expect(list.status == 0, "\(list.stderr)")
        let items = try #require((try? JSONSerialization.jsonObject(with: Data(list.stdout.utf8))) as? [[String: Any]])
        #expect(items.count == 1 && items.first?["status"] as? String == "delivered" && items.first?["message_id"] as? String == "98765")
    }

    /// Offsets, a space for `T`, epoch seconds: ISO 8601 `Z` in JSON (the values as they came
    /// under `raw`), local time in tables.
    @Test func timesInOtherSpellingsAreNormalised() async throws {
        let status =
            #"{"message_id": 1001, "status": "read", "sent_at": "2026-12-05 16:05:12+02:00", "delivered_at": 1796479532, "read_at": "2026-12-05T09:06:12-05:00", "failure_reason": null}"#
        let list =
            #"{"messages": [{"message_id": 1001, "status": "read", "phone_number": "+14155552671", "sent_at": "2026-12-05 14:05:12 UTC"}]}"#
        let server = try serve { request in request.target.contains("/whatsapp/messages/") ? (200, status) : (200, list) }
        defer { server.stop() }
        let r = try await octopods(["status", "1001", "-o", "json"], environment: environment(server))
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(object(r.stdout))
        #expect(json["sent_at"] as? String == "2026-12-05T14:05:12Z")
        #expect(json["delivered_at"] as? String == "2026-12-05T14:05:32Z")
        #expect(json["read_at"] as? String == "2026-12-05T14:06:12Z")
        let raw = try #require(json["raw"] as? [String: Any])
        #expect(raw["sent_at"] as? String == "2026-12-05 16:05:12+02:00" && raw["delivered_at"] as? Int == 1796479532)
        let table = try await octopods(["status", "1001", "-o", "table"], environment: environment(server))
        #expect(table.stdout.contains("Sent:          2026-12-05 14:05:12 UTC"), "\(table.stdout)")
        #expect(table.stdout.contains("Delivered:     2026-12-05 14:05:32 UTC"))
        let listed = try await octopods(["messages", "list", "-o", "json"], environment: environment(server))
        #expect(listed.stdout.contains(#""sent_at":"2026-12-05T14:05:12Z""#), "\(listed.stdout)")
        #expect(listed.stdout.contains(#""sent_at":"2026-12-05 14:05:12 UTC""#), "raw keeps it: \(listed.stdout)")
        let listTable = try await octopods(["messages", "list", "-o", "table"], environment: environment(server))
        #expect(listTable.stdout.contains("2026-12-05 14:05:12 UTC"), "\(listTable.stdout)")
    }

    @Test func listLimitHoldsWhateverTheServerSends() async throws {
        let items = (0..<150).map {
            #"{"message_id": \#(5000 + $0), "status": "sent", "phone_number": "+14155552671", "sent_at": "2026-12-05T14:05:12Z"}"#
        }
        let body = #"{"request_id": "r1", "messages": [\#(items.joined(separator: ","))]}"#
        let server = try serve { _ in (200, body) }
        defer { server.stop() }
        let r = try await octopods(["messages", "list", "--limit", "10", "-o", "ndjson"], environment: environment(server))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 10)
    }

    /// The "send at least one message before listing" 400 in other words: known by its shape.
    @Test func nothingSentYetInOtherWords() async throws {
        let server = try serve { _ in (400, #"{"request_id": "r2", "error_code": 12, "error": "This channel has nothing to list."}"#) }
        defer { server.stop() }
        let r = try await octopods(["messages", "list", "-o", "json"], environment: environment(server))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        let deprecated = try serve { _ in
            (
                400,
                #"{"request_id": "r3", "error_code": 6, "error": "Deprecated API Key. Please go to your Octopods App, and get your new API Key"}"#
            )
        }
        defer { deprecated.stop() }
        let refused = try await octopods(["messages", "list"], environment: environment(deprecated))
        #expect(refused.status == 3, "a deprecated key is still an error: \(refused.stderr)")
    }

    /// A message the API no longer knows ("Message not found."): recorded once as expired, exit
    /// 0 with a count, not asked about again.
    @Test func refreshRecordsForgottenMessagesAsExpired() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let sent = try await octopods(
            ["sms", "send", "--to", "+15550100007", "--body", "hi"], environment: sandbox.environment, home: home)
        #expect(sent.status == 0, "\(sent.stderr)")
        let r = try await octopods(["history", "refresh", "-o", "json"], environment: sandbox.environment, home: home)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""status":"expired""#), "\(r.stdout)")
        #expect(r.stderr.contains("1 changed (1 expired: the API no longer knows them)"), "\(r.stderr)")
        let lookups = sandbox.api.recordedRequests().filter { $0.method == "GET" }.count
        let again = try await octopods(["history", "refresh"], environment: sandbox.environment, home: home)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(sandbox.api.recordedRequests().filter { $0.method == "GET" }.count == lookups, "not asked again")
        let history = try await octopods(["history", "-o", "json"], environment: sandbox.environment, home: home)
        #expect(history.stdout.contains(#""status":"expired""#), "\(history.stdout)")
    }

    /// --wait on a message that ends FAILED: the JSON error line like any failure, with the
    /// provider's reason and code.
    @Test func waitOnAFailedMessageSaysWhyInJSON() async throws {
        let sandbox = try TestSandbox(stageInterval: 0.01)
        let r = try await octopods(
            ["send", "template", "1001", "--to", "+15550100004", "--var", "1=a", "--var", "2=b", "--wait", "-o", "json"],
            environment: sandbox.environment)
        #expect(r.status == 1, "\(r.stderr)")
        let line = try #require(r.stderr.split(separator: "\n").last.flatMap { object(String($0))?["error"] as? [String: Any] })
        #expect(line["kind"] as? String == "delivery_failed")
        #expect(line["error_code"] as? Int == 63003)
        #expect((line["message"] as? String)?.contains("Channel could not find To address") == true, "\(line)")
        #expect(line["exit_code"] as? Int == 1)
        #expect(r.stderr.contains("error: message "), "\(r.stderr)")
    }

    /// Right after a send the API may not know the message yet: --wait keeps asking.
    @Test func waitRightAfterASendOutlastsMessageNotFound() async throws {
        let api = try SandboxAPI(options: SandboxOptions(stageInterval: 0.01))
        let refusedOnce = Atomic<Bool>(false)
        let server = try Counting { request in
            if request.method == "GET", !refusedOnce.exchange(true, ordering: .relaxed) {
                return SandboxResponse(
                    status: 400, headers: Self.json,
                    body: Data(#"{"request_id": "r4", "error_code": 1, "error": "Message not found."}"#.utf8))
            }
            return api.handle(request)
        }
        defer { server.stop() }
        var environment = environment(server)
        environment["OCTOPODS_SMS_API_KEY"] = SandboxKeys.sms
        let r = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "hi", "--wait", "--wait-timeout", "1m", "-o", "json"],
            environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("not known to the API yet (Message not found.); retrying."), "\(r.stderr)")
        #expect((object(r.stdout)?["status"] as? [String: Any])?["status"] as? String == "delivered", "\(r.stdout)")
    }
}
