#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Dates and times of day in UTC, at a fixed offset or in the local time zone, from the C library
/// (every time octopods and its sandbox write is spelled here)
/// (`gmtime_r`/`timegm`, `localtime_r`/`mktime`). FoundationEssentials alone has no local time
/// zone (`TimeZone.current` is GMT and `TimeZone(identifier:)` nil without the ICU-backed
/// FoundationInternationalization; docs/linux-notes.md, "A lean static binary"), and formatting
/// by hand keeps `String(format:)` out.
package enum CivilTime {
    package enum Zone: Sendable, Equatable {
        /// The process's time zone: `TZ`, else /etc/localtime.
        case local
        case utc
        /// East of UTC, in seconds (`+02:00` is 7200).
        case offset(Int)
    }

    package struct Fields: Sendable, Equatable {
        package var year: Int
        /// 1–12.
        package var month: Int
        package var day: Int
        package var hour = 0
        package var minute = 0
        package var second = 0

        package init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
            self.year = year; self.month = month; self.day = day
            self.hour = hour; self.minute = minute; self.second = second
        }
    }

    /// The calendar fields of `date` in `zone` (fractions of a second dropped).
    package static func fields(_ date: Date, in zone: Zone) -> Fields {
        var seconds = Self.seconds(date)
        var parts = tm()
        switch zone {
        case .local:
            localtime_r(&seconds, &parts)
        case .utc:
            gmtime_r(&seconds, &parts)
        case .offset(let east):
            seconds += time_t(east)
            gmtime_r(&seconds, &parts)
        }
        return Fields(
            year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
    }

    /// The instant `fields` name in `zone`; nil for a date that does not exist (`2026-02-30`)
    /// or a time of day out of range. In the local zone a time in a daylight-saving gap moves
    /// forward, as the C library decides.
    package static func date(_ fields: Fields, in zone: Zone) -> Date? {
        guard (1...12).contains(fields.month), (1...31).contains(fields.day), (0..<24).contains(fields.hour),
            (0..<60).contains(fields.minute), (0..<60).contains(fields.second),
            let year = Int32(exactly: fields.year - 1900)
        else { return nil }
        var parts = tm()
        parts.tm_year = year
        parts.tm_mon = Int32(fields.month - 1)
        parts.tm_mday = Int32(fields.day)
        parts.tm_hour = Int32(fields.hour)
        parts.tm_min = Int32(fields.minute)
        parts.tm_sec = Int32(fields.second)
        let seconds = Self.seconds(&parts, in: zone)
        // Both normalise `parts` in place: a day past the month's end shows up as another month.
        guard Int(parts.tm_mon) + 1 == fields.month, Int(parts.tm_mday) == fields.day else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// The moment `parts` names in `zone` (normalising `parts` in place, as mktime/timegm do).
    static func seconds(_ parts: inout tm, in zone: Zone) -> time_t {
        switch zone {
        case .local:
            parts.tm_isdst = -1
            return mktime(&parts)
        case .utc:
            return timegm(&parts)
        case .offset(let east):
            return timegm(&parts) - time_t(east)
        }
    }

    /// Midnight at the start of `date`'s day in `zone`, `days` days later (negative: earlier).
    package static func startOfDay(_ date: Date, in zone: Zone, addingDays days: Int = 0) -> Date? {
        let f = fields(date, in: zone)
        var parts = tm()
        parts.tm_year = Int32(f.year - 1900)
        parts.tm_mon = Int32(f.month - 1)
        parts.tm_mday = Int32(f.day + days)
        let seconds = Self.seconds(&parts, in: zone)
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// `2026-11-22 06:47:09`.
    package static func text(_ date: Date, in zone: Zone) -> String {
        text(fields(date, in: zone), separator: " ")
    }

    /// ISO 8601 in UTC: `2026-11-22T05:47:09Z`, or `2026-11-22T05:47:09.509Z` with
    /// `milliseconds` (rounded to the nearest). Always 20 or 24 bytes (years 0000–9999), so that
    /// comparing the bytes of two compares the times (the history ledger relies on it).
    package static func iso(_ date: Date, milliseconds: Bool = false) -> String {
        // Years 0000–9999 only: a time outside them is spelled as the nearest end.
        let t = date.timeIntervalSince1970
        let clamped = t.isNaN ? 0 : min(max(t, -62_167_219_200), 253_402_300_799.999)
        let ms = Int64((clamped * 1000).rounded())
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let whole = text(fields(Date(timeIntervalSince1970: Double(seconds)), in: .utc), separator: "T")
        return milliseconds ? whole + "." + PlainText.zeroPadded(Int(ms - seconds * 1000), width: 3) + "Z" : whole + "Z"
    }

    /// Whole seconds since 1970 for the C library: never a trap, whatever the date (infinite,
    /// not a number, or millions of years away: the nearest time it can spell).
    static func seconds(_ date: Date) -> time_t {
        let t = date.timeIntervalSince1970.rounded(.down)
        return t.isNaN ? 0 : time_t(min(max(t, -1e15), 1e15))
    }

    /// The local time zone's name at `date`: its abbreviation (`EST`), else its offset (`+05:30`).
    package static func localZoneName(_ date: Date) -> String {
        var seconds = Self.seconds(date)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let zone = parts.tm_zone.map { String(cString: $0) } ?? ""
        guard zone.isEmpty || zone.first == "+" || zone.first == "-" else { return zone }
        let offset = Int(parts.tm_gmtoff), minutes = abs(offset) / 60
        return (offset < 0 ? "-" : "+") + PlainText.zeroPadded(minutes / 60, width: 2) + ":" + PlainText.zeroPadded(minutes % 60, width: 2)
    }

    private static func text(_ f: Fields, separator: String) -> String {
        func two(_ n: Int) -> String { PlainText.zeroPadded(n, width: 2) }
        return
            "\(PlainText.zeroPadded(f.year, width: 4))-\(two(f.month))-\(two(f.day))\(separator)\(two(f.hour)):\(two(f.minute)):\(two(f.second))"
    }
}
