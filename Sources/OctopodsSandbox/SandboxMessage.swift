#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a message's delivery will play out; chosen at send time from the recipient number.
enum SandboxDeliveryPlan: String, Codable, Sendable {
    /// WhatsApp/VBM: sent → delivered → read. SMS: queued → sent → delivered.
    case normal
    /// Fails one stage after sending: not a WhatsApp/Viber user, not a valid mobile subscriber.
    case notOnChannel
    /// WhatsApp/VBM: fails with provider code 470.
    case reengagementExpired
    /// WhatsApp/VBM: fails with provider code "63003".
    case providerFailure
    /// SMS: queued → sent → undelivered.
    case undelivered
    /// Stays sent forever.
    case neverDelivered
    /// Delivered, then deleted by the recipient: `DELETED` one stage after delivery.
    case deleted
    /// Delivered normally, but status lookups are refused (400 "Message not found.").
    case statusRefused
}

/// A message the sandbox accepted, as persisted.
struct SandboxMessage: Codable, Sendable, Equatable {
    var id: Int
    /// The key value that sent it: only that key can see it.
    var key: String
    /// WhatsApp for template and interactive sends (also the legacy interactive body on the SMS path).
    var channel: SandboxChannel
    var phone: String
    var channelMessageID: String
    var createdAt: Date
    var plan: SandboxDeliveryPlan
    var templateID: Int?
}

/// A message's status at one moment, derived from its send time: no timers involved.
struct SandboxDeliveryStatus: Equatable {
    var status: String
    var sentAt: Date?
    var deliveredAt: Date?
    var readAt: Date?
    /// JSON null, or the documented variants: a text or an object with a provider code.
    var failureReason: SandboxJSON = .null
}

extension SandboxMessage {
    /// Where delivery stands at `now`, moving one stage every `stageInterval` seconds.
    func delivery(at now: Date, stageInterval: TimeInterval) -> SandboxDeliveryStatus {
        let elapsed = now.timeIntervalSince(createdAt)
        func reached(_ stage: Int) -> Bool { elapsed >= Double(stage) * stageInterval }
        func time(_ stage: Int) -> Date { createdAt.addingTimeInterval(Double(stage) * stageInterval) }

        if channel == .sms {
            var status = SandboxDeliveryStatus(status: "queued")
            guard reached(1) else { return status }
            if plan == .notOnChannel {
                status.status = "failed"
                status.failureReason = failureReason
                return status
            }
            status.status = "sent"
            status.sentAt = time(1)
            guard reached(2) else { return status }
            switch plan {
            case .undelivered:
                status.status = "undelivered"
                status.failureReason = failureReason
            case .neverDelivered:
                break
            default:
                status.status = "delivered"
                status.deliveredAt = time(2)
                if plan == .deleted, reached(3) { status.status = "DELETED" }
            }
            return status
        }

        var status = SandboxDeliveryStatus(status: "sent", sentAt: createdAt)
        guard reached(1) else { return status }
        switch plan {
        case .normal, .statusRefused:
            status.status = "delivered"
            status.deliveredAt = time(1)
            if reached(2) {
                status.status = "read"
                status.readAt = time(2)
            }
        case .deleted:
            // The documented upper-case value (14823959): the recipient deleted it after delivery.
            status.status = "delivered"
            status.deliveredAt = time(1)
            if reached(2) { status.status = "DELETED" }
        case .notOnChannel, .reengagementExpired, .providerFailure:
            status.status = "failed"
            status.failureReason = failureReason
        case .undelivered, .neverDelivered:
            break
        }
        return status
    }

    /// The failure text or object, in the documented variants (docs/api-notes.md, "Message status").
    private var failureReason: SandboxJSON {
        switch (plan, channel) {
        case (.notOnChannel, .sms): "Not a valid mobile subscriber."
        case (.notOnChannel, .vbm): "Recipient is not a Viber user."
        case (.notOnChannel, .whatsapp): "Recipient is not a WhatsApp user."
        case (.reengagementExpired, _): ["code": 470, "title": "Re-engagement window expired"]
        case (.providerFailure, _): ["code": "63003", "description": "Channel could not find To address"]
        case (.undelivered, _): "Carrier could not deliver the message: the handset was off or out of coverage for too long."
        case (.normal, _), (.neverDelivered, _), (.deleted, _), (.statusRefused, _): .null
        }
    }

    /// The status object of 14824155 (WhatsApp) or 14824165 (SMS, no `read_at`).
    func statusJSON(at now: Date, stageInterval: TimeInterval, requestID: String) -> SandboxJSON {
        let delivery = delivery(at: now, stageInterval: stageInterval)
        var object: [String: SandboxJSON] = [
            "request_id": .string(requestID),
            "message_id": .int(id),
            "status": .string(delivery.status),
            "phone_number": .string(phone),
            "channel_message_id": .string(channelMessageID),
            "sent_at": SandboxTime.json(delivery.sentAt),
            "delivered_at": SandboxTime.json(delivery.deliveredAt),
            "failure_reason": delivery.failureReason,
        ]
        if channel != .sms { object["read_at"] = SandboxTime.json(delivery.readAt) }
        return .object(object)
    }

    /// An item of the wrapped list of 14824157: `failure_reason` only on failed items.
    func listItemJSON(at now: Date, stageInterval: TimeInterval) -> SandboxJSON {
        let delivery = delivery(at: now, stageInterval: stageInterval)
        var object: [String: SandboxJSON] = [
            "message_id": .int(id),
            "status": .string(delivery.status),
            "phone_number": .string(phone),
            "sent_at": SandboxTime.json(delivery.sentAt),
        ]
        if delivery.failureReason != .null { object["failure_reason"] = delivery.failureReason }
        return .object(object)
    }
}

extension SandboxMessage {
    /// The messages the examples of README and docs/ name, sent long ago (so final): they exist in every
    /// sandbox (unless `SandboxOptions.seedMessages` is off), never in its state file, and their
    /// ids are far from the ids new sends get (100001 up).
    static let seeds: [SandboxMessage] = {
        let sent = Date(timeIntervalSince1970: 1_763_370_000)  // 2025-11-17T09:00:00Z
        func seed(
            _ id: Int, _ key: String, _ channel: SandboxChannel, _ phone: String, _ plan: SandboxDeliveryPlan,
            minutes: Double, template: Int?
        ) -> SandboxMessage {
            SandboxMessage(
                id: id, key: key, channel: channel, phone: phone, channelMessageID: channel == .sms ? "SM\(id)seed" : "wamid.seed\(id)",
                createdAt: sent.addingTimeInterval(minutes * 60), plan: plan, templateID: template)
        }
        return [
            seed(3851828, SandboxKeys.whatsapp, .whatsapp, "+15550100001", .notOnChannel, minutes: 0, template: 1001),
            seed(3851834, SandboxKeys.whatsapp, .whatsapp, "+14155552671", .normal, minutes: 5, template: 1001),
            seed(4829174, SandboxKeys.sms, .sms, "+14155552671", .normal, minutes: 10, template: nil),
        ]
    }()
}
