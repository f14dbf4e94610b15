import Foundation
import Testing
import TestSupport
@testable import CLISupport

/// A program with the awkward cases: nesting, a hidden command and option, a choice with a
/// quote and a space, brackets and colons in help, a flag shadowing a global option, text
/// that roff would take for requests, characters outside ASCII.
let toyProgram = ProgramSpec(
    root: CommandSpec(
        name: "toy", abstract: "Play with toys.",
        discussion: ".dot starts this line.\n\n'quote starts this one; a \\backslash, read-only, --flag and -x. Café → done…",
        examples: [Example("toy -v alpha one notes.txt --mode fast", "Run one.")],
        subcommands: [
            CommandSpec(
                name: "alpha", abstract: "Alpha [things]: it's 'quoted'.",
                subcommands: [
                    CommandSpec(
                        name: "one", abstract: "One thing.",
                        arguments: [
                            ArgumentSpec("file", .file, help: "A file."),
                            ArgumentSpec("rest", optional: true, repeating: true, completion: .dynamic("things"), help: "More."),
                        ],
                        options: [
                            .value("mode", short: "m", "MODE", .choice(["fast", "it's slow"]), help: "Mode [a]: b."),
                            .flag("dry", help: "Dry run."),
                            .value("secret", "S", hidden: true, help: "Never offered."),
                            .value("pair", "K:V", repeatable: true, help: "A pair, again and again."),
                            .value("input", "FILE", .file, help: "Read from FILE."),
                        ],
                        examples: [
                            Example(
                                "toy alpha one notes.txt --pair a:b --pair 'c d:e' --input /tmp/a-very-long/path/of/many/parts.txt --dry",
                                "A long one.")
                        ])
                ]),
            CommandSpec(name: "ghost", abstract: "Hidden.", options: [.value("boo", "B", help: "Boo.")], hidden: true),
            CommandSpec(name: "beta", abstract: "Beta.", options: [.flag("profile", help: "A flag named like a global option.")]),
            CommandSpec(
                name: "log", abstract: "A group that runs by itself.",
                options: [.value("since", "WHEN", help: "Since."), .value("kind", "KIND", .choice(["a", "b"]), help: "Kind.")],
                subcommands: [
                    CommandSpec(
                        name: "prune", abstract: "Prune.",
                        options: [.value("before", "WHEN", required: true, help: "Before.")])
                ],
                runsItself: true),
        ]),
    globalOptions: [
        .value("output", short: "o", "FORMAT", .choice(["table", "json"]), help: "Output format."),
        .flag("verbose", short: "v", help: "Say more."),
        .value("profile", "NAME", help: "Profile."),
    ],
    version: "1.2.3")

/// Runs a tool off Swift concurrency's few threads; nil when it is not installed. Started with
/// posix_spawn (Tests/TestSupport/Spawn.swift), not Foundation's `Process`, whose `run()` now and then crashes.
func runTool(
    _ executable: String, _ arguments: [String], stdin: String = "",
    environment: [String: String] = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
) async -> (status: Int32, output: String)? {
    guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
    return await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let result = try? spawnAndWait(
                executable, arguments, environment: environment, input: Data(stdin.utf8),
                timeout: 120, mergeStderr: true)
            continuation.resume(returning: result.map { ($0.status, String(decoding: $0.stdout, as: UTF8.self)) })
        }
    }
}

