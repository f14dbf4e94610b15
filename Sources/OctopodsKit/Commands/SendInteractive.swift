#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

extension Send {
    package struct Interactive: Command {
        package static let spec = CommandSpec(
            name: "interactive",
            abstract: "Send a WhatsApp interactive message: reply buttons or a list.",
            discussion: """
                Free-form, so WhatsApp accepts it only within 24 hours of the customer's last message (else error code 7), \
                and the account must be opted in (else 403). Give the payload with --file (a JSON object, or the object \
                as a JSON string, as the API accepts), or build it with flags: --body and up to 3 --button ID:TITLE for \
                reply buttons; or --list-button LABEL with --section TITLE and --row ID:TITLE[:DESCRIPTION] (rows belong \
                to the --section before them) for a list. It is checked against WhatsApp's limits before sending: 3 reply \
                buttons, titles of 20, 10 list rows in all, row titles of 24 and descriptions of 72, body 1,024, header \
                and footer 60, unique ids. At a terminal with neither, octopods offers an example of each interactive type, \
                written to a draft under the state directory and opened in $VISUAL or $EDITOR; it is checked when the editor \
                exits (edit again until it is valid), then the recipient is asked if --to is missing, and the message and the \
                equivalent command line are shown before you confirm.
                """,
            options: [
                Key.to, Key.file, Key.body, Key.footer, Key.headerText, Key.headerImage, Key.headerVideo, Key.headerDocument,
                Key.button, Key.listButton, Key.section, Key.row, SendOptions.Key.openConversation, Key.teammate,
            ] + SendOptions.specs(canWait: true) + BulkOptions.specs,
            examples: [
                Example(
                    "octopods send interactive --to +14155552671 --body 'Confirm your booking?' --button yes:Yes --button no:No",
                    "Two reply buttons."),
                Example(
                    "octopods send interactive --to +14155552671 --body 'Pick a slot' --list-button Slots --section Morning --row m9:9am --row m10:10am --section Afternoon --row a2:2pm",
                    "A list with two sections."),
                Example(
                    "octopods send interactive --to +14155552671 --file payload.json --dry-run", "Check a payload file without sending."),
            ],
            usage:
                "(--to PHONE | --from FILE) (--file FILE | --body TEXT (--button ID:TITLE... | --list-button LABEL --row ID:TITLE...)) [options]"
        )

        enum Key {
            static let to = OptionKey.value(
                "to", "PHONE", help: "Recipient, E.164: +14155552671 (or many with --from: the same message to each).")
            static let file = OptionKey.value("file", "FILE", .file, help: "The waba_interactive_message payload as JSON (- for stdin).")
            static let body = OptionKey.value("body", "TEXT", help: "Message text (up to 1,024 characters).")
            static let footer = OptionKey.value("footer", "TEXT", help: "Footer text (up to 60 characters).")
            static let headerText = OptionKey.value("header-text", "TEXT", help: "Text header (up to 60 characters).")
            static let headerImage = OptionKey.value("header-image", "URL", help: "Image header: a public http(s) URL.")
            static let headerVideo = OptionKey.value("header-video", "URL", help: "Video header: a public http(s) URL.")
            static let headerDocument = OptionKey.value("header-document", "URL", help: "Document header: a public http(s) URL.")
            static let button = OptionKey.repeated("button", "ID:TITLE", help: "A reply button (up to 3; title up to 20 characters).")
            static let listButton = OptionKey.value(
                "list-button", "LABEL", help: "The label of the button that opens a list (up to 20 characters).")
            static let section = OptionKey.repeated(
                "section", "TITLE", help: "Start a list section; the --row options after it belong to it.")
            static let row = OptionKey.repeated(
                "row", "ID:TITLE[:DESCRIPTION]", help: "A list row (10 in all; title 24, description 72).")
            static let teammate = OptionKey.value("teammate", "ID", help: "Intercom teammate shown as the sender.")
        }

        var to: String?
        var file: String?
        var built: JSONValue?
        var openConversation: Bool
        var teammate: String?
        var options: SendOptions
        var bulk: BulkOptions
        var arguments: ParsedArguments
        /// No --file and no builder flags: at a terminal, an example is edited instead.
        var askPayload = false

        static let builderFlags: [any DeclaredOption] = [
            Key.body, Key.footer, Key.headerText, Key.headerImage, Key.headerVideo, Key.headerDocument, Key.button, Key.listButton,
            Key.section, Key.row,
        ]

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            self.arguments = arguments
            bulk = try BulkOptions(arguments, to: Key.to, recipientAsked: true)
            // A missing --to or payload is asked for at a terminal, else refused in `run`.
            to = try arguments[Key.to].map { phone throws(OctopodsError) in try PhoneNumber.validate(phone) }
            file = arguments[Key.file]
            if bulk.from == "-", file == "-" {
                throw .usage(UsageError("--from - and --file - cannot both read stdin", path: arguments.path))
            }
            openConversation = arguments[SendOptions.Key.openConversation]
            teammate = arguments[Key.teammate]
            options = try SendOptions(arguments)
            let usedBuilder = Self.builderFlags.filter { arguments.has($0) }
            if file != nil {
                if let first = usedBuilder.first {
                    throw .usage(
                        UsageError("--file gives the whole payload; it cannot be combined with --\(first.spec.long)", path: arguments.path))
                }
                return
            }
            guard !usedBuilder.isEmpty else {
                askPayload = true
                return
            }
            built = try Self.builder(arguments).build()
        }

