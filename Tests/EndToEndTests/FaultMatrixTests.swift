import Foundation
import Testing
import Synchronization
import OctopodsSandbox
#if canImport(Glibc)
import Glibc
#endif

/// Every way the API (or the network) can misbehave, against every GET and every POST command
/// (all of them in process, each fault and each command also through the real binary; see
/// `Way`): the contract's exit code, a clear message, no crash, no automatic resend
/// of a POST after an ambiguous failure, and the key in no output and in no request to another
/// origin; and the disposition on the JSON error line (-o json) says what the fault means for
/// the message. The misbehaving server is a loopback server of the test's own.
@Suite struct FaultMatrixTests {
    enum Fault: String, CaseIterable, Sendable {
        /// `unreadableJSON` and `emptyBody` answer 201 to a POST (created, whatever the body); the
        /// `…200` variants answer 200, which says nothing about the outcome.
        case http500, html502, unreadableJSON, emptyBody, unreadableJSON200, emptyBody200, slowerThanTimeout,
            resetBeforeRequest, resetAfterRequest, redirectElsewhere, rateLimited, unauthorized, forbidden, refused
    }

    struct Command: Sendable, CustomStringConvertible {
        var arguments: [String]
        var isPost: Bool
        var description: String { arguments.prefix(2).joined(separator: " ") }
    }

    static let gets = [
        Command(arguments: ["templates", "list"], isPost: false),
        Command(arguments: ["templates", "get", "1001", "--channel", "vbm"], isPost: false),
        Command(arguments: ["status", "100001", "--channel", "sms"], isPost: false),
        Command(arguments: ["messages", "list"], isPost: false),
    ]
    static let posts = [
        Command(arguments: ["send", "template", "1001", "--no-verify", "--to", "+14155552671", "--var", "1=a"], isPost: true),
        Command(arguments: ["send", "interactive", "--to", "+14155552671", "--body", "Pick", "--button", "y:Yes"], isPost: true),
        Command(arguments: ["sms", "send", "--to", "+14155552671", "--body", "hello"], isPost: true),
        Command(arguments: ["vbm", "send", "2002", "--no-verify", "--to", "+14155552671", "--var", "1=a"], isPost: true),
    ]

    /// The wire a case runs over: plain HTTP, or HTTPS through a TLS front of the test CA
    /// (Tests/HTTPS/tls_lab.py) with the binary loading `Libcurl` (in process: the system's).
    enum Wire: Sendable, CustomStringConvertible {
        case http
        case https(Libcurl)

        var description: String {
            switch self {
            case .http: return "http"
            case .https(let libcurl): return "https, libcurl \(libcurl)"
            }
        }

        var scheme: String {
            if case .https = self { return "https" }
            return "http"
        }
    }

    /// The exit code the contract gives, and words the message must contain.
    static func expected(_ fault: Fault, post: Bool, wire: Wire = .http) -> (codes: Set<Int32>, says: String) {
        let ambiguous: Int32 = post ? 5 : 4
        if case .https = wire {
            switch fault {
            // Reset at accept: the connection or the handshake never completed (which of the two is a
            // race): certainly not sent, where over plain HTTP a POST may be either.
            case .resetBeforeRequest: return ([4], "https://127.0.0.1")
            case .slowerThanTimeout: return ([ambiguous], "no response from https://127.0.0.1")
            case .resetAfterRequest: return ([ambiguous], "connection to https://127.0.0.1")
            case .refused: return ([4], "could not connect to https://127.0.0.1")
            default: break
            }
        }
        switch fault {
        case .http500: return ([ambiguous], "HTTP 500")
        case .html502: return ([ambiguous], "HTTP 502")
        // A 201 is an accepted send (cli-contract amendment): exit 0, a warning that the id is unknown.
        case .unreadableJSON:
            return (
                post ? [0] : [4], post ? "warning: the API answered 201 Created with a body that could not be read" : "could not be read"
            )
        case .emptyBody: return (post ? [0] : [4], "the body is empty")
        case .unreadableJSON200: return ([ambiguous], "could not be read")
        case .emptyBody200: return ([ambiguous], "the body is empty")
        case .slowerThanTimeout: return ([ambiguous], "no response from http://127.0.0.1")
        // Reset at accept: whether the request bytes had left is a race, so a POST may be either.
        case .resetBeforeRequest: return (post ? [4, 5] : [4], "connect")
        case .resetAfterRequest: return ([ambiguous], "connection to http://127.0.0.1")
        // A redirect answering a send: the whole request reached a server (docs/linux-notes.md, "Was it sent?").
        case .redirectElsewhere: return (post ? [5] : [3], "redirect")
        case .rateLimited: return ([4], "rate limited until")
        case .unauthorized: return ([3], "unauthorized")
        case .forbidden: return ([3], "forbidden (403)")
        case .refused: return ([4], "could not connect to http://127.0.0.1")
        }
    }

