import Foundation
import Testing
import OctopodsSandbox

/// Sends through the real binary against the sandbox: what went over the wire is checked in
/// the sandbox's request log.
@Suite struct SendEndToEndTests {
    func body(_ request: SandboxLoggedRequest?) -> String {
        String(decoding: request?.body.encoded() ?? Data(), as: UTF8.self)
    }

    @Test func templateSendSuccess() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=Jane", "--var", "2=A-1042", "-o", "table"],
            environment: sandbox.environment)
        #expect(r.status == 0)
        // One line and the next step, not a one-row table.
        #expect(r.stdout.hasPrefix("Sent to +14155552671 — message "), "\(r.stdout)")
        #expect(r.stdout.contains("\nNext: octopods status ") && r.stdout.hasSuffix(" --wait\n"))
        #expect(sandbox.posts.count == 1)
        #expect(sandbox.posts.first?.path == "/api/v1/whatsapp/templates/1001/messages")
        #expect(sandbox.posts.first?.status == 201)
        let json = try await octopods(["send", "template", "1007", "--to", "+14155552671"], environment: sandbox.environment)
        #expect(json.status == 0)
        #expect(json.stdout.hasPrefix(#"{"channel_message_id":"wamid."#))
        #expect(body(sandbox.posts.last) == #"{"destination_phone":"+14155552671"}"#)
    }

    @Test(arguments: [
        (
            ["--var", "1=Jane", "--var", "2=A-1042"],
            #"{"destination_phone":"+14155552671","message_variables":{"body":["Jane","A-1042"],"buttons":[],"header":[]}}"#
        ),
        (
            ["--var", "1=Jane", "--var", "2=A-1042", "--variables-format", "array"],
            #"{"destination_phone":"+14155552671","message_variables":["Jane","A-1042"]}"#
        ),
        (
            ["--var", "1=Jane", "--var", "2=A-1042", "--variables-format", "keyed"],
            #"{"destination_phone":"+14155552671","message_variables":{"1":"Jane","2":"A-1042"}}"#
        ),
        (
            ["--variables", #"{"header":[],"body":["Jane","A-1042"],"footer":[],"buttons":[]}"#],
            #"{"destination_phone":"+14155552671","message_variables":{"body":["Jane","A-1042"],"buttons":[],"footer":[],"header":[]}}"#
        ),
    ])
    func eachVariablesFormatIsAccepted(_ flags: [String], _ expected: String) async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["send", "template", "1001", "--to", "+14155552671"] + flags, environment: sandbox.environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(body(sandbox.posts.first) == expected)  // as the sandbox logged it: keys sorted
    }

    @Test func everySectionAndMedia() async throws {
        let sandbox = try TestSandbox()
        let header = try await octopods(
            [
                "send", "template", "1002", "--to", "+14155552671", "--header-var", "Jane", "--var", "1=Jane",
                "--var", "2=Friday", "--var", "3=10:00", "--footer-var", "B-77",
            ], environment: sandbox.environment)
        #expect(header.status == 0, "\(header.stderr)")
        let image = try await octopods(
            [
                "send", "template", "1003", "--to", "+14155552671", "--header-url", "https://example.com/sale.jpg",
                "--var", "1=Jane", "--button-var", "SUMMER25",
            ], environment: sandbox.environment)
        #expect(image.status == 0, "\(image.stderr)")
        #expect(body(sandbox.posts.last).contains(#""header_attachment_url":"https://example.com/sale.jpg""#))
        let vbm = try await octopods(
            ["vbm", "send", "2001", "--to", "+14155552671", "--header-image", "https://example.com/b.jpg", "--var", "1=Alex"],
            environment: sandbox.environment)
        #expect(vbm.status == 0, "\(vbm.stderr)")
        #expect(
            body(sandbox.posts.last)
                == #"{"destination_phone":"+14155552671","header_image_url":"https://example.com/b.jpg","message_variables":{"body":["Alex"],"footer":[],"header":[]}}"#
        )
        #expect(sandbox.posts.allSatisfy { $0.status == 201 })
    }

    /// The matrix runs in process (`Way`); the first two cases (a flag's own check, one that
    /// needs the template) also through the binary.
    static let validationCases: [([String], String)] = [
        (
            ["send", "template", "1001", "--to", "+1 415 555 2671", "--var", "1=a", "--var", "2=b"],
            "error: --to '+1 415 555 2671' is not an E.164 phone number; did you mean +14155552671?"
        ),
        (
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a"],
            "error: template 1001 (order_update) needs 2 body variables; got 1 (--var)"
        ),
        (
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--var", "3=c"],
            "error: template 1001 (order_update) needs 2 body variables; got 3 (--var)"
        ),
        (
            ["send", "template", "1002", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--var", "3=c", "--footer-var", "x"],
            "error: template 1002 (appointment_reminder) needs 1 header variable; got 0 (--header-var)"
        ),
        (
            ["send", "template", "1003", "--to", "+14155552671", "--var", "1=a", "--button-var", "x"],
            "error: template 1003 (summer_sale) has an image header: give its public URL with --header-url URL"
        ),
        (
            ["send", "template", "1003", "--to", "+14155552671", "--header-url", "ftp://x/y.jpg", "--var", "1=a", "--button-var", "x"],
            "error: --header-url 'ftp://x/y.jpg' is not a valid http(s) URL"
        ),
        (
            ["send", "template", "1004", "--to", "+14155552671", "--var", "1=a", "--button-var", "a b"],
            "error: --button-var makes the button 'Track package' URL 'https://example.com/track/a b', which is not a valid URL"
        ),
        (
            ["send", "template", "1005", "--to", "+14155552671", "--var", "1=a"],
            "error: template 1005 (promo_blast) is Rejected; only accepted templates can be sent"
        ),
        (
            ["send", "template", "1008", "--to", "+14155552671", "--var", "1=a"],
            "error: template 1008 (legacy_newsletter) is inactive in Octopods; activate it before sending"
        ),
        (
            ["send", "template", "999999", "--to", "+14155552671"],
            "error: template 999999 does not exist for this WhatsApp key"
        ),
        (
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a\nb", "--var", "2=b"],
            "error: --var #1 contains a line break; template variables must be one line"
        ),
        (
            [
                "send", "template", "1002", "--to", "+14155552671", "--header-var", "H", "--var", "1=a", "--var", "2=b", "--var", "3=c",
                "--footer-var", "f", "--variables-format", "array",
            ],
            "error: --variables-format array carries body variables only, but template 1002 (appointment_reminder) also has header, footer or button placeholders"
        ),
        (
            ["send", "template", "1001", "--to", "+14155552671", "--variables", #"{"body":["a",2]}"#],
            "error: --variables: body[1] must be a string (send \"42\", not 42)"
        ),
        (
            ["vbm", "send", "2002", "--to", "+14155552671", "--var", "1=a"],
            "error: template 2002 (vbm_order_status) needs 2 body variables; got 1 (--var)"
        ),
    ]

    @Test(arguments: zip(validationCases, Way.firstThroughTheBinary(2, of: validationCases.count)))
    func validationNamesTheFieldAndSendsNothing(_ validation: (argv: [String], message: String), _ way: Way) async throws {
        let (argv, message) = validation
        let sandbox = try TestSandbox()
        let r = try await way.run(argv + ["-o", "table"], environment: sandbox.environment)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix(message + "\n"), "\(r.stderr)")
        #expect(sandbox.posts.isEmpty)
    }

    @Test func dryRunShowsTheRequestAndSendsNothing() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(
            [
                "send", "template", "1002", "--to", "+14155552671", "--header-var", "Jane", "--var", "1=Jane", "--var", "2=Friday",
                "--var", "3=10:00", "--footer-var", "B-77", "--dry-run", "-o", "table",
            ], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("POST \(sandbox.url)/api/v1/whatsapp/templates/1002/messages\nX-Octopods-Auth: [redacted]\n"))
        #expect(
            r.stdout.contains(
                "Preview (to +14155552671):\n  Reminder for Jane\n  Hello Jane, your appointment is on Friday at 10:00.\n  Booking ref B-77\n"
            ))
        #expect(sandbox.posts.isEmpty)
        let json = try await octopods(
            ["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--dry-run", "--json"],
            environment: sandbox.environment)
        #expect(json.stdout.hasPrefix(#"{"dry_run":true,"request":{"method":"POST","url":""#))
        #expect(json.stdout.contains(#""X-Octopods-Auth":"[redacted]""#))
    }

    @Test func waitReachesDeliveredFailedAndTimesOut() async throws {
        let sandbox = try TestSandbox(stageInterval: 0.4)
        let delivered = try await octopods(
            ["send", "template", "1007", "--to", "+14155552671", "--wait", "-o", "table"], environment: sandbox.environment)
        #expect(delivered.status == 0)
        #expect(delivered.stdout.contains("delivered") || delivered.stdout.contains(" read"))  // read is past delivered
        let read = try await octopods(
            ["send", "template", "1007", "--to", "+14155552671", "--wait", "--until", "read", "-o", "table"],
            environment: sandbox.environment)
        #expect(read.status == 0)
        #expect(read.stdout.contains(" read"))
        let failed = try await octopods(
            ["send", "template", "1007", "--to", "+15550100001", "--wait", "-o", "table"], environment: sandbox.environment)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("Recipient is not a WhatsApp user."))
        let timeout = try await octopods(
            ["send", "template", "1007", "--to", "+15550100005", "--wait", "--wait-timeout", "2s", "-o", "table"],
            environment: sandbox.environment)
        #expect(timeout.status == 6)
        #expect(timeout.stderr.contains("is still sent after 2s; gave up waiting (--wait-timeout)"))
    }

    /// Settings are resolved once per run: a `send template --wait` (the template check, the
    /// send, the status polls) opens its config file once, as strace sees it.
    @Test func aSendWithWaitOpensTheConfigFileOnce() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            Issue.record("strace is not installed (see .ci/run)")
            return
        }
        let sandbox = try TestSandbox(stageInterval: 0.1)
        let home = scratchDirectory()
        let config = home.appendingPathComponent("octopods.conf"), trace = home.appendingPathComponent("trace.txt")
        try Data("[default]\nwhatsapp_api_key = \(sandbox.environment["OCTOPODS_WHATSAPP_API_KEY"] ?? "")\n".utf8).write(to: config)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config.path)
        var environment = sandbox.environment
        environment["OCTOPODS_WHATSAPP_API_KEY"] = nil
        environment["OCTOPODS_CONFIG"] = config.path
        let result = try await runTool(
            "/usr/bin/strace",
            [
                "-f", "-e", "trace=open,openat", "-o", trace.path, octopodsBinary.path,
                "send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b",
                "--wait", "-o", "json",
            ],
            environment: octopodsEnvironment(environment, home: home))
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(#""status":"delivered""#) || result.output.contains(#""status":"read""#), "\(result.output)")
        let opens = try String(contentsOf: trace, encoding: .utf8).split(separator: "\n").filter { $0.contains("\"\(config.path)\"") }
        #expect(opens.count == 1, "\(opens)")
    }

    @Test func rateLimitedSendExits4() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["send", "template", "1007", "--to", "+15550100429", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 4)
        #expect(r.stderr.hasPrefix("error: rate limited until "))
    }

    @Test(arguments: [
        ("+15550100500", "error: the API failed with HTTP 500"),
        ("+15550100502", "error: the API failed with HTTP 502"),
        ("+15550100104", "error: connection to http://127.0.0.1"),
        ("+15550100408", "error: no response from http://127.0.0.1"),
    ])
    func ambiguousFailuresExit5AndAreNotRetried(_ phone: String, _ message: String) async throws {
        let sandbox = try TestSandbox(slowResponseDelay: 5)
        let r = try await octopods(
            ["--timeout", "1s", "send", "template", "1007", "--to", phone, "--max-wait", "10m", "-o", "table"],
            environment: sandbox.environment)
        #expect(r.status == 5)
        #expect(r.stderr.hasPrefix(message), "\(r.stderr)")
        #expect(r.stderr.contains("hint: The request may have been processed. Check 'octopods messages list'"))
        #expect(sandbox.posts.count == 1)
    }

    /// 201 means created (cli-contract amendment): an unreadable or empty 201 is an accepted send
    /// whose id is unknown, never "outcome unknown".
    @Test(arguments: [
        ("+15550100200", "warning: the API answered 201 Created with a body that could not be read: not JSON"),
        ("+15550100201", "warning: the API answered 201 Created with a body that could not be read: the body is empty"),
    ])
    func unreadableCreatedIsAccepted(_ phone: String, _ message: String) async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["send", "template", "1007", "--to", phone, "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stderr.hasPrefix(message), "\(r.stderr)")
        #expect(r.stderr.contains("did not return a message_id; find the message with 'octopods messages list'"))
        #expect(r.stdout == "Sent to \(phone) — the API returned no message id\n", "\(r.stdout)")
        #expect(sandbox.posts.count == 1)
    }

    @Test func statusWaitAndRender() async throws {
        let sandbox = try TestSandbox(stageInterval: 0.3)
        let id = try #require(
            sandbox.sendDirectly(
                path: "/api/v1/whatsapp/templates/1007/messages", key: SandboxKeys.whatsapp,
                body: #"{"destination_phone":"+14155552671"}"#))
        let r = try await octopods(["status", id, "--wait", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("Message \(id): delivered\n") || r.stdout.hasPrefix("Message \(id): read\n"))
        let render = try await octopods(
            ["templates", "render", "1001", "--var", "1=Jane", "--var", "2=A-1042", "-o", "table"],
            environment: sandbox.environment)
        #expect(render.status == 0)
        #expect(render.stdout == "Hi Jane, your order A-1042 has been updated.\n")
        #expect(sandbox.posts.count == 1)
    }
}

@Suite struct SMSAndInteractiveEndToEndTests {
    func body(_ request: SandboxLoggedRequest?) -> String {
        String(decoding: request?.body.encoded() ?? Data(), as: UTF8.self)
    }

    @Test func smsSendAndWait() async throws {
        let sandbox = try TestSandbox(stageInterval: 0.3)
        let r = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "Your code is 123456", "--wait", "-o", "table"],
            environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stdout.contains("delivered"))
        #expect(body(sandbox.posts.first) == #"{"body":"Your code is 123456","destination_phone":"+14155552671"}"#)
        let undelivered = try await octopods(
            ["sms", "send", "--to", "+15550100003", "--body", "x", "--wait", "-o", "table"],
            environment: sandbox.environment)
        #expect(undelivered.status == 1)
        #expect(undelivered.stdout.contains("undelivered"))
    }

    @Test func smsBodyFromStdinAndDryRunShowsSegments() async throws {
        let sandbox = try TestSandbox()
        let long = String(repeating: "a", count: 161)
        let r = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body-file", "-", "--dry-run", "-o", "table"],
            environment: sandbox.environment, stdin: long + "\n")
        #expect(r.status == 0)
        #expect(r.stdout.contains("SMS: GSM-7, 161 characters, 2 segments of up to 153\n"))
        #expect(r.stdout.contains(#""body": "\#(long)""#))
        let ucs = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "Café 😀", "--dry-run", "-o", "table"],
            environment: sandbox.environment)
        #expect(ucs.stdout.contains("SMS: UCS-2 (because of '😀' U+1F600 at character 6)"))
        #expect(sandbox.posts.isEmpty)
    }

    @Test(arguments: [
        (["--body", " \n "], "error: --body is only whitespace"),
        (["--body", String(repeating: "x", count: 1601)], "error: --body is 1,601 characters; an SMS may be at most 1,600"),
        ([String](), "error: give the message with --body TEXT or --body-file FILE (- for stdin)"),
        (["--body", "a", "--body-file", "f"], "error: --body and --body-file cannot be used together"),
    ])
    func smsValidation(_ flags: [String], _ prefix: String) async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["sms", "send", "--to", "+14155552671"] + flags, environment: sandbox.environment)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix(prefix), "\(r.stderr)")
        #expect(sandbox.posts.isEmpty)
    }

    @Test func interactiveButtonsAndList() async throws {
        let sandbox = try TestSandbox()
        let buttons = try await octopods(
            [
                "send", "interactive", "--to", "+14155552671", "--body", "Confirm?", "--button", "yes:Yes",
                "--button", "no:No",
            ], environment: sandbox.environment)
        #expect(buttons.status == 0, "\(buttons.stderr)")
        #expect(
            body(sandbox.posts.last)
                == #"{"destination_phone":"+14155552671","waba_interactive_message":{"action":{"buttons":[{"reply":{"id":"yes","title":"Yes"},"type":"reply"},{"reply":{"id":"no","title":"No"},"type":"reply"}]},"body":{"text":"Confirm?"},"type":"button"}}"#
        )
        let list = try await octopods(
            [
                "send", "interactive", "--to", "+14155552671", "--body", "Pick", "--list-button", "Slots",
                "--section", "Morning", "--row", "m9:9am:Early", "--section", "Afternoon", "--row", "a2:2pm",
            ],
            environment: sandbox.environment)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(
            body(sandbox.posts.last).contains(
                #""sections":[{"rows":[{"description":"Early","id":"m9","title":"9am"}],"title":"Morning"},{"rows":[{"id":"a2","title":"2pm"}],"title":"Afternoon"}]"#
            ))
        #expect(sandbox.posts.allSatisfy { $0.status == 201 })
    }

    @Test func interactiveFromFileAsStringifiedJSON() async throws {
        let sandbox = try TestSandbox()
        let payload = #"{"type":"button","body":{"text":"hi"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}}]}}"#
        let stringified = "\"" + payload.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        let r = try await octopods(
            ["send", "interactive", "--to", "+14155552671", "--file", "-"], environment: sandbox.environment,
            stdin: stringified)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(sandbox.posts.count == 1)
    }

    /// In process (`Way`), the first also through the binary.
    static let interactiveCases: [([String], String)] = [
        (
            ["--body", "x", "--button", "a:A", "--button", "b:B", "--button", "c:C", "--button", "d:D"],
            "error: --button is given 4 times; WhatsApp allows at most 3 reply buttons"
        ),
        (["--body", "x", "--button", "a:This title is far too long"], "error: --button #1 title"),
        (["--body", "x", "--button", "a:A", "--button", "a:B"], "error: "),
        (["--body", "x", "--list-button", "Go"] + (1...11).flatMap { ["--row", "r\($0):Row \($0)"] }, "error: "),
        (
            ["--body", "x", "--footer", String(repeating: "f", count: 61), "--button", "a:A"],
            "error: --footer is 61 characters; WhatsApp allows at most 60"
        ),
        (["--body", "x", "--header-image", "not a url", "--button", "a:A"], "error: "),
        (["--file", "x.json", "--body", "y"], "error: --file gives the whole payload; it cannot be combined with --body"),
    ]

    @Test(arguments: zip(interactiveCases, Way.firstThroughTheBinary(1, of: interactiveCases.count)))
    func interactiveValidation(_ validation: (flags: [String], prefix: String), _ way: Way) async throws {
        let (flags, prefix) = validation
        let sandbox = try TestSandbox()
        let r = try await way.run(["send", "interactive", "--to", "+14155552671"] + flags, environment: sandbox.environment)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix(prefix), "\(r.stderr)")
        #expect(sandbox.posts.isEmpty)
    }

    @Test func interactiveOutsideTheWindowAndNotOptedIn() async throws {
        let sandbox = try TestSandbox()
        let closed = try await octopods(
            ["send", "interactive", "--to", "+15550100002", "--body", "x", "--button", "a:A", "-o", "table"],
            environment: sandbox.environment)
        #expect(closed.status == 1)
        #expect(closed.stderr.contains("hint: WhatsApp accepts free-form messages only within 24 hours"))
        var env = sandbox.environment
        env["OCTOPODS_WHATSAPP_API_KEY"] = SandboxKeys.whatsappNoInteractive
        let forbidden = try await octopods(
            ["send", "interactive", "--to", "+14155552671", "--body", "x", "--button", "a:A"], environment: env)
        #expect(forbidden.status == 3)
    }
}
