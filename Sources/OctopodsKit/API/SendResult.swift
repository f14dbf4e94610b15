import CLISupport

/// A send's 201 answer, from every documented variant (docs/api-notes.md, "Send responses"): integer or
/// prefixed-string ids, with or without `phone_number`, `channel_message_id`, `message_status_url`.
package struct SendResult: Sendable, Equatable {
    package var messageID: String
    package var phone: String?
    package var requestID: String?
    package var channelMessageID: String?

    package static func decode(_ json: JSONValue) throws(DecodingProblem) -> SendResult {
        guard json.objectValue != nil else { throw DecodingProblem("the send response is not a JSON object") }
        guard let id = MessageStatus.nonEmpty(json["message_id"]) else {
            throw DecodingProblem("the send response has no message_id")
        }
        return SendResult(messageID: id, phone: MessageStatus.nonEmpty(json["phone_number"]),
                          requestID: MessageStatus.nonEmpty(json["request_id"]),
                          channelMessageID: MessageStatus.nonEmpty(json["channel_message_id"]))
    }
}
