#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The documented endpoints (docs/api-notes.md), all under `/api/v1`.
enum SandboxRoute: Equatable, Sendable {
    case whatsappTemplates
    case whatsappTemplate(String)
    case whatsappTemplateMessages(String)
    case whatsappInteractive
    case whatsappMessages
    case whatsappMessage(String)
    /// POST sends an SMS (or a legacy interactive message); GET has no message id.
    case smsMessages
    case smsMessage(String)
    case vbmTemplates
    case vbmTemplate(String)
    case vbmTemplateMessages(String)

    enum Match: Equatable {
        case route(SandboxRoute)
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    static let prefix = "/api/v1/"

    /// Path patterns (nil = a parameter), the methods they take, and the route they name.
    private static let table: [(pattern: [String?], methods: [String], route: @Sendable (String) -> SandboxRoute)] = [
        (["whatsapp", "templates"], ["GET"], { _ in .whatsappTemplates }),
        (["whatsapp", "templates", nil], ["GET"], { .whatsappTemplate($0) }),
        (["whatsapp", "templates", nil, "messages"], ["POST"], { .whatsappTemplateMessages($0) }),
        (["whatsapp", "interactive"], ["POST"], { _ in .whatsappInteractive }),
        (["whatsapp", "messages"], ["GET"], { _ in .whatsappMessages }),
        (["whatsapp", "messages", nil], ["GET"], { .whatsappMessage($0) }),
        (["sms", "messages"], ["GET", "POST"], { _ in .smsMessages }),
        (["sms", "messages", nil], ["GET"], { .smsMessage($0) }),
        (["vbm", "templates"], ["GET"], { _ in .vbmTemplates }),
        (["vbm", "templates", nil], ["GET"], { .vbmTemplate($0) }),
        (["vbm", "templates", nil, "messages"], ["POST"], { .vbmTemplateMessages($0) }),
    ]

    /// Matches a decoded request path (origin form, or absolute form `http://host/…`).
    static func match(method: String, path rawPath: String) -> Match {
        var path = Substring(rawPath)
        for scheme in ["http://", "https://"] where path.lowercased().hasPrefix(scheme) {
            path = path.dropFirst(scheme.count)
            path = path.firstIndex(of: "/").map { path[$0...] } ?? "/"
        }
        guard path.hasPrefix(prefix) else { return .notFound }
        path = path.dropFirst(prefix.count)
        if path.hasSuffix("/") { path = path.dropLast() }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for entry in table where entry.pattern.count == segments.count {
            var parameter = ""
            let matches = zip(entry.pattern, segments).allSatisfy { expected, actual in
                guard let expected else { parameter = actual; return !actual.isEmpty }
                return expected == actual
            }
            guard matches else { continue }
            return entry.methods.contains(method) ? .route(entry.route(parameter)) : .methodNotAllowed(allowed: entry.methods)
        }
        return .notFound
    }

    /// The key family that may call this route.
    var channel: SandboxChannel {
        switch self {
        case .whatsappTemplates, .whatsappTemplate, .whatsappTemplateMessages, .whatsappInteractive,
            .whatsappMessages, .whatsappMessage:
            .whatsapp
        case .smsMessages, .smsMessage: .sms
        case .vbmTemplates, .vbmTemplate, .vbmTemplateMessages: .vbm
        }
    }

    /// Whose error numbers this route answers with.
    var errorFamily: SandboxErrorFamily {
        switch self {
        case .whatsappInteractive: .whatsappInteractive
        default:
            switch channel {
            case .whatsapp: .whatsappTemplates
            case .sms: .sms
            case .vbm: .vbm
            }
        }
    }
}
