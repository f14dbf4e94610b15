import Foundation
import Testing
import TestSupport
import OctopodsSandbox
#if canImport(Glibc)
import Glibc
#endif

/// The bulk journal through the real binary: one run per input at a time, journals octopods
/// wrote itself, the lifecycle of a campaign, and exactly the checked rows sent.
@Suite struct JournalEndToEndTests {
    func csv(_ rows: Int, in dir: URL, name: String = "orders.csv", first: Int = 0) -> URL {
        let url = dir.appendingPathComponent(name)
        var text = "phone,name,1,2\n"
        for i in first..<(first + rows) { text += "+1415557\(fourDigits(i)),N\(i),N\(i),A-\(i)\n" }
        try? Data(text.utf8).write(to: url)
        return url
    }

    /// Recipients for `sms send --body …`.
    func phoneList(_ rows: Int, in dir: URL, first: Int = 0) -> URL {
        let url = dir.appendingPathComponent("phones.csv")
        let text = "phone,name\n" + (first..<(first + rows)).map { "+1415557\(fourDigits($0)),N\($0)\n" }.joined()
        try? Data(text.utf8).write(to: url)
        return url
    }

    /// An SMS run that sends one row, then waits an hour for its next slot (no template fetch
    /// shares the slot): it holds its journal for as long as a test needs.
    func startHeldRun(_ file: URL, sandbox: TestSandbox, home: URL) throws -> Child {
        try startOctopods(
            ["sms", "send", "--from", file.path, "--body", "Hello", "--yes", "--rate", "1/1h"],
            environment: sandbox.environment, home: home)
    }

    func phones(_ sandbox: TestSandbox) -> [String] {
        sandbox.posts.compactMap { $0.body["destination_phone"]?.stringValue }
    }

