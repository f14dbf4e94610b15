import Foundation
import Synchronization
import Testing
import TestSupport
@testable import OctopodsSandbox

// MARK: - Helpers

/// A clock the tests move by hand.
private final class TestClock: Sendable {
    private let value: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_767_268_800)) { value = Mutex(start) }  // 2026-01-01T12:00:00Z
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0.addTimeInterval(seconds) } }
}

private struct Reply {
    var response: SandboxResponse
    var status: Int { response.status }
    var json: SandboxJSON? { SandboxJSON.parse(response.body) }
    var text: String { String(decoding: response.body, as: UTF8.self) }
    var errorCode: Int? { json?["error_code"]?.intValue }
    var error: String { json?["error"]?.stringValue ?? "" }
    var messageID: Int? { json?["message_id"]?.intValue }
}

private func makeAPI(
    _ clock: TestClock = TestClock(), rateLimit: SandboxRateLimit? = nil, stateFile: URL? = nil,
    logFile: URL? = nil, seedMessages: Bool = false
) throws -> SandboxAPI {
    try SandboxAPI(
        options: SandboxOptions(
            stateFile: stateFile, logFile: logFile, rateLimit: rateLimit,
            stageInterval: 2, slowResponseDelay: 40, now: { clock.now }, seedMessages: seedMessages))
}

/// The README's example messages exist in every sandbox, for their own key only.
@Suite struct SandboxSeededMessagesTests {
    @Test func theReadmesIdsAnswer() throws {
        let api = try makeAPI(seedMessages: true)
        let read = api.call("GET", "/api/v1/whatsapp/messages/3851834")
        #expect(read.status == 200)
        #expect(read.json?["status"]?.stringValue?.lowercased() == "read")
        let sms = api.call("GET", "/api/v1/sms/messages/4829174", key: SandboxKeys.sms)
        #expect(sms.status == 200)
        #expect(sms.json?["status"]?.stringValue?.lowercased() == "delivered")
        #expect(api.call("GET", "/api/v1/sms/messages/3851834", key: SandboxKeys.sms).status == 400, "only the key that sent it sees it")
        let list = api.call("GET", "/api/v1/whatsapp/messages").json?["messages"]?.arrayValue ?? []
        #expect(list.map { $0["message_id"]?.intValue } == [3851834, 3851828])
        let sent = api.call("POST", "/api/v1/whatsapp/templates/1007/messages", body: ["destination_phone": "+14155552671"])
        #expect(sent.messageID == 100001, "new ids start where they always did")
        #expect(api.call("GET", "/api/v1/whatsapp/messages").json?["messages"]?.arrayValue?.first?["message_id"]?.intValue == 100001)
    }
}

private extension SandboxAPI {
    func call(
        _ method: String, _ target: String, key: String? = SandboxKeys.whatsapp, body: SandboxJSON? = nil,
        raw: String? = nil
    ) -> Reply {
        var headers: [HTTPField] = [HTTPField("Content-Type", "application/json")]
        if let key { headers.append(HTTPField("X-Octopods-Auth", key)) }
        let data = raw.map { Data($0.utf8) } ?? body.map { $0.encoded() } ?? Data()
        return Reply(response: handle(SandboxRequest(method: method, target: target, headers: headers, body: data)))
    }

    func get(_ path: String, key: String? = SandboxKeys.whatsapp) -> Reply {
        call("GET", "/api/v1/" + path, key: key)
    }

    func post(_ path: String, _ body: SandboxJSON, key: String? = SandboxKeys.whatsapp) -> Reply {
        call("POST", "/api/v1/" + path, key: key, body: body)
    }

    /// A valid template send of `order_update` to `phone`.
    func sendOrderUpdate(to phone: String = "+14155552671", key: String = SandboxKeys.whatsapp) -> Reply {
        post("whatsapp/templates/1001/messages", ["destination_phone": .string(phone), "message_variables": ["Alex", "1234"]], key: key)
    }

    func sendSMS(to phone: String = "+14155552671", body: String = "Hello from the sandbox") -> Reply {
        post("sms/messages", ["destination_phone": .string(phone), "body": .string(body)], key: SandboxKeys.sms)
    }

    func status(_ id: Int?, channel: String = "whatsapp", key: String = SandboxKeys.whatsapp) -> Reply {
        get("\(channel)/messages/\(id ?? -1)", key: key)
    }
}

private let buttonMessage: SandboxJSON = [
    "type": "button",
    "body": ["text": "Pick one"],
    "action": ["buttons": [["type": "reply", "reply": ["id": "yes", "title": "Yes"]]]],
]

private func interactive(_ message: SandboxJSON, to phone: String = "+14155552671") -> SandboxJSON {
    ["destination_phone": .string(phone), "waba_interactive_message": message]
}

private func names(_ reply: Reply) -> [String] {
    (reply.json?.arrayValue ?? []).compactMap { $0["template_name"]?.stringValue }
}

private func expectError(_ reply: Reply, _ code: Int, containing text: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.status == 400, "status \(reply.status): \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.errorCode == code, "\(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.json?["request_id"]?.stringValue?.count == 36, sourceLocation: sourceLocation)
    if let text { #expect(reply.error.contains(text), "\(reply.error)", sourceLocation: sourceLocation) }
}

private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-api-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func mode(_ url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

private func isISO(_ value: SandboxJSON?) -> Bool {
    value?.stringValue?.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/) != nil
}

// MARK: - Keys, routing

@Suite struct SandboxAPIKeyTests {
    @Test func missingUnknownOrBearerKeyIs401() throws {
        let api = try makeAPI()
        #expect(api.get("whatsapp/templates", key: nil).status == 401)
        #expect(api.get("whatsapp/templates", key: "live-key-123").status == 401)
        #expect(api.get("whatsapp/templates", key: "Bearer " + SandboxKeys.whatsapp).status == 401)
        #expect(api.get("whatsapp/templates", key: SandboxKeys.whatsapp).status == 200)
    }

    @Test func anotherChannelsKeyIs401() throws {
        let api = try makeAPI()
        #expect(api.get("whatsapp/templates", key: SandboxKeys.sms).status == 401)
        #expect(api.get("vbm/templates", key: SandboxKeys.whatsapp).status == 401)
        #expect(api.sendSMS().status == 201)
        #expect(api.post("sms/messages", ["destination_phone": "+14155552671", "body": "x"], key: SandboxKeys.vbm).status == 401)
        #expect(api.post("whatsapp/interactive", interactive(buttonMessage), key: SandboxKeys.sms).status == 401)
    }

    @Test func revokedKeyIsDeprecatedInEveryFamily() throws {
        let api = try makeAPI()
        let text = "Deprecated API Key. Please go to your Octopods App, and get your new API Key"
        expectError(api.get("whatsapp/templates", key: SandboxKeys.revoked), 6, containing: text)
        expectError(api.get("whatsapp/messages", key: SandboxKeys.revoked), 6)
        expectError(api.post("whatsapp/interactive", interactive(buttonMessage), key: SandboxKeys.revoked), 6)
        expectError(
            api.post("sms/messages", ["destination_phone": "+14155552671", "body": "x"], key: SandboxKeys.revoked), 5, containing: text)
        expectError(api.get("vbm/templates", key: SandboxKeys.revoked), 6)
    }

    @Test func unknownPathIs404AndWrongMethodIs405() throws {
        let api = try makeAPI()
        let missing = api.get("whatsapp/nothing")
        #expect(missing.status == 404)
        #expect(missing.json?["error"]?.stringValue == "Not Found")
        #expect(api.call("GET", "/v1/whatsapp/templates").status == 404)
        let wrong = api.call("DELETE", "/api/v1/whatsapp/templates")
        #expect(wrong.status == 405)
        #expect(wrong.response.headers.contains { $0.name == "Allow" && $0.value == "GET" })
        #expect(api.call("GET", "/api/v1/whatsapp/templates/1001/messages").status == 405)
        #expect(api.call("POST", "/api/v1/whatsapp/messages/5", body: [:]).status == 405)
        #expect(api.get("whatsapp/templates/").status == 200)  // a trailing slash is fine
        #expect(api.call("GET", "http://127.0.0.1:8080/api/v1/whatsapp/templates").status == 200)  // absolute form
    }

    @Test func keyListIsComplete() {
        #expect(
            Set(SandboxAPI.keys.map(\.value)) == [
                SandboxKeys.whatsapp, SandboxKeys.sms, SandboxKeys.vbm,
                SandboxKeys.whatsappNoInteractive, SandboxKeys.revoked,
            ])
        #expect(SandboxAPI.keys.allSatisfy { !$0.summary.isEmpty })
    }
}

