#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// The options every send shares.
package struct SendOptions: Sendable, Equatable {
    package var dryRun = false
    package var wait = false
    /// With --wait: `delivered` or `read`.
    package var until = DeliveryStatus.delivered
    package var maxWait: Double?
    package var noLedger = false
    /// `--allow-repeat`: send even what the history shows as sent lately (docs/repeat-guard.md).
    package var allowRepeat = false
    /// `--idempotency-key`: a send with this key and the same request is made once, ever.
    package var idempotencyKey: String?

    /// The options, declared once.
    package enum Key {
        /// A send's recipient (interactive sends say more about --from).
        package static let to = OptionKey.value("to", "PHONE", help: "Recipient, E.164: +14155552671 (or many with --from).")
        package static let name = OptionKey.value(
            "name", "NAME", help: "Display name for a contact Octopods creates (with --open-conversation).")
        package static let openConversation = OptionKey.flag(
            "open-conversation", help: "Open a conversation in Intercom or HubSpot for this message.")
        package static let dryRun = OptionKey.flag(
            "dry-run", help: "Check everything and print the exact request (key redacted) and a preview; send nothing.")
        package static let maxWait = OptionKey.duration(
            "max-wait",
            help:
                "If rate limited (429) or the connection is refused, keep trying for up to this long (counted from the start, every request of the command)."
        )
        package static let noLedger = OptionKey.flag(
            "no-ledger", help: "Do not record this send in the local history (see 'octopods history'; or set 'ledger = off').")
        package static let allowRepeat = OptionKey.flag(
            "allow-repeat",
            help:
                "Send even if the history shows the identical message (same recipient and content) sent within repeat_window (default 24h)."
        )
        package static let idempotencyKey = OptionKey.value(
            "idempotency-key", "KEY",
            help:
                "Send once per KEY: a later send with the same KEY and request prints the first result and sends nothing; with another request it is refused."
        )
        package static let wait = OptionKey.flag(
            "wait",
            help:
                "Poll the status until it is final or --wait-timeout (default 2m) passes: exit 0 delivered, 1 failed, 6 sent but not confirmed."
        )
        /// Viber's: declared hidden so that --wait gets the reason, not "unknown option".
        package static let viberWait = OptionKey.flag("wait", hidden: true, help: "Viber messages have no status endpoint.")
        package static let until = OptionKey.value(
            "until", "STATE", .choice([DeliveryStatus.delivered, .read].map(\.rawValue)),
            help: "With --wait: the state that counts as done (default delivered).")
        package static let waitTimeout = OptionKey.duration(
            "wait-timeout", help: "With --wait: give up waiting after this long in all (default 2m); --timeout is each request's.")
    }

    package static func specs(canWait: Bool) -> [any DeclaredOption] {
        [Key.dryRun] + (canWait ? waitSpecs : [Key.viberWait]) + [Key.maxWait, Key.noLedger, Key.allowRepeat, Key.idempotencyKey]
    }

    package static let waitSpecs: [any DeclaredOption] = [Key.wait, Key.until, Key.waitTimeout]

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        try self.init(waiting: arguments)
        dryRun = arguments[Key.dryRun]
        maxWait = arguments[Key.maxWait]
        noLedger = arguments[Key.noLedger]
        allowRepeat = arguments[Key.allowRepeat]
        idempotencyKey = arguments[Key.idempotencyKey]
        if let key = idempotencyKey {
            if arguments.isDeclared(BulkOptions.Key.from), arguments.has(BulkOptions.Key.from) {
                throw .usage(
                    UsageError(
                        "--idempotency-key is one key for one send; a bulk run takes each row's key from a column with --idempotency-column NAME",
                        path: arguments.path))
            }
            if key.isEmpty || key.count > 255
                || key.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true })
            {
                throw .usage(
                    UsageError(
                        "--idempotency-key must be 1 to 255 characters on one line, without control characters", path: arguments.path))
            }
            if noLedger {
                throw .usage(
                    UsageError(
                        "--idempotency-key is kept in the history, which --no-ledger turns off: leave out one of them", path: arguments.path
                    ))
            }
        }
        if dryRun, wait {
            throw .usage(UsageError("--dry-run sends nothing, so there is nothing to --wait for", path: arguments.path))
        }
    }

    /// Only --wait and --until (from `waitSpecs`; Viber declares a hidden --wait and no --until).
    package init(waiting arguments: ParsedArguments) throws(OctopodsError) {
        wait = arguments.isDeclared(Key.wait) ? arguments[Key.wait] : arguments.isDeclared(Key.viberWait) && arguments[Key.viberWait]
        let untilGiven = arguments.isDeclared(Key.until) && arguments.has(Key.until)
        until = untilGiven ? arguments[Key.until].map(DeliveryStatus.init(rawValue:)) ?? .delivered : .delivered
        if untilGiven, !wait {
            throw .usage(UsageError("--until needs --wait", path: arguments.path))
        }
        if arguments.isDeclared(Key.waitTimeout), arguments.has(Key.waitTimeout), !wait {
            throw .usage(UsageError("--wait-timeout needs --wait", path: arguments.path))
        }
    }

    package init() {}

    package static func viberCannotWait(_ path: [String]) -> OctopodsError {
        .usage(
            UsageError(
                "Viber messages have no status endpoint, so --wait cannot follow them",
                suggestion: "Send without --wait; 'octopods history' records the send.", path: path))
    }

    /// How long this command's requests may wait for a 429's pause: --max-wait from the run's start.
    package func patience(_ ctx: Context) -> Pacer.Patience {
        maxWait.map { .until(ctx.startedAt.addingTimeInterval($0)) } ?? .none
    }
}

