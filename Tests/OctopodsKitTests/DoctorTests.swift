import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

/// `octopods doctor` and `octopods --version`, with a fake transport (the end-to-end cases are in
/// Tests/EndToEndTests/DoctorTests.swift).
@Suite struct DoctorTests {
    /// The API's answers: 200 with a Date header `skew` seconds off this test's clock.
    static func api(status: Int = 200, skew: Double = 0, body: String = "[]") -> FakeTransport {
        let date = Date(timeIntervalSince1970: fixedNow.timeIntervalSince1970 + skew)
        return FakeTransport { _ in
            .success(
                HTTPResponse(
                    status: status, headers: ["Content-Type": "application/json", "Date": Self.imf(date)],
                    body: Data(body.utf8)))
        }
    }

    static func imf(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    static func checks(_ stdout: String) throws -> [(id: String, ok: Bool, detail: String)] {
        let json = try JSONValue.parse(stdout)
        return (json["checks"]?.arrayValue ?? []).map {
            ($0["check"]?.stringValue ?? "", $0["ok"]?.boolValue ?? false, $0["detail"]?.stringValue ?? "")
        }
    }

    @Test func everyCheckPassesWithAnAcceptedKeyAndOneRequestPerKey() async throws {
        let transport = Self.api()
        let r = await run(["doctor"], environment: ["OCTOPODS_WHATSAPP_API_KEY": testKey], transport: transport)
        #expect(r.code == .success, "\(r.stdout)\(r.stderr)")
        let checks = try Self.checks(r.stdout)
        #expect(
            checks.map(\.id) == [
                "config_file", "state_directory", "base_url", "libcurl", "tls_trust_store",
                "whatsapp_rate_budget", "whatsapp_key", "clock",
            ])
        #expect(checks.allSatisfy { $0.ok }, "\(r.stdout)")
        #expect(transport.requests.map { "\($0.method) \($0.url.path)" } == ["GET /api/v1/whatsapp/templates"])
        #expect(!r.stdout.contains(testKey))
    }

