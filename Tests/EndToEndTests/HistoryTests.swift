import Foundation
import Testing
import CLISupport
import OctopodsSandbox

/// The history ledger through the real binary: every channel's sends recorded with the right
/// fields, filters, refresh, concurrent bulk runs, and --no-ledger.
@Suite struct HistoryEndToEndTests {
    /// One user's HOME shared by the runs of a test (the ledger lives under it).
    struct User {
        let home = scratchDirectory()
        let sandbox: TestSandbox

        var ledger: URL { home.appendingPathComponent(".local/state/octopods/sandbox-history.ndjson") }

        @discardableResult
        func run(
            _ arguments: [String], environment: [String: String] = [:], timeout: Double = 20, way: Way = .binary,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws -> ProcessResult {
            let environment = sandbox.environment.merging(environment) { _, new in new }
            if way == .inProcess {
                return await octopodsInProcess(arguments, environment: environment, home: home, sourceLocation: sourceLocation)
            }
            return try await octopods(arguments, environment: environment, home: home, timeout: timeout, sourceLocation: sourceLocation)
        }

        /// `history -o ndjson` with these filters, one object per record.
        func history(
            _ filters: [String] = [], way: Way = .binary, sourceLocation: SourceLocation = #_sourceLocation
        ) async throws -> [JSONValue] {
            let r = try await run(["history", "-o", "ndjson", "--limit", "0"] + filters, way: way, sourceLocation: sourceLocation)
            #expect(r.status == 0, "\(r.stderr)", sourceLocation: sourceLocation)
            return r.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        }
    }

    @Test func sendsOfEveryChannelAreRecordedWithTheirFields() async throws {
        let user = User(sandbox: try TestSandbox())
        try await user.run(["send", "template", "1001", "--to", "+14155552671", "--var", "1=Jane", "--var", "2=A-1"])
        try await user.run(["send", "interactive", "--to", "+14155552672", "--body", "Pick", "--button", "y:Yes"])
        try await user.run(["sms", "send", "--to", "+14155552673", "--body", "hello"])
        try await user.run(["vbm", "send", "2002", "--to", "+14155552674", "--var", "1=Jo", "--var", "2=x"])
        let rejected = try await user.run(["sms", "send", "--to", "+15550100004", "--body", "x"])
        #expect(rejected.status == 1)
        let unknown = try await user.run(["sms", "send", "--to", "+15550100500", "--body", "x"])
        #expect(unknown.status == 5)
        let notSent = try await user.run(
            ["sms", "send", "--to", "+14155552675", "--body", "x"], environment: ["OCTOPODS_SMS_API_KEY": "wrong"])
        #expect(notSent.status == 3)

        let records = try await user.history()
        #expect(records.count == 6, "a 401 is not a send: \(records)")
        // A sandbox reached through OCTOPODS_BASE_URL (loopback) is practice: never the real history.
        #expect(FileManager.default.fileExists(atPath: user.ledger.path))
        #expect(
            !FileManager.default.fileExists(atPath: user.ledger.deletingLastPathComponent().appendingPathComponent("history.ndjson").path))
        func field(_ i: Int, _ key: String) -> String? { records[i][key]?.stringValue }
        let expected: [(channel: String, kind: String, template: String?, to: String, outcome: String)] = [
            ("whatsapp", "template", "1001", "+14155552671", "accepted"), ("whatsapp", "interactive", nil, "+14155552672", "accepted"),
            ("sms", "sms", nil, "+14155552673", "accepted"), ("vbm", "template", "2002", "+14155552674", "accepted"),
            ("sms", "sms", nil, "+15550100004", "rejected"), ("sms", "sms", nil, "+15550100500", "unknown"),
        ]
        for (i, e) in expected.enumerated() where i < records.count {
            #expect(
                field(i, "channel") == e.channel && field(i, "kind") == e.kind && field(i, "template_id") == e.template
                    && field(i, "to") == e.to && field(i, "outcome") == e.outcome, "\(records[i])")
            #expect(field(i, "profile") == "default")
            #expect(field(i, "time").flatMap(LedgerTimeCheck.parse) != nil)
        }
        for i in 0..<4 where i < records.count {
            #expect(field(i, "message_id")?.isEmpty == false)
            #expect(field(i, "request_id")?.isEmpty == false)
        }
        #expect(field(4, "error")?.contains("error code 4") == true, "\(records[4])")
        #expect(field(5, "error")?.contains("HTTP 500") == true)
        #expect(records.allSatisfy { $0.objectValue?.count == 15 }, "every record has every field")

