#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
import OctopodsSandbox

package struct SandboxCommand: Command {
    package static let defaultPort = 4747

    package static let spec = CommandSpec(
        name: "sandbox",
        abstract: "Serve a local fake of the Octopods API on 127.0.0.1 until Ctrl-C.",
        discussion: """
            The sandbox answers every documented endpoint with the documented codes and shapes, keeps its state \
            (messages, statuses, rate-limit history) in a file across runs, moves statuses along with time \
            (sent → delivered → read), and enforces the documented rate limit (55 requests per 10 s per key, then a \
            5-minute cool-down). It accepts only its own keys: random for each state file, kept in it and printed at \
            start (--sandbox uses the same ones). Several processes may serve one state file at once. Recipient numbers +15550100001 to \
            +15550100005 and +15550100104 … +15550100502 act out failures and faults (see docs/sandbox.md). \
            The first line on stdout is the base URL; the global --sandbox starts one for a single command instead.
            """,
        options: [
            Key.port, Key.state, Key.reset, Key.log, Key.rateLimit, Key.cooldown, Key.noRateLimit, Key.stageInterval, Key.statusMemory,
            Key.slowDelay, Key.requestDeadline,
        ],
        examples: [
            Example("octopods sandbox", "Serve on http://127.0.0.1:\(defaultPort)."),
            Example("octopods sandbox --port 0 --reset --log requests.ndjson", "A fresh sandbox on a free port, logging every request."),
        ])

    enum Key {
        static let port = OptionKey.integer(
            "port", "PORT", range: 0...65535, help: "Port on 127.0.0.1 (0 picks a free one; default \(defaultPort)).")
        static let state = OptionKey.value(
            "state", "FILE", .file, help: "State file (default ${XDG_STATE_HOME:-~/.local/state}/octopods/sandbox.json).")
        static let reset = OptionKey.flag(
            "reset", help: "Start from a clean state: delete the state file first (only a sandbox state file).")
        static let log = OptionKey.value("log", "FILE", .file, help: "Append every request as a JSON line to FILE.")
        static let rateLimit = OptionKey.value("rate-limit", "N/SECONDS", help: "Allow N requests per SECONDS per key (default 55/10).")
        static let cooldown = OptionKey.duration("cooldown", help: "Refusal period after the limit is exceeded (default 5m).")
        static let noRateLimit = OptionKey.flag("no-rate-limit", help: "No rate limit at all.")
        static let stageInterval = OptionKey.duration(
            "stage-interval", help: "Time between status stages, e.g. sent → delivered (default 2s).")
        static let statusMemory = OptionKey.integer(
            "status-memory", range: 1...Int(Int32.max),
            help: "Status lookups know only each key's newest N messages, as an API that forgets (default: all).")
        static let slowDelay = OptionKey.duration(
            "slow-delay", hidden: true, help: "How long the slow-response number makes the server wait (default 40s).")
        static let requestDeadline = OptionKey.duration(
            "request-deadline", hidden: true, help: "Longest time a request may take to arrive (default 10s).")
    }

    var port: Int
    var options: SandboxOptions
    var reset: Bool
    var requestDeadline: Double?

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        port = arguments[Key.port] ?? Self.defaultPort
        reset = arguments[Key.reset]
        options = SandboxOptions()
        options.stateFile = arguments[Key.state].map { URL(fileURLWithPath: $0) }
        options.logFile = arguments[Key.log].map { URL(fileURLWithPath: $0) }
        if arguments[Key.noRateLimit] {
            if arguments.has(Key.rateLimit) {
                throw .usage(UsageError("--rate-limit and --no-rate-limit cannot be used together", path: arguments.path))
            }
            options.rateLimit = nil
        } else if let text = arguments[Key.rateLimit] {
            options.rateLimit = try Self.parseRate(text, path: arguments.path)
        }
        if let cooldown = arguments[Key.cooldown] { options.cooldown = cooldown }
        if let interval = arguments[Key.stageInterval] { options.stageInterval = interval }
        options.statusMemory = arguments[Key.statusMemory]
        if let delay = arguments[Key.slowDelay] { options.slowResponseDelay = delay }
        requestDeadline = arguments[Key.requestDeadline]
        options.randomKeys = true
    }

    /// `55/10` or `55/10s`: N requests per window (read as the client's `rate` is).
    static func parseRate(_ text: String, path: [String] = []) throws(OctopodsError) -> SandboxRateLimit {
        guard let rate = Pacer.Rate.parse(text) else {
            throw .usage(UsageError("invalid value for '--rate-limit': '\(text)' is not N/SECONDS (e.g. 55/10)", path: path))
        }
        return SandboxRateLimit(count: rate.count, window: rate.window)
    }

    package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        var options = self.options
        options.stateFile = options.stateFile ?? SandboxOptions.defaultStateFile(environment: ctx.environment)
        let running = try EmbeddedSandbox.launch(options: options, port: port, reset: reset, requestDeadline: requestDeadline)
        ctx.stdout.write(running.baseURL + "\n")
        ctx.notice(Self.banner(running.baseURL, options: options, keys: running.api.keys()))
        _ = await ctx.waitForInterrupt()
        try running.stop()
        ctx.notice("Sandbox stopped; state saved to \(options.stateFile?.path ?? "memory").")
        return .none
    }

    static func banner(_ url: String, options: SandboxOptions, keys: [SandboxKey]) -> String {
        func value(_ role: String) -> String { keys.first { $0.role == role }?.value ?? role }
        var lines = [
            "Octopods sandbox listening on \(url) (loopback only). Press Ctrl-C to stop.", "",
            "Use it from another shell (these keys belong to this state file; --sandbox uses them too):",
            "  export OCTOPODS_BASE_URL=\(url)",
            "  export OCTOPODS_WHATSAPP_API_KEY=\(value(SandboxKeys.whatsapp))",
            "  export OCTOPODS_SMS_API_KEY=\(value(SandboxKeys.sms))",
            "  export OCTOPODS_VBM_API_KEY=\(value(SandboxKeys.vbm))", "", "Keys:",
        ]
        lines += keys.map { "  \($0.value)  \($0.summary)" }
        lines.append("")
        lines.append("State: \(options.stateFile?.path ?? "memory only")" + (options.logFile.map { "  Log: \($0.path)" } ?? ""))
        if let rate = options.rateLimit {
            lines.append(
                "Rate limit: \(NumberText.counted(rate.count, "request")) per \(DurationText.format(seconds: rate.window)) per key, then \(DurationText.format(seconds: options.cooldown)) of 429s."
            )
        } else {
            lines.append("Rate limit: off.")
        }
        return lines.joined(separator: "\n")
    }
}
