import Testing
@testable import CLISupport

/// The options the tests read, declared once as the commands declare theirs.
enum TestKey {
    static let status = OptionKey.value("status", "STATUS", .choice(["accepted", "rejected"]), help: "Status.")
    static let to = OptionKey.value("to", "PHONE", required: true, help: "To.")
    static let vars = OptionKey.repeated("var", "N=VALUE", help: "Var.")
    static let timeout = OptionKey.duration("timeout", help: "Timeout.")
    static let active = OptionKey.boolean("active", help: "Active.")
    static let dryRun = OptionKey.flag("dry-run", help: "Dry run.")
    static let limit = OptionKey.integer("limit", short: "n", range: 1...100, help: "Limit.")
}

/// A small program shaped like ours: a group, leaves with arguments, typed and repeatable options.
let testProgram = ProgramSpec(
    root: CommandSpec(
        name: "tool", abstract: "A tool.",
        subcommands: [
            CommandSpec(
                name: "templates", abstract: "Templates.",
                subcommands: [
                    CommandSpec(
                        name: "list", abstract: "List.",
                        options: [TestKey.status, TestKey.limit]),
                    CommandSpec(name: "get", abstract: "Get.", arguments: [ArgumentSpec("template-id", help: "Id.")]),
                ]),
            CommandSpec(
                name: "log", abstract: "A group that runs by itself.",
                options: [
                    .value("since", "WHEN", help: "Since."),
                    .value("limit", "N", .integer(0...100), help: "Limit."),
                ],
                subcommands: [
                    CommandSpec(name: "refresh", abstract: "Refresh.", options: [.value("since", "WHEN", help: "Since.")]),
                    CommandSpec(name: "prune", abstract: "Prune.", options: [.value("before", "WHEN", required: true, help: "Before.")]),
                ], runsItself: true),
            CommandSpec(
                name: "send", abstract: "Send.", arguments: [ArgumentSpec("template-id", help: "Id.")],
                options: [TestKey.to, TestKey.vars, TestKey.timeout, TestKey.active, TestKey.dryRun]),
        ]),
    globalOptions: [
        .value("output", short: "o", "FORMAT", .choice(["table", "json"]), help: "Format."),
        .flag("verbose", short: "v", help: "Verbose."),
        .flag("quiet", short: "q", help: "Quiet."),
    ],
    version: "1.0")

struct ParseCase: Sendable, CustomTestStringConvertible {
    var argv: [String]
    var expected: Result<ParsedArguments, UsageError>
    var testDescription: String { argv.joined(separator: " ") }
}

/// `order`: every option value as `name=value`, in command-line order (flags have none).
func parsed(
    _ path: [String], _ values: [String: [String]] = [:], _ positionals: [String] = [],
    order: [String] = []
) -> Result<ParsedArguments, UsageError> {
    let spec = testProgram.root.descendant(at: path)
    let declared = Dictionary(((spec?.options ?? []) + testProgram.globalOptions).map { ($0.long, $0) }) { first, _ in first }
    var arguments = ParsedArguments(path: path, values: values, positionals: positionals, declared: declared)
    arguments.occurrences = order.map { item in
        let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        return ParsedArguments.Occurrence(parts[0], parts.count > 1 ? parts[1] : "")
    }
    return .success(arguments)
}

func failure(_ message: String, _ suggestion: String? = nil, _ path: [String] = []) -> Result<ParsedArguments, UsageError> {
    .failure(UsageError(message, suggestion: suggestion, path: path))
}

