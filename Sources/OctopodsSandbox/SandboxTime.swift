#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// The sandbox's time formats (UTC, spelled by `CivilTime` as the client spells them).
enum SandboxTime {
    /// `2026-02-10T15:42:00Z`, as in the newest docs' status examples.
    static func iso(_ date: Date) -> String { CivilTime.iso(date) }

    /// `2026-02-10T15:42:00.123Z`, for the request log.
    static func isoWithFraction(_ date: Date) -> String { CivilTime.iso(date, milliseconds: true) }

    /// `2026-04-24 12:34:56 UTC`, the documented 429 text (seconds rounded up).
    static func rateLimitText(_ date: Date) -> String {
        CivilTime.text(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.up)), in: .utc) + " UTC"
    }

    /// A JSON string for `date`, or null.
    static func json(_ date: Date?) -> SandboxJSON {
        date.map { .string(iso($0)) } ?? .null
    }
}
