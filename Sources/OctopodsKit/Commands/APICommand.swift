#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import CLISupport

/// `octopods api`: any request to the API, with the key of the path's channel: the escape
/// hatch for what no command covers yet (like `gh api`).
package struct APICommand: Command {
    /// The documented endpoints, for completions (ids as placeholders to replace).
    package static let documentedPaths = [
        "whatsapp/templates", "whatsapp/templates/TEMPLATE_ID", "whatsapp/templates/TEMPLATE_ID/messages",
        "whatsapp/messages", "whatsapp/messages/MESSAGE_ID", "whatsapp/interactive",
        "sms/messages", "sms/messages/MESSAGE_ID",
        "vbm/templates", "vbm/templates/TEMPLATE_ID", "vbm/templates/TEMPLATE_ID/messages",
    ]

    package static let spec = CommandSpec(
        name: "api",
        abstract: "Make any request to the Octopods API with the right key and print the response.",
        discussion: """
            PATH is relative to /api/v1 (a leading /api/v1 is accepted too); a query may follow it after '?'. Its first \
            segment (whatsapp, sms, vbm) chooses the key, or --channel does. -f adds a string field, -F a typed one \
            (true, false, null, numbers, JSON objects and arrays as JSON; @FILE or @- the contents of a file or of standard \
            input as a string); the fields make a JSON object sent as the body, or the query string with -X GET. --input \
            sends a file or standard input as the body as it is. The method is GET, or POST when there is a body.

            The response body goes to stdout as the API sent it (pretty and terminal-safe on a terminal), the status and \
            headers before it with -i. An error status also prints the API's error decoded on stderr, and the exit status \
            follows the usual rules: 1 refused, 3 key or access, 4 not sent (safe to retry), 5 the outcome is unknown \
            (a request other than GET that failed after it went out). The key is added by octopods and never printed \
            (--dry-run and --verbose show it redacted); the request is paced within the key's rate budget like every \
            other, and redirects are never followed.

            Requests made with 'api' are not recorded in the history: it cannot know whether a request is a send. \
            Use 'send', 'sms send' or 'vbm send' for sends you want to find again with 'octopods history'.
            """,
        arguments: [
            ArgumentSpec(
                "path", completion: .choices(documentedPaths),
                help: "The endpoint below /api/v1, e.g. whatsapp/templates or sms/messages/4829174.")
        ],
        options: [Key.method, Key.rawField, Key.field, Key.input, Key.header, Key.channel, Key.include, Key.dryRun],
        examples: [
            Example("octopods api whatsapp/templates", "The raw template list."),
            Example("octopods api 'whatsapp/messages?limit=5' -i", "The last five messages, with the response headers."),
            Example(
                "octopods api sms/messages -f destination_phone=+14155552671 -f body=Hello",
                "Send an SMS from the raw API (not recorded in the history)."),
            Example(
                "octopods api whatsapp/templates/1234/messages --input request.json --dry-run",
                "Check a hand-written request without sending it."),
        ])

    enum Key {
        static let method = OptionKey.value(
            "method", short: "X", "METHOD", help: "HTTP method (default GET, or POST when there is a body).")
        static let rawField = OptionKey.repeated(
            "raw-field", short: "f", "KEY=VALUE", help: "Add a string field to the JSON body (or the query with -X GET).")
        static let field = OptionKey.repeated(
            "field", short: "F", "KEY=VALUE",
            help: "Add a typed field: true, false, null, a number or JSON as such; @FILE or @- reads the value from a file or stdin.")
        static let input = OptionKey.value(
            "input", "FILE", .file, help: "Send this file (- for standard input) as the body, as it is; fields then go to the query.")
        static let header = OptionKey.repeated(
            "header", short: "H", "'NAME: VALUE'",
            help: "Add a request header (not the key's header); 'NAME:' with no value removes one octopods sends, such as User-Agent.")
        static let channel = OptionKey.value(
            "channel", "CHANNEL", .choice(Channel.allCases.map(\.rawValue)),
            help: "Whose key to use: whatsapp, sms or vbm (default: PATH's first segment).")
        static let include = OptionKey.flag("include", short: "i", help: "Print the response status and headers before the body.")
        static let dryRun = OptionKey.flag("dry-run", help: "Print the request that would be made (key redacted); send nothing.")
    }

    var method: String?
    var path: String
    var query: [(String, String)] = []
    /// Every field in command-line order: (key, value, typed).
    var fields: [(String, String, Bool)] = []
    var input: String?
    var headers: [(String, String)] = []
    var channel: Channel
    var family: ErrorFamily
    var include: Bool
    var dryRun: Bool

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        let where_ = arguments.path
        func usage(_ message: String) -> OctopodsError { .usage(UsageError(message, path: where_)) }

        if let raw = arguments[Key.method] {
            let upper = raw.uppercased()
            guard !upper.isEmpty, upper.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw usage("invalid value for '--method': '\(raw)' is not an HTTP method (GET, POST, PUT, PATCH, DELETE)")
            }
            method = upper
        }
        var text = arguments.positionals.first ?? ""
        if text.contains("://") {
            throw usage("PATH is relative to the base URL (e.g. whatsapp/templates), not a URL; set the API root with --base-url")
        }
        if let mark = text.firstIndex(of: "?") {
            for pair in text[text.index(after: mark)...].split(separator: "&") where !pair.isEmpty {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = PlainText.percentDecoded(parts[0]) ?? String(parts[0])
                let value = parts.count > 1 ? (PlainText.percentDecoded(parts[1]) ?? String(parts[1])) : ""
                query.append((name, value))
            }
            text = String(text[..<mark])
        }
        var segments = text.split(separator: "/").map(String.init)
        if segments.count >= 2, segments[0] == "api", segments[1] == "v1" { segments.removeFirst(2) }
        guard !segments.isEmpty else { throw usage("missing argument <path>: e.g. whatsapp/templates") }
        for segment in segments where segment == "." || segment == ".." {
            throw usage("PATH may not contain '\(segment)' segments: it stays below /api/v1")
        }
        path = "/api/v1/" + segments.map { URLEncoding.component(PlainText.percentDecoded($0) ?? $0) }.joined(separator: "/")

        if let name = arguments[Key.channel] {
            guard let chosen = Channel(rawValue: name) else { throw usage("invalid value for '--channel': '\(name)'") }
            channel = chosen
        } else if let first = Channel(rawValue: segments[0]) {
            channel = first
        } else {
            throw usage("PATH '\(segments[0])/…' does not start with whatsapp, sms or vbm; say whose key to use with --channel")
        }
        switch channel {
        case .whatsapp:
            family = segments.first == "whatsapp" && segments.dropFirst().first == "interactive" ? .whatsappInteractive : .whatsappTemplates
        case .sms: family = .sms
        case .vbm: family = .vbm
        }

        for occurrence in arguments.occurrences where occurrence.is(Key.rawField) || occurrence.is(Key.field) {
            let typed = occurrence.is(Key.field)
            let flag = typed ? "-F" : "-f"
            guard let equals = occurrence.value.firstIndex(of: "="), equals != occurrence.value.startIndex else {
                throw usage("invalid value for '\(flag)': '\(occurrence.value)' is not KEY=VALUE")
            }
            fields.append(
                (
                    String(occurrence.value[..<equals]), String(occurrence.value[occurrence.value.index(after: equals)...]),
                    typed
                ))
        }
        input = arguments[Key.input]
        if input == "-", fields.contains(where: { $0.2 && $0.1 == "@-" }) {
            throw usage("standard input can be read once: --input - and -F KEY=@- cannot be used together")
        }
        if fields.filter({ $0.2 && $0.1 == "@-" }).count > 1 {
            throw usage("standard input can be read once: only one -F KEY=@- per request")
        }

        for line in arguments[Key.header] {
            guard let colon = line.firstIndex(of: ":") else {
                throw usage("invalid value for '-H': '\(line)' is not 'NAME: VALUE'")
            }
            let name = line[..<colon].trimmingSpaces()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            let token = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".unicodeScalars)
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(token.contains) else {
                throw usage("invalid value for '-H': '\(name)' is not a header name")
            }
            guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw usage("invalid value for '-H \(name)': a header value cannot contain line breaks")
            }
            if PlainText.sameIgnoringCase(name, APIClient.authHeader) {
                throw usage(
                    "the key is never given on the command line (it would show in ps and shell history); "
                        + "octopods adds \(APIClient.authHeader) from \(channel.environmentVariable.rawValue) or the config file")
            }
            if ["host", "content-length", "transfer-encoding", "connection"].contains(name.lowercased()) {
                throw usage("'-H \(name)' is set by octopods itself and cannot be given")
            }
            headers.append((name, value))
        }
        include = arguments[Key.include]
        dryRun = arguments[Key.dryRun]
    }

    /// A -F value: JSON where it reads as JSON, the contents of a file for @FILE, else a string.
    static func typedValue(_ text: String, ctx: Context, key: String) throws(OctopodsError) -> JSONValue {
        if text.hasPrefix("@") {
            let source = String(text.dropFirst())
            let data = try ctx.readInput(source, source: "-F \(key)=@\(source)")
            return .string(String(decoding: data, as: UTF8.self))
        }
        if let value = try? JSONValue.parse(text) { return value }
        return .string(text)
    }

    func endpoint(_ ctx: Context) throws(OctopodsError) -> Endpoint<HTTPResponse> {
        var values: [(String, JSONValue)] = []
        for (key, value, typed) in fields {
            values.append((key, typed ? try Self.typedValue(value, ctx: ctx, key: key) : .string(value)))
        }
        var rawBody: Data?
        if let input { rawBody = try ctx.readInput(input, source: "--input \(input)") }
        let method = self.method ?? (rawBody != nil || !values.isEmpty ? "POST" : "GET")
        var query = self.query
        var body: JSONValue?
        if !values.isEmpty {
            if rawBody != nil || method == "GET" || method == "HEAD" {
                query += values.map { ($0.0, $0.1.scalarText ?? $0.1.serialized()) }
            } else {
                body = .object(values)
            }
        }
        var endpoint = Endpoint<HTTPResponse>(method: method, path: path, query: query, body: body, family: family) {
            _ throws(DecodingProblem) in
            HTTPResponse(status: 0)
        }
        endpoint.rawBody = rawBody
        endpoint.extraHeaders = headers
        return endpoint
    }

    package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        let endpoint = try self.endpoint(ctx)
        let client = try ctx.apiClient()
        if dryRun { return try Self.dryRun(endpoint, client: client, ctx: ctx) }
        let response = try await client.exchange(endpoint)
        var text = ""
        if include {
            text += "HTTP \(response.status)\n"
            for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\n" }
            text += "\n"
        }
        text += Self.body(response.body, terminal: ctx.stdoutIsTTY)
        if ctx.stdoutIsTTY { text = TerminalText.sanitize(text, keepNewlines: true) }
        var output = CommandOutput()
        output.verbatim = text
        guard (200..<300).contains(response.status) else {
            // The body stays on stdout for scripts (as `gh api` does); the error, decoded as by
            // every command, goes to stderr and decides the exit status.
            let reporter = ErrorReporter(now: ctx.now)
            let report = reporter.report(OctopodsError.api(APIError.from(response, family: endpoint.family, readOnly: endpoint.isReadOnly)))
            ctx.stderr.write(reporter.text(report))
            if ctx.format == .json || ctx.format == .ndjson {
                ctx.stderr.write(reporter.json(report))
            }
            output.exitCode = report.code
            return output
        }
        return output
    }

    /// The body as the API sent it; on a terminal, JSON pretty-printed and a final newline.
    static func body(_ data: Data, terminal: Bool) -> String {
        guard terminal else { return String(decoding: data, as: UTF8.self) }
        if data.isEmpty { return "" }
        if let json = try? JSONValue.parse(data) { return json.serialized(pretty: true) + "\n" }
        let text = String(decoding: data, as: UTF8.self)
        return text.hasSuffix("\n") ? text : text + "\n"
    }

    static func dryRun(_ endpoint: Endpoint<HTTPResponse>, client: APIClient, ctx: Context) throws(OctopodsError) -> CommandOutput {
        let key: String
        do {
            key = try client.key(endpoint.channel)
        } catch {
            ctx.warn("no \(endpoint.channel.displayName) key is set, so the real request would fail (exit 3)")
            key = ""
        }
        let request = try client.request(for: endpoint, key: key)
        let headers = request.headers.map { APIClient.display(header: $0, $1, key: key) }
        let bodyText = request.body.map { APIClient.redact(String(decoding: $0, as: UTF8.self), key: key) }
        let url = APIClient.display(request.url, key: key)
        var text = "\(request.method) \(url)\n"
        text += headers.map { "\($0.0): \($0.1)\n" }.joined()
        var bodyJSON = JSONValue.null
        if let bodyText {
            if let json = try? JSONValue.parse(bodyText) {
                bodyJSON = json
                text += "\n" + json.serialized(pretty: true) + "\n"
            } else {
                bodyJSON = .string(bodyText)
                text += "\n" + bodyText + (bodyText.hasSuffix("\n") ? "" : "\n")
            }
        }
        ctx.notice("Dry run: nothing was sent.")
        let json: JSONValue = [
            "dry_run": true,
            "request": [
                "method": .string(request.method), "url": .string(url),
                "headers": .object(headers.map { ($0.0, .string($0.1)) }), "body": bodyJSON,
            ],
        ]
        return CommandOutput(json: json, text: text)
    }
}
