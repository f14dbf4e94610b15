/// Renders fish completions (`PROGRAM.fish`, for a completions directory or `source`) from
/// a `ProgramSpec`.
///
/// A generated scanner works out the command path and the number of positionals from the
/// command line (global options may come anywhere; the values of options are skipped), and
/// each `complete` rule is conditioned on it: subcommands and a command's options where that
/// command is being typed, global options everywhere, option values as choices, files or
/// dynamic candidates, which the script asks the program for: `PROGRAM [global options]
/// __complete NAME` prints one `candidate<TAB>description` a line (fish shows the
/// description). Hidden commands and options are never offered.
package struct FishCompletion: Sendable {
    package let program: ProgramSpec

    package init(_ program: ProgramSpec) {
        self.program = program
    }

    /// The whole script.
    package func render() -> String {
        let tree = CompletionTree(program)
        let f = "__" + tree.identifier
        let name = program.name
        let c = "complete -c " + Self.quoted(name)
        var s = """
            # fish completion for \(name), generated from its command specs by
            # '\(name) completion fish'; do not edit.
            #
            # Install it as \(name).fish in ~/.config/fish/completions (or a vendor_completions.d
            # directory), or load it with:
            #   \(name) completion fish | source

            # The visible subcommands of a command path, one a line.
            function \(f)_commands --argument-names path
                switch $path

            """
        for node in tree.nodes where !node.subcommands.isEmpty {
            s += "        case \(Self.quoted(node.key))\n"
            s += "            printf '%s\\n' \(node.subcommands.map { Self.quoted($0.name) }.joined(separator: " "))\n"
        }
        s += """
                end
            end

            # Succeeds when an option of a command path takes a value.
            function \(f)_takes_value --argument-names path option
                switch "$path:$option"

            """
        for node in tree.nodes {
            let valued = node.spec.options.filter { !$0.isFlag }
            if !valued.isEmpty {
                s +=
                    "        case "
                    + valued.flatMap(CompletionTree.spellings).map { Self.quoted(node.key + ":" + $0) }.joined(separator: " ") + "\n"
                s += "            return 0\n"
            }
            let shadowingFlags = tree.shadowing(node).filter(\.isFlag)
            if !shadowingFlags.isEmpty {
                s +=
                    "        case "
                    + shadowingFlags.flatMap(CompletionTree.spellings).map { Self.quoted(node.key + ":" + $0) }.joined(separator: " ")
                    + "\n"
                s += "            return 1\n"
            }
        }
        let globalValued = CompletionTree.spellings(tree.forwardedGlobals)
        if !globalValued.isEmpty {
            s += "        case " + globalValued.map { "'*:" + $0 + "'" }.joined(separator: " ") + "\n"
            s += "            return 0\n"
        }
        let inline =
            tree.forwardedGlobals.map { Self.quoted("--\($0.long)=*") }
            + tree.forwardedGlobals.compactMap { option in option.short.map { Self.quoted("-\($0)?*") } }
        s += """
                end
                return 1
            end

            # Scans the command line before the cursor into \(f)_path (the command path),
            # \(f)_count (positionals so far) and \(f)_pending (1 when the cursor is on an
            # option's value). Every condition below asks, so the result is kept per command line.
            function \(f)_scan
                set -l line (commandline -pc)
                test "$line" = "$\(f)_scanned"; and return
                set -l tokens (commandline -opc)
                set -e tokens[1]
                set -l path ''
                set -l count 0
                set -l ended 0
                set -l pending 0
                for word in $tokens
                    if test $pending = 1
                        set pending 0
                    else if test $ended = 0; and string match -qr -- '^-[^0-9]' $word
                        switch $word
                            case --
                                set ended 1
                            case '--*=*'
                            case '--*'
                                \(f)_takes_value "$path" $word; and set pending 1
                            case '*'
                                set -l letters (string split '' -- (string sub -s 2 -- $word))
                                for i in (seq (count $letters))
                                    if \(f)_takes_value "$path" -$letters[$i]
                                        test $i -eq (count $letters); and set pending 1
                                        break
                                    end
                                end
                        end
                    else if test $ended = 0; and contains -- $word (\(f)_commands "$path")
                        set path (string trim -- "$path $word")
                    else
                        set count (math $count + 1)
                    end
                end
                set -g \(f)_scanned $line
                set -g \(f)_path $path
                set -g \(f)_count $count
                set -g \(f)_pending $pending
            end

            # Succeeds when the command being typed is the one at path (for its options).
            function \(f)_at --argument-names path
                \(f)_scan
                test "$\(f)_path" = "$path"
            end

            # Succeeds when the command at path is being typed and the cursor is on a word of its
            # own, not on an option's value (for subcommands).
            function \(f)_word --argument-names path
                \(f)_at "$path"; and test $\(f)_pending = 0
            end

            # Succeeds when the cursor is on positional argument index (from 0) of the command at
            # path; with a third argument, on that argument or any after it.
            function \(f)_argument --argument-names path index from
                \(f)_word "$path"; or return
                if test -n "$from"
                    test $\(f)_count -ge $index
                else
                    test $\(f)_count -eq $index
                end
            end

            # Candidates from the program itself: '\(name) __complete NAME' prints one
            # "candidate<TAB>description" a line. The global options given that take a value are
            # passed on, so it sees the same profile, config and base URL.
            function \(f)_dynamic --argument-names name
                set -l tokens (commandline -opc)
                set -l forward
                set -l i 2
                while test $i -le (count $tokens)
                    switch $tokens[$i]
                        case \(globalValued.isEmpty ? "''" : globalValued.map { Self.quoted($0) }.joined(separator: " "))
                            set -a forward $tokens[$i]
                            set i (math $i + 1)
                            test $i -le (count $tokens); and set -a forward $tokens[$i]
                        case \(inline.isEmpty ? "''" : inline.joined(separator: " "))
                            set -a forward $tokens[$i]
                    end
                    set i (math $i + 1)
                end
                $tokens[1] $forward __complete $name 2>/dev/null
            end

            # No file names unless an option or argument takes a file.
            \(c) -f

            # Global options, accepted before and after the command path.

            """
        for option in tree.visibleGlobals {
            s += c + Self.optionRule(option, prefix: f) + "\n"
        }
        for node in tree.nodes {
            let path = Self.quoted(node.key, double: true)
            let title = ([name] + node.path).joined(separator: " ")
            var rules: [String] = []
            for sub in node.subcommands {
                rules.append(
                    c + " -n " + Self.quoted("\(f)_word " + path) + " -a " + Self.quoted(sub.name)
                        + " -d " + Self.quoted(sub.abstract))
            }
            for option in node.visibleOptions {
                rules.append(c + " -n " + Self.quoted("\(f)_at " + path) + Self.optionRule(option, prefix: f))
            }
            if node.subcommands.isEmpty {
                for (index, argument) in node.spec.arguments.enumerated() where argument.completion != .none {
                    let test = "\(f)_argument " + Self.quoted(node.key, double: true) + " \(index)" + (argument.repeating ? " from" : "")
                    rules.append(
                        c + " -n " + Self.quoted(test) + Self.valueFlags(argument.completion, prefix: f, forArgument: true)
                            + " -d " + Self.quoted(argument.name))
                }
            }
            if !rules.isEmpty {
                s += "\n# \(title)\n" + rules.joined(separator: "\n") + "\n"
            }
        }
        return s
    }

    /// ` -s o -l output -x -a 'table json ndjson' -d '...'`.
    static func optionRule(_ option: OptionSpec, prefix: String) -> String {
        var s = option.short.map { " -s " + quoted(String($0)) } ?? ""
        s += " -l " + quoted(option.long)
        if !option.isFlag { s += valueFlags(option.completion, prefix: prefix, forArgument: false) }
        return s + " -d " + quoted(option.help)
    }

    /// How a value completes: ` -r -F` for files, ` -x -a '...'` for choices and dynamic
    /// candidates, ` -x` for anything else. Arguments need no `-r`.
    static func valueFlags(_ completion: CompletionKind, prefix: String, forArgument: Bool) -> String {
        switch completion {
        case .none: return forArgument ? "" : " -x"
        case .files: return forArgument ? " -F" : " -r -F"
        case .choices(let words):
            return (forArgument ? "" : " -x") + " -a " + quoted(words.map(wordEscape).joined(separator: " "))
        case .dynamic(let name):
            return (forArgument ? "" : " -x") + " -a " + quoted("(\(prefix)_dynamic \(wordEscape(name)))")
        }
    }

    /// A word for fish: as is when it holds only safe characters, else quoted. Single
    /// quotes by default; double quotes (for a word inside a single-quoted condition).
    static func quoted(_ text: String, double: Bool = false) -> String {
        let safe = !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:@%+,=".contains($0)) }
        if safe { return text }
        if double {
            var out = "\""
            for c in text {
                if c == "\\" || c == "\"" || c == "$" { out.append("\\") }
                out.append(c)
            }
            return out + "\""
        }
        var out = "'"
        for c in text {
            if c == "\\" || c == "'" { out.append("\\") }
            out.append(c)
        }
        return out + "'"
    }

    /// A word of a `-a` list: backslash before anything not plainly safe.
    static func wordEscape(_ word: String) -> String {
        var out = ""
        for c in word {
            if !(c.isASCII && (c.isLetter || c.isNumber || "-_./@%+,=:".contains(c))) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
