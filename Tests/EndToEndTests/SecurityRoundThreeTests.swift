import Foundation
import Testing
import TestSupport
import OctopodsSandbox
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Issue 24, round three: one file by two paths, files that lie, signals beyond Ctrl-C. Each
/// point through the real binary, with planted files, FIFOs or a second process where the point
/// needs them. (SECURITY.md names these tests.)
@Suite struct SecurityRoundThreeTests {
    static let sms = ["sms", "send", "--to", "+14155552671", "--body", "hi"]

    // MARK: Point 1: one file by two paths

    /// Every spelling of one input is one campaign: a linked directory, `/proc/self/root/…`, the
    /// same content from stdin before or after it, while a run holds it and after it finished.
    @Test func everySpellingOfOneInputIsOneCampaign() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let journals = JournalEndToEndTests()
        let real = home.appendingPathComponent("real")
        try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
        let file = journals.phoneList(40, in: real)
        let linked = home.appendingPathComponent("linked")
        try FileManager.default.createSymbolicLink(at: linked, withDestinationURL: real)
        let text = try String(contentsOf: file, encoding: .utf8)
        func send(_ from: String, rate: String = "off") -> [String] {
            ["sms", "send", "--from", from, "--body", "Hello", "--yes", "--rate", rate]
        }
        // A run through the linked directory holds the campaign (it waits an hour for its second slot).
        let held = try startOctopods(send(linked.path + "/phones.csv", rate: "1/1h"), environment: sandbox.environment, home: home)
        #expect(await journals.waitUntil { sandbox.posts.count >= 1 }, "the first run never sent")
        for (from, stdin) in [(file.path, ""), ("/proc/self/root" + file.path, ""), ("-", text)] {
            let second = try await octopods(send(from), environment: sandbox.environment, stdin: stdin, home: home)
            #expect(second.status == 2 && second.stderr.contains("is in use by another octopods run"), "\(from): \(second.stderr)")
        }
        #expect(sandbox.posts.count == 1)
        kill(held.processIdentifier, SIGKILL)
        await journals.waitForExit(held)
        let resumed = try await octopods(send("/proc/self/root" + file.path), environment: sandbox.environment, home: home)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(sandbox.posts.count == 40)
        for (from, stdin) in [(linked.path + "/phones.csv", ""), ("-", text)] {
            let again = try await octopods(send(from), environment: sandbox.environment, stdin: stdin, home: home)
            #expect(again.status == 2 && again.stderr.contains("was sent already"), "\(from): \(again.stderr)")
        }
        // Content sent from stdin first, then by path: one campaign too.
        let other = journals.phoneList(3, in: home, first: 100)
        let piped = try await octopods(
            send("-"), environment: sandbox.environment, stdin: try String(contentsOf: other, encoding: .utf8), home: home)
        #expect(piped.status == 0, "\(piped.stderr)")
        let byPath = try await octopods(send(other.path), environment: sandbox.environment, home: home)
        #expect(byPath.status == 2 && byPath.stderr.contains("was sent already"), "\(byPath.stderr)")
        #expect(sandbox.posts.count == 43)
    }

    // MARK: Point 2: files that lie

    @Test func implausibleNumbersInStateFilesResetOrRefuseButNeverTrap() async throws {
        let home = scratchDirectory()
        let send = ["--sandbox"] + Self.sms
        let first = try await octopods(send, home: home)
        #expect(first.status == 0, "\(first.stderr)")
        let rate = home.appendingPathComponent(".local/state/octopods/rate")
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: rate.path).first.map { rate.appendingPathComponent($0) })
        let written = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        // This boot's id and a monotonic time of it, so the planted pause is one in force now.
        let boot = try #require(written.first { $0.hasPrefix("boot ") })
        let time = try #require(written.first { $0.hasPrefix("r ") }?.split(separator: " ").dropFirst(3).first.flatMap { Double($0) })
        for planted in ["learned 1 1e-300 0", "learned 1 10 -1e300", "pause \(time + 100) 1e300", "pause \(time + 100) -1e300"] {
            try Data("octopods-rate-budget 1\n\(boot)\n\(planted)\nend\n".utf8).write(to: file)
            let run = try await octopods(send, home: home)
            #expect(run.status == 0, "\(planted): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains("held an impossible value") && run.stderr.contains("it was reset"), "\(planted): \(run.stderr)")
        }

        // A sandbox state whose next id cannot be counted on from: a clear error, no trap.
        let state = home.appendingPathComponent(".local/state/octopods/sandbox.json")
        let text = try String(contentsOf: state, encoding: .utf8)
        let planted = text.replacingOccurrences(
            of: #""nextMessageID":\d+"#, with: #""nextMessageID":9223372036854775807"#,
            options: .regularExpression)
        #expect(planted != text)
        try Data(planted.utf8).write(to: state)
        let trapped = try await octopods(send, home: home)
        #expect(trapped.status != 0 && trapped.status < 128, "\(trapped.status) \(trapped.stderr)")
        #expect(trapped.stderr.contains("nextMessageID 9223372036854775807 is out of range"), "\(trapped.stderr)")
    }

    // MARK: Point 6: one display path for URLs and headers

    @Test func theKeyAndUserinfoAreRedactedInEveryURLAndHeaderShown() async throws {
        let key = SecurityTests.key
        // A server that answers with a header named after the key.
        let hostile = try Counting { _ in
            SandboxResponse(
                status: 200, headers: [HTTPField(key, "echo"), HTTPField("X-Echo", key)] + SecurityTests.json, body: Data("{}".utf8))
        }
        defer { hostile.stop() }
        let home = scratchDirectory()
        let plain = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(hostile.server.port)", "OCTOPODS_SMS_API_KEY": key]
        // octopods() fails the test when the key appears anywhere in its output.
        let include = try await octopods(["api", "sms/messages", "-i"], environment: plain, home: home)
        #expect(
            include.status == 0 && include.stdout.contains("[redacted]: echo")
                && include.stdout.lowercased().contains("x-echo: [redacted]"), "\(include.stdout)")
        let keyFile = home.appendingPathComponent("holds-the-key.txt")
        try Data(key.utf8).write(to: keyFile)
        let query = try await octopods(
            ["api", "-X", "GET", "-F", "x=@\(keyFile.path)", "sms/messages", "--dry-run"], environment: plain, home: home)
        #expect(query.status == 0 && query.stdout.contains("?x=[redacted]"), "\(query.stdout)")

        var withUser = plain
        withUser["OCTOPODS_BASE_URL"] = "http://alice:hunter2-password@127.0.0.1:\(hostile.server.port)"
        for arguments in [
            ["api", "sms/messages", "--dry-run"], ["api", "sms/messages", "--dry-run", "-o", "json"], ["config", "list"],
            ["config", "get", "base_url"],
        ] {
            let r = try await octopods(arguments, environment: withUser, home: home)
            #expect(r.status == 0 && r.stdout.contains("[redacted]@127.0.0.1"), "\(arguments): \(r.stdout)\(r.stderr)")
            #expect(!r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"), "\(arguments): \(r.stdout)\(r.stderr)")
        }
        #expect(hostile.requests == 1)
    }

    // MARK: Point 7: control characters in the CSV we write

    /// What reaches a file raw: ESC (OSC 52, OSC 8, CSI), BEL, RLO, NUL.
    static let hostileText = #"\u001b]52;c;cm0gLXJmIH4=\u0007\u001b]8;;http://evil\u0007\u001b[2J\u202e\u0000x"#

    static func holdsControls(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E || $0.value == 0 }
    }

    @Test func serverTextInCSVFilesIsEscaped() async throws {
        let hostile = try Counting { request in
            if String(decoding: request.body, as: UTF8.self).contains("+14155550100") {
                return SandboxResponse(
                    status: 201, headers: SecurityTests.json, body: Data(#"{"message_id": "\#(Self.hostileText)"}"#.utf8))
            }
            return SandboxResponse(
                status: 400, headers: SecurityTests.json,
                body: Data(#"{"error": "\#(Self.hostileText)", "error_code": 3}"#.utf8))
        }
        defer { hostile.stop() }
        let home = scratchDirectory()
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(hostile.server.port)", "OCTOPODS_SMS_API_KEY": SecurityTests.key]
        let input = home.appendingPathComponent("phones.csv")
        try Data("phone,name\n+14155550100,A\n+14155550101,B\n".utf8).write(to: input)
        let rejected = home.appendingPathComponent("fix.csv")
        let bulk = try await octopods(
            ["sms", "send", "--from", input.path, "--body", "hi", "--yes", "--rejected", rejected.path],
            environment: environment, home: home)
        #expect(bulk.status == 1, "\(bulk.status) \(bulk.stderr)")
        let fix = try String(contentsOf: rejected, encoding: .utf8)
        #expect(fix.contains("+14155550101") && fix.contains("\\x1B]52") && !Self.holdsControls(fix), "\(fix.debugDescription)")
        let history = try await octopods(["history", "-o", "csv"], environment: environment, home: home)
        #expect(history.stdout.contains("\\x1B]52") && !Self.holdsControls(history.stdout), "\(history.stdout.debugDescription)")
    }

    // MARK: Points 4 and 5: a FIFO in place of a file; ids a shell would take for options

    /// Ids from a hostile server that start with `-` are never kept for completion; a FIFO
    /// planted as the template cache, the history or `--config` is refused at once instead of
    /// blocking in open(2) (where only SIGKILL reached it).
    @Test func fifosAreRefusedAndDashIDsAreNeverOffered() async throws {
        let hostile = try Counting { _ in
            let body =
                #"[{"template_id": "--yes", "template_name": "evil", "template_status": "Accepted"},"#
                + #" {"template_id": "-1", "template_name": "evil", "template_status": "Accepted"},"#
                + #" {"template_id": 1001, "template_name": "fine", "template_status": "Accepted"}]"#
            return SandboxResponse(status: 200, headers: SecurityTests.json, body: Data(body.utf8))
        }
        defer { hostile.stop() }
        let home = scratchDirectory()
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(hostile.server.port)", "OCTOPODS_WHATSAPP_API_KEY": SecurityTests.key]
        #expect(try await octopods(["templates", "list"], environment: environment, home: home).status == 0)
        let candidates = try await octopods(["__complete", "templates"], environment: environment, home: home)
        #expect(candidates.stdout == "1001\tfine\n", "\(candidates.stdout)")

        // The template cache as a FIFO: completion answers nothing, at once.
        let cache = home.appendingPathComponent(".cache/octopods/template-lists")
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: cache.path).first.map { cache.appendingPathComponent($0) })
        try FileManager.default.removeItem(at: file)
        #expect(mkfifo(file.path, 0o600) == 0)
        let blocked = try await octopods(["__complete", "templates"], environment: environment, home: home)
        #expect(blocked.status == 0 && blocked.stdout.isEmpty, "\(blocked.status) \(blocked.stdout)")

        // The history (a loopback server's: practice) and --config as FIFOs: a clear error, at once.
        let ledger = home.appendingPathComponent(".local/state/octopods/sandbox-history.ndjson")
        try FileManager.default.createDirectory(at: ledger.deletingLastPathComponent(), withIntermediateDirectories: true)
        #expect(mkfifo(ledger.path, 0o600) == 0)
        let history = try await octopods(["history"], environment: environment, home: home)
        #expect(history.status != 0 && history.stderr.contains("not a regular file"), "\(history.status) \(history.stderr)")
        let config = home.appendingPathComponent("config.fifo")
        #expect(mkfifo(config.path, 0o600) == 0)
        let list = try await octopods(["--config", config.path, "config", "list"], home: home)
        #expect(list.status == 3 && list.stderr.contains("not a regular file"), "\(list.status) \(list.stderr)")

        // A config file far larger than any config: refused before it is read.
        let huge = home.appendingPathComponent("huge.config")
        #expect(FileManager.default.createFile(atPath: huge.path, contents: nil, attributes: [.posixPermissions: 0o600]))
        #expect(truncate(huge.path, 200 << 20) == 0)
        let big = try await octopods(["--config", huge.path, "config", "list"], home: home)
        #expect(big.status == 3 && big.stderr.contains("larger than any such file"), "\(big.status) \(big.stderr)")
    }

    // MARK: Point 3: an id no status request can name

    @Test func historyRefreshSkipsAnIDItCannotAskAboutAndRefreshesTheRest() async throws {
        let hostile = try Counting { request in
            guard request.method == "POST" else {
                return SandboxResponse(
                    status: 200, headers: SecurityTests.json, body: Data(#"{"message_id": "m2", "status": "delivered"}"#.utf8))
            }
            let id = String(decoding: request.body, as: UTF8.self).contains("+14155550100") ? ".." : "m2"
            return SandboxResponse(status: 201, headers: SecurityTests.json, body: Data(#"{"message_id": "\#(id)"}"#.utf8))
        }
        defer { hostile.stop() }
        let home = scratchDirectory()
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(hostile.server.port)", "OCTOPODS_SMS_API_KEY": SecurityTests.key]
        for phone in ["+14155550100", "+14155550101"] {
            let sent = try await octopods(["sms", "send", "--to", phone, "--body", "hi"], environment: environment, home: home)
            #expect(sent.status == 0, "\(sent.stderr)")
        }
        for _ in 0..<2 {
            let refresh = try await octopods(["history", "refresh"], environment: environment, home: home)
            #expect(refresh.status == 0, "\(refresh.status) \(refresh.stderr)")
            #expect(refresh.stderr.contains("Skipping 1 message whose id cannot be asked about ('..')"), "\(refresh.stderr)")
        }
        #expect(hostile.requests == 3)  // two sends, one status (the second refresh finds m2 final)
    }

    // MARK: Point 8: signals beyond INT and TERM

    /// SIGHUP (the terminal closed) mid-bulk ends the run as SIGTERM does: the request in flight
    /// is answered and recorded, no row is left `sending`.
    @Test func aHangupMidBulkStopsGracefully() async throws {
        let answer = DispatchSemaphore(value: 0)
        let held = try Counting { _ in
            _ = answer.wait(timeout: .now() + 60)  // until the test has sent the signal
            return SandboxResponse(status: 201, headers: SecurityTests.json, body: Data(#"{"message_id": "m1"}"#.utf8))
        }
        defer { held.stop() }
        let home = scratchDirectory()
        let input = home.appendingPathComponent("phones.csv")
        try Data("phone\n+14155550100\n+14155550101\n+14155550102\n".utf8).write(to: input)
        let errors = Pipe()
        let process = try startOctopods(
            ["sms", "send", "--from", input.path, "--body", "hi", "--yes", "--concurrency", "1"],
            environment: ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(held.server.port)", "OCTOPODS_SMS_API_KEY": SecurityTests.key],
            home: home, stderr: errors)
        let journals = JournalEndToEndTests()
        #expect(await journals.waitUntil { held.requests >= 1 }, "no request went out")
        kill(process.processIdentifier, SIGHUP)
        answer.signal()
        let stderr = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = readToEnd(errors.fileHandleForReading)
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
        answer.signal(); answer.signal()
        #expect(process.terminationStatus == 130, "\(process.terminationStatus) \(stderr)")
        #expect(stderr.contains("Interrupted: in-flight requests finished and the journal is written"), "\(stderr)")
        let states = try BulkEndToEndTests().journalStates(home: home)
        #expect(!states.values.contains("sending") && states.values.contains("accepted"), "\(states)")
    }

    /// SIGQUIT (Ctrl-\) and SIGHUP at the template picker (raw mode) and at the hidden key
    /// prompt (no echo) put the terminal back; Ctrl-\ never reaches Swift's crash handler
    /// (with its settings left to their defaults here, it would offer to debug for 30 s).
    @Test(arguments: [SIGQUIT, SIGHUP])
    func aQuitOrHangupAtAPromptRestoresTheTerminal(_ signal: Int32) async throws {
        let sandbox = try TestSandbox()
        let prompts = PromptEndToEndTests()
        var environment = sandbox.environment
        environment["SWIFT_BACKTRACE"] = ""
        let picker = try await prompts.drive(
            ["send", "template", "--to", "+14155552671"], environment: environment,
            steps: [
                .expect("Filter: "), .signal(signal),
            ])
        #expect(picker.canonical && picker.echo, "\(picker.output)")
        #expect(picker.status == (signal == SIGQUIT ? 131 : 130), "\(picker.status) \(picker.output)")
        #expect(!picker.output.contains("debug"), "\(picker.output)")
        let prompt = try await prompts.drive(
            ["config", "set", "whatsapp_api_key"], environment: ["SWIFT_BACKTRACE": ""],
            steps: [
                .expect("input hidden"), .signal(signal),
            ])
        #expect(prompt.canonical && prompt.echo, "\(prompt.output)")
        #expect(prompt.status == (signal == SIGQUIT ? 131 : 129), "\(prompt.status) \(prompt.output)")
        #expect(sandbox.posts.isEmpty)
    }

    // MARK: Point 9: interactive drafts

    /// Two `send interactive` sessions at once (each editor waits until the other's draft
    /// exists): each edits its own private draft, each recipient gets its own message, and both
    /// drafts are gone after the send.
    @Test func twoInteractiveSessionsAtOnceHaveTheirOwnPrivateDrafts() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let editor = home.appendingPathComponent("editor.sh")
        try Data(
            """
            #!/bin/sh
            # editor.sh NAME OTHER DRAFT: notes the draft and its mode, edits it, waits for the other session's draft.
            echo "$3 $(stat -c %a "$3")" > "$0.$1"
            sed -i "s/Confirm your booking/$1: confirm your booking/" "$3"
            i=0; while [ ! -s "$0.$2" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
            """.utf8
        ).write(to: editor)
        let prompts = PromptEndToEndTests()
        func session(_ name: String, _ other: String, to phone: String) async throws -> PromptEndToEndTests.Transcript {
            var environment = sandbox.environment
            environment["HOME"] = home.path
            environment["EDITOR"] = "sh \(editor.path) \(name) \(other)"
            return try await prompts.drive(
                ["send", "interactive"], environment: environment,
                steps: [
                    .expect("Filter: "), .send("button\r"), .expect("To (E.164"), .send(phone + "\r"),
                    .expect("Send it? [y/N]"), .send("y"),
                ])
        }
        async let a = session("A", "B", to: "+14155550101")
        async let b = session("B", "A", to: "+14155550102")
        let (first, second) = try await (a, b)
        #expect(first.status == 0 && second.status == 0, "\(first.output)\n\(second.output)")
        let notes = try ["A", "B"].map { try String(contentsOfFile: editor.path + "." + $0, encoding: .utf8).split(separator: " ") }
        #expect(notes.count == 2 && notes[0].first != notes[1].first, "one draft for two sessions: \(notes)")
        #expect(notes.allSatisfy { $0.last == "600\n" }, "\(notes)")
        for (phone, name) in [("+14155550101", "A"), ("+14155550102", "B")] {
            let post = sandbox.posts.first { prompts.body($0).contains(phone) }
            #expect(prompts.body(post).contains("\(name): confirm your booking"), "\(prompts.body(post))")
        }
        let drafts = home.appendingPathComponent(".local/state/octopods/drafts")
        #expect(try FileManager.default.contentsOfDirectory(atPath: drafts.path).isEmpty, "drafts left after the send")
    }

    // MARK: Point 10: the cheap ones

    /// A history lock held by a stuck process: the send (its request already out) waits a bounded
    /// time, then says what it could not record; the lock holder is this test.
    @Test func aStuckHistoryLockHolderDelaysASendOnlyBriefly() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let ledger = home.appendingPathComponent(".local/state/octopods/sandbox-history.ndjson")
        try FileManager.default.createDirectory(at: ledger.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(ledger.path, O_RDWR | O_CREAT, 0o600)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX) == 0)
        let send = try await octopods(Self.sms + ["-o", "json"], environment: sandbox.environment, home: home)
        #expect(send.status == 0 && send.stdout.contains("message_id"), "\(send.status) \(send.stderr)")
        #expect(send.stderr.contains("held its lock for over 5 s") && send.stderr.contains("not recorded: {"), "\(send.stderr)")
        #expect(sandbox.posts.count == 1)
    }

    /// Thousands of planted requests "in flight" in a rate budget: reset with a warning, not waited for.
    @Test func plantedInFlightRequestsAreNotWaitedFor() async throws {
        let home = scratchDirectory()
        let send = ["--sandbox"] + Self.sms
        #expect(try await octopods(send, home: home).status == 0)
        let rate = home.appendingPathComponent(".local/state/octopods/rate")
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: rate.path).first.map { rate.appendingPathComponent($0) })
        let written = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        let boot = try #require(written.first { $0.hasPrefix("boot ") })
        let time = try #require(written.first { $0.hasPrefix("r ") }?.split(separator: " ").dropFirst(3).first)
        // pid 1 is alive: each entry would be waited for up to two minutes.
        let planted = (0..<10_000).map { "r planted-\($0) 1 \(time) 0" }.joined(separator: "\n")
        try Data("octopods-rate-budget 1\n\(boot)\n\(planted)\nend\n".utf8).write(to: file)
        let run = try await octopods(send, home: home)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("10,000 requests in flight") && run.stderr.contains("it was reset"), "\(run.stderr)")

        // The sandbox state holds the sandbox's keys: a copy left readable by others is made private.
        let state = home.appendingPathComponent(".local/state/octopods/sandbox.json")
        chmod(state.path, 0o644)
        #expect(try await octopods(send, home: home).status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: state.path)[.posixPermissions] as? Int) == 0o600)
    }

    /// `-H 'User-Agent:'` removes the header, as `api --help` says.
    @Test func anEmptyHeaderRemovesIt() async throws {
        let agents = Mutex<[String?]>([])
        let server = try Counting { request in
            agents.withLock { $0.append(request.header("User-Agent")) }
            return SandboxResponse(status: 200, headers: SecurityTests.json, body: Data("{}".utf8))
        }
        defer { server.stop() }
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(server.server.port)", "OCTOPODS_SMS_API_KEY": SecurityTests.key]
        #expect(try await octopods(["api", "sms/messages"], environment: environment).status == 0)
        #expect(try await octopods(["api", "sms/messages", "-H", "User-Agent:"], environment: environment).status == 0)
        let seen = agents.withLock { $0 }
        #expect(seen.count == 2 && seen[0]?.hasPrefix("octopods") == true && seen[1] == nil, "\(seen)")
    }
}
