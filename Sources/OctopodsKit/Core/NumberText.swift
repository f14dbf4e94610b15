import CLISupport

/// Numbers in messages, the same whatever the locale.
package enum NumberText {
    /// 1600 → "1,600".
    package static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// 2.25, 1 → "2.3": `%.1f` without `String(format:)` (which drags ICU into the binary).
    package static func decimal(_ x: Double, places: Int = 1) -> String {
        PlainText.decimal(x, places: places)
    }
}
