import CLISupport

/// Every failure a run can end with. `ErrorReporter` turns each into a message and an exit code.
package enum OctopodsError: Error, Sendable {
    /// A bad command line (exit 2).
    case usage(UsageError)
    /// Bad input data, checked before anything was sent (exit 2). Names the field and the fix.
    case invalidInput(String, hint: String? = nil)
    /// Missing key, unreadable config, bad profile (exit 3).
    case configuration(String, hint: String? = nil)
    /// The API answered with an error.
    case api(APIError)
    /// No HTTP answer.
    case transport(TransportError, method: String, url: String)
    /// A 2xx whose body is not what the docs describe.
    case unreadableResponse(status: Int, detail: String, method: String, requestID: String?)
    /// A local operation failed (writing a file, say) (exit 1).
    case failed(String, hint: String? = nil)
    case interrupted
}
