#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import CLISupport

/// The terminal prompts are drawn on: raw mode with keys, or plain lines on `TERM=dumb`.
package enum PromptTerminal {
    case raw(RawTerminal)
    case lines(LineTerminal)
}

/// Asks for what a command line left out, at a terminal only. Esc or Ctrl-C at any prompt
/// ends the run with nothing sent (exit 130); the terminal's mode is always restored.
final class Prompter {
    struct Choice {
        var label: String
        /// What typing filters on.
        var search: String
        var selectable: Bool
    }

    let terminal: PromptTerminal
    let stop: () -> Bool
    private var drawn = 0

    /// Prompting is possible: stdin and stderr are a terminal, and neither --no-input nor
    /// OCTOPODS_NO_INPUT says otherwise.
    static func open(_ ctx: Context) -> Prompter? {
        guard allowed(ctx), let terminal = ctx.openTerminal(ctx.environment["TERM"] == "dumb") else { return nil }
        return Prompter(terminal, stop: ctx.isInterrupted)
    }

    /// Whether `open` may ask at all (without touching the terminal's mode).
    static func allowed(_ ctx: Context) -> Bool {
        ctx.stdinIsTTY && ctx.stderrIsTTY && !ctx.globals.noInput
            && (ctx.environment[EnvironmentVariable.noInput.rawValue] ?? "").isEmpty
    }

    init(_ terminal: PromptTerminal, stop: @escaping () -> Bool) {
        self.terminal = terminal
        self.stop = stop
    }

    deinit { close() }

    func close() {
        if case .raw(let raw) = terminal { raw.restore() }
    }

    func write(_ text: String) {
        switch terminal {
        case .raw(let raw): raw.write(text)  // output processing is on: "\n" starts a line
        case .lines(let lines): lines.write(text)
        }
    }

    private var columns: Int {
        if case .raw(let raw) = terminal { return raw.size.columns }
        return 80
    }

    private var rows: Int {
        if case .raw(let raw) = terminal { return raw.size.rows }
        return 24
    }

    /// Nothing is sent: the prompt is left as it was, and the run ends with exit 130 (the one
    /// line that says so is the run's error, `Runner`).
    private func cancelled() -> OctopodsError {
        if case .raw(let raw) = terminal {
            raw.write("\n")
            raw.restore()
        } else {
            write("\n")
        }
        drawn = 0
        return .cancelled
    }

    /// Replaces what was drawn last with `lines` (each cut to the terminal's width, so none wraps).
    private func draw(_ lines: [String]) {
        guard case .raw(let raw) = terminal else { return }
        var out = drawn > 1 ? "\u{1B}[\(drawn - 1)A" : ""
        out += "\r\u{1B}[J"
        let width = max(10, columns - 1)
        out += lines.map { TerminalText.truncate(TerminalText.sanitize($0), to: width) }.joined(separator: "\n")
        raw.write(out)
        drawn = lines.count
    }

    /// Ends the current drawing: what follows starts on a new line.
    private func settle(_ lines: [String]) {
        draw(lines)
        if case .raw(let raw) = terminal { raw.write("\n") }
        drawn = 0
    }

    // MARK: Picking one of many

    func pick(_ title: String, _ choices: [Choice]) throws(OctopodsError) -> Int {
        guard choices.contains(where: \.selectable) else { throw .invalidInput("there is nothing to choose from") }
        guard case .raw(let raw) = terminal else { return try pickByNumber(title, choices) }
        var filter = ""
        var selected = 0
        var top = 0
        while true {
            let words = filter.lowercased().split(separator: " ")
            let visible = choices.indices.filter { i in words.allSatisfy { choices[i].search.lowercased().contains($0) } }
            let selectable = visible.filter { choices[$0].selectable }
            if !selectable.contains(selected) { selected = selectable.first ?? -1 }
            let room = max(3, min(12, rows - 4))
            if let at = visible.firstIndex(of: selected) {
                if at < top { top = at }
                if at >= top + room { top = at - room + 1 }
            }
            top = max(0, min(top, max(0, visible.count - room)))
            var lines = [title + "  (type to filter, ↑/↓ move, Enter choose, Esc cancel)"]
            for i in visible.dropFirst(top).prefix(room) {
                lines.append((i == selected ? "> " : "  ") + choices[i].label + (choices[i].selectable ? "" : "  (cannot be sent)"))
            }
            if visible.isEmpty { lines.append("  (nothing matches '\(filter)')") }
            if visible.count > top + room { lines.append("  … \(visible.count - top - room) more") }
            lines.append("Filter: " + filter)
            draw(lines)
            let key = raw.readKey(stop: stop)
            switch key {
            case .escape, .interrupt, .endOfInput: throw cancelled()
            case .enter:
                guard selected >= 0 else { continue }
                settle([title + ": " + choices[selected].label])
                return selected
            case .up, .down:
                guard let at = selectable.firstIndex(of: selected) else { continue }
                let next = key == .up ? max(0, at - 1) : min(selectable.count - 1, at + 1)
                selected = selectable[next]
            case .backspace: if !filter.isEmpty { filter.removeLast() }
            case .clearLine: filter = ""
            case .character(let c): filter.append(c)
            default: continue
            }
        }
    }

