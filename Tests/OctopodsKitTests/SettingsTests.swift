import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct ConfigDocumentTests {
    @Test func parsesAndKeepsLines() throws {
        let text = """
            # my keys
            [default]
            whatsapp_api_key = "wa-default"
            base_url=https://app.octopods.io

            [staging]
            ; staging
            sms_api_key = sms-staging
            """
        var doc = try ConfigDocument.parse(text)
        #expect(doc.profiles == ["default", "staging"])
        #expect(doc.value("whatsapp_api_key", profile: "default") == "wa-default")
        #expect(doc.value("base_url", profile: "default") == "https://app.octopods.io")
        #expect(doc.value("sms_api_key", profile: "staging") == "sms-staging")
        #expect(doc.value("sms_api_key", profile: "default") == nil)
        doc.set("vbm_api_key", "vbm-default", profile: "default")
        doc.set("sms_api_key", "sms-2", profile: "staging")
        doc.set("base_url", "https://x.test", profile: "prod")
        #expect(
            doc.text == """
                # my keys
                [default]
                whatsapp_api_key = wa-default
                base_url = https://app.octopods.io
                vbm_api_key = vbm-default

                [staging]
                ; staging
                sms_api_key = sms-2

                [prod]
                base_url = https://x.test

                """)
        let removed = doc.unset("sms_api_key", profile: "staging")
        let removedAgain = doc.unset("sms_api_key", profile: "staging")
        #expect(removed)
        #expect(!removedAgain)
        #expect(try ConfigDocument.parse(doc.text) == doc)
    }

    /// Found by the config fuzzer: "\r\n" is one Character, so a CRLF file once parsed as one line.
    @Test func windowsLineEndings() throws {
        var doc = try ConfigDocument.parse(
            "# edited on Windows\r\n[default]\r\nsms_api_key = k1\r\n\r\n[prod]\r\nbase_url=https://x.example\r\n")
        #expect(doc.value("sms_api_key", profile: "default") == "k1")
        #expect(doc.value("base_url", profile: "prod") == "https://x.example")
        doc.set("vbm_api_key", "k2", profile: "prod")
        #expect(try ConfigDocument.parse(doc.text).value("vbm_api_key", profile: "prod") == "k2")
        #expect(throws: ConfigDocument.ParseError(line: 2, message: "expected '[profile]' or 'key = value'")) {
            try ConfigDocument.parse("[a]\r\nwords\r\n")
        }
    }

    @Test(arguments: [
        ("key = v", 1, "'key' comes before any [profile] section"),
        ("[default]\njust words", 2, "expected '[profile]' or 'key = value'"),
        ("[default\nk=v", 1, "a section header must look like [profile]"),
        ("[ ]", 1, "the profile name is empty"),
        ("[a]\n= v", 2, "a setting has no name before '='"),
    ])
    func errorsNameTheLine(_ text: String, _ line: Int, _ message: String) {
        #expect(throws: ConfigDocument.ParseError(line: line, message: message)) { try ConfigDocument.parse(text) }
    }
}

