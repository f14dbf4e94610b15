import Foundation
import Testing
import OctopodsSandbox

/// The key stays secret and hostile API text stays inert, through the real binary. (Every run
/// through `octopods(...)` also asserts that no output contains a key.)
@Suite struct SecretsAndTerminalTests {
    static let key = "not-a-real-key-but-secret-0001"
    static let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{1B}[31mred\u{202E}txt\u{9B}"

    /// Raw control characters a terminal would act on (newlines and tabs aside).
    static func unsafe(_ text: String) -> Bool {
        text.unicodeScalars.contains { s in
            (s.value < 0x20 && s != "\n" && s != "\t" && s != "\r") || (0x7F...0x9F).contains(s.value) || s.value == 0x202E
        }
    }

    @Test func aServerEchoingTheKeyBackNeverGetsItPrinted() async throws {
        let echo = try Counting { request in
            let key = request.header("X-Octopods-Auth") ?? ""
            return SandboxResponse(
                status: 400, headers: [HTTPField("Content-Type", "application/json"), HTTPField("X-Echo", key)],
                body: Data(#"{"error": "key \#(key) is not valid for \#(key)", "error_code": 1, "request_id": "\#(key)"}"#.utf8))
        }
        defer { echo.stop() }
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(echo.server.port)", "OCTOPODS_API_KEY": Self.key]
        for arguments in [
            ["templates", "list", "--verbose"], ["sms", "send", "--to", "+14155552671", "--body", "x", "--verbose", "-o", "json"],
            ["status", "1", "--verbose", "-o", "ndjson"],
        ] {
            let r = try await octopods(arguments, environment: environment)  // asserts the key is in neither stream
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.contains("[redacted]"), "\(r.stderr)")
        }
        let dry = try await octopods(
            ["sms", "send", "--to", "+14155552671", "--body", "x", "--dry-run", "-o", "table"], environment: environment)
        #expect(dry.stdout.contains("X-Octopods-Auth: [redacted]"))
        #expect(echo.requests == 3, "a dry run sends nothing")
    }

    @Test func theKeyIsNeverInTheProcessArguments() async throws {
        let slow = try Counting { _ in SandboxResponse(status: 200, body: Data("[]".utf8), fault: .delay(120)) }
        defer { slow.stop() }
        let errors = Pipe()
        let process = try startOctopods(
            ["templates", "list", "--timeout", "300s"],
            environment: ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(slow.server.port)", "OCTOPODS_API_KEY": Self.key],
            home: scratchDirectory(), stderr: errors)
        defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
        // Until the request arrives, however slow the machine; the limit is only a hang guard.
        for _ in 0..<1_200 where slow.requests == 0 && process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(slow.requests == 1, "the request is in flight")
        guard process.isRunning else {
            process.waitUntilExit()
            let text = String(decoding: readToEnd(errors.fileHandleForReading), as: UTF8.self)
            Issue.record("octopods ended early (\(process.terminationStatus)): \(text)")
            return
        }
        let cmdline =
            try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(process.processIdentifier)/cmdline")).readToEnd() ?? Data()
        let shown = String(decoding: cmdline, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
        #expect(shown.contains("templates list"))
        #expect(!shown.contains(Self.key), "what ps shows: \(shown)")
    }

    @Test func hostileAPITextIsNeutralisedInTablesErrorsAndJSON() async throws {
        let hostile = Self.hostile
        let api = try Counting { request in
            let json = [HTTPField("Content-Type", "application/json")]
            let text = hostile.unicodeScalars.map { $0.value < 0x80 && $0.value >= 0x20 ? String($0) : String(format: "\\u%04x", $0.value) }
                .joined()
            if request.target.hasPrefix("/api/v1/whatsapp/templates") {
                return SandboxResponse(
                    status: 200, headers: json,
                    body: Data(
                        #"""
                        [{"template_id": 1001, "template_name": "\#(text)", "template_status": "Accepted\#(text)", "language": "en",
                          "template_body": "Hi \#(text)", "template_components": [], "active": true}]
                        """#.utf8))
            }
            return SandboxResponse(
                status: 400, headers: json, body: Data(#"{"error": "\#(text)", "error_code": 5, "request_id": "\#(text)"}"#.utf8))
        }
        defer { api.stop() }
        let environment = ["OCTOPODS_BASE_URL": "http://127.0.0.1:\(api.server.port)", "OCTOPODS_API_KEY": Self.key]
        for arguments in [
            ["templates", "list", "-o", "table"], ["templates", "list", "-o", "json"], ["templates", "list", "-o", "ndjson"],
            ["templates", "get", "1001", "-o", "table"], ["templates", "list", "--verbose", "-o", "table"],
            ["sms", "send", "--to", "+14155552671", "--body", "x", "-o", "table"],
            ["sms", "send", "--to", "+14155552671", "--body", "x", "-o", "json"], ["history", "-o", "table"],
        ] {
            let r = try await octopods(arguments, environment: environment)
            #expect(!Self.unsafe(r.stdout), "\(arguments) stdout: \(r.stdout.debugDescription)")
            #expect(!Self.unsafe(r.stderr), "\(arguments) stderr: \(r.stderr.debugDescription)")
            #expect(
                r.stdout.contains("pwned") || r.stderr.contains("pwned") || arguments.first == "history",
                "\(arguments): the text is shown, made inert")
        }
    }
}
