#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// `octopods listen`: the delivery events the API does not have, from polling (docs/listen.md).
package struct Listen: Command {
    package static let spec = CommandSpec(
        name: "listen",
        abstract: "Follow the statuses of messages sent from this machine and emit an event at each change.",
        discussion: """
            Watches the messages of this profile recorded in the history (sent from this machine) that are not final yet, \
            within --since, and emits an event each time one changes status: message.sent, message.delivered, \
            message.read, message.failed, message.deleted, or message.expired (the API no longer knows it). Each event \
            is one JSON line on stdout ({"id","type","time","data":{...}}; a short line at a terminal); the same change \
            always has the same id. Statuses learned are recorded in the history. Viber messages are skipped: Viber has \
            no status endpoint.

            --forward-to POSTs each event to a URL, signed as the Standard Webhooks specification says (headers \
            webhook-id, webhook-timestamp, webhook-signature), with a whsec_ secret kept per profile under the state \
            directory and printed at start and by --print-secret. --exec runs a command per event with its JSON on \
            stdin. Either way, delivery is at least once: an event waits in a queue on disk until a 2xx answer (or exit \
            status 0) acknowledges it, and is retried with backoff until then, across restarts. Plain http only to loopback.

            Polling is a guest of the key's rate budget shared by every octopods process: at most --budget of the \
            profile's rate (default 25%), paused whole while a 429 cool-down is in force. One 'messages list' request \
            reports up to 100 WhatsApp messages; SMS needs one request per message; older messages are polled less often \
            (every 10 s in their first 5 minutes, then 30 s, 2 min after an hour, 10 min after 6 hours, 30 min after a day). \
            Runs until Ctrl-C or SIGTERM (exit 0).

            \(History.when)
            """,
        options: [Key.since, Key.events, Key.forwardTo, Key.exec, Key.budget, Key.printSecret, Key.polls],
        examples: [
            Example("octopods listen --sandbox", "Follow this machine's sandbox sends; one JSON line per status change."),
            Example("octopods listen --forward-to http://localhost:3000/webhooks", "Forward signed events to a local app."),
            Example("octopods listen --events delivered,failed --exec 'jq -r .data.to >> reached.txt'", "Run a command per event."),
            Example("octopods listen --print-secret", "The secret a receiver verifies signatures with."),
        ])

    enum Key {
        static let since = OptionKey.value("since", "WHEN", help: "Watch sends at or after WHEN (default 72h).")
        static let events = OptionKey.value(
            "events", "TYPES", help: "Only these events, comma-separated: sent, delivered, read, failed, deleted, expired.")
        static let forwardTo = OptionKey.value(
            "forward-to", "URL", help: "POST each event to URL, signed (Standard Webhooks); retried until a 2xx answer.")
        static let exec = OptionKey.value(
            "exec", "COMMAND", help: "Run COMMAND (through sh) per event, the event's JSON on stdin; retried until it exits 0.")
        static let budget = OptionKey.value(
            "budget", "PERCENT", help: "Use at most this share of the key's rate for polling (default 25%).")
        static let printSecret = OptionKey.flag(
            "print-secret", help: "Print this profile's webhook signing secret (made on first use) and exit.")
        static let polls = OptionKey.integer(
            "polls", range: 1...1_000_000, hidden: true,
            help: "Poll every watched message N times without waiting, deliver what is queued, then exit (for tests).")
    }

    var since: String
    var kinds: Set<ListenEvent.Kind>
    var forwardTo: URL?
    var exec: String?
    var budget: Double
    var printSecret: Bool
    var polls: Int?
    let path: [String]

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        path = arguments.path
        since = arguments[Key.since] ?? "72h"
        kinds = Set(ListenEvent.Kind.allCases)
        if let text = arguments[Key.events] {
            var chosen: Set<ListenEvent.Kind> = []
            for word in text.split(separator: ",").map({ $0.trimmingSpaces().lowercased() }) where !word.isEmpty {
                let name = word.hasPrefix("message.") ? String(word.dropFirst(8)) : word
                guard let kind = ListenEvent.Kind(rawValue: name) else {
                    throw .usage(
                        UsageError(
                            "invalid value for '--events': '\(word)' is not an event; use a comma-separated list of "
                                + ListenEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "), path: path))
                }
                chosen.insert(kind)
            }
            guard !chosen.isEmpty else { throw .usage(UsageError("--events needs at least one event type", path: path)) }
            kinds = chosen
        }
        if let text = arguments[Key.forwardTo] {
            if let problem = WebhookForwarder.problem(text) {
                throw .usage(UsageError("invalid value for '--forward-to': \(problem)", path: path))
            }
            forwardTo = URL(string: text)
        }
        exec = arguments[Key.exec]
        if exec?.trimmingSpaces().isEmpty == true { throw .usage(UsageError("--exec needs a command", path: path)) }
        if forwardTo != nil, exec != nil {
            throw .usage(
                UsageError(
                    "--forward-to and --exec cannot be used together; run two listens with different profiles, or forward to a receiver that runs the command",
                    path: path))
        }
        budget = 0.25
        if let text = arguments[Key.budget] {
            let number = text.hasSuffix("%") ? String(text.dropLast()) : text
            guard let percent = Double(number.trimmingSpaces()), percent > 0, percent <= 100 else {
                throw .usage(
                    UsageError("invalid value for '--budget': '\(text)' is not a percentage from 1% to 100% (e.g. 25%)", path: path))
            }
            budget = percent / 100
        }
        printSecret = arguments[Key.printSecret]
        polls = arguments[Key.polls]
    }

    package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        let settings = try ctx.resolvedSettings()
        let files = ListenFiles(ctx, settings: settings)
        if printSecret {
            ctx.stdout.write(try WebhookSigner.stored(at: files.secret).secret + "\n")
            return .none
        }
        // The window: a duration moves with the clock, a date stays put.
        let window: ListenRun.Window
        if Double(since.trimmingSpaces()) == nil, let seconds = DurationParser.seconds(since) {
            window = .last(seconds)
        } else {
            window = .from(try History.time(since, flag: "since", path: path, ctx: ctx))
        }
        var sink: (any EventSink)?
        if let forwardTo {
            let signer = try WebhookSigner.stored(at: files.secret)
            let transport = ctx.makeTransport(TransportOptions(timeout: ctx.globals.timeout ?? Defaults.timeout, trust: settings.trust))
            sink = WebhookForwarder(url: forwardTo, transport: transport, signer: signer, now: ctx.now)
            ctx.notice(
                "Forwarding events to \(APIClient.display(forwardTo)), signed with \(signer.secret) (Standard Webhooks; 'octopods listen --print-secret' prints it)."
            )
        } else if let exec {
            sink = ExecSink(command: exec)
        }
        let outbox = try sink.map { _ throws(OctopodsError) in try Outbox(url: files.outbox) }
        var run = ListenRun(ctx: ctx, settings: settings, window: window, kinds: kinds, budget: budget, sink: sink, outbox: outbox)
        return try await run.run(polls: polls)
    }
}

/// Where `listen` keeps a profile's secret and event queue: under the state directory, apart
/// for practice (the sandbox), as the history is.
struct ListenFiles {
    let secret: URL
    let outbox: URL

    init(_ ctx: Context, settings: Settings) {
        let profile = settings.profile.value
        // A profile name is any text: only a plain one names the files as it is.
        let safe =
            !profile.isEmpty
            && profile.utf8.allSatisfy {
                (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D || $0 == 0x5F
            }
        let name =
            (Ledger.isPractice(ctx, baseURL: settings.baseURL.value) ? "sandbox-" : "")
            + (safe ? profile : "profile-" + String(SHA256.hex(profile).prefix(16)))
        let directory = ctx.directory(.state).appendingPathComponent("listen")
        secret = directory.appendingPathComponent(name + ".secret")
        outbox = directory.appendingPathComponent(name + ".queue.ndjson")
    }
}
