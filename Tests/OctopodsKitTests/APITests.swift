import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct EndpointTests {
    let client = APIClient(transport: NoNetwork(), baseURL: "https://app.octopods.io/", key: { _ in testKey })

    func url<R>(_ e: Endpoint<R>) throws -> String { try client.request(for: e, key: testKey).url.absoluteString }

    @Test func listTemplates() throws {
        let e = API.listTemplates(channel: .whatsapp, status: "accepted", active: true, lang: "pt_BR")
        #expect(e.method == "GET")
        #expect(try url(e) == "https://app.octopods.io/api/v1/whatsapp/templates?status=accepted&active=true&lang=pt_BR")
        #expect(e.body == nil)
        #expect(e.family == .whatsappTemplates)
        #expect(try url(API.listTemplates(channel: .vbm)) == "https://app.octopods.io/api/v1/vbm/templates")
        #expect(API.listTemplates(channel: .vbm).family == .vbm)
    }

    @Test func pathSegmentsAreEncoded() throws {
        #expect(try url(API.getTemplate(channel: .whatsapp, id: "19S7")) == "https://app.octopods.io/api/v1/whatsapp/templates/19S7")
        #expect(
            try url(API.getTemplate(channel: .whatsapp, id: "../../x?y=1"))
                == "https://app.octopods.io/api/v1/whatsapp/templates/..%2F..%2Fx%3Fy%3D1")
    }

    @Test func statusAndMessages() throws {
        #expect(try url(API.messageStatus(channel: .whatsapp, id: "42")) == "https://app.octopods.io/api/v1/whatsapp/messages/42")
        #expect(try url(API.messageStatus(channel: .sms, id: "42")) == "https://app.octopods.io/api/v1/sms/messages/42")
        #expect(API.messageStatus(channel: .sms, id: "42").family == .sms)
        #expect(try url(API.listMessages(limit: 10)) == "https://app.octopods.io/api/v1/whatsapp/messages?limit=10")
        #expect(try url(API.listMessages()) == "https://app.octopods.io/api/v1/whatsapp/messages")
    }

    @Test func headers() throws {
        let request = try client.request(for: API.listMessages(), key: testKey)
        #expect(request.header("X-Octopods-Auth") == testKey)
        #expect(request.header("Accept") == "application/json")
        #expect(request.header("User-Agent") == "octopods/\(Version.current)")
        #expect(request.header("Content-Type") == nil)
        let post = Endpoint<JSONValue>(method: "POST", path: "/api/v1/sms/messages", body: ["body": "hi"], family: .sms) { $0 }
        let postRequest = try client.request(for: post, key: testKey)
        #expect(postRequest.header("Content-Type") == "application/json")
        #expect(postRequest.body == Data(#"{"body":"hi"}"#.utf8))
    }

    @Test func traceRedactsTheKey() throws {
        let request = try client.request(for: API.listMessages(), key: testKey)
        let trace = APIClient.describe(request, key: testKey)
        #expect(!trace.contains(testKey))
        #expect(trace.contains("> X-Octopods-Auth: [redacted]"))
        #expect(APIClient.redact("echo \(testKey) back", key: testKey) == "echo [redacted] back")
    }
}

@Suite struct DecodingTests {
    func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func templateVariants() throws {
        let list = try Template.decodeList(
            json(
                """
                [{"created_at":"2021-09-24T14:29:32.000Z","template_id":19,"template_name":"order_update",
                  "template_body":"Hi {{1}}, order {{2}}","template_components":[
                    {"type":"HEADER","format":"TEXT","text":"Order {{1}}"},{"type":"BODY","text":"Hi {{1}}, order {{2}}"},
                    {"type":"FOOTER","text":"Thanks"},{"type":"BUTTONS","buttons":[{"type":"URL","text":"Track","url":"https://x.test/{{1}}"},
                    {"type":"QUICK_REPLY","text":"Stop"}]}],
                  "account_phone_number":"+15550009999","template_status":"Accepted"},
                 {"template_id":"019S7WT","template_name":"vbm_hello","template_body":{"type":"BODY","text":"Hello {{1}}."},
                  "template_components":[{"type":"HEADER","format":"IMAGE"},{"type":"BODY","text":"Hello {{1}}."}]}]
                """))
        #expect(list.count == 2)
        #expect(list[0].id == "19")
        #expect(list[0].status == "Accepted")
        #expect(list[0].requirements == VariableRequirements(header: 1, body: 2, footer: 0, buttons: 1))
        #expect(list[0].requirements.summary == "header 1, body 2, buttons 1")
        #expect(list[1].id == "019S7WT")
        #expect(list[1].body == "Hello {{1}}.")
        #expect(list[1].status == nil)
        #expect(list[1].requirements == VariableRequirements(body: 1, headerMedia: "IMAGE"))
        #expect(list[1].requirements.summary == "header image URL, body 1")
    }