let parseCases: [ParseCase] = [
    ParseCase(argv: ["templates", "list"], expected: parsed(["templates", "list"])),
    ParseCase(
        argv: ["templates", "list", "--status", "accepted"],
        expected: parsed(["templates", "list"], ["status": ["accepted"]], order: ["status=accepted"])),
    ParseCase(
        argv: ["templates", "list", "--status=rejected"],
        expected: parsed(["templates", "list"], ["status": ["rejected"]], order: ["status=rejected"])),
    ParseCase(argv: ["templates", "list", "-n", "5"], expected: parsed(["templates", "list"], ["limit": ["5"]], order: ["limit=5"])),
    ParseCase(argv: ["templates", "list", "-n5"], expected: parsed(["templates", "list"], ["limit": ["5"]], order: ["limit=5"])),
    ParseCase(
        argv: ["-o", "json", "templates", "list"], expected: parsed(["templates", "list"], ["output": ["json"]], order: ["output=json"])),
    ParseCase(
        argv: ["templates", "-v", "list", "-ojson"],
        expected: parsed(["templates", "list"], ["verbose": ["true"], "output": ["json"]], order: ["output=json"])),
    ParseCase(argv: ["templates", "list", "-vq"], expected: parsed(["templates", "list"], ["verbose": ["true"], "quiet": ["true"]])),
    ParseCase(
        argv: ["templates", "list", "--limit", "5", "--limit", "7"],
        expected: parsed(["templates", "list"], ["limit": ["7"]], order: ["limit=5", "limit=7"])),
    ParseCase(
        argv: ["send", "1001", "--to", "+1555", "--var", "1=a", "--var", "2=b b", "--dry-run"],
        expected: parsed(
            ["send"], ["to": ["+1555"], "var": ["1=a", "2=b b"], "dry-run": ["true"]], ["1001"],
            order: ["to=+1555", "var=1=a", "var=2=b b"])),
    ParseCase(argv: ["send", "--to", "-5", "--", "--odd-id"], expected: parsed(["send"], ["to": ["-5"]], ["--odd-id"], order: ["to=-5"])),
    ParseCase(
        argv: ["send", "x", "--to", "+1", "--timeout", "1m30s", "--active", "false"],
        expected: parsed(
            ["send"], ["to": ["+1"], "timeout": ["1m30s"], "active": ["false"]], ["x"],
            order: ["to=+1", "timeout=1m30s", "active=false"])),
    ParseCase(
        argv: ["send", "x", "--to", "+1", "--var=1=a=b"],
        expected: parsed(["send"], ["to": ["+1"], "var": ["1=a=b"]], ["x"], order: ["to=+1", "var=1=a=b"])),
    // Errors, with their exact texts.
    ParseCase(argv: ["tempaltes", "list"], expected: failure("unknown command 'tempaltes' for 'tool'", "Did you mean 'templates'?")),
    ParseCase(
        argv: ["templates", "lst"], expected: failure("unknown command 'lst' for 'tool templates'", "Did you mean 'list'?", ["templates"])),
    ParseCase(argv: ["frobnicate"], expected: failure("unknown command 'frobnicate' for 'tool'")),
    ParseCase(
        argv: ["templates", "list", "--stauts", "accepted"],
        expected: failure("unknown option '--stauts'", "Did you mean '--status'?", ["templates", "list"])),
    ParseCase(argv: ["templates", "list", "-x"], expected: failure("unknown option '-x'", nil, ["templates", "list"])),
    ParseCase(argv: ["templates", "list", "--status"], expected: failure("option '--status' needs a value", nil, ["templates", "list"])),
    ParseCase(
        argv: ["templates", "list", "--status", "--limit", "3"],
        expected: failure("option '--status' needs a value", nil, ["templates", "list"])),
    ParseCase(
        argv: ["templates", "list", "--status", "pending"],
        expected: failure("invalid value for '--status': 'pending' is not one of: accepted, rejected", nil, ["templates", "list"])),
    ParseCase(
        argv: ["templates", "list", "-n", "500"],
        expected: failure("invalid value for '-n': 500 is out of range (1–100)", nil, ["templates", "list"])),
    ParseCase(
        argv: ["templates", "list", "--limit", "ten"],
        expected: failure("invalid value for '--limit': 'ten' is not a whole number", nil, ["templates", "list"])),
    ParseCase(
        argv: ["send", "x", "--to", "+1", "--timeout", "soon"],
        expected: failure("invalid value for '--timeout': 'soon' is not a duration (e.g. 30s, 5m, 1h30m, 500ms)", nil, ["send"])),
    ParseCase(
        argv: ["send", "x", "--to", "+1", "--active", "yes"],
        expected: failure("invalid value for '--active': 'yes' is not true or false", nil, ["send"])),
    ParseCase(argv: ["send", "x", "--to", "+1", "--dry-run=yes"], expected: failure("option '--dry-run' takes no value", nil, ["send"])),
    ParseCase(argv: ["send", "--to", "+1"], expected: failure("missing argument <template-id>", nil, ["send"])),
    ParseCase(argv: ["send", "x"], expected: failure("missing required option '--to PHONE'", nil, ["send"])),
    ParseCase(argv: ["templates", "get", "1", "2"], expected: failure("unexpected argument '2'", nil, ["templates", "get"])),
    // A group that runs by itself: its own options; a word after it is a subcommand; options
    // typed before the subcommand's name carry over where the subcommand has them too.
    ParseCase(argv: ["log"], expected: parsed(["log"])),
    ParseCase(argv: ["log", "--limit", "3"], expected: parsed(["log"], ["limit": ["3"]], order: ["limit=3"])),
    ParseCase(argv: ["log", "--since", "1d", "refresh"], expected: parsed(["log", "refresh"], ["since": ["1d"]], order: ["since=1d"])),
    ParseCase(
        argv: ["log", "-v", "prune", "--before", "9d"],
        expected: parsed(["log", "prune"], ["verbose": ["true"], "before": ["9d"]], order: ["before=9d"])),
    ParseCase(
        argv: ["log", "--limit", "3", "prune", "--before", "9d"],
        expected: failure("unknown option '--limit' for 'tool log prune'", nil, ["log", "prune"])),
    ParseCase(argv: ["log", "prune"], expected: failure("missing required option '--before WHEN'", nil, ["log", "prune"])),
    ParseCase(argv: ["log", "x"], expected: failure("unknown command 'x' for 'tool log'", nil, ["log"])),
    // An option of another command of the family is named with its command.
    ParseCase(
        argv: ["log", "--before", "9d"],
        expected: failure("unknown option '--before'", "'--before' is an option of 'tool log prune'.", ["log"])),
    ParseCase(
        argv: ["log", "prune", "--limit", "2"],
        expected: failure("unknown option '--limit'", "'--limit' is an option of 'tool log'.", ["log", "prune"])),
    ParseCase(
        argv: ["log", "refresh", "--before", "2"],
        expected: failure("unknown option '--before'", "'--before' is an option of 'tool log prune'.", ["log", "refresh"])),
]

