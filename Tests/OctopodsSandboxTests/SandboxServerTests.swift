import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif
@testable import OctopodsSandbox

/// Echoes the request back; a few paths act out faults.
private let echoHandler: SandboxHandler = { request in
    switch request.path {
    case "/reset":
        return SandboxResponse(status: 200, body: Data("never sent".utf8), fault: .reset)
    case "/delay":
        let seconds = request.query.first { $0.name == "s" }.flatMap { Double($0.value) } ?? 0.3
        return SandboxResponse(status: 200, body: Data("late".utf8), fault: .delay(seconds))
    case "/created":
        return SandboxResponse(status: 201, headers: [HTTPField("Location", "/things/1")])
    case "/empty":
        return SandboxResponse(status: 204)
    default:
        return SandboxResponse(
            status: 200,
            headers: [
                HTTPField("X-Method", request.method), HTTPField("X-Target", request.target),
                HTTPField("Content-Length", "999"), HTTPField("Connection", "upgrade"),
            ],
            body: request.body.isEmpty ? Data("ok".utf8) : request.body)
    }
}

private func withServer(
    _ limits: SandboxServer.Limits = .init(), handler: @escaping SandboxHandler = echoHandler,
    _ body: (SandboxServer) throws -> Void
) throws {
    let server = try SandboxServer(port: 0, limits: limits, handler: handler)
    server.start()
    defer { server.stop() }
    try body(server)
}

private func get(_ target: String, _ extra: String = "") -> String {
    "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(extra)\r\n"
}

