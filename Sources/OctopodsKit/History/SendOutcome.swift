/// What the API made of a send, as the history ledger records it (`outcome`), a single send's
/// table shows it and a bulk run reports a row (`BulkRowStatus`). An outcome this version does
/// not know (a ledger line written by another) is kept as it is (`.other`), never dropped.
package enum SendOutcome: OpenVocabulary {
    /// The API accepted it.
    case accepted
    /// The API refused it: nothing was sent to the recipient.
    case rejected
    /// It went out and no answer came: it may have been sent.
    case unknown
    /// Any other outcome, as written.
    case other(String)

    package static let known: [SendOutcome] = [.accepted, .rejected, .unknown]

    package init(rawValue: String) {
        switch rawValue {
        case "accepted": self = .accepted
        case "rejected": self = .rejected
        case "unknown": self = .unknown
        default: self = .other(rawValue)
        }
    }

    package var rawValue: String {
        switch self {
        case .accepted: "accepted"
        case .rejected: "rejected"
        case .unknown: "unknown"
        case .other(let text): text
        }
    }
}
