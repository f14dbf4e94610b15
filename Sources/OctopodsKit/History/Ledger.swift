#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// The history ledger: an append-only file of `LedgerRecord` lines under
/// `${XDG_STATE_HOME:-~/.local/state}/octopods/` (mode 0600, directory 0700).
///
/// Writers take an exclusive `flock` for each append, so lines from concurrent runs never
/// interleave; each append is one `write`, straight to the kernel (a killed process loses
/// nothing it recorded), with `fdatasync` at most once a second and on close. `prune` rewrites
/// the file under the same lock and renames the new one into place; a writer that then gets
/// the lock sees the path now names another file and reopens it.
package final class Ledger: Sendable {
    package let url: URL
    private struct State {
        var fd: Int32 = -1
        var lastSync = Date.distantPast
    }
    private let state = Mutex(State())

    package init(url: URL) { self.url = url }

    deinit { close() }

    /// `history.ndjson`, or `sandbox-history.ndjson` for practice — `--sandbox` runs and any
    /// base URL on a loopback host (an `octopods sandbox` reached through OCTOPODS_BASE_URL) —
    /// so that practice sends never mix with real ones (the real API is never on loopback).
    package static func location(_ ctx: Context, baseURL: String) -> URL {
        ctx.directory(.state).appendingPathComponent(isPractice(ctx, baseURL: baseURL) ? "sandbox-history.ndjson" : "history.ndjson")
    }

    /// Whether sends go to a sandbox (`--sandbox`, or any base URL on a loopback host): their
    /// history and bulk journals are kept apart from real ones.
    package static func isPractice(_ ctx: Context, baseURL: String) -> Bool {
        ctx.globals.sandbox || URL(string: baseURL)?.host.map(BaseURL.isLoopback) == true
    }

    /// Appends the records as whole lines, after a newline if a killed writer left the file
    /// without one.
    package func append(_ records: [LedgerRecord]) throws(OctopodsError) {
        guard !records.isEmpty else { return }
        var bytes: [UInt8] = []
        for record in records {
            bytes.append(contentsOf: record.line.utf8)
            bytes.append(0x0A)
        }
        let failure: String? = state.withLock { state in
            for _ in 0..<8 {
                if state.fd < 0 {
                    if let problem = open(&state) { return problem }
                }
                if let problem = Self.lock(state.fd) { return problem }
                defer { flock(state.fd, LOCK_UN) }
                var own = stat(), current = stat()
                guard fstat(state.fd, &own) == 0 else { return "cannot stat it: \(String(cString: strerror(errno)))" }
                if stat(url.path, &current) != 0 || own.st_ino != current.st_ino || own.st_dev != current.st_dev {
                    // Pruned (replaced) or removed since we opened it: write to the file the path names now.
                    Glibc.close(state.fd)
                    state.fd = -1
                    continue
                }
                var line = bytes
                if own.st_size > 0 {
                    var last: UInt8 = 0
                    if pread(state.fd, &last, 1, own.st_size - 1) == 1, last != 0x0A { line.insert(0x0A, at: 0) }
                }
                if let problem = Self.writeAll(state.fd, line) { return problem }
                if Date().timeIntervalSince(state.lastSync) >= 1 {
                    fdatasync(state.fd)
                    state.lastSync = Date()
                }
                return nil
            }
            return "it keeps being replaced"
        }
        if let failure { throw .failed("cannot write the history ledger \(url.path): \(failure)") }
    }

    /// How long an append waits for another process's lock: a holder that hangs (stopped,
    /// say) must not hold a send whose request already went out.
    static let lockTimeout = 5.0

    /// Takes the exclusive lock, waiting at most `lockTimeout`; what went wrong, or nil.
    static func lock(_ fd: Int32) -> String? {
        var waited = 0.0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { return "cannot lock it: \(String(cString: strerror(errno)))" }
            guard waited < lockTimeout else { return "another process has held its lock for over \(Int(lockTimeout)) s" }
            usleep(10_000)
            waited += 0.01
        }
        return nil
    }

    /// Syncs and closes; a later append opens the file again.
    package func close() {
        state.withLock { state in
            guard state.fd >= 0 else { return }
            fdatasync(state.fd)
            Glibc.close(state.fd)
            state.fd = -1
        }
    }

    private func open(_ state: inout State) -> String? {
        let directory = url.deletingLastPathComponent()
        do { try SystemFile.makePrivateDirectory(directory) } catch {
            return "cannot use \(error)"
        }
        // Read access too: pread checks the last byte is a newline. Never through a link,
        // only a file of this user that others cannot write.
        do {
            guard let fd = try SystemFile.openOwned(url, flags: O_RDWR | O_APPEND, create: true) else { return "cannot create it" }
            state.fd = fd
        } catch {
            return error.reason
        }
        return nil
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { buffer -> String? in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += n
            }
            return nil
        }
    }

    // MARK: Reading

    /// Calls `body` with every line of the file (without its newline), streaming it in 1 MB
    /// reads: memory stays flat however long the ledger is. A missing file has no lines.
    package static func forEachLine(_ url: URL, _ body: (UnsafeRawBufferPointer) -> Void) throws(OctopodsError) {
        let opened: Int32?
        do { opened = try SystemFile.openOwned(url, flags: O_RDONLY) } catch {
            throw .failed("cannot read the history ledger \(url.path): \(error.reason)")
        }
        guard let fd = opened else { return }
        defer { Glibc.close(fd) }
        try forEachLine(fd, url, body)
    }

    /// The same, from an open descriptor (`url` names it in errors).
    static func forEachLine(_ fd: Int32, _ url: URL, _ body: (UnsafeRawBufferPointer) -> Void) throws(OctopodsError) {
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var end = 0
        while true {
            if buffer.count - end < chunk / 4 { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
            let n = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress?.advanced(by: end), raw.count - end)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed("cannot read the history ledger \(url.path): \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                if end > 0 { buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<end])) } }
                return
            }
            end += n
            let consumed = buffer.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                var start = 0
                while start < end, let found = memchr(base + start, 0x0A, end - start) {
                    let index = base.distance(to: UnsafeRawPointer(found))
                    body(UnsafeRawBufferPointer(rebasing: raw[start..<index]))
                    start = index + 1
                }
                return start
            }
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    memmove(base, base + consumed, end - consumed)
                }
                end -= consumed
                if buffer.count > chunk, end < chunk / 2 { buffer = Array(buffer[0..<chunk]) }
            }
        }
    }

    // MARK: Pruning

    /// Rewrites the ledger without the records older than `before`, holding the writers' lock
    /// throughout; with `dryRun` only counts. Lines that are not records are dropped too. When
    /// nothing is to go, the file is left as it is.
    /// `removed` and `kept` count lines (records); `sends` the send records among them.
    package static func prune(_ url: URL, before: Date, dryRun: Bool) throws(OctopodsError)
        -> (removed: Int, kept: Int, sends: (removed: Int, kept: Int)) {
        func failure(_ what: String) -> OctopodsError {
            .failed("cannot \(what) the history ledger \(url.path): \(String(cString: strerror(errno)))")
        }
        var fd: Int32 = -1
        defer { if fd >= 0 { Glibc.close(fd) } }
        // After taking the lock, the path must still name the file we locked: another prune
        // may have replaced it meanwhile, and pruning the old copy would lose what was
        // appended to the new one.
        for attempt in 0... {
            do {
                guard let opened = try SystemFile.openOwned(url, flags: O_RDONLY) else { return (0, 0, (0, 0)) }
                fd = opened
            } catch {
                throw .failed("cannot open the history ledger \(url.path): \(error.reason)")
            }
            if dryRun { break }
            if flock(fd, LOCK_EX) != 0 { throw failure("lock") }
            var own = stat(), current = stat()
            if fstat(fd, &own) == 0, stat(url.path, &current) == 0, own.st_ino == current.st_ino, own.st_dev == current.st_dev { break }
            Glibc.close(fd)
            fd = -1
            if attempt >= 8 { throw .failed("cannot prune the history ledger \(url.path): it keeps being replaced") }
        }
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).prune-\(getpid())")
        var out: Int32 = -1
        if !dryRun {
            unlink(temp.path)
            out = Glibc.open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard out >= 0 else { throw failure("write a new copy of") }
            fchmod(out, 0o600)
        }
        var replaced = false
        defer {
            if out >= 0 { Glibc.close(out) }
            if !dryRun, !replaced { unlink(temp.path) }
        }
        let cutoff = Array(LedgerTime.format(before).utf8)
        var removed = 0, kept = 0, sendsRemoved = 0, sendsKept = 0
        // Kept lines are written out a megabyte at a time; with `dryRun` only counted.
        var output: [UInt8] = []
        var problem: String?
        func flush() {
            if problem == nil { problem = writeAll(out, output) }
            output.removeAll(keepingCapacity: true)
        }
        try forEachLine(fd, url) { line in
            let isSend = LedgerLine.type(line) == .send
            guard let time = LedgerLine.time(line), LedgerLine.compare(time, cutoff) >= 0 else {
                removed += 1
                if isSend { sendsRemoved += 1 }
                return
            }
            kept += 1
            if isSend { sendsKept += 1 }
            guard !dryRun else { return }
            output.append(contentsOf: line)
            output.append(0x0A)
            if output.count >= 1 << 20 { flush() }
        }
        guard !dryRun, removed > 0 else { return (removed, kept, (sendsRemoved, sendsKept)) }
        flush()
        if problem == nil, fsync(out) != 0 { problem = String(cString: strerror(errno)) }
        if problem == nil, rename(temp.path, url.path) != 0 { problem = String(cString: strerror(errno)) }
        if let problem { throw .failed("cannot rewrite the history ledger \(url.path): \(problem); it is unchanged") }
        replaced = true
        let directory = Glibc.open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 { fsync(directory); Glibc.close(directory) }
        return (removed, kept, (sendsRemoved, sendsKept))
    }
}

