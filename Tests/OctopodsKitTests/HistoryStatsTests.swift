import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct HistoryStatsTests {
    func ledger(_ lines: [String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("octopods-stats-\(UUID().uuidString).ndjson")
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: url)
        return url
    }

    @Test func calendarArithmeticRoundTrips() {
        #expect(HistoryStats.days(year: 1970, month: 1, day: 1) == 0)
        #expect(HistoryStats.days(year: 2026, month: 11, day: 22) == 20779)
        for day: Int64 in [-800_000, -1, 0, 59, 11_016, 20_414, 1_000_000] {
            let (y, m, d) = HistoryStats.civil(day)
            #expect(HistoryStats.days(year: y, month: m, day: d) == day)
        }
        #expect(HistoryStats.label(20779, .day) == "2026-11-22")
        #expect(HistoryStats.label(20779 * 24 + 6, .hour) == "2026-11-22 06:00")
        let time = Array("2026-11-22T05:47:09.509Z".utf8)
        let expected: Int64 = (20779 * 86400 + 5 * 3600 + 47 * 60 + 9) * 1000 + 509
        let millis = time.withUnsafeBytes { HistoryStats.millis($0) }
        #expect(millis == expected)
        #expect(Array("2026-13-22T05:47:09.509Z".utf8).withUnsafeBytes { HistoryStats.millis($0) } == nil)
    }

    @Test func ratesAndBars() {
        #expect(HistoryStats.rate(1, 3) == "0.3333")
        #expect(HistoryStats.rate(1, 2) == "0.5")
        #expect(HistoryStats.rate(2, 2) == "1")
        #expect(HistoryStats.rate(0, 2) == "0")
        #expect(HistoryStats.rate(1, 0) == nil)
        #expect(HistoryStats.percent(1, 1000) == "<1%")
        #expect(HistoryStats.percent(999, 1000) == ">99%")
        var c = HistoryStats.Counts()
        c.sent = 1000; c.delivered = 999; c.read = 500; c.failed = 1
        // A part that exists is never drawn as nothing, and the bar never passes its width.
        let bar = HistoryStats.bar(c, scale: 1000, width: 10)
        #expect(bar == "█████▓▓▓▓░")
        #expect(HistoryStats.bar(HistoryStats.Counts(), scale: 0, width: 10) == "")
    }

    @Test func groupsByLocalDayWithTheZoneGiven() throws {
        let url = try ledger([
            #"{"time":"2026-11-21T23:30:00.000Z","type":"send","profile":"default","channel":"sms","kind":"sms","message_id":"1","outcome":"accepted"}"#,
            #"{"time":"2026-11-22T00:30:00.000Z","type":"send","profile":"default","channel":"sms","kind":"sms","message_id":"2","outcome":"accepted"}"#,
            #"{"time":"2026-11-22T01:00:00.000Z","type":"status","profile":"default","channel":"sms","message_id":"2","status":"delivered"}"#,
            #"{"time":"2026-11-22T01:00:00.000Z","type":"status","profile":"other","channel":"sms","message_id":"1","status":"delivered"}"#,
            "not a record",
        ])
        // UTC: two days; UTC+1: both on the 22nd.
        let utc = try HistoryStats.summarise(url, query: HistoryQuery(), by: .day, utcOffset: { _ in 0 })
        #expect(utc.groups.map(\.label) == ["2026-11-21", "2026-11-22"])
        #expect(utc.groups.map(\.counts.delivered) == [0, 1], "a status of another profile's message 1 is not this one's")
        #expect(utc.unreadable == 1)
        let plusOne = try HistoryStats.summarise(url, query: HistoryQuery(), by: .day, utcOffset: { _ in 3600 })
        #expect(plusOne.groups.map(\.label) == ["2026-11-22"])
        #expect(plusOne.groups.first?.counts == HistoryStats.Counts(sent: 2, delivered: 1, pending: 1))
    }

    @Test func escapedValuesAreReadLikeTheListingReadsThem() throws {
        let url = try ledger([
            #"{"time":"2026-11-22T00:30:00.000Z","type":"send","profile":"default","channel":"whatsapp","kind":"template","template_id":"a\"b","message_id":"7","outcome":"accepted"}"#,
            #"{"time":"2026-11-22T00:31:00.000Z","type":"status","profile":"default","channel":"whatsapp","message_id":"7","status":"read"}"#,
        ])
        let summary = try HistoryStats.summarise(url, query: HistoryQuery(), by: .template)
        #expect(summary.groups.map(\.label) == ["a\"b"])
        #expect(summary.groups.first?.counts.read == 1)
    }
}
