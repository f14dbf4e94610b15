import CLISupport

/// The whole command-line interface, declared once.
package enum Program {
    /// The options every command takes (the runner reads them into `GlobalOptions`).
    package enum Global {
        package static let output = OptionKey.value(
            "output", short: "o", "FORMAT", .choice(OutputFormat.allCases.map(\.rawValue)),
            help:
                "Output format: table, json or ndjson (history also csv). Default: table on a terminal, json otherwise (or OCTOPODS_OUTPUT)."
        )
        package static let json = OptionKey.flag("json", help: "Same as --output json.")
        package static let profile = OptionKey.value(
            "profile", "NAME", help: "Config profile to use (default: OCTOPODS_PROFILE or 'default').")
        package static let config = OptionKey.value(
            "config", "PATH", .file, help: "Config file (default: OCTOPODS_CONFIG or ~/.config/octopods/config).")
        package static let baseURL = OptionKey.value(
            "base-url", "URL", help: "API root (default: OCTOPODS_BASE_URL, the profile's base_url, or \(Defaults.baseURL)).")
        package static let stateStore = OptionKey.value(
            "state-store", "STORE",
            help:
                "Where the rate budget shared with other machines lives for this run: local (this machine's files) or redis://host:port (default: OCTOPODS_STATE_STORE, the profile's state_store, or local)."
        )
        package static let timeout = OptionKey.duration(
            "timeout", help: "Give up on each request after this long (default 30s). The whole of a --wait is --wait-timeout.")
        package static let sandbox = OptionKey.flag(
            "sandbox", help: "Run against a local sandbox API started for this command, with its own keys; nothing leaves the machine.")
        package static let verbose = OptionKey.flag(
            "verbose", short: "v", help: "Trace each HTTP request and response on stderr (the key redacted).")
        package static let quiet = OptionKey.flag(
            "quiet", short: "q", help: "Print no hints, warnings or progress on stderr; errors still are.")
        package static let noColor = OptionKey.flag("no-color", help: "No colour (also NO_COLOR).")
        package static let noInput = OptionKey.flag(
            "no-input",
            help: "Never prompt for what is missing, even at a terminal (also OCTOPODS_NO_INPUT); a missing argument is then a usage error."
        )
    }

    package static let globalOptions: [any DeclaredOption] = [
        Global.output, Global.json, Global.profile, Global.config, Global.baseURL, Global.stateStore, Global.timeout,
        Global.sandbox, Global.verbose, Global.quiet, Global.noColor, Global.noInput,
        OptionSpec.flag("help", short: "h", help: "Show help for the command."),
        OptionSpec.flag("version", help: "Print the version (with -v also the libcurl and TLS library found; with --json as JSON)."),
    ]

    package static let rootSpec = CommandSpec(
        name: "octopods",
        abstract: "Send and track WhatsApp, SMS and Viber messages through the Octopods API.",
        discussion: """
            Keys come from the environment (OCTOPODS_WHATSAPP_API_KEY, OCTOPODS_SMS_API_KEY, OCTOPODS_VBM_API_KEY, \
            or OCTOPODS_API_KEY for all) or from the config file ('octopods config set'). Try everything safely \
            first with --sandbox: a local fake of the API with its own keys and seeded templates.
            """,
        examples: [
            Example("octopods --sandbox templates list", "List the templates of the built-in sandbox."),
            Example("octopods templates list --status accepted", "List the templates you can send."),
            Example("octopods status 3851834 --json", "Check a message's delivery status as JSON."),
        ])

    package static let tree = CommandNode.group(
        rootSpec,
        [
            .group(
                Templates.spec,
                [
                    .command(Templates.List.self), .command(Templates.Get.self), .command(Templates.Render.self),
                    .command(Templates.CSV.self),
                ]),
            .group(Send.spec, [.command(Send.TemplateCommand.self), .command(Send.Interactive.self)]),
            .group(SMS.spec, [.command(SMS.SendCommand.self)]),
            .group(VBM.spec, [.command(VBM.SendCommand.self)]),
            .command(Status.self),
            .group(Messages.spec, [.command(Messages.List.self)]),
            .runnableGroup(History.self, [.command(History.Refresh.self), .command(History.Stats.self), .command(History.Prune.self)]),
            .command(Listen.self),
            .command(APICommand.self),
            .group(
                ConfigCommand.spec,
                [
                    .command(ConfigCommand.SetCommand.self), .command(ConfigCommand.Get.self), .command(ConfigCommand.Unset.self),
                    .command(ConfigCommand.List.self), .command(ConfigCommand.Path.self),
                    .runnableGroup(ConfigCommand.Profiles.self, [.command(ConfigCommand.Profiles.Remove.self)]),
                    .command(ConfigCommand.Use.self),
                ]),
            .command(Completion.self),
            .command(Doctor.self),
            .command(SandboxCommand.self),
            .command(DynamicCompletion.self),
        ])

    package static let spec = ProgramSpec(root: tree.spec, globalOptions: globalOptions, version: Version.current)
}
