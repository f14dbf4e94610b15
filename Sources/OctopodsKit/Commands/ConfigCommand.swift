#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

package enum ConfigCommand {
    package static let spec = CommandSpec(
        name: "config",
        abstract: "Read and write the config file (API keys, base URL) per profile.",
        discussion: """
            The file is INI style: a [profile] section per profile, with the settings whatsapp_api_key, sms_api_key, \
            vbm_api_key, base_url, ledger (on or off: whether sends are recorded in the local history) and rate (the keys' \
            rate limit, N/DURATION, default 55/10s: every request is paced under it; see README 'Rate limits'), repeat_window (how far back \
            an identical message counts as already sent, DURATION or off, default 24h; see README 'Sent once'), ca_file \
            (a PEM file of the CAs to trust for TLS, e.g. a proxy's that inspects TLS; before CURL_CA_BUNDLE, SSL_CERT_FILE and \
            SSL_CERT_DIR) and state_store (local, or redis://[user:password@]host:port[/db]: the rate budget shared by \
            several machines using one key; see README 'Several machines'). It is written with mode 0600 in a 0700 directory. Environment variables override it; \
            'config list' shows where each value comes from. Keys are never printed, only their last four characters.
            """)

    static let keyArgument = ArgumentSpec(
        "key", .choice(ConfigDocument.knownKeys),
        help: "A setting: " + ConfigDocument.knownKeys.joined(separator: ", ") + ".")

    /// The profile a write goes to: --profile > OCTOPODS_PROFILE > the file's default_profile
    /// (`config use`) > default (it need not exist yet).
    static func profile(_ ctx: Context, document: ConfigDocument?) -> String {
        ctx.globals.profile ?? ctx.environment[EnvironmentVariable.profile.rawValue].flatMap { $0.isEmpty ? nil : $0 }
            ?? document?.defaultProfile ?? Defaults.profile
    }

    /// `****abcd`: enough to tell keys apart, never enough to use one.
    package static func mask(_ secret: String) -> String {
        secret.count >= 12 ? "****" + secret.suffix(4) : "****"
    }

    static func save(_ document: ConfigDocument, to url: URL) throws(OctopodsError) {
        do {
            try AtomicFile.makeDirectory(url.deletingLastPathComponent())
            try AtomicFile.write(Data(document.text.utf8), to: url, mode: 0o600)
        } catch {
            throw .failed("cannot write the config file \(url.path): \(PlainText.describe(error))")
        }
    }

    /// Changes the config file under its lock: `body` edits the document (an empty one when
    /// there is no file yet), which is then saved; nothing is written when `body` throws.
    static func editing<T>(_ url: URL, _ body: (inout ConfigDocument) throws(OctopodsError) -> T) throws(OctopodsError) -> T {
        try locked(url) { () throws(OctopodsError) -> T in
            var document = try Settings.loadConfig(url).0 ?? ConfigDocument()
            let result = try body(&document)
            try save(document, to: url)
            return result
        }
    }

    /// Runs a read-modify-write of the config file under an exclusive lock on a lock file
    /// beside it, so concurrent `config set`s each see the others' changes (none is lost).
    static func locked<T>(_ url: URL, _ body: () throws(OctopodsError) -> T) throws(OctopodsError) -> T {
        let directory = url.deletingLastPathComponent()
        let lock = directory.appendingPathComponent(".\(url.lastPathComponent).lock")
        let fd: Int32
        do {
            if !FileManager.default.fileExists(atPath: directory.path) { try SystemFile.makePrivateDirectory(directory) }
            guard let opened = try SystemFile.openOwned(lock, flags: O_RDWR, create: true) else {
                throw SystemFile.Failure(path: lock.path, reason: "cannot create it")
            }
            fd = opened
        } catch {
            throw .failed("cannot lock the config file: \(error)")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw .failed("cannot lock the config file \(lock.path): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    package struct SetCommand: Command {
        package static let spec = CommandSpec(
            name: "set",
            abstract: "Store a setting in the config file; API keys are read from stdin or a hidden prompt.",
            discussion: "An API key is never taken from the command line, where it would show in 'ps' and the shell history: "
                + "pipe it in, or type it at the hidden prompt. base_url, ledger, rate, ca_file and state_store may be given as an argument.",
            arguments: [keyArgument, ArgumentSpec("value", optional: true, help: "The value, for every setting but the keys.")],
            examples: [
                Example("printf %s \"$KEY\" | octopods config set whatsapp_api_key", "Store the WhatsApp key from a variable."),
                Example("octopods config set sms_api_key", "Type the SMS key at a hidden prompt."),
                Example("octopods --profile staging config set base_url https://staging.example.com", "Point a profile elsewhere."),
                Example("octopods config set ca_file /etc/corp/proxy-ca.pem", "Trust the CA of a proxy that inspects TLS."),
            ])

        var key: String
        var value: String?

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            key = arguments.positionals.first ?? ""
            value = arguments.positionals.dropFirst().first
            if value != nil, ConfigDocument.secretKeys.contains(key) {
                throw .usage(
                    UsageError(
                        "an API key is never accepted on the command line (it would show in ps and the shell history)",
                        suggestion: "Pipe it in instead: printf %s \"$KEY\" | octopods config set \(key)", path: arguments.path))
            }
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let secret = ConfigDocument.secretKeys.contains(key)
            let newValue: String
            if let value { newValue = value } else { newValue = try readValue(ctx, secret: secret) }
            if key == "base_url", let problem = BaseURL.problem(newValue) {
                throw .invalidInput("invalid base_url '\(newValue)': \(problem)")
            }
            if key == "ledger", Settings.switchValue(newValue) == nil {
                throw .invalidInput("invalid ledger '\(newValue)': use on or off")
            }
            if key == "rate", newValue != "off", Pacer.Rate.parse(newValue) == nil {
                throw .invalidInput("invalid rate '\(newValue)': use N/DURATION (e.g. 55/10s) or off")
            }
            if key == "repeat_window", !Settings.repeatWindow(newValue).valid {
                throw .invalidInput("invalid repeat_window '\(newValue)': use a duration (e.g. 24h, 30m) or off")
            }
            if key == "state_store", case .failure(let problem) = StateStore.parse(newValue) {
                throw .invalidInput("invalid state_store: \(problem)", hint: "Give local, or redis://[user:password@]host:port[/db].")
            }
            if key == "ca_file", access(newValue, R_OK) != 0 {
                throw .invalidInput(
                    "invalid ca_file '\(newValue)': \(PlainText.systemText(errno))",
                    hint: "Give the path of a readable PEM file with the CA certificates to trust.")
            }
            let (url, _) = Settings.configLocation(ctx)
            let profile = try editing(url) { (document: inout ConfigDocument) throws(OctopodsError) -> String in
                let profile = ConfigCommand.profile(ctx, document: document)
                document.set(key, newValue, profile: profile)
                return profile
            }
            // A state store's password is never echoed either.
            let shown = secret ? mask(newValue) : key == "state_store" ? ((try? StateStore.parse(newValue).get())?.display ?? "") : newValue
            ctx.notice("Saved \(key) (\(shown)) to [\(profile)] in \(url.path)")
            if secret, let channel = Channel.allCases.first(where: { $0.keySetting == key }) {
                for variable in [channel.environmentVariable, .fallbackKey] where !(ctx.environment[variable.rawValue] ?? "").isEmpty {
                    ctx.notice("Note: \(variable.rawValue) is set in the environment and takes precedence over the file.")
                    break
                }
            }
            return .none
        }

        func readValue(_ ctx: Context, secret: Bool) throws(OctopodsError) -> String {
            let raw: String?
            if ctx.stdinIsTTY {
                raw = ctx.readSecret("\(key) (input hidden): ")
            } else {
                do {
                    raw = String(data: try ctx.stdin.readAll(), encoding: .utf8)
                } catch {
                    throw .invalidInput("cannot read \(key) from standard input: \(PlainText.describe(error))")
                }
            }
            let value = (raw ?? "").trimmingWhitespace()
            guard !value.isEmpty else {
                throw .invalidInput(
                    "no value for \(key) on standard input",
                    hint: "Pipe it in: printf %s \"$VALUE\" | octopods config set \(key)")
            }
            guard !value.contains(where: \.isNewline) else {
                throw .invalidInput("the value for \(key) spans several lines; give exactly one")
            }
            return value
        }
    }

    package struct Get: Command {
        package static let spec = CommandSpec(
            name: "get",
            abstract: "Print a setting's effective value (keys masked).",
            arguments: [keyArgument],
            examples: [Example("octopods config get base_url", "The API root in use.")])

        var key: String

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            key = arguments.positionals.first ?? ""
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let settings = try ctx.resolvedSettings()
            guard let entry = List.entries(settings).first(where: { $0.key == key }), let value = entry.value else {
                throw .configuration(
                    "\(key) is not set for profile '\(settings.profile.value)'",
                    hint: "Set it with: octopods config set \(key)")
            }
            var output = CommandOutput(
                json: ["key": .string(key), "value": .string(value), "source": .string(entry.source)],
                text: value + "\n")
            output.bare = true
            return output
        }
    }

    package struct Unset: Command {
        package static let spec = CommandSpec(
            name: "unset",
            abstract: "Remove a setting from the profile in the config file.",
            arguments: [keyArgument],
            examples: [Example("octopods config unset sms_api_key", "Forget the stored SMS key.")])

        var key: String

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            key = arguments.positionals.first ?? ""
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let (url, _) = Settings.configLocation(ctx)
            var profile = ConfigCommand.profile(ctx, document: nil)
            let removed = try locked(url) { () throws(OctopodsError) -> Bool in
                guard var document = try Settings.loadConfig(url).0 else { return false }
                profile = ConfigCommand.profile(ctx, document: document)
                guard document.unset(key, profile: profile) else { return false }
                // No empty [profile] section is left behind (but the one `config use` names).
                if document.isEmpty(profile), document.defaultProfile != profile { document.removeProfile(profile) }
                try save(document, to: url)
                return true
            }
            guard removed else {
                ctx.notice("\(key) was not set in [\(profile)] of \(url.path)")
                return .none
            }
            ctx.notice("Removed \(key) from [\(profile)] in \(url.path)")
            return .none
        }
    }

    package struct List: Command {
        package static let spec = CommandSpec(
            name: "list",
            abstract: "Show every setting in effect and where it comes from (keys masked).",
            examples: [Example("octopods --profile staging config list", "What the staging profile resolves to.")])

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {}

        static func entries(_ settings: Settings) -> [(key: String, value: String?, source: String)] {
            var rows: [(String, String?, String)] = Channel.allCases.map { channel in
                let key = settings.keys[channel]
                return (channel.keySetting, key.map { mask($0.value) }, key?.source ?? "not set")
            }
            rows.append(("base_url", APIClient.display(url: settings.baseURL.value), settings.baseURL.source))
            let ledgerSet = settings.config?.value("ledger", profile: settings.profile.value) != nil
            rows.append(("ledger", settings.ledger ? "on" : "off", ledgerSet ? "config [\(settings.profile.value)]" : "default"))
            let rateSet = settings.config?.value("rate", profile: settings.profile.value) != nil
            rows.append(("rate", settings.rate?.description ?? "off", rateSet ? "config [\(settings.profile.value)]" : "default"))
            let windowSet = settings.config?.value("repeat_window", profile: settings.profile.value) != nil
            rows.append(
                (
                    "repeat_window", settings.repeatWindow.map { DurationText.format(seconds: $0) } ?? "off",
                    windowSet ? "config [\(settings.profile.value)]" : "default"
                ))
            let trust = [settings.trust.file, settings.trust.directory].compactMap { $0 }
            rows.append(
                (
                    "ca_file", trust.isEmpty ? nil : trust.joined(separator: " and "),
                    settings.trust.source == "system" ? "the system's trust store" : settings.trust.source
                ))
            // The address only: a password in the URL is never shown.
            rows.append(("state_store", settings.stateStore.display, settings.stateStoreSource))
            return rows
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let settings = try ctx.resolvedSettings()
            let rows = Self.entries(settings)
            let json: JSONValue = [
                "profile": .string(settings.profile.value),
                "config_file": .string(settings.configURL.path),
                "settings": .array(
                    rows.map {
                        [
                            "key": .string($0.key), "value": $0.value.map(JSONValue.string) ?? .null,
                            "source": .string($0.source),
                        ]
                    }),
            ]
            var table = Table(headers: ["SETTING", "VALUE", "SOURCE"], rows: rows.map { [$0.key, $0.value ?? "-", $0.source] })
            table.rows.append(["profile", settings.profile.value, settings.profile.source])
            // The path on a line of its own, never cut to fit a table column.
            let footer = "\nConfig file (\(settings.configSource)):\n  \(settings.configURL.path)\n"
            return CommandOutput(json: json, table: table, text: footer)
        }
    }

    package struct Path: Command {
        package static let spec = CommandSpec(
            name: "path",
            abstract: "Print the config file's path (whether or not it exists).")

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {}

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let (url, _) = Settings.configLocation(ctx)
            var output = CommandOutput(json: ["path": .string(url.path)], text: url.path + "\n")
            output.bare = true
            return output
        }
    }
}