        // The ledger is private and holds no key.
        let attributes = try FileManager.default.attributesOfItem(atPath: user.ledger.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOf: user.ledger, encoding: .utf8)
        for key in secretKeys { #expect(!text.contains(key)) }

        let table = try await user.run(["history", "-o", "table"])
        #expect(table.stdout.hasPrefix("TIME "))
        #expect(table.stdout.contains("template 1001"))
        let csv = try await user.run(["history", "-o", "csv", "--channel", "vbm"])
        #expect(
            csv.stdout.hasPrefix(
                "time,profile,channel,kind,template_id,template_name,to,message_id,request_id,outcome,error,status,status_time,failure,source\r\n"
            ))
        #expect(csv.stdout.split(separator: "\r\n").count == 2)
    }

    @Test func filtersSelect() async throws {
        let user = User(sandbox: try TestSandbox())
        for (i, phone) in ["+14155552671", "+14155552672", "+14155552671"].enumerated() {
            // The third is the first again: sent on purpose (--allow-repeat), so the history holds both.
            try await user.run(
                ["send", "template", i == 1 ? "1007" : "1001", "--to", phone] + (i == 1 ? [] : ["--var", "1=a", "--var", "2=b"])
                    + (i == 2 ? ["--allow-repeat"] : []))
        }
        try await user.run(["sms", "send", "--to", "+14155552671", "--body", "x"])
        try await user.run(["sms", "send", "--to", "+15550100004", "--body", "x"])
        // The filters in process (`Way`); the ledger the binary wrote, and its listing, through it.
        func phones(_ filters: [String]) async throws -> [String] {
            try await user.history(filters, way: filters.isEmpty ? .binary : .inProcess).compactMap { $0["to"]?.stringValue }
        }
        #expect(try await phones([]).count == 5)
        #expect(try await phones(["--channel", "sms"]) == ["+14155552671", "+15550100004"])
        #expect(try await phones(["--channel", "sms", "--channel", "whatsapp"]).count == 5)
        #expect(try await phones(["--to", "+1 415 555 2671"]).count == 3)
        #expect(try await phones(["--template", "1007"]) == ["+14155552672"])
        #expect(try await phones(["--status", "rejected"]) == ["+15550100004"])
        #expect(try await phones(["--status", "accepted", "--channel", "sms"]) == ["+14155552671"])
        #expect(try await phones(["--since", "1h"]).count == 5)
        #expect(try await phones(["--until", "1h"]).isEmpty)
        #expect(try await phones(["--since", "2000-01-01", "--until", "2100-01-01T00:00Z"]).count == 5)
        let latest = try await user.run(["history", "-o", "ndjson", "--limit", "2"])
        #expect(latest.stdout.split(separator: "\n").count == 2)
        #expect(latest.stdout.contains("+15550100004"), "the most recent ones")
        #expect(latest.stderr.contains("Showing the latest 2 of 5 matching sends"))

        let bad = try await user.run(["history", "--since", "last tuesday"])
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("error: invalid value for '--since': 'last tuesday' is not a time"))
        let backwards = try await user.run(["history", "--since", "1h", "--until", "2h"])
        #expect(backwards.status == 2)
    }

    @Test func refreshMovesStatusesForward() async throws {
        let clock = TestClock()
        let user = User(sandbox: try TestSandbox(stageInterval: 0.3, clock: clock))
        try await user.run(["sms", "send", "--to", "+14155552671", "--body", "x"])
        try await user.run(["send", "template", "1007", "--to", "+15550100003"])
        try await user.run(["vbm", "send", "2002", "--to", "+14155552674", "--var", "1=Jo", "--var", "2=x"])
        // The latest known: the send's outcome until a delivery status is learned.
        #expect(try await user.history().compactMap { $0["status"]?.stringValue }.allSatisfy { $0 == "accepted" })
        clock.advance(1.5)  // past every stage
        let r = try await user.run(["history", "refresh", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("Skipping 1 Viber message:"))
        #expect(r.stderr.contains("Checked 2 of 2 messages: 2 changed."))
        let records = try await user.history()
        #expect(records.map { $0["status"]?.stringValue } == ["delivered", "failed", "accepted"])
        #expect(records[1]["failure"]?.stringValue?.contains("470") == true)
        #expect(records[0]["status_time"]?.stringValue != nil)
        // Nothing left that is not final: a second refresh asks nothing.
        let before = user.sandbox.api.recordedRequests().count
        let again = try await user.run(["history", "refresh"])
        #expect(again.status == 0)
        #expect(again.stderr.contains("2 matching ones are final"))
        #expect(user.sandbox.api.recordedRequests().count == before)
    }

    @Test func waitRecordsTheFinalStatus() async throws {
        let user = User(sandbox: try TestSandbox(stageInterval: 0.2))
        let r = try await user.run(["sms", "send", "--to", "+14155552671", "--body", "x", "--wait"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try await user.history().first?["status"]?.stringValue == "delivered")
    }

    @Test func twoConcurrentBulkRunsLeaveEveryRecordIntact() async throws {
        let user = User(sandbox: try TestSandbox())
        let dir = scratchDirectory()
        func csv(_ name: String, _ prefix: String) -> URL {
            let url = dir.appendingPathComponent(name)
            var text = "phone,1,2\n"
            for i in 0..<200 { text += "\(prefix)\(String(format: "%04d", i)),N\(i),A-\(i)\n" }
            try? Data(text.utf8).write(to: url)
            return url
        }
        let a = csv("a.csv", "+1415556"), b = csv("b.csv", "+1415557")
        async let first = user.run(["send", "template", "1001", "--from", a.path, "--rate", "off", "--concurrency", "8"], timeout: 60)
        async let second = user.run(["send", "template", "1001", "--from", b.path, "--rate", "off", "--concurrency", "8"], timeout: 60)
        let (r1, r2) = try await (first, second)
        #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr) \(r2.stderr)")
        let lines = try String(contentsOf: user.ledger, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        let whole = lines.dropLast().compactMap { try? JSONValue.parse(String($0)) }
        #expect(whole.count == lines.count - 1, "every line a whole record")
        // Each send's line, beside the repeat guard's reservation before it (docs/repeat-guard.md).
        let records = whole.filter { $0["type"]?.stringValue == "send" }
        #expect(records.count == 400 && whole.count == 800)
        #expect(Set(records.compactMap { $0["to"]?.stringValue }).count == 400)
        #expect(Set(records.compactMap { $0["message_id"]?.stringValue }).count == 400)
        #expect(records.allSatisfy { $0["source"]?.stringValue?.contains(".csv:") == true })
        let listed = try await user.history()
        #expect(listed.count == 400)
    }

    @Test func noLedgerWritesNothing() async throws {
        let user = User(sandbox: try TestSandbox())
        let r = try await user.run(["sms", "send", "--to", "+14155552671", "--body", "x", "--no-ledger"])
        #expect(r.status == 0)
        let dir = scratchDirectory()
        let file = dir.appendingPathComponent("few.csv")
        try Data("phone,1,2\n+14155552671,a,b\n".utf8).write(to: file)
        try await user.run(["send", "template", "1001", "--from", file.path, "--no-ledger"])
        #expect(!FileManager.default.fileExists(atPath: user.ledger.path))

        let config = try await user.run(["config", "set", "ledger", "off"])
        #expect(config.status == 0, "\(config.stderr)")
        try await user.run(["sms", "send", "--to", "+14155552671", "--body", "x"])
        #expect(!FileManager.default.fileExists(atPath: user.ledger.path))
        let empty = try await user.run(["history"])
        #expect(empty.status == 0)
        #expect(empty.stdout == "[]\n")
        #expect(empty.stderr.contains("Nothing recorded yet"))

        let on = try await user.run(["config", "set", "ledger", "on"])
        #expect(on.status == 0)
        try await user.run(["sms", "send", "--to", "+14155552671", "--body", "x"])
        #expect(try await user.history().count == 1)
        let invalid = try await user.run(["config", "set", "ledger", "sometimes"])
        #expect(invalid.status == 2)
    }

    @Test func pruneRemovesOldRecords() async throws {
        let user = User(sandbox: try TestSandbox())
        try FileManager.default.createDirectory(at: user.ledger.deletingLastPathComponent(), withIntermediateDirectories: true)
        let old =
            #"{"time":"2020-01-01T00:00:00.000Z","type":"send","profile":"default","channel":"sms","kind":"sms","to":"+14155550000","outcome":"accepted"}"#
        try Data((old + "\n").utf8).write(to: user.ledger)
        try await user.run(["sms", "send", "--to", "+14155552671", "--body", "x"])
        #expect(try await user.history().count == 2)
        let refused = try await user.run(["history", "prune", "--before", "2021-01-01"])
        #expect(refused.status == 2, "not at a terminal: needs --yes")
        let dry = try await user.run(["history", "prune", "--before", "2021-01-01", "--dry-run"])
        #expect(dry.stderr.contains("Would remove 1 send (1 record) older"), "\(dry.stderr)")
        #expect(try await user.history().count == 2)
        let pruned = try await user.run(["history", "prune", "--before", "2021-01-01", "--yes", "-o", "json"])
        #expect(pruned.status == 0)
        #expect(pruned.stdout.contains(#""removed":1,"kept":1,"sends_removed":1,"sends_kept":1"#))
        #expect(try await user.history().map { $0["to"]?.stringValue } == ["+14155552671"])
        try await user.run(["sms", "send", "--to", "+14155552672", "--body", "x"])
        #expect(try await user.history().count == 2)
        let attributes = try FileManager.default.attributesOfItem(atPath: user.ledger.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
}

/// The ledger's time format, checked independently of the code that writes it.
enum LedgerTimeCheck {
    static func parse(_ text: String) -> Date? {
        guard text.utf8.count == 24, text.hasSuffix("Z") else { return nil }
        return try? Date(text, strategy: .iso8601)
    }
}
