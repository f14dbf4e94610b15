import CLISupport

package enum Messages {
    package static let spec = CommandSpec(
        name: "messages",
        abstract: "List recently sent WhatsApp messages.",
        discussion:
            "The API keeps the last 100 messages sent through the API with the same key, newest first; nothing older, and nothing for SMS or Viber."
    )

    package struct List: Command {
        package static let spec = CommandSpec(
            name: "list",
            abstract: "List the most recent WhatsApp messages sent with this key, newest first.",
            discussion: "The API lists messages in one of two shapes (a bare array with the status nested in message_status, or "
                + "{\"messages\": [...]}); JSON output is always a list of the same flat objects, status in 'status': "
                + fields.joined(separator: ", ") + " ('raw' is the item exactly as the API sent it).",
            options: [limitOption, FieldSelection.key(fields)],
            examples: [
                Example("octopods messages list --limit 10", "The last ten sends."),
                Example(
                    "octopods messages list -o ndjson | jq -r 'select(.status == \"failed\") | .phone_number'",
                    "The numbers of recent failures, one JSON object a line."),
                Example("octopods messages list --fields message_id,status", "Only the id and status of each."),
            ])

        package static let fields = ["message_id", "phone_number", "status", "sent_at", "failure_reason", "message_content", "raw"]

        static let limitOption = OptionKey.integer("limit", range: 1...100, help: "How many (1–100; the API's default and maximum is 100).")

        var limit: Int?

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            limit = arguments[Self.limitOption]
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let response: APIResponse<[MessageSummary]>
            do {
                response = try await ctx.apiClient().send(API.listMessages(limit: limit))
            } catch {
                // The API answers 400 (code undocumented) until the key has sent anything
                // (docs/api-notes.md, "Listing sent messages"): that is an empty list, not a failure.
                guard case .api(let api) = error, Self.isNothingSentYet(api) else { throw error }
                return CommandOutput(
                    json: .array([]), items: [], table: Table(headers: [], rows: []),
                    emptyMessage: "No messages sent with this key yet.")
            }
            // A server that sends more than asked for (the API caps at 100, never more than `limit`).
            let shown = Array(response.value.prefix(limit ?? 100))
            let rows = shown.map { m in
                [
                    m.messageID ?? "", m.phone ?? "", m.status?.rawValue ?? "", m.time.map { Vocabulary.localTime(iso: $0) ?? $0 } ?? "",
                    m.failure ?? "",
                ]
            }
            let items = zip(shown, MessageSummary.items(response.raw)).map { Self.normalized($0, raw: $1) }
            return CommandOutput(
                json: .array(items), items: items,
                table: Table(
                    headers: ["MESSAGE ID", "PHONE", "STATUS", "SENT", "FAILURE"], rows: rows,
                    flexibleColumn: 4),
                emptyMessage: "No messages sent with this key yet.")
        }

        /// One list item in the one shape of every output, whichever shape the API used.
        static func normalized(_ m: MessageSummary, raw: JSONValue) -> JSONValue {
            func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
            return [
                "message_id": text(m.messageID), "phone_number": text(m.phone), "status": text(m.status?.rawValue),
                "sent_at": m.time.map { APITime.normalized(.string($0)) ?? .string($0) } ?? .null, "failure_reason": text(m.failure),
                "message_content": text(m.content),
                "raw": Vocabulary.normalizingIDs(raw),
            ]
        }

        /// The list takes no argument but a valid `limit`, and its only other documented 400 is a
        /// deprecated key: any other 400 in the API's error shape (an `error_code`), or one that
        /// says so in words, is "nothing sent yet", whatever its wording.
        static func isNothingSentYet(_ error: APIError) -> Bool {
            guard error.status == 400, !error.isAccessProblem else { return false }
            let text = (error.message ?? "").lowercased()
            return error.errorCode != nil || text.contains("at least one message") || text.contains("no messages")
        }
    }
}
