#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader sees the old content or the new, never half of either,
/// with the permissions we choose. `Data.write(options: .atomic)` is not enough on Linux: it
/// creates the file 0666 & ~umask (a 0600 secret became 0644) and replaces a symlink instead
/// of writing through it (docs/linux-notes.md, "Atomic, private file writes").
package enum AtomicFile {
    /// Creates the directory (and parents) with `mode` when missing.
    package static func makeDirectory(_ url: URL, mode: Int = 0o700) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: mode])
    }

    /// Replaces `url` with `data`: temp file in the same directory, fsync, rename, fsync of
    /// the directory. With `followLinks` (the config file, which dotfile managers link) a
    /// symlink at `url` is followed, so the link stays a link; without it (state and cache
    /// files) the link itself is replaced and whatever it pointed to is left alone.
    package static func write(_ data: Data, to url: URL, mode: mode_t = 0o600, followLinks: Bool = true) throws {
        let target = followLinks ? url.resolvingSymlinksInPath() : url
        let directory = target.deletingLastPathComponent()
        let temp = directory.appendingPathComponent(".\(target.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw posixError(errno, temp) }
        var ok = false
        defer {
            if !ok { unlink(temp.path) }
        }
        do {
            // The mode given to open() is reduced by the umask; set it exactly.
            guard fchmod(fd, mode) == 0 else { let e = errno; close(fd); throw posixError(e, temp) }
            try data.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = Glibc.write(fd, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        let e = errno; close(fd); throw posixError(e, temp)
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { let e = errno; close(fd); throw posixError(e, temp) }
            close(fd)
        }
        guard rename(temp.path, target.path) == 0 else { throw posixError(errno, target) }
        ok = true
        let dfd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// The permission bits of a file, or nil when it does not exist.
    package static func mode(of url: URL) -> mode_t? {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    static func posixError(_ code: Int32, _ url: URL) -> Error {
        SystemFile.Failure(path: url.path, errno: code)
    }
}
