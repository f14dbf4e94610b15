#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
import OctopodsKit
import OctopodsSandbox

/// The bodies of the libFuzzer targets. They live in a library, not in the fuzzer executables
/// (Sources/Fuzz/, built only with `scripts/fuzz.sh`), so that `swift test` replays the seed corpus
/// and every crash ever found through exactly the same code (Tests/OctopodsKitTests/FuzzReplayTests).
///
/// Each body must return normally for any bytes at all. Beyond "does not crash", each checks what
/// must hold of its output, and traps (`preconditionFailure`) when it does not, so the fuzzer
/// reports it as a crash.
package enum FuzzTargets {
    package struct Target: Sendable {
        package var name: String
        package var run: @Sendable ([UInt8]) -> Void
    }

    package static let all: [Target] = [
        Target(name: "arguments", run: arguments),
        Target(name: "rows", run: rows),
        Target(name: "config", run: config),
        Target(name: "responses", run: responses),
        Target(name: "interactive", run: interactive),
        Target(name: "http-request", run: httpRequest),
        Target(name: "ledger", run: ledger),
        Target(name: "rate-budget", run: rateBudget),
        Target(name: "sandbox-state", run: sandboxState),
    ]

    package static func target(named name: String) -> Target? { all.first { $0.name == name } }

    // MARK: Targets

    /// argv as NUL-separated words, parsed against the real command tree. Usage errors must be
    /// safe to print on a terminal once rendered.
    package static func arguments(_ data: [UInt8]) {
        let words = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        do {
            _ = try ArgumentParser(Program.spec).parse(words)
        } catch {
            expectTerminalSafe(HelpRenderer(Program.spec).usageError(error), "usage error")
        }
    }

    /// Bulk input: the first byte picks CSV, NDJSON or sniffing, the CSV delimiter (sniffed, or one of
    /// `,` `;` TAB `|`) and the chunk size, so records straddle chunks; the rest is the file. Every row
    /// must carry its line number; a CSV's delimiter is one of the four (the one given, if given); and
    /// a good CSV row written back in the file's own dialect (what `--rejected` does) reads back the same.
    package static func rows(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let format: InputFormat? = [InputFormat.csv, .ndjson, nil][Int(first % 3)]
        let delimiter: UInt8? = [nil, UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")][Int(first / 3) % 5]
        let chunk = 1 + Int(first >> 2)
        let bytes = Array(data.dropFirst())
        guard
            let reader = try? RowReader(
                bytes: bytes, name: "fuzz.csv", format: format, delimiter: delimiter, chunkSize: chunk,
                maxRecordBytes: 4096)
        else { return }
        if reader.format == .csv {
            check(CSVDialect.candidates.contains(reader.dialect.delimiter), "the delimiter is one of , ; TAB |")
            if let delimiter { check(reader.dialect.delimiter == delimiter, "--delimiter is used as given") }
        }
        var last = 0
        while let row = try? reader.next() {
            check(row.line > last, "row line numbers go forward (\(last) then \(row.line))")
            last = row.line
            if reader.format == .csv, row.problem == nil { roundTrip(row, columns: reader.columns, dialect: reader.dialect) }
        }
    }

    static func roundTrip(_ row: InputRow, columns: [String], dialect: CSVDialect) {
        let values = columns.map { row.fields[$0] ?? "" }
        let text = dialect.record(columns) + dialect.record(values)
        guard let again = try? RowReader(bytes: Array(text.utf8), name: "again.csv", format: .csv, delimiter: dialect.delimiter) else {
            preconditionFailure("a header written back does not read: \(columns)")
        }
        check(again.columns == columns, "the header reads back the same (\(columns) then \(again.columns))")
        let back = try? again.next()
        check(back?.problem == nil, "a row written back reads without a problem: \(back?.problem ?? "")")
        check(back.map { r in columns.map { r.fields[$0] ?? "" } } == values, "a row reads back the same (\(values))")
    }

    /// The config file: parse, then every read and edit a `config` command can make; an edited
    /// document must parse again and hold the value set.
    package static func config(_ data: [UInt8]) {
        guard var doc = try? ConfigDocument.parse(String(decoding: data, as: UTF8.self)) else { return }
        for profile in ["default", "prod"] {
            _ = doc.entries(profile)
            for key in ConfigDocument.knownKeys { _ = doc.value(key, profile: profile) }
        }
        doc.set("base_url", "http://127.0.0.1:1", profile: "prod")
        _ = doc.unset("sms_key", profile: "default")
        guard let again = try? ConfigDocument.parse(doc.text) else {
            preconditionFailure("an edited config no longer parses:\n\(doc.text)")
        }
        check(again.value("base_url", profile: "prod") == "http://127.0.0.1:1", "the edit survives a round trip")
    }

    /// A response body as every endpoint would decode it, and as an error response of each family
    /// (the first byte picks the status). The rendered error must be safe on a terminal.
    package static func responses(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let body = Data(data.dropFirst())
        let statuses = [200, 201, 400, 401, 403, 404, 405, 409, 422, 429, 500, 502, 503, 504, 302]
        let status = statuses[Int(first) % statuses.count]
        if let raw = try? JSONValue.parse(body, maxDepth: 64) {
            _ = try? API.listTemplates(channel: .whatsapp).decode(raw)
            if let template = try? API.getTemplate(channel: .whatsapp, id: "1").decode(raw) {
                _ = template.requirements.summary
            }
            _ = try? API.messageStatus(channel: .sms, id: "1").decode(raw)
            _ = try? API.listMessages().decode(raw)
            _ = try? API.sendSMS(body: [:]).decode(raw)
        }
        let reporter = ErrorReporter(now: { Date(timeIntervalSince1970: 1_800_000_000) })
        for family in ErrorFamily.allCases {
            let response = HTTPResponse(status: status, headers: ["content-type": "application/json"], body: body)
            let report = reporter.report(OctopodsError.api(APIError.from(response, family: family, readOnly: false)))
            expectTerminalSafe(reporter.text(report), "error text")
            check((try? JSONValue.parse(reporter.json(report))) != nil, "the JSON error line is JSON")
        }
    }

    /// `send interactive --file`: parse and validate; whatever passes must serialise to JSON that
    /// parses back to the same value.
    package static func interactive(_ data: [UInt8]) {
        guard let payload = try? InteractiveMessage.parse(Data(data), source: "--file fuzz.json") else { return }
        guard (try? InteractiveMessage.validate(payload)) != nil else { return }
        let text = payload.serialized()
        check((try? JSONValue.parse(Data(text.utf8))) == payload, "a valid payload round-trips through JSON")
    }

    /// The sandbox's request parser: a complete request must say how many bytes it used, and
    /// those bytes alone must parse to the same request.
    package static func httpRequest(_ data: [UInt8]) {
        let limits = HTTPRequestParser.Limits(maxHeaderBytes: 2048, maxBodyBytes: 4096)
        if case .request(_, let consumed) = HTTPRequestParser.parse(data, limits: limits) {
            check(consumed > 0 && consumed <= data.count, "consumed \(consumed) of \(data.count) bytes")
            guard case .request(_, let again) = HTTPRequestParser.parse(Array(data[..<consumed]), limits: limits) else {
                preconditionFailure("fuzz property failed: the request's own \(consumed) bytes do not parse alone")
            }
            check(again == consumed, "the request alone consumed \(again), not \(consumed)")
        }
        _ = HTTPRequestParser.parseHead(data, limits: limits)
    }

    /// A history ledger line (the file may be torn or edited by hand): the fast reader of the
    /// ledger's own flat shape must agree with the general JSON parser whenever both accept it,
    /// and a record read back must write the same line again.
    package static func ledger(_ data: [UInt8]) {
        data.withUnsafeBytes { bytes in
            if let flat = FlatJSON.parse(bytes), let general = (try? JSONValue.parse(Data(data)))?.objectValue {
                let strings = general.compactMap { key, value in value.stringValue.map { (key, $0) } }
                check(flat.map(\.0) == strings.map(\.0) && flat.map(\.1) == strings.map(\.1), "FlatJSON and JSONValue disagree")
            }
            guard let record = LedgerRecord.decode(bytes) else { return }
            _ = LedgerLine.time(bytes)
            _ = LedgerLine.type(bytes)
            let again = Array(record.line.utf8).withUnsafeBytes { LedgerRecord.decode($0) }
            check(again == record, "a record does not survive a round trip through its line")
        }
    }

    /// A rate-budget file (shared by every process of a key, so anyone who can write it can put
    /// anything there): whatever it holds, reading it, making it sane and using it must not trap,
    /// a pause stays within `maxPause`, and the sane budget survives its own file form.
    package static func rateBudget(_ data: [UInt8]) {
        var budget = RateBudget.parse(String(decoding: data, as: UTF8.self))
        let now = 1_000.0, wall = 1_800_000_000.0
        budget.sanitize(now: now, wallNow: wall, boot: "fuzz", keep: 10.1, alive: { $0 % 2 == 0 })
        check(budget.pauseUntil.map { $0 <= now + RateBudget.maxPause } ?? true, "a pause beyond maxPause")
        if let pauseWall = budget.pauseWall { _ = CivilTime.text(Date(timeIntervalSince1970: pauseWall), in: .utc) }
        check(RateBudget.parse(budget.serialized()) == budget, "a sane budget does not survive its file form")
        for rate in [Pacer.Rate.documented, Pacer.Rate(count: 1, window: 0.001), Pacer.Rate(count: 1_000_000_000, window: 1e7)] {
            var copy = budget
            _ = copy.effective(rate)
            let wait = copy.acquire(id: "fuzz", pid: 1, now: now, rate: rate)
            check(wait.map { $0.until.isFinite } ?? true, "an endless wait")
            copy.finish(id: "fuzz", now: now + 1, wallNow: wall + 1, answer: .rateLimited(retryWall: wall + 1e12, rate: rate))
            copy.sanitize(now: now + 1e6, wallNow: wall + 1e6, boot: "fuzz", keep: 10.1, alive: { _ in false })
        }
    }

    /// A sandbox state file: decoding it either fails with an error or gives a state that can
    /// issue its next message id (Int.max there trapped the server on its next send).
    package static func sandboxState(_ data: [UInt8]) {
        guard let state = try? SandboxStateFile.decode(Data(data), file: URL(fileURLWithPath: "/fuzz/sandbox.json")) else { return }
        check(!state.nextMessageID.addingReportingOverflow(1).overflow, "next message id \(state.nextMessageID) overflows")
        check(state.messageIDs.allSatisfy { $0 < state.nextMessageID }, "a kept message id is not below the next one")
    }

    // MARK: Checks

    static func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { preconditionFailure("fuzz property failed: \(what())") }
    }

    /// Nothing that reaches a terminal may hold escape or control characters but newlines.
    static func expectTerminalSafe(_ text: String, _ what: String) {
        check(TerminalText.sanitize(text, keepNewlines: true) == text, "\(what) is not terminal-safe: \(text.debugDescription)")
    }
}
