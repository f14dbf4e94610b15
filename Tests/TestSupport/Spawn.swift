import Foundation
import Synchronization
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

// Every child the tests start is started here (a target of its own, shared by the test targets), with posix_spawn. Not Foundation's
// `Process`: on Linux its `run()` crashes now and then by reading past a buffer while listing
// /proc/self/fd (docs/linux-notes.md, "Process.run over-reads /proc/self/fd"), which a suite
// that starts hundreds of children meets in about one run in two. A child gets the default
// signal dispositions and an empty signal mask (the test process ignores SIGPIPE), and no
// descriptor of the test process but its standard three.

/// A pipe whose ends are closed on exec (the child gets copies with dup2).
package func pipePair() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EMFILE) }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
}

/// Starts `path` with `stdin`, `stdout` and `stderr` as its standard descriptors (nil:
/// /dev/null), in `directory` when given; returns its pid. The caller closes its own copies.
package func spawnChild(
    _ path: String, _ arguments: [String], environment: [String: String], stdin: Int32?, stdout: Int32?,
    stderr: Int32?, directory: String? = nil
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for (fd, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
        if let fd {
            posix_spawn_file_actions_adddup2(&actions, fd, target)
        } else {
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
        }
    }
    // glibc 2.34+ and 2.29+; not in Swift's Glibc module, so found at run time. The pipes are
    // close-on-exec either way; closefrom also closes what other tests opened without it.
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
    }
    if let directory {
        typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else {
            throw POSIXError(.ENOSYS)
        }
        _ = directory.withCString { unsafeBitCast(symbol, to: ChangeDirectory.self)(&actions, $0) }
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t(), empty = sigset_t()
    sigemptyset(&empty)
    sigfillset(&defaults)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for p in argv + envp { free(p) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOENT) }
    return pid
}

/// The exit status as a shell reports it: the code, or 128 + the signal.
package func shellStatus(_ status: Int32) -> Int32 {
    status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
}

/// Everything until end of file on `fd`, retrying reads a signal interrupted; closes `fd`.
package func readAllAndClose(_ fd: Int32) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n > 0 { data.append(contentsOf: buffer[..<n]); continue }
        if n < 0, errno == EINTR { continue }
        break
    }
    close(fd)
    return data
}

/// Bytes from `fd` one at a time until `done` holds for what was read or the end of file.
/// For a child's banner, which stays open after it.
package func readUntil(_ fd: Int32, _ done: (Data) -> Bool) -> Data {
    var data = Data()
    var byte: UInt8 = 0
    while !done(data) {
        let n = read(fd, &byte, 1)
        if n == 1 { data.append(byte); continue }
        if n < 0, errno == EINTR { continue }
        break
    }
    return data
}

/// Runs a program with its stdin fed from `input` and its stdout and stderr collected
/// (`mergeStderr`: both into stdout, in the order written), killed after `timeout` seconds.
package func spawnAndWait(
    _ path: String, _ arguments: [String], environment: [String: String], input: Data,
    timeout: Double, directory: String? = nil, mergeStderr: Bool = false
) throws -> (status: Int32, stdout: Data, stderr: Data) {
    let stdinPipe = try pipePair(), stdoutPipe = try pipePair()
    let stderrPipe = mergeStderr ? nil : try pipePair()
    let pid: pid_t
    do {
        pid = try spawnChild(
            path, arguments, environment: environment, stdin: stdinPipe.read, stdout: stdoutPipe.write,
            stderr: stderrPipe?.write ?? stdoutPipe.write, directory: directory)
    } catch {
        for fd in [stdinPipe.read, stdinPipe.write, stdoutPipe.read, stdoutPipe.write] { close(fd) }
        if let stderrPipe { close(stderrPipe.read); close(stderrPipe.write) }
        throw error
    }
    for fd in [stdinPipe.read, stdoutPipe.write] { close(fd) }
    if let stderrPipe { close(stderrPipe.write) }
    let killer = DispatchWorkItem { kill(pid, SIGTERM) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)

    // Feed and drain on their own threads, or a full pipe deadlocks the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errors = Data()
    if let stderrPipe {
        DispatchQueue.global().async(group: group) { errors = readAllAndClose(stderrPipe.read) }
    }
    DispatchQueue.global().async(group: group) {
        input.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let n = write(stdinPipe.write, base + offset, bytes.count - offset)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                offset += n
            }
        }
        close(stdinPipe.write)
    }
    let output = readAllAndClose(stdoutPipe.read)
    group.wait()
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    killer.cancel()
    return (shellStatus(status), output, errors)
}

/// A child that runs while the test watches it, signals it or talks to it: what the tests
/// used Foundation's `Process` for. A thread of its own waits for it (never one of GCD's,
/// which a busy suite can keep waiting), so `isRunning` turns false soon after it exits.
package final class Child: Sendable {
    package let processIdentifier: pid_t
    private let status = Mutex<Int32?>(nil)
    private let exited = DispatchGroup()

    /// Starts `path` with the given standard descriptors (nil: /dev/null); the caller closes
    /// its own copies of them.
    package init(
        _ path: String, _ arguments: [String], environment: [String: String], stdin: Int32? = nil, stdout: Int32? = nil,
        stderr: Int32? = nil, directory: String? = nil
    ) throws {
        let pid = try spawnChild(
            path, arguments, environment: environment, stdin: stdin, stdout: stdout, stderr: stderr,
            directory: directory)
        processIdentifier = pid
        exited.enter()
        DetachedThread.run { [self] in
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0, errno == EINTR {}
            status.withLock { $0 = shellStatus(raw) }
            exited.leave()
        }
    }

    package var isRunning: Bool { status.withLock { $0 == nil } }

    /// Blocks until the child has exited (from a thread that may block, not a test task).
    package func waitUntilExit() { exited.wait() }

    /// The exit status as a shell reports it (128 + the signal for a signal); -1 while running.
    package var terminationStatus: Int32 { status.withLock { $0 ?? -1 } }

    /// SIGTERM, if it is still running (its pid is not yet anyone else's).
    package func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }
}
