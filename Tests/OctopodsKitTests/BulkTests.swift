import Foundation
import Synchronization
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct PacerRateTests {
    @Test func rateSyntax() {
        #expect(Pacer.Rate.parse("55/10s") == Pacer.Rate(count: 55, window: 10))
        #expect(Pacer.Rate.parse("330/1m") == Pacer.Rate(count: 330, window: 60))
        #expect(Pacer.Rate.parse("0/10") == nil)
        #expect(Pacer.Rate.parse("55") == nil)
    }
}

@Suite struct JournalTests {
    let now = fixedNow

    func input(_ content: String, at path: String = "/data/orders.csv") -> JournalInput {
        JournalInput(identity: path, size: content.utf8.count, sha256: SHA256.hex(content))
    }

    /// Opens a journal this test closed before (see `whileHeldByAChildOfOurs`).
    func open(
        _ url: URL, _ input: JournalInput, command: String = "send template 1", newRun: Bool = false,
        resendUnknown: Bool = false
    ) async throws(OctopodsError) -> Journal {
        try await whileHeldByAChildOfOurs { () async throws(OctopodsError) -> Journal in
            try await Journal.open(url, input: input, command: command, newRun: newRun, resendUnknown: resendUnknown, now: now)
        }
    }

    /// The message and hint a refused open prints, or nil when it opened.
    func refusal(
        _ url: URL, _ input: JournalInput, command: String = "send template 1", newRun: Bool = false,
        resendUnknown: Bool = false
    ) async -> (code: ExitCode, text: String)? {
        do {
            await (try await open(url, input, command: command, newRun: newRun, resendUnknown: resendUnknown)).close()
            return nil
        } catch {
            let report = ErrorReporter(now: { fixedNow }).report(error)
            return (report.code, report.message + "\n" + (report.hint ?? ""))
        }
    }

    func states(_ url: URL) throws -> [Int: Journal.Entry] {
        try Journal.peek(url)?.states ?? [:]
    }

    @Test func recordsReopensAndSurvivesATornLine() async throws {
        let url = temporaryDirectory().appendingPathComponent("run.journal")
        let orders = input("a,b\n")
        do {
            let journal = try await open(url, orders)
            #expect(journal.decision == .fresh)
            try await journal.record(.init(line: 2, hash: "a", state: .sending))
            try await journal.record(.init(line: 2, hash: "a", state: .accepted, messageID: "42"))
            try await journal.record(.init(line: 3, hash: "b", state: .sending))
            await journal.close()
        }
        #expect(AtomicFile.mode(of: url) == 0o600)
        // A kill mid-write leaves half a line.
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"line":4,"ha"#.utf8))
        try handle.close()
        let states = try states(url)
        #expect(states[2]?.state == .accepted)
        #expect(states[2]?.messageID == "42")
        #expect(states[3]?.state == .sending)
        #expect(states[4] == nil)
        let reopened = try await open(url, orders)
        #expect(reopened.decision == .resume)
        #expect(reopened.previous.tornLines == 1)
        #expect(reopened.previous.lastStart == Journal.Run(at: fixedNow, pid: Int(getpid())))
        try await reopened.record(.init(line: 4, hash: "c", state: .accepted, messageID: "43"))
        #expect(try self.states(url)[4]?.messageID == "43")  // not glued onto the torn line
    }

