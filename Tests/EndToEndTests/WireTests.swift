import Foundation
import Testing
import OctopodsSandbox
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The wire users have (docs/linux-notes.md, "Was it sent?", "TLS trust", "Proxies"): HTTPS with
/// a test CA, other libcurls, redirects, long cool-downs, a proxy. Every case runs the real
/// binary; each of the issue's rows fails on the code before it.
@Suite struct WireTests {
    static let key = "not-a-real-key-but-secret-0001"
    static let json = [HTTPField("Content-Type", "application/json")]
    static let send = ["sms", "send", "--to", "+14155552671", "--body", "hello", "--timeout", "2s"]

    /// The sandbox behind a TLS front of the test CA.
    static func httpsSandbox(
        _ certificate: TLSLab.Certificate = .good
    ) throws -> (TestSandbox, front: UInt16, environment: [String: String]) {
        let sandbox = try TestSandbox()
        let lab = try TLSLab.get()
        let front = try lab.front(sandbox.server.port, certificate)
        var environment = sandbox.environment.merging(lab.trust) { a, _ in a }
        environment["OCTOPODS_BASE_URL"] = "https://127.0.0.1:\(front)"
        return (sandbox, front, environment)
    }

    // MARK: HTTPS end to end, with both libcurls, twice

    @Test(arguments: Libcurl.both)
    func sendsBulkAndReadsOverHTTPSTwice(_ libcurl: Libcurl) async throws {
        guard let libraries = try libcurl.environment() else { return }
        let (sandbox, _, base) = try Self.httpsSandbox()
        let environment = base.merging(libraries) { a, _ in a }
        let home = scratchDirectory()
        let single = try await octopods(Self.send, environment: environment, home: home)
        #expect(single.status == 0, "\(libcurl): \(single.stderr)")
        let list = try await octopods(["templates", "list", "-o", "json"], environment: environment, home: home)
        #expect(list.status == 0 && list.stdout.contains("order_update"), "\(libcurl): \(list.stderr)")
        let file = home.appendingPathComponent("c.csv")
        try Data("phone,name\n+14155552672,Ana\n+14155552673,Bo\n+14155552674,Cy\n".utf8).write(to: file)
        let bulk = ["sms", "send", "--from", file.path, "--body", "hi {name}", "--yes", "-o", "ndjson"]
        let first = try await octopods(bulk, environment: environment, home: home)
        #expect(first.status == 0, "\(libcurl): \(first.stderr)")
        #expect(sandbox.posts.count == 4)
        // Twice in a row: the finished run is not sent again.
        let second = try await octopods(bulk, environment: environment, home: home)
        #expect(second.status == 2, "\(libcurl): \(second.stderr)")
        #expect(sandbox.posts.count == 4)
    }

