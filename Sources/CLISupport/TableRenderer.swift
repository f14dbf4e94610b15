/// A table as commands return it: headers and rows of plain strings.
package struct Table: Sendable, Equatable {
    package var headers: [String]
    package var rows: [[String]]
    /// The column that gives up width first when the terminal is too narrow.
    package var flexibleColumn: Int?
    /// Columns never cut while the others can give up width (times, ids).
    package var wholeColumns: Set<Int> = []

    package init(headers: [String], rows: [[String]], flexibleColumn: Int? = nil) {
        self.headers = headers; self.rows = rows; self.flexibleColumn = flexibleColumn
    }
}

/// Renders tables: aligned columns, every cell sanitised, truncation to the terminal width
/// (only on a terminal: piped output is never cut), bold headers only when colour is on.
package struct TableRenderer: Sendable {
    package var width: Int?
    package var color: Bool

    package init(width: Int?, color: Bool) { self.width = width; self.color = color }

    package func render(_ table: Table, style: (_ column: Int, _ cell: String) -> String? = { _, _ in nil }) -> String {
        let all = table.rows.map { row in
            table.headers.indices.map { TerminalText.sanitize($0 < row.count ? row[$0] : "") }
        }
        // On a terminal, a column with nothing in any row is dropped first.
        var kept = Array(table.headers.indices)
        if width != nil, !all.isEmpty {
            let filled = kept.filter { c in all.contains { !$0[c].isEmpty } }
            if !filled.isEmpty { kept = filled }
        }
        let headers = kept.map { table.headers[$0] }
        let columns = headers.count
        let cells = all.map { row in kept.map { row[$0] } }
        var widths = (0..<columns).map { c in
            max(TerminalText.width(headers[c]), cells.map { TerminalText.width($0[c]) }.max() ?? 0)
        }
        if let width, columns > 0 {
            widths = Self.fit(
                widths, headers: headers.map(TerminalText.width), into: width,
                flexible: table.flexibleColumn.flatMap { kept.firstIndex(of: $0) },
                whole: Set(table.wholeColumns.compactMap { kept.firstIndex(of: $0) }))
        }
        var lines: [String] = []
        let header = (0..<columns).map { c -> String in
            let cut = TerminalText.truncate(headers[c], to: widths[c])
            let text = TerminalText.pad(cut, to: c == columns - 1 ? 0 : widths[c])
            return color ? "\u{1B}[1m\(text)\u{1B}[0m" : text
        }
        lines.append(header.joined(separator: "  "))
        for row in cells {
            let rendered = (0..<columns).map { c -> String in
                let cut = TerminalText.truncate(row[c], to: widths[c])
                let padded = c == columns - 1 ? cut : TerminalText.pad(cut, to: widths[c])
                guard color, let code = style(kept[c], row[c]) else { return padded }
                return "\u{1B}[\(code)m\(padded)\u{1B}[0m"
            }
            lines.append(rendered.joined(separator: "  "))
        }
        return lines.map { $0.replacingTrailingSpaces() }.joined(separator: "\n") + "\n"
    }

    /// Column widths that fit `width` terminal columns (two spaces between columns). The
    /// flexible column gives up width first, down to its header or 10 columns; then the widest
    /// columns shrink together ("water filling": every column wider than a common cap is cut to
    /// it, narrow ones keep their width), down to 3 columns each (1 on a very narrow terminal);
    /// the `whole` columns keep their width as long as the others can make room. A table whose columns cannot
    /// fit even then is as narrow as it can be; cells are cut with one "…" either way.
    package static func fit(_ natural: [Int], headers: [Int], into width: Int, flexible: Int?, whole: Set<Int> = []) -> [Int] {
        var widths = natural
        let separators = 2 * max(0, widths.count - 1)
        func total() -> Int { widths.reduce(0, +) + separators }
        guard total() > width else { return widths }
        if let flexible, widths.indices.contains(flexible) {
            let floor = min(widths[flexible], max(headers[flexible], 10))
            widths[flexible] = max(floor, widths[flexible] - (total() - width))
        }
        guard total() > width else { return widths }
        let budget = width - separators
        // Three columns each ("ab…"), or one on a terminal too narrow even for that.
        var floors = widths.indices.map { whole.contains($0) ? widths[$0] : min(widths[$0], 3) }
        if floors.reduce(0, +) > budget { floors = widths.map { min($0, 3) } }
        if floors.reduce(0, +) > budget { floors = widths.map { min($0, 1) } }
        // The largest cap at which the capped widths fit the budget.
        var low = 0, high = widths.max() ?? 0
        while low < high {
            let cap = (low + high + 1) / 2
            let used = widths.indices.reduce(0) { $0 + max(floors[$1], min(widths[$1], cap)) }
            if used <= budget { low = cap } else { high = cap - 1 }
        }
        widths = widths.indices.map { max(floors[$0], min(widths[$0], low)) }
        // Integer caps leave a remainder: hand it back, one column each, to the columns that were cut.
        var spare = budget - widths.reduce(0, +)
        for i in widths.indices where spare > 0 && widths[i] < natural[i] {
            widths[i] += 1
            spare -= 1
        }
        return widths
    }
}

extension String {
    fileprivate func replacingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
