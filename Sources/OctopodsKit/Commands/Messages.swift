import CLISupport

package enum Messages {
    package static let spec = CommandSpec(
        name: "messages",
        abstract: "List recently sent WhatsApp messages.",
        discussion: "The API keeps the last 100 messages sent through the API with the same key, newest first; nothing older, and nothing for SMS or Viber.")

    package struct List: Command {
        package static let spec = CommandSpec(
            name: "list",
            abstract: "List the most recent WhatsApp messages sent with this key, newest first.",
            options: [.value("limit", "N", .integer(1...100), help: "How many (1–100; the API's default and maximum is 100).")],
            examples: [
                Example("octopods messages list --limit 10", "The last ten sends."),
                Example("octopods messages list -o ndjson | grep -c failed", "Count recent failures, one JSON object a line."),
            ])

        var limit: Int?

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            limit = arguments.integer("limit")
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let response: APIResponse<[MessageSummary]>
            do {
                response = try await ctx.apiClient().send(API.listMessages(limit: limit))
            } catch {
                // The API answers 400 (code undocumented) until the key has sent anything
                // (docs/api-notes.md, "Listing sent messages"): that is an empty list, not a failure.
                guard case .api(let api) = error, Self.isNothingSentYet(api) else { throw error }
                return CommandOutput(json: .array([]), items: [], table: Table(headers: [], rows: []),
                                     emptyMessage: "No messages sent with this key yet.")
            }
            let rows = response.value.map { m in
                [m.messageID ?? "", m.phone ?? "", m.status ?? "", m.time ?? "", m.failure ?? ""]
            }
            return CommandOutput(json: response.raw, items: MessageSummary.items(response.raw),
                                 table: Table(headers: ["MESSAGE ID", "PHONE", "STATUS", "SENT", "FAILURE"], rows: rows,
                                              flexibleColumn: 4),
                                 emptyMessage: "No messages sent with this key yet.")
        }

        static func isNothingSentYet(_ error: APIError) -> Bool {
            error.status == 400 && (error.message ?? "").lowercased().contains("at least one message")
        }
    }
}
