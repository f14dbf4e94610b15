#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// A send from the ledger with the last status learned about it since.
package struct HistoryEntry: Sendable, Equatable {
    package var send: LedgerRecord
    package var status: DeliveryStatus?
    package var statusTime: Date?
    package var failure: String?

    /// The delivery status when one is known, else what the API said to the send.
    package var state: String { status?.rawValue ?? (send.outcome ?? .unknown).rawValue }

    /// States a message does not leave. A delivered SMS is final (SMS has no read receipts);
    /// a delivered WhatsApp message may still be read.
    package var isFinal: Bool {
        guard send.outcome == .accepted else { return true }
        guard let status else { return false }
        if status.isFinal { return true }
        return status == .delivered && send.channel != .whatsapp
    }
}

/// Which ledger records `history` (and `history refresh`) select.
package struct HistoryQuery: Sendable, Equatable {
    package var since: Date?
    /// Exclusive.
    package var until: Date?
    package var channels: Set<Channel> = []
    /// Outcomes (`accepted`, `rejected`, `unknown`) or delivery statuses, as given; any of them matches.
    package var statuses: Set<String> = []
    package var to: String?
    package var templateID: String?
    package var profile: String?
    /// The most recent N matches; 0 for all.
    package var limit = 100

    package init() {}

    /// What `--status` takes: the outcomes, then the delivery statuses (`unknown` is both; once).
    package static let statusChoices =
        SendOutcome.known.map(\.rawValue)
        + DeliveryStatus.known.filter { $0 != .unknown }.map(\.rawValue)

    package struct Result: Sendable {
        package var matched = 0
        package var unreadable = 0
    }

    /// Streams the ledger twice: once for the statuses learned, once for the sends, merging
    /// and filtering; emits the matches oldest first (the most recent `limit` of them). Only
    /// lines in the time range are parsed; the rest are skipped by their time bytes.
    package func run(_ url: URL, emit: (HistoryEntry) -> Void) throws(OctopodsError) -> Result {
        let since = self.since.map { Array(LedgerTime.format($0).utf8) }
        let until = self.until.map { Array(LedgerTime.format($0).utf8) }
        var result = Result()
        func beforeSince(_ time: UnsafeRawBufferPointer) -> Bool { since.map { LedgerLine.compare(time, $0) < 0 } ?? false }
        func atOrAfterUntil(_ time: UnsafeRawBufferPointer) -> Bool { until.map { LedgerLine.compare(time, $0) >= 0 } ?? false }

        // Pass 1: statuses. A status always comes after its send, so one older than --since
        // belongs to a send that is filtered out anyway; --until does not bound it (a send
        // inside the range may have been delivered after it).
        var learned: [String: (status: DeliveryStatus, time: Date, failure: String?)] = [:]
        try Ledger.forEachLine(url) { line in
            guard let time = LedgerLine.time(line), !beforeSince(time), LedgerLine.type(line) == .status,
                let record = LedgerRecord.decode(line), let key = record.messageKey, let status = record.status
            else { return }
            if let known = learned[key], known.time > record.time { return }
            learned[key] = (status, record.time, record.failure)
        }

        // Pass 2: sends.
        var needles: [[UInt8]] = []
        if let to { needles.append(Self.needle("to", to)) }
        if let templateID {
            // The id or the name: either field holds `:"VALUE"`.
            var bytes: [UInt8] = [UInt8(ascii: ":")]
            JSONValue.quote(templateID, into: &bytes)
            needles.append(bytes)
        }
        if let profile { needles.append(Self.needle("profile", profile)) }
        if channels.count == 1, let channel = channels.first { needles.append(Self.needle("channel", channel.rawValue)) }
        var ring: [HistoryEntry] = []
        var next = 0
        try Ledger.forEachLine(url) { line in
            guard let time = LedgerLine.time(line) else {
                if !line.isEmpty { result.unreadable += 1 }
                return
            }
            guard !beforeSince(time), !atOrAfterUntil(time), LedgerLine.type(line) == .send else { return }
            for needle in needles where !LedgerLine.contains(line, needle) { return }
            guard let record = LedgerRecord.decode(line) else { result.unreadable += 1; return }
            var entry = HistoryEntry(send: record)
            if let key = record.messageKey, let status = learned[key] {
                entry.status = status.status; entry.statusTime = status.time; entry.failure = status.failure
            }
            guard matches(entry) else { return }
            result.matched += 1
            if limit == 0 {
                emit(entry)
            } else if ring.count < limit {
                ring.append(entry)
            } else {
                ring[next] = entry
                next = (next + 1) % limit
            }
        }
        for i in 0..<ring.count { emit(ring[(next + i) % ring.count]) }
        return result
    }

    func matches(_ entry: HistoryEntry) -> Bool {
        let send = entry.send
        if !channels.isEmpty, !channels.contains(send.channel) { return false }
        if let to, send.to != to { return false }
        if let templateID, send.templateID != templateID, send.templateName != templateID { return false }
        if let profile, send.profile != profile { return false }
        if !statuses.isEmpty {
            let outcome = send.outcome ?? .unknown
            guard statuses.contains(outcome.rawValue) || entry.status.map({ statuses.contains($0.rawValue) }) == true else { return false }
        }
        return true
    }

    /// `"key":"value"` exactly as the ledger writes it.
    static func needle(_ key: String, _ value: String) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONValue.quote(key, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        JSONValue.quote(value, into: &bytes)
        return bytes
    }
}

/// `--since`/`--until`/`--before` values: a duration back from now (`24h`, `7d`), `today`,
/// `yesterday`, a local date (`2026-11-01`, midnight) or a date and time (`2026-11-01T09:30`,
/// local unless it ends in `Z` or an offset).
package enum HistoryTime {
    package static func parse(_ text: String, now: Date, zone: CivilTime.Zone = .local) -> Date? {
        let s = text.trimmingSpaces()
        switch s.lowercased() {
        case "today": return CivilTime.startOfDay(now, in: zone)
        case "yesterday": return CivilTime.startOfDay(now, in: zone, addingDays: -1)
        case "now": return now
        default: break
        }
        if Double(s) == nil, let seconds = DurationParser.seconds(s) { return now.addingTimeInterval(-seconds) }
        let date = /^(\d{4})-(\d{2})-(\d{2})$/
        if let m = s.wholeMatch(of: date), let y = Int(m.1), let mo = Int(m.2), let d = Int(m.3) {
            return CivilTime.date(CivilTime.Fields(year: y, month: mo, day: d), in: zone)
        }
        let stamp = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/
        guard let m = s.wholeMatch(of: stamp), let y = Int(m.1), let mo = Int(m.2), let d = Int(m.3),
            let h = Int(m.4), let mi = Int(m.5), h < 24, mi < 60
        else { return nil }
        let sec = m.6.flatMap { Int($0) } ?? 0
        guard sec < 60 else { return nil }
        var zone = zone
        if let suffix = m.7 {
            if suffix == "Z" {
                zone = .utc
            } else {
                let digits = suffix.dropFirst().filter(\.isNumber)
                guard digits.count == 4, let hh = Int(digits.prefix(2)), let mm = Int(digits.suffix(2)), hh < 24, mm < 60 else {
                    return nil
                }
                zone = .offset((hh * 3600 + mm * 60) * (suffix.first == "-" ? -1 : 1))
            }
        }
        return CivilTime.date(CivilTime.Fields(year: y, month: mo, day: d, hour: h, minute: mi, second: sec), in: zone)
    }
}
