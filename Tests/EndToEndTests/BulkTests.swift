import Foundation
import Testing
import TestSupport
import OctopodsSandbox

/// Bulk sends through the real binary against the sandbox; the sandbox's request log is the
/// witness of what was sent.
@Suite struct BulkEndToEndTests {
    func csv(_ rows: Int, in dir: URL) -> URL {
        let url = dir.appendingPathComponent("customers.csv")
        var text = "phone,name,1,2\r\n"
        for i in 0..<rows { text += "+1415556\(String(format: "%04d", i)),\"Doe, N\(i)\",N\(i),A-\(i)\r\n" }
        try? Data(text.utf8).write(to: url)
        return url
    }

    func sentPhones(_ sandbox: TestSandbox) -> [String] {
        sandbox.posts.compactMap { $0.body["destination_phone"]?.stringValue }
    }

    /// Pacing at the limit with eight requests in flight, for six windows: the sandbox never
    /// sees more than the limit in any window, whatever the latency (each slot is held until
    /// its answer plus the window). A short window keeps the run short; the argument does not
    /// depend on its length (the sandbox reads its clock in the order it handles requests).
    @Test func manyRowsUnderALowRateLimitNeverGetA429() async throws {
        let sandbox = try TestSandbox(rateLimit: SandboxRateLimit(count: 50, window: 0.25))
        let dir = scratchDirectory()
        let r = try await octopods(
            ["send", "template", "1001", "--from", csv(300, in: dir).path, "--rate", "50/250ms", "--concurrency", "8"],
            environment: sandbox.environment, timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 300)
        let requests = sandbox.api.recordedRequests()
        #expect(requests.filter { $0.status == 429 }.isEmpty)
        #expect(Set(sentPhones(sandbox)).count == 300)
        #expect(sandbox.posts.count == 300)
    }

    @Test func fieldsChooseTheKeysOfEachRowLine() async throws {
        let sandbox = try TestSandbox()
        let file = csv(3, in: scratchDirectory())
        let bad = try await octopods(
            ["send", "template", "1001", "--from", file.path, "--fields", "line,colour"], environment: sandbox.environment)
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("error: --fields: unknown field 'colour'; valid fields: line, phone, status, message_id"))
        #expect(sandbox.posts.isEmpty)
        let r = try await octopods(
            ["send", "template", "1001", "--from", file.path, "--fields", "status,line"], environment: sandbox.environment)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // Rows finish in any order (four in flight): the same three lines, each with just those keys.
        #expect(
            lines.sorted() == [#"{"status":"accepted","line":2}"#, #"{"status":"accepted","line":3}"#, #"{"status":"accepted","line":4}"#])
    }

    /// libcurl resends a request whose reused connection dies before an answer; a send must never
    /// go out on a reused connection (docs/linux-notes.md).
    @Test func aConnectionResetOnAReusedConnectionIsNeverResent() async throws {
        let sandbox = try TestSandbox()
        let file = scratchDirectory().appendingPathComponent("rows.csv")
        // Row 2 is the sandbox's "connection reset after the request" number.
        try Data("phone,body\n+14155550001,first\n+15550100104,second\n+14155550003,third\n".utf8).write(to: file)
        let r = try await octopods(
            ["sms", "send", "--from", file.path, "--rate", "off", "--concurrency", "1"],
            environment: sandbox.environment)
        #expect(r.status == 5, "\(r.stderr)")
        #expect(sandbox.posts.count == 3, "one POST per row, none resent: \(sentPhones(sandbox))")
        #expect(sentPhones(sandbox).filter { $0 == "+15550100104" }.count == 1)
    }

