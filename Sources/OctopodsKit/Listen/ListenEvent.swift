#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// One status change `octopods listen` saw: `{"id", "type", "time", "data": {...}}`
/// (docs/listen.md). The id is derived from the change itself (profile, channel,
/// message id, new status), so the same change always has the same id, whichever run saw it:
/// a receiver uses it to drop repeats of an at-least-once delivery.
package struct ListenEvent: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        case sent, delivered, read, failed, deleted, expired
        package var type: String { "message." + rawValue }
    }

    package var id: String
    package var kind: Kind
    package var time: Date
    package var send: LedgerRecord
    package var status: DeliveryStatus
    package var failure: String?

    package init(kind: Kind, time: Date, send: LedgerRecord, status: DeliveryStatus, failure: String?) {
        self.kind = kind; self.time = time; self.send = send; self.status = status; self.failure = failure
        id = Self.id(profile: send.profile, channel: send.channel, messageID: send.messageID ?? "", kind: kind)
    }

    /// `evt_` and 32 hex digits of SHA-256 over the change.
    package static func id(profile: String, channel: Channel, messageID: String, kind: Kind) -> String {
        "evt_" + String(SHA256.hex("\(profile)\u{0}\(channel.rawValue)\u{0}\(messageID)\u{0}\(kind.rawValue)").prefix(32))
    }

    package var json: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return [
            "id": .string(id), "type": .string(kind.type), "time": .string(LedgerTime.format(time)),
            "data": [
                "message_id": text(send.messageID), "channel": .string(send.channel.rawValue), "to": text(send.to),
                "status": .string(status.rawValue), "failure_reason": text(failure),
                "template_id": text(send.templateID), "template_name": text(send.templateName), "source": text(send.source),
                "sent_at": .string(LedgerTime.format(send.time)),
            ],
        ]
    }

    /// The kinds of event a status learned makes, from the one known before: the stages a
    /// message passed through since, in order (a message first seen `read` was also sent and
    /// delivered), so every followed message gives the same sequence however often it is polled.
    package static func kinds(from old: DeliveryStatus?, to new: DeliveryStatus) -> [Kind] {
        let path: [Kind]
        switch new {
        case .sent: path = [.sent]
        case .delivered: path = [.sent, .delivered]
        case .read: path = [.sent, .delivered, .read]
        case .deleted: path = [.sent, .delivered, .deleted]
        case .failed, .undelivered: return old?.isFinal == true ? [] : [.failed]
        case .expired: return old?.isFinal == true ? [] : [.expired]
        case .queued, .unknown, .other: return []
        }
        let reached = rank(old)
        return path.filter { rank(of: $0) > reached }
    }

    private static func rank(_ status: DeliveryStatus?) -> Int {
        switch status {
        case .sent?: return 1
        case .delivered?: return 2
        case .read?, .deleted?, .failed?, .undelivered?, .expired?: return 3
        default: return 0
        }
    }

    private static func rank(of kind: Kind) -> Int {
        switch kind {
        case .sent: return 1
        case .delivered: return 2
        case .read, .deleted, .failed, .expired: return 3
        }
    }
}
