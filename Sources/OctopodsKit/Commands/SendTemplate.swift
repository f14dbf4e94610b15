import CLISupport

/// What `send template` (WhatsApp, `Send.TemplateCommand`) and `vbm send` (Viber,
/// `VBM.SendCommand`) both are: the command line read into one value, then the same checks,
/// prompting and single or bulk send; only the path, media field and variable sections differ.
struct TemplateSendFlow: Sendable {
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
    /// Checked here; a --variables file is read when the command runs.
    var variables: TemplateVariables

    /// The options only template sends have.
    enum Key {
        static let headerImage = OptionKey.value(
            "header-image", "URL", help: "Public URL of the header image, for templates with an image header.")
        static let headerURL = OptionKey.value(
            "header-url", "URL", help: "Public URL of the header image, video or document, for templates with a media header.")
        static let teammate = OptionKey.value(
            "teammate", "ID", help: "Intercom teammate shown as the sender (default: the channel's default sender).")
        static let noVerify = OptionKey.flag(
            "no-verify", help: "Skip fetching the template to check status, variables and header before sending.")
    }

    static func mediaKey(_ channel: Channel) -> OptionKey<String?> { channel == .vbm ? Key.headerImage : Key.headerURL }
    var mediaKey: OptionKey<String?> { Self.mediaKey(channel) }
    var mediaField: String { channel == .vbm ? "header_image_url" : "header_attachment_url" }

    static func options(_ channel: Channel) -> [any DeclaredOption] {
        [SendOptions.Key.to] + TemplateVariables.options(channel)
            + (channel == .vbm ? [Key.headerImage] : [Key.headerURL, SendOptions.Key.name])
            + [SendOptions.Key.openConversation, Key.teammate, Key.noVerify]
            + SendOptions.specs(canWait: channel != .vbm) + BulkOptions.specs
    }

    init(channel: Channel, _ arguments: ParsedArguments) throws(OctopodsError) {
        self.channel = channel
        self.arguments = arguments
        // A missing template (or --to) is asked for at a terminal, else refused in `run`.
        templateID =
            try arguments.positionals.first.map { id throws(OctopodsError) in
                try IDArgument.check(id, name: "template-id", path: arguments.path)
            } ?? ""
        bulk = try BulkOptions(arguments, to: SendOptions.Key.to, recipientAsked: true)
        variables = try TemplateVariables.parse(arguments)
        // Refused here, before a journal is locked or an old one archived (--new-run).
        if bulk.from != nil, arguments.has(TemplateVariables.Key.variables) { throw Self.variablesWithFrom(arguments.path) }
        to = try arguments[SendOptions.Key.to].map { phone throws(OctopodsError) in try PhoneNumber.validate(phone) }
        mediaURL = arguments[Self.mediaKey(channel)]
        if let mediaURL { try URLCheck.checkMedia(mediaURL, field: Self.mediaKey(channel).flagName) }
        name = channel == .vbm ? nil : arguments[SendOptions.Key.name]
        openConversation = arguments[SendOptions.Key.openConversation]
        teammate = arguments[Key.teammate]
        verify = !arguments[Key.noVerify]
        options = try SendOptions(arguments)
        if channel == .vbm, options.wait { throw SendOptions.viberCannotWait(arguments.path) }
        if let name, name.contains(where: \.isNewline) { throw .invalidInput("--name must be one line") }
    }

    static func variablesWithFrom(_ path: [String]) -> OctopodsError {
        .usage(UsageError("--variables cannot be combined with --from: give per-row variables as columns 1, 2, header.1, …", path: path))
    }

    var command: String { "\(channel == .vbm ? "vbm send" : "send template") \(templateID)" }
    var mediaColumn: String { channel == .vbm ? "header_image" : "header_url" }

    /// The template, fetched (or from the cache) and checked sendable; nil with --no-verify.
    /// `client`: a bulk run's, or a single send's `Sender`'s (given its --max-wait here).
    func template(_ ctx: Context, client: APIClient) async throws(OctopodsError) -> Template? {
        guard verify else { return nil }
        var fetcher = client
        if fetcher.patience == .none { fetcher.patience = options.patience(ctx) }
        let template = try await TemplateCache(ctx).template(channel: channel, id: templateID, client: fetcher)
        try template.checkSendable()
        return template
    }