// MARK: - Templates

@Suite struct SandboxAPITemplateTests {
    @Test func listWhatsAppTemplatesShape() throws {
        let reply = try makeAPI().get("whatsapp/templates")
        #expect(reply.status == 200)
        let templates = try #require(reply.json?.arrayValue)
        #expect(templates.count == SandboxAPI.seedTemplates.filter { $0.channel == .whatsapp }.count)
        let first = try #require(templates.first { $0["template_name"] == "order_update" })
        #expect(first["template_id"] == 1001)
        #expect(first["template_status"] == "Accepted")
        #expect(first["template_body"] == "Hi {{1}}, your order {{2}} has been updated.")
        #expect(first["account_phone_number"] == "+15550009999")
        #expect(first["language"] == "en_US")
        #expect(first["active"] == true)
        #expect(first["template_components"]?.arrayValue?.first?["type"] == "BODY")
        #expect(isISO(first["created_at"]))
        #expect(names(reply).contains("promo_blast"))  // non-accepted templates are listed too
        let expected: Set = [
            "order_update", "appointment_reminder", "summer_sale", "track_package", "promo_blast",
            "pedido_enviado", "welcome", "legacy_newsletter", "horario_festivo",
        ]
        #expect(Set(names(reply)) == expected)
    }

    @Test func statusFilter() throws {
        let api = try makeAPI()
        #expect(names(api.get("whatsapp/templates?status=rejected")) == ["promo_blast"])
        #expect(names(api.get("whatsapp/templates?status=pending")) == ["horario_festivo"])
        #expect(names(api.get("whatsapp/templates?status=deleted")).isEmpty)
        #expect(names(api.get("whatsapp/templates?status=under_review")).isEmpty)
        let accepted = names(api.get("whatsapp/templates?status=accepted"))
        #expect(accepted.contains("order_update") && !accepted.contains("promo_blast"))
        expectError(api.get("whatsapp/templates?status=approved"), 10, containing: "under_review")
    }

    @Test func activeFilter() throws {
        let api = try makeAPI()
        #expect(names(api.get("whatsapp/templates?active=false")) == ["legacy_newsletter"])
        #expect(!names(api.get("whatsapp/templates?active=true")).contains("legacy_newsletter"))
        expectError(api.get("whatsapp/templates?active=maybe"), 2)
    }

    @Test func languageFilterExpandsBroadCodes() throws {
        let api = try makeAPI()
        let english = Set(names(api.get("whatsapp/templates?lang=en")))
        #expect(english.isSuperset(of: ["order_update", "appointment_reminder", "track_package"]))
        #expect(!english.contains("pedido_enviado"))
        #expect(names(api.get("whatsapp/templates?lang=pt")) == ["pedido_enviado"])
        #expect(names(api.get("whatsapp/templates?lang=pt_BR")) == ["pedido_enviado"])
        #expect(names(api.get("whatsapp/templates?lang=es")) == ["horario_festivo"])
        #expect(names(api.get("whatsapp/templates?lang=en_GB")) == ["track_package"])
        #expect(names(api.get("whatsapp/templates?lang=en")).count > names(api.get("whatsapp/templates?lang=en_US")).count)
        #expect(names(api.get("whatsapp/templates?lang=zh")).isEmpty)
        #expect(names(api.get("whatsapp/templates?lang=en&status=accepted&active=true")).contains("welcome"))
    }

    @Test func singleTemplateByIDOrName() throws {
        let api = try makeAPI()
        #expect(api.get("whatsapp/templates/1002").json?["template_name"] == "appointment_reminder")
        #expect(api.get("whatsapp/templates/track_package").json?["template_id"] == 1004)
        #expect(api.get("whatsapp/templates/1005").json?["template_status"] == "Rejected")
        expectError(api.get("whatsapp/templates/9999"), 3, containing: "Message Template does not exist.")
        expectError(api.get("whatsapp/templates/19S7"), 3)
        expectError(api.get("whatsapp/templates/2001"), 3)  // a VBM id
    }

    @Test func vbmTemplatesAreAcceptedOnlyWithoutStatus() throws {
        let api = try makeAPI()
        let reply = api.get("vbm/templates?status=pending", key: SandboxKeys.vbm)
        #expect(reply.status == 200)
        #expect(Set(names(reply)) == ["vbm_welcome", "vbm_order_status"])
        #expect(reply.json?.arrayValue?.allSatisfy { $0["template_status"] == nil && $0["template_body"]?.stringValue != nil } == true)
        #expect(names(api.get("vbm/templates?lang=en_US", key: SandboxKeys.vbm)) == ["vbm_order_status"])
        #expect(api.get("vbm/templates/2001", key: SandboxKeys.vbm).json?["template_name"] == "vbm_welcome")
        expectError(api.get("vbm/templates/2003", key: SandboxKeys.vbm), 3)  // pending: not visible
        expectError(api.get("vbm/templates/1001", key: SandboxKeys.vbm), 3)
    }

    @Test func placeholderCounting() throws {
        func template(_ name: String) throws -> SandboxTemplate {
            try #require(SandboxAPI.seedTemplates.first { $0.name == name })
        }
        #expect(try template("order_update").placeholders == SandboxPlaceholders(body: [1, 2]))
        #expect(try template("appointment_reminder").placeholders == SandboxPlaceholders(header: [1], body: [1, 2, 3], footer: [1]))
        #expect(try template("summer_sale").placeholders == SandboxPlaceholders(body: [1], buttons: 1))  // COPY_CODE
        #expect(try template("summer_sale").mediaHeader == "IMAGE")
        #expect(try template("track_package").placeholders == SandboxPlaceholders(body: [1], buttons: 1))  // URL {{1}}
        #expect(try template("welcome").placeholders.total == 0)
        #expect(SandboxPlaceholders.numbers(in: "{{2}} {{ 1 }} {{2}} {{x}} {{0}} {{") == [1, 2])
    }
}

// MARK: - WhatsApp template sends

