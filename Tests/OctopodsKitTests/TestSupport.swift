import Foundation
import Synchronization
import Testing
import CLISupport
@testable import OctopodsKit

/// A transport that answers from a script and remembers what it was sent.
final class FakeTransport: HTTPTransport {
    typealias Answer = @Sendable (HTTPRequest) -> Result<HTTPResponse, TransportError>
    private let answer: Answer
    private let log = Mutex<[HTTPRequest]>([])

    init(_ answer: @escaping Answer) { self.answer = answer }

    /// Always the same response.
    convenience init(status: Int, json: String, headers: [String: String] = ["Content-Type": "application/json"]) {
        self.init { _ in .success(HTTPResponse(status: status, headers: headers, body: Data(json.utf8))) }
    }

    convenience init(error: TransportError) {
        self.init { _ in .failure(error) }
    }

    var requests: [HTTPRequest] { log.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        log.withLock { $0.append(request) }
        return try answer(request).get()
    }
}

/// Fails the test if anything tries the network.
struct NoNetwork: HTTPTransport {
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        Issue.record("unexpected request: \(request.method) \(request.url)")
        throw .other("no network in this test")
    }
}

let fixedNow = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21T14:13:20Z

/// Time for tests: starts at `fixedNow` and moves only when the code under test sleeps, so
/// waits and back-offs run instantly and deterministically.
final class TestClock: Sendable {
    private let current = Mutex(fixedNow)
    private let slept = Mutex<[Double]>([])
    var now: Date { current.withLock { $0 } }
    var sleeps: [Double] { slept.withLock { $0 } }
    func sleep(_ seconds: Double) {
        slept.withLock { $0.append(seconds) }
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
let testKey = "test-key-0123456789abcdef"

struct TestRun {
    var code: ExitCode
    var stdout: String
    var stderr: String
}

/// A Context for tests: canned streams and environment; a HOME in a fresh temp directory;
/// every outside-world hook not given fails loudly.
func makeContext(
    environment: [String: String] = [:], tty: Bool = false, width: Int? = nil, stdin: String = "",
    stdinIsTTY: Bool = false, transport: (any HTTPTransport)? = nil,
    secret: String? = nil, home: URL? = nil, clock: TestClock = TestClock()
) -> (Context, BufferSink, BufferSink) {
    let out = BufferSink(), err = BufferSink()
    let home = home ?? temporaryDirectory()
    let transport: any HTTPTransport = transport ?? NoNetwork()
    var ctx = Context(
        stdout: out, stderr: err, stdin: DataInput(stdin), stdoutIsTTY: tty, stderrIsTTY: tty, stdinIsTTY: stdinIsTTY,
        terminalWidth: tty ? (width ?? 80) : nil, environment: environment, homeDirectory: home,
        now: { clock.now }, sleep: { clock.sleep($0) },
        makeTransport: { _ in transport },
        readSecret: { _ in
            if secret == nil { Issue.record("unexpected prompt") }
            return secret
        },
        waitForInterrupt: { SIGINT })
    // A prompt the test did not ask for fails it (as swiftly's test context does): a test that
    // expects one sets its own (`configure`).
    ctx.confirm = { question in
        Issue.record("unexpected confirmation: \(question)")
        return false
    }
    ctx.openTerminal = { _ in
        Issue.record("unexpected terminal prompt")
        return nil
    }
    ctx.edit = { editor, path in
        Issue.record("unexpected editor: \(editor) \(path)")
        return 127
    }
    return (ctx, out, err)
}

func run(
    _ argv: [String], environment: [String: String] = ["OCTOPODS_API_KEY": testKey], tty: Bool = false,
    width: Int? = nil, stdin: String = "", stdinIsTTY: Bool = false, transport: (any HTTPTransport)? = nil,
    secret: String? = nil, home: URL? = nil, clock: TestClock = TestClock(),
    configure: (inout Context) -> Void = { _ in }
) async -> TestRun {
    var (ctx, out, err) = makeContext(
        environment: environment, tty: tty, width: width, stdin: stdin, stdinIsTTY: stdinIsTTY,
        transport: transport, secret: secret, home: home, clock: clock)
    configure(&ctx)
    let code = await Runner.run(argv, ctx)
    return TestRun(code: code, stdout: out.text, stderr: err.text)
}

func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("octopods-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Golden files live beside the tests; `UPDATE_GOLDENS=1 swift test` rewrites the ones that
/// differ and fails, so that the diff is always read (as swift-argument-parser's snapshot tests
/// do); a second run passes.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static var updating: Bool { ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1" }

    static func check(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let url = directory.appendingPathComponent(name)
        if updating, (try? String(contentsOf: url, encoding: .utf8)) != actual {
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? Data(actual.utf8).write(to: url)
            Issue.record("golden \(name) rewritten: review the diff (git diff), then run the tests again", sourceLocation: sourceLocation)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("missing golden \(name); run UPDATE_GOLDENS=1 swift test", sourceLocation: sourceLocation)
            return
        }
        #expect(
            actual == expected, "golden \(name) differs; review and run UPDATE_GOLDENS=1 swift test",
            sourceLocation: sourceLocation)
    }
}
