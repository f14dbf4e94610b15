#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// `octopods history refresh`: the current status of matching messages not final yet.
struct HistoryRefresh {
    let ctx: Context
    let url: URL
    let rate: Pacer.RateFlag?

    /// Every key an item of its JSON output can have (`--fields`).
    static let fields = ["message_id", "channel", "to", "time", "before", "status", "changed", "failure", "error"]

    func run(_ query: HistoryQuery) async throws(OctopodsError) -> CommandOutput {
        var query = query
        let settings = try ctx.resolvedSettings()
        query.profile = settings.profile.value
        var pending: [HistoryEntry] = []
        var viber = 0, final = 0
        _ = try query.run(url) { entry in
            guard entry.send.messageID != nil, entry.send.outcome == .accepted else { return }
            if entry.send.channel == .vbm { viber += 1 } else if entry.isFinal { final += 1 } else { pending.append(entry) }
        }
        if viber > 0 { ctx.notice("Skipping \(NumberText.counted(viber, "Viber message")): Viber has no status endpoint.") }
        // An id no status request can name (a server answered a send with "" or ".."): skipped
        // and said once, so one hostile answer cannot stop every later refresh.
        let unaskable = pending.compactMap(\.send.messageID).filter { $0.isEmpty || $0 == "." || $0 == ".." }
        if !unaskable.isEmpty {
            pending.removeAll { unaskable.contains($0.send.messageID ?? "") }
            let shown = Set(unaskable).sorted().map { "'\($0)'" }.joined(separator: ", ")
            ctx.notice(
                "Skipping \(NumberText.counted(unaskable.count, "message")) whose id cannot be asked about (\(shown)): the API answered the send with it."
            )
        }
        let headers = ["MESSAGE ID", "CHANNEL", "TO", "SENT", "BEFORE", "STATUS", "DETAIL"]
        guard !pending.isEmpty else {
            let message =
                "No messages of profile '\(query.profile ?? "")' to refresh: "
                + (final > 0 ? "\(NumberText.grouped(final)) matching ones are final." : "none match.")
            if ctx.format != .table { ctx.notice(message) }
            return CommandOutput(items: [], table: Table(headers: headers, rows: []), emptyMessage: message)
        }
        var client = ctx.apiClient(settings)
        client.rate = Pacer.RateFlag.resolve(rate, profile: settings.rate)
        // Paced in the key's shared window; a 429 (or a pause another process recorded) stops it
        // with exit 4, like any failure not about one message.
        client.notice = nil
        let recorder = HistoryRecorder(ledger: Ledger(url: url), profile: settings.profile.value, ctx: ctx)
        defer { recorder.close() }
        var items: [JSONValue] = [], rows: [[String]] = []
        var changed = 0, failed = 0, expired = 0
        var code = ExitCode.success
        ctx.notice("Checking \(NumberText.counted(pending.count, "message"))…")
        var progress = RefreshProgress(ctx: ctx, total: pending.count, rate: client.rate)
        defer { progress.clear() }
        entries: for entry in pending {
            progress.draw(done: items.count, changed: changed)
            guard let id = entry.send.messageID else { continue }
            var item: JSONValue = [
                "message_id": .string(id), "channel": .string(entry.send.channel.rawValue),
                "to": entry.send.to.map(JSONValue.string) ?? .null,
                "time": .string(LedgerTime.format(entry.send.time)),
                "before": .string(entry.state),
            ]
            var detail = ""
            let result: Result<APIResponse<MessageStatus>, OctopodsError>
            do { result = .success(try await client.send(API.messageStatus(channel: entry.send.channel, id: id))) } catch {
                if case .interrupted = error {
                    code = .interrupted
                    break entries
                }
                result = .failure(error)
            }
            switch result {
            case .success(let response):
                let status = response.value
                item.set("status", .string(status.status.rawValue))
                item.set("changed", .bool(status.status != entry.status))
                if status.status != entry.status {
                    changed += 1
                    recorder.learned(status, channel: entry.send.channel, messageID: id)
                }
                detail = status.failure ?? ""
                item.set("failure", status.failure.map(JSONValue.string) ?? .null)
            case .failure(let error):
                // Only a refusal about this message (an id the API does not know) lets the others go on;
                // anything else (network, server, auth, rate limit) would fail them all alike.
                guard error.disposition == .refused else {
                    progress.clear()
                    ctx.notice(
                        "Stopped after checking \(NumberText.grouped(items.count)) of \(NumberText.counted(pending.count, "message")); what was learned is recorded."
                    )
                    throw error
                }
                let report = error.report(now: ctx.now)
                if report.code == .rejected, case .api = error {
                    // "Message not found.": the API keeps only a key's recent messages and no
                    // longer knows this one. Recorded once as expired (final: not asked again).
                    expired += 1
                    changed += 1
                    recorder.learned(MessageStatus(messageID: id, status: .expired), channel: entry.send.channel, messageID: id)
                    detail = report.details.first ?? report.message
                    item.set("status", .string(DeliveryStatus.expired.rawValue))
                    item.set("changed", .bool(true))
                    item.set("failure", .null)
                } else {
                    failed += 1
                    code = .rejected
                    detail = report.message
                    item.set("status", .null)
                    item.set("error", .string(report.message))
                }
            }
            rows.append([
                id, entry.send.channel.rawValue, entry.send.to ?? "", HistoryListing.localTime(entry.send.time), entry.state,
                item["status"]?.stringValue ?? "?", detail,
            ])
            items.append(item)
        }
        progress.clear()
        ctx.notice(
            "Checked \(NumberText.grouped(items.count)) of \(NumberText.counted(pending.count, "message")): \(NumberText.grouped(changed)) changed"
                + (expired > 0 ? " (\(NumberText.grouped(expired)) expired: the API no longer knows them)" : "")
                + (failed > 0 ? ", \(NumberText.grouped(failed)) could not be checked" : "") + ".")
        if code == .interrupted { ctx.stderr.write("Interrupted: what was learned so far is recorded.\n") }
        return CommandOutput(items: items, table: Table(headers: headers, rows: rows, flexibleColumn: 6), exitCode: code)
    }
}