    /// Waits, off the cooperative pool, until `condition` holds (polling an event the run
    /// causes, such as a request reaching the sandbox), for at most about a minute.
    func waitUntil(_ condition: @escaping @Sendable () -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                for _ in 0..<6_000 where !condition() { usleep(10_000) }
                continuation.resume(returning: condition())
            }
        }
    }

    func waitForExit(_ process: Child) async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit(); continuation.resume()
            }
        }
    }

    /// A file's text; empty while it does not exist.
    static func text(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// How many finished journals are kept in `directory`.
    static func kept(in directory: URL) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.contains(".finished-") }.count
    }

    /// The default journal's path, as --dry-run reports it.
    func journalPath(_ arguments: [String], sandbox: TestSandbox, home: URL) async throws -> String {
        let dry = try await octopods(arguments + ["--dry-run"], environment: sandbox.environment, home: home)
        let json = try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any]
        return try #require(json?["journal"] as? String, "\(dry.stdout)\(dry.stderr)")
    }

    /// Two runs of one input at once (overlapping cron jobs): the second refuses at once, naming
    /// the first; every row is sent once.
    @Test func aSecondRunOfTheSameInputRefusesAtOnce() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = phoneList(40, in: dir)
        let first = try startHeldRun(file, sandbox: sandbox, home: dir)
        #expect(await waitUntil { sandbox.posts.count >= 1 }, "the first run never sent")
        let send = ["sms", "send", "--from", file.path, "--body", "Hello", "--yes", "--rate", "off"]
        let second = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(second.status == 2)
        #expect(second.stderr.contains("is in use by another octopods run (pid \(first.processIdentifier), started "), "\(second.stderr)")
        #expect(second.stderr.contains("nothing was sent"))
        #expect(sandbox.posts.count == 1)
        kill(first.processIdentifier, SIGKILL)
        await waitForExit(first)
        // Once it is gone, the same command resumes it.
        let resumed = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let sent = phones(sandbox)
        #expect(sent.count == 40)
        #expect(Set(sent).count == 40)
    }

    /// The four cases: unfinished and the same → resume; finished and the same → refused
    /// (--new-run sends again, keeping the old journal); finished and changed → a new run;
    /// unfinished and changed → refused, saying how many rows the old run sent.
    @Test func theLifecycleOfACampaign() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = phoneList(6, in: dir)
        let send = ["sms", "send", "--from", file.path, "--body", "Hello", "--rate", "off"]
        let journal = try await journalPath(send, sandbox: sandbox, home: dir)
        #expect(journal.hasPrefix(dir.path + "/.local/state/octopods/journals/sandbox/phones.csv."))

        // Unfinished: killed after its first row was answered and journaled (the sandbox having
        // the request is not enough: killed before the answer is written, the row is unknown).
        let stopped = try startHeldRun(file, sandbox: sandbox, home: dir)
        #expect(await waitUntil { Self.text(journal).contains(#""state":"accepted""#) })
        kill(stopped.processIdentifier, SIGKILL)
        await waitForExit(stopped)
        let resumed = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("Resuming \(journal): 1 row already handled by an earlier run is skipped."))
        #expect(sandbox.posts.count == 6)

        // Finished, the same file: nothing sent, exit 2, naming the journal, when, and --new-run.
        let again = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(again.status == 2)
        #expect(
            again.stderr.hasPrefix("error: \(file.path) was sent already: the run in the journal \(journal) finished at "),
            "\(again.stderr)")
        #expect(again.stderr.contains("(6 accepted, 0 rejected); nothing was sent"))
        #expect(again.stderr.contains("To send it again, add --new-run"))
        #expect(sandbox.posts.count == 6)
        let dry = try await octopods(send + ["--dry-run"], environment: sandbox.environment, home: dir)
        #expect(dry.status == 2)
        #expect(dry.stdout.hasPrefix(#"{"rows":6,"valid":6,"invalid":0,"to_send":0,"in_journal":6,"#))

        // --new-run: sent again; the old journal kept, renamed with its finish time.
        let newRun = try await octopods(send + ["--new-run"], environment: sandbox.environment, home: dir)
        #expect(newRun.status == 0, "\(newRun.stderr)")
        #expect(sandbox.posts.count == 12)
        let journals = URL(fileURLWithPath: journal).deletingLastPathComponent()
        let kept = try FileManager.default.contentsOfDirectory(atPath: journals.path).filter { $0.contains(".finished-") }
        #expect(kept.count == 1)
        #expect(newRun.stderr.contains("its journal is kept as \(journals.path)/\(kept.first ?? "?")"))

        // Finished, then the file regenerated at the same path: a new run, naming the previous.
        _ = phoneList(3, in: dir, first: 100)
        let daily = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(daily.status == 0, "\(daily.stderr)")
        #expect(daily.stderr.contains("\(file.path) changed since the run that finished at "))
        #expect(daily.stderr.contains(": this is a new run; its journal is kept as "))
        #expect(sandbox.posts.count == 15)

        // Unfinished, then changed: refused, with what the old run sent and --new-run.
        _ = phoneList(5, in: dir, first: 200)
        let midway = try startHeldRun(file, sandbox: sandbox, home: dir)
        // Its journal is new once the finished one is kept (the third kept), then its row answered.
        #expect(
            await waitUntil {
                Self.kept(in: journals) >= 3 && Self.text(journal).contains(#""state":"accepted""#)
            }, "\(sandbox.posts.count) posts")
        #expect(sandbox.posts.count == 16)
        kill(midway.processIdentifier, SIGKILL)
        await waitForExit(midway)
        _ = phoneList(5, in: dir, first: 300)
        let changed = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(changed.status == 2)
        #expect(
            changed.stderr.contains("\(file.path) changed since its run began: the unfinished run in the journal \(journal)"),
            "\(changed.stderr)")
        #expect(changed.stderr.contains(" sent 1 row from the earlier version; nothing was sent"))
        #expect(changed.stderr.contains("start over with this version with --new-run"))
        #expect(sandbox.posts.count == 16)
        let over = try await octopods(send + ["--new-run"], environment: sandbox.environment, home: dir)
        #expect(over.status == 0, "\(over.stderr)")
        #expect(sandbox.posts.count == 21)
    }

    /// One journal given to two commands: a usage error before anything else (no template is
    /// even fetched), naming --new-run.
    @Test func anotherCommandOnTheSameJournalIsAUsageError() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = csv(2, in: dir)
        let journal = dir.appendingPathComponent("campaign.journal").path
        let first = try await octopods(
            ["send", "template", "1001", "--from", file.path, "--journal", journal, "--rate", "off"],
            environment: sandbox.environment, home: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let requests = sandbox.api.recordedRequests().count
        let other = try await octopods(
            ["send", "template", "1002", "--from", file.path, "--journal", journal, "--rate", "off"],
            environment: sandbox.environment, home: dir)
        #expect(other.status == 2)
        #expect(
            other.stderr.hasPrefix(
                "error: the journal \(journal) belongs to 'send template 1001', not 'send template 1002'; nothing was sent"),
            "\(other.stderr)")
        #expect(other.stderr.contains("--new-run"))
        #expect(sandbox.api.recordedRequests().count == requests)
        // By default each command has its own journal (this one has none yet); the history still
        // knows these rows were sent: repeats, not sent again.
        let own = try await octopods(
            ["send", "template", "1001", "--from", file.path, "--rate", "off", "--dry-run"],
            environment: sandbox.environment, home: dir)
        #expect(own.stdout.contains(#""to_send":0,"in_journal":0,"#), "\(own.stdout)")
        #expect(own.stdout.contains(#""repeat":2"#))
    }

    /// A symlink where the journal goes is never followed (its target is left alone), given
    /// with --journal or planted at the default path.
    @Test func aSymlinkAtTheJournalPathIsRefused() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = csv(3, in: dir)
        let victim = dir.appendingPathComponent("bashrc")
        try Data("export PATH=/usr/bin\n".utf8).write(to: victim)
        let link = dir.appendingPathComponent("orders.journal")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: victim)
        let given = try await octopods(
            ["send", "template", "1001", "--from", file.path, "--journal", link.path, "--rate", "off"],
            environment: sandbox.environment, home: dir)
        #expect(given.status == 2)
        #expect(given.stderr.contains("cannot use the journal \(link.path): is a symbolic link"), "\(given.stderr)")

        let send = ["send", "template", "1001", "--from", file.path, "--rate", "off"]
        let path = try await journalPath(send, sandbox: sandbox, home: dir)
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
            withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: victim.path)
        let planted = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(planted.status == 2)
        #expect(planted.stderr.contains("is a symbolic link"), "\(planted.stderr)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "export PATH=/usr/bin\n")
        #expect(sandbox.posts.isEmpty)
    }

    /// A journal octopods did not write for this input cannot cancel the campaign silently:
    /// one recording another input is refused; one others could write (or that another user
    /// owns) is refused; one for this path whose run finished on other content is kept aside
    /// and every row is sent.
    @Test func aPlantedJournalIsRefused() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = csv(4, in: dir)
        let send = ["send", "template", "1001", "--from", file.path, "--rate", "off"]
        let path = try await journalPath(send, sandbox: sandbox, home: dir)
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
            withIntermediateDirectories: true)
        func plant(input: String, sha: String, finished: Bool) throws {
            var lines = [
                #"{"journal":"octopods bulk send","version":2,"command":"send template 1001","input":"\#(input)","size":10,"sha256":"\#(sha)"}"#,
                #"{"started":"2026-11-30T10:00:00.000Z","pid":1}"#,
            ]
            for line in 2...5 { lines.append(#"{"line":\#(line),"hash":"x","state":"accepted"}"#) }
            if finished { lines.append(#"{"finished":"2026-11-30T10:01:00.000Z","pid":1,"accepted":4,"rejected":0,"unknown":0}"#) }
            try? FileManager.default.removeItem(atPath: path)
            _ = FileManager.default.createFile(
                atPath: path, contents: Data((lines.joined(separator: "\n") + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
        }
        try plant(input: "/elsewhere/other.csv", sha: "00", finished: false)
        let other = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(other.status == 2)
        #expect(
            other.stderr.contains("belongs to another input (/elsewhere/other.csv, 10 bytes), not \(file.path); nothing was sent"),
            "\(other.stderr)")
        chmod(path, 0o622)
        let writable = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(writable.status == 2)
        #expect(writable.stderr.contains("is writable by other users"), "\(writable.stderr)")
        if geteuid() == 0 {
            chmod(path, 0o600)
            chown(path, 65_534, 65_534)
            let foreign = try await octopods(send, environment: sandbox.environment, home: dir)
            #expect(foreign.status == 2)
            #expect(foreign.stderr.contains("belongs to another user (uid 65534)"), "\(foreign.stderr)")
        }
        #expect(sandbox.posts.isEmpty)
        // Claims this very path, but for content it does not have: its rows mean nothing here.
        try plant(input: file.path, sha: "00", finished: true)
        let sent = try await octopods(send, environment: sandbox.environment, home: dir)
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sandbox.posts.count == 4)
    }

    /// Recipients piped on stdin: the journal is named for the content, so the same rows piped
    /// again are refused and other rows are a new run.
    @Test func stdinIsRecognisedByItsContent() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let rows = "phone,1,2\n+14155557001,a,b\n+14155557002,c,d\n"
        let send = ["send", "template", "1001", "--from", "-", "--rate", "off"]
        let first = try await octopods(send, environment: sandbox.environment, stdin: rows, home: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let again = try await octopods(send, environment: sandbox.environment, stdin: rows, home: dir)
        #expect(again.status == 2)
        #expect(again.stderr.hasPrefix("error: stdin was sent already: the run in the journal "), "\(again.stderr)")
        let other = try await octopods(send, environment: sandbox.environment, stdin: "phone,1,2\n+14155557003,a,b\n", home: dir)
        #expect(other.status == 0, "\(other.stderr)")
        #expect(sandbox.posts.count == 3)
    }

    /// 150 rows checked and confirmed at the terminal prompt; 500 appended while it waited:
    /// the 150 are sent, nothing else. The prompt is answered only once it is on the screen.
    @Test func rowsAppendedWhileThePromptWaitsAreNotSent() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = csv(150, in: dir)
        let terminal = try PseudoTerminal()
        let output = try pipePair()
        let replica = terminal.replica.fileDescriptor
        let process = try startOctopods(
            ["send", "template", "1001", "--from", file.path, "--rate", "off"],
            environment: sandbox.environment, home: dir, stdin: replica, stdout: output.write, stderr: replica)
        close(output.write)
        terminal.closeReplica()
        let screen = terminal.startReading()
        DispatchQueue.global().async { _ = readAllAndClose(output.read) }  // drained, not waited for
        #expect(await waitUntil { screen.text.contains("[y/N]") }, "no prompt: \(screen.text)")
        let more = (0..<500).map { "+1415558\(fourDigits($0)),M,a,b\n" }.joined()
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(more.utf8))
        try handle.close()
        terminal.write("y\n")
        await waitForExit(process)
        #expect(process.terminationStatus == 0, "\(screen.text)")
        #expect(sandbox.posts.count == 150)
        #expect(Set(phones(sandbox)).count == 150)
        #expect(!phones(sandbox).contains { $0.hasPrefix("+1415558") })
    }
}

/// `7` → `0007`.
private func fourDigits(_ n: Int) -> String {
    let text = String(n)
    return String(repeating: "0", count: max(0, 4 - text.count)) + text
}

/// A pseudo-terminal for a child's stdin and stderr, so that it prompts as it would for a person.
final class PseudoTerminal: Sendable {
    let primary: Int32
    let replica: FileHandle

    init() throws {
        // The Glibc module does not export the XSI pty calls; they are in libc all the same.
        typealias OpenFunction = @convention(c) (Int32) -> Int32
        typealias NameFunction = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            dlsym(nil, name).map { unsafeBitCast($0, to: type) }
        }
        guard let openpt = symbol("posix_openpt", as: OpenFunction.self), let grantpt = symbol("grantpt", as: OpenFunction.self),
            let unlockpt = symbol("unlockpt", as: OpenFunction.self), let ptsname = symbol("ptsname", as: NameFunction.self)
        else {
            throw POSIXError(.ENOSYS)
        }
        let fd = openpt(O_RDWR | O_NOCTTY)
        guard fd >= 0, grantpt(fd) == 0, unlockpt(fd) == 0, let name = ptsname(fd) else {
            throw POSIXError(.ENODEV)
        }
        let replicaFD = open(name, O_RDWR | O_NOCTTY)
        guard replicaFD >= 0 else { close(fd); throw POSIXError(.ENODEV) }
        primary = fd
        replica = FileHandle(fileDescriptor: replicaFD, closeOnDealloc: true)
    }

    /// The child has its copy; ours must go, or reading never sees the end.
    func closeReplica() { try? replica.close() }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(primary, $0.baseAddress, $0.count) }
    }

    /// Everything the child writes to the terminal, gathered on a GCD thread until it closes.
    func startReading() -> Screen {
        let screen = Screen()
        let fd = primary
        DispatchQueue.global().async {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }  // EIO once the child's side is closed
                screen.append(Array(buffer[0..<n]))
            }
        }
        return screen
    }

    deinit { close(primary) }

    final class Screen: @unchecked Sendable {
        private let lock = NSLock()
        private var bytes: [UInt8] = []
        func append(_ more: [UInt8]) { lock.lock(); bytes += more; lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: bytes, as: UTF8.self) }
    }
}
