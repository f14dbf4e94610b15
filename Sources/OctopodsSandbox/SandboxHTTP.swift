#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// One header field as it arrived (or will be sent). Names compare case-insensitively.
package struct HTTPField: Sendable, Equatable {
    package var name: String
    package var value: String
    package init(_ name: String, _ value: String) { self.name = name; self.value = value }
}

/// A parsed HTTP/1.1 request, as the sandbox server hands it to its handler.
package struct SandboxRequest: Sendable {
    package var method: String
    /// The raw request-target, e.g. `/api/v1/whatsapp/templates?status=accepted`.
    package var target: String
    package var headers: [HTTPField]
    package var body: Data

    package init(method: String, target: String, headers: [HTTPField] = [], body: Data = Data()) {
        self.method = method; self.target = target; self.headers = headers; self.body = body
    }

    /// The first value of a header, matched case-insensitively.
    package func header(_ name: String) -> String? {
        headers.first { PlainText.sameIgnoringCase($0.name, name) }?.value
    }

    /// The percent-decoded path, without the query.
    package var path: String {
        let raw = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        return PlainText.percentDecoded(raw) ?? raw
    }

    /// Query items in order, percent-decoded (`+` is a space).
    package var query: [(name: String, value: String)] {
        guard let q = target.firstIndex(of: "?") else { return [] }
        return target[target.index(after: q)...].split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring?) -> String {
                let plain = String(s ?? "").replacingAll("+", with: " ")
                return PlainText.percentDecoded(plain) ?? plain
            }
            return (decode(parts.first), decode(parts.count > 1 ? parts[1] : nil))
        }
    }
}

/// Misbehaviour the server acts out instead of (or before) answering: how the sandbox
/// simulates the faults a script must survive.
package enum SandboxFault: Sendable, Equatable {
    /// Wait this long before writing the response (a response slower than the client's timeout).
    case delay(TimeInterval)
    /// Read the request, then reset the connection (RST, via SO_LINGER 0) without answering.
    case reset
}

/// What a handler answers. The server adds `Content-Length`, `Date` and `Connection`.
package struct SandboxResponse: Sendable {
    package var status: Int
    package var headers: [HTTPField]
    package var body: Data
    package var fault: SandboxFault?

    package init(status: Int, headers: [HTTPField] = [], body: Data = Data(), fault: SandboxFault? = nil) {
        self.status = status; self.headers = headers; self.body = body; self.fault = fault
    }
}

/// Handles one request. Called concurrently from many connections.
package typealias SandboxHandler = @Sendable (SandboxRequest) -> SandboxResponse
