#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CCurlShim
import CLISupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The live transport: the system's libcurl, loaded only when the first request is made
/// (see Sources/CCurlShim for why not URLSession). Redirects are never followed; the
/// timeout is an overall deadline in milliseconds; keep-alive connections are reused
/// through a small pool of easy handles.
package final class CurlTransport: HTTPTransport {
    /// An easy handle. Not thread-safe in itself; the pool lends each to one request at a time.
    private struct Handle: @unchecked Sendable { let raw: UnsafeMutableRawPointer }

    /// Set from a cancellation handler while libcurl polls it on the transfer's thread: a C11
    /// atomic in the shim, so the store is seen by the other thread and is not a data race.
    private final class CancelFlag: @unchecked Sendable {
        let pointer = octo_cancel_new()
        func set() { octo_cancel_set(pointer) }
        deinit { octo_cancel_free(pointer) }
    }

    /// The most a decoded response body may hold: far above any documented response, far
    /// below what would exhaust memory (a gzip bomb, an endless body).
    package static let bodyLimit = 32 << 20

    private let timeout: Double
    private let trust: TrustStore
    private let idle = Mutex<[Handle]>([])

    package init(_ options: TransportOptions) {
        self.timeout = options.timeout
        self.trust = options.trust
    }

    package convenience init(timeout: Double) {
        self.init(TransportOptions(timeout: timeout))
    }

    /// The CA bundle the loaded libcurl uses by default ("" when it does not say: before 7.84.0).
    static let libcurlDefaultCA: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        octo_curl_default_ca(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// The trust store handed to libcurl for TLS requests.
    private var effectiveTrust: TrustStore {
        // Worked out on the first TLS request (it loads libcurl and looks at files), then kept.
        resolvedTrust.withLock { known in
            if let known { return known }
            let found = trust.effective(libcurlDefault: Self.libcurlDefaultCA)
            known = found
            return found
        }
    }
    private let resolvedTrust = Mutex<TrustStore?>(nil)

    /// The library and, for https, the trust store: the first lines of the --verbose trace.
    package func describe(for url: URL) -> String? {
        guard octo_curl_load() == nil else { return nil }
        var text = "* " + String(cString: octo_curl_version())
        if url.scheme?.lowercased() == "https" {
            text += "; TLS trust store: " + effectiveTrust.describe(libcurlDefault: Self.libcurlDefaultCA)
        }
        return text + "\n"
    }

    deinit {
        for handle in idle.withLock({ $0 }) { octo_handle_free(handle.raw) }
    }

    package func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        if let problem = octo_curl_load() {
            throw .unavailable(String(cString: problem))
        }
        guard let handle = idle.withLock({ $0.popLast() }) ?? octo_handle_new().map(Handle.init) else {
            throw .other("cannot create a libcurl handle")
        }
        let cancel = CancelFlag()
        let timeoutMilliseconds = Self.milliseconds(timeout)
        let trust = request.url.scheme?.lowercased() == "https" ? effectiveTrust : TrustStore()
        let outcome: Result<HTTPResponse, TransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // libcurl blocks; keep it off Swift's cooperative threads.
                DetachedThread.run {
                    continuation.resume(
                        returning: Self.perform(
                            request, handle: handle, timeoutMilliseconds: timeoutMilliseconds,
                            cancel: cancel, seconds: self.timeout, trust: trust))
                }
            }
        } onCancel: {
            cancel.set()
        }
        idle.withLock { $0.append(handle) }
        return try outcome.get()
    }

    /// What libcurl is given: whole milliseconds, rounded up, at least 1 (URLSession truncated
    /// timeouts to whole seconds, so 0.5 s timed out at once; docs/linux-notes.md).
    static func milliseconds(_ seconds: Double) -> Int {
        max(1, Clamp.milliseconds(seconds))  // clamped: --timeout 9223372036854775807s must not trap
    }

    /// One blocking transfer on a fresh handle, on the calling thread (for tests that time
    /// libcurl itself, free of task-scheduling delays).
    static func performBlocking(_ request: HTTPRequest, timeout: Double) -> Result<HTTPResponse, TransportError> {
        guard octo_curl_load() == nil, let raw = octo_handle_new() else { return .failure(.other("libcurl unavailable")) }
        defer { octo_handle_free(raw) }
        return perform(
            request, handle: Handle(raw: raw), timeoutMilliseconds: milliseconds(timeout),
            cancel: CancelFlag(), seconds: timeout, trust: TrustStore())
    }

    private static func perform(
        _ request: HTTPRequest, handle: Handle, timeoutMilliseconds: Int, cancel: CancelFlag,
        seconds: Double, trust: TrustStore
    ) -> Result<HTTPResponse, TransportError> {
        let headerLines = request.headers.map { "\($0.0): \($0.1)" }
        let noProxy: Int32 = Loopback.isLoopback(host: request.url.host) ? 1 : 0
        var response = octo_response()
        withCStrings(headerLines) { headers in
            withOptionalCString(trust.file) { caFile in
                withOptionalCString(trust.directory) { caDirectory in
                    if let body = request.body {
                        // An empty body still needs a valid pointer to be sent as an empty POST.
                        let bytes = body.isEmpty ? Data([0]) : body
                        bytes.withUnsafeBytes { raw in
                            octo_perform(
                                handle.raw, request.method, request.url.absoluteString, headers, headerLines.count,
                                raw.bindMemory(to: UInt8.self).baseAddress, body.count, timeoutMilliseconds,
                                cancel.pointer, noProxy, bodyLimit, caFile, caDirectory, &response)
                        }
                    } else {
                        octo_perform(
                            handle.raw, request.method, request.url.absoluteString, headers, headerLines.count, nil, 0,
                            timeoutMilliseconds, cancel.pointer, noProxy, bodyLimit, caFile, caDirectory, &response)
                    }
                }
            }
        }
        defer { octo_response_free(&response) }
        let detail = withUnsafeBytes(of: response.error) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if response.too_large != 0 {
            let what =
                response.too_large == 1 ? "the response is larger than \(bodyLimit >> 20) MB" : "the response headers are larger than 1 MB"
            return .failure(.other(what + ", far more than the API ever sends; octopods stopped reading it"))
        }
        if response.curl_code != 0 {
            let stage = WireStage(rawValue: Int(response.stage)) ?? .responseBegun
            return .failure(
                map(
                    code: response.curl_code, detail: detail, stage: stage, exact: response.stage_exact != 0,
                    seconds: seconds, trustStore: trust.describe(libcurlDefault: libcurlDefaultCA)))
        }
        let body = response.body.map { Data(bytes: $0, count: response.body_len) } ?? Data()
        let rawHeaders =
            response.headers.map {
                String(
                    decoding: UnsafeBufferPointer(
                        start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: response.headers_len), as: UTF8.self)
            } ?? ""
        return .success(HTTPResponse(status: response.status, headers: parseHeaders(rawHeaders), body: body))
    }

    /// Header lines of the last response block (a `100 Continue` or proxy block comes first).
    static func parseHeaders(_ raw: String) -> [String: String] {
        var headers: [String: String] = [:]
        for line in raw.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("HTTP/") {
                headers = [:]
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].trimmingSpaces().lowercased()
                let value = line[line.index(after: colon)...].trimmingSpaces()
                headers[name] = headers[name].map { "\($0), \(value)" } ?? value
            }
        }
        return headers
    }

    /// libcurl's TLS codes (stable ABI): SSL_CONNECT_ERROR, PEER_FAILED_VERIFICATION (and its
    /// older number 51), SSL_ENGINE_*, SSL_CERTPROBLEM, SSL_CIPHER, SSL_CACERT_BADFILE,
    /// SSL_SHUTDOWN_FAILED, SSL_CRL_BADFILE, SSL_ISSUER_ERROR, SSL_PINNEDPUBKEYNOTMATCH,
    /// SSL_INVALIDCERTSTATUS, SSL_CLIENTCERT.
    static let tlsCodes: Set<Int32> = [35, 51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91, 98]

    /// Codes that libcurl returns only before a request is written: resolving, connecting, the
    /// TLS handshake. Used only with a libcurl too old to report the "ready" stage.
    static let beforeRequestCodes: Set<Int32> = tlsCodes.union([5, 6, 7])

    /// "Was it sent?", decided here and nowhere else (docs/linux-notes.md, "Was it sent?"): whether
    /// the request may have reached the server, from the furthest stage the client saw.
    ///
    /// * `.ready` or later: the connection, any tunnel and the TLS handshake were done and the
    ///   request was being written, or had been: it may have been processed, whatever the error.
    /// * Before that, with a libcurl that reports "ready" (`exact`, 7.80.0+): no request byte left.
    /// * With an older libcurl, no socket means nothing left; after a socket, only the codes that
    ///   libcurl returns before writing a request (DNS, connect, TLS handshake) mean "not sent":
    ///   anything else may have cut a request short while it was being written.
    static func mayHaveReachedServer(stage: WireStage, exact: Bool, code: Int32) -> Bool {
        if stage >= .ready { return true }
        if exact || stage == .none { return false }
        return !beforeRequestCodes.contains(code)
    }

    /// CURLcode and stage → what the failure means for the request (libcurl's codes are stable ABI).
    static func map(
        code: Int32, detail: String, stage: WireStage, exact: Bool, seconds: Double,
        trustStore: String = ""
    ) -> TransportError {
        guard mayHaveReachedServer(stage: stage, exact: exact, code: code) else {
            switch code {
            case 5, 6: return .dnsFailure(detail)  // COULDNT_RESOLVE_PROXY/HOST
            case 28: return .cannotConnect("no connection within \(DurationText.format(seconds: seconds))")
            case 42: return .cancelled(requestSent: false)  // ABORTED_BY_CALLBACK
            case let code where tlsCodes.contains(code):
                return .tls(TLSFailure(cause: tlsCause(code: code, detail: detail), detail: detail, trustStore: trustStore))
            default: return .cannotConnect(detail)
            }
        }
        let when = stage.phrase.map { " (\($0))" } ?? ""
        switch code {
        case 28: return .timedOut(seconds: seconds)
        case 42: return .cancelled(requestSent: true)
        case 1, 8: return .badResponse(detail)  // UNSUPPORTED_PROTOCOL, WEIRD_SERVER_REPLY
        case 52, 55, 56:  // GOT_NOTHING, SEND_ERROR, RECV_ERROR
            return .connectionLost((detail.isEmpty ? "the server closed the connection without answering" : detail) + when)
        case let code where tlsCodes.contains(code):
            return .connectionLost("TLS error after the handshake: \(detail)" + when)
        default: return .other(detail + when)
        }
    }

    /// Why a TLS handshake failed, from libcurl's code and its (OpenSSL's or GnuTLS's) words.
    static func tlsCause(code: Int32, detail: String) -> TLSFailure.Cause {
        let text = detail.lowercased()
        if text.contains("expired") { return .expired }
        if text.contains("subject name") || text.contains("does not match") || text.contains("no alternative certificate") {
            return .wrongHost
        }
        if code == 77 || text.contains("error setting certificate") || text.contains("cafile") && text.contains("error") {
            return .trustStoreUnreadable
        }
        if code == 60 || code == 51 || text.contains("self-signed") || text.contains("self signed")
            || text.contains("local issuer") || text.contains("unknown ca") || text.contains("verif")
        {
            return .untrusted
        }
        return .handshake
    }
}