/// Reading a ledger line's fixed-position fields without parsing it:
/// `{"time":"2026-11-22T05:47:09.509Z","type":"send",…`.
package enum LedgerLine {
    static let timePrefix = Array(#"{"time":""#.utf8)
    static let typePrefix = Array(#"","type":""#.utf8)
    static let timeStart = timePrefix.count
    static let typeStart = timeStart + LedgerTime.width + typePrefix.count

    /// The 24 time bytes, or nil when the line does not start like a record.
    package static func time(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard line.count > typeStart + 4, starts(line, timePrefix, at: 0),
              starts(line, typePrefix, at: timeStart + LedgerTime.width) else { return nil }
        return UnsafeRawBufferPointer(rebasing: line[timeStart..<timeStart + LedgerTime.width])
    }

    /// `send` or `status` from the line's second field.
    package static func type(_ line: UnsafeRawBufferPointer) -> LedgerRecord.Kind? {
        guard line.count > typeStart + 4 else { return nil }
        switch (line[typeStart], line[typeStart + 1]) {
        case (UInt8(ascii: "s"), UInt8(ascii: "e")): return .send
        case (UInt8(ascii: "s"), UInt8(ascii: "t")): return .status
        default: return nil
        }
    }

    static func starts(_ line: UnsafeRawBufferPointer, _ prefix: [UInt8], at offset: Int) -> Bool {
        guard line.count >= offset + prefix.count else { return false }
        for i in 0..<prefix.count where line[offset + i] != prefix[i] { return false }
        return true
    }

    /// memcmp of a line's time bytes with a formatted time.
    static func compare(_ time: UnsafeRawBufferPointer, _ other: [UInt8]) -> Int32 {
        other.withUnsafeBytes { o -> Int32 in
            guard let a = time.baseAddress, let b = o.baseAddress else { return 0 }
            return memcmp(a, b, min(time.count, o.count))
        }
    }

    /// Whether the line contains `needle`: memchr for its first byte, memcmp for the rest.
    static func contains(_ line: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, let base = line.baseAddress else { return needle.isEmpty }
        return needle.withUnsafeBytes { n -> Bool in
            guard let nb = n.baseAddress else { return false }
            var start = 0
            while line.count - start >= n.count, let hit = memchr(base + start, Int32(first), line.count - start - n.count + 1) {
                if memcmp(hit, nb, n.count) == 0 { return true }
                start = base.distance(to: UnsafeRawPointer(hit)) + 1
            }
            return false
        }
    }
}
