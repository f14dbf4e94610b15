import Foundation
import Testing
import OctopodsSandbox

/// What a newcomer hits in the first hour (issue 28, "What a newcomer hits"), through the real
/// binary, on a pseudo-terminal where the case is about one.
@Suite struct FirstHourTests {
    /// no-color.org: only a non-empty NO_COLOR turns colour off.
    @Test func anEmptyNoColorKeepsColour() async throws {
        let sandbox = try TestSandbox()
        let terminal = PromptEndToEndTests()
        let empty = try await terminal.drive(
            ["templates", "list"], environment: sandbox.environment.merging(["NO_COLOR": ""]) { _, b in b },
            steps: [.expect("order_update")])
        #expect(empty.status == 0, "\(empty.output)")
        #expect(empty.output.contains("\u{1B}[32m"), "colour with NO_COLOR empty: \(empty.output)")
        let set = try await terminal.drive(
            ["templates", "list"], environment: sandbox.environment.merging(["NO_COLOR": "1"]) { _, b in b },
            steps: [.expect("order_update")])
        #expect(set.status == 0, "\(set.output)")
        #expect(!set.output.contains("\u{1B}[32m"), "no colour with NO_COLOR=1: \(set.output)")
    }

    /// Weeks are a duration; months are not (`m` is minutes), and the error says what to use.
    @Test func sinceTakesWeeksAndExplainsMonths() async throws {
        let home = scratchDirectory()
        let weeks = try await octopods(["history", "--since", "1w"], home: home)
        #expect(weeks.status == 0, "\(weeks.stderr)")
        let months = try await octopods(["history", "--since", "1mo"], home: home)
        #expect(months.status == 2)
        #expect(months.stderr.contains("months are not a duration here ('m' is minutes"), "\(months.stderr)")
        #expect(months.stderr.contains("4w, 30d"))
    }

    /// A first run with no key at all: how to set one, and the sandbox to try everything safely.
    @Test func noKeyAtAllPointsAtTheSandbox() async throws {
        let r = try await octopods(["templates", "list"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("no WhatsApp API key"))
        #expect(r.stderr.contains("or try everything safely with --sandbox"), "\(r.stderr)")
    }

    /// `status --wait` prints the final status once (the progress line says only the ones on the way).
    @Test func statusWaitSaysTheFinalStatusOnce() async throws {
        let sandbox = try TestSandbox(stageInterval: 0.01)
        let home = scratchDirectory()
        let sent = try await octopods(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"],
            environment: sandbox.environment, home: home)
        let id = try #require(
            ((try? JSONSerialization.jsonObject(with: Data(sent.stdout.utf8))) as? [String: Any])?["message_id"] as? String)
        let t = try await PromptEndToEndTests().drive(
            ["status", id, "--wait", "--until", "read"], environment: sandbox.environment,
            steps: [.expect("read")])
        #expect(t.status == 0, "\(t.output)")
        #expect(t.output.components(separatedBy: "Message \(id): read").count == 2, "once: \(t.output)")
    }

