import CLISupport
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The two shapes a bulk input file may take.
package enum InputFormat: String, Sendable {
    case csv, ndjson
}

/// One record of the input.
package struct InputRow: Sendable, Equatable {
    /// The 1-based line of the file where the record starts (the CSV header is line 1, so the first data row is usually
    /// line 2; a quoted field with embedded newlines makes later rows start further down; NDJSON: the line of the object).
    package var line: Int
    /// Column/key → value. CSV: header names (trimmed of surrounding spaces) → field text. NDJSON: keys → strings
    /// (JSON numbers and booleans converted to their text, null treated as absent).
    package var fields: [String: String]
    /// Why this record cannot be used, when it cannot (a ragged CSV row, invalid UTF-8, an NDJSON line that is not an
    /// object or has a nested value …), written to follow "line N: ". The reader goes on to the next record.
    package var problem: String?

    package init(line: Int, fields: [String: String], problem: String? = nil) {
        self.line = line
        self.fields = fields
        self.problem = problem
    }
}

/// Reads records one at a time from a file or a file descriptor, in fixed-size chunks (64 KiB): memory stays flat
/// whatever the file size. The whole file is never read at once and past records are never kept; a single record is
/// limited to 1 MiB (a longer one is reported as a problem and skipped to its end).
///
/// CSV follows RFC 4180 with the dialects spreadsheets write (docs/csv-dialects.md): one delimiter between fields,
/// `,` `;` TAB or `|`, sniffed from the header line unless given; CRLF, LF or a lone CR between records; a field
/// starting with `"` is quoted (`""` inside it is one `"`, and it may hold delimiters and line breaks); a UTF-8
/// byte-order mark at the start is skipped, a UTF-16 or UTF-32 file is refused with an error; blank lines are skipped. The first non-blank record is the header. A `"` inside an unquoted field is kept as text.
/// NDJSON: one JSON object per line (LF, CRLF or CR), values strings, numbers, booleans or null; blank lines skipped.
///
/// Not `Sendable`: one consumer reads it. Create it where it is read, or hand a fresh one over with `sending`.
/// A reader made from a URL owns its descriptor and closes it when released; one made from a descriptor does not.
package final class RowReader {
    package static let defaultChunkSize = 64 * 1024
    package static let defaultMaxRecordBytes = 1 << 20

    package let format: InputFormat
    /// CSV: the header's column names in order (trimmed); NDJSON: empty.
    package private(set) var columns: [String]
    /// The dialect the file is written in, for writing rows back the way they came (`--rejected`).
    package let dialect: CSVDialect
    private var parser: RowParser

    /// Stores the values of column (CSV) or key (NDJSON) `name` under `key` too: the phone column, whatever its header
    /// says, is also `phone`. A CSV column already named `key` is then stored as `key (column N)`.
    package func copyColumn(_ name: String, to key: String) {
        guard name != key else { return }
        parser.copyColumn(name, to: key)
    }

    /// `format`: nil picks by extension (.csv; .ndjson/.jsonl/.json) and otherwise by sniffing the first non-blank byte
    /// (`{` → ndjson, anything else → csv). Throws `OctopodsError.invalidInput`, naming the file, when the file cannot
    /// be opened or is a directory, or when a CSV has no header row, or a header with an empty or duplicated name.
    package convenience init(url: URL, format: InputFormat? = nil, delimiter: UInt8? = nil) throws(OctopodsError) {
        try self.init(url: url, format: format, delimiter: delimiter, chunkSize: Self.defaultChunkSize)
    }

    /// Reads from an open descriptor (stdin for `-`), which stays open: the caller owns it. `name` is used in messages.
    /// `format`: nil sniffs the first non-blank byte (`{` → ndjson, anything else → csv). `byteLimit`: read no more
    /// than this many bytes (a bulk run reads exactly the bytes it checked, even if the file grows meanwhile).
    package convenience init(
        fileDescriptor: Int32, name: String, format: InputFormat? = nil, delimiter: UInt8? = nil,
        byteLimit: Int? = nil
    ) throws(OctopodsError) {
        try self.init(
            fileDescriptor: fileDescriptor, name: name, format: format, delimiter: delimiter,
            chunkSize: Self.defaultChunkSize, byteLimit: byteLimit)
    }

    /// The next record, nil at the end. Throws only for what ends reading altogether: an I/O error (`.failed`), or a
    /// quoted CSV field still open at the end of the file (`.invalidInput`, "orders.csv, line 12: a quoted field …").
    package func next() throws(OctopodsError) -> InputRow? {
        try parser.next()
    }

    // MARK: Internal initialisers (tests choose the chunk size and the record limit)

    convenience init(
        url: URL, format: InputFormat?, delimiter: UInt8? = nil, chunkSize: Int,
        maxRecordBytes: Int = RowReader.defaultMaxRecordBytes
    ) throws(OctopodsError) {
        let name = url.isFileURL ? url.relativePath : url.absoluteString
        let fd = url.withUnsafeFileSystemRepresentation { path in
            path.map { open($0, O_RDONLY | O_CLOEXEC) } ?? -1
        }
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw .invalidInput("cannot open \(name): \(reason)", hint: "Give --from an existing CSV or NDJSON file, or - for stdin.")
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .invalidInput("cannot read \(name): it is a directory", hint: "Give --from a CSV or NDJSON file.")
        }
        let chosen = format ?? Self.format(forExtension: url.pathExtension)
        let parser = try RowParser(
            descriptor: fd, ownsDescriptor: true, bytes: [], name: name, format: chosen,
            delimiter: delimiter, chunkSize: chunkSize, maxRecordBytes: maxRecordBytes)
        self.init(parser: parser)
    }

    convenience init(
        fileDescriptor: Int32, name: String, format: InputFormat?, delimiter: UInt8? = nil, chunkSize: Int,
        maxRecordBytes: Int = RowReader.defaultMaxRecordBytes, byteLimit: Int? = nil
    ) throws(OctopodsError) {
        let parser = try RowParser(
            descriptor: fileDescriptor, ownsDescriptor: false, bytes: [], name: name, format: format,
            delimiter: delimiter, chunkSize: chunkSize, maxRecordBytes: maxRecordBytes, byteLimit: byteLimit)
        self.init(parser: parser)
    }

    /// Reads from memory, served `chunkSize` bytes at a time as a file would be.
    package convenience init(
        bytes: [UInt8], name: String = "input", format: InputFormat?, delimiter: UInt8? = nil,
        chunkSize: Int = RowReader.defaultChunkSize,
        maxRecordBytes: Int = RowReader.defaultMaxRecordBytes
    ) throws(OctopodsError) {
        let parser = try RowParser(
            descriptor: -1, ownsDescriptor: false, bytes: bytes, name: name, format: format,
            delimiter: delimiter, chunkSize: chunkSize, maxRecordBytes: maxRecordBytes)
        self.init(parser: parser)
    }

    private init(parser: consuming RowParser) {
        format = parser.format
        columns = parser.columns
        dialect = parser.dialect
        self.parser = parser
    }

    static func format(forExtension ext: String) -> InputFormat? {
        switch ext.lowercased() {
        case "csv": return .csv
        case "ndjson", "jsonl", "json": return .ndjson
        default: return nil
        }
    }
}

