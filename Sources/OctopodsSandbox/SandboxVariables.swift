#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Checks `message_variables` against a template, in all three documented shapes (docs/api-notes.md, "`message_variables`: three shapes"):
/// the sectioned object `{header, body, footer, buttons}`, the plain array (body-only
/// templates) and the keyed object `{"1": …}` (body placeholders by number).
enum SandboxVariables {
    static let sections = ["header", "body", "footer", "buttons"]

    static func check(_ value: SandboxJSON?, for template: SandboxTemplate) throws(SandboxError) {
        let needed = template.placeholders
        switch value {
        case nil, .null?:
            guard needed.total == 0 else { throw sizeError(needed) }

        case .array(let values)?:
            guard !needed.hasNonBody else {
                throw SandboxError(
                    .variablesShape,
                    "Template \(template.name) has header, footer or button variables: send message_variables as an object {\"header\": [...], \"body\": [...], \"footer\": [...], \"buttons\": [...]}, not a plain array."
                )
            }
            try checkValues(values, "message_variables")
            guard values.count == needed.body.count else { throw sizeError(needed, received: values.count) }

        case .object(let members)? where members.keys.allSatisfy(sections.contains):
            var received: [String: Int] = [:]
            for (section, content) in members where content != .null {
                guard let values = content.arrayValue else {
                    throw SandboxError(
                        .typeMismatch, "message_variables.\(section) must be an array of strings, not a JSON \(content.typeName).")
                }
                try checkValues(values, "message_variables.\(section)")
                received[section] = values.count
            }
            let expected = [
                "header": needed.header.count, "body": needed.body.count,
                "footer": needed.footer.count, "buttons": needed.buttons,
            ]
            guard sections.allSatisfy({ received[$0, default: 0] == expected[$0, default: 0] }) else {
                let detail = sections.map { "\($0) \(expected[$0, default: 0])" }.joined(separator: ", ")
                let got = sections.map { "\($0) \(received[$0, default: 0])" }.joined(separator: ", ")
                throw SandboxError(
                    .variablesSize,
                    "Your Message Template has \(needed.total) variables which you must supply (expected \(detail); received \(got)).")
            }

        case .object(let members)? where members.keys.allSatisfy(isPlaceholderNumber):
            guard !needed.hasNonBody else {
                throw SandboxError(
                    .variablesShape,
                    "Template \(template.name) has header, footer or button variables: send message_variables as an object {\"header\": [...], \"body\": [...], \"footer\": [...], \"buttons\": [...]}, not keyed by placeholder number."
                )
            }
            for key in members.keys.sorted() {
                try checkValues([members[key] ?? .null], "message_variables.\(key)")
            }
            let given = Set(members.keys.compactMap { Int($0) })
            guard given == Set(needed.body) else {
                let keys = needed.body.map { "\"\($0)\"" }.joined(separator: ", ")
                throw SandboxError(
                    .variablesSize,
                    "Your Message Template has \(needed.total) variables which you must supply" + (keys.isEmpty ? "." : " (keys \(keys))."))
            }

        case .object?:
            throw SandboxError(
                .typeMismatch,
                "message_variables keys must be the sections header, body, footer and buttons, or placeholder numbers such as \"1\".")

        case let other?:
            throw SandboxError(.typeMismatch, "message_variables must be an object or an array of strings, not a JSON \(other.typeName).")
        }
    }

    private static func isPlaceholderNumber(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } && (Int(key) ?? 0) > 0
    }

    /// Values must be strings (send "42", not 42) without line breaks (Meta rejects them).
    private static func checkValues(_ values: [SandboxJSON], _ field: String) throws(SandboxError) {
        for value in values {
            guard let text = value.stringValue else {
                throw SandboxError(.typeMismatch, "\(field) values must be strings (send \"42\", not 42); got a JSON \(value.typeName).")
            }
            if text.contains(where: \.isNewline) {
                throw SandboxError(.typeMismatch, "\(field) values cannot contain line breaks.")
            }
        }
    }

    private static func sizeError(_ needed: SandboxPlaceholders, received: Int? = nil) -> SandboxError {
        let text =
            needed.total == 0
            ? "Your Message Template has no variables; omit message_variables or send an empty list."
            : "Your Message Template has \(needed.total) variables which you must supply."
        return SandboxError(.variablesSize, text + (received.map { " Received \($0)." } ?? ""))
    }
}
