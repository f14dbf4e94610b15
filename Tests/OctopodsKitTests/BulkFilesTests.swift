import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct CSVDialectTests {
    func rows(_ text: String, bom: Bool = false, delimiter: UInt8? = nil, chunk: Int = 7) throws -> (RowReader, [InputRow]) {
        let reader = try RowReader(
            bytes: (bom ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8), format: nil, delimiter: delimiter, chunkSize: chunk)
        var out: [InputRow] = []
        while let row = try reader.next() { out.append(row) }
        return (reader, out)
    }

    @Test(arguments: [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "'|'")])
    func theDelimiterIsSniffedFromTheHeader(_ d: String, _ name: String) throws {
        let (reader, rows) = try rows("Phone\(d)First Name\(d)Order\r\n+14155550101\(d)\"Ana\(d) Jr\"\(d)A-1\r\n", bom: true)
        #expect(reader.columns == ["Phone", "First Name", "Order"])
        #expect(rows == [InputRow(line: 2, fields: ["Phone": "+14155550101", "First Name": "Ana\(d) Jr", "Order": "A-1"])])
        #expect(reader.dialect.delimiter == UInt8(ascii: Unicode.Scalar(d)!))
        #expect(reader.dialect.delimiterName == name)
        #expect(reader.dialect.lineBreak == "\r\n")
        #expect(reader.dialect.byteOrderMark)
    }

    @Test func sniffingCountsOutsideQuotesAndPrefersCommaOnATie() {
        #expect(CSVDialect.sniff(Array(#""a,b,c";d;e"#.utf8)) == UInt8(ascii: ";"))
        #expect(CSVDialect.sniff(Array("a,b;c".utf8)) == UInt8(ascii: ","))
        #expect(CSVDialect.sniff(Array("phone".utf8)) == UInt8(ascii: ","))
        #expect(CSVDialect.option("tab") == 0x09)
        #expect(CSVDialect.option("x") == nil)
    }

    @Test func excelsSepLineNamesTheDelimiter() throws {
        let (reader, rows) = try rows("sep=;\r\nphone,x;name\r\n+1,2;Ana\r\n", bom: true)
        #expect(reader.columns == ["phone,x", "name"])
        #expect(reader.dialect.separatorLine && reader.dialect.delimiter == UInt8(ascii: ";"))
        #expect(rows == [InputRow(line: 3, fields: ["phone,x": "+1,2", "name": "Ana"])])
    }

    @Test func anExplicitDelimiterWins() throws {
        let (reader, rows) = try rows("phone;a,b\n+1;x,y\n", delimiter: UInt8(ascii: ";"))
        #expect(reader.columns == ["phone", "a,b"])
        #expect(rows.first?.fields["a,b"] == "x,y")
    }

    @Test(arguments: [[UInt8]([0xFF, 0xFE, 0x70, 0x00, 0x68, 0x00]), [0xFE, 0xFF, 0x00, 0x70], [0x70, 0x00, 0x68, 0x00, 0x0A, 0x00]])
    func utf16IsRefusedNamingLineOne(_ bytes: [UInt8]) {
        #expect(throws: OctopodsError.self) { _ = try RowReader(bytes: bytes, name: "export.csv", format: nil) }
        do { _ = try RowReader(bytes: bytes, name: "export.csv", format: nil) } catch {
            #expect("\(error)".contains("export.csv, line 1: the file is UTF-16 text, not UTF-8"), "\(error)")
        }
    }

    @Test func invalidUTF8InARowNamesItsLine() throws {
        let (_, rows) = try rows("phone;name\n+1;\u{41}\n")
        #expect(rows.first?.problem == nil)
        let reader = try RowReader(bytes: Array("phone;name\n+1;".utf8) + [0xC3, 0x28, 0x0A], format: .csv)
        let row = try reader.next()
        #expect(row?.line == 2)
        #expect(row?.problem == #"column "name" is not valid UTF-8 text (save the file as UTF-8)"#)
    }

    @Test func raggedRowsNameTheDelimiter() throws {
        let (_, rows) = try rows("a;b;c\n1;2\n")
        #expect(rows.first?.problem?.contains("an empty value still needs its semicolon") == true)
    }

    @Test func theCopiedColumnIsStoredUnderBothNames() throws {
        let reader = try RowReader(bytes: Array("Mobile,phone,x\n+1,+2,3\n".utf8), format: nil)
        reader.copyColumn("Mobile", to: "phone")
        let row = try reader.next()
        #expect(row?.fields == ["Mobile": "+1", "phone": "+1", "phone (column 2)": "+2", "x": "3"])
        let ndjson = try RowReader(bytes: Array(#"{"cell":"+3","a":"b"}"#.utf8), format: .ndjson)
        ndjson.copyColumn("cell", to: "phone")
        #expect(try ndjson.next()?.fields["phone"] == "+3")
    }
}

@Suite struct ColumnReferenceTests {
    @Test func templatesParseAndRender() throws {
        let t = try CellTemplate.parse("Order {Order} for { First Name }, {{literal}} }", field: "--var 2")
        #expect(t.parts == [.text("Order "), .column("Order"), .text(" for "), .column("First Name"), .text(", {literal} }")])
        #expect(t.columns == ["Order", "First Name"])
        let row = InputRow(line: 2, fields: ["Order": "A-1", "First Name": "Ana"])
        #expect(try t.render(row) == "Order A-1 for Ana, {literal} }")
        #expect(throws: OctopodsError.self) { try t.render(InputRow(line: 3, fields: ["Order": "A-1", "First Name": ""])) }
        let literal = try CellTemplate.parse("50% {{off}}", field: "--var 1")
        #expect(literal.isLiteral && literal.literal == "50% {off}")
    }

    @Test(arguments: ["Hi {Name", "{}", "{  }"])
    func badReferencesAreUsageErrors(_ text: String) {
        #expect(throws: OctopodsError.self) { try CellTemplate.parse(text, field: "--var 1") }
    }

    @Test func unknownColumnsAreListedWithADidYouMean() {
        do {
            try ColumnReference.check([ColumnReference(column: "order", field: "--var 2")], columns: ["Phone", "Order"], file: "x.csv")
            Issue.record("no error")
        } catch {
            guard case .usage(let usage) = error else { Issue.record("\(error)"); return }
            #expect(usage.message == "--var 2 uses column 'order', which x.csv does not have; its columns are 'Phone', 'Order'")
            #expect(usage.suggestion == "Did you mean {Order}?")
        }
    }

    @Test func variablesTakeColumnsThenPlaceholderColumns() throws {
        var flags = TemplateVariables()
        flags.body = ["{First Name}", "{{x}}"]
        let templates = try VariableTemplates(flags)
        #expect(templates.references == [ColumnReference(column: "First Name", field: "--var 1")])
        let v = try templates.resolve(InputRow(line: 2, fields: ["First Name": "Ana", "body_2": "A-9", "header_1": "H"]))
        #expect(v.body == ["Ana", "A-9"])
        #expect(v.header == ["H"])
        #expect(throws: OctopodsError.self) { try templates.resolve(InputRow(line: 2, fields: ["First Name": "two\nlines"])) }
    }
}

@Suite struct PhoneColumnTests {
    @Test func usualNamesAnyCaseOrNamed() throws {
        #expect(try PhoneColumn.find(in: ["Name", "Phone Number"], named: nil, file: "f") == 1)
        #expect(try PhoneColumn.find(in: ["MSISDN", "x"], named: nil, file: "f") == 0)
        #expect(try PhoneColumn.find(in: ["destination_phone"], named: nil, file: "f") == 0)
        #expect(try PhoneColumn.find(in: ["Cell", "Phone"], named: "cell", file: "f") == 0)
        #expect(throws: OctopodsError.self) { try PhoneColumn.find(in: ["Phone", "Mobile"], named: nil, file: "f") }
        #expect(throws: OctopodsError.self) { try PhoneColumn.find(in: ["Name"], named: nil, file: "f") }
        #expect(throws: OctopodsError.self) { try PhoneColumn.find(in: ["Name"], named: "Cel", file: "f") }
    }

    @Test(arguments: [
        ("4.41555E+11", "is in scientific notation"), ("4,41555E+11", "is in scientific notation"), ("1.5e12", "is in scientific notation"),
        ("14155552671", "has no leading '+': the spreadsheet stored it as a number"), ("14155552671.0", "ends in '.0'"),
    ])
    func spreadsheetDamageIsSaidNotGuessed(_ raw: String, _ says: String) {
        do {
            _ = try PhoneColumn.check(raw)
            Issue.record("accepted \(raw)")
        } catch {
            guard case .invalidInput(let message, _) = error else { Issue.record("\(error)"); return }
            #expect(message.contains(says), "\(message)")
            #expect(!message.contains("did you mean"))
        }
    }

    @Test func goodNumbersPass() throws {
        #expect(try PhoneColumn.check("+14155552671") == "+14155552671")
    }
}

@Suite struct BulkTerminalTests {
    @Test func theQuestionNamesTemplateChannelProfileAndDuration() {
        var plan = BulkPlan(
            statusChannel: nil, knows: { _ in true }, endpoint: { API.sendSMS(body: $0) },
            prepare: { _ in ("", .null) })
        plan.describe = #"template 539 "otp" (en)"#
        #expect(
            Progress.question(plan: plan, recipients: 1500, profile: "default", rate: .documented)
                == #"Send template 539 "otp" (en) on whatsapp to 1,500 recipients with profile default? About 4 min 33 s at 55/10s."#)
        plan.describe = "an SMS"
        plan.channel = .sms
        #expect(
            Progress.question(plan: plan, recipients: 1, profile: "prod", rate: nil)
                == "Send an SMS on sms to 1 recipient with profile prod? No rate limit (--rate off).")
    }

    @Test func numbersAndDurations() {
        #expect(NumberText.counted(1, "row") == "1 row")
        #expect(NumberText.counted(1500, "recipient") == "1,500 recipients")
        #expect(NumberText.counted(2, "Viber message") == "2 Viber messages")
        #expect(NumberText.decimal(5.449) == "5.4")
        #expect(NumberText.decimal(0) == "0.0")
        #expect(NumberText.duration(272.7) == "4 min 33 s")
        #expect(NumberText.duration(3900) == "1 h 5 min")
        #expect(NumberText.duration(45) == "45 s")
    }

    @Test func theRateIsSmoothedOverTheLastSeconds() {
        let t0 = fixedNow
        // A burst of 55 at the start, then 5.5 a second: the last 10 s say 5.5/s, not the overall figure.
        let samples = (0...10).map { (time: t0.addingTimeInterval(20 + Double($0)), done: 55 + 110 + Int(5.5 * Double($0))) }
        let rate = Progress.rate(samples: samples, started: t0, now: t0.addingTimeInterval(30), done: 55 + 110 + 55)
        #expect(abs(rate - 5.5) < 0.01)
    }

    @Test func theBarAndTheSummaryUseTheSameWords() async {
        let (ctx, _, err) = makeContext(tty: true, width: 120)
        let tally = BulkRun.Tally()
        tally.add {
            $0.accepted = 3; $0.rejected = 1; $0.unknown = 1
        }
        let progress = Progress(ctx: ctx, total: 10, tally: tally)
        progress.update()
        progress.rejected(line: 4, phone: "+14155550001", reason: "the API rejected the request (HTTP 400)")
        progress.note("Rate limited (HTTP 429): every octopods process using this key waits until later.\n", to: err)
        progress.finish()
        progress.summary(tally.snapshot, elapsed: 12, journal: "j", rejectedFile: nil)
        let screen = err.text
        for word in ["accepted", "rejected", "unknown"] {
            #expect(screen.contains("\(word) "), "\(word)")
        }
        #expect(screen.contains("5/10 · accepted 3 · rejected 1 · unknown 1"))
        #expect(
            screen.contains("\r\u{1B}[KRate limited (HTTP 429): every octopods process using this key waits until later.\n"), "\(screen)")
        #expect(screen.contains("unknown 1 · paused: rate limited (429), see above"), "\(screen)")
        #expect(screen.contains("Sent 5 of 10 rows in 12.0 s (0.4/s)"))
        #expect(screen.contains("Rejected row:\n  line 4  +14155550001  the API rejected the request (HTTP 400)"))
    }
}

