#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// `octopods history stats`: what became of what was sent, per day, hour, template, channel or
/// final state. Streams the ledger twice like `history` (statuses, then sends), but reads only
/// the fields it counts from each line, so a ledger of a million sends is summarised in a
/// fraction of the time and memory a listing of it takes (scripts/bench-history.sh).
struct HistoryStats {
    enum Grouping: String, CaseIterable, Sendable { case day, hour, template, channel, status }

    /// One group's numbers. `sent` is what the API accepted; of those, `delivered` (read and
    /// deleted-after-delivery included), `read`, `failed` (failed, undelivered), `pending`
    /// (no final state yet) and `noStatus` (Viber: no status endpoint, so never known), so
    /// sent = delivered + failed + pending + noStatus. `readable`: the accepted WhatsApp sends,
    /// the only ones with read receipts.
    struct Counts: Sendable, Equatable {
        var sent = 0, rejected = 0, unknown = 0, delivered = 0, read = 0, failed = 0, pending = 0, noStatus = 0, readable = 0

        mutating func add(_ other: Counts) {
            sent += other.sent; rejected += other.rejected; unknown += other.unknown; delivered += other.delivered
            read += other.read; failed += other.failed; pending += other.pending; noStatus += other.noStatus
            readable += other.readable
        }

        /// The accepted sends whose delivery can be known (not Viber's).
        var followed: Int { sent - noStatus }
    }

    struct Summary: Sendable {
        var groups: [(label: String, counts: Counts)] = []
        var unreadable = 0
        var total: Counts {
            var all = Counts()
            for group in groups { all.add(group.counts) }
            return all
        }
    }

    /// What a status line says about a message, for counting.
    enum Final: UInt8 { case none = 0, delivered, read, failed }

    /// What became of a send, for `--by status`, in the order the groups are shown.
    enum State: String, CaseIterable { case read, delivered, pending, noStatus = "no_status", failed, rejected, unknown }

    static func final(_ status: DeliveryStatus) -> Final {
        switch status {
        case .delivered, .deleted: return .delivered
        case .read: return .read
        case .failed, .undelivered: return .failed
        case .queued, .sent, .unknown, .expired, .other: return .none
        }
    }

    /// The statuses that say something, as the ledger's bytes.
    static let finals: [([UInt8], Final)] = DeliveryStatus.known.compactMap { status in
        let final = Self.final(status)
        return final == .none ? nil : (Array(status.rawValue.utf8), final)
    }

    static func final(_ fields: FlatFields, _ line: UnsafeRawBufferPointer) -> Final {
        for (word, final) in finals where fields.has(.status, word, line) { return final }
        // Statuses are lower-case as recorded; anything else the slow way.
        return fields.text(.status, line).map { Self.final(DeliveryStatus(rawValue: $0.lowercased())) } ?? .none
    }

    // MARK: Summarising

    static let channels = Channel.allCases.map { (channel: $0, bytes: Array($0.rawValue.utf8)) }
    static let accepted = Array(SendOutcome.accepted.rawValue.utf8), rejected = Array(SendOutcome.rejected.rawValue.utf8)