/// A checked send, ready to go: the endpoint and what to show about it.
package struct SendPlan: Sendable {
    package var endpoint: Endpoint<SendResult>
    /// Where the status can be followed (nil for Viber, which has no status endpoint).
    package var statusChannel: Channel?
    package var recipient: String
    package var preview: String
    /// Facts shown by --dry-run and --verbose (SMS encoding and segments).
    package var notes: [String] = []
}

extension Sender {
    /// Dry run, or send (waiting out 429s within --max-wait), then follow with --wait.
    package func execute(_ plan: SendPlan, _ options: SendOptions) async throws(OctopodsError) -> CommandOutput {
        if options.wait, plan.statusChannel == nil { throw SendOptions.viberCannotWait([]) }
        if options.wait, options.until == .read, plan.statusChannel == .sms {
            throw .usage(UsageError("SMS has no read receipts; use --until delivered"))
        }
        var client = self.client
        client.patience = options.patience(ctx)
        if options.dryRun { return try dryRun(plan, client: client) }
        if ctx.globals.verbose { for note in plan.notes { ctx.stderr.write("* \(note)\n") } }

        let recorder = recorder(disabled: options.noLedger)
        defer { recorder?.close() }
        let response: APIResponse<SendResult>
        // The rate budget's slot first, then the claim: a run killed while waiting for its turn
        // leaves no reservation that would read as a send with an unknown outcome.
        let slot = try await client.reserve(plan.endpoint)
        let claimed: RepeatGuard.Claim
        do { claimed = try await claim(plan, options, recorder: recorder) } catch {
            client.release(slot)
            throw error
        }
        if case .go = claimed {} else { client.release(slot) }
        switch claimed {
        case .go(let message):
            do {
                response = try await client.send(plan.endpoint, first: slot)
            } catch {
                recorder?.sent(plan.endpoint, to: plan.recipient, result: .failure(error), message: message)
                throw error
            }
            recorder?.sent(plan.endpoint, to: plan.recipient, result: .success(response), message: message)
            if let warning = response.warning { ctx.warn(warning) }
            if response.value.messageID == nil { ctx.warn(SendResult.unknownIDWarning) }
        case .repeated(let earlier), .sameKey(let earlier):
            // Not sent again: the earlier result, as the send printed it (a retrying script gets the same answer).
            ctx.notice(RepeatGuard.notSentAgain(earlier, key: options.idempotencyKey))
            response = RepeatGuard.response(earlier, to: plan.recipient)
        case .keyConflict(let earlier):
            throw RepeatGuard.keyConflict(earlier, key: options.idempotencyKey ?? "")
        }
        // From here on the send is accepted: whatever fails later, the result goes to stdout and
        // the exit is never 1-4 (a later failure is `.unconfirmed`, exit 6).
        let sent = response.value
        var accepted = CommandOutput(
            json: response.raw,
            // A repeat prints the earlier result as the send printed it; stderr has said it was not sent again.
            text: Self.sentLine(id: sent.messageID, phone: plan.recipient, statusChannel: plan.statusChannel))
        guard options.wait, let channel = plan.statusChannel else { return accepted }
        // With --wait the JSON is always {"send": …, "status": …}; status null when not learned.
        accepted.json = ["send": response.raw, "status": .null]
        guard let id = sent.messageID else {
            accepted.failure = .unconfirmed(
                Unconfirmed(
                    messageID: nil, channel: nil,
                    reason: "the API returned no message_id, so --wait cannot follow it"))
            return accepted
        }
        let outcome: WaitOutcome
        do {
            outcome = try await waitForStatus(channel: channel, id: id, until: options.until, afterSend: true)
        } catch {
            if case .interrupted = error.disposition {
                // Ctrl-C is still exit 130, but the message is sent: say so (an error line, not silenced by --quiet).
                ctx.stderr.write(
                    "Message \(id) was sent; stopped waiting for its status. Check it with: octopods status \(id)\(channel == .sms ? " --channel sms" : "")\n"
                )
                accepted.failure = .interrupted
            } else {
                accepted.failure = .unconfirmed(
                    Unconfirmed(
                        messageID: id, channel: channel,
                        reason: "its delivery could not be confirmed: the status check failed", cause: error))
            }
            return accepted
        }
        recorder?.learned(outcome.status, channel: channel, messageID: id)
        let json: JSONValue = ["send": response.raw, "status": outcome.learned ? MessageStatus.output(outcome.raw) : .null]
        var output = CommandOutput(
            json: json,
            table: Table(
                headers: ["MESSAGE ID", "PHONE", "STATUS", "FAILURE"],
                rows: [[id, sent.phone ?? plan.recipient, outcome.status.status.rawValue, outcome.status.failure ?? ""]]))
        output.exitCode = outcome.code
        output.failure = outcome.failure(id: id)
        return output
    }

