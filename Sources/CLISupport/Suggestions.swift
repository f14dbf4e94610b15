/// "Did you mean …?" for mistyped commands and options.
package enum Suggestions {
    /// The closest candidate: a small edit distance (typos, swapped letters) or a unique prefix.
    package static func closest(to typed: String, among candidates: [String]) -> String? {
        guard !typed.isEmpty else { return nil }
        let scored = candidates.map { ($0, distance(typed, $0)) }
        if let best = scored.min(by: { $0.1 < $1.1 }) {
            let limit = min(2, max(1, best.0.count / 3))
            if best.1 <= limit { return best.0 }
        }
        let prefixed = candidates.filter { $0.hasPrefix(typed) }
        if prefixed.count == 1 { return prefixed[0] }
        // A word left out (`whatsapp_key` for `whatsapp_api_key`): the one candidate whose words
        // hold all the typed ones, in order.
        let typedWords = words(typed)
        guard typedWords.count > 1 else { return nil }
        let holding = candidates.filter { candidate in
            var rest = words(candidate)[...]
            for word in typedWords {
                guard let at = rest.firstIndex(of: word) else { return false }
                rest = rest[(at + 1)...]
            }
            return true
        }
        return holding.count == 1 ? holding[0] : nil
    }

    private static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0 == "_" || $0 == "-" })
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and
    /// transpositions of neighbours each cost one.
    package static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var v = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { v = min(v, d[i - 2][j - 2] + 1) }
                d[i][j] = v
            }
        }
        return d[x.count][y.count]
    }
}
