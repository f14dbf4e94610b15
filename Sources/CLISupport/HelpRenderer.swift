/// Renders help and usage errors from the specs, so they cannot drift from the parser.
package struct HelpRenderer: Sendable {
    package let program: ProgramSpec
    package let width: Int

    package init(_ program: ProgramSpec, width: Int = 80) {
        self.program = program
        self.width = min(max(width, 40), 100)
    }

    /// `octopods send template <template-id> --to PHONE [options]`.
    package func usageLine(_ path: [String]) -> String {
        guard let spec = program.root.descendant(at: path) else { return program.name }
        var parts = [program.name] + path
        if let custom = spec.usage { return (parts + [custom]).joined(separator: " ") }
        if spec.isGroup {
            parts.append(spec.runsItself ? "[<command>]" : "<command>")
        } else {
            parts += spec.arguments.map(\.display)
            parts += spec.options.filter(\.required).map { "--\($0.long) \($0.valueName ?? "")" }
        }
        parts.append("[options]")
        return parts.joined(separator: " ")
    }

    /// The full help page of a command.
    package func help(_ path: [String]) -> String {
        guard let spec = program.root.descendant(at: path) else { return "" }
        var sections: [String] = [TerminalText.wrap(spec.abstract, width: width)]
        sections.append("USAGE\n  " + usageLine(path))
        if !spec.discussion.isEmpty {
            sections.append(TerminalText.wrap(spec.discussion, width: width))
        }
        if spec.isGroup {
            let rows = spec.subcommands.filter { !$0.hidden }.map { ($0.name, $0.abstract) }
            sections.append("COMMANDS\n" + table(rows))
        }
        if !spec.arguments.isEmpty {
            sections.append("ARGUMENTS\n" + table(spec.arguments.map { ($0.display, $0.help) }))
        }
        let own = spec.options.filter { !$0.hidden }
        if !own.isEmpty {
            sections.append("OPTIONS\n" + table(own.map(optionRow)))
        }
        let global = program.globalOptions.filter { !$0.hidden }
        if !global.isEmpty {
            sections.append("GLOBAL OPTIONS\n" + table(global.map(optionRow)))
        }
        if !spec.examples.isEmpty {
            let lines = spec.examples.map { example in
                TerminalText.wrap("# " + example.explanation, width: width, indent: 2) + "\n  $ " + example.command
            }
            sections.append("EXAMPLES\n" + lines.joined(separator: "\n\n"))
        }
        let more =
            spec.isGroup
            ? "Run '\(([program.name] + path).joined(separator: " ")) <command> --help' for more about a command."
            : "Run '\(program.name) help' to list every command."
        sections.append("LEARN MORE\n  " + more)
        return sections.joined(separator: "\n\n") + "\n"
    }

    /// A usage error as printed on stderr: the error, the suggestion, the usage line and
    /// where to find help.
    package func usageError(_ error: UsageError) -> String {
        var lines = ["error: \(TerminalText.sanitize(error.message))"]
        if let suggestion = error.suggestion { lines.append(TerminalText.sanitize(suggestion)) }
        let valid = program.root.descendant(at: error.path) != nil ? error.path : []
        lines.append("Usage: \(usageLine(valid))")
        lines.append("Run '\(([program.name] + valid).joined(separator: " ")) --help' for more information.")
        return lines.joined(separator: "\n") + "\n"
    }

    private func optionRow(_ option: OptionSpec) -> (String, String) {
        var left = option.short == nil ? "    " + option.signature : option.signature
        if option.repeatable { left += " ..." }
        var help = option.help
        if case .choice(let words) = option.type, let first = words.first, !help.contains(first) {
            help += " (\(words.joined(separator: "|")))"
        }
        return (left, help)
    }

    private func table(_ rows: [(String, String)]) -> String {
        let leftWidth = min(28, rows.map { TerminalText.width($0.0) }.max() ?? 0)
        return rows.map { left, right in
            let prefix = "  " + left
            let textIndent = 2 + leftWidth + 3
            let wrapped = TerminalText.wrap(right, width: width, indent: textIndent)
            let body = String(wrapped.dropFirst(min(textIndent, wrapped.count)))
            if TerminalText.width(left) > leftWidth {
                return prefix + "\n" + wrapped
            }
            return TerminalText.pad(prefix, to: textIndent) + body
        }.joined(separator: "\n")
    }
}
