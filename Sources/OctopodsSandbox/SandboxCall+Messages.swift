#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The send, status and list endpoints (docs/api-notes.md).
extension SandboxCall {
    /// What a validated send creates.
    struct Draft {
        var channel: SandboxChannel
        var interactive = false
        var phone: String
        var templateID: Int?
    }

    /// Longest SMS body (14823468); longer ones get the provider's error.
    static let smsBodyLimit = 1_600

    func sendTemplate(
        _ reference: String, channel: SandboxChannel, key: SandboxKey, state: inout SandboxState
    ) throws(SandboxError) -> Outcome {
        let payload = try SandboxPayload(body: request.body)
        try payload.require("destination_phone")
        let template = try sendableTemplate(reference, channel: channel)
        let phone = try payload.phone()
        if SandboxMagicNumber.lookup(phone)?.effect == .templateNotApproved {
            // Doc 14823466's example: code 4, the template named in the text, no request_id.
            throw SandboxError(.variablesSize, "Template '\(template.name)' is not approved.")
        }
        try SandboxVariables.check(payload["message_variables"], for: template)
        try payload.checkMediaURL(channel == .vbm ? "header_image_url" : "header_attachment_url", for: template)
        try payload.checkOptionalFields()
        return try deliver(Draft(channel: channel, phone: phone, templateID: template.id), key: key, state: &state)
    }

    func sendInteractive(key: SandboxKey, state: inout SandboxState) throws(SandboxError) -> Outcome {
        guard key.interactiveEnabled else {
            let body: SandboxJSON = [
                "request_id": .string(requestID),
                "error": "WhatsApp interactive messages are not enabled for this account. Ask Octopods support to opt you in.",
            ]
            return Outcome(response: body.response(status: 403))
        }
        return try sendInteractive(try SandboxPayload(body: request.body), key: key, state: &state)
    }

    private func sendInteractive(_ payload: SandboxPayload, key: SandboxKey, state: inout SandboxState) throws(SandboxError) -> Outcome {
        try payload.require("destination_phone", "waba_interactive_message")
        let phone = try payload.phone()
        try SandboxInteractive.check(payload["waba_interactive_message"] ?? .null)
        try payload.checkOptionalFields()
        return try deliver(Draft(channel: .whatsapp, interactive: true, phone: phone), key: key, state: &state)
    }

    func sendSMS(key: SandboxKey, state: inout SandboxState) throws(SandboxError) -> Outcome {
        let payload = try SandboxPayload(body: request.body)
        if payload.fields["waba_interactive_message"] != nil {
            // The legacy interactive body (9185437) on the SMS path: validated like /whatsapp/interactive,
            // and its errors use that family's numbers.
            do throws(SandboxError) {
                return try sendInteractive(payload, key: key, state: &state)
            } catch {
                var error = error
                error.family = .whatsappInteractive
                throw error
            }
        }
        try payload.require("destination_phone")
        guard let body = payload["body"] else {
            throw SandboxError(.argumentMissing, "You must supply body in your request payload.")
        }
        let phone = try payload.phone()
        guard let text = body.stringValue else {
            throw SandboxError(.typeMismatch, "body must be a string, not a JSON \(body.typeName).")
        }
        guard !text.trimmingWhitespace().isEmpty else {
            throw SandboxError(.emptyBody, "Message body cannot be empty.")
        }
        guard text.count <= Self.smsBodyLimit else {
            throw SandboxError(
                .providerError,
                "The SMS provider returned an error: (21617) The concatenated message body exceeds the 1600 character limit.")
        }
        try payload.checkOptionalFields()
        return try deliver(Draft(channel: .sms, phone: phone), key: key, state: &state)
    }

