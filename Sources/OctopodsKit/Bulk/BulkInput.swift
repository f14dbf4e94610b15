#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// Opening a bulk input: its dialect, its phone column, and the columns the run uses.
extension BulkRun {
    /// Checks a CSV header against the run before any row is read; returns the name of the phone
    /// column (NDJSON: the `--phone-column` key, if any). Usage errors: no phone column or two, a
    /// `{column}` that is not in the file, or a column that looks like a mistyped placeholder.
    /// Other columns nothing uses are ignored, and said so.
    func checkHeader(_ reader: RowReader, plan: BulkPlan, name: String) throws(OctopodsError) -> String? {
        guard reader.format == .csv else { return options.phoneColumn }
        let columns = reader.columns
        let phone = columns[try PhoneColumn.find(in: columns, named: options.phoneColumn, file: name)]
        try ColumnReference.check(plan.references, columns: columns, file: name)
        let referenced = Set(plan.references.map(\.column))
        if let key = options.idempotencyColumn, !columns.contains(key) {
            throw .usage(
                UsageError(
                    "--idempotency-column '\(TerminalText.sanitize(key))' is not a column of \(name)",
                    suggestion: "Its columns: \(columns.prefix(12).map { TerminalText.sanitize($0) }.joined(separator: ", "))."))
        }
        let unused = columns.filter {
            $0 != phone && $0 != options.idempotencyColumn && !referenced.contains($0) && !plan.knows($0) && !BulkColumns.isCommon($0)
        }
        let suspicious = unused.filter(Self.looksLikeAPlaceholder)
        if !suspicious.isEmpty {
            let shown =
                suspicious.prefix(5).map { "'\(TerminalText.sanitize(String($0.prefix(40))))'" }.joined(separator: ", ")
                + (suspicious.count > 5 ? " and \(suspicious.count - 5) more" : "")
            throw .invalidInput(
                "\(name): unknown column\(suspicious.count == 1 ? "" : "s") \(shown)",
                hint: "Placeholder columns are 1, 2, … or body_1 for the body, header_1, footer_1, button_1, and header_url; "
                    + "other columns are used by naming them in a flag: --var 1={First Name}. See 'octopods templates csv ID'.")
        }
        if !unused.isEmpty {
            let shown =
                unused.prefix(8).map { "'\(TerminalText.sanitize(String($0.prefix(40))))'" }.joined(separator: ", ")
                + (unused.count > 8 ? " and \(unused.count - 8) more" : "")
            ctx.notice(
                "Not used: column\(unused.count == 1 ? "" : "s") \(shown) (use a column in a flag with {Name}, e.g. --var 1={\(unused[0])})."
            )
        }
        return phone
    }

    /// A column name that is probably meant as a placeholder or a known column, mistyped: a
    /// number, a section name with something after it, or a near miss of header_url. (`Name` or `Body` are not
    /// the `name` and `body` columns, and are said to be unused.)
    static func looksLikeAPlaceholder(_ column: String) -> Bool {
        let lower = column.lowercased()
        if Int(lower) != nil || BulkColumns.placeholder(lower) != nil { return true }
        for section in ["header", "body", "footer", "button"] where lower.hasPrefix(section) && lower != section {
            return true
        }
        return ["header_url", "header_image"].contains { Suggestions.distance(lower, $0) <= 2 }
    }
}
