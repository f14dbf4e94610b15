import CLISupport

package enum Templates {
    package static let spec = CommandSpec(
        name: "templates",
        abstract: "List, inspect and preview message templates (WhatsApp and Viber).",
        discussion: "Only accepted templates can be sent. 'templates get' shows the variables each section of a template needs.")

    static let channelOption = OptionKey.value(
        "channel", "CHANNEL", .choice(["whatsapp", "vbm"]),
        help: "Whose templates: whatsapp (default) or vbm.")
    static let statuses = TemplateStatus.known.map(\.rawValue)

    static func channel(_ arguments: ParsedArguments) -> Channel {
        arguments[channelOption] == "vbm" ? .vbm : .whatsapp
    }

    package struct List: Command {
        package static let spec = CommandSpec(
            name: "list",
            abstract: "List templates with their status, language and the variables they need.",
            discussion: "Filters are applied by the API. Viber lists accepted templates only, so --status is WhatsApp's alone. "
                + "--lang takes a broad code (en, pt, es, zh), which includes its regional variants, or a regional one (en_US, pt_BR).",
            options: [channelOption, Key.status, Key.active, Key.lang, FieldSelection.key(fields)],
            examples: [
                Example("octopods templates list --status accepted", "Templates you can send."),
                Example("octopods templates list --fields template_id,template_name,language", "Only ids, names and languages."),
                Example("octopods templates list --channel vbm --lang en", "Viber templates in any English variant."),
                Example("octopods templates list --json | jq -r '.[].template_name'", "Just the names, for a script."),
            ])

        package static let fields = [
            "template_id", "template_name", "template_status", "language", "active", "created_at",
            "template_body", "template_components", "account_phone_number",
        ]

        enum Key {
            static let status = OptionKey.value(
                "status", "STATUS", .choice(statuses), help: "Only templates in this review state (WhatsApp).")
            static let active = OptionKey.boolean(
                "active", help: "Only templates that are active (true) or inactive (false) in Octopods.")
            static let lang = OptionKey.value("lang", "LANG", help: "Only templates in this language (en, en_US, pt_BR, ...).")
        }

        var channel: Channel
        var status: String?
        var active: Bool?
        var lang: String?

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            channel = Templates.channel(arguments)
            status = arguments[Key.status]
            active = arguments[Key.active]
            lang = arguments[Key.lang]
            if channel == .vbm, status != nil {
                throw .usage(
                    UsageError(
                        "--status applies to WhatsApp templates only (Viber lists accepted templates only)",
                        path: arguments.path))
            }
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let client = try ctx.apiClient()
            let response = try await client.send(API.listTemplates(channel: channel, status: status, active: active, lang: lang))
            let templates = response.value
            // Remembered for completing template ids in the shell (`__complete templates`,
            // `vbm-templates`) and for "did you mean".
            if ctx.sandbox == nil, let key = try? client.key(channel) {
                let dropped = TemplateListCache(ctx).store(
                    templates.map { TemplateListCache.Entry(id: $0.id, name: $0.name) },
                    complete: status == nil && active == nil && lang == nil,
                    baseURL: client.baseURL, channel: channel, key: key)
                if ctx.globals.verbose, !dropped.isEmpty {
                    ctx.stderr.write(
                        "note: not kept for shell completion (not a template id's shape): "
                            + dropped.map { TerminalText.sanitize($0) }.joined(separator: ", ") + "\n")
                }
            }
            // Only a table shows the VARIABLES column, which reads every template's text.
            let table = ctx.format == .table ? Self.table(templates, channel: channel) : nil
            let items = (response.raw.arrayValue ?? [response.raw]).map { APITime.normalizing($0, fields: ["created_at"]) }
            return CommandOutput(
                json: response.raw.arrayValue != nil ? .array(items) : response.raw, items: items, table: table,
                emptyMessage: "No templates match.")
        }

        static func table(_ templates: [Template], channel: Channel) -> Table {
            let showLanguage = templates.contains { $0.language != nil }
            var headers = ["ID", "NAME", "STATUS"]
            if showLanguage { headers.append("LANGUAGE") }
            headers.append("VARIABLES")
            let rows = templates.map { t -> [String] in
                // An inactive template cannot be sent whatever its review says: never a green "Accepted".
                var status = t.status ?? (channel == .vbm ? "Accepted" : "")
                if t.active == false { status += status.isEmpty ? "inactive" : " (inactive)" }
                var row = [t.id, t.name, status]
                if showLanguage { row.append(t.language ?? "") }
                row.append(t.requirements.summary)
                return row
            }
            // The requirements give up width first; names are what is typed back.
            return Table(headers: headers, rows: rows, flexibleColumn: headers.count - 1)
        }
    }

    package struct Get: Command {
        package static let spec = CommandSpec(
            name: "get",
            abstract: "Show one template: its components and the variables each section needs.",
            arguments: [
                ArgumentSpec("template-id", completion: .dynamic("templates"), help: "The template's id (see 'octopods templates list').")
            ],
            options: [channelOption],
            examples: [Example("octopods templates get 1001", "What template 1001 says and needs.")])

        var channel: Channel
        var id: String

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            channel = Templates.channel(arguments)
            id = try IDArgument.check(arguments.positionals.first ?? "", name: "template-id", path: arguments.path)
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let response = try await ctx.apiClient().send(API.getTemplate(channel: channel, id: id))
            return CommandOutput(
                json: APITime.normalizing(response.raw, fields: ["created_at"]), text: Self.describe(response.value, channel: channel))
        }

        static func describe(_ t: Template, channel: Channel) -> String {
            var lines = ["\(t.name) (\(t.id))"]
            let facts: [(String, String?)] = [
                ("Status", t.status), ("Language", t.language), ("Active", t.active.map { $0 ? "yes" : "no" }),
                ("Created", t.createdAt.map { Vocabulary.localTime(iso: $0) ?? $0 }), ("Business number", t.businessNumber),
            ]
            for (label, value) in facts { if let value { lines.append("  \(TerminalText.pad(label + ":", to: 17)) \(value)") } }
            let components =
                t.components.isEmpty
                ? [TemplateComponent(type: "BODY", format: nil, text: t.body, buttons: [])]
                : t.components
            for component in components {
                lines.append("")
                lines.append(component.type + (component.format.map { " (\($0))" } ?? ""))
                if let text = component.text {
                    lines.append(contentsOf: text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 })
                }
                for button in component.buttons {
                    lines.append("  [\(button.type)] \(button.text)" + (button.url.map { " → \($0)" } ?? ""))
                }
                if let need = need(component, channel: channel) { lines.append("  needs: " + need) }
            }
            let r = t.requirements
            lines.append("")
            if r.total == 0 && r.headerMedia == nil {
                lines.append("Needs no variables.")
            } else {
                lines.append("Variables: " + r.summary)
            }
            return lines.joined(separator: "\n") + "\n"
        }

        static func need(_ component: TemplateComponent, channel: Channel) -> String? {
            switch component.type {
            case "HEADER":
                if let format = component.format, ["IMAGE", "VIDEO", "DOCUMENT"].contains(format) {
                    return "a public \(format.lowercased()) URL (\(channel == .vbm ? "--header-image" : "--header-url") URL)"
                }
                let n = Template.placeholderCount(component.text ?? "")
                return n > 0 ? "\(n) variable\(n == 1 ? "" : "s") (--header-var VALUE, in order)" : nil
            case "BODY":
                let n = Template.placeholderCount(component.text ?? "")
                return n > 0 ? "\(n) variable\(n == 1 ? "" : "s") (" + (1...n).map { "--var \($0)=…" }.joined(separator: " ") + ")" : nil
            case "FOOTER":
                let n = Template.placeholderCount(component.text ?? "")
                return n > 0 ? "\(n) variable\(n == 1 ? "" : "s") (--footer-var VALUE, in order)" : nil
            case "BUTTONS":
                let n = component.buttons.reduce(0) { $0 + ($1.type == "COPY_CODE" ? 1 : Template.placeholderCount($1.url ?? "")) }
                return n > 0 ? "\(n) variable\(n == 1 ? "" : "s") (--button-var VALUE, in order)" : nil
            default:
                return nil
            }
        }
    }
}