    /// Asks the repeat guard whether the message may go (and reserves it); `.go(nil)` without
    /// a history (--no-ledger, `ledger = off`), which is said once, or when the history cannot
    /// be read (said; sent without the check, unless an idempotency key needed it).
    func claim(_ plan: SendPlan, _ options: SendOptions, recorder: HistoryRecorder?) async throws(OctopodsError) -> RepeatGuard.Claim {
        guard let recorder else {
            if options.idempotencyKey != nil {
                throw .usage(
                    UsageError(
                        "--idempotency-key is kept in the history, which profile '\(settings.profile.value)' turns off (ledger = off)"))
            }
            if !options.allowRepeat, settings.repeatWindow != nil { ctx.warn(RepeatGuard.noHistoryWarning(options.noLedger)) }
            return .go(nil)
        }
        let repeats = recorder.repeatGuard(window: settings.repeatWindow)
        let message = repeats.message(plan.endpoint, to: plan.recipient, key: options.idempotencyKey)
        do {
            return try await repeats.claim(message, lookForRepeats: !options.allowRepeat)
        } catch {
            if options.idempotencyKey != nil { throw error }
            ctx.warn(RepeatGuard.unreadableWarning(error))
            return .go(nil)
        }
    }

    /// What a person reads after one send: one line, and the next step.
    static func sentLine(id: String?, phone: String, statusChannel: Channel?) -> String {
        guard let id else { return "Sent to \(phone) — the API returned no message id\n" }
        guard let channel = statusChannel else {
            return "Sent to \(phone) — message \(id)\nViber has no delivery status; 'octopods history' records the send.\n"
        }
        return "Sent to \(phone) — message \(id)\nNext: octopods status \(id)\(channel == .sms ? " --channel sms" : "") --wait\n"
    }

