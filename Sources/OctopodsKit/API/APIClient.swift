#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
import Synchronization

/// True the first time it is asked, false after: something said once, from any thread.
package final class OnceFlag: Sendable {
    private let done = Atomic<Bool>(false)
    package init() {}
    package func first() -> Bool { !done.exchange(true, ordering: .relaxed) }
}

/// A decoded response together with the JSON the API actually sent.
package struct APIResponse<Value: Sendable>: Sendable {
    package var value: Value
    package var raw: JSONValue
    package var status: Int
    /// Said on stderr by the command: what was odd about an answer that still counts (a 201
    /// whose body could not be read).
    package var warning: String?
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
    /// The pacer of a key's shared rate budget (nil: requests are not paced; unit tests of the client).
    package var pacer: (@Sendable (_ key: String) -> Pacer)?
    /// At most this many requests in the window (the profile's `rate`, or a command's --rate);
    /// nil: no window, but a 429's pause still holds.
    package var rate: Pacer.Rate? = .documented
    /// How long a request may wait for a 429's pause to end (see `send`).
    package var patience: Pacer.Patience = .none
    /// Say on stderr when a request waits for the window (single commands; bulk runs pace by design).
    package var notice: (@Sendable (String) -> Void)?
    package var sleep: @Sendable (Double) async throws -> Void = { _ in }
    /// The transport is described once in the trace: per run, when the run shares its flag.
    package var traceOnce = OnceFlag()

    package init(
        transport: any HTTPTransport, baseURL: String,
        key: @escaping @Sendable (Channel) throws(OctopodsError) -> String,
        trace: (@Sendable (String) -> Void)? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
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
            throw .usage(
                UsageError("invalid \(dots.what) '\(dots.segment)': '.' and '..' are not ids (they would change the request's path)"))
        }
        var text = baseURL + endpoint.path
        if !endpoint.query.isEmpty {
            text +=
                "?"
                + endpoint.query.map { "\(URLEncoding.component($0.0))=\(URLEncoding.component($0.1))" }
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
        if let raw = endpoint.rawBody {
            headers.append(("Content-Type", "application/json"))
            body = raw
        }
        for (name, value) in endpoint.extraHeaders where !PlainText.sameIgnoringCase(name, Self.authHeader) {
            headers.removeAll { PlainText.sameIgnoringCase($0.0, name) }
            headers.append((name, value))
        }
        return HTTPRequest(method: endpoint.method, url: url, headers: headers, body: body)
    }

    /// A slot of the key's rate budget, taken for one request.
    package struct Reservation: Sendable {
        let pacer: Pacer?
        let slot: Pacer.Slot?
    }

    /// Sends `endpoint` within the key's shared rate budget. With `patience` other than
    /// `.none`, a request that was certainly not processed is sent again: after a 429 once its
    /// pause is over, and (until a `.until` deadline only) after a refused connection. `first`:
    /// a slot already reserved for the first attempt.
    package func send<R>(_ endpoint: Endpoint<R>, first: Reservation? = nil) async throws(OctopodsError) -> APIResponse<R> {
        var backoff = 1.0
        var given = first
        while true {
            let reservation: Reservation
            if let slot = given { reservation = slot; given = nil } else { reservation = try await reserve(endpoint) }
            do {
                return try await send(endpoint, in: reservation)
            } catch {
                guard patience != .none else { throw error }
                switch error {
                case .api(let api) where api.status == 429 && reservation.pacer != nil:
                    // A time beyond what this run may wait: stop at once with the server's answer,
                    // as it gave it. Otherwise the next reservation waits out the pause.
                    if let at = api.retryAt, !patience.covers(at, now: now()) { throw error }
                    continue
                case .transport(let failure, _, _) where failure.certainlyNotSent:
                    guard case .until(let deadline) = patience, now().addingTimeInterval(backoff) <= deadline else { throw error }
                    let report = error.report(now: now)
                    notice?("\(report.message); trying again in \(DurationText.format(seconds: backoff)) (--max-wait).")
                    do { try await sleep(backoff) } catch { throw .interrupted }
                    backoff = min(backoff * 2, 30)
                default:
                    throw error
                }
            }
        }
    }

    /// Waits for a slot of the key's rate budget. A 429's pause that lasts beyond `patience`
    /// fails at once as that 429 would (nothing is sent).
    package func reserve<R>(_ endpoint: Endpoint<R>) async throws(OctopodsError) -> Reservation {
        let key = try self.key(endpoint.channel)
        guard let pacer = pacer?(key) else { return Reservation(pacer: nil, slot: nil) }
        do {
            let slot = try await pacer.acquire(rate: rate, patience: patience, announceWaits: notice != nil, trace: trace)
            return Reservation(pacer: pacer, slot: slot)
        } catch {
            switch error {
            case .interrupted: throw .interrupted
            case .paused(let until):
                var api = APIError(status: 429, family: endpoint.family, readOnly: endpoint.isReadOnly)
                api.hint =
                    "Nothing was sent: an earlier 429 to this key pauses every octopods process using it until then"
                    + (patience == .none ? " (--max-wait DURATION lets a command wait for it)." : ", longer than this command may wait.")
                api.retryAt = until
                throw .api(api)
            case .storeUnavailable(let why):
                throw .stateStore(why)
            }
        }
    }

    /// Gives back a slot that was not used (nothing was sent).
    package func release(_ reservation: Reservation) {
        if let pacer = reservation.pacer, let slot = reservation.slot { pacer.finish(slot, .notSent) }
    }

    /// Sends `endpoint` in a slot taken by `reserve`, and tells the budget how it went.
    package func send<R>(_ endpoint: Endpoint<R>, in reservation: Reservation) async throws(OctopodsError) -> APIResponse<R> {
        let key = try self.key(endpoint.channel)
        let request = try self.request(for: endpoint, key: key)
        let started = Date()
        if let trace, traceOnce.first(), let line = transport.describe(for: request.url) { trace(line) }
        trace?(Self.describe(request, key: key))
        var response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            trace?(
                "* "
                    + OctopodsError.transport(error, readOnly: endpoint.isReadOnly, url: Self.origin(request.url)).message(now: now)
                    + "\n")
            if let pacer = reservation.pacer, let slot = reservation.slot {
                pacer.finish(slot, error.certainlyNotSent ? .notSent : .answered)
            }
            throw .transport(error, readOnly: endpoint.isReadOnly, url: Self.origin(request.url))
        }
        if let pacer = reservation.pacer, let slot = reservation.slot {
            if response.status == 429 {
                // No process sends to this key before the server's time (the budget bounds it at
                // RateBudget.maxPause); whether this run waits for it is `patience`'s to say.
                let retry = APIError.from(response, family: endpoint.family, readOnly: endpoint.isReadOnly).retryAt
                pacer.finish(
                    slot, .rateLimited(retryWall: retry?.timeIntervalSince1970, rate: slot.rate),
                    announce: patience.covers(retry ?? now(), now: now()))
            } else {
                pacer.finish(slot, .answered)
            }
        }
        // A server that echoes the key back (in an error text, a request id, any field) must not
        // get it printed, stored in the history or cached: it is cut out before anything reads the body.
        response.body = Self.redact(response.body, key: key)
        let elapsed = Int(Date().timeIntervalSince(started) * 1000)
        trace?(Self.describe(response, key: key, milliseconds: elapsed))
        if let passThrough = endpoint.passThrough {
            return APIResponse(value: passThrough(response), raw: .null, status: response.status)
        }

        guard (200..<300).contains(response.status) else {
            var error = APIError.from(response, family: endpoint.family, readOnly: endpoint.isReadOnly)
            error.message = error.message.map { Self.redact($0, key: key) }
            error.bodySnippet = error.bodySnippet.map { Self.redact($0, key: key) }
            error.location = error.location.map { Self.redact($0, key: key) }
            throw .api(error)
        }
        let raw: JSONValue
        var warning: String?
        do {
            raw = try JSONValue.parse(response.body)
        } catch {
            if let repaired = CreatedBody.repaired(response.body) {
                // The documented examples' trailing comma, in any answer (`CreatedBody`).
                raw = repaired
            } else {
                let detail = response.body.isEmpty ? "the body is empty" : "not JSON (\(error.message) at byte \(error.offset))"
                // HTTP 201 means created, whatever the body (docs/api-notes.md, "201 Created").
                guard response.status == 201, !endpoint.isReadOnly else {
                    throw .unreadableResponse(status: response.status, detail: detail, readOnly: endpoint.isReadOnly, requestID: nil)
                }
                raw = .object([])
                warning = "the API answered 201 Created with a body that could not be read: \(detail)"
            }
        }
        do {
            return APIResponse(value: try endpoint.decode(raw), raw: raw, status: response.status, warning: warning)
        } catch {
            throw .unreadableResponse(
                status: response.status, detail: error.message, readOnly: endpoint.isReadOnly,
                requestID: raw["request_id"]?.scalarText)
        }
    }

    /// `octopods api`: any method, path, query, body and extra headers, answered with the status,
    /// headers and body as they came (the key cut out). It runs through `send`, so the rules of
    /// every request hold: the key's header added here only, no redirects followed, loopback-only
    /// plain http, the key redacted in the trace and the body.
    package func exchange(_ endpoint: Endpoint<HTTPResponse>) async throws(OctopodsError) -> HTTPResponse {
        var endpoint = endpoint
        endpoint.passThrough = { $0 }
        var response = try await send(endpoint).value
        let key = try self.key(endpoint.channel)
        response.headers = Dictionary(response.headers.map { Self.display(header: $0, $1, key: key) }, uniquingKeysWith: { a, _ in a })
        return response
    }

    /// The first `.` or `..` segment of a path, and what the segment before it says it is.
    static func dotSegment(in path: String) -> (segment: String, what: String)? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let index = segments.firstIndex(where: { $0 == "." || $0 == ".." }) else { return nil }
        let what = index > 0 && segments[index - 1] == "templates" ? "template id" : "message id"
        return (segments[index], what)
    }

    // MARK: Display: every URL and header octopods shows (--dry-run, --verbose, `api -i`,
    // `config list`) goes through these two.

    /// A URL for display: any `user:password@` in it replaced, and the key wherever it appears
    /// (a query built from a file that holds it), as is or percent-encoded.
    package static func display(_ url: URL, key: String = "") -> String {
        var text = url.absoluteString
        if url.user != nil || url.password != nil, let scheme = text.firstRange(of: "://"),
            let at = text[scheme.upperBound...].firstIndex(of: "@"),
            at < (text[scheme.upperBound...].firstIndex(of: "/") ?? text.endIndex)
        {
            text = String(text[..<scheme.upperBound]) + redacted + String(text[at...])
        }
        return redact(redact(text, key: key), key: PlainText.percentEncoded(key))
    }

    /// A base URL as text (a setting's value) for display.
    package static func display(url text: String) -> String {
        URL(string: text).map { display($0) } ?? text
    }

    /// A header for display: the key's own header's value replaced, and the key cut out of any
    /// other name or value.
    package static func display(header name: String, _ value: String, key: String) -> (name: String, value: String) {
        (redact(name, key: key), PlainText.sameIgnoringCase(name, authHeader) ? redacted : redact(value, key: key))
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
        var lines = ["> \(request.method) \(display(request.url, key: key))"]
        for (name, value) in request.headers.map({ display(header: $0, $1, key: key) }) {
            lines.append("> \(name): \(value)")
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