func scratchFile(_ name: String, _ text: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("clisupport-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

@Suite struct BashCompletionTests {
    let script = BashCompletion(toyProgram).render()

    @Test func tablesComeFromTheSpec() {
        #expect(script.contains("        '') reply=(alpha beta log) ;;\n"))
        #expect(script.contains("        log) reply=(prune) ;;\n"))
        #expect(script.contains("        log) reply=(--since --kind) ;;\n"))
        #expect(script.contains("        alpha) reply=(one) ;;\n"))
        #expect(script.contains("        'alpha one') reply=(-m --mode --dry --pair --input) ;;\n"))
        #expect(script.contains("    reply+=(-o --output -v --verbose --profile)\n"))
        #expect(script.contains("        'alpha one:-m'|'alpha one:--mode') kind=choices reply=(fast 'it'\\''s slow') ;;\n"))
        // Hidden options are known (their values are skipped) but not offered.
        #expect(script.contains("'alpha one:--secret'|'alpha one:--pair') kind=none ;;"))
        #expect(script.contains("'alpha one:--input') kind=files ;;"))
        // The command's flag is found before the global option of the same name.
        let own = script.range(of: "        beta:--profile) ;;\n"),
            global = script.range(of: "        *:-o|*:--output) kind=choices reply=(table json) ;;\n")
        #expect(own != nil && global != nil && own?.lowerBound ?? script.endIndex < global?.lowerBound ?? script.startIndex)
        #expect(script.contains("        'alpha one:0') kind=files ;;\n        'alpha one:'*) kind=dynamic reply=(things) ;;\n"))
        #expect(script.contains("        -o|--output|--profile) return 0 ;;"))
        #expect(script.hasSuffix("complete -F _toy toy\n"))
        #expect(!script.contains("ghost"))
    }

    @Test func completesInPlainBash() async throws {
        let path = try scratchFile("toy.bash", script)
        let probe = """
            source \(path)
            toy() { printf 'one\\tThe first\\ntwo\\n'; }  # stands in for 'toy __complete things'
            for line in 'toy ' 'toy alpha one --mode ' 'toy -o js' 'toy alpha one x ' 'toy --profile x alpha ' 'toy alpha one --se' 'toy alpha one --mode=f' \\
                    'toy log ' 'toy log --kind ' 'toy log --since 1d ' 'toy log --k' 'toy log prune --b'; do
                spaced=${line//=/ = }
                read -ra COMP_WORDS <<< "$spaced"
                [[ $spaced == *" " ]] && COMP_WORDS+=("")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
                _toy toy
                printf '%s|' "${COMPREPLY[@]}"; echo
            done
            """
        guard let result = await runTool("/bin/bash", ["--norc", "--noprofile", "-c", probe]) else {
            Issue.record("bash is not installed")
            return
        }
        #expect(
            result.output == """
                alpha|beta|log|
                fast|it's slow|
                json|
                one|two|
                one|
                |
                fast|
                prune|
                a|b|
                prune|
                --kind|
                --before|

                """)
    }

    @Test func passesShellcheck() async throws {
        let path = try scratchFile("toy.bash", script)
        guard let result = await runTool("/usr/bin/shellcheck", [path]) else {
            Issue.record("shellcheck is not installed (see .ci/run)")
            return
        }
        #expect(result.status == 0)
        #expect(result.output == "")
    }
}

@Suite struct ZshCompletionTests {
    let script = ZshCompletion(toyProgram).render()

    @Test func specsAreEscaped() {
        #expect(script.hasPrefix("#compdef toy\n"))
        #expect(script.contains(#"'(-m --mode)'{-m+,--mode=}'[Mode \[a\]: b.]:MODE:(fast it\'\''s\ slow)'"#))
        #expect(script.contains(#"'*--pair=[A pair, again and again.]:K\:V: '"#))
        #expect(script.contains("'--input=[Read from FILE.]:FILE:_files'"))
        #expect(script.contains("':file:_files'"))
        #expect(script.contains("'*:rest:_toy_dynamic things'"))
        #expect(script.contains(#"'alpha:Alpha [things]: it'\''s '\''quoted'\''.'"#))
        #expect(script.contains("                (alpha) _toy_cmd_alpha && ret=0 ;;\n"))
        #expect(!script.contains("secret"))
        #expect(!script.contains("ghost"))
        #expect(script.contains("            (-o|--output|--profile)\n"))
    }

    @Test func parses() async throws {
        let path = try scratchFile("_toy", script)
        guard let result = await runTool("/usr/bin/zsh", ["-n", path]) else {
            Issue.record("zsh is not installed (see .ci/run)")
            return
        }
        #expect(result.status == 0)
        #expect(result.output == "")
    }
}

@Suite struct FishCompletionTests {
    let script = FishCompletion(toyProgram).render()

    @Test func rulesComeFromTheSpec() {
        #expect(script.contains("complete -c toy -f\n"))
        #expect(script.contains("complete -c toy -s o -l output -x -a 'table json' -d 'Output format.'\n"))
        #expect(script.contains("complete -c toy -n '__toy_word \"\"' -a alpha -d 'Alpha [things]: it\\'s \\'quoted\\'.'\n"))
        #expect(
            script.contains("complete -c toy -n '__toy_at \"alpha one\"' -s m -l mode -x -a 'fast it\\\\\\'s\\\\ slow' -d 'Mode [a]: b.'\n")
        )
        #expect(script.contains("complete -c toy -n '__toy_at \"alpha one\"' -l input -r -F -d 'Read from FILE.'\n"))
        #expect(script.contains("complete -c toy -n '__toy_argument \"alpha one\" 0' -F -d file\n"))
        #expect(script.contains("complete -c toy -n '__toy_argument \"alpha one\" 1 from' -a '(__toy_dynamic things)' -d rest\n"))
        #expect(script.contains("        case beta:--profile\n            return 1\n"))
        #expect(!script.contains("-l secret"))
        #expect(!script.contains("ghost"))
    }

    @Test func completesInFish() async throws {
        let path = try scratchFile("toy.fish", script)
        let probe = """
            source \(path)
            function toy; printf 'one\\tThe first\\ntwo\\n'; end
            for line in 'toy ' 'toy alpha one --mode ' 'toy -o j' 'toy alpha one x ' 'toy --profile x alpha ' 'toy log ' 'toy log --kind ' 'toy log prune --b'
                echo (complete -C "$line" | string replace -r '\\t.*' '' | sort | string join '|')
            end
            """
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("clisupport-\(UUID().uuidString)")
        guard
            let result = await runTool(
                "/usr/bin/fish", ["--no-config", "-c", probe],
                environment: ["PATH": "/usr/bin:/bin", "HOME": home.path, "LANG": "C.UTF-8"])
        else {
            Issue.record("fish is not installed (see .ci/run)")
            return
        }
        #expect(
            result.output == """
                alpha|beta|log
                fast|it's slow
                json
                one|two
                one
                prune
                a|b
                --before

                """)
    }
}

