/// A message's delivery status as the API names it, lower-case (`MessageStatus.decode`
/// lower-cases what comes). WhatsApp and Viber go sent → delivered → read, SMS queued → sent →
/// delivered; failed, undelivered and deleted are final (docs/api-notes.md, "Message status").
/// A status this client does not know is kept as it came (`.other`): shown, recorded in the
/// history and matched unchanged, never dropped.
package enum DeliveryStatus: OpenVocabulary {
    case queued, sent, delivered, read, failed, undelivered
    /// The recipient deleted the message after it was delivered.
    case deleted
    /// The API no longer knows the message (it keeps only a key's recent ones): what `listen`
    /// records when a status lookup is refused; never said by the API itself.
    case expired
    /// The API does not know (also what a --wait that learned nothing reports).
    case unknown
    /// Any other status, as the API spelled it.
    case other(String)

    /// The statuses this client knows, in the order a message goes through them.
    package static let known: [DeliveryStatus] = [.queued, .sent, .delivered, .read, .failed, .undelivered, .deleted, .expired, .unknown]

    package init(rawValue: String) {
        switch rawValue {
        case "queued": self = .queued
        case "sent": self = .sent
        case "delivered": self = .delivered
        case "read": self = .read
        case "failed": self = .failed
        case "undelivered": self = .undelivered
        case "deleted": self = .deleted
        case "expired": self = .expired
        case "unknown": self = .unknown
        default: self = .other(rawValue)
        }
    }

    package var rawValue: String {
        switch self {
        case .queued: "queued"
        case .sent: "sent"
        case .delivered: "delivered"
        case .read: "read"
        case .failed: "failed"
        case .undelivered: "undelivered"
        case .deleted: "deleted"
        case .expired: "expired"
        case .unknown: "unknown"
        case .other(let text): text
        }
    }

    /// Failures a message never leaves.
    package var isFailure: Bool { self == .failed || self == .undelivered }

    /// States a message never leaves: `deleted` means the recipient deleted it after delivery.
    package var isFinal: Bool { isFailure || self == .read || self == .deleted || self == .expired }
}
