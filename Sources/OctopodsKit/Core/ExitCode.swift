/// The exit statuses of the command-line contract. Every error maps to one of these in
/// exactly one place (`OctopodsError.exitCode`, from its disposition); the man page's EXIT
/// STATUS and README's table are rendered from `meaning`.
package enum ExitCode: Int32, CaseIterable, Sendable {
    case success = 0
    case rejected = 1
    case usage = 2
    case auth = 3
    case retryable = 4
    case unknownOutcome = 5
    case unconfirmed = 6
    case interrupted = 130

    package var meaning: String {
        switch self {
        case .success: return "Success (also --help, --version, an empty list, a --dry-run that validates)."
        case .rejected: return "Rejected: the API refused the request, or a waited-for message ended FAILED or UNDELIVERED."
        case .usage: return "Usage: a bad command line or bad input data; nothing was sent."
        case .auth: return "Authentication or configuration: no key for the channel, 401, a revoked key, 403 feature not enabled."
        case .retryable:
            return
                "Not sent, safe to retry: rate limited (429), could not connect, DNS failure, a TLS handshake that failed; any transient failure of a read-only command."
        case .unknownOutcome:
            return
                "Outcome unknown: a timeout or lost connection after the request went out, a 5xx, a redirect answering a send, an unreadable answer (other than 201 Created, which is a send accepted). Check 'octopods messages list' or 'octopods status' before sending again."
        case .unconfirmed:
            return
                "Sent, final status not confirmed: the API accepted the send, but --wait could not confirm where it ended (the status check was refused or unreadable, or the deadline passed). Do not send it again; check later with 'octopods status'."
        case .interrupted:
            return
                "Interrupted (Ctrl-C). A send that was in flight may have been sent: check 'octopods status', 'octopods messages list' or 'octopods history' before sending again."
        }
    }
}

/// The environment variables the program reads; the man page's ENVIRONMENT section and the
/// settings code both use this table.
package enum EnvironmentVariable: String, CaseIterable, Sendable {
    case whatsappKey = "OCTOPODS_WHATSAPP_API_KEY"
    case smsKey = "OCTOPODS_SMS_API_KEY"
    case vbmKey = "OCTOPODS_VBM_API_KEY"
    case fallbackKey = "OCTOPODS_API_KEY"
    case baseURL = "OCTOPODS_BASE_URL"
    case profile = "OCTOPODS_PROFILE"
    case config = "OCTOPODS_CONFIG"
    case output = "OCTOPODS_OUTPUT"
    case noInput = "OCTOPODS_NO_INPUT"
    case noColor = "NO_COLOR"
    case stateStore = "OCTOPODS_STATE_STORE"
    case caBundle = "CURL_CA_BUNDLE"
    case certFile = "SSL_CERT_FILE"
    case certDirectory = "SSL_CERT_DIR"
    case httpsProxy = "HTTPS_PROXY"
    case noProxy = "NO_PROXY"

    package var meaning: String {
        switch self {
        case .whatsappKey: return "API key for /whatsapp/* (templates, template and interactive sends, status, messages)."
        case .smsKey: return "API key for /sms/* (SMS sends and status)."
        case .vbmKey: return "API key for /vbm/* (Viber templates and sends)."
        case .fallbackKey: return "Key for any channel whose own variable is unset."
        case .baseURL: return "API root, default \(Defaults.baseURL) (paths add /api/v1/...)."
        case .profile: return "Config profile, default 'default'."
        case .config: return "Config file path, default ${XDG_CONFIG_HOME:-~/.config}/octopods/config."
        case .output: return "Default output format: table, json or ndjson."
        case .noInput: return "When set (to anything), never prompt for what is missing, as --no-input."
        case .noColor: return "When set (to anything), no colour, whatever the terminal."
        case .stateStore: return "Where the rate budget shared by several machines lives: redis://[user:password@]host:port[/db], or local."
        case .caBundle: return "A PEM file of CA certificates to trust for TLS, unless the profile sets ca_file."
        case .certFile: return "A PEM file of CA certificates to trust for TLS, unless ca_file or CURL_CA_BUNDLE is set."
        case .certDirectory: return "A directory of hashed CA certificates to trust, unless ca_file or CURL_CA_BUNDLE is set."
        case .httpsProxy: return "Proxy for HTTPS requests (also https_proxy, ALL_PROXY); it sees only CONNECT, never the key."
        case .noProxy: return "Hosts that bypass the proxy (also no_proxy); loopback always does."
        }
    }
}

package enum Defaults {
    package static let baseURL = "https://app.octopods.io"
    package static let timeout: Double = 30
    package static let profile = "default"
}

package enum Version {
    package static let current = "0.1.0"
    /// The date on the man page, pinned so the generated page is reproducible; move it with
    /// `current` at a release (the date of its CHANGELOG.md entry, which the .deb's changelog
    /// also takes).
    package static let date = "2026-12-06"
}