@Suite struct SandboxAPITemplateSendTests {
    @Test func sendAnswers201WithDocumentedFields() throws {
        let api = try makeAPI()
        let reply = api.sendOrderUpdate()
        #expect(reply.status == 201)
        let json = try #require(reply.json)
        let requestID = try #require(json["request_id"]?.stringValue)
        #expect(UUID(uuidString: requestID) != nil && requestID == requestID.lowercased())
        #expect(json["message_id"]?.intValue != nil)
        #expect(json["channel_message_id"]?.stringValue?.hasPrefix("wamid.") == true)
        #expect(json["phone_number"] == "+14155552671")
        let second = api.sendOrderUpdate()
        #expect((second.messageID ?? 0) > (reply.messageID ?? 0))
    }

    @Test func allThreeVariableShapesAreAccepted() throws {
        let api = try makeAPI()
        #expect(
            api.post("whatsapp/templates/1001/messages", ["destination_phone": "+14155552671", "message_variables": ["Alex", "1234"]])
                .status == 201)
        #expect(
            api.post(
                "whatsapp/templates/1001/messages", ["destination_phone": "+14155552671", "message_variables": ["1": "Alex", "2": "1234"]]
            ).status == 201)
        #expect(
            api.post(
                "whatsapp/templates/1001/messages", ["destination_phone": "+14155552671", "message_variables": ["body": ["Alex", "1234"]]]
            ).status == 201)
        #expect(
            api.post(
                "whatsapp/templates/1001/messages",
                [
                    "destination_phone": "+14155552671",
                    "message_variables": ["header": [], "body": ["Alex", "1234"], "footer": [], "buttons": []],
                ]
            ).status == 201)
        let sectioned: SandboxJSON = [
            "destination_phone": "+14155552671",
            "message_variables": ["header": ["Alex"], "body": ["Alex", "May 2", "10:00"], "footer": ["B-77"]],
        ]
        #expect(api.post("whatsapp/templates/appointment_reminder/messages", sectioned).status == 201)
        #expect(
            api.post(
                "whatsapp/templates/1004/messages",
                [
                    "destination_phone": "+14155552671",
                    "message_variables": ["body": ["PKG-1"], "buttons": ["PKG-1"]],
                ]
            ).status == 201)
        #expect(
            api.post(
                "whatsapp/templates/1003/messages",
                [
                    "destination_phone": "+14155552671",
                    "header_attachment_url": "https://example.com/sale.jpg",
                    "message_variables": ["body": ["Alex"], "buttons": ["SUMMER25"]],
                ]
            ).status == 201)
        #expect(api.post("whatsapp/templates/1007/messages", ["destination_phone": "+14155552671"]).status == 201)
        #expect(api.post("whatsapp/templates/1007/messages", ["destination_phone": "+14155552671", "message_variables": []]).status == 201)
    }

    @Test func missingArgumentIsCode1() throws {
        let api = try makeAPI()
        expectError(
            api.post("whatsapp/templates/1001/messages", ["message_variables": ["Alex", "1234"]]), 1, containing: "destination_phone")
        expectError(api.post("whatsapp/templates/1001/messages", ["destination_phone": nil, "message_variables": ["Alex", "1234"]]), 1)
        expectError(api.post("whatsapp/templates/1001/messages", ["destination_phone": "  "]), 1)
    }

    @Test func bodyMustBeAJSONObject() throws {
        let api = try makeAPI()
        expectError(api.call("POST", "/api/v1/whatsapp/templates/1001/messages", raw: "destination_phone=+1415"), 2)
        expectError(api.call("POST", "/api/v1/whatsapp/templates/1001/messages", raw: "[1, 2]"), 2)
        expectError(api.call("POST", "/api/v1/whatsapp/templates/1001/messages", raw: ""), 2)
        expectError(api.call("POST", "/api/v1/whatsapp/templates/1001/messages", raw: "{\"destination_phone\": "), 2)
    }

    @Test func unknownOrUnsendableTemplateIsCode3() throws {
        let api = try makeAPI()
        let body: SandboxJSON = ["destination_phone": "+14155552671", "message_variables": ["x"]]
        expectError(api.post("whatsapp/templates/4242/messages", body), 3, containing: "does not exist")
        expectError(api.post("whatsapp/templates/1005/messages", body), 3, containing: "not approved")
        expectError(api.post("whatsapp/templates/1009/messages", body), 3)
        expectError(api.post("whatsapp/templates/1008/messages", body), 3, containing: "inactive")
    }

    @Test(arguments: [
        "14155552671", "+1 415 555 2671", "+1 (415) 555-2671", "+0123456789", "+1234567", "+1234567890123456", "+1415555267a", "",
        "0014155552671",
    ])
    func badPhoneIsCode5(phone: String) throws {
        let api = try makeAPI()
        let reply = api.post("whatsapp/templates/1001/messages", ["destination_phone": .string(phone), "message_variables": ["A", "B"]])
        if phone.trimmingCharacters(in: .whitespaces).isEmpty {
            expectError(reply, 1)
        } else {
            expectError(reply, 5, containing: "Invalid Phone number")
        }
    }

    @Test func phoneMustBeAString() throws {
        expectError(
            try makeAPI().post("whatsapp/templates/1001/messages", ["destination_phone": 14155552671, "message_variables": ["A", "B"]]), 5)
    }

    @Test func wrongVariableCountIsCode4() throws {
        let api = try makeAPI()
        func send(_ template: String, _ variables: SandboxJSON?) -> Reply {
            var body: [String: SandboxJSON] = ["destination_phone": "+14155552671", "header_attachment_url": "https://example.com/a.png"]
            body["message_variables"] = variables
            return api.post("whatsapp/templates/\(template)/messages", .object(body))
        }
        expectError(send("1001", nil), 4, containing: "Your Message Template has 2 variables which you must supply.")
        expectError(send("1001", ["Alex"]), 4)
        expectError(send("1001", ["Alex", "1", "extra"]), 4)
        expectError(send("1001", ["1": "Alex"]), 4)
        expectError(send("1001", ["1": "Alex", "2": "x", "3": "y"]), 4)
        expectError(send("1001", ["body": ["Alex"]]), 4)
        expectError(send("1001", [:]), 4)
        expectError(send("1002", ["body": ["Alex", "May 2", "10:00"], "footer": ["B-77"]]), 4, containing: "header 1")
        expectError(send("1003", ["body": ["Alex"]]), 4)  // the COPY_CODE value is missing
        expectError(send("1004", ["body": ["PKG"], "buttons": []]), 4)
        expectError(send("1007", ["unexpected"]), 4)
    }

    @Test func plainArrayOrKeyedObjectForNonBodyPlaceholdersIsCode9() throws {
        let api = try makeAPI()
        expectError(
            api.post("whatsapp/templates/1002/messages", ["destination_phone": "+14155552671", "message_variables": ["a", "b", "c"]]), 9)
        expectError(api.post("whatsapp/templates/1004/messages", ["destination_phone": "+14155552671", "message_variables": ["PKG"]]), 9)
        expectError(
            api.post("whatsapp/templates/1004/messages", ["destination_phone": "+14155552671", "message_variables": ["1": "PKG"]]), 9)
    }

    @Test func variableValuesMustBeSingleLineStrings() throws {
        let api = try makeAPI()
        func send(_ variables: SandboxJSON) -> Reply {
            api.post("whatsapp/templates/1001/messages", ["destination_phone": "+14155552671", "message_variables": variables])
        }
        expectError(send(["Alex", 42]), 2, containing: "strings")
        expectError(send(["1": "Alex", "2": true]), 2)
        expectError(send(["body": ["Alex", nil]]), 2)
        expectError(send(["body": "Alex"]), 2)
        expectError(send(["Alex", "line\nbreak"]), 2, containing: "line breaks")
        expectError(send(["greeting": ["Alex"]]), 2)
        expectError(send("Alex, 1234"), 2)
        expectError(send(7), 2)
    }

    @Test func mediaHeaderNeedsAnAttachmentURL() throws {
        let api = try makeAPI()
        let variables: SandboxJSON = ["body": ["Alex"], "buttons": ["SUMMER25"]]
        expectError(
            api.post("whatsapp/templates/1003/messages", ["destination_phone": "+14155552671", "message_variables": variables]), 1,
            containing: "header_attachment_url")
        for bad: SandboxJSON in ["ftp://example.com/a.jpg", "not a url", "https://", 5, "example.com/a.jpg"] {
            expectError(
                api.post(
                    "whatsapp/templates/1003/messages",
                    [
                        "destination_phone": "+14155552671", "message_variables": variables,
                        "header_attachment_url": bad,
                    ]), 8)
        }
    }

    @Test func openIntercomConversationSpellings() throws {
        let api = try makeAPI()
        for value: SandboxJSON in [true, false, 1, 0, "true", "false", "1", "0", "yes", "no", "on", "off", "YES"] {
            #expect(
                api.post("whatsapp/templates/1007/messages", ["destination_phone": "+14155552671", "open_intercom_conversation": value])
                    .status == 201)
        }
        for value: SandboxJSON in ["maybe", 2, [], ["x": 1], ""] {
            expectError(
                api.post("whatsapp/templates/1007/messages", ["destination_phone": "+14155552671", "open_intercom_conversation": value]), 2)
        }
        expectError(api.post("whatsapp/templates/1007/messages", ["destination_phone": "+14155552671", "destination_user_name": 5]), 2)
        #expect(
            api.post(
                "whatsapp/templates/1007/messages",
                [
                    "destination_phone": "+14155552671", "intercom_teammate_id": "5173352",
                    "destination_user_name": "Alex",
                ]
            ).status == 201)
    }

    @Test func validationOrder() throws {
        let api = try makeAPI()
        // missing field (1) before template (3) before phone (5) before variables (2/4/9) before media (1/8)
        expectError(api.post("whatsapp/templates/4242/messages", ["message_variables": 5]), 1)
        expectError(api.post("whatsapp/templates/4242/messages", ["destination_phone": "bad", "message_variables": 5]), 3)
        expectError(api.post("whatsapp/templates/1003/messages", ["destination_phone": "bad", "message_variables": 5]), 5)
        expectError(api.post("whatsapp/templates/1003/messages", ["destination_phone": "+14155552671", "message_variables": ["x"]]), 9)
        expectError(
            api.post("whatsapp/templates/1003/messages", ["destination_phone": "+14155552671", "message_variables": ["body": ["x"]]]), 4)
    }
}

