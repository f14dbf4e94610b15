import Foundation
import Testing
import TestSupport
import OctopodsSandbox
#if canImport(Glibc)
import Glibc
#endif

/// Never the same message twice across runs, files and scripts (README "Bulk sends", "Sent
/// once"): the repeat guard, idempotency keys, a grown campaign file, a fix-and-resend file;
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
        for args in [["send", "template", "1007", "--to", "+14155550101", "--to", "+14155550102", "--dry-run"],
                     ["sms", "send", "--to", "+14155550101", "--to", "+14155550102", "--body", "hi"]] {
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
        let send = ["sms", "send", "--from", input.path, "--body", "Hello {name}", "--yes", "--rate", "off", "--concurrency", "1",
                    "--journal", dir.appendingPathComponent("run.journal").path]
        // 4 blocks of 512 bytes (dash's unit) or of 1024: either fills long before 120 rows.
        let limited = try spawnAndWait("/bin/sh", ["-c", "ulimit -f 4; trap '' XFSZ; exec \"$0\" \"$@\"", octopodsBinary.path] + send,
                                       environment: octopodsEnvironment(sandbox.environment, home: dir), input: Data(), timeout: 60)
        let stderr = String(decoding: limited.stderr, as: UTF8.self)
        #expect(limited.status == 1, "\(stderr)")
        let went = Set(phones(sandbox)).count
        #expect(went > 0 && went < 120)
        #expect(stderr.contains("error: cannot write the journal \(dir.path)/run.journal: File too large. The run stopped there: \(went) of 120 rows went out, each recorded in the journal"), "\(stderr)")
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
        let other = await octopodsInProcess(["send", "template", "1001", "--to", "+14155550123", "--var", "1=Ana", "--var", "2=A-2"],
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
        }
        #expect(sandbox.posts.count == 2)
        _ = await octopodsInProcess(["config", "set", "repeat_window", "24h"], environment: sandbox.environment, home: home)
        // A provider error is a rejection (exit 1): sending it again is not a repeat.
        for _ in 0..<2 {
            let r = await octopodsInProcess(["sms", "send", "--to", "+15550100004", "--body", "hi"], environment: sandbox.environment, home: home)
            #expect(r.status == 1, "\(r.stderr)")
        }
        #expect(sandbox.posts.count == 4)
        // A reset connection after the request: unknown (exit 5), and then a repeat, said to be unknown.
        let unknown = await octopodsInProcess(["sms", "send", "--to", "+15550100104", "--body", "hi"], environment: sandbox.environment, home: home)
        #expect(unknown.status == 5, "\(unknown.stderr)")
        let again = await octopodsInProcess(["sms", "send", "--to", "+15550100104", "--body", "hi"], environment: sandbox.environment, home: home)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("whose outcome is unknown (it may have been delivered); not sent again (--allow-repeat sends it)"), "\(again.stderr)")
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
        #expect(r.stderr == "warning: with --no-ledger the history is not kept, so an identical message sent lately cannot be found: the repeat guard is off for this run\n")
        #expect(sandbox.posts.count == 2)
        let quiet = await octopodsInProcess(send + ["--no-ledger", "--allow-repeat"], environment: sandbox.environment, home: home)
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
        let key = await octopodsInProcess(send + ["--no-ledger", "--idempotency-key", "k1"], environment: sandbox.environment, home: home)
        #expect(key.status == 2)
        #expect(key.stderr.contains("--idempotency-key is kept in the history, which --no-ledger turns off"), "\(key.stderr)")
        #expect(sandbox.posts.count == 3)
    }
}
