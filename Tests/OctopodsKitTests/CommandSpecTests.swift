import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

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
