#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The XDG base directories, by one rule: a relative or empty value is ignored, as the XDG
/// Base Directory specification asks ("If an implementation encounters a relative path in any
/// of these variables it should consider the path invalid and ignore it").
package enum XDGDirectory: String, Sendable, CaseIterable {
    case config = "XDG_CONFIG_HOME"
    case cache = "XDG_CACHE_HOME"
    case state = "XDG_STATE_HOME"
    case data = "XDG_DATA_HOME"

    /// The default under the home directory when the variable is unset, empty or relative.
    var fallback: String {
        switch self {
        case .config: return ".config"
        case .cache: return ".cache"
        case .state: return ".local/state"
        case .data: return ".local/share"
        }
    }

    /// `$XDG_…_HOME/octopods` (or the default under `home`).
    package func octopods(environment: [String: String], home: URL) -> URL {
        base(environment: environment, home: home).appendingPathComponent("octopods", isDirectory: true)
    }

    package func base(environment: [String: String], home: URL) -> URL {
        if let value = environment[rawValue], value.hasPrefix("/") {
            return URL(fileURLWithPath: value, isDirectory: true)
        }
        return home.appendingPathComponent(fallback, isDirectory: true)
    }

    /// The home directory from `HOME` (non-empty), else the password database's.
    package static func home(environment: [String: String]) -> URL {
        if let home = environment["HOME"], !home.isEmpty { return URL(fileURLWithPath: home, isDirectory: true) }
        return FileManager.default.homeDirectoryForCurrentUser
    }
}

