#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

package enum SMS {
    package static let spec = CommandSpec(
        name: "sms",
        abstract: "Send SMS through the SMS channel.",
        discussion: "Sent from the SMS channel's number with its Channel API key (OCTOPODS_SMS_API_KEY or sms_api_key).")

    package struct SendCommand: Command {
        package static let spec = CommandSpec(
            name: "send",
            abstract: "Send an SMS.",
            discussion: """
                The body may be up to 1,600 characters. Messages are billed per segment: plain GSM-7 text fits 160 \
                characters in one segment and 153 in each of several; a single character outside GSM-7 (an emoji, most \
                accented letters) makes the whole message UCS-2, at 70 and 67. --dry-run and --verbose show the encoding, \
                the segment count and which character forced UCS-2.
                """,
            options: [
                SendOptions.Key.to, Key.body, Key.bodyFile, SendOptions.Key.name, SendOptions.Key.openConversation, Key.teammate,
            ] + SendOptions.specs(canWait: true) + BulkOptions.specs,
            examples: [
                Example("octopods sms send --to +14155552671 --body 'Your code is 123456'", "Send a one-segment SMS."),
                Example(
                    "octopods sms send --to +14155552671 --body-file notice.txt --dry-run", "See encoding and segments before sending."),
                Example(
                    "octopods sms send --to +14155552671 --body 'Shipped' --wait", "Send and wait until the carrier confirms delivery."),
                Example(
                    "octopods sms send --from reminders.csv --yes",
                    "Send each row's body column to its phone (see 'octopods help send' on bulk sends)."),
            ],
            usage: "(--to PHONE | --from FILE) (--body TEXT | --body-file FILE) [options]")

        enum Key {
            static let body = OptionKey.value("body", "TEXT", help: "The message text (with --from: for rows without a body column).")
            static let bodyFile = OptionKey.value(
                "body-file", "FILE", .file, help: "Read the message text from FILE (- for stdin); one trailing newline is dropped.")
            static let teammate = OptionKey.value("teammate", "ID", help: "Intercom teammate shown as the sender (ignored on HubSpot).")
        }

        var to: String?
        var text: String?
        var file: String?
        var name: String?
        var openConversation: Bool
        var teammate: String?
        var options: SendOptions
        var bulk: BulkOptions

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            bulk = try BulkOptions(arguments, to: SendOptions.Key.to)
            to = bulk.isBulk ? nil : try PhoneNumber.validate(arguments[SendOptions.Key.to] ?? "")
            text = arguments[Key.body]
            file = arguments[Key.bodyFile]
            switch (text, file) {
            case (nil, nil) where !bulk.isBulk:
                throw .usage(UsageError("give the message with --body TEXT or --body-file FILE (- for stdin)", path: arguments.path))
            case (.some, .some):
                throw .usage(UsageError("--body and --body-file cannot be used together", path: arguments.path))
            default: break
            }
            if let text { _ = try SMSText.validate(text, field: "--body") }
            name = arguments[SendOptions.Key.name]
            openConversation = arguments[SendOptions.Key.openConversation]
            teammate = arguments[Key.teammate]
            options = try SendOptions(arguments)
        }

        func body(to: String, text: String, name: String?) -> JSONValue {
            var body: JSONValue = ["destination_phone": .string(to), "body": .string(text)]
            if openConversation { body.set("open_intercom_conversation", true) }
            if let teammate { body.set("intercom_teammate_id", .string(teammate)) }
            if let name { body.set("destination_user_name", .string(name)) }
            return body
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            var message = text
            if let file { message = try Self.read(file, ctx: ctx) }
            if bulk.isBulk {
                let send = self
                let fallback = try message.map { text throws(OctopodsError) in
                    try CellTemplate.parse(text, field: self.text == nil ? "--body-file" : "--body")
                }
                var plan = BulkPlan(
                    statusChannel: .sms,
                    knows: { ["phone", "name", "body"].contains($0) },
                    endpoint: { API.sendSMS(body: $0) },
                    prepare: { row throws(OctopodsError) in
                        let phone = try BulkColumns.phone(row)
                        let column = BulkColumns.value(row, "body")
                        let text: String
                        if let column {
                            text = column
                        } else if let fallback {
                            text = try fallback.render(row)
                        } else {
                            throw .invalidInput("no body: give a body column or --body")
                        }
                        _ = try SMSText.validate(text, field: column == nil ? fallback?.field ?? "--body" : "column 'body'")
                        return (phone, send.body(to: phone, text: text, name: BulkColumns.value(row, "name") ?? send.name))
                    })
                plan.references = fallback.map { t in t.columns.map { ColumnReference(column: $0, field: t.field) } } ?? []
                plan.describe = "an SMS"
                plan.channel = .sms
                plan.preview = { _, body in body["body"]?.stringValue ?? "" }
                plan.segments = { body in SMSText.analyse(body["body"]?.stringValue ?? "").segments }
                let finished = plan
                return try await BulkRun(ctx: ctx, command: "sms send", options: bulk, send: options) { _ in finished }.run()
            }
            let to = self.to ?? "", text = message ?? ""
            let analysis = try SMSText.validate(text, field: self.text == nil ? "--body-file" : "--body")
            let plan = SendPlan(
                endpoint: API.sendSMS(body: body(to: to, text: text, name: name)), statusChannel: .sms,
                recipient: to, preview: text, notes: ["SMS: " + analysis.summary])
            return try await Sender(ctx).execute(plan, options)
        }

        /// The file's text (or stdin's) without one trailing newline, which editors add.
        static func read(_ path: String, ctx: Context) throws(OctopodsError) -> String {
            let data = try ctx.readInput(path, source: "--body-file \(path)")
            guard var text = String(data: data, encoding: .utf8) else {
                throw .invalidInput("--body-file \(path) is not UTF-8 text")
            }
            if text.hasSuffix("\r\n") { text.removeLast() } else if text.hasSuffix("\n") { text.removeLast() }
            return text
        }
    }
}
