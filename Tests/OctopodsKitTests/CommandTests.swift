import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

let templatesJSON = """
    [{"created_at":"2026-02-10T15:42:00Z","template_id":1001,"template_name":"order_update","template_body":"Hi {{1}}, order {{2}}.",
      "template_components":[{"type":"BODY","text":"Hi {{1}}, order {{2}}."}],"account_phone_number":"+15550009999","template_status":"Accepted"},
     {"created_at":"2026-02-10T15:42:00Z","template_id":1005,"template_name":"promo\\u001b[2J","template_body":"Sale",
      "template_components":[{"type":"BODY","text":"Sale"}],"account_phone_number":"+15550009999","template_status":"Rejected"}]
    """

@Suite struct TemplatesCommandTests {
    @Test func tableOnATerminal() async {
        let fake = FakeTransport(status: 200, json: templatesJSON)
        let r = await run(["templates", "list", "--status", "accepted"], tty: true, transport: fake)
        #expect(r.code == .success)
        let bold = { (text: String) in "\u{1B}[1m\(text)\u{1B}[0m" }
        #expect(
            r.stdout == bold("ID  ") + "  " + bold("NAME        ") + "  " + bold("STATUS  ") + "  " + bold("VARIABLES") + "\n"
                + "1001  order_update  \u{1B}[32mAccepted\u{1B}[0m  body 2\n"
                + "1005  promo\\x1B[2J  \u{1B}[31mRejected\u{1B}[0m  none\n")
        #expect(r.stderr == "")
        #expect(fake.requests.first?.url.absoluteString == "https://app.octopods.io/api/v1/whatsapp/templates?status=accepted")
    }

    @Test func plainTableWithNoColor() async {
        let r = await run(["templates", "list", "--no-color"], tty: true, transport: FakeTransport(status: 200, json: templatesJSON))
        #expect(
            r.stdout == """
                ID    NAME          STATUS    VARIABLES
                1001  order_update  Accepted  body 2
                1005  promo\\x1B[2J  Rejected  none

                """)
    }

    @Test func jsonWhenPiped() async {
        let r = await run(["templates", "list"], transport: FakeTransport(status: 200, json: templatesJSON))
        #expect(r.code == .success)
        let parsed = try? JSONValue.parse(r.stdout)
        // The API's list, template_id as a string (docs/output.md: one type per field).
        #expect(parsed == (try? JSONValue.parse(templatesJSON)).map(Vocabulary.normalizingIDs))
        #expect(r.stdout.contains(#""template_id":"1001""#))
        #expect(r.stdout.hasSuffix("}]\n"))
        #expect(!r.stdout.contains("\n "))  // compact off a terminal
        #expect(r.stdout.contains(#""template_name":"promo\u001b[2J""#))
    }

    @Test func ndjsonOneItemPerLine() async {
        let r = await run(["templates", "list", "-o", "ndjson"], transport: FakeTransport(status: 200, json: templatesJSON))
        #expect(r.stdout.split(separator: "\n").count == 2)
    }

    @Test func outputFromEnvironment() async {
        let r = await run(
            ["templates", "list"], environment: ["OCTOPODS_API_KEY": testKey, "OCTOPODS_OUTPUT": "table"],
            transport: FakeTransport(status: 200, json: "[]"))
        #expect(r.stdout == "")
        #expect(r.stderr == "No templates match.\n")
        let bad = await run(["templates", "list"], environment: ["OCTOPODS_API_KEY": testKey, "OCTOPODS_OUTPUT": "yaml"])
        #expect(bad.code == .usage)
        #expect(bad.stderr.hasPrefix("error: OCTOPODS_OUTPUT='yaml' is not one of: table, json, ndjson, csv\n"))
    }

    @Test func csvIsForHistoryOnly() async {
        let transport = FakeTransport(status: 200, json: "[]")
        let r = await run(["templates", "list", "-o", "csv"], transport: transport)
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: -o csv is for 'octopods history'; use table, json or ndjson here\n"))
        #expect(transport.requests.isEmpty)
    }

    @Test func vbmHasNoStatusFilter() async {
        let r = await run(["templates", "list", "--channel", "vbm", "--status", "accepted"])
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: --status applies to WhatsApp templates only"))
    }

    @Test func getShowsWhatEachSectionNeeds() async {
        let json = """
            {"template_id":1002,"template_name":"appointment_reminder","template_status":"Accepted","template_components":[
              {"type":"HEADER","format":"TEXT","text":"Reminder for {{1}}"},{"type":"BODY","text":"Hi {{1}}, see you {{2}}."},
              {"type":"FOOTER","text":"Reply STOP"},{"type":"BUTTONS","buttons":[{"type":"URL","text":"Track","url":"https://x.test/{{1}}"}]}]}
            """
        let r = await run(["templates", "get", "1002"], tty: true, transport: FakeTransport(status: 200, json: json))
        #expect(
            r.stdout == """
                appointment_reminder (1002)
                  Status:           Accepted

                HEADER (TEXT)
                  Reminder for {{1}}
                  needs: 1 variable (--header-var VALUE, in order)

                BODY
                  Hi {{1}}, see you {{2}}.
                  needs: 2 variables (--var 1=… --var 2=…)

                FOOTER
                  Reply STOP

                BUTTONS
                  [URL] Track → https://x.test/{{1}}
                  needs: 1 variable (--button-var VALUE, in order)

                Variables: header 1, body 2, buttons 1

                """)
    }
}

