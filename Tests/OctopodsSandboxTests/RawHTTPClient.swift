import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import OctopodsSandbox

/// A response as read off the wire by `RawHTTPClient`.
struct RawHTTPResponse {
    var status: Int
    var reason: String
    var headers: [HTTPField]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
    var text: String { String(decoding: body, as: UTF8.self) }
}

enum RawHTTPError: Error, Equatable {
    case connect(Int32)
    case send(Int32)
    /// The peer closed the connection (FIN) before a full response arrived.
    case closed
    /// The peer reset the connection (RST).
    case reset
    /// Nothing arrived within the receive timeout.
    case timeout
    case receive(Int32)
    case malformed(String)
}

/// A deliberately dumb HTTP/1.1 client on a raw socket, so tests control every byte sent
/// (malformed requests, pipelining, partial bodies) and see exactly what comes back.
/// Every read has a receive timeout (SO_RCVTIMEO), so a test can never hang on it.
final class RawHTTPClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    init(port: UInt16, timeout: TimeInterval = 5) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError.connect(errno) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw RawHTTPError.connect(code)
        }
        self.fd = fd
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 { offset += sent; continue }
            if sent < 0, errno == EINTR { continue }
            throw RawHTTPError.send(errno)
        }
    }

    /// Reads more bytes; throws on EOF, reset or timeout.
    private func fill() throws {
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { buffer.append(contentsOf: scratch[0..<count]); return }
            if count == 0 { throw RawHTTPError.closed }
            switch errno {
            case EINTR: continue
            case EAGAIN: throw RawHTTPError.timeout
            case ECONNRESET: throw RawHTTPError.reset
            case let code: throw RawHTTPError.receive(code)
            }
        }
    }

    /// Reads one response, framed by Content-Length (or by EOF without one).
    func readResponse() throws -> RawHTTPResponse {
        var headEnd: Int?
        while headEnd == nil {
            if let range = findHeadEnd() { headEnd = range; break }
            try fill()
        }
        guard let end = headEnd else { throw RawHTTPError.malformed("no head") }
        let headText = String(decoding: buffer[0..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw RawHTTPError.malformed("empty head") }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw RawHTTPError.malformed(statusLine)
        }
        var headers: [HTTPField] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw RawHTTPError.malformed(line) }
            headers.append(
                HTTPField(
                    String(line[..<colon]),
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        buffer.removeFirst(end + 4)
        var response = RawHTTPResponse(
            status: status, reason: parts.count > 2 ? String(parts[2]) : "",
            headers: headers, body: [])
        if status < 200 || status == 204 || status == 304 { return response }
        if let lengthText = response.header("Content-Length") {
            guard let length = Int(lengthText), length >= 0 else { throw RawHTTPError.malformed(lengthText) }
            while buffer.count < length { try fill() }
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else {
            response.body = try readToEOF()
        }
        return response
    }

    /// Everything until the peer closes; throws `.reset` on RST and `.timeout` if it never closes.
    func readToEOF() throws -> [UInt8] {
        while true {
            do { try fill() } catch RawHTTPError.closed {
                defer { buffer = [] }
                return buffer
            }
        }
    }

    /// What the peer does next: close cleanly, reset, or stay silent (`.timeout`).
    func awaitClose() -> RawHTTPError? {
        do { _ = try readToEOF(); return nil } catch let error as RawHTTPError { return error } catch { return .receive(-1) }
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}

/// Whether a TCP connection to 127.0.0.1:`port` is refused.
func connectionRefused(port: UInt16) -> Bool {
    do {
        let client = try RawHTTPClient(port: port, timeout: 1)
        client.close()
        return false
    } catch RawHTTPError.connect(let code) {
        return code == ECONNREFUSED
    } catch {
        return false
    }
}
