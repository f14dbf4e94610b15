#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// A resolved value and where it came from (`config list` shows the source).
package struct SourcedValue: Sendable, Equatable {
    package var value: String
    package var source: String
}

/// Settings after precedence: command-line flag > environment > config file profile >
/// built-in default; but an explicit --profile makes what that profile sets win over the
/// environment. API keys have no flag (it would show in `ps` and shell history).
package struct Settings: Sendable {
    package var profile: SourcedValue
    package var configURL: URL
    package var configSource: String
    package var config: ConfigDocument?
    package var baseURL: SourcedValue
    package var keys: [Channel: SourcedValue]
    /// Whether sends are recorded in the history ledger (the profile's `ledger` setting).
    package var ledger = true
    /// The most requests a key may make (the profile's `rate`): every request is paced under
    /// it; nil (`off`) for no window. Default: the documented 55 per 10 s.
    package var rate: Pacer.Rate? = .documented
    /// The certificates TLS is verified against (the profile's `ca_file`, then the environment).
    package var trust = TrustStore.system
    /// How far back the repeat guard looks for an identical message (the profile's
    /// `repeat_window`), in seconds; nil (`off`): it does not look. Default 24 hours.
    package var repeatWindow: Double? = Settings.defaultRepeatWindow
    package static let defaultRepeatWindow: Double = 86_400
    package var warnings: [String] = []
    /// Said once, when the key is first used: a key from the environment paired with the base
    /// URL of an explicit --profile that has no key of its own for the channel.
    package var mixedKeys: [Channel: (note: String, once: OnceFlag)] = [:]
    /// Said under --verbose only: how a setting was read.
    package var traceNotes: [String] = []
    /// Where the rate budget shared with other processes lives, and where that was set.
    package var stateStore = StateStore.local
    package var stateStoreSource = "default"

    package func key(_ channel: Channel) throws(OctopodsError) -> String {
        if let key = keys[channel]?.value, !key.isEmpty { return key }
        throw .configuration(
            "no \(channel.displayName) API key: \(channel.environmentVariable.rawValue) is not set and profile '\(profile.value)' in \(configURL.path) has no \(channel.keySetting)",
            hint:
                "export \(channel.environmentVariable.rawValue)=..., or store it once with: printf %s \"$KEY\" | octopods config set \(channel.keySetting)"
                + "; or try everything safely with --sandbox (a local fake API, nothing is sent)")
    }

    /// The config file path: --config > OCTOPODS_CONFIG > ${XDG_CONFIG_HOME:-~/.config}/octopods/config.
    package static func configLocation(_ ctx: Context) -> (URL, String) {
        if let flag = ctx.globals.configPath { return (URL(fileURLWithPath: flag), "--config") }
        if let env = ctx.environment[EnvironmentVariable.config.rawValue], !env.isEmpty {
            return (URL(fileURLWithPath: env), EnvironmentVariable.config.rawValue)
        }
        return (ctx.directory(.config).appendingPathComponent("config"), "default")
    }

    /// Reads the config file; nil when it does not exist.
    package static func loadConfig(_ url: URL) throws(OctopodsError) -> (ConfigDocument?, [String]) {
        // Checked first: a missing file is the common case, and letting the read fail builds
        // a Foundation error that costs more than the whole rest of settings resolution.
        guard FileManager.default.fileExists(atPath: url.path) || isSymbolicLink(url) else { return (nil, []) }
        let data: Data
        do {
            // Never through a symlink, only a regular file of this user that others cannot write.
            // A config file is a few lines: a huge one is not read into memory (1 MiB is plenty).
            guard let read = try SystemFile.readOwned(url, limit: 1 << 20) else { return (nil, []) }
            data = read
        } catch {
            throw .configuration(
                "cannot use the config file \(error)",
                hint:
                    "The config file holds API keys: it must be a regular file of yours (not a link) that no one else can write, e.g. mode 600."
            )
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .configuration("the config file \(url.path) is not UTF-8 text")
        }
        let document: ConfigDocument
        do {
            document = try ConfigDocument.parse(text)
        } catch {
            throw .configuration(
                "\(url.path):\(error.line): \(error.message)",
                hint: "Fix the line, or see the format with 'octopods config --help'.")
        }
        var warnings: [String] = []
        let directory = url.deletingLastPathComponent()
        if let mode = AtomicFile.mode(of: directory), mode & 0o002 != 0, mode & 0o1000 == 0 {
            warnings.append(
                "\(directory.path) is writable by every user (mode \(String(mode, radix: 8))): anyone could replace the config file; run: chmod 700 \(directory.path)"
            )
        }
        if let mode = AtomicFile.mode(of: url), mode & 0o077 != 0 {
            warnings.append("\(url.path) is readable by other users (mode \(String(mode, radix: 8))); run: chmod 600 \(url.path)")
        }
        for profile in document.profiles {
            for entry in document.entries(profile) where !ConfigDocument.knownKeys.contains(entry.key) {
                let guess = Suggestions.closest(to: entry.key, among: ConfigDocument.knownKeys)
                warnings.append(
                    "\(url.path): unknown setting '\(entry.key)' in [\(profile)]" + (guess.map { "; did you mean '\($0)'?" } ?? ""))
            }
        }
        return (document, warnings)
    }

    package static func resolve(_ ctx: Context) throws(OctopodsError) -> Settings {
        let env = ctx.environment
        let (configURL, configSource) = configLocation(ctx)
        let (config, warnings) = try loadConfig(configURL)

        let profile: SourcedValue
        if let flag = ctx.globals.profile {
            profile = SourcedValue(value: flag, source: "--profile")
        } else if let value = env[EnvironmentVariable.profile.rawValue], !value.isEmpty {
            profile = SourcedValue(value: value, source: EnvironmentVariable.profile.rawValue)
        } else if let value = config?.defaultProfile {
            profile = SourcedValue(value: value, source: "default_profile (config use)")
        } else {
            profile = SourcedValue(value: Defaults.profile, source: "default")
        }
        if profile.source != "default", !(config?.profiles.contains(profile.value) ?? false) {
            let known = config?.profiles ?? []
            throw .configuration(
                "profile '\(profile.value)' (from \(profile.source)) is not in \(configURL.path)",
                hint: known.isEmpty
                    ? "Create it with: octopods --profile \(profile.value) config set base_url URL"
                    : "Profiles there: \(known.joined(separator: ", ")).")
        }
        let fileSource = "config [\(profile.value)]"
        // An explicit --profile is the user's choice for this run: what that profile sets wins
        // over OCTOPODS_* variables (as the AWS CLI does), and each variable so ignored is named.
        let profileWins = profile.source == "--profile"
        var ignored: [String] = []
        var fallbackIgnored: [String] = []
        func fromProfile(_ setting: String) -> String? {
            guard profileWins, let value = config?.value(setting, profile: profile.value), !value.isEmpty else { return nil }
            return value
        }

        var baseURL = SourcedValue(value: Defaults.baseURL, source: "default")
        if let flag = ctx.globals.baseURL {
            baseURL = SourcedValue(value: flag, source: "--base-url")
        } else if let value = fromProfile("base_url") {
            baseURL = SourcedValue(value: value, source: fileSource)
            if env[EnvironmentVariable.baseURL.rawValue]?.isEmpty == false { ignored.append(EnvironmentVariable.baseURL.rawValue) }
        } else if let value = env[EnvironmentVariable.baseURL.rawValue], !value.isEmpty {
            baseURL = SourcedValue(value: value, source: EnvironmentVariable.baseURL.rawValue)
        } else if let value = config?.value("base_url", profile: profile.value), !value.isEmpty {
            baseURL = SourcedValue(value: value, source: fileSource)
        }
        if let problem = BaseURL.problem(baseURL.value) {
            let message = "invalid base URL '\(baseURL.value)' (from \(baseURL.source)): \(problem)"
            if baseURL.source == "--base-url" { throw .invalidInput(message) }
            throw .configuration(message)
        }
        // The API's docs write the root with /api/v1 (docs/api-notes.md, "Hosts"); every path adds it.
        var traceNotes: [String] = []
        if let root = BaseURL.droppingVersionPath(baseURL.value) {
            traceNotes.append(
                "base URL \(baseURL.value) (from \(baseURL.source)): its trailing /api/v1 is dropped, every request path adds it")
            baseURL.value = root
        }

        var keys: [Channel: SourcedValue] = [:]
        for channel in Channel.allCases {
            let own = channel.environmentVariable.rawValue
            if let value = fromProfile(channel.keySetting) {
                keys[channel] = SourcedValue(value: value, source: fileSource)
                if env[own]?.isEmpty == false {
                    ignored.append(own)
                } else if env[EnvironmentVariable.fallbackKey.rawValue]?.isEmpty == false {
                    fallbackIgnored.append(channel.rawValue)
                }
            } else if let value = env[own], !value.isEmpty {
                keys[channel] = SourcedValue(value: value, source: own)
            } else if let value = env[EnvironmentVariable.fallbackKey.rawValue], !value.isEmpty {
                keys[channel] = SourcedValue(value: value, source: EnvironmentVariable.fallbackKey.rawValue)
            } else if let value = config?.value(channel.keySetting, profile: profile.value), !value.isEmpty {
                keys[channel] = SourcedValue(value: value, source: fileSource)
            }
        }
        var settings = Settings(
            profile: profile, configURL: configURL, configSource: configSource, config: config,
            baseURL: baseURL, keys: keys, warnings: warnings)
        if profileWins, baseURL.source == fileSource {
            for (channel, key) in keys where key.source != fileSource {
                settings.mixedKeys[channel] = (
                    "profile '\(profile.value)' has no \(channel.keySetting): the \(channel.displayName) key from "
                        + "\(key.source) is used with the profile's base URL \(APIClient.display(url: baseURL.value)); if that key is for "
                        + "another server, set the profile's own: printf %s \"$KEY\" | octopods --profile \(profile.value) config set \(channel.keySetting)",
                    OnceFlag()
                )
            }
        }
        settings.traceNotes = traceNotes
        if !fallbackIgnored.isEmpty {
            ignored.append("\(EnvironmentVariable.fallbackKey.rawValue) (for \(fallbackIgnored.joined(separator: ", ")))")
        }
        if !ignored.isEmpty {
            settings.warnings.append("--profile \(profile.value) wins over the environment: ignoring \(ignored.joined(separator: ", "))")
        }
        if let value = config?.value("ledger", profile: profile.value) {
            if let on = Self.switchValue(value) {
                settings.ledger = on
            } else {
                settings.warnings.append(
                    "\(configURL.path): ledger = '\(value)' in [\(profile.value)] is not on or off; sends are recorded")
            }
        }
        if let value = config?.value("rate", profile: profile.value) {
            if value == "off" {
                settings.rate = nil
            } else if let rate = Pacer.Rate.parse(value) {
                settings.rate = rate
            } else {
                settings.warnings.append(
                    "\(configURL.path): rate = '\(value)' in [\(profile.value)] is not N/DURATION (e.g. 55/10s) or off; using 55/10s")
            }
        }
        if let value = config?.value("repeat_window", profile: profile.value) {
            let window = Self.repeatWindow(value)
            if window.valid {
                settings.repeatWindow = window.seconds
            } else {
                settings.warnings.append(
                    "\(configURL.path): repeat_window = '\(value)' in [\(profile.value)] is not a duration (e.g. 24h) or off; using 24h")
            }
        }
        var caFile: (value: String, source: String)?
        if let value = config?.value("ca_file", profile: profile.value), !value.isEmpty {
            caFile = (value, "ca_file in [\(profile.value)] of \(configURL.path)")
            guard access(value, R_OK) == 0 else {
                throw .configuration(
                    "ca_file '\(value)' in [\(profile.value)] of \(configURL.path) cannot be read: \(PlainText.systemText(errno))",
                    hint: "Point it at the PEM file of the CA to trust: octopods config set ca_file /path/to/ca.pem")
            }
        }
        settings.trust = TrustStore.resolve(caFile: caFile, environment: env)
        var store: SourcedValue?
        if let flag = ctx.globals.stateStore {
            store = SourcedValue(value: flag, source: "--state-store")
        } else if let value = fromProfile("state_store") {
            store = SourcedValue(value: value, source: fileSource)
        } else if let value = env[EnvironmentVariable.stateStore.rawValue], !value.isEmpty {
            store = SourcedValue(value: value, source: EnvironmentVariable.stateStore.rawValue)
        } else if let value = config?.value("state_store", profile: profile.value), !value.isEmpty {
            store = SourcedValue(value: value, source: fileSource)
        }
        if let store {
            switch StateStore.parse(store.value) {
            case .success(let parsed):
                settings.stateStore = parsed
                settings.stateStoreSource = store.source
            case .failure(let problem):
                let message = "invalid state store (from \(store.source)): \(problem)"
                let hint = "Give local, or redis://[user:password@]host:port[/db]."
                if store.source == "--state-store" { throw .invalidInput(message, hint: hint) }
                throw .configuration(message, hint: hint)
            }
        }
        return settings
    }

    /// `repeat_window`: a duration, or off (no seconds); not valid when it is neither.
    package static func repeatWindow(_ text: String) -> (valid: Bool, seconds: Double?) {
        if text == "off" { return (true, nil) }
        guard let seconds = DurationParser.seconds(text), seconds > 0 else { return (false, nil) }
        return (true, seconds)
    }
}

