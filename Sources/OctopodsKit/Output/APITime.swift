#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// A time the API gave, in any of the spellings a server uses (docs/api-notes.md, "Times"): ISO
/// 8601 with `Z`, with an offset (`+02:00`, `+0200`, `+02`), with a space instead of `T`, with
/// ` UTC`, with or without a fraction; or epoch seconds (a number or digits). A time without a
/// zone is not guessed at.
package enum APITime {
    package static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        if !b.isEmpty, b.count <= 12, b.allSatisfy({ (0x30...0x39).contains($0) }), let seconds = Int(text) {
            return Date(timeIntervalSince1970: Double(seconds))
        }
        guard b.count >= 19, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54 || b[10] == 0x20 || b[10] == 0x74,
            b[13] == 0x3A, b[16] == 0x3A
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard i < b.count, (0x30...0x39).contains(b[i]) else { return nil }
                n = n * 10 + Int(b[i] - 0x30)
            }
            return n
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, (0x30...0x39).contains(b[i]) { fraction += Double(b[i] - 0x30) * scale; scale /= 10; i += 1 }
            guard i > start else { return nil }
        }
        let zone = String(decoding: b[i...], as: UTF8.self)
        let offset: Int
        switch zone {
        case "Z", "z", " UTC", "UTC", " GMT", "+00:00 UTC": offset = 0
        default:
            let z = Array(zone.utf8)
            guard z.count == 6 || z.count == 5 || z.count == 3, z[0] == 0x2B || z[0] == 0x2D else { return nil }
            let digits = z.count == 6 ? [z[1], z[2], z[4], z[5]] : Array(z[1...])
            guard z.count != 6 || z[3] == 0x3A, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            let hours = Int(digits[0] - 0x30) * 10 + Int(digits[1] - 0x30)
            let minutes = digits.count == 4 ? Int(digits[2] - 0x30) * 10 + Int(digits[3] - 0x30) : 0
            guard hours < 24, minutes < 60 else { return nil }
            offset = (z[0] == 0x2D ? -1 : 1) * (hours * 3600 + minutes * 60)
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900); parts.tm_mon = Int32(month - 1); parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour); parts.tm_min = Int32(minute); parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: Double(seconds) - Double(offset) + fraction)
    }

    /// ISO 8601 in UTC: `2026-12-05T12:05:12Z`, or with milliseconds when the time has a fraction.
    package static func iso(_ date: Date) -> String {
        CivilTime.iso(date, milliseconds: date.timeIntervalSince1970.rounded(.down) != date.timeIntervalSince1970)
    }

    /// The ISO 8601 `Z` spelling of a time the API gave, when it spelled it otherwise; nil when it
    /// is already that spelling, or is not a time this can read.
    package static func normalized(_ value: JSONValue) -> JSONValue? {
        guard let text = value.scalarText, let date = parse(text) else { return nil }
        if value.stringValue != nil, (LedgerTime.parse(text) != nil || Vocabulary.parseISOSeconds(text) != nil) { return nil }
        return .string(iso(date))
    }

    /// `object` with each of `fields` that holds a time in another spelling in ISO 8601 `Z`, and
    /// the values as they came under `raw` (only when one changed).
    package static func normalizing(_ object: JSONValue, fields: [String]) -> JSONValue {
        guard object.objectValue != nil else { return object }
        var out = object
        var raw: [(String, JSONValue)] = []
        for field in fields {
            guard let value = object[field], let iso = normalized(value) else { continue }
            out.set(field, iso)
            raw.append((field, value))
        }
        if !raw.isEmpty, object["raw"] == nil { out.set("raw", .object(raw)) }
        return out
    }
}
