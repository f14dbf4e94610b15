import CLISupport

extension Templates {
    /// `templates csv ID`: the header of a bulk file that fits the template, plus one example row.
    package struct CSV: Command {
        package static let spec = CommandSpec(
            name: "csv",
            abstract: "Print a CSV header for a bulk send of a template (phone and one column per placeholder) and an example row.",
            discussion: """
                The columns are named by section: header_1, body_1, body_2, footer_1, button_1, … and header_url (Viber: \
                header_image) for a media header; 'send template ID --from FILE' maps them without any --var. Save the \
                output, replace the example row with your recipients, check it with --dry-run, then send.
                """,
            arguments: [ArgumentSpec("template-id", completion: .dynamic("templates"), help: "The template's id.")],
            options: [channelOption],
            examples: [
                Example(
                    "octopods templates csv 1001",
                    "The header and an example row for template 1001 (redirect it to a file to start a campaign).")
            ])

        var channel: Channel
        var id: String

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            channel = Templates.channel(arguments)
            id = try IDArgument.check(arguments.positionals.first ?? "", name: "template-id", path: arguments.path)
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let template = try await TemplateCache(ctx).template(channel: channel, id: id, client: ctx.apiClient())
            do { try template.checkSendable() } catch {
                ctx.warn(error.message(now: ctx.now) + ": a campaign file for it cannot be sent as it stands")
            }
            let (columns, example) = Self.columns(template, channel: channel)
            let text = [columns, example].map { $0.map(CSVText.field).joined(separator: ",") + "\n" }.joined()
            var output = CommandOutput(
                json: [
                    "template_id": .string(template.id), "columns": .array(columns.map(JSONValue.string)),
                    "example": .array(example.map(JSONValue.string)),
                ],
                text: text)
            output.bare = true
            return output
        }

        /// The columns for the template's placeholders, in the order the recipient reads them, and example values.
        static func columns(_ template: Template, channel: Channel) -> (columns: [String], example: [String]) {
            let needs = template.requirements
            var columns = ["phone"], example = ["+14155552671"]
            if let media = needs.headerMedia {
                columns.append(channel == .vbm ? "header_image" : "header_url")
                let file = ["IMAGE": "header.jpg", "VIDEO": "header.mp4", "DOCUMENT": "header.pdf"][media.uppercased()] ?? "header.jpg"
                example.append("https://example.com/" + file)
            }
            for (section, count) in [("header", needs.header), ("body", needs.body), ("footer", needs.footer), ("button", needs.buttons)] {
                guard count > 0 else { continue }
                for n in 1...count {
                    columns.append("\(section)_\(n)")
                    example.append(section == "button" ? "example-\(n)" : "\(section) \(n)")
                }
            }
            return (columns, example)
        }
    }
}
