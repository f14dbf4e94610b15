#if canImport(Glibc)
import Glibc
#endif

/// Swift's crash handler, on a terminal, turns a crash into an interactive prompt ("D to debug")
/// that holds the terminal for 30 s. Its settings come only from the `SWIFT_BACKTRACE`
/// environment variable, which the runtime reads before `main` (no linker flag or API sets
/// them), so a process started on a terminal without it sets it and executes itself again,
/// once, before doing anything else: a crash then prints a short report on stderr and ends.
/// Runs without a terminal (scripts, cron, completion) are never interactive and pay nothing;
/// a `SWIFT_BACKTRACE` the user set is kept (docs/linux-notes.md, "Swift's crash handler is never interactive").
enum CrashReports {
    static let settings = "interactive=no,preset=friendly,output-to=stderr"

    static func neverInteractive() {
        guard isatty(STDIN_FILENO) == 1 || isatty(STDOUT_FILENO) == 1 else { return }
        if let current = getenv("SWIFT_BACKTRACE"), current.pointee != 0 { return }
        guard setenv("SWIFT_BACKTRACE", settings, 1) == 0 else { return }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // No /proc: go on as before (a crash would be reported interactively).
    }
}