// MARK: - Interactive

@Suite struct SandboxAPIInteractiveTests {
    @Test func sendInteractiveAnswers201() throws {
        let api = try makeAPI()
        let reply = api.post("whatsapp/interactive", interactive(buttonMessage))
        #expect(reply.status == 201)
        #expect(reply.json?["channel_message_id"]?.stringValue?.hasPrefix("wamid.") == true)
        #expect(api.status(reply.messageID).json?["status"] == "sent")
        let text = String(decoding: buttonMessage.encoded(), as: UTF8.self)
        #expect(api.post("whatsapp/interactive", interactive(.string(text))).status == 201)  // stringified JSON
        let list: SandboxJSON = [
            "type": "list", "body": ["text": "Choose"], "header": ["type": "text", "text": "Menu"],
            "footer": ["text": "Thanks"],
            "action": ["button": "Options", "sections": [["title": "A", "rows": [["id": "1", "title": "One", "description": "d"]]]]],
        ]
        #expect(api.post("whatsapp/interactive", interactive(list)).status == 201)
        let product: SandboxJSON = [
            "type": "product", "body": ["text": "Look"], "action": ["catalog_id": "c1", "product_retailer_id": "p1"],
        ]
        #expect(api.post("whatsapp/interactive", interactive(product)).status == 201)
        let image: SandboxJSON = [
            "type": "button", "body": ["text": "Pick"], "header": ["type": "image", "image": ["link": "https://example.com/a.png"]],
            "action": ["buttons": [["type": "reply", "reply": ["id": "a", "title": "A"]]]],
        ]
        #expect(api.post("whatsapp/interactive", interactive(image)).status == 201)
    }

    @Test func badInteractiveTypeIsCode2WithDocumentedText() throws {
        let api = try makeAPI()
        let reply = api.post("whatsapp/interactive", interactive(["type": "dropdown", "body": ["text": "x"], "action": [:]]))
        expectError(
            reply, 2, containing: "You must supply WhatsApp Interactive Type as one of the valid types button, list, product, product_list")
        #expect(reply.error.hasSuffix("Provided type: dropdown."))
        expectError(api.post("whatsapp/interactive", interactive("{not json")), 2)
        expectError(api.post("whatsapp/interactive", interactive(["body": ["text": "x"]])), 2)
        expectError(
            api.post(
                "whatsapp/interactive",
                interactive([
                    "type": "button", "body": ["text": "x"],
                    "action": [
                        "buttons": [
                            ["type": "reply", "reply": ["id": "1", "title": "1"]],
                            ["type": "reply", "reply": ["id": "2", "title": "2"]],
                            ["type": "reply", "reply": ["id": "3", "title": "3"]],
                            ["type": "reply", "reply": ["id": "4", "title": "4"]],
                        ]
                    ],
                ])), 2)
    }

    @Test func missingArgumentsAreCode1() throws {
        let api = try makeAPI()
        expectError(api.post("whatsapp/interactive", ["destination_phone": "+14155552671"]), 1, containing: "waba_interactive_message")
        expectError(api.post("whatsapp/interactive", ["waba_interactive_message": buttonMessage]), 1, containing: "destination_phone")
        expectError(api.post("whatsapp/interactive", interactive(["type": "button", "action": [:]])), 1, containing: "body")
        expectError(api.post("whatsapp/interactive", interactive(["type": "button", "body": ["text": "x"]])), 1, containing: "action")
    }

    @Test func headerRulesAreCode8() throws {
        let api = try makeAPI()
        let productList: SandboxJSON = [
            "type": "product_list", "body": ["text": "x"],
            "action": ["catalog_id": "c", "sections": [["title": "s", "product_items": [["product_retailer_id": "p"]]]]],
        ]
        expectError(api.post("whatsapp/interactive", interactive(productList)), 8, containing: "required")
        let product: SandboxJSON = [
            "type": "product", "body": ["text": "x"], "header": ["type": "text", "text": "h"],
            "action": ["catalog_id": "c", "product_retailer_id": "p"],
        ]
        expectError(api.post("whatsapp/interactive", interactive(product)), 8, containing: "not allowed")
        let catalog: SandboxJSON = [
            "type": "catalog_message", "body": ["text": "x"], "header": ["type": "text", "text": "h"],
            "action": ["name": "catalog_message"],
        ]
        expectError(api.post("whatsapp/interactive", interactive(catalog)), 8)
        func button(header: SandboxJSON) -> SandboxJSON {
            [
                "type": "button", "body": ["text": "x"], "header": header,
                "action": ["buttons": [["type": "reply", "reply": ["id": "a", "title": "A"]]]],
            ]
        }
        expectError(api.post("whatsapp/interactive", interactive(button(header: ["type": "image"]))), 8, containing: "link")
        expectError(
            api.post("whatsapp/interactive", interactive(button(header: ["type": "video", "video": ["link": "file:///etc/passwd"]]))), 8)
        expectError(api.post("whatsapp/interactive", interactive(button(header: ["type": "sticker"]))), 8)
        expectError(api.post("whatsapp/interactive", interactive(button(header: ["type": "text", "text": ""]))), 8)
    }

