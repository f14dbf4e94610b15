import Foundation
import Testing
import TestSupport
@testable import OctopodsSandbox

/// A comparable digest of a parse result, so the tables can state expectations plainly.
enum ParseOutcome: Equatable, CustomStringConvertible {
    case incomplete
    case request(method: String, target: String, body: String, consumed: Int)
    case failure(Int)

    init(_ result: HTTPParseResult) {
        switch result {
        case .incomplete: self = .incomplete
        case .request(let request, let consumed):
            self = .request(
                method: request.method, target: request.target,
                body: String(decoding: request.body, as: UTF8.self), consumed: consumed)
        case .failure(let status, _): self = .failure(status)
        }
    }

    var description: String {
        switch self {
        case .incomplete: "incomplete"
        case .request(let method, let target, let body, let consumed):
            "\(method) \(target) body=\(body.debugDescription) consumed=\(consumed)"
        case .failure(let status): "failure \(status)"
        }
    }
}

private func parse(_ text: String, _ limits: HTTPRequestParser.Limits = .init()) -> ParseOutcome {
    ParseOutcome(HTTPRequestParser.parse(Array(text.utf8), limits: limits))
}

private func head(_ text: String) -> HTTPRequestHead? {
    if case .head(let head) = HTTPRequestParser.parseHead(Array(text.utf8)) { return head }
    return nil
}

@Suite struct HTTPRequestParserTests {
    // MARK: Good requests

    static let good: [(String, ParseOutcome)] = [
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", .request(method: "GET", target: "/", body: "", consumed: 27)),
        (
            "GET /api/v1/whatsapp/templates?status=accepted HTTP/1.1\r\nHost: a\r\n\r\n",
            .request(method: "GET", target: "/api/v1/whatsapp/templates?status=accepted", body: "", consumed: 68)
        ),
        ("GET / HTTP/1.0\r\n\r\n", .request(method: "GET", target: "/", body: "", consumed: 18)),
        ("POST /m HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", .request(method: "POST", target: "/m", body: "hello", consumed: 44)),
        // bare LF line endings are tolerated
        ("POST /m HTTP/1.1\nContent-Length: 2\n\nhi", .request(method: "POST", target: "/m", body: "hi", consumed: 38)),
        // leading empty lines before the request line are skipped
        ("\r\n\nGET / HTTP/1.1\r\n\r\n", .request(method: "GET", target: "/", body: "", consumed: 21)),
        // identical repeated Content-Length values are one value
        (
            "PUT /x HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 003\r\n\r\nabc",
            .request(method: "PUT", target: "/x", body: "abc", consumed: 62)
        ),
        ("PUT /x HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc", .request(method: "PUT", target: "/x", body: "abc", consumed: 44)),
        ("DELETE /x/1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n", .request(method: "DELETE", target: "/x/1", body: "", consumed: 43)),
        // any token is a method; obs-text in a value is accepted
        ("M-SEARCH /%20a HTTP/1.1\r\nX-Y:  v\u{e9}  \r\n\r\n", .request(method: "M-SEARCH", target: "/%20a", body: "", consumed: 40)),
        // extra bytes after the body are left for the next request
        ("POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nxGET", .request(method: "POST", target: "/", body: "x", consumed: 39)),
    ]

    @Test(arguments: good)
    func goodRequests(_ input: String, _ expected: ParseOutcome) {
        #expect(parse(input) == expected, "\(input.debugDescription)")
    }

    @Test func headersAreParsedAndTrimmed() throws {
        let result = HTTPRequestParser.parse(Array("GET / HTTP/1.1\r\nHost: example\r\nX-Octopods-Auth: \t key \r\nEmpty:\r\n\r\n".utf8))
        guard case .request(let request, _) = result else { Issue.record("not a request: \(result)"); return }
        #expect(request.headers == [HTTPField("Host", "example"), HTTPField("X-Octopods-Auth", "key"), HTTPField("Empty", "")])
        #expect(request.header("x-octopods-auth") == "key")
    }