    /// The endpoint as the history records it: the template's own id and its name, whether the
    /// command line named it by id or by name (the request's path keeps what was given).
    static func naming(_ endpoint: Endpoint<SendResult>, _ template: Template?) -> Endpoint<SendResult> {
        guard let template else { return endpoint }
        var endpoint = endpoint
        endpoint.templateID = template.id
        if !template.name.isEmpty { endpoint.templateName = template.name }
        return endpoint
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
        if templateID.isEmpty, bulk.isBulk { throw missingError(ctx) }
        if bulk.isBulk {
            let send = self
            return try await BulkRun(ctx: ctx, command: command, options: bulk, send: options) { client throws(OctopodsError) in
                try await send.bulkPlan(ctx, client: client)
            }.run()
        }
        var ask = !missing.isEmpty
        if !ask, !variablesGiven, verify, Prompter.allowed(ctx), let template = try await self.template(ctx, client: ctx.apiClient()) {
            // Only a template with variables to fill is worth a question (fetched once: it is cached).
            ask = template.requirements.total > 0 || (template.requirements.headerMedia != nil && mediaURL == nil)
        }
        if ask {
            if let prompter = Prompter.open(ctx) {
                defer { prompter.close() }
                if let completed = try await prompted(ctx, prompter) { return try await completed.run(ctx) }
            } else if !missing.isEmpty {
                throw missingError(ctx)
            }
        }
        let to = self.to ?? ""
        let variables = try self.variables.reading(ctx)
        var preview = "(template not fetched: --no-verify)"
        let sender = try Sender(ctx)
        // The check gets a client (and so a transport) of its own: the send must not go out on a
        // keep-alive connection the check left open, because libcurl sends a request again when a
        // reused connection dies before any answer, and a send's outcome is then unknown, not unsent
        // (docs/linux-notes.md).
        let template = try await self.template(ctx, client: ctx.apiClient(sender.settings))
        if let template {
            try variables.check(against: template, channel: channel, mediaURL: mediaURL)
            preview = variables.preview(template, mediaURL: mediaURL)
        }
        let plan = SendPlan(
            endpoint: Self.naming(
                API.sendTemplate(
                    channel: channel, templateID: templateID,
                    body: body(
                        to: to, variables: variables, needs: template?.requirements,
                        mediaURL: mediaURL, name: name)), template),
            statusChannel: channel == .vbm ? nil : .whatsapp, recipient: to, preview: preview)
        return try await sender.execute(plan, options)
    }

    func bulkPlan(_ ctx: Context, client: APIClient) async throws(OctopodsError) -> BulkPlan {
        let defaults = try VariableTemplates(try variables.reading(ctx))
        let template = try await self.template(ctx, client: client)
        let needs = template?.requirements
        let send = self
        let channel = self.channel, mediaColumn = self.mediaColumn
        var describe = "template \(templateID)"
        if let template {
            describe += " \"\(TerminalText.sanitize(String(template.name.prefix(60))))\""
            if let language = template.language { describe += " (\(TerminalText.sanitize(language)))" }
        }
        var plan = BulkPlan(
            statusChannel: channel == .vbm ? nil : .whatsapp,
            knows: { column in
                if ["phone", "name", mediaColumn].contains(column) { return true }
                guard let (section, _) = BulkColumns.placeholder(column) else { return false }
                return channel != .vbm || section != "button"
            },
            endpoint: { Self.naming(API.sendTemplate(channel: channel, templateID: send.templateID, body: $0), template) },
            prepare: { row throws(OctopodsError) in
                let phone = try BulkColumns.phone(row)
                let variables = try defaults.resolve(row)
                let media = BulkColumns.value(row, mediaColumn) ?? send.mediaURL
                if let media { try URLCheck.checkMedia(media, field: "column '\(mediaColumn)'") }
                if let template {
                    try variables.check(against: template, channel: channel, mediaURL: media, source: .columns, requirements: needs)
                }
                return (
                    phone,
                    send.body(
                        to: phone, variables: variables, needs: needs, mediaURL: media,
                        name: BulkColumns.value(row, "name") ?? send.name)
                )
            })
        plan.references = defaults.references
        plan.describe = describe
        plan.channel = channel
        if let template {
            plan.preview = { row, _ in
                (try? defaults.resolve(row))?.preview(template, mediaURL: BulkColumns.value(row, mediaColumn) ?? send.mediaURL) ?? ""
            }
        }
        return plan
    }
}