@Suite struct ArgumentParserTests {
    @Test(arguments: parseCases)
    func parses(_ c: ParseCase) {
        let parser = ArgumentParser(testProgram)
        switch c.expected {
        case .success(let expected):
            #expect(throws: Never.self) { _ = try parser.parse(c.argv) }
            let got = try? parser.parse(c.argv)
            #expect(got == expected)
        case .failure(let expected):
            #expect(throws: expected) { _ = try parser.parse(c.argv) }
        }
    }

    /// Equality covers every field: two parses that differ only in the order of their
    /// options (which `send interactive` reads) are different.
    @Test func equalityComparesTheOrderToo() throws {
        let parser = ArgumentParser(testProgram)
        let one = try parser.parse(["send", "x", "--to", "+1", "--var", "1=a", "--var", "2=b"])
        #expect(one != (try parser.parse(["send", "x", "--var", "1=a", "--to", "+1", "--var", "2=b"])))
        #expect(one == (try parser.parse(["send", "x", "--to", "+1", "--var", "1=a", "--var", "2=b"])))
    }

    @Test func helpAnywhere() throws {
        let parser = ArgumentParser(testProgram)
        for argv in [["--help"], ["templates", "-h"], ["templates", "list", "--help", "--bogus-after"], ["help", "templates", "list"]] {
            let result = try? parser.parse(argv)
            #expect(result?.helpRequested == true, "\(argv)")
        }
        #expect(try parser.parse(["help", "templates", "list"]).path == ["templates", "list"])
        #expect(throws: UsageError("unknown command 'lisst' for 'tool templates'", suggestion: "Did you mean 'list'?", path: ["templates"]))
        {
            try parser.parse(["help", "templates", "lisst"])
        }
    }