    @Test func aRefusedKeyFailsWithWhatToDo() async throws {
        let r = await run(
            ["doctor", "-o", "table"], environment: ["OCTOPODS_SMS_API_KEY": testKey],
            transport: Self.api(status: 401, body: ""))
        #expect(r.code == .rejected)
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("✗ SMS key") })
        #expect(line.contains("GET /api/v1/sms/messages/0"), "\(r.stdout)")
        #expect(line.contains("from OCTOPODS_SMS_API_KEY"), "\(r.stdout)")
        #expect(r.stdout.contains("→ "), "\(r.stdout)")
        #expect(r.stdout.hasSuffix("1 of 8 checks failed.\n"), "\(r.stdout)")
    }

    /// SMS has no list: its probe looks up an id that does not exist, and a valid key gets "not
    /// found" (400); a rotated key gets DEPRECATED_API_KEY (code 5), also a 400.
    @Test func anSMSKeyIsAcceptedByItsNotFoundAndRefusedWhenRotated() async throws {
        let notFound = await run(
            ["doctor"], environment: ["OCTOPODS_SMS_API_KEY": testKey],
            transport: Self.api(status: 400, body: #"{"error_code":1,"error":"Message not found."}"#))
        #expect(notFound.code == .success, "\(notFound.stdout)")
        let rotated = await run(
            ["doctor"], environment: ["OCTOPODS_SMS_API_KEY": testKey],
            transport: Self.api(status: 400, body: #"{"error_code":5,"error":"Deprecated API Key."}"#))
        #expect(rotated.code == .rejected)
        let key = try #require(try Self.checks(rotated.stdout).first { $0.id == "sms_key" })
        #expect(!key.ok && key.detail.contains("deprecated (rotated or revoked)"), "\(key.detail)")
    }

    @Test func aClockOffByMoreThanHalfAMinuteFails() async throws {
        let ahead = await run(["doctor"], environment: ["OCTOPODS_WHATSAPP_API_KEY": testKey], transport: Self.api(skew: -300))
        #expect(ahead.code == .rejected)
        let clock = try #require(try Self.checks(ahead.stdout).first { $0.id == "clock" })
        #expect(!clock.ok && clock.detail == "5m ahead of the API's (its Date header)", "\(clock.detail)")
        let close = await run(["doctor"], environment: ["OCTOPODS_WHATSAPP_API_KEY": testKey], transport: Self.api(skew: 20))
        #expect(close.code == .success, "\(close.stdout)")
    }

    @Test func noKeyAtAllIsAFailureAndNothingIsSent() async throws {
        let r = await run(["doctor"], environment: [:])
        #expect(r.code == .rejected)
        let keys = try #require(try Self.checks(r.stdout).first { $0.id == "api_keys" })
        #expect(!keys.ok)
    }

    @Test func settingsThatCannotBeResolvedAreTheFinding() async throws {
        let r = await run(["doctor"], environment: ["OCTOPODS_BASE_URL": "http://example.com", "OCTOPODS_API_KEY": testKey])
        #expect(r.code == .rejected)
        let checks = try Self.checks(r.stdout)
        #expect(checks.first?.id == "settings" && checks.first?.ok == false)
        #expect(checks.first?.detail.contains("plain http is allowed only for loopback hosts") == true, "\(r.stdout)")
    }

    /// A value the config file sets that octopods does not understand is a finding too; that
    /// --profile wins over the environment is not.
    @Test func aConfigValueNotUnderstoodFails() async throws {
        let home = temporaryDirectory()
        let directory = home.appendingPathComponent(".config/octopods")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("config")
        #expect(
            FileManager.default.createFile(
                atPath: config.path, contents: Data("[work]\nrate = fast\n".utf8),
                attributes: [.posixPermissions: 0o600]))
        let r = await run(
            ["--profile", "work", "doctor"], environment: ["OCTOPODS_WHATSAPP_API_KEY": testKey],
            transport: Self.api(), home: home)
        #expect(r.code == .rejected)
        let findings = try Self.checks(r.stdout).filter { !$0.ok }
        #expect(findings.map(\.id) == ["config_file"], "\(r.stdout)")
        #expect(findings.first?.detail.contains("rate = 'fast' in [work] is not N/DURATION") == true, "\(r.stdout)")
        #expect(r.stderr.isEmpty, "\(r.stderr)")
    }

    @Test func aStateDirectoryOthersCanWriteFails() throws {
        let directory = temporaryDirectory()
        chmod(directory.path, 0o777)
        let check = Doctor.stateDirectory(directory)
        #expect(!check.ok && check.fix == "chmod 700 \(directory.path)")
        chmod(directory.path, 0o700)
        #expect(Doctor.stateDirectory(directory).ok)
        #expect(Doctor.stateDirectory(directory.appendingPathComponent("not-yet")).ok)
    }

    @Test func httpDates() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        #expect(HTTPDate.parse(Self.imf(fixedNow)) == fixedNow)
        for bad in ["", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT"] {
            #expect(HTTPDate.parse(bad) == nil, "\(bad)")
        }
    }

    // MARK: --version

    @Test func versionNamesTheCommitOfAReleaseBuildAndWithVerboseTheLibcurl() async throws {
        let (ctx, _, _) = makeContext()
        #expect(VersionReport.render(ctx, commit: "8c3f9765695c") == "octopods \(Version.current) (commit 8c3f9765695c)\n")
        let verbose = await run(["--version", "-v"])
        #expect(verbose.code == .success)
        let lines = verbose.stdout.split(separator: "\n")
        #expect(lines.first == "octopods \(Version.current)")
        #expect(lines.count == 2 && lines[1].hasPrefix("libcurl "), "\(verbose.stdout)")
        let json = await run(["--version", "--json"])
        let document = try JSONValue.parse(json.stdout)
        #expect(document["version"]?.stringValue == Version.current)
        #expect(document["commit"] == .null)
        #expect(document["libcurl"]?.stringValue?.first?.isNumber == true, "\(json.stdout)")
    }

    @Test func libcurlVersionText() {
        #expect(
            Libcurl.parse("libcurl/8.5.0 OpenSSL/3.0.13", problem: nil)
                == Libcurl(version: "8.5.0", tls: "OpenSSL/3.0.13", problem: nil))
        #expect(
            Libcurl.parse("libcurl/7.67.0", problem: "too old").describe == "libcurl 7.67.0 with no TLS library (cannot be used: too old)")
        #expect(
            Libcurl.parse("", problem: "libcurl.so.4: cannot open shared object file").describe
                == "libcurl: none loaded (cannot be used: libcurl.so.4: cannot open shared object file)")
    }
}
