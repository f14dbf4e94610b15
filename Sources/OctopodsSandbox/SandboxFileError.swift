#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A state or log file the sandbox cannot use.
package struct SandboxFileError: Error, Sendable, CustomStringConvertible, LocalizedError {
    package let file: URL
    package let reason: String
    package let hint: String?

    package var description: String {
        "\(file.path): \(reason)" + (hint.map { ". \($0)" } ?? "")
    }

    package var errorDescription: String? { description }

    /// The `errno` text of a failed system call.
    static func systemReason(_ action: String, _ code: Int32 = errno) -> String {
        "\(action) failed: \(String(cString: strerror(code)))"
    }
}