    /// Creates the message (or acts out a magic number) and answers 201.
    private func deliver(_ draft: Draft, key: SandboxKey, state: inout SandboxState) throws(SandboxError) -> Outcome {
        let effect = SandboxMagicNumber.lookup(draft.phone)?.effect
        var plan = SandboxDeliveryPlan.normal
        switch effect {
        case .serverError?:
            return Outcome(
                response: SandboxResponse(
                    status: 500, headers: [HTTPField("Content-Type", "text/plain; charset=utf-8")],
                    body: Data("Internal Server Error\n".utf8)))
        case .badGateway?:
            let html =
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            return Outcome(response: SandboxResponse(status: 502, headers: [HTTPField("Content-Type", "text/html")], body: Data(html.utf8)))
        case .rateLimited?:
            return Outcome(response: SandboxRateLimit.tooManyRequests(retryAfter: now.addingTimeInterval(60)))
        case .windowClosed? where draft.interactive:
            throw SandboxError(
                .sendRejected,
                "WhatsApp rejected the message: the 24-hour customer service window with \(draft.phone) is closed. Send a template message instead."
            )
        case .providerError? where draft.channel == .sms:
            throw SandboxError(.providerError, "The SMS provider returned an error: (21610) Attempt to send to unsubscribed recipient.")
        case .providerError?: plan = .providerFailure
        case .notOnChannel?: plan = .notOnChannel
        case .undelivered?: plan = draft.channel == .sms ? .undelivered : .reengagementExpired
        case .neverDelivered?: plan = .neverDelivered
        case .deletedAfterDelivery?: plan = .deleted
        case .statusRefused?: plan = .statusRefused
        default: break
        }

        let message = state.add { id in
            SandboxMessage(
                id: id, key: key.value, channel: draft.channel, phone: draft.phone,
                channelMessageID: Self.channelMessageID(for: draft.channel),
                createdAt: now, plan: plan, templateID: draft.templateID)
        }
        let body: SandboxJSON = [
            "request_id": .string(requestID),
            "message_id": .int(message.id),
            "channel_message_id": .string(message.channelMessageID),
            "phone_number": .string(message.phone),
        ]
        var response = body.response(status: 201)
        switch effect {
        case .truncatedJSON?: response.body = Data(response.body.prefix(response.body.count / 2))
        case .emptyBody?: response.body = Data()
        case .slowResponse?: response.fault = .delay(options.slowResponseDelay)
        case .connectionReset?: response.fault = .reset
        case .idOmitted?: response = (["request_id": .string(requestID)] as SandboxJSON).response(status: 201)
        case .trailingComma?:
            // Doc 3989695's example, defect included: phone without '+', a comma before the brace.
            let text =
                "{\"message_id\": \(message.id), \"phone_number\": \"\(message.phone.dropFirst())\", \"request_id\": \"\(requestID)\",}"
            response.body = Data(text.utf8)
        default: break
        }
        return Outcome(response: response, messageID: message.id, stateChanged: true)
    }

    /// A provider id: `wamid.…` (WhatsApp), `SM` + 32 hex (Twilio SMS), `vbm.…` (Viber).
    static func channelMessageID(for channel: SandboxChannel) -> String {
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: .min ... .max) } }
        switch channel {
        case .whatsapp:
            return "wamid." + Data(bytes(30)).base64EncodedString()
        case .sms:
            return "SM"
                + bytes(16).map { byte in
                    let hex = String(byte, radix: 16)
                    return byte < 16 ? "0" + hex : hex
                }.joined()
        case .vbm:
            return "vbm." + UUID().uuidString.lowercased()
        }
    }

    func messageStatus(_ reference: String, key: SandboxKey, state: SandboxState) throws(SandboxError) -> Outcome {
        guard let id = Int(reference),
            let message = state.message(id: id, key: key.value)
                ?? (options.seedMessages ? SandboxMessage.seeds.first { $0.id == id && $0.key == key.role } : nil)
        else {
            throw SandboxError(.messageNotFound, "Message \(reference.prefix(64)) does not exist.")
        }
        if message.plan == .statusRefused { throw SandboxError(.messageNotFound, "Message not found.") }
        if let memory = options.statusMemory, !state.isAmongNewest(message, memory) {
            throw SandboxError(.messageNotFound, "Message \(id) does not exist.")
        }
        return ok(message.statusJSON(at: now, stageInterval: options.stageInterval, requestID: requestID))
    }

    /// The newest documented shape (14824157): `{request_id, messages: [...]}`, newest first.
    func listMessages(key: SandboxKey, state: SandboxState) throws(SandboxError) -> Outcome {
        var limit = 100
        if let text = query("limit") {
            guard let number = Int(text.trimmingSpaces()), number >= 1 else {
                throw SandboxError(.typeMismatch, "limit must be a positive integer (at most 100).")
            }
            limit = min(number, 100)
        }
        var sent = state.messages(sentWith: key.value, channel: .whatsapp)
        if options.seedMessages {
            // Older than anything sent: last, newest first among themselves.
            sent += SandboxMessage.seeds.filter { $0.key == key.role && $0.channel == .whatsapp }.sorted { $0.createdAt > $1.createdAt }
        }
        guard !sent.isEmpty else {
            throw SandboxError(.nothingToList, "No messages have been sent on this channel yet. Send at least one message before listing.")
        }
        let items = sent.prefix(limit).map { $0.listItemJSON(at: now, stageInterval: options.stageInterval) }
        return ok(["request_id": .string(requestID), "messages": .array(items)])
    }
}