    private func pickByNumber(_ title: String, _ choices: [Choice]) throws(OctopodsError) -> Int {
        var filter = ""
        while true {
            let words = filter.lowercased().split(separator: " ")
            let visible = choices.indices.filter { i in words.allSatisfy { choices[i].search.lowercased().contains($0) } }
            write(title + (filter.isEmpty ? "" : " matching '\(filter)'") + ":\n")
            for (n, i) in visible.enumerated() {
                write("  \(n + 1)) " + TerminalText.sanitize(choices[i].label) + (choices[i].selectable ? "" : "  (cannot be sent)") + "\n")
            }
            write("Number, or words to filter by: ")
            guard case .lines(let lines) = terminal, let answer = lines.readLine(stop: stop) else { throw cancelled() }
            let text = answer.trimmingSpaces()
            if let n = Int(text), n >= 1, n <= visible.count {
                if choices[visible[n - 1]].selectable { return visible[n - 1] }
                write("That one cannot be sent.\n")
                continue
            }
            filter = text
        }
    }

    // MARK: One value

    /// Reads a value; `preview` is shown above the line as it is typed, `check` says what is
    /// wrong with it (nil: fine) and Enter accepts only a value it does not complain about.
    func ask(
        _ label: String, initial: String = "", preview: (String) -> [String] = { _ in [] },
        check: (String) -> String? = { _ in nil }
    ) throws(OctopodsError) -> String {
        guard case .raw(let raw) = terminal else { return try askByLine(label, preview: preview, check: check) }
        var text = initial
        var tried = false
        while true {
            let problem = check(text)
            let status = text.isEmpty && !tried ? "" : problem.map { "  ✗ " + $0 } ?? "  ✓"
            var lines = preview(text)
            lines.append(status)
            let room = max(10, columns - 1 - TerminalText.width(label) - 2)
            let shown = TerminalText.width(text) > room ? "…" + String(text.suffix(room - 1)) : text
            lines.append(label + ": " + shown)
            draw(lines)
            switch raw.readKey(stop: stop) {
            case .escape, .interrupt, .endOfInput: throw cancelled()
            case .enter:
                tried = true
                if problem == nil {
                    settle(preview(text) + [label + ": " + shown])
                    return text
                }
            case .backspace: if !text.isEmpty { text.removeLast() }
            case .clearLine: text = ""
            case .character(let c): text.append(c)
            default: continue
            }
        }
    }

    private func askByLine(_ label: String, preview: (String) -> [String], check: (String) -> String?) throws(OctopodsError) -> String {
        for line in preview("") { write(line + "\n") }
        while true {
            write(label + ": ")
            guard case .lines(let lines) = terminal, let answer = lines.readLine(stop: stop) else { throw cancelled() }
            if let problem = check(answer) {
                write("  ✗ \(problem)\n")
                continue
            }
            return answer
        }
    }

    /// y or n (Enter: no). Esc or Ctrl-C cancel.
    /// The end of every prompted send: the message as it will go, the command line that does the
    /// same without questions (so people learn the flags), then "Send it?" unless a dry run.
    /// Closes the prompter; declining sends nothing (exit 2).
    func finish(to: String?, preview: String, commandLine: String, dryRun: Bool) throws(OctopodsError) {
        defer { close() }
        write("\nTo \(to ?? ""):\n")
        for line in preview.split(separator: "\n", omittingEmptySubsequences: false) {
            write("  " + TerminalText.sanitize(String(line)) + "\n")
        }
        write("\nThe same without questions:\n  " + TerminalText.sanitize(commandLine) + "\n\n")
        if !dryRun, try !confirm("Send it?") {
            throw .invalidInput("not confirmed; nothing was sent")
        }
    }

    func confirm(_ question: String) throws(OctopodsError) -> Bool {
        switch terminal {
        case .raw(let raw):
            draw([question + " [y/N] "])
            while true {
                switch raw.readKey(stop: stop) {
                case .escape, .interrupt, .endOfInput: throw cancelled()
                case .character("y"), .character("Y"): settle([question + " [y/N] yes"]); return true
                case .character("n"), .character("N"), .enter: settle([question + " [y/N] no"]); return false
                default: continue
                }
            }
        case .lines(let lines):
            write(question + " [y/N] ")
            guard let answer = lines.readLine(stop: stop) else { throw cancelled() }
            return ["y", "yes"].contains(answer.trimmingSpaces().lowercased())
        }
    }
}

/// A word as a POSIX shell reads it back: bare when safe, else in single quotes.
enum ShellWord {
    static func quote(_ word: String) -> String {
        let safe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=:,./@%-".unicodeScalars)
        if !word.isEmpty, word.unicodeScalars.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingAll("'", with: #"'\''"#) + "'"
    }
}
