#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where a Redis server is: `redis://[user:password@]host:port[/db]` (docs/state-store.md).
package struct RedisAddress: Sendable, Equatable {
    package var host: String
    package var port: UInt16
    package var user: String?
    package var password: String?
    package var database: Int

    package init(host: String, port: UInt16 = 6379, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host; self.port = port; self.user = user; self.password = password; self.database = database
    }

    /// The address without its credentials, for messages and traces.
    package var display: String { "redis://\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

    /// Parses a `redis://` URL; the error says what is wrong with it. `rediss://` (TLS) is
    /// refused with what to do instead.
    package static func parse(_ text: String) -> Result<RedisAddress, RedisError> {
        let lower = text.lowercased()
        if lower.hasPrefix("rediss://") {
            return .failure(
                .invalid(
                    "rediss:// (Redis over TLS) is not supported yet: reach the server through a TLS tunnel "
                        + "on loopback (stunnel, spiped, ssh -L) and give its redis:// address"))
        }
        guard lower.hasPrefix("redis://") else { return .failure(.invalid("it must start with redis://")) }
        var rest = Substring(text.dropFirst("redis://".count))
        var address = RedisAddress(host: "", port: 6379, user: nil, password: nil, database: 0)
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = PlainText.percentDecoded(String(credentials[..<colon])) ?? String(credentials[..<colon])
                address.user = user.isEmpty ? nil : user
                let password = String(credentials[credentials.index(after: colon)...])
                address.password = PlainText.percentDecoded(password) ?? password
            } else {
                let password = String(credentials)
                address.password = PlainText.percentDecoded(password) ?? password
            }
        }
        var hostPort = rest
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let number = Int(db), (0...1_000_000).contains(number) else {
                    return .failure(.invalid("the database '\(db)' is not a number"))
                }
                address.database = number
            }
        }
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            address.host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") {
                guard let port = UInt16(after.dropFirst()), port > 0 else {
                    return .failure(.invalid("the port '\(after.dropFirst())' is not a port"))
                }
                address.port = port
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            address.host = String(hostPort[..<colon])
            let portText = hostPort[hostPort.index(after: colon)...]
            guard let port = UInt16(portText), port > 0 else { return .failure(.invalid("the port '\(portText)' is not a port")) }
            address.port = port
        } else {
            address.host = String(hostPort)
        }
        guard !address.host.isEmpty else { return .failure(.invalid("it names no host")) }
        return .success(address)
    }
}

package enum RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The address cannot be used.
    case invalid(String)
    /// No connection, or it broke, or the server did not answer in time.
    case unreachable(String)
    /// The server answered with an error (`-ERR ...`).
    case server(String)
    /// The answer was not what the command returns.
    case protocolError(String)

    package var description: String {
        switch self {
        case .invalid(let text), .unreachable(let text), .server(let text), .protocolError(let text): return text
        }
    }
}

/// A Redis reply (RESP2).
package indirect enum RedisReply: Sendable, Equatable {
    case simple(String)
    case integer(Int)
    case bulk([UInt8]?)
    case array([RedisReply]?)

    package var text: String? {
        switch self {
        case .simple(let s): return s
        case .bulk(let bytes?): return String(decoding: bytes, as: UTF8.self)
        case .integer(let n): return String(n)
        default: return nil
        }
    }
}

