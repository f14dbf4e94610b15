import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct LedgerTests {
    func tempLedger() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("octopods-ledger-\(UUID().uuidString)")
            .appendingPathComponent("octopods/history.ndjson")
    }

    func send(
        _ seconds: Double, to: String = "+14155552671", id: String? = nil, channel: Channel = .sms,
        outcome: SendOutcome = .accepted
    ) -> LedgerRecord {
        LedgerRecord(
            time: Date(timeIntervalSince1970: seconds), type: .send, profile: "default", channel: channel,
            messageID: id, kind: "sms", to: to, outcome: outcome)
    }

    func lines(_ url: URL) throws -> [String] {
        var lines: [String] = []
        try Ledger.forEachLine(url) { lines.append(String(decoding: $0, as: UTF8.self)) }
        return lines
    }

    @Test func timesAreFixedWidthAndSortAsBytes() throws {
        let times = [0, 1.5, 999_999_999.999, 1_795_000_000.123, 4_102_444_799.999]
        let texts = times.map { LedgerTime.format(Date(timeIntervalSince1970: $0)) }
        #expect(texts[0] == "1970-01-01T00:00:00.000Z")
        #expect(texts[3] == "2026-11-18T11:06:40.123Z")
        #expect(texts.allSatisfy { $0.utf8.count == LedgerTime.width })
        #expect(texts == texts.sorted())
        for (t, text) in zip(times, texts) {
            #expect(abs((LedgerTime.parse(text)?.timeIntervalSince1970 ?? -1) - t) < 0.001)
        }
        #expect(LedgerTime.parse("2026-13-01T00:00:00.000Z") == nil)
        #expect(LedgerTime.parse("2026-11-01 00:00:00.000Z") == nil)
    }

    @Test func recordsRoundTripAndLeadWithTimeAndType() throws {
        var record = send(1_795_000_000, id: "100001")
        record.error = "line\nbreak \u{1B}[31m"
        let line = record.line
        #expect(line.hasPrefix(#"{"time":"2026-11-18T11:06:40.000Z","type":"send","profile":"default","channel":"sms""#))
        #expect(!line.contains("\n"))
        let decoded = Array(line.utf8).withUnsafeBytes { LedgerRecord.decode($0) }
        #expect(decoded == record)
        Array(line.utf8).withUnsafeBytes { bytes in
            #expect(LedgerLine.type(bytes) == .send)
            #expect(LedgerLine.time(bytes).map { String(decoding: $0, as: UTF8.self) } == "2026-11-18T11:06:40.000Z")
        }
    }

    /// An outcome or status this version does not know (a newer version's ledger, a status the
    /// API adds) is kept as written: read, matched, listed and written again unchanged.
    @Test func unknownOutcomesAndStatusesRoundTrip() throws {
        let sendLine =
            #"{"time":"2026-11-18T11:06:40.000Z","type":"send","profile":"default","channel":"sms","kind":"sms","to":"+14155552671","message_id":"7","outcome":"queued_elsewhere"}"#
        let statusLine =
            #"{"time":"2026-11-18T11:06:41.000Z","type":"status","profile":"default","channel":"sms","message_id":"7","status":"Expired"}"#
        let send = try #require(Array(sendLine.utf8).withUnsafeBytes { LedgerRecord.decode($0) })
        let status = try #require(Array(statusLine.utf8).withUnsafeBytes { LedgerRecord.decode($0) })
        #expect(send.outcome == .other("queued_elsewhere") && send.outcome != .unknown)
        #expect(status.status == .other("Expired") && status.status?.isFinal == false)
        #expect(send.line == sendLine && status.line == statusLine)
        #expect(DeliveryStatus(rawValue: "read") == .read && DeliveryStatus.other("read") == .read)
        #expect(Set([SendOutcome.other("accepted"), .accepted]).count == 1)

        let url = tempLedger()
        try Ledger(url: url).append([send, status])
        var query = HistoryQuery()
        query.statuses = ["Expired"]
        var found: [HistoryEntry] = []
        _ = try query.run(url) { found.append($0) }
        #expect(found.map(\.state) == ["Expired"])
        #expect(found.first.map { HistoryListing.json($0)["outcome"] } == "queued_elsewhere")
    }

    @Test func theFastLineReaderAgreesWithTheJSONParser() throws {
        let lines = [#"{"a":"1","b":null,"c":"x\"y\\z\n\t/"}"#, #" { "a" : "é" } "#, #"{}"#]
        for line in lines {
            let flat = Array(line.utf8).withUnsafeBytes { FlatJSON.parse($0) }
            let general = try JSONValue.parse(line).objectValue?.compactMap { k, v in v.stringValue.map { (k, $0) } }
            #expect(flat?.map(\.0) == general?.map(\.0) && flat?.map(\.1) == general?.map(\.1), "\(line)")
        }
        // Left to the general parser: \u escapes, numbers, nesting, trailing bytes.
        for line in [#"{"a":"\u001b"}"#, #"{"a":1}"#, #"{"a":{"b":"c"}}"#, #"{"a":"b"} x"#, #"{"a":"b""#] {
            #expect(Array(line.utf8).withUnsafeBytes { FlatJSON.parse($0) } == nil, "\(line)")
        }
        let escaped = #"{"time":"2026-11-18T11:06:40.000Z","type":"send","channel":"sms","error":"\u001b[31m"}"#
        #expect(Array(escaped.utf8).withUnsafeBytes { LedgerRecord.decode($0) }?.error == "\u{1B}[31m")
    }

    @Test func concurrentWritersNeverInterleave() async throws {
        let url = tempLedger()
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    let ledger = Ledger(url: url)  // each its own descriptor, as separate processes would have
                    for i in 0..<250 { try? ledger.append([self.send(Double(i), to: "+1415555\(writer)\(String(format: "%03d", i))")]) }
                    ledger.close()
                }
            }
        }
        let all = try lines(url)
        #expect(all.count == 1000)
        #expect(all.allSatisfy { line in Array(line.utf8).withUnsafeBytes { LedgerRecord.decode($0) } != nil })
        #expect(AtomicFile.mode(of: url) == 0o600)
        #expect(AtomicFile.mode(of: url.deletingLastPathComponent()) == 0o700)
    }

    @Test func aTornLastLineIsSkippedAndTheNextRecordStartsOnItsOwnLine() throws {
        let url = tempLedger()
        let ledger = Ledger(url: url)
        try ledger.append([send(1)])
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"time":"1970-01-01T00:00:02.000Z","type":"se"#.utf8))
        try handle.close()
        try ledger.append([send(3)])
        let all = try lines(url)
        #expect(all.count == 3)
        var query = HistoryQuery()
        query.limit = 0
        var seen: [Double] = []
        let result = try query.run(url) { seen.append($0.send.time.timeIntervalSince1970) }
        #expect(seen == [1, 3])
        #expect(result.unreadable == 1)
    }

    @Test func pruneReplacesTheFileAndOpenWritersFollow() throws {
        let url = tempLedger()
        let writer = Ledger(url: url)
        try writer.append([send(100), send(200), send(300)])
        let counted = try Ledger.prune(url, before: Date(timeIntervalSince1970: 250), dryRun: true)
        #expect(counted.removed == 2 && counted.kept == 1)
        #expect(try lines(url).count == 3)
        let pruned = try Ledger.prune(url, before: Date(timeIntervalSince1970: 250), dryRun: false)
        #expect(pruned.removed == 2 && pruned.kept == 1)
        try writer.append([send(400)])  // its descriptor is of the replaced file: it must reopen
        let times = try lines(url).compactMap { line in
            Array(line.utf8).withUnsafeBytes { LedgerRecord.decode($0) }?.time.timeIntervalSince1970
        }
        #expect(times == [300, 400])
        #expect(AtomicFile.mode(of: url) == 0o600)
    }

    @Test func queriesMergeTheLatestStatusAndKeepTheMostRecentMatches() throws {
        let url = tempLedger()
        let ledger = Ledger(url: url)
        for i in 0..<10 { try ledger.append([send(Double(i * 10), to: "+1415555000\(i)", id: "\(i)")]) }
        func status(_ at: Double, _ id: String, _ status: DeliveryStatus) -> LedgerRecord {
            LedgerRecord(
                time: Date(timeIntervalSince1970: at), type: .status, profile: "default", channel: .sms, messageID: id, status: status)
        }
        try ledger.append([
            status(200, "3", .delivered), status(150, "3", .sent), status(210, "4", .failed),
            LedgerRecord(
                time: Date(timeIntervalSince1970: 220), type: .status, profile: "other", channel: .sms,
                messageID: "5", status: .failed),
        ])
        func ids(_ configure: (inout HistoryQuery) -> Void) throws -> [String] {
            var query = HistoryQuery()
            query.limit = 0
            configure(&query)
            var out: [String] = []
            _ = try query.run(url) { out.append(($0.send.messageID ?? "") + ($0.status.map { ":" + $0.rawValue } ?? "")) }
            return out
        }
        #expect(try ids { _ in } == ["0", "1", "2", "3:delivered", "4:failed", "5", "6", "7", "8", "9"])
        #expect(try ids { $0.limit = 3 } == ["7", "8", "9"])
        #expect(
            try ids {
                $0.since = Date(timeIntervalSince1970: 30); $0.until = Date(timeIntervalSince1970: 60)
            } == ["3:delivered", "4:failed", "5"])
        #expect(try ids { $0.statuses = ["failed", "delivered"] } == ["3:delivered", "4:failed"])
        #expect(try ids { $0.to = "+14155550002" } == ["2"])
        #expect(try ids { $0.channels = [.whatsapp] }.isEmpty)
        #expect(try ids { $0.profile = "other" }.isEmpty)
    }
}