@Suite struct SettingsTests {
    func context(
        _ env: [String: String], config: String? = nil, globals: GlobalOptions = GlobalOptions(),
        mode: Int = 0o600
    ) -> Context {
        let home = temporaryDirectory()
        if let config {
            let url = home.appendingPathComponent(".config/octopods/config")
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: url.path, contents: Data(config.utf8), attributes: [.posixPermissions: mode])
        }
        var (ctx, _, _) = makeContext(environment: env, home: home)
        ctx.globals = globals
        return ctx
    }

    let file = """
        [default]
        whatsapp_api_key = wa-file-key-000000
        sms_api_key = sms-file-key-000000
        base_url = https://file.example.com
        [other]
        vbm_api_key = vbm-other-key-00000
        """

    @Test func precedence() throws {
        // Environment beats the file; the channel variable beats the fallback.
        var s = try Settings.resolve(context(["OCTOPODS_WHATSAPP_API_KEY": "wa-env", "OCTOPODS_API_KEY": "fallback"], config: file))
        #expect(s.keys[.whatsapp] == SourcedValue(value: "wa-env", source: "OCTOPODS_WHATSAPP_API_KEY"))
        #expect(s.keys[.sms] == SourcedValue(value: "fallback", source: "OCTOPODS_API_KEY"))
        #expect(s.keys[.vbm] == SourcedValue(value: "fallback", source: "OCTOPODS_API_KEY"))
        #expect(s.baseURL == SourcedValue(value: "https://file.example.com", source: "config [default]"))
        // The file alone.
        s = try Settings.resolve(context([:], config: file))
        #expect(s.keys[.sms] == SourcedValue(value: "sms-file-key-000000", source: "config [default]"))
        #expect(s.keys[.vbm] == nil)
        // Flag beats environment beats file beats default for the base URL.
        var globals = GlobalOptions()
        globals.baseURL = "http://127.0.0.1:9"
        s = try Settings.resolve(context(["OCTOPODS_BASE_URL": "https://env.example.com"], config: file, globals: globals))
        #expect(s.baseURL == SourcedValue(value: "http://127.0.0.1:9", source: "--base-url"))
        s = try Settings.resolve(context(["OCTOPODS_BASE_URL": "https://env.example.com"], config: file))
        #expect(s.baseURL.source == "OCTOPODS_BASE_URL")
        s = try Settings.resolve(context([:]))
        #expect(s.baseURL == SourcedValue(value: "https://app.octopods.io", source: "default"))
    }

    @Test func profiles() throws {
        var globals = GlobalOptions()
        globals.profile = "other"
        let s = try Settings.resolve(context(["OCTOPODS_PROFILE": "default"], config: file, globals: globals))
        #expect(s.profile == SourcedValue(value: "other", source: "--profile"))
        #expect(s.keys[.vbm]?.value == "vbm-other-key-00000")
        #expect(s.keys[.whatsapp] == nil)
        #expect(try Settings.resolve(context(["OCTOPODS_PROFILE": "other"], config: file)).profile.source == "OCTOPODS_PROFILE")
        globals.profile = "typo"
        #expect(throws: OctopodsError.self) { try Settings.resolve(context([:], config: file, globals: globals)) }
    }

    @Test func explicitProfileWinsOverTheEnvironment() throws {
        var globals = GlobalOptions()
        globals.profile = "default"
        let env = ["OCTOPODS_SMS_API_KEY": "sms-env", "OCTOPODS_API_KEY": "fallback", "OCTOPODS_BASE_URL": "https://env.example.com"]
        let s = try Settings.resolve(context(env, config: file, globals: globals))
        #expect(s.keys[.sms] == SourcedValue(value: "sms-file-key-000000", source: "config [default]"))
        #expect(s.baseURL == SourcedValue(value: "https://file.example.com", source: "config [default]"))
        // What the profile does not set still comes from the environment.
        #expect(s.keys[.vbm] == SourcedValue(value: "fallback", source: "OCTOPODS_API_KEY"))
        #expect(
            s.warnings == [
                "--profile default wins over the environment: ignoring OCTOPODS_BASE_URL, OCTOPODS_SMS_API_KEY, OCTOPODS_API_KEY (for whatsapp)"
            ])
        // Without --profile the environment wins, silently.
        let plain = try Settings.resolve(context(env, config: file))
        #expect(plain.keys[.sms]?.source == "OCTOPODS_SMS_API_KEY")
        #expect(plain.warnings.isEmpty)
    }

    @Test func missingKeyNamesTheFix() throws {
        let s = try Settings.resolve(context([:], config: file))
        do {
            _ = try s.key(.vbm)
            Issue.record("expected an error")
        } catch {
            guard case .configuration(let message, let hint) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("OCTOPODS_VBM_API_KEY is not set"))
            #expect(hint?.contains("octopods config set vbm_api_key") == true)
        }
    }

    @Test(
        arguments: [
            ("https://app.octopods.io", nil),
            ("http://127.0.0.1:4747", nil),
            ("http://localhost:1", nil),
            ("http://[::1]:8080", nil),
            ("http://app.octopods.io", "plain http is allowed only for loopback hosts; use https"),
            ("http://127.0.0.1.evil.com", "plain http is allowed only for loopback hosts; use https"),
            ("ftp://x", "the scheme must be https"),
            ("app.octopods.io", "not an absolute URL (e.g. https://app.octopods.io)"),
            ("https://x.test/?a=1", "it must not have a query or fragment"),
        ] as [(String, String?)])
    func baseURLRules(_ url: String, _ problem: String?) {
        #expect(BaseURL.problem(url) == problem)
    }

    @Test func badConfigIsAConfigurationError() {
        #expect(throws: OctopodsError.self) { try Settings.resolve(context([:], config: "oops")) }
    }

    @Test func warnings() throws {
        let s = try Settings.resolve(context([:], config: "[default]\nwhatsap_api_key = x\n", mode: 0o644))
        #expect(s.warnings.count == 2)
        #expect(s.warnings[0].contains("readable by other users (mode 644); run: chmod 600"))
        #expect(s.warnings[1].hasSuffix("unknown setting 'whatsap_api_key' in [default]; did you mean 'whatsapp_api_key'?"))
    }
}
