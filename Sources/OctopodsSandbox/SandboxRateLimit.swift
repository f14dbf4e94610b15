#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A sliding-window rate limit: more than `count` requests from one key in any `window` seconds
/// starts a cool-down.
package struct SandboxRateLimit: Sendable, Equatable {
    package var count: Int
    package var window: TimeInterval

    package init(count: Int, window: TimeInterval) {
        self.count = count; self.window = window
    }

    /// The only documented numbers (doc 3989695): 330 per minute, spread as 55 per 10 seconds.
    package static let standard = SandboxRateLimit(count: 55, window: 10)

    /// Admits one request of the key whose history is `record`, or returns the end of the
    /// cool-down the key is in (or has just started). Requests refused during a cool-down are not
    /// counted and do not extend it.
    func admit(_ record: inout SandboxRateLimitRecord, at now: Date, cooldown: TimeInterval) -> Date? {
        if let until = record.cooldownUntil {
            if now < until { return until }
            record.cooldownUntil = nil
        }
        let windowStart = now.addingTimeInterval(-window)
        record.recent.removeAll { $0 <= windowStart }
        if record.recent.count >= count {
            // Whole seconds, so the documented "try after HH:MM:SS" time is safe to retry at.
            let until = Date(timeIntervalSince1970: now.addingTimeInterval(cooldown).timeIntervalSince1970.rounded(.up))
            record.cooldownUntil = until
            record.recent.removeAll()
            return until
        }
        record.recent.append(now)
        return nil
    }

    /// The documented 429 body (14823952): a single `message`, no `error_code`, no `request_id`.
    static func tooManyRequests(retryAfter date: Date) -> SandboxResponse {
        let body: SandboxJSON = [
            "message": .string("You have fired too many requests. Please try after \(SandboxTime.rateLimitText(date)).")
        ]
        return body.response(status: 429)
    }
}

/// One key's recent requests and cool-down, as persisted in the state file.
struct SandboxRateLimitRecord: Codable, Sendable, Equatable {
    var recent: [Date] = []
    var cooldownUntil: Date?
}