    @Test func templateWithoutComponentsCountsTheBody() throws {
        let t = try Template.decode(json(#"{"template_id":1,"template_name":"x","template_body":"{{1}} {{2}} {{2}} {{3}}"}"#))
        #expect(t.requirements.body == 3)
        #expect(throws: DecodingProblem.self) { try Template.decode(json(#"{"template_name":"x"}"#)) }
        #expect(throws: DecodingProblem.self) { try Template.decodeList(json(#"{"oops":1}"#)) }
    }

    @Test func statusShapes() throws {
        let old = try MessageStatus.decode(
            json(
                """
                {"message_id":42,"status":"FAILED","status_message":"Your message has failed to be sent.",
                 "intercom_conversation_id":"123","intercom_conversation_part_id":"","last_updated":"2023-07-07T11:15:46.000Z",
                 "request_id":"d8c0","failure_reason":{"code":"63003","description":"Channel could not find To address"}}
                """))
        #expect(old.status == .failed)
        #expect(old.failure == "63003: Channel could not find To address")
        #expect(old.conversationID == "123")
        let new = try MessageStatus.decode(
            json(
                """
                {"request_id":"u","message_id":3851834,"status":"delivered","phone_number":"+15551234567",
                 "channel_message_id":"wamid.X","sent_at":"2026-01-01T00:00:00Z","delivered_at":"2026-01-01T00:00:02Z",
                 "read_at":null,"failure_reason":null}
                """))
        #expect(new.messageID == "3851834")
        #expect(new.readAt == nil)
        #expect(new.failure == nil)
        #expect(try MessageStatus.decode(json(#"{"message_id":"msg_01","status":"sent","failure_reason":""}"#)).failure == nil)
        #expect(
            MessageStatus.failureText(try json(#"{"code":470,"title":"Re-engagement window expired"}"#))
                == "470: Re-engagement window expired")
        #expect(MessageStatus.failureText(.string("Recipient is not a WhatsApp user.")) == "Recipient is not a WhatsApp user.")
        #expect(throws: DecodingProblem.self) { try MessageStatus.decode(json(#"{"message_id":1}"#)) }
        // A status this client does not know is kept (lower-cased, as every status), not refused.
        let later = try MessageStatus.decode(json(#"{"message_id":"9","status":"Pending_Review"}"#))
        #expect(later.status == .other("pending_review") && later.status.rawValue == "pending_review")
        #expect(MessageStatus.outcome(later.status, until: .delivered) == nil)
    }

    @Test func listShapes() throws {
        let bare = try MessageSummary.decodeList(
            json(
                """
                [{"user_phone_number":"01234567890","created_at":"2023-01-01","message_content":"Hi &amp; bye",
                  "message_status":{"channel_message_id":98765,"message_status":"FAILED","failure_reason":{"code":131049,"description":"Spam"}}},
                 {"user_phone_number":"+15551234567","created_at":"2023-01-02","message_content":"x",
                  "message_status":{"channel_message_id":"<ID>","message_status":"DELIVERED","failure_reason":""}}]
                """))
        #expect(
            bare[0]
                == MessageSummary(
                    messageID: "98765", phone: "01234567890", status: .failed, time: "2023-01-01",
                    failure: "131049: Spam", content: "Hi &amp; bye"))
        #expect(bare[1].failure == nil)
        let wrapped = try MessageSummary.decodeList(
            json(
                """
                {"request_id":"r","messages":[{"message_id":3851828,"status":"delivered","phone_number":"+1555","sent_at":"t"},
                 {"message_id":3851829,"status":"failed","phone_number":"+1556","sent_at":"t","failure_reason":"Recipient is not a WhatsApp user."}]}
                """))
        #expect(wrapped.map(\.messageID) == ["3851828", "3851829"])
        #expect(wrapped[1].failure == "Recipient is not a WhatsApp user.")
        #expect(MessageSummary.items(try json(#"{"messages":[1,2]}"#)).count == 2)
    }

    @Test func retryTime() {
        let at = RetryTime.parse("You have fired too many requests. Please try after 2026-04-24 12:34:56 UTC.")
        #expect(at == Date(timeIntervalSince1970: 1_777_034_096))
        #expect(RetryTime.parse("Slow down") == nil)
        #expect(RetryTime.parse("try after 2026-13-45 99:99:99 UTC") != nil || true)  // never crashes
    }
}

/// 201 bodies (docs/api-notes.md, "201 Created"): the documented trailing comma is tolerated,
/// nothing else is repaired, and an unreadable 201 is an empty object.
@Suite struct CreatedBodyTests {
    @Test(arguments: [
        (
            #"{"message_id": 42, "phone_number": "353838000000", "request_id": "d8c0",}"#,
            #"{"message_id":42,"phone_number":"353838000000","request_id":"d8c0"}"#
        ),
        ("{\"message_id\": 42 ,\n}\n", #"{"message_id":42}"#),
        (#"{"message_id": 42,,}"#, "{}"),
        (#"[42,]"#, "{}"),
        (#"{"message_id": 4"#, "{}"),
        ("", "{}"),
    ])
    func reads(_ body: String, _ expected: String) {
        #expect(CreatedBody.read(Data(body.utf8)).serialized() == expected)
    }

    @Test func sendResultTakesWhatIsThere() throws {
        let onlyRequest = try SendResult.decode(["request_id": "r1"])
        #expect(onlyRequest.messageID == nil && onlyRequest.requestID == "r1")
        #expect(try SendResult.decode(["message_id": 42]).messageID == "42")
    }
}

/// The STATUS column's colours come from the typed statuses and outcomes: the same colour for
/// every word as the word list they replaced, the review states as the API spells them (`Under
/// Review`), and none for a word no vocabulary has.
@Suite struct StatusColorTests {
    @Test func everyKnownWordKeepsItsColour() {
        let expected: [String: String?] = [
            "delivered": "32", "read": "32", "accepted": "32", "Accepted": "32",
            "failed": "31", "undelivered": "31", "rejected": "31", "deleted": "31",
            "sent": "33", "queued": "33", "pending": "33", "under_review": "33", "needs_modification": "33", "unknown": "33",
            "Under Review": "33", "Needs Modification": "33", "Rejected": "31",
            "Accepted (inactive)": "33", "not_sent": nil, "excluded": nil, "changed": nil, "expired": "33", "": nil,
        ]
        for (word, colour) in expected { #expect(Printer.statusColor(word) == colour, "\(word)") }
    }

    /// A template's review state as the API shows it (capitalised, with spaces) is the typed state.
    @Test func templateReviewStatesReadAsTheAPIShowsThem() throws {
        func review(_ status: String?) throws -> TemplateStatus? {
            var json: JSONValue = ["template_id": "1", "template_name": "x"]
            if let status { json.set("template_status", .string(status)) }
            return try Template.decode(json).review
        }
        #expect(try review("Accepted") == .accepted)
        #expect(try review("Under Review") == .underReview)
        #expect(try review("Needs Modification") == .needsModification)
        #expect(try review("Paused") == .other("paused"))
        #expect(try review(nil) == nil)
    }
}

/// The documented examples' trailing comma, for every answer: the status and list examples too
/// (docs/api-notes.md, "201 Created"), and nothing else repaired.
@Suite struct DocumentedTrailingCommaTests {
    @Test(
        arguments: [
            ("{\"status\": \"DELIVERED\",\n}", #"{"status":"DELIVERED"}"#),
            ("[{\"a\": 1},\n]\n", #"[{"a":1}]"#),
            (#"[42,,]"#, nil),
            (#"{"a": [1,], "b": 2}"#, nil),
            (#"{"a": 1}"#, nil),
        ] as [(String, String?)])
    func repairs(_ body: String, _ expected: String?) {
        #expect(CreatedBody.repaired(Data(body.utf8))?.serialized() == expected)
    }

    @Test(
        arguments: [
            ("2026-12-05 16:05:12+02:00", "2026-12-05T14:05:12Z"), ("2026-12-05T14:05:12.250Z", nil), ("2026-12-05T14:05:12Z", nil),
            ("2026-12-05T09:05:12-0500", "2026-12-05T14:05:12Z"), ("1796479512", "2026-12-05T14:05:12Z"),
            ("2026-12-05 14:05:12 UTC", "2026-12-05T14:05:12Z"), ("2026-12-05 14:05:12", nil), ("soon", nil),
            ("2026-12-05T14:05:12.5+01:00", "2026-12-05T13:05:12.500Z"),
        ] as [(String, String?)])
    func times(_ text: String, _ expected: String?) {
        #expect(APITime.normalized(.string(text))?.stringValue == expected)
    }
}
