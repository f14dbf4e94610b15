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
        /// Appended since the last `fdatasync` (close syncs only then).
        var unsynced = false
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
        try exclusively { locked throws(OctopodsError) in _ = try locked.append(bytes) }
    }

    /// The ledger as its lock holder sees it: the open file, its identity and size when the lock
    /// was taken, and appending that tells where the bytes went.
    package struct Locked {
        package let fd: Int32
        package let url: URL
        /// `fstat` of the file when the lock was taken.
        package let info: stat
        fileprivate var size: Int64

        /// Bytes up to here are the file's; a reader of new lines stops here.
        package var end: Int64 { size }

        /// Appends whole lines (after a newline if a killed writer left the file without one);
        /// returns the offset they start at.
        package mutating func append(_ bytes: [UInt8]) throws(OctopodsError) -> Int64 {
            var line = bytes
            if size > 0 {
                var last: UInt8 = 0
                if pread(fd, &last, 1, off_t(size - 1)) == 1, last != 0x0A { line.insert(0x0A, at: 0) }
            }
            if let problem = Ledger.writeAll(fd, line) { throw .failed("cannot write the history ledger \(url.path): \(problem)") }
            let start = size + Int64(line.count - bytes.count)
            size += Int64(line.count)
            return start
        }
    }

    /// Runs `body` holding the writers' exclusive `flock` on the file the path names now (opened
    /// and created as needed); kept only for `body`, which must not wait on anything but the disk.
    /// What it appends is synced at most once a second, and not at all with `sync` false (the
    /// repeat guard's reservations: a crash that loses one also ends its process).
    package func exclusively<T: Sendable>(sync: Bool = true, _ body: (inout Locked) throws(OctopodsError) -> T) throws(OctopodsError) -> T {
        let outcome: Result<T, OctopodsError> = state.withLock { state in
            for _ in 0..<8 {
                if state.fd < 0 {
                    if let problem = open(&state) { return .failure(.failed("cannot write the history ledger \(url.path): \(problem)")) }
                }
                // Waited for a bounded time: a holder that hangs must not hold a send whose request went out.
                if let problem = Self.lock(state.fd) { return .failure(.failed("cannot write the history ledger \(url.path): \(problem)")) }
                defer { flock(state.fd, LOCK_UN) }
                var own = stat(), current = stat()
                guard fstat(state.fd, &own) == 0 else {
                    return .failure(
                        .failed("cannot write the history ledger \(url.path): cannot stat it: \(String(cString: strerror(errno)))"))
                }
                if stat(url.path, &current) != 0 || own.st_ino != current.st_ino || own.st_dev != current.st_dev {
                    // Pruned (replaced) or removed since we opened it: write to the file the path names now.
                    Glibc.close(state.fd)
                    state.fd = -1
                    continue
                }
                var locked = Locked(fd: state.fd, url: url, info: own, size: Int64(own.st_size))
                let result = Result { () throws(OctopodsError) -> T in try body(&locked) }
                if locked.size != Int64(own.st_size) { state.unsynced = true }
                if sync, state.unsynced, Date().timeIntervalSince(state.lastSync) >= 1 {
                    fdatasync(state.fd)
                    state.lastSync = Date()
                    state.unsynced = false
                }
                return result
            }
            return .failure(.failed("cannot write the history ledger \(url.path): it keeps being replaced"))
        }
        return try outcome.get()
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

    /// Syncs what is not synced yet and closes; a later append opens the file again.
    package func close() {
        state.withLock { state in
            guard state.fd >= 0 else { return }
            if state.unsynced { fdatasync(state.fd) }
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
        SystemFile.writeAll(fd, bytes).map { String(cString: strerror($0)) }
    }

    // MARK: Reading

    /// Calls `body` with every line of the file (without its newline), streaming it in 1 MB
    /// reads: memory stays flat however long the ledger is. A missing file has no lines.
    package static func forEachLine(_ url: URL, _ body: (UnsafeRawBufferPointer) -> Void) throws(OctopodsError) {
        guard let fd = try openToRead(url) else { return }
        defer { Glibc.close(fd) }
        try forEachLine(fd, url, body)
    }

    /// The ledger opened for reading (only a file of this user's, never through a symlink);
    /// nil when there is none.
    private static func openToRead(_ url: URL) throws(OctopodsError) -> Int32? {
        do { return try SystemFile.openOwned(url, flags: O_RDONLY) } catch {
            throw .failed("cannot read the history ledger \(url.path): \(error.reason)")
        }
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

    /// Calls `body` with the lines of the file from the last to the first, reading 64 KB blocks
    /// from the end, until `body` returns true: a lookup of a recent send reads only the end of
    /// a long ledger. A missing file has no lines.
    package static func forEachLineBackward(_ url: URL, _ body: (UnsafeRawBufferPointer) -> Bool) throws(OctopodsError) {
        guard let fd = try openToRead(url) else { return }
        defer { Glibc.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .failed("cannot read the history ledger \(url.path): \(String(cString: strerror(errno)))")
        }
        var position = Int(info.st_size)
        // The start of a line whose end a later block held.
        var pending: [UInt8] = []
        while position > 0 {
            let start = max(0, position - (1 << 16))
            var block = [UInt8](repeating: 0, count: position - start)
            var filled = 0
            while filled < block.count {
                let n = block.withUnsafeMutableBytes { raw in
                    pread(fd, raw.baseAddress?.advanced(by: filled), raw.count - filled, off_t(start + filled))
                }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw .failed("cannot read the history ledger \(url.path): it changed while being read") }
                filled += n
            }
            position = start
            block += pending
            let stop = block.withUnsafeBytes { raw -> (stopped: Bool, end: Int) in
                var end = raw.count
                var index = raw.count - 1
                while index >= 0 {
                    if raw[index] == 0x0A {
                        if index + 1 < end, body(UnsafeRawBufferPointer(rebasing: raw[(index + 1)..<end])) { return (true, end) }
                        end = index
                    }
                    index -= 1
                }
                return (false, end)
            }
            if stop.stopped { return }
            pending = Array(block[0..<stop.end])
        }
        if !pending.isEmpty { _ = pending.withUnsafeBytes { body($0) } }
    }

    // MARK: Pruning

    /// Rewrites the ledger without the records older than `before`, holding the writers' lock
    /// throughout; with `dryRun` only counts. Lines that are not records are dropped too. When
    /// nothing is to go, the file is left as it is.
    /// `removed` and `kept` count lines (records); `sends` the send records among them.
    package static func prune(
        _ url: URL, before: Date, dryRun: Bool
    ) throws(OctopodsError)
        -> (removed: Int, kept: Int, sends: (removed: Int, kept: Int))
    {
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
            // The repeat guard's reserve and release lines (docs/repeat-guard.md) go with their time too, uncounted: they are not sends.
            let counted = LedgerLine.type(line) != nil || LedgerLine.time(line) == nil
            let isSend = LedgerLine.type(line) == .send
            guard let time = LedgerLine.time(line), LedgerLine.compare(time, cutoff) >= 0 else {
                if counted { removed += 1 }
                if isSend { sendsRemoved += 1 }
                return
            }
            if counted { kept += 1 }
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
        SystemFile.syncDirectory(url.deletingLastPathComponent())
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
            starts(line, typePrefix, at: timeStart + LedgerTime.width)
        else { return nil }
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
