import CLISupport

/// A template's review state as the `status` filter spells it (`under_review`): the API shows
/// it capitalised (`Under Review`), and `Template.status` keeps that spelling for display
/// (`Template.review` is this). Only an accepted template (and an active one) can be sent. A
/// state this client does not know is kept as it came (`.other`).
package enum TemplateStatus: OpenVocabulary {
    case pending
    case underReview
    case needsModification
    case rejected, accepted, deleted
    /// Any other state, as the API spelled it (lower-cased).
    case other(String)

    /// The states `templates list --status` takes, as the API documents them.
    package static let known: [TemplateStatus] = [.pending, .underReview, .needsModification, .rejected, .accepted, .deleted]

    package init(rawValue: String) {
        switch rawValue {
        case "pending": self = .pending
        case "under_review": self = .underReview
        case "needs_modification": self = .needsModification
        case "rejected": self = .rejected
        case "accepted": self = .accepted
        case "deleted": self = .deleted
        default: self = .other(rawValue)
        }
    }

    package var rawValue: String {
        switch self {
        case .pending: "pending"
        case .underReview: "under_review"
        case .needsModification: "needs_modification"
        case .rejected: "rejected"
        case .accepted: "accepted"
        case .deleted: "deleted"
        case .other(let text): text
        }
    }
}

extension Template {
    /// The review state (`Under Review` is `.underReview`); nil when the API leaves it out (VBM
    /// lists accepted templates only).
    package var review: TemplateStatus? {
        status.map { TemplateStatus(rawValue: $0.lowercased().replacingAll(" ", with: "_")) }
    }
}
