#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// "Was this exact message sent to this number lately?", asked of the history before any send,
/// single or bulk, and answered the same way by every process (docs/repeat-guard.md).
///
/// Under the ledger's lock, briefly: catch the index up, look the message (and its
/// idempotency key) up, and, when it may go, append a `reserve` line naming this process. Then,
/// without the lock, the send; then its `send` line (with the message's fingerprint), or a
/// `release` line when it was certainly not sent. A second process finds the reservation: it
/// waits while its owner lives, and takes it as a send with an unknown outcome once the owner
/// is gone without recording one (it may have sent it).
package final class RepeatGuard: Sendable {
    let recorder: HistoryRecorder
    /// How far back an identical message counts; nil: repeats are not looked for (keys still are).
    let window: Double?
    let index: URL
    /// How long a claim waits for another live process's reservation of the same message.
    let patience: Double

    /// The same, shared by machines through the state store (nil: this machine's history only).
    let shared: SharedRepeats?

    init(recorder: HistoryRecorder, window: Double?, patience: Double, shared: SharedRepeats? = nil) {
        self.recorder = recorder; self.window = window; self.patience = patience; self.shared = shared
        index = recorder.ledger.url.deletingLastPathComponent().appendingPathComponent(recorder.ledger.url.lastPathComponent + ".index")
    }

    /// One message as the guard knows it.
    package struct Message: Sendable {
        package var fingerprint: String
        package var channel: Channel
        package var to: String
        package var key: String?
    }

    /// What the history holds for a message or key.
    package struct Earlier: Sendable {
        package var time: Date
        /// `accepted` or `unknown` (a send with no recorded answer, or a reservation whose process is gone).
        package var outcome: SendOutcome
        package var messageID: String?
        package var requestID: String?
        package var to: String?
        package var fingerprint: String
        /// A reservation by a process that is still running.
        package var inFlight: Int32?
    }

    package enum Claim: Sendable {
        /// Reserved: send it, then record it with this message (`HistoryRecorder.sent`); nil when
        /// there is no history to reserve in.
        case go(Message?)
        /// An identical message within the window.
        case repeated(Earlier)
        /// The same idempotency key and the same request: its first result.
        case sameKey(Earlier)
        /// The same idempotency key with another request.
        case keyConflict(Earlier)
    }

    /// The fingerprint of a message: profile, channel, method and path (the template), recipient
    /// and request body; 128 bits of SHA-256 in hex.
    package static func fingerprint(profile: String, endpoint: Endpoint<SendResult>, to: String) -> String {
        // One buffer, hashed a block at a time: a bulk run fingerprints every row.
        var bytes = Array(
            "octopods-message-1\u{0}\(profile)\u{0}\(endpoint.channel.rawValue)\u{0}\(endpoint.method) \(endpoint.path)\u{0}\(to)\u{0}".utf8
        )
        bytes.reserveCapacity(bytes.count + 256)
        // Keys in order at every level: the same body is the same message however it was built.
        (endpoint.body ?? .null).append(to: &bytes, sortingKeys: true)
        var hasher = SHA256()
        hasher.update(bytes)
        return SHA256.hexString(Array(hasher.finalize().prefix(16)))
    }

    package func message(_ endpoint: Endpoint<SendResult>, to: String, key: String?) -> Message {
        Message(
            fingerprint: Self.fingerprint(profile: recorder.profile, endpoint: endpoint, to: to), channel: endpoint.channel, to: to,
            key: key)
    }

    // MARK: Claiming

    /// Looks the message up and, if it may go, reserves it; waits (up to `patience`) while
    /// another running process holds a reservation of it, then takes that as a send with an
    /// unknown outcome. `lookForRepeats`: false with --allow-repeat (a key is still honoured).
    package func claim(_ message: Message, lookForRepeats: Bool) async throws(OctopodsError) -> Claim {
        let local = try await claimHere(message, lookForRepeats: lookForRepeats)
        guard case .go = local, let shared else { return local }
        // Reserved here; now on every machine (docs/state-store.md). Another host's send wins.
        let ctx = recorder.ctx
        let everywhere: Claim
        do {
            everywhere = try await shared.claim(
                message, profile: recorder.profile, window: lookForRepeats ? window : nil,
                patience: patience, now: ctx.now, sleep: ctx.sleep)
        } catch {
            try? release(message)
            throw error
        }
        if case .go = everywhere { return local }
        try? release(message)
        return everywhere
    }

    /// The claim in this machine's history.
    func claimHere(_ message: Message, lookForRepeats: Bool) async throws(OctopodsError) -> Claim {
        let ctx = recorder.ctx
        let deadline = ctx.now().addingTimeInterval(patience)
        while true {
            // The ledger's lock is waited for on the history's queue, off the cooperative pool.
            let (claim, busy) = try await recorder.io.run { () throws(OctopodsError) -> (Claim, busy: Bool) in
                try self.claimOnce(message, lookForRepeats: lookForRepeats)
            }
            guard busy, ctx.now() < deadline, !ctx.isInterrupted() else { return claim }
            do { try await ctx.sleep(0.02) } catch { return claim }
        }
    }

    /// One look under the lock: the claim, and whether it is another live process's reservation.
    func claimOnce(_ message: Message, lookForRepeats: Bool) throws(OctopodsError) -> (Claim, busy: Bool) {
        let profile = recorder.profile
        let now = recorder.ctx.now()
        let window = lookForRepeats ? self.window : nil
        let index = self.index
        return try recorder.ledger.exclusively(sync: false) { locked throws(OctopodsError) in
            var table = try RepeatIndex.open(index, ledger: locked)
            defer { table.close() }
            let lines = Lines(fd: locked.fd, end: locked.end)
            if let found = Self.look(message, profile: profile, window: window, now: now, offsets: table.offsets, lines: lines) {
                return found
            }
            var line: [(String, JSONValue)] = [
                ("time", .string(LedgerTime.format(now))), ("type", "reserve"), ("profile", .string(profile)),
                ("channel", .string(message.channel.rawValue)), ("to", .string(message.to)),
                ("fingerprint", .string(message.fingerprint)),
            ]
            if let key = message.key { line.append(("idempotency_key", .string(key))) }
            line += [("pid", .string(String(getpid()))), ("process", .string(ProcessIdentity.current))]
            let offset = try locked.append(Array((JSONValue.object(line).serialized() + "\n").utf8))
            try table.set(RepeatIndex.hash(fingerprint: message.fingerprint), offset)
            if let key = message.key { try table.set(RepeatIndex.hash(key: key, profile: profile), offset) }
            try table.covered(locked.end, ledger: locked.info)
            return (.go(message), false)
        }
    }

    /// What the history says of `message`: its key's first send, or an identical message within
    /// `window` (nil: not looked for); nil when it may go.
    static func look(
        _ message: Message, profile: String, window: Double?, now: Date, offsets: (UInt64) -> [Int64],
        lines: Lines
    ) -> (Claim, busy: Bool)? {
        if let key = message.key,
            let earlier = latest(
                offsets(RepeatIndex.hash(key: key, profile: profile)), in: lines,
                where: { $0["idempotency_key"] == key && $0["profile"] == profile })
        {
            if earlier.fingerprint == message.fingerprint { return (.sameKey(earlier), earlier.inFlight != nil) }
            return (.keyConflict(earlier), false)
        }
        if let window,
            let earlier = latest(
                offsets(RepeatIndex.hash(fingerprint: message.fingerprint)), in: lines,
                where: { $0["fingerprint"] == message.fingerprint }),
            earlier.inFlight != nil || earlier.time >= now.addingTimeInterval(-window)
        {
            return (.repeated(earlier), earlier.inFlight != nil)
        }
        return nil
    }

    /// The history as a bulk run's check of every row reads it: the index read once under the
    /// lock, then looked up without it (the ledger's lines up to `end` do not change). The send
    /// pass claims each row again, under the lock.
    package final class Snapshot: Sendable {
        let table: [UInt8]
        let slots: Int
        let lines: Lines
        let profile: String
        let window: Double?
        let now: Date
        let guardian: RepeatGuard

        init(table: [UInt8], slots: Int, lines: Lines, guardian: RepeatGuard, window: Double?) {
            self.table = table; self.slots = slots; self.lines = lines; self.guardian = guardian
            profile = guardian.recorder.profile; self.window = window; now = guardian.recorder.ctx.now()
        }

        deinit { Glibc.close(lines.fd) }

        /// Whether the history holds no message at all (nothing to look up).
        package var isEmpty: Bool { lines.end == 0 || slots == 0 }

        /// What the history says of `message` (nil: it may go), as `claim` would find it.
        package func look(_ message: Message) -> Claim? {
            RepeatGuard.look(
                message, profile: profile, window: window, now: now,
                offsets: { RepeatIndex.probe($0, slots: slots) { RepeatIndex.slot(table, $0).map { [$0] } }.offsets }, lines: lines)?.0
        }
    }

    /// The snapshot for a bulk run's check; `lookForRepeats` false with --allow-repeat.
    package func snapshot(lookForRepeats: Bool) throws(OctopodsError) -> Snapshot {
        let index = self.index
        let (table, slots, end): ([UInt8], Int, Int64) = try recorder.ledger.exclusively { locked throws(OctopodsError) in
            let opened = try RepeatIndex.open(index, ledger: locked)
            defer { opened.close() }
            return (try opened.table(), opened.count, locked.end)
        }
        let fd: Int32
        do {
            fd = try SystemFile.openOwned(recorder.ledger.url, flags: O_RDONLY) ?? -1
        } catch {
            throw .failed("cannot read the history ledger \(error)")
        }
        return Snapshot(
            table: table, slots: fd < 0 ? 0 : slots, lines: Lines(fd: fd, end: fd < 0 ? 0 : end), guardian: self,
            window: lookForRepeats ? window : nil)
    }

    /// Where ledger lines are read from: a descriptor and the end of what may be read.
    struct Lines: Sendable {
        let fd: Int32
        let end: Int64
    }

    /// Gives a reservation back: the message was certainly not sent.
    func release(_ message: Message) throws(OctopodsError) {
        var line: [(String, JSONValue)] = [
            ("time", .string(LedgerTime.format(recorder.ctx.now()))), ("type", "release"),
            ("profile", .string(recorder.profile)), ("channel", .string(message.channel.rawValue)),
            ("fingerprint", .string(message.fingerprint)),
        ]
        if let key = message.key { line.append(("idempotency_key", .string(key))) }
        try recorder.ledger.exclusively { locked throws(OctopodsError) in
            _ = try locked.append(Array((JSONValue.object(line).serialized() + "\n").utf8))
        }
    }

    // MARK: Saying it

    /// The stderr notice of a message not sent again.
    package static func notSentAgain(_ earlier: Earlier, key: String?) -> String {
        let when = JournalTime.display(earlier.time)
        let what = earlier.messageID.map { " (message \($0))" } ?? ""
        if let key {
            return "the idempotency key '\(key)' was used at \(when) for this same request\(what)\(unknownNote(earlier)); not sent again"
        }
        if let pid = earlier.inFlight {
            return
                "identical to the message another octopods run (pid \(pid)) has been sending since \(when); not sent again (--allow-repeat sends it)"
        }
        return "identical to the message sent at \(when)\(what)\(unknownNote(earlier)); not sent again (--allow-repeat sends it)"
    }

    static func unknownNote(_ earlier: Earlier) -> String {
        earlier.outcome == .unknown && earlier.inFlight == nil ? ", whose outcome is unknown (it may have been delivered)" : ""
    }

    /// The earlier send as a send's answer: what stdout shows for it.
    package static func response(_ earlier: Earlier, to: String) -> APIResponse<SendResult> {
        let result = SendResult(messageID: earlier.messageID, phone: earlier.to ?? to, requestID: earlier.requestID)
        var json: JSONValue = ["message_id": earlier.messageID.map(JSONValue.string) ?? .null, "phone_number": .string(earlier.to ?? to)]
        if let request = earlier.requestID { json.set("request_id", .string(request)) }
        json.set("status", .string(earlier.inFlight == nil ? earlier.outcome.rawValue : "sending"))
        json.set("sent_at", .string(LedgerTime.format(earlier.time)))
        json.set("repeat", true)
        return APIResponse(value: result, raw: json, status: 200)
    }

    package static func keyConflict(_ earlier: Earlier, key: String) -> OctopodsError {
        .usage(
            UsageError(
                "the idempotency key '\(key)' was used at \(JournalTime.display(earlier.time)) for another message"
                    + (earlier.to.map { " (to \($0))" } ?? "") + "; nothing was sent",
                suggestion: "Each message needs its own key: give this one another."))
    }

    package static func noHistoryWarning(_ noLedger: Bool) -> String {
        "\(noLedger ? "with --no-ledger" : "with ledger = off") the history is not kept, so an identical message sent lately cannot be found: the repeat guard is off for this run"
    }

    package static func unreadableWarning(_ error: OctopodsError) -> String {
        "\(error.message()); the repeat guard cannot look for an identical message sent lately, so it is off for this run"
    }

    // MARK: Reading what the history says

    /// The first of `offsets` whose line passes `matches` and still stands for a send (an
    /// accepted or unknown one, or a reservation); nil when the latest line released it or
    /// records a rejection.
    static func latest(_ offsets: [Int64], in lines: Lines, where matches: ([String: String]) -> Bool) -> Earlier? {
        for offset in offsets {
            guard let fields = line(at: offset, in: lines), matches(fields) else { continue }
            return earlier(fields)
        }
        return nil
    }

    static func earlier(_ fields: [String: String]) -> Earlier? {
        guard let timeText = fields["time"], let time = LedgerTime.parse(timeText), let fingerprint = fields["fingerprint"] else {
            return nil
        }
        var earlier = Earlier(
            time: time, outcome: .unknown, messageID: fields["message_id"], requestID: fields["request_id"],
            to: fields["to"], fingerprint: fingerprint)
        switch fields["type"] {
        case "send":
            let outcome = SendOutcome(rawValue: fields["outcome"] ?? "")
            guard outcome == .accepted || outcome == .unknown else { return nil }
            earlier.outcome = outcome
        case "reserve":
            if let pid = fields["pid"].flatMap({ Int32($0) }), ProcessIdentity.alive(pid: pid, identity: fields["process"] ?? "") {
                earlier.inFlight = pid
            }
        default:
            return nil
        }
        return earlier
    }

    /// The line at `offset` of the ledger, its fields; nil when it is not a whole record there.
    static func line(at offset: Int64, in lines: Lines) -> [String: String]? {
        guard offset >= 0, offset < lines.end else { return nil }
        var size = 1024
        while size <= 1 << 20 {
            let want = Int(min(Int64(size), lines.end - offset))
            var bytes = [UInt8](repeating: 0, count: want)
            let n = pread(lines.fd, &bytes, want, off_t(offset))
            guard n > 0 else { return nil }
            if let newline = bytes[0..<n].firstIndex(of: 0x0A) {
                let pairs = bytes.withUnsafeBytes { FlatJSON.parse(UnsafeRawBufferPointer(rebasing: $0[0..<newline])) }
                return pairs.map { Dictionary($0, uniquingKeysWith: { _, last in last }) }
            }
            if n < size { return nil }
            size *= 4
        }
        return nil
    }
}

/// Who holds a reservation: the boot and the kernel's start time of a process, so that a pid
/// reused after a reboot or by another process is not taken for the one that reserved.
enum ProcessIdentity {
    static let current: String = identity(getpid()) ?? ""

    /// `BOOT-ID/START-TICKS` of a running process; nil when /proc does not say.
    static func identity(_ pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)": state is field 3, starttime field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return Pacer.Clock.systemBootID() + "/" + fields[19]
    }

    /// Whether the process that wrote `identity` is still running.
    static func alive(pid: Int32, identity: String) -> Bool {
        guard pid > 0 else { return false }
        if identity.isEmpty { return kill(pid, 0) == 0 || errno == EPERM }
        return Self.identity(pid) == identity
    }
}
