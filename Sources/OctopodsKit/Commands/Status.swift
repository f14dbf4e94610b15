import CLISupport

package struct Status: Command {
    package static let spec = CommandSpec(
        name: "status",
        abstract: "Show a sent message's delivery status.",
        discussion:
            "Use the same channel's key that sent the message. WhatsApp goes sent → delivered → read; SMS goes queued → sent → delivered. "
            + "failed, undelivered and deleted are final. Viber messages have no status endpoint.",
        arguments: [ArgumentSpec("message-id", help: "The message_id from the send's response.")],
        options: [channelOption, FieldSelection.key(fields)] + SendOptions.waitSpecs,
        examples: [
            Example("octopods status 3851834", "Where a WhatsApp message is now."),
            Example("octopods status 4829174 --channel sms --json", "An SMS's status as the API returns it."),
            Example("octopods status 3851834 --wait --until read --wait-timeout 10m", "Wait up to 10 minutes for the message to be read."),
        ])

    package static let fields = [
        "message_id", "status", "status_message", "phone_number", "channel_message_id", "sent_at",
        "delivered_at", "read_at", "last_updated", "failure_reason", "request_id",
    ]

    static let channelOption = OptionKey.value(
        "channel", "CHANNEL", .choice(["whatsapp", "sms"]),
        help: "The channel it was sent on: whatsapp or sms (default: the channel the history records for this id, else whatsapp).")

    /// Nil when not given: the history decides, else WhatsApp.
    var channel: Channel?
    var id: String
    var wait: SendOptions

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        channel = arguments[Self.channelOption].flatMap(Channel.init(rawValue:))
        id = try IDArgument.check(arguments.positionals.first ?? "", name: "message-id", path: arguments.path)
        wait = try SendOptions(waiting: arguments)
        if wait.wait, wait.until == .read, channel == .sms {
            throw .usage(UsageError("SMS has no read receipts; use --until delivered", path: arguments.path))
        }
    }

    package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        let sender = try Sender(ctx)
        let recorded = channel == nil ? Self.recordedChannel(of: id, settings: sender.settings, ctx: ctx) : nil
        let channel = self.channel ?? recorded ?? .whatsapp
        if wait.wait, wait.until == .read, channel == .sms {
            throw .usage(
                UsageError(
                    "message \(id) is an SMS (from the history), and SMS has no read receipts; use --until delivered",
                    path: ["status"]))
        }
        do {
            if wait.wait {
                let outcome = try await sender.waitForStatus(channel: channel, id: id, until: wait.until)
                if let recorder = sender.recorder(disabled: false) {
                    recorder.learned(outcome.status, channel: channel, messageID: id)
                    recorder.close()
                }
                return CommandOutput(
                    json: MessageStatus.output(outcome.raw), text: Self.describe(outcome.status, fallbackID: id),
                    exitCode: outcome.code, failure: outcome.failure(id: id))
            }
            let response = try await sender.client.send(API.messageStatus(channel: channel, id: id))
            return CommandOutput(json: MessageStatus.output(response.raw), text: Self.describe(response.value, fallbackID: id))
        } catch {
            throw Self.explainNotFound(error, id: id, channel: channel, guessed: self.channel == nil && recorded == nil)
        }
    }

    /// The channel the history ledger records for the latest send with this id (this profile's
    /// sends), read from the end of the ledger; nil when it has none.
    static func recordedChannel(of id: String, settings: Settings, ctx: Context) -> Channel? {
        let profile = settings.profile.value
        let needle = HistoryQuery.needle("message_id", id)
        var channel: Channel?
        try? Ledger.forEachLineBackward(Ledger.location(ctx, baseURL: settings.baseURL.value)) { line in
            guard LedgerLine.type(line) == .send, LedgerLine.contains(line, needle), let record = LedgerRecord.decode(line),
                record.messageID == id, record.profile == profile
            else { return false }
            channel = record.channel
            return true
        }
        return channel
    }

    /// An id the API does not know, looked up on a guessed channel: say how to look elsewhere.
    static func explainNotFound(_ error: OctopodsError, id: String, channel: Channel, guessed: Bool) -> OctopodsError {
        guard guessed, case .api(var api) = error, error.disposition == .refused else { return error }
        let other = channel == .sms ? "whatsapp" : "sms"
        api.hint =
            "Looked on \(channel.rawValue) (the history has no send with this id). If it was sent on another channel, "
            + "add --channel \(other); and use the key that sent it (ids belong to one channel's key)."
        return .api(api)
    }

    static func describe(_ s: MessageStatus, fallbackID: String) -> String {
        func local(_ text: String?) -> String? { text.map { Vocabulary.localTime(iso: $0) ?? $0 } }
        var lines = ["Message \(s.messageID.isEmpty ? fallbackID : s.messageID): \(s.status.rawValue)"]
        let facts: [(String, String?)] = [
            ("Phone", s.phone), ("Detail", s.statusMessage), ("Failure", s.failure), ("Sent", local(s.sentAt)),
            ("Delivered", local(s.deliveredAt)), ("Read", local(s.readAt)), ("Last updated", local(s.lastUpdated)),
            ("Provider id", s.channelMessageID), ("Conversation", s.conversationID),
        ]
        for (label, value) in facts { if let value { lines.append("  \(TerminalText.pad(label + ":", to: 14)) \(value)") } }
        return lines.joined(separator: "\n") + "\n"
    }
}
