/// Durations in messages, the same whatever the locale (no formatter, so no ICU).
package enum DurationText {
    /// `45s`, `1.5s`, `4m 12s`, `2h`, `1h 5m`.
    /// Negative values show as 0s; values beyond a century are capped (never a trap on conversion).
    package static func format(seconds: Double) -> String {
        let seconds = seconds.isNaN ? 0 : min(max(0, seconds), 3_153_600_000)
        if seconds < 60 {
            if seconds == seconds.rounded() { return "\(Int(seconds))s" }
            let tenths = Int((seconds * 10).rounded())
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60)
        if h > 0 { return m > 0 ? "\(h)h \(m)m" : "\(h)h" }
        return s > 0 ? "\(m)m \(s)s" : "\(m)m"
    }
}
