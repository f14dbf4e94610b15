/// A table as commands return it: headers and rows of plain strings.
package struct Table: Sendable, Equatable {
    package var headers: [String]
    package var rows: [[String]]
    /// The column that gives up width first when the terminal is too narrow.
    package var flexibleColumn: Int?

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
        let columns = table.headers.count
        let cells = table.rows.map { row in
            (0..<columns).map { TerminalText.sanitize($0 < row.count ? row[$0] : "") }
        }
        var widths = (0..<columns).map { c in
            max(TerminalText.width(table.headers[c]), cells.map { TerminalText.width($0[c]) }.max() ?? 0)
        }
        if let width, columns > 0 {
            let total = widths.reduce(0, +) + 2 * (columns - 1)
            if total > width {
                let flex = table.flexibleColumn ?? (widths.indices.max { widths[$0] < widths[$1] } ?? 0)
                let others = total - widths[flex]
                widths[flex] = max(TerminalText.width(table.headers[flex]), width - others, 8)
            }
        }
        var lines: [String] = []
        let header = (0..<columns).map { c -> String in
            let text = TerminalText.pad(table.headers[c], to: c == columns - 1 ? 0 : widths[c])
            return color ? "\u{1B}[1m\(text)\u{1B}[0m" : text
        }
        lines.append(header.joined(separator: "  "))
        for row in cells {
            let rendered = (0..<columns).map { c -> String in
                let cut = TerminalText.truncate(row[c], to: widths[c])
                let padded = c == columns - 1 ? cut : TerminalText.pad(cut, to: widths[c])
                guard color, let code = style(c, row[c]) else { return padded }
                return "\u{1B}[\(code)m\(padded)\u{1B}[0m"
            }
            lines.append(rendered.joined(separator: "  "))
        }
        return lines.map { $0.replacingTrailingSpaces() }.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func replacingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
