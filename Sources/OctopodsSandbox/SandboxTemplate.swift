#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// The placeholders a template needs, per `message_variables` section.
package struct SandboxPlaceholders: Sendable, Equatable {
    /// Placeholder numbers in the header text (sorted, distinct).
    package var header: [Int] = []
    /// Placeholder numbers in the body text (sorted, distinct).
    package var body: [Int] = []
    /// Placeholder numbers in the footer text (sorted, distinct).
    package var footer: [Int] = []
    /// Button values: one per placeholder in each URL button's `url`, one per COPY_CODE button.
    package var buttons: Int = 0

    package var total: Int { header.count + body.count + footer.count + buttons }
    /// Whether anything outside the body needs a value (then a plain array is refused: code 9).
    package var hasNonBody: Bool { !header.isEmpty || !footer.isEmpty || buttons > 0 }

    /// The distinct `{{n}}` numbers in `text`, sorted.
    package static func numbers(in text: String) -> [Int] {
        var found = Set<Int>()
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            rest = rest[open.upperBound...]
            guard let close = rest.firstRange(of: "}}") else { break }
            let inner = rest[..<close.lowerBound].trimmingSpaces()
            if !inner.isEmpty, inner.allSatisfy(\.isASCII), let number = Int(inner), number > 0 {
                found.insert(number)
                rest = rest[close.upperBound...]
            }
        }
        return found.sorted()
    }

    /// Counts the placeholders of Meta-format `components`.
    package init(components: [SandboxJSON]) {
        for component in components {
            let text = component["text"]?.stringValue ?? ""
            switch component["type"]?.stringValue?.uppercased() {
            case "HEADER" where component["format"]?.stringValue?.uppercased() ?? "TEXT" == "TEXT":
                header = Self.numbers(in: text)
            case "BODY":
                body = Self.numbers(in: text)
            case "FOOTER":
                footer = Self.numbers(in: text)
            case "BUTTONS":
                for button in component["buttons"]?.arrayValue ?? [] {
                    switch button["type"]?.stringValue?.uppercased() {
                    case "URL": buttons += Self.numbers(in: button["url"]?.stringValue ?? "").count
                    case "COPY_CODE": buttons += 1
                    default: break
                    }
                }
            default:
                break
            }
        }
    }

    package init(header: [Int] = [], body: [Int] = [], footer: [Int] = [], buttons: Int = 0) {
        self.header = header; self.body = body; self.footer = footer; self.buttons = buttons
    }
}

/// A message template (WhatsApp or VBM) as the sandbox serves it.
package struct SandboxTemplate: Sendable, Equatable {
    /// Review states. The API shows them capitalised; the `status` filter takes `queryValue`.
    package enum Status: String, Sendable, CaseIterable {
        case pending = "Pending"
        case underReview = "Under Review"
        case needsModification = "Needs Modification"
        case rejected = "Rejected"
        case accepted = "Accepted"
        case deleted = "Deleted"

        /// The documented `status` filter value (14824161).
        package var queryValue: String {
            switch self {
            case .pending: "pending"
            case .underReview: "under_review"
            case .needsModification: "needs_modification"
            case .rejected: "rejected"
            case .accepted: "accepted"
            case .deleted: "deleted"
            }
        }

        package init?(queryValue: String) {
            guard let status = Self.allCases.first(where: { $0.queryValue == queryValue.lowercased() }) else { return nil }
            self = status
        }
    }

    package let id: Int
    package let name: String
    package let channel: SandboxChannel
    /// Not a documented field of the template object: the docs filter by `lang` but never show
    /// where the language lives, so the sandbox adds `language`.
    package let language: String
    package let status: Status
    /// Active inside Octopods (the `active` filter). Not a documented field; the sandbox adds it.
    package let active: Bool
    package let createdAt: String
    package let accountPhoneNumber: String
    /// Meta-format components (`HEADER`, `BODY`, `FOOTER`, `BUTTONS`).
    package let components: [SandboxJSON]
    package let placeholders: SandboxPlaceholders

    package init(
        id: Int, name: String, channel: SandboxChannel, language: String, status: Status = .accepted,
        active: Bool = true, createdAt: String, accountPhoneNumber: String = "+15550009999",
        components: [SandboxJSON]
    ) {
        self.id = id; self.name = name; self.channel = channel; self.language = language
        self.status = status; self.active = active; self.createdAt = createdAt
        self.accountPhoneNumber = accountPhoneNumber; self.components = components
        self.placeholders = SandboxPlaceholders(components: components)
    }

    /// The BODY text.
    package var body: String {
        components.first { $0["type"]?.stringValue == "BODY" }?["text"]?.stringValue ?? ""
    }

    /// `IMAGE`, `VIDEO` or `DOCUMENT` when the header is media (then a URL must come with each send).
    package var mediaHeader: String? {
        guard let header = components.first(where: { $0["type"]?.stringValue == "HEADER" }),
            let format = header["format"]?.stringValue?.uppercased(), format != "TEXT"
        else { return nil }
        return format
    }

    /// The template object (docs/api-notes.md, "Templates") of WhatsApp or VBM (VBM: no `template_status`, body a string).
    package var json: SandboxJSON {
        var object: [String: SandboxJSON] = [
            "created_at": .string(createdAt),
            "template_id": .int(id),
            "template_name": .string(name),
            "template_body": .string(body),
            "template_components": .array(components),
            "account_phone_number": .string(accountPhoneNumber),
            "active": .bool(active),
            "language": .string(language),
        ]
        if channel == .whatsapp { object["template_status"] = .string(status.rawValue) }
        return .object(object)
    }

    // MARK: Lookup

    /// The template of `channel` named by `reference`: its integer id, or (as doc 14823466's
    /// examples do) its name.
    static func find(_ reference: String, channel: SandboxChannel) -> SandboxTemplate? {
        let candidates = seeds.filter { $0.channel == channel }
        if let id = Int(reference) { return candidates.first { $0.id == id } }
        return candidates.first { $0.name == reference }
    }

    /// Broad codes and what they expand to (14824161, 14824168).
    static let broadLanguages: [String: [String]] = [
        "en": ["en", "en_GB", "en_US"],
        "zh": ["zh_CN", "zh_HK", "zh_TW"],
        "pt": ["pt_BR", "pt_PT"],
        "es": ["es", "es_AR", "es_ES", "es_MX"],
    ]

    /// Whether this template matches the `lang` filter: a documented broad code matches its
    /// expansion, another broad code matches itself and its regions, a regional code matches
    /// exactly. Case and `-`/`_` are not significant.
    func matches(language filter: String) -> Bool {
        func normal(_ code: String) -> String { code.replacingAll("-", with: "_").lowercased() }
        let wanted = normal(filter.trimmingSpaces())
        let mine = normal(language)
        if let expansion = Self.broadLanguages.first(where: { $0.key == wanted })?.value {
            return expansion.map(normal).contains(mine)
        }
        if !wanted.contains("_") { return mine == wanted || mine.hasPrefix(wanted + "_") }
        return mine == wanted
    }
}
