#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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
}

/// The bulk journal: one JSON line per event, appended and fsync'd before a request goes out
/// and after its answer, so a run killed at any point can be resumed without sending a row
/// twice. Writes are group-committed: workers append, then wait for the next fsync, which
/// covers every line appended before it; one fsync serves many rows.
package actor Journal {
    package struct Entry: Sendable, Equatable {
        package var line: Int
        package var hash: String
        package var state: RowState
        package var messageID: String?
        package var error: String?
    }

    package let url: URL
    private let fd: Int32
    private var pending: [UInt8] = []
    private var waiters: [CheckedContinuation<Void, any Error>] = []
    private var flushing = false
    /// The last entry recorded for each line, by earlier runs (from the file) and this one.
    package private(set) var states: [Int: Entry] = [:]
    /// A journal line that could not be read: a run killed mid-write leaves one at the end.
    package private(set) var tornLines = 0

    /// Opens (creating 0600) the journal for `command`; an existing journal must belong to
    /// the same command, or resuming it would skip the wrong rows.
    package init(url: URL, command: String) throws(OctopodsError) {
        self.url = url
        let (header, states, torn, endsMidLine) = try Self.load(url)
        if let header, header["command"]?.stringValue != command {
            throw .usage(UsageError("the journal \(url.path) belongs to another command ('\(header["command"]?.stringValue ?? "?")'); give this run its own with --journal FILE"))
        }
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .failed("cannot open the journal \(url.path): \(String(cString: strerror(errno)))",
                          hint: "Choose where it goes with --journal FILE.")
        }
        self.fd = fd
        self.states = states
        self.tornLines = torn
        // A run killed mid-write leaves a torn last line; start after it, not on it.
        if endsMidLine { pending = [UInt8(ascii: "\n")] }
        if header == nil {
            let line: JSONValue = ["journal": "octopods bulk send", "version": 1, "command": .string(command)]
            pending += Array((line.serialized() + "\n").utf8)
        }
    }

    deinit { close(fd) }

    /// The states an existing journal records, without opening it for writing.
    package static func peek(_ url: URL) throws(OctopodsError) -> [Int: Entry] {
        try load(url).states
    }

    /// Reads a journal: its header line, the last entry per input line, and how many lines
    /// could not be read (a run killed mid-write can leave one, at the end).
    static func load(_ url: URL) throws(OctopodsError) -> (header: JSONValue?, states: [Int: Entry], torn: Int, endsMidLine: Bool) {
        guard FileManager.default.fileExists(atPath: url.path) else { return (nil, [:], 0, false) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .failed("cannot read the journal \(url.path): \(PlainText.describe(error))")
        }
        var header: JSONValue?
        var states: [Int: Entry] = [:]
        var torn = 0
        for lineBytes in data.split(separator: UInt8(ascii: "\n")) where !lineBytes.isEmpty {
            guard let json = try? JSONValue.parse(Data(lineBytes)) else { torn += 1; continue }
            if json["journal"] != nil { header = header ?? json; continue }
            guard let line = json["line"]?.intValue, let stateText = json["state"]?.stringValue,
                  let state = RowState(rawValue: stateText) else { torn += 1; continue }
            states[line] = Entry(line: line, hash: json["hash"]?.stringValue ?? "", state: state,
                                 messageID: json["message_id"]?.scalarText, error: json["error"]?.stringValue)
        }
        return (header, states, torn, !data.isEmpty && data.last != UInt8(ascii: "\n"))
    }

    /// Appends an entry and returns once it is on disk.
    package func record(_ entry: Entry) async throws {
        var json: JSONValue = ["line": .int(entry.line), "hash": .string(entry.hash), "state": .string(entry.state.rawValue)]
        if let id = entry.messageID { json.set("message_id", .string(id)) }
        if let error = entry.error { json.set("error", .string(error)) }
        pending += Array((json.serialized() + "\n").utf8)
        states[entry.line] = entry
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiters.append(continuation)
            if !flushing {
                flushing = true
                Task { await flushLoop() }
            }
        }
    }

    /// Writes what is pending and fsyncs it off the actor, so entries keep arriving meanwhile;
    /// then wakes everyone whose entry that covered, and goes round again while more arrived.
    private func flushLoop() async {
        while !waiters.isEmpty {
            let bytes = pending, done = waiters
            pending = []
            waiters = []
            let failure = await Self.append(bytes, to: fd, path: url.path)
            for waiter in done {
                if let failure { waiter.resume(throwing: failure) } else { waiter.resume() }
            }
        }
        flushing = false
    }

    private nonisolated static func append(_ bytes: [UInt8], to fd: Int32, path: String) async -> OctopodsError? {
        if bytes.isEmpty { return nil }
        let failure = bytes.withUnsafeBytes { raw -> OctopodsError? in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress?.advanced(by: offset), raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return .failed("cannot write the journal \(path): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
            return nil
        }
        if let failure { return failure }
        return fsync(fd) == 0 ? nil : .failed("cannot fsync the journal \(path): \(String(cString: strerror(errno)))")
    }
}
