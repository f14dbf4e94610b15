import CLISupport

/// What a template needs at send time: the number of variables per section and the media
/// its header takes.
package struct VariableRequirements: Sendable, Equatable {
    package var header = 0
    package var body = 0
    package var footer = 0
    package var buttons = 0
    /// `IMAGE`, `VIDEO` or `DOCUMENT` when the header is media (a URL must come with the send).
    package var headerMedia: String?

    package init(header: Int = 0, body: Int = 0, footer: Int = 0, buttons: Int = 0, headerMedia: String? = nil) {
        self.header = header; self.body = body; self.footer = footer; self.buttons = buttons
        self.headerMedia = headerMedia
    }

    package var total: Int { header + body + footer + buttons }

    /// `header 1, body 2`, or `none`.
    package var summary: String {
        var parts: [String] = []
        if let media = headerMedia { parts.append("header \(media.lowercased()) URL") }
        for (name, count) in [("header", header), ("body", body), ("footer", footer), ("buttons", buttons)] where count > 0 {
            parts.append("\(name) \(count)")
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}

/// A component of a template in Meta's format (`HEADER`, `BODY`, `FOOTER`, `BUTTONS`).
package struct TemplateComponent: Sendable, Equatable {
    package var type: String
    package var format: String?
    package var text: String?
    package var buttons: [(type: String, text: String, url: String?)]

    package static func == (a: TemplateComponent, b: TemplateComponent) -> Bool {
        a.type == b.type && a.format == b.format && a.text == b.text
            && a.buttons.map { "\($0.type)|\($0.text)|\($0.url ?? "")" } == b.buttons.map { "\($0.type)|\($0.text)|\($0.url ?? "")" }
    }
}

/// A WhatsApp or VBM template, decoded tolerantly from every documented variant (docs/api-notes.md, "Templates":
/// integer or string ids, `template_body` as a string or `{type, text}`, status present or not).
package struct Template: Sendable, Equatable {
    package var id: String
    package var name: String
    /// As the API spells it (`Accepted`); nil when the API leaves it out (VBM lists Accepted only).
    package var status: String?
    package var language: String?
    package var body: String
    package var components: [TemplateComponent]
    package var createdAt: String?
    package var businessNumber: String?
    package var active: Bool?

    package static func decode(_ json: JSONValue) throws(DecodingProblem) -> Template {
        guard json.objectValue != nil else { throw DecodingProblem("a template is not a JSON object") }
        guard let id = json["template_id"]?.scalarText else { throw DecodingProblem("a template has no template_id") }
        let components = (json["template_components"] ?? json["templates_components"])?.arrayValue?.compactMap(component) ?? []
        let body =
            json["template_body"]?.stringValue ?? json["template_body"]?["text"]?.stringValue
            ?? components.first { $0.type == "BODY" }?.text ?? ""
        let active: Bool? =
            switch json["active"] {
            case .bool(let b)?: b
            case .string(let s)?: s == "true"
            default: nil
            }
        return Template(
            id: id, name: json["template_name"]?.scalarText ?? "", status: json["template_status"]?.scalarText,
            language: (json["language"] ?? json["template_language"] ?? json["lang"])?.stringValue,
            body: body, components: components, createdAt: json["created_at"]?.scalarText,
            businessNumber: json["account_phone_number"]?.scalarText, active: active)
    }

    package static func decodeList(_ json: JSONValue) throws(DecodingProblem) -> [Template] {
        guard let items = (json.arrayValue ?? json["templates"]?.arrayValue) else {
            throw DecodingProblem("expected a list of templates")
        }
        var result: [Template] = []
        for item in items { result.append(try decode(item)) }
        return result
    }

    private static func component(_ json: JSONValue) -> TemplateComponent? {
        guard let type = json["type"]?.stringValue?.uppercased() else { return nil }
        let buttons =
            json["buttons"]?.arrayValue?.map { button in
                (
                    type: button["type"]?.stringValue?.uppercased() ?? "", text: button["text"]?.scalarText ?? "",
                    url: button["url"]?.stringValue
                )
            } ?? []
        return TemplateComponent(
            type: type, format: json["format"]?.stringValue?.uppercased(), text: json["text"]?.stringValue,
            buttons: buttons)
    }

    /// Placeholders per section, from the components (or the body text when there are none).
    package var requirements: VariableRequirements {
        var needs = VariableRequirements()
        guard !components.isEmpty else {
            needs.body = Self.placeholderCount(body)
            return needs
        }
        for component in components {
            switch component.type {
            case "HEADER":
                if let format = component.format, ["IMAGE", "VIDEO", "DOCUMENT"].contains(format) {
                    needs.headerMedia = format
                } else {
                    needs.header = Self.placeholderCount(component.text ?? "")
                }
            case "BODY": needs.body = Self.placeholderCount(component.text ?? "")
            case "FOOTER": needs.footer = Self.placeholderCount(component.text ?? "")
            case "BUTTONS":
                for button in component.buttons {
                    if button.type == "COPY_CODE" {
                        needs.buttons += 1
                    } else if let url = button.url {
                        needs.buttons += Self.placeholderCount(url)
                    }
                }
            default: break
            }
        }
        return needs
    }

    /// The highest `{{n}}` in a text (placeholders are numbered from 1).
    package static func placeholderCount(_ text: String) -> Int {
        // ASCII text: every byte is a Character (CR LF aside, which is neither brace nor space),
        // so bytes give the same answer as the Characters below, without the generic search.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return asciiPlaceholderCount(text) }
        var highest = 0
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            rest = rest[open.upperBound...]
            guard let close = rest.firstRange(of: "}}") else { break }
            // Trimmed by hand: Foundation's trimmingCharacters bridges to NSString, and this runs
            // for every row of a bulk send.
            var inner = rest[..<close.lowerBound].drop { $0 == " " }
            while inner.last == " " { inner = inner.dropLast() }
            if let n = Int(inner), n > 0, n < 1000 {
                highest = max(highest, n)
            }
            rest = rest[close.upperBound...]
        }
        return highest
    }

    private static func asciiPlaceholderCount(_ text: String) -> Int {
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), space = UInt8(ascii: " ")
        let bytes = Array(text.utf8)
        var highest = 0
        var i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == open, bytes[i + 1] == open else { i += 1; continue }
            var end = i + 2
            while end + 1 < bytes.count, !(bytes[end] == close && bytes[end + 1] == close) { end += 1 }
            guard end + 1 < bytes.count else { break }
            var start = i + 2, stop = end
            while start < stop, bytes[start] == space { start += 1 }
            while stop > start, bytes[stop - 1] == space { stop -= 1 }
            if let n = Int(String(decoding: bytes[start..<stop], as: UTF8.self)), n > 0, n < 1000 {
                highest = max(highest, n)
            }
            i = end + 2
        }
        return highest
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
