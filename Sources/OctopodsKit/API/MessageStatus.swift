import CLISupport

/// A message's delivery status, from every documented shape (docs/api-notes.md, "Message status"): upper- or
/// lower-case status, `status_message`/`last_updated` or `sent_at`/`delivered_at`/`read_at`,
/// `failure_reason` as an object, a string, null or "".
package struct MessageStatus: Sendable, Equatable {
    package var messageID: String
    package var status: DeliveryStatus
    package var statusMessage: String?
    package var phone: String?
    package var channelMessageID: String?
    package var sentAt: String?
    package var deliveredAt: String?
    package var readAt: String?
    package var lastUpdated: String?
    package var failure: String?
    package var conversationID: String?
    /// The code of `failure_reason` when it has one (`63003`, `470`).
    package var failureCode: String?

    /// The fields that hold times (`APITime`).
    package static let timeFields = ["sent_at", "delivered_at", "read_at", "last_updated"]

    /// A status answer as the output shows it: times in ISO 8601 `Z`, the values as they came
    /// under `raw` (docs/api-notes.md, "Times").
    package static func output(_ raw: JSONValue) -> JSONValue {
        APITime.normalizing(raw, fields: timeFields)
    }

    /// What waiting for `until` (`delivered` or `read`) makes of a status: `.success` once it is
    /// reached (read is past delivered; deleted is final and past delivered, so it ends either
    /// wait), `.rejected` for a final failure, nil to keep waiting.
    package static func outcome(_ status: DeliveryStatus, until: DeliveryStatus) -> ExitCode? {
        if status == .read || status == .deleted || (status == .delivered && until != .read) { return .success }
        return status.isFailure ? .rejected : nil
    }

    package static func decode(_ json: JSONValue) throws(DecodingProblem) -> MessageStatus {
        guard json.objectValue != nil else { throw DecodingProblem("the status is not a JSON object") }
        guard let status = (json["status"] ?? json["message_status"])?.stringValue else {
            throw DecodingProblem("the response has no status")
        }
        return MessageStatus(
            messageID: json["message_id"]?.scalarText ?? "",
            status: DeliveryStatus(rawValue: status.lowercased()),
            statusMessage: nonEmpty(json["status_message"]),
            phone: nonEmpty(json["phone_number"]),
            channelMessageID: nonEmpty(json["channel_message_id"]),
            sentAt: nonEmpty(json["sent_at"]),
            deliveredAt: nonEmpty(json["delivered_at"]),
            readAt: nonEmpty(json["read_at"]),
            lastUpdated: nonEmpty(json["last_updated"]),
            failure: failureText(json["failure_reason"]),
            conversationID: nonEmpty(json["intercom_conversation_id"]),
            failureCode: nonEmpty(json["failure_reason"]?["code"]))
    }

    /// `63003: Channel could not find To address`, the plain text, or nil for null and "".
    package static func failureText(_ json: JSONValue?) -> String? {
        guard let json else { return nil }
        switch json {
        case .string(let s): return s.isEmpty ? nil : s
        case .object:
            let text = (json["description"] ?? json["title"] ?? json["message"])?.scalarText
            let code = json["code"]?.scalarText
            switch (code, text) {
            case let (c?, t?): return "\(c): \(t)"
            case let (c?, nil): return "code \(c)"
            case let (nil, t?): return t
            default: return nil
            }
        default: return nil
        }
    }

    static func nonEmpty(_ json: JSONValue?) -> String? {
        guard let text = json?.scalarText, !text.isEmpty else { return nil }
        return text
    }
}

/// One item of `messages list`, from either documented shape (docs/api-notes.md, "Listing sent messages"): the bare array with
/// `user_phone_number` and a nested `message_status`, or the wrapped `{messages: [...]}`.
package struct MessageSummary: Sendable, Equatable {
    package var messageID: String?
    package var phone: String?
    package var status: DeliveryStatus?
    package var time: String?
    package var failure: String?
    package var content: String?

    package static func decodeList(_ json: JSONValue) throws(DecodingProblem) -> [MessageSummary] {
        guard let items = json.arrayValue ?? json["messages"]?.arrayValue else {
            throw DecodingProblem("expected a list of messages (a JSON array or {\"messages\": [...]})")
        }
        return items.map(decode)
    }

    /// The list items themselves, whichever shape wrapped them (for ndjson output).
    package static func items(_ json: JSONValue) -> [JSONValue] {
        json.arrayValue ?? json["messages"]?.arrayValue ?? []
    }

    static func decode(_ item: JSONValue) -> MessageSummary {
        let nested = item["message_status"]
        let nestedObject = nested?.objectValue != nil ? nested : nil
        return MessageSummary(
            messageID: MessageStatus.nonEmpty(item["message_id"] ?? nestedObject?["channel_message_id"]),
            phone: MessageStatus.nonEmpty(item["phone_number"] ?? item["user_phone_number"]),
            status: (item["status"] ?? nestedObject?["message_status"] ?? (nestedObject == nil ? nested : nil))?
                .stringValue.map { DeliveryStatus(rawValue: $0.lowercased()) },
            time: MessageStatus.nonEmpty(item["sent_at"] ?? item["created_at"]),
            failure: MessageStatus.failureText(item["failure_reason"] ?? nestedObject?["failure_reason"]),
            content: MessageStatus.nonEmpty(item["message_content"]))
    }
}