/// A small blocking Redis client over one TCP connection: RESP2 commands, with a deadline on
/// connecting and on each answer, AUTH and SELECT on connect. No dependency: the protocol is a
/// few lines (redis.io, "RESP protocol spec"). One command at a time (a mutex); a broken
/// connection is dropped and made again on the next command.
package final class RedisClient: Sendable {
    package let address: RedisAddress
    let timeout: Double
    private let fd = Mutex<Int32>(-1)

    package init(_ address: RedisAddress, timeout: Double = 2) {
        self.address = address
        self.timeout = timeout
    }

    deinit {
        let fd = self.fd.withLock { $0 }
        if fd >= 0 { close(fd) }
    }

    /// Runs commands in order on one connection (the lock held throughout, so they go out
    /// together); the replies, an error reply included as `.server`.
    package func run(_ commands: [[String]]) throws(RedisError) -> [Result<RedisReply, RedisError>] {
        try session { session throws(RedisError) in try session.run(commands) }
    }

    /// The connection held for a sequence of exchanges (WATCH … EXEC): no other thread's
    /// command comes between them, as WATCH state belongs to the connection.
    package func session<T>(_ body: (Session) throws(RedisError) -> T) throws(RedisError) -> T {
        try fd.withLock { fd throws(RedisError) -> T in
            if fd < 0 { fd = try connect() }
            do throws(RedisError) {
                return try body(Session(client: self, fd: fd))
            } catch {
                if case .server = error {
                } else {
                    close(fd)
                    fd = -1
                }
                throw error
            }
        }
    }

    /// A connection held by `session`.
    package struct Session {
        let client: RedisClient
        let fd: Int32

        package func run(_ commands: [[String]]) throws(RedisError) -> [Result<RedisReply, RedisError>] {
            try client.send(fd, commands)
            var replies: [Result<RedisReply, RedisError>] = []
            var reader = Reader(fd: fd, timeout: client.timeout)
            for _ in commands { replies.append(try reader.reply()) }
            return replies
        }
    }

    /// One command; an error reply is thrown.
    package func command(_ words: String...) throws(RedisError) -> RedisReply {
        guard let first = try run([words]).first else { throw .protocolError("no reply") }
        return try first.get()
    }

    /// A timeout for poll(2): whole milliseconds, at least 1, at most an hour (never a trap).
    static func pollMilliseconds(_ seconds: Double) -> Int32 {
        guard seconds.isFinite else { return 3_600_000 }
        return Int32(min(max((seconds * 1000).rounded(.up), 1), 3_600_000))
    }

    static func secondsText(_ seconds: Double) -> String {
        "\(pollMilliseconds(seconds)) ms"
    }

    private func connect() throws(RedisError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(address.host, String(address.port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw .unreachable("cannot resolve \(address.host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 { lastError = PlainText.systemText(errno); continue }
            if let problem = Self.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen, timeout: timeout) {
                lastError = problem
                close(fd)
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            do throws(RedisError) {
                try hello(fd)
            } catch {
                close(fd)
                throw error
            }
            return fd
        }
        throw .unreachable("cannot connect: \(lastError)")
    }

    /// A non-blocking connect bounded by `timeout`; nil when connected, else why not.
    private static func connect(
        _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t,
        timeout: Double
    ) -> String? {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        if Glibc.connect(fd, address, length) == 0 { return nil }
        guard errno == EINPROGRESS else { return PlainText.systemText(errno) }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&poller, 1, Self.pollMilliseconds(timeout))
        guard ready > 0 else { return ready == 0 ? "no connection within \(Self.secondsText(timeout))" : PlainText.systemText(errno) }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
        return error == 0 ? nil : PlainText.systemText(error)
    }

    /// AUTH and SELECT, as the address asks.
    private func hello(_ fd: Int32) throws(RedisError) {
        var commands: [[String]] = []
        if let password = address.password {
            commands.append(address.user.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if address.database != 0 { commands.append(["SELECT", String(address.database)]) }
        guard !commands.isEmpty else { return }
        try send(fd, commands)
        var reader = Reader(fd: fd, timeout: timeout)
        for command in commands {
            if case .failure(let error) = try reader.reply() {
                throw .server("\(command[0]) failed: \(error)")
            }
        }
    }

    fileprivate func send(_ fd: Int32, _ commands: [[String]]) throws(RedisError) {
        var bytes: [UInt8] = []
        for words in commands {
            bytes += Array("*\(words.count)\r\n".utf8)
            for word in words {
                let utf8 = Array(word.utf8)
                bytes += Array("$\(utf8.count)\r\n".utf8) + utf8 + [13, 10]
            }
        }
        var offset = 0
        while offset < bytes.count {
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&poller, 1, Self.pollMilliseconds(timeout)) > 0 else {
                throw .unreachable("the server did not take the command within \(Self.secondsText(timeout))")
            }
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress?.advanced(by: offset), bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .unreachable("the connection to \(address.display) broke: \(PlainText.systemText(errno))")
            }
            offset += n
        }
    }

    /// Reads replies from a connection, each within `timeout`.
    struct Reader {
        let fd: Int32
        let timeout: Double
        var buffer: [UInt8] = []
        var position = 0

        init(fd: Int32, timeout: Double) { self.fd = fd; self.timeout = timeout }

        mutating func fill() throws(RedisError) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, RedisClient.pollMilliseconds(timeout))
            if ready < 0, errno == EINTR { return }
            guard ready > 0 else { throw .unreachable("no answer from Redis within \(RedisClient.secondsText(timeout))") }
            var chunk = [UInt8](repeating: 0, count: 16_384)
            let n = read(fd, &chunk, chunk.count)
            if n < 0, errno == EINTR || errno == EAGAIN { return }
            guard n > 0 else { throw .unreachable("Redis closed the connection") }
            if position > 0 { buffer.removeFirst(position); position = 0 }
            buffer += chunk[0..<n]
        }

        mutating func line() throws(RedisError) -> [UInt8] {
            while true {
                if let end = buffer[position...].firstIndex(of: 10), end > position, buffer[end - 1] == 13 {
                    let line = Array(buffer[position..<(end - 1)])
                    position = end + 1
                    return line
                }
                guard buffer.count - position < 64 << 20 else { throw .protocolError("a reply line longer than 64 MB") }
                try fill()
            }
        }

        mutating func bytes(_ count: Int) throws(RedisError) -> [UInt8] {
            while buffer.count - position < count + 2 { try fill() }
            let value = Array(buffer[position..<(position + count)])
            position += count + 2
            return value
        }

        mutating func reply() throws(RedisError) -> Result<RedisReply, RedisError> {
            let line = try self.line()
            guard let kind = line.first else { throw .protocolError("an empty reply") }
            let rest = String(decoding: line.dropFirst(), as: UTF8.self)
            switch kind {
            case UInt8(ascii: "+"): return .success(.simple(rest))
            case UInt8(ascii: "-"): return .failure(.server(rest))
            case UInt8(ascii: ":"):
                guard let n = Int(rest) else { throw .protocolError("an integer reply '\(rest)'") }
                return .success(.integer(n))
            case UInt8(ascii: "$"):
                guard let n = Int(rest), n >= -1, n < 512 << 20 else { throw .protocolError("a bulk length '\(rest)'") }
                return .success(.bulk(n < 0 ? nil : try bytes(n)))
            case UInt8(ascii: "*"):
                guard let n = Int(rest), n >= -1, n < 1 << 20 else { throw .protocolError("an array length '\(rest)'") }
                if n < 0 { return .success(.array(nil)) }
                var items: [RedisReply] = []
                for _ in 0..<n {
                    switch try reply() {
                    case .success(let item): items.append(item)
                    case .failure(let error): items.append(.simple("ERR \(error)"))
                    }
                }
                return .success(.array(items))
            default:
                throw .protocolError("an unknown reply type '\(String(decoding: [kind], as: UTF8.self))'")
            }
        }
    }
}
