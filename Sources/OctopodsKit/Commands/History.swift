#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// `octopods history`: the local ledger of everything sent. By itself it lists; `refresh`,
/// `stats` and `prune` are its subcommands, each with its own options.
package struct History: Command {
    /// How a time is given, for every --since, --until and --before.
    static let when = """
        WHEN is a duration back from now (30m, 24h, 7d, 2w; no months: m is minutes), today, yesterday, a date (2026-11-01, local midnight) or a \
        date and time (2026-11-01T09:30, local unless it ends in Z or an offset).
        """

    /// What Tab offers for a WHEN: examples (any other WHEN is typed).
    static let whenExamples = CompletionKind.choices(["1h", "24h", "7d", "2w", "today", "yesterday"])

    /// The options of the list and its subcommands, declared once.
    enum Key {
        static let since = OptionKey.value(
            "since", "WHEN", completion: whenExamples, help: "Sends at or after WHEN (e.g. 24h, 2w, 2026-11-01).")
        static let until = OptionKey.value("until", "WHEN", completion: whenExamples, help: "Sends before WHEN.")
        static let channel = OptionKey.repeated(
            "channel", "CHANNEL", .choice(Channel.allCases.map(\.rawValue)), help: "Only this channel: whatsapp, sms or vbm (repeatable).")
        static let to = OptionKey.value("to", "PHONE", help: "Only sends to this number (E.164).")
        static let template = OptionKey.value("template", "ID", help: "Only sends of this template.")
        static let status = OptionKey.repeated(
            "status", "STATE", .choice(HistoryQuery.statusChoices),
            help:
                "Only sends in this state (repeatable): accepted, rejected, unknown, or a delivery status (sent, delivered, read, failed, …)."
        )
        static let limit = OptionKey.integer(
            "limit", range: 0...Int(Int32.max), help: "Show the most recent N matches (default 100; 0 for all).")
        static let refreshLimit = OptionKey.integer(
            "limit", range: 0...Int(Int32.max), help: "Refresh only the most recent N matches (default 0: all).")
        static let rate = OptionKey.value(
            "rate", "N/DURATION", help: "At most N status requests in any DURATION (default: the profile's rate, 55/10s).")
        static let statsRate = OptionKey.value(
            "rate", "N/DURATION",
            help: "With --refresh: at most N status requests in any DURATION (default: the profile's rate, 55/10s).")
        static let by = OptionKey.value(
            "by", "GROUP", .choice(HistoryStats.Grouping.allCases.map(\.rawValue)),
            help: "One row per day (default), hour, template, channel or status.")
        static let refresh = OptionKey.flag("refresh", help: "Run 'history refresh' over the same sends first (paced).")
        static let before = OptionKey.value(
            "before", "WHEN", required: true, help: "Delete records older than WHEN (e.g. 90d, 2026-01-01).")
        static let dryRun = OptionKey.flag("dry-run", help: "Count what would be deleted; delete nothing.")
        static let yes = OptionKey.flag("yes", short: "y", help: "Do not ask for confirmation (needed when not at a terminal).")
    }

    /// The filters the list, `refresh` and `stats` share.
    static let filterOptions: [any DeclaredOption] = [Key.since, Key.until, Key.channel, Key.to, Key.template]

    package static let spec = CommandSpec(
        name: "history",
        abstract: "List what this tool sent, from the local ledger; refresh statuses, summarise, prune old records.",
        discussion: """
            Every send (single or bulk, every channel) is recorded in ${XDG_STATE_HOME:-~/.local/state}/octopods/history.ndjson \
            (sandbox-history.ndjson with --sandbox or a loopback base URL): time, profile, channel, template, recipient, message id, request id, \
            whether the API accepted it (accepted, rejected with the error, or unknown when no answer came), the bulk \
            file and line, and later each delivery status learned by --wait or 'history refresh'. Message text and \
            variables are not stored. The API lists only a key's last 100 messages; the ledger keeps everything until \
            pruned. Turn it off per send with --no-ledger, or per profile with 'octopods config set ledger off'.

            Without a command, lists the most recent matching sends, oldest first. A send's status is the latest         known: its delivery status once one was learned, else its outcome (accepted, rejected, unknown).

            \(when)
            """,
        options: filterOptions + [Key.status, Key.limit, FieldSelection.key(HistoryListing.fields)],
        examples: [
            Example("octopods history --since 24h", "Everything sent in the last day."),
            Example("octopods history --to +14155552671 --since 2026-11-17", "Did Jane get her reminder this week?"),
            Example(
                "octopods history --since yesterday --status rejected --status failed --status undelivered",
                "Which sends failed since yesterday."),
            Example("octopods history --since 7d --limit 0 -o csv", "A week of sends as CSV, for a spreadsheet."),
            Example(
                "octopods history --template order_update --fields time,to,message_id,status",
                "Sends of a template (by id or name), four columns."),
        ])

    package static var csvOutput: Bool { true }

    var filters: Filters
    /// --fields; the listing streams its rows, so it chooses the columns itself.
    var fields: [String]?

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        filters = try Filters(arguments, limit: (Key.limit, 100))
        fields = try FieldSelection.parse(arguments, valid: HistoryListing.fields)
    }

    package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        let (settings, url) = try Self.ledger(ctx)
        var query = try filters.query(ctx)
        if Self.profileChosen(ctx) { query.profile = settings.profile.value }
        return try HistoryListing(ctx: ctx, url: url, selected: fields).run(query)
    }

    /// The matching sends, as the list, `refresh` and `stats` choose them.
    struct Filters: Sendable {
        var query = HistoryQuery()
        var since: String?
        var until: String?
        let path: [String]

        /// `limit`: the --limit of the list and `refresh` and its default (they also take
        /// --status); nil for `stats`, which counts every match in every state.
        init(_ arguments: ParsedArguments, limit: (key: OptionKey<Int?>, default: Int)? = nil) throws(OctopodsError) {
            path = arguments.path
            since = arguments[Key.since]
            until = arguments[Key.until]
            query.channels = Set(arguments[Key.channel].compactMap(Channel.init(rawValue:)))
            query.templateID = arguments[Key.template]
            if let to = arguments[Key.to] { query.to = try PhoneNumber.normalize(to, field: Key.to.flagName) }
            if let limit {
                query.statuses = Set(arguments[Key.status])
                query.limit = arguments[limit.key] ?? limit.default
            } else {
                query.limit = 0
            }
        }

        /// The query with its times resolved; `since` when --since is not given.
        func query(_ ctx: Context, since defaultSince: Date? = nil) throws(OctopodsError) -> HistoryQuery {
            var query = self.query
            query.since =
                try since.map { text throws(OctopodsError) in try History.time(text, flag: "since", path: path, ctx: ctx) } ?? defaultSince
            if let until { query.until = try History.time(until, flag: "until", path: path, ctx: ctx) }
            if let from = query.since, let to = query.until, from >= to {
                throw .usage(UsageError("--since \(since ?? "") is not before --until \(until ?? "")", path: path))
            }
            return query
        }
    }

    static func time(_ text: String, flag: String, path: [String], ctx: Context) throws(OctopodsError) -> Date {
        guard let date = HistoryTime.parse(text, now: ctx.now()) else {
            if text.lowercased().hasSuffix("mo") || text.lowercased().hasSuffix("month") || text.lowercased().hasSuffix("months") {
                throw .usage(
                    UsageError(
                        "invalid value for '--\(flag)': '\(text)': months are not a duration here ('m' is minutes, and months "
                            + "differ in length); use weeks or days (4w, 30d) or a date (2026-11-01)", path: path))
            }
            throw .usage(
                UsageError(
                    "invalid value for '--\(flag)': '\(text)' is not a time; use a duration (24h, 7d), today, yesterday, "
                        + "a date (2026-11-01) or a date and time (2026-11-01T09:30)", path: path))
        }
        return date
    }

    /// The settings and the ledger they point at.
    static func ledger(_ ctx: Context) throws(OctopodsError) -> (Settings, URL) {
        let settings = try ctx.resolvedSettings()
        return (settings, Ledger.location(ctx, baseURL: settings.baseURL.value))
    }

    /// Whether a profile was named (--profile or OCTOPODS_PROFILE): then only its sends count.
    static func profileChosen(_ ctx: Context) -> Bool {
        ctx.globals.profile != nil || !(ctx.environment[EnvironmentVariable.profile.rawValue] ?? "").isEmpty
    }

    /// Refreshing looks a week back unless --since says otherwise.
    static func refreshWindow(_ ctx: Context) -> Date { ctx.now().addingTimeInterval(-7 * 86400) }

    /// `octopods history refresh`.
    struct Refresh: Command {
        static let spec = CommandSpec(
            name: "refresh",
            abstract: "Ask the API for the current status of sends that are not final yet, and record it.",
            discussion: """
                Asks the API for the current status of the matching WhatsApp and SMS messages of this profile that are not \
                final yet (the last 7 days unless --since says otherwise), paced under the rate limit, and records what it \
                learns in the ledger.

                \(when)
                """,
            options: filterOptions + [Key.status, Key.refreshLimit, Key.rate, FieldSelection.key(HistoryRefresh.fields)],
            examples: [
                Example("octopods history refresh --since 24h", "Ask the API for the statuses of yesterday's sends.")
            ])

        static var csvOutput: Bool { true }
        static var fields: [String] { HistoryRefresh.fields }

        var filters: Filters
        var rate: Pacer.RateFlag?

        init(_ arguments: ParsedArguments) throws(OctopodsError) {
            filters = try Filters(arguments, limit: (Key.refreshLimit, 0))
            rate = try arguments[Key.rate].map { text throws(OctopodsError) in try Pacer.RateFlag(text, path: arguments.path) }
        }

        func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let (_, url) = try History.ledger(ctx)
            let query = try filters.query(ctx, since: History.refreshWindow(ctx))
            return try await HistoryRefresh(ctx: ctx, url: url, rate: rate).run(query)
        }
    }

    /// `octopods history stats`.
    struct Stats: Command {
        static let spec = CommandSpec(
            name: "stats",
            abstract: "Count sends and delivery and read rates per day, hour, template, channel or status.",
            discussion: """
                Counts the matching sends per --by group (day by default; hour; template; channel; or status): sent \
                (accepted by the API), rejected, unknown, and of the sent ones delivered (read included), read, failed \
                (failed or undelivered), pending (no final state yet) and no_status (Viber: no status endpoint), with the \
                delivery rate (delivered of the sent ones that can be followed) and the read rate (read of delivered, WhatsApp \
                only); '–' where a group's channels have no such state. On a terminal each group gets a bar: read, delivered, pending and failed in \
                four shades of block, scaled to the largest group. Days and hours are local time. --refresh runs 'history \
                refresh' over the same sends first.

                \(when)
                """,
            options: filterOptions + [Key.by, Key.refresh, Key.statsRate],
            examples: [
                Example("octopods history stats --since 7d", "Delivery and read rates per day for the last week."),
                Example(
                    "octopods history stats --by template --since 30d --refresh -o csv", "Per template, statuses refreshed first, as CSV."),
            ])

        static var csvOutput: Bool { true }

        var filters: Filters
        var grouping: HistoryStats.Grouping
        var refreshFirst: Bool
        var rate: Pacer.RateFlag?

        init(_ arguments: ParsedArguments) throws(OctopodsError) {
            filters = try Filters(arguments)
            grouping = arguments[Key.by].flatMap(HistoryStats.Grouping.init(rawValue:)) ?? .day
            refreshFirst = arguments[Key.refresh]
            if arguments.has(Key.statsRate), !refreshFirst {
                throw .usage(UsageError("--rate paces --refresh; add --refresh or leave --rate out", path: arguments.path))
            }
            rate = try arguments[Key.statsRate].map { text throws(OctopodsError) in try Pacer.RateFlag(text, path: arguments.path) }
        }

        func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let (settings, url) = try History.ledger(ctx)
            var query = try filters.query(ctx)
            if refreshFirst {
                var window = query
                if window.since == nil { window.since = History.refreshWindow(ctx) }
                _ = try await HistoryRefresh(ctx: ctx, url: url, rate: rate).run(window)
            }
            if History.profileChosen(ctx) { query.profile = settings.profile.value }
            return try stats(ctx, url: url, query: query)
        }

        func stats(_ ctx: Context, url: URL, query: HistoryQuery) throws(OctopodsError) -> CommandOutput {
            let summary = try HistoryStats.summarise(url, query: query, by: grouping)
            if summary.unreadable > 0 {
                ctx.warn("\(NumberText.grouped(summary.unreadable)) lines of \(url.path) are not history records and were skipped")
            }
            let items = summary.groups.map { JSONValue.object(HistoryStats.values($0.label, $0.counts)) }
            let (table, showsBar) = HistoryStats.table(summary, by: grouping, width: ctx.stdoutIsTTY ? ctx.terminalWidth ?? 80 : nil)
            let empty =
                FileManager.default.fileExists(atPath: url.path) ? "No sends in the history match." : "Nothing recorded yet in \(url.path)."
            var output = CommandOutput(json: .array(items), items: items, table: table, emptyMessage: empty)
            if showsBar, !summary.groups.isEmpty { output.text = HistoryStats.legend + "\n" }
            if items.isEmpty, ctx.format != .table { ctx.notice(empty) }
            return output
        }

    }

    /// `octopods history prune`.
    struct Prune: Command {
        static let spec = CommandSpec(
            name: "prune",
            abstract: "Delete history records older than a time.",
            discussion: """
                Deletes the ledger's records older than --before, after asking at a terminal (--yes elsewhere). \
                --dry-run counts them and deletes nothing.

                \(when)
                """,
            options: [Key.before, Key.dryRun, Key.yes],
            examples: [
                Example("octopods history prune --before 90d --yes", "Keep three months (e.g. from cron).")
            ])

        static var csvOutput: Bool { true }

        var before: String
        var dryRun: Bool
        var yes: Bool
        let path: [String]

        init(_ arguments: ParsedArguments) throws(OctopodsError) {
            before = arguments[Key.before] ?? ""
            dryRun = arguments[Key.dryRun]
            yes = arguments[Key.yes]
            path = arguments.path
        }

        func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let (_, url) = try History.ledger(ctx)
            let before = try History.time(before, flag: "before", path: path, ctx: ctx)
            let shown = HistoryListing.localTime(before)
            func result(_ counts: (removed: Int, kept: Int, sends: (removed: Int, kept: Int))) -> CommandOutput {
                let done = !dryRun && counts.removed > 0
                // Sends are what people count; records (statuses too) are the file's lines.
                let removed = "\(NumberText.counted(counts.sends.removed, "send")) (\(NumberText.counted(counts.removed, "record")))"
                let kept =
                    "\(NumberText.counted(counts.sends.kept, "send")) (\(NumberText.counted(counts.kept, "record"))) kept in \(url.path)."
                if done {
                    ctx.notice("Removed \(removed) older than \(shown); " + kept)
                } else {
                    ctx.notice(
                        "\(counts.removed == 0 ? "Nothing to remove" : "Would remove \(removed)")"
                            + " older than \(shown); " + kept)
                }
                return CommandOutput(json: [
                    "file": .string(url.path), "before": .string(LedgerTime.format(before)), "dry_run": .bool(dryRun),
                    "removed": .int(counts.removed), "kept": .int(counts.kept),
                    "sends_removed": .int(counts.sends.removed), "sends_kept": .int(counts.sends.kept),
                ])
            }
            // With --yes there is nothing to ask, so no counting pass first.
            if yes, !dryRun { return result(try Ledger.prune(url, before: before, dryRun: false)) }
            let counted = try Ledger.prune(url, before: before, dryRun: true)
            if dryRun || counted.removed == 0 { return result(counted) }
            guard ctx.stdinIsTTY else {
                throw .usage(
                    UsageError(
                        "'history prune' deletes \(NumberText.counted(counted.removed, "record")); pass --yes to confirm when not at a terminal",
                        path: path))
            }
            guard ctx.confirm("Delete \(NumberText.grouped(counted.removed)) history records older than \(shown)?") else {
                throw .failed("not confirmed; nothing was deleted")
            }
            return result(try Ledger.prune(url, before: before, dryRun: false))
        }
    }
}
