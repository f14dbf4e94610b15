import Foundation
import Testing
@testable import CLISupport

@Suite struct JSONValueTests {
    @Test func keepsKeyOrderAndNumbersExactly() throws {
        let text = #"{"z":1,"a":[true,false,null],"big":12345678901234567890,"f":-1.5e3,"s":"é\n\"x\""}"#
        let value = try JSONValue.parse(text)
        #expect(value.serialized() == text)
        #expect(value["big"]?.scalarText == "12345678901234567890")
        #expect(value["z"]?.intValue == 1)
    }

    @Test func pretty() throws {
        let value = try JSONValue.parse(#"{"a":[1,{"b":{}}],"c":[]}"#)
        #expect(value.serialized(pretty: true) == "{\n  \"a\": [\n    1,\n    {\n      \"b\": {}\n    }\n  ],\n  \"c\": []\n}")
    }

    @Test func escapesAndUnicode() throws {
        let value = try JSONValue.parse(#""\u00e9\ud83d\ude00\u001b[31m""#)
        #expect(value.stringValue == "é😀\u{1B}[31m")
        #expect(value.serialized() == "\"é😀\\u001b[31m\"")
        #expect(try JSONValue.parse(#""\ud800""#).stringValue == "\u{FFFD}")
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"abc", "\"\u{01}\"", "[1] x", "{\"a\":1,}", "\"\\x\""])
    func rejects(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(deep) }
    }

    @Test func fingerprints() throws {
        let a = try JSONValue.parse(#"{"phone":"+1","vars":["a","b"],"n":1}"#)
        #expect(a.fingerprint() == (try JSONValue.parse(#"{"phone": "+1", "vars": ["a", "b"], "n": 1}"#)).fingerprint())
        let different = [
            #"{"phone":"+1","vars":["ab"],"n":1}"#, #"{"phone":"+1","vars":["a","b"],"n":"1"}"#,
            #"{"phone":"+2","vars":["a","b"],"n":1}"#, #"{"phone":"+1","vars":[["a"],"b"],"n":1}"#,
        ]
        for text in different { #expect(try JSONValue.parse(text).fingerprint() != a.fingerprint(), "\(text)") }
    }

    @Test func byteOrderMarkTolerated() throws {
        #expect(try JSONValue.parse(Data([0xEF, 0xBB, 0xBF]) + Data("[1]".utf8)) == [1])
    }

    @Test func invalidUTF8Rejected() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Data([0x22, 0xFF, 0x22])) }
    }
}

@Suite struct TerminalTextTests {
    @Test func neutralisesControlCharacters() {
        #expect(TerminalText.sanitize("ok\u{1B}]0;pwned\u{07}\u{9B}2J") == "ok\\x1B]0;pwned\\x07\\x9B2J")
        #expect(TerminalText.sanitize("a\nb\tc") == "a\\x0Ab\\x09c")
        #expect(TerminalText.sanitize("a\nb", keepNewlines: true) == "a\nb")
        #expect(TerminalText.sanitize("abc\u{202E}def") == "abc\\u202Edef")
        #expect(TerminalText.sanitize("plain text é 日本") == "plain text é 日本")
    }

    @Test func widthAndTruncation() {
        #expect(TerminalText.width("日本") == 4)
        #expect(TerminalText.width("e\u{301}") == 1)
        #expect(TerminalText.truncate("abcdefgh", to: 5) == "abcd…")
        #expect(TerminalText.truncate("abc", to: 5) == "abc")
    }

    @Test func wraps() {
        #expect(
            TerminalText.wrap("one two three four five six seven eight nine ten eleven", width: 24)
                == "one two three four five\nsix seven eight nine ten\neleven")
    }
}

@Suite struct TableRendererTests {
    let table = Table(
        headers: ["ID", "NAME", "STATUS"],
        rows: [
            ["1001", "order_update", "Accepted"],
            ["7", "a_rather_long_template_name", "Rejected"],
        ],
        flexibleColumn: 1)

