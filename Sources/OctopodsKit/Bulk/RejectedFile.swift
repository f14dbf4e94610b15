#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// `--rejected FILE`: the rows that were not sent because they are invalid or the API refused
/// them, written the way the input was (same columns, delimiter, line breaks and byte-order
/// mark; NDJSON stays NDJSON) with a `reason` column, so the user fixes them and sends the file.
/// Rows whose outcome is unknown are not written: they may have been delivered.
final class RejectedFile: Sendable {
    let path: String
    private let fd: Int32
    private let format: InputFormat
    private let columns: [String]
    private let dialect: CSVDialect
    private let state = Mutex((count: 0, failed: false))

    init(path: String, format: InputFormat, columns: [String], dialect: CSVDialect) throws(OctopodsError) {
        self.path = path
        self.format = format
        self.columns = columns.filter { $0 != "reason" }
        self.dialect = dialect
        do {
            guard let fd = try SystemFile.openOwned(URL(fileURLWithPath: path), flags: O_WRONLY, create: true) else {
                throw OctopodsError.failed("cannot create --rejected \(path)")
            }
            ftruncate(fd, 0)
            self.fd = fd
        } catch let error as SystemFile.Failure {
            throw .invalidInput("cannot write --rejected \(path): \(error)")
        } catch let error as OctopodsError {
            throw error
        } catch {
            throw .failed("cannot write --rejected \(path)")
        }
        if format == .csv {
            var header = dialect.byteOrderMark ? "\u{FEFF}" : ""
            if dialect.separatorLine { header += "sep=\(String(UnicodeScalar(dialect.delimiter)))" + dialect.lineBreak }
            header += line(self.columns + ["reason"])
            append(header)
        }
    }

    deinit { close(fd) }

    /// Why the API refused a row, in one line: "the API rejected the request (HTTP 400): Invalid
    /// Phone number, PHONE_INVALID (5)" (request ids and raw bodies left out).
    static func reason(_ report: ErrorReporter.Report) -> String {
        let facts = report.details.filter { !$0.hasPrefix("request_id:") && !$0.hasPrefix("response:") }
        return facts.isEmpty ? report.message : report.message + ": " + facts.joined(separator: ", ")
    }

    /// How many rows were written.
    var count: Int { state.withLock { $0.count } }

    func write(_ row: InputRow, reason: String) {
        let text: String
        switch format {
        case .csv:
            // The row as it was read (fixed and sent again); the reason, the API's words, escaped.
            text = line(columns.map { row.fields[$0] ?? "" } + [TerminalText.sanitize(reason)])
        case .ndjson:
            var pairs = row.fields.filter { $0.key != "reason" }.sorted {
                ($0.key == "phone" ? "" : $0.key) < ($1.key == "phone" ? "" : $1.key)
            }
            .map { ($0.key, JSONValue.string($0.value)) }
            pairs.append(("reason", .string(reason)))
            text = JSONValue.object(pairs).serialized() + "\n"
        }
        state.withLock { $0.count += 1 }
        append(text)
    }

    private func append(_ text: String) {
        let failed = state.withLock { s -> Bool in
            if s.failed { return true }
            if SystemFile.writeAll(fd, Array(text.utf8)) != nil { s.failed = true }
            return false
        }
        _ = failed
    }

    /// Whether every row reached the file.
    var complete: Bool { state.withLock { !$0.failed } }

    private func line(_ fields: [String]) -> String { dialect.record(fields) }
}