@Suite struct HistoryTimeTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T11:06:40Z

    static let cases: [(String, Double)] = [
        ("24h", 1_795_000_000 - 86_400.0), ("7d", 1_795_000_000 - 604_800.0), ("90m", 1_795_000_000 - 5_400.0),
        ("today", 1_794_960_000), ("yesterday", 1_794_873_600), ("2026-11-01", 1_793_491_200),
        ("2026-11-01T09:30", 1_793_525_400), ("2026-11-01 09:30:15", 1_793_525_415), ("2026-11-01T09:30Z", 1_793_525_400),
        ("2026-11-01T09:30+02:00", 1_793_518_200), ("2026-11-01T09:30:00.250-0130", 1_793_530_800),
    ]

    @Test(arguments: cases)
    func parses(_ text: String, _ expected: Double) {
        #expect(HistoryTime.parse(text, now: now, zone: .utc)?.timeIntervalSince1970 == expected)
    }

    @Test(arguments: ["", "30", "last tuesday", "2026-02-30", "2026-11-01T25:00", "2026-1-1", "7 days"])
    func rejects(_ text: String) {
        #expect(HistoryTime.parse(text, now: now, zone: .utc) == nil)
    }
}

@Suite struct CSVTextTests {
    static let cases: [(String, String)] = [
        ("+14155552671", "+14155552671"), ("-12.5", "-12.5"), ("plain", "plain"), ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\""), ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
        ("@SUM(A1)", "'@SUM(A1)"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("", ""),
    ]

