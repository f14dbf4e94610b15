import CLISupport

/// Every failure a run can end with. What it means for what was sent is its `disposition`
/// (Disposition.swift); `ErrorReporter` only renders it.
package indirect enum OctopodsError: Error, Sendable {
    /// A bad command line (exit 2).
    case usage(UsageError)
    /// Bad input data, checked before anything was sent (exit 2). Names the field and the fix.
    case invalidInput(String, hint: String? = nil)
    /// Missing key, unreadable config, bad profile (exit 3).
    case configuration(String, hint: String? = nil)
    /// The API answered with an error.
    case api(APIError)
    /// No HTTP answer. `readOnly`: the endpoint changes nothing (`Endpoint.isReadOnly`).
    case transport(TransportError, readOnly: Bool, url: String)
    /// A 2xx whose body is not what the docs describe.
    case unreadableResponse(status: Int, detail: String, readOnly: Bool, requestID: String?)
    /// The API accepted a send (or the message exists), but its final status could not be
    /// confirmed: a status check failed, the --wait deadline passed, or there is no id to follow.
    case unconfirmed(Unconfirmed)
    /// A message the API accepted ended failed or undelivered, as --wait found it (exit 1).
    case deliveryFailed(MessageStatus)
    /// A local operation failed (writing a file, say) (exit 1).
    case failed(String, hint: String? = nil)
    /// Ctrl-C while no request was in flight (one in flight is `.transport(.cancelled…)`).
    case interrupted
    /// Esc or Ctrl-C at a prompt: nothing was sent; said in one line, exit 130.
    case cancelled
    /// The state store shared with other machines (`state_store`, Redis) cannot be used;
    /// nothing was sent (exit 4).
    case stateStore(String)
}

/// What could not be confirmed about a message the API accepted.
package struct Unconfirmed: Sendable {
    /// The message, when its id is known.
    package var messageID: String?
    /// Where its status can be checked later (nil for Viber, or an unknown id).
    package var channel: Channel?
    /// Why it is not confirmed, completing "…, but " (e.g. "it is still sent after 2m").
    package var reason: String
    /// The status check's own failure, when that is the reason.
    package var cause: OctopodsError?

    package init(messageID: String?, channel: Channel?, reason: String, cause: OctopodsError? = nil) {
        self.messageID = messageID; self.channel = channel; self.reason = reason; self.cause = cause
    }
}