/// How far a transfer got, as the client observed it through libcurl's callbacks (CCurlShim's
/// OCTO_STAGE_*).
package enum WireStage: Int, Sendable, Comparable, CaseIterable {
    /// No socket was opened.
    case none = 0
    /// A socket was opened: connecting, through a proxy tunnel, or in the TLS handshake.
    case connecting
    /// Connected, tunnel and TLS handshake done: the request was about to be written.
    case ready
    /// Request bytes were handed to the connection.
    case requestStarted
    /// The whole request was handed to the connection.
    case requestSent
    /// A response line arrived.
    case responseBegun

    package static func < (a: WireStage, b: WireStage) -> Bool { a.rawValue < b.rawValue }

    /// When a failure happened, in words (for stages after which the request may have been processed).
    var phrase: String? {
        switch self {
        case .none, .connecting: return nil
        case .ready: return "as the request was about to be written"
        case .requestStarted: return "while the request was being sent"
        case .requestSent: return "after the whole request was sent"
        case .responseBegun: return "after the response began"
        }
    }
}

/// Calls `body` with a C string for `text`, or NULL.
private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}

/// Calls `body` with a C array of C strings that lives for the duration of the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers = duplicates.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// The system's libcurl as this process finds it: for `--version -v` and `doctor`. Probing
/// loads it (as the first request would).
package struct Libcurl: Sendable, Equatable {
    /// `8.5.0`; nil when no libcurl.so.4 could be loaded.
    package var version: String?
    /// Its TLS library, `OpenSSL/3.0.13`; nil when it has none or was not loaded.
    package var tls: String?
    /// Why requests cannot be made with it (missing, or older than 7.68.0); nil when they can.
    package var problem: String?

    package init(version: String?, tls: String?, problem: String?) {
        self.version = version; self.tls = tls; self.problem = problem
    }

    package static func probe() -> Libcurl {
        let problem = octo_curl_load().map { String(cString: $0) }
        return parse(String(cString: octo_curl_version()), problem: problem)
    }

    /// From the shim's `libcurl/8.5.0 OpenSSL/3.0.13` (empty when nothing was loaded).
    static func parse(_ text: String, problem: String?) -> Libcurl {
        let words = text.split(separator: " ", maxSplits: 1).map(String.init)
        let version = words.first.flatMap { $0.hasPrefix("libcurl/") ? String($0.dropFirst("libcurl/".count)) : nil }
        return Libcurl(version: version, tls: words.count > 1 ? words[1] : nil, problem: problem)
    }

    /// `libcurl 8.5.0 with OpenSSL/3.0.13 (libcurl.so.4)`, or why there is none to use.
    package var describe: String {
        var text = version.map { "libcurl \($0) with \(tls ?? "no TLS library")" } ?? "libcurl: none loaded"
        if let problem { text += " (cannot be used: \(problem))" }
        return text
    }
}