    @Test func versionAndGroupsSkipValidation() throws {
        let parser = ArgumentParser(testProgram)
        #expect(try parser.parse(["--version"]).versionRequested)
        #expect(try parser.parse(["templates"]).path == ["templates"])
        #expect(try parser.parse([]).path == [])
    }

    @Test func typedGetters() throws {
        let args = try ArgumentParser(testProgram).parse(
            ["send", "x", "--to", "+1", "--to", "+2", "--timeout", "1m30s", "--active", "true", "--var", "1=a", "--var", "2=b"])
        #expect(args[TestKey.timeout] == 90)
        #expect(args[TestKey.active] == true)
        #expect(args[TestKey.dryRun] == false)
        #expect(args[TestKey.to] == "+2", "the last of a repeated single value")
        #expect(args[TestKey.vars] == ["1=a", "2=b"])
        #expect(args.has(TestKey.to) && !args.has(TestKey.dryRun))
        #expect(args.undeclaredLookups.isEmpty)
    }
}

@Suite struct DurationAndSuggestionTests {
    @Test(arguments: [("90s", 90.0), ("5m", 300), ("1h30m", 5400), ("500ms", 0.5), ("1.5s", 1.5), ("2", 2), ("1d", 86400)])
    func durations(_ text: String, _ seconds: Double) {
        #expect(DurationParser.seconds(text) == seconds)
    }

    @Test(arguments: ["", "s", "5x", "-5s", "1m30", "ms", "inf", "nan", "1e400s"])
    func badDurations(_ text: String) {
        #expect(DurationParser.seconds(text) == nil)
    }

    @Test func suggestions() {
        #expect(Suggestions.closest(to: "stauts", among: ["status", "lang"]) == "status")
        #expect(Suggestions.closest(to: "temp", among: ["templates", "status"]) == "templates")
        #expect(Suggestions.closest(to: "zzz", among: ["templates", "status"]) == nil)
        #expect(Suggestions.distance("kitten", "sitting") == 3)
        #expect(Suggestions.distance("ab", "ba") == 1)
    }
}

/// A lookup of a name the command's spec does not declare (a typo in its code) is noted, in
/// every build, for the runner to turn into an error; it used to be a debug-only assert that
/// stopped the whole test process.
@Suite struct UndeclaredLookupTests {
    @Test func anUndeclaredNameIsNotedNotTrapped() throws {
        let parsed = try ArgumentParser(testProgram).parse(["templates", "list", "--status", "accepted"])
        #expect(parsed[TestKey.status] == "accepted")
        #expect(parsed[TestKey.limit] == nil)
        #expect(parsed.undeclaredLookups.isEmpty)
        // A key of another command: `templates list` has no --to.
        #expect(parsed[TestKey.to] == nil)
        // A key of the same name that the spec does not list (another help, type or range) is not this command's.
        let otherStatus = OptionKey.repeated("status", "STATE", help: "Another command's --status.")
        #expect(parsed[otherStatus] == ["accepted"])
        #expect(parsed.has(TestKey.dryRun) == false)
        #expect(parsed.undeclaredLookups == ["to", "status", "dry-run"])
        // A value built by hand declares everything.
        #expect(ParsedArguments(values: ["to": ["1"]])[TestKey.to] == "1")
    }
}
