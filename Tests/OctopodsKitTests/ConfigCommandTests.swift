import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct ConfigCommandTests {
    let secret = "wa-secret-key-abcdef123456"

    @Test func setFromStdinWritesPrivateFile() async throws {
        let home = temporaryDirectory()
        let r = await run(["config", "set", "whatsapp_api_key"], environment: [:], stdin: secret + "\n", home: home)
        #expect(r.code == .success)
        #expect(r.stdout == "")
        #expect(!r.stderr.contains(secret))
        #expect(r.stderr.contains("Saved whatsapp_api_key (****3456) to [default]"))
        let url = home.appendingPathComponent(".config/octopods/config")
        #expect(try String(contentsOf: url, encoding: .utf8) == "[default]\nwhatsapp_api_key = \(secret)\n")
        #expect(AtomicFile.mode(of: url) == 0o600)
        #expect(AtomicFile.mode(of: url.deletingLastPathComponent()) == 0o700)

        let list = await run(["config", "list", "-o", "table"], environment: [:], home: home)
        #expect(!list.stdout.contains(secret))
        #expect(list.stdout.contains("whatsapp_api_key  ****3456"))
        #expect(list.stdout.contains("config [default]"))
        let get = await run(["config", "get", "whatsapp_api_key", "-o", "table"], environment: [:], home: home)
        #expect(get.stdout == "****3456\n")
    }

    @Test func hiddenPromptOnATerminal() async throws {
        let home = temporaryDirectory()
        let r = await run(
            ["--profile", "staging", "config", "set", "sms_api_key"], environment: [:], stdinIsTTY: true,
            secret: "sms-typed-key-0000", home: home)
        #expect(r.code == .success)
        let text = try String(contentsOf: home.appendingPathComponent(".config/octopods/config"), encoding: .utf8)
        #expect(text == "[staging]\nsms_api_key = sms-typed-key-0000\n")
    }

    @Test func keyNeverOnTheCommandLine() async {
        let r = await run(["config", "set", "whatsapp_api_key", secret], environment: [:])
        #expect(r.code == .usage)
        #expect(!r.stderr.contains(secret))
        #expect(r.stderr.hasPrefix("error: an API key is never accepted on the command line"))
    }

    @Test func emptyStdinRefused() async {
        let r = await run(["config", "set", "vbm_api_key"], environment: [:], stdin: "  \n")
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: no value for vbm_api_key on standard input\n"))
    }

    @Test func baseURLAsArgumentValidated() async throws {
        let home = temporaryDirectory()
        let bad = await run(["config", "set", "base_url", "http://example.com"], environment: [:], home: home)
        #expect(bad.code == .usage)
        let good = await run(["config", "set", "base_url", "https://example.com"], environment: [:], home: home)
        #expect(good.code == .success)
        let get = await run(["config", "get", "base_url", "--json"], environment: [:], home: home)
        #expect(get.stdout == #"{"key":"base_url","value":"https://example.com","source":"config [default]"}"# + "\n")
        let unset = await run(["config", "unset", "base_url"], environment: [:], home: home)
        #expect(unset.code == .success)
        let after = await run(["config", "get", "base_url", "-o", "table"], environment: [:], home: home)
        #expect(after.stdout == "https://app.octopods.io\n")
    }

    @Test func unknownSettingSuggests() async {
        let r = await run(["config", "set", "whatsap_api_key"], environment: [:])
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: invalid value for <key>: 'whatsap_api_key' is not one of:"))
    }

    @Test func pathHonoursPrecedence() async {
        let r = await run(["config", "path", "-o", "table"], environment: ["OCTOPODS_CONFIG": "/tmp/x/octo.ini"])
        #expect(r.stdout == "/tmp/x/octo.ini\n")
        let flag = await run(["--config", "/tmp/y", "config", "path", "-o", "table"], environment: ["OCTOPODS_CONFIG": "/tmp/x"])
        #expect(flag.stdout == "/tmp/y\n")
        let xdg = await run(["config", "path", "-o", "table"], environment: ["XDG_CONFIG_HOME": "/tmp/xdg"])
        #expect(xdg.stdout == "/tmp/xdg/octopods/config\n")
    }

    @Test func getAndPathPrintBareValuesWhenPiped() async {
        // Not a terminal and no -o: the bare value, so $(octopods config path) is a path.
        let path = await run(["config", "path"], environment: ["OCTOPODS_CONFIG": "/tmp/x/octo.ini"])
        #expect(path.stdout == "/tmp/x/octo.ini\n")
        let get = await run(["config", "get", "base_url"], environment: [:])
        #expect(get.stdout == "https://app.octopods.io\n")
        // JSON only when asked for.
        let json = await run(["config", "path", "-o", "json"], environment: ["OCTOPODS_CONFIG": "/tmp/x/octo.ini"])
        #expect(json.stdout == #"{"path":"/tmp/x/octo.ini"}"# + "\n")
    }

    @Test func listShowsTheConfigPathWhole() async {
        let long = "/tmp/" + String(repeating: "deeply/nested/", count: 8) + "config"
        let r = await run(["config", "list", "-o", "table"], environment: ["OCTOPODS_CONFIG": long])
        #expect(r.stdout.contains("\n  \(long)\n"))
    }

    @Test func masking() {
        #expect(ConfigCommand.mask("abcdefghijklmnop") == "****mnop")
        #expect(ConfigCommand.mask("short") == "****")
    }
}

