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

/// Where a `RateBudget` lives: a locked file shared by every process, or (when that file
/// cannot be used) this process's memory.
package protocol RateBudgetStore: Sendable {
    /// Reads the budget, lets `change` update it, writes it back, all under one lock.
    func update<T>(_ change: (inout RateBudget) -> T) throws(SystemFile.Failure) -> T
    var path: String? { get }
    /// Whether this process may pace by itself when the store cannot be used (a file on this
    /// machine: yes; a store shared with other machines: no, nothing is sent).
    var mayPaceAlone: Bool { get }
}

extension RateBudgetStore {
    package var mayPaceAlone: Bool { true }
}

/// A budget in this process only.
package final class MemoryRateBudget: RateBudgetStore {
    private let state: Mutex<RateBudget>
    package init(_ budget: RateBudget = RateBudget()) { state = Mutex(budget) }
    package func update<T>(_ change: (inout RateBudget) -> T) throws(SystemFile.Failure) -> T {
        state.withLock { change(&$0) }
    }
    package var path: String? { nil }
}

/// The budget file, `$XDG_STATE_HOME/octopods/rate/<hash>`: read, changed and written back
/// under an exclusive `flock` (docs/linux-notes.md), held only for that (microseconds). The kernel drops the lock of
/// a process that dies, so a crashed holder never blocks the others; a holder that hangs with
/// it (stopped, say) is waited for `lockTimeout`, then this process paces alone (the caller
/// falls back to `MemoryRateBudget`). A file deleted or replaced (to reset the budget) is
/// noticed at the next lock and the new one used.
package final class RateBudgetFile: RateBudgetStore {
    package let url: URL
    let lockTimeout: Double
    /// The open descriptor; the mutex also keeps this process's threads to one update at a
    /// time (a `flock` does not exclude threads sharing a descriptor).
    private let fd = Mutex<Int32>(-1)

    /// Told when the file held values no octopods writes, and was reset.
    let notice: @Sendable (String) -> Void

    package init(url: URL, lockTimeout: Double = 5, notice: @escaping @Sendable (String) -> Void = { _ in }) {
        self.url = url; self.lockTimeout = lockTimeout; self.notice = notice
    }

    deinit {
        let fd = self.fd.withLock { $0 }
        if fd >= 0 { close(fd) }
    }

    package var path: String? { url.path }

    /// The file for `identity` (base URL and key, never stored) under `directory`.
    package static func url(directory: URL, identity: String) -> URL {
        directory.appendingPathComponent("rate", isDirectory: true)
            .appendingPathComponent(SHA256.name(identity))
    }

    package func update<T>(_ change: (inout RateBudget) -> T) throws(SystemFile.Failure) -> T {
        try fd.withLock { fd throws(SystemFile.Failure) -> T in
            try lock(&fd)
            defer { flock(fd, LOCK_UN) }
            let data = try Self.read(fd, path: url.path)
            var (budget, implausible) = RateBudget.read(String(decoding: data, as: UTF8.self))
            if let implausible {
                notice("the rate budget \(url.path) held an impossible value (\(implausible)); it was reset.")
            }
            let result = change(&budget)
            let bytes = Array(budget.serialized().utf8)
            if !data.elementsEqual(bytes) {
                // In place: a torn write leaves lines the parser skips, and the budget is advice.
                if let failure = SystemFile.writeAll(fd, bytes, at: 0) { throw SystemFile.Failure(path: url.path, errno: failure) }
                if ftruncate(fd, off_t(bytes.count)) != 0 { throw SystemFile.Failure(path: url.path, errno: errno) }
            }
            return result
        }
    }

    /// Opens (creating the directory and file when missing) and locks the file the path names now.
    private func lock(_ fd: inout Int32) throws(SystemFile.Failure) {
        var waited = 0.0
        while true {
            if fd < 0 { fd = try open() }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                guard code == EWOULDBLOCK || code == EINTR else { throw SystemFile.Failure(path: url.path, errno: code) }
                guard waited < lockTimeout else {
                    throw SystemFile.Failure(path: url.path, reason: "locked by another process for over \(Int(lockTimeout))s")
                }
                usleep(1_000)
                waited += 0.001
                continue
            }
            var own = stat(), current = stat()
            if fstat(fd, &own) == 0, stat(url.path, &current) == 0, own.st_ino == current.st_ino, own.st_dev == current.st_dev {
                return
            }
            // Deleted (a reset) or replaced since we opened it: use the file the path names now.
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    private func open() throws(SystemFile.Failure) -> Int32 {
        let directory = url.deletingLastPathComponent()
        try SystemFile.makePrivateDirectory(directory.deletingLastPathComponent())
        try SystemFile.makePrivateDirectory(directory)
        let existed = FileManager.default.fileExists(atPath: url.path)
        guard let fd = try SystemFile.openOwned(url, flags: O_RDWR, create: true) else {
            throw SystemFile.Failure(path: url.path, errno: ENOENT)
        }
        if !existed { Self.removeStale(in: directory, except: url.lastPathComponent) }
        return fd
    }

    /// Budgets unused for a week (a sandbox's ephemeral port, a rotated key) are deleted when
    /// a new one is made, so the directory stays small.
    static func removeStale(in directory: URL, except name: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        let limit = Date().timeIntervalSince1970 - 7 * 86_400
        for other in names where other != name && other.count == 32 && other.allSatisfy(\.isHexDigit) {
            let path = directory.appendingPathComponent(other).path
            var info = stat()
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Double(info.st_mtim.tv_sec) < limit {
                unlink(path)
            }
        }
    }

    static func read(_ fd: Int32, path: String) throws(SystemFile.Failure) -> Data {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemFile.Failure(path: path, errno: errno)
            }
            if n == 0 { return data }
            data.append(contentsOf: chunk[0..<n])
            offset += off_t(n)
            if data.count > 4 << 20 { return Data() }  // not ours: start afresh
        }
    }
}
