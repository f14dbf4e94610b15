import Foundation
import Testing
import OctopodsSandbox

/// `octopods api` through the real binary against the sandbox: what went over the wire is
/// checked in the sandbox's request log, what came back on stdout, and the exit codes.
@Suite struct APICommandEndToEndTests {
    func body(_ request: SandboxLoggedRequest?) -> String {
        String(decoding: request?.body.encoded() ?? Data(), as: UTF8.self)
    }

    @Test func getPrintsTheBodyAsSent() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(["api", "whatsapp/templates"], environment: sandbox.environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("[{") && r.stdout.contains(#""template_name":"order_update""#), "piped: as the API sent it, compact")
        let logged = sandbox.api.recordedRequests()
        #expect(logged.count == 1)
        #expect(logged.first?.method == "GET" && logged.first?.path == "/api/v1/whatsapp/templates")
        #expect(logged.first?.key == SandboxKeys.whatsapp)
        // A leading /api/v1 and a query in PATH; -X GET with fields puts them in the query; -i the headers.
        let q = try await octopods(
            ["api", "/api/v1/whatsapp/templates?limit=3", "-X", "get", "-f", "x=1", "-i"], environment: sandbox.environment)
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.hasPrefix("HTTP 200\n"))
        #expect(q.stdout.contains("content-type: application/json"))
        #expect(sandbox.api.recordedRequests().last?.query == ["limit": "3", "x": "1"])
    }

    @Test func postWithEachBodyForm() async throws {
        let sandbox = try TestSandbox()
        let env = sandbox.environment
        // -f: strings; POST by default when there is a body.
        let f = try await octopods(["api", "sms/messages", "-f", "destination_phone=+14155552671", "-f", "body=Hello"], environment: env)
        #expect(f.status == 0, "\(f.stderr)")
        #expect(f.stdout.contains("message_id"))
        #expect(sandbox.posts.count == 1)
        #expect(sandbox.posts.last?.key == SandboxKeys.sms)
        #expect(body(sandbox.posts.last) == #"{"body":"Hello","destination_phone":"+14155552671"}"#)
        // -F: typed values, JSON objects, and @file.
        let dir = scratchDirectory()
        let file = dir.appendingPathComponent("name.txt")
        try Data("Jane".utf8).write(to: file)
        let typed = try await octopods(
            [
                "api", "whatsapp/templates/1001/messages", "-F", "destination_phone=+14155552671",
                "-F", #"message_variables={"body":["J","A-1"],"header":[],"buttons":[]}"#,
                "-F", "note=@\(file.path)", "-F", "flag=true",
            ], environment: env)
        #expect(typed.status == 0, "\(typed.stderr)")
        #expect(
            body(sandbox.posts.last)
                == #"{"destination_phone":"+14155552671","flag":true,"message_variables":{"body":["J","A-1"],"buttons":[],"header":[]},"note":"Jane"}"#
        )
        // --input FILE and --input - (stdin), sent as they are.
        let request = dir.appendingPathComponent("request.json")
        try Data(#"{"destination_phone":"+14155552671","body":"from a file"}"#.utf8).write(to: request)
        let input = try await octopods(["api", "sms/messages", "--input", request.path], environment: env)
        #expect(input.status == 0, "\(input.stderr)")
        #expect(body(sandbox.posts.last) == #"{"body":"from a file","destination_phone":"+14155552671"}"#)
        let stdin = try await octopods(
            ["api", "sms/messages", "--input", "-"], environment: env,
            stdin: #"{"destination_phone":"+14155552671","body":"from stdin"}"#)
        #expect(stdin.status == 0, "\(stdin.stderr)")
        #expect(body(sandbox.posts.last) == #"{"body":"from stdin","destination_phone":"+14155552671"}"#)
        #expect(sandbox.posts.count == 4)
        // Not recorded in the history.
        let history = try await octopods(["history", "--json"], environment: env)
        #expect(history.stdout == "[]\n", "\(history.stdout)")
    }

    @Test func apiErrorExits1WithTheBodyOnStdout() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(
            ["api", "sms/messages", "-f", "destination_phone=12345", "-f", "body=x"], environment: sandbox.environment)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("error: the API rejected the request (HTTP 400)"))
        #expect(r.stderr.contains("PHONE_INVALID"))
        #expect(r.stdout.contains("error_code"))
    }

    @Test func failureAfterSendingIs5NeverRetried() async throws {
        let sandbox = try TestSandbox(slowResponseDelay: 3)
        let r = try await octopods(
            ["api", "sms/messages", "-f", "destination_phone=+15550100500", "-f", "body=x"], environment: sandbox.environment)
        #expect(r.status == 5, "\(r.stderr)")
        #expect(r.stderr.contains("may have been processed"))
        let reset = try await octopods(
            ["api", "sms/messages", "-f", "destination_phone=+15550100104", "-f", "body=x"], environment: sandbox.environment)
        #expect(reset.status == 5, "\(reset.stderr)")
        #expect(sandbox.posts.count == 2, "each POST went out once")
        // The same fault on a GET is safe to retry: 4.
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let get = try await octopods(
            ["api", "sms/messages/1", "--timeout", "1s", "--base-url", "http://127.0.0.1:\(refusing.port)"],
            environment: sandbox.environment)
        #expect(get.status == 4, "\(get.stderr)")
    }

    @Test func dryRunSendsNothingAndRedactsTheKey() async throws {
        let sandbox = try TestSandbox()
        let r = try await octopods(
            [
                "api", "sms/messages", "-f", "destination_phone=+14155552671", "-f", "body=Hi", "-H", "X-Trace: 1",
                "--dry-run", "-o", "table",
            ], environment: sandbox.environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("POST \(sandbox.url)/api/v1/sms/messages\n"))
        #expect(r.stdout.contains("X-Octopods-Auth: [redacted]"))
        #expect(r.stdout.contains("X-Trace: 1"))
        #expect(r.stdout.contains(#""body": "Hi""#))
        #expect(sandbox.api.recordedRequests().isEmpty)
        let json = try await octopods(["api", "whatsapp/templates", "--dry-run"], environment: sandbox.environment)
        #expect(json.stdout.hasPrefix(#"{"dry_run":true,"request":{"method":"GET""#))
        // -v traces with the key redacted (the key check is in octopods(...)).
        let verbose = try await octopods(["api", "whatsapp/templates", "-v"], environment: sandbox.environment)
        #expect(verbose.stderr.contains("> X-Octopods-Auth: [redacted]"))
    }

    /// In process (`Way`), the first also through the binary.
    static let usageCases: [([String], String)] = [
        (["api", "telegram/interactive"], "--channel"),
        (["api", "https://evil.example/api/v1/sms/messages"], "not a URL"),
        (["api", "sms/../../etc"], "'..'"),
        (["api", "sms/messages", "-H", "X-Octopods-Auth: abc"], "never given on the command line"),
        (["api", "sms/messages", "-H", "Bad Header"], "NAME: VALUE"),
        (["api", "sms/messages", "-f", "novalue"], "KEY=VALUE"),
        (["api", "sms/messages", "-X", "P0ST"], "not an HTTP method"),
    ]

    @Test(arguments: zip(usageCases, Way.firstThroughTheBinary(1, of: usageCases.count)))
    func usageErrors(_ usage: (arguments: [String], says: String), _ way: Way) async throws {
        let (arguments, says) = usage
        let sandbox = try TestSandbox()
        let r = try await way.run(arguments, environment: sandbox.environment)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(says), "\(r.stderr)")
        #expect(sandbox.api.recordedRequests().isEmpty)
    }
}
