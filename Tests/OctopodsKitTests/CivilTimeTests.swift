import Foundation
import Testing
import CLISupport
import TestSupport
@testable import OctopodsKit

/// Times of day without Foundation's Calendar/TimeZone (which know no local zone without ICU).
@Suite struct CivilTimeTests {
    let instant = Date(timeIntervalSince1970: 1_795_000_000.75)  // 2026-11-18T11:06:40.75Z

    @Test func formatsUTCAndOffsets() {
        #expect(CivilTime.text(instant, in: .utc) == "2026-11-18 11:06:40")
        #expect(CivilTime.text(instant, in: .offset(2 * 3600)) == "2026-11-18 13:06:40")
        #expect(CivilTime.text(instant, in: .offset(-(11 * 3600 + 30 * 60))) == "2026-11-17 23:36:40")
        #expect(CivilTime.text(Date(timeIntervalSince1970: -1), in: .utc) == "1969-12-31 23:59:59")
    }

    /// The one ISO spelling (history ledger, API times, the sandbox): 20 or 24 bytes, so that
    /// the ledger compares times by their bytes; milliseconds rounded to the nearest.
    @Test func isoTimes() {
        #expect(CivilTime.iso(instant) == "2026-11-18T11:06:40Z")
        #expect(CivilTime.iso(instant, milliseconds: true) == "2026-11-18T11:06:40.750Z")
        #expect(CivilTime.iso(Date(timeIntervalSince1970: 1_795_000_000.9996), milliseconds: true) == "2026-11-18T11:06:41.000Z")
        #expect(CivilTime.iso(Date(timeIntervalSince1970: -0.25), milliseconds: true) == "1969-12-31T23:59:59.750Z")
        for seconds in [-70_000_000_000.0, 300_000_000_000, .infinity] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(CivilTime.iso(date, milliseconds: true).utf8.count == 24, "\(seconds)")
        }
        #expect(LedgerTime.format(instant) == CivilTime.iso(instant, milliseconds: true))
        #expect(APITime.iso(Date(timeIntervalSince1970: 1_795_000_000)) == "2026-11-18T11:06:40Z")
    }

    @Test func agreesWithFoundationsUTCCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let seed: UInt64 = 0xC1_7117_1E
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<500 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_102_444_800, using: &generator)))
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let f = CivilTime.fields(date, in: .utc)
            #expect(
                [f.year, f.month, f.day, f.hour, f.minute, f.second] == [c.year, c.month, c.day, c.hour, c.minute, c.second],
                "seed \(seed), \(date.timeIntervalSince1970)")
            #expect(CivilTime.date(f, in: .utc) == date, "seed \(seed), \(date.timeIntervalSince1970)")
        }
    }

    @Test func localRoundTripsWhateverTheZone() throws {
        let fields = CivilTime.fields(instant, in: .local)
        let back = try #require(CivilTime.date(fields, in: .local))
        #expect(back.timeIntervalSince1970 == instant.timeIntervalSince1970.rounded(.down))
        let midnight = try #require(CivilTime.startOfDay(instant, in: .local))
        #expect(CivilTime.fields(midnight, in: .local).day == fields.day)
        #expect(CivilTime.text(midnight, in: .local).hasSuffix(" 00:00:00"))
    }

    @Test func rejectsDatesThatDoNotExist() {
        #expect(CivilTime.date(.init(year: 2026, month: 2, day: 30), in: .utc) == nil)
        #expect(CivilTime.date(.init(year: 2028, month: 2, day: 29), in: .utc) != nil)
        #expect(CivilTime.date(.init(year: 2026, month: 13, day: 1), in: .utc) == nil)
        #expect(CivilTime.date(.init(year: 2026, month: 1, day: 1, hour: 24), in: .local) == nil)
    }

    @Test func startOfDayAcrossMonths() {
        let first = Date(timeIntervalSince1970: 1_793_491_200 + 3600)  // 2026-11-01T01:00Z
        #expect(CivilTime.startOfDay(first, in: .utc, addingDays: -1).map { CivilTime.text($0, in: .utc) } == "2026-10-31 00:00:00")
    }
}