    @Test(arguments: cases)
    func fields(_ raw: String, _ expected: String) {
        #expect(CSVText.field(raw) == expected)
    }
}

@Suite struct HistoryCommandTests {
    static let cases: [([String], String)] = [
        (["history", "prune"], "error: missing required option '--before WHEN'"),
        (["history", "--before", "90d"], "error: unknown option '--before'\n'--before' is an option of 'octopods history prune'."),
        (["history", "--yes"], "error: unknown option '--yes'\n'--yes' is an option of 'octopods history prune'."),
        (
            ["history", "prune", "--before", "90d", "--since", "1d"],
            "error: unknown option '--since'\n'--since' is an option of 'octopods history'."
        ),
        (["history", "--since", "1d", "prune", "--before", "90d"], "error: unknown option '--since' for 'octopods history prune'"),
        (["history", "list"], "error: unknown command 'list' for 'octopods history'"),
        (["history", "--rate", "5/1s"], "error: unknown option '--rate'\n'--rate' is an option of 'octopods history refresh'."),
        (["history", "stats", "--rate", "5/1s"], "error: --rate paces --refresh"),
        (["history", "stats", "--fields", "group"], "error: unknown option '--fields'"),
        (["history", "refresh", "--rate", "fast"], "error: invalid value for '--rate': 'fast' is not N/DURATION"),
        (["history", "--to", "12"], "error: --to '12' is not an E.164 phone number"),
        (["history", "--until", "soon"], "error: invalid value for '--until': 'soon' is not a time"),
        (["history", "prune", "--before", "90d"], "error: 'history prune' deletes"),
    ]