/// Waits for `condition`, which the server's threads make true in their own time. The limit only
/// turns a server that never gets there into a failure instead of a hung suite: it is no
/// measure of speed, so it is far beyond anything a loaded machine needs.
private func eventually(_ seconds: TimeInterval = 60, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

@Suite(.serialized) struct SandboxServerTests {
    @Test func portIsRealAndLoopbackOnly() throws {
        try withServer { server in
            #expect(server.port != 0)
            let client = try RawHTTPClient(port: server.port)
            try client.send(get("/hello"))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.reason == "OK")
            #expect(response.text == "ok")
        }
    }

    @Test func severalRequestsOnOneKeepAliveConnection() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            for index in 0..<5 {
                let body = "body-\(index)"
                try client.send("POST /echo/\(index) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == body)
                #expect(response.header("X-Target") == "/echo/\(index)")
                #expect(response.header("Connection") == "keep-alive")
            }
            #expect(server.connectionsAccepted == 1)
            #expect(server.requestsServed == 5)
        }
    }

    @Test func responseHeaders() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(get("/x"))
            let response = try client.readResponse()
            // The server owns Content-Length and Connection: the handler's copies are dropped.
            #expect(response.headers.filter { $0.name.lowercased() == "content-length" }.map(\.value) == ["2"])
            #expect(response.headers.filter { $0.name.lowercased() == "connection" }.map(\.value) == ["keep-alive"])
            #expect(response.header("X-Method") == "GET")
            let date = try #require(response.header("Date"))
            #expect(
                date.range(
                    of:
                        #"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$"#,
                    options: .regularExpression) != nil, "\(date)")

            try client.send(get("/created"))
            let created = try client.readResponse()
            #expect(created.status == 201)
            #expect(created.reason == "Created")
            #expect(created.header("Location") == "/things/1")
            #expect(created.header("Content-Length") == "0")

            try client.send(get("/empty"))
            let empty = try client.readResponse()
            #expect(empty.status == 204)
            #expect(empty.header("Content-Length") == nil)

            // Still in sync after the bodiless responses.
            try client.send(get("/after"))
            #expect(try client.readResponse().header("X-Target") == "/after")
        }
    }

    @Test func serializedResponseIsExact() {
        let bytes = SandboxServer.serialize(
            status: 404,
            headers: [
                HTTPField("Content-Type", "application/json"),
                HTTPField("X-Evil", "a\r\nSet-Cookie: b"),
            ],
            body: Data("{}".utf8), keepAlive: false, now: 784_111_777)
        #expect(
            String(decoding: bytes, as: UTF8.self) == "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                + "X-Evil: aSet-Cookie: b\r\nContent-Length: 2\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                + "Connection: close\r\n\r\n{}")
    }

    @Test func httpDateIsIMFFixdate() {
        #expect(SandboxServer.httpDate(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(SandboxServer.httpDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func pipelinedRequests() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(get("/1") + "POST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" + get("/3"))
            let targets = try (0..<3).map { _ in try client.readResponse().header("X-Target") }
            #expect(targets == ["/1", "/2", "/3"])
            #expect(server.requestsServed == 3)
        }
    }

    @Test func http10ClosesUnlessKeepAlive() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("GET /old HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(client.awaitClose() == nil)

            let keeper = try RawHTTPClient(port: server.port)
            for _ in 0..<2 {
                try keeper.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let kept = try keeper.readResponse()
                #expect(kept.header("Connection") == "keep-alive")
            }
        }
    }

    @Test func connectionCloseIsHonoured() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(get("/bye", "Connection: close\r\n"))
            #expect(try client.readResponse().header("Connection") == "close")
            #expect(client.awaitClose() == nil)
        }
    }

    static let rejected: [(String, Int)] = [
        ("GARBAGE\r\n\r\n", 400),
        ("GET  /two-spaces HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/3.0\r\n\r\n", 505),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411),
        ("POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413),
    ]

    @Test(arguments: rejected)
    func badRequestsAreAnsweredThenClosed(_ input: String, _ status: Int) throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(input)
            let response = try client.readResponse()
            #expect(response.status == status)
            #expect(response.header("Connection") == "close")
            #expect(!response.text.isEmpty)
            #expect(client.awaitClose() == nil)
            #expect(server.requestsServed == 0)
        }
    }

    @Test func oversizeHeadersGive431() throws {
        try withServer(.init(maxHeaderBytes: 1024)) { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(get("/", "X-Big: \(String(repeating: "a", count: 4000))\r\n"))
            #expect(try client.readResponse().status == 431)
            #expect(client.awaitClose() == nil)

            // A head that never ends also hits the limit (no newline at all).
            let endless = try RawHTTPClient(port: server.port)
            try endless.send(String(repeating: "x", count: 2000))
            #expect(try endless.readResponse().status == 431)
        }
    }

    @Test func oversizeBodyGives413EvenWhenSent() throws {
        try withServer(.init(maxBodyBytes: 1000)) { server in
            let client = try RawHTTPClient(port: server.port)
            // The client sends the whole body anyway; the lingering close lets it read the answer.
            try client.send("POST / HTTP/1.1\r\nContent-Length: 50000\r\n\r\n" + String(repeating: "b", count: 50000))
            #expect(try client.readResponse().status == 413)

            let fits = try RawHTTPClient(port: server.port)
            try fits.send("POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "c", count: 1000))
            #expect(try fits.readResponse().body.count == 1000)
        }
    }

    @Test func largeBodiesRoundTrip() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            var rng = SeededGenerator(seed: 7)
            // Eight random bytes at a time: a byte at a time took most of a second in a debug build.
            var body: [UInt8] = []
            body.reserveCapacity(1024 * 1024)
            for _ in 0..<(1024 * 1024 / 8) { withUnsafeBytes(of: rng.next()) { body.append(contentsOf: $0) } }
            for _ in 0..<2 {
                try client.send(Array("POST /big HTTP/1.1\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.body == body)
            }
        }
    }

    @Test func expect100Continue() throws {
        try withServer(.init(maxBodyBytes: 1000)) { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("POST /upload HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("hello")
            let final = try client.readResponse()
            #expect(final.status == 200)
            #expect(final.text == "hello")

            // Too large: refused at once, with no 100 first.
            try client.send("POST /upload HTTP/1.1\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
            #expect(try client.readResponse().status == 413)

            // Body already sent with the head: no 100 needed.
            let eager = try RawHTTPClient(port: server.port)
            try eager.send("POST /upload HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi")
            #expect(try eager.readResponse().status == 200)
        }
    }

    @Test func twoHundredConcurrentConnections() throws {
        try withServer { server in
            let clients = try (0..<200).map { _ in try RawHTTPClient(port: server.port) }
            // Every connection is open at once before any request is sent.
            #expect(eventually { server.openConnections == 200 })
            for (index, client) in clients.enumerated() {
                try client.send(get("/c/\(index)"))
            }
            for (index, client) in clients.enumerated() {
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.header("X-Target") == "/c/\(index)")
            }
            #expect(server.connectionsAccepted == 200)
            #expect(server.requestsServed == 200)
            clients.forEach { $0.close() }
            #expect(eventually { server.openConnections == 0 })
        }
    }

    @Test func connectionsOverTheCapGet503() throws {
        try withServer(.init(maxConnections: 2)) { server in
            let first = try RawHTTPClient(port: server.port)
            let second = try RawHTTPClient(port: server.port)
            #expect(eventually { server.openConnections == 2 })
            let third = try RawHTTPClient(port: server.port)
            let refused = try third.readResponse()
            #expect(refused.status == 503)
            #expect(refused.header("Connection") == "close")
            // The admitted ones still work, and a slot frees up when one closes.
            try first.send(get("/1"))
            #expect(try first.readResponse().status == 200)
            second.close()
            #expect(eventually { server.openConnections == 1 })
            let fourth = try RawHTTPClient(port: server.port)
            try fourth.send(get("/4"))
            #expect(try fourth.readResponse().status == 200)
        }
    }

    @Test func garbageNeverCrashesTheServer() throws {
        try withServer(.init(maxHeaderBytes: 2048, maxBodyBytes: 512, idleTimeout: 2)) { server in
            var rng = SeededGenerator(seed: 0x5A4D_B0C5)
            let pieces = [
                "GET ", "POST ", "/", " HTTP/1.1", " HTTP/1.0", "\r\n", "\n", "\r", ":", " ", "Content-Length: ",
                "Transfer-Encoding: chunked", "Expect: 100-continue", "Connection: close", "-1", "99999999999999999999",
                "12", "\0", "\u{7F}", "\u{FF}",
            ]
            // A fixed number of rounds (not "as many as fit in N seconds"): the same inputs on
            // a busy machine as on an idle one.
            for round in 0..<150 {
                var bytes: [UInt8] = []
                for _ in 0..<Int.random(in: 1...40, using: &rng) {
                    if round % 3 == 0 {
                        bytes.append(UInt8.random(in: 0...255, using: &rng))
                    } else {
                        bytes += Array((pieces.randomElement(using: &rng) ?? "").utf8)
                    }
                }
                let client = try RawHTTPClient(port: server.port, timeout: 3)
                try? client.send(bytes)
                client.shutdownWrite()
                _ = client.awaitClose()  // any answer, EOF or reset is fine; a hang is not (3 s timeout)
                client.close()
            }
            let client = try RawHTTPClient(port: server.port)
            try client.send(get("/still-alive"))
            #expect(try client.readResponse().header("X-Target") == "/still-alive")
            #expect(eventually { server.openConnections <= 1 })
        }
    }

    @Test func resetFaultIsSeenAsReset() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(get("/reset"))
            do {
                _ = try client.readResponse()
                Issue.record("got a response")
            } catch let error as RawHTTPError {
                #expect(error == .reset || error == .closed)
            }
            #expect(server.requestsServed == 1)
        }
    }

    @Test func delayFaultAnswersLate() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            let started = Date()
            try client.send(get("/delay?s=0.4"))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "late")
            // A lower bound only: a busy machine makes it later, never earlier.
            #expect(Date().timeIntervalSince(started) >= 0.35)
            // The connection is still usable afterwards.
            try client.send(get("/next"))
            #expect(try client.readResponse().status == 200)
        }
    }

    @Test func idleKeepAliveConnectionsTimeOut() throws {
        try withServer(.init(idleTimeout: 0.3)) { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(get("/"))
            #expect(try client.readResponse().status == 200)
            #expect(client.awaitClose() == nil)  // the server closed it (a hang would be .timeout)
            #expect(eventually { server.openConnections == 0 })
        }
    }

    @Test func stopIsPromptWithWorkInFlight() throws {
        let server = try SandboxServer(port: 0, handler: echoHandler)
        server.start()
        let port = server.port

        let delayed = try RawHTTPClient(port: port)
        try delayed.send(get("/delay?s=30"))
        let idle = try RawHTTPClient(port: port)
        try idle.send(get("/idle"))
        #expect(try idle.readResponse().status == 200)
        // Both requests have reached the handler: one is sleeping in its delay fault, the
        // other connection sits idle in keep-alive.
        #expect(eventually { server.requestsServed == 2 })

        // Prompt means: stop() does not wait out the 30 s delay. The delayed request gets no
        // answer, only its connection closed (waiting for the delay would have answered it).
        server.stop()
        do {
            _ = try delayed.readResponse()
            Issue.record("the delayed request was answered: stop() waited for it")
        } catch let error as RawHTTPError {
            #expect(error != .timeout)  // closed by stop(), not left hanging
        }
        #expect(idle.awaitClose() != .timeout)
        #expect(eventually { server.openConnections == 0 })
        #expect(connectionRefused(port: port))

        server.stop()  // idempotent
    }

    @Test func stopWithoutStart() throws {
        let server = try SandboxServer(port: 0, handler: echoHandler)
        let port = server.port
        server.stop()
        server.start()  // too late: does nothing
        #expect(connectionRefused(port: port))
    }

    @Test func busyPortIsAClearError() throws {
        try withServer { server in
            do {
                _ = try SandboxServer(port: server.port, handler: echoHandler)
                Issue.record("a second server bound the same port")
            } catch let error as SandboxServerError {
                #expect(error.code == EADDRINUSE)
                #expect(error.description.contains("127.0.0.1:\(server.port)"))
                #expect(error.description.contains("already in use"))
                #expect(error.localizedDescription == error.description)
            }
        }
    }
}
