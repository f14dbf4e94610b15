#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
import Dispatch
import Synchronization
import CCurlShim
#if canImport(Glibc)
import Glibc
#endif

/// Writes straight to a file descriptor with write(2): no stdio buffering, so stdout and
/// stderr come out in the order they were written even when piped (docs/linux-notes.md, "Output ordering").
struct FileDescriptorSink: TextSink {
    let fd: Int32

    func write(_ text: String) {
        // A failure (EPIPE and friends) means nobody is listening any more: nothing to do.
        _ = SystemFile.writeAll(fd, Array(text.utf8))
    }
}

struct StandardInput: InputSource {
    func readAll() throws -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n > 0 {
                data.append(contentsOf: buffer[..<n])
            } else if n == 0 {
                return data
            } else if errno != EINTR {
                throw SystemFile.Failure(path: "standard input", errno: errno)
            }
        }
    }
}

/// The self-pipe the signal handler writes to; `InterruptHub.install` makes it before it
/// installs any handler.
let signalPipe: (read: Int32, write: Int32) = {
    var fds: [Int32] = [-1, -1]
    _ = pipe(&fds)
    return (fds[0], fds[1])
}()

/// SIGINT/SIGTERM/SIGHUP for the whole process: the first one cancels the running command (and
/// wakes anything waiting for it, such as the foreground sandbox); a second one exits at once.
/// SIGQUIT (Ctrl-\) exits at once, the terminal put back first.
package final class InterruptHub: Sendable {
    private struct State {
        var waiters: [CheckedContinuation<Int32, Never>] = []
        var received: Int32?
        var onFirst: (@Sendable () -> Void)?
        var cancelOnFirst = true
    }
    private let state = Mutex(State())

    package init() {}

    /// Installs the handlers: a plain signal handler that writes the signal's number to a pipe
    /// (the only async-signal-safe thing it needs to do); a thread then reads the pipe
    /// (`readSignals`). Why not DispatchSource: on Linux it is built on signalfd, which sees a
    /// signal only while it is blocked; one delivered to a thread that does not block it meets
    /// SIG_IGN and is lost. Under load that lost Ctrl-C in about one run in three.
    package func install() {
        // A blocked signal mask survives exec: a parent that blocks SIGINT/SIGTERM (a test
        // runner's thread, some supervisors) would leave Ctrl-C pending forever.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signalNumber in Self.signals { sigaddset(&unblock, signalNumber) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        // The pipe exists before any handler can run: a global is initialised on first use
        // (swift_once, malloc), which a signal handler must never be the one to do.
        guard signalPipe.write >= 0 else { return }
        for signalNumber in Self.signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { received in
                // A prompt may have the terminal in raw mode: give the user's shell its mode back first.
                RawTerminal.restoreFromSignal()
                var byte = UInt8(truncatingIfNeeded: received)
                _ = write(signalPipe.write, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }

    /// A closed terminal (SIGHUP) ends a run as gracefully as SIGTERM; SIGQUIT is handled too, so
    /// that Swift's crash handler (which would take it for a crash) never sees it.
    static let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// Reads the pipe on the calling thread, acting on each signal; returns only if the pipe fails.
    package func readSignals() {
        var byte: UInt8 = 0
        while true {
            let n = read(signalPipe.read, &byte, 1)
            if n == 1 { fire(Int32(byte)) } else if n < 0, errno == EINTR { continue } else { return }
        }
    }

    package func onFirstSignal(_ action: @escaping @Sendable () -> Void) {
        let already = state.withLock { s -> Bool in
            s.onFirst = action
            return s.received != nil && s.cancelOnFirst
        }
        if already { action() }  // the signal came before there was anything to cancel
    }

    /// The first signal will only be recorded (see `interrupted`); a second still exits at once.
    package func takeOver() {
        state.withLock { $0.cancelOnFirst = false }
    }

    package var interrupted: Bool { state.withLock { $0.received != nil } }

    func fire(_ signalNumber: Int32) {
        if signalNumber == SIGQUIT {
            restoreTerminal()
            FileDescriptorSink(fd: STDERR_FILENO).write("\nQuit.\n")
            octo_exit_now(128 + signalNumber)
        }
        let (waiters, action, repeated) = state.withLock { s -> ([CheckedContinuation<Int32, Never>], (@Sendable () -> Void)?, Bool) in
            if s.received != nil { return ([], nil, true) }
            s.received = signalNumber
            let w = s.waiters
            s.waiters = []
            return (w, s.cancelOnFirst ? s.onFirst : nil, false)
        }
        if repeated {
            FileDescriptorSink(fd: STDERR_FILENO).write("\nInterrupted again: exiting now.\n")
            // _exit, not exit: this is the signal-reading (main) thread, and exit's atexit handlers and
            // stdio flushing would race the threads still running (a hidden prompt's terminal
            // is put back first).
            restoreTerminal()
            octo_exit_now(128 + signalNumber)
        }
        // A hidden prompt blocks in read(2), which cancellation cannot reach: Ctrl-C there
        // ends the program at once (nothing has been sent), with the terminal put back.
        if restoreTerminal() {
            FileDescriptorSink(fd: STDERR_FILENO).write("\nInterrupted: nothing was saved.\n")
            octo_exit_now(128 + signalNumber)
        }
        for waiter in waiters { waiter.resume(returning: signalNumber) }
        action?()
    }

    package func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let already = state.withLock { s -> Int32? in
                if let received = s.received { return received }
                s.waiters.append(continuation)
                return nil
            }
            if let already { continuation.resume(returning: already) }
        }
    }
}

