import Foundation
import Testing
import TestSupport
import Synchronization
import OctopodsSandbox
#if canImport(Glibc)
import Glibc
#endif

/// Issue 14, round two: the holes an adversarial review found, each through the real binary.
/// The attacker is a hostile loopback server of the test's own, a local user who plants links
/// and files, or a second octopods process. (SECURITY.md names these tests.)
///
/// Not serialized: it was while children were started with Foundation's `Process`, whose
/// `run` crashed more often the more descriptors were open (docs/linux-notes.md); every child
/// is started with posix_spawn now (Spawn.swift), and one after another these tests were the
/// last to finish a suite run by several seconds.
@Suite struct SecurityTests {
    static let key = "not-a-real-key-but-secret-0001"
    static let json = [HTTPField("Content-Type", "application/json")]

    // MARK: Point 2: files that are not the user's own

    @Test func symlinksAndForeignFilesAreRefusedForStateCacheAndConfig() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let victim = home.appendingPathComponent("victim.txt")
        try Data("precious\n".utf8).write(to: victim)
        let state = home.appendingPathComponent(".local/state/octopods")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        // The history ledger as a link to another file: a send must not append to the victim.
        // (Sends to a loopback base URL are practice, kept in sandbox-history.ndjson.)
        let ledger = state.appendingPathComponent("sandbox-history.ndjson")
        try FileManager.default.createSymbolicLink(at: ledger, withDestinationURL: victim)
        let send = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "hi"], environment: sandbox.environment, home: home)
        #expect(send.status == 0, "\(send.stderr)")
        #expect(send.stderr.contains("symbolic link"), "\(send.stderr)")
        let history = try await octopods(["history"], environment: sandbox.environment, home: home)
        #expect(history.status != 0 && history.stderr.contains("symbolic link"), "\(history.stderr)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")

        // A ledger others can write to is not trusted either.
        try FileManager.default.removeItem(at: ledger)
        try Data().write(to: ledger)
        chmod(ledger.path, 0o666)
        let shared = try await octopods(["history"], environment: sandbox.environment, home: home)
        #expect(shared.status != 0 && shared.stderr.contains("writable by other users"), "\(shared.stderr)")

        // The config file as a link: refused with a clear error, nothing read through it.
        let config = home.appendingPathComponent(".config/octopods")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: config.appendingPathComponent("config"), withDestinationURL: victim)
        let list = try await octopods(["config", "list"], home: home)
        #expect(list.status == 3 && list.stderr.contains("symbolic link"), "\(list.status) \(list.stderr)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")

        // The sandbox state as a link: refused, the victim untouched.
        try FileManager.default.removeItem(at: config.appendingPathComponent("config"))
        try FileManager.default.createSymbolicLink(at: state.appendingPathComponent("sandbox.json"), withDestinationURL: victim)
        let practice = try await octopods(["--sandbox", "templates", "list"], home: home)
        #expect(practice.status != 0 && practice.stderr.contains("symbolic link"), "\(practice.stderr)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
    }

    @Test func plantedCacheLinksAreNotFollowed() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let listed = try await octopods(["templates", "list"], environment: sandbox.environment, home: home)
        #expect(listed.status == 0)
        let cache = home.appendingPathComponent(".cache/octopods/template-lists")
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        let file = try #require(files.first.map { cache.appendingPathComponent($0) })
        let victim = home.appendingPathComponent("victim.txt")
        try Data("precious\n".utf8).write(to: victim)
        try FileManager.default.removeItem(at: file)
        try FileManager.default.createSymbolicLink(at: file, withDestinationURL: victim)
        let again = try await octopods(["templates", "list"], environment: sandbox.environment, home: home)
        #expect(again.status == 0)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n", "the cache replaced the link, not the file")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)

        // The fetched-template cache of a send: a planted link is not read (a planted template
        // would change what is checked and sent), said in a warning, and replaced.
        let send = ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"]
        #expect(try await octopods(send, environment: sandbox.environment, home: home).status == 0)
        let templates = home.appendingPathComponent(".cache/octopods/templates")
        let cached = try #require(
            try FileManager.default.contentsOfDirectory(atPath: templates.path).first.map { templates.appendingPathComponent($0) })
        try FileManager.default.removeItem(at: cached)
        try FileManager.default.createSymbolicLink(at: cached, withDestinationURL: victim)
        let planted = try await octopods(send, environment: sandbox.environment, home: home)
        #expect(planted.status == 0, "\(planted.stderr)")
        #expect(
            planted.stderr.contains("not using the template cache file") && planted.stderr.contains("symbolic link"), "\(planted.stderr)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
        #expect(try FileManager.default.attributesOfItem(atPath: cached.path)[.type] as? FileAttributeType == .typeRegular)
    }

    // MARK: Point 12: relative XDG variables

    @Test func relativeXDGVariablesAreIgnored() async throws {
        let home = scratchDirectory()
        let environment = ["XDG_CONFIG_HOME": "relative-config", "XDG_STATE_HOME": "relative-state", "XDG_CACHE_HOME": ""]
        let path = try await octopods(["config", "path"], environment: environment, home: home)
        #expect(path.stdout == home.appendingPathComponent(".config/octopods/config").path + "\n", "\(path.stdout)")
        let set = try await octopods(["config", "set", "base_url", "https://api.example.test"], environment: environment, home: home)
        #expect(set.status == 0, "\(set.stderr)")
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent(".config/octopods/config").path))
        #expect(!FileManager.default.fileExists(atPath: "relative-config"))
        #expect(!FileManager.default.fileExists(atPath: "relative-state"))
    }

    // MARK: Point 3: bash completion and hostile template ids

    static let hostileID = "1;touch${IFS}PWNED;#"

    @Test func hostileTemplateIDsNeverReachTheShellRaw() async throws {
        let hostile = try Counting { request in
            let body =
                #"[{"template_id": "\#(Self.hostileID)", "template_name": "evil", "template_status": "Accepted"},"#
                + #" {"template_id": 1001, "template_name": "fine", "template_status": "Accepted"}]"#
            return SandboxResponse(status: 200, headers: Self.json, body: Data(body.utf8))
        }
        defer { hostile.stop() }
        let home = scratchDirectory()
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(hostile.server.port)", "OCTOPODS_WHATSAPP_API_KEY": Self.key]
        let listed = try await octopods(["templates", "list", "-v"], environment: environment, home: home)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stderr.contains("not kept for shell completion"), "\(listed.stderr)")
        let candidates = try await octopods(["__complete", "templates"], environment: environment, home: home)
        #expect(candidates.stdout == "1001\tfine\n", "only the id of a template id's shape is kept: \(candidates.stdout)")

        // And the bash script quotes whatever a program prints: a fake octopods offers the
        // hostile id; the word bash would insert parses back to the id and runs nothing.
        let work = home.appendingPathComponent("work")
        let bin = home.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fake = bin.appendingPathComponent("octopods")
        try Data("#!/bin/sh\nprintf '%s\\tevil\\n' '\(Self.hostileID)' '$(touch PWNED2)' '`touch PWNED3`'\n".utf8).write(to: fake)
        chmod(fake.path, 0o755)
        let script = """
            source \(ShellIntegrationTests.completions.appendingPathComponent("octopods.bash").path) || exit 1
            COMP_WORDS=(octopods send template "") COMP_CWORD=3 COMP_LINE='octopods send template ' COMP_POINT=23
            COMPREPLY=()
            _octopods octopods "" template
            for word in "${COMPREPLY[@]}"; do
                eval "set -- $word"
                printf '%s\\n' "$1"
            done
            """
        let result = try await runTool(
            "/bin/bash", ["--norc", "--noprofile", "-c", script],
            environment: ["HOME": home.path, "PATH": bin.path + ":/usr/bin:/bin", "LANG": "C.UTF-8"],
            directory: work)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output == "\(Self.hostileID)\n$(touch PWNED2)\n`touch PWNED3`\n", "\(result.output)")
        let planted = try FileManager.default.contentsOfDirectory(atPath: work.path)
        #expect(planted.isEmpty, "completion ran a command: \(planted)")
    }

    // MARK: Point 5: the key in JSON-escaped spellings

    @Test func aKeyEchoedBackInJSONEscapesIsRedactedEverywhere() async throws {
        let key = "not-a-real/key-but-secret-0002"
        let slashEscaped = key.replacingOccurrences(of: "/", with: #"\/"#)
        let unicodeEscaped = key.unicodeScalars.map { scalar -> String in
            let hex = String(scalar.value, radix: 16)
            return #"\u"# + String(repeating: "0", count: 4 - hex.count) + hex
        }.joined()
        let echo = try Counting { request in
            let body =
                #"{"message_id": 4242, "note": "\#(slashEscaped)", "other": "\#(unicodeEscaped)", "#
                + #""error": "bad key \#(slashEscaped)", "request_id": "\#(unicodeEscaped)"}"#
            let status = request.path.hasSuffix("/messages") && request.method == "POST" ? 201 : 400
            return SandboxResponse(status: status, headers: Self.json + [HTTPField("X-Echo", slashEscaped)], body: Data(body.utf8))
        }
        defer { echo.stop() }
        let home = scratchDirectory()
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(echo.server.port)", "OCTOPODS_API_KEY": key]
        var outputs: [String] = []
        for arguments in [
            ["sms", "send", "--to", "+14155552671", "--body", "x", "-o", "json", "-v"],
            ["templates", "list", "-v", "-o", "json"], ["status", "7", "--channel", "sms", "-o", "ndjson"],
        ] {
            let r = try await octopods(arguments, environment: environment, home: home)
            outputs += [r.stdout, r.stderr]
        }
        let ledger = home.appendingPathComponent(".local/state/octopods/sandbox-history.ndjson")
        outputs.append((try? String(contentsOf: ledger, encoding: .utf8)) ?? "")
        let history = try await octopods(["history", "-o", "json"], environment: environment, home: home)
        outputs += [history.stdout, history.stderr]
        for text in outputs {
            for spelling in [key, slashEscaped, unicodeEscaped, "secret-0002"] {
                #expect(!text.contains(spelling), "\(spelling) in: \(text)")
            }
        }
        #expect(outputs[0].contains("4242") && outputs.joined().contains("[redacted]"))
    }

    // MARK: Point 6: durations a server or a user can make absurd

    static func tooManyRequestsForever() -> Counting? {
        try? Counting { _ in
            SandboxResponse(
                status: 429, headers: Self.json,
                body: Data(#"{"message": "You have fired too many requests. Please try after 9999-12-31 23:59:59 UTC."}"#.utf8))
        }
    }

    @Test func anAbsurdRetryTimeIsNotSentRetryLaterAndNeverTraps() async throws {
        let server = try #require(Self.tooManyRequestsForever())
        defer { server.stop() }
        let home = scratchDirectory()
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(server.server.port)", "OCTOPODS_API_KEY": Self.key]
        let single = try await octopods(["sms", "send", "--to", "+14155552671", "--body", "x"], environment: environment, home: home)
        #expect(single.status == 4, "\(single.status) \(single.stderr)")
        #expect(single.stderr.contains("rate limited until 9999-12-31"), "\(single.stderr)")
        let csv = home.appendingPathComponent("list.csv")
        try Data("phone,1,2\n+14155552671,a,b\n+14155552672,c,d\n".utf8).write(to: csv)
        let bulk = try await octopods(
            ["send", "template", "1001", "--no-verify", "--from", csv.path, "--yes", "-o", "ndjson"],
            environment: environment, home: home)
        #expect(bulk.status == 4, "\(bulk.status) \(bulk.stderr)")
        #expect(bulk.stdout.contains(#""status":"not_sent""#), "\(bulk.stdout)")
        #expect(!bulk.stdout.contains(#""status":"unknown""#), "the server proved it unsent: \(bulk.stdout)")
        for r in [single, bulk] { #expect(!r.stderr.contains("Fatal error") && r.status != 132) }
    }

    @Test func anEnormousTimeoutDoesNotTrap() async throws {
        let sandbox = try TestSandbox(stageInterval: 0.1)
        let r = try await octopods(["templates", "list", "--timeout", "9223372036854775807s"], environment: sandbox.environment)
        #expect(r.status == 0, "\(r.status) \(r.stderr)")
        let huge = "9223372036854775807s"
        let waited = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "x", "--wait", "--timeout", huge],
            environment: sandbox.environment)
        #expect(waited.status == 0, "\(waited.status) \(waited.stderr)")
    }

    @Test func theProcessCannotBeDumped() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            Issue.record("strace is not installed (see .ci/run)")
            return
        }
        let trace = scratchDirectory().appendingPathComponent("trace.txt")
        let result = try await runTool(
            "/usr/bin/strace",
            [
                "-f", "-e", "trace=prctl,setrlimit,prlimit64", "-o", trace.path,
                octopodsBinary.path, "--version",
            ],
            environment: ["PATH": "/usr/bin:/bin", "HOME": scratchDirectory().path])
        guard result.status == 0 else {
            Issue.record("strace could not run here: \(result.output)")
            return
        }
        let calls = try String(contentsOf: trace, encoding: .utf8)
        #expect(calls.contains("PR_SET_DUMPABLE, SUID_DUMP_DISABLE") || calls.contains("PR_SET_DUMPABLE, 0"), "\(calls)")
    }

    // MARK: Point 7: the size of a response

    @Test(arguments: [false, true])
    func aGzipBombOrAnEndlessBodyIsCutOffWithAClearError(_ endless: Bool) async throws {
        let bomb = endless ? Data() : try await offThePool { try gzippedZeros(megabytes: 40) }
        let server = try RawServer { fd in
            if endless {
                _ = RawServer.send(fd, Data("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[".utf8))
                let chunk = Data(repeating: 0x20, count: 65_536)
                while RawServer.send(fd, chunk) {}
            } else {
                let head =
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: \(bomb.count)\r\nConnection: close\r\n\r\n"
                _ = RawServer.send(fd, Data(head.utf8) + bomb)
            }
        }
        defer { server.stop() }
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(server.port)", "OCTOPODS_API_KEY": Self.key]
        let get = try await octopods(["templates", "list", "--timeout", "120s"], environment: environment, timeout: 150)
        #expect(get.status == 4, "\(get.status) \(get.stderr)")
        #expect(get.stderr.contains("larger than 32 MB"), "\(get.stderr)")
        let post = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "x", "--timeout", "120s"],
            environment: environment, timeout: 150)
        #expect(post.status == 5, "\(post.status) \(post.stderr)")
        #expect(post.stderr.contains("larger than 32 MB"), "\(post.stderr)")
    }

    @Sendable func gzippedZeros(megabytes: Int) throws -> Data {
        let out = scratchDirectory().appendingPathComponent("bomb.gz")
        _ = try spawnAndWait(
            "/bin/sh", ["-c", "head -c \(megabytes * 1_048_576) /dev/zero | gzip -1 -c > '\(out.path)'"],
            environment: ["PATH": "/usr/bin:/bin"], input: Data(), timeout: 120)
        return try Data(contentsOf: out)
    }

    // MARK: Point 8: proxies never see loopback traffic

    @Test func loopbackNeverGoesThroughAProxy() async throws {
        let proxy = try Counting { _ in SandboxResponse(status: 200, headers: Self.json, body: Data("[]".utf8)) }
        defer { proxy.stop() }
        let sandbox = try TestSandbox()
        let proxyURL = "http://127.0.0.1:\(proxy.server.port)"
        // A no_proxy that merely mentions a similar address must not let the key through.
        let proxies = [
            "ALL_PROXY": proxyURL, "all_proxy": proxyURL, "http_proxy": proxyURL, "HTTP_PROXY": proxyURL,
            "https_proxy": proxyURL, "no_proxy": "127.0.0.10", "NO_PROXY": "127.0.0.10",
        ]
        for host in ["127.0.0.1", "localhost"] {
            var environment = sandbox.environment.merging(proxies) { _, new in new }
            environment["OCTOPODS_BASE_URL"] = "http://\(host):\(sandbox.server.port)"
            let r = try await octopods(["templates", "list"], environment: environment)
            #expect(r.status == 0, "\(host): \(r.stderr)")
        }
        #expect(proxy.requests == 0, "the proxy saw \(proxy.requests) requests (and the key)")
    }

    // MARK: Point 9: escapes from the API on a terminal

    @Test func historyCSVOnATerminalIsSanitised() async throws {
        let home = scratchDirectory()
        let ledger = home.appendingPathComponent(".local/state/octopods/history.ndjson")
        try FileManager.default.createDirectory(at: ledger.deletingLastPathComponent(), withIntermediateDirectories: true)
        let now = Date().addingTimeInterval(-60)
        let time = LedgerTimeForTests.format(now)
        let hostile = #"\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[2J\u001b]8;;http://evil\u0007x"#
        let record =
            #"{"time":"\#(time)","type":"send","profile":"default","channel":"sms","kind":"sms","to":"+14155552671","message_id":"\#(hostile)","outcome":"accepted"}"#
        try Data((record + "\n").utf8).write(to: ledger)
        chmod(ledger.path, 0o600)
        let output = try await onTerminal([octopodsBinary.path, "history", "-o", "csv"], home: home)
        #expect(output.contains("+14155552671"), "\(output)")
        #expect(!output.contains("\u{1B}"), "raw escape on the terminal: \(output.debugDescription)")
        let piped = try await octopods(["history", "-o", "csv"], home: home)
        #expect(piped.stdout.contains("\\x1B]52") && !piped.stdout.contains("\u{1B}"), "piped to a file, escaped too (issue 24)")
    }

    @Test func theWaitTimeoutMessageIsSanitised() async throws {
        let hostile = #"\u001b]52;c;cm0gLXJmIH4=\u0007"#
        let server = try Counting { request in
            if request.method == "POST" {
                return SandboxResponse(status: 201, headers: Self.json, body: Data(#"{"message_id": "\#(hostile)"}"#.utf8))
            }
            return SandboxResponse(status: 200, headers: Self.json, body: Data(#"{"message_id": "1", "status": "\u001b[2Jsent"}"#.utf8))
        }
        defer { server.stop() }
        let r = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "x", "--wait", "--timeout", "1s"],
            environment: ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(server.server.port)", "OCTOPODS_API_KEY": Self.key])
        #expect(r.stderr.contains("gave up waiting"), "\(r.stderr)")
        #expect(!SecretsAndTerminalTests.unsafe(r.stderr), "\(r.stderr.debugDescription)")
    }

    // MARK: Point 10: concurrent prune and config writes

    @Test func concurrentConfigSetsLoseNothing() async throws {
        let home = scratchDirectory()
        for round in 0..<3 {
            try await withThrowingTaskGroup(of: ProcessResult.self) { group in
                for profile in 0..<6 {
                    group.addTask {
                        try await octopods(
                            ["--profile", "p\(profile)", "config", "set", "base_url", "https://r\(round)p\(profile).example.test"],
                            home: home)
                    }
                }
                for try await r in group { #expect(r.status == 0, "\(r.stderr)") }
            }
            let text = try String(contentsOf: home.appendingPathComponent(".config/octopods/config"), encoding: .utf8)
            for profile in 0..<6 { #expect(text.contains("https://r\(round)p\(profile).example.test"), "round \(round): \(text)") }
        }
    }

    /// A prune that waited for the lock while another prune replaced the file must prune the
    /// file the path names now, or it drops what was appended to the new one. The test holds
    /// the ledger's lock itself, so the interleaving is certain, not a matter of timing.
    @Test func aPruneThatWaitedForTheLockPrunesTheCurrentFile() async throws {
        let home = scratchDirectory()
        let ledger = home.appendingPathComponent(".local/state/octopods/history.ndjson")
        try FileManager.default.createDirectory(at: ledger.deletingLastPathComponent(), withIntermediateDirectories: true)
        func record(_ date: Date, _ id: String) -> String {
            #"{"time":"\#(LedgerTimeForTests.format(date))","type":"send","profile":"default","channel":"sms","kind":"sms","to":"+14155552671","message_id":"\#(id)","outcome":"accepted"}"#
        }
        let old = Date().addingTimeInterval(-400 * 86_400), recent = Date().addingTimeInterval(-60)
        try Data((record(old, "1") + "\n" + record(recent, "2") + "\n").utf8).write(to: ledger)
        chmod(ledger.path, 0o600)
        // Hold the writers' lock, as a running prune would.
        let held = open(ledger.path, O_RDONLY)
        #expect(flock(held, LOCK_EX) == 0)
        let process = try startOctopods(["history", "prune", "--before", "90d", "--yes"], environment: [:], home: home)
        defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
        // Wait until the prune is blocked on our lock (/proc/locks lists waiters with "->").
        let pid = " \(process.processIdentifier) "
        for _ in 0..<600 {
            let locks = (try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) ?? ""
            if locks.split(separator: "\n").contains(where: { $0.contains("->") && $0.contains(pid) }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Meanwhile the other prune replaces the file, and a send appends to the new one.
        let replacement = ledger.deletingLastPathComponent().appendingPathComponent("replacement")
        try Data((record(recent, "2") + "\n" + record(Date(), "3") + "\n").utf8).write(to: replacement)
        chmod(replacement.path, 0o600)
        #expect(rename(replacement.path, ledger.path) == 0)
        flock(held, LOCK_UN)
        close(held)
        try await offThePool { process.waitUntilExit() }
        #expect(process.terminationStatus == 0)
        let final = try String(contentsOf: ledger, encoding: .utf8)
        #expect(final.contains(#""message_id":"3""#), "the record appended to the new file was lost: \(final)")
        #expect(final.contains(#""message_id":"2""#) && !final.contains(#""message_id":"1""#))
    }

    // MARK: Point 11: `.` and `..` as ids

    @Test(arguments: [
        ["send", "template", ".", "--to", "+14155552671", "--no-verify"],
        ["send", "template", "..", "--to", "+14155552671"],
        ["templates", "get", ".."], ["status", ".", "--channel", "sms"], ["status", ".."],
        ["vbm", "send", "..", "--to", "+14155552671", "--no-verify"],
    ])
    func dotIDsAreUsageErrors(_ arguments: [String]) async throws {
        let server = try Counting { _ in SandboxResponse(status: 200, headers: Self.json, body: Data("[]".utf8)) }
        defer { server.stop() }
        let r = try await octopods(
            arguments,
            environment: [
                "OCTOPODS_BASE_URL": "http://127.0.0.1:\(server.server.port)",
                "OCTOPODS_API_KEY": Self.key,
            ])
        #expect(r.status == 2, "\(arguments): \(r.status) \(r.stderr)")
        #expect(r.stderr.contains("are not ids"), "\(r.stderr)")
        #expect(r.stderr.contains("Usage: octopods \(arguments[0])"), "the command's usage line: \(r.stderr)")
        #expect(server.requests == 0, "nothing sent")
    }

    // MARK: Point 13: the sandbox's keys, Host, deadline and --reset

    @Test func theSandboxHasItsOwnKeysChecksHostAndCutsSlowRequests() async throws {
        let home = scratchDirectory()
        let state = home.appendingPathComponent("state.json")
        let served = try await offThePool { try ServedSandbox(["--state", state.path, "--request-deadline", "300ms"], home: home) }
        defer { served.stop() }
        let key = try #require(served.whatsappKey)
        #expect(key.hasPrefix("sandbox-whatsapp-key-") && key.count > 40, "\(key)")
        // The fixed public key no longer opens it; the printed one does.
        let fixed = try await octopods(
            ["templates", "list"], environment: ["OCTOPODS_BASE_URL": served.url, "OCTOPODS_WHATSAPP_API_KEY": SandboxKeys.whatsapp])
        #expect(fixed.status == 3, "\(fixed.stderr)")
        let own = try await octopods(
            ["templates", "list"], environment: ["OCTOPODS_BASE_URL": served.url, "OCTOPODS_WHATSAPP_API_KEY": key])
        #expect(own.status == 0, "\(own.stderr)")
        // The key is kept in the state file (0600), where --sandbox finds it.
        let saved = try String(contentsOf: state, encoding: .utf8)
        #expect(saved.contains(key))

        // A request addressed to another name (DNS rebinding) is refused.
        let port = try #require(UInt16(served.url.split(separator: ":").last.map(String.init) ?? ""))
        let rebound = try await offThePool {
            try rawExchange(
                port: port,
                "GET /api/v1/whatsapp/templates HTTP/1.1\r\nHost: attacker.example:\(port)\r\nX-Octopods-Auth: \(key)\r\nConnection: close\r\n\r\n"
            )
        }
        #expect(rebound.hasPrefix("HTTP/1.1 403"), "\(rebound)")
        #expect(!rebound.contains("order_update"))

        // A request trickled a byte at a time is cut off by the whole-request deadline.
        let closed = try await offThePool {
            try trickle(
                port: port, "GET /api/v1/whatsapp/templates HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + String(repeating: "a", count: 3_000))
        }
        #expect(closed, "the server kept the slow connection open")
    }

    @Test func resetDeletesOnlyASandboxState() async throws {
        let home = scratchDirectory()
        let thesis = home.appendingPathComponent("thesis.txt")
        try Data("chapter one\n".utf8).write(to: thesis)
        let r = try await octopods(["sandbox", "--state", thesis.path, "--reset", "--port", "0"], home: home, timeout: 20)
        #expect(r.status != 0, "\(r.stderr)")
        #expect(r.stderr.contains("is not a sandbox state file"), "\(r.stderr)")
        #expect(try String(contentsOf: thesis, encoding: .utf8) == "chapter one\n")
        let link = home.appendingPathComponent("state.json")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: thesis)
        let viaLink = try await octopods(["sandbox", "--state", link.path, "--reset", "--port", "0"], home: home, timeout: 20)
        #expect(viaLink.status != 0 && viaLink.stderr.contains("symbolic link"), "\(viaLink.stderr)")
        #expect(try String(contentsOf: thesis, encoding: .utf8) == "chapter one\n")
    }

    // MARK: Issue 13: `--sandbox` while `octopods sandbox` serves the same state

    @Test func idsNeverRepeatAcrossProcessesSharingASandboxState() async throws {
        let home = scratchDirectory()
        let served = try await offThePool { try ServedSandbox(["--no-rate-limit"], home: home) }
        defer { served.stop() }
        let key = try #require(served.smsKey)
        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for index in 0..<8 {
                group.addTask {
                    if index % 2 == 0 {
                        return try await octopods(
                            ["--sandbox", "sms", "send", "--to", "+1415555\(String(2000 + index))", "--body", "x", "-o", "json"],
                            home: home)
                    }
                    return try await octopods(
                        ["sms", "send", "--to", "+1415555\(String(2000 + index))", "--body", "x", "-o", "json"],
                        environment: ["OCTOPODS_BASE_URL": served.url, "OCTOPODS_SMS_API_KEY": key], home: home)
                }
            }
            var all: [ProcessResult] = []
            for try await r in group { all.append(r) }
            return all
        }
        var ids: [String] = []
        for r in results {
            #expect(r.status == 0, "\(r.stderr)")
            if let id = r.stdout.firstMatch(of: /"message_id":\s*"?(\d+)/)?.1 { ids.append(String(id)) }
        }
        #expect(ids.count == 8, "\(results.map(\.stdout))")
        #expect(Set(ids).count == ids.count, "an id was issued twice: \(ids.sorted())")
        // Both processes see every message: the served sandbox answers for one --sandbox sent.
        let status = try await octopods(
            ["status", ids.sorted().first ?? "", "--channel", "sms"],
            environment: ["OCTOPODS_BASE_URL": served.url, "OCTOPODS_SMS_API_KEY": key], home: home)
        #expect(status.status == 0, "\(status.stderr)")
    }

    // MARK: Point 14: Ctrl-C at the hidden key prompt

    @Test func ctrlCAtTheHiddenPromptRestoresTheTerminal() async throws {
        let home = scratchDirectory()
        let driver = """
            import os, pty, signal, sys, select, time
            # A test runner's thread may block signals, and the mask survives exec.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
            binary, home = sys.argv[1], sys.argv[2]
            pid, fd = pty.fork()
            if pid == 0:
                env = {"HOME": home, "PATH": "/usr/bin:/bin", "TERM": "dumb"}
                os.execve("/bin/sh", ["sh", "-c", "trap '' INT; '" + binary + "' config set whatsapp_api_key; echo EXIT=$?; stty -a; echo DONE"], env)
            out = b""
            def until(token, seconds=30):
                global out
                end = time.monotonic() + seconds
                while token not in out and time.monotonic() < end:
                    ready, _, _ = select.select([fd], [], [], 0.5)
                    if ready:
                        try:
                            chunk = os.read(fd, 4096)
                        except OSError:
                            return
                        if not chunk:
                            return
                        out += chunk
            # The prompt is printed after the terminal's settings are saved for a Ctrl-C to restore.
            until(b"input hidden")
            os.write(fd, b"\\x03")
            until(b"DONE")
            if b"DONE" not in out:
                # The prompt ignored Ctrl-C: end it (closing the pty ends what is left).
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            os.waitpid(pid, 0)
            sys.stdout.write(out.decode("utf-8", "replace"))
            """
        let script = home.appendingPathComponent("driver.py")
        try Data(driver.utf8).write(to: script)
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            Issue.record("python3 is needed to drive a pseudo-terminal")
            return
        }
        let result = try await runTool(
            python, [script.path, octopodsBinary.path, home.path], environment: ["PATH": "/usr/bin:/bin"], timeout: 90)
        #expect(result.output.contains("input hidden"), "\(result.output)")
        #expect(result.output.contains("EXIT=130"), "one Ctrl-C ends the prompt: \(result.output)")
        let settings = result.output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == ";" }).map(String.init)
        #expect(settings.contains("echo") && !settings.contains("-echo"), "echo is back on: \(result.output)")
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent(".config/octopods/config").path))
    }

    // MARK: Issue 15 item 7: a second Ctrl-C ends the process at once

    @Test func aSecondInterruptExitsAtOnce() async throws {
        let slow = try Counting { _ in
            SandboxResponse(status: 201, headers: Self.json, body: Data(#"{"message_id": 1}"#.utf8), fault: .delay(120))
        }
        defer { slow.stop() }
        let home = scratchDirectory()
        let csv = home.appendingPathComponent("list.csv")
        try Data("phone,1,2\n+14155552671,a,b\n+14155552672,c,d\n".utf8).write(to: csv)
        let errors = Pipe()
        let process = try startOctopods(
            ["send", "template", "1001", "--no-verify", "--from", csv.path, "--yes", "--timeout", "300s"],
            environment: ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(slow.server.port)", "OCTOPODS_API_KEY": Self.key],
            home: home, stderr: errors)
        defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
        for _ in 0..<600 where slow.requests == 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(slow.requests >= 1, "a request is in flight")
        // Two signals sent at once may merge into one; keep interrupting until it ends (the
        // first finishes in-flight requests, which take 120 s here: only a second ends it).
        for _ in 0..<200 where process.isRunning {
            kill(process.processIdentifier, SIGINT)
            for _ in 0..<10 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        }
        let text = try await offThePool { () -> String in
            let bytes = readToEnd(errors.fileHandleForReading)
            process.waitUntilExit()
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(process.terminationStatus == 130, "\(process.terminationStatus): \(text)")
        #expect(text.contains("Interrupted again: exiting now."), "\(text)")
    }

    // MARK: Point 15: userinfo in the base URL; a world-writable config directory

    @Test func userinfoInTheBaseURLIsRedacted() async throws {
        let sandbox = try TestSandbox()
        var environment = sandbox.environment
        environment["OCTOPODS_BASE_URL"] = "http://alice:hunter2-password@127.0.0.1:\(sandbox.server.port)"
        let dry = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "x", "--dry-run", "-o", "json"], environment: environment)
        let verbose = try await octopods(["templates", "list", "-v"], environment: environment)
        for r in [dry, verbose] {
            #expect(!r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"), "\(r.stdout)\n\(r.stderr)")
        }
        #expect(dry.stdout.contains("[redacted]@127.0.0.1"), "\(dry.stdout)")
    }

    @Test func aWorldWritableConfigDirectoryIsWarnedAbout() async throws {
        let home = scratchDirectory()
        let set = try await octopods(["config", "set", "base_url", "https://api.example.test"], home: home)
        #expect(set.status == 0)
        let directory = home.appendingPathComponent(".config/octopods")
        chmod(directory.path, 0o777)
        let list = try await octopods(["config", "list"], home: home)
        #expect(list.stderr.contains("writable by every user"), "\(list.stderr)")
    }
}

/// The ledger's time format (`2026-11-22T05:47:09.509Z`), for records the tests plant.
enum LedgerTimeForTests {
    static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).000Z"
    }
}