    /// The disposition for an exit code (nil: no error line, the send was accepted).
    static func disposition(exit: Int32) -> String? {
        switch exit {
        case 0: return nil
        case 1: return "refused"
        case 5: return "outcome_unknown"
        case 6: return "sent_unconfirmed"
        case 130: return "interrupted"
        default: return "not_sent"
        }
    }

    /// The `disposition` of the JSON error line on stderr (-o json), if there is one.
    static func disposition(inStderr stderr: String) -> String? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("{\"error\"") }),
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let error = object["error"] as? [String: Any]
        else { return nil }
        return error["disposition"] as? String
    }

    static let key = "not-a-real-key-but-secret-0001"

    // How a case is run (`Way`): the whole matrix in the test process (the same `Runner`,
    // libcurl and loopback servers, without starting a process per case), and a selection of
    // it through the real binary, so that every fault and every command also goes through the
    // process: its exit status, its stderr, its environment.

    /// Every fault against every command, in process.
    @Test(arguments: Fault.allCases, gets + posts)
    func fault(_ fault: Fault, _ command: Command) async throws {
        try await Self.check(fault, command, .inProcess)
    }

    /// Every fault through the binary, with a GET and a POST command: the commands taken in
    /// turn, so that each of them meets several faults.
    @Test(arguments: Fault.allCases)
    func faultThroughTheBinary(_ fault: Fault) async throws {
        let index = Fault.allCases.firstIndex(of: fault) ?? 0
        try await Self.check(fault, Self.gets[index % Self.gets.count], .binary)
        try await Self.check(fault, Self.posts[index % Self.posts.count], .binary)
    }

    /// The base URL and environment that reach `api` over `wire`.
    static func reach(_ api: FaultyAPI, over wire: Wire) throws -> (url: String, environment: [String: String])? {
        guard case .https(let libcurl) = wire else { return (api.url, [:]) }
        guard let libraries = try libcurl.environment() else { return nil }
        let lab = try TLSLab.get()
        // No TLS front where there is no HTTP server: the handshake meets the refusal or reset itself.
        let port = api.counting == nil ? api.port : try lab.front(api.port)
        return ("https://127.0.0.1:\(port)", lab.trust.merging(libraries) { a, _ in a })
    }

    static func check(_ fault: Fault, _ command: Command, _ way: Way, wire: Wire = .http) async throws {
        let elsewhere = try Counting { _ in SandboxResponse(status: 200, body: Data("{}".utf8)) }
        let api = try FaultyAPI(fault, redirectTo: "\(wire.scheme)://127.0.0.1:\(elsewhere.server.port)/steal")
        defer { api.stop(); elsewhere.stop() }
        guard let (url, extra) = try reach(api, over: wire) else { return }
        let environment = ["OCTOPODS_BASE_URL": url, "OCTOPODS_API_KEY": Self.key].merging(extra) { a, _ in a }
        let r = try await way.run(command.arguments + ["--timeout", "1s", "-o", "json"], environment: environment)
        let (codes, says) = Self.expected(fault, post: command.isPost, wire: wire)
        #expect(codes.contains(r.status), "\(fault) \(command) \(way) \(wire): exit \(r.status)\n\(r.stderr)")
        #expect(r.stderr.hasPrefix(r.status == 0 ? "warning: " : "error: "), "\(way) \(wire): \(r.stderr)")
        #expect(r.stderr.contains(says), "\(fault) \(command) \(way) \(wire): \(r.stderr)")
        #expect(Self.disposition(inStderr: r.stderr) == Self.disposition(exit: r.status), "\(fault) \(command) \(way): \(r.stderr)")
        if !command.isPost {
            #expect(Self.disposition(inStderr: r.stderr) == "not_sent", "a read-only command sends nothing: \(fault) \(command) \(way)")
        }
        // stdout carries a result only when the send was accepted; otherwise exactly nothing.
        #expect(r.stdout.isEmpty == (r.status != 0), "stdout carries a result only when the send was accepted: \(r.stdout)")
        if r.status != 0 { #expect(r.stdout == "", "\(fault) \(command) \(way)") }
        #expect(r.stdout.hasPrefix("{\"error\"") == false)
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace"))
        if command.isPost, fault != .refused {
            #expect(api.requests == 1, "\(fault) \(command) \(way) \(wire): a POST went out \(api.requests) times")
        }
        #expect(elsewhere.requests == 0, "nothing, and so no key, reaches another origin")
        if [.http500, .unreadableJSON200, .emptyBody200, .slowerThanTimeout, .resetAfterRequest, .redirectElsewhere].contains(fault),
            command.isPost
        {
            #expect(r.stderr.contains("may have been processed"), "\(way): \(r.stderr)")
        }
    }

    /// Every fault over HTTPS, with a GET and a POST command, in process (the system's libcurl).
    @Test(arguments: Fault.allCases)
    func faultOverHTTPS(_ fault: Fault) async throws {
        let index = Fault.allCases.firstIndex(of: fault) ?? 0
        try await Self.check(fault, Self.gets[index % Self.gets.count], .inProcess, wire: .https(.system))
        try await Self.check(fault, Self.posts[index % Self.posts.count], .inProcess, wire: .https(.system))
    }

    /// Every fault with a POST command through the binary, over HTTPS with both libcurls and over
    /// plain HTTP with the current one: exactly one POST, and the right disposition.
    @Test(arguments: Fault.allCases, [Wire.https(.system), .https(.current), .http])
    func faultOnEveryWireThroughTheBinary(_ fault: Fault, _ wire: Wire) async throws {
        let index = Fault.allCases.firstIndex(of: fault) ?? 0
        if case .http = wire {
            // Plain HTTP with the system's libcurl is `faultThroughTheBinary`; here, the current one.
            guard let libraries = try Libcurl.current.environment() else { return }
            try await Self.checkWithLibraries(fault, Self.posts[(index + 1) % Self.posts.count], libraries)
            return
        }
        try await Self.check(fault, Self.posts[(index + 1) % Self.posts.count], .binary, wire: wire)
    }

    /// Plain HTTP through the binary with other libraries on LD_LIBRARY_PATH.
    static func checkWithLibraries(_ fault: Fault, _ command: Command, _ libraries: [String: String]) async throws {
        let api = try FaultyAPI(fault, redirectTo: "http://127.0.0.1:1/steal")
        defer { api.stop() }
        let environment = ["OCTOPODS_BASE_URL": api.url, "OCTOPODS_API_KEY": Self.key].merging(libraries) { a, _ in a }
        let r = try await octopods(command.arguments + ["--timeout", "1s", "-o", "json"], environment: environment)
        let (codes, says) = Self.expected(fault, post: command.isPost)
        #expect(codes.contains(r.status), "\(fault) \(command) current libcurl: exit \(r.status)\n\(r.stderr)")
        #expect(r.stderr.contains(says), "\(fault) \(command) current libcurl: \(r.stderr)")
        #expect(Self.disposition(inStderr: r.stderr) == Self.disposition(exit: r.status), "\(fault): \(r.stderr)")
        if fault != .refused { #expect(api.requests == 1, "\(fault) \(command): a POST went out \(api.requests) times") }
    }

    /// The faults that reach each layer once through the binary: an HTTP error, a 2xx with an
    /// unreadable body, a connection cut after the request, and no connection at all.
    static let representative: [Fault] = [.http500, .unreadableJSON, .resetAfterRequest, .refused]

    /// `octopods api` follows the same contract, GET and POST; a 2xx it passes through as it
    /// came (an unreadable or empty body is the API's answer, printed as is, exit 0).
    @Test(arguments: Fault.allCases, [false, true])
    func apiCommand(_ fault: Fault, _ post: Bool) async throws {
        try await Self.checkAPICommand(fault, post, .inProcess)
    }

    @Test(arguments: representative, [false, true])
    func apiCommandThroughTheBinary(_ fault: Fault, _ post: Bool) async throws {
        try await Self.checkAPICommand(fault, post, .binary)
    }

    static func checkAPICommand(_ fault: Fault, _ post: Bool, _ way: Way) async throws {
        let elsewhere = try Counting { _ in SandboxResponse(status: 200, body: Data("{}".utf8)) }
        let api = try FaultyAPI(fault, redirectTo: "http://127.0.0.1:\(elsewhere.server.port)/steal")
        defer { api.stop(); elsewhere.stop() }
        let environment = ["OCTOPODS_BASE_URL": api.url, "OCTOPODS_API_KEY": Self.key]
        let arguments =
            post ? ["api", "sms/messages", "-f", "destination_phone=+14155552671", "-f", "body=x"] : ["api", "sms/messages/100001"]
        let r = try await way.run(arguments + ["--timeout", "1s"], environment: environment)
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace"))
        #expect(elsewhere.requests == 0, "nothing, and so no key, reaches another origin")
        if post, fault != .refused { #expect(api.requests == 1, "\(fault) \(way): a POST went out \(api.requests) times") }
        if [.unreadableJSON, .emptyBody, .unreadableJSON200, .emptyBody200].contains(fault) {
            #expect(r.status == 0, "\(fault) \(way): \(r.stderr)")
            return
        }
        let (codes, says) = Self.expected(fault, post: post)
        #expect(codes.contains(r.status), "\(fault) post=\(post) \(way): exit \(r.status)\n\(r.stderr)")
        #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains(says), "\(fault) post=\(post) \(way): \(r.stderr)")
    }

    /// `history refresh` is a GET command too: any failure that is not about one message stops it
    /// with the contract's code, and what it learned before stays recorded.
    @Test(arguments: Fault.allCases)
    func historyRefresh(_ fault: Fault) async throws {
        try await Self.checkHistoryRefresh(fault, .inProcess)
    }

    @Test(arguments: representative)
    func historyRefreshThroughTheBinary(_ fault: Fault) async throws {
        try await Self.checkHistoryRefresh(fault, .binary)
    }

    static func checkHistoryRefresh(_ fault: Fault, _ way: Way) async throws {
        let elsewhere = try Counting { _ in SandboxResponse(status: 200, body: Data("{}".utf8)) }
        let api = try FaultyAPI(fault, redirectTo: "http://127.0.0.1:\(elsewhere.server.port)/steal")
        defer { api.stop(); elsewhere.stop() }
        let home = scratchDirectory()
        let ledger = home.appendingPathComponent(".local/state/octopods/sandbox-history.ndjson")
        try FileManager.default.createDirectory(at: ledger.deletingLastPathComponent(), withIntermediateDirectories: true)
        let time = Date().addingTimeInterval(-60).formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true)
                .dateSeparator(.dash).timeSeparator(.colon))
        let record =
            #"{"time":"\#(time)Z","type":"send","profile":"default","channel":"sms","kind":"sms","to":"+14155552671","message_id":"100001","outcome":"accepted"}"#
        try Data((record + "\n").utf8).write(to: ledger)
        let r = try await way.run(
            ["history", "refresh", "--timeout", "1s"], environment: ["OCTOPODS_BASE_URL": api.url, "OCTOPODS_API_KEY": Self.key],
            home: home)
        let (codes, says) = Self.expected(fault, post: false)
        #expect(codes.contains(r.status), "\(fault) \(way): exit \(r.status)\n\(r.stderr)")
        #expect(r.stderr.contains("error: ") && r.stderr.contains(says), "\(fault) \(way): \(r.stderr)")
        #expect(r.stdout == "", "\(fault) \(way)")
        #expect(elsewhere.requests == 0)
        #expect(try String(contentsOf: ledger, encoding: .utf8) == record + "\n", "nothing learned, nothing recorded")
    }

    /// The sandbox's own fault numbers, end to end, must agree with the loopback server's matrix.
    /// Through the binary: an HTTP error, a cut connection, no answer in time and a 429; the others in process.
    static let sandboxFaults: [((String, Int32), Way)] = [
        (("+15550100500", 5), .binary), (("+15550100104", 5), .binary), (("+15550100408", 5), .binary), (("+15550100429", 4), .binary),
        (("+15550100502", 5), .inProcess), (("+15550100200", 0), .inProcess), (("+15550100201", 0), .inProcess),
        (("+15550100202", 0), .inProcess), (("+15550100203", 0), .inProcess),
    ]

    @Test(arguments: sandboxFaults)
    func sandboxFaultNumbers(_ fault: (phone: String, code: Int32), _ way: Way) async throws {
        let (phone, code) = fault
        let sandbox = try TestSandbox(slowResponseDelay: 3)
        let r = try await way.run(["sms", "send", "--to", phone, "--body", "x", "--timeout", "1s"], environment: sandbox.environment)
        #expect(r.status == code, "\(phone): \(r.stderr)")
        if code == 0 {
            #expect(r.stdout.hasPrefix("{") && r.stdout.hasSuffix("}\n"), "the accepted send's JSON: \(r.stdout)")
        } else {
            #expect(r.stdout == "", "\(phone)")
        }
        #expect(sandbox.posts.count == 1, "never resent")
    }
}

