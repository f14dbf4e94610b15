import CLISupport
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct InteractiveValidator {
    enum Origin {
        case file
        case builder(InteractiveBuilder)
    }

    typealias Path = InteractivePath
    typealias Flag = InteractiveBuilder.Flag

    let origin: Origin

    static let bodyMax = 1_024
    static let headerTextMax = 60
    static let footerMax = 60
    static let buttonsMax = 3
    static let buttonTitleMax = 20
    static let buttonIDMax = 256
    static let listButtonMax = 20
    static let sectionsMax = 10
    static let rowsMax = 10
    static let rowTitleMax = 24
    static let rowDescriptionMax = 72
    static let rowIDMax = 200
    static let sectionTitleMax = 24
    static let productItemsMax = 30

    // MARK: Naming

    /// The field as the user wrote it: the JSON path, or the builder flag.
    func name(_ path: Path) -> String {
        guard case .builder(let builder) = origin, let flag = Self.flagName(path, builder) else { return path.description }
        return flag
    }

    /// The field, with its value quoted when that helps find it (items of an array; any value
    /// in a file, where a path alone is hard to spot).
    func subject(_ path: Path, _ value: String?) -> String {
        guard let value else { return name(path) }
        if case .builder = origin, !path.hasIndex { return name(path) }
        return "\(name(path)) \(InteractiveMessage.quote(value))"
    }

    private static func flagName(_ path: Path, _ builder: InteractiveBuilder) -> String? {
        let p = path.parts
        guard let first = p.first, case .key(let top) = first else { return nil }
        switch top {
        case "body": return Flag.body
        case "footer": return Flag.footer
        case "header": return builder.headerFlag
        case "action": break
        default: return nil
        }
        guard p.count >= 2, case .key(let field) = p[1] else { return nil }
        let last: String? = if p.count > 2, case .key(let k) = p[p.count - 1] { k } else { nil }
        switch field {
        case "button": return Flag.listButton
        case "buttons":
            guard p.count >= 3, case .index(let i) = p[2] else { return Flag.button }
            return "\(Flag.button) #\(i + 1)" + (last.map { $0 == "title" || $0 == "id" ? " " + $0 : "" } ?? "")
        case "sections":
            guard p.count >= 3, case .index(let s) = p[2] else { return Flag.section }
            if p.count >= 5, case .key("rows") = p[3], case .index(let r) = p[4] {
                let before = builder.sections.prefix(s).reduce(0) { $0 + $1.rows.count }
                let part = p.count > 5 ? last.map { " " + $0 } ?? "" : ""
                return "\(Flag.row) #\(before + r + 1)\(part)"
            }
            if p.count == 4, case .key("title") = p[3] { return "\(Flag.section) #\(s + 1) title" }
            return "\(Flag.section) #\(s + 1)"
        default: return nil
        }
    }

    /// "action.buttons has 4 buttons" / "--button is given 4 times".
    func count(_ path: Path, _ n: Int, _ noun: String, builderFlag: String) -> String {
        if case .builder = origin { return "\(builderFlag) is given \(n) times" }
        return "\(path) has \(n) \(noun)"
    }

    // MARK: Errors

    func fail(_ message: String, hint: String?) -> OctopodsError { .invalidInput(message, hint: hint) }

    func missing(_ path: Path, _ why: String, hint: String? = nil) -> OctopodsError {
        fail("\(name(path)) is missing; \(why)", hint: hint)
    }

    func wrongType(_ path: Path, _ expected: String, _ found: JSONValue) -> OctopodsError {
        fail("\(name(path)) must be \(expected), not \(InteractiveMessage.kind(found))", hint: nil)
    }

    // MARK: Access

    func object(
        _ value: JSONValue?, _ path: Path, missing why: String, hint: String? = nil
    )
        throws(OctopodsError) -> JSONValue
    {
        guard let value else { throw missing(path, why, hint: hint) }
        guard case .object = value else { throw wrongType(path, "an object", value) }
        return value
    }

    func array(_ value: JSONValue?, _ path: Path, missing why: String) throws(OctopodsError) -> [JSONValue] {
        guard let value else { throw missing(path, why) }
        guard case .array(let items) = value else { throw wrongType(path, "an array", value) }
        return items
    }

    func string(_ value: JSONValue?, _ path: Path, missing why: String) throws(OctopodsError) -> String {
        guard let value else { throw missing(path, why) }
        guard case .string(let s) = value else { throw wrongType(path, "a string", value) }
        return s
    }

    /// Non-empty (not just whitespace, unless `allowEmpty`) and at most `max` characters.
    func text(
        _ s: String, _ path: Path, max: Int, quoted: Bool = false, allowEmpty: Bool = false
    )
        throws(OctopodsError)
    {
        if !allowEmpty {
            if s.isEmpty { throw fail("\(name(path)) is empty", hint: "Give it some text (at most \(max) characters).") }
            if s.allSatisfy(\.isWhitespace) {
                throw fail("\(name(path)) is only whitespace", hint: "Give it some visible text (at most \(max) characters).")
            }
        }
        let n = s.count
        if n > max {
            let over = n - max
            throw fail(
                "\(subject(path, quoted ? s : nil)) is \(NumberText.grouped(n)) characters; "
                    + "WhatsApp allows at most \(NumberText.grouped(max))",
                hint: "Shorten it by \(over) \(over == 1 ? "character" : "characters").")
        }
    }

    // MARK: Rules

    func validate(_ payload: JSONValue) throws(OctopodsError) {
        guard case .object = payload else {
            throw fail(
                "the payload is \(InteractiveMessage.kind(payload)); expected a JSON object",
                hint: "Give the waba_interactive_message object: {\"type\": …, \"body\": {\"text\": …}, \"action\": {…}}.")
        }
        let root = Path.root
        let typesText = InteractiveMessage.types.joined(separator: ", ")
        let type = try string(payload["type"], root.key("type"), missing: "expected one of: \(typesText)")
        guard InteractiveMessage.types.contains(type) else {
            throw fail(
                "\(subject(root.key("type"), type)) is not a known interactive type",
                hint: "Use one of: \(typesText).")
        }
        try header(payload["header"], type: type)
        try body(payload["body"])
        try footer(payload["footer"])
        let actionPath = root.key("action")
        let action = try object(
            payload["action"], actionPath, missing: "every interactive message needs an action object",
            hint: "Add \"action\": {…} with the \(type) message's buttons, sections or product.")
        switch type {
        case "button": try buttons(action, actionPath)
        case "list": try list(action, actionPath)
        case "product": try product(action, actionPath)
        case "product_list": try productList(action, actionPath)
        default: break  // flow, catalog_message: the action's shape is WhatsApp's to check
        }
    }

    private func header(_ value: JSONValue?, type: String) throws(OctopodsError) {
        let path = Path.root.key("header")
        guard let value else {
            if type == "product_list" {
                throw missing(
                    path, "a product_list message needs a text header",
                    hint: "Add \"header\": {\"type\": \"text\", \"text\": \"…\"} (at most 60 characters).")
            }
            return
        }
        if type == "product" || type == "catalog_message" {
            throw fail("\(name(path)) is not allowed in a \(type) message", hint: "Remove the header.")
        }
        _ = try object(value, path, missing: "")
        let kinds = ["text", "image", "video", "document"]
        let kindPath = path.key("type")
        let kind = try string(value["type"], kindPath, missing: "expected one of: \(kinds.joined(separator: ", "))")
        guard kinds.contains(kind) else {
            throw fail("\(subject(kindPath, kind)) is not a header type", hint: "Use one of: \(kinds.joined(separator: ", ")).")
        }
        if kind == "text" {
            let textPath = path.key("text")
            try text(
                try string(value["text"], textPath, missing: "a text header needs its text"), textPath,
                max: Self.headerTextMax)
            return
        }
        if type == "list" || type == "product_list" {
            throw fail(
                "\(subject(kindPath, kind)) is not allowed in a \(type) message; WhatsApp allows only a text header there",
                hint: "Use a text header, or send reply buttons (type button), which may have an image, video or document header.")
        }
        let mediaPath = path.key(kind)
        let media = try object(value[kind], mediaPath, missing: "the \(kind) header needs {\"link\": URL}")
        let linkPath = mediaPath.key("link")
        let link = try string(media["link"], linkPath, missing: "the \(kind) header needs a public http(s) URL")
        if let problem = Self.urlProblem(link) {
            let example = ["image": "photo.jpg", "video": "clip.mp4", "document": "menu.pdf"][kind] ?? "file"
            throw fail(
                "\(subject(linkPath, link.isEmpty ? nil : link)) \(problem)",
                hint: "Give a public http(s) URL of the \(kind), e.g. https://example.com/\(example).")
        }
    }

    /// Why a string is not an absolute http(s) URL with a host, or nil.
    static func urlProblem(_ link: String) -> String? {
        if link.isEmpty { return "is empty" }
        if link.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return "contains spaces or control characters; encode them (%20)"
        }
        guard let components = URLComponents(string: link), let scheme = components.scheme?.lowercased() else {
            return "is not an absolute URL"
        }
        guard scheme == "http" || scheme == "https" else { return "is not an http(s) URL" }
        guard let host = components.host, !host.isEmpty else { return "has no host" }
        return nil
    }

    private func body(_ value: JSONValue?) throws(OctopodsError) {
        let path = Path.root.key("body")
        let bodyValue = try object(
            value, path, missing: "every interactive message needs body.text",
            hint: "Add \"body\": {\"text\": \"…\"} (at most 1,024 characters).")
        let textPath = path.key("text")
        try text(
            try string(bodyValue["text"], textPath, missing: "every interactive message needs body text"), textPath,
            max: Self.bodyMax)
    }

    private func footer(_ value: JSONValue?) throws(OctopodsError) {
        guard let value else { return }
        let path = Path.root.key("footer")
        _ = try object(value, path, missing: "")
        let textPath = path.key("text")
        try text(try string(value["text"], textPath, missing: "a footer needs its text"), textPath, max: Self.footerMax)
    }

    private func buttons(_ action: JSONValue, _ actionPath: Path) throws(OctopodsError) {
        let path = actionPath.key("buttons")
        let items = try array(action["buttons"], path, missing: "a button message needs 1 to 3 reply buttons")
        if items.isEmpty {
            throw fail(
                "\(name(path)) is empty; a button message needs 1 to 3 reply buttons",
                hint: "Add {\"type\": \"reply\", \"reply\": {\"id\": \"…\", \"title\": \"…\"}}.")
        }
        if items.count > Self.buttonsMax {
            let over = items.count - Self.buttonsMax
            throw fail(
                "\(count(path, items.count, "buttons", builderFlag: Flag.button)); WhatsApp allows at most 3 reply buttons",
                hint: "Remove \(over) \(over == 1 ? "button" : "buttons"), or use a list (up to 10 rows) instead.")
        }
        var seen: [String: Path] = [:]
        for (i, item) in items.enumerated() {
            let itemPath = path.index(i)
            _ = try object(item, itemPath, missing: "")
            let typePath = itemPath.key("type")
            let buttonType = try string(item["type"], typePath, missing: "a reply button needs \"type\": \"reply\"")
            guard buttonType == "reply" else {
                throw fail(
                    "\(subject(typePath, buttonType)) is not supported; only \"reply\" buttons can be sent",
                    hint: "Set it to \"reply\".")
            }
            let replyPath = itemPath.key("reply")
            let reply = try object(item["reply"], replyPath, missing: "a reply button needs {\"id\": …, \"title\": …}")
            let idPath = replyPath.key("id")
            let id = try string(reply["id"], idPath, missing: "a reply button needs an id")
            try text(id, idPath, max: Self.buttonIDMax, quoted: true)
            if let earlier = seen[id] {
                throw fail(
                    "\(subject(idPath, id)) is also used by \(name(earlier)); button ids must be unique",
                    hint: "Give each button its own id.")
            }
            seen[id] = itemPath
            let titlePath = replyPath.key("title")
            let title = try string(reply["title"], titlePath, missing: "a reply button needs a title")
            try text(title, titlePath, max: Self.buttonTitleMax, quoted: true)
        }
    }

    private func list(_ action: JSONValue, _ actionPath: Path) throws(OctopodsError) {
        let buttonPath = actionPath.key("button")
        let label = try string(action["button"], buttonPath, missing: "a list needs the label of the button that opens it")
        try text(label, buttonPath, max: Self.listButtonMax)

        let path = actionPath.key("sections")
        let (sections, rowsBySection) = try self.sections(
            action, path, itemsKey: "rows", missing: "a list needs 1 to 10 sections of rows",
            empty: "a list needs at least 1 section with rows",
            emptyHint: "Add {\"title\": \"…\", \"rows\": [{\"id\": \"…\", \"title\": \"…\"}]}.",
            overHint: "Merge sections; a list holds at most 10 rows in all.", itemsNeeded: "each section needs at least 1 row")
        let total = rowsBySection.reduce(0) { $0 + $1.count }
        if total > Self.rowsMax {
            let over = total - Self.rowsMax
            let counted = if case .builder = origin { "\(Flag.row) is given \(total) times" } else { "\(path) hold \(total) rows in total" }
            throw fail(
                "\(counted); WhatsApp allows at most 10 rows in a list",
                hint: "Remove \(over) \(over == 1 ? "row" : "rows"), or split the choices over two messages.")
        }
        var seen: [String: Path] = [:]
        for (s, section) in sections.enumerated() {
            let sectionPath = path.index(s)
            let titlePath = sectionPath.key("title")
            if let titleValue = section["title"] {
                let title = try string(titleValue, titlePath, missing: "")
                try text(title, titlePath, max: Self.sectionTitleMax, quoted: true)
            } else if sections.count > 1 {
                throw missing(
                    titlePath, "every section needs a title when a list has more than one section",
                    hint: origin.isBuilder
                        ? "Give each section a title: \(Flag.section) TITLE before its \(Flag.row) flags."
                        : "Add \"title\": \"…\" (at most 24 characters) to each section.")
            }
            for (r, row) in rowsBySection[s].enumerated() {
                let rowPath = sectionPath.key("rows").index(r)
                _ = try object(row, rowPath, missing: "")
                let idPath = rowPath.key("id")
                let id = try string(row["id"], idPath, missing: "every row needs an id")
                try text(id, idPath, max: Self.rowIDMax, quoted: true)
                if let earlier = seen[id] {
                    throw fail(
                        "\(subject(idPath, id)) is also used by \(name(earlier)); row ids must be unique across all sections",
                        hint: "Give each row its own id.")
                }
                seen[id] = rowPath
                let rowTitlePath = rowPath.key("title")
                let title = try string(row["title"], rowTitlePath, missing: "every row needs a title")
                try text(title, rowTitlePath, max: Self.rowTitleMax, quoted: true)
                if let descriptionValue = row["description"] {
                    let descriptionPath = rowPath.key("description")
                    let description = try string(descriptionValue, descriptionPath, missing: "")
                    try text(description, descriptionPath, max: Self.rowDescriptionMax, quoted: true, allowEmpty: true)
                }
            }
        }
    }

    /// `action.sections` of a list or product_list: 1 to 10 objects, each checked by `check`
    /// first, then holding a non-empty array under `itemsKey`. Returns the sections and their items.
    private func sections(
        _ action: JSONValue, _ path: Path, itemsKey: String, missing: String, empty: String, emptyHint: String,
        overHint: String, itemsNeeded: String,
        check: (JSONValue, Path) throws(OctopodsError) -> Void = { _, _ in }
    ) throws(OctopodsError) -> ([JSONValue], [[JSONValue]]) {
        let sections = try array(action["sections"], path, missing: missing)
        if sections.isEmpty { throw fail("\(name(path)) is empty; \(empty)", hint: emptyHint) }
        if sections.count > Self.sectionsMax {
            throw fail(
                "\(count(path, sections.count, "sections", builderFlag: Flag.section)); WhatsApp allows at most 10 sections",
                hint: overHint)
        }
        var itemsBySection: [[JSONValue]] = []
        for (s, section) in sections.enumerated() {
            let sectionPath = path.index(s)
            _ = try object(section, sectionPath, missing: "")
            try check(section, sectionPath)
            let itemsPath = sectionPath.key(itemsKey)
            let items = try array(section[itemsKey], itemsPath, missing: itemsNeeded)
            if items.isEmpty { throw fail("\(name(itemsPath)) is empty; \(itemsNeeded)", hint: nil) }
            itemsBySection.append(items)
        }
        return (sections, itemsBySection)
    }

    private func product(_ action: JSONValue, _ actionPath: Path) throws(OctopodsError) {
        for key in ["catalog_id", "product_retailer_id"] {
            let path = actionPath.key(key)
            let value = try string(action[key], path, missing: "a product message needs catalog_id and product_retailer_id")
            if value.allSatisfy(\.isWhitespace) { throw fail("\(name(path)) is empty", hint: nil) }
        }
    }

    private func productList(_ action: JSONValue, _ actionPath: Path) throws(OctopodsError) {
        let catalogPath = actionPath.key("catalog_id")
        let catalog = try string(action["catalog_id"], catalogPath, missing: "a product_list message needs the catalog's id")
        if catalog.allSatisfy(\.isWhitespace) { throw fail("\(name(catalogPath)) is empty", hint: nil) }

        let path = actionPath.key("sections")
        let (_, itemsBySection) = try sections(
            action, path, itemsKey: "product_items", missing: "a product_list message needs 1 to 10 sections of products",
            empty: "a product_list message needs at least 1 section",
            emptyHint: "Add {\"title\": \"…\", \"product_items\": [{\"product_retailer_id\": \"…\"}]}.",
            overHint: "Merge sections.", itemsNeeded: "every section needs at least 1 product"
        ) { section, sectionPath throws(OctopodsError) in
            let titlePath = sectionPath.key("title")
            let title = try string(section["title"], titlePath, missing: "every product_list section needs a title")
            try text(title, titlePath, max: Self.sectionTitleMax, quoted: true)
        }
        let total = itemsBySection.reduce(0) { $0 + $1.count }
        if total > Self.productItemsMax {
            let over = total - Self.productItemsMax
            throw fail(
                "\(path) hold \(total) product_items in total; WhatsApp allows at most 30 products in a message",
                hint: "Remove \(over) \(over == 1 ? "product" : "products"), or split them over two messages.")
        }
        for (s, items) in itemsBySection.enumerated() {
            for (i, item) in items.enumerated() {
                let itemPath = path.index(s).key("product_items").index(i)
                _ = try object(item, itemPath, missing: "")
                let idPath = itemPath.key("product_retailer_id")
                let id = try string(item["product_retailer_id"], idPath, missing: "every product item needs its product_retailer_id")
                if id.allSatisfy(\.isWhitespace) { throw fail("\(name(idPath)) is empty", hint: nil) }
            }
        }
    }
}

extension InteractiveValidator.Origin {
    var isBuilder: Bool { if case .builder = self { true } else { false } }
}
