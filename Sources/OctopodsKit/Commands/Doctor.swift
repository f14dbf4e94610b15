#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// `octopods doctor`: is this machine ready to send? Every check it can make without sending
/// anything, and one cheap read per configured key, through the key's rate budget like every
/// request. One line per check, ✓ or ✗ with what to do; exit 0 only when all pass.
package struct Doctor: Command {
    package static let spec = CommandSpec(
        name: "doctor",
        abstract: "Check that this machine is ready: keys, base URL, TLS, libcurl, clock, file permissions, rate budget.",
        discussion: """
            For the current profile: the config file and the state directory (ownership, permissions), the base URL, \
            the libcurl found and the TLS trust store, then for each configured key its rate budget (a cool-down \
            after an HTTP 429 in force, and until when; a shared state store out of reach) and whether the API accepts it: one read-only request each \
            (WhatsApp and Viber: list templates; SMS: look up a message id that does not exist, which a valid key \
            gets answered with 'not found'), drawn from the key's rate budget. The API's Date header tells how far \
            this machine's clock is off. No message is sent. Exit status 0 when every check passes, 1 when any fails.
            """,
        examples: [
            Example("octopods doctor", "Check the current profile."),
            Example("octopods doctor --sandbox", "Check this machine against the built-in sandbox: no key needed."),
            Example("octopods --profile work doctor -o json", "The checks of profile 'work' as JSON, for a script."),
        ])

    /// One finding.
    package struct Check: Sendable, Equatable {
        /// For scripts: `config_file`, `whatsapp_key`, ...
        package var id: String
        /// For people: `config file`, `WhatsApp key`, ...
        package var name: String
        package var ok: Bool
        package var detail: String
        /// What to do about a failed check.
        package var fix: String?

        package init(_ id: String, _ name: String, ok: Bool, _ detail: String, fix: String? = nil) {
            self.id = id; self.name = name; self.ok = ok; self.detail = detail; self.fix = fix
        }
    }

    /// How far the clock may be off: rate-limit retry times are the API's wall-clock times.
    static let clockTolerance = 30.0

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {}

    package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        var checks: [Check] = []
        let library = Libcurl.probe()
        let settings: Settings
        do {
            // Not `resolvedSettings()`: its warnings are this command's findings, not lines on stderr.
            settings = ctx.sandbox == nil ? try Settings.resolve(ctx) : try ctx.resolvedSettings()
        } catch {
            let report = error.report(now: ctx.now)
            checks.append(Check("settings", "settings", ok: false, report.message, fix: report.hint))
            checks += [Self.stateDirectory(ctx.directory(.state)), Self.libcurl(library)]
            return Self.output(checks, profile: nil)
        }
        // Every warning resolving the settings gave, but the note that --profile wins over the
        // environment (a choice, not a fault); with --sandbox the config file is not read.
        let warnings = ctx.sandbox == nil ? settings.warnings.filter { !$0.hasPrefix("--profile ") } : nil
        checks += Self.configFile(settings.configURL, warnings: warnings)
        checks.append(Self.stateDirectory(ctx.directory(.state)))
        checks.append(Check("base_url", "base URL", ok: true, "\(settings.baseURL.value) (from \(settings.baseURL.source))"))
        checks.append(Self.libcurl(library))
        checks.append(Self.trustStore(settings, library: library))
        let (keyChecks, serverDate) = await Self.keys(settings, client: ctx.apiClient(settings), sandbox: ctx.sandbox != nil, now: ctx.now)
        checks += keyChecks
        if let clock = Self.clock(serverDate, now: ctx.now()) { checks.append(clock) }
        return Self.output(checks, profile: settings.profile.value)
    }

    static func output(_ checks: [Check], profile: String?) -> CommandOutput {
        let failed = checks.filter { !$0.ok }.count
        let json = JSONValue.object([
            ("ok", .bool(failed == 0)),
            ("profile", profile.map(JSONValue.string) ?? .null),
            (
                "checks",
                .array(
                    checks.map { check in
                        .object([
                            ("check", .string(check.id)), ("ok", .bool(check.ok)), ("detail", .string(check.detail)),
                            ("fix", check.fix.map(JSONValue.string) ?? .null),
                        ])
                    })
            ),
        ])
        return CommandOutput(json: json, text: text(checks), exitCode: failed == 0 ? .success : .rejected)
    }

    /// `✓ name   detail`, and under a failed check what to do.
    static func text(_ checks: [Check]) -> String {
        let width = (checks.map { TerminalText.width($0.name) }.max() ?? 0) + 2
        var lines: [String] = []
        for check in checks {
            lines.append("\(check.ok ? "✓" : "✗") \(TerminalText.pad(check.name, to: width))\(check.detail)")
            if !check.ok, let fix = check.fix {
                lines.append(String(repeating: " ", count: width + 2) + "→ " + fix)
            }
        }
        let failed = checks.filter { !$0.ok }.count
        lines.append(
            failed == 0
                ? "All \(checks.count) checks passed."
                : "\(failed) of \(checks.count) checks failed.")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Files

    /// The config file holds the keys: the user's own, not a link, readable by no one else; its
    /// warnings (permissions, unknown settings, values that are not understood) are findings.
    /// `warnings`: those of the settings resolved from it; nil with --sandbox, which reads only
    /// the file's own.
    static func configFile(_ url: URL, warnings resolved: [String]?) -> [Check] {
        let name = "config file"
        let warnings: [String]
        do {
            let (document, found) = try Settings.loadConfig(url)
            guard document != nil else {
                return [
                    Check(
                        "config_file", name, ok: true,
                        "none at \(url.path)" + (resolved == nil ? " (--sandbox needs none)" : "; keys from the environment"))
                ]
            }
            warnings = resolved ?? found
        } catch {
            let report = error.report(now: { Date() })
            return [Check("config_file", name, ok: false, report.message, fix: report.hint)]
        }
        guard !warnings.isEmpty else {
            let mode = AtomicFile.mode(of: url).map { " (mode \(String($0 & 0o777, radix: 8)))" } ?? ""
            return [Check("config_file", name, ok: true, url.path + mode)]
        }
        return warnings.map { Check("config_file", name, ok: false, $0) }
    }

    /// Where the history, the rate budgets and bulk journals live: the user's own directory,
    /// writable by no one else (octopods makes it mode 700).
    static func stateDirectory(_ url: URL) -> Check {
        let name = "state directory", path = url.path
        var info = stat()
        guard lstat(path, &info) == 0 else {
            return Check("state_directory", name, ok: true, "\(path) (not made yet: octopods makes it, mode 700, when first needed)")
        }
        let mode = info.st_mode & 0o7777
        if info.st_mode & S_IFMT != S_IFDIR {
            return Check(
                "state_directory", name, ok: false, "\(path) is not a directory (a link or a file is in its place)",
                fix: "Move it away; octopods makes the directory (mode 700) when it next needs it.")
        }
        if info.st_uid != geteuid() {
            return Check(
                "state_directory", name, ok: false, "\(path) belongs to another user (uid \(info.st_uid))",
                fix: "Run octopods as the directory's owner, or set XDG_STATE_HOME to a directory of yours.")
        }
        if mode & 0o022 != 0 {
            return Check(
                "state_directory", name, ok: false,
                "\(path) is writable by other users (mode \(String(mode, radix: 8))): they could change the history and the rate budgets",
                fix: "chmod 700 \(path)")
        }
        return Check("state_directory", name, ok: true, "\(path) (mode \(String(mode, radix: 8)))")
    }

    // MARK: Libraries

    static func libcurl(_ library: Libcurl) -> Check {
        guard library.problem == nil else {
            return Check(
                "libcurl", "libcurl", ok: false, library.describe,
                fix: "Install libcurl 7.68.0 or later: apt-get install libcurl4 (Debian, Ubuntu), dnf install libcurl (Fedora).")
        }
        return Check("libcurl", "libcurl", ok: true, library.describe + "; 7.68.0 or later is needed")
    }

    /// The certificates HTTPS is verified against exist and can be read.
    static func trustStore(_ settings: Settings, library: Libcurl) -> Check {
        let name = "TLS trust store"
        guard settings.baseURL.value.lowercased().hasPrefix("https:") else {
            return Check("tls_trust_store", name, ok: true, "not used: plain http to loopback")
        }
        let libcurlDefault = library.problem == nil ? CurlTransport.libcurlDefaultCA : ""
        let trust = settings.trust.effective(libcurlDefault: libcurlDefault)
        let fix =
            trust.source == TrustStore.system.source
            ? "Install the system's CA certificates: apt-get install ca-certificates (Debian, Ubuntu), dnf install ca-certificates (Fedora)."
            : "Point \(trust.source) at a readable PEM file of the CA certificates to trust."
        for (path, mode) in [trust.file.map { ($0, R_OK) }, trust.directory.map { ($0, R_OK | X_OK) }].compactMap({ $0 })
        where access(path, mode) != 0 {
            return Check(
                "tls_trust_store", name, ok: false, "\(path) (\(trust.source)) cannot be read: \(PlainText.systemText(errno))", fix: fix)
        }
        if trust.file == nil, trust.directory == nil, libcurlDefault.isEmpty || access(libcurlDefault, R_OK) != 0 {
            return Check(
                "tls_trust_store", name, ok: false,
                libcurlDefault.isEmpty ? "no CA bundle found in the usual places" : "libcurl's CA bundle \(libcurlDefault) is missing",
                fix: fix)
        }
        return Check("tls_trust_store", name, ok: true, trust.describe(libcurlDefault: libcurlDefault))
    }

    // MARK: Keys

    /// The cheapest documented read of each channel (docs/api-notes.md): the template lists, and
    /// for SMS, which has no list, the status of message 0, an id no send gets.
    static func probe(_ channel: Channel) -> Endpoint<HTTPResponse> {
        let path = channel == .sms ? "\(API.root)/sms/messages/0" : "\(API.root)/\(channel.rawValue)/templates"
        let family: ErrorFamily = channel == .sms ? .sms : API.templateFamily(channel)
        return Endpoint<HTTPResponse>(method: "GET", path: path, family: family) { _ throws(DecodingProblem) in
            HTTPResponse(status: 0)
        }
    }

    /// For each configured key: its rate budget, then one request with it. Returns the checks and
    /// the first `Date` header the API sent.
    static func keys(
        _ settings: Settings, client: APIClient, sandbox: Bool,
        now: @escaping @Sendable () -> Date
    ) async -> ([Check], String?) {
        // Where the budgets live when machines share them (the sandbox's never are).
        var store: String?
        if !sandbox, case .redis(let address) = settings.stateStore { store = address.display }
        var checks: [Check] = []
        var date: String?
        let configured = Channel.allCases.compactMap { channel in settings.keys[channel].flatMap { $0.value.isEmpty ? nil : (channel, $0) }
        }
        guard !configured.isEmpty else {
            let hint =
                "Export OCTOPODS_WHATSAPP_API_KEY (or the SMS or VBM one), or store a key with: printf %s \"$KEY\" | octopods config set whatsapp_api_key"
            return ([Check("api_keys", "API keys", ok: false, "none configured for profile '\(settings.profile.value)'", fix: hint)], nil)
        }
        for (channel, key) in configured {
            if let pacer = client.pacer?(key.value) {
                let budget = budgetCheck(channel, pacer: pacer, rate: client.rate, store: store, now: now)
                checks.append(budget)
                // A budget that holds every request (a cool-down, a store out of reach): nothing is sent with the key.
                guard budget.ok else {
                    checks.append(
                        Check(
                            "\(channel.rawValue)_key", "\(channel.displayName) key", ok: false,
                            "not checked: its rate budget lets nothing be sent with it now (from \(key.source))",
                            fix: "Run 'octopods doctor' again once the rate budget's check passes."))
                    continue
                }
            }
            let (check, answered) = await keyCheck(channel, source: key.source, client: client, now: now)
            checks.append(check)
            date = date ?? answered
        }
        return (checks, date)
    }

    /// Whether the key's budget lets a request go now: no cool-down in force, its store in reach.
    static func budgetCheck(
        _ channel: Channel, pacer: Pacer, rate: Pacer.Rate?, store: String?,
        now: @escaping @Sendable () -> Date
    ) -> Check {
        let id = "\(channel.rawValue)_rate_budget", name = "\(channel.displayName) rate budget"
        let kept = store.map { " (kept in \($0))" } ?? ""
        do {
            let (end, summary) = try pacer.state(rate: rate)
            guard let end else { return Check(id, name, ok: true, "no cool-down in force; " + summary + kept) }
            let left = DurationText.format(seconds: max(0, end.timeIntervalSince(now())).rounded(.up))
            return Check(
                id, name, ok: false,
                "a cool-down after an HTTP 429 is in force until \(ErrorReporter.utc(end)) (\(left) from now): no octopods process sends with this key before then"
                    + kept,
                fix:
                    "Wait until then (a command given --max-wait waits by itself). If no 429 was expected, another process or machine uses this key: README \"Rate limits\"."
            )
        } catch {
            let report = storeError(error).report(now: now)
            return Check(id, name, ok: false, report.message, fix: report.hint)
        }
    }

    /// One request with the key; the check, and the answer's `Date` header.
    static func keyCheck(
        _ channel: Channel, source: String, client: APIClient,
        now: @escaping @Sendable () -> Date
    ) async -> (Check, String?) {
        let id = "\(channel.rawValue)_key", name = "\(channel.displayName) key"
        let endpoint = probe(channel)
        let request = "GET \(endpoint.path)"
        let response: HTTPResponse
        do {
            response = try await client.exchange(endpoint)
        } catch {
            let report = error.report(now: now)
            return (Check(id, name, ok: false, "\(report.message) (from \(source); \(request))", fix: report.hint), nil)
        }
        let date = response.headers["date"]
        if (200..<300).contains(response.status) {
            return (Check(id, name, ok: true, "accepted (from \(source)): \(request) answered \(response.status)"), date)
        }
        let error = APIError.from(response, family: endpoint.family, readOnly: true)
        if channel == .sms, response.status == 400, error.name != "DEPRECATED_API_KEY" {
            // A valid key gets its lookup of an unknown id answered (400, not found); a bad one, 401.
            return (
                Check(
                    id, name, ok: true,
                    "accepted (from \(source)): \(request), an id that does not exist, answered 400 as it does for a valid key"), date
            )
        }
        let report = OctopodsError.api(error).report(now: now)
        return (Check(id, name, ok: false, "\(report.message) (from \(source); \(request))", fix: report.hint), date)
    }

    /// A budget that could not be read: its store (Redis) is out of reach.
    static func storeError(_ stop: Pacer.Stop) -> OctopodsError {
        if case .storeUnavailable(let why) = stop { return .stateStore(why) }
        return .interrupted  // reading the budget stops for nothing else
    }

    // MARK: Clock

    /// This machine's clock against the API's `Date` header; nil when no request was answered.
    static func clock(_ header: String?, now: Date) -> Check? {
        guard let header else { return nil }
        guard let server = HTTPDate.parse(header) else {
            return Check(
                "clock", "clock", ok: true, "not measured: the API's Date header '\(TerminalText.sanitize(header))' is not an HTTP date")
        }
        // The header has whole seconds: up to a second of the difference is its rounding.
        let skew = now.timeIntervalSince(server)
        let amount = DurationText.format(seconds: abs(skew).rounded())
        guard abs(skew) <= clockTolerance else {
            return Check(
                "clock", "clock", ok: false, "\(amount) \(skew > 0 ? "ahead of" : "behind") the API's (its Date header)",
                fix: "Set the clock right (e.g. timedatectl set-ntp true): rate-limit retry times are the API's, on its clock.")
        }
        return Check("clock", "clock", ok: true, "within \(Int(clockTolerance)) s of the API's (its Date header)")
    }
}

/// RFC 9110 §5.6.7 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`: what servers send in `Date`.
package enum HTTPDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    package static func parse(_ text: String) -> Date? {
        guard let match = text.firstMatch(of: /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/),
            let month = months.firstIndex(of: String(match.2)),
            let day = Int(match.1), let year = Int(match.3), let hour = Int(match.4), let minute = Int(match.5),
            let second = Int(match.6)
        else { return nil }
        return CivilTime.date(
            CivilTime.Fields(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second),
            in: .utc)
    }
}