    @Test(arguments: cases)
    func usageErrors(_ argv: [String], _ prefix: String) async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("octopods-hist-\(UUID().uuidString)")
        let ledger = home.appendingPathComponent(".local/state/octopods/history.ndjson")
        try FileManager.default.createDirectory(at: ledger.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(
            #"{"time":"2020-01-01T00:00:00.000Z","type":"send","profile":"default","channel":"sms","to":"+14155550000","outcome":"accepted"}"#
                .utf8 + [0x0A]
        )
        .write(to: ledger)
        let r = await run(argv, environment: ["XDG_STATE_HOME": home.appendingPathComponent(".local/state").path])
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix(prefix), "\(r.stderr)")
        #expect(try Data(contentsOf: ledger).count > 0)
    }
}

/// The ledger's outcome for a failed send is read from the error's disposition.
@Suite struct LedgerOutcomeTests {
    @Test func outcomeFollowsTheDisposition() {
        let refused = OctopodsError.api(
            APIError.from(
                HTTPResponse(status: 400, body: Data(#"{"error_code":5,"error":"x"}"#.utf8)),
                family: .whatsappTemplates, readOnly: false))
        #expect(HistoryRecorder.outcome(refused) == .rejected)
        #expect(HistoryRecorder.outcome(.transport(.timedOut(seconds: 1), readOnly: false, url: "x")) == .unknown)
        #expect(HistoryRecorder.outcome(.transport(.cancelled(requestSent: true), readOnly: false, url: "x")) == .unknown)
        #expect(HistoryRecorder.outcome(.transport(.cancelled(requestSent: false), readOnly: false, url: "x")) == nil)
        #expect(HistoryRecorder.outcome(.transport(.cannotConnect("refused"), readOnly: false, url: "x")) == nil)
        #expect(HistoryRecorder.outcome(.api(APIError.from(HTTPResponse(status: 429), family: .sms, readOnly: false))) == nil)
        #expect(HistoryRecorder.outcome(.unreadableResponse(status: 200, detail: "x", readOnly: false, requestID: nil)) == .unknown)
    }
}

/// A message's fingerprint is what the history's index holds: it must never change, or the
/// histories written by earlier versions would stop recognising repeats.
@Suite struct FingerprintTests {
    @Test func fingerprintsAreStable() {
        let endpoint = API.sendSMS(body: ["destination_phone": "+14155552671", "body": "Your code is 123456"])
        let fingerprint = RepeatGuard.fingerprint(profile: "default", endpoint: endpoint, to: "+14155552671")
        // Keys sorted, compact JSON, after the profile, channel, method, path and recipient.
        let text =
            "octopods-message-1\u{0}default\u{0}sms\u{0}POST /api/v1/sms/messages\u{0}+14155552671\u{0}"
            + #"{"body":"Your code is 123456","destination_phone":"+14155552671"}"#
        #expect(fingerprint == String(SHA256.hex(text).prefix(32)))
        #expect(fingerprint == "a29afc70c72adc963f39b14d781f9af4")  // Python's hashlib over the same text
        // Keys in any order, at any depth: the same message.
        let one = API.sendInteractive(body: [
            "destination_phone": "+1", "waba_interactive_message": ["type": "button", "body": ["text": "Hi"]],
        ])
        let other = API.sendInteractive(body: [
            "waba_interactive_message": ["body": ["text": "Hi"], "type": "button"], "destination_phone": "+1",
        ])
        let changed = API.sendInteractive(body: [
            "destination_phone": "+1", "waba_interactive_message": ["type": "button", "body": ["text": "Ho"]],
        ])
        let print = { (endpoint: Endpoint<SendResult>) in RepeatGuard.fingerprint(profile: "p", endpoint: endpoint, to: "+1") }
        #expect(print(one) == print(other))
        #expect(print(one) != print(changed))
    }
}
