#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// The repeat guard and idempotency keys shared by machines through the state store in Redis
/// (docs/state-store.md): the local history stays the memory of what this machine sent; Redis
/// holds, for every message any machine sends, a reservation and then its result, so that the
/// same message from two hosts goes once.
///
/// `octopods:msg:<fingerprint>` (the fingerprint already hashes profile, channel, recipient and
/// body; it expires with `repeat_window`) and `octopods:key:<hash of profile and key>` (an
/// idempotency key: kept a year) hold one JSON object: `state` (`reserved` or `sent`), `time`,
/// `outcome`, `message_id`, `request_id`, `to`, `fingerprint`, and for a reservation the `host` and
/// `pid` that made it. A reservation is taken with `SET … NX` (atomic on the server); another
/// host finding one waits for its result up to `patience`, then takes it as a send whose outcome
/// is unknown.
package final class SharedRepeats: Sendable {
    let client: RedisClient
    static let keyExpiry = 366 * 86_400_000

    package init(client: RedisClient) { self.client = client }

    /// This machine's name, for a reservation's owner.
    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    static func messageKey(_ message: RepeatGuard.Message) -> String { "octopods:msg:" + message.fingerprint }

    static func idempotencyKey(_ key: String, profile: String) -> String {
        "octopods:key:" + SHA256.name("octopods-key-1\u{0}\(profile)\u{0}\(key)")
    }

    /// Claims `message` for this process on every machine: `.go` when it may be sent, else what
    /// an earlier send (of any host) says.
    func claim(
        _ message: RepeatGuard.Message, profile: String, window: Double?, patience: Double, now: @Sendable () -> Date,
        sleep: @Sendable (Double) async throws -> Void
    ) async throws(OctopodsError) -> RepeatGuard.Claim {
        let deadline = now().addingTimeInterval(patience)
        var claimedKey: String?
        if let key = message.key {
            let name = Self.idempotencyKey(key, profile: profile)
            while true {
                switch try reserve(name, message, expiry: Self.keyExpiry, now: now()) {
                case .reserved:
                    claimedKey = name
                case .found(let earlier, let reserved):
                    if earlier.fingerprint != message.fingerprint { return .keyConflict(earlier) }
                    if reserved, now() < deadline { try await pause(sleep); continue }
                    return .sameKey(earlier)
                }
                break
            }
        }
        guard let window else { return .go(message) }
        let name = Self.messageKey(message)
        while true {
            switch try reserve(name, message, expiry: max(1, Int(Clamp.milliseconds(window))), now: now()) {
            case .reserved:
                return .go(message)
            case .found(let earlier, let reserved):
                if reserved, now() < deadline { try await pause(sleep); continue }
                if let claimedKey { try? delete([claimedKey]) }
                return .repeated(earlier)
            }
        }
    }

    /// The send's result, for every machine: accepted or unknown stand for a send; anything else
    /// (a rejection, not sent) gives the reservations back.
    func record(
        _ message: RepeatGuard.Message, profile: String, outcome: SendOutcome?, messageID: String?, requestID: String?,
        window: Double?, time: Date
    ) throws(OctopodsError) {
        var names: [String] = []
        if window != nil { names.append(Self.messageKey(message)) }
        if let key = message.key { names.append(Self.idempotencyKey(key, profile: profile)) }
        guard let outcome, outcome == .accepted || outcome == .unknown else {
            try delete(names)
            return
        }
        var value: JSONValue = [
            "state": "sent", "time": .string(LedgerTime.format(time)), "outcome": .string(outcome.rawValue),
            "to": .string(message.to), "fingerprint": .string(message.fingerprint),
        ]
        if let messageID { value.set("message_id", .string(messageID)) }
        if let requestID { value.set("request_id", .string(requestID)) }
        var commands: [[String]] = []
        if let window {
            commands.append(["SET", Self.messageKey(message), value.serialized(), "PX", String(max(1, Clamp.milliseconds(window)))])
        }
        if let key = message.key {
            commands.append(["SET", Self.idempotencyKey(key, profile: profile), value.serialized(), "PX", String(Self.keyExpiry)])
        }
        try run(commands)
    }

    /// Gives the reservations back: the message was certainly not sent.
    func release(_ message: RepeatGuard.Message, profile: String, window: Double?) throws(OctopodsError) {
        try record(message, profile: profile, outcome: nil, messageID: nil, requestID: nil, window: window, time: Date())
    }

    private enum Reservation {
        case reserved
        case found(RepeatGuard.Earlier, reserved: Bool)
    }

    private func reserve(_ name: String, _ message: RepeatGuard.Message, expiry: Int, now: Date) throws(OctopodsError) -> Reservation {
        let value: JSONValue = [
            "state": "reserved", "time": .string(LedgerTime.format(now)), "to": .string(message.to),
            "fingerprint": .string(message.fingerprint), "host": .string(Self.hostName),
            "pid": .string(String(getpid())),
        ]
        for _ in 0..<10 {
            let replies = try run([["SET", name, value.serialized(), "NX", "PX", String(expiry)], ["GET", name]])
            if case .success(.simple("OK")) = replies.first { return .reserved }
            guard replies.count == 2, case .success(let reply) = replies[1], let text = reply.text,
                let json = try? JSONValue.parse(Data(text.utf8))
            else { continue }  // expired in between: again
            let earlier = RepeatGuard.Earlier(
                time: json["time"]?.scalarText.flatMap(LedgerTime.parse) ?? now,
                outcome: json["outcome"]?.scalarText.map(SendOutcome.init(rawValue:)) ?? .unknown,
                messageID: json["message_id"]?.scalarText, requestID: json["request_id"]?.scalarText,
                to: json["to"]?.scalarText, fingerprint: json["fingerprint"]?.scalarText ?? "", inFlight: nil)
            return .found(earlier, reserved: json["state"]?.scalarText == "reserved")
        }
        throw .stateStore("\(client.address.display): a reservation kept changing")
    }

    private func pause(_ sleep: @Sendable (Double) async throws -> Void) async throws(OctopodsError) {
        do { try await sleep(0.05) } catch { throw .interrupted }
    }

    private func delete(_ names: [String]) throws(OctopodsError) {
        guard !names.isEmpty else { return }
        try run([["DEL"] + names])
    }

    @discardableResult
    private func run(_ commands: [[String]]) throws(OctopodsError) -> [Result<RedisReply, RedisError>] {
        guard !commands.isEmpty else { return [] }
        do {
            return try client.run(commands)
        } catch {
            throw .stateStore("\(client.address.display): \(error)")
        }
    }
}