    @Test func notOptedInIs403() throws {
        let api = try makeAPI()
        let reply = api.post("whatsapp/interactive", interactive(buttonMessage), key: SandboxKeys.whatsappNoInteractive)
        #expect(reply.status == 403)
        #expect(api.sendOrderUpdate(key: SandboxKeys.whatsappNoInteractive).status == 201)
    }

    @Test func badPhoneIsCode5() throws {
        expectError(try makeAPI().post("whatsapp/interactive", interactive(buttonMessage, to: "4155552671")), 5)
    }

    @Test func legacyInteractiveBodyOnTheSMSPath() throws {
        let api = try makeAPI()
        let body: SandboxJSON = [
            "destination_phone": "+353838000000", "waba_interactive_message": buttonMessage, "intercom_teammate_id": "5173352",
        ]
        let reply = api.post("sms/messages", body, key: SandboxKeys.sms)
        #expect(reply.status == 201)
        #expect(reply.json?["channel_message_id"]?.stringValue?.hasPrefix("wamid.") == true)
        let status = api.status(reply.messageID, channel: "sms", key: SandboxKeys.sms)
        #expect(status.json?["status"] == "sent")
        #expect(status.json?.objectValue?["read_at"] == .null)  // a WhatsApp message: has read_at
        // Interactive numbering, not SMS numbering, for body errors:
        expectError(api.post("sms/messages", interactive(buttonMessage, to: "353838000000"), key: SandboxKeys.sms), 5)
        expectError(api.post("sms/messages", interactive(buttonMessage, to: "+15550100002"), key: SandboxKeys.sms), 7)
        expectError(
            api.post("sms/messages", interactive(["type": "dropdown"]), key: SandboxKeys.sms), 2, containing: "Provided type: dropdown")
    }
}

// MARK: - SMS and VBM sends

@Suite struct SandboxAPISMSAndVBMTests {
    @Test func sendSMSAnswers201() throws {
        let reply = try makeAPI().sendSMS()
        #expect(reply.status == 201)
        let id = try #require(reply.json?["channel_message_id"]?.stringValue)
        #expect(id.wholeMatch(of: /SM[0-9a-f]{32}/) != nil)
        #expect(reply.json?["phone_number"] == "+14155552671")
    }

    @Test func smsErrors() throws {
        let api = try makeAPI()
        expectError(api.sendSMS(body: ""), 2, containing: "empty")
        expectError(api.sendSMS(body: " \n\t "), 2)
        expectError(api.post("sms/messages", ["destination_phone": "+14155552671", "body": 5], key: SandboxKeys.sms), 2)
        expectError(api.post("sms/messages", ["destination_phone": "+14155552671"], key: SandboxKeys.sms), 1, containing: "body")
        expectError(api.post("sms/messages", ["body": "hi"], key: SandboxKeys.sms), 1, containing: "destination_phone")
        expectError(api.sendSMS(to: "+1 415 555 2671"), 3, containing: "Invalid Phone number")
        expectError(api.sendSMS(to: "+15550100004"), 4, containing: "provider")
        expectError(api.sendSMS(body: String(repeating: "a", count: 1601)), 4, containing: "1600")
        #expect(api.sendSMS(body: String(repeating: "a", count: 1600)).status == 201)
        expectError(api.call("GET", "/api/v1/sms/messages", key: SandboxKeys.sms), 1, containing: "message_id")
        expectError(api.call("POST", "/api/v1/sms/messages", key: SandboxKeys.sms, raw: "\"text\""), 2)
    }

    @Test func vbmSend() throws {
        let api = try makeAPI()
        let reply = api.post(
            "vbm/templates/2001/messages",
            [
                "destination_phone": "+14155552671", "header_image_url": "https://example.com/banner.jpg",
                "message_variables": ["header": [], "body": ["Alex"], "footer": []],
            ], key: SandboxKeys.vbm)
        #expect(reply.status == 201)
        #expect(reply.json?["channel_message_id"]?.stringValue?.hasPrefix("vbm.") == true)
        #expect(
            api.post(
                "vbm/templates/2002/messages", ["destination_phone": "+14155552671", "message_variables": ["A1", "shipped"]],
                key: SandboxKeys.vbm
            ).status == 201)
        #expect(
            api.post(
                "vbm/templates/vbm_order_status/messages",
                ["destination_phone": "+14155552671", "message_variables": ["1": "A1", "2": "shipped"]], key: SandboxKeys.vbm
            ).status == 201)
        expectError(
            api.post(
                "vbm/templates/2001/messages", ["destination_phone": "+14155552671", "message_variables": ["body": ["Alex"]]],
                key: SandboxKeys.vbm), 1, containing: "header_image_url")
        expectError(
            api.post(
                "vbm/templates/2001/messages",
                [
                    "destination_phone": "+14155552671", "header_image_url": "banner.jpg",
                    "message_variables": ["body": ["Alex"]],
                ], key: SandboxKeys.vbm), 8)
        expectError(
            api.post(
                "vbm/templates/2003/messages", ["destination_phone": "+14155552671", "message_variables": ["x"]], key: SandboxKeys.vbm), 3)
        expectError(
            api.post(
                "vbm/templates/2002/messages", ["destination_phone": "4155552671", "message_variables": ["a", "b"]], key: SandboxKeys.vbm),
            5)
        expectError(
            api.post(
                "vbm/templates/2002/messages", ["destination_phone": "+14155552671", "message_variables": ["a"]], key: SandboxKeys.vbm), 4)
        expectError(api.post("vbm/templates/2002/messages", ["destination_phone": "+14155552671"], key: SandboxKeys.vbm), 4)
        expectError(
            api.post(
                "vbm/templates/2002/messages", ["destination_phone": "+14155552671", "message_variables": ["a", 1]], key: SandboxKeys.vbm),
            2)
    }
}

// MARK: - Status and listing

@Suite struct SandboxAPIStatusTests {
    @Test func whatsappStatusMovesWithTime() throws {
        let clock = TestClock()
        let api = try makeAPI(clock)
        let id = api.sendOrderUpdate().messageID
        let sent = try #require(api.status(id).json)
        #expect(sent["status"] == "sent")
        #expect(sent["message_id"]?.intValue == id)
        #expect(sent["phone_number"] == "+14155552671")
        #expect(sent["channel_message_id"]?.stringValue?.hasPrefix("wamid.") == true)
        #expect(sent["sent_at"] == "2026-01-01T12:00:00Z")
        #expect(sent.objectValue?["delivered_at"] == .null && sent.objectValue?["read_at"] == .null)
        #expect(sent.objectValue?["failure_reason"] == .null)
        #expect(sent["request_id"]?.stringValue?.count == 36)
        clock.advance(2)
        let delivered = try #require(api.status(id).json)
        #expect(delivered["status"] == "delivered")
        #expect(delivered["delivered_at"] == "2026-01-01T12:00:02Z")
        clock.advance(2)
        let read = try #require(api.status(id).json)
        #expect(read["status"] == "read")
        #expect(read["read_at"] == "2026-01-01T12:00:04Z")
        #expect(isISO(read["sent_at"]))
    }

