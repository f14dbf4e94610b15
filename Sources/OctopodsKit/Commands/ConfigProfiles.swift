#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

extension ConfigCommand {
    /// `config profiles`: the profiles of the config file, which is the default, and where each
    /// of their keys comes from; `config profiles remove NAME` deletes one.
    package struct Profiles: Command {
        package static let spec = CommandSpec(
            name: "profiles",
            abstract: "List the profiles in the config file: the default, and where each key comes from.",
            discussion: """
                The default is the profile used when neither --profile nor OCTOPODS_PROFILE names one: the one 'config use' \
                chose, else 'default'. A key's source is the profile itself, an environment variable (used when the profile \
                has no key of its own), or nothing.
                """,
            examples: [Example("octopods config profiles", "Which profiles exist and which one runs by default.")])

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {}

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let (url, _) = Settings.configLocation(ctx)
            let document = try Settings.loadConfig(url).0
            let chosen = document?.defaultProfile ?? Defaults.profile
            var names = document?.profiles ?? []
            if !names.contains(chosen) { names.insert(chosen, at: 0) }
            var items: [JSONValue] = [], rows: [[String]] = []
            for name in names {
                let keys = Channel.allCases.map { channel -> String in
                    if let value = document?.value(channel.keySetting, profile: name), !value.isEmpty { return "profile" }
                    for variable in [channel.environmentVariable, .fallbackKey] where !(ctx.environment[variable.rawValue] ?? "").isEmpty {
                        return variable.rawValue
                    }
                    return "not set"
                }
                let baseURL = document?.value("base_url", profile: name).map { APIClient.display(url: $0) }
                var item: JSONValue = [
                    "profile": .string(name), "default": .bool(name == chosen),
                    "base_url": baseURL.map(JSONValue.string) ?? .null,
                ]
                for (channel, source) in zip(Channel.allCases, keys) { item.set(channel.keySetting, .string(source)) }
                items.append(item)
                rows.append([name + (name == chosen ? " *" : ""), baseURL ?? "-"] + keys)
            }
            let headers = ["PROFILE", "BASE URL"] + Channel.allCases.map { FieldSelection.header($0.keySetting) }
            return CommandOutput(
                json: .array(items), items: items, table: Table(headers: headers, rows: rows, flexibleColumn: 1),
                text: "* the default (octopods config use NAME changes it). Config file: \(url.path)\n")
        }

        package struct Remove: Command {
            package static let spec = CommandSpec(
                name: "remove",
                abstract: "Delete a profile and every setting in it from the config file.",
                arguments: [ArgumentSpec("name", help: "The profile to delete.")],
                examples: [Example("octopods config profiles remove staging", "Forget the staging profile and its keys.")])

            var name: String

            package init(_ arguments: ParsedArguments) throws(OctopodsError) {
                name = arguments.positionals.first ?? ""
            }

            package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
                let (url, _) = Settings.configLocation(ctx)
                let name = self.name
                let wasDefault = try editing(url) { (document: inout ConfigDocument) throws(OctopodsError) -> Bool in
                    guard document.profiles.contains(name) else {
                        throw noProfile(
                            name, in: document, url: url,
                            hint: document.profiles.isEmpty ? nil : "Profiles there: \(document.profiles.joined(separator: ", ")).")
                    }
                    document.removeProfile(name)
                    let wasDefault = document.defaultProfile == name
                    if wasDefault { document.setDefaultProfile(nil) }
                    return wasDefault
                }
                ctx.notice(
                    "Removed profile '\(name)' from \(url.path)" + (wasDefault ? "; the default is '\(Defaults.profile)' again." : "."))
                return .none
            }
        }
    }

    /// A profile the file does not have, with the closest one it has.
    static func noProfile(_ name: String, in document: ConfigDocument, url: URL, hint: String?) -> OctopodsError {
        .invalidInput(
            "no profile '\(name)' in \(url.path)"
                + (Suggestions.closest(to: name, among: document.profiles).map { "; did you mean '\($0)'?" } ?? ""), hint: hint)
    }

    /// `config use NAME`: the profile runs use when neither --profile nor OCTOPODS_PROFILE names one.
    package struct Use: Command {
        package static let spec = CommandSpec(
            name: "use",
            abstract: "Make a profile the default (used when neither --profile nor OCTOPODS_PROFILE names one).",
            arguments: [ArgumentSpec("name", help: "A profile of the config file ('default' goes back to the built-in one).")],
            examples: [Example("octopods config use staging", "Run against the staging profile from now on.")])

        var name: String

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            name = arguments.positionals.first ?? ""
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let (url, _) = Settings.configLocation(ctx)
            let name = self.name
            try editing(url) { (document: inout ConfigDocument) throws(OctopodsError) in
                guard name == Defaults.profile || document.profiles.contains(name) else {
                    throw noProfile(
                        name, in: document, url: url, hint: "Create it first: octopods --profile \(name) config set base_url URL (or a key)"
                    )
                }
                document.setDefaultProfile(name == Defaults.profile ? nil : name)
            }
            ctx.notice("Runs now use profile '\(name)' unless --profile or OCTOPODS_PROFILE names another.")
            if let env = ctx.environment[EnvironmentVariable.profile.rawValue], !env.isEmpty, env != name {
                ctx.warn("\(EnvironmentVariable.profile.rawValue)=\(env) is set in this environment and takes precedence")
            }
            return .none
        }
    }
}
