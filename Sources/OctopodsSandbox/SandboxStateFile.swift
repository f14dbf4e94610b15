#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The JSON state file, replaced atomically (temp file in the same directory, mode 0600,
/// fsync, rename, fsync of the directory). Several processes may serve one state (`octopods
/// sandbox` in one shell, `--sandbox` in another): they take turns holding an exclusive
/// `flock` on a lock file beside it (see SandboxAPI), reloading the state when another
/// process saved it, so message ids never repeat and no change is lost.
package struct SandboxStateFile: Sendable {
    let url: URL

    /// What identifies one version of the file: a save renames a new inode into place.
    struct Stamp: Equatable, Sendable {
        var device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int
    }

    /// The file's stamp now; nil when it does not exist.
    func stamp() -> Stamp? {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return nil }
        return Stamp(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
    }

    /// `.sandbox.json.lock` beside the file.
    var lockURL: URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).lock")
    }

    /// Opens (creating) the lock file: never through a link, only this user's own.
    func openLock() throws -> Int32 {
        try Self.createDirectory(url.deletingLastPathComponent(), for: url)
        do {
            guard let fd = try SystemFile.openOwned(lockURL, flags: O_RDWR, create: true) else {
                throw SandboxFileError(file: lockURL, reason: "cannot create the lock file", hint: nil)
            }
            return fd
        } catch let failure as SystemFile.Failure {
            throw SandboxFileError(file: lockURL, reason: failure.reason, hint: nil)
        }
    }

    /// Runs `body` holding the exclusive lock on `fd`.
    static func withLock<T>(_ fd: Int32, _ body: () throws -> T) throws -> T {
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw SandboxFileError(
                    file: URL(fileURLWithPath: "/proc/self/fd/\(fd)"), reason: SandboxFileError.systemReason("flock"), hint: nil)
            }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    static let resetHint = "Fix or delete the file, or start afresh with `octopods sandbox --reset`"

    /// The saved state; nil when the file does not exist yet.
    func load() throws -> SandboxState? {
        let data: Data
        do {
            // Never through a link; only a regular file of this user that others cannot write.
            guard let fd = try SystemFile.openOwned(url, flags: O_RDONLY) else { return nil }
            defer { close(fd) }
            // It holds the sandbox's keys: a copy left readable by others (0644) is made private.
            var info = stat()
            if fstat(fd, &info) == 0, info.st_mode & 0o077 != 0 { fchmod(fd, 0o600) }
            data = try SystemFile.readAll(fd, path: url.path)
        } catch {
            throw SandboxFileError(file: url, reason: "cannot use the sandbox state file (\(error.reason))", hint: nil)
        }
        return try Self.decode(data, file: url)
    }

    /// The state `data` holds, checked and repaired as every load does (the fuzz target's entry).
    package static func decode(_ data: Data, file url: URL) throws -> SandboxState {
        var state: SandboxState
        do {
            state = try JSONDecoder().decode(SandboxState.self, from: data)
        } catch {
            throw SandboxFileError(
                file: url, reason: "the sandbox state file is corrupt (not the JSON the sandbox writes)", hint: Self.resetHint)
        }
        guard state.version == SandboxState.currentVersion else {
            throw SandboxFileError(
                file: url, reason: "the sandbox state file has unsupported version \(state.version)", hint: Self.resetHint)
        }
        if let implausible = state.implausible {
            throw SandboxFileError(
                file: url, reason: "the sandbox state file is corrupt (\(implausible) is out of range)", hint: Self.resetHint)
        }
        state.normalise()
        return state
    }

    /// Replaces the file with `state`, atomically.
    func save(_ state: SandboxState) throws {
        let data: Data
        do { data = try JSONEncoder().encode(state) } catch {
            throw SandboxFileError(file: url, reason: "cannot encode the sandbox state (\(error))", hint: nil)
        }
        try Self.createDirectory(url.deletingLastPathComponent(), for: url)
        do {
            try SystemFile.replace(url, with: data, mode: 0o600)
        } catch {
            throw SandboxFileError(file: url, reason: "cannot save the sandbox state: \(error.reason)", hint: nil)
        }
    }

    /// Whether `data` is what the sandbox writes (perhaps damaged further on): a JSON object
    /// whose start names the state's fields. `--reset` deletes nothing else.
    static func looksLikeState(_ data: Data) -> Bool {
        let head = String(decoding: data.prefix(4096), as: UTF8.self)
        return head.trimmingWhitespace().hasPrefix("{")
            && head.contains("\"nextMessageID\"") && head.contains("\"version\"")
    }

    /// `--reset`: deletes the file only when it is a sandbox state (a missing file is fine);
    /// a link, another user's file or any other file is refused, untouched.
    static func reset(_ url: URL) throws {
        let data: Data
        do {
            guard let read = try SystemFile.readOwned(url) else { return }
            data = read
        } catch {
            throw SandboxFileError(file: url, reason: "\(error.reason); --reset did not delete it", hint: nil)
        }
        guard looksLikeState(data) else {
            throw SandboxFileError(
                file: url, reason: "is not a sandbox state file, so --reset will not delete it",
                hint: "Give --state a file the sandbox made, or a path that does not exist yet")
        }
        try remove(url)
    }

    /// Deletes the file (and nothing else); a missing file is fine.
    static func remove(_ url: URL) throws {
        if unlink(url.path) != 0, errno != ENOENT {
            throw SandboxFileError(file: url, reason: SandboxFileError.systemReason("delete"), hint: nil)
        }
    }

    /// Creates `directory` (mode 0700) if it is missing.
    static func createDirectory(_ directory: URL, for file: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw SandboxFileError(
                file: file, reason: "cannot create directory \(directory.path) (\(PlainText.describe(error)))", hint: nil)
        }
    }

}
