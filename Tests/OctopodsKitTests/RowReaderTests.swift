import Foundation
import Testing
import TestSupport
@testable import OctopodsKit
#if canImport(Glibc)
import Glibc
#endif

// MARK: Helpers

/// Every row of `bytes`, read from memory in chunks of `chunk` bytes.
private func rrRows(
    _ bytes: [UInt8], format: InputFormat? = .csv, chunk: Int = RowReader.defaultChunkSize,
    maxRecordBytes: Int = RowReader.defaultMaxRecordBytes
) throws(OctopodsError) -> [InputRow] {
    let reader = try RowReader(bytes: bytes, name: "orders.csv", format: format, chunkSize: chunk, maxRecordBytes: maxRecordBytes)
    var rows: [InputRow] = []
    while let row = try reader.next() { rows.append(row) }
    return rows
}

private func rrRows(
    _ text: String, format: InputFormat? = .csv, chunk: Int = RowReader.defaultChunkSize,
    maxRecordBytes: Int = RowReader.defaultMaxRecordBytes
) throws(OctopodsError) -> [InputRow] {
    try rrRows(Array(text.utf8), format: format, chunk: chunk, maxRecordBytes: maxRecordBytes)
}

/// The message of the `invalidInput` (or `failed`) a call throws, nil (with an issue) otherwise.
private func rrError(_ body: () throws(OctopodsError) -> Void) -> String? {
    do {
        try body()
        Issue.record("expected an error")
        return nil
    } catch {
        switch error {
        case .invalidInput(let message, _), .failed(let message, _): return message
        default:
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}

/// The rows read before the error, and the error's message.
private func rrRowsThenError(_ text: String, chunk: Int = RowReader.defaultChunkSize) -> ([InputRow], String?) {
    var rows: [InputRow] = []
    let message = rrError { () throws(OctopodsError) in
        let reader = try RowReader(bytes: Array(text.utf8), name: "orders.csv", format: .csv, chunkSize: chunk)
        while let row = try reader.next() { rows.append(row) }
    }
    return (rows, message)
}

private func rrRow(_ line: Int, _ fields: [String: String], _ problem: String? = nil) -> InputRow {
    InputRow(line: line, fields: fields, problem: problem)
}

private func rrTempFile(_ name: String, _ bytes: [UInt8]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rowreader-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

/// An input that exercises every path: BOM, CRLF, a lone CR, blank lines, quotes, doubled quotes, embedded line breaks
/// of all three kinds, multi-byte UTF-8, a ragged row, stray text after a quote, a last row without a line break.
private let rrSample: [UInt8] =
    [0xEF, 0xBB, 0xBF]
    + Array(
        (" phone , name,1\r\n"  // line 1
            + "+911,\"Asha, \"\"A\"\" K\",x\r\n"  // line 2
            + "\r\n"  // line 3
            + "+912,\"two\nlines\",\"and\r\ncrlf\"\n"  // lines 4-6
            + "+913,\"cr\rhere\",é😀ü\r"  // lines 7-8
            + "+914,short\n"  // line 9
            + "\n\n"  // lines 10-11
            + "+915,\"closed\"junk,z\n"  // line 12
            + "+916,\"\",\"\"\"\"\r\n"  // line 13
            + "+917,,last"  // line 14
            ).utf8)

@Suite struct RowReaderTests {
    // MARK: CSV basics

    @Test func readsRowsWithHeaderNamesTrimmedAndValuesNot() throws {
        let rows = try rrRows(" phone ,name , 1,2\n+919876543210, Asha ,ORD-1,\n+14155550100,Bo,ORD-2,3\n")
        #expect(
            rows == [
                rrRow(2, ["phone": "+919876543210", "name": " Asha ", "1": "ORD-1", "2": ""]),
                rrRow(3, ["phone": "+14155550100", "name": "Bo", "1": "ORD-2", "2": "3"]),
            ])
        let reader = try RowReader(bytes: Array(" phone ,name , 1,2\n".utf8), format: .csv)
        #expect(reader.columns == ["phone", "name", "1", "2"])
        #expect(reader.format == .csv)
        #expect(try reader.next() == nil)
        #expect(try reader.next() == nil)
    }

    @Test func quotedFieldsDoubledQuotesAndEmbeddedLineBreaksKeepLineNumbers() throws {
        let text =
            "phone,body\n"
            + "+1,\"Hello, \"\"friend\"\"\"\n"  // line 2
            + "+2,\"first\nsecond\nthird\"\n"  // lines 3-5
            + "+3,\"crlf\r\ninside\"\n"  // lines 6-7
            + "+4,\"lone\rcr\"\n"  // lines 8-9
            + "+5,\"\"\n"  // line 10
            + "+6,\"a,b\"\n"  // line 11
        let rows = try rrRows(text)
        #expect(
            rows == [
                rrRow(2, ["phone": "+1", "body": "Hello, \"friend\""]),
                rrRow(3, ["phone": "+2", "body": "first\nsecond\nthird"]),
                rrRow(6, ["phone": "+3", "body": "crlf\r\ninside"]),
                rrRow(8, ["phone": "+4", "body": "lone\rcr"]),
                rrRow(10, ["phone": "+5", "body": ""]),
                rrRow(11, ["phone": "+6", "body": "a,b"]),
            ])
    }

    @Test func crlfLoneCRAndMixedLineEnds() throws {
        let expected = [rrRow(2, ["a": "1", "b": "2"]), rrRow(3, ["a": "3", "b": "4"]), rrRow(4, ["a": "5", "b": "6"])]
        #expect(try rrRows("a,b\r\n1,2\r\n3,4\r\n5,6\r\n") == expected)
        #expect(try rrRows("a,b\r1,2\r3,4\r5,6") == expected)
        #expect(try rrRows("a,b\n1,2\r\n3,4\r5,6\n") == expected)
        // CR CR is two line ends (a blank line between), LF CR too.
        #expect(try rrRows("a,b\r\r1,2\n\r3,4\n") == [rrRow(3, ["a": "1", "b": "2"]), rrRow(5, ["a": "3", "b": "4"])])
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let reader = try RowReader(bytes: [0xEF, 0xBB, 0xBF] + Array("phone,name\r\n+1,A\r\n".utf8), format: .csv)
        #expect(reader.columns == ["phone", "name"])
        #expect(try reader.next() == rrRow(2, ["phone": "+1", "name": "A"]))
        // Only at the start: later, the same bytes are text.
        #expect(try rrRows("p\n\u{FEFF}x\n") == [rrRow(2, ["p": "\u{FEFF}x"])])
    }

    @Test func blankLinesAreSkippedAndCounted() throws {
        let rows = try rrRows("\n\r\nphone,name\n\n+1,A\r\n\r\n\r\n+2,B\n\n\n")
        #expect(rows == [rrRow(5, ["phone": "+1", "name": "A"]), rrRow(8, ["phone": "+2", "name": "B"])])
        // A line with only a separator is not blank: it has two (empty) fields.
        #expect(try rrRows("a,b\n,\n") == [rrRow(2, ["a": "", "b": ""])])
        // A header alone is fine: no rows.
        #expect(try rrRows("phone\n\n").isEmpty)
    }

    @Test func lastRowWithoutLineBreak() throws {
        #expect(try rrRows("a,b\n1,2") == [rrRow(2, ["a": "1", "b": "2"])])
        #expect(try rrRows("a,b\n1,\"2\"") == [rrRow(2, ["a": "1", "b": "2"])])
        #expect(try rrRows("a,b\n1,") == [rrRow(2, ["a": "1", "b": ""])])
    }

    // MARK: CSV problems

    @Test func raggedRowsAreProblemsAndReadingGoesOn() throws {
        let rows = try rrRows("phone,name,1,2\n+1,A,x\n+2,A,x,y,z\n+3\n+4,A,x,y\n+5,A,x,\n+6,A,x,y,\n")
        #expect(rows.map(\.line) == [2, 3, 4, 5, 6, 7])
        #expect(rows[0].problem == "has 3 fields; the header has 4 (no value for \"2\"; an empty value still needs its comma)")
        #expect(rows[0].fields == ["phone": "+1", "name": "A", "1": "x"])
        #expect(rows[1].problem == "has 5 fields; the header has 4 (a value containing a comma must be in double quotes)")
        #expect(
            rows[2].problem
                == "has 1 field; the header has 4 (no value for \"name\", \"1\", \"2\"; an empty value still needs its comma)")
        #expect(rows[3].problem == nil)
        #expect(rows[4].problem == nil)
        #expect(rows[4].fields["2"] == "")
        #expect(rows[5].problem?.hasPrefix("has 5 fields; the header has 4") == true)
    }

    @Test func textAfterAClosingQuoteIsAProblem() throws {
        let rows = try rrRows("phone,name\n+1,\"Asha\" K\n+2,\"Bo\"\n+3,\"a\"\"b\"c,d\n")
        #expect(rows.count == 3)
        #expect(rows[0].line == 2)
        #expect(
            rows[0].problem
                == "column \"name\" has text after its closing quote (a quote inside a quoted field is written twice: \"\")")
        #expect(rows[0].fields["name"] == "Asha K")
        #expect(rows[1] == rrRow(3, ["phone": "+2", "name": "Bo"]))
        #expect(rows[2].line == 4)
        #expect(rows[2].problem?.hasPrefix("column \"name\" has text after its closing quote") == true)
    }

    @Test func unquotedQuotesAreText() throws {
        #expect(try rrRows("a,b\n5\"5,x\"y\"\n") == [rrRow(2, ["a": "5\"5", "b": "x\"y\""])])
    }

    @Test func unterminatedQuoteAtTheEndThrowsWithTheLineWhereItOpens() {
        let (rows, message) = rrRowsThenError("phone,name\n+1,A\n\n+2,\"Asha\nand more\n+3,B\n")
        #expect(rows == [rrRow(2, ["phone": "+1", "name": "A"])])
        #expect(message == "orders.csv, line 4: a quoted field is never closed")
        // In the header too.
        let (none, headerMessage) = rrRowsThenError("phone,\"name\n")
        #expect(none.isEmpty)
        #expect(headerMessage == "orders.csv, line 1: a quoted field is never closed")
    }

    @Test func headerErrors() {
        #expect(rrError { () throws(OctopodsError) in _ = try rrRows("") } == "orders.csv has no header row")
        #expect(rrError { () throws(OctopodsError) in _ = try rrRows("\n\r\n\n") } == "orders.csv has no header row")
        #expect(rrError { () throws(OctopodsError) in _ = try rrRows([0xEF, 0xBB, 0xBF]) } == "orders.csv has no header row")
        #expect(
            rrError { () throws(OctopodsError) in _ = try rrRows("phone,,name\n+1,,A\n") }
                == "orders.csv, line 1: header column 2 has no name")
        #expect(
            rrError { () throws(OctopodsError) in _ = try rrRows("\nphone,name,  \n") }
                == "orders.csv, line 2: header column 3 has no name")
        #expect(
            rrError { () throws(OctopodsError) in _ = try rrRows("phone,name, phone\n") }
                == "orders.csv, line 1: the header names column \"phone\" twice (columns 1 and 3)")
        #expect(
            rrError { () throws(OctopodsError) in _ = try rrRows("phone,\"na\"me\n") }
                == "orders.csv, line 1: header column 2 has text after its closing quote")
        #expect(
            rrError { () throws(OctopodsError) in _ = try rrRows([0x70, 0x2C, 0xFF, 0x0A]) }
                == "orders.csv, line 1: header column 2 is not valid UTF-8")
    }

    @Test func invalidUTF8IsAProblemNamingTheColumn() throws {
        let bytes = Array("phone,name\n+1,".utf8) + [0x41, 0xC3] + Array("\n+2,\u{E9}\n+3,".utf8) + [0xED, 0xA0, 0x80] + [0x0A]
        let rows = try rrRows(bytes)
        #expect(rows.count == 3)
        #expect(rows[0].line == 2)
        #expect(rows[0].problem == "column \"name\" is not valid UTF-8 text (save the file as UTF-8)")
        #expect(rows[0].fields == ["phone": "+1"])
        #expect(rows[1] == rrRow(3, ["phone": "+2", "name": "é"]))
        #expect(rows[2].problem == "column \"name\" is not valid UTF-8 text (save the file as UTF-8)")  // a surrogate
    }

    @Test func anOverlongRecordIsAProblemAndReadingResumesAfterIt() throws {
        let long = String(repeating: "x", count: 100)
        let text = "phone,name\n+1,\(long)\n+2,\"\(long)\n\(long)\"\n+3,B\n+4,\(String(repeating: ",", count: 80))\n+5,C"
        for chunk in [1, 7, 64, 4096] {
            let rows = try rrRows(text, chunk: chunk, maxRecordBytes: 64)
            #expect(rows.map(\.line) == [2, 3, 5, 6, 7], "chunk \(chunk)")
            #expect(
                rows.map(\.problem) == [
                    "the record is longer than 64 bytes", "the record is longer than 64 bytes", nil,
                    "the record is longer than 64 bytes", nil,
                ], "chunk \(chunk)")
            #expect(rows[2].fields == ["phone": "+3", "name": "B"])
        }
    }

    @Test func aRecordOverOneMebibyteIsSkippedWithoutCrashing() throws {
        let big = [UInt8](repeating: UInt8(ascii: "y"), count: 3 << 20)
        let bytes = Array("phone,name\n+1,".utf8) + big + Array("\n+2,B\n".utf8)
        let rows = try rrRows(bytes)
        #expect(rows == [rrRow(2, ["phone": "+1"], "the record is longer than 1 MiB"), rrRow(3, ["phone": "+2", "name": "B"])])
    }

    // MARK: Chunk boundaries

    @Test func everyChunkSizeGivesTheSameRows() throws {
        let reference = try rrRows(rrSample)
        #expect(reference.map(\.line) == [2, 4, 7, 9, 12, 13, 14])
        #expect(reference.count == 7)
        #expect(reference.first?.fields == ["phone": "+911", "name": "Asha, \"A\" K", "1": "x"])
        if reference.count == 7 {
            #expect(reference[1].fields == ["phone": "+912", "name": "two\nlines", "1": "and\r\ncrlf"])
            #expect(reference[2].fields == ["phone": "+913", "name": "cr\rhere", "1": "é😀ü"])
            #expect(reference[3].problem?.hasPrefix("has 2 fields") == true)
            #expect(reference[4].problem?.hasPrefix("column \"name\" has text after its closing quote") == true)
            #expect(reference[5].fields == ["phone": "+916", "name": "", "1": "\""])
            #expect(reference[6] == rrRow(14, ["phone": "+917", "name": "", "1": "last"]))
        }
        for chunk in 1...rrSample.count {
            #expect(try rrRows(rrSample, chunk: chunk) == reference, "chunk size \(chunk)")
        }
    }

    @Test func chunkBoundaryInsideCRLFQuotedFieldAndMultiByteCharacter() throws {
        // "phone\r\n" is 7 bytes: a chunk of 6 splits the CRLF; of 4 splits the quoted field; of 10 the "é".
        let text = "phone\r\n\"a\r\nb\"\r\n\u{E9}\u{1F600}\r\n"
        let reference = [rrRow(2, ["phone": "a\r\nb"]), rrRow(4, ["phone": "é😀"])]
        for chunk in 1...13 {
            #expect(try rrRows(text, chunk: chunk) == reference, "chunk size \(chunk)")
        }
    }

    // MARK: NDJSON

    @Test func ndjsonRowsConvertScalarsAndDropNull() throws {
        let text =
            "{\"phone\": \"+1\", \"name\": \"Asha\", \"1\": 42, \"2\": 1.5e3, \"vip\": true, \"x\": null}\n"
            + "\n"
            + "  {\"phone\": 919876543210123456789}  \r\n"
            + "{}\n"
        let rows = try rrRows(text, format: .ndjson)
        #expect(
            rows == [
                rrRow(1, ["phone": "+1", "name": "Asha", "1": "42", "2": "1.5e3", "vip": "true"]),
                rrRow(3, ["phone": "919876543210123456789"]),
                rrRow(4, [:]),
            ])
    }

    @Test func ndjsonBadLinesAreProblems() throws {
        let lines =
            "{\"phone\": \"+1\", \"vars\": [1, 2]}\n"
            + "{\"phone\": \"+2\", \"meta\": {\"a\": 1}}\n"
            + "[1, 2]\n"
            + "\"text\"\n"
            + "{\"phone\": \"+3\",}\n"
            + "{\"phone\": \"+4\", \"phone\": \"+5\"}\n"
            + "phone,name\n"
        var bytes = Array(lines.utf8)
        bytes += Array("{\"name\": \"".utf8) + [0xC3, 0x28] + Array("\"}\n".utf8)
        bytes += Array("{\"phone\": \"+6\"}".utf8)
        let rows = try rrRows(bytes, format: .ndjson)
        #expect(rows.map(\.line) == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        guard rows.count == 9 else { return }
        #expect(rows[0].problem == "key \"vars\" has a list value; values must be strings, numbers, true/false or null")
        #expect(rows[1].problem == "key \"meta\" has an object value; values must be strings, numbers, true/false or null")
        #expect(rows[2].problem?.hasPrefix("the line is not a JSON object") == true)
        #expect(rows[3].problem?.hasPrefix("the line is not a JSON object") == true)
        #expect(rows[4].problem?.hasPrefix("the line is not valid JSON (") == true)
        #expect(rows[5].problem == "key \"phone\" appears twice")
        #expect(rows[6].problem?.hasPrefix("the line is not valid JSON (") == true)
        #expect(rows[7].problem == "the line is not valid UTF-8 text (save the file as UTF-8)")
        #expect(rows[8] == rrRow(9, ["phone": "+6"]))
    }

    @Test func ndjsonLineEndsBOMChunksAndLimit() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{\"a\":\"é\"}\r\n\r\n{\"a\":\"x\\ny\"}\r{\"a\":2}\n\n".utf8)
        let reference = [rrRow(1, ["a": "é"]), rrRow(3, ["a": "x\ny"]), rrRow(4, ["a": "2"])]
        for chunk in 1...bytes.count {
            #expect(try rrRows(bytes, format: .ndjson, chunk: chunk) == reference, "chunk size \(chunk)")
        }
        let long = "{\"a\":\"\(String(repeating: "z", count: 200))\"}\n{\"a\":1}\n"
        #expect(
            try rrRows(long, format: .ndjson, chunk: 16, maxRecordBytes: 100)
                == [rrRow(1, [:], "the line is longer than 100 bytes"), rrRow(2, ["a": "1"])])
    }

    // MARK: Sources and sniffing

    @Test func formatFromExtensionThenFromTheFirstByte() throws {
        let csv = Array("phone,name\n+1,A\n".utf8)
        let json = Array("\n  {\"phone\":\"+1\"}\n".utf8)
        func open(_ name: String, _ bytes: [UInt8], _ format: InputFormat? = nil) throws -> RowReader {
            try RowReader(url: rrTempFile(name, bytes), format: format)
        }
        #expect(try open("a.csv", csv).format == .csv)
        #expect(try open("a.CSV", csv).format == .csv)
        #expect(try open("a.ndjson", json).format == .ndjson)
        #expect(try open("a.jsonl", json).format == .ndjson)
        #expect(try open("a.json", json).format == .ndjson)
        #expect(try open("a.txt", json).format == .ndjson)
        #expect(try open("a", [0xEF, 0xBB, 0xBF] + json).format == .ndjson)
        #expect(try open("a.txt", csv).format == .csv)
        #expect(try open("a.data", csv, .csv).format == .csv)
        #expect(try open("a.csv", json, .ndjson).format == .ndjson)
        let reader = try open("a.txt", json)
        #expect(reader.columns.isEmpty)
        #expect(try reader.next() == rrRow(2, ["phone": "+1"]))
        #expect(try RowReader(bytes: Array("{\"a\":1}".utf8), format: nil).format == .ndjson)
        #expect(try RowReader(bytes: Array("a\n".utf8), format: nil).format == .csv)
    }

    @Test func readsAFileInManyChunks() throws {
        var text = "phone,name,1,2\n"
        for i in 0..<2_000 { text += "+91\(i),\"Name \(i)\",\(i),\"x\"\"\(i)\"\r\n" }
        let url = try rrTempFile("many.csv", Array(text.utf8))
        let reader = try RowReader(url: url, format: nil, chunkSize: 333)
        var count = 0
        var kept: [InputRow] = []
        while let row = try reader.next() {
            #expect(row.problem == nil)
            #expect(row.line == count + 2)
            #expect(row.fields["2"] == "x\"\(count)")
            kept.append(row)
            count += 1
        }
        #expect(count == 2_000)
        // Rows kept by the caller are not changed by later reads.
        #expect(kept.first?.fields["phone"] == "+910")
        #expect(kept.last?.fields["name"] == "Name 1999")
    }

    @Test func openErrorsNameTheFile() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).csv")
        let message = rrError { () throws(OctopodsError) in _ = try RowReader(url: missing) }
        #expect(message?.hasPrefix("cannot open \(missing.path): ") == true)
        let dir = try rrTempFile("x.csv", []).deletingLastPathComponent()
        #expect(rrError { () throws(OctopodsError) in _ = try RowReader(url: dir) } == "cannot read \(dir.path): it is a directory")
        let empty = try rrTempFile("empty.csv", [])
        #expect(rrError { () throws(OctopodsError) in _ = try RowReader(url: empty) } == "\(empty.path) has no header row")
    }

    @Test func readsFromAPipeWrittenInPieces() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let readEnd = fds[0]
        let writeEnd = fds[1]
        defer { close(readEnd) }
        var text = "phone,body\n"
        for i in 0..<3_000 { text += "+1\(i),\"multi\nline \(i)\"\n" }
        let bytes = Array(text.utf8)
        let writer = Thread {
            var offset = 0
            while offset < bytes.count {
                let n = min(1_000, bytes.count - offset)
                let written = bytes[offset..<(offset + n)].withUnsafeBytes { write(writeEnd, $0.baseAddress, n) }
                if written <= 0 { break }
                offset += written
            }
            close(writeEnd)
        }
        writer.start()
        let reader = try RowReader(fileDescriptor: readEnd, name: "-", format: nil)
        #expect(reader.format == .csv)
        #expect(reader.columns == ["phone", "body"])
        var count = 0
        while let row = try reader.next() {
            #expect(row == rrRow(2 + 2 * count, ["phone": "+1\(count)", "body": "multi\nline \(count)"]))
            count += 1
        }
        #expect(count == 3_000)
    }

    #if os(Linux)
    @Test func descriptorsAreClosedWhenDoneAndWhenTheHeaderIsBad() throws {
        let good = try rrTempFile("good.csv", Array("phone\n+1\n".utf8))
        let bad = try rrTempFile("bad.csv", Array("phone,phone\n".utf8))
        func openDescriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0 }
        let before = openDescriptors()
        for _ in 0..<300 {
            let reader = try RowReader(url: good)
            _ = try reader.next()
            _ = rrError { () throws(OctopodsError) in _ = try RowReader(url: bad) }
        }
        // Other tests run alongside and open files too, but not hundreds.
        #expect(openDescriptors() - before < 100)
    }
    #endif

    // MARK: Random input

    @Test func randomInputNeverCrashesAndLineNumbersAreSane() {
        var rng = SeededGenerator(seed: 0x5EED_0C70_90D5)
        let alphabet: [UInt8] = [
            0x2C, 0x2C, 0x22, 0x22, 0x0D, 0x0A, 0x0A, 0x61, 0x62, 0x20, 0xC3, 0xA9, 0xFF, 0xEF, 0xBB, 0xBF,
            0x7B, 0x7D, 0x3A, 0x5B, 0x5D, 0x31, 0x6E,
        ]
        let formats: [InputFormat?] = [.csv, .ndjson, nil]
        var insane: [Int] = []
        var differing: [String] = []
        // 1,200 cases (a multiple of the four starts and three formats): the libFuzzer target
        // (Tests/Fuzz/corpus/rows, replayed by FuzzReplayTests) is where long fuzzing happens.
        for iteration in 0..<1_200 {
            let length = Int.random(in: 0...120, using: &rng)
            var bytes: [UInt8] = []
            // Mostly a valid start, so that the rows after it are read, not only rejected headers.
            switch iteration % 4 {
            case 0: bytes = Array("{\"a\":".utf8)
            case 1, 2: bytes = Array("a,b,c\n".utf8)
            default: break
            }
            for _ in 0..<length { bytes.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
            var lastLine = 1
            for (i, b) in bytes.enumerated() where b == 0x0D || (b == 0x0A && (i == 0 || bytes[i - 1] != 0x0D)) {
                lastLine += 1
            }
            let small = Int.random(in: 1...9, using: &rng)
            // One format per case: throws are slow under the test library (it records a backtrace for each), and most
            // random NDJSON lines make the JSON parser throw.
            let format = formats[iteration % formats.count]
            var outcomes: [[InputRow]] = []
            var failures: [String] = []
            for chunk in [small, 256] {
                var rows: [InputRow] = []
                var failure = ""
                do {
                    let reader = try RowReader(bytes: bytes, format: format, chunkSize: chunk, maxRecordBytes: 50)
                    while let row = try reader.next() { rows.append(row) }
                } catch {
                    failure = "\(error)"
                }
                var previous = 0
                for row in rows {
                    if row.line <= previous || row.line > lastLine { insane.append(iteration) }
                    previous = row.line
                }
                outcomes.append(rows)
                failures.append(failure)
            }
            if outcomes.first != outcomes.last || failures.first != failures.last {
                differing.append("case \(iteration), chunk \(small), format \(String(describing: format))")
            }
        }
        // Collected, not expected one by one: tens of thousands of #expect calls would be most of the time.
        #expect(insane.isEmpty, "line numbers out of order or past the end in cases \(insane)")
        #expect(differing.isEmpty, "results depend on the chunk size: \(differing)")
    }
}
