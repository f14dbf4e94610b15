import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

/// `completion` prints the scripts; `templates list` remembers ids and names; the hidden
/// `__complete` serves them to the scripts without the network, silently.
@Suite struct CompletionCommandTests {
    static let env = ["OCTOPODS_API_KEY": testKey]

    func listed(_ json: String, _ extra: [String] = [], home: URL, environment: [String: String] = env) async -> TestRun {
        await run(
            ["templates", "list"] + extra, environment: environment, transport: FakeTransport(status: 200, json: json),
            home: home)
    }

    func candidates(home: URL, environment: [String: String] = env, _ argv: [String] = ["__complete", "templates"]) async -> String {
        let r = await run(argv, environment: environment, home: home)  // NoNetwork: any request fails the test
        #expect(r.code == .success)
        #expect(r.stderr == "")
        return r.stdout
    }

    @Test(arguments: Completion.Shell.allCases)
    func printsTheScriptWhateverTheOutputFormat(_ shell: Completion.Shell) async {
        for argv in [["completion", shell.rawValue], ["-o", "json", "completion", shell.rawValue]] {
            let r = await run(argv)
            #expect(r.code == .success)
            #expect(r.stdout == shell.script)
            #expect(r.stderr == "")
        }
        let tty = await run(["completion", shell.rawValue], tty: true)
        #expect(tty.stdout == shell.script)
    }

    @Test func unknownShellIsAUsageError() async {
        let r = await run(["completion", "tcsh"])
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: invalid value for <shell>: 'tcsh' is not one of: bash, zsh, fish\n"))
    }

    @Test func templatesListFeedsCompletion() async {
        let home = temporaryDirectory()
        #expect(await candidates(home: home) == "")
        #expect(await listed(templatesJSON, home: home).code == .success)
        // The escape sequence in the second name is neutralised: never raw to a terminal.
        #expect(await candidates(home: home) == "1001\torder_update\n1005\tpromo [2J\n")
        // Keyed by base URL and key: another of either sees nothing.
        #expect(await candidates(home: home, environment: ["OCTOPODS_API_KEY": "another-key-000000000"]) == "")
        #expect(await candidates(home: home, environment: Self.env.merging(["OCTOPODS_BASE_URL": "https://other.example"]) { $1 }) == "")
        #expect(await candidates(home: home, ["--base-url", "https://other.example", "__complete", "templates"]) == "")
        // A trailing slash on the base URL is the same API.
        #expect(
            await candidates(home: home, environment: Self.env.merging(["OCTOPODS_BASE_URL": "https://app.octopods.io/"]) { $1 })
                .hasPrefix("1001\t"))
    }

    @Test func theKeyIsNeverStored() async throws {
        let home = temporaryDirectory()
        _ = await listed(templatesJSON, home: home)
        let directory = home.appendingPathComponent(".cache/octopods/template-lists")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files.count == 1)
        for file in files {
            #expect(!file.contains(testKey))
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains(testKey))
            #expect(AtomicFile.mode(of: directory.appendingPathComponent(file)) == 0o600)
        }
    }

    @Test func filteredListsAddUnfilteredListsReplace() async {
        let home = temporaryDirectory()
        _ = await listed(templatesJSON, home: home)
        let renamed =
            #"[{"template_id":1001,"template_name":"order_update_v2","template_status":"Accepted"},"#
            + #"{"template_id":1010,"template_name":"new_one","template_status":"Accepted"}]"#
        _ = await listed(renamed, ["--status", "accepted"], home: home)
        #expect(await candidates(home: home) == "1001\torder_update_v2\n1005\tpromo [2J\n1010\tnew_one\n")
        _ = await listed(#"[{"template_id":1010,"template_name":"new_one"}]"#, home: home)
        #expect(await candidates(home: home) == "1010\tnew_one\n")
    }

    @Test func viberListsAreNotStored() async {
        let home = temporaryDirectory()
        _ = await listed(templatesJSON, ["--channel", "vbm"], home: home)
        #expect(await candidates(home: home) == "")
    }

    @Test func silentWhateverGoesWrong() async throws {
        let home = temporaryDirectory()
        _ = await listed(templatesJSON, home: home)
        #expect(await candidates(home: home, environment: [:]) == "")  // no key
        #expect(await candidates(home: home, ["--profile", "nope", "__complete", "templates"]) == "")  // bad profile
        #expect(await candidates(home: home, ["__complete", "messages"]) == "")  // unknown name
        #expect(await candidates(home: home, ["__complete"]) == "")
        #expect(await candidates(home: temporaryDirectory()) == "")  // no cache
        let config = home.appendingPathComponent("bad.ini")
        try Data("not ini at all\n".utf8).write(to: config)
        #expect(await candidates(home: home, ["--config", config.path, "__complete", "templates"]) == "")
    }

    @Test func hiddenFromHelp() async {
        let r = await run(["--help"])
        #expect(!r.stdout.contains("__complete"))
        #expect(r.stdout.contains("completion"))
    }
}

@Suite struct CompletionSilenceTests {
    @Test func runnerFailuresStaySilentForTheCompletionHelper() async {
        let r = await run(["__complete", "templates"], environment: ["OCTOPODS_OUTPUT": "yaml"])
        #expect(r.code == .success)
        #expect(r.stdout == "")
        #expect(r.stderr == "")
        let normal = await run(["templates", "list"], environment: ["OCTOPODS_OUTPUT": "yaml"])
        #expect(normal.code == .usage)  // other commands still report it
    }
}