    @Test func concurrentRecordsAllLand() async throws {
        let url = temporaryDirectory().appendingPathComponent("many.journal")
        let journal = try await open(url, input("x"))
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<200 { group.addTask { try? await journal.record(.init(line: i, hash: "h", state: .accepted)) } }
        }
        #expect(try states(url).count == 200)
    }

    /// Two runs of one journal: the second is refused at once, naming the first.
    @Test func aSecondOpenIsRefusedWhileTheFirstHoldsIt() async throws {
        let url = temporaryDirectory().appendingPathComponent("busy.journal")
        let orders = input("rows")
        let first = try await open(url, orders)
        try await first.record(.init(line: 2, hash: "a", state: .accepted, messageID: "1"))
        let refused: (code: ExitCode, text: String)?
        do {
            await (try await Journal.open(url, input: orders, command: "send template 1", newRun: false, resendUnknown: false, now: now))
                .close()
            refused = nil
        } catch {
            let report = ErrorReporter(now: { fixedNow }).report(error)
            refused = (report.code, report.message + "\n" + (report.hint ?? ""))
        }
        #expect(refused?.code == .usage)
        #expect(
            refused?.text.hasPrefix(
                "the journal \(url.path) is in use by another octopods run (pid \(getpid()), started 2026-09-21 14:13:20 UTC); nothing was sent"
            ) == true,
            "\(refused?.text ?? "opened")")
        await first.close()
        let second = try await open(url, orders)
        #expect(second.decision == .resume)
    }

    /// The four cases of the lifecycle, and --new-run.
    @Test func lifecycle() async throws {
        let dir = temporaryDirectory()
        let url = dir.appendingPathComponent("orders.journal")
        let v1 = input("version one"), v2 = input("version two")
        do {
            let journal = try await open(url, v1)
            try await journal.record(.init(line: 2, hash: "a", state: .accepted, messageID: "1"))
            try await journal.record(.init(line: 3, hash: "b", state: .unknown))
            await journal.close()
        }
        // Unfinished, different content: refused, saying what the old run sent.
        let changed = await refusal(url, v2)
        #expect(changed?.code == .usage)
        #expect(
            changed?.text.contains(
                "/data/orders.csv changed since its run began: the unfinished run in the journal \(url.path), last started 2026-09-21 14:13:20 UTC, sent 2 rows (1 with no recorded answer) from the earlier version; nothing was sent"
            ) == true, "\(changed?.text ?? "")")
        #expect(changed?.text.contains("start over with this version with --new-run") == true)
        // Unfinished, same content: resumed.
        do {
            let journal = try await open(url, v1)
            #expect(journal.decision == .resume)
            #expect(await journal.states.count == 2)
            try await journal.finish(at: fixedNow.addingTimeInterval(60))
            await journal.close()
        }
        // Finished, same content: refused, naming the journal, when, and --new-run.
        let again = await refusal(url, v1)
        #expect(again?.code == .usage)
        #expect(
            again?.text.hasPrefix(
                "/data/orders.csv was sent already: the run in the journal \(url.path) finished at 2026-09-21 14:14:20 UTC (1 accepted, 0 rejected, 1 unknown); nothing was sent\nTo send it again, add --new-run"
            ) == true,
            "\(again?.text ?? "")")
        #expect(again?.text.contains("To resend only the 1 row with no recorded answer, add --resend-unknown") == true)
        // …unless the rows with no answer are to be resent.
        do {
            let journal = try await open(url, v1, resendUnknown: true)
            #expect(journal.decision == .resume)
            try await journal.record(.init(line: 3, hash: "b", state: .accepted, messageID: "2"))
            try await journal.finish(at: fixedNow.addingTimeInterval(120))
            await journal.close()
        }
        #expect(await refusal(url, v1, resendUnknown: true) != nil)  // nothing left to resend
        // Finished, different content: a new run; the old journal is kept with its finish time.
        do {
            let journal = try await open(url, v2)
            #expect(journal.decision == .replace(newRun: false))
            #expect(journal.archived?.lastPathComponent == "orders.finished-20260921T141520Z.journal")
            #expect(await journal.states.isEmpty)
            #expect(journal.previous.finish?.accepted == 2)
            try await journal.record(.init(line: 2, hash: "c", state: .accepted, messageID: "3"))
            await journal.close()
        }
        let kept = dir.appendingPathComponent("orders.finished-20260921T141520Z.journal")
        #expect(try Journal.peek(kept)?.input == v1)
        #expect(try Journal.peek(url)?.input == v2)
        // --new-run on an unfinished run: kept with its start time, a number added when taken.
        do {
            let journal = try await open(url, v2, newRun: true)
            #expect(journal.decision == .replace(newRun: true))
            #expect(journal.archived?.lastPathComponent == "orders.stopped-20260921T141320Z.journal")
            try await journal.record(.init(line: 2, hash: "c", state: .sending))
            await journal.close()
        }
        do {
            let journal = try await open(url, v2, newRun: true)
            #expect(journal.archived?.lastPathComponent == "orders.stopped-20260921T141320Z-2.journal")
            await journal.close()
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(
            names == [
                "orders.finished-20260921T141520Z.journal", "orders.journal", "orders.stopped-20260921T141320Z-2.journal",
                "orders.stopped-20260921T141320Z.journal",
            ])
    }

    @Test func anotherCommandIsAUsageErrorNamingNewRun() async throws {
        let url = temporaryDirectory().appendingPathComponent("shared.journal")
        do {
            let journal = try await open(url, input("rows"), command: "send template 1001")
            try await journal.record(.init(line: 2, hash: "a", state: .accepted, messageID: "1"))
            await journal.close()
        }
        let other = await refusal(url, input("rows"), command: "send template 1002")
        #expect(other?.code == .usage)
        #expect(
            other?.text.hasPrefix("the journal \(url.path) belongs to 'send template 1001', not 'send template 1002'; nothing was sent")
                == true)
        #expect(other?.text.contains("--new-run") == true)
    }

    /// A journal whose runs never recorded a row (a wrong template id, a declined confirmation)
    /// protects nothing: any run starts it again. A file that is not a journal is left alone.
    @Test func aJournalWithoutRowsIsStartedAgain() async throws {
        let dir = temporaryDirectory()
        let url = dir.appendingPathComponent("empty.journal")
        await (try await open(url, input("rows"), command: "send template 9999")).close()
        let journal = try await open(url, input("other rows"), command: "send template 1001")
        #expect(journal.decision == .fresh)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2)  // one header, one start
        #expect(text.contains(#""command":"send template 1001""#))
        let notes = dir.appendingPathComponent("notes.txt")
        try Data("my notes\n".utf8).write(to: notes)
        #expect(await refusal(notes, input("rows"))?.text.contains("has no header octopods can read") == true)
        #expect(try String(contentsOf: notes, encoding: .utf8) == "my notes\n")
    }

    /// A journal for another input (planted, or a mistaken --journal) is refused; so are files
    /// octopods did not write: a symlink, one others can write, one without a header.
    @Test func journalsThatAreNotThisInputsAreRefused() async throws {
        let dir = temporaryDirectory()
        let url = dir.appendingPathComponent("planted.journal")
        let planted =
            #"{"journal":"octopods bulk send","version":2,"command":"send template 1","input":"/elsewhere/other.csv","size":3,"sha256":"00"}"#
            + "\n" + #"{"line":2,"hash":"a","state":"accepted"}"# + "\n"
        try Data(planted.utf8).write(to: url)
        let other = await refusal(url, input("rows"))
        #expect(
            other?.text.hasPrefix(
                "the journal \(url.path) belongs to another input (/elsewhere/other.csv, 3 bytes), not /data/orders.csv; nothing was sent")
                == true, "\(other?.text ?? "")")

        let headless = dir.appendingPathComponent("headless.journal")
        try Data(#"{"line":2,"hash":"a","state":"accepted"}"#.utf8).write(to: headless)
        #expect(await refusal(headless, input("rows"))?.text.contains("has no header octopods can read") == true)

        chmod(url.path, 0o666)
        let writable = await refusal(url, input("rows"))
        #expect(writable?.text.contains("is writable by other users") == true, "\(writable?.text ?? "")")

        let victim = dir.appendingPathComponent("bashrc")
        try Data("export A=1\n".utf8).write(to: victim)
        let link = dir.appendingPathComponent("link.journal")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: victim)
        let linked = await refusal(link, input("rows"))
        #expect(linked?.text.contains("is a symbolic link") == true, "\(linked?.text ?? "")")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "export A=1\n")
    }
}

