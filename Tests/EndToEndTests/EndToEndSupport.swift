import Foundation
import Testing
import TestSupport
import Synchronization
import OctopodsSandbox
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// The built `octopods` binary, beside the test bundle (docs/linux-notes.md, "Tests that run the binary").
let octopodsBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    .deletingLastPathComponent().appendingPathComponent("octopods")

/// Every key the tests use: no output of any run may contain one (checked in `Result`).
let secretKeys = [
    SandboxKeys.whatsapp, SandboxKeys.sms, SandboxKeys.vbm, SandboxKeys.revoked,
    SandboxKeys.whatsappNoInteractive, "not-a-real-key-but-secret-0001",
]

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the binary with a clean environment (no proxies, a private HOME) and asserts that no
/// key appears in anything it printed. The child is waited for on a GCD thread: blocking one
/// of Swift concurrency's few cooperative threads (two on two cores) for the seconds a
/// `--wait` takes would stall every other test.
@discardableResult
func octopods(
    _ arguments: [String], environment: [String: String] = [:], stdin: String = "", home: URL? = nil,
    timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> ProcessResult {
    let home = home ?? scratchDirectory()
    let result = try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(
                with: Result { try runBlocking(arguments, environment: environment, stdin: stdin, home: home, timeout: timeout) })
        }
    }
    let secrets = secretKeys + environment.filter { $0.key.hasSuffix("API_KEY") }.map(\.value)
    for key in secrets where !key.isEmpty {
        #expect(!result.stdout.contains(key), "stdout leaks a key", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains(key), "stderr leaks a key", sourceLocation: sourceLocation)
    }
    return result
}

private func runBlocking(
    _ arguments: [String], environment: [String: String], stdin: String, home: URL,
    timeout: Double
) throws -> ProcessResult {
    // posix_spawn, not Foundation's Process (docs/linux-notes.md, "Process.run over-reads /proc/self/fd").
    let result = try spawnAndWait(
        octopodsBinary.path, arguments, environment: octopodsEnvironment(environment, home: home),
        input: Data(stdin.utf8), timeout: timeout)
    return ProcessResult(
        status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self),
        stderr: String(decoding: result.stderr, as: UTF8.self))
}

/// The clean environment every run gets (no proxies, a private HOME), plus `environment`.
func octopodsEnvironment(_ environment: [String: String], home: URL) -> [String: String] {
    var env = [
        "PATH": "/usr/bin:/bin", "HOME": home.path, "NO_PROXY": "127.0.0.1,localhost",
        "SWIFT_BACKTRACE": "enable=no",
    ]
    env.merge(environment) { _, new in new }
    return env
}

/// Everything until end of file, retrying reads a signal interrupted. FileHandle's own
/// `readDataToEndOfFile` traps on EINTR (a `try!` inside Foundation), which took down whole
/// runs of the suite while many children were being started (docs/linux-notes.md).
func readToEnd(_ handle: FileHandle) -> Data {
    (try? SystemFile.readAll(handle.fileDescriptor, path: "pipe")) ?? Data()
}

/// Started, not waited for: for tests that signal it or look at it while it runs. stdin is
/// /dev/null and stdout is discarded; stderr too unless a pipe is given.
func startOctopods(_ arguments: [String], environment: [String: String], home: URL, stderr: Pipe? = nil) throws -> Child {
    let child = try Child(
        octopodsBinary.path, arguments, environment: octopodsEnvironment(environment, home: home),
        stderr: stderr?.fileHandleForWriting.fileDescriptor)
    try stderr?.fileHandleForWriting.close()
    return child
}

/// Started with these descriptors as its stdin, stdout and stderr (a terminal, a pipe).
func startOctopods(
    _ arguments: [String], environment: [String: String], home: URL,
    stdin: Int32?, stdout: Int32?, stderr: Int32?
) throws -> Child {
    try Child(
        octopodsBinary.path, arguments, environment: octopodsEnvironment(environment, home: home),
        stdin: stdin, stdout: stdout, stderr: stderr)
}

func scratchDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("octopods-e2e-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Seeds for random test inputs: fresh each run (more cases over time), or the one in
/// `OCTOPODS_TEST_SEED` to replay a failure whose message printed it.
enum TestSeed {
    static func make() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["OCTOPODS_TEST_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 1...UInt64.max)
    }
}

/// A clock the test moves: the sandbox's statuses advance when the test says, not when a
/// sleep guesses enough time has passed.
final class TestClock: Sendable {
    private let current = Mutex(Date())
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A sandbox on an ephemeral loopback port, in this process, for the binary to talk to.
final class TestSandbox: Sendable {
    let api: SandboxAPI
    let server: SandboxServer

    /// `clock`: the sandbox's time; the real one when nil.
    init(
        rateLimit: SandboxRateLimit? = nil, cooldown: Double = 300, stageInterval: Double = 2, slowResponseDelay: Double = 40,
        clock: TestClock? = nil, seedMessages: Bool = false, statusMemory: Int? = nil
    ) throws {
        var now: @Sendable () -> Date = { Date() }
        if let clock { now = { clock.now } }
        var options = SandboxOptions(
            rateLimit: rateLimit, cooldown: cooldown, stageInterval: stageInterval,
            slowResponseDelay: slowResponseDelay, now: now, seedMessages: seedMessages)
        options.statusMemory = statusMemory
        api = try SandboxAPI(options: options)
        let api = self.api
        server = try SandboxServer(port: 0, handler: { api.handle($0) })
        server.start()
    }

    deinit { server.stop() }

    var url: String { "http://127.0.0.1:\(server.port)" }

    /// The environment a user would set to point the CLI here.
    var environment: [String: String] {
        [
            "OCTOPODS_BASE_URL": url, "OCTOPODS_WHATSAPP_API_KEY": SandboxKeys.whatsapp,
            "OCTOPODS_SMS_API_KEY": SandboxKeys.sms, "OCTOPODS_VBM_API_KEY": SandboxKeys.vbm,
        ]
    }

    /// The POSTs the sandbox received, in order.
    var posts: [SandboxLoggedRequest] { api.recordedRequests().filter { $0.method == "POST" } }

    /// Sends a message directly through the sandbox (the send commands come with their own issue).
    func sendDirectly(path: String, key: String, body: String) -> String? {
        let response = api.handle(
            SandboxRequest(
                method: "POST", target: path,
                headers: [HTTPField("X-Octopods-Auth", key), HTTPField("Content-Type", "application/json")],
                body: Data(body.utf8)))
        guard let json = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else { return nil }
        return (json["message_id"] as? Int).map(String.init)
    }
}

/// A port nothing listens on: bind an ephemeral one, then close it.
/// A loopback port that refuses connections for as long as this value lives: a socket bound to
/// it that never listens. (Closing a server and reusing its number raced with the other servers
/// of a busy test run, which could be handed the same port.)
final class RefusingPort: Sendable {
    let port: UInt16
    private let fd: Int32

    init() throws {
        (fd, port) = try bindLoopback(listening: false)
    }

    deinit { close(fd) }
}

/// A TCP socket bound to a free port on 127.0.0.1, listening or not (a bound socket that never
/// listens refuses connections): its descriptor and port.
func bindLoopback(listening: Bool) throws -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard bound == 0, named == 0, !listening || listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
    return (fd, UInt16(bigEndian: address.sin_port))
}

/// A CSV of `rows` phone numbers from `first` in `dir`, with columns 1 and 2 for a template's
/// placeholders unless `placeholders` is false (an SMS); its path.
func phoneCSV(_ name: String, rows: Int, first: Int, in dir: URL, placeholders: Bool = true) -> String {
    var text = placeholders ? "phone,1,2\n" : "phone\n"
    for i in first..<(first + rows) { text += "+1415555\(String(i + 1000))" + (placeholders ? ",N\(i),A-\(i)\n" : "\n") }
    let url = dir.appendingPathComponent(name)
    try? Data(text.utf8).write(to: url)
    return url.path
}

/// The 429s the sandbox answered.
func tooManyRequests(_ sandbox: TestSandbox) -> Int { sandbox.api.recordedRequests().filter { $0.status == 429 }.count }

/// The numbers the sandbox accepted a send to, in order.
func acceptedPhones(_ sandbox: TestSandbox) -> [String] {
    sandbox.posts.filter { $0.status == 201 }.compactMap { $0.body["destination_phone"]?.stringValue }
}

/// Waits for `process` off the cooperative pool; its exit status.
func exitStatus(_ process: Child) async -> Int32 {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            process.waitUntilExit(); continuation.resume(returning: process.terminationStatus)
        }
    }
}
