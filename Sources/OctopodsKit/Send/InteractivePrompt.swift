#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import CLISupport

/// `send interactive` at a terminal with no payload: start from an example of the chosen type,
/// edited in $VISUAL or $EDITOR and checked on save, then the recipient if missing, the message
/// and the equivalent command line, and a confirmation.
enum InteractiveExamples {
    /// One example per interactive type, each valid as it stands (a test checks them).
    static let all: [(type: String, about: String, payload: JSONValue)] = [
        (
            "button", "up to 3 reply buttons",
            [
                "type": "button",
                "body": ["text": "Confirm your booking for Friday at 10:00?"],
                "footer": ["text": "Reply to change it"],
                "action": [
                    "buttons": [
                        ["type": "reply", "reply": ["id": "yes", "title": "Yes"]],
                        ["type": "reply", "reply": ["id": "no", "title": "No"]],
                    ]
                ],
            ]
        ),
        (
            "list", "a menu of sections and rows",
            [
                "type": "list",
                "header": ["type": "text", "text": "Appointments"],
                "body": ["text": "Pick a time that suits you."],
                "action": [
                    "button": "Times",
                    "sections": [
                        [
                            "title": "Morning",
                            "rows": [["id": "m9", "title": "9:00", "description": "Front desk"], ["id": "m10", "title": "10:00"]],
                        ],
                        ["title": "Afternoon", "rows": [["id": "a2", "title": "14:00"]]],
                    ],
                ],
            ]
        ),
        (
            "product", "one product of your catalog",
            [
                "type": "product",
                "body": ["text": "The running shoes you asked about."],
                "action": ["catalog_id": "CATALOG_ID", "product_retailer_id": "SKU-123"],
            ]
        ),
        (
            "product_list", "products of your catalog in sections",
            [
                "type": "product_list",
                "header": ["type": "text", "text": "Summer picks"],
                "body": ["text": "A few things we think you will like."],
                "action": [
                    "catalog_id": "CATALOG_ID",
                    "sections": [
                        ["title": "Shoes", "product_items": [["product_retailer_id": "SKU-123"], ["product_retailer_id": "SKU-124"]]]
                    ],
                ],
            ]
        ),
        (
            "catalog_message", "your whole catalog",
            [
                "type": "catalog_message",
                "body": ["text": "Browse our catalog and order in the chat."],
                "action": ["name": "catalog_message", "parameters": ["thumbnail_product_retailer_id": "SKU-123"]],
            ]
        ),
        (
            "flow", "a WhatsApp Flow",
            [
                "type": "flow",
                "body": ["text": "Book your appointment in a few taps."],
                "action": [
                    "name": "flow",
                    "parameters": [
                        "flow_message_version": "3", "flow_token": "TOKEN", "flow_id": "FLOW_ID", "flow_cta": "Book now",
                        "flow_action": "navigate", "flow_action_payload": ["screen": "WELCOME"],
                    ],
                ],
            ]
        ),
    ]
}

extension Send.Interactive {
    /// The payload written from an example and edited until it is valid, the recipient asked
    /// if missing; then shown and confirmed. Returns the send to run.
    func prompted(_ ctx: Context, _ first: Prompter) throws(OctopodsError) -> Send.Interactive {
        var arguments = self.arguments
        var prompter = first
        var payload: JSONValue?
        if askPayload {
            let choices = InteractiveExamples.all.map {
                Prompter.Choice(label: TerminalText.pad($0.type, to: 16) + $0.about, search: $0.type, selectable: true)
            }
            let example = InteractiveExamples.all[try prompter.pick("Start from an example", choices)]
            let directory = ctx.directory(.state).appendingPathComponent("drafts")
            do { try SystemFile.makePrivateDirectory(directory) } catch {
                throw .failed("cannot create \(directory.path) for the draft: \(error)")
            }
            let file = try Self.newDraft(in: directory, type: example.type, text: example.payload.serialized(pretty: true) + "\n")
            let editor = [ctx.environment["VISUAL"], ctx.environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
            while true {
                prompter.close()
                let status = ctx.edit(editor, file.path)
                guard let reopened = Prompter.open(ctx) else { throw missingPayload() }
                prompter = reopened
                var problem: String
                if status != 0 {
                    problem = "the editor '\(editor)' exited with status \(status)"
                } else {
                    do {
                        let data = try ctx.readInput(file.path, source: file.path)
                        let parsed = try InteractiveMessage.parse(data, source: file.path)
                        try InteractiveMessage.validate(parsed)
                        payload = parsed
                        break
                    } catch {
                        let report = error.report(now: ctx.now)
                        problem = report.message + (report.hint.map { "\n  hint: " + $0 } ?? "")
                    }
                }
                prompter.write("✗ \(TerminalText.sanitize(problem, keepNewlines: true))\n")
                guard try prompter.confirm("Edit it again?") else {
                    throw .invalidInput("the draft \(file.path) is not a valid interactive message; nothing was sent")
                }
            }
            arguments.set(Key.file, to: [file.path])
        }
        if to == nil {
            let phone = try prompter.ask(
                "To (E.164, e.g. +14155552671)",
                check: { text in
                    do throws(OctopodsError) { _ = try PhoneNumber.validate(text, field: "the number"); return nil } catch {
                        return error.message(now: ctx.now)
                    }
                })
            arguments.set(Key.to, to: [phone])
        }
        let send = try Send.Interactive(arguments)
        try prompter.finish(
            to: send.to, preview: (payload ?? send.built).map(Self.preview) ?? "",
            commandLine: send.commandLine(ctx), dryRun: options.dryRun)
        return send
    }

    /// A draft of this session only: a new file with a name no other can have (`mkstemps`),
    /// readable by its owner only (0600). `run` deletes it once the send was made.
    static func newDraft(in directory: URL, type: String, text: String) throws(OctopodsError) -> URL {
        var template = Array(directory.appendingPathComponent("interactive-\(type)-XXXXXX.json").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemps($0, 5) } ?? -1 }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard fd >= 0 else { throw .failed("cannot create a draft in \(directory.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if let code = SystemFile.writeAll(fd, Array(text.utf8)) {
            unlink(path)
            throw .failed("cannot write the draft \(path): \(String(cString: strerror(code)))")
        }
        return URL(fileURLWithPath: path)
    }

    func missingPayload() -> OctopodsError {
        .usage(
            UsageError(
                "give the payload with --file FILE, or build it with --body and --button or --row",
                suggestion: "At a terminal (without --no-input), octopods offers an example to edit instead.",
                path: ["send", "interactive"]))
    }

    func commandLine(_ ctx: Context) -> String {
        var words = ["octopods"]
        if ctx.globals.sandbox { words.append("--sandbox") }
        if let profile = ctx.globals.profile { words += ["--profile", profile] }
        words += ["send", "interactive"]
        words += arguments.words(for: Self.spec.options, ordered: [Key.section.spec, Key.row.spec])
        return words.map(ShellWord.quote).joined(separator: " ")
    }
}
