import Foundation
import Testing
import TestSupport
import OctopodsSandbox
#if canImport(Glibc)
import Glibc
#endif

/// Never the same message twice across runs, files and scripts (docs/bulk.md,
/// docs/repeat-guard.md): the repeat guard, idempotency keys, a grown campaign file, a fix-and-resend file;
/// and the two small traps beside them (a repeated --to, a full disk). The sandbox's request log
/// is the witness of what was sent.
@Suite struct NeverTwiceTests {
    func file(_ name: String, _ text: String, in dir: URL) -> URL {
        let url = dir.appendingPathComponent(name)
        try? Data(text.utf8).write(to: url)
        return url
    }

    func phones(_ sandbox: TestSandbox) -> [String] {
        sandbox.posts.compactMap { $0.body["destination_phone"]?.stringValue }
    }

    /// `--to A --to B` used to send to B only, and --dry-run said the request was valid.
    @Test func aRepeatedToIsAUsageErrorNamingFrom() async throws {
        let sandbox = try TestSandbox()
        for args in [
            ["send", "template", "1007", "--to", "+14155550101", "--to", "+14155550102", "--dry-run"],
            ["sms", "send", "--to", "+14155550101", "--to", "+14155550102", "--body", "hi"],
        ] {
            let r = await octopodsInProcess(args, environment: sandbox.environment)
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.contains("--to is given 2 times: a send has one recipient"), "\(r.stderr)")
            #expect(r.stderr.contains("--from FILE"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        #expect(sandbox.posts.isEmpty)
    }

