import Foundation
import Testing
import TestSupport
import OctopodsSandbox
#if canImport(Glibc)
import Glibc
#endif

/// Bulk sends from files as spreadsheets export them, and as a person at a terminal sees them.
@Suite struct BulkFilesEndToEndTests {
    func write(_ text: String, _ name: String, in dir: URL, bom: Bool = false) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data((bom ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8)).write(to: url)
        return url
    }

    func bodies(_ sandbox: TestSandbox) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for post in sandbox.posts {
            guard let phone = post.body["destination_phone"]?.stringValue else { continue }
            out[phone] = post.body["message_variables"]?["body"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        return out
    }

    @Test func aSpreadsheetExportSendsWithColumnReferences() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        // Excel in a semicolon locale: BOM, ';', CRLF, spaced names, a quoted field holding ';'.
        let file = try write(
            "Phone;First Name;Order;City\r\n+14155550101;Ana;A-1;\"Lisbon; PT\"\r\n+14155550102;Bo;A-2;Oslo\r\n",
            "export.csv", in: dir, bom: true)
        let r = try await octopods(
            ["send", "template", "1001", "--from", file.path, "--var", "1={First Name}", "--var", "2=Order {Order}"],
            environment: sandbox.environment, home: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(bodies(sandbox) == ["+14155550101": ["Ana", "Order A-1"], "+14155550102": ["Bo", "Order A-2"]])
        #expect(r.stderr.contains("Not used: column 'City'"))
        #expect(r.stdout.split(separator: "\n").count == 2)  // piped: one JSON line per row
    }

    @Test(arguments: [("mobile", [String]()), ("Phone Number", []), ("Cell", ["--phone-column", "cell"]), ("msisdn", [])])
    func thePhoneColumnIsFoundByItsUsualNamesOrNamed(_ header: String, _ flags: [String]) async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = try write("Name,\(header),1,2\nAna,+14155550111,a,b\n", "p.csv", in: dir)
        let r = try await octopods(["send", "template", "1001", "--from", file.path] + flags, environment: sandbox.environment, home: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(sandbox.posts.first?.body["destination_phone"]?.stringValue == "+14155550111")
    }

    @Test func phoneColumnAndReferenceMistakesAreUsageErrorsThatListTheColumns() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let two = try write("phone,mobile,1,2\n+14155550121,+14155550122,a,b\n", "two.csv", in: dir)
        let both = try await octopods(["send", "template", "1001", "--from", two.path], environment: sandbox.environment, home: dir)
        #expect(both.status == 2)
        #expect(both.stderr.contains("2 columns that could hold the phone number: 'phone' and 'mobile'"), "\(both.stderr)")
        #expect(both.stderr.contains("--phone-column"))
        let names = try write("Phone,First Name,Order\n+14155550123,Ana,A-1\n", "names.csv", in: dir)
        let unknown = try await octopods(
            ["send", "template", "1001", "--from", names.path, "--var", "1={Frist Name}", "--var", "2={Order}"],
            environment: sandbox.environment, home: dir)
        #expect(unknown.status == 2)
        #expect(
            unknown.stderr.contains(
                "--var 1 uses column 'Frist Name', which \(names.path) does not have; its columns are 'Phone', 'First Name', 'Order'"),
            "\(unknown.stderr)")
        #expect(unknown.stderr.contains("Did you mean {First Name}?"))
        let none = try write("Name,1,2\nAna,a,b\n", "none.csv", in: dir)
        let missing = try await octopods(["send", "template", "1001", "--from", none.path], environment: sandbox.environment, home: dir)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("has no phone column"))
        #expect(sandbox.posts.isEmpty)
        // A single send keeps braces as text.
        let single = try await octopods(
            ["send", "template", "1001", "--to", "+14155550124", "--var", "1={First Name}", "--var", "2={{x}}"],
            environment: sandbox.environment, home: dir)
        #expect(single.status == 0, "\(single.stderr)")
        #expect(bodies(sandbox)["+14155550124"] == ["{First Name}", "{{x}}"])
    }

    @Test func rejectedRowsGoToAFileThatFixedSendsTheRest() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = try write(
            "Phone;Name;Order\r\n+14155550131;Ana;A-1\r\n4.41555E+11;Bo;A-2\r\n14155550133;Cy;\"A;3\"\r\n+14155550134;Di;A-4\r\n",
            "orders.csv", in: dir)
        let rejected = dir.appendingPathComponent("fix.csv")
        let r = try await octopods(
            [
                "send", "template", "1001", "--from", file.path, "--var", "1={Name}", "--var", "2={Order}",
                "--skip-invalid", "--rejected", rejected.path,
            ], environment: sandbox.environment, home: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("line 3: phone '4.41555E+11' is in scientific notation: the spreadsheet"), "\(r.stderr)")
        #expect(r.stderr.contains("line 4: phone '14155550133' has no leading '+': the spreadsheet stored it as a number"))
        #expect(Set(bodies(sandbox).keys) == ["+14155550131", "+14155550134"])
        let written = try String(contentsOf: rejected, encoding: .utf8)
        let lines = written.components(separatedBy: "\r\n")
        #expect(lines[0] == "Phone;Name;Order;reason")
        #expect(lines[1].hasPrefix("4.41555E+11;Bo;A-2;phone '4.41555E+11' is in scientific notation"))
        #expect(lines[2].hasPrefix("14155550133;Cy;\"A;3\";phone '14155550133' has no leading '+'"))
        #expect(lines.count == 4 && lines[3].isEmpty)
        // Fixed by hand (the reason column may stay), it sends the remaining rows.
        let fixed = written.replacingOccurrences(of: "4.41555E+11;", with: "+441555000132;")
            .replacingOccurrences(of: "14155550133;", with: "+14155550133;")
        try Data(fixed.utf8).write(to: rejected)
        let again = try await octopods(
            ["send", "template", "1001", "--from", rejected.path, "--var", "1={Name}", "--var", "2={Order}"],
            environment: sandbox.environment, home: dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            bodies(sandbox) == [
                "+14155550131": ["Ana", "A-1"], "+14155550134": ["Di", "A-4"],
                "+441555000132": ["Bo", "A-2"], "+14155550133": ["Cy", "A;3"],
            ])
    }

    @Test func excludedNumbersAreNeverSent() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let file = try write("phone,1,2\n+14155550141,a,b\n+14155550142,c,d\n+14155550143,e,f\n", "c.csv", in: dir)
        let optOut = try write("+1 415 555 0142\n\n", "optout.txt", in: dir)
        let r = try await octopods(
            ["send", "template", "1001", "--from", file.path, "--exclude", optOut.path],
            environment: sandbox.environment, home: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Set(bodies(sandbox).keys) == ["+14155550141", "+14155550143"])
        #expect(r.stdout.contains(#""line":3,"phone":"+14155550142","status":"excluded""#))
        #expect(r.stderr.contains("1 excluded (--exclude)"))
        // The journal records why line 3 was not sent, and its finish line counts it.
        let journals = dir.appendingPathComponent(".local/state/octopods/journals/sandbox")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: journals.path).first { $0.hasPrefix("c.csv.") })
        let journal = try String(contentsOf: journals.appendingPathComponent(name), encoding: .utf8)
        #expect(journal.contains(#""line":3"#) && journal.contains(#""state":"excluded""#), "\(journal)")
        #expect(journal.contains(#""excluded":1"#), "\(journal)")
    }

    @Test func templatesCSVStartsAFileThatSends() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        let r = try await octopods(["templates", "csv", "1002"], environment: sandbox.environment, home: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "phone,header_1,body_1,body_2,body_3,footer_1\n+14155552671,header 1,body 1,body 2,body 3,footer 1\n")
        let file = try write(r.stdout, "campaign.csv", in: dir)
        let sent = try await octopods(["send", "template", "1002", "--from", file.path], environment: sandbox.environment, home: dir)
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sandbox.posts.count == 1)
    }

    // MARK: At a terminal

    @Test func atATerminalProgressAndSummaryAndNoJSON() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        var text = "phone,1,2\n"
        for i in 0..<6 { text += "+1415555015\(i),a,b\n" }
        text += "+1415,a,b\n"  // invalid: skipped with --skip-invalid
        let file = try write(text, "t.csv", in: dir)
        let r = try await onTerminal(
            ["send", "template", "1001", "--from", file.path, "--rate", "off", "--skip-invalid"],
            environment: sandbox.environment, home: dir)
        #expect(r.status == 0, "\(r.screen)")
        #expect(!r.screen.contains("{\"line\""), "\(r.screen)")
        #expect(r.screen.contains("/6 · accepted "), "\(r.screen)")
        #expect(r.screen.contains("Sent 6 of 6 rows in"))
        #expect(r.screen.range(of: #"accepted +6"#, options: .regularExpression) != nil, "\(r.screen)")
        #expect(r.screen.range(of: #"rejected +0"#, options: .regularExpression) != nil)
        #expect(sandbox.posts.count == 6)
        // -o table: the rows as a table after the run.
        let table = try await onTerminal(
            [
                "send", "template", "1001", "--from", file.path, "--rate", "off", "--skip-invalid",
                "--journal", dir.appendingPathComponent("j2").path, "-o", "table",
            ],
            environment: sandbox.environment, home: dir)
        #expect(table.screen.contains("LINE"), "\(table.screen)")
        #expect(table.screen.contains("+14155550150"))
    }

    @Test func decliningTheConfirmationSendsNothingAndExits2() async throws {
        let sandbox = try TestSandbox()
        let dir = scratchDirectory()
        var text = "phone,1,2\n"
        for i in 0..<120 { text += "+1415556\(String(format: "%04d", i)),a,b\n" }
        let file = try write(text, "many.csv", in: dir)
        let r = try await onTerminal(
            ["send", "template", "1001", "--from", file.path], environment: sandbox.environment, home: dir,
            typed: "n\n")
        #expect(r.status == 2, "\(r.screen)")
        #expect(
            r.screen.contains(
                #"Send template 1001 "order_update" (en_US) on whatsapp to 120 recipients with profile default? About 22 s at 55/10s. [y/N]"#
            ),
            "\(r.screen)")
        #expect(r.screen.contains("not confirmed; nothing was sent"))
        #expect(sandbox.posts.isEmpty)
    }
}

