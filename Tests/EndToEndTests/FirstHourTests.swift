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
        let empty = try await terminal.drive(["templates", "list"], environment: sandbox.environment.merging(["NO_COLOR": ""]) { _, b in b },
                                             steps: [.expect("order_update")])
        #expect(empty.status == 0, "\(empty.output)")
        #expect(empty.output.contains("\u{1B}[32m"), "colour with NO_COLOR empty: \(empty.output)")
        let set = try await terminal.drive(["templates", "list"], environment: sandbox.environment.merging(["NO_COLOR": "1"]) { _, b in b },
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
        let sent = try await octopods(["send", "template", "1001", "--to", "+14155552671", "--var", "1=a", "--var", "2=b"],
                                      environment: sandbox.environment, home: home)
        let id = try #require(((try? JSONSerialization.jsonObject(with: Data(sent.stdout.utf8))) as? [String: Any])?["message_id"] as? String)
        let t = try await PromptEndToEndTests().drive(["status", id, "--wait", "--until", "read"], environment: sandbox.environment,
                                                      steps: [.expect("read")])
        #expect(t.status == 0, "\(t.output)")
        #expect(t.output.components(separatedBy: "Message \(id): read").count == 2, "once: \(t.output)")
    }
}