/// Runs blocking work (reading a pipe, waiting for a process, a socket exchange) on a GCD
/// thread: blocking one of Swift concurrency's few cooperative threads would stall every
/// other test running meanwhile.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// Runs a command with its stdout on a pseudo-terminal (`script`), returning what it printed.
func onTerminal(_ command: [String], home: URL) async throws -> String {
    let line = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    let result = try await runTool(
        "/usr/bin/script", ["-q", "-e", "-c", line, "/dev/null"],
        environment: ["HOME": home.path, "PATH": "/usr/bin:/bin", "TERM": "dumb", "COLUMNS": "200"])
    return result.output
}

/// `octopods sandbox` in the background: its base URL (first stdout line) and its keys (from
/// the banner on stderr).
final class ServedSandbox: Sendable {
    let process: Child
    let url: String
    let banner: String

    /// Blocks until the banner is out: call it off the cooperative pool (`offThePool`).
    init(_ arguments: [String], home: URL) throws {
        let output = try pipePair(), errors = try pipePair()
        let process = try Child(
            octopodsBinary.path, ["sandbox", "--port", "0"] + arguments,
            environment: ["HOME": home.path, "PATH": "/usr/bin:/bin"], stdout: output.write, stderr: errors.write)
        close(output.write)
        close(errors.write)
        self.process = process
        let line = readUntil(output.read) { $0.last == 0x0A }
        url = String(decoding: line.last == 0x0A ? line.dropLast() : line, as: UTF8.self)
        // The banner ends with the rate-limit line. The rest of both streams is drained, not kept.
        banner = String(decoding: readUntil(errors.read) { String(decoding: $0, as: UTF8.self).contains("Rate limit:") }, as: UTF8.self)
        DispatchQueue.global().async { _ = readAllAndClose(output.read) }
        DispatchQueue.global().async { _ = readAllAndClose(errors.read) }
    }

