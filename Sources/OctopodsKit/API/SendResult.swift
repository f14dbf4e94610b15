#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// A send's 201 answer, from every documented variant (docs/api-notes.md, "Send responses"): integer or
/// prefixed-string ids, with or without `phone_number`, `channel_message_id`, `message_status_url`;
/// or only `request_id` (some integrations), which is still an accepted send whose id is unknown.
package struct SendResult: Sendable, Equatable {
    /// Nil when the API accepted the send without saying its id (docs/api-notes.md, "201 Created").
    package var messageID: String?
    package var phone: String?
    package var requestID: String?
    package var channelMessageID: String?

    package init(messageID: String?, phone: String? = nil, requestID: String? = nil, channelMessageID: String? = nil) {
        self.messageID = messageID; self.phone = phone; self.requestID = requestID; self.channelMessageID = channelMessageID
    }

    /// Any success answer to a send is an accepted send; what it says about the message is taken
    /// where it is, and nothing is required.
    package static func decode(_ json: JSONValue) throws(DecodingProblem) -> SendResult {
        SendResult(
            messageID: MessageStatus.nonEmpty(json["message_id"]), phone: MessageStatus.nonEmpty(json["phone_number"]),
            requestID: MessageStatus.nonEmpty(json["request_id"]),
            channelMessageID: MessageStatus.nonEmpty(json["channel_message_id"]))
    }

    /// Said when the id is unknown: where to find the message instead.
    package static let unknownIDWarning =
        "the API accepted the send but did not return a message_id; find the message with 'octopods messages list' or 'octopods history' before sending again"
}

/// The documented examples' one defect (docs/api-notes.md, "201 Created", "Documented trailing
/// commas"): a comma before the closing brace or bracket that ends the body (the send and status
/// examples' `",\n}`, the list example's `},\n]`). That comma, and only it, is tolerated, for
/// every answer alike; nothing else is repaired.
package enum CreatedBody {
    /// A 201 body: the repaired object, or an empty object (created, nothing more known).
    package static func read(_ body: Data) -> JSONValue {
        guard let json = repaired(body), json.objectValue != nil else { return .object([]) }
        return json
    }

    /// The body without the comma before its final `}` or `]`, when that makes it a JSON
    /// object or array; nil otherwise.
    package static func repaired(_ body: Data) -> JSONValue? {
        var bytes = Array(body)
        while let last = bytes.last, isSpace(last) { bytes.removeLast() }
        guard let last = bytes.last, last == UInt8(ascii: "}") || last == UInt8(ascii: "]") else { return nil }
        var i = bytes.count - 2
        while i >= 0, isSpace(bytes[i]) { i -= 1 }
        guard i >= 0, bytes[i] == UInt8(ascii: ",") else { return nil }
        bytes.remove(at: i)
        guard let json = try? JSONValue.parse(Data(bytes)), json.objectValue != nil || json.arrayValue != nil else { return nil }
        return json
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