    @Test func smsStatusMovesWithTime() throws {
        let clock = TestClock()
        let api = try makeAPI(clock)
        let id = api.sendSMS().messageID
        func status() -> SandboxJSON? { api.status(id, channel: "sms", key: SandboxKeys.sms).json }
        #expect(status()?["status"] == "queued")
        #expect(status()?.objectValue?["sent_at"] == .null)
        #expect(status()?.objectValue?["read_at"] == nil)  // the SMS shape has no read_at
        clock.advance(2)
        #expect(status()?["status"] == "sent")
        #expect(status()?["sent_at"] == "2026-01-01T12:00:02Z")
        clock.advance(2)
        #expect(status()?["status"] == "delivered")
        #expect(status()?["delivered_at"] == "2026-01-01T12:00:04Z")
    }

    @Test func unknownOrForeignMessageIsCode1() throws {
        let api = try makeAPI()
        let id = api.sendOrderUpdate().messageID
        expectError(api.status(987_654_321), 1, containing: "does not exist")
        expectError(api.get("whatsapp/messages/abc"), 1)
        expectError(api.status(id, key: SandboxKeys.whatsappNoInteractive), 1)  // another key cannot see it
        expectError(api.status(id, channel: "sms", key: SandboxKeys.sms), 1)  // a WhatsApp message, asked with the SMS key
    }

    @Test func listIsWrappedNewestFirstAndScopedToTheKey() throws {
        let clock = TestClock()
        let api = try makeAPI(clock)
        expectError(api.get("whatsapp/messages"), 11, containing: "Send at least one message before listing")
        let first = api.sendOrderUpdate().messageID
        let second = api.sendOrderUpdate(to: "+15550100001").messageID
        _ = api.sendOrderUpdate(key: SandboxKeys.whatsappNoInteractive)
        clock.advance(2)
        let reply = api.get("whatsapp/messages")
        #expect(reply.status == 200)
        #expect(reply.json?["request_id"]?.stringValue?.count == 36)
        let items = try #require(reply.json?["messages"]?.arrayValue)
        #expect(items.map { $0["message_id"]?.intValue } == [second, first])
        #expect(items[0]["status"] == "failed")
        #expect(items[0]["failure_reason"] == "Recipient is not a WhatsApp user.")
        #expect(items[1]["status"] == "delivered")
        #expect(items[1].objectValue?["failure_reason"] == nil)
        #expect(items[1]["phone_number"] == "+14155552671")
        #expect(items[1]["sent_at"] == "2026-01-01T12:00:00Z")
        #expect(api.get("whatsapp/messages", key: SandboxKeys.whatsappNoInteractive).json?["messages"]?.arrayValue?.count == 1)
    }

    @Test func listLimit() throws {
        let api = try makeAPI()
        for _ in 0..<105 { _ = api.sendOrderUpdate() }
        func count(_ query: String) -> Int? { api.get("whatsapp/messages" + query).json?["messages"]?.arrayValue?.count }
        #expect(count("") == 100)
        #expect(count("?limit=3") == 3)
        #expect(count("?limit=500") == 100)
        expectError(api.get("whatsapp/messages?limit=abc"), 2)
        expectError(api.get("whatsapp/messages?limit=2.5"), 2)
        expectError(api.get("whatsapp/messages?limit=0"), 2)
        expectError(api.get("whatsapp/messages?limit=99999999999999999999999"), 2)
    }
}

// MARK: - Magic numbers

@Suite struct SandboxAPIMagicNumberTests {
    @Test func everyMagicNumberIsListed() {
        #expect(SandboxAPI.magicNumbers.count == 17)
        #expect(SandboxAPI.magicNumbers.allSatisfy { SandboxPayload.isE164($0.phone) && !$0.behaviour.isEmpty })
    }

    @Test func notOnChannel() throws {
        let clock = TestClock()
        let api = try makeAPI(clock)
        let wa = api.sendOrderUpdate(to: "+15550100001").messageID
        let sms = api.sendSMS(to: "+15550100001").messageID
        #expect(api.status(wa).json?["status"] == "sent")
        clock.advance(2)
        #expect(api.status(wa).json?["status"] == "failed")
        #expect(api.status(wa).json?["failure_reason"] == "Recipient is not a WhatsApp user.")
        clock.advance(10)
        #expect(api.status(wa).json?["status"] == "failed")
        let smsStatus = api.status(sms, channel: "sms", key: SandboxKeys.sms).json
        #expect(smsStatus?["status"] == "failed")
        #expect(smsStatus?["failure_reason"] == "Not a valid mobile subscriber.")
    }

    @Test func windowClosed() throws {
        let api = try makeAPI()
        expectError(api.post("whatsapp/interactive", interactive(buttonMessage, to: "+15550100002")), 7, containing: "24-hour")
        #expect(api.sendOrderUpdate(to: "+15550100002").status == 201)
    }

    @Test func undelivered() throws {
        let clock = TestClock()
        let api = try makeAPI(clock)
        let sms = api.sendSMS(to: "+15550100003").messageID
        let wa = api.sendOrderUpdate(to: "+15550100003").messageID
        clock.advance(2)
        #expect(api.status(sms, channel: "sms", key: SandboxKeys.sms).json?["status"] == "sent")
        clock.advance(2)
        let smsStatus = api.status(sms, channel: "sms", key: SandboxKeys.sms).json
        #expect(smsStatus?["status"] == "undelivered")
        #expect(smsStatus?["failure_reason"]?.stringValue != nil)
        let waStatus = api.status(wa).json
        #expect(waStatus?["status"] == "failed")
        #expect(waStatus?["failure_reason"] == ["code": 470, "title": "Re-engagement window expired"])
    }

    @Test func providerError() throws {
        let clock = TestClock()
        let api = try makeAPI(clock)
        expectError(api.sendSMS(to: "+15550100004"), 4)
        let wa = api.sendOrderUpdate(to: "+15550100004")
        #expect(wa.status == 201)
        clock.advance(2)
        let status = api.status(wa.messageID).json
        #expect(status?["status"] == "failed")
        #expect(status?["failure_reason"]?["code"] == "63003")
    }

    @Test func neverDelivered() throws {
        let clock = TestClock()
        let api = try makeAPI(clock)
        let wa = api.sendOrderUpdate(to: "+15550100005").messageID
        let sms = api.sendSMS(to: "+15550100005").messageID
        clock.advance(86_400)
        #expect(api.status(wa).json?["status"] == "sent")
        #expect(api.status(sms, channel: "sms", key: SandboxKeys.sms).json?["status"] == "sent")
    }

    @Test func httpFaults() throws {
        let api = try makeAPI()
        let before = api.get("whatsapp/messages?limit=100")
        #expect(before.errorCode == 11)

        let serverError = api.sendOrderUpdate(to: "+15550100500")
        #expect(serverError.status == 500)
        #expect(serverError.response.headers.contains { $0.value.hasPrefix("text/plain") })
        #expect(serverError.json == nil)

        let badGateway = api.sendSMS(to: "+15550100502")
        #expect(badGateway.status == 502)
        #expect(badGateway.text.contains("<html>"))

        let truncated = api.sendOrderUpdate(to: "+15550100200")
        #expect(truncated.status == 201)
        #expect(!truncated.response.body.isEmpty && truncated.json == nil)

        let empty = api.sendOrderUpdate(to: "+15550100201")
        #expect(empty.status == 201 && empty.response.body.isEmpty)

        let slow = api.sendOrderUpdate(to: "+15550100408")
        #expect(slow.status == 201 && slow.response.fault == .delay(40))

        let reset = api.sendSMS(to: "+15550100104")
        #expect(reset.response.fault == .reset)

        // 500/502 create nothing; the four ambiguous cases create a message each.
        let listed = api.get("whatsapp/messages").json?["messages"]?.arrayValue ?? []
        #expect(listed.count == 3)
        #expect(api.recordedRequests().compactMap(\.messageID).count == 4)
    }