/// Runs `body` again while it is refused because a journal this process closed is still
/// locked: a child that another test is spawning at that moment holds a copy of every
/// descriptor until its `exec` (close-on-exec takes effect only then), and a `flock` lives as
/// long as any copy. The octopods binary spawns no children, so only tests meet this.
func whileHeldByAChildOfOurs<T>(_ body: () async throws(OctopodsError) -> T) async throws(OctopodsError) -> T {
    let ours = "is in use by another octopods run (pid \(getpid()),"
    var attempts = 0
    while true {
        do { return try await body() } catch {
            attempts += 1
            guard case .invalidInput(let message, _) = error, message.contains(ours), attempts < 1_000 else { throw error }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }
}

/// `run` for a bulk send that may open a journal an earlier run of this test closed.
func runBulk(
    _ argv: [String], environment: [String: String] = ["OCTOPODS_API_KEY": testKey], stdin: String = "",
    stdinIsTTY: Bool = false, transport: (any HTTPTransport)? = nil, home: URL? = nil, clock: TestClock = TestClock(),
    configure: (inout Context) -> Void = { _ in }
) async -> TestRun {
    let ours = "is in use by another octopods run (pid \(getpid()),"
    var attempts = 0
    while true {
        let r = await run(
            argv, environment: environment, stdin: stdin, stdinIsTTY: stdinIsTTY, transport: transport, home: home,
            clock: clock, configure: configure)
        attempts += 1
        guard r.code == .usage, r.stderr.contains(ours), attempts < 1_000 else { return r }
        try? await Task.sleep(nanoseconds: 5_000_000)
    }
}

/// A fake API for bulk runs: template GETs answered, every POST recorded and answered by `answer`.
final class BulkFake: Sendable {
    let posts = Mutex<[String]>([])
    let answer: @Sendable (String, Int) -> (Int, String)
    init(_ answer: @escaping @Sendable (String, Int) -> (Int, String) = { _, n in (201, #"{"message_id":\#(1000 + n)}"#) }) {
        self.answer = answer
    }
    var transport: FakeTransport {
        FakeTransport { request in
            if request.method == "GET" { return .success(HTTPResponse(status: 200, body: Data(orderTemplate.utf8))) }
            let body = String(decoding: request.body ?? Data(), as: UTF8.self)
            let n = self.posts.withLock {
                $0.append(body); return $0.count
            }
            let (status, text) = self.answer(body, n)
            return .success(HTTPResponse(status: status, body: Data(text.utf8)))
        }
    }
    var count: Int { posts.withLock { $0.count } }
}

@Suite struct BulkRunTests {
    func csv(_ rows: Int, in dir: URL = temporaryDirectory()) -> URL {
        let url = dir.appendingPathComponent("rows.csv")
        var text = "phone,name,1,2\n"
        for i in 0..<rows { text += "+1415555\(String(format: "%04d", i)),N\(i),Name\(i),A-\(i)\n" }
        try? Data(text.utf8).write(to: url)
        return url
    }

    /// A run on `file`; runs on one file share a HOME (and so their journals).
    func send(
        _ file: URL, _ extra: [String] = [], fake: BulkFake, clock: TestClock = TestClock(), stdinIsTTY: Bool = false,
        configure: (inout Context) -> Void = { _ in }
    ) async -> TestRun {
        await runBulk(
            ["send", "template", "1001", "--from", file.path, "--rate", "off"] + extra, stdinIsTTY: stdinIsTTY,
            transport: fake.transport, home: file.deletingLastPathComponent(), clock: clock, configure: configure)
    }

    @Test func sendsEveryRowOnceWithNDJSONAndJournal() async {
        let fake = BulkFake()
        let file = csv(25)
        let r = await send(file, fake: fake)
        #expect(r.code == .success)
        #expect(fake.count == 25)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 25)
        #expect(lines.allSatisfy { $0.contains(#""status":"accepted""#) })
        #expect(r.stderr.contains("Checked 25 rows"))
        #expect(r.stderr.contains("25 accepted, 0 rejected, 0 unknown"))
        let journals = file.deletingLastPathComponent().appendingPathComponent(".local/state/octopods/journals")
        #expect(r.stderr.contains("Journal: \(journals.path)/rows.csv."))
        #expect(AtomicFile.mode(of: journals) == 0o700)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: journals.path)) ?? []
        // One journal, also named for its content (what a run of it from stdin finds).
        #expect(names.count == 2 && names.contains { $0.hasPrefix("rows.csv.") } && names.contains { $0.hasPrefix("stdin.") }, "\(names)")
        let inodes = names.compactMap {
            (try? FileManager.default.attributesOfItem(atPath: journals.appendingPathComponent($0).path))?[.systemFileNumber] as? Int
        }
        #expect(inodes.count == 2 && Set(inodes).count == 1)
        #expect(names.allSatisfy { AtomicFile.mode(of: journals.appendingPathComponent($0)) == 0o600 })
        // The same file again: every row is in the finished journal, so nothing is sent.
        let again = await send(file, fake: fake)
        #expect(again.code == .usage)
        #expect(fake.count == 25)
        #expect(again.stdout.isEmpty)
        #expect(again.stderr.hasPrefix("error: \(file.path) was sent already: the run in the journal "), "\(again.stderr)")
        #expect(again.stderr.contains("finished at 2026-09-21 14:13:20 UTC (25 accepted, 0 rejected); nothing was sent"))
        #expect(again.stderr.contains("To send it again, add --new-run"))
        // --dry-run counts the rows the journal holds and says what a real run would do.
        let dry = await send(file, ["--dry-run"], fake: fake)
        #expect(dry.code == .usage)
        #expect(dry.stdout.hasPrefix(#"{"rows":25,"valid":25,"invalid":0,"to_send":0,"in_journal":25,"journal":"#))
        #expect(dry.stderr.contains("already holds 25 of these rows"))
        #expect(dry.stderr.contains("A real run would stop here: \(file.path) was sent already"))
        // --new-run sends it again, keeping the old journal.
        let newRun = await send(file, ["--new-run"], fake: fake)
        #expect(newRun.code == .success)
        #expect(fake.count == 50)
        #expect(newRun.stderr.contains("Starting a new run (--new-run); its journal is kept as "))
        #expect(newRun.stderr.contains(".finished-20260921T141320Z.journal"))
    }

    /// The file regenerated at the same path after its run finished (a daily export): a new run.
    @Test func aChangedFileAfterAFinishedRunIsANewRun() async throws {
        let fake = BulkFake()
        let file = csv(5)
        #expect(await send(file, fake: fake).code == .success)
        try Data("phone,name,1,2\n+14155559001,X,a,b\n".utf8).write(to: file)
        let next = await send(file, fake: fake)
        #expect(next.code == .success, "\(next.stderr)")
        #expect(fake.count == 6)
        #expect(
            next.stderr.contains(
                "\(file.path) changed since the run that finished at 2026-09-21 14:13:20 UTC: this is a new run; its journal is kept as "))
    }

    /// The file changed while its run was unfinished: refused, saying what the old run sent.
    @Test func aChangedFileMidCampaignIsRefused() async throws {
        let fake = BulkFake()
        let file = csv(10)
        let stopped = await send(file, ["--concurrency", "1"], fake: fake) { ctx in ctx.isInterrupted = { fake.count >= 3 } }
        #expect(stopped.code == .interrupted)
        let sent = fake.count
        try Data("phone,name,1,2\n+14155559001,X,a,b\n".utf8).write(to: file)
        let r = await send(file, fake: fake)
        #expect(r.code == .usage)
        #expect(fake.count == sent)
        #expect(r.stderr.contains("\(file.path) changed since its run began: the unfinished run in the journal "))
        #expect(r.stderr.contains(" sent \(sent) rows from the earlier version; nothing was sent"), "\(r.stderr)")
        #expect(r.stderr.contains("start over with this version with --new-run"))
        let over = await send(file, ["--new-run"], fake: fake)
        #expect(over.code == .success)
        #expect(fake.count == sent + 1)
    }

    /// The same file with another message (another --body) on an unfinished journal: refused.
    @Test func otherOptionsMidCampaignAreRefused() async throws {
        let fake = BulkFake()
        let dir = temporaryDirectory()
        let file = dir.appendingPathComponent("sms.csv")
        try Data("phone\n+14155550001\n+14155550002\n+14155550003\n".utf8).write(to: file)
        func sms(_ body: String, configure: (inout Context) -> Void = { _ in }) async -> TestRun {
            await runBulk(
                ["sms", "send", "--from", file.path, "--body", body, "--rate", "off", "--concurrency", "1"],
                transport: fake.transport, home: dir, configure: configure)
        }
        #expect(await sms("Sale today") { ctx in ctx.isInterrupted = { fake.count >= 1 } }.code == .interrupted)
        let other = await sms("Last day")
        #expect(other.code == .usage)
        #expect(other.stderr.contains("1 rows would make another message than the unfinished run in the journal"), "\(other.stderr)")
        #expect(fake.count == 1)
        #expect(await sms("Sale today").code == .success)
        #expect(fake.count == 3)
    }

    /// A file tried on a sandbox, then sent for real: practice journals are kept apart, so the
    /// real run is not refused as "sent already".
    @Test func practiceRunsKeepTheirOwnJournals() async {
        let fake = BulkFake()
        let file = csv(3)
        let home = file.deletingLastPathComponent()
        let argv = ["send", "template", "1001", "--from", file.path, "--rate", "off"]
        let practice = await runBulk(
            argv, environment: ["OCTOPODS_API_KEY": testKey, "OCTOPODS_BASE_URL": "http://127.0.0.1:9"],
            transport: fake.transport, home: home)
        #expect(practice.code == .success, "\(practice.stderr)")
        #expect(practice.stderr.contains("Journal: \(home.path)/.local/state/octopods/journals/sandbox/rows.csv."))
        let real = await runBulk(argv, transport: fake.transport, home: home)
        #expect(real.code == .success, "\(real.stderr)")
        #expect(fake.count == 6)
    }

    /// A pipe (`--from <(…)`) can be read only once: it is kept for the send pass.
    @Test func aPipeIsReadOnceAndSentWhole() async throws {
        let fake = BulkFake()
        let dir = temporaryDirectory()
        let fifo = dir.appendingPathComponent("rows.fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let path = fifo.path
        Thread.detachNewThread {
            let fd = open(path, O_WRONLY)
            let text = Array("phone,1,2\n+14155550001,a,b\n+14155550002,c,d\n".utf8)
            _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        let r = await run(["send", "template", "1001", "--from", path, "--rate", "off"], transport: fake.transport, home: dir)
        #expect(r.code == .success, "\(r.stderr)")
        #expect(fake.count == 2)
    }

    /// Rows appended while the confirmation waits are not sent: only the checked bytes are read.
    @Test func rowsAppendedWhileConfirmingAreNotSent() async throws {
        let fake = BulkFake()
        let file = csv(150)
        let r = await send(file, fake: fake, stdinIsTTY: true) { ctx in
            ctx.confirm = { _ in
                let more = (0..<500).map { "+1415666\(String(format: "%04d", $0)),M,a,b\n" }.joined()
                if let handle = try? FileHandle(forWritingTo: file) {
                    _ = try? handle.seekToEnd()
                    try? handle.write(contentsOf: Data(more.utf8))
                    try? handle.close()
                }
                return true
            }
        }
        #expect(r.code == .success, "\(r.stderr)")
        #expect(fake.count == 150)
        #expect(r.stdout.split(separator: "\n").count == 150)
        #expect(r.stderr.contains("Sent 150 of 150"))
    }

    @Test func aStray429PausesAndResendsTheRow() async {
        let clock = TestClock()
        let fake = BulkFake { _, n in
            n == 3 ? (429, #"{"message":"Please try after 2026-09-21 14:18:20 UTC."}"#) : (201, #"{"message_id":\#(1000 + n)}"#)
        }
        let r = await send(csv(5), ["--concurrency", "1"], fake: fake, clock: clock)
        #expect(r.code == .success)
        #expect(fake.count == 6)
        #expect(r.stdout.split(separator: "\n").count == 5)
        // Paused until the retry time (14:18:20) plus the safety second, then resumed.
        #expect(clock.now >= fixedNow.addingTimeInterval(301))
        #expect(
            r.stderr.contains("Rate limited (HTTP 429): every octopods process using this key waits until 2026-09-21 14:18:21 UTC (5m 1s).")
        )
        #expect(r.stderr.contains("; 1 rate-limited (429) and resent; 1 pause for the rate limit."))
    }

    @Test func rejectedAndUnknownRows() async {
        let fake = BulkFake { body, n in
            if body.contains("+14155550001") { return (400, #"{"error_code":5,"error":"Invalid Phone number"}"#) }
            if body.contains("+14155550002") { return (502, "<html>bad gateway</html>") }
            return (201, #"{"message_id":\#(1000 + n)}"#)
        }
        let file = csv(4)
        let r = await send(file, fake: fake)
        #expect(r.code == .unknownOutcome)
        #expect(
            r.stdout.contains(
                #""line":3,"phone":"+14155550001","error":"the API rejected the request (HTTP 400): Invalid Phone number, PHONE_INVALID (5)","error_code":5,"status":"rejected""#
            ))
        #expect(r.stdout.contains(#""phone":"+14155550002","error":"the API failed with HTTP 502","status":"unknown""#))
        #expect(r.stderr.contains("warning: 1 row went out with no recorded answer"))
        // Run again: the run finished, so nothing is resent; the refusal names --resend-unknown…
        let again = await send(file, fake: fake)
        #expect(fake.count == 4)
        #expect(again.code == .usage)
        #expect(again.stderr.contains("(2 accepted, 1 rejected, 1 unknown); nothing was sent"))
        #expect(again.stderr.contains("To resend only the 1 row with no recorded answer, add --resend-unknown"))
        // …which resends only that row.
        let resend = await send(file, ["--resend-unknown"], fake: fake)
        #expect(fake.count == 5)
        #expect(resend.code == .unknownOutcome)  // the 502 again
    }

    @Test func ctrlCFinishesInFlightAndExits130() async {
        let fake = BulkFake()
        let r = await send(csv(50), ["--concurrency", "2"], fake: fake) { ctx in
            ctx.isInterrupted = { fake.count >= 10 }
        }
        #expect(r.code == .interrupted)
        #expect(fake.count >= 10 && fake.count < 50)
        #expect(r.stdout.split(separator: "\n").count == fake.count)  // every request that went out is reported
        #expect(r.stderr.contains("Interrupted: in-flight requests finished and the journal is written"))
    }

    @Test func authFailureStopsTheRun() async {
        let fake = BulkFake { _, _ in (401, "") }
        let r = await send(csv(20), ["--concurrency", "1"], fake: fake)
        #expect(r.code == .auth)
        #expect(fake.count == 1)
    }

    @Test func guards() async {
        let fake = BulkFake()
        let max = await send(csv(20), ["--max-messages", "10"], fake: fake)
        #expect(max.code == .usage)
        #expect(max.stderr.contains("this run would send 20 messages, more than --max-messages 10; nothing was sent"))
        let asked = Mutex<String?>(nil)
        let declined = await run(["send", "template", "1001", "--from", csv(101).path], stdinIsTTY: true, transport: fake.transport) {
            ctx in
            ctx.confirm = { question in
                asked.withLock { $0 = question }; return false
            }
        }
        #expect(declined.code == .usage)
        #expect(
            asked.withLock { $0 }
                == #"Send template 1001 "order_update" on whatsapp to 101 recipients with profile default? About 18 s at 55/10s."#)
        #expect(declined.stderr.contains("not confirmed; nothing was sent"))
        #expect(fake.count == 0)
        let yes = await run(
            ["send", "template", "1001", "--from", csv(101).path, "--yes", "--rate", "off"], stdinIsTTY: true,
            transport: fake.transport)
        #expect(yes.code == .success)
        #expect(fake.count == 101)
    }

    @Test(arguments: [
        (
            ["send", "template", "1", "--to", "+14155552671", "--journal", "j"],
            "error: --journal applies to bulk sends; give the recipients with --from FILE"
        ),
        (
            ["send", "template", "1", "--to", "+14155552671", "--from", "f.csv"],
            "error: --to and --from cannot be used together: --from gives the recipients"
        ),
        (
            ["send", "template", "1", "--from", "f.csv", "--rate", "fast"],
            "error: invalid value for '--rate': 'fast' is not N/DURATION (e.g. 55/10s) or off"
        ),
        (["send", "template", "1"], "error: give the recipient with --to PHONE, or many with --from FILE"),
        (["sms", "send", "--from", "f.csv", "--max-wait", "1m"], "error: --max-wait is for single sends"),
    ])
    func optionErrors(_ argv: [String], _ prefix: String) async {
        let r = await run(argv)
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix(prefix), "\(r.stderr)")
    }

    /// stdin has no path: its journal is named for its content, so the same rows piped again
    /// are recognised, and other rows are another run.
    @Test func stdinIsJournaledByItsContent() async {
        let fake = BulkFake()
        let home = temporaryDirectory()
        func pipe(_ text: String) async -> TestRun {
            await runBulk(["send", "template", "1001", "--from", "-", "--rate", "off"], stdin: text, transport: fake.transport, home: home)
        }
        let rows = "phone,1,2\n+14155552671,a,b\n"
        #expect(await pipe(rows).code == .success)
        let again = await pipe(rows)
        #expect(again.code == .usage)
        #expect(
            again.stderr.hasPrefix(
                "error: stdin was sent already: the run in the journal \(home.path)/.local/state/octopods/journals/stdin."))
        #expect(await pipe("phone,1,2\n+14155552672,a,b\n").code == .success)
        #expect(fake.count == 2)
    }
}

@Suite struct BulkWaitTests {
    @Test func waitFollowsEveryAcceptedMessage() async {
        let dir = temporaryDirectory()
        let file = dir.appendingPathComponent("w.csv")
        try? Data("phone,1,2\n+14155550001,a,b\n+14155550002,c,d\n".utf8).write(to: file)
        let polls = Counter()
        let transport = FakeTransport { request in
            if request.method == "GET", request.url.path.contains("/templates/") {
                return .success(HTTPResponse(status: 200, body: Data(orderTemplate.utf8)))
            }
            if request.method == "POST" {
                let id = request.body.map { String(decoding: $0, as: UTF8.self).contains("0001") ? "11" : "12" } ?? "0"
                return .success(HTTPResponse(status: 201, body: Data(#"{"message_id":\#(id)}"#.utf8)))
            }
            // Message 11 is delivered at once; 12 fails on its second poll.
            let n = polls.next()
            let status = request.url.path.hasSuffix("/11") ? "delivered" : (n > 2 ? "failed" : "sent")
            return .success(HTTPResponse(status: 200, body: Data(#"{"message_id":1,"status":"\#(status)"}"#.utf8)))
        }
        let r = await run(["send", "template", "1001", "--from", file.path, "--rate", "off", "--wait"], transport: transport)
        #expect(r.code == .rejected)
        #expect(r.stdout.contains(#""message_id":"11","final_status":"delivered""#))
        #expect(r.stdout.contains(#""message_id":"12","final_status":"failed""#))
    }
}

/// The progress line of a bulk run at a terminal (issue 28): an ETA from the rate budget, not
/// from the first burst; the pause's end while a 429 cool-down holds.
@Suite struct BulkProgressLineTests {
    @Test func etaComesFromTheBudgetNotTheBurst() {
        let clock = TestClock()
        let (ctx, _, _) = makeContext(tty: true, width: 120, clock: clock)
        let progress = Progress(ctx: ctx, total: 500, tally: BulkRun.Tally(), budget: Pacer.Rate(count: 55, window: 10))
        // The window lets 55 go at once: over half a second that looks like 110 a second.
        let start = clock.now
        clock.sleep(0.5)
        let line = progress.render(BulkRun.Tally.Counts(accepted: 55), now: clock.now, samples: [(start, 0), (clock.now, 55)], paused: nil)
        #expect(line.hasSuffix("ETA 1 min 21 s"), "\(line)")
        // A server slower than the budget, seen for long enough, is what counts.
        #expect(Progress.pace(budget: Pacer.Rate(count: 55, window: 10), observed: 2, seenFor: 6) == 2)
        #expect(Progress.pace(budget: Pacer.Rate(count: 55, window: 10), observed: 2, seenFor: 1) == 5.5)
        #expect(Progress.pace(budget: nil, observed: 3, seenFor: 0) == 3)
    }

    @Test func aPauseSaysWhenItEnds() {
        let reason = Progress.pauseReason(
            "Rate limited (HTTP 429): every octopods process using this key waits until 2026-09-21 14:18:21 UTC (5m 1s).\n")
        #expect(reason.hasPrefix("rate limit: resuming at "), "\(reason)")
        #expect(reason.split(separator: " ").last?.split(separator: ":").count == 3, "a local time of day: \(reason)")
        #expect(Progress.pauseReason("Rate limited somehow") == "paused: rate limited (429), see above")
    }
}