@Suite struct HelpGoldenTests {
    /// Every command's help, rendered at a pinned width, against the committed goldens.
    @Test func helpGoldens() {
        var paths: [[String]] = [[]]
        func walk(_ spec: CommandSpec, _ path: [String]) {
            for child in spec.subcommands where !child.hidden {
                paths.append(path + [child.name])
                walk(child, path + [child.name])
            }
        }
        walk(Program.spec.root, [])
        let renderer = HelpRenderer(Program.spec, width: 80)
        for path in paths {
            Golden.check(renderer.help(path), "help/" + (path.isEmpty ? "octopods" : path.joined(separator: "-")) + ".txt")
        }
    }

    /// A group that runs by itself takes no positional arguments (the parser reads a word after
    /// it as a subcommand), and it is registered as one: its command type runs for its path.
    @Test func runnableGroupsHaveNoArguments() {
        var runnableGroups: [[String]] = []
        func walk(_ spec: CommandSpec, _ path: [String]) {
            if spec.isGroup, spec.runsItself {
                runnableGroups.append(path)
                #expect(spec.arguments.isEmpty, "\(path)")
            }
            for child in spec.subcommands { walk(child, path + [child.name]) }
        }
        walk(Program.spec.root, [])
        #expect(runnableGroups.contains(["history"]))
        for path in Program.spec.runnablePaths() {
            #expect(Program.tree.command(at: path) != nil, "\(path)")
        }
        #expect(Program.tree.command(at: ["templates"]) == nil)
    }

    /// Every example of every spec, with the words of its `octopods` command (the segment of a
    /// pipeline that runs it).
    static var examples: [(example: String, words: [String])] {
        var examples: [String] = []
        func walk(_ spec: CommandSpec) {
            examples += spec.examples.map(\.command)
            spec.subcommands.forEach(walk)
        }
        walk(Program.spec.root)
        return examples.map { example in
            (example, ShellWords.split(example.components(separatedBy: " | ").first { $0.hasPrefix("octopods") } ?? example))
        }
    }

    /// Every example in every spec parses with our own parser.
    @Test func examplesParse() throws {
        let examples = Self.examples
        #expect(examples.count > 10)
        for (example, words) in examples {
            #expect(words.first == "octopods", "\(example)")
            #expect(throws: Never.self, "\(example)") { try ArgumentParser(Program.spec).parse(Array(words.dropFirst())) }
        }
    }

    /// Every example in every spec builds its command: the options it reads are declared (an
    /// undeclared name stops a debug build), and its own checks accept what the help shows.
    @Test func examplesBuildTheirCommands() throws {
        var built = 0
        for (example, words) in Self.examples {
            guard let arguments = try? ArgumentParser(Program.spec).parse(Array(words.dropFirst())),
                !arguments.helpRequested, !arguments.versionRequested
            else { continue }
            guard let type = Program.tree.command(at: arguments.path) else {
                Issue.record("\(example): no command at \(arguments.path)")
                continue
            }
            #expect(throws: Never.self, "\(example)") { _ = try type.init(arguments) }
            #expect(arguments.undeclaredLookups.isEmpty, "\(example) reads undeclared options: \(arguments.undeclaredLookups)")
            built += 1
        }
        #expect(built > 10)
    }
}

/// Just enough shell word splitting for our examples: quotes and `$VAR` kept as text.
enum ShellWords {
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for c in line {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
                inWord = true
            } else if c == " " {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(c)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}

@Suite struct SandboxCommandTests {
    @Test func rateLimitSyntax() throws {
        let limit = try SandboxCommand.parseRate("55/10")
        #expect(limit.count == 55 && limit.window == 10)
        #expect(try SandboxCommand.parseRate("100/1m").window == 60)
        for bad in ["55", "0/10", "x/10", "55/0", "55/soon", "-1/10"] {
            #expect(throws: OctopodsError.self) { try SandboxCommand.parseRate(bad) }
        }
    }

    @Test func conflictingRateFlags() async {
        let r = await run(["sandbox", "--no-rate-limit", "--rate-limit", "5/1"])
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: --rate-limit and --no-rate-limit cannot be used together\n"))
    }
}
