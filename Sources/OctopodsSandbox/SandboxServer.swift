#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Why a sandbox server could not start. The message names the address so that a user who
/// asked for a busy port knows which one.
package struct SandboxServerError: LocalizedError, CustomStringConvertible, Equatable {
    /// The system call that failed: `socket`, `setsockopt`, `bind`, `listen`, `getsockname` or `pipe`.
    package var operation: String
    package var port: UInt16
    package var code: Int32

    /// `LocalizedError`, so `PlainText.describe(error)` and Foundation's `localizedDescription`
    /// are this message too (otherwise the latter is "The operation could not be completed").
    package var errorDescription: String? { description }

    package var description: String {
        let text = String(cString: strerror(code))
        switch code {
        case EADDRINUSE:
            return
                "cannot listen on 127.0.0.1:\(port): the port is already in use (\(text)); pick another with --port, or 0 for any free port"
        case EACCES:
            return "cannot listen on 127.0.0.1:\(port): permission denied (\(text)); ports below 1024 need privileges"
        default:
            return "cannot listen on 127.0.0.1:\(port): \(operation) failed: \(text) (errno \(code))"
        }
    }
}

/// A small HTTP/1.1 server for the built-in sandbox, on plain POSIX sockets.
///
/// It listens on **127.0.0.1 only**, since the sandbox accepts a well-known fake key and must
/// never be reachable from another machine. The design is one blocking thread per
/// connection: simple, measured at ~50k requests/s on two cores (plenty for a fake API),
/// with a cap on concurrent connections so the thread count stays bounded.
///
/// Platform notes (Linux/Glibc):
/// - `SIGPIPE` is ignored and every `send` uses `MSG_NOSIGNAL`: otherwise a client that
///   disconnects while we write kills the whole process.
/// - Each response (headers and body) goes out in one buffer on a `TCP_NODELAY` socket;
///   two writes would hit the Nagle/delayed-ACK interaction and stall ~40 ms per request.
/// - `Expect: 100-continue` is answered, or curl waits a second before sending large bodies.
/// - Sockets and the wake pipe are close-on-exec, so a child process (the CLI under test,
///   an editor) never inherits the listener and keeps the port open after `stop()`.
/// - Waiting (for the next request, or in a `.delay` fault) uses `poll` on the socket plus a
///   wake pipe that `stop()` writes to. The pipe is never drained, so it stays readable and
///   wakes every waiter at once, which makes `stop()` prompt without signals.
package final class SandboxServer: Sendable {
    package struct Limits: Sendable, Equatable {
        /// Largest request head (request line and headers); larger gets 431.
        package var maxHeaderBytes: Int
        /// Largest request body; larger gets 413 before the body is read.
        package var maxBodyBytes: Int
        /// Most connections served at once; one more is answered 503 and closed.
        package var maxConnections: Int
        /// Seconds a connection may sit idle (between or inside requests) before it is closed.
        package var idleTimeout: TimeInterval
        /// Seconds from a request's first byte to its last: a client trickling a byte at a
        /// time (slowloris) gets 408 and the connection closed when it passes.
        package var requestDeadline: TimeInterval

        package init(
            maxHeaderBytes: Int = 64 * 1024, maxBodyBytes: Int = 1024 * 1024,
            maxConnections: Int = 1024, idleTimeout: TimeInterval = 30, requestDeadline: TimeInterval = 10
        ) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.requestDeadline = requestDeadline
        }
    }

    private enum Phase: Sendable { case bound, running, stopped }

    private struct State: Sendable {
        var phase: Phase = .bound
        /// Whether `listenFD` is still open (and so owned by the server).
        var listenerOpen = true
        /// Open connection sockets. An fd is in here exactly while its thread owns it, and it
        /// is only closed after removal under the lock, so `stop()` never shuts down a
        /// number that has been reused by something else.
        var connections: Set<Int32> = []
    }

    /// The real port (the kernel's choice when 0 was asked for).
    package let port: UInt16
    package let limits: Limits
    private let handler: SandboxHandler
    private let listenFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let state = Mutex(State())
    private let acceptorDone = DispatchSemaphore(value: 0)
    private let accepted = Atomic<Int>(0)
    private let served = Atomic<Int>(0)

    /// Connections accepted so far, including those refused with 503.
    package var connectionsAccepted: Int { accepted.load(ordering: .relaxed) }
    /// Requests handed to the handler so far.
    package var requestsServed: Int { served.load(ordering: .relaxed) }
    /// Connections currently open.
    package var openConnections: Int { state.withLock { $0.connections.count } }

    /// Binds 127.0.0.1:`port` and listens; call `start()` to begin accepting.
    package init(port: UInt16 = 0, limits: Limits = Limits(), handler: @escaping SandboxHandler) throws {
        _ = Self.ignoreSIGPIPE
        var limits = limits
        // NaN, zero or negative would make every wait fail (or trap converting to an Int).
        if !(limits.idleTimeout > 0) { limits.idleTimeout = Limits().idleTimeout }
        limits.idleTimeout = min(limits.idleTimeout, 86_400)
        if !(limits.requestDeadline > 0) { limits.requestDeadline = Limits().requestDeadline }
        limits.requestDeadline = min(limits.requestDeadline, 86_400)
        self.limits = limits
        self.handler = handler

        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw SandboxServerError(operation: "pipe", port: port, code: errno)
        }
        // Glibc's Swift module hides pipe2/accept4 (they need _GNU_SOURCE), so set
        // close-on-exec separately.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        // Non-blocking listener: after poll() says "readable", a client that aborted in the
        // meantime would otherwise leave accept() blocked, deaf to stop(). (Accepted sockets
        // do not inherit O_NONBLOCK on Linux.)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else {
            let code = errno
            close(fds[0]); close(fds[1])
            throw SandboxServerError(operation: "socket", port: port, code: code)
        }
        func fail(_ operation: String) -> SandboxServerError {
            let error = SandboxServerError(operation: operation, port: port, code: errno)
            close(fd); close(fds[0]); close(fds[1])
            return error
        }
        var one: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw fail("setsockopt")
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian  // 127.0.0.1, never INADDR_ANY
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw fail("bind") }
        guard listen(fd, SOMAXCONN) == 0 else { throw fail("listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw fail("getsockname") }

        self.listenFD = fd
        self.port = UInt16(bigEndian: address.sin_port)
        self.wakeRead = fds[0]
        self.wakeWrite = fds[1]
    }

    deinit {
        let listenerOpen = state.withLock { $0.listenerOpen }
        if listenerOpen { close(listenFD) }
        close(wakeRead)
        close(wakeWrite)
    }

    /// Ignoring SIGPIPE process-wide, exactly once (a lazily initialised static is thread-safe).
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    // MARK: - Lifecycle

    /// Starts the accept loop on a background thread. Calling it again, or after `stop()`, does nothing.
    package func start() {
        let shouldStart = state.withLock { state -> Bool in
            guard state.phase == .bound else { return false }
            state.phase = .running
            return true
        }
        guard shouldStart else { return }
        DetachedThread.run { [self] in
            acceptLoop()
            state.withLock { state in
                if state.listenerOpen { close(listenFD); state.listenerOpen = false }
            }
            acceptorDone.signal()
        }
    }

    /// Stops accepting, closes the listener and shuts every open connection down.
    ///
    /// Returns promptly: delayed responses and idle keep-alive connections are woken through
    /// the wake pipe and `shutdown(2)`, and the call waits at most about half a second for
    /// connection threads to finish (a handler cannot be interrupted mid-call). Idempotent,
    /// and safe to call from any thread or dispatch queue (e.g. a signal source's handler).
    package func stop() {
        let wasRunning = state.withLock { state -> Bool? in
            switch state.phase {
            case .stopped:
                return nil
            case .bound:
                state.phase = .stopped
                if state.listenerOpen { close(listenFD); state.listenerOpen = false }
                return false
            case .running:
                state.phase = .stopped
                for fd in state.connections { shutdown(fd, Int32(SHUT_RDWR)) }
                return true
            }
        }
        guard let wasRunning else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        guard wasRunning else { return }
        // The acceptor polls the wake pipe, so it exits (and closes the listener) at once.
        _ = acceptorDone.wait(timeout: .now() + 1)
        let deadline = Date().addingTimeInterval(0.5)
        while openConnections > 0, Date() < deadline { usleep(2_000) }
    }

    private var isStopped: Bool { state.withLock { $0.phase == .stopped } }

    // MARK: - Accepting

    private func acceptLoop() {
        while true {
            var fds = [
                pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 || isStopped { return }
            guard fds[0].revents != 0 else { continue }

            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                switch errno {
                case EINTR, EAGAIN, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    usleep(10_000)  // out of descriptors: back off instead of spinning
                    continue
                default:
                    return
                }
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            accepted.add(1, ordering: .relaxed)

            enum Admission { case admitted, full, stopped }
            let admission = state.withLock { state -> Admission in
                if state.phase == .stopped { return .stopped }
                if state.connections.count >= limits.maxConnections { return .full }
                state.connections.insert(fd)
                return .admitted
            }
            switch admission {
            case .stopped:
                close(fd)
                return
            case .full:
                refuseOverCapacity(fd)
            case .admitted:
                configure(fd)
                DetachedThread.run { [self] in
                    serve(fd)
                    state.withLock { _ = $0.connections.remove(fd) }
                    close(fd)
                }
            }
        }
    }

    private func configure(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // A client that stops reading must not pin a thread in send() forever.
        var timeout = Self.makeTimeval(limits.idleTimeout)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Over the connection cap: a 503 written from the accept thread (a fresh socket's send
    /// buffer always has room, so this cannot block), then a best-effort lingering close.
    private func refuseOverCapacity(_ fd: Int32) {
        let bytes = Self.serialize(
            status: 503,
            headers: [
                HTTPField("Content-Type", "text/plain; charset=utf-8"),
                HTTPField("Retry-After", "1"),
            ],
            body: Data("Too many connections to the sandbox\n".utf8), keepAlive: false)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        shutdown(fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 4096)
        _ = recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT))
        close(fd)
    }

    // MARK: - One connection

    private enum Wait { case ready, timedOut, stopped }

    /// Waits until `fd` is readable (or, with `fd` -1, just for the time) or `stop()` is called.
    private func wait(for fd: Int32, seconds: TimeInterval) -> Wait {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return .timedOut }
            var fds = [
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            ]  // poll ignores fd -1
            let milliseconds = Int32(min(remaining * 1000 + 1, 60_000))
            let ready = poll(&fds, 2, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                return .stopped
            }
            if fds[0].revents != 0 { return .stopped }
            if fds[1].revents != 0 { return .ready }
        }
    }

    /// Reads more bytes into `buffer`; false on EOF, error, idle timeout, the request's
    /// deadline (`expired`) or stop.
    private func receive(
        _ fd: Int32, into buffer: inout [UInt8], scratch: inout [UInt8],
        deadline: Date? = nil
    ) -> (ok: Bool, sawLineFeed: Bool) {
        while true {
            let seconds = deadline.map { min(limits.idleTimeout, $0.timeIntervalSinceNow) } ?? limits.idleTimeout
            guard seconds > 0 else { return (false, false) }
            guard wait(for: fd, seconds: seconds) == .ready else { return (false, false) }
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                let chunk = scratch[0..<count]
                buffer.append(contentsOf: chunk)
                return (true, chunk.contains(10))
            }
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            return (false, false)
        }
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        let parserLimits = HTTPRequestParser.Limits(maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes)
        // Re-parse only when something could have changed the answer: a new line ended, or
        // the head limit was crossed. Keeps a trickled head from costing O(n²).
        var shouldParse = false
        // When the request now being read must be complete (from its first byte).
        var deadline: Date?
        func expired() -> Bool { deadline.map { $0.timeIntervalSinceNow <= 0 } ?? false }
        func timeOut() {
            let response = Self.serialize(
                status: 408, headers: [HTTPField("Content-Type", "text/plain; charset=utf-8")],
                body: Data("the request took too long to arrive\n".utf8), keepAlive: false)
            if sendAll(fd, response) { lingeringClose(fd) }
        }

        while true {
            if !shouldParse {
                let (ok, sawLineFeed) = receive(fd, into: &buffer, scratch: &scratch, deadline: deadline)
                guard ok else {
                    if expired() { timeOut() }
                    return
                }
                if deadline == nil { deadline = Date().addingTimeInterval(limits.requestDeadline) }
                shouldParse = sawLineFeed || buffer.count >= limits.maxHeaderBytes
                if !shouldParse { continue }
            }
            switch HTTPRequestParser.parseHead(buffer, limits: parserLimits) {
            case .incomplete:
                shouldParse = false
            case .failure(let status, let reason):
                let response = Self.serialize(
                    status: status, headers: [HTTPField("Content-Type", "text/plain; charset=utf-8")],
                    body: Data((reason + "\n").utf8), keepAlive: false)
                if sendAll(fd, response) { lingeringClose(fd) }
                return
            case .head(let head):
                guard let request = readBody(fd, head: head, buffer: &buffer, scratch: &scratch, deadline: deadline) else {
                    if expired() { timeOut() }
                    return
                }
                buffer.removeFirst(head.totalBytes)
                served.add(1, ordering: .relaxed)
                let response = handler(request)
                switch response.fault {
                case .reset?:
                    // SO_LINGER {on, 0 s}: close() discards unsent data and sends RST.
                    var option = linger(l_onoff: 1, l_linger: 0)
                    _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
                    return
                case .delay(let seconds)?:
                    if seconds > 0, wait(for: -1, seconds: seconds) == .stopped { return }
                case nil:
                    break
                }
                let handlerCloses = response.headers.contains {
                    HTTPRequestParser.nameMatches($0.name, lowercased: "connection") && $0.value.lowercased().contains("close")
                }
                let keepAlive = head.keepAlive && !handlerCloses && !isStopped
                let bytes = Self.serialize(
                    status: response.status, headers: response.headers, body: response.body,
                    keepAlive: keepAlive)
                guard sendAll(fd, bytes), keepAlive else { return }
                shouldParse = !buffer.isEmpty  // a pipelined request may already be here
                deadline = buffer.isEmpty ? nil : Date().addingTimeInterval(limits.requestDeadline)
            }
        }
    }

    /// Waits for the body (answering `100 Continue` first when asked) and builds the request.
    private func readBody(
        _ fd: Int32, head: HTTPRequestHead, buffer: inout [UInt8], scratch: inout [UInt8],
        deadline: Date?
    ) -> SandboxRequest? {
        if buffer.count < head.totalBytes, head.expectsContinue {
            guard sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return nil }
        }
        while buffer.count < head.totalBytes {
            guard receive(fd, into: &buffer, scratch: &scratch, deadline: deadline).ok else { return nil }
        }
        let body = Data(buffer[head.headerBytes..<head.totalBytes])
        return SandboxRequest(method: head.method, target: head.target, headers: head.headers, body: body)
    }

    /// After an error response the client may still be sending (a body we refused, pipelined
    /// requests). Closing with unread data makes the kernel send RST, which can destroy the
    /// response before the client reads it; so half-close and drain for a moment first.
    private func lingeringClose(_ fd: Int32) {
        shutdown(fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        let deadline = Date().addingTimeInterval(2)
        var drained = 0
        while drained < 16 * 1024 * 1024 {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, wait(for: fd, seconds: remaining) == .ready else { return }
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return }
            if count < 0 { if errno == EINTR { continue }; return }
            drained += count
        }
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let sent = send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 { offset += sent; continue }
                if sent < 0, errno == EINTR { continue }
                return false  // peer gone, send timeout (EAGAIN under SO_SNDTIMEO) or shut down
            }
            return true
        }
    }

    // MARK: - Responses

    /// Headers the server owns: a handler's copies are dropped.
    private static let serverOwned = ["content-length", "connection", "transfer-encoding", "keep-alive"]

    private static func isServerOwned(_ name: String) -> Bool {
        serverOwned.contains { HTTPRequestParser.nameMatches(name, lowercased: $0) }
    }

    /// The bytes of a response: status line, headers and body in one buffer.
    package static func serialize(
        status: Int, headers: [HTTPField], body: Data, keepAlive: Bool,
        now: time_t = time(nil)
    ) -> [UInt8] {
        let status = (100...999).contains(status) ? status : 500
        // RFC 9110 §8.6: no Content-Length (and no body) in 1xx and 204; no body in 304.
        let bodyAllowed = status >= 200 && status != 204 && status != 304
        var head = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
        var hasDate = false
        for field in headers {
            let name = sanitized(field.name)
            guard !name.isEmpty, !isServerOwned(name) else { continue }
            if HTTPRequestParser.nameMatches(name, lowercased: "date") { hasDate = true }
            head += "\(name): \(sanitized(field.value))\r\n"
        }
        if status >= 200, status != 204 { head += "Content-Length: \(bodyAllowed ? body.count : 0)\r\n" }
        if !hasDate { head += "Date: \(httpDate(now))\r\n" }
        // Always explicit, so HTTP/1.0 clients see keep-alive confirmed and nobody has to
        // know the version defaults.
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        head += "\r\n"
        var bytes = Array(head.utf8)
        if bodyAllowed { bytes.append(contentsOf: body) }
        return bytes
    }

    /// Strips CR and LF so a header can never split the response.
    private static func sanitized(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 13 || $0 == 10 }) else { return text }
        return String(decoding: text.utf8.filter { $0 != 13 && $0 != 10 }, as: UTF8.self)
    }

    /// RFC 9110 §5.6.7 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    ///
    /// Built from `gmtime_r` with fixed English names rather than a `DateFormatter`: it is
    /// locale- and time-zone-data-independent by construction, and thread-safe and cheap.
    package static func httpDate(_ time: time_t) -> String {
        var seconds = time
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "Thu, 01 Jan 1970 00:00:00 GMT" }
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let day = days.indices.contains(Int(parts.tm_wday)) ? days[Int(parts.tm_wday)] : "Thu"
        let month = months.indices.contains(Int(parts.tm_mon)) ? months[Int(parts.tm_mon)] : "Jan"
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(day), \(two(parts.tm_mday)) \(month) \(Int(parts.tm_year) + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    package static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    private static func makeTimeval(_ seconds: TimeInterval) -> timeval {
        let clamped = max(0.001, min(seconds, 86_400))
        let whole = clamped.rounded(.down)
        return timeval(tv_sec: Int(whole), tv_usec: Int((clamped - whole) * 1_000_000))
    }
}