    /// A single send at a terminal: one line, and the next step.
    @Test func aSingleSendAtATerminalIsOneLineAndTheNextStep() async throws {
        let sandbox = try TestSandbox()
        let t = try await PromptEndToEndTests().drive(
            ["sms", "send", "--to", "+14155552671", "--body", "hi"], environment: sandbox.environment,
            steps: [.expect("--wait")])
        #expect(t.status == 0, "\(t.output)")
        let id = try #require(sandbox.posts.first?.messageID)
        #expect(
            t.output.contains("Sent to +14155552671 — message \(id)\r\nNext: octopods status \(id) --channel sms --wait"), "\(t.output)")
        #expect(!t.output.contains("MESSAGE ID"))
    }

    /// A bulk row the API refused carries the API's own reason when piped, not only "rejected".
    @Test func pipedBulkRowsCarryTheAPIsReason() async throws {
        let sandbox = try TestSandbox()
        let file = scratchDirectory().appendingPathComponent("rows.csv")
        try Data("phone,1,2\n+15550100008,a,b\n".utf8).write(to: file)
        let r = try await octopods(["send", "template", "1001", "--from", file.path], environment: sandbox.environment)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("is not approved."), "\(r.stdout)")
        #expect(r.stdout.contains(#""error_code":4"#))
    }

    /// `status` in `history --fields` is the latest known: the outcome until a delivery status is learned.
    @Test func historyStatusIsTheLatestKnown() async throws {
        let sandbox = try TestSandbox(stageInterval: 0.01)
        let home = scratchDirectory()
        _ = try await octopods(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"], environment: sandbox.environment,
            home: home)
        let before = try await octopods(
            ["history", "--fields", "time,to,message_id,status", "-o", "ndjson"], environment: sandbox.environment, home: home)
        #expect(before.stdout.contains(#""status":"accepted""#), "\(before.stdout)")
        _ = try await octopods(["history", "refresh"], environment: sandbox.environment, home: home)
        let after = try await octopods(
            ["history", "--fields", "message_id,status", "-o", "table"], environment: sandbox.environment, home: home)
        #expect(after.stdout.contains("read") || after.stdout.contains("delivered"), "\(after.stdout)")
    }

    /// `templates get` shows its time in local time with the zone, as every table does.
    @Test func templateTimesAreLocal() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(
            ["templates", "get", "1002", "-o", "table"], environment: sandbox.environment.merging(["TZ": "America/New_York"]) { _, b in b })
        #expect(r.status == 0, "\(r.stderr)")
        let created = try #require(r.stdout.split(separator: "\n").first { $0.contains("Created:") })
        #expect(created.hasSuffix(" EST") || created.hasSuffix(" EDT"), "\(created)")
        #expect(!created.contains("T") || !created.contains("Z"), "\(created)")
    }

    /// "Did you mean" for template names (from the list `templates list` saw) and config keys.
    @Test func didYouMeanForTemplatesAndConfigKeys() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        _ = try await octopods(["templates", "list"], environment: sandbox.environment, home: home)
        let r = try await octopods(
            ["send", "template", "ordr_update", "--to", "+14155552671"], environment: sandbox.environment, home: home)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("did you mean 'order_update'?"), "\(r.stderr)")
        let config = try await octopods(["config", "set", "whatsapp_key", "x"], home: home)
        #expect(config.status == 2)
        #expect(config.stderr.contains("did you mean 'whatsapp_api_key'?"), "\(config.stderr)")
        #expect(sandbox.posts.isEmpty)
    }

    /// `templates csv` of a template that cannot be sent warns; a Viber id on the WhatsApp
    /// channel is pointed at --channel vbm.
    @Test func templatesCSVWarnsAndPointsAtViber() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let rejected = try await octopods(["templates", "csv", "1005"], environment: sandbox.environment, home: home)
        #expect(rejected.status == 0, "\(rejected.stderr)")
        #expect(rejected.stdout.hasPrefix("phone"))
        #expect(
            rejected.stderr.contains(
                "warning: template 1005 (promo_blast) is Rejected; only accepted templates can be sent: a campaign file for it cannot be sent as it stands"
            ),
            "\(rejected.stderr)")
        let viber = try await octopods(["templates", "csv", "2001"], environment: sandbox.environment, home: home)
        #expect(viber.status == 2)
        #expect(viber.stderr.contains("a Viber template needs --channel vbm"), "\(viber.stderr)")
        _ = try await octopods(["templates", "list", "--channel", "vbm"], environment: sandbox.environment, home: home)
        let known = try await octopods(["templates", "csv", "2001"], environment: sandbox.environment, home: home)
        #expect(known.stderr.contains("hint: Template 2001 is a Viber template: add --channel vbm"), "\(known.stderr)")
    }

    /// --profile staging without its own WhatsApp key: the environment's key is used with
    /// staging's base URL, and a warning says so (once).
    @Test func aProfileWithoutItsOwnKeySaysWhichKeyGoesWhere() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let created = try await octopods(["--profile", "staging", "config", "set", "base_url", sandbox.url], home: home)
        #expect(created.status == 0, "\(created.stderr)")
        let env = ["OCTOPODS_WHATSAPP_API_KEY": SandboxKeys.whatsapp]
        let r = try await octopods(["--profile", "staging", "templates", "list"], environment: env, home: home)
        #expect(r.status == 0, "\(r.stderr)")
        let note =
            "warning: profile 'staging' has no whatsapp_api_key: the WhatsApp key from OCTOPODS_WHATSAPP_API_KEY is used with the profile's base URL \(sandbox.url)"
        #expect(r.stderr.components(separatedBy: note).count == 2, "once: \(r.stderr)")
        let without = try await octopods(
            ["templates", "list"], environment: env.merging(["OCTOPODS_BASE_URL": sandbox.url]) { $1 }, home: home)
        #expect(!without.stderr.contains("has no whatsapp_api_key"), "\(without.stderr)")
    }

    /// Every table command at 40, 60, 80 and 120 columns with real rows: no line wider than the
    /// terminal, a column empty in every row dropped, and from 80 columns times and ids whole.
    @Test func tablesFitTheTerminal() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        var environment = sandbox.environment
        environment["HOME"] = home.path
        for argv in [
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=Jane Doe", "--var", "2=A-1042"],
            ["sms", "send", "--to", "+14155552672", "--body", "Your order has shipped and will arrive tomorrow"],
        ] {
            let r = try await octopods(argv, environment: sandbox.environment, home: home)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let ids = sandbox.posts.compactMap(\.messageID).map(String.init)
        let time = try Regex(#"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"#)
        let terminal = PromptEndToEndTests()
        for columns in [40, 60, 80, 120] {
            for argv in [["history"], ["templates", "list"], ["messages", "list"], ["config", "list"]] {
                let env = environment.merging(["COLUMNS": String(columns), "NO_COLOR": "1", "TZ": "UTC"]) { $1 }
                let t = try await terminal.drive(argv, environment: env, steps: [])
                #expect(t.status == 0, "\(argv) at \(columns): \(t.output)")
                // The table (config list's file path follows on a line of its own, never cut).
                let table = t.output.components(separatedBy: "\r\n\r\n").first ?? ""
                let lines = table.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                for line in lines { #expect(line.count <= columns, "\(argv) at \(columns): '\(line)'") }
                guard argv == ["history"] else { continue }
                #expect(!t.output.contains("DETAIL"), "an empty column is dropped at \(columns): \(t.output)")
                if columns >= 80 {
                    #expect(t.output.matches(of: time).count == 2, "times whole at \(columns): \(t.output)")
                    for id in ids { #expect(t.output.contains(id), "ids whole at \(columns): \(t.output)") }
                }
            }
        }
    }

    /// A bulk --dry-run at a terminal: a short summary and the first rows as read; JSON piped.
    @Test func bulkDryRunAtATerminalIsASummary() async throws {
        let sandbox = try TestSandbox()
        let file = scratchDirectory().appendingPathComponent("rows.csv")
        try Data("phone,1,2\n+14155550101,Jane,A-1\n+14155550102,Omar,A-2\n+14155550103,Li,A-3\n+14155550104,Ana,A-4\nbad,x,y\n".utf8)
            .write(to: file)
        let t = try await PromptEndToEndTests().drive(
            ["send", "template", "1001", "--from", file.path, "--dry-run"],
            environment: sandbox.environment.merging(["NO_COLOR": "1"]) { $1 }, steps: [])
        #expect(t.status == 2, "one invalid row: \(t.output)")
        #expect(t.output.contains("5 rows, 4 valid, 1 invalid, 0 skipped (in the journal)"), "\(t.output)")
        #expect(t.output.contains("Would send 4 messages, in about 1 s at 55/10s."), "\(t.output)")
        #expect(t.output.contains("line 2, to +14155550101:\r\n  Hi Jane, your order A-1 has been updated."), "\(t.output)")
        #expect(t.output.contains("line 4, to +14155550103:") && !t.output.contains("line 5, to"))
        #expect(!t.output.contains("\"valid\""), "no JSON at a terminal")
        let people = scratchDirectory().appendingPathComponent("people.csv")
        try Data("phone,name\n+14155550101,Jane\n+14155550102,Omar\n".utf8).write(to: people)
        let sms = try await PromptEndToEndTests().drive(
            ["sms", "send", "--from", people.path, "--body", "Hi {name} \u{1F600}", "--dry-run"],
            environment: sandbox.environment.merging(["NO_COLOR": "1"]) { $1 }, steps: [])
        #expect(sms.output.contains("2 SMS segments in all"), "\(sms.output)")
        #expect(sms.output.contains("Hi Omar \u{1F600}"), "\(sms.output)")
        let piped = try await octopods(["send", "template", "1001", "--from", file.path, "--dry-run"], environment: sandbox.environment)
        #expect(piped.stdout.contains(#""valid":4"#), "\(piped.stdout)")
        #expect(sandbox.posts.isEmpty)
    }

    /// `history refresh` at a terminal keeps a progress line with the count and an ETA.
    @Test func historyRefreshShowsProgress() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        for n in 1...3 {
            _ = try await octopods(
                ["sms", "send", "--to", "+1415555020\(n)", "--body", "hi"], environment: sandbox.environment, home: home)
        }
        var env = sandbox.environment
        env["HOME"] = home.path
        let t = try await PromptEndToEndTests().drive(["history", "refresh"], environment: env, steps: [])
        #expect(t.status == 0, "\(t.output)")
        #expect(t.output.contains("Checking 1/3 · 0 changed · ETA "), "\(t.output)")
        #expect(t.output.contains("Checking 3/3 · "), "\(t.output)")
    }

    /// Profiles: listed with the default marked and each key's source, switched with `config
    /// use`, removed; `config unset` leaves no empty section.
    @Test func profilesAreListedSwitchedAndRemoved() async throws {
        let sandbox = try TestSandbox()
        let home = scratchDirectory()
        let config = home.appendingPathComponent(".config/octopods/config")
        func run(_ argv: [String], stdin: String = "", env: [String: String] = [:]) async throws -> ProcessResult {
            try await octopods(argv, environment: env, stdin: stdin, home: home)
        }
        #expect(try await run(["--profile", "staging", "config", "set", "base_url", sandbox.url]).status == 0)
        #expect(try await run(["--profile", "staging", "config", "set", "whatsapp_api_key"], stdin: SandboxKeys.whatsapp).status == 0)
        #expect(try await run(["--profile", "tmp", "config", "set", "ledger", "off"]).status == 0)
        // unset of the last setting removes the section.
        #expect(try await run(["--profile", "tmp", "config", "unset", "ledger"]).status == 0)
        #expect(!(try String(contentsOf: config, encoding: .utf8)).contains("[tmp]"))

        let listed = try await run(["config", "profiles", "-o", "table"], env: ["OCTOPODS_SMS_API_KEY": SandboxKeys.sms])
        #expect(listed.status == 0, "\(listed.stderr)")
        let lines = listed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("PROFILE") == true, "\(listed.stdout)")
        #expect(lines.contains { $0.hasPrefix("default *") }, "\(listed.stdout)")
        let staging = try #require(lines.first { $0.hasPrefix("staging") })
        #expect(staging.contains(sandbox.url) && staging.contains("profile") && staging.contains("OCTOPODS_SMS_API_KEY"), "\(staging)")

        let used = try await run(["config", "use", "stagin"])
        #expect(used.status == 2 && used.stderr.contains("did you mean 'staging'?"), "\(used.stderr)")
        #expect(try await run(["config", "use", "staging"]).status == 0)
        // Now the default: templates list talks to the sandbox with staging's key.
        let list = try await run(["templates", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(try await run(["config", "profiles", "-o", "json"]).stdout.contains(#""profile":"staging","default":true"#))

        let removed = try await run(["config", "profiles", "remove", "staging"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stderr.contains("the default is 'default' again"), "\(removed.stderr)")
        let text = try String(contentsOf: config, encoding: .utf8)
        #expect(!text.contains("staging") && !text.contains("default_profile"), "\(text)")
        #expect(try await run(["config", "profiles", "remove", "staging"]).status == 2)
    }

    /// A bulk run's progress line at a terminal reckons its ETA from the rate budget: the first
    /// row's line already says how long the rest will take at 4 a second.
    @Test func bulkProgressEtaFollowsTheBudget() async throws {
        let sandbox = try TestSandbox()
        let file = scratchDirectory().appendingPathComponent("rows.csv")
        try Data(("phone,1,2\n" + (10...21).map { "+141555503\($0),a,b\n" }.joined()).utf8).write(to: file)
        let t = try await PromptEndToEndTests().drive(
            [
                "send", "template", "1001", "--from", file.path, "--rate", "4/1s", "--concurrency", "1",
                "-o", "ndjson",
            ],
            environment: sandbox.environment.merging(["NO_COLOR": "1", "COLUMNS": "120"]) { $1 }, steps: [])
        #expect(t.status == 0, "\(t.output)")
        #expect(t.output.contains("1/12 · accepted 1 · rejected 0 · unknown 0 · "), "\(t.output)")
        #expect(t.output.contains(" · ETA 3 s"), "11 rows at 4 a second: \(t.output)")
        #expect(sandbox.posts.count == 12)
    }
}
