import Foundation
import Testing
import TestSupport
import OctopodsSandbox
import CLISupport

/// `octopods doctor` through the binary, against the sandbox: one line per check, exit 0 only
/// when every check passes, one request per key through the key's rate budget.
@Suite struct DoctorEndToEndTests {
    /// The checks of a `-o json` run: id → (ok, detail).
    func checks(_ result: ProcessResult) throws -> [String: (ok: Bool, detail: String)] {
        let json = try JSONValue.parse(result.stdout)
        var found: [String: (ok: Bool, detail: String)] = [:]
        for check in json["checks"]?.arrayValue ?? [] {
            found[check["check"]?.stringValue ?? ""] = (check["ok"]?.boolValue ?? false, check["detail"]?.stringValue ?? "")
        }
        return found
    }

    func failed(_ result: ProcessResult) throws -> [String] {
        try checks(result).filter { !$0.value.ok }.map(\.key).sorted()
    }

    @Test func theBuiltInSandboxPassesEveryCheck() async throws {
        let r = try await octopods(["doctor", "--sandbox", "-o", "table"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 13, "\(r.stdout)")
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("✓ ") }, "\(r.stdout)")
        #expect(lines.last == "All 12 checks passed.")
    }

    @Test func aConfiguredSandboxPassesWithOneGETPerKey() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["doctor", "-o", "json"], environment: sandbox.environment)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try failed(r).isEmpty)
        let requests = sandbox.api.recordedRequests().map { "\($0.method) \($0.path)" }
        #expect(requests.sorted() == ["GET /api/v1/sms/messages/0", "GET /api/v1/vbm/templates", "GET /api/v1/whatsapp/templates"])
        #expect(try checks(r)["whatsapp_key"]?.detail.contains("from OCTOPODS_WHATSAPP_API_KEY") == true)
    }

    @Test func aBadKeyFailsItsCheckAndTheExitStatus() async throws {
        let sandbox = try TestSandbox()
        var environment = sandbox.environment
        environment["OCTOPODS_WHATSAPP_API_KEY"] = "not-a-real-key-but-secret-0001"
        let r = try await octopods(["doctor", "-o", "table"], environment: environment)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let line = try #require(r.stdout.split(separator: "\n").firstIndex { $0.hasPrefix("✗ WhatsApp key") })
        let lines = r.stdout.split(separator: "\n")
        #expect(lines[line + 1].contains("→ "), "a failed check says what to do: \(r.stdout)")
        #expect(r.stdout.contains("✓ SMS key") && r.stdout.contains("✓ Viber (VBM) key"), "\(r.stdout)")
        #expect(r.stdout.hasSuffix("1 of 12 checks failed.\n"), "\(r.stdout)")
    }

    /// A 429 put the key's budget in a cool-down: doctor says until when and sends nothing with
    /// that key (the other keys are still checked).
    @Test func aCoolDownInForceIsReportedAndNothingIsSentWithThatKey() async throws {
        let sandbox = try TestSandbox(rateLimit: SandboxRateLimit(count: 1, window: 300), cooldown: 600)
        let home = scratchDirectory()
        #expect(try await octopods(["templates", "list"], environment: sandbox.environment, home: home).status == 0)
        #expect(try await octopods(["templates", "list"], environment: sandbox.environment, home: home).status == 4)
        let before = sandbox.api.recordedRequests().filter { $0.path.hasPrefix("/api/v1/whatsapp/") }.count
        let r = try await octopods(["doctor", "--json"], environment: sandbox.environment, home: home)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(try failed(r) == ["whatsapp_key", "whatsapp_rate_budget"])
        let budget = try #require(try checks(r)["whatsapp_rate_budget"])
        #expect(budget.detail.hasPrefix("a cool-down after an HTTP 429 is in force until 20"), "\(budget.detail)")
        #expect(budget.detail.contains(" UTC ("), "\(budget.detail)")
        #expect(sandbox.api.recordedRequests().filter { $0.path.hasPrefix("/api/v1/whatsapp/") }.count == before)
    }

    /// A rate budget shared in a Redis that cannot be reached: each key's budget check fails with
    /// what to do, and no key is sent with (as any command would not).
    @Test func anUnreachableStateStoreFailsAndSendsNothing() async throws {
        let sandbox = try TestSandbox()
        let refusing = try RefusingPort()
        var environment = sandbox.environment
        environment["OCTOPODS_STATE_STORE"] = "redis://127.0.0.1:\(refusing.port)"
        let r = try await octopods(["doctor", "-o", "json"], environment: environment)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(try failed(r) == ["sms_key", "sms_rate_budget", "vbm_key", "vbm_rate_budget", "whatsapp_key", "whatsapp_rate_budget"])
        #expect(
            try checks(r)["sms_rate_budget"]?.detail.contains("the state store shared with other machines cannot be used") == true,
            "\(r.stdout)")
        #expect(r.stdout.contains("--state-store local"), "\(r.stdout)")
        #expect(sandbox.api.recordedRequests().isEmpty)
    }

    @Test func aGroupReadableConfigFileFails() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let directory = home.appendingPathComponent(".config/octopods")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("config")
        #expect(
            FileManager.default.createFile(
                atPath: config.path, contents: Data("[default]\nrate = 55/10s\n".utf8),
                attributes: [.posixPermissions: 0o640]))
        let r = try await octopods(["doctor", "-o", "table"], environment: sandbox.environment, home: home)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("✗ config file "), "\(r.stdout)")
        #expect(r.stdout.contains("run: chmod 600 \(config.path)"), "\(r.stdout)")
        #expect(r.stderr.isEmpty, "the finding is a line of the report, not a warning too: \(r.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config.path)
        let fixed = try await octopods(["doctor", "-o", "json"], environment: sandbox.environment, home: home)
        #expect(fixed.status == 0, "\(fixed.stdout)")
    }

    /// The sandbox's Date header tells its clock; a machine 10 minutes behind it is told so.
    @Test func aClockFarFromTheAPIsFails() async throws {
        let clock = TestClock()
        clock.advance(600)
        let sandbox = try TestSandbox(clock: clock)
        let r = try await octopods(["doctor", "-o", "json"], environment: sandbox.environment)
        #expect(r.status == 1)
        #expect(try failed(r) == ["clock"])
        // 10 minutes, less the run's own time and the header's whole seconds.
        let detail = try #require(try checks(r)["clock"]?.detail)
        #expect(
            (detail.hasPrefix("10m ") || detail.hasPrefix("9m 5")) && detail.hasSuffix(" behind the API's (its Date header)"), "\(detail)")
    }
}
