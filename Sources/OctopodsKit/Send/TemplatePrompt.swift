#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import CLISupport

/// A template send whose command line left out the template, the recipient or the variables,
/// completed by asking at the terminal: pick the template, fill each variable with the message
/// previewed, type the recipient (checked as typed), then see the message and the command line
/// that does the same without questions, and confirm.
extension TemplateSendFlow {
    /// The options that give variables (--variables-format only shapes them).
    static let variableOptions: [any DeclaredOption] = [
        TemplateVariables.Key.body, TemplateVariables.Key.header, TemplateVariables.Key.footer, TemplateVariables.Key.buttons,
        TemplateVariables.Key.variables,
    ]

    var variablesGiven: Bool { Self.variableOptions.contains { arguments.isDeclared($0) && arguments.has($0) } }

    /// What the command line lacks that prompting could ask for; empty when nothing.
    var missing: [String] {
        var missing: [String] = []
        if templateID.isEmpty { missing.append("<template-id>") }
        if to == nil, !bulk.isBulk { missing.append("--to PHONE") }
        return missing
    }

    /// The usage error for what is missing when there is no one to ask.
    func missingError(_ ctx: Context) -> OctopodsError {
        let what = missing.first ?? "<template-id>"
        let message = what.hasPrefix("<") ? "missing argument \(what)" : "give the recipient with --to PHONE, or many with --from FILE"
        let reason: String
        if ctx.globals.noInput || !(ctx.environment[EnvironmentVariable.noInput.rawValue] ?? "").isEmpty {
            reason = "Give it on the command line (prompting is off: --no-input or OCTOPODS_NO_INPUT)."
        } else {
            reason = "Give it on the command line, or run at a terminal to be asked for it."
        }
        return .usage(UsageError(message, suggestion: reason, path: arguments.path))
    }

    /// This send with what was missing asked for; nil when nothing needed asking.
    func prompted(_ ctx: Context, _ prompter: Prompter) async throws(OctopodsError) -> TemplateSendFlow? {
        var arguments = self.arguments
        var asked = false
        var templateID = self.templateID
        let client = try ctx.apiClient()
        if templateID.isEmpty {
            let templates = try await client.send(API.listTemplates(channel: channel)).value
            guard !templates.isEmpty else {
                throw .invalidInput("this \(channel.displayName) key has no templates to send")
            }
            let idWidth = templates.map { TerminalText.width($0.id) }.max() ?? 4
            let nameWidth = min(28, templates.map { TerminalText.width($0.name) }.max() ?? 10)
            let choices = templates.map { t -> Prompter.Choice in
                let status = (t.status ?? "–").lowercased() + (t.active == false ? " (inactive)" : "")
                let needs = t.requirements.total == 0 && t.requirements.headerMedia == nil ? "no variables" : t.requirements.summary
                let label = [
                    TerminalText.pad(t.id, to: idWidth), TerminalText.pad(TerminalText.truncate(t.name, to: nameWidth), to: nameWidth),
                    TerminalText.pad(t.language ?? "", to: 6), TerminalText.pad(status, to: 9), needs,
                ].joined(separator: "  ")
                return Prompter.Choice(
                    label: label, search: "\(t.id) \(t.name) \(t.language ?? "")",
                    selectable: t.isSendable)
            }
            templateID = templates[try prompter.pick("Template", choices)].id
            arguments.positionals = [templateID]
            asked = true
        }
        let template = try await TemplateCache(ctx).template(channel: channel, id: templateID, client: client)
        try template.checkSendable()
        let needs = template.requirements

        if !variablesGiven, needs.total > 0 || (needs.headerMedia != nil && mediaURL == nil) {
            var values = TemplateVariables()
            var media = mediaURL
            func preview(_ typed: String, _ place: WritableKeyPath<TemplateVariables, [String]>?, _ mediaTyped: Bool) -> [String] {
                var shown = values
                if let place { shown[keyPath: place].append(typed.isEmpty ? "…" : typed) }
                let text = shown.preview(template, mediaURL: mediaTyped ? (typed.isEmpty ? nil : typed) : media)
                return ["Message:"] + text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
            }
            if let kind = needs.headerMedia, media == nil {
                media = try prompter.ask(
                    "Header \(kind.lowercased()) URL", preview: { preview($0, nil, true) },
                    check: { text in
                        do throws(OctopodsError) { try URLCheck.checkMedia(text, field: "the URL"); return nil } catch {
                            return error.message(now: ctx.now)
                        }
                    })
                arguments.set(mediaKey, to: [media ?? ""])
            }
            let sections: [(String, Int, WritableKeyPath<TemplateVariables, [String]>, OptionKey<[String]>)] = [
                ("Header", needs.header, \.header, TemplateVariables.Key.header), ("Body", needs.body, \.body, TemplateVariables.Key.body),
                ("Footer", needs.footer, \.footer, TemplateVariables.Key.footer),
                ("Button", needs.buttons, \.buttons, TemplateVariables.Key.buttons),
            ]
            for (name, count, place, option) in sections where count > 0 {
                for n in 1...count {
                    let value = try prompter.ask(
                        "\(name) {{\(n)}}", preview: { preview($0, place, false) },
                        check: { text in
                            if text.isEmpty { return "WhatsApp rejects empty variables" }
                            if text.contains(where: \.isNewline) { return "one line only" }
                            return nil
                        })
                    values[keyPath: place].append(value)
                    arguments.set(
                        option, to: arguments[option] + [option.spec == TemplateVariables.Key.body.spec ? "\(n)=\(value)" : value])
                }
            }
            asked = true
        }

        if to == nil {
            let phone = try prompter.ask(
                "To (E.164, e.g. +14155552671)",
                check: { text in
                    do throws(OctopodsError) { _ = try PhoneNumber.validate(text, field: "the number"); return nil } catch {
                        return error.message(now: ctx.now)
                    }
                })
            arguments.set(SendOptions.Key.to, to: [phone])
            asked = true
        }
        guard asked else { return nil }

        let send = try TemplateSendFlow(channel: channel, arguments)
        let variables = try send.variables.reading(ctx)
        try prompter.finish(
            to: send.to, preview: variables.preview(template, mediaURL: send.mediaURL),
            commandLine: send.commandLine(ctx), dryRun: options.dryRun)
        return send
    }

    /// The command line that does this send with no questions asked.
    func commandLine(_ ctx: Context) -> String {
        var words = ["octopods"]
        if ctx.globals.sandbox { words.append("--sandbox") }
        if let profile = ctx.globals.profile { words += ["--profile", profile] }
        words += arguments.path + [templateID]
        words += arguments.words(for: Self.options(channel).map(\.spec))
        return words.map(ShellWord.quote).joined(separator: " ")
    }
}
