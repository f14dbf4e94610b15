#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// `octopods history [refresh|prune]`: the local ledger of everything sent.
package struct History: Command {
    package static let spec = CommandSpec(
        name: "history",
        abstract: "List what this tool sent, from the local ledger; refresh statuses; prune old records.",
        discussion: """
        Every send (single or bulk, every channel) is recorded in ${XDG_STATE_HOME:-~/.local/state}/octopods/history.ndjson \
        (sandbox-history.ndjson with --sandbox or a loopback base URL): time, profile, channel, template, recipient, message id, request id, \
        whether the API accepted it (accepted, rejected with the error, or unknown when no answer came), the bulk \
        file and line, and later each delivery status learned by --wait or 'history refresh'. Message text and \
        variables are not stored. The API lists only a key's last 100 messages; the ledger keeps everything until \
        pruned. Turn it off per send with --no-ledger, or per profile with 'octopods config set ledger off'.

        Without an action, lists the most recent matching sends, oldest first. 'refresh' asks the API for the current \
        status of matching WhatsApp and SMS messages of this profile that are not final yet (the last 7 days unless \
        --since says otherwise), paced under the rate limit, and records what it learns. 'prune' deletes the records \
        older than --before.

        WHEN is a duration back from now (30m, 24h, 7d), today, yesterday, a date (2026-11-01, local midnight) or a \
        date and time (2026-11-01T09:30, local unless it ends in Z or an offset).
        """,
        arguments: [ArgumentSpec("action", .choice(["refresh", "prune"]), optional: true,
                                 help: "refresh: update statuses from the API; prune: delete old records. Default: list.")],
        options: [
            .value("since", "WHEN", help: "Sends at or after WHEN (e.g. 24h, 2026-11-01)."),
            .value("until", "WHEN", help: "Sends before WHEN."),
            .value("channel", "CHANNEL", .choice(Channel.allCases.map(\.rawValue)), repeatable: true,
                   help: "Only this channel: whatsapp, sms or vbm (repeatable)."),
            .value("status", "STATE", .choice(HistoryQuery.statusChoices), repeatable: true,
                   help: "Only sends in this state (repeatable): accepted, rejected, unknown, or a delivery status (sent, delivered, read, failed, …)."),
            .value("to", "PHONE", help: "Only sends to this number (E.164)."),
            .value("template", "ID", help: "Only sends of this template."),
            .value("limit", "N", .integer(0...Int(Int32.max)), help: "Show the most recent N matches (default 100; 0 for all)."),
            .value("rate", "N/DURATION", help: "refresh: at most N status requests in any DURATION (default: the profile's rate, 55/10s)."),
            .value("before", "WHEN", help: "prune: delete records older than WHEN (e.g. 90d, 2026-01-01)."),
            .flag("dry-run", help: "prune: count what would be deleted; delete nothing."),
            .flag("yes", short: "y", help: "prune: do not ask for confirmation (needed when not at a terminal)."),
        ],
        examples: [
            Example("octopods history --since 24h", "Everything sent in the last day."),
            Example("octopods history --to +14155552671 --since 2026-11-17", "Did Jane get her reminder this week?"),
            Example("octopods history --since yesterday --status rejected --status failed --status undelivered", "Which sends failed since yesterday."),
            Example("octopods history --since 7d --limit 0 -o csv", "A week of sends as CSV, for a spreadsheet."),
            Example("octopods history refresh --since 24h", "Ask the API for the statuses of yesterday's sends."),
            Example("octopods history prune --before 90d --yes", "Keep three months (e.g. from cron)."),
        ])

    package static var csvOutput: Bool { true }

    enum Action: String { case list, refresh, prune }

    var action: Action
    var query = HistoryQuery()
    var since: String?
    var until: String?
    var before: String?
    var rate: Pacer.RateFlag?
    var dryRun: Bool
    var yes: Bool
    var limitGiven: Bool

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        let path = arguments.path
        action = arguments.positionals.first.flatMap(Action.init(rawValue:)) ?? .list
        since = arguments.string("since")
        until = arguments.string("until")
        before = arguments.string("before")
        dryRun = arguments.flag("dry-run")
        yes = arguments.flag("yes")
        limitGiven = arguments.has("limit")
        query.channels = Set(arguments.strings("channel").compactMap(Channel.init(rawValue:)))
        query.statuses = Set(arguments.strings("status"))
        query.templateID = arguments.string("template")
        if let to = arguments.string("to") { query.to = try PhoneNumber.normalize(to, field: "--to") }
        query.limit = arguments.integer("limit") ?? (action == .refresh ? 0 : 100)

        func only(_ flags: [String], for action: Action) throws(OctopodsError) {
            if self.action != action, let flag = flags.first(where: arguments.has) {
                throw .usage(UsageError("--\(flag) applies to 'history \(action.rawValue)'", path: path))
            }
        }
        try only(["before", "dry-run", "yes"], for: .prune)
        try only(["rate"], for: .refresh)
        if action == .prune {
            if let flag = ["since", "until", "channel", "status", "to", "template", "limit"].first(where: arguments.has) {
                throw .usage(UsageError("'history prune' removes records by age only; --\(flag) does not apply (use --before)", path: path))
            }
            if before == nil { throw .usage(UsageError("'history prune' needs --before WHEN (e.g. --before 90d)", path: path)) }
        }
        if let text = arguments.string("rate") { rate = try Pacer.RateFlag(text, path: path) }
    }

    static func time(_ text: String, flag: String, ctx: Context) throws(OctopodsError) -> Date {
        guard let date = HistoryTime.parse(text, now: ctx.now()) else {
            throw .usage(UsageError("invalid value for '--\(flag)': '\(text)' is not a time; use a duration (24h, 7d), today, yesterday, "
                                    + "a date (2026-11-01) or a date and time (2026-11-01T09:30)", path: ["history"]))
        }
        return date
    }

    package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        var query = self.query
        if let since { query.since = try Self.time(since, flag: "since", ctx: ctx) }
        if let until { query.until = try Self.time(until, flag: "until", ctx: ctx) }
        if let from = query.since, let to = query.until, from >= to {
            throw .usage(UsageError("--since \(since ?? "") is not before --until \(until ?? "")", path: ["history"]))
        }
        let settings = try ctx.resolvedSettings()
        let url = Ledger.location(ctx, baseURL: settings.baseURL.value)
        switch action {
        case .list:
            if ctx.globals.profile != nil || !(ctx.environment[EnvironmentVariable.profile.rawValue] ?? "").isEmpty {
                query.profile = settings.profile.value
            }
            return try HistoryListing(ctx: ctx, url: url).run(query)
        case .refresh:
            if query.since == nil { query.since = ctx.now().addingTimeInterval(-7 * 86400) }
            return try await HistoryRefresh(ctx: ctx, url: url, rate: rate).run(query)
        case .prune:
            return try prune(ctx, url: url, before: try Self.time(before ?? "", flag: "before", ctx: ctx))
        }
    }

    func prune(_ ctx: Context, url: URL, before: Date) throws(OctopodsError) -> CommandOutput {
        let shown = HistoryListing.localTime(before)
        func result(_ counts: (removed: Int, kept: Int)) -> CommandOutput {
            let done = !dryRun && counts.removed > 0
            let kept = "\(NumberText.grouped(counts.kept)) kept in \(url.path)."
            if done {
                ctx.notice("Removed \(NumberText.grouped(counts.removed)) records older than \(shown); " + kept)
            } else {
                ctx.notice("\(counts.removed == 0 ? "Nothing to remove" : "Would remove \(NumberText.grouped(counts.removed)) records")"
                           + " older than \(shown); " + kept)
            }
            return CommandOutput(json: ["file": .string(url.path), "before": .string(LedgerTime.format(before)), "dry_run": .bool(!done),
                                        "removed": .int(counts.removed), "kept": .int(counts.kept)])
        }
        // With --yes there is nothing to ask, so no counting pass first.
        if yes, !dryRun { return result(try Ledger.prune(url, before: before, dryRun: false)) }
        let counted = try Ledger.prune(url, before: before, dryRun: true)
        if dryRun || counted.removed == 0 { return result(counted) }
        guard ctx.stdinIsTTY else {
            throw .usage(UsageError("'history prune' deletes \(NumberText.grouped(counted.removed)) records; pass --yes to confirm when not at a terminal",
                                    path: ["history"]))
        }
        guard ctx.confirm("Delete \(NumberText.grouped(counted.removed)) history records older than \(shown)?") else {
            throw .failed("not confirmed; nothing was deleted")
        }
        return result(try Ledger.prune(url, before: before, dryRun: false))
    }
}
