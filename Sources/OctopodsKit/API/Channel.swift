/// A channel has its own key and its own path family under /api/v1.
package enum Channel: String, Sendable, CaseIterable {
    case whatsapp, sms, vbm

    package var displayName: String {
        switch self {
        case .whatsapp: return "WhatsApp"
        case .sms: return "SMS"
        case .vbm: return "Viber (VBM)"
        }
    }

    /// The config file key that holds this channel's API key.
    package var keySetting: String { "\(rawValue)_api_key" }

    package var environmentVariable: EnvironmentVariable {
        switch self {
        case .whatsapp: return .whatsappKey
        case .sms: return .smsKey
        case .vbm: return .vbmKey
        }
    }
}

/// Error codes are numbered per endpoint family: the same number means different things
/// in different families (docs/api-notes.md, "Errors").
package enum ErrorFamily: String, Sendable, CaseIterable {
    case whatsappTemplates, whatsappInteractive, sms, vbm

    package var channel: Channel {
        switch self {
        case .whatsappTemplates, .whatsappInteractive: return .whatsapp
        case .sms: return .sms
        case .vbm: return .vbm
        }
    }
}

/// The one table of error names per family (docs/api-notes.md, "Errors"). Codes whose name the
/// docs do not show have none here and are printed by number.
package enum ErrorCatalog {
    /// The name of `code` in `family`. Where the docs give a code two meanings, the API's `text`
    /// decides: code 4 is VARIABLES_SIZE, but a text saying the template is "not approved" is the
    /// other documented meaning, which has no name (docs/api-notes.md, "Error code 4").
    package static func name(_ family: ErrorFamily, _ code: Int, text: String? = nil) -> String? {
        if meansNotApproved(family, code, text) { return nil }
        return table[family]?[code]
    }

    static func meansNotApproved(_ family: ErrorFamily, _ code: Int, _ text: String?) -> Bool {
        code == 4 && (family == .whatsappTemplates || family == .vbm)
            && text?.lowercased().contains("not approved") == true
    }

    static let table: [ErrorFamily: [Int: String]] = [
        .whatsappTemplates: [
            1: "ARGUMENT_MISSING", 2: "TYPE_MISMATCH", 3: "TEMPLATE_NOT_EXIST", 4: "VARIABLES_SIZE",
            5: "PHONE_INVALID", 6: "DEPRECATED_API_KEY", 8: "INVALID_HEADER", 10: "INVALID_STATUS",
        ],
        .whatsappInteractive: [
            1: "ARGUMENT_MISSING", 2: "TYPE_MISMATCH", 5: "PHONE_INVALID", 6: "DEPRECATED_API_KEY",
            8: "INVALID_HEADER",
        ],
        .sms: [1: "ARGUMENT_MISSING", 2: "EMPTY_BODY", 3: "PHONE_INVALID", 5: "DEPRECATED_API_KEY"],
        // VBM's deprecated-key code is not visible in the docs; 6 is inferred from WhatsApp's.
        .vbm: [
            1: "ARGUMENT_MISSING", 2: "TYPE_MISMATCH", 3: "TEMPLATE_NOT_EXIST", 4: "VARIABLES_SIZE",
            5: "PHONE_INVALID", 6: "DEPRECATED_API_KEY", 8: "INVALID_HEADER",
        ],
    ]

    /// What to do about an error, where something useful can be said.
    package static func hint(_ family: ErrorFamily, _ code: Int, text: String? = nil) -> String? {
        if meansNotApproved(family, code, text) {
            return "Only approved (accepted) templates can be sent: see its status with 'octopods templates get <template-id>"
                + (family == .vbm ? " --channel vbm" : "") + "', or pick an accepted one with 'octopods templates list"
                + (family == .vbm ? " --channel vbm" : "") + " --status accepted'."
        }
        switch (name(family, code), family, code) {
        case ("PHONE_INVALID", _, _):
            return "Phone numbers must be E.164: '+', country code and number, no spaces or dashes (e.g. +14155552671)."
        case ("DEPRECATED_API_KEY", _, _):
            return "The key was rotated or revoked. Copy the new key from the channel settings and run: "
                + "printf %s \"$KEY\" | octopods config set \(family.channel.keySetting)"
        case ("TEMPLATE_NOT_EXIST", _, _):
            return "Check the id with 'octopods templates list' (only accepted templates can be sent)."
        case ("VARIABLES_SIZE", _, _):
            return "See the variables each section needs with 'octopods templates get <template-id>'."
        case ("INVALID_STATUS", _, _):
            return "Use one of: pending, under_review, needs_modification, rejected, accepted, deleted."
        case (_, .whatsappTemplates, 9):
            return "This template has header or button placeholders: send sectioned variables (the default --variables-format)."
        case (_, .whatsappInteractive, 7):
            return "WhatsApp accepts free-form messages only within 24 hours of the customer's last message; send a template instead."
        default:
            return nil
        }
    }
}
