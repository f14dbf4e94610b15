import Foundation
import Testing
import TestSupport
import CLISupport
import OctopodsSandbox

/// Prompting for what a send leaves out, driven through a pseudo-terminal: Python's `pty`
/// module runs the binary on one and plays the keys, each only after the text it answers has
/// appeared (no sleeps), then reports the exit status, everything shown, and whether the
/// terminal was back in its normal mode at the end.
@Suite struct PromptEndToEndTests {
    struct Transcript: Sendable {
        var ok: Bool
        var status: Int
        var output: String
        var canonical: Bool
        /// Whether the terminal echoes typed keys at the end (a hidden prompt turns echo off).
        var echo: Bool
    }

    enum Step {
        case expect(String)
        case send(String)
        case signal(Int32)
    }

    static let driver = #"""
        import os, pty, sys, json, select, time, termios
        spec = json.loads(sys.stdin.read())
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.clear(); os.environ.update(spec["env"])
            os.execv(spec["argv"][0], spec["argv"])
        out = b""
        seen = 0
        def read_until(text, limit=60.0):
            global out, seen
            deadline = time.time() + limit
            while True:
                at = out.find(text.encode(), seen)
                if at >= 0:
                    seen = at + len(text.encode())
                    return True
                left = deadline - time.time()
                if left <= 0: return False
                r, _, _ = select.select([fd], [], [], left)
                if not r: continue
                try: chunk = os.read(fd, 4096)
                except OSError: return False
                if not chunk: return False
                out += chunk
        ok = True
        for step in spec["steps"]:
            if "expect" in step and not read_until(step["expect"]): ok = False; break
            if "send" in step: os.write(fd, step["send"].encode())
            if "signal" in step: os.kill(pid, step["signal"])
        if not ok:
            os.kill(pid, 9)  # an expected prompt never came: report what was shown, do not wait
        canonical = None
        while True:
            try:
                r, _, _ = select.select([fd], [], [], 60)
                if not r: break
                chunk = os.read(fd, 4096)
                if not chunk: break
                out += chunk
            except OSError: break
        try: canonical, echo = bool(termios.tcgetattr(fd)[3] & termios.ICANON), bool(termios.tcgetattr(fd)[3] & termios.ECHO)
        except termios.error: canonical, echo = None, None
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"ok": ok, "status": os.waitstatus_to_exitcode(status), "output": out.decode("utf-8", "replace"), "canonical": canonical, "echo": echo}))
        """#

    func drive(_ arguments: [String], environment: [String: String], steps: [Step]) async throws -> Transcript {
        var env = [
            "PATH": "/usr/bin:/bin", "HOME": scratchDirectory().path, "TERM": "xterm", "NO_PROXY": "127.0.0.1,localhost",
            "SWIFT_BACKTRACE": "enable=no",
        ]
        env.merge(environment) { _, new in new }
        let stepsJSON: [JSONValue] = steps.map {
            switch $0 {
            case .expect(let text): return ["expect": .string(text)]
            case .send(let keys): return ["send": .string(keys)]
            case .signal(let n): return ["signal": .int(Int(n))]
            }
        }
        let spec: JSONValue = [
            "argv": .array(([octopodsBinary.path] + arguments).map(JSONValue.string)),
            "env": .object(env.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }),
            "steps": .array(stepsJSON),
        ]
        let driver = Self.driver
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        try spawnAndWait(
                            "/usr/bin/python3", ["-c", driver], environment: ["PATH": "/usr/bin:/bin"],
                            input: Data(spec.serialized().utf8), timeout: 120
                        ).stdout
                    })
            }
        }
        let json = try JSONValue.parse(data)
        let transcript = Transcript(
            ok: json["ok"]?.boolValue ?? false, status: json["status"]?.intValue ?? -1,
            output: json["output"]?.stringValue ?? "", canonical: json["canonical"]?.boolValue ?? false,
            echo: json["echo"]?.boolValue ?? false)
        for key in secretKeys { #expect(!transcript.output.contains(key), "the terminal shows a key") }
        return transcript
    }

    func body(_ request: SandboxLoggedRequest?) -> String {
        String(decoding: request?.body.encoded() ?? Data(), as: UTF8.self)
    }

    @Test func pickFilterFillConfirmSendsOnce() async throws {
        let sandbox = try TestSandbox()
        let t = try await drive(
            ["send", "template", "-o", "json"], environment: sandbox.environment,
            steps: [
                .expect("Filter: "), .send("pedido"), .expect("> 1006"),
                // ↑/↓ stay on the only match; a rejected template is never selectable.
                .send("\u{1B}[A\u{1B}[B"), .send("\r"),
                .expect("Body {{1}}"), .send("Jane\r"),
                .expect("Olá Jane, seu pedido … foi enviado."), .expect("Body {{2}}"), .send("A-1042\r"),
                .expect("To (E.164"), .send("+1415555"), .expect("✗"), .send("2671"), .expect("✓"), .send("\r"),
                .expect("octopods send template 1006 --to +14155552671 --var 1=Jane --var 2=A-1042"),
                .expect("Send it? [y/N]"), .send("y"),
            ])
        #expect(t.ok && t.status == 0, "\(t.output)")
        #expect(t.output.contains("Olá Jane, seu pedido A-1042 foi enviado."))
        #expect(t.output.contains(#""message_id": "100001""#))
        #expect(sandbox.posts.count == 1)
        #expect(sandbox.posts.first?.path == "/api/v1/whatsapp/templates/1006/messages")
        #expect(
            body(sandbox.posts.first)
                == #"{"destination_phone":"+14155552671","message_variables":{"body":["Jane","A-1042"],"buttons":[],"header":[]}}"#)
        #expect(t.canonical, "the terminal is back in its normal mode")
    }

    /// Viber templates carry no review state (the API lists accepted ones only): they can be
    /// picked, as they can be sent.
    @Test func aViberTemplateCanBePicked() async throws {
        let sandbox = try TestSandbox()
        let t = try await drive(
            ["vbm", "send", "--to", "+14155552671", "-o", "json"], environment: sandbox.environment,
            steps: [
                .expect("Filter: "), .send("order"), .expect("> 2002"), .send("\r"),
                .expect("Body {{1}}"), .send("A-1042\r"), .expect("Body {{2}}"), .send("shipped\r"),
                .expect("Send it? [y/N]"), .send("y"),
            ])
        #expect(t.ok && t.status == 0, "\(t.output)")
        #expect(sandbox.posts.count == 1)
        #expect(sandbox.posts.first?.path.contains("2002") == true, "\(sandbox.posts.first?.path ?? "")")
    }

    @Test(arguments: ["\u{1B}", "\u{03}"])
    func escapeOrCtrlCSendsNothing(_ key: String) async throws {
        let sandbox = try TestSandbox()
        let t = try await drive(
            ["send", "template", "1001"], environment: sandbox.environment,
            steps: [
                .expect("Body {{1}}"), .send("Jane\r"), .expect("Body {{2}}"), .send(key),
            ])
        #expect(t.ok && t.status == 130, "\(t.output)")
        #expect(t.output.contains("Cancelled; nothing was sent."))
        // One line: not followed by "error: interrupted".
        #expect(t.output.components(separatedBy: "Cancelled").count == 2 && !t.output.contains("interrupted"), "\(t.output)")
        #expect(sandbox.posts.isEmpty)
        #expect(t.canonical)
    }

    @Test func aSignalRestoresTheTerminal() async throws {
        let sandbox = try TestSandbox()
        let t = try await drive(
            ["send", "template", "1001", "--to", "+14155552671"], environment: sandbox.environment,
            steps: [
                .expect("Body {{1}}"), .signal(SIGTERM),
            ])
        #expect(t.status == 130 || t.status == 143, "\(t.status) \(t.output)")
        #expect(sandbox.posts.isEmpty)
        #expect(t.canonical, "raw mode undone on SIGTERM")
    }

    @Test func dumbTerminalGetsNumberedPrompts() async throws {
        let sandbox = try TestSandbox()
        let t = try await drive(
            ["send", "template", "--to", "+14155552671"], environment: sandbox.environment.merging(["TERM": "dumb"]) { _, b in b },
            steps: [
                .expect("filter by: "), .send("order\n"), .expect("Template matching 'order'"), .expect("filter by: "), .send("1\n"),
                .expect("Body {{1}}: "), .send("Jane\n"), .expect("Body {{2}}: "), .send("A-1\n"),
                .expect("Send it? [y/N] "), .send("y\n"),
            ])
        #expect(t.ok && t.status == 0, "\(t.output)")
        #expect(!t.output.contains("\u{1B}["), "no escape sequences on a dumb terminal")
        #expect(sandbox.posts.count == 1)
    }

    @Test func declinedSendsNothingAndExits2() async throws {
        let sandbox = try TestSandbox()
        let t = try await drive(
            ["send", "template", "1007"], environment: sandbox.environment,
            steps: [
                .expect("To (E.164"), .send("+14155552671\r"), .expect("Send it? [y/N]"), .send("n"),
            ])
        #expect(t.status == 2, "\(t.output)")
        #expect(t.output.contains("not confirmed; nothing was sent"))
        #expect(sandbox.posts.isEmpty)
    }

    @Test func neverPromptsWithNoInputOrOffATerminal() async throws {
        let sandbox = try TestSandbox()
        let flag = try await drive(["send", "template", "1001", "--no-input"], environment: sandbox.environment, steps: [])
        #expect(flag.status == 2 && flag.output.contains("give the recipient with --to PHONE"), "\(flag.output)")
        let env = try await drive(
            ["send", "template", "--to", "+14155552671"],
            environment: sandbox.environment.merging(["OCTOPODS_NO_INPUT": "1"]) { _, b in b }, steps: [])
        #expect(env.status == 2 && env.output.contains("missing argument <template-id>"), "\(env.output)")
        // Not a terminal (the usual runner: pipes): a usage error, nothing asked.
        let piped = try await octopods(["send", "template", "1001"], environment: sandbox.environment)
        #expect(piped.status == 2 && piped.stderr.contains("give the recipient"), "\(piped.stderr)")
        let noVariables = try await octopods(["send", "template", "1001", "--to", "+14155552671"], environment: sandbox.environment)
        #expect(noVariables.status == 2 && noVariables.stderr.contains("needs 2 body variables"), "\(noVariables.stderr)")
        #expect(sandbox.posts.isEmpty)
    }
}

extension PromptEndToEndTests {
    /// `send interactive` with no payload: an example is written to a draft, "edited" by an
    /// EDITOR that is a sed command, checked, and sent after the recipient and a confirmation.
    @Test func interactiveStartsFromAnEditedExample() async throws {
        let sandbox = try TestSandbox()
        let env = sandbox.environment.merging(["EDITOR": "sed -i 's/Confirm/Please confirm/'"]) { _, b in b }
        let t = try await drive(
            ["send", "interactive"], environment: env,
            steps: [
                .expect("Filter: "), .send("button\r"),
                .expect("To (E.164"), .send("+14155552671\r"),
                .expect("Please confirm your booking for Friday at 10:00?"),
                .expect("octopods send interactive --to +14155552671 --file "),
                .expect("Send it? [y/N]"), .send("y"),
            ])
        #expect(t.ok && t.status == 0, "\(t.output)")
        #expect(sandbox.posts.count == 1)
        #expect(body(sandbox.posts.first).contains(#""text":"Please confirm your booking for Friday at 10:00?""#))
        #expect(t.canonical)
    }

    /// A draft that does not validate is shown with its problem; declining to edit again sends nothing.
    @Test func anInvalidDraftIsRefused() async throws {
        let sandbox = try TestSandbox()
        let env = sandbox.environment.merging(["EDITOR": #"sed -i s/\"reply\",/\"call\",/"#]) { _, b in b }
        let t = try await drive(
            ["send", "interactive", "--to", "+14155552671"], environment: env,
            steps: [
                .expect("Filter: "), .send("button\r"),
                .expect("Edit it again? [y/N]"), .send("n"),
            ])
        #expect(t.status == 2, "\(t.output)")
        #expect(t.output.contains("only \"reply\" buttons can be sent"), "\(t.output)")
        #expect(sandbox.posts.isEmpty)
    }
}