    @Test func killedAtRandomPointsAndResumedSendsEachRowAtMostOnce() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = csv(300, in: dir)
        // The kill points are random, from a seed printed with every failure (replay with
        // OCTOPODS_TEST_SEED). Where a kill lands depends on the machine's speed; what is checked
        // holds wherever it lands.
        let seed = TestSeed.make()
        var generator = SeededGenerator(seed: seed)
        var killPoints: [UInt64] = []
        for _ in 0..<8 {
            let process = try startOctopods(
                ["send", "template", "1001", "--from", file.path, "--rate", "off", "--concurrency", "4"],
                environment: sandbox.environment, home: dir)
            let delay = UInt64.random(in: 30_000_000...250_000_000, using: &generator)
            killPoints.append(delay / 1_000_000)
            try await Task.sleep(nanoseconds: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    process.waitUntilExit(); continuation.resume()
                }
            }
        }
        let replay = "seed \(seed) (OCTOPODS_TEST_SEED=\(seed)), kills after \(killPoints) ms"
        // One run left alone finishes what the killed ones left (or, if one of them got to the
        // end before its kill, is refused: the file was sent)...
        let finishing = try await octopods(
            ["send", "template", "1001", "--from", file.path, "--rate", "off", "--concurrency", "4"],
            environment: sandbox.environment, home: dir, timeout: 120)
        #expect(
            finishing.status == 0 || finishing.status == 5 || (finishing.status == 2 && finishing.stderr.contains("was sent already")),
            "\(replay)\n\(finishing.stderr)")
        // ...and the run finished: a final run of the same file is refused and resends nothing.
        let before = sandbox.posts.count
        let last = try await octopods(
            ["send", "template", "1001", "--from", file.path, "--rate", "off"], environment: sandbox.environment,
            home: dir, timeout: 60)
        #expect(sandbox.posts.count == before, "\(replay)")
        #expect(last.status == 2, "\(replay)")
        #expect(last.stderr.contains("was sent already"), "\(replay)\n\(last.stderr)")
        let phones = sentPhones(sandbox)
        #expect(phones.count == Set(phones).count, "a row was sent twice; \(replay)")
        // Every row sent once, or recorded as having no answer (the kill came mid-request).
        let unknown = try journalStates(home: dir).values.filter { $0 == "sending" || $0 == "unknown" }.count
        #expect(phones.count + unknown >= 300, "\(replay)")
        #expect(phones.count <= 300, "\(replay)")
    }

    /// The last state of each line in the one journal under `home`'s state directory.
    func journalStates(home: URL) throws -> [Int: String] {
        let directory = home.appendingPathComponent(".local/state/octopods/journals/sandbox")
        // The input's journal (its other name, for its content from stdin, is the same file).
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasSuffix(".journal") && !$0.hasPrefix("stdin.")
        }
        let name = try #require(names.count == 1 ? names.first : nil, "\(names)")
        var states: [Int: String] = [:]
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        for line in text.split(separator: "\n") {
            guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let row = json["line"] as? Int, let state = json["state"] as? String
            else { continue }
            states[row] = state
        }
        return states
    }

    @Test func everyKindOfBadRowIsReportedWithItsLineAndNothingIsSent() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let rows = [
            "phone,name,1,2,header_url",
            "+14155552601,Ok,a,b,",  // 2: fine
            "+1 415 555 2602,Spaced,a,b,",  // 3: phone with spaces
            ",NoPhone,a,b,",  // 4: no phone
            "14155552604,NoPlus,a,b,",  // 5: no +
            "+14155552605,Missing,a,,",  // 6: a variable missing
            "+14155552606,Gap,,b,",  // 7: a gap (2 without 1)
            "\"+14155552607\",Break,\"two\nlines\",b,",  // 8-9: a line break in a value
            "+14155552601,Ok,a,b,",  // 10: duplicate of line 2
            "+14155552610,Ragged,a,b,,extra",  // 11: too many fields
            "+14155552611,Media,a,b,https://example.com/x.jpg",  // 12: template has no media header
            "+14155552612,BadURL,a,b,ftp://x/y.jpg",  // 13: not an http(s) URL
            "+0014155552613,Zero,a,b,",  // 14: not E.164
        ]
        let url = dir.appendingPathComponent("bad.csv")
        try Data((rows.joined(separator: "\n") + "\n").utf8).write(to: url)
        let r = try await octopods(["send", "template", "1001", "--from", url.path, "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 2)
        for line in [3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14] {
            #expect(r.stderr.contains("line \(line): "), "line \(line) not reported:\n\(r.stderr)")
        }
        #expect(!r.stderr.contains("line 2: "))
        #expect(r.stderr.contains("line 3: phone '+1 415 555 2602' is not an E.164 phone number; did you mean +14155552602?"))
        #expect(r.stderr.contains("line 6: template 1001 (order_update) needs 2 body variables; got 1 (columns 1, 2, …)"))
        #expect(r.stderr.contains("line 10: the same phone and content as an earlier row (a duplicate)"))
        #expect(r.stderr.contains("error: 11 of 12 rows are invalid (listed above); nothing was sent"))
        #expect(sandbox.posts.isEmpty)
        let dry = try await octopods(["send", "template", "1001", "--from", url.path, "--dry-run"], environment: sandbox.environment)
        #expect(dry.status == 2)
        #expect(dry.stdout.hasPrefix(#"{"rows":12,"valid":1,"invalid":11"#))
        let skip = try await octopods(["send", "template", "1001", "--from", url.path, "--skip-invalid"], environment: sandbox.environment)
        #expect(skip.status == 0)
        #expect(sandbox.posts.count == 1)
        #expect(r.stderr.contains("line 4: no phone: the phone column is empty"))
        #expect(r.stderr.contains("line 12: template 1001 (order_update) has no media header, so the header_url column does not apply"))
        #expect(r.stderr.contains("line 13: column 'header_url' 'ftp://x/y.jpg' is not a valid http(s) URL"))
    }

    @Test func ctrlCStopsCleanlyAndTheRunResumes() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = csv(120, in: dir)
        let errors = Pipe()
        let process = try startOctopods(
            ["send", "template", "1001", "--from", file.path, "--rate", "30/1s", "--concurrency", "2"],
            environment: sandbox.environment, home: dir, stderr: errors)
        // Interrupt once it is demonstrably sending. Watched from a GCD thread: a test task
        // sleeping on the cooperative pool can be starved past the end of the run under load.
        let pid = process.processIdentifier
        let interrupted = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                // Until 10 rows are sent (4 s at the earliest, at 30/s), however slow the machine;
                // the limit only stops a run that died from hanging the suite.
                for _ in 0..<3_000 where sandbox.posts.count < 10 && process.isRunning { usleep(20_000) }
                continuation.resume(returning: kill(pid, SIGINT) == 0)
            }
        }
        #expect(interrupted, "the run ended before it could be interrupted")
        let stderr = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = readToEnd(errors.fileHandleForReading)
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
        #expect(process.terminationStatus == 130)
        #expect(stderr.contains("Interrupted: in-flight requests finished and the journal is written"))
        let partial = sandbox.posts.count
        #expect(partial > 0 && partial < 120)
        let resume = try await octopods(
            ["send", "template", "1001", "--from", file.path, "--rate", "off"], environment: sandbox.environment,
            home: dir, timeout: 60)
        #expect(resume.status == 0, "\(resume.stderr)")
        let phones = sentPhones(sandbox)
        #expect(phones.count == 120)
        #expect(Set(phones).count == 120)
    }

    @Test func smsAndInteractiveInBulk() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let sms = dir.appendingPathComponent("sms.ndjson")
        try Data((#"{"phone":"+14155552671","body":"Hi one"}"# + "\n" + #"{"phone":"+14155552672","body":"Hi two"}"# + "\n").utf8).write(
            to: sms)
        let r = try await octopods(["sms", "send", "--from", sms.path], environment: sandbox.environment)
        #expect(r.status == 0, "\(r.stderr)")
        let interactive = try await octopods(
            [
                "send", "interactive", "--from", csv(3, in: dir).path, "--body", "Confirm?",
                "--button", "y:Yes",
            ], environment: sandbox.environment)
        #expect(interactive.status == 2)  // columns 1 and 2 mean nothing to an interactive message
        #expect(interactive.stderr.contains("unknown columns '1', '2'"))
        let phones = dir.appendingPathComponent("phones.csv")
        try Data("phone,name\n+14155552681,A\n+14155552682,B\n".utf8).write(to: phones)
        let ok = try await octopods(
            ["send", "interactive", "--from", phones.path, "--body", "Confirm?", "--button", "y:Yes"],
            environment: sandbox.environment)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(sandbox.posts.filter { $0.path == "/api/v1/whatsapp/interactive" }.count == 2)
    }
}

