import CLISupport

package struct Status: Command {
    package static let spec = CommandSpec(
        name: "status",
        abstract: "Show a sent message's delivery status.",
        discussion: "Use the same channel's key that sent the message. WhatsApp goes sent → delivered → read; SMS goes queued → sent → delivered. "
            + "failed, undelivered and deleted are final. Viber messages have no status endpoint.",
        arguments: [ArgumentSpec("message-id", help: "The message_id from the send's response.")],
        options: [
            .value("channel", "CHANNEL", .choice(["whatsapp", "sms"]), help: "The channel it was sent on: whatsapp (default) or sms."),
        ] + SendOptions.waitSpecs,
        examples: [
            Example("octopods status 3851834", "Where a WhatsApp message is now."),
            Example("octopods status 4829174 --channel sms --json", "An SMS's status as the API returns it."),
            Example("octopods status 3851834 --wait --until read --timeout 10m", "Wait up to 10 minutes for the message to be read."),
        ])

    var channel: Channel
    var id: String
    var wait: SendOptions

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        channel = arguments.string("channel") == "sms" ? .sms : .whatsapp
        id = arguments.positionals.first ?? ""
        wait = try SendOptions(arguments)
        if wait.wait, wait.until == "read", channel == .sms {
            throw .usage(UsageError("SMS has no read receipts; use --until delivered", path: ["status"]))
        }
    }

    package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        if wait.wait {
            let outcome = try await ctx.waitForStatus(channel: channel, id: id, until: wait.until)
            return CommandOutput(json: outcome.raw, text: Self.describe(outcome.status, fallbackID: id), exitCode: outcome.code)
        }
        let response = try await ctx.apiClient().send(API.messageStatus(channel: channel, id: id))
        return CommandOutput(json: response.raw, text: Self.describe(response.value, fallbackID: id))
    }

    static func describe(_ s: MessageStatus, fallbackID: String) -> String {
        var lines = ["Message \(s.messageID.isEmpty ? fallbackID : s.messageID): \(s.status)"]
        let facts: [(String, String?)] = [
            ("Phone", s.phone), ("Detail", s.statusMessage), ("Failure", s.failure), ("Sent", s.sentAt),
            ("Delivered", s.deliveredAt), ("Read", s.readAt), ("Last updated", s.lastUpdated),
            ("Provider id", s.channelMessageID), ("Conversation", s.conversationID),
        ]
        for (label, value) in facts { if let value { lines.append("  \(TerminalText.pad(label + ":", to: 14)) \(value)") } }
        return lines.joined(separator: "\n") + "\n"
    }
}
