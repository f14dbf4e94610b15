import CLISupport

/// What a command returns: one value that renders as a table (or text) and as JSON.
/// Commands return their result and the `Printer` writes it to stdout; only commands whose output
/// is a stream write to `ctx.stdout` themselves (CONTRIBUTING.md, "Shape").
package struct CommandOutput: Sendable {
    /// What `-o json` prints: the API's response as it came, or a document we built.
    package var json: JSONValue?
    /// For lists: what `-o ndjson` prints, one per line.
    package var items: [JSONValue]?
    package var table: Table?
    /// Human text for table mode when the result is not a table (a template's detail); after
    /// a table, lines that belong under it (where the settings came from).
    package var text: String?
    /// A single value for scripts (`config get`, `config path`): printed bare even when
    /// stdout is not a terminal, like `git config`; JSON only when `-o json` asks for it.
    package var bare = false
    /// Said on stderr in table mode when a list is empty ("No templates match.").
    package var emptyMessage: String?
    package var exitCode: ExitCode = .success
    /// The JSON exactly as the API sent it (`octopods api`): ids are not normalised to strings.
    package var rawJSON = false
    /// Written to stdout exactly as it is, whatever the output format: text for another program
    /// (a completion script, completion candidates), not a result to render.
    package var verbatim: String?
    /// A failure that came after the result (a send accepted, then --wait could not confirm it):
    /// the result is printed, then the failure is reported on stderr and decides the exit code.
    package var failure: OctopodsError?

    package init(
        json: JSONValue? = nil, items: [JSONValue]? = nil, table: Table? = nil, text: String? = nil,
        emptyMessage: String? = nil, exitCode: ExitCode = .success, failure: OctopodsError? = nil
    ) {
        self.json = json; self.items = items; self.table = table; self.text = text
        self.emptyMessage = emptyMessage; self.exitCode = exitCode; self.failure = failure
    }

    package static let none = CommandOutput()

    package static func verbatim(_ text: String) -> CommandOutput {
        var output = CommandOutput()
        output.verbatim = text
        return output
    }
}

package enum OutputFormat: String, Sendable, CaseIterable {
    case table, json, ndjson, csv

    /// --output/--json > OCTOPODS_OUTPUT > table on a terminal, json otherwise.
    package static func resolve(_ ctx: Context) throws(OctopodsError) -> OutputFormat {
        if let flag = ctx.globals.output {
            guard let format = OutputFormat(rawValue: flag) else {
                throw .usage(UsageError("invalid value for '--output': '\(flag)' is not one of: table, json, ndjson, csv"))
            }
            return format
        }
        if let env = ctx.environment[EnvironmentVariable.output.rawValue], !env.isEmpty {
            guard let format = OutputFormat(rawValue: env) else {
                throw .invalidInput(
                    "\(EnvironmentVariable.output.rawValue)='\(env)' is not one of: table, json, ndjson, csv",
                    hint: "Unset it or set it to table, json, ndjson or csv.")
            }
            return format
        }
        return ctx.stdoutIsTTY ? .table : .json
    }
}

/// Writes a command's result to stdout in the chosen format.
package struct Printer: Sendable {
    package var format: OutputFormat
    package var ctx: Context

    package func print(_ output: CommandOutput) {
        if let verbatim = output.verbatim {
            ctx.stdout.write(verbatim)
            return
        }
        if output.bare, ctx.globals.output == nil, let text = output.text {
            ctx.stdout.write(TerminalText.sanitize(text, keepNewlines: true))
            return
        }
        switch format {
        case .json:
            guard let json = output.json ?? output.items.map(JSONValue.array) else { return }
            ctx.stdout.write(json.serialized(pretty: ctx.stdoutIsTTY) + "\n")
        case .ndjson:
            if let items = output.items {
                ctx.stdout.write(items.map { $0.serialized() + "\n" }.joined())
            } else if let json = output.json {
                ctx.stdout.write(json.serialized() + "\n")
            }
        case .csv:
            // Lists only (the Runner refuses csv for other commands): the keys of the first item are the header.
            guard let items = output.items, let keys = items.first?.objectValue?.map(\.0) else { return }
            let clean: (String) -> String = { ctx.stdoutIsTTY ? TerminalText.sanitize($0) : $0 }
            ctx.stdout.write(CSVText.row(keys) + items.map { item in CSVText.row(keys.map { clean(CSVText.cell(item[$0])) }) }.joined())
        case .table:
            if let table = output.table {
                if table.rows.isEmpty, let message = output.emptyMessage {
                    ctx.notice(message)
                    return
                }
                let renderer = TableRenderer(width: ctx.stdoutIsTTY ? ctx.terminalWidth ?? 80 : nil, color: ctx.useColor)
                let statusColumn = table.headers.firstIndex(of: "STATUS")
                var table = table
                table.wholeColumns = Self.wholeColumns(table.headers)
                ctx.stdout.write(
                    renderer.render(table) { column, cell in
                        column == statusColumn ? Self.statusColor(cell) : nil
                    })
                if let text = output.text { ctx.stdout.write(TerminalText.sanitize(text, keepNewlines: true)) }
            } else if let text = output.text {
                ctx.stdout.write(TerminalText.sanitize(text, keepNewlines: true))
            } else if let json = output.json ?? output.items.map(JSONValue.array) {
                ctx.stdout.write(json.serialized(pretty: true) + "\n")
            }
        }
    }

    /// Columns of times and ids (and phone numbers, template names: what is typed back): cut
    /// only when the free text around them cannot make room.
    static func wholeColumns(_ headers: [String]) -> Set<Int> {
        let names: Set<String> = [
            "TIME", "SENT", "CREATED", "STATUS TIME", "ID", "MESSAGE ID", "TEMPLATE ID", "REQUEST ID", "TO", "PHONE",
            "PHONE NUMBER", "NAME", "TEMPLATE NAME", "LINE",
        ]
        return Set(headers.indices.filter { names.contains(headers[$0]) || headers[$0].hasSuffix(" AT") })
    }

    /// ANSI colour codes for statuses: green for good news, red for bad, yellow for waiting.
    static func statusColor(_ status: String) -> String? {
        if status.hasSuffix("(inactive)") { return "33" }
        let word = status.lowercased()
        switch DeliveryStatus(rawValue: word) {
        case .delivered, .read: return "32"
        case .failed, .undelivered, .deleted: return "31"
        case .queued, .sent, .unknown, .expired: return "33"
        case .other: break
        }
        switch SendOutcome(rawValue: word) {
        case .accepted: return "32"
        case .rejected: return "31"
        case .unknown: return "33"
        case .other: break
        }
        // Template review states (`templates list` shows them as the API spells them: `Under
        // Review`), and `history stats --by status`'s pending.
        switch TemplateStatus(rawValue: word.replacingAll(" ", with: "_")) {
        case .accepted: return "32"
        case .rejected, .deleted: return "31"
        case .pending, .underReview, .needsModification: return "33"
        case .other: return nil
        }
    }
}
