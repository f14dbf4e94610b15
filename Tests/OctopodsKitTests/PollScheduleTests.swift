import Foundation
import Testing
@testable import OctopodsKit

@Suite struct PollScheduleTests {
    /// 1 s, doubling to 15 s, the last pause cut at the deadline, then no more.
    @Test func backsOffUpToTheDeadline() {
        var now = fixedNow
        var schedule = PollSchedule(timeout: 60, now: now)
        var pauses: [Double] = []
        while let pause = schedule.nextPause(now: now) {
            pauses.append(pause)
            now = now.addingTimeInterval(pause)
        }
        #expect(pauses == [1, 2, 4, 8, 15, 15, 15])
        #expect(pauses.reduce(0, +) == 60)
    }

    @Test func defaultTimeoutAndRetryTime() {
        var schedule = PollSchedule(timeout: nil, now: fixedNow)
        #expect(schedule.total == 120)
        schedule.pauseAtLeast(7)
        #expect(schedule.nextPause(now: fixedNow) == 7)
        #expect(schedule.nextPause(now: fixedNow) == 14)
        #expect(schedule.nextPause(now: fixedNow.addingTimeInterval(120)) == nil)
    }
}