extension Settings {
    /// `on`/`off` and their usual spellings.
    package static func switchValue(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: return nil
        }
    }
}

/// The API root: HTTPS, except to loopback (the sandbox and tests).
package enum BaseURL {
    package static func problem(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            return "not an absolute URL (e.g. https://app.octopods.io)"
        }
        guard url.query == nil, url.fragment == nil else { return "it must not have a query or fragment" }
        switch scheme {
        case "https": return nil
        case "http": return isLoopback(host) ? nil : "plain http is allowed only for loopback hosts; use https"
        default: return "the scheme must be https"
        }
    }

    /// The root without a trailing `/api/v1` (or `/api/v1/`), nil when it has none: the API's
    /// docs write `https://app.octopods.io/api/v1`, and every request path adds `/api/v1` itself.
    package static func droppingVersionPath(_ text: String) -> String? {
        var trimmed = Substring(text)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let suffix = API.root
        guard trimmed.count > suffix.count, trimmed.lowercased().hasSuffix(suffix) else { return nil }
        return String(trimmed.dropLast(suffix.count))
    }

    package static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimming(where: { $0 == "[" || $0 == "]" })
        if h == "localhost" || h == "::1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

extension Settings {
    /// Whether `url` is a symbolic link (dangling or not).
    static func isSymbolicLink(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }
}
