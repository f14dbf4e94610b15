#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Cuts the key out of text a server sent back, in every spelling a JSON decoder would turn
/// into the key: literal, or with any character escaped (`\/` as PHP writes a slash,
/// `\u0061`, a surrogate pair). Redacting the raw bytes this way means no decoded string
/// (an error message, a request id, a field stored in the history) can hold the key either.
enum Redaction {
    static let placeholder = Array("[redacted]".utf8)

    static func redact(_ bytes: [UInt8], key: String) -> [UInt8]? {
        let needle = Array(key.unicodeScalars)
        guard key.utf8.count >= 4, let first = needle.first else { return nil }
        let firstByte = Array(String(first).utf8)[0]
        var out: [UInt8] = []
        var changed = false
        var i = 0
        var copied = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == firstByte || b == UInt8(ascii: "\\"), let end = match(needle, in: bytes, at: i) {
                if !changed { out.reserveCapacity(bytes.count) }
                out.append(contentsOf: bytes[copied..<i])
                out.append(contentsOf: placeholder)
                changed = true
                i = end
                copied = end
            } else {
                i += 1
            }
        }
        guard changed else { return nil }
        out.append(contentsOf: bytes[copied..<bytes.count])
        return out
    }

    /// The end of `needle` spelled at `start`, or nil.
    static func match(_ needle: [Unicode.Scalar], in bytes: [UInt8], at start: Int) -> Int? {
        var j = start
        for scalar in needle {
            guard let (value, next) = decode(bytes, at: j), value == scalar.value else { return nil }
            j = next
        }
        return j
    }

    /// One scalar at `i`, literal (UTF-8) or JSON-escaped, and where the next one starts.
    static func decode(_ bytes: [UInt8], at i: Int) -> (UInt32, Int)? {
        guard i < bytes.count else { return nil }
        let b = bytes[i]
        if b == UInt8(ascii: "\\") {
            guard i + 1 < bytes.count else { return nil }
            switch bytes[i + 1] {
            case UInt8(ascii: "/"): return (0x2F, i + 2)
            case UInt8(ascii: "\\"): return (0x5C, i + 2)
            case UInt8(ascii: "\""): return (0x22, i + 2)
            case UInt8(ascii: "b"): return (0x08, i + 2)
            case UInt8(ascii: "f"): return (0x0C, i + 2)
            case UInt8(ascii: "n"): return (0x0A, i + 2)
            case UInt8(ascii: "r"): return (0x0D, i + 2)
            case UInt8(ascii: "t"): return (0x09, i + 2)
            case UInt8(ascii: "u"):
                guard let unit = hex4(bytes, at: i + 2) else { return nil }
                if (0xD800..<0xDC00).contains(unit), bytes.count >= i + 12,
                    bytes[i + 6] == UInt8(ascii: "\\"), bytes[i + 7] == UInt8(ascii: "u"),
                    let low = hex4(bytes, at: i + 8), (0xDC00..<0xE000).contains(low)
                {
                    return (0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), i + 12)
                }
                return (unit, i + 6)
            default: return nil
            }
        }
        if b < 0x80 { return (UInt32(b), i + 1) }
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0
        guard length > 0, i + length <= bytes.count else { return nil }
        var value = UInt32(b) & (0xFF >> (length + 1))
        for k in 1..<length {
            let c = bytes[i + k]
            guard c & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(c & 0x3F)
        }
        return (value, i + length)
    }

    static func hex4(_ bytes: [UInt8], at i: Int) -> UInt32? {
        guard i + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[i + k]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }
}