extension Templates {
    package struct Render: Command {
        package static let spec = CommandSpec(
            name: "render",
            abstract: "Print a template filled in with variables, as the recipient would see it; sends nothing.",
            discussion:
                "Takes the same variable flags as 'send template'. Placeholders without a value are left as {{N}} and listed on stderr.",
            arguments: [ArgumentSpec("template-id", completion: .dynamic("templates"), help: "The template's id.")],
            options: [channelOption] + TemplateVariables.options(.whatsapp) + [headerURL],
            examples: [Example("octopods templates render 1001 --var 1=Jane --var 2=A-1042", "Preview an order update.")])

        static let headerURL = OptionKey.value("header-url", "URL", help: "Media header URL to show in the preview.")

        var channel: Channel
        var id: String
        var mediaURL: String?
        var variables: TemplateVariables

        package init(_ arguments: ParsedArguments) throws(OctopodsError) {
            channel = Templates.channel(arguments)
            id = try IDArgument.check(arguments.positionals.first ?? "", name: "template-id", path: arguments.path)
            mediaURL = arguments[Self.headerURL]
            if channel == .vbm, arguments.has(TemplateVariables.Key.buttons) {
                throw .usage(UsageError("Viber templates have no button variables", path: arguments.path))
            }
            variables = try TemplateVariables.parse(arguments)
        }

        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
            let variables = try self.variables.reading(ctx)
            let template = try await TemplateCache(ctx).template(channel: channel, id: id, client: ctx.apiClient())
            let text = variables.preview(template, mediaURL: mediaURL)
            do {
                try variables.check(against: template, channel: channel, mediaURL: mediaURL)
            } catch {
                if case .invalidInput(let message, _) = error { ctx.warn(message) }
            }
            return CommandOutput(
                json: [
                    "template_id": .string(template.id), "template_name": .string(template.name),
                    "text": .string(text),
                ],
                text: text + "\n")
        }
    }
}
