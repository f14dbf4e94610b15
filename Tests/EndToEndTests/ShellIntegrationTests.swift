import Foundation
import Testing
import TestSupport
import OctopodsSandbox

/// The committed completion scripts run in real shells (bash with and without
/// bash-completion, zsh, fish) with a clean environment and a temporary HOME; the man page
/// and the bash script pass their linters; `make install` and `make uninstall` work.
/// The shells and tools come from Debian (.ci/run installs them).
@Suite struct ShellIntegrationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let completions = repository.appendingPathComponent("completions")
    static let manPage = repository.appendingPathComponent("man/octopods.1")

    static let ids = (1001...1009).map(String.init)
    static let statuses = ["accepted", "deleted", "needs_modification", "pending", "rejected", "under_review"]

    /// Partial command lines (the cursor at the end) and what completing them must offer,
    /// sorted. Files are offered from a directory holding notes.txt, state.json and sub/.
    static let probes: [(line: String, offers: [String])] = [
        ("octopods tem", ["templates"]),
        (
            "octopods ",
            [
                "api", "completion", "config", "doctor", "history", "listen", "messages", "sandbox", "send", "sms", "status", "templates",
                "vbm",
            ]
        ),
        ("octopods api sms/", ["sms/messages", "sms/messages/MESSAGE_ID"]),
        ("octopods templates ", ["csv", "get", "list", "render"]),
        ("octopods templates list --status ", statuses),
        ("octopods templates list --status=acc", ["accepted"]),
        ("octopods templates list --active ", ["false", "true"]),
        ("octopods templates list --json --st", ["--state-store", "--status"]),
        ("octopods -o ", ["csv", "json", "ndjson", "table"]),
        ("octopods --output=nd", ["ndjson"]),
        ("octopods --profile x templates l", ["list"]),
        ("octopods status 1 --until ", ["delivered", "read"]),
        ("octopods send template 1001 --dr", ["--dry-run"]),
        ("octopods completion ", ["bash", "fish", "zsh"]),
        // Template ids come from the list `templates list` cached, through `__complete`.
        ("octopods send template ", ids),
        ("octopods -q send template 100", ids),
        ("octopods -vo json templates get ", ids),
        ("octopods templates get 1001 ", []),
        // Viber template ids from the Viber list, and examples of a WHEN.
        ("octopods vbm send ", ["2001", "2002"]),
        ("octopods history --since ", ["1h", "24h", "2w", "7d", "today", "yesterday"]),
        // Global options are passed on: an unknown profile has no cached list.
        ("octopods --profile nope send template ", []),
        ("octopods sandbox --state ", ["notes.txt", "state.json", "sub"]),
        ("octopods sandbox --state=st", ["state.json"]),
        // Hidden options and commands are never offered.
        ("octopods sandbox --sl", []),
        ("octopods __", []),
    ]

    /// A HOME whose cache holds the sandbox's WhatsApp template list, as `templates list`
    /// leaves it, and the environment that finds it (the sandbox is gone by then: completing
    /// never makes a request).
    func preparedHome() async throws -> (home: URL, environment: [String: String], work: URL) {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let environment = [
            "OCTOPODS_BASE_URL": sandbox.url, "OCTOPODS_WHATSAPP_API_KEY": SandboxKeys.whatsapp,
            "OCTOPODS_VBM_API_KEY": SandboxKeys.vbm,
        ]
        let listed = try await octopods(["templates", "list"], environment: environment, home: home)
        #expect(listed.status == 0)
        let viber = try await octopods(["templates", "list", "--channel", "vbm"], environment: environment, home: home)
        #expect(viber.status == 0)
        let work = home.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("sub"), withIntermediateDirectories: true)
        for file in ["notes.txt", "state.json"] { try Data().write(to: work.appendingPathComponent(file)) }
        return (home, environment, work)
    }

    /// Runs a shell script with only the environment given (plus PATH with the built binary
    /// first, HOME, LANG, TERM) and returns its output, one probe a line.
    func shell(
        _ executable: String, _ arguments: [String], home: URL, work: URL, environment: [String: String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [String]? {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            Issue.record("\(executable) is not installed (see .ci/run)", sourceLocation: sourceLocation)
            return nil
        }
        var env = [
            "HOME": home.path, "PATH": octopodsBinary.deletingLastPathComponent().path + ":/usr/bin:/bin",
            "LANG": "C.UTF-8", "TERM": "dumb", "PROBE_LINES": Self.probes.map(\.line).joined(separator: "\n"),
        ]
        env.merge(environment) { _, new in new }
        let result = try await runTool(executable, arguments, environment: env, directory: work)
        #expect(result.status == 0, "\(result.output)", sourceLocation: sourceLocation)
        return result.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Each probe's candidates as the shell printed them: space-separated on one line; fish
    /// repeats the option before a value (`--state=state.json`) and marks directories (`sub/`).
    /// zsh offers the options where nothing else is left (`templates get 1001 `): with
    /// `optionsWhenNothingElse`, options are ignored unless the word being completed is one.
    func check(
        _ lines: [String]?, _ shellName: String, optionsWhenNothingElse: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let lines else { return }
        #expect(lines.count == Self.probes.count, "\(shellName): \(lines)", sourceLocation: sourceLocation)
        for (probe, line) in zip(Self.probes, lines) {
            let offered = line.split(separator: " ").map { word -> String in
                var w = String(word)
                if w.hasPrefix("--"), let equals = w.firstIndex(of: "=") { w = String(w[w.index(after: equals)...]) }
                if w.hasSuffix("/") { w.removeLast() }
                return w
            }
            let typingOption = probe.line.split(separator: " ", omittingEmptySubsequences: false).last?.hasPrefix("-") == true
            let relevant = optionsWhenNothingElse && !typingOption ? offered.filter { !$0.hasPrefix("-") } : offered
            #expect(Set(relevant).sorted() == probe.offers, "\(shellName): '\(probe.line)'", sourceLocation: sourceLocation)
        }
    }

    /// What bash sees at the cursor: COMP_WORDS split at blanks and at '=' (as readline does
    /// with the default COMP_WORDBREAKS), COMP_LINE and COMP_POINT.
    static let bashProbe = #"""
        while IFS= read -r line; do
            spaced=${line//=/ = }
            read -ra COMP_WORDS <<< "$spaced"
            [[ $spaced == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
            COMPREPLY=()
            "$complete_function" octopods "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            echo "${COMPREPLY[*]}"
        done <<< "$PROBE_LINES"
        """#

    @Test func bashWithBashCompletion() async throws {
        let (home, environment, work) = try await preparedHome()
        // Installed where bash-completion looks for a user's completions, loaded by name.
        let directory = home.appendingPathComponent(".local/share/bash-completion/completions")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: Self.completions.appendingPathComponent("octopods.bash"),
            to: directory.appendingPathComponent("octopods"))
        let script = """
            source /usr/share/bash-completion/bash_completion || exit 1
            __load_completion octopods || exit 2
            [[ $(complete -p octopods) == 'complete -F _octopods octopods' ]] || exit 3
            declare -F _init_completion >/dev/null || exit 4
            complete_function=_octopods
            """ + "\n" + Self.bashProbe
        check(
            try await shell(
                "/bin/bash", ["--norc", "--noprofile", "-c", script], home: home, work: work,
                environment: environment), "bash with bash-completion")
    }

    @Test func bashWithoutBashCompletion() async throws {
        let (home, environment, work) = try await preparedHome()
        let script = """
            source \(Self.completions.appendingPathComponent("octopods.bash").path) || exit 1
            ! declare -F _init_completion >/dev/null || exit 4
            complete_function=_octopods
            """ + "\n" + Self.bashProbe
        check(
            try await shell(
                "/bin/bash", ["--norc", "--noprofile", "-c", script], home: home, work: work,
                environment: environment), "bash")
    }

    /// zsh completes only inside its line editor, so the probe drives an interactive zsh on
    /// a pseudo-terminal (zpty): it types each line and a TAB; a wrapper around compadd
    /// records the candidates the completion system accepts.
    @Test func zsh() async throws {
        let (home, environment, work) = try await preparedHome()
        let setup = home.appendingPathComponent("setup.zsh")
        try Data(
            #"""
            PS1='' RPROMPT='' PROMPT_EOL_MARK='' LISTMAX=100000  # never stop to ask before a long list
            unset zle_bracketed_paste
            fpath=($PROBE_FPATH $fpath)
            autoload -Uz compinit && compinit -u -D
            compadd() {
                # Calls that only fill arrays (-O, -A, -D) are the completion system's own.
                if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
                    builtin compadd "$@"
                    return
                fi
                local -a hits
                builtin compadd -A hits "$@"
                (( $#hits )) && print -rl -- "${hits[@]}" >> $PROBE_OUT
                builtin compadd "$@"
            }
            probe-complete() {
                zle complete-word
                BUFFER=''
                print -r -- '<<DONE>>'
            }
            zle -N probe-complete
            bindkey '^I' probe-complete
            print -r -- '<<READY>>'
            """#.utf8
        ).write(to: setup)
        let script = #"""
            zmodload zsh/zpty || exit 1
            zpty probe zsh -f -i
            zpty -w probe "source ${(q)PROBE_SETUP}"
            zpty -r probe junk '*<<READY>>*'
            for line in ${(f)PROBE_LINES}; do
                : >| $PROBE_OUT
                zpty -w -n probe "$line"$'\t'
                zpty -r probe junk '*<<DONE>>*'
                print -r -- ${(j: :)${(ou)${(f)"$(<$PROBE_OUT)"}}}
            done
            zpty -d probe
            """#
        var env = environment
        env["PROBE_SETUP"] = setup.path
        env["PROBE_OUT"] = home.appendingPathComponent("candidates").path
        env["PROBE_FPATH"] = Self.completions.path
        check(
            try await shell("/usr/bin/zsh", ["-f", "-c", script], home: home, work: work, environment: env), "zsh",
            optionsWhenNothingElse: true)
    }

    @Test func fish() async throws {
        let (home, environment, work) = try await preparedHome()
        // Found by name on fish_complete_path, as in a vendor_completions.d directory.
        let script = """
            set -p fish_complete_path \(Self.completions.path)
            for line in (string split -n \\n -- $PROBE_LINES)
                echo (complete -C "$line" | string replace -r '\\t.*' '' | string join ' ')
            end
            """
        check(
            try await shell("/usr/bin/fish", ["--no-config", "-c", script], home: home, work: work, environment: environment),
            "fish")
    }

    /// fish and zsh show the template names beside the ids.
    @Test func fishShowsTemplateNames() async throws {
        let (home, environment, work) = try await preparedHome()
        let script = """
            source \(Self.completions.appendingPathComponent("octopods.fish").path)
            complete -C 'octopods send template 100'
            """
        let lines = try await shell("/usr/bin/fish", ["--no-config", "-c", script], home: home, work: work, environment: environment)
        #expect(lines?.first == "1001\torder_update")
        #expect(lines?.contains("1003\tsummer_sale") == true)
    }

    @Test func completionCommandPrintsTheCommittedScripts() async throws {
        for (shell, file) in [("bash", "octopods.bash"), ("zsh", "_octopods"), ("fish", "octopods.fish")] {
            let printed = try await octopods(["completion", shell])
            #expect(printed.status == 0)
            #expect(printed.stdout == (try String(contentsOf: Self.completions.appendingPathComponent(file), encoding: .utf8)))
        }
    }

    @Test func dynamicCompletionIsSilentWithoutKeyOrCache() async throws {
        for environment in [[:], ["OCTOPODS_WHATSAPP_API_KEY": SandboxKeys.whatsapp]] {
            let result = try await octopods(["__complete", "templates"], environment: environment)
            #expect(result.status == 0)
            #expect(result.stdout == "")
            #expect(result.stderr == "")
        }
    }

    @Test func lintersReportNothing() async throws {
        let bash = Self.completions.appendingPathComponent("octopods.bash").path
        let page = Self.manPage.path
        let checks: [(String, [String])] = [
            ("/usr/bin/shellcheck", [bash]),
            ("/usr/bin/groff", ["-man", "-ww", "-z", page]),
            ("/usr/bin/mandoc", ["-Tlint", page]),
            ("/usr/bin/zsh", ["-n", Self.completions.appendingPathComponent("_octopods").path]),
            ("/usr/bin/fish", ["--no-execute", Self.completions.appendingPathComponent("octopods.fish").path]),
        ]
        for (tool, arguments) in checks {
            guard FileManager.default.isExecutableFile(atPath: tool) else {
                Issue.record("\(tool) is not installed (see .ci/run)")
                continue
            }
            let result = try await runTool(
                tool, arguments,
                environment: [
                    "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                    "HOME": scratchDirectory().path,
                ])
            #expect(result.status == 0, "\(tool)")
            #expect(result.output == "", "\(tool)")
        }
    }

    @Test func makeInstallThenUninstall() async throws {
        let stage = scratchDirectory()
        let make = { (arguments: [String]) async throws -> (status: Int32, output: String) in
            try await runTool(
                "/usr/bin/make",
                ["--no-print-directory", "-C", Self.repository.path] + arguments + ["DESTDIR=\(stage.path)", "PREFIX=/usr/local"],
                environment: ["PATH": "/usr/bin:/bin", "HOME": stage.path])
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/make") else {
            Issue.record("make is not installed (see .ci/run)")
            return
        }
        let installed = [
            ("bin/octopods", 0o755), ("share/man/man1/octopods.1", 0o644),
            ("share/bash-completion/completions/octopods", 0o644),
            ("share/zsh/site-functions/_octopods", 0o644),
            ("share/fish/vendor_completions.d/octopods.fish", 0o644),
        ]
        .map { (stage.appendingPathComponent("usr/local/" + $0.0), $0.1) }

        // The release binary links the Swift runtime statically, in its own build directory, and
        // libstdc++ too when there is a libstdc++.a (a directory holding only it comes first in
        // the linker's search); without BINARY, install builds it when it is missing.
        let plan = try await make(["-n", "build", "COMMIT="])
        let build = "swift build -c release --static-swift-stdlib --disable-local-rpath --scratch-path .build-static"
        let staticCXX = plan.output.contains(build + " -Xlinker -L/") && plan.output.hasSuffix("/.build-static/static-libstdc++\n")
        #expect(plan.output.hasSuffix(build + "\n") || staticCXX, "\(plan.output)")
        #expect(plan.output.contains("ln -sf /") == staticCXX, "\(plan.output)")
        // The commit `octopods --version` names reaches the release build as a C define (Sources/CBuildInfo).
        let named = try await make(["-n", "build", "COMMIT=8c3f9765695c"])
        #expect(named.output.hasSuffix(#" -Xcc -DOCTOPODS_COMMIT='"8c3f9765695c"'"# + "\n"), "\(named.output)")
        let missing = try await make(["-n", "install", "SCRATCH=\(stage.path)/no-build"])
        #expect(
            missing.output.contains(
                "swift build -c release --static-swift-stdlib --disable-local-rpath --scratch-path \(stage.path)/no-build"))

        let install = try await make(["install", "BINARY=\(octopodsBinary.path)"])
        #expect(install.status == 0, "\(install.output)")
        #expect(!install.output.contains("swift build"))
        for (url, mode) in installed {
            let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
            #expect((attributes?[.posixPermissions] as? Int) == mode, "\(url.path)")
        }
        #expect(try Data(contentsOf: installed[1].0) == Data(contentsOf: Self.manPage))
        let version = try await runTool(installed[0].0.path, ["--version"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(version.output.hasPrefix("octopods "))

        let man = try await runTool(
            "/usr/bin/man", ["-l", installed[1].0.path],
            environment: [
                "PATH": "/usr/bin:/bin", "HOME": stage.path, "LANG": "C.UTF-8",
                "MANPAGER": "cat", "MANWIDTH": "80",
            ])
        #expect(man.status == 0)
        #expect(man.output.contains("octopods - Send and track WhatsApp, SMS and Viber messages"))
        #expect(man.output.contains("EXIT STATUS"))
        #expect(!man.output.contains("troff:"), "\(man.output)")

        let uninstall = try await make(["uninstall"])
        #expect(uninstall.status == 0, "\(uninstall.output)")
        for (url, _) in installed {
            #expect(!FileManager.default.fileExists(atPath: url.path), "\(url.path)")
        }
    }
}

/// Runs a program off Swift concurrency's threads (as `octopods(...)` does), stdout and
/// stderr together, killed after `timeout` seconds.
func runTool(
    _ executable: String, _ arguments: [String], environment: [String: String], directory: URL? = nil,
    timeout: Double = 30
) async throws -> (status: Int32, output: String) {
    try await offThePool {
        let r = try spawnAndWait(
            executable, arguments, environment: environment, input: Data(), timeout: timeout,
            directory: directory?.path, mergeStderr: true)
        return (r.status, String(decoding: r.stdout, as: UTF8.self))
    }
}