@Suite struct StatusAndMessagesTests {
    @Test func statusText() async {
        let fake = FakeTransport(
            status: 200,
            json: """
                {"request_id":"r","message_id":42,"status":"FAILED","phone_number":"+15551234567",
                 "failure_reason":{"code":"63003","description":"Channel could not find To address"},"sent_at":"2026-01-01T00:00:00Z"}
                """)
        let r = await run(["status", "42", "--channel", "sms"], tty: true, transport: fake)
        #expect(
            r.stdout == """
                Message 42: failed
                  Phone:         +15551234567
                  Failure:       63003: Channel could not find To address
                  Sent:          \(Vocabulary.localTime(iso: "2026-01-01T00:00:00Z") ?? "?")

                """)
        #expect(fake.requests.first?.url.path == "/api/v1/sms/messages/42")
    }

    @Test func messagesBothShapes() async {
        let wrapped = #"{"request_id":"r","messages":[{"message_id":1,"status":"delivered","phone_number":"+1555","sent_at":"t1"}]}"#
        let bare =
            #"[{"user_phone_number":"+1555","created_at":"t1","message_content":"x","message_status":{"channel_message_id":1,"message_status":"DELIVERED","failure_reason":""}}]"#
        for body in [wrapped, bare] {
            let r = await run(["messages", "list", "--limit", "5"], tty: true, transport: FakeTransport(status: 200, json: body))
            // FAILURE, empty in every row, is dropped at a terminal.
            #expect(
                r.stdout
                    == "MESSAGE ID  PHONE  STATUS     SENT\n1           +1555  \u{1B}[32mdelivered\u{1B}[0m  t1\n"
                    .replacingOccurrences(
                        of: "MESSAGE ID  PHONE  STATUS     SENT",
                        with: "\u{1B}[1mMESSAGE ID\u{1B}[0m  \u{1B}[1mPHONE\u{1B}[0m  \u{1B}[1mSTATUS   \u{1B}[0m  \u{1B}[1mSENT\u{1B}[0m"))
            let nd = await run(["messages", "list", "-o", "ndjson"], transport: FakeTransport(status: 200, json: body))
            #expect(nd.stdout.split(separator: "\n").count == 1)
            // Whatever the shape, the item has its status at the top, the id a string, the API's item under raw.
            let item = try? JSONValue.parse(String(nd.stdout.split(separator: "\n").first ?? ""))
            #expect(item?["status"] == "delivered" && item?["message_id"] == "1" && item?["phone_number"] == "+1555", "\(nd.stdout)")
            #expect(item?["raw"]?["message_status"] != nil || item?["raw"]?["status"] != nil)
        }
        let limit = await run(["messages", "list", "--limit", "101"])
        #expect(limit.code == .usage)
        #expect(limit.stderr.hasPrefix("error: invalid value for '--limit': 101 is out of range (1–100)\n"))
    }
}

