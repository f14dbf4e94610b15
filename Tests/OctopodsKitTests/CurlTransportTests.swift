import Foundation
import Synchronization
import Testing
import OctopodsSandbox
@testable import OctopodsKit
#if canImport(Glibc)
import Glibc
#endif

/// The live transport against real servers on 127.0.0.1.
@Suite struct CurlTransportTests {
    final class Recorder: Sendable {
        let requests = Mutex<[SandboxRequest]>([])
        func record(_ r: SandboxRequest) { requests.withLock { $0.append(r) } }
        var all: [SandboxRequest] { requests.withLock { $0 } }
    }

    func server(_ handler: @escaping SandboxHandler) throws -> SandboxServer {
        let s = try SandboxServer(port: 0, handler: handler)
        s.start()
        return s
    }

    func url(_ s: SandboxServer, _ path: String = "/x") -> URL {
        URL(string: "http://127.0.0.1:\(s.port)\(path)") ?? URL(fileURLWithPath: "/")
    }

    @Test func getAndPostRoundTrip() async throws {
        let recorder = Recorder()
        let s = try server { r in
            recorder.record(r)
            return SandboxResponse(status: 201, headers: [HTTPField("X-Test", "yes")], body: Data(#"{"ok":true}"#.utf8))
        }
        defer { s.stop() }
        let transport = CurlTransport(timeout: 5)
        let body = Data(#"{"destination_phone":"+14155552671","body":"héllo"}"#.utf8)
        let response = try await transport.send(
            HTTPRequest(method: "POST", url: url(s), headers: [("X-Octopods-Auth", "k"), ("Content-Type", "application/json")], body: body))
        #expect(response.status == 201)
        #expect(response.headers["x-test"] == "yes")
        #expect(response.body == Data(#"{"ok":true}"#.utf8))
        let seen = try #require(recorder.all.first)
        #expect(seen.method == "POST")
        #expect(seen.body == body)
        #expect(seen.header("X-Octopods-Auth") == "k")
        #expect(seen.header("Expect") == nil)
        let get = try await transport.send(HTTPRequest(method: "GET", url: url(s, "/y?a=1")))
        #expect(get.status == 201)
        #expect(recorder.all.last?.target == "/y?a=1")
    }

    @Test func keepAliveReusesTheConnection() async throws {
        // No idle cut-off: on a loaded machine the gap between two requests can pass the
        // default 30 s, and the server would then close the connection.
        let s = try SandboxServer(port: 0, limits: .init(idleTimeout: 86_400)) { _ in SandboxResponse(status: 200, body: Data("ok".utf8)) }
        s.start()
        defer { s.stop() }
        let transport = CurlTransport(timeout: 5)
        for _ in 0..<5 { _ = try await transport.send(HTTPRequest(method: "GET", url: url(s))) }
        #expect(s.connectionsAccepted == 1)
        #expect(s.requestsServed == 5)
    }

    @Test func redirectsAreNotFollowedAndTheKeyStaysHome() async throws {
        let elsewhere = Recorder()
        let other = try server { r in
            elsewhere.record(r); return SandboxResponse(status: 200)
        }
        defer { other.stop() }
        let target = "http://127.0.0.1:\(other.port)/steal"
        let s = try server { _ in SandboxResponse(status: 302, headers: [HTTPField("Location", target)]) }
        defer { s.stop() }
        for method in ["GET", "POST"] {
            let response = try await CurlTransport(timeout: 5).send(
                HTTPRequest(
                    method: method, url: url(s), headers: [("X-Octopods-Auth", "secret")],
                    body: method == "POST" ? Data("{}".utf8) : nil))
            #expect(response.status == 302)
            #expect(response.headers["location"] == target)
        }
        #expect(elsewhere.all.isEmpty)
    }

    /// libcurl gets the timeout in milliseconds (URLSession made 0.5 s into 0 s and 1.9 s into
    /// 1 s), and a response slower than it never arrives. No clock is read: on a loaded machine
    /// any bound on elapsed time is a guess.
    @Test func subSecondTimeoutIsHonoured() throws {
        #expect(CurlTransport.milliseconds(0.5) == 500)
        #expect(CurlTransport.milliseconds(1.9) == 1_900)
        #expect(CurlTransport.milliseconds(0.000_1) == 1)
        let s = try server { _ in SandboxResponse(status: 200, fault: .delay(10)) }
        defer { s.stop() }
        let result = CurlTransport.performBlocking(HTTPRequest(method: "POST", url: url(s), body: Data("{}".utf8)), timeout: 0.5)
        switch result {
        case .failure(.timedOut(let seconds)):
            #expect(seconds == 0.5)
        case .failure(.cannotConnect(let detail)):
            // A machine too busy to connect within 0.5 s: still the timeout, before sending.
            #expect(detail.contains("within"))
        default:
            Issue.record("expected a timeout, got \(result)")
        }
    }

    @Test func resetAfterTheRequestIsAmbiguous() async throws {
        let s = try server { _ in SandboxResponse(status: 200, fault: .reset) }
        defer { s.stop() }
        do {
            _ = try await CurlTransport(timeout: 5).send(HTTPRequest(method: "POST", url: url(s), body: Data("{}".utf8)))
            Issue.record("expected a failure")
        } catch {
            guard case .connectionLost = error else { Issue.record("got \(error)"); return }
            #expect(!error.certainlyNotSent)
        }
    }

    /// A port of its own that refuses connections: bound and never listening, for as long as the
    /// test runs (a stopped server's port could be handed to another test's server meanwhile).
    @Test func refusedIsCertainlyNotSent() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        #expect(bound)
        let target = try #require(URL(string: "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/"))
        do {
            _ = try await CurlTransport(timeout: 5).send(HTTPRequest(method: "POST", url: target, body: Data()))
            Issue.record("expected a failure")
        } catch {
            guard case .cannotConnect = error else { Issue.record("got \(error)"); return }
            #expect(error.certainlyNotSent)
        }
    }

    /// Cancelled once the server has the request (an event, not a guess at how long the start
    /// takes); the response would take 60 s and the timeout is 30 s, so only cancelling ends
    /// the transfer with `.cancelled`.
    @Test func cancellationStopsTheTransfer() async throws {
        let (arrived, arrival) = AsyncStream.makeStream(of: Void.self)
        let s = try server { _ in
            arrival.yield()
            return SandboxResponse(status: 200, fault: .delay(60))
        }
        defer { s.stop() }
        let task = Task { try await CurlTransport(timeout: 30).send(HTTPRequest(method: "GET", url: url(s))) }
        for await _ in arrived { break }
        task.cancel()
        let result = await task.result
        var cancelled = false
        if case .failure(let error) = result, case .cancelled? = error as? TransportError { cancelled = true }
        #expect(cancelled, "\(result)")
    }

    @Test func headerParsingKeepsTheLastBlock() {
        let raw =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Type: application/json\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n"
        #expect(CurlTransport.parseHeaders(raw) == ["content-type": "application/json", "set-cookie": "a, b"])
    }
}
