import CLISupport

/// A template send, WhatsApp (`send template`) or Viber (`vbm send`): the same checks and
/// flow, a different path, media field and variable sections.
struct TemplateSend: Sendable {
    var channel: Channel
    var templateID: String
    var to: String?
    var arguments: ParsedArguments
    var mediaURL: String?
    var name: String?
    var openConversation: Bool
    var teammate: String?
    var verify: Bool
    var options: SendOptions
    var bulk: BulkOptions

    var mediaFlag: String { channel == .vbm ? "header-image" : "header-url" }
    var mediaField: String { channel == .vbm ? "header_image_url" : "header_attachment_url" }

    static func options(_ channel: Channel) -> [OptionSpec] {
        var specs: [OptionSpec] = [.value("to", "PHONE", help: "Recipient, E.164: +14155552671 (or many with --from).")]
        specs += TemplateVariables.options(channel)
        if channel == .vbm {
            specs.append(.value("header-image", "URL", help: "Public URL of the header image, for templates with an image header."))
        } else {
            specs.append(.value("header-url", "URL", help: "Public URL of the header image, video or document, for templates with a media header."))
            specs.append(.value("name", "NAME", help: "Display name for a contact Octopods creates (with --open-conversation)."))
        }
        specs += [
            .flag("open-conversation", help: "Open a conversation in Intercom or HubSpot for this message."),
            .value("teammate", "ID", help: "Intercom teammate shown as the sender (default: the channel's default sender)."),
            .flag("no-verify", help: "Skip fetching the template to check status, variables and header before sending."),
        ]
        return specs + SendOptions.specs(canWait: channel != .vbm) + BulkOptions.specs
    }

    init(channel: Channel, _ arguments: ParsedArguments) throws(OctopodsError) {
        self.channel = channel
        self.arguments = arguments
        templateID = try IDArgument.check(arguments.positionals.first ?? "", name: "template-id", path: arguments.path)
        bulk = try BulkOptions(arguments)
        to = bulk.isBulk ? nil : try PhoneNumber.validate(arguments.string("to") ?? "")
        mediaURL = arguments.string(channel == .vbm ? "header-image" : "header-url")
        if let mediaURL { try URLCheck.checkMedia(mediaURL, field: "--\(channel == .vbm ? "header-image" : "header-url")") }
        name = arguments.string("name")
        openConversation = arguments.flag("open-conversation")
        teammate = arguments.string("teammate")
        verify = !arguments.flag("no-verify")
        options = try SendOptions(arguments)
        if channel == .vbm, options.wait { throw SendOptions.viberCannotWait(arguments.path) }
        if let name, name.contains(where: \.isNewline) { throw .invalidInput("--name must be one line") }
    }

    var command: String { "\(channel == .vbm ? "vbm send" : "send template") \(templateID)" }
    var mediaColumn: String { channel == .vbm ? "header_image" : "header_url" }

    /// The template, fetched (or from the cache) and checked sendable; nil with --no-verify.
    /// `client`: a bulk run's; a single send's has its --max-wait.
    func template(_ ctx: Context, client: APIClient? = nil) async throws(OctopodsError) -> Template? {
        guard verify else { return nil }
        var fetcher: APIClient
        if let client { fetcher = client } else { fetcher = try ctx.apiClient() }
        if fetcher.patience == .none { fetcher.patience = options.patience(ctx) }
        let template = try await ctx.fetchTemplate(channel: channel, id: templateID, client: fetcher)
        try ctx.checkSendable(template)
        return template
    }

    func body(to: String, variables: TemplateVariables, needs: VariableRequirements?, mediaURL: String?, name: String?) -> JSONValue {
        var body: JSONValue = ["destination_phone": .string(to)]
        if let values = variables.messageVariables(channel: channel, needs: needs) { body.set("message_variables", values) }
        if let mediaURL { body.set(mediaField, .string(mediaURL)) }
        if openConversation { body.set("open_intercom_conversation", true) }
        if let teammate { body.set("intercom_teammate_id", .string(teammate)) }
        if let name { body.set("destination_user_name", .string(name)) }
        return body
    }

    func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        if bulk.isBulk {
            let send = self
            return try await BulkRun(ctx: ctx, command: command, options: bulk, send: options) { client throws(OctopodsError) in
                try await send.bulkPlan(ctx, client: client)
            }.run()
        }
        let to = self.to ?? ""
        let variables = try TemplateVariables.parse(arguments, ctx: ctx)
        var preview = "(template not fetched: --no-verify)"
        let template = try await self.template(ctx)
        if let template {
            try variables.check(against: template, channel: channel, mediaURL: mediaURL)
            preview = variables.preview(template, mediaURL: mediaURL)
        }
        let plan = SendPlan(endpoint: API.sendTemplate(channel: channel, templateID: templateID,
                                                       body: body(to: to, variables: variables, needs: template?.requirements,
                                                                  mediaURL: mediaURL, name: name)),
                            statusChannel: channel == .vbm ? nil : .whatsapp, recipient: to, preview: preview)
        return try await ctx.execute(plan, options)
    }

    func bulkPlan(_ ctx: Context, client: APIClient) async throws(OctopodsError) -> BulkPlan {
        if arguments.has("variables") {
            throw .usage(UsageError("--variables cannot be combined with --from: give per-row variables as columns 1, 2, header.1, …",
                                    path: arguments.path))
        }
        let defaults = try TemplateVariables.parse(arguments, ctx: ctx)
        let template = try await self.template(ctx, client: client)
        let needs = template?.requirements
        let send = self
        let channel = self.channel, mediaColumn = self.mediaColumn
        return BulkPlan(
            statusChannel: channel == .vbm ? nil : .whatsapp,
            knows: { column in
                if ["phone", "name", mediaColumn].contains(column) { return true }
                guard let (section, _) = BulkColumns.placeholder(column) else { return false }
                return channel != .vbm || section != "button"
            },
            endpoint: { API.sendTemplate(channel: channel, templateID: send.templateID, body: $0) },
            prepare: { row throws(OctopodsError) in
                let phone = try BulkColumns.phone(row)
                let variables = try defaults.merging(row)
                let media = BulkColumns.value(row, mediaColumn) ?? send.mediaURL
                if let media { try URLCheck.checkMedia(media, field: "column '\(mediaColumn)'") }
                if let template {
                    try variables.check(against: template, channel: channel, mediaURL: media, source: .columns, requirements: needs)
                }
                return (phone, send.body(to: phone, variables: variables, needs: needs, mediaURL: media,
                                         name: BulkColumns.value(row, "name") ?? send.name))
            })
    }
}

