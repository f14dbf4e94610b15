#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// Renders an error: its message, details, hint and machine-readable line. What the error
/// means (its disposition, and from that its exit code) is decided by the error itself
/// (Disposition.swift); this only puts it into words.
package struct ErrorReporter: Sendable {
    package struct Report: Sendable, Equatable {
        package var kind: String
        package var message: String
        /// Further lines: the API's own text, its error name and code, the request id.
        package var details: [String]
        package var hint: String?
        /// Set from the error (`OctopodsError.exitCode`, `.retryable`, `.disposition`), never by the wording.
        package var code: ExitCode = .rejected
        package var errorCode: Int?
        package var requestID: String?
        package var retryable = false
        package var disposition: Disposition = .notSent
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
            return Report(
                kind: "internal", message: String(describing: error), details: [], hint: nil,
                code: .rejected, retryable: false)
        }
    }

    package func report(_ error: OctopodsError) -> Report {
        var report = words(error)
        report.code = error.exitCode
        report.retryable = error.retryable
        report.disposition = error.disposition
        return report
    }

    /// The words for an error; `report` sets its code, retryability and disposition from the error.
    private func words(_ error: OctopodsError) -> Report {
        let maybeSent = error.disposition.maybeSent
        switch error {
        case .usage(let usage):
            return Report(kind: "usage", message: usage.message, details: [], hint: usage.suggestion)
        case .invalidInput(let message, let hint):
            return Report(kind: "invalid_input", message: message, details: [], hint: hint)
        case .configuration(let message, let hint):
            return Report(kind: "configuration", message: message, details: [], hint: hint)
        case .failed(let message, let hint):
            return Report(kind: "failed", message: message, details: [], hint: hint)
        case .stateStore(let why):
            return Report(
                kind: "state_store", message: "the state store shared with other machines cannot be used: \(why); nothing was sent",
                details: [],
                hint: "Check the Redis server of state_store (or \(EnvironmentVariable.stateStore.rawValue)); "
                    + "--state-store local paces this run with this machine's budget only (other machines are not counted).")
        case .interrupted:
            return Self.interrupted(inFlight: false)
        case .cancelled:
            return Report(kind: "interrupted", message: "cancelled; nothing was sent", details: [], hint: nil)
        case .unconfirmed(let unconfirmed):
            return self.unconfirmed(unconfirmed)
        case .deliveryFailed(let status):
            return Report(
                kind: "delivery_failed",
                message: "message \(status.messageID) was not delivered: it ended \(status.status.rawValue)"
                    + (status.failure.map { ": \($0)" } ?? " (the API gave no reason)"),
                details: status.statusMessage.map { [$0] } ?? [], hint: nil, errorCode: status.failureCode.flatMap { Int($0) })
        case .unreadableResponse(let status, let detail, _, let requestID):
            return Report(
                kind: "unreadable_response",
                message: "the API answered \(status) with a body that could not be read: \(detail)",
                details: requestID.map { ["request_id: \($0)"] } ?? [],
                hint: maybeSent ? Self.unknownOutcomeHint : "Try again; if it persists, run with --verbose to see the response.",
                requestID: requestID)
        case .transport(let failure, _, let url):
            return transport(failure, url: url, maybeSent: maybeSent)
        case .api(let api):
            return self.api(api, maybeSent: maybeSent)
        }
    }

    /// A handshake that never completed: what was wrong, in plain words, and what to do.
    static func tls(_ failure: TLSFailure, url: String) -> (message: String, hint: String) {
        let proxyHint =
            "If a proxy on this network inspects TLS, trust its CA: octopods config set ca_file /path/to/proxy-ca.pem "
            + "(or SSL_CERT_FILE, CURL_CA_BUNDLE). Trust store in use: \(failure.trustStore)."
        let cause: String
        var hint = "Nothing was sent. "
        switch failure.cause {
        case .untrusted:
            cause = "the server's certificate is not signed by an authority this machine trusts"
            hint += proxyHint
        case .expired:
            cause = "the server's certificate has expired (or this machine's clock is wrong)"
            hint += "Check the date on this machine ('date'); otherwise the server must renew its certificate."
        case .wrongHost:
            cause = "the server's certificate is for another host name"
            hint +=
                "Check the base URL (--base-url, \(EnvironmentVariable.baseURL.rawValue)); a proxy that inspects TLS can cause it too. "
                + proxyHint
        case .trustStoreUnreadable:
            cause = "the trust store cannot be read"
            hint += "Trust store in use: \(failure.trustStore); point ca_file, SSL_CERT_FILE or CURL_CA_BUNDLE at a readable PEM file."
        case .handshake:
            cause = "the TLS handshake failed: the server refused it or does not speak TLS"
            hint += "Check the base URL's scheme and port (--base-url, \(EnvironmentVariable.baseURL.rawValue))."
        }
        return ("TLS connection to \(url) failed: \(cause) (\(failure.detail))", hint)
    }

    static let unknownOutcomeHint =
        "The request may have been processed. Check 'octopods messages list' or 'octopods status <message-id>' before sending again."

    static func interrupted(inFlight: Bool) -> Report {
        guard inFlight else {
            return Report(kind: "interrupted", message: "interrupted", details: [], hint: nil)
        }
        return Report(
            kind: "interrupted", message: "interrupted while the request was in flight: the message may have been sent",
            details: [],
            hint: "Check with 'octopods status <message-id>', 'octopods messages list' or 'octopods history' before sending again.")
    }

    private func unconfirmed(_ u: Unconfirmed) -> Report {
        let what = u.messageID.map { "message \($0) was sent" } ?? "the send was accepted"
        var details: [String] = []
        var requestID: String?
        var errorCode: Int?
        if let cause = u.cause {
            let inner = report(cause)
            details = [inner.message] + inner.details
            requestID = inner.requestID
            errorCode = inner.errorCode
        }
        let hint: String
        if let id = u.messageID, let channel = u.channel {
            hint = "Do not send it again. Check it later with: octopods status \(id)\(channel == .sms ? " --channel sms" : "")"
        } else {
            hint = "Do not send it again. Find it with 'octopods messages list' or 'octopods history'."
        }
        return Report(
            kind: "unconfirmed", message: "\(what), but \(u.reason)", details: details, hint: hint,
            errorCode: errorCode, requestID: requestID)
    }

    private func transport(_ failure: TransportError, url: String, maybeSent: Bool) -> Report {
        let message: String
        var hint: String?
        switch failure {
        case .cannotConnect(let detail):
            message = "could not connect to \(url): \(detail)"
            hint = "Check the network and the base URL (--base-url, \(EnvironmentVariable.baseURL.rawValue))."
        case .dnsFailure(let detail):
            message = "could not resolve the host of \(url): \(detail)"
            hint = "Check the base URL (--base-url, \(EnvironmentVariable.baseURL.rawValue)) and DNS."
        case .tls(let tls):
            (message, hint) = Self.tls(tls, url: url)
        case .timedOut(let seconds):
            message = "no response from \(url) within \(DurationText.format(seconds: seconds))"
            hint = maybeSent ? Self.unknownOutcomeHint : "Try again, or allow longer with --timeout."
        case .connectionLost(let detail):
            message = "connection to \(url) lost: \(detail)"
            hint = maybeSent ? Self.unknownOutcomeHint : "Try again."
        case .badResponse(let detail):
            message = "the server at \(url) did not answer in HTTP: \(detail)"
            hint = maybeSent ? Self.unknownOutcomeHint : nil
        case .cancelled:
            return Self.interrupted(inFlight: maybeSent)
        case .unavailable(let detail):
            message = "cannot make HTTP requests: \(detail)"
            hint = "Nothing was sent. Install libcurl 7.68.0 or newer (Debian and Ubuntu: the libcurl4 package)."
        case .other(let detail):
            message = "request to \(url) failed: \(detail)"
            hint = maybeSent ? Self.unknownOutcomeHint : nil
        }
        return Report(
            kind: maybeSent ? "unknown_outcome" : "network", message: message, details: [],
            hint: hint)
    }

    private func api(_ error: APIError, maybeSent: Bool) -> Report {
        var details: [String] = []
        if let message = error.message, error.status != 429 { details.append(message) }
        if let code = error.errorCode {
            details.append(error.name.map { "\($0) (\(code))" } ?? "error code \(code)")
        }
        if let snippet = error.bodySnippet { details.append("response: \(String(snippet.prefix(200)))") }
        if let id = error.requestID { details.append("request_id: \(id)") }
        var report = Report(
            kind: "api", message: "", details: details, hint: nil,
            errorCode: error.errorCode, requestID: error.requestID)
        let channel = error.family.channel
        switch error.status {
        case 429:
            report.kind = "rate_limited"
            if let at = error.retryAt {
                let wait = max(0, at.timeIntervalSince(now()))
                report.message = "rate limited until \(Self.utc(at)) (in \(DurationText.format(seconds: wait.rounded(.up))))"
                // The server's own words, with its time as it gave it.
                if let message = error.message { report.details.insert("the API said: \(message)", at: 0) }
                report.hint =
                    "Nothing was sent. Every octopods process using this key waits until then; the limit is 55 requests "
                    + "per 10 seconds per key, and exceeding it starts a 5-minute cool-down."
                if !Clamp.plausibleRetry(at, now: now()) {
                    report.hint =
                        "That retry time is implausible, so octopods did not wait for it. Nothing was sent: try again later "
                        + "(every octopods process using this key waits until then, at most a day)."
                }
            } else {
                report.message = "rate limited" + (error.message.map { ": \($0)" } ?? "")
                report.hint = "Wait before sending again; exceeding the limit starts a 5-minute cool-down."
            }
        case 401:
            report.kind = "auth"
            report.message = "unauthorized: the \(channel.displayName) API key was refused (401)"
            report.hint =
                "Check the key: \(channel.environmentVariable.rawValue), or store it with: printf %s \"$KEY\" | octopods config set \(channel.keySetting)"
        case 403:
            report.kind = "auth"
            report.message = "forbidden (403): this feature is not enabled for the account"
            if error.family == .whatsappInteractive {
                report.hint = "Interactive messages are opt-in per account; ask Octopods support to enable them."
            }
        case 300..<400:
            report.kind = "redirect"
            report.message =
                "the server answered \(error.status) with a redirect" + (error.location.map { " to \($0)" } ?? "")
                + "; redirects are not followed, so the key is never sent elsewhere"
            report.hint = "Check the base URL (--base-url, \(EnvironmentVariable.baseURL.rawValue), base_url in the config)."
            if maybeSent {
                // The whole request reached a server (a proxy or middlebox, perhaps the API itself),
                // which may have acted on it before answering with a redirect.
                report.message += "; the request reached that server, which may have processed it"
                report.hint =
                    Self.unknownOutcomeHint
                    + " Then check the base URL (--base-url, \(EnvironmentVariable.baseURL.rawValue), base_url in the config)."
            }
        case 500..<600:
            report.kind = "server"
            report.message = "the API failed with HTTP \(error.status)"
            report.hint = maybeSent ? Self.unknownOutcomeHint : "Try again later."
        default:
            if error.name == "DEPRECATED_API_KEY" {
                report.kind = "auth"
                report.message = "the \(channel.displayName) API key is deprecated (rotated or revoked)"
            } else {
                report.message = "the API rejected the request (HTTP \(error.status))"
            }
            report.hint = error.errorCode.flatMap { ErrorCatalog.hint(error.family, $0, text: error.message) }
        }
        if let hint = error.hint { report.hint = hint }
        return report
    }

    /// The human form on stderr: `error: …`, the API's text, name and code, request id, hint.
    package func text(_ report: Report) -> String {
        var lines = ["error: " + report.message]
        lines += report.details.map { "  " + $0 }
        if let hint = report.hint { lines.append("hint: " + hint) }
        return lines.map { TerminalText.sanitize($0) }.joined(separator: "\n") + "\n"
    }

    /// The extra line for -o json/ndjson: `{"error":{kind, message, error_code, request_id, retryable,
    /// disposition, exit_code}}`.
    package func json(_ report: Report) -> String {
        let error: JSONValue = [
            "kind": .string(report.kind),
            "message": .string(report.message),
            "error_code": report.errorCode.map { JSONValue.int($0) } ?? .null,
            "request_id": report.requestID.map { JSONValue.string($0) } ?? .null,
            "retryable": .bool(report.retryable),
            "disposition": .string(report.disposition.name),
            "exit_code": .int(Int(report.code.rawValue)),
        ]
        return JSONValue.object([("error", error)]).serialized() + "\n"
    }

    static func utc(_ date: Date) -> String {
        CivilTime.text(date, in: .utc) + " UTC"
    }
}

extension OctopodsError {
    /// What the error says: its message, details, hint, exit code and API fields, as
    /// `ErrorReporter` prints them. `now` is the clock relative times are told by.
    package func report(now: @escaping @Sendable () -> Date = { Date() }) -> ErrorReporter.Report {
        ErrorReporter(now: now).report(self)
    }

    /// What the error says in one line (the first line `ErrorReporter` prints): for messages that
    /// quote an error in a sentence of their own.
    package func message(now: @escaping @Sendable () -> Date = { Date() }) -> String {
        report(now: now).message
    }
}
