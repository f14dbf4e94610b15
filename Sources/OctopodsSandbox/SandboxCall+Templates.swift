#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The template endpoints (docs/api-notes.md, "Templates").
extension SandboxCall {
    func listTemplates(channel: SandboxChannel) throws(SandboxError) -> Outcome {
        var templates = SandboxTemplate.seeds.filter { $0.channel == channel }
        if channel == .vbm {
            // VBM lists Accepted templates only and has no status filter (14824168).
            templates.removeAll { $0.status != .accepted }
        } else if let status = query("status") {
            guard let wanted = SandboxTemplate.Status(queryValue: status) else {
                let valid = SandboxTemplate.Status.allCases.map(\.queryValue).joined(separator: ", ")
                throw SandboxError(.invalidStatus, "Invalid status '\(status.prefix(60))'. Valid values: \(valid).")
            }
            templates.removeAll { $0.status != wanted }
        }
        if let active = query("active") {
            // The docs give no error for a bad `active` value; TYPE_MISMATCH is a sandbox choice.
            guard let flag = SandboxPayload.flag(active) else {
                throw SandboxError(.typeMismatch, "active must be true or false.")
            }
            templates.removeAll { $0.active != flag }
        }
        if let language = query("lang"), !language.trimmingSpaces().isEmpty {
            templates.removeAll { !$0.matches(language: language) }
        }
        return ok(.array(templates.map(\.json)))
    }

    func showTemplate(_ reference: String, channel: SandboxChannel) throws(SandboxError) -> Outcome {
        guard let template = SandboxTemplate.find(reference, channel: channel),
            channel == .whatsapp || template.status == .accepted
        else {
            throw Self.templateNotFound
        }
        return ok(template.json)
    }

    /// The template a send names, if it can be sent (TEMPLATE_NOT_EXIST otherwise).
    func sendableTemplate(_ reference: String, channel: SandboxChannel) throws(SandboxError) -> SandboxTemplate {
        guard let template = SandboxTemplate.find(reference, channel: channel) else { throw Self.templateNotFound }
        guard template.status == .accepted else {
            throw SandboxError(
                .templateNotExist,
                "Message Template \(template.name) is not approved (status \(template.status.rawValue)); only Accepted templates can be sent."
            )
        }
        guard template.active else {
            throw SandboxError(.templateNotExist, "Message Template \(template.name) is inactive in Octopods; activate it before sending.")
        }
        return template
    }

    static let templateNotFound = SandboxError(.templateNotExist, "Message Template does not exist.")
}
