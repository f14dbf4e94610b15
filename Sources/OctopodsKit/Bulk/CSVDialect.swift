/// How a CSV file is written: what spreadsheets export varies by program and locale
/// (docs/csv-dialects.md). Found from the file's first bytes, so rows can be read, and written
/// back (`--rejected`), the way they came.
package struct CSVDialect: Sendable, Equatable {
    /// `,` `;` TAB or `|`.
    package var delimiter: UInt8 = UInt8(ascii: ",")
    /// `\r\n` or `\n`: what ends the header line.
    package var lineBreak = "\n"
    /// The file starts with a UTF-8 byte-order mark (Excel's "CSV UTF-8").
    package var byteOrderMark = false
    /// The file starts with Excel's `sep=;` line, which names the delimiter.
    package var separatorLine = false

    package init() {}

    /// The delimiters sniffed, in the order that breaks a tie.
    package static let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")]

    /// `--delimiter` values: the character itself, or its name.
    package static func option(_ text: String) -> UInt8? {
        switch text.lowercased() {
        case ",", "comma": return UInt8(ascii: ",")
        case ";", "semicolon": return UInt8(ascii: ";")
        case "\t", "\\t", "tab": return 0x09
        case "|", "pipe": return UInt8(ascii: "|")
        default: return nil
        }
    }

    package var delimiterName: String {
        switch delimiter {
        case UInt8(ascii: ";"): return "semicolon"
        case 0x09: return "tab"
        case UInt8(ascii: "|"): return "'|'"
        default: return "comma"
        }
    }

    /// A record in this dialect, line break included: a field is quoted when it holds the
    /// delimiter, a quote, a line break, white space at either end, or starts with U+FEFF; a
    /// record of one empty field is `""`, since a blank line would be skipped.
    package func record(_ fields: [String]) -> String {
        if fields.count == 1, fields[0].isEmpty { return "\"\"" + lineBreak }
        let separator = String(UnicodeScalar(delimiter))
        return fields.map { field -> String in
            // U+FEFF first would read back as a byte-order mark at the start of the file.
            let needs =
                field.utf8.contains { $0 == delimiter || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
                || field.unicodeScalars.first.map(Self.isSpace) == true || field.unicodeScalars.last.map(Self.isSpace) == true
                || field.unicodeScalars.first == "\u{FEFF}"
            guard needs else { return field }
            // Doubled scalar by scalar: a quote followed by a combining mark is one Character,
            // which a Character-level replace would not find.
            var quoted = String.UnicodeScalarView()
            quoted.append("\"")
            for scalar in field.unicodeScalars {
                quoted.append(scalar)
                if scalar == "\"" { quoted.append(scalar) }
            }
            quoted.append("\"")
            return String(quoted)
        }.joined(separator: separator) + lineBreak
    }

    private static func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }

    /// The delimiter that splits the header line into the most fields (counted outside quotes);
    /// a comma when none of them appears.
    package static func sniff<Bytes: Collection<UInt8>>(_ line: Bytes) -> UInt8 {
        var counts = [Int](repeating: 0, count: candidates.count)
        var quoted = false
        for b in line {
            if b == UInt8(ascii: "\"") { quoted.toggle(); continue }
            if quoted { continue }
            if b == 0x0A || b == 0x0D { break }
            if let k = candidates.firstIndex(of: b) { counts[k] += 1 }
        }
        var best = 0
        for k in counts.indices where counts[k] > counts[best] { best = k }
        return candidates[best]
    }

    /// The first non-blank line of `bytes` (after a byte-order mark), once it is complete (its
    /// line break seen, outside quotes for a CSV); nil while more bytes are needed.
    static func firstLine(_ bytes: ArraySlice<UInt8>, csv: Bool) -> (line: ArraySlice<UInt8>, crlf: Bool)? {
        var i = bytes.startIndex
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i += 3 }
        while i < bytes.endIndex, [0x0A, 0x0D, 0x20, 0x09].contains(bytes[i]) { i += 1 }
        let start = i
        var quoted = false
        while i < bytes.endIndex {
            let b = bytes[i]
            if csv, b == UInt8(ascii: "\"") { quoted.toggle() }
            if !quoted, b == 0x0A || b == 0x0D {
                if b == 0x0D, i + 1 == bytes.endIndex { return nil }  // is an LF next?
                return (bytes[start..<i], b == 0x0D && bytes[i + 1] == 0x0A)
            }
            i += 1
        }
        return nil
    }

    static func firstLine(_ bytes: [UInt8], csv: Bool) -> (line: ArraySlice<UInt8>, crlf: Bool)? {
        firstLine(bytes[...], csv: csv)
    }

    /// Excel's `sep=X` first line: the delimiter it names and the bytes the line takes (its line
    /// break included); nil when the bytes do not start with one.
    static func separatorLine(_ bytes: ArraySlice<UInt8>) -> (delimiter: UInt8, length: Int)? {
        let start = bytes.startIndex
        guard bytes.count >= 5, bytes[start..<start + 4].map({ $0 | 0x20 }) == Array("sep=".utf8) else { return nil }
        let delimiter = bytes[start + 4]
        guard candidates.contains(delimiter) else { return nil }
        var length = 5
        if start + length < bytes.endIndex, bytes[start + length] == 0x0D { length += 1 }
        if start + length < bytes.endIndex, bytes[start + length] == 0x0A { length += 1 }
        guard length > 5 || start + length == bytes.endIndex else { return nil }
        return (delimiter, length)
    }

    /// "UTF-16" or "UTF-32" when the first bytes say the file is in one of them: a byte-order mark,
    /// or a NUL byte in the first line, which UTF-8 text never has but UTF-16 has in every other
    /// byte of ASCII. (Only the first line: a NUL in a later row is that row's business, wherever
    /// the row is written back.)
    static func foreignEncoding(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xFF, 0xFE, 0, 0]) || bytes.starts(with: [0, 0, 0xFE, 0xFF]) { return "UTF-32" }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) { return "UTF-16" }
        if (firstLine(bytes, csv: true)?.line ?? bytes[...]).contains(0) { return "UTF-16" }
        return nil
    }
}
