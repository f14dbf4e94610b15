/// Renders a bash completion script from a `ProgramSpec`.
///
/// The script completes subcommands at every level, options (long and short; global options
/// everywhere, before or after the command path), option values (choices, files, and dynamic
/// values, which it asks the program for: `PROGRAM [global options] __complete NAME` prints
/// one `candidate<TAB>description` a line) and positional arguments the same way. Hidden
/// commands and options are never offered. It uses bash-completion (`_init_completion`,
/// `_filedir`) when that is loaded and plain bash otherwise, and passes shellcheck.
package struct BashCompletion: Sendable {
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
            # shellcheck shell=bash
            # bash completion for \(name), generated from its command specs by
            # '\(name) completion bash'; do not edit.
            #
            # With bash-completion, install it as
            #   ${XDG_DATA_HOME:-~/.local/share}/bash-completion/completions/\(name)
            # (or /usr/share/bash-completion/completions/\(name)); without it, source it from ~/.bashrc:
            #   source <(\(name) completion bash)

            # The visible subcommands of a command path, in reply.
            \(f)_commands() {
                case $1 in

            """
        for node in tree.nodes where !node.subcommands.isEmpty {
            s += "        \(Self.quote(node.key))) reply=(\(node.subcommands.map { Self.quote($0.name) }.joined(separator: " "))) ;;\n"
        }
        s += """
                    *) reply=() ;;
                esac
            }

            # The options offered for a command path (its own and the global ones), in reply.
            \(f)_options() {
                case $1 in

            """
        for node in tree.nodes where !node.visibleOptions.isEmpty {
            s += "        \(Self.quote(node.key))) reply=(\(CompletionTree.spellings(node.visibleOptions).joined(separator: " "))) ;;\n"
        }
        s += """
                    *) reply=() ;;
                esac
                reply+=(\(CompletionTree.spellings(tree.visibleGlobals).joined(separator: " ")))
            }

            # What an option of a command path takes: sets kind to none, files, choices (the words
            # in reply) or dynamic (the name to ask for in reply); leaves kind empty for a flag or
            # an unknown option.
            \(f)_option() {
                kind=
                reply=()
                case $1:$2 in

            """
        for node in tree.nodes {
            // One branch per kind of value, so the table stays short.
            var branches: [(assignment: String, patterns: [String])] = []
            for option in node.spec.options where !option.isFlag {
                let assignment = Self.assignment(option.completion)
                let patterns = CompletionTree.spellings(option).map { Self.quote(node.key + ":" + $0) }
                if let index = branches.firstIndex(where: { $0.assignment == assignment }) {
                    branches[index].patterns += patterns
                } else {
                    branches.append((assignment, patterns))
                }
            }
            for branch in branches {
                s += "        \(branch.patterns.joined(separator: "|"))) \(branch.assignment) ;;\n"
            }
            for option in tree.shadowing(node) where option.isFlag {
                let patterns = CompletionTree.spellings(option).map { Self.quote(node.key + ":" + $0) }
                s += "        \(patterns.joined(separator: "|"))) ;;\n"
            }
        }
        for option in program.globalOptions where !option.isFlag {
            let patterns = CompletionTree.spellings(option).map { "*:" + $0 }
            s += "        \(patterns.joined(separator: "|"))) \(Self.assignment(option.completion)) ;;\n"
        }
        s += """
                esac
            }

            # What a positional argument takes, by command path and index from 0, as \(f)_option.
            \(f)_argument() {
                kind=
                reply=()
                case $1:$2 in

            """
        for node in tree.nodes where node.subcommands.isEmpty {
            for (index, argument) in node.spec.arguments.enumerated() where argument.completion != .none {
                let pattern = argument.repeating ? Self.quote(node.key + ":") + "*" : Self.quote(node.key + ":\(index)")
                s += "        \(pattern)) \(Self.assignment(argument.completion)) ;;\n"
            }
        }
        let forwarded = CompletionTree.spellings(tree.forwardedGlobals)
        s += """
                esac
            }

            # Succeeds for the global options that take a value: they are passed on when the
            # program is asked for candidates, so it sees the same profile, config and base URL.
            \(f)_forwarded() {
                case $1 in
                    \(forwarded.isEmpty ? "''" : forwarded.joined(separator: "|"))) return 0 ;;
                esac
                return 1
            }

            # Fills COMPREPLY for the word being completed (cur), as kind and reply describe.
            \(f)_values() {
                local word
                COMPREPLY=()
                case $kind in
                    choices)
                        for word in "${reply[@]}"; do
                            [[ $word == "$cur"* ]] && COMPREPLY+=("$word")
                        done
                        ;;
                    files)
                        if declare -F _filedir >/dev/null 2>&1; then
                            _filedir
                        else
                            compopt -o filenames 2>/dev/null
                            while IFS= read -r word; do
                                COMPREPLY+=("$word")
                            done < <(compgen -f -- "$cur")
                        fi
                        ;;
                    dynamic)
                        # Candidates come from a server: quoted for the shell (%q), never inserted raw.
                        while IFS=$'\\t' read -r word _; do
                            [[ -n $word && $word == "$cur"* ]] || continue
                            printf -v word '%q' "$word"
                            COMPREPLY+=("$word")
                        done < <("$program" "${forward[@]}" __complete "${reply[0]}" 2>/dev/null)
                        ;;
                esac
            }

            # Without bash-completion: the words as _init_completion -s would give them. Readline
            # splits "--opt=value" at '='; join it back, then split the word under the cursor into
            # prev (the option) and cur (the value).
            \(f)_init() {
                local i last glue=false
                words=()
                for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
                    last=$((${#words[@]} - 1))
                    if $glue; then
                        words[last]+=${COMP_WORDS[i]}
                        glue=false
                    elif [[ ${COMP_WORDS[i]} == = && $last -gt 0 && ${words[last]} == --* && ${words[last]} != *=* ]]; then
                        words[last]+='='
                        glue=true
                    else
                        words+=("${COMP_WORDS[i]}")
                    fi
                    if ((i == COMP_CWORD)); then
                        cword=$((${#words[@]} - 1))
                    fi
                done
                cur=${words[cword]}
                prev=${words[cword - 1]}
                if [[ $cur == --*=* ]]; then
                    prev=${cur%%=*}
                    cur=${cur#*=}
                    split=true
                fi
                COMPREPLY=()
            }

            \(f)() {
                local cur prev words cword split=false program=$1
                if declare -F _init_completion >/dev/null 2>&1; then
                    _init_completion -s || return
                else
                    \(f)_init
                fi
                local path='' word option='' pending='' ended=false kind='' i k n=0
                local -a reply=() forward=()
                # The command path, the number of positionals and the forwarded global options,
                # from the words before the cursor.
                for ((i = 1; i < cword; i++)); do
                    word=${words[i]}
                    if [[ -n $pending ]]; then
                        [[ $pending == forward ]] && forward+=("$word")
                        pending=
                        continue
                    fi
                    if ! $ended && [[ $word == -?* && $word != -[0-9]* ]]; then
                        case $word in
                            --) ended=true ;;
                            --*=*) \(f)_forwarded "${word%%=*}" && forward+=("$word") ;;
                            --*)
                                \(f)_option "$path" "$word"
                                if [[ -n $kind ]]; then
                                    option=$word
                                    pending=value
                                    if \(f)_forwarded "$word"; then
                                        pending=forward
                                        forward+=("$word")
                                    fi
                                fi
                                ;;
                            *)
                                for ((k = 1; k < ${#word}; k++)); do
                                    \(f)_option "$path" "-${word:k:1}"
                                    if [[ -n $kind ]]; then
                                        if ((k == ${#word} - 1)); then
                                            option=-${word:k:1}
                                            pending=value
                                        fi
                                        if \(f)_forwarded "-${word:k:1}"; then
                                            forward+=("$word")
                                            [[ -n $pending ]] && pending=forward
                                        fi
                                        break
                                    fi
                                done
                                ;;
                        esac
                        continue
                    fi
                    \(f)_commands "$path"
                    if ! $ended && [[ " ${reply[*]} " == *" $word "* ]]; then
                        path=${path:+$path }$word
                    else
                        n=$((n + 1))
                    fi
                done

                if $split; then
                    \(f)_option "$path" "$prev"
                    \(f)_values
                    if [[ $COMP_WORDBREAKS != *=* ]]; then
                        COMPREPLY=("${COMPREPLY[@]/#/$prev=}")
                    fi
                elif [[ -n $pending ]]; then
                    \(f)_option "$path" "$option"
                    \(f)_values
                elif ! $ended && [[ $cur == -* ]]; then
                    \(f)_options "$path"
                    kind=choices
                    \(f)_values
                else
                    \(f)_commands "$path"
                    if ((${#reply[@]})); then
                        kind=choices
                    else
                        \(f)_argument "$path" "$n"
                    fi
                    \(f)_values
                fi
                return 0
            }

            complete -F \(f) \(Self.quote(name))

            """
        return s
    }

    /// `kind=choices reply=(a b)` for a case branch.
    static func assignment(_ completion: CompletionKind) -> String {
        switch completion {
        case .none: return "kind=none"
        case .files: return "kind=files"
        case .choices(let words): return "kind=choices reply=(\(words.map(quote).joined(separator: " ")))"
        case .dynamic(let name): return "kind=dynamic reply=(\(quote(name)))"
        }
    }

    /// A word for bash: as is when it holds only safe characters, else single-quoted.
    static func quote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar))
                    || "-_./:@%+,=".unicodeScalars.contains(scalar))
        }
        if safe, !word.isEmpty { return word }
        return "'" + word.replacingAll("'", with: "'\\''") + "'"
    }
}