    @Test func magic429StartsNoCooldown() throws {
        let clock = TestClock()
        let api = try makeAPI(clock, rateLimit: .standard)
        let reply = api.sendOrderUpdate(to: "+15550100429")
        #expect(reply.status == 429)
        #expect(reply.json == ["message": "You have fired too many requests. Please try after 2026-01-01 12:01:00 UTC."])
        #expect(api.sendOrderUpdate().status == 201)
        #expect(api.get("whatsapp/messages").json?["messages"]?.arrayValue?.count == 1)
    }
}

// MARK: - Rate limit

@Suite struct SandboxAPIRateLimitTests {
    @Test func fiftyFivePerTenSecondsThenCooldown() throws {
        let clock = TestClock()
        let api = try makeAPI(clock, rateLimit: .standard)
        for index in 0..<55 {
            let reply = index.isMultiple(of: 2) ? api.get("whatsapp/templates") : api.sendOrderUpdate()
            #expect(reply.status != 429, "request \(index + 1)")
            clock.advance(0.1)
        }
        let limited = api.get("whatsapp/templates")
        #expect(limited.status == 429)
        // now = 12:00:05.5; cool-down 300 s → 12:05:05.5, rounded up to a whole second
        #expect(limited.json == ["message": "You have fired too many requests. Please try after 2026-01-01 12:05:06 UTC."])
        #expect(!limited.response.headers.contains { $0.name.lowercased() == "retry-after" })
        #expect(api.sendSMS().status == 201)  // other keys are unaffected

        clock.advance(200)
        #expect(api.sendOrderUpdate().text.contains("12:05:06 UTC"))  // not extended
        clock.advance(100)
        #expect(api.get("whatsapp/templates").status == 429)  // 12:05:05.5 < 12:05:06
        clock.advance(0.5)
        #expect(api.get("whatsapp/templates").status == 200)
    }

    @Test func windowSlides() throws {
        let clock = TestClock()
        let api = try makeAPI(clock, rateLimit: SandboxRateLimit(count: 3, window: 10))
        for _ in 0..<3 { #expect(api.get("whatsapp/templates").status == 200); clock.advance(4) }
        // requests at 0, 4, 8; now 12: the one at 0 left the window
        #expect(api.get("whatsapp/templates").status == 200)
        #expect(api.get("whatsapp/templates").status == 429)
    }
}

// MARK: - Persistence and logging

@Suite struct SandboxAPIPersistenceTests {
    @Test func stateRoundTrip() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("state/octopods/sandbox.json")
        let clock = TestClock()
        let api = try makeAPI(clock, rateLimit: .standard, stateFile: file)
        let id = try #require(api.sendOrderUpdate().messageID)
        try api.flush()
        #expect(try mode(file) == 0o600)
        #expect(try mode(file.deletingLastPathComponent()) == 0o700)

        let reloaded = try makeAPI(clock, rateLimit: .standard, stateFile: file)
        #expect(reloaded.status(id).json?["status"] == "sent")
        #expect((reloaded.sendOrderUpdate().messageID ?? 0) == id + 1)
        try reloaded.flush()
        // No temporary file left behind (the lock file stays, as flock needs it).
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path)
            .filter { $0 != ".sandbox.json.lock" }
        #expect(leftovers == ["sandbox.json"])

        try SandboxAPI.reset(stateFile: file)
        #expect(!FileManager.default.fileExists(atPath: file.path))
        try SandboxAPI.reset(stateFile: file)  // resetting twice is fine
        expectError(try makeAPI(clock, stateFile: file).status(id), 1)
    }

    @Test func rateLimitHistoryPersists() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("sandbox.json")
        let clock = TestClock()
        let api = try makeAPI(clock, rateLimit: SandboxRateLimit(count: 1, window: 10), stateFile: file)
        #expect(api.get("whatsapp/templates").status == 200)
        #expect(api.get("whatsapp/templates").status == 429)
        try api.flush()
        let reloaded = try makeAPI(clock, rateLimit: SandboxRateLimit(count: 1, window: 10), stateFile: file)
        #expect(reloaded.get("whatsapp/templates").status == 429)
        try reloaded.flush()  // before the directory goes: a pending background save would recreate it
    }

    @Test func savesWithoutFlush() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("sandbox.json")
        let api = try makeAPI(stateFile: file)
        _ = api.sendOrderUpdate()
        // The save is on a background queue, due within 0.25 s; the limit below only turns "never"
        // into a failure and is no measure of speed.
        for _ in 0..<1_200 where !FileManager.default.fileExists(atPath: file.path) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(FileManager.default.fileExists(atPath: file.path))
        #expect(api.lastSaveError() == nil)
    }

    @Test func corruptStateFileIsAnErrorNamingTheFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("sandbox.json")
        try Data("{\"messages\": [oops".utf8).write(to: file)
        #expect {
            _ = try makeAPI(stateFile: file)
        } throws: { error in
            let text = "\(error)"
            return text.contains(file.path) && text.contains("--reset")
        }
    }

    @Test func defaultStateFile() {
        #expect(
            SandboxOptions.defaultStateFile(environment: ["XDG_STATE_HOME": "/x/state", "HOME": "/home/a"]).path
                == "/x/state/octopods/sandbox.json")
        #expect(SandboxOptions.defaultStateFile(environment: ["HOME": "/home/a"]).path == "/home/a/.local/state/octopods/sandbox.json")
        #expect(
            SandboxOptions.defaultStateFile(environment: ["XDG_STATE_HOME": "relative", "HOME": "/home/a"]).path
                == "/home/a/.local/state/octopods/sandbox.json")
    }

    @Test func requestLog() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("logs/requests.jsonl")
        let api = try makeAPI(logFile: log)
        let sent = api.sendOrderUpdate()
        _ = api.get("whatsapp/templates?status=accepted&lang=en", key: "my-real-live-key")
        _ = api.call("POST", "/api/v1/sms/messages", key: nil, raw: "not json")
        #expect(try mode(log) == 0o600)
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map { SandboxJSON.parse(Data($0.utf8)) }
        #expect(lines.count == 3)
        let first = try #require(lines[0])
        #expect(first["method"] == "POST")
        #expect(first["path"] == "/api/v1/whatsapp/templates/1001/messages")
        #expect(first["key"] == .string(SandboxKeys.whatsapp))
        #expect(first["status"] == 201)
        #expect(first["message_id"]?.intValue == sent.messageID)
        #expect(first["body"]?["destination_phone"] == "+14155552671")
        #expect(first["time"]?.stringValue?.hasPrefix("2026-01-01T12:00:00") == true)
        let second = try #require(lines[1])
        #expect(second["key"] == "(other)")
        #expect(second["query"] == ["status": "accepted", "lang": "en"])
        #expect(second["status"] == 401)
        #expect(second.objectValue?["message_id"] == nil)
        #expect(!String(decoding: (lines[1] ?? .null).encoded(), as: UTF8.self).contains("my-real-live-key"))
        let third = try #require(lines[2])
        #expect(third["key"] == "(none)")
        #expect(third["body"] == "not json")
        #expect(api.recordedRequests().map(\.status) == [201, 401, 401])
        #expect(api.recordedRequests().first?.messageID == sent.messageID)
    }

    @Test func keepsTheNewestMessages() {
        var state = SandboxState()
        for _ in 0..<(SandboxState.messageLimit + 5) {
            _ = state.add {
                SandboxMessage(
                    id: $0, key: "k", channel: .sms, phone: "+14155552671", channelMessageID: "SM",
                    createdAt: Date(), plan: .normal)
            }
        }
        #expect(state.messages.count == SandboxState.messageLimit)
        #expect(state.messages.first?.id == 100_006)
    }
}