    /// A journal that cannot be written (here: the file size limit, as a full disk would) stops
    /// the run with a sentence: what could not be written, how many rows went out, that the
    /// next run resumes; and the next run does.
    @Test func aFullDiskStopsTheRunWithAPlainSentence() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let rows = (0..<120).map { "+1415558\(String(format: "%04d", $0)),N\($0)\n" }.joined()
        let input = file("phones.csv", "phone,name\n" + rows, in: dir)
        let send = [
            "sms", "send", "--from", input.path, "--body", "Hello {name}", "--yes", "--rate", "off", "--concurrency", "1",
            "--journal", dir.appendingPathComponent("run.journal").path,
        ]
        // 4 blocks of 512 bytes (dash's unit) or of 1024: either fills long before 120 rows.
        let limited = try spawnAndWait(
            "/bin/sh", ["-c", "ulimit -f 4; trap '' XFSZ; exec \"$0\" \"$@\"", octopodsBinary.path] + send,
            environment: octopodsEnvironment(sandbox.environment, home: dir), input: Data(), timeout: 60)
        let stderr = String(decoding: limited.stderr, as: UTF8.self)
        #expect(limited.status == 1, "\(stderr)")
        let went = Set(phones(sandbox)).count
        #expect(went > 0 && went < 120)
        #expect(
            stderr.contains(
                "error: cannot write the journal \(dir.path)/run.journal: File too large. The run stopped there: \(went) of 120 rows went out, each recorded in the journal"
            ), "\(stderr)")
        #expect(stderr.contains("Make room, then run the same command again: it resumes with the rows not sent yet."))
        #expect(!stderr.contains("failed("))
        // The row whose answer could not be recorded stays "sending": not resent, so maybe exit 5.
        let resumed = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(resumed.status == 0 || resumed.status == 5, "\(resumed.stderr)")
        #expect(phones(sandbox).count == 120)
        #expect(Set(phones(sandbox)).count == 120)
    }

    static func json(_ text: String) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]) ?? [:]
    }

    /// A script retrying a send after a timeout, or a second cron job: the identical message is
    /// not sent again; the earlier result is printed as the send printed it, exit 0.
    @Test func aRetriedSingleSendPrintsTheEarlierResultAndSendsNothing() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let send = ["send", "template", "1001", "--to", "+14155550123", "--var", "1=Ana", "--var", "2=A-1"]
        let first = try await octopods(send, environment: sandbox.environment, home: home)
        #expect(first.status == 0, "\(first.stderr)")
        let id = try #require(Self.json(first.stdout)["message_id"] as? String)
        let again = try await octopods(send, environment: sandbox.environment, home: home)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Self.json(again.stdout)["message_id"] as? String == id)
        #expect(Self.json(again.stdout)["phone_number"] as? String == "+14155550123")
        #expect(again.stderr.contains("identical to the message sent at "), "\(again.stderr)")
        #expect(again.stderr.contains(" (message \(id)); not sent again (--allow-repeat sends it)"), "\(again.stderr)")
        #expect(sandbox.posts.count == 1)
        // Another message to the same number goes; so does the same one with --allow-repeat.
        let other = await octopodsInProcess(
            ["send", "template", "1001", "--to", "+14155550123", "--var", "1=Ana", "--var", "2=A-2"],
            environment: sandbox.environment, home: home)
        #expect(other.status == 0, "\(other.stderr)")
        let allowed = await octopodsInProcess(send + ["--allow-repeat"], environment: sandbox.environment, home: home)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(!allowed.stderr.contains("not sent again"))
        #expect(sandbox.posts.count == 3)
        // repeat_window = off: not looked for.
        _ = await octopodsInProcess(["config", "set", "repeat_window", "off"], environment: sandbox.environment, home: home)
        let off = await octopodsInProcess(send, environment: sandbox.environment, home: home)
        #expect(off.status == 0, "\(off.stderr)")
        #expect(sandbox.posts.count == 4)
        let bad = await octopodsInProcess(["config", "set", "repeat_window", "sometimes"], environment: sandbox.environment, home: home)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("invalid repeat_window 'sometimes': use a duration (e.g. 24h, 30m) or off"))
    }

    /// Only accepted or unknown sends count, and only within the window: a rejected one, or
    /// one older than repeat_window, does not stop the next.
    @Test func theWindowAndTheOutcomeDecide() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        _ = await octopodsInProcess(["config", "set", "repeat_window", "1ms"], environment: sandbox.environment, home: home)
        let send = ["sms", "send", "--to", "+14155550123", "--body", "Your code is 1234"]
        for _ in 0..<2 {
            let r = await octopodsInProcess(send, environment: sandbox.environment, home: home)
            #expect(r.status == 0, "\(r.stderr)")
            // The next send starts more than the 1 ms window after this one was recorded: in
            // process, on an idle machine, it could start within it (time only moves forward,
            // so this wait guarantees the age; it synchronises with nothing).
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        #expect(sandbox.posts.count == 2)
        _ = await octopodsInProcess(["config", "set", "repeat_window", "24h"], environment: sandbox.environment, home: home)
        // A provider error is a rejection (exit 1): sending it again is not a repeat.
        for _ in 0..<2 {
            let r = await octopodsInProcess(
                ["sms", "send", "--to", "+15550100004", "--body", "hi"], environment: sandbox.environment, home: home)
            #expect(r.status == 1, "\(r.stderr)")
        }
        #expect(sandbox.posts.count == 4)
        // A reset connection after the request: unknown (exit 5), and then a repeat, said to be unknown.
        let unknown = await octopodsInProcess(
            ["sms", "send", "--to", "+15550100104", "--body", "hi"], environment: sandbox.environment, home: home)
        #expect(unknown.status == 5, "\(unknown.stderr)")
        let again = await octopodsInProcess(
            ["sms", "send", "--to", "+15550100104", "--body", "hi"], environment: sandbox.environment, home: home)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            again.stderr.contains("whose outcome is unknown (it may have been delivered); not sent again (--allow-repeat sends it)"),
            "\(again.stderr)")
        #expect(Self.json(again.stdout)["status"] as? String == "unknown")
        #expect(sandbox.posts.count == 5)
    }

    /// With --no-ledger (or ledger = off) the guard cannot look: it says so once, and sends.
    @Test func withoutAHistoryTheGuardSaysItIsOff() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let send = ["sms", "send", "--to", "+14155550123", "--body", "hi"]
        _ = await octopodsInProcess(send, environment: sandbox.environment, home: home)
        let r = await octopodsInProcess(send + ["--no-ledger"], environment: sandbox.environment, home: home)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr
                == "warning: with --no-ledger the history is not kept, so an identical message sent lately cannot be found: the repeat guard is off for this run\n"
        )
        #expect(sandbox.posts.count == 2)
        let quiet = await octopodsInProcess(send + ["--no-ledger", "--allow-repeat"], environment: sandbox.environment, home: home)
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
        let key = await octopodsInProcess(send + ["--no-ledger", "--idempotency-key", "k1"], environment: sandbox.environment, home: home)
        #expect(key.status == 2)
        #expect(key.stderr.contains("--idempotency-key is kept in the history, which --no-ledger turns off"), "\(key.stderr)")
        #expect(sandbox.posts.count == 3)
        // A bulk run says it once, not per row.
        let input = file("p.csv", "phone\n+14155550001\n+14155550002\n+14155550003\n", in: home)
        let bulk = await octopodsInProcess(
            ["sms", "send", "--from", input.path, "--body", "hi", "--rate", "off", "--no-ledger"],
            environment: sandbox.environment, home: home)
        #expect(bulk.status == 0, "\(bulk.stderr)")
        #expect(bulk.stderr.components(separatedBy: "the repeat guard is off for this run").count == 2, "\(bulk.stderr)")
        #expect(sandbox.posts.count == 6)
    }

    func lines(_ stdout: String) -> [[String: Any]] {
        stdout.split(separator: "\n").map { Self.json(String($0)) }
    }

    func waitForExit(_ process: Child) async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }

    /// A cron job appending today's sign-ups to the campaign file: the rows an earlier run sent
    /// are skipped (whatever repeat_window says: the journal remembers them), only the new ones
    /// go, run after run; --new-run sends them all again.
    @Test func aGrownFileSendsOnlyItsNewRows() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        _ = await octopodsInProcess(["config", "set", "repeat_window", "off"], environment: sandbox.environment, home: home)
        var text = "phone,name\n+14155550001,Ann\n+14155550002,Bo\n+14155550003,Cy\n"
        let input = file("c.csv", text, in: home)
        let send = ["sms", "send", "--from", input.path, "--body", "hi {name}", "--yes", "--rate", "off"]
        let first = try await octopods(send, environment: sandbox.environment, home: home)
        #expect(first.status == 0, "\(first.stderr)")
        let ids = Dictionary(
            uniqueKeysWithValues: lines(first.stdout).compactMap { line in
                (line["phone"] as? String).map { ($0, line["message_id"] as? String ?? "") }
            })
        text += "+14155550004,Di\n"
        try Data(text.utf8).write(to: input)
        let second = try await octopods(send, environment: sandbox.environment, home: home)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("3 rows identical to rows sent at "), "\(second.stderr)")
        #expect(second.stderr.contains(" are skipped; --new-run sends them again."))
        #expect(Set(phones(sandbox)).count == 4)
        #expect(sandbox.posts.count == 4)
        let repeats = lines(second.stdout).filter { $0["status"] as? String == "repeat" }
        #expect(repeats.count == 3)
        for line in repeats { #expect(line["message_id"] as? String == ids[line["phone"] as? String ?? ""]) }
        // A changed row is a new message: it goes; and the next day's run still skips what the first sent.
        text = text.replacingOccurrences(of: "Bo", with: "Bob") + "+14155550005,Ed\n"
        try Data(text.utf8).write(to: input)
        let third = await octopodsInProcess(send, environment: sandbox.environment, home: home)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stderr.contains("3 rows identical to rows sent at "), "\(third.stderr)")
        #expect(sandbox.posts.count == 6)
        let again = await octopodsInProcess(send + ["--new-run"], environment: sandbox.environment, home: home)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(sandbox.posts.count == 11)
    }

    /// A bulk row identical to a message sent lately (here by a single send) is a repeat: counted
    /// before anything is sent, skipped with the earlier message id, recorded in the journal.
    @Test func aBulkRowSentLatelyIsARepeat() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let single = try await octopods(
            ["sms", "send", "--to", "+14155550001", "--body", "hi Ann"], environment: sandbox.environment, home: home)
        let id = try #require(Self.json(single.stdout)["message_id"] as? String)
        let input = file("other.csv", "phone,first\n+14155550001,Ann\n+14155550002,Bo\n", in: home)
        let send = ["sms", "send", "--from", input.path, "--body", "hi {first}", "--rate", "off"]
        let dry = await octopodsInProcess(send + ["--dry-run"], environment: sandbox.environment, home: home)
        #expect(Self.json(dry.stdout)["to_send"] as? Int == 1, "\(dry.stdout)")
        #expect(Self.json(dry.stdout)["repeat"] as? Int == 1)
        let r = await octopodsInProcess(send, environment: sandbox.environment, home: home)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stderr.contains(
                "1 row is identical to messages the history shows as sent within repeat_window (24h) or kept under the same idempotency key, and is skipped; --allow-repeat sends them."
            ), "\(r.stderr)")
        let row = try #require(lines(r.stdout).first { $0["line"] as? Int == 2 })
        #expect(row["status"] as? String == "repeat")
        #expect(row["message_id"] as? String == id)
        #expect((row["note"] as? String)?.contains("identical to the message sent at ") == true)
        #expect(sandbox.posts.count == 2)
        let journal = try #require(Self.json(dry.stdout)["journal"] as? String)
        #expect(((try? String(contentsOfFile: journal, encoding: .utf8)) ?? "").contains(#""state":"repeat","message_id":"\#(id)""#))
        // --allow-repeat sends it.
        let other = file("again.csv", "phone,first\n+14155550001,Ann\n", in: home)
        let allowed = await octopodsInProcess(
            ["sms", "send", "--from", other.path, "--body", "hi {first}", "--rate", "off", "--allow-repeat"],
            environment: sandbox.environment, home: home)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(sandbox.posts.count == 3)
    }

    /// Two runs started at once with the same message for the same people, from different files
    /// (two cron jobs): each person gets it once. And two single sends at once: one request.
    @Test func twoProcessesAtOnceSendEachMessageOnce() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let numbers = (0..<40).map { "+1415559\(String(format: "%04d", $0))\n" }
        // Two files with the same people in another order: the same content would be one
        // campaign (one journal, one run at a time: docs/linux-notes.md), not two cron jobs.
        let a = file("a.csv", "phone\n" + numbers.joined(), in: home), b = file("b.csv", "phone\n" + numbers.reversed().joined(), in: home)
        let runs = try [a, b].map { input in
            try startOctopods(
                ["sms", "send", "--from", input.path, "--body", "Reminder: your visit is tomorrow", "--yes", "--rate", "off"],
                environment: sandbox.environment, home: home)
        }
        for run in runs { #expect(await waitForExit(run) == 0) }
        #expect(sandbox.posts.count == 40)
        #expect(Set(phones(sandbox)).count == 40)
        let singles = try (0..<2).map { _ in
            try startOctopods(["sms", "send", "--to", "+14155550999", "--body", "once"], environment: sandbox.environment, home: home)
        }
        for single in singles { #expect(await waitForExit(single) == 0) }
        #expect(sandbox.posts.count == 41)
    }

    /// --idempotency-key: the same key and request give the first result, at any distance in
    /// time and whatever --allow-repeat says; another request with it is refused. In bulk, the
    /// key comes from a column.
    @Test func idempotencyKeysSendOnce() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        _ = await octopodsInProcess(["config", "set", "repeat_window", "off"], environment: sandbox.environment, home: home)
        let send = ["sms", "send", "--to", "+14155550001", "--body", "hi Ann", "--idempotency-key", "order-1"]
        let first = try await octopods(send, environment: sandbox.environment, home: home)
        #expect(first.status == 0, "\(first.stderr)")
        let id = try #require(Self.json(first.stdout)["message_id"] as? String)
        for extra in [[], ["--allow-repeat"]] {
            let again = await octopodsInProcess(send + extra, environment: sandbox.environment, home: home)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(Self.json(again.stdout)["message_id"] as? String == id)
            #expect(again.stderr.contains("the idempotency key 'order-1' was used at "), "\(again.stderr)")
        }
        let other = await octopodsInProcess(
            ["sms", "send", "--to", "+14155550001", "--body", "hi Bob", "--idempotency-key", "order-1"],
            environment: sandbox.environment, home: home)
        #expect(other.status == 2)
        #expect(other.stderr.contains("error: the idempotency key 'order-1' was used at "), "\(other.stderr)")
        #expect(other.stderr.contains(" for another message (to +14155550001); nothing was sent"))
        #expect(sandbox.posts.count == 1)
        // Bulk: order-1 was this very message; order-2 is new.
        let input = file("orders.csv", "phone,first,order\n+14155550001,Ann,order-1\n+14155550002,Bo,order-2\n", in: home)
        let bulk = ["sms", "send", "--from", input.path, "--body", "hi {first}", "--rate", "off", "--idempotency-column", "order"]
        let r = await octopodsInProcess(bulk, environment: sandbox.environment, home: home)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(lines(r.stdout).first { $0["line"] as? Int == 2 }?["message_id"] as? String == id)
        #expect(sandbox.posts.count == 2)
        // A key used for another message: that row is invalid, nothing is sent.
        let clash = file("clash.csv", "phone,first,order\n+14155550003,Cy,order-2\n", in: home)
        let refused = await octopodsInProcess(
            ["sms", "send", "--from", clash.path, "--body", "hi {first}", "--rate", "off", "--idempotency-column", "order"],
            environment: sandbox.environment, home: home)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("line 2: the idempotency key 'order-2' was used at "), "\(refused.stderr)")
        #expect(sandbox.posts.count == 2)
        let single = await octopodsInProcess(
            ["sms", "send", "--from", clash.path, "--body", "x", "--idempotency-key", "k"],
            environment: sandbox.environment, home: home)
        #expect(single.status == 2)
        #expect(single.stderr.contains("--idempotency-column NAME"), "\(single.stderr)")
    }

    /// `--rejected fix.csv`, then "fix them there and send that file": a duplicate row (its
    /// recipient gets the message from the earlier row) is not in it, and the notice says so.
    @Test func theRejectedFileHoldsNoRowWhoseRecipientGotTheMessage() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let input = file("c.csv", "phone,first\n+14155550001,Ann\n+14155550002,Bo\n+14155550001,Ann\nnot-a-phone,Cy\n", in: home)
        let fix = home.appendingPathComponent("fix.csv")
        let r = try await octopods(
            [
                "sms", "send", "--from", input.path, "--body", "hi {first}", "--rate", "off", "--skip-invalid",
                "--rejected", fix.path,
            ], environment: sandbox.environment, home: home)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("line 4: the same phone and content as an earlier row (a duplicate)"))
        #expect(
            r.stderr.contains(
                "1 duplicate row (the same phone and content as an earlier row) is left out of \(fix.path): the earlier row is the one sent."
            ), "\(r.stderr)")
        let rejected = try String(contentsOf: fix, encoding: .utf8)
        #expect(!rejected.contains("+14155550001"), "\(rejected)")
        #expect(rejected.contains("not-a-phone,Cy,"))
        #expect(sandbox.posts.count == 2)
    }

    /// The index is only a shortcut: damaged (or left behind by a prune), it is rebuilt from the
    /// ledger, and the earlier send is still found.
    @Test func theIndexIsRebuiltFromTheLedger() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let send = ["sms", "send", "--to", "+14155550123", "--body", "hi"]
        _ = await octopodsInProcess(send, environment: sandbox.environment, home: home)
        let index = home.appendingPathComponent(".local/state/octopods/sandbox-history.ndjson.index")
        try Data("garbage".utf8).write(to: index)
        let again = await octopodsInProcess(send, environment: sandbox.environment, home: home)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("not sent again"), "\(again.stderr)")
        #expect(sandbox.posts.count == 1)
    }
}
