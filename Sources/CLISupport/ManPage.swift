#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Renders a man(7) page from a `ProgramSpec`: NAME, SYNOPSIS, DESCRIPTION, COMMANDS (each
/// with its arguments and options), GLOBAL OPTIONS, then the sections the program passes in
/// (ENVIRONMENT, FILES, EXIT STATUS), EXAMPLES (every example of every command) and SEE ALSO.
///
/// The output is reproducible (the date is given, nothing depends on the terminal) and clean
/// for `groff -man -ww -z` and `mandoc -Tlint`: hyphens in options and commands are `\-`,
/// backslashes `\e`, a line that would start with `.` or `'` starts with `\&`, and characters
/// outside ASCII are named glyphs or `\[uXXXX]`. Hidden commands and options are left out.
package struct ManPage: Sendable {
    /// A term and what it means: an environment variable, a file, an exit status.
    package struct Entry: Sendable, Equatable {
        package var term: String
        package var text: String
        package init(_ term: String, _ text: String) { self.term = term; self.text = text }
    }

    package let program: ProgramSpec
    /// `2026-11-22`: pinned by the caller, so the page does not change by itself.
    package let date: String
    package let environment: [Entry]
    package let files: [Entry]
    package let exitStatus: [Entry]
    /// Other pages as `name(section)` (`jq(1)`), or any other line of text (a URL).
    package let seeAlso: [String]

    package init(
        _ program: ProgramSpec, date: String, environment: [Entry] = [], files: [Entry] = [],
        exitStatus: [Entry] = [], seeAlso: [String] = []
    ) {
        self.program = program; self.date = date; self.environment = environment; self.files = files
        self.exitStatus = exitStatus; self.seeAlso = seeAlso
    }

    /// The whole page.
    package func render() -> String {
        let root = program.root
        let name = program.name
        var lines = [
            ".\\\" Generated from the command specs of \(Self.prose(name)); do not edit.",
            ".TH \(Self.macroArgument(name.uppercased())) 1 \"\(date.filter { $0.isASCII && $0 != "\"" && $0 != "\\" })\" "
                + "\(Self.macroArgument("\(name) \(program.version)")) \"User Commands\"",
            // No hyphenation and no justification: option names and paths must not be
            // broken or stretched.
            ".nh",
            ".ad l",
            ".SH NAME",
        ]
        lines += Self.textLines("\(Self.code(name)) \\- \(Self.prose(Self.withoutFinalPeriod(root.abstract)))")
        lines.append(".SH SYNOPSIS")
        let help = HelpRenderer(program)
        var first = true
        for path in program.runnablePaths(visibleOnly: true) {
            if !first { lines.append(".br") }
            first = false
            let usage = help.usageLine(path)
            let command = ([name] + path).joined(separator: " ")
            let rest = usage.hasPrefix(command) ? String(usage.dropFirst(command.count)) : ""
            lines += Self.textLines("\\fB\(Self.code(command))\\fR\(Self.code(rest))")
        }
        lines.append(".SH DESCRIPTION")
        lines += paragraphs([root.abstract, root.discussion].filter { !$0.isEmpty }.joined(separator: "\n\n"))
        lines.append(".SH COMMANDS")
        lines += commandSections(root, path: [])
        let globals = program.globalOptions.filter { !$0.hidden }
        if !globals.isEmpty {
            lines.append(".SH GLOBAL OPTIONS")
            lines.append("Accepted before and after the command path.")
            for option in globals { lines += optionItem(option) }
        }
        for (title, entries) in [("ENVIRONMENT", environment), ("FILES", files), ("EXIT STATUS", exitStatus)] where !entries.isEmpty {
            lines.append(".SH \(title)")
            for entry in entries {
                lines.append(".TP")
                lines.append("\\fB\(Self.code(entry.term))\\fR")
                lines += Self.textLines(Self.prose(entry.text))
            }
        }
        let examples = allExamples(root)
        if !examples.isEmpty {
            lines.append(".SH EXAMPLES")
            var firstExample = true
            for example in examples {
                if !firstExample { lines.append(".PP") }
                firstExample = false
                lines += Self.textLines(Self.prose(example.explanation))
                lines += [".PP", ".RS 4", ".nf"]
                lines += Self.commandLines(example.command)
                lines += [".fi", ".RE"]
            }
        }
        if !seeAlso.isEmpty {
            lines.append(".SH SEE ALSO")
            let pages = seeAlso.compactMap(Self.pageReference)
            for (index, page) in pages.enumerated() {
                lines.append(".BR \(Self.macroArgument(page.name)) (\(page.section))\(index < pages.count - 1 ? "," : "")")
            }
            let others = seeAlso.filter { Self.pageReference($0) == nil }
            if !pages.isEmpty, !others.isEmpty { lines.append(".PP") }
            for other in others { lines += Self.textLines(Self.prose(other)) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func commandSections(_ spec: CommandSpec, path: [String]) -> [String] {
        var lines: [String] = []
        if !path.isEmpty {
            lines.append(".SS \(Self.macroArgument(([program.name] + path).joined(separator: " ")))")
            lines += paragraphs([spec.abstract, spec.discussion].filter { !$0.isEmpty }.joined(separator: "\n\n"))
            if spec.isRunnable {
                lines.append(".PP")
                lines += Self.textLines("Usage: \(Self.code(HelpRenderer(program).usageLine(path)))")
                for argument in spec.arguments {
                    lines.append(".TP")
                    lines.append("\\fI\(Self.code(argument.display))\\fR")
                    lines += Self.textLines(Self.prose(argument.help))
                }
                for option in spec.options where !option.hidden { lines += optionItem(option) }
            }
        }
        for child in spec.subcommands where !child.hidden {
            lines += commandSections(child, path: path + [child.name])
        }
        return lines
    }

    /// `.TP`, then `\fB\-o\fR, \fB\-\-output\fR \fIFORMAT\fR`, then the help.
    private func optionItem(_ option: OptionSpec) -> [String] {
        var term = option.short.map { "\\fB\\-\(Self.code(String($0)))\\fR, " } ?? ""
        term += "\\fB\\-\\-\(Self.code(option.long))\\fR"
        if let valueName = option.valueName { term += " \\fI\(Self.code(valueName))\\fR" }
        if option.repeatable { term += " .\\|.\\|." }
        var help = option.help
        if case .choice(let words) = option.type, let first = words.first, !help.contains(first) {
            help += " (\(words.joined(separator: "|")))"
        }
        return [".TP", term] + Self.textLines(Self.prose(help))
    }

    /// Every example, in tree order, each command once.
    private func allExamples(_ spec: CommandSpec) -> [Example] {
        var result: [Example] = []
        func walk(_ spec: CommandSpec) {
            for example in spec.examples where !result.contains(where: { $0.command == example.command }) {
                result.append(example)
            }
            for child in spec.subcommands where !child.hidden { walk(child) }
        }
        walk(spec)
        return result
    }

    /// Blank-line separated paragraphs, `.PP` between them.
    private func paragraphs(_ text: String) -> [String] {
        var lines: [String] = []
        let blocks = text.components(separatedBy: "\n\n").map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
        for (index, block) in blocks.enumerated() {
            if index > 0 { lines.append(".PP") }
            lines += Self.textLines(Self.prose(block))
        }
        return lines
    }

    static func withoutFinalPeriod(_ text: String) -> String {
        text.hasSuffix(".") ? String(text.dropLast()) : text
    }

    static func pageReference(_ text: String) -> (name: String, section: String)? {
        guard text.hasSuffix(")"), let open = text.lastIndex(of: "(") else { return nil }
        let name = String(text[..<open])
        let section = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        guard !name.isEmpty, !name.contains(" "), let digit = section.first, digit.isNumber else { return nil }
        return (name, section)
    }

    /// Source lines of (escaped) text: no empty lines (a blank line is a break), none
    /// starting with a space (also a break) or longer than `width` bytes where a space allows
    /// a break (roff fills them again), a control character (`.`, `'`) protected by `\&`.
    static func textLines(_ text: String, width: Int = 80) -> [String] {
        var lines: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var line = ""
            for word in raw.split(separator: " ", omittingEmptySubsequences: true) {
                if !line.isEmpty, line.utf8.count + 1 + word.utf8.count > width {
                    lines.append(line)
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            if !line.isEmpty { lines.append(line) }
        }
        return lines.map { $0.first == "." || $0.first == "'" ? "\\&" + $0 : $0 }
    }

    /// An example command for no-fill mode: `$ command`, broken before `width` bytes at spaces
    /// outside quotes with a shell continuation (` \`), so it still runs when copied.
    static func commandLines(_ command: String, width: Int = 78) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        for c in command {
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == " " {
                if !current.isEmpty { words.append(current) }
                current = ""
                continue
            }
            current.append(c)
        }
        if !current.isEmpty { words.append(current) }
        // An option stays on the line of its value.
        var units: [String] = []
        for word in words {
            if let last = units.last, last.hasPrefix("-"), !last.contains("="), !word.hasPrefix("-"), word != "|",
                last.split(separator: " ").count == 1
            {
                units[units.count - 1] = last + " " + word
            } else {
                units.append(word)
            }
        }
        var lines: [String] = []
        var line = "$"
        for word in units.map({ escape($0, minus: true, breaks: false) }) {
            if line.utf8.count + 1 + word.utf8.count + 3 > width, line != "$", line != "   " {
                lines.append(line + " \\e")
                line = "   "
            }
            line += " " + word
        }
        lines.append(line)
        return lines.map { $0.first == "." || $0.first == "'" ? "\\&" + $0 : $0 }
    }

    /// A macro argument, double-quoted when it holds a space.
    static func macroArgument(_ text: String) -> String {
        let escaped = escape(text, minus: true, breaks: false).replacingAll("\"", with: "\\(dq")
        return escaped.contains(" ") ? "\"\(escaped)\"" : escaped
    }

    /// Commands, options, paths: every hyphen is a minus sign, so it can be copied and typed.
    static func code(_ text: String) -> String {
        escape(text, minus: true)
    }

    /// Running text: hyphens of words that start with one (`--wait`, `-o`) are minus signs;
    /// others (`read-only`) stay hyphens.
    static func prose(_ text: String) -> String {
        var out = ""
        var word = ""
        func flush() {
            let bare = word.drop { "(\"'`[".contains($0) }
            let isOption = bare.first == "-"
            out += escape(word, minus: isOption)
            word = ""
        }
        for c in text {
            if c == " " || c == "\n" {
                flush()
                out.append(c)
            } else {
                word.append(c)
            }
        }
        flush()
        return out
    }

    private static func escape(_ text: String, minus: Bool, breaks: Bool = true) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\e"
            case "-": out += minus ? "\\-" : "-"
            // A place to break a long path or choice list when it does not fit (zero width).
            case "/", "|": out += String(c) + (breaks ? "\\:" : "")
            default:
                if c.isASCII {
                    out.append(c)
                } else {
                    out += glyph(c)
                }
            }
        }
        return out
    }

    /// A roff escape for a character outside ASCII.
    static func glyph(_ c: Character) -> String {
        let named: [Character: String] = [
            "→": "\\(->", "←": "\\(<-", "–": "\\(en", "—": "\\(em", "‘": "\\(oq", "’": "\\(cq", "“": "\\(lq",
            "”": "\\(rq", "•": "\\(bu", "×": "\\(mu", "§": "\\(sc", "©": "\\(co", "°": "\\(de", "≤": "\\(<=",
            "≥": "\\(>=", "≠": "\\(!=", "…": ".\\|.\\|.", "é": "\\['e]", "è": "\\(`e", "á": "\\['a]", "ó": "\\['o]",
            "í": "\\['i]", "ú": "\\['u]", "ñ": "\\(~n", "ü": "\\(:u", "ö": "\\(:o", "ä": "\\(:a", "ç": "\\(,c",
        ]
        if let name = named[c] { return name }
        return c.unicodeScalars.map { scalar in
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "\\[u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "]"
        }.joined()
    }
}
