import CLISupport
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Builds a `waba_interactive_message` (reply buttons or a list) from the `send interactive`
/// builder flags, then validates it with the same rules as a `--file` payload, naming the flags
/// in its messages. Pure: no I/O.
package struct InteractiveBuilder: Sendable, Equatable {
    /// A media header holds its URL.
    package enum Header: Sendable, Equatable { case text(String), image(String), video(String), document(String) }

    package struct Button: Sendable, Equatable {
        package var id: String
        package var title: String
        package init(id: String, title: String) {
            self.id = id
            self.title = title
        }
    }

    package struct Row: Sendable, Equatable {
        package var id: String
        package var title: String
        package var description: String?
        package init(id: String, title: String, description: String? = nil) {
            self.id = id
            self.title = title
            self.description = description
        }
    }

    package struct Section: Sendable, Equatable {
        package var title: String?
        package var rows: [Row]
        package init(title: String? = nil, rows: [Row] = []) {
            self.title = title
            self.rows = rows
        }
    }

    /// The flags as the user types them; every builder message names one of these.
    package enum Flag {
        package static let body = "--body"
        package static let footer = "--footer"
        package static let header = "--header-text"
        package static let headerImage = "--header-image"
        package static let headerVideo = "--header-video"
        package static let headerDocument = "--header-document"
        package static let button = "--button"
        package static let listButton = "--list-button"
        package static let section = "--section"
        package static let row = "--row"
    }

    package var body: String?
    package var footer: String?
    package var header: Header?
    package var buttons: [Button]
    /// `action.button`, the label of the list's menu button.
    package var listButton: String?
    package var sections: [Section]

    package init(
        body: String? = nil, footer: String? = nil, header: Header? = nil, buttons: [Button] = [],
        listButton: String? = nil, sections: [Section] = []
    ) {
        self.body = body
        self.footer = footer
        self.header = header
        self.buttons = buttons
        self.listButton = listButton
        self.sections = sections
    }

    /// The flag that gave the header.
    var headerFlag: String {
        switch header {
        case .image: return Flag.headerImage
        case .video: return Flag.headerVideo
        case .document: return Flag.headerDocument
        case .text, nil: return Flag.header
        }
    }

    /// Builds `{"type":"button"|"list", "header"?, "body":{"text"}, "footer"?, "action":{...}}` and
    /// validates it; every message names the flags.
    package func build() throws(OctopodsError) -> JSONValue {
        let isList = !sections.isEmpty
        if !buttons.isEmpty && isList {
            throw .invalidInput(
                "\(Flag.button) cannot be combined with \(Flag.section)/\(Flag.row): a message has either reply buttons or a list",
                hint: "Use \(Flag.button) for up to 3 reply buttons, or \(Flag.section)/\(Flag.row) for a list of up to 10 rows.")
        }
        if buttons.isEmpty && !isList {
            throw .invalidInput(
                "no \(Flag.button) or \(Flag.row) given: an interactive message needs reply buttons or a list",
                hint:
                    "Add \(Flag.button) ID:TITLE (up to 3), or \(Flag.row) ID:TITLE[:DESCRIPTION] (up to 10) with \(Flag.listButton) LABEL."
            )
        }
        guard let body else {
            throw .invalidInput(
                "\(Flag.body) is required: every interactive message needs body text",
                hint: "Add \(Flag.body) TEXT (at most 1,024 characters).")
        }
        if !isList && listButton != nil {
            throw .invalidInput(
                "\(Flag.listButton) only applies to a list (\(Flag.section)/\(Flag.row)); reply buttons have no menu button",
                hint: "Drop \(Flag.listButton), or build a list with \(Flag.row) instead of \(Flag.button).")
        }
        if isList {
            guard listButton != nil else {
                throw .invalidInput(
                    "a list needs \(Flag.listButton) LABEL: the text of the button that opens the list",
                    hint: "Add e.g. \(Flag.listButton) 'Choose' (at most 20 characters).")
            }
            for (i, section) in sections.enumerated() where section.rows.isEmpty {
                let which = section.title.map { " " + InteractiveMessage.quote($0) } ?? ""
                throw .invalidInput(
                    "\(Flag.section) #\(i + 1)\(which) has no \(Flag.row)",
                    hint: "Give at least one \(Flag.row) ID:TITLE after it, or drop that \(Flag.section).")
            }
        }

        var payload: [(String, JSONValue)] = [("type", .string(isList ? "list" : "button"))]
        switch header {
        case .text(let text): payload.append(("header", ["type": "text", "text": .string(text)]))
        case .image(let url): payload.append(("header", ["type": "image", "image": ["link": .string(url)]]))
        case .video(let url): payload.append(("header", ["type": "video", "video": ["link": .string(url)]]))
        case .document(let url): payload.append(("header", ["type": "document", "document": ["link": .string(url)]]))
        case nil: break
        }
        payload.append(("body", ["text": .string(body)]))
        if let footer { payload.append(("footer", ["text": .string(footer)])) }
        if isList {
            let sectionValues: [JSONValue] = sections.map { section in
                var pairs: [(String, JSONValue)] = []
                if let title = section.title { pairs.append(("title", .string(title))) }
                pairs.append(
                    (
                        "rows",
                        .array(
                            section.rows.map { row in
                                var rowPairs: [(String, JSONValue)] = [("id", .string(row.id)), ("title", .string(row.title))]
                                if let description = row.description { rowPairs.append(("description", .string(description))) }
                                return .object(rowPairs)
                            })
                    ))
                return .object(pairs)
            }
            payload.append(("action", ["button": .string(listButton ?? ""), "sections": .array(sectionValues)]))
        } else {
            let buttonValues: [JSONValue] = buttons.map {
                ["type": "reply", "reply": ["id": .string($0.id), "title": .string($0.title)]]
            }
            payload.append(("action", ["buttons": .array(buttonValues)]))
        }
        let result = JSONValue.object(payload)
        try InteractiveValidator(origin: .builder(self)).validate(result)
        return result
    }

    /// "--button ID:TITLE": split on the first colon; spaces around each part are dropped.
    package static func parseButton(_ text: String) throws(OctopodsError) -> Button {
        let form = "\(Flag.button) ID:TITLE, e.g. \(Flag.button) 'book:Book a table'"
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(trimmed)
        let given = "\(Flag.button) \(InteractiveMessage.quote(text))"
        guard parts.count == 2 else {
            throw .invalidInput("\(given) has no ':' between the id and the title", hint: "Write it as \(form).")
        }
        if parts[0].isEmpty {
            throw .invalidInput("\(given): the id before ':' is empty", hint: "Write it as \(form).")
        }
        if parts[1].isEmpty {
            throw .invalidInput("\(given): the title after ':' is empty", hint: "Write it as \(form).")
        }
        return Button(id: parts[0], title: parts[1])
    }

    /// "--row ID:TITLE[:DESCRIPTION]": split on the first two colons (a description may hold more
    /// colons, an id or a title cannot); spaces around each part are dropped; an empty
    /// description is none.
    package static func parseRow(_ text: String) throws(OctopodsError) -> Row {
        let form = "\(Flag.row) ID:TITLE[:DESCRIPTION], e.g. \(Flag.row) 'mon:Monday:Opens at 9'"
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(trimmed)
        let given = "\(Flag.row) \(InteractiveMessage.quote(text))"
        guard parts.count >= 2 else {
            throw .invalidInput("\(given) has no ':' between the id and the title", hint: "Write it as \(form).")
        }
        if parts[0].isEmpty {
            throw .invalidInput("\(given): the id before the first ':' is empty", hint: "Write it as \(form).")
        }
        if parts[1].isEmpty {
            throw .invalidInput("\(given): the title after the first ':' is empty", hint: "Write it as \(form).")
        }
        let description = parts.count == 3 && !parts[2].isEmpty ? parts[2] : nil
        return Row(id: parts[0], title: parts[1], description: description)
    }

    private static func trimmed(_ part: Substring) -> String { part.trimmingSpaces() }
}

/// A `waba_interactive_message` given as JSON (`--file`).
