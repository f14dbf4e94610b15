#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Every duration that becomes an integer (nanoseconds for a sleep, milliseconds for libcurl,
/// whole seconds for a message) goes through here first: a value from a server (a 429 "try
/// after 9999-12-31") or from the command line (`--timeout 9223372036854775807s`) would
/// otherwise trap converting to an integer.
package enum Clamp {
    /// The longest wait or timeout honoured: a year.
    package static let maximumSeconds: Double = 366 * 86_400

    /// `seconds` within 0…a year; NaN is 0, +∞ a year.
    package static func seconds(_ seconds: Double) -> Double {
        guard seconds.isFinite else { return seconds > 0 ? maximumSeconds : 0 }
        return min(max(0, seconds), maximumSeconds)
    }

    package static func nanoseconds(_ seconds: Double) -> UInt64 {
        UInt64(Self.seconds(seconds) * 1_000_000_000)
    }

    package static func milliseconds(_ seconds: Double) -> Int {
        Int((Self.seconds(seconds) * 1000).rounded(.up))
    }

    /// The longest 429 cool-down a run waits out without being told to (`--max-wait` may allow
    /// more); the documented one is 5 minutes.
    package static let longestRetryWait: Double = 3600

    /// Whether a server's "retry after" time is one a bulk run waits for (nil: the default
    /// cool-down). A time further away than an hour ("try after 9999-12-31") stops the run:
    /// "not sent, retry later" (exit 4), never slept on; every process still waits for it
    /// (RateBudget.maxPause).
    package static func plausibleRetry(_ at: Date?, now: Date) -> Bool {
        guard let at else { return true }
        return at.timeIntervalSince(now) <= longestRetryWait
    }
}
