import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with posix_spawn, its stdin fed from `input` and its stdout and stderr
/// collected. Not Foundation's `Process`: on Linux its `run()` crashes now and then by reading
/// past a buffer while listing /proc/self/fd (docs/linux-notes.md, "Process.run over-reads
/// /proc/self/fd"), which a suite that starts hundreds of children meets in about one run in two.
/// The child gets the default signal dispositions and an empty signal mask (the test process
/// ignores SIGPIPE), and no descriptor of the test process but its three pipes.
func spawnAndWait(_ path: String, _ arguments: [String], environment: [String: String], input: Data,
                  timeout: Double) throws -> (status: Int32, stdout: Data, stderr: Data) {
    func pipePair() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EMFILE) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }
    let stdinPipe = try pipePair(), stdoutPipe = try pipePair(), stderrPipe = try pipePair()
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdinPipe.read, 0)
    posix_spawn_file_actions_adddup2(&actions, stdoutPipe.write, 1)
    posix_spawn_file_actions_adddup2(&actions, stderrPipe.write, 2)
    // glibc 2.34+; not in Swift's Glibc module, so found at run time. The pipes are close-on-exec
    // either way; this also closes what other tests opened without it.
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
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
    for fd in [stdinPipe.read, stdoutPipe.write, stderrPipe.write] { close(fd) }
    guard spawned == 0 else {
        for fd in [stdinPipe.write, stdoutPipe.read, stderrPipe.read] { close(fd) }
        throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOENT)
    }
    let killer = DispatchWorkItem { kill(pid, SIGTERM) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)

    @Sendable func readAll(_ fd: Int32) -> Data {
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
    // Feed and drain on their own threads, or a full pipe deadlocks the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errors = Data()
    DispatchQueue.global().async(group: group) { errors = readAll(stderrPipe.read) }
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
    let output = readAll(stdoutPipe.read)
    group.wait()
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    killer.cancel()
    // Exit status, or 128 + the signal, as a shell reports it.
    let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    return (code, output, errors)
}