package enum Send {
    package static let spec = CommandSpec(
        name: "send",
        abstract: "Send WhatsApp messages: approved templates, or interactive messages inside the 24-hour window.",
        discussion: """
            Every send is checked before it leaves (phone, template, variables, media, limits); --dry-run shows the exact \
            request, and --wait follows the message until it is delivered or fails.

            BULK SENDS: --from FILE (any send command) reads recipients from a CSV with a header row, as spreadsheets \
            export it (comma, semicolon, tab or | between fields, found from the header; a UTF-8 byte-order mark and CRLF \
            are fine), or NDJSON; - reads stdin. The phone column is the one named phone, phone number, mobile, msisdn, \
            to, number or whatsapp (any case), or --phone-column NAME. Flag values take any column's value with \
            {Column Name}: --var 1={First Name} --var 2="Order {Order} ships today" ({{ is a literal brace); columns \
            named 1, 2, … or body_1, header_1, footer_1, button_1, header_url (see 'octopods templates csv ID') map by \
            themselves, and name and body (SMS) are read too. Every row is checked before anything is sent, and every bad \
            row is listed with its line number (--dry-run stops there; --skip-invalid sends the valid ones; --rejected \
            FILE writes them, in the input's format with a reason column, to fix and send again). --exclude FILE skips \
            opted-out numbers. Requests are paced to at most --rate (default 55/10s, the API's limit) with --concurrency \
            in flight. Each row's state goes to a journal (one per input file and command under \
            $XDG_STATE_HOME/octopods/journals/, or --journal) before its request leaves and after its answer; one run at \
            a time holds it. Run the same command again to resume an unfinished run; rows sent with no recorded answer \
            are reported as unknown and not resent without --resend-unknown. A file whose run finished is not sent again \
            (exit 2) unless --new-run; a file that changed after its run finished is a new run; one that changed mid-run \
            is refused. Ctrl-C lets in-flight requests finish, writes the journal and exits 130. At a terminal a progress \
            line and a summary show the run; piped (or with -o ndjson) each row's outcome is one JSON line on stdout; \
            -o table prints a table of the rows after the run.
            """)

    package struct TemplateCommand: Command {
        package static let spec = CommandSpec(
            name: "template",
            abstract: "Send a WhatsApp template message.",
            discussion: """
                With --from FILE it sends to every row of a CSV or NDJSON file (see BULK SENDS in 'octopods help send'). \
                The template is fetched first (cached for 5 minutes) to check that it is accepted and that every section \
                gets exactly the variables it needs: --var for the body, --header-var, --footer-var and --button-var in \
                order, or the whole message_variables value with --variables. 'octopods templates get <id>' shows what a \
                template needs. At a terminal, what the command line leaves out (the template, --to, the variables) is \
                asked for: the template picked from the list (type to filter), each variable with the message previewed, \
                the number checked as typed, then the message and the equivalent command line are shown before you \
                confirm. Never with --no-input, OCTOPODS_NO_INPUT, --from, or when stdin or stderr is not a terminal: a \
                missing argument is then a usage error (exit 2). Esc or Ctrl-C at a prompt sends nothing (exit 130). A 429 exits 4 and says when to retry; a failure after the request went out exits 5 and is \
                never retried, since the API has no idempotency key.
                """,
            arguments: [
                ArgumentSpec(
                    "template-id", optional: true, completion: .dynamic("templates"),
                    help: "The template to send (see 'octopods templates list'); at a terminal, picked from a list when left out.")
            ],
            options: TemplateSendFlow.options(.whatsapp),
            examples: [
                Example("octopods send template 1001 --to +14155552671 --var 1=Jane --var 2=A-1042", "Send an order update."),
                Example(
                    "octopods send template 1002 --to +14155552671 --header-var Jane --var 1=Jane --var 2=Friday --var 3=10:00 --footer-var B-77 --dry-run",
                    "Check a send and see the exact request, without sending."),
                Example(
                    "octopods send template 1003 --to +14155552671 --header-url https://example.com/sale.jpg --var 1=Jane --button-var SUMMER25 --wait",
                    "Send with an image header and wait until it is delivered."),
                Example(
                    #"octopods send template 1001 --to +14155552671 --variables '["Jane","A-1042"]' --variables-format array"#,
                    "Send the legacy plain-array form."),
                Example(
                    "octopods send template 1001 --from customers.csv --dry-run",
                    "Check every row of a CSV (columns phone, 1, 2) without sending."),
                Example(
                    "octopods send template 1001 --from export.csv --var 1='{First Name}' --var 2='{Order}' --rejected fix.csv",
                    "Send a spreadsheet export, taking the variables from its columns; rows not sent go to fix.csv."),
                Example(
                    "octopods send template 1001 --from customers.csv --yes",
                    "Send to every row, paced under the rate limit; run it again to resume after a failure."),
            ],
            usage: "<template-id> (--to PHONE | --from FILE) [options]")

        let send: TemplateSendFlow
        package init(_ arguments: ParsedArguments) throws(OctopodsError) { send = try TemplateSendFlow(channel: .whatsapp, arguments) }
        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput { try await send.run(ctx) }
    }
}
