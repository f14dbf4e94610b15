#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// `--exclude FILE`: numbers never to send to (opt-outs), one a line or a CSV with a phone
/// column, normalised to E.164 like the rows they are compared with.
package struct ExcludeList: Sendable {
    package var numbers: Set<String> = []

    package init() {}

    package init(path: String, phoneColumn: String?) throws(OctopodsError) {
        let reader = try RowReader(url: URL(fileURLWithPath: path), format: .csv)
        let at = { (line: Int) in "--exclude \(path), line \(line)" }
        // A first line that is a number means a plain list, with no header.
        var column: String
        if reader.columns.count == 1, let number = try? PhoneNumber.normalize(reader.columns[0], field: "") {
            numbers.insert(number)
            column = reader.columns[0]
        } else {
            let named = phoneColumn.flatMap { reader.columns.contains($0) ? $0 : nil }
            column = reader.columns[try PhoneColumn.find(in: reader.columns, named: named, file: "--exclude \(path)")]
        }
        while let row = try reader.next() {
            if let problem = row.problem, reader.columns.count > 1 { throw .invalidInput("\(at(row.line)): \(problem)") }
            guard let raw = row.fields[column]?.trimmingSpaces(), !raw.isEmpty else { continue }
            do {
                numbers.insert(try PhoneNumber.normalize(raw, field: "'\(raw)'"))
            } catch {
                throw .invalidInput(
                    "\(at(row.line)): '\(String(raw.prefix(40)))' is not an E.164 phone number; no row was sent",
                    hint: "Opt-out numbers are compared in E.164 (+, country code, number); fix the line so the number is excluded.")
            }
        }
    }

    package func contains(_ phone: String) -> Bool { numbers.contains(phone) }
}
