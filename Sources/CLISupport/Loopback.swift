#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Whether a host name or address is this machine's loopback: `localhost` and its
/// subdomains, 127.0.0.0/8 in any spelling libc accepts (`127.1`, `0x7f000001`), `::1` and
/// `::ffff:127.x.y.z`. Used to keep loopback traffic away from proxies and, in the sandbox,
/// to accept only requests addressed to a loopback name (no DNS rebinding).
package enum Loopback {
    package static func isLoopback(host: String?) -> Bool {
        guard var name = host?.lowercased(), !name.isEmpty else { return false }
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name.hasSuffix(".") { name = String(name.dropLast()) }
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        var v4 = in_addr()
        if !name.contains(":"), inet_aton(name, &v4) != 0 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, name, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        return bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
    }

    /// The host part of a `Host` header value (`name:port`, `[v6]:port`, `name`).
    package static func hostPart(ofHeader value: String) -> String {
        let trimmed = value.trimmingSpaces()
        if trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") {
            return String(trimmed[trimmed.startIndex...close])
        }
        if let colon = trimmed.lastIndex(of: ":") { return String(trimmed[..<colon]) }
        return trimmed
    }
}