    func dryRun(_ plan: SendPlan, client: APIClient) throws(OctopodsError) -> CommandOutput {
        let key: String
        do {
            key = try client.key(plan.endpoint.channel)
        } catch {
            ctx.warn("no \(plan.endpoint.channel.displayName) key is set, so a real send would fail (exit 3)")
            key = ""
        }
        let request = try client.request(for: plan.endpoint, key: key)
        let headers = request.headers.map { APIClient.display(header: $0, $1, key: key) }
        let body = plan.endpoint.body ?? .null
        let url = APIClient.display(request.url, key: key)
        var text = "\(request.method) \(url)\n"
        text += headers.map { "\($0.0): \($0.1)\n" }.joined()
        text += "\n" + body.serialized(pretty: true) + "\n"
        text +=
            "\nPreview (to \(plan.recipient)):\n"
            + plan.preview.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
        for note in plan.notes { text += note + "\n" }
        ctx.notice("Dry run: the request is valid; nothing was sent.")
        var json: JSONValue = [
            "dry_run": true,
            "request": [
                "method": .string(request.method), "url": .string(url),
                "headers": .object(headers.map { ($0.0, .string($0.1)) }), "body": body,
            ],
            "preview": .string(plan.preview),
        ]
        if !plan.notes.isEmpty { json.set("notes", .array(plan.notes.map(JSONValue.string))) }
        return CommandOutput(json: json, text: text)
    }

    /// Follows a message's status (`StatusFollower`) until it is final (per `until`) or the
    /// deadline (--wait-timeout, default 2 minutes) passes. A failure of the status check that
    /// asking again cannot mend is thrown (the caller knows whether a send preceded it).
    /// `afterSend`: the API has just accepted it, so "Message not found." means not yet known.
    package func waitForStatus(
        channel: Channel, id: String, until: DeliveryStatus,
        afterSend: Bool = false
    ) async throws(OctopodsError) -> WaitOutcome {
        let (total, perRequest) = ctx.waitLimits()
        var context = ctx
        context.globals.timeout = perRequest
        let follower = StatusFollower(
            ctx: ctx, client: context.apiClient(settings), channel: channel, until: until, afterSend: afterSend, total: total,
            narrate: true)
        var final: StatusFollower.Final?
        let left = try await follower.follow([id]) { _, reached in final = reached }
        if let final { return WaitOutcome(status: final.status, raw: final.raw, code: final.code) }
        let learned = left.first?.learned ?? StatusFollower.Learned()
        let state = learned.status?.0.status ?? .unknown
        let still = learned.notKnownYet == nil ? "it is still \(state.rawValue)" : "the API still does not know it"
        let unconfirmed = Unconfirmed(
            messageID: id, channel: channel,
            reason: "\(still) after \(DurationText.format(seconds: total)); gave up waiting (--wait-timeout)",
            cause: learned.notKnownYet)
        return WaitOutcome(
            status: learned.status?.0 ?? MessageStatus(messageID: id, status: state),
            raw: learned.status?.1 ?? ["message_id": .string(id), "status": .string(state.rawValue)],
            code: .unconfirmed, unconfirmed: unconfirmed, learned: learned.status != nil)
    }
}

/// Where `--wait` left a message: a final status (exit 0 or 1), or the deadline passed (exit 6).
package struct WaitOutcome: Sendable {
    package var status: MessageStatus
    package var raw: JSONValue
    package var code: ExitCode
    /// Set when the deadline passed before a final status.
    package var unconfirmed: Unconfirmed?
    /// False when no status answer came at all (`raw` is then made up).
    package var learned = true

    /// What the run reports on stderr: the deadline that passed, or a message that ended failed
    /// (with its reason and code, in the JSON error line too).
    package func failure(id: String) -> OctopodsError? {
        if let unconfirmed { return .unconfirmed(unconfirmed) }
        guard code == .rejected else { return nil }
        var status = status
        if status.messageID.isEmpty { status.messageID = id }
        return .deliveryFailed(status)
    }
}

extension Context {
    /// How long a --wait may take in all, and each of its status requests. `--timeout` used to
    /// mean the whole wait when --wait was given; that meaning is kept for one release, with a
    /// warning, when --wait-timeout is not given (README "Sending").
    package func waitLimits() -> (total: Double, perRequest: Double) {
        if let total = globals.waitTimeout { return (total, min(globals.timeout ?? Defaults.timeout, total)) }
        if let old = globals.timeout {
            warn(
                "--timeout with --wait is taken as the whole wait (--wait-timeout) for this release only; "
                    + "from the next one it is each request's timeout, as everywhere else: use --wait-timeout \(DurationText.format(seconds: old))"
            )
            return (old, min(Defaults.timeout, old))
        }
        return (PollSchedule.defaultTimeout, Defaults.timeout)
    }
}
