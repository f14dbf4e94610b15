import Foundation
import CLISupport

/// A decoded response together with the JSON the API actually sent.
package struct APIResponse<Value: Sendable>: Sendable {
    package var value: Value
    package var raw: JSONValue
    package var status: Int
}

/// The single gateway to the API: the only code that adds `X-Octopods-Auth` and the other
/// headers, maps status codes to typed errors and decodes bodies.
package struct APIClient: Sendable {
    package let transport: any HTTPTransport
    package let baseURL: String
    /// The key for a channel, or the configuration error that says how to provide one.
    package let key: @Sendable (Channel) throws(OctopodsError) -> String
    /// Receives the --verbose trace, already redacted.
    package let trace: (@Sendable (String) -> Void)?
    package let now: @Sendable () -> Date

    package init(transport: any HTTPTransport, baseURL: String,
                 key: @escaping @Sendable (Channel) throws(OctopodsError) -> String,
                 trace: (@Sendable (String) -> Void)? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.transport = transport
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.key = key; self.trace = trace; self.now = now
    }

    package static let userAgent = "octopods/\(Version.current)"
    package static let authHeader = "X-Octopods-Auth"
    package static let redacted = "[redacted]"

    /// The exact request an endpoint becomes (also what --dry-run prints, with the key redacted).
    package func request<R>(for endpoint: Endpoint<R>, key: String) throws(OctopodsError) -> HTTPRequest {
        // `.` and `..` as an id would be normalised away by the URL (`send template .` became
        // a POST to /whatsapp/templates/messages): refused before anything is sent.
        if let dots = Self.dotSegment(in: endpoint.path) {
            throw .usage(UsageError("invalid \(dots.what) '\(dots.segment)': '.' and '..' are not ids (they would change the request's path)"))
        }
        var text = baseURL + endpoint.path
        if !endpoint.query.isEmpty {
            text += "?" + endpoint.query.map { "\(URLEncoding.component($0.0))=\(URLEncoding.component($0.1))" }
                .joined(separator: "&")
        }
        guard let url = URL(string: text) else {
            throw .configuration("the base URL '\(baseURL)' does not make a valid URL")
        }
        var headers = [(Self.authHeader, key), ("Accept", "application/json"), ("User-Agent", Self.userAgent)]
        var body: Data?
        if let json = endpoint.body {
            headers.append(("Content-Type", "application/json"))
            body = Data(json.serialized().utf8)
        }
        return HTTPRequest(method: endpoint.method, url: url, headers: headers, body: body)
    }

    package func send<R>(_ endpoint: Endpoint<R>) async throws(OctopodsError) -> APIResponse<R> {
        let key = try self.key(endpoint.channel)
        let request = try self.request(for: endpoint, key: key)
        let started = Date()
        trace?(Self.describe(request, key: key))
        var response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            trace?("* \(error)\n")
            throw .transport(error, method: endpoint.method, url: Self.origin(request.url))
        }
        // A server that echoes the key back (in an error text, a request id, any field) must not
        // get it printed, stored in the history or cached: it is cut out before anything reads the body.
        response.body = Self.redact(response.body, key: key)
        let elapsed = Int(Date().timeIntervalSince(started) * 1000)
        trace?(Self.describe(response, key: key, milliseconds: elapsed))

        guard (200..<300).contains(response.status) else {
            var error = APIError.from(response, family: endpoint.family, method: endpoint.method)
            error.message = error.message.map { Self.redact($0, key: key) }
            error.bodySnippet = error.bodySnippet.map { Self.redact($0, key: key) }
            throw .api(error)
        }
        let raw: JSONValue
        do {
            raw = try JSONValue.parse(response.body)
        } catch {
            let detail = response.body.isEmpty ? "the body is empty" : "not JSON (\(error.message) at byte \(error.offset))"
            throw .unreadableResponse(status: response.status, detail: detail, method: endpoint.method, requestID: nil)
        }
        do {
            return APIResponse(value: try endpoint.decode(raw), raw: raw, status: response.status)
        } catch {
            throw .unreadableResponse(status: response.status, detail: error.message, method: endpoint.method,
                                      requestID: raw["request_id"]?.scalarText)
        }
    }

    /// The first `.` or `..` segment of a path, and what the segment before it says it is.
    static func dotSegment(in path: String) -> (segment: String, what: String)? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let index = segments.firstIndex(where: { $0 == "." || $0 == ".." }) else { return nil }
        let what = index > 0 && segments[index - 1] == "templates" ? "template id" : "message id"
        return (segments[index], what)
    }

    /// A URL for display: any `user:password@` in it replaced (--dry-run, --verbose).
    package static func display(_ url: URL) -> String {
        let text = url.absoluteString
        guard url.user != nil || url.password != nil, let scheme = text.range(of: "://"),
              let at = text[scheme.upperBound...].firstIndex(of: "@") else { return text }
        let slash = text[scheme.upperBound...].firstIndex(of: "/") ?? text.endIndex
        guard at < slash else { return text }
        return String(text[..<scheme.upperBound]) + redacted + String(text[at...])
    }

    /// `scheme://host:port` only: error messages never repeat a full URL with its query.
    package static func origin(_ url: URL) -> String {
        var s = "\(url.scheme ?? "http")://\(url.host ?? "")"
        if let port = url.port { s += ":\(port)" }
        return s
    }

    // MARK: Trace (--verbose, --dry-run)

    /// A request as the trace and --dry-run show it: the key replaced wherever it appears.
    package static func describe(_ request: HTTPRequest, key: String) -> String {
        var lines = ["> \(request.method) \(display(request.url))"]
        for (name, value) in request.headers {
            lines.append("> \(name): \(name.caseInsensitiveCompare(authHeader) == .orderedSame ? redacted : value)")
        }
        if let body = request.body, !body.isEmpty {
            lines.append(">")
            lines.append(String(decoding: body, as: UTF8.self))
        }
        return redact(lines.joined(separator: "\n"), key: key) + "\n"
    }

    static func describe(_ response: HTTPResponse, key: String, milliseconds: Int) -> String {
        var lines = ["< HTTP \(response.status) (\(milliseconds) ms)"]
        for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) {
            lines.append("< " + TerminalText.sanitize("\(name): \(value)"))
        }
        if !response.body.isEmpty {
            let limit = 16_384
            var text = String(decoding: response.body.prefix(limit), as: UTF8.self)
            if response.body.count > limit { text += "\n… (\(response.body.count - limit) more bytes)" }
            lines.append("<")
            lines.append(TerminalText.sanitize(text, keepNewlines: true))
        }
        return redact(lines.joined(separator: "\n"), key: key) + "\n"
    }

    /// Defence in depth: even a server that echoes the key back never gets it printed, in
    /// any JSON-escaped spelling either (see Redaction).
    package static func redact(_ body: Data, key: String) -> Data {
        Redaction.redact(Array(body), key: key).map { Data($0) } ?? body
    }

    package static func redact(_ text: String, key: String) -> String {
        Redaction.redact(Array(text.utf8), key: key).map { String(decoding: $0, as: UTF8.self) } ?? text
    }
}
