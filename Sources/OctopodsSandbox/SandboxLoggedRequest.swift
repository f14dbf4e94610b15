#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One request as the request log records it. Never holds a real key: only the names of the
/// sandbox keys, `(other)` or `(none)`.
package struct SandboxLoggedRequest: Sendable, Equatable, Codable {
    /// ISO-8601 with fractional seconds, from the sandbox clock.
    package var time: String
    package var method: String
    package var path: String
    /// Query items; the first of repeated names wins.
    package var query: [String: String]
    package var key: String
    /// The parsed JSON body, the raw text when it is not JSON, or null when empty.
    package var body: SandboxJSON
    package var status: Int
    package var messageID: Int?

    enum CodingKeys: String, CodingKey {
        case time, method, path, query, key, body, status
        case messageID = "message_id"
    }

    /// Longest raw (non-JSON) body kept, in bytes.
    static let rawBodyLimit = 65_536

    /// The log line's JSON object (`message_id` only when a message was created).
    package var json: SandboxJSON {
        var object: [String: SandboxJSON] = [
            "time": .string(time), "method": .string(method), "path": .string(path),
            "query": .object(query.mapValues(SandboxJSON.string)), "key": .string(key),
            "body": body, "status": .int(status),
        ]
        if let messageID { object["message_id"] = .int(messageID) }
        return .object(object)
    }

    /// The record of `request`; `status` and `messageID` are filled in once it is answered.
    init(request: SandboxRequest, time: Date, status: Int = 0, messageID: Int? = nil) {
        self.time = SandboxTime.isoWithFraction(time)
        method = request.method
        path = request.path
        var query: [String: String] = [:]
        for item in request.query where query[item.name] == nil { query[item.name] = item.value }
        self.query = query
        if let value = request.header(SandboxCall.authHeader) {
            key = SandboxKeys.lookup(value)?.value ?? "(other)"
        } else {
            key = "(none)"
        }
        if request.body.isEmpty {
            body = .null
        } else if let json = SandboxJSON.parse(request.body) {
            body = json
        } else {
            let raw = request.body.prefix(Self.rawBodyLimit)
            body = .string(String(decoding: raw, as: UTF8.self) + (request.body.count > Self.rawBodyLimit ? "…(truncated)" : ""))
        }
        self.status = status
        self.messageID = messageID
    }
}
