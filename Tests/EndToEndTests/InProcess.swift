import Foundation
import Testing
import OctopodsKit
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command inside the test process the way the binary runs it (`Runner` with the live
/// transport, clock and rate budget, the clean environment and private HOME `octopods(...)`
/// gives), its output captured; asserts that no key appears in it. For matrices of cases whose
/// every path a few runs of the real binary also take: starting the debug binary costs about
/// 30 ms of CPU, most of the suite's time when it is done hundreds of times. Not for what only
/// a process shows (exit by signal, Ctrl-C, the terminal, several processes sharing files).
func octopodsInProcess(
    _ arguments: [String], environment: [String: String] = [:], stdin: String = "", home: URL? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) async -> ProcessResult {
    let home = home ?? scratchDirectory()
    let out = BufferSink(), err = BufferSink()
    var ctx = Context(
        stdout: out, stderr: err, stdin: DataInput(stdin), stdoutIsTTY: false, stderrIsTTY: false, stdinIsTTY: false,
        terminalWidth: nil, environment: octopodsEnvironment(environment, home: home), homeDirectory: home,
        now: { Date() },
        sleep: { seconds in try await Task.sleep(nanoseconds: Clamp.nanoseconds(seconds)) },
        makeTransport: { CurlTransport($0) },
        readSecret: { _ in nil },  // no terminal, as for the binary with stdin on a pipe
        waitForInterrupt: {
            Issue.record("a command waited for Ctrl-C in process", sourceLocation: sourceLocation)
            return SIGINT
        })
    ctx.monotonic = { Pacer.Clock.systemMonotonic() }
    ctx.bootID = Pacer.Clock.systemBootID()
    let code = await Runner.run(arguments, ctx)
    let result = ProcessResult(status: code.rawValue, stdout: out.text, stderr: err.text)
    let secrets = secretKeys + environment.filter { $0.key.hasSuffix("API_KEY") }.map(\.value)
    for key in secrets where !key.isEmpty {
        #expect(!result.stdout.contains(key), "stdout leaks a key", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains(key), "stderr leaks a key", sourceLocation: sourceLocation)
    }
    return result
}

/// How a case of a matrix is run: in the test process (`octopodsInProcess`), or through the
/// real binary (`octopods(...)`), which a few representative cases of every matrix still take.
enum Way: String, Sendable, CustomStringConvertible {
    case inProcess, binary

    var description: String { rawValue }

    /// The first `binary` of `count` cases through the binary, the rest in process (to zip with
    /// a matrix's cases).
    static func firstThroughTheBinary(_ binary: Int, of count: Int) -> [Way] {
        Array(repeating: .binary, count: min(binary, count)) + Array(repeating: .inProcess, count: max(0, count - binary))
    }

    func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String = "", home: URL? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ProcessResult {
        switch self {
        case .inProcess:
            return await octopodsInProcess(arguments, environment: environment, stdin: stdin, home: home, sourceLocation: sourceLocation)
        case .binary:
            return try await octopods(arguments, environment: environment, stdin: stdin, home: home, sourceLocation: sourceLocation)
        }
    }
}
