#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// A bad command line: what is wrong, a suggestion where one helps, and the command it
/// concerns (for the usage line and the pointer to its help).
package struct UsageError: Error, Equatable, Sendable {
    package var message: String
    package var suggestion: String?
    package var path: [String]

    package init(_ message: String, suggestion: String? = nil, path: [String] = []) {
        self.message = message; self.suggestion = suggestion; self.path = path
    }
}

/// The command line once parsed: the command path, option values by long name (checked
/// against their types), positionals, and whether help or the version was asked for.
package struct ParsedArguments: Sendable, Equatable {
    /// One option as it appeared, for options whose relative order matters
    /// (`--section A --row … --section B --row …`).
    package struct Occurrence: Sendable, Equatable {
        package var option: String
        package var value: String
        package init(_ option: String, _ value: String) { self.option = option; self.value = value }
    }

    package var path: [String] = []
    package var values: [String: [String]] = [:]
    /// Every option value in command-line order.
    package var occurrences: [Occurrence] = []
    package var positionals: [String] = []
    package var helpRequested = false
    package var versionRequested = false
    /// The options this command line could carry, by long name: its command's and the global
    /// ones (the parser fills it in; nil for a value built by hand). Reading a key that is not
    /// among them (or another key of the same name) is a mistake in the command's code: it is
    /// noted (`undeclaredLookups`), the runner turns it into an error in every build, and a
    /// test builds every command from every help example.
    package var declared: [String: OptionSpec]?
    /// Names looked up that `declared` lacks.
    private let misses = LookupLog()

    /// The names the command's code looked up that its spec does not declare.
    package var undeclaredLookups: [String] { misses.names }

    package init(
        path: [String] = [], values: [String: [String]] = [:], positionals: [String] = [],
        declared: [String: OptionSpec]? = nil
    ) {
        self.path = path; self.values = values; self.positionals = positionals; self.declared = declared
    }

    /// Whether this command line's spec lists `option` (always true when built by hand).
    package func isDeclared(_ option: some DeclaredOption) -> Bool {
        declared.map { $0[option.spec.long] == option.spec } ?? true
    }

    private func checked(_ option: some DeclaredOption) -> String {
        if !isDeclared(option) { misses.add(option.spec.long) }
        return option.spec.long
    }

    /// The option's value: for a flag whether it was given, for a single value the last one
    /// given, for a repeatable one every value in order.
    package subscript<Value>(_ key: OptionKey<Value>) -> Value { key.value(values[checked(key)] ?? []) }

    /// Whether the option was given.
    package func has(_ option: some DeclaredOption) -> Bool { values[checked(option)] != nil }

    /// The given options among `options` as command-line words, in `options`' order (a flag
    /// bare, a value option once per value), then those of `ordered` as they were typed (list
    /// sections and their rows): the command line a prompt shows for next time.
    package func words(for options: [OptionSpec], ordered: [OptionSpec] = []) -> [String] {
        var words: [String] = []
        var seen = Set(ordered.map(\.long))
        for option in options where seen.insert(option.long).inserted {
            guard let given = values[option.long] else { continue }
            words += option.isFlag ? ["--\(option.long)"] : given.flatMap { ["--\(option.long)", $0] }
        }
        let inOrder = Set(ordered.map(\.long))
        for occurrence in occurrences where inOrder.contains(occurrence.option) {
            words += ["--\(occurrence.option)", occurrence.value]
        }
        return words
    }

    /// Sets what the command line would have said (a prompt's answer).
    package mutating func set(_ option: some DeclaredOption, to given: [String]) { values[checked(option)] = given }
}

extension ParsedArguments.Occurrence {
    /// Whether this value was given for `option`.
    package func `is`(_ option: some DeclaredOption) -> Bool { self.option == option.spec.long }
}

