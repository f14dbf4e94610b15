import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct ConfigCommandTests {
    let secret = "wa-secret-key-abcdef123456"

    @Test func setFromStdinWritesPrivateFile() async throws {
        let home = temporaryDirectory()
        let r = await run(["config", "set", "whatsapp_api_key"], environment: [:], stdin: secret + "\n", home: home)
        #expect(r.code == .success)
        #expect(r.stdout == "")
        #expect(!r.stderr.contains(secret))
        #expect(r.stderr.contains("Saved whatsapp_api_key (****3456) to [default]"))
        let url = home.appendingPathComponent(".config/octopods/config")
        #expect(try String(contentsOf: url, encoding: .utf8) == "[default]\nwhatsapp_api_key = \(secret)\n")
        #expect(AtomicFile.mode(of: url) == 0o600)
        #expect(AtomicFile.mode(of: url.deletingLastPathComponent()) == 0o700)

        let list = await run(["config", "list", "-o", "table"], environment: [:], home: home)
        #expect(!list.stdout.contains(secret))
        #expect(list.stdout.contains("whatsapp_api_key  ****3456"))
        #expect(list.stdout.contains("config [default]"))
        let get = await run(["config", "get", "whatsapp_api_key", "-o", "table"], environment: [:], home: home)
        #expect(get.stdout == "****3456\n")
    }

    @Test func hiddenPromptOnATerminal() async throws {
        let home = temporaryDirectory()
        let r = await run(
            ["--profile", "staging", "config", "set", "sms_api_key"], environment: [:], stdinIsTTY: true,
            secret: "sms-typed-key-0000", home: home)
        #expect(r.code == .success)
        let text = try String(contentsOf: home.appendingPathComponent(".config/octopods/config"), encoding: .utf8)
        #expect(text == "[staging]\nsms_api_key = sms-typed-key-0000\n")
    }

    @Test func keyNeverOnTheCommandLine() async {
        let r = await run(["config", "set", "whatsapp_api_key", secret], environment: [:])
        #expect(r.code == .usage)
        #expect(!r.stderr.contains(secret))
        #expect(r.stderr.hasPrefix("error: an API key is never accepted on the command line"))
    }

    @Test func emptyStdinRefused() async {
        let r = await run(["config", "set", "vbm_api_key"], environment: [:], stdin: "  \n")
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: no value for vbm_api_key on standard input\n"))
    }

    @Test func baseURLAsArgumentValidated() async throws {
        let home = temporaryDirectory()
        let bad = await run(["config", "set", "base_url", "http://example.com"], environment: [:], home: home)
        #expect(bad.code == .usage)
        let good = await run(["config", "set", "base_url", "https://example.com"], environment: [:], home: home)
        #expect(good.code == .success)
        let get = await run(["config", "get", "base_url", "--json"], environment: [:], home: home)
        #expect(get.stdout == #"{"key":"base_url","value":"https://example.com","source":"config [default]"}"# + "\n")
        let unset = await run(["config", "unset", "base_url"], environment: [:], home: home)
        #expect(unset.code == .success)
        let after = await run(["config", "get", "base_url", "-o", "table"], environment: [:], home: home)
        #expect(after.stdout == "https://app.octopods.io\n")
    }

    @Test func unknownSettingSuggests() async {
        let r = await run(["config", "set", "whatsap_api_key"], environment: [:])
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: invalid value for <key>: 'whatsap_api_key' is not one of:"))
    }

    @Test func pathHonoursPrecedence() async {
        let r = await run(["config", "path", "-o", "table"], environment: ["OCTOPODS_CONFIG": "/tmp/x/octo.ini"])
        #expect(r.stdout == "/tmp/x/octo.ini\n")
        let flag = await run(["--config", "/tmp/y", "config", "path", "-o", "table"], environment: ["OCTOPODS_CONFIG": "/tmp/x"])
        #expect(flag.stdout == "/tmp/y\n")
        let xdg = await run(["config", "path", "-o", "table"], environment: ["XDG_CONFIG_HOME": "/tmp/xdg"])
        #expect(xdg.stdout == "/tmp/xdg/octopods/config\n")
    }

    @Test func getAndPathPrintBareValuesWhenPiped() async {
        // Not a terminal and no -o: the bare value, so $(octopods config path) is a path.
        let path = await run(["config", "path"], environment: ["OCTOPODS_CONFIG": "/tmp/x/octo.ini"])
        #expect(path.stdout == "/tmp/x/octo.ini\n")
        let get = await run(["config", "get", "base_url"], environment: [:])
        #expect(get.stdout == "https://app.octopods.io\n")
        // JSON only when asked for.
        let json = await run(["config", "path", "-o", "json"], environment: ["OCTOPODS_CONFIG": "/tmp/x/octo.ini"])
        #expect(json.stdout == #"{"path":"/tmp/x/octo.ini"}"# + "\n")
    }

    @Test func listShowsTheConfigPathWhole() async {
        let long = "/tmp/" + String(repeating: "deeply/nested/", count: 8) + "config"
        let r = await run(["config", "list", "-o", "table"], environment: ["OCTOPODS_CONFIG": long])
        #expect(r.stdout.contains("\n  \(long)\n"))
    }

    @Test func masking() {
        #expect(ConfigCommand.mask("abcdefghijklmnop") == "****mnop")
        #expect(ConfigCommand.mask("short") == "****")
    }
}