    @Test func keepAliveAndExpectFlags() throws {
        let cases: [(String, Bool, Bool)] = [
            ("GET / HTTP/1.1\r\n\r\n", true, false),
            ("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false, false),
            ("GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false, false),
            ("GET / HTTP/1.0\r\n\r\n", false, false),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, false),
            ("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n", true, true),
            // HTTP/1.0 clients cannot take a 100 response: ignored (RFC 9110 §10.1.1)
            ("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", false, false),
        ]
        for (input, keepAlive, expects) in cases {
            let parsed = try #require(head(input), "\(input.debugDescription)")
            #expect(parsed.keepAlive == keepAlive, "\(input.debugDescription)")
            #expect(parsed.expectsContinue == expects, "\(input.debugDescription)")
        }
        let post = try #require(head("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"))
        #expect(post.contentLength == 4)
        #expect(post.headerBytes == 60)
        #expect(post.totalBytes == 64)
    }

    @Test func nameMatchingIsASCIICaseInsensitive() {
        #expect(HTTPRequestParser.nameMatches("Content-Length", lowercased: "content-length"))
        #expect(HTTPRequestParser.nameMatches("CONNECTION", lowercased: "connection"))
        #expect(!HTTPRequestParser.nameMatches("Connectio", lowercased: "connection"))
        #expect(!HTTPRequestParser.nameMatches("Connections", lowercased: "connection"))
        #expect(!HTTPRequestParser.nameMatches("", lowercased: "date"))
        #expect(HTTPRequestParser.nameMatches("", lowercased: ""))
    }

    // MARK: Failures

    static let failures: [(String, Int)] = [
        // request line
        ("GET\r\n\r\n", 400),
        ("GET /\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1 extra\r\n\r\n", 400),
        ("GET http://example.com/ HTTP/1.1\r\n\r\n", 400),
        ("OPTIONS * HTTP/1.1\r\n\r\n", 400),
        ("GET /a\u{7}b HTTP/1.1\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1 \r\n\r\n", 400),
        ("GET / http/1.1\r\n\r\n", 400),
        ("GET / HTTP/11\r\n\r\n", 400),
        ("GET / HTTP/1.10\r\n\r\n", 400),
        ("\u{16}\u{3}\u{1}\u{2}\u{0}\u{1}\n", 400),  // a TLS ClientHello start
        ("\r\rGET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\n\r\n", 505),
        ("GET / HTTP/0.9\r\n\r\n", 505),
        ("GET / HTTP/1.2\r\n\r\n", 505),
        // header lines
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\tfolded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nX-A: a\u{0}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nX(A: b\r\n\r\n", 400),
        // Content-Length
        ("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\nabcd", 400),
        ("POST / HTTP/1.1\r\nContent-Length: 3,\r\n\r\nabc", 400),
        // bodies
        ("POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411),
        ("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
    ]

    @Test(arguments: failures)
    func failureStatuses(_ input: String, _ status: Int) {
        #expect(parse(input) == .failure(status), "\(input.debugDescription)")
    }

    @Test func oversizeHeadersGive431() {
        let limits = HTTPRequestParser.Limits(maxHeaderBytes: 100, maxBodyBytes: 10)
        let big = "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 200) + "\r\n\r\n"
        #expect(parse(big, limits) == .failure(431))
        // Without any line end, 431 as soon as the buffer reaches the limit, not before.
        #expect(parse(String(repeating: "a", count: 99), limits) == .incomplete)
        #expect(parse(String(repeating: "a", count: 100), limits) == .failure(431))
        // A head of exactly the limit is fine; one byte more is not.
        let exact = "GET / HTTP/1.1\r\nX: " + String(repeating: "b", count: 100 - 23) + "\r\n\r\n"
        #expect(exact.utf8.count == 100)
        #expect(parse(exact, limits) == .request(method: "GET", target: "/", body: "", consumed: 100))
        let over = "GET / HTTP/1.1\r\nX: " + String(repeating: "b", count: 101 - 23) + "\r\n\r\n"
        #expect(parse(over, limits) == .failure(431))
        // The body limit is separate from the header limit.
        #expect(
            parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", limits)
                == .request(method: "POST", target: "/", body: "0123456789", consumed: 49))
        #expect(parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits) == .failure(413))
    }

    // MARK: Incremental feeding

    @Test func incompleteUntilTheLastByte() {
        let inputs = [
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /m HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
            "POST /m HTTP/1.1\nContent-Length: 2\n\nhi",
            "\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ]
        for input in inputs {
            let bytes = Array(input.utf8)
            let whole = ParseOutcome(HTTPRequestParser.parse(bytes))
            for length in 0..<bytes.count {
                let partial = ParseOutcome(HTTPRequestParser.parse(Array(bytes[0..<length])))
                #expect(partial == .incomplete, "\(input.debugDescription) cut at \(length)")
            }
            #expect(whole != .incomplete)
            if case .request(_, _, _, let consumed) = whole { #expect(consumed == bytes.count) }
        }
    }

    /// Fed byte by byte, a bad request is either still incomplete or fails with the same
    /// status as when fed whole: never a different answer, never a request.
    @Test(arguments: failures)
    func failuresAreStableWhenFedByteByByte(_ input: String, _ status: Int) {
        let bytes = Array(input.utf8)
        var failedAt: Int?
        for length in 0...bytes.count {
            let outcome = ParseOutcome(HTTPRequestParser.parse(Array(bytes[0..<length])))
            switch outcome {
            case .incomplete:
                #expect(failedAt == nil, "\(input.debugDescription) became incomplete again at \(length)")
            case .failure(let got):
                #expect(got == status, "\(input.debugDescription) at \(length)")
                if failedAt == nil { failedAt = length }
            case .request:
                Issue.record("\(input.debugDescription) parsed as a request at \(length)")
            }
        }
        #expect(failedAt != nil)
    }

    // MARK: Pipelining

    static let pipelined: [(String, String)] = [
        ("GET /1 HTTP/1.1\r\n\r\n", "GET /2 HTTP/1.1\r\n\r\n"),
        ("POST /1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "POST /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nde"),
        ("POST /1 HTTP/1.1\nContent-Length: 1\n\nx", "GET /2 HTTP/1.0\n\n"),
        ("GET /1 HTTP/1.1\r\n\r\n", "GET /2 HTTP/1.1\r\nHost: a\r\n"),  // second one incomplete
    ]

    @Test(arguments: pipelined)
    func pipelinedPairs(_ first: String, _ second: String) {
        var buffer = Array((first + second).utf8)
        guard case .request(let one, let consumed) = HTTPRequestParser.parse(buffer) else {
            Issue.record("first request not parsed"); return
        }
        #expect(one.target == "/1")
        #expect(consumed == first.utf8.count)
        buffer.removeFirst(consumed)
        #expect(buffer == Array(second.utf8))
        let rest = HTTPRequestParser.parse(buffer)
        if second.hasSuffix("\n\n") || second.hasSuffix("\r\n\r\n") || second.hasSuffix("de") {
            guard case .request(let two, let consumedTwo) = rest else { Issue.record("second: \(rest)"); return }
            #expect(two.target == "/2")
            #expect(consumedTwo == second.utf8.count)
        } else {
            #expect(ParseOutcome(rest) == .incomplete)
        }
    }

    // MARK: Robustness

    /// Seeded random and mutated inputs: the parser must never trap, and a request it
    /// accepts must stay within the buffer and the limits.
    @Test func randomInputsNeverTrap() {
        var rng = SeededGenerator(seed: 0x0C70_D0D5)
        let seeds = Self.good.map(\.0) + Self.failures.map(\.0)
        let limits = HTTPRequestParser.Limits(maxHeaderBytes: 512, maxBodyBytes: 64)
        let alphabet = Array("GETPOST /HTTP1.0:\r\n \t,-Content-LengthTransfer-Encoding0123456789".utf8) + [0, 0x7F, 0xFF]
        var wrong: [String] = []
        // Six thousand rounds: the libFuzzer target (Tests/Fuzz/corpus/http-request, replayed by
        // FuzzReplayTests) is where long fuzzing happens; this is the quick seeded net.
        for round in 0..<6_000 {
            var bytes: [UInt8]
            if round % 2 == 0, let seed = seeds.randomElement(using: &rng) {
                bytes = Array(seed.utf8)
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                    let index = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[index] = alphabet.randomElement(using: &rng) ?? 0
                    case 1: bytes.remove(at: index)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                    }
                }
            } else {
                bytes = (0..<Int.random(in: 0...600, using: &rng)).map { _ in
                    Bool.random(using: &rng) ? (alphabet.randomElement(using: &rng) ?? 0) : UInt8.random(in: 0...255, using: &rng)
                }
            }
            switch HTTPRequestParser.parse(bytes, limits: limits) {
            case .incomplete:
                break
            case .request(let request, let consumed):
                if !(consumed <= bytes.count && consumed > 0) { wrong.append("round \(round): consumed \(consumed) of \(bytes.count)") }
                if request.body.count > limits.maxBodyBytes { wrong.append("round \(round): a body of \(request.body.count)") }
                if !request.target.hasPrefix("/") { wrong.append("round \(round): target \(request.target)") }
            case .failure(let status, let reason):
                if ![400, 411, 413, 431, 505].contains(status) || reason.isEmpty { wrong.append("round \(round): \(status) '\(reason)'") }
            }
        }
        // Collected, not expected one by one: thousands of #expect calls would be most of the time.
        #expect(wrong.isEmpty, "\(wrong.prefix(20))")
    }
}
