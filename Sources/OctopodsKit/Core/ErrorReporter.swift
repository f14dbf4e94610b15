import Foundation
import CLISupport

/// The one place that maps an error to its message, hint, machine-readable form and exit code.
package struct ErrorReporter: Sendable {
    package struct Report: Sendable, Equatable {
        package var kind: String
        package var message: String
        /// Further lines: the API's own text, its error name and code, the request id.
        package var details: [String]
        package var hint: String?
        package var code: ExitCode
        package var errorCode: Int?
        package var requestID: String?
        package var retryable: Bool
    }

    package var now: @Sendable () -> Date

    package init(now: @escaping @Sendable () -> Date) { self.now = now }

    package func report(_ error: any Error) -> Report {
        switch error {
        case let error as OctopodsError: return report(error)
        case let error as UsageError: return report(OctopodsError.usage(error))
        case let error as APIError: return report(OctopodsError.api(error))
        case is CancellationError: return report(OctopodsError.interrupted)
        default:
            return Report(kind: "internal", message: String(describing: error), details: [], hint: nil,
                          code: .rejected, retryable: false)
        }
    }

    private func report(_ error: OctopodsError) -> Report {
        switch error {
        case .usage(let usage):
            return Report(kind: "usage", message: usage.message, details: [], hint: usage.suggestion, code: .usage,
                          retryable: false)
        case .invalidInput(let message, let hint):
            return Report(kind: "invalid_input", message: message, details: [], hint: hint, code: .usage,
                          retryable: false)
        case .configuration(let message, let hint):
            return Report(kind: "configuration", message: message, details: [], hint: hint, code: .auth,
                          retryable: false)
        case .failed(let message, let hint):
            return Report(kind: "failed", message: message, details: [], hint: hint, code: .rejected,
                          retryable: false)
        case .interrupted:
            return Report(kind: "interrupted", message: "interrupted", details: [], hint: nil, code: .interrupted,
                          retryable: false)
        case .unreadableResponse(let status, let detail, let method, let requestID):
            let readOnly = method == "GET"
            return Report(kind: "unreadable_response",
                          message: "the API answered \(status) with a body that could not be read: \(detail)",
                          details: requestID.map { ["request_id: \($0)"] } ?? [],
                          hint: readOnly ? "Try again; if it persists, run with --verbose to see the response."
                                         : Self.unknownOutcomeHint,
                          code: readOnly ? .retryable : .unknownOutcome, requestID: requestID, retryable: readOnly)
        case .transport(let failure, let method, let url):
            return transport(failure, method: method, url: url)
        case .api(let api):
            return self.api(api)
        }
    }

    static let unknownOutcomeHint =
        "The request may have been processed. Check 'octopods messages list' or 'octopods status <message-id>' before sending again."

    private func transport(_ failure: TransportError, method: String, url: String) -> Report {
        let readOnly = method == "GET"
        let code: ExitCode = failure.certainlyNotSent || readOnly ? .retryable : .unknownOutcome
        let message: String
        var hint: String?
        switch failure {
        case .cannotConnect(let detail):
            message = "could not connect to \(url): \(detail)"
            hint = "Check the network and the base URL (--base-url, \(EnvironmentVariable.baseURL.rawValue))."
        case .dnsFailure(let detail):
            message = "could not resolve the host of \(url): \(detail)"
            hint = "Check the base URL (--base-url, \(EnvironmentVariable.baseURL.rawValue)) and DNS."
        case .tls(let detail):
            message = "TLS connection to \(url) failed: \(detail)"
        case .timedOut(let seconds):
            message = "no response from \(url) within \(Self.format(seconds: seconds))"
            hint = readOnly ? "Try again, or allow longer with --timeout." : Self.unknownOutcomeHint
        case .connectionLost(let detail):
            message = "connection to \(url) lost: \(detail)"
            hint = readOnly ? "Try again." : Self.unknownOutcomeHint
        case .badResponse(let detail):
            message = "the server at \(url) did not answer in HTTP: \(detail)"
            hint = readOnly ? nil : Self.unknownOutcomeHint
        case .cancelled:
            return Report(kind: "interrupted", message: "interrupted", details: [], hint: nil, code: .interrupted,
                          retryable: false)
        case .other(let detail):
            message = "request to \(url) failed: \(detail)"
            hint = readOnly ? nil : Self.unknownOutcomeHint
        }
        return Report(kind: code == .retryable ? "network" : "unknown_outcome", message: message, details: [],
                      hint: hint, code: code, retryable: code == .retryable)
    }

    private func api(_ error: APIError) -> Report {
        var details: [String] = []
        if let message = error.message, error.status != 429 { details.append(message) }
        if let code = error.errorCode {
            details.append(error.name.map { "\($0) (\(code))" } ?? "error code \(code)")
        }
        if let snippet = error.bodySnippet { details.append("response: \(String(snippet.prefix(200)))") }
        if let id = error.requestID { details.append("request_id: \(id)") }
        var report = Report(kind: "api", message: "", details: details, hint: nil, code: .rejected,
                            errorCode: error.errorCode, requestID: error.requestID, retryable: false)
        let channel = error.family.channel
        switch error.status {
        case 429:
            report.kind = "rate_limited"
            report.code = .retryable
            report.retryable = true
            if let at = error.retryAt {
                let wait = max(0, at.timeIntervalSince(now()))
                report.message = "rate limited until \(Self.utc(at)) (in \(Self.format(seconds: wait.rounded(.up))))"
                report.hint = "Wait until then before sending again; the limit is 55 requests per 10 seconds per key, and exceeding it starts a 5-minute cool-down."
                if !Clamp.plausibleRetry(at, now: now()) {
                    report.hint = "That retry time is implausible, so octopods did not wait for it. Nothing was sent: try again later."
                }
            } else {
                report.message = "rate limited" + (error.message.map { ": \($0)" } ?? "")
                report.hint = "Wait before sending again; exceeding the limit starts a 5-minute cool-down."
            }
        case 401:
            report.kind = "auth"
            report.code = .auth
            report.message = "unauthorized: the \(channel.displayName) API key was refused (401)"
            report.hint = "Check the key: \(channel.environmentVariable.rawValue), or store it with: printf %s \"$KEY\" | octopods config set \(channel.keySetting)"
        case 403:
            report.kind = "auth"
            report.code = .auth
            report.message = "forbidden (403): this feature is not enabled for the account"
            if error.family == .whatsappInteractive {
                report.hint = "Interactive messages are opt-in per account; ask Octopods support to enable them."
            }
        case 300..<400:
            report.kind = "redirect"
            report.code = .auth
            report.message = "the server answered \(error.status) with a redirect" + (error.location.map { " to \($0)" } ?? "")
                + "; redirects are not followed, so the key is never sent elsewhere"
            report.hint = "Check the base URL (--base-url, \(EnvironmentVariable.baseURL.rawValue), base_url in the config)."
        case 500..<600:
            let readOnly = error.method == "GET"
            report.kind = "server"
            report.code = readOnly ? .retryable : .unknownOutcome
            report.retryable = readOnly
            report.message = "the API failed with HTTP \(error.status)"
            report.hint = readOnly ? "Try again later." : Self.unknownOutcomeHint
        default:
            if error.name == "DEPRECATED_API_KEY" {
                report.kind = "auth"
                report.code = .auth
                report.message = "the \(channel.displayName) API key is deprecated (rotated or revoked)"
            } else {
                report.message = "the API rejected the request (HTTP \(error.status))"
            }
            report.hint = error.errorCode.flatMap { ErrorCatalog.hint(error.family, $0) }
        }
        return report
    }

    /// The human form on stderr: `error: …`, the API's text, name and code, request id, hint.
    package func text(_ report: Report) -> String {
        var lines = ["error: " + report.message]
        lines += report.details.map { "  " + $0 }
        if let hint = report.hint { lines.append("hint: " + hint) }
        return lines.map { TerminalText.sanitize($0) }.joined(separator: "\n") + "\n"
    }

    /// The extra line for -o json/ndjson: `{"error":{kind, message, error_code, request_id, retryable}}`.
    package func json(_ report: Report) -> String {
        let error: JSONValue = [
            "kind": .string(report.kind),
            "message": .string(report.message),
            "error_code": report.errorCode.map { JSONValue.int($0) } ?? .null,
            "request_id": report.requestID.map { JSONValue.string($0) } ?? .null,
            "retryable": .bool(report.retryable),
            "exit_code": .int(Int(report.code.rawValue)),
        ]
        return JSONValue.object([("error", error)]).serialized() + "\n"
    }

    static func utc(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .current)
            .year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
            .timeSeparator(.colon).dateTimeSeparator(.space)) + " UTC"
    }

    /// `45s`, `4m 12s`, `1.5s`.
    package static func format(seconds raw: Double) -> String {
        let seconds = Clamp.seconds(raw)
        if seconds >= Clamp.maximumSeconds { return "more than a year" }
        if seconds < 60 {
            return seconds == seconds.rounded() ? "\(Int(seconds))s" : String(format: "%.1fs", seconds)
        }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60)
        if h > 0 { return m > 0 ? "\(h)h \(m)m" : "\(h)h" }
        return s > 0 ? "\(m)m \(s)s" : "\(m)m"
    }
}
