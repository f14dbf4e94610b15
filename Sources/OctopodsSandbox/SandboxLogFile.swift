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

/// The request log: one JSON line per request, appended (O_APPEND, mode 0600).
final class SandboxLogFile: Sendable {
    let url: URL
    private let descriptor: Int32

    init(url: URL) throws {
        self.url = url
        try SandboxStateFile.createDirectory(url.deletingLastPathComponent(), for: url)
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SandboxFileError(
                file: url, reason: "cannot open the sandbox request log (\(SandboxFileError.systemReason("open")))", hint: nil)
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Appends one line; a failed write is dropped (the log must never break a request).
    func append(_ record: SandboxLoggedRequest) {
        var line = record.json.encoded()
        line.append(UInt8(ascii: "\n"))
        _ = SystemFile.writeAll(descriptor, line)
    }
}