@Suite struct RejectedAndExcludedTests {
    @Test func ndjsonRejectedRowsStayNDJSON() throws {
        let dir = temporaryDirectory()
        let path = dir.appendingPathComponent("r.ndjson").path
        do {
            let file = try RejectedFile(path: path, format: .ndjson, columns: [], dialect: CSVDialect())
            file.write(InputRow(line: 1, fields: ["phone": "+1", "a": "b"]), reason: "bad")
            #expect(file.count == 1)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == #"{"phone":"+1","a":"b","reason":"bad"}"# + "\n")
    }

    @Test func csvRejectedRowsQuoteWhatNeedsIt() throws {
        let dir = temporaryDirectory()
        let path = dir.appendingPathComponent("r.csv").path
        var dialect = CSVDialect()
        dialect.delimiter = 0x09
        do {
            let file = try RejectedFile(path: path, format: .csv, columns: ["phone", "note", "reason"], dialect: dialect)
            file.write(InputRow(line: 2, fields: ["phone": "+1", "note": "a\tb \"c\""]), reason: " x")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "phone\tnote\treason\n+1\t\"a\tb \"\"c\"\"\"\t\" x\"\n")
    }

    @Test func excludeListsPlainOrCSV() throws {
        let dir = temporaryDirectory()
        let plain = dir.appendingPathComponent("p.txt")
        try Data("+1 (415) 555-2671\n\n0044 20 7946 0958\n".utf8).write(to: plain)
        #expect(try ExcludeList(path: plain.path, phoneColumn: nil).numbers == ["+14155552671", "+442079460958"])
        let csv = dir.appendingPathComponent("c.csv")
        try Data("Name;Mobile\nA;+14155552672\n".utf8).write(to: csv)
        #expect(try ExcludeList(path: csv.path, phoneColumn: nil).numbers == ["+14155552672"])
        let bad = dir.appendingPathComponent("b.txt")
        try Data("+14155552671\n4155552671\n".utf8).write(to: bad)
        #expect(throws: OctopodsError.self) { try ExcludeList(path: bad.path, phoneColumn: nil) }
    }

    @Test func templatesCSVColumns() throws {
        let template = try Template.decode([
            "template_id": "7", "template_name": "t",
            "template_components": [
                ["type": "HEADER", "format": "IMAGE"], ["type": "BODY", "text": "Hi {{1}} {{2}}"],
                ["type": "BUTTONS", "buttons": [["type": "URL", "text": "Go", "url": "https://x.io/{{1}}"]]],
            ],
        ])
        let (columns, example) = Templates.CSV.columns(template, channel: .whatsapp)
        #expect(columns == ["phone", "header_url", "body_1", "body_2", "button_1"])
        #expect(example == ["+14155552671", "https://example.com/header.jpg", "body 1", "body 2", "example-1"])
    }
}

@Suite struct BulkRejectedRunTests {
    @Test func rowsTheAPIRefusesGoToTheRejectedFileAndStayThereOnResume() async throws {
        let dir = temporaryDirectory()
        let input = dir.appendingPathComponent("in.csv")
        try Data("Mobile|First|Order\r\n+14155550001|Ana|A-1\r\n+14155550002|Bo|A-2\r\n".utf8).write(to: input)
        let fake = BulkFake { body, n in
            body.contains("+14155550001")
                ? (400, #"{"error_code":5,"error":"Invalid Phone number"}"#) : (201, #"{"message_id":\#(1000 + n)}"#)
        }
        let rejected = dir.appendingPathComponent("fix.csv")
        let argv = [
            "send", "template", "1001", "--from", input.path, "--rate", "off", "--var", "1={First}", "--var", "2={Order}",
            "--rejected", rejected.path,
        ]
        let r = await run(argv, transport: fake.transport, home: dir)
        #expect(r.code == .rejected)
        let expected =
            "Mobile|First|Order|reason\r\n+14155550001|Ana|A-1|the API rejected the request (HTTP 400): Invalid Phone number, PHONE_INVALID (5)\r\n"
        #expect(try String(contentsOf: rejected, encoding: .utf8) == expected)
        // Run again: the run finished, so it is refused; nothing is resent, and the file still lists the row.
        let again = await run(argv, transport: fake.transport, home: dir)
        #expect(again.code == .usage)
        #expect(fake.count == 2)
        #expect(
            try String(contentsOf: rejected, encoding: .utf8).hasPrefix(
                "Mobile|First|Order|reason\r\n+14155550001|Ana|A-1|the API rejected"))
    }
}

@Suite struct BulkNDJSONReferenceTests {
    @Test func ndjsonRowsUseReferencesByKeyAndAPhoneKey() async throws {
        let dir = temporaryDirectory()
        let input = dir.appendingPathComponent("in.ndjson")
        try Data((#"{"cell":"+14155550001","who":"Ana","order":7}"# + "\n" + #"{"cell":"+14155550002","who":"Bo"}"# + "\n").utf8).write(
            to: input)
        let fake = BulkFake()
        let r = await run(
            [
                "send", "template", "1001", "--from", input.path, "--rate", "off", "--phone-column", "cell",
                "--var", "1={who}", "--var", "2=#{order}",
            ], transport: fake.transport)
        #expect(r.code == .usage)  // line 2 has no order
        #expect(r.stderr.contains("line 2: column 'order' is empty (--var 2 uses it)"), "\(r.stderr)")
        let ok = await run(
            [
                "send", "template", "1001", "--from", input.path, "--rate", "off", "--phone-column", "cell",
                "--var", "1={who}", "--var", "2=#{order}", "--skip-invalid",
            ], transport: fake.transport)
        #expect(ok.code == .success, "\(ok.stderr)")
        #expect(fake.posts.withLock { $0 }.first?.contains(##""body":["Ana","#7"]"##) == true)
    }
}

@Suite struct CSVQuotingTests {
    @Test func aQuoteBeforeACombiningMarkIsDoubled() throws {
        let value = "\"\u{05AC}na"
        #expect(CSVDialect().record(["a", value]) == "a,\"\"\"\u{05AC}na\"\n")
        #expect(CSVText.field(value) == "\"\"\"\u{05AC}na\"")
        let reader = try RowReader(bytes: Array(("x,y\n" + CSVDialect().record(["a", value])).utf8), format: .csv)
        #expect(try reader.next()?.fields["y"] == value)
    }
}
