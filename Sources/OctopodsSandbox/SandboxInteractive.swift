#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Checks a `waba_interactive_message` (docs/api-notes.md, "Interactive messages"): Meta's interactive format, as an object or as a
/// JSON string of one.
enum SandboxInteractive {
    static let types = ["button", "list", "product", "product_list", "flow", "catalog_message"]
    static let headerTypes = ["text", "image", "video", "document"]

    static func check(_ value: SandboxJSON) throws(SandboxError) {
        var message = value
        if case .string(let text) = value {
            guard let parsed = SandboxJSON.parse(Data(text.utf8)) else {
                throw SandboxError(.typeMismatch, "waba_interactive_message must be an object, or a string holding one as JSON.")
            }
            message = parsed
        }
        guard message.objectValue != nil else {
            throw SandboxError(.typeMismatch, "waba_interactive_message must be an object, not a JSON \(message.typeName).")
        }

        let type = message["type"]?.stringValue ?? ""
        guard types.contains(type) else {
            let provided = message["type"].map { $0.stringValue ?? String(decoding: $0.encoded(), as: UTF8.self) } ?? ""
            // The documented text (14824159) lists four types; the sandbox lists all six it accepts.
            throw SandboxError(
                .typeMismatch,
                "You must supply WhatsApp Interactive Type as one of the valid types \(types.joined(separator: ", ")). Provided type: \(provided.prefix(60))."
            )
        }

        try checkText(message["body"], "waba_interactive_message.body")
        guard let action = message["action"] else {
            throw SandboxError(.argumentMissing, "You must supply waba_interactive_message.action.")
        }
        guard action.objectValue != nil else {
            throw SandboxError(.typeMismatch, "waba_interactive_message.action must be an object.")
        }
        try checkAction(action, type: type)
        try checkHeader(message["header"], type: type)
        if let footer = message["footer"] {
            guard let text = footer["text"]?.stringValue, !text.trimmingWhitespace().isEmpty else {
                throw SandboxError(.typeMismatch, "waba_interactive_message.footer.text must be a non-empty string.")
            }
        }
    }

    /// `{"text": "…"}` with non-blank text: missing → 1, wrong type or blank → 2.
    private static func checkText(_ value: SandboxJSON?, _ field: String) throws(SandboxError) {
        guard let value, let text = value["text"] else {
            throw SandboxError(.argumentMissing, "You must supply \(field).text.")
        }
        guard let string = text.stringValue, !string.trimmingWhitespace().isEmpty else {
            throw SandboxError(.typeMismatch, "\(field).text must be a non-empty string.")
        }
    }

    private static func nonEmptyString(_ value: SandboxJSON?) -> Bool {
        guard let text = value?.stringValue else { return false }
        return !text.trimmingWhitespace().isEmpty
    }

    private static func checkAction(_ action: SandboxJSON, type: String) throws(SandboxError) {
        switch type {
        case "button":
            guard let buttons = action["buttons"]?.arrayValue, (1...3).contains(buttons.count),
                buttons.allSatisfy({
                    $0["type"]?.stringValue == "reply" && nonEmptyString($0["reply"]?["id"]) && nonEmptyString($0["reply"]?["title"])
                })
            else {
                throw SandboxError(
                    .typeMismatch,
                    "action.buttons must hold 1 to 3 buttons, each {\"type\": \"reply\", \"reply\": {\"id\": …, \"title\": …}}.")
            }
        case "list":
            guard nonEmptyString(action["button"]) else {
                throw SandboxError(.argumentMissing, "You must supply action.button (the list menu label).")
            }
            guard let sections = action["sections"]?.arrayValue, !sections.isEmpty,
                sections.allSatisfy({ section in
                    guard let rows = section["rows"]?.arrayValue, !rows.isEmpty else { return false }
                    return rows.allSatisfy { nonEmptyString($0["id"]) && nonEmptyString($0["title"]) }
                })
            else {
                throw SandboxError(
                    .typeMismatch, "action.sections must be a non-empty array of sections, each with rows of {\"id\", \"title\"}.")
            }
        case "product":
            for field in ["catalog_id", "product_retailer_id"] where !nonEmptyString(action[field]) {
                throw SandboxError(.argumentMissing, "You must supply action.\(field).")
            }
        case "product_list":
            guard nonEmptyString(action["catalog_id"]) else {
                throw SandboxError(.argumentMissing, "You must supply action.catalog_id.")
            }
            guard let sections = action["sections"]?.arrayValue, !sections.isEmpty,
                sections.allSatisfy({ ($0["product_items"]?.arrayValue?.isEmpty ?? true) == false })
            else {
                throw SandboxError(.typeMismatch, "action.sections must be a non-empty array of sections, each with product_items.")
            }
        default:
            break  // flow, catalog_message: any action object
        }
    }

    /// Header rules (all INVALID_HEADER, code 8).
    private static func checkHeader(_ header: SandboxJSON?, type: String) throws(SandboxError) {
        guard let header else {
            if type == "product_list" {
                throw SandboxError(.invalidHeader, "A header is required for product_list messages.")
            }
            return
        }
        if type == "product" || type == "catalog_message" {
            throw SandboxError(.invalidHeader, "A header is not allowed for \(type) messages.")
        }
        guard let kind = header["type"]?.stringValue, headerTypes.contains(kind) else {
            throw SandboxError(.invalidHeader, "header.type must be one of \(headerTypes.joined(separator: ", ")).")
        }
        if type == "product_list", kind != "text" {
            throw SandboxError(.invalidHeader, "A product_list header must be a text header.")
        }
        if kind == "text" {
            guard nonEmptyString(header["text"]) else {
                throw SandboxError(.invalidHeader, "A text header needs a non-empty header.text.")
            }
            return
        }
        guard let link = header[kind]?["link"] else {
            throw SandboxError(.invalidHeader, "A media header needs header.\(kind).link (the \(kind) URL).")
        }
        guard let url = link.stringValue, SandboxPayload.isWebURL(url) else {
            throw SandboxError(.invalidHeader, "header.\(kind).link must be a publicly reachable http(s) URL.")
        }
    }
}
