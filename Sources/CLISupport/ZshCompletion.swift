/// Renders a zsh completion function (`_PROGRAM`, for `$fpath` or `source`) from a
/// `ProgramSpec`.
///
/// Each command gets an `_arguments` function with its own options and the global ones,
/// so options are offered with their descriptions, `--opt=value` and `-ovalue` work, and a
/// non-repeatable option is not offered twice. Subcommands are offered with their abstracts,
/// option values as choices, files (`_files`) or dynamic candidates, which the script asks
/// the program for: `PROGRAM [global options] __complete NAME` prints one
/// `candidate<TAB>description` a line. Hidden commands and options are never offered.
package struct ZshCompletion: Sendable {
    package let program: ProgramSpec

    package init(_ program: ProgramSpec) {
        self.program = program
    }

    /// The whole script.
    package func render() -> String {
        let tree = CompletionTree(program)
        let f = "_" + tree.identifier
        let name = program.name
        var s = """
            #compdef \(name)
            # zsh completion for \(name), generated from its command specs by
            # '\(name) completion zsh'; do not edit.
            #
            # Install it as _\(name) in a directory on $fpath (before compinit runs), or load it with:
            #   source <(\(name) completion zsh)

            # The global options, accepted before and after the command path.
            \(f)_globals() {
                globals=(

            """
        for option in tree.visibleGlobals {
            s += "        " + Self.optionSpec(option, prefix: f) + "\n"
        }
        let forwarded = CompletionTree.spellings(tree.forwardedGlobals)
        let inline = tree.forwardedGlobals.map { "--\($0.long)=*" } + tree.forwardedGlobals.compactMap { $0.short.map { "-\($0)?*" } }
        s += """
                )
            }

            # Candidates from the program itself: '\(name) __complete NAME' prints one
            # "candidate<TAB>description" a line. The global options given that take a value are
            # passed on, so it sees the same profile, config and base URL. _arguments puts compadd
            # options before the NAME, so the NAME is the last argument.
            \(f)_dynamic() {
                local name=${@[-1]} line word i
                local -a candidates forward
                for ((i = 2; i < \(f)_current; i++)); do
                    word=${\(f)_line[i]}
                    case $word in
                        (\(forwarded.isEmpty ? "''" : forwarded.joined(separator: "|")))
                            forward+=("${(Q)word}" "${(Q)\(f)_line[i+1]}")
                            ((i++))
                            ;;
                        (\(inline.isEmpty ? "''" : inline.joined(separator: "|")))
                            forward+=("${(Q)word}")
                            ;;
                    esac
                done
                for line in "${(@f)$("${(Q)\(f)_line[1]}" "${forward[@]}" __complete "$name" 2>/dev/null)}"; do
                    [[ -n $line ]] || continue
                    if [[ $line == *$'\\t'* ]]; then
                        candidates+=("${${line%%$'\\t'*}//:/\\\\:}:${line#*$'\\t'}")
                    else
                        candidates+=("${line//:/\\\\:}")
                    fi
                done
                _describe -t "$name" "$name" candidates
            }


            """
        for node in tree.nodes {
            s += function(node, prefix: f) + "\n"
        }
        s += """
            \(f)() {
                local -a \(f)_line
                \(f)_line=("${words[@]}")
                local \(f)_current=$CURRENT
                \(f)_cmd "$@"
            }

            if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
                \(f) "$@"
            else
                compdef \(f) \(name)
            fi

            """
        return s
    }

    /// `_octopods_cmd_templates_list`.
    static func functionName(_ prefix: String, _ path: [String]) -> String {
        ([prefix + "_cmd"] + path.map { String($0.map { $0.isLetter || $0.isNumber ? $0 : "_" }) }).joined(separator: "_")
    }

    func function(_ node: CompletionTree.Node, prefix: String) -> String {
        let name = Self.functionName(prefix, node.path)
        var specs = node.visibleOptions.map { Self.optionSpec($0, prefix: prefix) }
        if node.subcommands.isEmpty {
            specs += node.spec.arguments.map { Self.argumentSpec($0, prefix: prefix) }
            var s = "\(name)() {\n    local -a globals\n    \(prefix)_globals\n    _arguments -s -S \"${globals[@]}\""
            for spec in specs { s += " \\\n        " + spec }
            return s + "\n}\n"
        }
        let title = ([program.name] + node.path).joined(separator: " ")
        var s = """
            \(name)() {
                local curcontext=$curcontext state state_descr line ret=1
                local -A opt_args
                local -a globals
                \(prefix)_globals
                _arguments -s -S -C "${globals[@]}"
            """
        for spec in specs { s += " \\\n        " + spec }
        s += " \\\n        '(-): :->command' \\\n        '(-)*:: :->argument' && ret=0\n"
        s += """
                case $state in
                    (command)
                        local -a commands
                        commands=(

            """
        for sub in node.subcommands {
            s += "                " + Self.singleQuoted(Self.messageEscape(sub.name) + ":" + sub.abstract) + "\n"
        }
        s += """
                        )
                        _describe -t commands \(Self.singleQuoted(title + " command")) commands && ret=0
                        ;;
                    (argument)
                        curcontext=${curcontext%:*:*}:\(title.replacingAll(" ", with: "-"))-$words[1]:
                        case $words[1] in

            """
        for sub in node.subcommands {
            s += "                (\(Self.wordEscape(sub.name))) \(Self.functionName(prefix, node.path + [sub.name])) && ret=0 ;;\n"
        }
        s += """
                        esac
                        ;;
                esac
                return ret
            }

            """
        return s
    }

    /// One `_arguments` option spec: `'(-o --output)'{-o+,--output=}'[help]:FORMAT:(a b)'`.
    static func optionSpec(_ option: OptionSpec, prefix: String) -> String {
        let help = "[" + bracketEscape(option.help) + "]"
        var value = ""
        if let valueName = option.valueName {
            value = ":" + messageEscape(valueName) + ":" + action(option.completion, prefix: prefix)
        }
        let long = "--" + option.long + (option.isFlag ? "" : "=")
        guard let short = option.short else {
            return singleQuoted((option.repeatable ? "*" : "") + long + help + value)
        }
        let shortSpelling = "-" + String(short) + (option.isFlag ? "" : "+")
        let exclusion = option.repeatable ? "'*'" : singleQuoted("(-\(short) --\(option.long))")
        return exclusion + "{" + shortSpelling + "," + long + "}" + singleQuoted(help + value)
    }

    /// `':template-id:_octopods_dynamic templates'`.
    static func argumentSpec(_ argument: ArgumentSpec, prefix: String) -> String {
        let lead = argument.repeating ? "*:" : argument.optional ? "::" : ":"
        return singleQuoted(lead + messageEscape(argument.name) + ":" + action(argument.completion, prefix: prefix))
    }

    static func action(_ completion: CompletionKind, prefix: String) -> String {
        switch completion {
        case .none: return " "
        case .files: return "_files"
        case .choices(let words): return "(" + words.map(wordEscape).joined(separator: " ") + ")"
        case .dynamic(let name): return prefix + "_dynamic " + wordEscape(name)
        }
    }

    /// Text inside `[...]` of an option spec.
    static func bracketEscape(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "\\" || c == "[" || c == "]" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// A message or name field of a spec, where `:` ends the field.
    static func messageEscape(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "\\" || c == ":" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// A word of a choice list or a case pattern: backslash before anything not plainly safe.
    static func wordEscape(_ word: String) -> String {
        var out = ""
        for c in word {
            if !(c.isASCII && (c.isLetter || c.isNumber || "-_./@%+,=".contains(c))) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// `'text'`, with single quotes inside written as `'\''`.
    static func singleQuoted(_ text: String) -> String {
        "'" + text.replacingAll("'", with: "'\\''") + "'"
    }
}
