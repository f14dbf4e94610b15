import CLISupport

/// Endpoint factories: pure functions from typed arguments to the exact method, path, query
/// and body (docs/api-notes.md).
package enum API {
    package static let root = "/api/v1"

    package static func listTemplates(
        channel: Channel, status: String? = nil, active: Bool? = nil,
        lang: String? = nil
    ) -> Endpoint<[Template]> {
        var query: [(String, String)] = []
        if let status { query.append(("status", status)) }
        if let active { query.append(("active", active ? "true" : "false")) }
        if let lang { query.append(("lang", lang)) }
        return Endpoint(
            method: "GET", path: "\(root)/\(channel.rawValue)/templates", query: query,
            family: templateFamily(channel), decode: Template.decodeList)
    }

    package static func getTemplate(channel: Channel, id: String) -> Endpoint<Template> {
        Endpoint(
            method: "GET", path: "\(root)/\(channel.rawValue)/templates/\(URLEncoding.component(id))",
            family: templateFamily(channel)
        ) { json throws(DecodingProblem) in
            // Tolerate a one-item list: the single-template shape is not shown in the docs.
            if let items = json.arrayValue, let first = items.first, items.count == 1 { return try Template.decode(first) }
            return try Template.decode(json)
        }
    }

    package static func messageStatus(channel: Channel, id: String) -> Endpoint<MessageStatus> {
        Endpoint(
            method: "GET", path: "\(root)/\(channel.rawValue)/messages/\(URLEncoding.component(id))",
            family: channel == .sms ? .sms : .whatsappTemplates, decode: MessageStatus.decode)
    }

    package static func listMessages(limit: Int? = nil) -> Endpoint<[MessageSummary]> {
        Endpoint(
            method: "GET", path: "\(root)/whatsapp/messages", query: limit.map { [("limit", String($0))] } ?? [],
            family: .whatsappTemplates, decode: MessageSummary.decodeList)
    }

    static func templateFamily(_ channel: Channel) -> ErrorFamily {
        channel == .vbm ? .vbm : .whatsappTemplates
    }
}

// MARK: Sends

extension API {
    package static func sendTemplate(channel: Channel, templateID: String, body: JSONValue) -> Endpoint<SendResult> {
        var endpoint = Endpoint(
            method: "POST", path: "\(root)/\(channel.rawValue)/templates/\(URLEncoding.component(templateID))/messages",
            body: body, family: templateFamily(channel), decode: SendResult.decode)
        endpoint.templateID = templateID
        return endpoint
    }

    package static func sendInteractive(body: JSONValue) -> Endpoint<SendResult> {
        Endpoint(
            method: "POST", path: "\(root)/whatsapp/interactive", body: body, family: .whatsappInteractive,
            decode: SendResult.decode)
    }

    package static func sendSMS(body: JSONValue) -> Endpoint<SendResult> {
        Endpoint(method: "POST", path: "\(root)/sms/messages", body: body, family: .sms, decode: SendResult.decode)
    }
}