/// A bulk --wait whose status checks are refused (401) stops at once, as a single --wait does:
/// the sends were accepted, their final status is not confirmed (exit 6). It used to ask again
/// every round until --wait-timeout.
@Suite struct BulkWaitRefusedTests {
    @Test func refusedStatusChecksStopTheWaitWithExit6() async throws {
        let json = [HTTPField("Content-Type", "application/json")]
        let counter = Counter()
        let api = try Counting { request in
            if request.method == "POST" {
                counter.add()
                return SandboxResponse(
                    status: 201, headers: json,
                    body: Data(#"{"message_id": \#(100 + counter.count), "phone_number": "+14155550000"}"#.utf8))
            }
            return SandboxResponse(status: 401, headers: json, body: Data(#"{"error": "Unauthorized"}"#.utf8))
        }
        defer { api.stop() }
        let home = scratchDirectory()
        let file = home.appendingPathComponent("c.csv")
        try Data("phone\n+14155552672\n+14155552673\n".utf8).write(to: file)
        let r = try await octopods(
            [
                "sms", "send", "--from", file.path, "--body", "hi", "--yes", "--wait", "--wait-timeout", "10m",
                "-o", "ndjson",
            ],
            environment: ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(api.server.port)", "OCTOPODS_API_KEY": "k-0001"],
            home: home, timeout: 120)
        #expect(r.status == 6, "\(r.stderr)")
        #expect(r.stderr.contains("the status checks of --wait were refused"), "\(r.stderr)")
        #expect(api.requests == 3, "two sends and one refused status check, not a round per pause: \(api.requests)")
    }
}

/// A usage error is raised before any file is touched: `--variables` with `--from` and
/// `--new-run` used to be refused only after the old journal had been archived.
@Suite struct BulkUsageBeforeFilesTests {
    @Test func variablesWithFromTouchesNoJournal() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let file = home.appendingPathComponent("c.csv")
        try Data("phone,1,2\n+14155552672,Ann,A-1\n".utf8).write(to: file)
        let send = ["send", "template", "1001", "--from", file.path, "--yes"]
        let first = try await octopods(send, environment: sandbox.environment, home: home)
        #expect(first.status == 0, "\(first.stderr)")
        let journals = home.appendingPathComponent(".local/state/octopods/journals")
        func files() -> [String] {
            (FileManager.default.enumerator(atPath: journals.path)?.allObjects as? [String] ?? []).sorted()
        }
        let before = files()
        let r = try await octopods(
            send + ["--new-run", "--variables", #"["Jane","A-1042"]"#], environment: sandbox.environment, home: home)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("--variables cannot be combined with --from"), "\(r.stderr)")
        #expect(files() == before, "no journal created or archived")
        // A malformed --var too: checked in init, with the command's other options.
        let bad = try await octopods(send + ["--new-run", "--var", "x"], environment: sandbox.environment, home: home)
        #expect(bad.status == 2, "\(bad.stderr)")
        #expect(bad.stderr.contains("--var 'x' is not N=VALUE"), "\(bad.stderr)")
        #expect(files() == before, "no journal created or archived")
        #expect(sandbox.posts.count == 1)
    }
}
