import CLISupport
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

package enum InteractiveMessage {
    package static let types = ["button", "list", "product", "product_list", "flow", "catalog_message"]

    /// `--file` content: a JSON object, or a JSON string holding the object (the API accepts
    /// both), → the object. `source` names the input in messages ("--file offer.json").
    package static func parse(_ data: Data, source: String) throws(OctopodsError) -> JSONValue {
        let source = TerminalText.sanitize(source)
        let example =
            "Put the waba_interactive_message object in it, e.g. {\"type\": \"button\", \"body\": {\"text\": \"…\"}, \"action\": {…}}."
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw .invalidInput("\(source) is empty; expected a JSON object", hint: example)
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw .invalidInput(
                "\(source) is not valid JSON: \(error.message) (\(position(of: error.offset, in: Array(data))))",
                hint: "Check the JSON near that position.")
        }
        switch value {
        case .object:
            return value
        case .string(let inner):
            let innerValue: JSONValue
            do {
                innerValue = try JSONValue.parse(inner)
            } catch {
                throw .invalidInput(
                    "\(source) holds a JSON string, but the string is not valid JSON: \(error.message) "
                        + "(\(position(of: error.offset, in: Array(inner.utf8))) of the string)",
                    hint: "Give the object itself, or a string that holds the object as JSON text.")
            }
            guard case .object = innerValue else {
                throw .invalidInput(
                    "\(source) holds a JSON string with \(kind(innerValue)) inside; expected an object",
                    hint: example)
            }
            return innerValue
        default:
            throw .invalidInput("\(source) holds \(kind(value)); expected a JSON object", hint: example)
        }
    }

    /// Every rule of the Octopods docs (docs/api-notes.md, "Interactive messages") plus WhatsApp's published limits; the first violation
    /// throws, naming the JSON path and the limit.
    package static func validate(_ payload: JSONValue) throws(OctopodsError) {
        try InteractiveValidator(origin: .file).validate(payload)
    }

    // MARK: Helpers shared with the builder

    /// Quotes user text for a message: control characters escaped, cut to a short length.
    static func quote(_ text: String) -> String {
        "'" + TerminalText.truncate(TerminalText.sanitize(text), to: 32) + "'"
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// "line 3, column 7" for a byte offset (columns in characters).
    private static func position(of offset: Int, in bytes: [UInt8]) -> String {
        let end = min(max(offset, 0), bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<end where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        let column = String(decoding: bytes[lineStart..<end], as: UTF8.self).count + 1
        return "line \(line), column \(column)"
    }
}
