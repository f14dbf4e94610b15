import Foundation
import Testing
import CLISupport
import OctopodsSandbox

/// One vocabulary across commands (docs/output.md): ids are strings in every JSON output,
/// `messages list` items have one shape, template sends are found by id or name, --timeout is
/// per request and --wait-timeout the whole wait, --fields chooses columns and keys.
@Suite struct VocabularyEndToEndTests {
    struct User {
        let home = scratchDirectory()
        let sandbox: TestSandbox

        @discardableResult
        func run(
            _ arguments: [String], environment: [String: String] = [:], way: Way = .binary,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws -> ProcessResult {
            try await way.run(
                arguments, environment: sandbox.environment.merging(environment) { _, new in new }, home: home,
                sourceLocation: sourceLocation)
        }

        func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
            let r = try await run(arguments + ["-o", "json"], sourceLocation: sourceLocation)
            #expect(r.status == 0, "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
            return try JSONValue.parse(r.stdout)
        }

        func lines(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [JSONValue] {
            let r = try await run(arguments + ["-o", "ndjson"], sourceLocation: sourceLocation)
            #expect(r.status == 0, "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
            return r.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        }
    }

    /// Every `message_id` and `template_id` anywhere in `value`.
    func ids(_ value: JSONValue) -> [JSONValue] {
        switch value {
        case .object(let pairs):
            return pairs.flatMap { key, item in ["message_id", "template_id"].contains(key) && !item.isNull ? [item] : ids(item) }
        case .array(let items): return items.flatMap(ids)
        default: return []
        }
    }

