#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// The API answered, and not with success.
package struct APIError: Error, Equatable, Sendable {
    package var status: Int
    package var family: ErrorFamily
    /// The endpoint changes nothing (`Endpoint.isReadOnly`): any transient failure is safe to retry.
    package var readOnly: Bool
    package var errorCode: Int?
    /// The API's own `error` text (or the 429 `message`).
    package var message: String?
    package var requestID: String?
    /// When a 429 says to try again.
    package var retryAt: Date?
    /// Where a refused redirect pointed.
    package var location: String?
    /// The start of a body that was not the documented JSON (an HTML error page, say).
    package var bodySnippet: String?
    /// What to do about it, when the command that made the request knows better than the
    /// error catalogue (shown instead of the catalogue's hint).
    package var hint: String?

    /// The documented name of its code; where a code has two documented meanings, the one the
    /// API's text says (ErrorCatalog.name).
    package var name: String? { errorCode.flatMap { ErrorCatalog.name(family, $0, text: message) } }

    /// Decodes the documented error shapes: `{request_id, error_code, error}`, the 429
    /// `{message}` with its retry time, and bodies that are empty, HTML or unreadable.
    package static func from(_ response: HTTPResponse, family: ErrorFamily, readOnly: Bool) -> APIError {
        var error = APIError(status: response.status, family: family, readOnly: readOnly)
        error.location = response.headers["location"]
        if let json = try? JSONValue.parse(response.body) {
            error.errorCode = json["error_code"]?.intValue
            error.message = (json["error"] ?? json["message"])?.scalarText
            error.requestID = json["request_id"]?.scalarText
        } else if !response.body.isEmpty {
            let text = String(decoding: response.body.prefix(300), as: UTF8.self)
            error.bodySnippet = text.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }
                .filter { !$0.isEmpty }.joined(separator: " ")
        }
        if response.status == 429, let message = error.message { error.retryAt = RetryTime.parse(message) }
        return error
    }
}

/// The 429 message embeds its retry time: "Please try after 2026-04-24 12:34:56 UTC."
package enum RetryTime {
    package static func parse(_ message: String) -> Date? {
        guard let match = message.firstMatch(of: /(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/),
            let year = Int(match.1), let month = Int(match.2), let day = Int(match.3),
            let hour = Int(match.4), let minute = Int(match.5), let second = Int(match.6)
        else { return nil }
        return CivilTime.date(
            CivilTime.Fields(year: year, month: month, day: day, hour: hour, minute: minute, second: second),
            in: .utc)
    }
}