@Suite struct ManPageTests {
    let page = ManPage(
        toyProgram, date: "2026-01-02",
        environment: [ManPage.Entry("TOY_HOME", "Where toys live (default ~/toys).")],
        files: [ManPage.Entry("~/.config/toy/config", "The config.")],
        exitStatus: [ManPage.Entry("0", "Fine."), ManPage.Entry("2", "Usage: --help explains.")],
        seeAlso: ["jq(1)", "curl(1)", "https://example.com/docs"]
    ).render()

    @Test func sectionsInOrder() {
        let titles = page.split(separator: "\n").filter { $0.hasPrefix(".SH ") }.map { String($0.dropFirst(4)) }
        #expect(
            titles == [
                "NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "GLOBAL OPTIONS", "ENVIRONMENT", "FILES",
                "EXIT STATUS", "EXAMPLES", "SEE ALSO",
            ])
        #expect(
            page.hasPrefix(
                ".\\\" Generated from the command specs of toy; do not edit.\n"
                    + ".TH TOY 1 \"2026-01-02\" \"toy 1.2.3\" \"User Commands\"\n"))
        #expect(page.contains(".SH NAME\ntoy \\- Play with toys\n"))
        #expect(page.contains(".BR jq (1),\n.BR curl (1)\n.PP\nhttps:/\\:/\\:example.com/\\:docs\n"))
    }

    @Test func escapesForRoff() {
        // Lines that would be requests are protected; backslashes and non-ASCII are escapes.
        #expect(
            page.contains("\n\\&.dot starts this line.\n.PP\n\\&'quote starts this one; a \\ebackslash, read-only, \\-\\-flag and \\-x."))
        #expect(page.contains("Caf\\['e]\n\\(-> done.\\|.\\|.\n"))
        #expect(page.contains(".TP\n\\fB\\-m\\fR, \\fB\\-\\-mode\\fR \\fIMODE\\fR\nMode [a]: b. (fast|\\:it's slow)\n"))
        #expect(page.contains(".TP\n\\fB\\-\\-pair\\fR \\fIK:V\\fR .\\|.\\|.\n"))
        #expect(page.contains(".SS \"toy alpha one\"\n"))
        #expect(page.contains("\\fBtoy alpha one\\fR <file> [<rest>...] [options]\n"))
        #expect(page.contains(".TP\n\\fB2\\fR\nUsage: \\-\\-help explains.\n"))
        #expect(!page.contains("secret"))
        #expect(!page.contains("ghost"))
        #expect(page.utf8.allSatisfy { $0 < 0x80 })
        #expect(page.split(separator: "\n").allSatisfy { $0.utf8.count <= 80 })
    }

    @Test func longExamplesContinueOnTheNextLine() {
        #expect(
            page.contains(
                """
                .nf
                $ toy alpha one notes.txt \\-\\-pair a:b \\-\\-pair 'c d:e' \\e
                    \\-\\-input /tmp/a\\-very\\-long/path/of/many/parts.txt \\-\\-dry
                .fi
                """))
    }

    @Test func lintersReportNothing() async throws {
        let path = try scratchFile("toy.1", page)
        guard let groff = await runTool("/usr/bin/groff", ["-man", "-ww", "-z", path]),
            let mandoc = await runTool("/usr/bin/mandoc", ["-Tlint", path])
        else {
            Issue.record("groff or mandoc is not installed (see .ci/run)")
            return
        }
        #expect(groff.output == "")
        #expect(groff.status == 0)
        #expect(mandoc.output == "")
        #expect(mandoc.status == 0)
    }
}