/// The hand-rolled parser. Rules, in the manner of gh and clig.dev:
/// `--long value`, `--long=value`, `-s value`, `-svalue`, clustered short flags (`-vq`),
/// repeatable options, positionals, `--` ends options, global options anywhere,
/// `-h/--help` and `help <path>` at every level, typed values checked here.
package struct ArgumentParser: Sendable {
    package let program: ProgramSpec

    package init(_ program: ProgramSpec) { self.program = program }

    package func parse(_ argv: [String]) throws(UsageError) -> ParsedArguments {
        // With -h/--help on the line, a mistake elsewhere must not hide the help asked for.
        let wantsHelp = argv.prefix { $0 != "--" }.contains { $0 == "-h" || $0 == "--help" }
        do {
            return try parseStrictly(argv)
        } catch {
            guard wantsHelp else { throw error }
            var result = ParsedArguments(path: validPrefix(error.path))
            result.helpRequested = true
            return result
        }
    }

    private func validPrefix(_ path: [String]) -> [String] {
        program.root.descendant(at: path) != nil ? path : []
    }

    private func parseStrictly(_ argv: [String]) throws(UsageError) -> ParsedArguments {
        var result = ParsedArguments()
        var spec = program.root
        var index = 0
        var optionsEnded = false

        func lookupLong(_ name: String) -> OptionSpec? {
            spec.options.first { $0.long == name } ?? program.globalOptions.first { $0.long == name }
        }
        func lookupShort(_ c: Character) -> OptionSpec? {
            spec.options.first { $0.short == c } ?? program.globalOptions.first { $0.short == c }
        }
        func looksLikeOption(_ token: String) -> Bool {
            if token == "--" || token == "-h" || token == "--help" { return true }
            if token.hasPrefix("--") {
                let name = String(token.dropFirst(2).prefix { $0 != "=" })
                return lookupLong(name) != nil
            }
            if token.hasPrefix("-"), let c = token.dropFirst().first, token.count >= 2 { return lookupShort(c) != nil }
            return false
        }
        func record(_ option: OptionSpec, _ value: String?, as typed: String) throws(UsageError) {
            if option.isFlag {
                if value != nil {
                    throw UsageError("option '--\(option.long)' takes no value", path: result.path)
                }
                result.values[option.long] = ["true"]
                return
            }
            guard let value else { throw UsageError("option '\(typed)' needs a value", path: result.path) }
            if let problem = option.type.problem(with: value) {
                throw UsageError("invalid value for '\(typed)': \(problem)", path: result.path)
            }
            result.occurrences.append(ParsedArguments.Occurrence(option.long, value))
            if option.repeatable {
                result.values[option.long, default: []].append(value)
            } else {
                result.values[option.long] = [value]
            }
        }
        func nextValue(for option: OptionSpec, typed: String) throws(UsageError) -> String {
            guard index + 1 < argv.count, !looksLikeOption(argv[index + 1]) else {
                throw UsageError("option '\(typed)' needs a value", path: result.path)
            }
            index += 1
            return argv[index]
        }
        func unknownOption(_ typed: String) -> UsageError {
            let visible = (spec.options + program.globalOptions).filter { !$0.hidden }
            let name = String(typed.drop { $0 == "-" })
            let guess =
                typed.hasPrefix("--")
                ? Suggestions.closest(to: name, among: visible.map(\.long)).map { "--\($0)" }
                : nil
            let owner = typed.hasPrefix("--") ? relative(declaring: name, near: result.path) : nil
            return UsageError(
                "unknown option '\(typed)'",
                suggestion: guess.map { "Did you mean '\($0)'?" }
                    ?? owner.map { "'\(typed)' is an option of '\(([program.name] + $0).joined(separator: " "))'." },
                path: result.path)
        }

        // Into a subcommand. Options typed before its name (`history --since 24h refresh`)
        // were taken as its group's; they stay only where the subcommand has them too.
        func enter(_ next: CommandSpec) throws(UsageError) {
            result.path.append(next.name)
            let known = Set((next.options + program.globalOptions).map(\.long))
            if let stray = result.occurrences.map(\.option).first(where: { !known.contains($0) })
                ?? result.values.keys.sorted().first(where: { !known.contains($0) })
            {
                throw UsageError(
                    "unknown option '--\(stray)' for '\(([program.name] + result.path).joined(separator: " "))'",
                    path: result.path)
            }
            spec = next
        }

        while index < argv.count {
            let token = argv[index]
            defer { index += 1 }
            if optionsEnded {
                result.positionals.append(token)
                continue
            }
            if token == "--" {
                optionsEnded = true
                continue
            }
            if token == "-h" || token == "--help" {
                result.helpRequested = true
                continue
            }
            if token == "--version", spec.options.allSatisfy({ $0.long != "version" }) {
                result.versionRequested = true
                continue
            }
            if token.hasPrefix("--") {
                let body = token.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let inline = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                guard let option = lookupLong(name) else { throw unknownOption("--\(name)") }
                let value = option.isFlag || inline != nil ? inline : try nextValue(for: option, typed: "--\(name)")
                try record(option, value, as: "--\(name)")
                continue
            }
            if token.hasPrefix("-"), token.count > 1, Double(token) == nil {
                var rest = Substring(token.dropFirst())
                while let c = rest.first {
                    rest = rest.dropFirst()
                    guard let option = lookupShort(c) else { throw unknownOption("-\(c)") }
                    if option.isFlag {
                        try record(option, nil, as: "-\(c)")
                        continue
                    }
                    let value = rest.isEmpty ? try nextValue(for: option, typed: "-\(c)") : String(rest)
                    try record(option, value, as: "-\(c)")
                    rest = ""
                }
                continue
            }
            // A word: a subcommand while the current command is a group, else a positional.
            if spec.isGroup {
                if result.path.isEmpty, token == "help", spec.subcommand(named: "help") == nil {
                    result.helpRequested = true
                    let rest = Array(argv[(index + 1)...]).filter { !$0.hasPrefix("-") }
                    for word in rest {
                        guard let next = spec.subcommand(named: word) else {
                            throw unknownCommand(word, in: spec, path: result.path)
                        }
                        try enter(next)
                    }
                    index = argv.count
                    continue
                }
                guard let next = spec.subcommand(named: token) else {
                    let following = argv[(index + 1)...].first { !$0.hasPrefix("-") }
                    throw unknownCommand(token, in: spec, path: result.path, following: following)
                }
                try enter(next)
                continue
            }
            result.positionals.append(token)
        }

        result.declared = Dictionary((spec.options + program.globalOptions).map { ($0.long, $0) }) { first, _ in first }
        if result.helpRequested || result.versionRequested || !spec.isRunnable { return result }
        try checkPositionals(result, spec)
        for option in spec.options where option.required && result.values[option.long] == nil {
            throw UsageError("missing required option '\(option.signature)'", path: result.path)
        }
        return result
    }

    /// The nearest command that has `--long`, for an option typed on the wrong one
    /// (`history --before` for `history prune --before`): a subcommand of the command at
    /// `path`, else its parent or a sibling.
    private func relative(declaring long: String, near path: [String]) -> [String]? {
        func declares(_ spec: CommandSpec) -> Bool { spec.options.contains { $0.long == long && !$0.hidden } }
        guard let spec = program.root.descendant(at: path) else { return nil }
        if let child = spec.subcommands.first(where: { !$0.hidden && declares($0) }) { return path + [child.name] }
        guard !path.isEmpty, let parent = program.root.descendant(at: Array(path.dropLast())) else { return nil }
        if parent.runsItself, declares(parent) { return Array(path.dropLast()) }
        return parent.subcommands.first { !$0.hidden && declares($0) }.map { Array(path.dropLast()) + [$0.name] }
    }

    private func unknownCommand(_ word: String, in spec: CommandSpec, path: [String], following: String? = nil) -> UsageError {
        let parent = ([program.name] + path).joined(separator: " ")
        if let swapped = swappedNounAndVerb(word, path: path, following: following) {
            return UsageError(
                "unknown command '\(word)' for '\(parent)'",
                suggestion: "Did you mean '\(([program.name] + swapped).joined(separator: " "))'?", path: path)
        }
        let names = spec.subcommands.filter { !$0.hidden }.map(\.name)
        let guess = Suggestions.closest(to: word, among: names)
        return UsageError(
            "unknown command '\(word)' for '\(parent)'",
            suggestion: guess.map { "Did you mean '\($0)'?" }, path: path)
    }

    /// `send sms` for `sms send`, `list templates` for `templates list`: the two words of a
    /// command typed in the other order.
    private func swappedNounAndVerb(_ word: String, path: [String], following: String?) -> [String]? {
        let root = program.root
        if path.count == 1, let verb = path.first,
            let group = root.subcommand(named: word), group.isGroup, group.subcommand(named: verb) != nil
        {
            return [word, verb]
        }
        if path.isEmpty, let noun = following,
            let group = root.subcommand(named: noun), group.isGroup, group.subcommand(named: word) != nil
        {
            return [noun, word]
        }
        return nil
    }

    private func checkPositionals(_ result: ParsedArguments, _ spec: CommandSpec) throws(UsageError) {
        var remaining = result.positionals[...]
        for argument in spec.arguments {
            if remaining.isEmpty {
                if argument.optional { break }
                throw UsageError("missing argument <\(argument.name)>", path: result.path)
            }
            let taken = argument.repeating ? Array(remaining) : [remaining.removeFirst()]
            if argument.repeating { remaining = [] }
            for value in taken {
                if let problem = argument.type.problem(with: value) {
                    throw UsageError("invalid value for <\(argument.name)>: \(problem)", path: result.path)
                }
            }
        }
        if let extra = remaining.first {
            throw UsageError("unexpected argument '\(extra)'", path: result.path)
        }
    }
}

/// The undeclared names a command line's lookups met; shared by its copies, not part of its value.
final class LookupLog: Sendable, Equatable {
    private let log = Mutex<[String]>([])
    func add(_ name: String) { log.withLock { if !$0.contains(name) { $0.append(name) } } }
    var names: [String] { log.withLock { $0 } }
    static func == (a: LookupLog, b: LookupLog) -> Bool { true }
}
