#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The endpoint families. `error_code` numbers are scoped per family (docs/api-notes.md, "Errors"): the same
/// number means different things in different families.
package enum SandboxErrorFamily: Sendable, CaseIterable {
    /// `/whatsapp/templates…` and `/whatsapp/messages…`.
    case whatsappTemplates
    /// `/whatsapp/interactive`, and the legacy `waba_interactive_message` body on `/sms/messages`.
    case whatsappInteractive
    /// `/sms/messages…`.
    case sms
    /// `/vbm/…`.
    case vbm
}

/// The error names the sandbox answers with. `code(in:)` is the one table of numbers per family.
package enum SandboxErrorName: String, Sendable, CaseIterable {
    case argumentMissing = "ARGUMENT_MISSING"
    case typeMismatch = "TYPE_MISMATCH"
    case emptyBody = "EMPTY_BODY"
    case templateNotExist = "TEMPLATE_NOT_EXIST"
    case variablesSize = "VARIABLES_SIZE"
    case phoneInvalid = "PHONE_INVALID"
    case deprecatedAPIKey = "DEPRECATED_API_KEY"
    /// WhatsApp rejected the send (24-hour window closed). The docs show no name, only code 7.
    case sendRejected = "SEND_REJECTED"
    /// The SMS provider answered with an error. The docs show no name, only code 4.
    case providerError = "PROVIDER_ERROR"
    case invalidHeader = "INVALID_HEADER"
    /// A plain array of variables for a template with non-body placeholders. The docs show only code 9.
    case variablesShape = "VARIABLES_SHAPE"
    case invalidStatus = "INVALID_STATUS"
    /// "Send at least one message before listing" (14823960). The text is documented, the code is
    /// not: 11 is a sandbox choice (the first number no WhatsApp table uses).
    case nothingToList = "NOTHING_TO_LIST"
    /// Unknown message id on a status endpoint. The docs say HTTP 400 but show no code: the sandbox
    /// answers code 1, as the documented "You must supply message_id" example does.
    case messageNotFound = "MESSAGE_NOT_FOUND"

    /// The number of this error in `family`.
    /// Cells the docs leave empty, and which the sandbox never produces, repeat a neighbour.
    package func code(in family: SandboxErrorFamily) -> Int {
        //                                       WA   Int  SMS  VBM
        let row: (wa: Int, interactive: Int, sms: Int, vbm: Int) =
            switch self {
            case .argumentMissing: (1, 1, 1, 1)
            // SMS documents no TYPE_MISMATCH; the sandbox reuses 2 (EMPTY_BODY) for wrong types there.
            case .typeMismatch: (2, 2, 2, 2)
            case .emptyBody: (2, 2, 2, 2)
            case .templateNotExist: (3, 3, 3, 3)
            // VBM's number is cut off in the docs' table; 4 like WhatsApp.
            case .variablesSize: (4, 4, 4, 4)
            case .phoneInvalid: (5, 5, 3, 5)
            // VBM's number is not documented; 6 like WhatsApp.
            case .deprecatedAPIKey: (6, 6, 5, 6)
            case .sendRejected: (7, 7, 7, 7)
            case .providerError: (7, 7, 4, 7)
            case .invalidHeader: (8, 8, 8, 8)
            // VBM's number is not documented; 9 like WhatsApp.
            case .variablesShape: (9, 9, 9, 9)
            case .invalidStatus: (10, 10, 10, 10)
            case .nothingToList: (11, 11, 11, 11)
            case .messageNotFound: (1, 1, 1, 1)
            }
        switch family {
        case .whatsappTemplates: return row.wa
        case .whatsappInteractive: return row.interactive
        case .sms: return row.sms
        case .vbm: return row.vbm
        }
    }
}

/// A documented 400 error, thrown by the validation helpers and turned into the standard
/// `{request_id, error_code, error}` body.
struct SandboxError: Error, Sendable, Equatable {
    var name: SandboxErrorName
    var message: String
    /// Overrides the route's family (the legacy interactive body on the SMS path).
    var family: SandboxErrorFamily?

    init(_ name: SandboxErrorName, _ message: String, family: SandboxErrorFamily? = nil) {
        self.name = name; self.message = message; self.family = family
    }

    func response(family routeFamily: SandboxErrorFamily, requestID: String) -> SandboxResponse {
        let body: SandboxJSON = [
            "request_id": .string(requestID),
            "error_code": .int(name.code(in: family ?? routeFamily)),
            "error": .string(message),
        ]
        return body.response(status: 400)
    }

    /// The documented deprecated-key text (14824157, 14823952).
    static let deprecatedKey = SandboxError(
        .deprecatedAPIKey, "Deprecated API Key. Please go to your Octopods App, and get your new API Key")
}
