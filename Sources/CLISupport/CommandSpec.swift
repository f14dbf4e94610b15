#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What kind of value an option or argument takes. The parser checks it, so a command
/// never sees a malformed integer, choice, duration or boolean.
package enum ValueType: Sendable, Equatable {
    case string
    /// An integer within the range.
    case integer(ClosedRange<Int>)
    /// One of the listed words (completions offer them).
    case choice([String])
    /// `90s`, `5m`, `1h30m`, `500ms`, or a bare number of seconds.
    case duration
    /// `true` or `false`.
    case boolean
    /// A path to a file; `-` is standard input where the help says so.
    case file

    /// Checks a raw value; returns an explanation of what is wrong, or nil when it is fine.
    package func problem(with raw: String) -> String? {
        switch self {
        case .string, .file:
            return nil
        case .integer(let range):
            guard let n = Int(raw) else { return "'\(raw)' is not a whole number" }
            return range.contains(n) ? nil : "\(n) is out of range (\(range.lowerBound)–\(range.upperBound))"
        case .choice(let words):
            guard !words.contains(raw) else { return nil }
            return "'\(raw)' is not one of: \(words.joined(separator: ", "))"
                + (Suggestions.closest(to: raw, among: words).map { "; did you mean '\($0)'?" } ?? "")
        case .duration:
            return DurationParser.seconds(raw) == nil ? "'\(raw)' is not a duration (e.g. 30s, 5m, 1h30m, 500ms)" : nil
        case .boolean:
            return raw == "true" || raw == "false" ? nil : "'\(raw)' is not true or false"
        }
    }
}

/// Parses human durations: `500ms`, `90s`, `5m`, `2h`, `1h30m`, `1.5s`, `7d`, `2w`, or a bare number of
/// seconds. No months: `m` is minutes, and a month has no one length.
package enum DurationParser {
    package static func seconds(_ text: String) -> Double? {
        let s = text.trimmingSpaces().lowercased()
        guard !s.isEmpty else { return nil }
        if let plain = Double(s), plain.isFinite, plain >= 0 { return plain }
        var total = 0.0
        var number = ""
        var index = s.startIndex
        var sawUnit = false
        while index < s.endIndex {
            let c = s[index]
            if c.isNumber || c == "." {
                number.append(c)
                index = s.index(after: index)
                continue
            }
            var unit = String(c)
            let next = s.index(after: index)
            if c == "m", next < s.endIndex, s[next] == "s" { unit = "ms" }
            guard let value = Double(number), value.isFinite else { return nil }
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86400
            case "w": total += value * 604_800
            default: return nil
            }
            number = ""
            sawUnit = true
            index = s.index(index, offsetBy: unit.count)
        }
        guard number.isEmpty, sawUnit, total.isFinite else { return nil }
        return total
    }
}

/// How a shell completes an option's value or an argument.
package enum CompletionKind: Sendable, Equatable {
    case none
    case files
    case choices([String])
    /// Asks the program itself: `octopods __complete <name>` prints one candidate a line.
    case dynamic(String)
}

/// One option of a command. Options without a value are flags.
package struct OptionSpec: Sendable, Equatable {
    package var long: String
    package var short: Character?
    /// Shown in help: `--limit N`. Nil for a flag.
    package var valueName: String?
    package var type: ValueType
    package var help: String
    package var repeatable: Bool
    /// The parser refuses a command line without it (`--to` on sends).
    package var required: Bool
    package var hidden: Bool
    package var completion: CompletionKind

    package var isFlag: Bool { valueName == nil }

    /// An option that takes a value.
    package static func value(
        _ long: String, short: Character? = nil, _ valueName: String, _ type: ValueType = .string,
        repeatable: Bool = false, required: Bool = false, hidden: Bool = false,
        completion: CompletionKind? = nil, help: String
    ) -> OptionSpec {
        OptionSpec(
            long: long, short: short, valueName: valueName, type: type, help: help, repeatable: repeatable,
            required: required, hidden: hidden, completion: completion ?? Self.defaultCompletion(for: type))
    }

    /// An option that takes no value.
    package static func flag(_ long: String, short: Character? = nil, hidden: Bool = false, help: String) -> OptionSpec {
        OptionSpec(
            long: long, short: short, valueName: nil, type: .boolean, help: help, repeatable: false,
            required: false, hidden: hidden, completion: .none)
    }

    static func defaultCompletion(for type: ValueType) -> CompletionKind {
        switch type {
        case .choice(let words): return .choices(words)
        case .boolean: return .choices(["true", "false"])
        case .file: return .files
        default: return .none
        }
    }

    /// `-o, --output FORMAT` as help and usage show it.
    package var signature: String {
        var s = short.map { "-\($0), " } ?? ""
        s += "--\(long)"
        if let valueName { s += " \(valueName)" }
        return s
    }
}

