#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// Runs one command line: parse, build the command, run it, print, map errors to exit codes.
package enum Runner {
    package static func run(_ argv: [String], _ base: Context) async -> ExitCode {
        var ctx = base
        ctx.settingsOnce = SettingsOnce()
        let help = HelpRenderer(Program.spec, width: base.stdoutIsTTY ? base.terminalWidth ?? 80 : 80)
        let reporter = ErrorReporter(now: base.now)
        let arguments: ParsedArguments
        do {
            arguments = try ArgumentParser(Program.spec).parse(argv)
        } catch {
            ctx.stderr.write(help.usageError(error))
            if wantsJSON(argv, ctx.environment) { ctx.stderr.write(reporter.json(reporter.report(error))) }
            return .usage
        }
        ctx.globals = globals(from: arguments)
        if arguments.versionRequested {
            ctx.stdout.write(VersionReport.render(ctx))
            return .success
        }
        guard !arguments.helpRequested, let type = Program.tree.command(at: arguments.path) else {
            ctx.stdout.write(help.help(arguments.path))
            return .success
        }
        var format = OutputFormat.json
        let sandbox = ctx.globals.sandbox ? EmbeddedSandbox(ctx) : nil
        ctx.sandbox = sandbox
        defer { if let warning = sandbox?.stop() { ctx.warn(warning) } }
        do {
            format = try OutputFormat.resolve(ctx)
            ctx.format = format
            ctx.formatChosen = ctx.globals.output != nil || ctx.environment[EnvironmentVariable.output.rawValue]?.isEmpty == false
            try checkFormat(format, type, path: arguments.path)
            let fields = type.fields.isEmpty ? nil : try FieldSelection.parse(arguments, valid: type.fields)
            let command = try type.init(arguments)
            try Self.checkLookups(arguments)
            var output = try await command.run(ctx)
            // Read while running (after the send, perhaps): said, the result left as it is.
            if let name = arguments.undeclaredLookups.first {
                ctx.warn("internal error: --\(name) is read but not declared; please report it")
            }
            if !output.rawJSON {
                output.json = output.json.map(Vocabulary.normalizingIDs); output.items = output.items?.map(Vocabulary.normalizingIDs)
            }
            output = output.selecting(fields)
            Printer(format: format, ctx: ctx).print(output)
            guard let failure = output.failure else { return output.exitCode }
            let report = reporter.report(failure)
            ctx.stderr.write(reporter.text(report))
            if format == .json || format == .ndjson { ctx.stderr.write(reporter.json(report)) }
            return report.code
        } catch {
            if !type.reportsFailures { return .success }
            let report = reporter.report(error)
            if case .cancelled = error {
                ctx.stderr.write("Cancelled; nothing was sent.\n")
            } else if case .usage(var usage) = error {
                // Raised below the command (the client's check of ids in a path): its usage line.
                if usage.path.isEmpty { usage.path = arguments.path }
                ctx.stderr.write(help.usageError(usage))
            } else {
                ctx.stderr.write(reporter.text(report))
            }
            if format == .json || format == .ndjson { ctx.stderr.write(reporter.json(report)) }
            return report.code
        }
    }

    /// A command that read an option its spec does not declare has a typo in its code: an error
    /// in every build (a debug assert used to stop the test process, and vanish in release).
    static func checkLookups(_ arguments: ParsedArguments) throws(OctopodsError) {
        guard let name = arguments.undeclaredLookups.first else { return }
        throw .failed(
            "internal error: 'octopods \(arguments.path.joined(separator: " "))' reads --\(name), which its spec does not declare; nothing was sent",
            hint: "Please report it.")
    }

    static func checkFormat(_ format: OutputFormat, _ type: any Command.Type, path: [String]) throws(OctopodsError) {
        if format == .csv, !type.csvOutput {
            throw .usage(UsageError("-o csv is for 'octopods history'; use table, json or ndjson here", path: path))
        }
    }

    static func globals(from arguments: ParsedArguments) -> GlobalOptions {
        var g = GlobalOptions()
        g.output = arguments[Program.Global.json] ? "json" : arguments[Program.Global.output]
        g.profile = arguments[Program.Global.profile]
        g.configPath = arguments[Program.Global.config]
        g.baseURL = arguments[Program.Global.baseURL]
        g.stateStore = arguments[Program.Global.stateStore]
        g.timeout = arguments[Program.Global.timeout].map(Clamp.seconds)
        g.waitTimeout = arguments.isDeclared(SendOptions.Key.waitTimeout) ? arguments[SendOptions.Key.waitTimeout].map(Clamp.seconds) : nil
        g.sandbox = arguments[Program.Global.sandbox]
        g.verbose = arguments[Program.Global.verbose]
        g.quiet = arguments[Program.Global.quiet]
        g.noColor = arguments[Program.Global.noColor]
        g.noInput = arguments[Program.Global.noInput]
        return g
    }

    /// Best effort for command lines that did not parse: was JSON output asked for?
    static func wantsJSON(_ argv: [String], _ environment: [String: String]) -> Bool {
        if argv.contains("--json") || argv.contains("-ojson") || argv.contains("--output=json")
            || argv.contains("--output=ndjson") || argv.contains("-ondjson")
        {
            return true
        }
        for (i, token) in argv.enumerated() where (token == "-o" || token == "--output") && i + 1 < argv.count {
            return argv[i + 1] == "json" || argv[i + 1] == "ndjson"
        }
        let env = environment[EnvironmentVariable.output.rawValue]
        return env == "json" || env == "ndjson"
    }
}