struct TerminalResult {
    var status: Int32
    /// Everything written to the terminal (stdout and stderr, and the echo of what was typed).
    var screen: String
}

/// Runs the binary with stdin, stdout and stderr on a new pseudo-terminal (120 columns), types
/// `typed` at once (the terminal keeps it until the program reads), and returns the screen.
func onTerminal(
    _ arguments: [String], environment: [String: String], home: URL, typed: String = "",
    timeout: Double = 30
) async throws -> TerminalResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(
                with: Result { try onTerminalBlocking(arguments, environment: environment, home: home, typed: typed, timeout: timeout) })
        }
    }
}

struct TerminalError: Error { var what: String }

/// The pseudo-terminal calls of libc, looked up at run time: Glibc's Swift module leaves them out
/// (they are declared only under _XOPEN_SOURCE).
enum PTY {
    static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { preconditionFailure("libc has no \(name)") }
        return unsafeBitCast(address, to: type)
    }
    static let openpt = symbol("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    static let grantpt = symbol("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    static let unlockpt = symbol("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    static let ptsname_r = symbol("ptsname_r", as: (@convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32).self)
}

private func onTerminalBlocking(
    _ arguments: [String], environment: [String: String], home: URL, typed: String,
    timeout: Double
) throws -> TerminalResult {
    let master = PTY.openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
    var name = [CChar](repeating: 0, count: 128)
    guard master >= 0, PTY.grantpt(master) == 0, PTY.unlockpt(master) == 0, PTY.ptsname_r(master, &name, name.count) == 0 else {
        throw TerminalError(what: "no pseudo-terminal: \(String(cString: strerror(errno)))")
    }
    defer { close(master) }
    let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
    guard slave >= 0 else { throw TerminalError(what: "cannot open \(path)") }
    var size = winsize(ws_row: 40, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0)
    _ = ioctl(slave, UInt(TIOCSWINSZ), &size)
    let process: Child
    do {
        process = try startOctopods(
            arguments, environment: environment.merging(["TERM": "xterm"]) { a, _ in a }, home: home,
            stdin: slave, stdout: slave, stderr: slave)
    } catch { close(slave); throw error }
    close(slave)
    if !typed.isEmpty { _ = typed.withCString { write(master, $0, strlen($0)) } }
    let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    var screen: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(master, &buffer, buffer.count)
        if n > 0 { screen += buffer[0..<n]; continue }
        if n < 0, errno == EINTR { continue }
        break  // EIO: the program exited and closed the terminal
    }
    process.waitUntilExit()
    killer.cancel()
    return TerminalResult(status: process.terminationStatus, screen: String(decoding: screen, as: UTF8.self))
}
