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

    /// Bulk input: the first byte picks CSV, NDJSON or sniffing and the chunk size, so records
    /// straddle chunk boundaries; the rest is the file. Every row must carry its line number.
    package static func rows(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let format: InputFormat? = [InputFormat.csv, .ndjson, nil][Int(first % 3)]
        let chunk = 1 + Int(first >> 2)
        let bytes = Array(data.dropFirst())
        guard let reader = try? RowReader(bytes: bytes, name: "fuzz.csv", format: format, chunkSize: chunk,
                                          maxRecordBytes: 4096) else { return }
        var last = 0
        while let row = try? reader.next() {
            check(row.line > last, "row line numbers go forward (\(last) then \(row.line))")
            last = row.line
        }
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

    // MARK: Checks

    static func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { preconditionFailure("fuzz property failed: \(what())") }
    }

    /// Nothing that reaches a terminal may hold escape or control characters but newlines.
    static func expectTerminalSafe(_ text: String, _ what: String) {
        check(TerminalText.sanitize(text, keepNewlines: true) == text, "\(what) is not terminal-safe: \(text.debugDescription)")
    }
}
