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
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true,
            attributes: [.posixPermissions: mode])
    }

    /// Replaces `url` with `data`: temp file in the same directory, fsync, rename, fsync of
    /// the directory. With `followLinks` (the config file, which dotfile managers link) a
    /// symlink at `url` is followed, so the link stays a link; without it (state and cache
    /// files) the link itself is replaced and whatever it pointed to is left alone.
    package static func write(_ data: Data, to url: URL, mode: mode_t = 0o600, followLinks: Bool = true) throws {
        try SystemFile.replace(followLinks ? url.resolvingSymlinksInPath() : url, with: data, mode: mode)
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
