#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How every `--wait` polls statuses (`StatusFollower`, for sends, `status` and bulk runs): the
/// first check at once, then after 1 s, doubling up to 15 s between rounds, until the deadline
/// (`--wait-timeout`, default 2 minutes from the start of the wait).
package struct PollSchedule: Sendable, Equatable {
    package static let defaultTimeout: Double = 120
    package static let firstPause: Double = 1
    package static let longestPause: Double = 15

    /// The whole wait, in seconds.
    package let total: Double
    package let deadline: Date
    private var pause = PollSchedule.firstPause

    package init(timeout: Double?, now: Date) {
        total = timeout ?? Self.defaultTimeout
        deadline = now.addingTimeInterval(total)
    }

    /// The next pause is at least this long (a 429's retry time).
    package mutating func pauseAtLeast(_ seconds: Double) {
        pause = max(pause, seconds)
    }

    /// How long to sleep before the next round (never past the deadline), backing off for the
    /// one after; nil when the deadline has passed.
    package mutating func nextPause(now: Date) -> Double? {
        let remaining = deadline.timeIntervalSince(now)
        guard remaining > 0 else { return nil }
        defer { pause = min(pause * 2, Self.longestPause) }
        return min(pause, remaining)
    }
}
