import CLISupport

/// A flag value of a bulk send that may name columns of the input: `--var 1={First Name}`,
/// `--var 2="Order {Order} ships today"`. `{{` and `}}` are literal braces. Parsed once; filled
/// in for every row. Single sends never parse their values this way: braces stay text.
package struct CellTemplate: Sendable, Equatable {
    package enum Part: Sendable, Equatable {
        case text(String)
        case column(String)
    }

    package var parts: [Part]
    /// Where the value came from, for messages: `--var 1`, `--header-var #2`, `--body`.
    package var field: String
    /// `--var 1 (column 'Order')`: the field and its columns, made once for the row errors.
    package var described: String

    package init(parts: [Part], field: String) {
        self.parts = parts
        self.field = field
        let columns = parts.compactMap { if case .column(let name) = $0 { return "column '\(name)'" } else { return nil } }
        described = columns.isEmpty ? field : field + " (" + columns.joined(separator: ", ") + ")"
    }

    /// The columns named, in order.
    package var columns: [String] {
        parts.compactMap { if case .column(let name) = $0 { return name } else { return nil } }
    }

    package var isLiteral: Bool { columns.isEmpty }

    /// The text with `{{`/`}}` unescaped when it names no column.
    package var literal: String {
        parts.map { if case .text(let t) = $0 { return t } else { return "" } }.joined()
    }

    /// Throws a usage error for a `{` never closed or an empty `{}`.
    package static func parse(_ text: String, field: String) throws(OctopodsError) -> CellTemplate {
        var parts: [Part] = []
        var literal = ""
        var scalars = Substring(text).unicodeScalars[...]
        while let c = scalars.first {
            scalars = scalars.dropFirst()
            if c == "{" || c == "}" {
                if scalars.first == c {  // {{ or }}: the brace itself
                    scalars = scalars.dropFirst()
                    literal.unicodeScalars.append(c)
                    continue
                }
                if c == "}" { literal.unicodeScalars.append(c); continue }
                guard let close = scalars.firstIndex(of: "}") else {
                    throw .usage(
                        UsageError(
                            "\(field): '{' starts a column reference that is never closed with '}'",
                            suggestion: "Write {{ for a literal brace, or {Column Name} for a column's value."))
                }
                let name = String(String.UnicodeScalarView(scalars[..<close])).trimmingSpaces()
                if name.isEmpty {
                    throw .usage(
                        UsageError(
                            "\(field): '{}' names no column",
                            suggestion: "Write {Column Name} for a column's value, or {{}} for literal braces."))
                }
                if !literal.isEmpty { parts.append(.text(literal)); literal = "" }
                parts.append(.column(name))
                scalars = scalars[scalars.index(after: close)...]
                continue
            }
            literal.unicodeScalars.append(c)
        }
        if !literal.isEmpty || parts.isEmpty { parts.append(.text(literal)) }
        return CellTemplate(parts: parts, field: field)
    }

    /// The value for a row; a row error when a named cell is empty or missing.
    package func render(_ row: InputRow) throws(OctopodsError) -> String {
        if parts.count == 1, case .text(let t) = parts[0] { return t }
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            case .column(let name):
                guard let value = row.fields[name], !value.isEmpty else {
                    throw .invalidInput("column '\(name)' is empty (\(field) uses it)")
                }
                out += value
            }
        }
        return out
    }
}

/// What a bulk run's flags take from the columns, checked against the file's header before any
/// row is read: an unknown name is a usage error that lists the columns.
package struct ColumnReference: Sendable, Equatable {
    package var column: String
    package var field: String

    /// Throws a usage error naming the first reference to a column the file does not have.
    package static func check(_ references: [ColumnReference], columns: [String], file: String) throws(OctopodsError) {
        for reference in references where !columns.contains(reference.column) {
            let guess =
                columns.first { $0.lowercased() == reference.column.lowercased() }
                ?? Suggestions.closest(to: reference.column, among: columns)
            let listed =
                columns.prefix(30).map { "'\(TerminalText.sanitize(String($0.prefix(40))))'" }.joined(separator: ", ")
                + (columns.count > 30 ? " and \(columns.count - 30) more" : "")
            throw .usage(
                UsageError(
                    "\(reference.field) uses column '\(TerminalText.sanitize(String(reference.column.prefix(40))))', which \(file) does not have; its columns are \(listed)",
                    suggestion: guess.map { "Did you mean {\($0)}?" }))
        }
    }
}

/// Template variables whose values may name columns: filled in per row, then the row's own
/// placeholder columns (`1`, `body_1`, `header.1`, …) on top.
package struct VariableTemplates: Sendable {
    package var base: TemplateVariables
    var header: [CellTemplate] = []
    var body: [CellTemplate] = []
    var footer: [CellTemplate] = []
    var buttons: [CellTemplate] = []
    /// Whether any value names a column (otherwise `base` serves every row as it is).
    package let usesColumns: Bool

    package init(_ variables: TemplateVariables) throws(OctopodsError) {
        base = variables
        func parse(_ values: [String], _ name: (Int) -> String) throws(OctopodsError) -> [CellTemplate] {
            var out: [CellTemplate] = []
            for (i, value) in values.enumerated() { out.append(try CellTemplate.parse(value, field: name(i))) }
            return out
        }
        header = try parse(variables.header) { "--header-var #\($0 + 1)" }
        body = try parse(variables.body) { "--var \($0 + 1)" }
        footer = try parse(variables.footer) { "--footer-var #\($0 + 1)" }
        buttons = try parse(variables.buttons) { "--button-var #\($0 + 1)" }
        let all = header + body + footer + buttons
        usesColumns = all.contains { !$0.isLiteral }
        // Literal values lose their escapes ({{ → {) once, here.
        base.header = header.map(\.literal); base.body = body.map(\.literal)
        base.footer = footer.map(\.literal); base.buttons = buttons.map(\.literal)
    }

    package var references: [ColumnReference] {
        (header + body + footer + buttons).flatMap { t in t.columns.map { ColumnReference(column: $0, field: t.field) } }
    }

    /// The variables for one row.
    package func resolve(_ row: InputRow) throws(OctopodsError) -> TemplateVariables {
        var v = base
        if usesColumns {
            func fill(_ templates: [CellTemplate], _ values: inout [String]) throws(OctopodsError) {
                for (i, t) in templates.enumerated() where !t.isLiteral {
                    let value = try t.render(row)
                    try TemplateVariables.checkValue(value, t.described)
                    values[i] = value
                }
            }
            try fill(header, &v.header)
            try fill(body, &v.body)
            try fill(footer, &v.footer)
            try fill(buttons, &v.buttons)
        }
        return try v.merging(row)
    }
}