    @Test func alignsWithoutTerminal() {
        let out = TableRenderer(width: nil, color: false).render(table)
        #expect(
            out == """
                ID    NAME                         STATUS
                1001  order_update                 Accepted
                7     a_rather_long_template_name  Rejected

                """)
    }

    @Test func truncatesFlexibleColumnOnNarrowTerminal() {
        let out = TableRenderer(width: 30, color: false).render(table)
        for line in out.split(separator: "\n") { #expect(TerminalText.width(String(line)) <= 30) }
        #expect(out.contains("7     a_rather_long…  Rejected"))
    }

    @Test(arguments: [120, 80, 60, 40, 20])
    func neverWiderThanTheTerminal(_ width: Int) {
        let wide = Table(
            headers: ["ID", "NAME", "LANG", "STATUS", "VARIABLES"],
            rows: [
                [
                    "1001", "appointment_reminder_with_a_long_name", "en_US", "Accepted",
                    "body: 3 (name, date, time); header: 1 (image url); buttons: 2 (url suffix, payload)",
                ],
                ["7", "otp", "en", "Rejected", "body: 1"],
            ],
            flexibleColumn: 1)
        let out = TableRenderer(width: width, color: false).render(wide)
        for line in out.split(separator: "\n") {
            #expect(TerminalText.width(String(line)) <= width, "\(width): \(line)")
        }
        // Narrow columns keep their width while the wide ones give it up.
        if width >= 60 { #expect(out.contains("1001  ") && out.contains("en_US")) }
        // One ellipsis style: a cut cell ends with a single "…".
        #expect(!out.contains("……"))
    }

    @Test func fitSharesTheCutAmongTheWidestColumns() {
        // 10 + 40 + 40 + 4 separators = 94 → 60: both wide columns shrink to the same width.
        let widths = TableRenderer.fit([10, 40, 40], headers: [2, 4, 4], into: 60, flexible: nil)
        #expect(widths == [10, 23, 23])
        #expect(widths.reduce(0, +) + 4 <= 60)
    }

    @Test func colourOnlyWhenAsked() {
        let plain = TableRenderer(width: 80, color: false).render(table) { _, _ in "31" }
        #expect(!plain.contains("\u{1B}"))
        let coloured = TableRenderer(width: 80, color: true).render(table) { c, _ in c == 2 ? "31" : nil }
        #expect(coloured.contains("\u{1B}[31mAccepted"))
    }

    @Test func cellsAreSanitised() {
        let hostile = Table(headers: ["NAME"], rows: [["evil\u{1B}[2J"]])
        #expect(TableRenderer(width: nil, color: false).render(hostile) == "NAME\nevil\\x1B[2J\n")
    }
}

@Suite struct HelpRendererTests {
    @Test func usageErrorText() {
        let text = HelpRenderer(testProgram).usageError(
            UsageError(
                "unknown option '--stauts'", suggestion: "Did you mean '--status'?",
                path: ["templates", "list"]))
        #expect(
            text == """
                error: unknown option '--stauts'
                Did you mean '--status'?
                Usage: tool templates list [options]
                Run 'tool templates list --help' for more information.

                """)
    }

    @Test func usageLineShowsArgumentsAndRequiredOptions() {
        #expect(HelpRenderer(testProgram).usageLine(["send"]) == "tool send <template-id> --to PHONE [options]")
        #expect(HelpRenderer(testProgram).usageLine(["templates"]) == "tool templates <command> [options]")
        #expect(HelpRenderer(testProgram).usageLine(["log"]) == "tool log [<command>] [options]")
        #expect(HelpRenderer(testProgram).usageLine(["log", "prune"]) == "tool log prune --before WHEN [options]")
    }

    @Test func helpListsEverything() {
        let text = HelpRenderer(testProgram).help(["send"])
        for needle in ["USAGE", "ARGUMENTS", "<template-id>", "OPTIONS", "--var N=VALUE ...", "GLOBAL OPTIONS", "-o, --output FORMAT"] {
            #expect(text.contains(needle), "\(needle)")
        }
    }
}
