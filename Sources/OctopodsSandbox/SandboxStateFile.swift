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

/// The JSON state file: loaded once, replaced atomically (temp file in the same directory,
/// mode 0600, fsync, rename, fsync of the directory).
struct SandboxStateFile: Sendable {
    let url: URL

    static let resetHint = "Fix or delete the file, or start afresh with `octopods sandbox --reset`"

    /// The saved state; nil when the file does not exist yet.
    func load() throws -> SandboxState? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SandboxFileError(file: url, reason: "cannot read the sandbox state file (\(PlainText.describe(error)))", hint: Self.resetHint)
        }
        var state: SandboxState
        do {
            state = try JSONDecoder().decode(SandboxState.self, from: data)
        } catch {
            throw SandboxFileError(file: url, reason: "the sandbox state file is corrupt (not the JSON the sandbox writes)", hint: Self.resetHint)
        }
        guard state.version == SandboxState.currentVersion else {
            throw SandboxFileError(file: url, reason: "the sandbox state file has unsupported version \(state.version)", hint: Self.resetHint)
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
        let directory = url.deletingLastPathComponent()
        try Self.createDirectory(directory, for: url)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString.prefix(8))")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SandboxFileError(file: temporary, reason: SandboxFileError.systemReason("open"), hint: nil) }
        var failure: String?
        if fchmod(fd, 0o600) != 0 { failure = SandboxFileError.systemReason("chmod") }
        if failure == nil { failure = Self.writeAll(data, to: fd) }
        if failure == nil, fsync(fd) != 0 { failure = SandboxFileError.systemReason("fsync") }
        close(fd)
        if failure == nil, rename(temporary.path, url.path) != 0 { failure = SandboxFileError.systemReason("rename") }
        if let failure {
            unlink(temporary.path)
            throw SandboxFileError(file: url, reason: "cannot save the sandbox state: \(failure)", hint: nil)
        }
        let dfd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
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
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw SandboxFileError(file: file, reason: "cannot create directory \(directory.path) (\(PlainText.describe(error)))", hint: nil)
        }
    }

    /// Writes all of `data`; the failure text, or nil.
    static func writeAll(_ data: Data, to fd: Int32) -> String? {
        data.withUnsafeBytes { buffer -> String? in
            guard var pointer = buffer.baseAddress else { return nil }
            var left = buffer.count
            while left > 0 {
                let written = write(fd, pointer, left)
                if written < 0 {
                    if errno == EINTR { continue }
                    return SandboxFileError.systemReason("write")
                }
                left -= written
                pointer = pointer.advanced(by: written)
            }
            return nil
        }
    }
}
