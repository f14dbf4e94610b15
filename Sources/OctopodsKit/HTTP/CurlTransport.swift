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
    private let idle = Mutex<[Handle]>([])

    package init(timeout: Double) {
        self.timeout = timeout
    }

    deinit {
        for handle in idle.withLock({ $0 }) { octo_handle_free(handle.raw) }
    }

    package func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        // A process whose first request is plain http to loopback (the sandbox) starts OpenSSL
        // without what only TLS uses (Sources/CCurlShim/curl_shim.c, docs/linux-notes.md).
        let plainLoopback = request.url.scheme?.lowercased() == "http" && Loopback.isLoopback(host: request.url.host)
        if let problem = octo_curl_load_for(plainLoopback ? 1 : 0) {
            throw .other("cannot load libcurl (\(String(cString: problem))); install the libcurl4 package")
        }
        guard let handle = idle.withLock({ $0.popLast() }) ?? octo_handle_new().map(Handle.init) else {
            throw .other("cannot create a libcurl handle")
        }
        let cancel = CancelFlag()
        let timeoutMilliseconds = Self.milliseconds(timeout)
        let outcome: Result<HTTPResponse, TransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // libcurl blocks; keep it off Swift's cooperative threads.
                DetachedThread.run {
                    continuation.resume(returning: Self.perform(request, handle: handle, timeoutMilliseconds: timeoutMilliseconds,
                                                                cancel: cancel, seconds: self.timeout))
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
        return perform(request, handle: Handle(raw: raw), timeoutMilliseconds: milliseconds(timeout),
                       cancel: CancelFlag(), seconds: timeout)
    }

    private static func perform(_ request: HTTPRequest, handle: Handle, timeoutMilliseconds: Int, cancel: CancelFlag,
                                seconds: Double) -> Result<HTTPResponse, TransportError> {
        let headerLines = request.headers.map { "\($0.0): \($0.1)" }
        let noProxy: Int32 = Loopback.isLoopback(host: request.url.host) ? 1 : 0
        var response = octo_response()
        withCStrings(headerLines) { headers in
            if let body = request.body {
                // An empty body still needs a valid pointer to be sent as an empty POST.
                let bytes = body.isEmpty ? Data([0]) : body
                bytes.withUnsafeBytes { raw in
                    octo_perform(handle.raw, request.method, request.url.absoluteString, headers, headerLines.count,
                                 raw.bindMemory(to: UInt8.self).baseAddress, body.count, timeoutMilliseconds,
                                 cancel.pointer, noProxy, bodyLimit, &response)
                }
            } else {
                octo_perform(handle.raw, request.method, request.url.absoluteString, headers, headerLines.count, nil, 0,
                             timeoutMilliseconds, cancel.pointer, noProxy, bodyLimit, &response)
            }
        }
        defer { octo_response_free(&response) }
        let detail = withUnsafeBytes(of: response.error) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if response.too_large != 0 {
            let what = response.too_large == 1 ? "the response is larger than \(bodyLimit >> 20) MB" : "the response headers are larger than 1 MB"
            return .failure(.other(what + ", far more than the API ever sends; octopods stopped reading it"))
        }
        if response.curl_code != 0 {
            return .failure(map(code: response.curl_code, detail: detail, requestSent: response.request_bytes > 0,
                                seconds: seconds))
        }
        let body = response.body.map { Data(bytes: $0, count: response.body_len) } ?? Data()
        let rawHeaders = response.headers.map { String(decoding: UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: response.headers_len), as: UTF8.self) } ?? ""
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

    /// CURLcode → what it means for the request (libcurl's error codes are stable ABI).
    static func map(code: Int32, detail: String, requestSent: Bool, seconds: Double) -> TransportError {
        switch code {
        case 7: return .cannotConnect(detail)                         // COULDNT_CONNECT
        case 5, 6: return .dnsFailure(detail)                         // COULDNT_RESOLVE_PROXY/HOST
        case 28: return requestSent ? .timedOut(seconds: seconds) : .cannotConnect("no connection within \(DurationText.format(seconds: seconds))")
        case 35, 51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91, 98:
            return .tls(detail)                                       // SSL_* and PEER_FAILED_VERIFICATION
        case 52, 55, 56:                                              // GOT_NOTHING, SEND_ERROR, RECV_ERROR
            return requestSent ? .connectionLost(detail.isEmpty ? "the server closed the connection without answering" : detail)
                               : .cannotConnect(detail)
        case 1, 8: return .badResponse(detail)                       // UNSUPPORTED_PROTOCOL, WEIRD_SERVER_REPLY
        case 42: return .cancelled(requestSent: requestSent)          // ABORTED_BY_CALLBACK
        default: return requestSent ? .other(detail) : .cannotConnect(detail)
        }
    }
}

/// Calls `body` with a C array of C strings that lives for the duration of the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers = duplicates.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