    /// Counts the sends `query` selects (its status and limit are ignored), grouped `by`.
    /// `utcOffset` gives the local time's offset from UTC, in seconds, at an instant.
    static func summarise(
        _ url: URL, query: HistoryQuery, by grouping: Grouping,
        utcOffset: (Int64) -> Int64 = Self.localOffset
    ) throws(OctopodsError) -> Summary {
        let since = query.since.map { Array(LedgerTime.format($0).utf8) }
        let until = query.until.map { Array(LedgerTime.format($0).utf8) }
        func beforeSince(_ time: UnsafeRawBufferPointer) -> Bool { since.map { LedgerLine.compare(time, $0) < 0 } ?? false }
        func atOrAfterUntil(_ time: UnsafeRawBufferPointer) -> Bool { until.map { LedgerLine.compare(time, $0) >= 0 } ?? false }

        // Pass 1: the latest status learned per message (by its own time), as a hash of the
        // message's key (profile, channel, id) and one byte: a few bytes a message.
        // The value packs the status's time (ms) above its 2-bit `Final`: 16 bytes an entry.
        var learned: [UInt64: Int64] = [:]
        try Ledger.forEachLine(url) { line in
            guard let time = LedgerLine.time(line), !beforeSince(time), LedgerLine.type(line) == .status,
                let fields = FlatFields(line), let key = fields.messageHash(line), let millis = Self.millis(time)
            else { return }
            if let known = learned[key], known >> 2 > millis { return }
            learned[key] = millis << 2 | Int64(Self.final(fields, line).rawValue)
        }

        // Pass 2: the sends, counted into their groups.
        var needles: [[UInt8]] = []
        if let to = query.to { needles.append(HistoryQuery.needle("to", to)) }
        if let template = query.templateID { needles.append(HistoryQuery.needle("template_id", template)) }
        if let profile = query.profile { needles.append(HistoryQuery.needle("profile", profile)) }
        var byNumber: [Int64: Counts] = [:]
        var byName: [String: Counts] = [:]
        var summary = Summary()
        var offsetHour = Int64.min, offset: Int64 = 0
        try Ledger.forEachLine(url) { line in
            guard let time = LedgerLine.time(line) else {
                if !line.isEmpty { summary.unreadable += 1 }
                return
            }
            guard !beforeSince(time), !atOrAfterUntil(time), LedgerLine.type(line) == .send else { return }
            for needle in needles where !LedgerLine.contains(line, needle) { return }
            guard let fields = FlatFields(line),
                let channel = Self.channels.first(where: { fields.has(.channel, $0.bytes, line) })?.channel,
                let millis = Self.millis(time)
            else {
                summary.unreadable += 1
                return
            }
            if !query.channels.isEmpty, !query.channels.contains(channel) { return }
            var counts = Counts()
            var state = State.unknown
            if fields.has(.outcome, Self.accepted, line), channel == .vbm {
                counts.sent = 1; counts.noStatus = 1; state = .noStatus
            } else if fields.has(.outcome, Self.accepted, line) {
                counts.sent = 1
                if channel == .whatsapp { counts.readable = 1 }
                let final = fields.messageHash(line).flatMap { learned[$0] }.flatMap { Final(rawValue: UInt8($0 & 3)) } ?? Final.none
                switch final {
                case .read: counts.delivered = 1; counts.read = 1; state = .read
                case .delivered: counts.delivered = 1; state = .delivered
                case .failed: counts.failed = 1; state = .failed
                case .none: counts.pending = 1; state = .pending
                }
            } else if fields.has(.outcome, Self.rejected, line) {
                counts.rejected = 1; state = .rejected
            } else {
                counts.unknown = 1
            }
            switch grouping {
            case .day, .hour:
                let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
                let hour = seconds >= 0 ? seconds / 3600 : (seconds - 3599) / 3600
                if hour != offsetHour { offsetHour = hour; offset = utcOffset(hour * 3600) }
                let local = seconds + offset
                let unit: Int64 = grouping == .day ? 86400 : 3600
                byNumber[local >= 0 ? local / unit : (local - unit + 1) / unit, default: Counts()].add(counts)
            case .template:
                let label =
                    fields.text(.templateID, line).map { String($0) }
                    ?? "(\(fields.text(.kind, line).map { String($0) } ?? channel.rawValue))"
                byName[label, default: Counts()].add(counts)
            case .channel:
                byName[channel.rawValue, default: Counts()].add(counts)
            case .status:
                byName[state.rawValue, default: Counts()].add(counts)
            }
        }
        switch grouping {
        case .day, .hour:
            summary.groups = byNumber.sorted { $0.key < $1.key }.map { (Self.label($0.key, grouping), $0.value) }
        case .status:
            summary.groups = State.allCases.compactMap { state in byName[state.rawValue].map { (state.rawValue, $0) } }
        case .template, .channel:
            summary.groups = byName.sorted { $0.value.sent != $1.value.sent ? $0.value.sent > $1.value.sent : $0.key < $1.key }
                .map { ($0.key, $0.value) }
        }
        return summary
    }