// MARK: - The parser

private let lf: UInt8 = 0x0A
private let cr: UInt8 = 0x0D
private let quote: UInt8 = 0x22

private enum CSVState {
    case recordStart, fieldStart, unquoted, quoted, quoteSeen
}

/// All reading and parsing state, in one non-copyable value that owns the chunk buffer (and the descriptor, when asked
/// to), so that every exit, including a throwing initialiser, releases them.
private struct RowParser: ~Copyable {
    private(set) var format: InputFormat
    private(set) var columns: [String] = []
    /// The key each column's value is stored under (the header's names, unless one is renamed by `copyColumn`).
    private var keys: [String] = []
    /// `copyColumn`: CSV, the column whose value is stored twice; NDJSON, the key.
    private var copyIndex = -1
    private var copyName: String?
    private var copyKey = ""
    private(set) var dialect = CSVDialect()
    /// The field delimiter (`dialect.delimiter`), read in the hot loop.
    private var delimiter: UInt8 = 0x2C
    private let name: String
    private let chunkSize: Int
    private let maxRecordBytes: Int

    // Source: `pending` (bytes read ahead while sniffing, or a whole in-memory input) first, then the descriptor.
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var eof: Bool
    /// Bytes the descriptor may still give; nil: read to its end.
    private var unread: Int?
    private var pending: [UInt8]
    private var pendingOffset = 0

