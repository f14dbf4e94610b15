#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport

/// Somewhere text goes: the terminal, a pipe, or a test's buffer.
package protocol TextSink: Sendable {
    func write(_ text: String)
}

/// Standard input: a terminal, a pipe, a file, or a test's canned bytes.
package protocol InputSource: Sendable {
    func readAll() throws -> Data
}

/// Everything a command may touch in the outside world, plus the parsed global options.
/// Commands never reach for globals (`FileHandle.standardOutput`, `ProcessInfo`) directly,
/// so a test builds a Context and sees exactly what a run would do.
package struct Context: Sendable {
    package var stdout: any TextSink
    package var stderr: any TextSink
    package var stdin: any InputSource
    package var stdoutIsTTY: Bool
    package var stderrIsTTY: Bool
    package var stdinIsTTY: Bool
    /// Columns of the terminal stdout is on; nil when it is not a terminal.
    package var terminalWidth: Int?
    package var environment: [String: String]
    package var homeDirectory: URL
    package var now: @Sendable () -> Date
    package var sleep: @Sendable (Double) async throws -> Void
    /// Makes the HTTP transport; called once per run, with the run's timeout and trust store.
    package var makeTransport: @Sendable (TransportOptions) -> any HTTPTransport
    /// Prompts on the terminal without echo; nil when there is no terminal or on EOF.
    package var readSecret: @Sendable (_ prompt: String) -> String?
    /// Suspends until SIGINT or SIGTERM arrives; returns the signal number.
    package var waitForInterrupt: @Sendable () async -> Int32
    /// Whether SIGINT or SIGTERM has arrived.
    package var isInterrupted: @Sendable () -> Bool = { false }
    /// From now on the first Ctrl-C only marks the run interrupted instead of cancelling it, so
    /// a bulk send can let its in-flight requests finish and write its journal.
    package var takeOverInterrupts: @Sendable () -> Void = {}
    /// Asks a yes/no question on the terminal; false when there is no terminal to ask on.
    package var confirm: @Sendable (_ question: String) -> Bool = { _ in false }
    /// Opens the terminal for prompting (raw mode, or lines when `dumb`); nil when stdin and
    /// stderr are not both a terminal.
    package var openTerminal: @Sendable (_ dumb: Bool) -> PromptTerminal? = { _ in nil }
    /// Runs an editor command (`$VISUAL`/`$EDITOR`, through sh) on a file, on this terminal; its exit status.
    package var edit: @Sendable (_ editor: String, _ path: String) -> Int32 = { _, _ in 127 }
    /// Options accepted before or after any command (filled in by the runner).
    package var globals = GlobalOptions()
    /// The sandbox started for this run by --sandbox.
    package var sandbox: EmbeddedSandbox?
    /// Seconds on the machine's monotonic clock (shared by every process, never set by anyone),
    /// for the shared rate budget; nil: derived from `now` (tests with a virtual clock).
    package var monotonic: (@Sendable () -> Double)?
    /// Changes at each reboot (the monotonic clock restarts); see `RateBudget`.
    package var bootID = ""
    /// This run's side of the shared rate budgets, one per key (`Pacer`).
    package var rateBudgets = RateBudgets()
    /// Whether this run's trace has described the transport (every client of the run shares it).
    package var transportTraced = OnceFlag()
    /// This run's connections to a state store in Redis, one per address.
    package var redisClients = RedisClients()
    /// The run's output format, resolved once by the runner (`OutputFormat.resolve`) before the
    /// command runs; every command reads it here.
    package var format = OutputFormat.json
    /// Whether `-o`, `--json` or OCTOPODS_OUTPUT chose `format` (rather than the terminal).
    package var formatChosen = false
    /// This run's settings, resolved on first use (`resolvedSettings`).
    package var settingsOnce = SettingsOnce()
    /// When this run started: `--max-wait` counts from here.
    package var startedAt: Date

    package init(
        stdout: any TextSink, stderr: any TextSink, stdin: any InputSource, stdoutIsTTY: Bool,
        stderrIsTTY: Bool, stdinIsTTY: Bool, terminalWidth: Int?, environment: [String: String],
        homeDirectory: URL, now: @escaping @Sendable () -> Date,
        sleep: @escaping @Sendable (Double) async throws -> Void,
        makeTransport: @escaping @Sendable (TransportOptions) -> any HTTPTransport,
        readSecret: @escaping @Sendable (String) -> String?,
        waitForInterrupt: @escaping @Sendable () async -> Int32
    ) {
        self.stdout = stdout; self.stderr = stderr; self.stdin = stdin
        self.stdoutIsTTY = stdoutIsTTY; self.stderrIsTTY = stderrIsTTY; self.stdinIsTTY = stdinIsTTY
        self.terminalWidth = terminalWidth; self.environment = environment; self.homeDirectory = homeDirectory
        self.now = now; self.sleep = sleep; self.makeTransport = makeTransport; self.readSecret = readSecret
        self.waitForInterrupt = waitForInterrupt
        startedAt = now()
    }

    /// Colour only on a terminal, never with NO_COLOR (set and not empty: no-color.org), --no-color
    /// or TERM=dumb.
    package var useColor: Bool {
        stdoutIsTTY && !globals.noColor && (environment[EnvironmentVariable.noColor.rawValue] ?? "").isEmpty
            && environment["TERM"] != "dumb"
    }

    /// `$XDG_…_HOME/octopods`, or its default under the home directory; a relative or empty
    /// XDG variable is ignored (one rule for every lookup: `XDGDirectory`).
    package func directory(_ kind: XDGDirectory) -> URL {
        kind.octopods(environment: environment, home: homeDirectory)
    }

    /// A warning or hint on stderr (suppressed by --quiet).
    package func notice(_ text: String) {
        guard !globals.quiet else { return }
        stderr.write(TerminalText.sanitize(text, keepNewlines: true) + "\n")
    }

    package func warn(_ text: String) {
        notice("warning: " + text)
    }

    /// The bytes of the file at `path`, or of standard input for `-`; `source` names it in
    /// the error ("--body-file notice.txt").
    package func readInput(_ path: String, source: String) throws(OctopodsError) -> Data {
        do {
            return path == "-" ? try stdin.readAll() : try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .invalidInput("cannot read \(source): \(PlainText.describe(error))")
        }
    }
}

/// The global options, as parsed (before settings resolution adds environment and config).
package struct GlobalOptions: Sendable, Equatable {
    package var output: String?
    package var profile: String?
    package var configPath: String?
    package var baseURL: String?
    /// `--state-store local|URL`: where the shared rate budget lives for this run.
    package var stateStore: String?
    package var timeout: Double?
    /// `--wait-timeout`: how long a --wait may take in all (the commands that wait declare it).
    package var waitTimeout: Double?
    package var sandbox = false
    package var verbose = false
    package var quiet = false
    package var noColor = false
    /// Never prompt, even at a terminal (also OCTOPODS_NO_INPUT).
    package var noInput = false

    package init() {}
}

/// A sink that keeps what is written, for tests and for buffering.
package final class BufferSink: TextSink {
    private let storage = Mutex("")
    package init() {}
    package func write(_ text: String) { storage.withLock { $0 += text } }
    package var text: String { storage.withLock { $0 } }
}

/// Canned standard input.
package struct DataInput: InputSource {
    package var data: Data
    package init(_ data: Data = Data()) { self.data = data }
    package init(_ text: String) { self.data = Data(text.utf8) }
    package func readAll() throws -> Data { data }
}