// MARK: - Robustness

@Suite struct SandboxAPIRobustnessTests {
    @Test func garbageNeverCrashesAndGets4xx() throws {
        let api = try makeAPI()
        var random = SeededGenerator(seed: 0x0C70_9005)
        let methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "get", "", "P\u{0}ST", "OPTIONS"]
        let prefixes = [
            "/api/v1/whatsapp/templates", "/api/v1/whatsapp/templates/1001/messages", "/api/v1/whatsapp/interactive",
            "/api/v1/whatsapp/messages", "/api/v1/sms/messages", "/api/v1/vbm/templates/2001/messages",
            "/api/v1/vbm/templates", "/", "", "*", "/api/v1/", "%%%", "/api/v1/sms/messages/",
        ]
        let suffixes = [
            "", "/", "?limit=-1", "?status=%ZZ", "/../../etc/passwd", "?lang=&active=", "/%00", "//x", "?a=b=c&&",
            "/\u{1F419}", "?limit=" + String(repeating: "9", count: 40),
        ]
        let keys: [String?] = [nil, "", SandboxKeys.whatsapp, SandboxKeys.sms, SandboxKeys.vbm, SandboxKeys.revoked, "x\u{0}y"]
        let bodies: [String] = [
            "", "{", "}", "[]", "null", "0", "\"x\"", "{\"destination_phone\": 5}", "{\"destination_phone\": \"+1\"}",
            "{\"destination_phone\": \"+14155552671\", \"message_variables\": {\"body\": [[[]]]}}",
            "{\"destination_phone\": \"+14155552671\", \"waba_interactive_message\": \"{\\\"type\\\": 1}\"}",
            "{\"destination_phone\": \"+14155552671\", \"body\": \"\"}",
            String(repeating: "[", count: 100_000), String(repeating: "{\"a\":", count: 5_000),
            "{\"a\": 1e999}", "{\"a\": \"\\ud800\"}", "\u{FEFF}{}",
        ]
        var statuses: [Int: Int] = [:]
        for _ in 0..<400 {
            let method = methods.randomElement(using: &random) ?? "GET"
            let target = (prefixes.randomElement(using: &random) ?? "") + (suffixes.randomElement(using: &random) ?? "")
            var headers: [HTTPField] = []
            if let key = keys.randomElement(using: &random) ?? nil { headers.append(HTTPField("x-octopods-auth", key)) }
            var body = Data((bodies.randomElement(using: &random) ?? "").utf8)
            if Bool.random(using: &random) {
                body.append(contentsOf: (0..<Int.random(in: 0..<64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
            }
            let response = api.handle(SandboxRequest(method: method, target: target, headers: headers, body: body))
            statuses[response.status, default: 0] += 1
            // Only well-formed GETs with the right key may succeed; nothing here may be a server error.
            #expect(response.status < 500, "\(method) \(target)")
            if response.status >= 200, response.status < 300 {
                #expect(method == "GET", "\(method) \(target) → \(response.status)")
            } else {
                #expect((400..<500).contains(response.status))
            }
        }
        #expect(statuses.filter { (400..<500).contains($0.key) }.values.reduce(0, +) > 300)
    }

    @Test func concurrentRequestsGetDistinctIDs() async throws {
        let api = try makeAPI()
        let ids = await withTaskGroup(of: Int?.self) { group in
            for index in 0..<200 {
                group.addTask { index.isMultiple(of: 2) ? api.sendOrderUpdate().messageID : api.sendSMS().messageID }
            }
            var ids: [Int?] = []
            for await id in group { ids.append(id) }
            return ids
        }
        let unique = Set(ids.compactMap { $0 })
        #expect(unique.count == 200)
        #expect(api.recordedRequests().count == 200)
    }

    @Test func deepNestingIsRefused() {
        #expect(SandboxJSON.parse(Data(String(repeating: "[", count: 10_000).utf8)) == nil)
        #expect(SandboxJSON.parse(Data((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)) != nil)
        #expect(SandboxJSON.parse(Data("[true, 1, 1.5, \"s\", null, {\"a\": false}]".utf8)) == [true, 1, 1.5, "s", nil, ["a": false]])
    }
}

// MARK: - Documented answers the client must read truthfully

@Suite struct SandboxAPIDocumentedAnswerTests {
    @Test func createdWithOnlyARequestID() throws {
        let api = try makeAPI()
        let reply = api.sendSMS(to: "+15550100202")
        #expect(reply.status == 201)
        #expect(reply.json?.objectValue?.keys.sorted() == ["request_id"])
        #expect(api.recordedRequests().last?.messageID != nil, "the message is created")
    }

    @Test func createdWithTheExamplesTrailingComma() throws {
        let api = try makeAPI()
        let reply = api.sendOrderUpdate(to: "+15550100203")
        #expect(reply.status == 201)
        #expect(reply.json == nil, "not JSON, as the documented example")
        let id = try #require(api.recordedRequests().last?.messageID)
        #expect(reply.text.hasPrefix(#"{"message_id": \#(id), "phone_number": "15550100203", "request_id": ""#))
        #expect(reply.text.hasSuffix(#"",}"#))
    }

    @Test func deletedAfterDelivery() throws {
        let clock = TestClock()
        let api = try makeAPI(clock)
        let wa = api.sendOrderUpdate(to: "+15550100006").messageID
        let sms = api.sendSMS(to: "+15550100006").messageID
        clock.advance(2)
        #expect(api.status(wa).json?["status"] == "delivered")
        clock.advance(2)
        #expect(api.status(wa).json?["status"] == "DELETED")
        #expect(api.status(sms, channel: "sms", key: SandboxKeys.sms).json?["status"] == "delivered")
        clock.advance(2)
        #expect(api.status(sms, channel: "sms", key: SandboxKeys.sms).json?["status"] == "DELETED")
        clock.advance(100)
        #expect(api.status(wa).json?["status"] == "DELETED")
    }

    @Test func statusLookupsRefused() throws {
        let api = try makeAPI()
        let sent = api.sendSMS(to: "+15550100007")
        #expect(sent.status == 201)
        expectError(api.status(sent.messageID, channel: "sms", key: SandboxKeys.sms), 1, containing: "Message not found.")
    }

    @Test func templateNotApprovedIsCodeFour() throws {
        let api = try makeAPI()
        expectError(api.sendOrderUpdate(to: "+15550100008"), 4, containing: "Template 'order_update' is not approved.")
        #expect(api.sendSMS(to: "+15550100008").status == 201, "SMS has no templates")
    }
}
