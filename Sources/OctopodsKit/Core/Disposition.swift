/// What a failure means for the message a command was sending, decided once from facts (did
/// request bytes go out, does the endpoint change anything, what the API said). The exit code,
/// the hint, the history ledger's outcome and a bulk row's journal state are all read from it.
package enum Disposition: Sendable, Equatable {
    /// Not processed: nothing reached the API, it changes nothing (a read-only request), or the API
    /// turned it away for a reason outside the request (no or bad key, rate limit). Safe to run
    /// again once the cause is fixed.
    case notSent
    /// The API refused this request (a 4xx about it): not processed, and sent again unchanged it
    /// would be refused again.
    case refused
    /// The API accepted the send, but a later step could not confirm its final status. Sent:
    /// never send it again.
    case sentUnconfirmed
    /// The request may have been processed (no answer after it went out, a 5xx, an unreadable
    /// answer): check before sending again.
    case outcomeUnknown
    /// Stopped by Ctrl-C. `requestInFlight`: a request that changes something had gone out and its
    /// answer had not arrived, so it may have been processed.
    case interrupted(requestInFlight: Bool)

    /// The name scripts see in the JSON error line.
    package var name: String {
        switch self {
        case .notSent: return "not_sent"
        case .refused: return "refused"
        case .sentUnconfirmed: return "sent_unconfirmed"
        case .outcomeUnknown: return "outcome_unknown"
        case .interrupted(let inFlight): return inFlight ? "interrupted_in_flight" : "interrupted"
        }
    }

    /// Whether a message may exist because of the request: sending again could duplicate it.
    package var maybeSent: Bool {
        switch self {
        case .notSent, .refused, .interrupted(requestInFlight: false): return false
        case .sentUnconfirmed, .outcomeUnknown, .interrupted(requestInFlight: true): return true
        }
    }
}

extension OctopodsError {
    package var disposition: Disposition {
        switch self {
        case .usage, .invalidInput, .configuration, .failed, .stateStore: return .notSent
        case .interrupted, .cancelled: return .interrupted(requestInFlight: false)
        case .unconfirmed: return .sentUnconfirmed
        // Not delivered, and final: nothing of it reached the recipient.
        case .deliveryFailed: return .refused
        case .unreadableResponse(_, _, let readOnly, _): return readOnly ? .notSent : .outcomeUnknown
        case .transport(let failure, let readOnly, _):
            if case .cancelled(let requestSent) = failure { return .interrupted(requestInFlight: requestSent && !readOnly) }
            return failure.certainlyNotSent || readOnly ? .notSent : .outcomeUnknown
        case .api(let api):
            switch api.status {
            case 500..<600: return api.readOnly ? .notSent : .outcomeUnknown
            // A redirect answering a request that changes something: the whole request reached a
            // server, which may have acted on it (docs/linux-notes.md, "Was it sent?").
            case 300..<400 where !api.readOnly: return .outcomeUnknown
            case 429: return .notSent
            default: return api.isAccessProblem ? .notSent : .refused
            }
        }
    }

    /// The exit status (README "Exit status"): after the API accepted a
    /// send, never 1, 2, 3 or 4.
    package var exitCode: ExitCode {
        switch disposition {
        case .sentUnconfirmed: return .unconfirmed
        case .outcomeUnknown: return .unknownOutcome
        case .interrupted: return .interrupted
        case .refused: return .rejected
        case .notSent:
            switch self {
            case .usage, .invalidInput: return .usage
            case .configuration, .transport(.unavailable, _, _): return .auth
            case .failed: return .rejected
            case .api(let api) where api.isAccessProblem: return .auth
            default: return .retryable
            }
        }
    }

    /// Not processed and nothing wrong with the request itself: the same request may simply be tried again.
    package var retryable: Bool { exitCode == .retryable }
}

extension APIError {
    /// The key or the address is the problem, not the request: 401, 403, a refused redirect, a
    /// deprecated key.
    package var isAccessProblem: Bool {
        status == 401 || status == 403 || (300..<400).contains(status) || name == "DEPRECATED_API_KEY"
    }
}
