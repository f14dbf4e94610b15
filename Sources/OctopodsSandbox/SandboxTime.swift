#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The sandbox's time formats (UTC, locale-independent, `Sendable` format styles).
enum SandboxTime {
    /// `2026-02-10T15:42:00Z`, as in the newest docs' status examples.
    static func iso(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    /// `2026-02-10T15:42:00.123Z`, for the request log.
    static func isoWithFraction(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// `2026-04-24 12:34:56 UTC`, the documented 429 text (seconds rounded up).
    static func rateLimitText(_ date: Date) -> String {
        let rounded = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.up))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: rounded)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2)) \(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)) UTC"
    }

    /// A JSON string for `date`, or null.
    static func json(_ date: Date?) -> SandboxJSON {
        date.map { .string(iso($0)) } ?? .null
    }
}