package enum Send {
    package static let spec = CommandSpec(
        name: "send",
        abstract: "Send WhatsApp messages: approved templates, or interactive messages inside the 24-hour window.",
        discussion: """
        Every send is checked before it leaves (phone, template, variables, media, limits); --dry-run shows the exact \
        request, and --wait follows the message until it is delivered or fails.

        BULK SENDS: --from FILE (any send command) reads recipients from a CSV with a header row (columns: phone, \
        name, 1, 2, … for body variables, header.1, footer.1, button.1, header_url, and body for SMS) or NDJSON with \
        the same keys; - reads stdin. Every row is checked before anything is sent, and every bad row is listed with \
        its line number (--dry-run stops there; --skip-invalid sends the valid ones). Requests are paced to at most \
        --rate (default 55/10s, the API's limit) with --concurrency in flight. Each row's state goes to a journal \
        (one per input file and command under $XDG_STATE_HOME/octopods/journals/, or --journal) before its request \
        leaves and after its answer; one run at a time holds it. Run the same command again to resume an unfinished \
        run; rows sent with no recorded answer are reported as unknown and not resent without --resend-unknown. A \
        file whose run finished is not sent again (exit 2) unless --new-run; a file that changed after its run \
        finished is a new run; one that changed mid-run is refused. Ctrl-C lets in-flight requests finish, writes \
        the journal and exits 130. Each row's outcome is one JSON line on stdout; a summary goes to stderr.
        """)

    package struct Template: Command {
        package static let spec = CommandSpec(
            name: "template",
            abstract: "Send a WhatsApp template message.",
            discussion: """
            With --from FILE it sends to every row of a CSV or NDJSON file (see BULK SENDS in 'octopods help send'). \
            The template is fetched first (cached for 5 minutes) to check that it is accepted and that every section \
            gets exactly the variables it needs: --var for the body, --header-var, --footer-var and --button-var in \
            order, or the whole message_variables value with --variables. 'octopods templates get <id>' shows what a \
            template needs. A 429 exits 4 and says when to retry; a failure after the request went out exits 5 and is \
            never retried, since the API has no idempotency key.
            """,
            arguments: [ArgumentSpec("template-id", completion: .dynamic("templates"), help: "The template to send (see 'octopods templates list').")],
            options: TemplateSend.options(.whatsapp),
            examples: [
                Example("octopods send template 1001 --to +14155552671 --var 1=Jane --var 2=A-1042", "Send an order update."),
                Example("octopods send template 1002 --to +14155552671 --header-var Jane --var 1=Jane --var 2=Friday --var 3=10:00 --footer-var B-77 --dry-run",
                        "Check a send and see the exact request, without sending."),
                Example("octopods send template 1003 --to +14155552671 --header-url https://example.com/sale.jpg --var 1=Jane --button-var SUMMER25 --wait",
                        "Send with an image header and wait until it is delivered."),
                Example(#"octopods send template 1001 --to +14155552671 --variables '["Jane","A-1042"]' --variables-format array"#,
                        "Send the legacy plain-array form."),
                Example("octopods send template 1001 --from customers.csv --dry-run",
                        "Check every row of a CSV (columns phone, 1, 2) without sending."),
                Example("octopods send template 1001 --from customers.csv --yes",
                        "Send to every row, paced under the rate limit; run it again to resume after a failure."),
            ],
            usage: "<template-id> (--to PHONE | --from FILE) [options]")

        let send: TemplateSend
        package init(_ arguments: ParsedArguments) throws(OctopodsError) { send = try TemplateSend(channel: .whatsapp, arguments) }
        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput { try await send.run(ctx) }
    }
}

package enum VBM {
    package static let spec = CommandSpec(
        name: "vbm",
        abstract: "Send Viber Business Messages (templates).",
        discussion: "Viber templates are listed with 'octopods templates list --channel vbm'. Viber messages have no status endpoint.")

    package struct Send: Command {
        package static let spec = CommandSpec(
            name: "send",
            abstract: "Send a Viber template message.",
            discussion: "Checked like 'send template': the template must be accepted and get exactly the header, body and footer variables it needs; an image header needs --header-image.",
            arguments: [ArgumentSpec("template-id", help: "The Viber template to send (see 'octopods templates list --channel vbm').")],
            options: TemplateSend.options(.vbm),
            examples: [
                Example("octopods vbm send 2001 --to +14155552671 --header-image https://example.com/banner.jpg --var 1=Alex",
                        "Send a Viber template with an image header."),
                Example("octopods vbm send 2002 --from orders.csv --rate 30/10s", "Send to every row of a CSV, at most 30 requests per 10 seconds."),
            ],
            usage: "<template-id> (--to PHONE | --from FILE) [options]")

        let send: TemplateSend
        package init(_ arguments: ParsedArguments) throws(OctopodsError) { send = try TemplateSend(channel: .vbm, arguments) }
        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput { try await send.run(ctx) }
    }
}