    func key(_ variable: String) -> String? {
        banner.split(separator: "\n").first { $0.contains("export \(variable)=") }
            .flatMap { $0.split(separator: "=", maxSplits: 1).last.map(String.init) }
    }

    var whatsappKey: String? { key("OCTOPODS_WHATSAPP_API_KEY") }
    var smsKey: String? { key("OCTOPODS_SMS_API_KEY") }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
        process.waitUntilExit()
    }
}

/// A loopback server of the test's own at the socket level: reads a request (head and
/// Content-Length body), then hands the socket to `respond`.
final class RawServer: Sendable {
    let fd: Int32
    let port: UInt16
    let flags = Counter()

    init(_ respond: @escaping @Sendable (Int32) -> Void) throws {
        let (fd, port) = try bindLoopback(listening: true)
        self.fd = fd
        self.port = port
        let flags = self.flags
        Thread.detachNewThread {
            while !flags.stopped.load(ordering: .relaxed) {
                let client = accept(fd, nil, nil)
                if client < 0 { if flags.stopped.load(ordering: .relaxed) { return }; continue }
                Thread.detachNewThread {
                    var timeout = timeval(tv_sec: 30, tv_usec: 0)
                    _ = setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    _ = setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    RawServer.readRequest(client)
                    respond(client)
                    close(client)
                }
            }
        }
    }

