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
        let r = try await octopods(["send", "template", "1001", "--to", "+14155552671", "--var", "1=Jane", "--var", "2=A-1042", "-o", "table"],
                             environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("MESSAGE ID  PHONE         STATUS\n"))
        #expect(r.stdout.contains("+14155552671  accepted"))
        #expect(sandbox.posts.count == 1)
        #expect(sandbox.posts.first?.path == "/api/v1/whatsapp/templates/1001/messages")
        #expect(sandbox.posts.first?.status == 201)
        let json = try await octopods(["send", "template", "1007", "--to", "+14155552671"], environment: sandbox.environment)
        #expect(json.status == 0)
        #expect(json.stdout.hasPrefix(#"{"channel_message_id":"wamid."#))
        #expect(body(sandbox.posts.last) == #"{"destination_phone":"+14155552671"}"#)
    }

    @Test(arguments: [
        (["--var", "1=Jane", "--var", "2=A-1042"], #"{"destination_phone":"+14155552671","message_variables":{"body":["Jane","A-1042"],"buttons":[],"header":[]}}"#),
        (["--var", "1=Jane", "--var", "2=A-1042", "--variables-format", "array"], #"{"destination_phone":"+14155552671","message_variables":["Jane","A-1042"]}"#),
        (["--var", "1=Jane", "--var", "2=A-1042", "--variables-format", "keyed"], #"{"destination_phone":"+14155552671","message_variables":{"1":"Jane","2":"A-1042"}}"#),
        (["--variables", #"{"header":[],"body":["Jane","A-1042"],"footer":[],"buttons":[]}"#],
         #"{"destination_phone":"+14155552671","message_variables":{"body":["Jane","A-1042"],"buttons":[],"footer":[],"header":[]}}"#),
    ])
    func eachVariablesFormatIsAccepted(_ flags: [String], _ expected: String) async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["send", "template", "1001", "--to", "+14155552671"] + flags, environment: sandbox.environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(body(sandbox.posts.first) == expected)  // as the sandbox logged it: keys sorted
    }

    @Test func everySectionAndMedia() async throws {
        let sandbox = try TestSandbox()
        let header = try await octopods(["send", "template", "1002", "--to", "+14155552671", "--header-var", "Jane", "--var", "1=Jane",
                                   "--var", "2=Friday", "--var", "3=10:00", "--footer-var", "B-77"], environment: sandbox.environment)
        #expect(header.status == 0, "\(header.stderr)")
        let image = try await octopods(["send", "template", "1003", "--to", "+14155552671", "--header-url", "https://example.com/sale.jpg",
                                  "--var", "1=Jane", "--button-var", "SUMMER25"], environment: sandbox.environment)
        #expect(image.status == 0, "\(image.stderr)")
        #expect(body(sandbox.posts.last).contains(#""header_attachment_url":"https://example.com/sale.jpg""#))
        let vbm = try await octopods(["vbm", "send", "2001", "--to", "+14155552671", "--header-image", "https://example.com/b.jpg", "--var", "1=Alex"],
                               environment: sandbox.environment)
        #expect(vbm.status == 0, "\(vbm.stderr)")
        #expect(body(sandbox.posts.last) ==
            #"{"destination_phone":"+14155552671","header_image_url":"https://example.com/b.jpg","message_variables":{"body":["Alex"],"footer":[],"header":[]}}"#)
        #expect(sandbox.posts.allSatisfy { $0.status == 201 })
    }

    @Test(arguments: [
        (["send", "template", "1001", "--to", "+1 415 555 2671", "--var", "1=a", "--var", "2=b"],
         "error: --to '+1 415 555 2671' is not an E.164 phone number; did you mean +14155552671?"),
        (["send", "template", "1001", "--to", "+14155552671", "--var", "1=a"],
         "error: template 1001 (order_update) needs 2 body variables; got 1 (--var)"),
        (["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--var", "3=c"],
         "error: template 1001 (order_update) needs 2 body variables; got 3 (--var)"),
        (["send", "template", "1002", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--var", "3=c", "--footer-var", "x"],
         "error: template 1002 (appointment_reminder) needs 1 header variable; got 0 (--header-var)"),
        (["send", "template", "1003", "--to", "+14155552671", "--var", "1=a", "--button-var", "x"],
         "error: template 1003 (summer_sale) has an image header: give its public URL with --header-url URL"),
        (["send", "template", "1003", "--to", "+14155552671", "--header-url", "ftp://x/y.jpg", "--var", "1=a", "--button-var", "x"],
         "error: --header-url 'ftp://x/y.jpg' is not a valid http(s) URL"),
        (["send", "template", "1004", "--to", "+14155552671", "--var", "1=a", "--button-var", "a b"],
         "error: --button-var makes the button 'Track package' URL 'https://example.com/track/a b', which is not a valid URL"),
        (["send", "template", "1005", "--to", "+14155552671", "--var", "1=a"],
         "error: template 1005 (promo_blast) is Rejected; only accepted templates can be sent"),
        (["send", "template", "1008", "--to", "+14155552671", "--var", "1=a"],
         "error: template 1008 (legacy_newsletter) is inactive in Octopods; activate it before sending"),
        (["send", "template", "999999", "--to", "+14155552671"],
         "error: template 999999 does not exist for this WhatsApp key"),
        (["send", "template", "1001", "--to", "+14155552671", "--var", "1=a\nb", "--var", "2=b"],
         "error: --var #1 contains a line break; template variables must be one line"),
        (["send", "template", "1002", "--to", "+14155552671", "--header-var", "H", "--var", "1=a", "--var", "2=b", "--var", "3=c", "--footer-var", "f", "--variables-format", "array"],
         "error: --variables-format array carries body variables only, but template 1002 (appointment_reminder) also has header, footer or button placeholders"),
        (["send", "template", "1001", "--to", "+14155552671", "--variables", #"{"body":["a",2]}"#],
         "error: --variables: body[1] must be a string (send \"42\", not 42)"),
        (["vbm", "send", "2002", "--to", "+14155552671", "--var", "1=a"],
         "error: template 2002 (vbm_order_status) needs 2 body variables; got 1 (--var)"),
    ])
    func validationNamesTheFieldAndSendsNothing(_ argv: [String], _ message: String) async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(argv + ["-o", "table"], environment: sandbox.environment)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix(message + "\n"), "\(r.stderr)")
        #expect(sandbox.posts.isEmpty)
    }

    @Test func dryRunShowsTheRequestAndSendsNothing() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["send", "template", "1002", "--to", "+14155552671", "--header-var", "Jane", "--var", "1=Jane", "--var", "2=Friday",
                              "--var", "3=10:00", "--footer-var", "B-77", "--dry-run", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("POST \(sandbox.url)/api/v1/whatsapp/templates/1002/messages\nX-Octopods-Auth: [redacted]\n"))
        #expect(r.stdout.contains("Preview (to +14155552671):\n  Reminder for Jane\n  Hello Jane, your appointment is on Friday at 10:00.\n  Booking ref B-77\n"))
        #expect(sandbox.posts.isEmpty)
        let json = try await octopods(["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b", "--dry-run", "--json"],
                                environment: sandbox.environment)
        #expect(json.stdout.hasPrefix(#"{"dry_run":true,"request":{"method":"POST","url":""#))
        #expect(json.stdout.contains(#""X-Octopods-Auth":"[redacted]""#))
    }

    @Test func waitReachesDeliveredFailedAndTimesOut() async throws {
        let sandbox = try TestSandbox(stageInterval: 0.4)
        let delivered = try await octopods(["send", "template", "1007", "--to", "+14155552671", "--wait", "-o", "table"], environment: sandbox.environment)
        #expect(delivered.status == 0)
        #expect(delivered.stdout.contains("delivered") || delivered.stdout.contains(" read"))  // read is past delivered
        let read = try await octopods(["send", "template", "1007", "--to", "+14155552671", "--wait", "--until", "read", "-o", "table"], environment: sandbox.environment)
        #expect(read.status == 0)
        #expect(read.stdout.contains(" read"))
        let failed = try await octopods(["send", "template", "1007", "--to", "+15550100001", "--wait", "-o", "table"], environment: sandbox.environment)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("Recipient is not a WhatsApp user."))
        let timeout = try await octopods(["--timeout", "2s", "send", "template", "1007", "--to", "+15550100005", "--wait", "-o", "table"],
                                   environment: sandbox.environment)
        #expect(timeout.status == 6)
        #expect(timeout.stderr.contains("is still sent after 2s; gave up waiting (--timeout)"))
    }

    @Test func rateLimitedSendExits4() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["send", "template", "1007", "--to", "+15550100429", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 4)
        #expect(r.stderr.hasPrefix("error: rate limited until "))
    }

    @Test(arguments: [("+15550100500", "error: the API failed with HTTP 500"),
                      ("+15550100502", "error: the API failed with HTTP 502"),
                      ("+15550100200", "error: the API answered 201 with a body that could not be read"),
                      ("+15550100201", "error: the API answered 201 with a body that could not be read: the body is empty"),
                      ("+15550100104", "error: connection to http://127.0.0.1"),
                      ("+15550100408", "error: no response from http://127.0.0.1")])
    func ambiguousFailuresExit5AndAreNotRetried(_ phone: String, _ message: String) async throws {
        let sandbox = try TestSandbox(slowResponseDelay: 5)
        let r = try await octopods(["--timeout", "1s", "send", "template", "1007", "--to", phone, "--max-wait", "10m", "-o", "table"],
                             environment: sandbox.environment)
        #expect(r.status == 5)
        #expect(r.stderr.hasPrefix(message), "\(r.stderr)")
        #expect(r.stderr.contains("hint: The request may have been processed. Check 'octopods messages list'"))
        #expect(sandbox.posts.count == 1)
    }

    @Test func statusWaitAndRender() async throws {
        let sandbox = try TestSandbox(stageInterval: 0.3)
        let id = try #require(sandbox.sendDirectly(path: "/api/v1/whatsapp/templates/1007/messages", key: SandboxKeys.whatsapp,
                                                   body: #"{"destination_phone":"+14155552671"}"#))
        let r = try await octopods(["status", id, "--wait", "-o", "table"], environment: sandbox.environment)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("Message \(id): delivered\n") || r.stdout.hasPrefix("Message \(id): read\n"))
        let render = try await octopods(["templates", "render", "1001", "--var", "1=Jane", "--var", "2=A-1042", "-o", "table"],
                                  environment: sandbox.environment)
        #expect(render.status == 0)
        #expect(render.stdout == "Hi Jane, your order A-1042 has been updated.\n")
        #expect(sandbox.posts.count == 1)
    }
}