/// One positional argument.
package struct ArgumentSpec: Sendable, Equatable {
    package var name: String
    package var help: String
    package var type: ValueType
    package var optional: Bool
    package var repeating: Bool
    package var completion: CompletionKind

    package init(
        _ name: String, _ type: ValueType = .string, optional: Bool = false, repeating: Bool = false,
        completion: CompletionKind? = nil, help: String
    ) {
        self.name = name; self.help = help; self.type = type; self.optional = optional; self.repeating = repeating
        self.completion = completion ?? OptionSpec.defaultCompletion(for: type)
    }

    /// `<template-id>`, `[<name>...]`.
    package var display: String {
        let core = "<\(name)>" + (repeating ? "..." : "")
        return optional ? "[\(core)]" : core
    }
}

/// An example in help and the man page. The parser checks every example in a test.
package struct Example: Sendable, Equatable {
    package var command: String
    package var explanation: String
    package init(_ command: String, _ explanation: String) { self.command = command; self.explanation = explanation }
}

/// The declaration of one command: everything help, completions, the man page and the
/// parser know about it. A command with subcommands is a group; a group runs by itself only
/// when it says so (`history` lists, `history refresh` refreshes), with its own options and
/// no positional arguments (a word after it is always a subcommand).
package struct CommandSpec: Sendable, Equatable {
    package var name: String
    package var abstract: String
    package var discussion: String
    package var arguments: [ArgumentSpec]
    package var options: [OptionSpec]
    package var examples: [Example]
    package var subcommands: [CommandSpec]
    package var hidden: Bool
    /// A usage line to show instead of the generated one, for commands whose options combine
    /// in ways the generated line cannot say.
    package var usage: String?
    /// A group that also runs by itself, without a subcommand.
    package var runsItself: Bool

    package init(
        name: String, abstract: String, discussion: String = "", arguments: [ArgumentSpec] = [],
        options: [any DeclaredOption] = [], examples: [Example] = [], subcommands: [CommandSpec] = [],
        hidden: Bool = false, usage: String? = nil, runsItself: Bool = false
    ) {
        self.name = name; self.abstract = abstract; self.discussion = discussion; self.arguments = arguments
        self.options = options.map(\.spec); self.examples = examples; self.subcommands = subcommands; self.hidden = hidden
        self.usage = usage; self.runsItself = runsItself
    }

    package var isGroup: Bool { !subcommands.isEmpty }
    /// A command that runs: every leaf, and the groups that run by themselves.
    package var isRunnable: Bool { !isGroup || runsItself }

    package func subcommand(named name: String) -> CommandSpec? {
        subcommands.first { $0.name == name }
    }

    /// The spec at a path below this one (`["templates", "list"]`).
    package func descendant(at path: [String]) -> CommandSpec? {
        var node = self
        for name in path {
            guard let next = node.subcommand(named: name) else { return nil }
            node = next
        }
        return node
    }
}

/// The whole program: the root command, the options accepted everywhere, and metadata the
/// renderers need.
package struct ProgramSpec: Sendable {
    package var root: CommandSpec
    package var globalOptions: [OptionSpec]
    package var version: String

    package init(root: CommandSpec, globalOptions: [any DeclaredOption], version: String) {
        self.root = root; self.globalOptions = globalOptions.map(\.spec); self.version = version
    }

    package var name: String { root.name }

    /// Every runnable command with its path, a group before its subcommands, in declaration
    /// order; hidden ones (and all below them) too unless `visibleOnly`.
    package func runnablePaths(visibleOnly: Bool = false) -> [[String]] {
        var result: [[String]] = []
        func walk(_ spec: CommandSpec, _ path: [String]) {
            if spec.isRunnable, !path.isEmpty { result.append(path) }
            for child in spec.subcommands where !(visibleOnly && child.hidden) { walk(child, path + [child.name]) }
        }
        walk(root, [])
        return result
    }
}
