#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// What the project uses instead of the parts of full Foundation that FoundationEssentials does
// not have on Linux (`trimmingCharacters`, `String(format:)`, `localizedDescription`): importing
// only FoundationEssentials keeps ICU's 34 MB out of the static binary (docs/linux-notes.md,
// "A lean static binary").

extension StringProtocol {
    /// Without the leading and trailing scalars `drop` says to drop.
    package func trimming(where drop: (Unicode.Scalar) -> Bool) -> String {
        PlainText.trim(self, drop)
    }

    /// Without leading and trailing spaces and tabs (what `CharacterSet.whitespaces` trims).
    package func trimmingSpaces() -> String {
        PlainText.trim(self) { PlainText.isSpace($0) }
    }

    /// Without leading and trailing spaces, tabs and line breaks (`.whitespacesAndNewlines`).
    package func trimmingWhitespace() -> String {
        PlainText.trim(self) { PlainText.isSpace($0) || PlainText.isNewline($0) }
    }

    /// `contains(needle)`, by bytes when both are ASCII and the needle has no line break (every
    /// byte a Character then, and a CR LF pair cannot be part of a match): the generic search
    /// builds tables whose first use costs two searches of every protocol conformance.
    package func containsText(_ needle: String) -> Bool {
        let hay = Array(utf8), pin = Array(needle.utf8)
        guard !pin.isEmpty, hay.allSatisfy({ $0 < 0x80 }), pin.allSatisfy({ $0 < 0x80 && $0 != 0x0A && $0 != 0x0D }) else {
            return contains(needle)
        }
        guard hay.count >= pin.count else { return false }
        return (0...(hay.count - pin.count)).contains { start in hay[start..<(start + pin.count)].elementsEqual(pin) }
    }

    /// Every occurrence of `target` replaced, matched byte for byte like Foundation's
    /// `replacingOccurrences(of:with:)`, not by `Character` as `replacing(_:with:)` does: a quote
    /// followed by a combining mark is one Character, and it must still be escaped.
    package func replacingAll(_ target: String, with replacement: String) -> String {
        // Both sides are whole UTF-8, so every match starts and ends on a scalar boundary.
        String(decoding: PlainText.replacingAll(Array(utf8), Array(target.utf8), with: Array(replacement.utf8)), as: UTF8.self)
    }
}

extension PlainText {
    /// Every occurrence of `needle` in `bytes` replaced, left to right, without overlaps.
    package static func replacingAll(_ bytes: [UInt8], _ needle: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        guard !needle.isEmpty else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == needle[0], i + needle.count <= bytes.count, bytes[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: replacement)
                i += needle.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}

package enum PlainText {
    /// Unicode space separators and the tab.
    package static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
    }

    /// LF, VT, FF, CR, NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR.
    static func isNewline(_ scalar: Unicode.Scalar) -> Bool {
        (0x0A...0x0D).contains(scalar.value) || scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    static func trim<S: StringProtocol>(_ text: S, _ drop: (Unicode.Scalar) -> Bool) -> String {
        // On a String, not through S's generic views: called unspecialised from other modules,
        // those cost each run two searches of every protocol conformance in the binary (their
        // metadata's first use) and ~7,000 instructions a call. `description` is the text itself.
        let text = text.description
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }),
            let last = scalars.lastIndex(where: { !drop($0) })
        else { return "" }
        return String(scalars[first...last])
    }

    /// `n` in upper-case hexadecimal, zero-padded to `width` digits (`0x1B`, 2 → `1B`).
    package static func hex(_ n: UInt32, width: Int) -> String {
        let digits = String(n, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `n` zero-padded to `width` digits (`7`, 2 → `07`), the sign in front.
    package static func zeroPadded(_ n: Int, width: Int) -> String {
        let digits = String(n.magnitude)
        return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `x` with exactly `places` decimals, rounded half away from zero, like `%.1f` without the
    /// locale: `2.25`, 1 → `2.3`; `3`, 1 → `3.0`.
    package static func decimal(_ x: Double, places: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
        let places = min(max(places, 0), 9)
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = (x.magnitude * Double(scale)).rounded()
        // Beyond 2^53 a Double has no fractional digits left to print.
        guard scaled < 9_007_199_254_740_992 else { return (x < 0 ? "-" : "") + String(Int64(x.magnitude.rounded())) }
        let units = Int(scaled)
        let sign = x < 0 && units != 0 ? "-" : ""
        guard places > 0 else { return sign + String(units) }
        return sign + String(units / scale) + "." + zeroPadded(units % scale, width: places)
    }

    /// Percent-encoded: every byte of the UTF-8 outside `A-Z a-z 0-9 - . _ ~` as `%XX`.
    package static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + hex(UInt32(byte), width: 2)
            }
        }
        return out
    }

    /// `%XX` sequences decoded; nil when one is malformed or the bytes are not UTF-8 (as
    /// Foundation's `removingPercentEncoding`).
    package static func percentDecoded<S: StringProtocol>(_ text: S) -> String? {
        var bytes: [UInt8] = []
        var input = text.utf8.makeIterator()
        while let byte = input.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = input.next().flatMap(hexValue), let low = input.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// ASCII case-insensitive equality, for header names.
    package static func sameIgnoringCase<A: StringProtocol, B: StringProtocol>(_ a: A, _ b: B) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// What went wrong, for a message: the system's text for an errno (`No such file or
    /// directory`), found inside Foundation's file errors too; otherwise the error's own
    /// `errorDescription` or `description`.
    package static func describe(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return systemText(posix.code.rawValue) }
        if let cocoa = error as? CocoaError {
            if let posix = cocoa.underlying as? POSIXError { return systemText(posix.code.rawValue) }
            return "file error \(cocoa.code.rawValue)"
        }
        if let localized = error as? any LocalizedError, let text = localized.errorDescription { return text }
        return String(describing: error)
    }

    /// `strerror` for `code`.
    package static func systemText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
