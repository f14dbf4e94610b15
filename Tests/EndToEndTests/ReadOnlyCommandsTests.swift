import Foundation
import Testing
import TestSupport
import OctopodsSandbox

/// The built binary against the sandbox over real HTTP on loopback.
@Suite struct ReadOnlyCommandsTests {
    @Test func templatesListAsJSONWhenPiped() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["templates", "list", "--status", "accepted"], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stderr == "")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(!items.isEmpty)
        #expect(items.allSatisfy { ($0["template_status"] as? String) == "Accepted" })
        #expect(items.contains { ($0["template_name"] as? String) == "order_update" })
    }

    @Test func templatesListTableAndVBM() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["templates", "list", "--channel", "vbm", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("ID  "))
        #expect(r.stdout.contains("vbm_welcome"))
        #expect(r.stdout.contains("header image URL"))
    }

    @Test func templatesGet() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["templates", "get", "1001", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("order_update (1001)\n"))
        #expect(r.stdout.contains("needs: 2 variables (--var 1=… --var 2=…)"))
        let json = try await octopods(["templates", "get", "1001", "--json"], environment: sandbox.environment)
        #expect(json.stdout.hasPrefix(#"{"#))
    }

    /// The README's seeded messages exist whatever keys the sandbox has: `--sandbox` keeps random
    /// keys in its state file, and the seeds belong to each key's role, not its value.
    @Test func seededMessagesExistWithTheSandboxsOwnKeys() async throws {
        let home = scratchDirectory()
        let r = try await octopods(["--sandbox", "status", "3851834", "-o", "json"], environment: [:], home: home)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""message_id":"3851834""#), "\(r.stdout)")
        let sms = try await octopods(["--sandbox", "status", "4829174", "--channel", "sms", "-o", "json"], environment: [:], home: home)
        #expect(sms.status == 0, "\(sms.stderr)")
    }

    @Test func templatesGetNamesTheFooterFlag() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["templates", "get", "1002", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stdout.contains("FOOTER\n  Booking ref {{1}}\n  needs: 1 variable (--footer-var VALUE, in order)\n"))
    }

    @Test func renderWarnsAboutEveryMissingSection() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["templates", "render", "1002", "--var", "1=Jane"], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(
            r.stderr.contains(
                "needs 1 header variable; got 0 (--header-var), and 3 body variables; got 1 (--var), and 1 footer variable; got 0 (--footer-var)"
            ),
            "\(r.stderr)")
    }

    @Test func inactiveTemplateIsNotShownAsPlainAccepted() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["templates", "list", "--active", "false", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 0)
        let line = try #require(r.stdout.split(separator: "\n").first { $0.contains("legacy_newsletter") })
        #expect(line.contains("Accepted (inactive)"))
    }

    @Test func unknownTemplateIsA400WithErrorCode() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["templates", "get", "999999", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 1)
        #expect(r.stdout == "")
        #expect(r.stderr.hasPrefix("error: the API rejected the request (HTTP 400)\n"))
        #expect(r.stderr.contains("  TEMPLATE_NOT_EXIST (3)\n"))
        #expect(r.stderr.contains("  request_id: "))
        #expect(r.stderr.contains("hint: Check the id with 'octopods templates list'"))
        let json = try await octopods(["templates", "get", "999999", "--json"], environment: sandbox.environment)
        #expect(json.stderr.contains(#""kind":"api","message":"the API rejected the request (HTTP 400)","error_code":3,"#))
    }

    @Test func statusAndMessagesAfterASend() async throws {
        let sandbox = try TestSandbox()
        let empty = try await octopods(["messages", "list", "-o", "table"], environment: sandbox.environment)
        #expect(empty.status == 0)
        #expect(empty.stdout == "")
        #expect(empty.stderr == "No messages sent with this key yet.\n")
        let id = try #require(
            sandbox.sendDirectly(
                path: "/api/v1/whatsapp/templates/1007/messages", key: SandboxKeys.whatsapp,
                body: #"{"destination_phone":"+14155552671"}"#))
        let status = try await octopods(["status", id, "-o", "table"], environment: sandbox.environment)
        #expect(status.status == 0)
        #expect(status.stdout.hasPrefix("Message \(id): sent\n"))
        #expect(status.stdout.contains("Phone:         +14155552671"))
        let list = try await octopods(["messages", "list", "--limit", "5", "-o", "ndjson"], environment: sandbox.environment)
        #expect(list.status == 0)
        #expect(list.stdout.split(separator: "\n").count == 1)
        #expect(list.stdout.contains(#""message_id":"\#(id)""#))

        let smsID = try #require(
            sandbox.sendDirectly(
                path: "/api/v1/sms/messages", key: SandboxKeys.sms,
                body: #"{"destination_phone":"+14155552671","body":"hi"}"#))
        let sms = try await octopods(["status", smsID, "--channel", "sms", "--json"], environment: sandbox.environment)
        #expect(sms.status == 0)
        #expect(sms.stdout.contains(#""status":"queued""#))
    }

    @Test func unauthorized() async throws {
        let sandbox = try TestSandbox()
        var env = sandbox.environment
        env["OCTOPODS_WHATSAPP_API_KEY"] = "not-a-real-key-but-secret-0001"
        let r = try await octopods(["templates", "list"], environment: env)
        #expect(r.status == 3)
        #expect(r.stderr.hasPrefix("error: unauthorized: the WhatsApp API key was refused (401)\n"))
        env["OCTOPODS_WHATSAPP_API_KEY"] = SandboxKeys.revoked
        let revoked = try await octopods(["messages", "list", "-o", "table"], environment: env)
        #expect(revoked.status == 3)
        #expect(revoked.stderr.hasPrefix("error: the WhatsApp API key is deprecated (rotated or revoked)\n"))
        #expect(revoked.stderr.contains("DEPRECATED_API_KEY (6)"))
    }

    @Test func rateLimited() async throws {
        // A window long enough that a loaded test run cannot spread the three requests past it.
        let sandbox = try TestSandbox(rateLimit: SandboxRateLimit(count: 2, window: 300))
        for _ in 0..<2 { try await octopods(["templates", "list"], environment: sandbox.environment) }
        let r = try await octopods(["templates", "list", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 4)
        #expect(r.stderr.hasPrefix("error: rate limited until "))
        #expect(r.stderr.contains("UTC (in 5m"))
    }

    @Test func connectionRefused() async throws {
        let refusing = try RefusingPort()
        let port = refusing.port
        defer { withExtendedLifetime(refusing) {} }
        let r = try await octopods(
            ["templates", "list", "-o", "table"],
            environment: ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(port)", "OCTOPODS_API_KEY": "not-a-real-key-but-secret-0001"])
        #expect(r.status == 4)
        #expect(r.stderr.hasPrefix("error: could not connect to http://127.0.0.1:\(port)"))
    }

    @Test func verboseTraceRedacts() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["-v", "templates", "list", "--lang", "pt"], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stderr.contains("> GET \(sandbox.url)/api/v1/whatsapp/templates?lang=pt\n"))
        #expect(r.stderr.contains("> X-Octopods-Auth: [redacted]\n"))
        #expect(r.stderr.contains("< HTTP 200"))
    }

    @Test func noKeyNamesTheFix() async throws {
        let r = try await octopods(["messages", "list"], environment: ["OCTOPODS_BASE_URL": "http://127.0.0.1:9"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("OCTOPODS_WHATSAPP_API_KEY is not set"))
        #expect(
            r.stderr.contains(
                "hint: export OCTOPODS_WHATSAPP_API_KEY=..., or store it once with: printf %s \"$KEY\" | octopods config set whatsapp_api_key"
            ))
    }
}

@Suite struct ConfigAndSandboxModeTests {
    @Test func configSetThenUse() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let set = try await octopods(["config", "set", "whatsapp_api_key"], stdin: SandboxKeys.whatsapp, home: home)
        #expect(set.status == 0)
        try await octopods(["config", "set", "base_url", sandbox.url], home: home)
        let list = try await octopods(["templates", "list", "-o", "table"], home: home)
        #expect(list.status == 0)
        #expect(list.stdout.contains("order_update"))
        let config = try await octopods(["config", "list", "--json"], home: home)
        #expect(config.stdout.contains(#"{"key":"whatsapp_api_key","value":"****-key","source":"config [default]"}"#))
        let file = home.appendingPathComponent(".config/octopods/config")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func sandboxFlagNeedsNoSetup() async throws {
        let home = scratchDirectory()
        let r = try await octopods(["--sandbox", "templates", "list", "-o", "table"], home: home)
        #expect(r.status == 0)
        #expect(r.stdout.contains("order_update"))
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent(".local/state/octopods/sandbox.json").path))
        let conflict = try await octopods(["--sandbox", "--base-url", "https://x.test", "templates", "list"], home: home)
        #expect(conflict.status == 2)
    }

    @Test func sandboxServesUntilInterrupted() async throws {
        let home = scratchDirectory()
        let state = home.appendingPathComponent("state.json"), log = home.appendingPathComponent("requests.ndjson")
        // --reset must get past a corrupt state file (one the sandbox wrote, damaged later).
        try Data(#"{"version":1,"nextMessageID":100001,"messages":[oops"#.utf8).write(to: state)
        let output = try pipePair(), errors = try pipePair()
        let process = try Child(
            octopodsBinary.path,
            [
                "sandbox", "--port", "0", "--state", state.path, "--reset", "--log", log.path,
                "--rate-limit", "2/1m",
            ],
            environment: ["HOME": home.path, "PATH": "/usr/bin:/bin"], stdout: output.write, stderr: errors.write)
        close(output.write)
        close(errors.write)
        defer { process.terminate(); close(output.read) }
        // The first line on stdout is the base URL; then the state's own key, as the banner on
        // stderr prints it (and the state file keeps it).
        let (line, bannerStart) = try await offThePool {
            (
                readUntil(output.read) { $0.last == 0x0A },
                readUntil(errors.read) { String(decoding: $0, as: UTF8.self).contains("Rate limit:") }
            )
        }
        let url = String(decoding: line.dropLast(), as: UTF8.self)
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let key =
            String(decoding: bannerStart, as: UTF8.self).split(separator: "\n")
            .first { $0.contains("export OCTOPODS_WHATSAPP_API_KEY=") }.map { String($0.split(separator: "=").last ?? "") } ?? ""
        #expect(key.hasPrefix("sandbox-whatsapp-key-"))
        let r = try await octopods(
            ["templates", "list", "-o", "table"],
            environment: ["OCTOPODS_BASE_URL": url, "OCTOPODS_WHATSAPP_API_KEY": key])
        #expect(r.status == 0)
        let limited = try await octopods(["templates", "list"], environment: ["OCTOPODS_BASE_URL": url, "OCTOPODS_WHATSAPP_API_KEY": key])
        let third = try await octopods(["templates", "list"], environment: ["OCTOPODS_BASE_URL": url, "OCTOPODS_WHATSAPP_API_KEY": key])
        #expect(limited.status == 0)
        #expect(third.status == 4)  // --rate-limit 2/1m
        kill(process.processIdentifier, SIGINT)
        let rest = try await offThePool { () -> Data in
            let data = readAllAndClose(errors.read)
            process.waitUntilExit()
            return data
        }
        #expect(process.terminationStatus == 0)
        let banner = String(decoding: bannerStart + rest, as: UTF8.self)
        #expect(banner.contains("export OCTOPODS_WHATSAPP_API_KEY=sandbox-whatsapp-key-"))
        #expect(banner.contains("Sandbox stopped; state saved"))
        #expect(banner.contains("Rate limit: 2 requests per 1m per key"))
        let logged = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(logged.count == 3)
        #expect(logged.first?.contains(#""path":"/api/v1/whatsapp/templates""#) == true)
        #expect(logged.first?.contains(#""key":"sandbox-whatsapp-key""#) == true)
        #expect((try? Data(contentsOf: state)).flatMap { try? JSONSerialization.jsonObject(with: $0) } != nil)
    }

    @Test func helpAndVersionWorkWithoutAnything() async throws {
        let v = try await octopods(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.hasPrefix("octopods "))
        let h = try await octopods(["help", "templates", "list"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("USAGE\n  octopods templates list [options]"))
        let bad = try await octopods(["templates", "lst"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("Did you mean 'list'?"))
    }
}