/// Asks on the terminal (stderr for the question, stdin for the answer) when both are one.
func confirmOnTerminal(_ question: String) -> Bool {
    guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else { return false }
    FileDescriptorSink(fd: STDERR_FILENO).write(question + " [y/N] ")
    guard let answer = readLine(strippingNewline: true)?.trimmingSpaces().lowercased() else { return false }
    return answer == "y" || answer == "yes"
}

/// The terminal settings a hidden prompt changed, to put back on every way out: the prompt's
/// own return, Ctrl-C (which ends the prompt at once) and a second signal's `_exit`.
private struct SavedTerminal: @unchecked Sendable { var settings: termios }
private let promptTerminal = Mutex<SavedTerminal?>(nil)

/// Puts the terminal back as it was before a hidden prompt; true when a prompt was active.
@discardableResult
func restoreTerminal() -> Bool {
    guard
        let saved = promptTerminal.withLock({ current -> SavedTerminal? in
            defer { current = nil }
            return current
        })
    else { return false }
    var settings = saved.settings
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &settings)
    return true
}

/// Reads a line from the terminal with echo off.
func readHiddenLine(prompt: String) -> String? {
    let fd = STDIN_FILENO
    guard isatty(fd) == 1 else { return nil }
    var saved = termios()
    guard tcgetattr(fd, &saved) == 0 else { return nil }
    var quiet = saved
    quiet.c_lflag &= ~tcflag_t(ECHO)
    quiet.c_lflag |= tcflag_t(ECHONL)
    // Armed before the prompt shows: a Ctrl-C from then on puts the terminal back and ends.
    promptTerminal.withLock { $0 = SavedTerminal(settings: saved) }
    tcsetattr(fd, TCSAFLUSH, &quiet)
    defer { restoreTerminal() }
    FileDescriptorSink(fd: STDERR_FILENO).write(prompt)
    return readLine(strippingNewline: true)
}

/// What `ProcessInfo.processInfo.environment` gives (each `NAME=value` split at its first "="
/// Character, the last of a repeated name wins, entries without "=" left out), with ASCII
/// entries split by bytes: Foundation walks every entry Character by Character (LS_COLORS,
/// PATH), 420 K instructions of a run with ~40 variables.
func processEnvironment() -> [String: String] {
    var results: [String: String] = [:]
    var entry = environ  // never null at start: execve gives every process one, maybe empty
    while let pointer = entry.pointee {
        let text = String(cString: pointer)
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            // Every ASCII byte is a Character but CR LF, and a "=" is never part of one.
            if let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) {
                results[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
        } else if let equals = text.firstIndex(of: "=") {
            results[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        entry += 1
    }
    return results
}

extension Context {
    /// The real world: the process's standard streams, environment and clock, libcurl.
    package static func live(interrupts: InterruptHub) -> Context {
        let environment = processEnvironment()
        let stdoutIsTTY = isatty(STDOUT_FILENO) == 1
        var context = Context(
            stdout: FileDescriptorSink(fd: STDOUT_FILENO),
            stderr: FileDescriptorSink(fd: STDERR_FILENO),
            stdin: StandardInput(),
            stdoutIsTTY: stdoutIsTTY,
            stderrIsTTY: isatty(STDERR_FILENO) == 1,
            stdinIsTTY: isatty(STDIN_FILENO) == 1,
            terminalWidth: stdoutIsTTY ? terminalColumns() : nil,
            environment: environment,
            homeDirectory: XDGDirectory.home(environment: environment),
            now: { Date() },
            sleep: { seconds in try await Task.sleep(nanoseconds: Clamp.nanoseconds(seconds)) },
            makeTransport: { CurlTransport($0) },
            readSecret: { readHiddenLine(prompt: $0) },
            waitForInterrupt: { await interrupts.wait() })
        context.isInterrupted = { interrupts.interrupted }
        context.takeOverInterrupts = { interrupts.takeOver() }
        context.confirm = { confirmOnTerminal($0) }
        context.edit = { editor, path in
            // Through sh, so that EDITOR='code --wait' works; the file is "$1", never spliced in.
            // posix_spawn: the lean build has no Foundation Process.
            let words: [String] = ["/bin/sh", "-c", editor + " \"$1\"", "sh", path]
            let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
            defer { for p in argv { free(p) } }
            var pid = pid_t()
            guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { return 127 }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        }
        context.openTerminal = { dumb in
            if dumb { return LineTerminal().map { PromptTerminal.lines($0) } }
            return RawTerminal().map { PromptTerminal.raw($0) }
        }
        context.monotonic = { Pacer.Clock.systemMonotonic() }
        context.bootID = Pacer.Clock.systemBootID()
        return context
    }

    static func terminalColumns() -> Int? {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) }
    }
}

/// The entry point main.swift calls.
package enum Octopods {
    /// Runs the command line in one task, which ends the process with the exit code itself;
    /// the calling (main) thread reads the signal pipe meanwhile. No thread is started to read
    /// signals or to hand the exit code back to the main thread, and no second worker thread
    /// for a task that only waits for another (docs/linux-notes.md, "Start-up costs").
    package static func start(_ argv: [String]) -> Never {
        CrashReports.neverInteractive()
        octo_no_core_dumps()
        let interrupts = InterruptHub()
        interrupts.install()
        let task = Task.detached {
            let code = await Runner.run(argv, Context.live(interrupts: interrupts))
            // Everything was written with write(2) (no stdio buffer to flush) and every file
            // octopods keeps was written and closed: `_exit` leaves out the atexit handlers and
            // library destructors, which here only free memory (OpenSSL's cleanup after a
            // request: 0.7 M instructions).
            octo_exit_now(code.rawValue)
        }
        interrupts.onFirstSignal { task.cancel() }
        interrupts.readSignals()
        while true { pause() }
    }
}