/// The line `history refresh` keeps up to date at a terminal while it asks (stderr, not with
/// --quiet): how many were checked, how many changed, and when it should be done, from the pace
/// seen so far or, before there is one, the rate budget.
struct RefreshProgress {
    let ctx: Context
    let total: Int
    let rate: Pacer.Rate?
    let enabled: Bool
    let started: Date
    private var drawn = false

    init(ctx: Context, total: Int, rate: Pacer.Rate?) {
        self.ctx = ctx; self.total = total; self.rate = rate
        enabled = ctx.stderrIsTTY && !ctx.globals.quiet
        started = ctx.now()
    }

    mutating func draw(done: Int, changed: Int) {
        guard enabled else { return }
        let elapsed = ctx.now().timeIntervalSince(started)
        let left = Double(total - done)
        var eta: Double?
        if done > 0, elapsed >= 2 { eta = left * elapsed / Double(done) } else if let rate { eta = left * rate.window / Double(rate.count) }
        let line =
            "Checking \(NumberText.grouped(done + 1))/\(NumberText.grouped(total)) · \(NumberText.grouped(changed)) changed"
            + (eta.map { " · ETA " + NumberText.duration($0) } ?? "")
        let columns = (ctx.terminalWidth ?? 80) - 1
        ctx.stderr.write("\r\u{1B}[K" + (TerminalText.width(line) > columns ? TerminalText.truncate(line, to: columns) : line))
        drawn = true
    }

    mutating func clear() {
        if drawn { ctx.stderr.write("\r\u{1B}[K") }
        drawn = false
    }
}