extension Context {
    /// The API client for this run: settings resolved (or the embedded sandbox's), the
    /// transport made with the run's timeout, the trace on stderr with --verbose.
    package func apiClient() throws(OctopodsError) -> APIClient {
        try apiClient(resolvedSettings())
    }

    package func apiClient(_ settings: Settings) -> APIClient {
        let stderr = self.stderr
        var trace: (@Sendable (String) -> Void)?
        if globals.verbose { trace = { @Sendable text in stderr.write(text) } }
        let ctx = self
        let key: @Sendable (Channel) throws(OctopodsError) -> String = { channel throws(OctopodsError) in
            let key = try settings.key(channel)
            if let mixed = settings.mixedKeys[channel], mixed.once.first() { ctx.warn(mixed.note) }
            return key
        }
        var client = APIClient(
            transport: makeTransport(TransportOptions(timeout: globals.timeout ?? Defaults.timeout, trust: settings.trust)),
            baseURL: settings.baseURL.value,
            key: key, trace: trace, now: now)
        // Every request of the run draws on the key's budget shared by all octopods processes
        // (docs/rate-limits.md); the embedded sandbox's port changes every run, its state file does not.
        let identity = sandbox?.budgetIdentity ?? settings.baseURL.value
        let store = sandbox == nil ? settings.stateStore : .local
        client.pacer = { key in ctx.pacer(identity: identity, key: key, store: store) }
        client.rate = settings.rate
        client.traceOnce = transportTraced
        client.sleep = sleep
        client.notice = { ctx.notice($0) }
        return client
    }

    /// The pacer of the budget of `key` on `identity` (a base URL), made once per run: in a file
    /// under the state directory, or in Redis when the state store is shared by machines.
    package func pacer(identity: String, key: String, store: StateStore = .local) -> Pacer {
        switch store {
        case .local:
            let url = RateBudgetFile.url(directory: directory(.state), identity: identity + "\n" + key)
            return rateBudgets.pacer(url.path) {
                Pacer(
                    store: RateBudgetFile(url: url, notice: { self.warn($0) }), clock: pacerClock, notice: { self.notice($0) },
                    interrupted: isInterrupted)
            }
        case .redis(let address):
            let (client, clock) = redisClients.client(address)
            let budget = RedisRateBudget(client: client, identity: identity + "\n" + key)
            return rateBudgets.pacer("\(address.display) \(budget.key)") {
                Pacer(
                    store: budget, clock: clock.pacerClock(wall: now, sleep: sleep), notice: { self.notice($0) },
                    interrupted: isInterrupted)
            }
        }
    }

    package var pacerClock: Pacer.Clock {
        let now = self.now
        return Pacer.Clock(wall: now, monotonic: monotonic ?? { now().timeIntervalSince1970 }, sleep: sleep, boot: bootID)
    }

    /// Settings after precedence, with config warnings said once: resolved on the run's first
    /// call, the same value after (`SettingsOnce`).
    package func resolvedSettings() throws(OctopodsError) -> Settings {
        if let sandbox {
            if globals.baseURL != nil {
                throw .usage(UsageError("--sandbox and --base-url cannot be used together"))
            }
            return try sandbox.settings()
        }
        let inputs = SettingsOnce.Inputs(
            profile: globals.profile, configPath: globals.configPath, baseURL: globals.baseURL,
            environment: environment, home: homeDirectory)
        return try settingsOnce.get(inputs) { () throws(OctopodsError) -> Settings in
            let settings = try Settings.resolve(self)
            for warning in settings.warnings { warn(warning) }
            if globals.verbose { for note in settings.traceNotes { stderr.write("* \(note)\n") } }
            return settings
        }
    }
}