@Suite struct FailureOutputTests {
    @Test func errorsGoToStderrWithJSONLine() async {
        let r = await run(["templates", "list"], transport: FakeTransport(status: 401, json: ""))
        #expect(r.code == .auth)
        #expect(r.stdout == "")
        #expect(
            r.stderr == """
                error: unauthorized: the WhatsApp API key was refused (401)
                hint: Check the key: OCTOPODS_WHATSAPP_API_KEY, or store it with: printf %s "$KEY" | octopods config set whatsapp_api_key
                {"error":{"kind":"auth","message":"unauthorized: the WhatsApp API key was refused (401)","error_code":null,"request_id":null,"retryable":false,"disposition":"not_sent","exit_code":3}}

                """)
    }

    @Test func tableModeHasNoJSONLine() async {
        let r = await run(["templates", "list"], tty: true, transport: FakeTransport(error: .cannotConnect("Couldn't connect to server")))
        #expect(r.code == .retryable)
        #expect(
            r.stderr == """
                error: could not connect to https://app.octopods.io: Couldn't connect to server
                hint: Check the network and the base URL (--base-url, OCTOPODS_BASE_URL).

                """)
    }

    @Test func missingKey() async {
        let r = await run(["messages", "list"], environment: [:], tty: true)
        #expect(r.code == .auth)
        #expect(r.stderr.hasPrefix("error: no WhatsApp API key: OCTOPODS_WHATSAPP_API_KEY is not set"))
    }

    @Test func unreadableSuccessBody() async {
        let r = await run(["messages", "list"], tty: true, transport: FakeTransport(status: 200, json: "{\"messages\": [1,"))
        #expect(r.code == .retryable)
        #expect(r.stderr.hasPrefix("error: the API answered 200 with a body that could not be read: not JSON"))
    }

    @Test func verboseTraceRedactsKeyEverywhere() async {
        let echo = FakeTransport { request in
            .success(
                HTTPResponse(
                    status: 400, headers: ["Content-Type": "application/json"],
                    body: Data(#"{"error_code":1,"error":"bad key \#(request.header("X-Octopods-Auth") ?? "")"}"#.utf8)))
        }
        let r = await run(["-v", "templates", "list"], transport: echo)
        #expect(r.stderr.contains("> GET https://app.octopods.io/api/v1/whatsapp/templates"))
        #expect(r.stderr.contains("> X-Octopods-Auth: [redacted]"))
        #expect(r.stderr.contains("< HTTP 400"))
        #expect(!r.stderr.contains(testKey))
        #expect(!r.stdout.contains(testKey))
    }

    @Test func usageErrorsExit2WithUsage() async {
        let r = await run(["templates", "lst"])
        #expect(r.code == .usage)
        #expect(
            r.stderr == """
                error: unknown command 'lst' for 'octopods templates'
                Did you mean 'list'?
                Usage: octopods templates <command> [options]
                Run 'octopods templates --help' for more information.

                """)
        let json = await run(["--json", "nope"])
        #expect(json.stderr.hasSuffix(#""retryable":false,"disposition":"not_sent","exit_code":2}}"# + "\n"))
    }

    @Test(arguments: [
        (["send", "sms", "--to", "+14155552671"], "octopods sms send"),
        (["list", "templates"], "octopods templates list"),
        (["get", "templates", "1001"], "octopods templates get"),
        (["send", "vbm"], "octopods vbm send"),
    ])
    func swappedNounAndVerbSuggestsTheCommand(_ argv: [String], _ command: String) async {
        let r = await run(argv)
        #expect(r.code == .usage)
        #expect(r.stderr.contains("Did you mean '\(command)'?"), "\(r.stderr)")
    }

    @Test func httpBaseURLRefused() async {
        let r = await run(["--base-url", "http://app.octopods.io", "templates", "list"])
        #expect(r.code == .usage)
        #expect(
            r.stderr.hasPrefix(
                "error: invalid base URL 'http://app.octopods.io' (from --base-url): plain http is allowed only for loopback hosts; use https\n"
            ))
        let env = await run(["templates", "list"], environment: ["OCTOPODS_API_KEY": testKey, "OCTOPODS_BASE_URL": "http://x.test"])
        #expect(env.code == .auth)
    }

    @Test func helpAndVersion() async {
        let v = await run(["--version"])
        #expect(v.stdout == "octopods \(Version.current)\n")
        #expect(v.code == .success)
        let h = await run(["templates", "--help"])
        #expect(h.code == .success)
        #expect(h.stdout.contains("COMMANDS\n  list"))
        let bare = await run([])
        #expect(bare.stdout.contains("USAGE\n  octopods <command> [options]"))
    }
}