    // The current chunk: bytes pos..<end of buf are unread.
    private let buf: UnsafeMutableBufferPointer<UInt8>
    private var pos = 0
    private var end = 0

    /// The current physical line (1-based).
    private var line = 1
    /// The last byte consumed was a CR whose LF, if one follows, is part of the same line break.
    private var pendingCR = false

    // The current record.
    private var scratch: [UInt8] = []
    private var recordLine = 1
    private var fieldIndex = 0
    private var recordBytes = 0
    private var oversize = false
    private var strayField: Int?
    private var badUTF8Field: Int?
    private var quoteLine = 1
    private var collectingHeader = false
    private var headerValues: [String] = []
    private var fields: [String: String] = [:]

    init(
        descriptor: Int32, ownsDescriptor: Bool, bytes: [UInt8], name: String, format: InputFormat?, delimiter: UInt8?,
        chunkSize: Int, maxRecordBytes: Int, byteLimit: Int? = nil
    ) throws(OctopodsError) {
        fd = descriptor
        self.ownsDescriptor = ownsDescriptor
        eof = descriptor < 0
        unread = byteLimit.map { max(0, $0) }
        pending = bytes
        self.name = name
        self.chunkSize = max(1, chunkSize)
        self.maxRecordBytes = max(1, maxRecordBytes)
        buf = .allocate(capacity: self.chunkSize)
        if let base = buf.baseAddress { memset(base, 0, buf.count) }
        self.format = .csv  // replaced below, once the first bytes are known
        scratch.reserveCapacity(256)

        // Read ahead enough to see a byte-order mark, the first non-blank byte (the format) and, for a CSV, the
        // whole first line (the delimiter), within 64 KiB.
        while !eof {
            if pending.count >= RowReader.defaultChunkSize { break }
            if pending.count >= 4, CSVDialect.firstLine(pending, csv: format != .ndjson) != nil { break }
            let n = try readDescriptor()
            if n == 0 { eof = true } else { pending.append(contentsOf: UnsafeBufferPointer(rebasing: buf[0..<n])) }
        }
        if let encoding = CSVDialect.foreignEncoding(pending) {
            throw .invalidInput(
                "\(name), line 1: the file is \(encoding) text, not UTF-8",
                hint: "Save it as UTF-8 (in Excel: CSV UTF-8; in LibreOffice: Unicode (UTF-8)).")
        }
        if pending.starts(with: [0xEF, 0xBB, 0xBF]) { pendingOffset = 3; dialect.byteOrderMark = true }
        if let format {
            self.format = format
        } else {
            let first = pending.dropFirst(pendingOffset).first { !Self.isBlank($0) }
            self.format = first == UInt8(ascii: "{") ? .ndjson : .csv
        }
        if self.format == .csv {
            var named: UInt8?
            if let sep = CSVDialect.separatorLine(pending[pendingOffset...]) {
                // Excel's `sep=;` line: it names the delimiter; the header is the next line.
                named = sep.delimiter
                pendingOffset += sep.length
                line = 2
                dialect.separatorLine = true
            }
            let header = CSVDialect.firstLine(pending[pendingOffset...], csv: true)
            dialect.delimiter = delimiter ?? named ?? CSVDialect.sniff(header?.line ?? pending[pendingOffset...])
            dialect.lineBreak = header?.crlf == true ? "\r\n" : "\n"
            self.delimiter = dialect.delimiter
            try readHeader()
        }
    }

    deinit {
        buf.deallocate()
        if ownsDescriptor { close(fd) }
    }

    private static func isBlank(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == lf || b == cr
    }

    mutating func copyColumn(_ name: String, to key: String) {
        copyKey = key
        if format == .ndjson { copyName = name; return }
        guard let index = columns.firstIndex(of: name) else { return }
        copyIndex = index
        for i in keys.indices where keys[i] == key { keys[i] = "\(key) (column \(i + 1))" }
    }

    mutating func next() throws(OctopodsError) -> InputRow? {
        switch format {
        case .csv:
            guard try readCSVRecord() else { return nil }
            return InputRow(line: recordLine, fields: fields, problem: csvProblem())
        case .ndjson:
            return try readNDJSONRecord()
        }
    }

