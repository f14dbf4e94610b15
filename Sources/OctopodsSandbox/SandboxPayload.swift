#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A POST body: a JSON object, with the field checks the send endpoints share.
struct SandboxPayload {
    let fields: [String: SandboxJSON]

    init(body: Data) throws(SandboxError) {
        guard let json = SandboxJSON.parse(body) else {
            throw SandboxError(.typeMismatch, "The request body must be a JSON object (Content-Type: application/json).")
        }
        guard let fields = json.objectValue else {
            throw SandboxError(.typeMismatch, "The request body must be a JSON object, not a JSON \(json.typeName).")
        }
        self.fields = fields
    }

    /// A field, with JSON `null` treated as absent.
    subscript(name: String) -> SandboxJSON? {
        guard let value = fields[name], value != .null else { return nil }
        return value
    }

    /// Throws ARGUMENT_MISSING for the first absent, null or blank field of `names`.
    func require(_ names: String...) throws(SandboxError) {
        for name in names {
            let value = self[name]
            if value == nil || value?.stringValue?.trimmingWhitespace().isEmpty == true {
                throw SandboxError(.argumentMissing, "You must supply \(name) in your request payload.")
            }
        }
    }

    /// The E.164 recipient in `destination_phone` (PHONE_INVALID otherwise).
    func phone() throws(SandboxError) -> String {
        let field = "destination_phone"
        guard let phone = self[field]?.stringValue, Self.isE164(phone) else {
            let shown = self[field].map { String(String(decoding: $0.encoded(), as: UTF8.self).prefix(40)) } ?? "null"
            throw SandboxError(
                .phoneInvalid,
                "Invalid Phone number \(shown). Use E.164 format: + then the country code and number, digits only (e.g. +14155552671).")
        }
        return phone
    }

    /// `+`, then 8 to 15 digits, the first 1–9.
    static func isE164(_ phone: String) -> Bool {
        let utf8 = Array(phone.utf8)
        guard utf8.count >= 9, utf8.count <= 16, utf8[0] == UInt8(ascii: "+"),
            (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(utf8[1])
        else { return false }
        return utf8.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// An absolute http(s) URL with a host and no whitespace.
    static func isWebURL(_ text: String) -> Bool {
        guard !text.contains(where: \.isWhitespace), let url = URL(string: text),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return false }
        return true
    }

    /// Checks the media URL field a template with a media header needs (`header_attachment_url`
    /// on WhatsApp, `header_image_url` on VBM): missing → 1, not an http(s) URL → 8.
    func checkMediaURL(_ field: String, for template: SandboxTemplate) throws(SandboxError) {
        guard let media = template.mediaHeader else { return }
        guard let value = self[field] else {
            throw SandboxError(
                .argumentMissing,
                "You must supply \(field) in your request payload: template \(template.name) has a \(media.lowercased()) header.")
        }
        guard let url = value.stringValue, Self.isWebURL(url) else {
            throw SandboxError(
                .invalidHeader, "Invalid header: \(field) must be a publicly reachable http(s) URL of the \(media.lowercased()).")
        }
    }

    /// The documented spellings of `open_intercom_conversation` and other booleans.
    static func flag(_ text: String) -> Bool? {
        switch text.trimmingSpaces().lowercased() {
        case "true", "1", "yes", "on": true
        case "false", "0", "no", "off": false
        default: nil
        }
    }

    static func flag(_ value: SandboxJSON) -> Bool? {
        switch value {
        case .bool(let flag): flag
        case .int(let number) where number == 0 || number == 1: number == 1
        case .double(let number) where number == 0 || number == 1: number == 1
        case .string(let text): flag(text)
        default: nil
        }
    }

    /// Type checks for the optional fields every send takes (TYPE_MISMATCH).
    func checkOptionalFields() throws(SandboxError) {
        if let value = self["open_intercom_conversation"], Self.flag(value) == nil {
            throw SandboxError(.typeMismatch, "open_intercom_conversation must be a boolean: true, false, 1, 0, yes, no, on or off.")
        }
        if let value = self["intercom_teammate_id"] {
            switch value {
            case .string, .int: break
            default: throw SandboxError(.typeMismatch, "intercom_teammate_id must be a string.")
            }
        }
        if let value = self["destination_user_name"], value.stringValue == nil {
            throw SandboxError(.typeMismatch, "destination_user_name must be a string.")
        }
    }
}