    @Test func verboseSaysWhichLibcurlAndTrustStore() async throws {
        let (sandbox, _, environment) = try Self.httpsSandbox()
        let r = try await octopods(["templates", "list", "-v"], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(sandbox.api.recordedRequests().count == 1)
        #expect(r.stderr.contains("* libcurl/"), "\(r.stderr)")
        #expect(r.stderr.contains("TLS trust store: \(try TLSLab.get().ca) (SSL_CERT_FILE)"), "\(r.stderr)")
    }

    // MARK: Trust stores as users have them

    @Test(arguments: ["SSL_CERT_FILE", "CURL_CA_BUNDLE", "ca_file", "SSL_CERT_DIR"])
    func theTestCAIsTrustedThroughEachSetting(_ setting: String) async throws {
        let (sandbox, _, base) = try Self.httpsSandbox()
        let lab = try TLSLab.get()
        var environment = base
        environment["SSL_CERT_FILE"] = nil
        let home = scratchDirectory()
        switch setting {
        case "ca_file":
            let config = home.appendingPathComponent(".config/octopods/config")
            try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("[default]\nca_file = \(lab.ca)\n".utf8).write(to: config)
            chmod(config.path, 0o600)
            // The profile's ca_file comes first: a wrong CURL_CA_BUNDLE does not matter.
            environment["CURL_CA_BUNDLE"] = "/nonexistent/bundle.pem"
        case "SSL_CERT_DIR":
            // A directory of certificates named by their hash, as `openssl rehash` makes it.
            let directory = home.appendingPathComponent("certs")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let hash = try spawnAndWait(
                "/usr/bin/openssl", ["x509", "-hash", "-noout", "-in", lab.ca], environment: [:], input: Data(),
                timeout: 30)
            let name = String(decoding: hash.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            try FileManager.default.copyItem(atPath: lab.ca, toPath: directory.appendingPathComponent("\(name).0").path)
            environment[setting] = directory.path
        default:
            environment[setting] = lab.ca
        }
        let r = try await octopods(Self.send, environment: environment, home: home)
        #expect(r.status == 0, "\(setting): \(r.stderr)")
        #expect(sandbox.posts.count == 1)
    }

    // MARK: TLS failures: exit 4, a plain message naming the cause, nothing sent

    @Test(
        arguments: [
            (TLSLab.Certificate.untrusted, TLSLab.Mode.relay, "not signed by an authority this machine trusts"),
            (.wronghost, .relay, "for another host name"),
            (.expired, .relay, "has expired"),
            (.good, .refuse, "the TLS handshake failed"),
        ], [Libcurl.system, .current, .old779])
    func aHandshakeThatFailsIsNotSent(
        _ failure: (certificate: TLSLab.Certificate, mode: TLSLab.Mode, says: String),
        _ libcurl: Libcurl
    ) async throws {
        let (certificate, mode, says) = failure
        guard let libraries = try libcurl.environment() else { return }
        let sandbox = try TestSandbox()
        let lab = try TLSLab.get()
        let front = try lab.front(sandbox.server.port, certificate, mode)
        var environment = sandbox.environment.merging(lab.trust) { a, _ in a }.merging(libraries) { a, _ in a }
        environment["OCTOPODS_BASE_URL"] = "https://127.0.0.1:\(front)"
        let r = try await octopods(Self.send + ["-o", "json"], environment: environment)
        #expect(r.status == 4, "\(certificate) \(mode) \(libcurl): \(r.stderr)")
        #expect(r.stderr.hasPrefix("error: TLS connection to https://127.0.0.1:\(front) failed: "), "\(r.stderr)")
        #expect(r.stderr.contains(says), "\(certificate) \(mode) \(libcurl): \(r.stderr)")
        #expect(r.stderr.contains("hint: Nothing was sent."), "\(r.stderr)")
        #expect(r.stderr.contains(#""disposition":"not_sent""#))
        #expect(sandbox.posts.isEmpty)
        if certificate == .untrusted { #expect(r.stderr.contains("ca_file") && r.stderr.contains(lab.ca)) }
    }

    // MARK: Sent or not, after the request went out over TLS

    /// A TLS alert once the whole request was read: the request reached a server. Exit 5, one
    /// request, recorded `unknown`; with a libcurl that has no pre-request callback too.
    @Test(arguments: [Libcurl.system, .current, .old779, .quirky871])
    func aTLSErrorAfterTheRequestIsOutcomeUnknown(_ libcurl: Libcurl) async throws {
        guard let libraries = try libcurl.environment() else { return }
        let sandbox = try TestSandbox()
        let lab = try TLSLab.get()
        let front = try lab.front(sandbox.server.port, .good, .alert)
        var environment = sandbox.environment.merging(lab.trust) { a, _ in a }.merging(libraries) { a, _ in a }
        environment["OCTOPODS_BASE_URL"] = "https://127.0.0.1:\(front)"
        let home = scratchDirectory()
        let r = try await octopods(Self.send, environment: environment, home: home)
        #expect(r.status == 5, "\(libcurl): \(r.stderr)")
        #expect(r.stderr.contains("may have been processed"), "\(r.stderr)")
        #expect(try lab.stats(front).heads.filter { $0.hasPrefix("POST ") }.count == 1)
        let history = try await octopods(["history", "-o", "json"], environment: environment, home: home)
        #expect(history.stdout.contains(#""outcome":"unknown""#), "\(history.stdout)")
    }

    /// The connection reset once the request went out (plain HTTP and HTTPS), with a libcurl whose
    /// CURLINFO_REQUEST_SIZE reads 0 after such a failure (8.7.0–8.7.1): sent, maybe. Exit 5, one
    /// POST; --max-wait does not send it again, nor does a bulk resume.
    @Test(arguments: [false, true], [Libcurl.quirky871, .old779, .system, .current])
    func aResetAfterTheRequestIsNeverResent(_ https: Bool, _ libcurl: Libcurl) async throws {
        guard let libraries = try libcurl.environment() else { return }
        let api = try FaultyAPI(.resetAfterRequest, redirectTo: "http://127.0.0.1:1/")
        defer { api.stop() }
        let wire: FaultMatrixTests.Wire = https ? .https(libcurl) : .http
        guard let (url, extra) = try FaultMatrixTests.reach(api, over: wire) else { return }
        let environment = ["OCTOPODS_BASE_URL": url, "OCTOPODS_API_KEY": Self.key].merging(extra) { a, _ in a }
            .merging(libraries) { a, _ in a }
        let home = scratchDirectory()
        let single = try await octopods(Self.send + ["--max-wait", "30s"], environment: environment, home: home)
        #expect(single.status == 5, "\(libcurl) https \(https): \(single.stderr)")
        #expect(api.requests == 1, "one POST, not resent by --max-wait")
        let file = home.appendingPathComponent("c.csv")
        try Data("phone\n+14155552672\n".utf8).write(to: file)
        let bulk = ["sms", "send", "--from", file.path, "--body", "hi", "--yes", "--timeout", "2s", "-o", "ndjson"]
        let first = try await octopods(bulk, environment: environment, home: home)
        #expect(first.status == 5, "\(first.stderr)")
        #expect(first.stdout.contains(#""status":"unknown""#), "\(first.stdout)")
        let resumed = try await octopods(bulk, environment: environment, home: home)
        #expect(api.requests == 2, "the resume does not send the unknown row again: \(resumed.stderr)")
    }

    // MARK: Redirects answering a send

    @Test(arguments: [false, true])
    func aRedirectAnsweringAPostIsOutcomeUnknown(_ https: Bool) async throws {
        let elsewhere = try Counting { _ in SandboxResponse(status: 200, body: Data("{}".utf8)) }
        let api = try FaultyAPI(.redirectElsewhere, redirectTo: "https://login.example.test/sso?next=/api")
        defer { api.stop(); elsewhere.stop() }
        guard let (url, extra) = try FaultMatrixTests.reach(api, over: https ? .https(.system) : .http) else { return }
        let environment = ["OCTOPODS_BASE_URL": url, "OCTOPODS_API_KEY": Self.key].merging(extra) { a, _ in a }
        let home = scratchDirectory()
        let single = try await octopods(Self.send + ["-o", "json"], environment: environment, home: home)
        #expect(single.status == 5, "\(single.stderr)")
        #expect(single.stderr.contains("redirect to https://login.example.test/sso?next=/api"), "\(single.stderr)")
        #expect(single.stderr.contains(#""disposition":"outcome_unknown""#))
        let history = try await octopods(["history", "-o", "json"], environment: environment, home: home)
        #expect(history.stdout.contains(#""outcome":"unknown""#), "recorded, not left out: \(history.stdout)")
        // A bulk re-run does not post the row again.
        let file = home.appendingPathComponent("c.csv")
        try Data("phone\n+14155552672\n".utf8).write(to: file)
        let bulk = ["sms", "send", "--from", file.path, "--body", "hi", "--yes", "-o", "ndjson"]
        let first = try await octopods(bulk, environment: environment, home: home)
        #expect(first.status == 5 && first.stdout.contains(#""status":"unknown""#), "\(first.stdout) \(first.stderr)")
        _ = try await octopods(bulk, environment: environment, home: home)
        #expect(api.requests == 2, "one POST per send, none resent")
        #expect(elsewhere.requests == 0)
    }

    // MARK: Long cool-downs

    static func tooManyRequests(until at: Date) throws -> Counting {
        let text = at.formatted(
            Date.ISO8601FormatStyle(
                dateSeparator: .dash, dateTimeSeparator: .space,
                timeZone: TimeZone(identifier: "UTC") ?? .current)
        ).dropLast()
        return try Counting { _ in
            SandboxResponse(
                status: 429, headers: Self.json,
                body: Data(#"{"message": "You have fired too many requests. Please try after \#(text) UTC."}"#.utf8))
        }
    }

    /// A 429 whose time lies beyond --max-wait: one request, exit 4 at once, the server's time as
    /// it gave it; and no process asks again before that time.
    @Test func aCoolDownBeyondMaxWaitStopsAtOnceAndHoldsEveryProcess() async throws {
        let at = Date().addingTimeInterval(2 * 3600)
        let server = try Self.tooManyRequests(until: at)
        defer { server.stop() }
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(server.server.port)", "OCTOPODS_API_KEY": Self.key]
        let home = scratchDirectory()
        let r = try await octopods(Self.send + ["--max-wait", "5s"], environment: environment, home: home)
        #expect(r.status == 4, "\(r.stderr)")
        #expect(server.requests == 1)
        let given = at.formatted(
            Date.ISO8601FormatStyle(
                dateSeparator: .dash, dateTimeSeparator: .space,
                timeZone: TimeZone(identifier: "UTC") ?? .current)
        ).dropLast()
        #expect(r.stderr.contains("the API said: You have fired too many requests. Please try after \(given) UTC."), "\(r.stderr)")
        #expect(r.stderr.contains("(in 2h)") || r.stderr.contains("(in 1h 59m"), "\(r.stderr)")
        for command in [Self.send, ["templates", "list"], Self.send + ["--max-wait", "1m"]] {
            let next = try await octopods(command, environment: environment, home: home)
            #expect(next.status == 4, "\(command): \(next.stderr)")
        }
        #expect(server.requests == 1, "no request to the key before the server's time, from any process")
    }

    /// A 30-minute cool-down is printed as 30 minutes (it was cut to the 10-minute cap).
    @Test func aThirtyMinuteCoolDownIsSaidAsIs() async throws {
        let server = try Self.tooManyRequests(until: Date().addingTimeInterval(30 * 60))
        defer { server.stop() }
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(server.server.port)", "OCTOPODS_API_KEY": Self.key]
        let home = scratchDirectory()
        _ = try await octopods(Self.send, environment: environment, home: home)
        let held = try await octopods(Self.send, environment: environment, home: home)
        #expect(held.status == 4)
        #expect(held.stderr.contains("(in 30m") || held.stderr.contains("(in 29m"), "\(held.stderr)")
        #expect(server.requests == 1)
    }

    // MARK: The root as the API's docs write it

    @Test func aBaseURLEndingInApiV1IsTheSameRoot() async throws {
        let sandbox = try TestSandbox()
        var environment = sandbox.environment
        environment["OCTOPODS_BASE_URL"] = sandbox.url + "/api/v1/"
        let r = try await octopods(["templates", "list", "-v", "-o", "json"], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("its trailing /api/v1 is dropped"), "\(r.stderr)")
        #expect(r.stderr.contains("> GET \(sandbox.url)/api/v1/whatsapp/templates"), "\(r.stderr)")
        #expect(!r.stderr.contains("/api/v1/api/v1"))
    }

    // MARK: Keep-alive over TLS

    /// GETs share one TLS connection; a send never goes out on a reused one.
    @Test func keepAliveOverTLSForGetsNeverForSends() async throws {
        let (sandbox, front, environment) = try Self.httpsSandbox()
        let lab = try TLSLab.get()
        let home = scratchDirectory()
        let file = home.appendingPathComponent("c.csv")
        try Data("phone\n+14155552672\n+14155552673\n+14155552674\n".utf8).write(to: file)
        let bulk = try await octopods(
            ["sms", "send", "--from", file.path, "--body", "hi", "--yes", "--concurrency", "1"],
            environment: environment, home: home)
        #expect(bulk.status == 0, "\(bulk.stderr)")
        let afterSends = try lab.stats(front)
        #expect(afterSends.handshakes == 3, "one fresh TLS connection per send: \(afterSends)")
        let refresh = try await octopods(["history", "refresh"], environment: environment, home: home)
        #expect(refresh.status == 0, "\(refresh.stderr)")
        #expect(sandbox.api.recordedRequests().filter { $0.method == "GET" }.count == 3)
        #expect(try lab.stats(front).handshakes == 4, "three status GETs on one kept-alive TLS connection")
    }

    // MARK: Proxies

    /// Through HTTPS_PROXY the proxy sees only CONNECT, never the key; NO_PROXY is honoured for a
    /// host that is not loopback (resolved through a private /etc/hosts: nothing leaves loopback).
    @Test func throughAProxyOnlyConnectAndNoProxyHonoured() async throws {
        // Not the sandbox: it answers only requests addressed to a loopback name (no DNS rebinding).
        let api = try Counting { _ in
            SandboxResponse(status: 201, headers: Self.json, body: Data(#"{"message_id": 4242, "phone_number": "+14155552671"}"#.utf8))
        }
        defer { api.stop() }
        let lab = try TLSLab.get()
        let front = try lab.front(api.server.port)
        let proxy = try lab.proxy()
        var environment = ["OCTOPODS_API_KEY": Self.key].merging(lab.trust) { a, _ in a }
        environment["OCTOPODS_BASE_URL"] = "https://octopods.test:\(front)"
        environment["HTTPS_PROXY"] = "http://127.0.0.1:\(proxy)"
        environment["NO_PROXY"] = "127.0.0.1"
        let r = try await octopods(Self.send + ["-v"], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        let heads = try lab.stats(proxy).heads
        #expect(heads.count == 1 && heads.allSatisfy { $0.hasPrefix("CONNECT octopods.test:\(front) ") }, "\(heads)")
        #expect(!heads.joined().contains(Self.key), "the proxy never sees the key")
        #expect(api.requests == 1)

        // NO_PROXY: straight to the host, which only a private /etc/hosts knows (root only).
        guard getuid() == 0, let unshare = findProgram("unshare") else { return }
        let hosts = scratchDirectory().appendingPathComponent("hosts")
        try Data("127.0.0.1 localhost octopods.test\n".utf8).write(to: hosts)
        environment["NO_PROXY"] = "octopods.test"
        let script = "mount --bind \"$1\" /etc/hosts && shift && exec \"$@\""
        let direct = try spawnAndWait(
            unshare, ["-m", "/bin/sh", "-c", script, "sh", hosts.path, octopodsBinary.path] + Self.send,
            environment: octopodsEnvironment(environment, home: scratchDirectory()), input: Data(),
            timeout: 60)
        #expect(direct.status == 0, "\(String(decoding: direct.stderr, as: UTF8.self))")
        #expect(try lab.stats(proxy).heads.count == 1, "the proxy saw nothing more")
        #expect(api.requests == 2)
    }

    // MARK: libcurl versions

    @Test func aLibcurlOlderThanSupportedIsRefusedClearly() async throws {
        guard let libraries = try Libcurl.tooOld.environment() else { return }
        let sandbox = try TestSandbox()
        let r = try await octopods(Self.send, environment: sandbox.environment.merging(libraries) { a, _ in a })
        #expect(r.status == 3, "\(r.stderr)")
        #expect(
            r.stderr.contains("cannot make HTTP requests: the system's libcurl is 7.67.0, older than 7.68.0, the oldest octopods supports"),
            "\(r.stderr)")
        #expect(sandbox.posts.isEmpty)
        let offline = try await octopods(["templates", "render", "1001", "--help"], environment: libraries)
        #expect(offline.status == 0, "commands that make no request still work")
    }
}