    @Test func idsAreStringsInEveryOutput() async throws {
        let user = User(sandbox: try TestSandbox(stageInterval: 0.01))
        var outputs: [(String, JSONValue)] = []
        let sent = try await user.json(["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"])
        outputs.append(("send", sent))
        let id = try #require(sent["message_id"]?.stringValue)
        outputs.append(("send --wait", try await user.json(["send", "template", "1007", "--to", "+14155552672", "--wait"])))
        outputs.append(("status", try await user.json(["status", id])))
        outputs.append(("status --wait", try await user.json(["status", id, "--wait"])))
        outputs.append(
            (
                "sms status",
                try await user.json([
                    "status",
                    try #require(
                        try await user.json(
                            ["sms", "send", "--to", "+14155552673", "--body", "hi"])["message_id"]?.stringValue), "--channel", "sms",
                ])
            ))
        outputs.append(("messages list", try await user.json(["messages", "list"])))
        outputs.append(("history", try await user.json(["history"])))
        outputs.append(("history refresh", try await user.json(["history", "refresh"])))
        outputs.append(("templates list", try await user.json(["templates", "list"])))
        outputs.append(("vbm templates", try await user.json(["templates", "list", "--channel", "vbm"])))
        outputs.append(("templates get", try await user.json(["templates", "get", "1001"])))
        outputs.append(("templates render", try await user.json(["templates", "render", "1001", "--var", "1=a", "--var", "2=b"])))
        let file = user.home.appendingPathComponent("rows.csv")
        try Data("phone,body\n+14155552674,hello\n+14155552675,hi\n".utf8).write(to: file)
        let bulk = try await user.run(["sms", "send", "--from", file.path, "--yes", "--wait", "-o", "ndjson"])
        #expect(bulk.status == 0, "\(bulk.stderr)")
        outputs.append(("bulk rows", .array(bulk.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) })))
        for (name, output) in outputs {
            let found = ids(output)
            #expect(!found.isEmpty, "\(name) has ids: \(output.serialized())")
            #expect(found.allSatisfy { $0.stringValue != nil }, "\(name): every id is a string: \(output.serialized())")
        }
        // JSON times are ISO 8601 with Z.
        let history = try await user.lines(["history"])
        #expect(history.allSatisfy { $0["time"]?.stringValue?.hasSuffix("Z") == true })
    }

    @Test func tableTimesAreLocalWithTheirZone() async throws {
        let user = User(sandbox: try TestSandbox())
        try await user.run(["send", "template", "1007", "--to", "+14155552671"])
        let table = try await user.run(["history", "-o", "table"], environment: ["TZ": "America/New_York"])
        #expect(table.status == 0)
        // December: Eastern Standard Time. (The sandbox's clock is the machine's; EDT in summer.)
        #expect(table.stdout.contains(" EST ") || table.stdout.contains(" EDT "), "\(table.stdout)")
        let list = try await user.run(["messages", "list", "-o", "table"], environment: ["TZ": "Asia/Kolkata"])
        #expect(list.stdout.contains(" IST"), "\(list.stdout)")
    }

    @Test func messagesListHasStatusInOnePlace() async throws {
        let user = User(sandbox: try TestSandbox(stageInterval: 0.01))
        let failed = try await user.run(["send", "template", "1007", "--to", "+15550100001", "--wait"])
        #expect(failed.status == 1, "\(failed.stderr)")
        try await user.run(["send", "template", "1007", "--to", "+14155552671"])
        let items = try await user.lines(["messages", "list"])
        #expect(items.count == 2)
        // README: `octopods messages list -o ndjson | jq -r 'select(.status == "failed") | .phone_number'`
        #expect(items.filter { $0["status"]?.stringValue == "failed" }.compactMap { $0["phone_number"]?.stringValue } == ["+15550100001"])
        #expect(items.allSatisfy { $0["raw"]?.objectValue != nil }, "the API's own item is kept under raw")
        #expect(
            items.first?.objectValue?.map(\.0) == [
                "message_id", "phone_number", "status", "sent_at", "failure_reason",
                "message_content", "raw",
            ])
    }

    @Test func templateSendsByNameAreFoundByIdOrName() async throws {
        let user = User(sandbox: try TestSandbox())
        let byName = try await user.run(["send", "template", "order_update", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"])
        #expect(byName.status == 0, "\(byName.stderr)")
        try await user.run(["send", "template", "1007", "--to", "+14155552671"])
        for needle in ["1001", "order_update"] {
            let found = try await user.lines(["history", "--template", needle])
            #expect(found.count == 1, "--template \(needle): \(found)")
            #expect(found.first?["template_id"]?.stringValue == "1001")
            #expect(found.first?["template_name"]?.stringValue == "order_update")
        }
    }

    @Test func timeoutIsPerRequestAndWaitTimeoutTheWholeWait() async throws {
        let user = User(sandbox: try TestSandbox())
        let sent = try await user.json(["send", "template", "1007", "--to", "+15550100005"])
        let id = try #require(sent["message_id"]?.stringValue)
        let waited = try await user.run(["status", id, "--wait", "--wait-timeout", "1s", "--timeout", "10s"])
        #expect(waited.status == 6)
        #expect(waited.stderr.contains("gave up waiting (--wait-timeout)"))
        #expect(!waited.stderr.contains("warning"), "--timeout beside --wait-timeout is per request: \(waited.stderr)")
        let old = try await user.run(["status", id, "--wait", "--timeout", "1s"])
        #expect(old.status == 6)
        #expect(old.stderr.contains("warning: --timeout with --wait is taken as the whole wait (--wait-timeout) for this release only"))
        let alone = try await user.run(["status", id, "--wait-timeout", "1s"])
        #expect(alone.status == 2)
        #expect(alone.stderr.hasPrefix("error: --wait-timeout needs --wait"))
    }

    @Test func fieldsChooseColumnsAndKeys() async throws {
        let user = User(sandbox: try TestSandbox(stageInterval: 3600))
        let sent = try await user.json(["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"])
        let id = try #require(sent["message_id"]?.stringValue)

        let templates = try await user.lines(["templates", "list", "--fields", "template_name,template_id"])
        #expect(templates.first == ["template_name": "order_update", "template_id": "1001"])
        let table = try await user.run(["templates", "list", "--fields", "template_id,template_name", "-o", "table"])
        #expect(table.stdout.hasPrefix("TEMPLATE ID  TEMPLATE NAME\n1001         order_update\n"), "\(table.stdout)")

        #expect(
            try await user.lines(["messages", "list", "--fields", "message_id,status"]) == [["message_id": .string(id), "status": "sent"]])
        #expect(try await user.json(["status", id, "--fields", "status,message_id"]) == ["status": "sent", "message_id": .string(id)])
        let history = try await user.lines(["history", "--fields", "message_id,template_id,outcome"])
        #expect(history == [["message_id": .string(id), "template_id": "1001", "outcome": "accepted"]])
        let csv = try await user.run(["history", "--fields", "to,template_id", "-o", "csv"])
        #expect(csv.stdout == "to,template_id\r\n+14155552671,1001\r\n")
        let historyTable = try await user.run(["history", "--fields", "template_id,outcome", "-o", "table"])
        #expect(historyTable.stdout == "TEMPLATE ID  OUTCOME\n1001         accepted\n")
        let refresh = try await user.lines(["history", "refresh", "--fields", "message_id,before"])
        #expect(refresh == [["message_id": .string(id), "before": "accepted"]])

        // An unknown name is a usage error naming the valid ones, before any request.
        let before = user.sandbox.api.recordedRequests().count
        // The first through the binary, the rest in process (`Way`).
        for (index, command) in [["templates", "list"], ["messages", "list"], ["status", id], ["history"], ["history", "refresh"]]
            .enumerated()
        {
            let bad = try await user.run(command + ["--fields", "colour"], way: index == 0 ? .binary : .inProcess)
            #expect(bad.status == 2, "\(command)")
            #expect(bad.stderr.hasPrefix("error: --fields: unknown field 'colour'; valid fields: "), "\(command): \(bad.stderr)")
        }
        let prune = try await user.run(["history", "prune", "--before", "1d", "--yes", "--fields", "to"])
        #expect(prune.status == 2)
        #expect(user.sandbox.api.recordedRequests().count == before, "nothing was asked of the API")
    }

    @Test func pruneWithYesIsNotADryRunWhenNothingMatches() async throws {
        let user = User(sandbox: try TestSandbox())
        try await user.run(["send", "template", "1007", "--to", "+14155552671"])
        let pruned = try await user.json(["history", "prune", "--before", "90d", "--yes"])
        #expect(pruned["dry_run"] == false)
        #expect(pruned["removed"] == 0)
        let dry = try await user.json(["history", "prune", "--before", "90d", "--dry-run"])
        #expect(dry["dry_run"] == true)
    }

    /// docs/bulk.md's `--journal /var/lib/app/…` example on a machine without that directory: exit 2,
    /// nothing sent, and a hint that does not just repeat the flag.
    @Test func aJournalInAMissingDirectorySaysSo() async throws {
        let user = User(sandbox: try TestSandbox())
        let file = user.home.appendingPathComponent("rows.ndjson")
        try Data(#"{"phone":"+14155552671","body":"hi"}"#.utf8).write(to: file)
        let missing = user.home.appendingPathComponent("no/such/dir").path
        let r = try await user.run(["sms", "send", "--from", file.path, "--journal", missing + "/x.journal", "--yes"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("hint: The directory \(missing) does not exist: create it (mkdir -p \(missing))"), "\(r.stderr)")
        #expect(user.sandbox.posts.isEmpty)
    }
}
