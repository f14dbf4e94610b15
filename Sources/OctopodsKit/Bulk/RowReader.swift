import Foundation
import CLISupport

// TEMPORARY stand-in (simple CSV without quoting, whole file in memory) until the streaming
// RFC 4180 reader replaces this file.

package enum InputFormat: String, Sendable { case csv, ndjson }

package struct InputRow: Sendable, Equatable {
    package var line: Int
    package var fields: [String: String]
    package var problem: String?
    package init(line: Int, fields: [String: String], problem: String? = nil) {
        self.line = line; self.fields = fields; self.problem = problem
    }
}

package final class RowReader {
    package let format: InputFormat
    package private(set) var columns: [String] = []
    private var lines: [Substring] = []
    private var index = 0

    package init(url: URL, format: InputFormat? = nil) throws(OctopodsError) {
        guard let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8) else {
            throw .invalidInput("cannot read \(url.path)")
        }
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        self.format = format ?? (text.first == "{" ? .ndjson : .csv)
        if self.format == .csv {
            columns = (lines.first ?? "").split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            index = 1
        }
    }

    package func next() throws(OctopodsError) -> InputRow? {
        while index < lines.count {
            let line = lines[index]
            index += 1
            if line.isEmpty { continue }
            if format == .ndjson {
                guard let json = try? JSONValue.parse(String(line)), let pairs = json.objectValue else {
                    return InputRow(line: index, fields: [:], problem: "not a JSON object")
                }
                return InputRow(line: index, fields: Dictionary(pairs.compactMap { k, v in v.scalarText.map { (k, $0) } },
                                                                uniquingKeysWith: { a, _ in a }))
            }
            let values = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard values.count == columns.count else {
                return InputRow(line: index, fields: [:], problem: "has \(values.count) fields; the header has \(columns.count)")
            }
            return InputRow(line: index, fields: Dictionary(zip(columns, values), uniquingKeysWith: { a, _ in a }))
        }
        return nil
    }
}
