#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// What is known about one input row across runs.
package enum RowState: String, Sendable {
    /// The request is about to go out (or went out and no answer was recorded).
    case sending
    case accepted
    /// The API refused it (a 4xx): nothing was sent to the recipient.
    case rejected
    /// Certainly not processed (429, could not connect): safe to send again.
    case notSent = "not_sent"
    /// The request went out and the answer was lost: it may have been sent.
    case unknown
    /// On the --exclude list (an opt-out): never sent, by this run or a resumed one.
    case excluded
    /// Identical to a message the history or an earlier run of this input shows as sent: not
    /// sent again (its `message_id` is the earlier one's).
    case repeated = "repeat"

    /// The request went out, so the recipient may have the message.
    var wentOut: Bool { self == .accepted || self == .sending || self == .unknown }
}

/// The input a journal belongs to, as recorded in its header: where it came from, its size and
/// its content hash, so a changed file (or a journal written for another file) is recognised.
package struct JournalInput: Sendable, Equatable {
    /// The input's absolute path; `-` for standard input.
    package var identity: String
    package var size: Int
    package var sha256: String

    package init(identity: String, size: Int, sha256: String) {
        self.identity = identity; self.size = size; self.sha256 = sha256
    }
}

/// The bulk journal: one JSON line per event, appended and fsync'd before a request goes out
/// and after its answer, so a run killed at any point can be resumed without sending a row
/// twice. Writes are group-committed: workers append, then wait for the next fsync, which
/// covers every line appended before it; one fsync serves many rows. The `write` and `fsync`
/// run on the journal's own dispatch queue, never on Swift's cooperative threads (a slow disk
/// would otherwise stall every task of the run).
///
/// The file holds, in order: a header naming the command and the input (path, size, SHA-256),
/// a `started` line (time, pid) for each run that opened it, the rows' entries, and a
/// `finished` line when a run went through every row. A run holds an exclusive `flock` on it
/// from opening to exit, so a second run on the same journal refuses at once instead of
/// sending the same rows again (the lock's semantics: docs/linux-notes.md, "flock").
package actor Journal {
    package struct Entry: Sendable, Equatable {
        package var line: Int
        package var hash: String
        package var state: RowState
        package var messageID: String?
        package var error: String?

        package init(line: Int, hash: String, state: RowState, messageID: String? = nil, error: String? = nil) {
            self.line = line; self.hash = hash; self.state = state; self.messageID = messageID; self.error = error
        }
    }

    /// A run that opened the journal: when, and which process.
    package struct Run: Sendable, Equatable {
        package var at: Date?
        package var pid: Int?
        /// The profile it sent with (nil in journals older than this field).
        package var profile: String?
    }

    /// The end of a run that went through every row.
    package struct Finish: Sendable, Equatable {
        package var at: Date?
        package var accepted = 0, rejected = 0, unknown = 0
    }

    /// Everything a journal file says.
    package struct Summary: Sendable {
        package var command: String?
        package var input: JournalInput?
        package var hasHeader = false
        package var states: [Int: Entry] = [:]
        /// Lines that could not be read: a run killed mid-write leaves one at the end.
        package var tornLines = 0
        var endsMidLine = false
        package var lastStart: Run?
        /// The last `finished` line, when no run started after it.
        package var finish: Finish?
        /// Nothing at all, or a header and runs that never recorded a row (a run that stopped
        /// before sending: a wrong template id, invalid rows, a declined confirmation). Such a
        /// journal holds nothing to protect, so it is simply started again.
        package var isEmpty: Bool {
            tornLines == 0 && states.isEmpty && finish == nil && (hasHeader || lastStart == nil)
        }

        /// Rows whose request went out (accepted, or no recorded answer).
        package var sent: Int { states.values.filter { $0.state.wentOut }.count }
        package var unanswered: Int { states.values.filter { $0.state == .sending || $0.state == .unknown }.count }
    }

    /// What opening the journal decided, from its state and the input's content.
    package enum Decision: Sendable, Equatable {
        /// No journal yet: a first run.
        case fresh
        /// An unfinished run of this same content (or a finished one with `--resend-unknown`
        /// and rows with no recorded answer): its rows are skipped.
        case resume
        /// The old journal is kept under another name and a new run starts: asked for with
        /// `--new-run`, or the input changed after its run finished (a file regenerated daily).
        case replace(newRun: Bool)
    }

    package let url: URL
    private var fd: Int32
    private let queue: BlockingQueue
    private var pending: [UInt8] = []
    private var waiters: [CheckedContinuation<Void, any Error>] = []
    private var flushing = false
    /// The last entry recorded for each line, by earlier runs (from the file) and this one.
    package private(set) var states: [Int: Entry]
    /// What the journal held before this run, and what opening it decided.
    package nonisolated let previous: Summary
    package nonisolated let decision: Decision
    /// Where the old journal was kept when this run replaced it.
    package nonisolated let archived: URL?

    private init(url: URL, fd: Int32, queue: BlockingQueue, previous: Summary, decision: Decision, archived: URL?) {
        self.url = url; self.fd = fd; self.queue = queue; self.previous = previous; self.decision = decision
        self.archived = archived
        states = decision == .resume ? previous.states : [:]
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Closes the journal, releasing its lock for the next run (the process's exit does too).
    package func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    // MARK: Opening

    /// Opens (creating 0600) the journal at `url` for a run of `command` on `input`, locks it for
    /// the life of the returned value, decides from what it holds whether this run resumes it,
    /// replaces it or is refused (exit 2, nothing sent), and records this run's start.
    package static func open(
        _ url: URL, input: JournalInput, command: String, newRun: Bool, resendUnknown: Bool,
        now: Date, profile: String? = nil
    ) async throws(OctopodsError) -> Journal {
        let queue = BlockingQueue("octopods.journal")
        return try await queue.run { () throws(OctopodsError) -> Journal in
            try openBlocking(
                url, queue: queue, input: input, command: command, newRun: newRun,
                resendUnknown: resendUnknown, now: now, profile: profile)
        }
    }

    private static func openBlocking(
        _ url: URL, queue: BlockingQueue, input: JournalInput, command: String, newRun: Bool,
        resendUnknown: Bool, now: Date, profile: String?
    ) throws(OctopodsError) -> Journal {
        var fd = try lockedDescriptor(url)
        let previous: Summary
        do { previous = try summary(fd, path: url.path) } catch { Glibc.close(fd); throw error }
        let decision: Decision
        do {
            decision = try decide(
                previous, input: input, command: command, journal: url, newRun: newRun,
                resendUnknown: resendUnknown)
        } catch { Glibc.close(fd); throw error }
        var archived: URL?
        if case .replace = decision {
            // Keep the old journal under a name with its finish (or last start) time, then start a
            // new file at the path. The old one stays locked until the new one is: a run that
            // opened the old path meanwhile finds, once it gets the lock, that the path names
            // another file now, and tries again.
            let kept = archiveURL(url, previous: previous)
            guard rename(url.path, kept.path) == 0 else {
                let reason = String(cString: strerror(errno))
                Glibc.close(fd)
                throw .invalidInput(
                    "cannot keep the old journal \(url.path) as \(kept.lastPathComponent): \(reason); nothing was sent",
                    hint: "Move it away yourself, or choose another journal with --journal FILE.")
            }
            archived = kept
            let old = fd
            defer { Glibc.close(old) }
            fd = try lockedDescriptor(url)
        }
        var bytes: [UInt8] = []
        if decision == .fresh, ftruncate(fd, 0) != 0 {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw .invalidInput("cannot start the journal \(url.path) again: \(reason); nothing was sent")
        }
        if decision == .resume {
            // A run killed mid-write leaves a torn last line; start after it, not on it.
            if previous.endsMidLine { bytes.append(UInt8(ascii: "\n")) }
        } else {
            let header: JSONValue = [
                "journal": "octopods bulk send", "version": 2, "command": .string(command),
                "input": .string(input.identity), "size": .int(input.size), "sha256": .string(input.sha256),
            ]
            bytes += Array((header.serialized() + "\n").utf8)
        }
        var start: JSONValue = ["started": .string(LedgerTime.format(now)), "pid": .int(Int(getpid()))]
        if let profile { start.set("profile", .string(profile)) }
        bytes += Array((start.serialized() + "\n").utf8)
        if let failure = write(bytes, to: fd, path: url.path) {
            Glibc.close(fd)
            throw .invalidInput("\(failure); nothing was sent", hint: "Choose where it goes with --journal FILE.")
        }
        SystemFile.syncDirectory(url.deletingLastPathComponent())
        return Journal(url: url, fd: fd, queue: queue, previous: previous, decision: decision, archived: archived)
    }

    /// The journal's descriptor, opened as the user's own file (no symlink, a regular file owned
    /// by the user, not writable by others) and exclusively locked; refused at once when another
    /// run holds the lock.
    private static func lockedDescriptor(_ url: URL) throws(OctopodsError) -> Int32 {
        for _ in 0..<10 {
            let fd: Int32
            do {
                guard let opened = try SystemFile.openOwned(url, flags: O_RDWR | O_APPEND, create: true) else { continue }
                fd = opened
            } catch {
                // A missing directory is not fixed by naming the same path again (docs/bulk.md).
                let directory = url.deletingLastPathComponent().path
                let hint =
                    FileManager.default.fileExists(atPath: directory)
                    ? "Remove or fix that file, or choose another journal with --journal FILE."
                    : "The directory \(directory) does not exist: create it (mkdir -p \(directory)), or give --journal a file in a directory that exists."
                throw .invalidInput("cannot use the journal \(error.description); nothing was sent", hint: hint)
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                let holder = (try? summary(fd, path: url.path))?.lastStart
                Glibc.close(fd)
                guard code == EWOULDBLOCK else {
                    throw .invalidInput("cannot lock the journal \(url.path): \(String(cString: strerror(code))); nothing was sent")
                }
                throw inUse(url, by: holder)
            }
            // Replaced (a new run kept the old file under another name) between our open and
            // our lock: open the file the path names now.
            var own = stat(), current = stat()
            if fstat(fd, &own) == 0, lstat(url.path, &current) == 0, own.st_ino == current.st_ino, own.st_dev == current.st_dev {
                return fd
            }
            Glibc.close(fd)
        }
        throw .invalidInput("the journal \(url.path) keeps being replaced by another run; nothing was sent")
    }

    static func inUse(_ url: URL, by holder: Run?) -> OctopodsError {
        var who = "another octopods run"
        if let holder {
            var parts: [String] = []
            if let pid = holder.pid { parts.append("pid \(pid)") }
            if let at = holder.at { parts.append("started \(JournalTime.display(at))") }
            if !parts.isEmpty { who += " (" + parts.joined(separator: ", ") + ")" }
        }
        return .invalidInput(
            "the journal \(url.path) is in use by \(who); nothing was sent",
            hint:
                "Two runs of one input would message the same people twice: let that run finish (or stop it), then run this again to resume."
        )
    }

    /// The states, header and runs an existing journal records, without opening it for writing
    /// or locking it (for `--dry-run`: even a shared lock, held for a moment, would make a real
    /// run starting then refuse); nil when there is none.
    package static func peek(_ url: URL) throws(OctopodsError) -> Summary? {
        let fd: Int32
        do {
            guard let opened = try SystemFile.openOwned(url, flags: O_RDONLY) else { return nil }
            fd = opened
        } catch {
            throw .invalidInput(
                "cannot use the journal \(error.description)",
                hint: "Remove or fix that file, or choose another journal with --journal FILE.")
        }
        defer { Glibc.close(fd) }
        return try summary(fd, path: url.path)
    }

    /// Reads a journal from the start of `fd`.
    static func summary(_ fd: Int32, path: String) throws(OctopodsError) -> Summary {
        guard lseek(fd, 0, SEEK_SET) == 0 else {
            throw .invalidInput("cannot read the journal \(path): \(String(cString: strerror(errno)))")
        }
        let data: Data
        do { data = try SystemFile.readAll(fd, path: path) } catch {
            throw .invalidInput("cannot read the journal \(error.description)")
        }
        return summary(of: data)
    }

    /// Reads a journal's lines: its header, the last entry per input line, its runs, and how
    /// many lines could not be read.
    package static func summary(of data: Data) -> Summary {
        var summary = Summary()
        for lineBytes in data.split(separator: UInt8(ascii: "\n")) where !lineBytes.isEmpty {
            guard let json = try? JSONValue.parse(Data(lineBytes)) else { summary.tornLines += 1; continue }
            if json["journal"] != nil {
                guard !summary.hasHeader else { continue }
                summary.hasHeader = true
                summary.command = json["command"]?.stringValue
                if let identity = json["input"]?.stringValue, let size = json["size"]?.intValue,
                    let sha = json["sha256"]?.stringValue
                {
                    summary.input = JournalInput(identity: identity, size: size, sha256: sha)
                }
                continue
            }
            if let at = json["started"]?.stringValue {
                summary.lastStart = Run(at: LedgerTime.parse(at), pid: json["pid"]?.intValue, profile: json["profile"]?.stringValue)
                summary.finish = nil
                continue
            }
            if let at = json["finished"]?.stringValue {
                summary.finish = Finish(
                    at: LedgerTime.parse(at), accepted: json["accepted"]?.intValue ?? 0,
                    rejected: json["rejected"]?.intValue ?? 0, unknown: json["unknown"]?.intValue ?? 0)
                continue
            }
            guard let line = json["line"]?.intValue, let stateText = json["state"]?.stringValue,
                let state = RowState(rawValue: stateText)
            else { summary.tornLines += 1; continue }
            summary.states[line] = Entry(
                line: line, hash: json["hash"]?.stringValue ?? "", state: state,
                messageID: json["message_id"]?.scalarText, error: json["error"]?.stringValue)
        }
        summary.endsMidLine = !data.isEmpty && data.last != UInt8(ascii: "\n")
        return summary
    }

    // MARK: The lifecycle

    /// What a run of `command` on `input` does with a journal that holds `previous`: resume it,
    /// replace it, or refuse (exit 2, nothing sent) with what happened and what to do.
    ///
    /// | journal | same content | different content |
    /// |---|---|---|
    /// | unfinished | resume | refuse: the file changed mid-campaign |
    /// | finished | refuse: already sent (`--new-run` sends again) | a new run; the old journal is kept |
    package static func decide(
        _ previous: Summary, input: JournalInput, command: String, journal url: URL, newRun: Bool,
        resendUnknown: Bool
    ) throws(OctopodsError) -> Decision {
        if previous.isEmpty { return .fresh }
        if newRun { return .replace(newRun: true) }
        let path = url.path
        guard previous.hasHeader else {
            throw .invalidInput(
                "the journal \(path) has no header octopods can read, so it cannot tell which input it belongs to; nothing was sent",
                hint:
                    "Start over with --new-run (the old journal is kept, renamed with its time), or choose another journal with --journal FILE."
            )
        }
        if let other = previous.command, other != command {
            throw .usage(
                UsageError(
                    "the journal \(path) belongs to '\(other)', not '\(command)'; nothing was sent",
                    suggestion:
                        "Each command keeps its own journal: leave out --journal (or give another FILE), or start this one over with --new-run."
                ))
        }
        guard let recorded = previous.input else {
            throw .invalidInput(
                "the journal \(path) does not record which input it belongs to (an older octopods wrote it); nothing was sent",
                hint:
                    "Start over with --new-run (the old journal is kept, renamed with its time), or choose another journal with --journal FILE."
            )
        }
        let name = input.identity == "-" ? "stdin" : input.identity
        if recorded.sha256 == input.sha256 && recorded.size == input.size {
            guard let finish = previous.finish else { return .resume }
            if resendUnknown && previous.unanswered > 0 { return .resume }
            var counts = "\(NumberText.grouped(finish.accepted)) accepted, \(NumberText.grouped(finish.rejected)) rejected"
            if finish.unknown > 0 { counts += ", \(NumberText.grouped(finish.unknown)) unknown" }
            var hint = "To send it again, add --new-run (the old journal is kept, renamed with its time)."
            if previous.unanswered > 0 {
                hint +=
                    " To resend only the \(NumberText.counted(previous.unanswered, "row")) with no recorded answer, add --resend-unknown (they may be delivered twice)."
            }
            let when = finish.at.map { " at \(JournalTime.display($0))" } ?? ""
            throw .invalidInput(
                "\(name) was sent already: the run in the journal \(path) finished\(when) (\(counts)); nothing was sent",
                hint: hint)
        }
        if recorded.identity != input.identity {
            let other = recorded.identity == "-" ? "stdin" : recorded.identity
            throw .invalidInput(
                "the journal \(path) belongs to another input (\(other), \(NumberText.grouped(recorded.size)) bytes), not \(name); nothing was sent",
                hint: "Give this input its own journal (leave out --journal, or give another FILE), or start this one over with --new-run.")
        }
        if previous.finish != nil { return .replace(newRun: false) }
        let sent = previous.sent, unanswered = previous.unanswered
        var count = "sent \(NumberText.grouped(sent)) row\(sent == 1 ? "" : "s")"
        if unanswered > 0 { count += " (\(NumberText.grouped(unanswered)) with no recorded answer)" }
        let when = previous.lastStart?.at.map { ", last started \(JournalTime.display($0))," } ?? ""
        throw .invalidInput(
            "\(name) changed since its run began: the unfinished run in the journal \(path)\(when) \(count) from the earlier version; nothing was sent",
            hint:
                "Finish that run with the file as it was, or start over with this version with --new-run: every row of it is sent, including any the old run sent (the old journal is kept, renamed with its time)."
        )
    }

    /// `run.journal` → `run.finished-20261202T083940Z.journal` (or `stopped-` and its last start,
    /// for a run that never finished); a number is added if that name is taken.
    static func archiveURL(_ url: URL, previous: Summary) -> URL {
        let stamp: String
        if let finish = previous.finish {
            stamp = "finished-" + JournalTime.compact(finish.at ?? Date())
        } else {
            stamp = "stopped-" + JournalTime.compact(previous.lastStart?.at ?? Date())
        }
        let directory = url.deletingLastPathComponent()
        let name = url.lastPathComponent
        let base = name.hasSuffix(".journal") ? String(name.dropLast(".journal".count)) : name
        var candidate = directory.appendingPathComponent("\(base).\(stamp).journal")
        var n = 2
        var info = stat()
        while lstat(candidate.path, &info) == 0 {
            candidate = directory.appendingPathComponent("\(base).\(stamp)-\(n).journal")
            n += 1
        }
        return candidate
    }

    // MARK: Writing

    /// Appends an entry and returns once it is on disk.
    package func record(_ entry: Entry) async throws {
        var json: JSONValue = ["line": .int(entry.line), "hash": .string(entry.hash), "state": .string(entry.state.rawValue)]
        if let id = entry.messageID { json.set("message_id", .string(id)) }
        if let error = entry.error { json.set("error", .string(error)) }
        states[entry.line] = entry
        try await append(json)
    }

    /// Records that this run went through every row: a later run of the same content is then
    /// refused (or, for changed content, starts a new journal).
    package func finish(at date: Date) async throws(OctopodsError) {
        var accepted = 0, rejected = 0, unknown = 0, excluded = 0, repeated = 0
        for entry in states.values {
            switch entry.state {
            case .accepted: accepted += 1
            case .rejected: rejected += 1
            case .sending, .unknown: unknown += 1
            case .excluded: excluded += 1
            case .repeated: repeated += 1
            case .notSent: break
            }
        }
        do {
            try await append([
                "finished": .string(LedgerTime.format(date)), "pid": .int(Int(getpid())),
                "accepted": .int(accepted), "rejected": .int(rejected), "unknown": .int(unknown),
                "excluded": .int(excluded), "repeat": .int(repeated),
            ])
        } catch let error as OctopodsError {
            throw error
        } catch {
            throw .failed("cannot write the journal \(url.path): \(error)")
        }
    }

    private func append(_ json: JSONValue) async throws {
        pending += Array((json.serialized() + "\n").utf8)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiters.append(continuation)
            if !flushing {
                flushing = true
                Task { await flushLoop() }
            }
        }
    }

    /// Writes what is pending and fsyncs it on the journal's queue, so entries keep arriving
    /// meanwhile; then wakes everyone whose entry that covered, and goes round again while more
    /// arrived.
    private func flushLoop() async {
        while !waiters.isEmpty {
            let bytes = pending, done = waiters
            pending = []
            waiters = []
            let fd = self.fd, path = url.path
            let failure = await queue.run { () -> String? in Self.write(bytes, to: fd, path: path) }
            for waiter in done {
                if let failure { waiter.resume(throwing: OctopodsError.failed(failure)) } else { waiter.resume() }
            }
        }
        flushing = false
    }

    /// Blocking: writes every byte and fsyncs; what went wrong, or nil. Called on the journal's
    /// queue only.
    private static func write(_ bytes: [UInt8], to fd: Int32, path: String) -> String? {
        if bytes.isEmpty { return nil }
        if let code = SystemFile.writeAll(fd, bytes) {
            return "cannot write the journal \(path): \(String(cString: strerror(code)))"
        }
        return fsync(fd) == 0 ? nil : "cannot fsync the journal \(path): \(String(cString: strerror(errno)))"
    }
}

/// Times in journal messages and names, in UTC without ICU.
enum JournalTime {
    /// `2026-12-02 08:39:40 UTC`.
    static func display(_ date: Date) -> String {
        let iso = LedgerTime.format(date)  // 2026-12-02T08:39:40.123Z
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(8)) + " UTC"
    }

    /// `20261202T083940Z`, for file names.
    static func compact(_ date: Date) -> String {
        let iso = LedgerTime.format(date)
        return String(iso.prefix(19).filter { $0 != "-" && $0 != ":" }) + "Z"
    }
}