    // MARK: Reading

    /// Reads the next chunk into `buf`; false at the end of the input.
    private mutating func refill() throws(OctopodsError) -> Bool {
        pos = 0
        end = 0
        if pendingOffset < pending.count {
            let n = min(chunkSize, pending.count - pendingOffset)
            pending.withUnsafeBufferPointer { source in
                _ = UnsafeMutableBufferPointer(rebasing: buf[0..<n])
                    .update(fromContentsOf: UnsafeBufferPointer(rebasing: source[pendingOffset..<(pendingOffset + n)]))
            }
            pendingOffset += n
            if pendingOffset == pending.count { pending = []; pendingOffset = 0 }
            end = n
            return true
        }
        if eof { return false }
        let n = try readDescriptor()
        if n == 0 { eof = true; return false }
        end = n
        return true
    }

    /// One `read(2)` of at most a chunk into the start of `buf`, retried on EINTR and waited for on EAGAIN.
    private mutating func readDescriptor() throws(OctopodsError) -> Int {
        guard let base = buf.baseAddress else { return 0 }
        let wanted = min(chunkSize, unread ?? chunkSize)
        if wanted == 0 { return 0 }
        while true {
            let n = read(fd, base, wanted)
            if n >= 0 {
                if let left = unread { unread = left - n }
                return n
            }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK {
                var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&waiting, 1, -1)
                continue
            }
            throw .failed("cannot read \(name): \(String(cString: strerror(e)))")
        }
    }

    /// Counts the line break `c` (just consumed, at pos - 1), swallowing the LF of a CRLF when it is already here or
    /// remembering to when it comes with the next chunk.
    private mutating func endLine(_ c: UInt8) {
        line += 1
        guard c == cr else { return }
        if pos < end {
            if buf[pos] == lf { pos += 1 }
        } else {
            pendingCR = true
        }
    }

    private mutating func beginRecord() {
        fieldIndex = 0
        recordBytes = 0
        oversize = false
        strayField = nil
        badUTF8Field = nil
        if !scratch.isEmpty { scratch.removeAll(keepingCapacity: true) }
        if collectingHeader { headerValues.removeAll() } else { fields.removeAll(keepingCapacity: true) }
    }

    private mutating func markOversize() {
        oversize = true
        scratch.removeAll(keepingCapacity: true)
    }

    /// Keeps `buf[from..<to]`, part of the current field or line, for when it is complete.
    private mutating func appendToScratch(_ from: Int, _ to: Int) {
        guard !oversize, from < to else { return }
        if recordBytes + scratch.count + (to - from) > maxRecordBytes { markOversize(); return }
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buf[from..<to]))
    }

    /// The text of the current field or line: `scratch` followed by `buf[from..<to]`; nil when it is not UTF-8.
    private mutating func text(_ from: Int, _ to: Int) -> String? {
        if scratch.isEmpty { return Self.validUTF8(UnsafeBufferPointer(rebasing: buf[from..<to])) }
        if from < to { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buf[from..<to])) }
        return scratch.withUnsafeBufferPointer { Self.validUTF8($0) }
    }

    /// The bytes as a String when they are valid UTF-8. (`String(validating:as:)` is generic and, unspecialised, several
    /// times slower: this is the hot path.)
    static func validUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var high: UInt8 = 0
        for b in bytes { high |= b }
        let s = String(decoding: bytes, as: UTF8.self)
        // Decoding repairs invalid sequences with U+FFFD, so valid input is exactly what comes back.
        if high < 0x80 || s.utf8.elementsEqual(bytes) { return s }
        return nil
    }

    // MARK: CSV

    private var limitText: String {
        maxRecordBytes % (1 << 20) == 0 ? "\(maxRecordBytes >> 20) MiB" : "\(maxRecordBytes) bytes"
    }

    private mutating func readHeader() throws(OctopodsError) {
        collectingHeader = true
        defer { collectingHeader = false }
        let hint = "The first line of a CSV names its columns: phone, then optional name, 1, 2, … for the variables."
        guard try readCSVRecord() else {
            throw .invalidInput("\(name) has no header row", hint: hint)
        }
        let at = "\(name), line \(recordLine)"
        if oversize { throw .invalidInput("\(at): the header is longer than \(limitText)", hint: hint) }
        if let k = strayField {
            throw .invalidInput(
                "\(at): header column \(k + 1) has text after its closing quote",
                hint: "A quote inside a quoted field is written twice (\"\").")
        }
        if let k = badUTF8Field {
            throw .invalidInput("\(at): header column \(k + 1) is not valid UTF-8", hint: "Save the file as UTF-8.")
        }
        var names: [String] = []
        var seen: [String: Int] = [:]
        for (k, raw) in headerValues.enumerated() {
            let trimmed = raw.trimmingSpaces()
            if trimmed.isEmpty {
                throw .invalidInput("\(at): header column \(k + 1) has no name", hint: hint)
            }
            if let first = seen[trimmed] {
                throw .invalidInput(
                    "\(at): the header names column \"\(trimmed)\" twice (columns \(first + 1) and \(k + 1))",
                    hint: "Each column name may appear once.")
            }
            seen[trimmed] = k
            names.append(trimmed)
        }
        headerValues = []
        columns = names
        keys = names
    }

    private func columnName(_ k: Int) -> String {
        k < columns.count ? "column \"\(columns[k])\"" : "field \(k + 1)"
    }

    private func csvProblem() -> String? {
        if oversize { return "the record is longer than \(limitText)" }
        if let k = strayField {
            return "\(columnName(k)) has text after its closing quote (a quote inside a quoted field is written twice: \"\")"
        }
        if fieldIndex != columns.count {
            let has = "has \(fieldIndex) \(fieldIndex == 1 ? "field" : "fields"); the header has \(columns.count)"
            if fieldIndex < columns.count {
                let missing = columns[fieldIndex...].map { "\"\($0)\"" }.joined(separator: ", ")
                return "\(has) (no value for \(missing); an empty value still needs its \(dialect.delimiterName))"
            }
            return "\(has) (a value containing a \(dialect.delimiterName) must be in double quotes)"
        }
        if let k = badUTF8Field { return "\(columnName(k)) is not valid UTF-8 text (save the file as UTF-8)" }
        return nil
    }

    /// Ends the current field, whose text is `scratch` followed by `buf[from..<to]`.
    private mutating func finishField(_ from: Int, _ to: Int) {
        defer { fieldIndex += 1 }
        guard !oversize else { return }
        recordBytes += scratch.count + (to - from) + 1
        if recordBytes > maxRecordBytes { markOversize(); return }
        if collectingHeader {
            if let value = text(from, to) {
                headerValues.append(value)
            } else {
                if badUTF8Field == nil { badUTF8Field = fieldIndex }
                headerValues.append("")
            }
        } else if fieldIndex < keys.count {
            if let value = text(from, to) {
                fields[keys[fieldIndex]] = value
                if fieldIndex == copyIndex { fields[copyKey] = value }
            } else if badUTF8Field == nil {
                badUTF8Field = fieldIndex
            }
        }
        if !scratch.isEmpty { scratch.removeAll(keepingCapacity: true) }
    }

    /// Reads one CSV record (skipping blank lines) into `fields` or `headerValues`; false at the end of the input.
    private mutating func readCSVRecord() throws(OctopodsError) -> Bool {
        beginRecord()
        var state = CSVState.recordStart
        var segStart = pos
        while true {
            if pos >= end {
                if state == .unquoted || state == .quoted { appendToScratch(segStart, end) }
                guard try refill() else {
                    switch state {
                    case .recordStart:
                        return false
                    case .quoted:
                        throw .invalidInput(
                            "\(name), line \(quoteLine): a quoted field is never closed",
                            hint: "Close it with a \" (a quote inside a quoted field is written twice: \"\").")
                    case .fieldStart, .unquoted, .quoteSeen:
                        finishField(0, 0)
                        return true
                    }
                }
                segStart = 0
            }
            switch state {
            case .recordStart:
                let b = buf[pos]
                if pendingCR {
                    pendingCR = false
                    if b == lf { pos += 1; continue }
                }
                if b == lf || b == cr {
                    pos += 1
                    endLine(b)
                    continue
                }
                recordLine = line
                state = .fieldStart
            case .fieldStart:
                if buf[pos] == quote {
                    quoteLine = line
                    pos += 1
                    segStart = pos
                    state = .quoted
                } else {
                    segStart = pos
                    state = .unquoted
                }
            case .unquoted:
                var p = pos
                let delimiter = self.delimiter
                while p < end {
                    let c = buf[p]
                    if c == delimiter || c == lf || c == cr { break }
                    p += 1
                }
                if p == end { pos = p; continue }
                let c = buf[p]
                finishField(segStart, p)
                pos = p + 1
                if c == delimiter { state = .fieldStart; continue }
                endLine(c)
                return true
            case .quoted:
                var p = pos
                if pendingCR {
                    pendingCR = false
                    if buf[p] == lf { p += 1 }
                }
                while p < end {
                    let c = buf[p]
                    if c == quote { break }
                    if c == lf {
                        line += 1
                    } else if c == cr {
                        line += 1
                        if p + 1 < end {
                            if buf[p + 1] == lf { p += 1 }
                        } else {
                            pendingCR = true
                        }
                    }
                    p += 1
                }
                if p == end { pos = p; continue }
                appendToScratch(segStart, p)
                pos = p + 1
                state = .quoteSeen
            case .quoteSeen:
                let c = buf[pos]
                if c == quote {
                    // A doubled quote: the second one is text, and the field goes on.
                    segStart = pos
                    pos += 1
                    state = .quoted
                } else if c == delimiter {
                    finishField(pos, pos)
                    pos += 1
                    state = .fieldStart
                } else if c == lf || c == cr {
                    finishField(pos, pos)
                    pos += 1
                    endLine(c)
                    return true
                } else {
                    // Text after the closing quote: a problem; the text is kept in the field up to the next separator.
                    if strayField == nil { strayField = fieldIndex }
                    segStart = pos
                    state = .unquoted
                }
            }
        }
    }

    // MARK: NDJSON

    /// Reads lines until a non-blank one, and makes it a row; nil at the end of the input.
    private mutating func readNDJSONRecord() throws(OctopodsError) -> InputRow? {
        while true {
            beginRecord()
            recordLine = line
            var segStart = pos
            var atEnd = false
            lineLoop: while true {
                if pos >= end {
                    appendToScratch(segStart, end)
                    guard try refill() else { atEnd = true; break lineLoop }
                    segStart = 0
                }
                if pendingCR {
                    pendingCR = false
                    if buf[pos] == lf { pos += 1; segStart = pos; continue }
                }
                var p = pos
                while p < end {
                    let c = buf[p]
                    if c == lf || c == cr { break }
                    p += 1
                }
                if p == end { pos = p; continue }
                appendToScratch(segStart, p)
                let c = buf[p]
                pos = p + 1
                endLine(c)
                break lineLoop
            }
            if oversize { return InputRow(line: recordLine, fields: [:], problem: "the line is longer than \(limitText)") }
            if let row = ndjsonRow() { return row }
            if atEnd { return nil }
        }
    }

    /// The row for the line in `scratch`; nil when the line is blank.
    private mutating func ndjsonRow() -> InputRow? {
        guard scratch.contains(where: { !Self.isBlank($0) }) else { return nil }
        var fields: [String: String] = [:]
        func row(_ problem: String?) -> InputRow { InputRow(line: recordLine, fields: fields, problem: problem) }
        if scratch.contains(where: { $0 >= 0x80 }), scratch.withUnsafeBufferPointer({ Self.validUTF8($0) }) == nil {
            return row("the line is not valid UTF-8 text (save the file as UTF-8)")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(Data(scratch))
        } catch {
            return row("the line is not valid JSON (\(error.message) at column \(error.offset + 1))")
        }
        guard case .object(let pairs) = value else {
            return row("the line is not a JSON object (each line is one object, like {\"phone\": \"+919876543210\"})")
        }
        fields.reserveCapacity(pairs.count)
        for (key, item) in pairs {
            let text: String
            switch item {
            case .string(let s): text = s
            case .number(let n): text = n
            case .bool(let b): text = b ? "true" : "false"
            case .null: continue
            case .array: return row("key \"\(key)\" has a list value; values must be strings, numbers, true/false or null")
            case .object: return row("key \"\(key)\" has an object value; values must be strings, numbers, true/false or null")
            }
            if fields.updateValue(text, forKey: key) != nil { return row("key \"\(key)\" appears twice") }
        }
        if let copyName, let value = fields[copyName] { fields[copyKey] = value }
        return row(nil)
    }
}
