#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// A JSON value. Request bodies are parsed into it, templates and responses are built from it,
/// and the request log stores it. Unlike `[String: Any]` it is `Sendable` and `Equatable`.
/// `parse` and `encoded` use the sandbox's own parser and writer; the `Codable` conformance is
/// there for callers that decode request-log lines.
package enum SandboxJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([SandboxJSON])
    case object([String: SandboxJSON])
}

// MARK: - Parsing and encoding

/// Parsing and writing are CLISupport's `JSONValue` (one JSON implementation in the project);
/// this type is the sandbox's model of a value: objects as dictionaries (the sandbox looks
/// fields up and writes keys sorted), numbers as Int or Double.
extension SandboxJSON {
    /// Deepest nesting of arrays and objects accepted from a client; the parser refuses deeper
    /// documents, so hostile input cannot exhaust the stack.
    static let maximumDepth = 64

    /// Parses any JSON text (objects, arrays and bare scalars); nil when it is not valid JSON,
    /// holds a number no Double can hold, or nests deeper than `maximumDepth`.
    package static func parse(_ data: Data) -> SandboxJSON? {
        guard let value = try? JSONValue.parse(data, maxDepth: maximumDepth) else { return nil }
        return SandboxJSON(value)
    }

    init?(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .string(let s): self = .string(s)
        case .number(let text):
            if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let n = Int(text) {
                self = .int(n)
            } else if let d = Double(text), d.isFinite {
                self = .double(d)
            } else {
                return nil
            }
        case .array(let items):
            var converted: [SandboxJSON] = []
            converted.reserveCapacity(items.count)
            for item in items {
                guard let c = SandboxJSON(item) else { return nil }
                converted.append(c)
            }
            self = .array(converted)
        case .object(let pairs):
            var members: [String: SandboxJSON] = [:]
            for (key, item) in pairs {
                guard let c = SandboxJSON(item) else { return nil }
                members[key] = c
            }
            self = .object(members)
        }
    }

    /// Compact JSON text with sorted keys (so responses and log lines are stable). Written
    /// directly rather than through a `JSONValue` tree: converting cost 13% of the sandbox's
    /// throughput; the string escaping is the shared one.
    package func encoded() -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        write(to: &bytes)
        return Data(bytes)
    }

    private func write(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes += "null".utf8
        case .bool(let value): bytes += (value ? "true" : "false").utf8
        case .int(let value): bytes += String(value).utf8
        case .double(let value): bytes += (value.isFinite ? "\(value)" : "null").utf8
        case .string(let value): JSONValue.quote(value, into: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                element.write(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (offset, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONValue.quote(member.key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                member.value.write(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// This value as a JSON response.
    package func response(status: Int) -> SandboxResponse {
        SandboxResponse(status: status, headers: [HTTPField("Content-Type", "application/json")], body: encoded())
    }
}

extension SandboxJSON: Codable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([SandboxJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: SandboxJSON].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value.isFinite ? value : 0)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

// MARK: - Access

extension SandboxJSON {
    package var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    package var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    package var arrayValue: [SandboxJSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    package var objectValue: [String: SandboxJSON]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The member `key` of an object, with JSON `null` treated as absent.
    package subscript(key: String) -> SandboxJSON? {
        guard case .object(let members) = self, let value = members[key], value != .null else { return nil }
        return value
    }

    /// A short name of the JSON type, for error texts.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

// MARK: - Literals

extension SandboxJSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    package init(nilLiteral: ()) { self = .null }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(integerLiteral value: Int) { self = .int(value) }
    package init(floatLiteral value: Double) { self = .double(value) }
    package init(stringLiteral value: String) { self = .string(value) }
    package init(arrayLiteral elements: SandboxJSON...) { self = .array(elements) }
    package init(dictionaryLiteral elements: (String, SandboxJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