/// The POSIX file idioms every stateful file of octopods uses: write-all with EINTR retry,
/// directory fsync, and opening a file that must be the user's own (no symlink, a regular
/// file owned by the user, not writable by group or others).
package enum SystemFile {
    /// A failure of a system call on a path: the path and `strerror`.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var path: String
        package var reason: String
        package var errno: Int32
        package var description: String { "\(path): \(reason)" }
        package init(path: String, reason: String, errno: Int32 = 0) {
            self.path = path; self.reason = reason; self.errno = errno
        }
        package init(path: String, errno code: Int32) {
            self.init(path: path, reason: String(cString: strerror(code)), errno: code)
        }
    }

    /// Writes every byte, retrying interrupted and short writes; the errno of a failure, else nil.
    /// With `at`, at that offset of the file (pwrite), whatever the file position.
    package static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at position: off_t? = nil) -> Int32? {
        var offset = 0
        while offset < buffer.count {
            let pointer = buffer.baseAddress?.advanced(by: offset)
            let n =
                position.map { pwrite(fd, pointer, buffer.count - offset, $0 + off_t(offset)) }
                ?? Glibc.write(fd, pointer, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += n
        }
        return nil
    }

    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], at position: off_t? = nil) -> Int32? {
        bytes.withUnsafeBytes { writeAll(fd, $0, at: position) }
    }

    package static func writeAll(_ fd: Int32, _ data: Data) -> Int32? {
        data.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Makes a rename or a new file in `directory` durable.
    package static func syncDirectory(_ directory: URL) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// Replaces the file at `target` with `data`, so that a reader sees the old content or the
    /// new, never half of either, with exactly `mode`: a temporary file in the same directory,
    /// every byte written, fsync, rename over the target, fsync of the directory
    /// (docs/linux-notes.md, "Atomic, private file writes"). The one atomic replace of the
    /// project: the config, caches, journals' companions and the sandbox's state use it.
    package static func replace(_ target: URL, with data: Data, mode: mode_t = 0o600) throws(Failure) {
        let directory = target.deletingLastPathComponent()
        let temp = directory.appendingPathComponent(".\(target.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(path: temp.path, errno: errno) }
        // The mode given to open() is reduced by the umask; set it exactly.
        var failure: Int32? = fchmod(fd, mode) == 0 ? nil : errno
        if failure == nil { failure = writeAll(fd, data) }
        if failure == nil, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == nil, rename(temp.path, target.path) != 0 { failure = errno }
        if let failure {
            unlink(temp.path)
            throw Failure(path: target.path, errno: failure)
        }
        syncDirectory(directory)
    }

    /// Creates `directory` (and parents) with `mode` when missing. An existing directory of
    /// ours that others can write to is tightened to `mode`; one owned by someone else, or a
    /// symlink where the directory should be, is refused.
    package static func makePrivateDirectory(_ directory: URL, mode: mode_t = 0o700) throws(Failure) {
        var info = stat()
        if lstat(directory.path, &info) != 0 {
            do {
                try FileManager.default.createDirectory(
                    at: directory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: Int(mode)])
            } catch {
                throw Failure(path: directory.path, reason: "cannot create it (\(PlainText.describe(error)))")
            }
            guard lstat(directory.path, &info) == 0 else { throw Failure(path: directory.path, errno: errno) }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw Failure(path: directory.path, reason: "is not a directory (a symlink or a file is in its place)")
        }
        guard info.st_uid == geteuid() else {
            throw Failure(path: directory.path, reason: "belongs to another user (uid \(info.st_uid))")
        }
        if info.st_mode & 0o022 != 0 { chmod(directory.path, mode) }
    }

    /// Opens a file that only its owner — this user — may have written: never through a
    /// symlink (`O_NOFOLLOW`), a regular file, owned by the effective user, not writable by
    /// group or others. `create` makes it (mode `mode`, exactly) when missing. Returns the
    /// descriptor, or nil when the file is missing and `create` is false.
    ///
    /// Opened `O_NONBLOCK`, which is cleared once the file is known to be regular: opening a
    /// FIFO planted in its place would otherwise wait in open(2) for a writer, where no signal
    /// but SIGKILL reaches it.
    package static func openOwned(
        _ url: URL, flags: Int32, create: Bool = false,
        mode: mode_t = 0o600
    ) throws(Failure) -> Int32? {
        let flags = flags | O_NONBLOCK
        var fd = open(url.path, flags | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0, errno == ENOENT {
            guard create else { return nil }
            fd = open(url.path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 { fchmod(fd, mode) } else if errno == EEXIST { fd = open(url.path, flags | O_NOFOLLOW | O_CLOEXEC) }
        }
        if fd < 0, errno == ENXIO {  // a FIFO opened for writing with no reader
            throw Failure(path: url.path, reason: "is not a regular file")
        }
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP {
                throw Failure(path: url.path, reason: "is a symbolic link; octopods does not follow links for its own files", errno: code)
            }
            throw Failure(path: url.path, errno: code)
        }
        if let problem = ownershipProblem(fd) {
            close(fd)
            throw Failure(path: url.path, reason: problem)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// Why an open file is not safely ours, or nil.
    package static func ownershipProblem(_ fd: Int32) -> String? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return String(cString: strerror(errno)) }
        if info.st_mode & S_IFMT != S_IFREG { return "is not a regular file" }
        if info.st_uid != geteuid() { return "belongs to another user (uid \(info.st_uid)), so octopods will not trust it" }
        if info.st_mode & 0o022 != 0 {
            return "is writable by other users (mode \(String(info.st_mode & 0o777, radix: 8))); fix it with: chmod go-w <file>"
        }
        return nil
    }

    /// Reads the whole of an owned file (see `openOwned`); nil when it does not exist. A file
    /// larger than `limit` bytes is refused before it is read.
    package static func readOwned(_ url: URL, limit: Int? = nil) throws(Failure) -> Data? {
        guard let fd = try openOwned(url, flags: O_RDONLY) else { return nil }
        defer { close(fd) }
        var info = stat()
        if let limit, fstat(fd, &info) == 0, info.st_size > limit {
            throw Failure(path: url.path, reason: "is \(info.st_size) bytes, larger than any such file (at most \(limit))")
        }
        return try readAll(fd, path: url.path)
    }

    /// Reads from `fd` to its end.
    package static func readAll(_ fd: Int32, path: String) throws(Failure) -> Data {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, errno: errno)
            }
            if n == 0 { return data }
            data.append(contentsOf: chunk[0..<n])
        }
    }
}
