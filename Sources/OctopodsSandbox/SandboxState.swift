#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything the sandbox remembers between runs.
package struct SandboxState: Codable, Sendable, Equatable {
    /// Bumped when the format changes incompatibly.
    static let currentVersion = 1
    /// Only the newest messages are kept.
    static let messageLimit = 10_000

    var version = SandboxState.currentVersion
    package internal(set) var nextMessageID = 100_001
    /// Oldest first; ids increase.
    var messages: [SandboxMessage] = []
    /// Per key value: recent requests and cool-down.
    var rateLimits: [String: SandboxRateLimitRecord] = [:]
    /// This state's own keys (fixed name → value); nil accepts the fixed public keys.
    var keys: [String: String]?

    /// The ids of the messages kept, oldest first.
    package var messageIDs: [Int] { messages.map(\.id) }

    /// The keys this state accepts.
    var keySet: [SandboxKey] { SandboxKeys.keys(keys) }

    /// The key with exactly this value.
    func key(_ value: String) -> SandboxKey? {
        keySet.first { $0.value == value }
    }

    /// Stores a new message under the next id, dropping the oldest beyond the limit.
    mutating func add(_ make: (Int) -> SandboxMessage) -> SandboxMessage {
        let message = make(nextMessageID)
        nextMessageID += 1
        messages.append(message)
        if messages.count > Self.messageLimit { messages.removeFirst(messages.count - Self.messageLimit) }
        return message
    }

    /// The message `id`, if `key` sent it.
    func message(id: Int, key: String) -> SandboxMessage? {
        messages.last { $0.id == id && $0.key == key }
    }

    /// What `key` sent on `channel`, newest first.
    func messages(sentWith key: String, channel: SandboxChannel) -> [SandboxMessage] {
        messages.reversed().filter { $0.key == key && $0.channel == channel }
    }

    /// The largest message id a state may hold: far beyond any real use, and far enough below
    /// `Int.max` that counting on from it never overflows.
    static let maxMessageID = 1 << 53

    /// What in a loaded file is out of range (so that counting on from it would trap), or nil.
    var implausible: String? {
        if !(1...Self.maxMessageID).contains(nextMessageID) { return "nextMessageID \(nextMessageID)" }
        if let message = messages.first(where: { !(1...Self.maxMessageID).contains($0.id) }) { return "message id \(message.id)" }
        return nil
    }

    /// Repairs what a hand-edited file could get wrong.
    mutating func normalise() {
        messages.sort { $0.id < $1.id }
        if messages.count > Self.messageLimit { messages.removeFirst(messages.count - Self.messageLimit) }
        nextMessageID = max(nextMessageID, (messages.last?.id ?? 0) + 1)
    }
}