    static func readRequest(_ fd: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            buffer += chunk[0..<n]
            let text = String(decoding: buffer, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            let head = text[..<end.lowerBound].lowercased()
            let length =
                head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) + length <= buffer.count { return }
        }
    }

    /// Sends everything; false when the peer is gone.
    @discardableResult
    static func send(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress?.advanced(by: offset), raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    func stop() {
        flags.stopped.store(true, ordering: .relaxed)
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}

/// Connects to 127.0.0.1:`port`, sends `request`, returns everything the server answers.
func rawExchange(port: UInt16, _ request: String) throws -> String {
    let fd = try connectLoopback(port)
    defer { close(fd) }
    _ = RawServer.send(fd, Data(request.utf8))
    var answer = Data()
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        answer.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: answer, as: UTF8.self)
}

/// Sends `request` one byte every 20 ms until the server closes the connection (true) or the
/// whole request went out without that happening (false).
func trickle(port: UInt16, _ request: String) throws -> Bool {
    let fd = try connectLoopback(port)
    defer { close(fd) }
    for byte in request.utf8 {
        guard RawServer.send(fd, Data([byte])) else { return true }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&poller, 1, 20) > 0 {
            var scratch = [UInt8](repeating: 0, count: 4096)
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return true }
            if String(decoding: scratch[0..<n], as: UTF8.self).hasPrefix("HTTP/1.1 408") { return true }
        }
    }
    return false
}

func connectLoopback(_ port: UInt16) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
    return fd
}