/// A count shared with a server's threads.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)
    func add() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// A server that counts what reaches it.
final class Counting: Sendable {
    let server: SandboxServer
    let counter = Counter()

    init(_ handler: @escaping @Sendable (SandboxRequest) -> SandboxResponse) throws {
        let counter = self.counter
        server = try SandboxServer(
            port: 0,
            handler: { request in
                counter.add()
                return handler(request)
            })
        server.start()
    }

    var requests: Int { counter.count }
    func stop() { server.stop() }
}

/// The misbehaving API: one fault for every request.
final class FaultyAPI: Sendable {
    let counting: Counting?
    let resetter: ResetAtAccept?
    let refusing: RefusingPort?
    let port: UInt16

    init(_ fault: FaultMatrixTests.Fault, redirectTo: String) throws {
        switch fault {
        case .resetBeforeRequest:
            let resetter = try ResetAtAccept()
            self.resetter = resetter; counting = nil; refusing = nil; port = resetter.port
        case .refused:
            let refusing = try RefusingPort()
            self.refusing = refusing; resetter = nil; counting = nil; port = refusing.port
        default:
            let counting = try Counting { request in FaultyAPI.respond(fault, to: request, redirectTo: redirectTo) }
            self.counting = counting; resetter = nil; refusing = nil; port = counting.server.port
        }
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var requests: Int { counting?.requests ?? resetter?.accepted ?? 0 }
    func stop() { counting?.stop(); resetter?.stop() }

    static func respond(_ fault: FaultMatrixTests.Fault, to request: SandboxRequest, redirectTo: String) -> SandboxResponse {
        let ok = request.method == "POST" ? 201 : 200
        let json = [HTTPField("Content-Type", "application/json")]
        switch fault {
        case .http500:
            return SandboxResponse(
                status: 500, headers: [HTTPField("Content-Type", "text/plain")], body: Data("Internal Server Error".utf8))
        case .html502:
            return SandboxResponse(
                status: 502, headers: [HTTPField("Content-Type", "text/html")],
                body: Data("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>".utf8))
        case .unreadableJSON:
            return SandboxResponse(status: ok, headers: json, body: Data(#"{"message_id": 123, "phone_number": "+1415"#.utf8))
        case .emptyBody: return SandboxResponse(status: ok, headers: json)
        case .unreadableJSON200:
            return SandboxResponse(status: 200, headers: json, body: Data(#"{"message_id": 123, "phone_number": "+1415"#.utf8))
        case .emptyBody200: return SandboxResponse(status: 200, headers: json)
        case .slowerThanTimeout: return SandboxResponse(status: ok, headers: json, body: Data("{}".utf8), fault: .delay(5))
        case .resetAfterRequest: return SandboxResponse(status: ok, fault: .reset)
        case .redirectElsewhere: return SandboxResponse(status: 302, headers: [HTTPField("Location", redirectTo)])
        case .rateLimited:
            // The documented body (docs/api-notes.md, "Rate limit"), five minutes ahead.
            let at = Date().addingTimeInterval(300).formatted(
                Date.ISO8601FormatStyle(
                    dateSeparator: .dash, dateTimeSeparator: .space,
                    timeZone: TimeZone(identifier: "UTC") ?? .current))
            return SandboxResponse(
                status: 429, headers: json,
                body: Data(#"{"message": "You have fired too many requests. Please try after \#(at.dropLast()) UTC."}"#.utf8))
        case .unauthorized: return SandboxResponse(status: 401, headers: json, body: Data(#"{"error": "Unauthorized"}"#.utf8))
        case .forbidden: return SandboxResponse(status: 403, headers: json, body: Data(#"{"error": "Forbidden"}"#.utf8))
        case .resetBeforeRequest, .refused: return SandboxResponse(status: 500)
        }
    }
}

/// Accepts each connection and resets it at once (SO_LINGER 0), before reading a byte.
final class ResetAtAccept: Sendable {
    let fd: Int32
    let port: UInt16
    let counter = Counter()

    init() throws {
        let (fd, port) = try bindLoopback(listening: true)
        self.fd = fd
        self.port = port
        let counter = self.counter
        Thread.detachNewThread {
            while !counter.stopped.load(ordering: .relaxed) {
                let client = accept(fd, nil, nil)
                if client < 0 { if counter.stopped.load(ordering: .relaxed) { return }; continue }
                counter.add()
                var option = linger(l_onoff: 1, l_linger: 0)
                _ = setsockopt(client, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
                close(client)
            }
        }
    }

    var accepted: Int { counter.count }

    func stop() {
        counter.stopped.store(true, ordering: .relaxed)
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
