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
}
