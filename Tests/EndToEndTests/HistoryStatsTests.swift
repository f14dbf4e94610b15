import Foundation
import Testing
import Synchronization
import CLISupport
import OctopodsSandbox

/// `history stats` through the real binary: sends of known fates made against the sandbox
/// (its clock moved by the test, so every status is final without waiting), then counted.
@Suite struct HistoryStatsEndToEndTests {
    struct Expected {
        var group: String
        var sent = 0, rejected = 0, unknown = 0, delivered = 0, read = 0, failed = 0, pending = 0, noStatus = 0
        /// WhatsApp: the only channel with read receipts (otherwise read_rate is null).
        var readable = true
    }

    @Test func countsMatchTheKnownFatesInEveryFormat() async throws {
        let clock = TestClock()
        let sandbox = try TestSandbox(stageInterval: 1, clock: clock)
        let home = scratchDirectory()
        func run(_ arguments: [String]) async throws -> ProcessResult {
            try await octopods(arguments, environment: sandbox.environment, home: home)
        }
        // WhatsApp: one read, one failed (+15550100003), one never delivered (+15550100005).
        for phone in ["+14155552671", "+15550100003", "+15550100005"] {
            let r = try await run(["send", "template", "1007", "--to", phone])
            #expect(r.status == 0, "\(r.stderr)")
        }
        // SMS: one delivered, one refused by the API (+15550100004), one of unknown outcome (+15550100500).
        #expect(try await run(["sms", "send", "--to", "+14155552671", "--body", "x"]).status == 0)
        #expect(try await run(["sms", "send", "--to", "+15550100004", "--body", "x"]).status == 1)
        #expect(try await run(["sms", "send", "--to", "+15550100500", "--body", "x"]).status == 5)
        clock.advance(60)

        // --refresh learns the final statuses first, then counts.
        let first = try await run(["history", "stats", "--by", "channel", "--refresh", "-o", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        let whatsapp = Expected(group: "whatsapp", sent: 3, delivered: 1, read: 1, failed: 1, pending: 1)
        let sms = Expected(group: "sms", sent: 1, rejected: 1, unknown: 1, delivered: 1, readable: false)
        func object(_ e: Expected) -> JSONValue {
            func rate(_ a: Int, _ b: Int) -> JSONValue {
                b == 0 ? .null : .number(a == b ? "1" : a == 0 ? "0" : "0.\(String(Double(a) / Double(b)).dropFirst(2).prefix(4))")
            }
            return [
                "group": .string(e.group), "sent": .int(e.sent), "rejected": .int(e.rejected), "unknown": .int(e.unknown),
                "delivered": .int(e.delivered), "read": .int(e.read), "failed": .int(e.failed), "pending": .int(e.pending),
                "no_status": .int(e.noStatus), "delivery_rate": rate(e.delivered, e.sent - e.noStatus),
                "read_rate": e.readable ? rate(e.read, e.delivered) : .null,
            ]
        }
        #expect(try JSONValue.parse(first.stdout) == .array([object(whatsapp), object(sms)]), "\(first.stdout)")

        let ndjson = try await run(["history", "stats", "--by", "channel", "-o", "ndjson"])
        #expect(ndjson.stdout.split(separator: "\n").map { try? JSONValue.parse(String($0)) } == [object(whatsapp), object(sms)])

        let csv = try await run(["history", "stats", "--by", "channel", "-o", "csv"])
        #expect(
            csv.stdout == "group,sent,rejected,unknown,delivered,read,failed,pending,no_status,delivery_rate,read_rate\r\n"
                + "whatsapp,3,0,0,1,1,1,1,0,0.3333,1\r\n" + "sms,1,1,1,1,0,0,0,0,1,\r\n", "\(csv.stdout)")

        let byStatus = try await run(["history", "stats", "--by", "status", "-o", "csv"])
        #expect(
            byStatus.stdout.split(separator: "\r\n").map { $0.split(separator: ",").prefix(2).joined(separator: ",") }
                == ["group,sent", "read,1", "delivered,1", "pending,1", "failed,1", "rejected,0", "unknown,0"], "\(byStatus.stdout)")

        let table = try await run(["history", "stats", "--by", "channel", "-o", "table"])
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.first?.hasPrefix("CHANNEL   SENT  DELIVERED  READ    FAILED  PENDING  REJECTED  UNKNOWN  FUNNEL") == true,
            "\(table.stdout)")
        #expect(lines.count == 5)
        #expect(lines[1].hasPrefix("whatsapp  3     1 33%      1 100%  1       1        0         0        "), "\(table.stdout)")
        // 20 cells off a terminal, scaled to the largest group (3): read 1, pending 1, failed 1.
        #expect(lines[1].hasSuffix("  ███████▒▒▒▒▒▒▒░░░░░░"), "\(lines[1])")
        #expect(lines[2].hasSuffix("  ▓▓▓▓▓▓▓"), "\(lines[2])")
        #expect(lines[3].hasPrefix("total     4     2 50%      1 50%   1       1        1         1"), "\(table.stdout)")
        #expect(lines[4].hasPrefix("█ read"))

        // Filters apply; an empty selection is an empty list, exit 0.
        let none = try await run(["history", "stats", "--template", "9999", "-o", "json"])
        #expect(none.status == 0 && none.stdout == "[]\n")
        let misuse = try await run(["history", "stats", "--limit", "5"])
        #expect(
            misuse.status == 2 && misuse.stderr.hasPrefix("error: unknown option '--limit'\n'--limit' is an option of 'octopods history'."))
    }

    /// Viber has no status endpoint: its sends are in a column of their own, not pending
    /// forever; "–" where a channel has no such state (SMS has no read); a total row even for
    /// one group.
    @Test func viberAndSMSShowWhatTheyCannotKnow() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        #expect(
            try await octopods(
                ["vbm", "send", "2002", "--to", "+14155552674", "--var", "1=Jo", "--var", "2=x"],
                environment: sandbox.environment, home: home
            ).status == 0)
        #expect(
            try await octopods(["sms", "send", "--to", "+14155552671", "--body", "x"], environment: sandbox.environment, home: home).status
                == 0)
        let byChannel = try await octopods(
            ["history", "stats", "--by", "channel", "-o", "table"], environment: sandbox.environment, home: home)
        let lines = byChannel.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("CHANNEL  SENT  DELIVERED  READ  FAILED  PENDING  NO STATUS") == true, "\(byChannel.stdout)")
        let viber = try #require(lines.first { $0.hasPrefix("vbm") })
        #expect(viber.hasPrefix("vbm      1     –          –     –       –        1"), "\(byChannel.stdout)")
        let sms = try #require(lines.first { $0.hasPrefix("sms") })
        #expect(sms.hasPrefix("sms      1     0 0%       –     0       1        0"), "\(byChannel.stdout)")
        let oneDay = try await octopods(["history", "stats", "-o", "table"], environment: sandbox.environment, home: home)
        #expect(oneDay.stdout.contains("\ntotal "), "a total row for one day: \(oneDay.stdout)")
        let json = try await octopods(["history", "stats", "--by", "channel", "-o", "json"], environment: sandbox.environment, home: home)
        #expect(
            json.stdout.contains(
                #""group":"vbm","sent":1,"rejected":0,"unknown":0,"delivered":0,"read":0,"failed":0,"pending":0,"no_status":1,"delivery_rate":null,"read_rate":null"#
            ),
            "\(json.stdout)")
    }
}