    /// Milliseconds since 1970 from `2026-11-22T05:47:09.509Z`, or nil when not that shape.
    static func millis(_ t: UnsafeRawBufferPointer) -> Int64? {
        guard t.count == LedgerTime.width else { return nil }
        func number(_ from: Int, _ count: Int) -> Int64? {
            var n: Int64 = 0
            for i in from..<from + count {
                let d = Int64(t[i]) - 48
                guard d >= 0, d <= 9 else { return nil }
                n = n * 10 + d
            }
            return n
        }
        guard let y = number(0, 4), let mo = number(5, 2), let d = number(8, 2), let h = number(11, 2),
            let mi = number(14, 2), let s = number(17, 2), let ms = number(20, 3), (1...12).contains(mo)
        else { return nil }
        return ((Self.days(year: y, month: mo, day: d) * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date of a day number (civil_from_days).
    static func civil(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `2026-11-22` for a local day number, `2026-11-22 06:00` for a local hour number.
    static func label(_ number: Int64, _ grouping: Grouping) -> String {
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let day = grouping == .day ? number : (number >= 0 ? number / 24 : (number - 23) / 24)
        let (y, m, d) = civil(day)
        let date = "\(y)-\(two(m))-\(two(d))"
        return grouping == .day ? date : date + " \(two(number - day * 24)):00"
    }

    /// The local zone's offset from UTC at an instant (from the C library, as `localtime_r`).
    static func localOffset(_ seconds: Int64) -> Int64 {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        return Int64(parts.tm_gmtoff)
    }

    // MARK: Output

    static let fields = [
        "group", "sent", "rejected", "unknown", "delivered", "read", "failed", "pending", "no_status",
        "delivery_rate", "read_rate",
    ]

    /// `0.9123`, `0.5`, `1`: `part / whole` to at most four places, or nil when `whole` is 0.
    static func rate(_ part: Int, _ whole: Int) -> String? {
        guard whole > 0 else { return nil }
        let scaled = (part * 10_000 + whole / 2) / whole
        var fraction = String(scaled % 10_000)
        fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(scaled / 10_000)" + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// `91%` (or `<1%`, `>99%` where rounding would say 0 or 100 of a part that is neither).
    static func percent(_ part: Int, _ whole: Int) -> String {
        guard whole > 0 else { return "–" }
        let p = (part * 100 + whole / 2) / whole
        if p == 0, part > 0 { return "<1%" }
        if p == 100, part < whole { return ">99%" }
        return "\(p)%"
    }

    static func values(_ label: String, _ c: Counts) -> [(String, JSONValue)] {
        let numbers = [c.sent, c.rejected, c.unknown, c.delivered, c.read, c.failed, c.pending, c.noStatus].map(JSONValue.int)
        // Of what can be known: Viber's sends have no delivery, only WhatsApp's a read.
        let rates = [rate(c.delivered, c.followed), c.readable > 0 ? rate(c.read, c.delivered) : nil].map {
            $0.map(JSONValue.number) ?? .null
        }
        return Array(zip(fields, [JSONValue.string(label)] + numbers + rates))
    }

    /// The funnel of one group in `width` cells, scaled to the largest group: █ read,
    /// ▓ delivered (not read), ▒ pending, ░ failed.
    static func bar(_ c: Counts, scale: Int, width: Int) -> String {
        guard scale > 0 else { return "" }
        let counts = [c.read, c.delivered - c.read, c.pending, c.failed]
        let blocks = ["█", "▓", "▒", "░"]
        let present = counts.filter { $0 > 0 }.count
        let whole = counts.reduce(0, +)
        let total = min(width, max(present, (whole * width + scale / 2) / scale))
        // Largest remainders, and a part that exists is never drawn as nothing.
        var cells: [Int] = counts.map { count in count > 0 ? max(1, count * width / scale) : 0 }
        func remainder(_ i: Int) -> Int { counts[i] * width - cells[i] * scale }
        while cells.reduce(0, +) < total {
            guard let i = cells.indices.filter({ counts[$0] > 0 }).max(by: { remainder($0) < remainder($1) }) else { break }
            cells[i] += 1
        }
        while cells.reduce(0, +) > total {
            guard let i = cells.indices.filter({ cells[$0] > 1 }).max(by: { cells[$0] < cells[$1] }) else { break }
            cells[i] -= 1
        }
        return cells.indices.map { String(repeating: blocks[$0], count: cells[$0]) }.joined()
    }

    static let legend =
        "█ read  ▓ delivered  ▒ pending  ░ failed (scaled to the largest group; rates: delivered of sent (Viber has no status), "
        + "read of delivered (WhatsApp only))"

    static func table(_ summary: Summary, by grouping: Grouping, width: Int?) -> (Table, showsBar: Bool) {
        let groups = summary.groups + (summary.groups.isEmpty ? [] : [("total", summary.total)])
        let anyRejected = groups.contains { $0.counts.rejected > 0 }, anyUnknown = groups.contains { $0.counts.unknown > 0 }
        let anyNoStatus = groups.contains { $0.counts.noStatus > 0 }
        var headers = [grouping.rawValue.uppercased(), "SENT", "DELIVERED", "READ", "FAILED", "PENDING"]
        if anyNoStatus { headers.append("NO STATUS") }
        if anyRejected { headers.append("REJECTED") }
        if anyUnknown { headers.append("UNKNOWN") }
        var rows = groups.map { group -> [String] in
            let c = group.counts
            // "–" where the group's channels have no such state: no delivery for Viber, no read but on WhatsApp.
            let followed = c.followed > 0 || c.sent == 0
            func known(_ text: String) -> String { followed ? text : "–" }
            var row = [
                group.label, NumberText.grouped(c.sent), known("\(NumberText.grouped(c.delivered)) \(percent(c.delivered, c.followed))"),
                c.readable > 0 ? "\(NumberText.grouped(c.read)) \(percent(c.read, c.delivered))" : "–", known(NumberText.grouped(c.failed)),
                known(NumberText.grouped(c.pending)),
            ]
            if anyNoStatus { row.append(NumberText.grouped(c.noStatus)) }
            if anyRejected { row.append(NumberText.grouped(c.rejected)) }
            if anyUnknown { row.append(NumberText.grouped(c.unknown)) }
            return row
        }
        // The bar takes what the terminal has left (off a terminal: 20 cells), or is left out
        // below 8 cells: numbers are never cut for it.
        let used =
            (0..<headers.count).map { i in max(TerminalText.width(headers[i]), rows.map { TerminalText.width($0[i]) }.max() ?? 0) }
            .reduce(0, +) + 2 * headers.count
        let cells = width.map { min(30, $0 - used) } ?? 20
        guard cells >= 8 else { return (Table(headers: headers, rows: rows), false) }
        let scale = summary.groups.map(\.counts.sent).max() ?? 0
        headers.append("FUNNEL")
        for i in rows.indices {
            let isTotal = i == rows.count - 1
            rows[i].append(isTotal ? "" : bar(groups[i].counts, scale: scale, width: cells))
        }
        return (Table(headers: headers, rows: rows), true)
    }
}

/// The fields `history stats` reads from one ledger line (a flat JSON object of strings, as
/// `LedgerRecord.line` writes it), found in one scan without building anything.
struct FlatFields {
    enum Field: Int, CaseIterable { case profile, channel, messageID, outcome, templateID, kind, status }

    private static let names: [[UInt8]] = ["profile", "channel", "message_id", "outcome", "template_id", "kind", "status"].map {
        Array($0.utf8)
    }

    /// Where each field's value is (no array: this runs for every line of the ledger).
    private struct Ranges {
        var r0, r1, r2, r3, r4, r5, r6: Range<Int>?
        subscript(_ i: Int) -> Range<Int>? {
            get {
                switch i {
                case 0: return r0
                case 1: return r1
                case 2: return r2
                case 3: return r3
                case 4: return r4
                case 5: return r5
                default: return r6
                }
            }
            set {
                switch i {
                case 0: r0 = newValue
                case 1: r1 = newValue
                case 2: r2 = newValue
                case 3: r3 = newValue
                case 4: r4 = newValue
                case 5: r5 = newValue
                default: r6 = newValue
                }
            }
        }
    }
    private var ranges = Ranges()
    /// Set when a value this reader needs has a backslash escape: the line read by `LedgerRecord.decode`.
    private var decoded: [String?]?

    init?(_ b: UnsafeRawBufferPointer) {
        let n = b.count
        var i = 0
        func skip() { while i < n, b[i] == 0x20 { i += 1 } }
        guard n > 1, b[0] == UInt8(ascii: "{") else { return nil }
        i = 1
        var sawEscape = false
        while true {
            skip()
            guard i < n else { return nil }
            if b[i] == UInt8(ascii: "}") { break }
            guard b[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            i = keyStart
            while i < n, b[i] != UInt8(ascii: "\"") { i += 1 }
            guard i < n else { return nil }
            let field = Self.field(b, keyStart, i)
            i += 1
            skip()
            guard i < n, b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skip()
            guard i < n else { return nil }
            if b[i] == UInt8(ascii: "\"") {
                let start = i + 1
                i = start
                var escape = false
                while i < n, b[i] != UInt8(ascii: "\"") {
                    if b[i] == UInt8(ascii: "\\") { escape = true; i += 1 }
                    i += 1
                }
                guard i < n else { return nil }
                if let field {
                    ranges[field.rawValue] = start..<i
                    if escape { sawEscape = true }
                }
                i += 1
            } else {
                while i < n, b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: "}") { i += 1 }
            }
            skip()
            guard i < n else { return nil }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == UInt8(ascii: "}") else { return nil }
            break
        }
        if sawEscape {
            guard let record = LedgerRecord.decode(b) else { return nil }
            decoded = [
                record.profile, record.channel.rawValue, record.messageID, record.outcome?.rawValue, record.templateID, record.kind,
                record.status?.rawValue,
            ]
        }
    }

    private static func field(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Field? {
        let length = end - start
        outer: for (k, name) in names.enumerated() where name.count == length {
            for j in 0..<length where b[start + j] != name[j] { continue outer }
            return Field(rawValue: k)
        }
        return nil
    }

    /// The text of a field, nil when the line does not have it.
    func text(_ field: Field, _ b: UnsafeRawBufferPointer) -> Substring? {
        if let decoded { return decoded[field.rawValue].map { Substring($0) } }
        guard let range = ranges[field.rawValue] else { return nil }
        return Substring(String(decoding: UnsafeRawBufferPointer(rebasing: b[range]), as: UTF8.self))
    }

    /// Whether a field is exactly `literal`, compared as bytes.
    func has(_ field: Field, _ literal: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        if let decoded { return decoded[field.rawValue].map { Array($0.utf8) == literal } ?? false }
        guard let range = ranges[field.rawValue], range.count == literal.count else { return false }
        for (i, byte) in literal.enumerated() where b[range.lowerBound + i] != byte { return false }
        return true
    }

    func isPresent(_ field: Field) -> Bool {
        if let decoded { return decoded[field.rawValue] != nil }
        return ranges[field.rawValue] != nil
    }

    /// FNV-1a of profile, channel and message id (as `LedgerRecord.messageKey`), or nil without
    /// an id; hashed from the line's bytes, building no string.
    func messageHash(_ b: UnsafeRawBufferPointer) -> UInt64? {
        guard isPresent(.messageID) else { return nil }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func feed(_ field: Field, default fallback: String = "") {
            if let decoded {
                for byte in (decoded[field.rawValue] ?? fallback).utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            } else if let range = ranges[field.rawValue] {
                for i in range { hash = (hash ^ UInt64(b[i])) &* 0x100_0000_01b3 }
            } else {
                for byte in fallback.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            }
            hash = hash &* 0x100_0000_01b3
        }
        feed(.profile, default: "default")
        feed(.channel)
        feed(.messageID)
        return hash
    }
}
