#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// A response body that does not have the documented shape.
package struct DecodingProblem: Error, Equatable, Sendable {
    package var message: String
    package init(_ message: String) { self.message = message }
}

/// One API call as a value: built by a pure factory in `API`, sent by `APIClient`.
package struct Endpoint<Response: Sendable>: Sendable {
    package var method: String
    /// Path below the base URL, starting with `/api/v1/`.
    package var path: String
    package var query: [(String, String)]
    package var body: JSONValue?
    package var family: ErrorFamily
    package var decode: @Sendable (JSONValue) throws(DecodingProblem) -> Response
    /// The template a send uses (for the history ledger).
    package var templateID: String?
    /// `octopods api`: headers the user added (never the key's header), and a body sent as
    /// given instead of `body` serialised.
    package var extraHeaders: [(String, String)] = []
    package var rawBody: Data?
    /// `octopods api`: hand back every answer, whatever its status or body, instead of mapping
    /// errors and decoding (the request still goes through the whole of `APIClient.send`).
    package var passThrough: (@Sendable (HTTPResponse) -> Response)?
    /// The template's name, when known (a send checked against the fetched template): recorded beside the id.
    package var templateName: String?

    package init(
        method: String, path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        family: ErrorFamily, decode: @escaping @Sendable (JSONValue) throws(DecodingProblem) -> Response
    ) {
        self.method = method; self.path = path; self.query = query; self.body = body; self.family = family
        self.decode = decode
    }

    package var channel: Channel { family.channel }
    /// GETs change nothing: any failure of one is safe to retry.
    package var isReadOnly: Bool { method == "GET" }
}

/// Percent-encoding for one path segment or query component: everything but unreserved
/// characters (RFC 3986) is encoded, so user input can never change the path.
package enum URLEncoding {
    package static func component(_ text: String) -> String {
        PlainText.percentEncoded(text)
    }
}
