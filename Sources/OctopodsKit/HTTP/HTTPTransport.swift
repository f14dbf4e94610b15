#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// A request as the transport sends it: plain values, no Foundation networking types, so
/// the API client can be tested against a fake.
package struct HTTPRequest: Sendable, Equatable {
    package var method: String
    package var url: URL
    package var headers: [(String, String)]
    package var body: Data?

    package init(method: String, url: URL, headers: [(String, String)] = [], body: Data? = nil) {
        self.method = method; self.url = url; self.headers = headers; self.body = body
    }

    package func header(_ name: String) -> String? {
        headers.first { PlainText.sameIgnoringCase($0.0, name) }?.1
    }

    package static func == (a: HTTPRequest, b: HTTPRequest) -> Bool {
        a.method == b.method && a.url == b.url && a.body == b.body
            && a.headers.map { "\($0.0): \($0.1)" } == b.headers.map { "\($0.0): \($0.1)" }
    }
}

package struct HTTPResponse: Sendable, Equatable {
    package var status: Int
    /// Header names lower-cased.
    package var headers: [String: String]
    package var body: Data

    package init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }
}

/// Why a request got no HTTP response. Whether it may have reached the server decides
/// between "safe to retry" and "outcome unknown"; the transport decides it, from the stages it
/// saw the transfer reach (`WireStage`), never from a counter (docs/linux-notes.md, "Was it sent?").
package enum TransportError: Error, Equatable, Sendable {
    /// Nothing was sent: connection refused, unreachable.
    case cannotConnect(String)
    /// Nothing was sent: the host name did not resolve.
    case dnsFailure(String)
    /// The TLS handshake never completed (certificate, protocol); nothing was sent.
    case tls(TLSFailure)
    /// No answer within the timeout; the request may have been received.
    case timedOut(seconds: Double)
    /// The connection broke or the server closed it without answering; the request may have been received.
    case connectionLost(String)
    /// The server answered something that is not HTTP.
    case badResponse(String)
    /// Stopped by Ctrl-C; `requestSent` says whether the request may have gone out by then.
    case cancelled(requestSent: Bool)
    /// No request could be made at all: libcurl is missing or too old. Nothing was sent.
    case unavailable(String)
    case other(String)

    /// True when the request certainly did not reach the server.
    package var certainlyNotSent: Bool {
        switch self {
        case .cannotConnect, .dnsFailure, .tls, .unavailable: return true
        default: return false
        }
    }
}

/// A TLS handshake that did not complete, and why, in words a user can act on.
package struct TLSFailure: Sendable, Equatable {
    package enum Cause: Sendable, Equatable {
        /// The certificate chain does not lead to a trusted authority (self-signed, an unknown
        /// CA, a proxy that inspects TLS).
        case untrusted
        case expired
        /// The certificate is for another host name.
        case wrongHost
        /// The trust store itself cannot be read.
        case trustStoreUnreadable
        /// The server refused the handshake or does not speak TLS.
        case handshake
    }

    package var cause: Cause
    /// libcurl's own words.
    package var detail: String
    /// The trust store in use, as `TrustStore.describe` says it.
    package var trustStore: String

    package init(cause: Cause, detail: String, trustStore: String) {
        self.cause = cause; self.detail = detail; self.trustStore = trustStore
    }
}

/// Moves one request and its response. Implementations must not follow redirects.
package protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
    /// What --verbose says of the connection before the first request: the HTTP library and the
    /// trust store in use; nil when there is nothing to say.
    func describe(for url: URL) -> String?
}

extension HTTPTransport {
    package func describe(for url: URL) -> String? { nil }
}