        static func builder(_ arguments: ParsedArguments) throws(OctopodsError) -> InteractiveBuilder {
            var builder = InteractiveBuilder()
            builder.body = arguments[Key.body]
            builder.footer = arguments[Key.footer]
            let headers: [(OptionKey<String?>, (String) -> InteractiveBuilder.Header)] = [
                (Key.headerText, InteractiveBuilder.Header.text), (Key.headerImage, InteractiveBuilder.Header.image),
                (Key.headerVideo, InteractiveBuilder.Header.video), (Key.headerDocument, InteractiveBuilder.Header.document),
            ]
            let given = headers.filter { arguments.has($0.0) }
            if given.count > 1 {
                throw .usage(UsageError("give one header: " + given.map(\.0.flagName).joined(separator: " or "), path: arguments.path))
            }
            if let (key, make) = given.first, let value = arguments[key] { builder.header = make(value) }
            for text in arguments[Key.button] {
                let button = try InteractiveBuilder.parseButton(text)
                builder.buttons.append(button)
            }
            builder.listButton = arguments[Key.listButton]
            for occurrence in arguments.occurrences {
                if occurrence.is(Key.section) {
                    builder.sections.append(InteractiveBuilder.Section(title: occurrence.value, rows: []))
                } else if occurrence.is(Key.row) {
                    let row = try InteractiveBuilder.parseRow(occurrence.value)
                    if builder.sections.isEmpty { builder.sections.append(InteractiveBuilder.Section(title: nil, rows: [])) }
                    builder.sections[builder.sections.count - 1].rows.append(row)
                }
            }
            return builder
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            if bulk.isBulk, askPayload { throw missingPayload() }
            if !bulk.isBulk, askPayload || to == nil {
                guard let prompter = Prompter.open(ctx) else {
                    if askPayload { throw missingPayload() }
                    throw .usage(
                        UsageError(
                            "give the recipient with --to PHONE, or many with --from FILE",
                            suggestion: "Or run at a terminal (without --no-input) to be asked for it.", path: ["send", "interactive"]))
                }
                defer { prompter.close() }
                let send = try prompted(ctx, prompter)
                // The draft was this session's only: gone once the send was made (kept, and named
                // in the error, when the session ended before: an invalid draft, a "no").
                defer { if askPayload, let draft = send.file { try? FileManager.default.removeItem(atPath: draft) } }
                return try await send.run(ctx)
            }
            var payload: JSONValue
            if let built {
                payload = built
            } else {
                let path = file ?? "-"
                let data = try ctx.readInput(path, source: "--file \(path)")
                payload = try InteractiveMessage.parse(data, source: "--file \(path)")
                try InteractiveMessage.validate(payload)
            }
            if bulk.isBulk {
                let send = self, message = payload
                var plan = BulkPlan(
                    statusChannel: .whatsapp,
                    knows: { $0 == "phone" || $0 == "name" },  // name: documented for every send; unused here
                    endpoint: { API.sendInteractive(body: $0) },
                    prepare: { row throws(OctopodsError) in
                        let phone = try BulkColumns.phone(row)
                        return (phone, send.body(to: phone, payload: message))
                    })
                plan.describe = "an interactive message"
                let finished = plan
                return try await BulkRun(ctx: ctx, command: "send interactive", options: bulk, send: options) { _ in finished }.run()
            }
            let to = self.to ?? ""
            let plan = SendPlan(
                endpoint: API.sendInteractive(body: body(to: to, payload: payload)), statusChannel: .whatsapp,
                recipient: to, preview: Self.preview(payload))
            return try await Sender(ctx).execute(plan, options)
        }

        func body(to: String, payload: JSONValue) -> JSONValue {
            var body: JSONValue = ["destination_phone": .string(to), "waba_interactive_message": payload]
            if let teammate { body.set("intercom_teammate_id", .string(teammate)) }
            if openConversation { body.set("open_intercom_conversation", true) }
            return body
        }

        /// The message roughly as the recipient sees it.
        static func preview(_ payload: JSONValue) -> String {
            var lines: [String] = []
            if let header = payload["header"], let type = header["type"]?.stringValue {
                if type == "text" {
                    lines.append(header["text"]?.stringValue ?? "")
                } else {
                    lines.append("[\(type): \(header[type]?["link"]?.stringValue ?? "")]")
                }
            }
            lines.append(payload["body"]?["text"]?.stringValue ?? "")
            if let footer = payload["footer"]?["text"]?.stringValue { lines.append(footer) }
            let action = payload["action"]
            for button in action?["buttons"]?.arrayValue ?? [] {
                lines.append("[\(button["reply"]?["title"]?.stringValue ?? "")]")
            }
            if let label = action?["button"]?.stringValue {
                lines.append("[≡ \(label)]")
                for section in action?["sections"]?.arrayValue ?? [] {
                    if let title = section["title"]?.stringValue { lines.append("  \(title)") }
                    for row in section["rows"]?.arrayValue ?? [] {
                        let description = row["description"]?.stringValue.map { " — \($0)" } ?? ""
                        lines.append("    • \(row["title"]?.stringValue ?? "")\(description)")
                    }
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}
