#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// One line of the history ledger: a send (what went out and what the API answered) or a later
/// status (what a --wait or `history refresh` learned). Serialised as one JSON object per line,
/// `time` first and `type` second, so a reader can filter by time and kind from fixed byte
/// offsets without parsing the line.
package struct LedgerRecord: Sendable, Equatable {
    package enum Kind: String, Sendable { case send, status }

    package var time: Date
    package var type: Kind
    package var profile: String
    package var channel: Channel
    package var messageID: String?
    // Sends
    /// `template`, `interactive` or `sms`.
    package var kind: String?
    package var templateID: String?
    /// The template's name beside its id, for sends checked against the fetched template.
    package var templateName: String?
    package var to: String?
    package var requestID: String?
    package var outcome: SendOutcome?
    package var error: String?
    /// For bulk runs, `FILE:LINE` of the row.
    package var source: String?
    /// The message's identity for the repeat guard (`RepeatGuard.fingerprint`), and the
    /// `--idempotency-key` it was sent with.
    package var fingerprint: String?
    package var idempotencyKey: String?
    // Statuses
    package var status: DeliveryStatus?
    package var failure: String?

    package init(
        time: Date, type: Kind, profile: String, channel: Channel, messageID: String? = nil, kind: String? = nil,
        templateID: String? = nil, to: String? = nil, requestID: String? = nil, outcome: SendOutcome? = nil,
        error: String? = nil, source: String? = nil, status: DeliveryStatus? = nil, failure: String? = nil
    ) {
        self.time = time; self.type = type; self.profile = profile; self.channel = channel; self.messageID = messageID
        self.kind = kind; self.templateID = templateID; self.to = to; self.requestID = requestID; self.outcome = outcome
        self.error = error; self.source = source; self.status = status; self.failure = failure
    }

    /// Where a status belongs: the same message id means the same message only within one
    /// profile's account and channel.
    package var messageKey: String? {
        messageID.map { "\(profile)\u{0}\(channel.rawValue)\u{0}\($0)" }
    }

    /// The line, without its newline. Absent fields are left out.
    package var line: String {
        var pairs: [(String, JSONValue)] = [
            ("time", .string(LedgerTime.format(time))), ("type", .string(type.rawValue)),
            ("profile", .string(profile)), ("channel", .string(channel.rawValue)),
        ]
        func add(_ key: String, _ value: String?) { if let value { pairs.append((key, .string(value))) } }
        add("kind", kind); add("template_id", templateID); add("template_name", templateName); add("to", to); add("message_id", messageID)
        add("request_id", requestID); add("outcome", outcome?.rawValue); add("error", error); add("source", source)
        add("fingerprint", fingerprint); add("idempotency_key", idempotencyKey)
        add("status", status?.rawValue); add("failure", failure)
        return JSONValue.object(pairs).serialized()
    }

    /// A ledger line back to a record; nil for anything that is not one (a torn or foreign line).
    package static func decode(_ bytes: UnsafeRawBufferPointer) -> LedgerRecord? {
        // This runs for every line a query selects: the ledger's own flat shape is read directly,
        // anything else (\u escapes, nesting, a line from elsewhere) by the general JSON parser.
        let pairs: [(String, String)]
        if let flat = FlatJSON.parse(bytes) {
            pairs = flat
        } else {
            guard let object = (try? JSONValue.parse(Data(bytes)))?.objectValue else { return nil }
            pairs = object.compactMap { key, value in value.stringValue.map { (key, $0) } }
        }
        var time: Date?, type: Kind?, channel: Channel?
        var record = LedgerRecord(time: Date(timeIntervalSince1970: 0), type: .send, profile: "default", channel: .whatsapp)
        for (key, text) in pairs {
            switch key {
            case "time": time = LedgerTime.parse(text)
            case "type": type = Kind(rawValue: text)
            case "channel": channel = Channel(rawValue: text)
            case "profile": record.profile = text
            case "message_id": record.messageID = text
            case "kind": record.kind = text
            case "template_id": record.templateID = text
            case "template_name": record.templateName = text
            case "to": record.to = text
            case "request_id": record.requestID = text
            case "outcome": record.outcome = SendOutcome(rawValue: text)
            case "error": record.error = text
            case "source": record.source = text
            case "fingerprint": record.fingerprint = text
            case "idempotency_key": record.idempotencyKey = text
            case "status": record.status = DeliveryStatus(rawValue: text)
            case "failure": record.failure = text
            default: break
            }
        }
        guard let time, let type, let channel else { return nil }
        record.time = time; record.type = type; record.channel = channel
        return record
    }
}

/// A one-level JSON object whose values are strings or null, with no `\u` escapes: the shape the
/// ledger writes. Anything else is nil, for the general parser to judge.
package enum FlatJSON {
    package static func parse(_ b: UnsafeRawBufferPointer) -> [(String, String)]? {
        var i = 0
        let n = b.count
        func skipSpace() { while i < n, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D { i += 1 } }
        /// At an opening quote: the string, unescaped.
        func string() -> String? {
            guard i < n, b[i] == 0x22 else { return nil }
            i += 1
            let start = i
            while i < n, b[i] != 0x22, b[i] != 0x5C { i += 1 }
            guard i < n else { return nil }
            if b[i] == 0x22 {
                defer { i += 1 }
                return String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            }
            var out = Array(UnsafeRawBufferPointer(rebasing: b[start..<i]))
            while i < n, b[i] != 0x22 {
                if b[i] == 0x5C {
                    guard i + 1 < n else { return nil }
                    switch b[i + 1] {
                    case 0x22, 0x5C, 0x2F: out.append(b[i + 1])
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    default: return nil
                    }
                    i += 2
                } else {
                    out.append(b[i])
                    i += 1
                }
            }
            guard i < n else { return nil }
            i += 1
            return String(decoding: out, as: UTF8.self)
        }
        skipSpace()
        guard i < n, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(12)
        skipSpace()
        if i < n, b[i] == UInt8(ascii: "}") { i += 1; skipSpace(); return i == n ? pairs : nil }
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard i < n, b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            if i + 4 <= n, b[i] == UInt8(ascii: "n"), b[i + 1] == UInt8(ascii: "u"), b[i + 2] == UInt8(ascii: "l"),
                b[i + 3] == UInt8(ascii: "l")
            {
                i += 4
            } else {
                guard let value = string() else { return nil }
                pairs.append((key, value))
            }
            skipSpace()
            guard i < n else { return nil }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == UInt8(ascii: "}") else { return nil }
            i += 1
            skipSpace()
            return i == n ? pairs : nil
        }
    }
}

/// The ledger's timestamps: UTC, milliseconds, always 24 bytes (`2026-11-22T05:47:09.509Z`), so
/// comparing the bytes compares the times.
package enum LedgerTime {
    package static let width = 24

    package static func format(_ date: Date) -> String { CivilTime.iso(date, milliseconds: true) }

    /// Exactly the format above; anything else is nil.
    package static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == width, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x2E,
            b[23] == 0x5A
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                n = n * 10 + Int(b[i] - 0x30)
            }
            return n
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19), let millis = number(20..<23),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900); parts.tm_mon = Int32(month - 1); parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour); parts.tm_min = Int32(minute); parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        return Date(timeIntervalSince1970: Double(seconds) + Double(millis) / 1000)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
