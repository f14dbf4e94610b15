#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// The three documented `message_variables` shapes (docs/api-notes.md, "`message_variables`: three shapes").
package enum VariablesFormat: String, Sendable, CaseIterable {
    /// `{"header":[…],"body":[…],"buttons":[…]}` (VBM: header, body, footer): the newest, the default.
    case sectioned
    /// `["Alex","1234"]`: body variables only (legacy).
    case array
    /// `{"1":"Alex","2":"1234"}`: body variables by number (the api.octopods.io guides).
    case keyed
}

/// Template variables as the user gave them, checked against what the template needs and
/// turned into the request's `message_variables`.
package struct TemplateVariables: Sendable, Equatable {
    package var body: [String] = []
    package var header: [String] = []
    package var footer: [String] = []
    package var buttons: [String] = []
    /// The raw `--variables` value, sent as given (after checks).
    package var raw: JSONValue?
    /// What --variables names (JSON, @file or - for stdin), read by `reading(_:)` when the command runs.
    package var rawSource: String?
    package var format: VariablesFormat = .sectioned

    package init() {}

    /// The variable options, declared once (`send template`, `vbm send`, `templates render`).
    package enum Key {
        package static let body = OptionKey.repeated(
            "var", "N=VALUE", help: "Body placeholder {{N}}, e.g. --var 1=Jane --var 2=A-1042.")
        package static let header = OptionKey.repeated("header-var", "VALUE", help: "Header placeholders, in order.")
        package static let footer = OptionKey.repeated("footer-var", "VALUE", help: "Footer placeholders, in order.")
        package static let buttons = OptionKey.repeated(
            "button-var", "VALUE", help: "Button placeholders (URL suffixes, copy codes), in order.")
        package static let variables = OptionKey.value(
            "variables", "JSON|@FILE|-",
            help: "The raw message_variables value (JSON text, @file, or - for stdin), instead of the flags above.")
        package static let format = OptionKey.value(
            "variables-format", "FORMAT", .choice(VariablesFormat.allCases.map(\.rawValue)),
            help: "Shape of message_variables: sectioned (default), array or keyed (both body-only).")
    }

    /// Viber templates have no buttons: no --button-var.
    package static func options(_ channel: Channel) -> [any DeclaredOption] {
        [Key.body, Key.header, Key.footer] + (channel == .whatsapp ? [Key.buttons] : []) + [Key.variables, Key.format]
    }

    /// Reads the flags. `--variables` is read from its file or stdin here, through the context.
    /// The variables of a command line, checked in the command's `init` (every usage error is
    /// raised before anything is read or touched); a --variables file is read by `reading(_:)`.
    package static func parse(_ arguments: ParsedArguments) throws(OctopodsError) -> TemplateVariables {
        var v = TemplateVariables()
        v.format = arguments[Key.format].flatMap(VariablesFormat.init) ?? .sectioned
        var numbered: [Int: String] = [:]
        for item in arguments[Key.body] {
            guard let eq = item.firstIndex(of: "="), let n = Int(item[..<eq]), n >= 1, n <= 100 else {
                throw .invalidInput(
                    "--var '\(String(item.prefix(40)))' is not N=VALUE with N a placeholder number (1, 2, …)",
                    hint: "For {{1}} write --var 1=VALUE.")
            }
            guard numbered[n] == nil else { throw .invalidInput("--var \(n) is given twice") }
            numbered[n] = String(item[item.index(after: eq)...])
        }
        if let highest = numbered.keys.max() {
            for n in 1...highest where numbered[n] == nil {
                throw .invalidInput("--var \(highest) is given but --var \(n) is not; placeholders are numbered from 1 without gaps")
            }
            v.body = (1...highest).compactMap { numbered[$0] }
        }
        v.header = arguments[Key.header]
        v.footer = arguments[Key.footer]
        // Viber templates have no buttons, so `vbm send` declares no --button-var.
        v.buttons = arguments.isDeclared(Key.buttons) ? arguments[Key.buttons] : []
        for (flag, values) in [("--var", v.body), ("--header-var", v.header), ("--footer-var", v.footer), ("--button-var", v.buttons)] {
            for (i, value) in values.enumerated() { try checkValue(value, "\(flag) #\(i + 1)") }
        }
        if let text = arguments[Key.variables] {
            if !(v.body.isEmpty && v.header.isEmpty && v.footer.isEmpty && v.buttons.isEmpty) {
                throw .usage(
                    UsageError(
                        "--variables cannot be combined with --var, --header-var, --footer-var or --button-var",
                        path: arguments.path))
            }
            v.rawSource = text
        }
        return v
    }

    /// These variables with the --variables value read (inline JSON, a file, or stdin).
    package func reading(_ ctx: Context) throws(OctopodsError) -> TemplateVariables {
        guard let source = rawSource, raw == nil else { return self }
        var read = self
        read.raw = try Self.readRaw(source, ctx: ctx)
        return read
    }

    static func checkValue(_ value: String, _ field: String) throws(OctopodsError) {
        if value.isEmpty { throw .invalidInput("\(field) is empty; WhatsApp rejects empty variables") }
        if hasLineBreak(value) {
            throw .invalidInput(
                "\(field) contains a line break; template variables must be one line",
                hint: "Replace line breaks with spaces.")
        }
    }

    /// Any Unicode line break (LF, VT, FF, CR, NEL, U+2028, U+2029), scanned as bytes: this
    /// runs for every value of every row of a bulk send.
    static func hasLineBreak(_ text: String) -> Bool {
        var previous: UInt8 = 0, beforePrevious: UInt8 = 0
        for byte in text.utf8 {
            switch byte {
            case 0x0A...0x0D: return true
            case 0x85 where previous == 0xC2: return true
            case 0xA8, 0xA9: if previous == 0x80 && beforePrevious == 0xE2 { return true }
            default: break
            }
            beforePrevious = previous
            previous = byte
        }
        return false
    }

    static func readRaw(_ text: String, ctx: Context) throws(OctopodsError) -> JSONValue {
        let data: Data
        let source: String
        if text == "-" {
            source = "--variables - (stdin)"
            data = try ctx.readInput("-", source: source)
        } else if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            source = "--variables @\(path)"
            data = try ctx.readInput(path, source: source)
        } else {
            source = "--variables"
            data = Data(text.utf8)
        }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch {
            throw .invalidInput("\(source) is not valid JSON (\(error.message) at byte \(error.offset))")
        }
        guard json.arrayValue != nil || json.objectValue != nil else {
            throw .invalidInput(
                "\(source) must be a JSON object or array",
                hint: #"For example {"header":[],"body":["Jane","A-1042"],"buttons":[]}."#)
        }
        return json
    }

    /// The raw value's sections, whichever documented shape it has.
    func rawSections(
        _ json: JSONValue, format: inout VariablesFormat
    ) throws(OctopodsError) -> (header: [JSONValue], body: [JSONValue], footer: [JSONValue], buttons: [JSONValue]) {
        if let items = json.arrayValue {
            format = .array
            return ([], items, [], [])
        }
        let pairs = json.objectValue ?? []
        if !pairs.isEmpty, pairs.allSatisfy({ Int($0.0) != nil }) {
            format = .keyed
            let byNumber = Dictionary(pairs.compactMap { p in Int(p.0).map { ($0, p.1) } }, uniquingKeysWith: { a, _ in a })
            let highest = byNumber.keys.max() ?? 0
            guard highest <= 100 else { throw .invalidInput("--variables: placeholder \(highest) is out of range") }
            return ([], (1...max(1, highest)).map { byNumber[$0] ?? .null }.prefix(highest).map { $0 }, [], [])
        }
        format = .sectioned
        let known = ["header", "body", "footer", "buttons"]
        if let unknown = pairs.first(where: { !known.contains($0.0) }) {
            throw .invalidInput("--variables has an unknown section '\(unknown.0)'; the sections are header, body, footer and buttons")
        }
        func section(_ name: String) throws(OctopodsError) -> [JSONValue] {
            guard let value = json[name] else { return [] }
            guard let items = value.arrayValue else { throw .invalidInput("--variables: \(name) must be an array of strings") }
            return items
        }
        return (try section("header"), try section("body"), try section("footer"), try section("buttons"))
    }

    /// Checks the variables against the template: every section gets exactly what it needs,
    /// a media header has its URL, URL buttons make valid URLs.
    /// Where the variables came from, for naming them in messages.
    package enum Source: Sendable { case flags, columns }

    /// `requirements`: the template's, when the caller has them already (a bulk run checks
    /// every row against the same template).
    package func check(
        against template: Template, channel: Channel, mediaURL: String?, source: Source = .flags,
        requirements: VariableRequirements? = nil
    ) throws(OctopodsError) {
        let needs = requirements ?? template.requirements
        var name: String { "template \(template.id) (\(TerminalText.sanitize(String(template.name.prefix(60)))))" }
        let mediaFlag = channel == .vbm ? "--header-image" : "--header-url"
        let mediaSource =
            source == .columns ? "the \(channel == .vbm ? "header_image" : "header_url") column (or \(mediaFlag))" : "\(mediaFlag) URL"
        if let media = needs.headerMedia, mediaURL == nil {
            let kind = media.lowercased()
            throw .invalidInput("\(name) has \(kind == "image" ? "an" : "a") \(kind) header: give its public URL with \(mediaSource)")
        }
        if needs.headerMedia == nil, mediaURL != nil {
            let given = source == .columns ? "the \(channel == .vbm ? "header_image" : "header_url") column" : mediaFlag
            throw .invalidInput("\(name) has no media header, so \(given) does not apply")
        }
        var sections: [(name: String, flag: String, given: Int, needed: Int)]
        if let raw {
            var shape = format
            let s = try rawSections(raw, format: &shape)
            for (section, items) in [("header", s.header), ("body", s.body), ("footer", s.footer), ("buttons", s.buttons)] {
                for (i, item) in items.enumerated() {
                    guard let text = item.stringValue else {
                        throw .invalidInput("--variables: \(section)[\(i)] must be a string (send \"42\", not 42)")
                    }
                    try Self.checkValue(text, "--variables: \(section)[\(i)]")
                }
            }
            if shape != .sectioned, needs.header + needs.footer + needs.buttons > 0 {
                throw .invalidInput(
                    "--variables is a \(shape.rawValue == "array" ? "plain array" : "keyed object"), which carries body variables only, but \(name) also has header, footer or button placeholders",
                    hint: #"Use the sectioned form: {"header":[…],"body":[…],"buttons":[…]}."#)
            }
            sections = [
                ("header", "--variables header", s.header.count, needs.header), ("body", "--variables body", s.body.count, needs.body),
                ("footer", "--variables footer", s.footer.count, needs.footer),
                ("buttons", "--variables buttons", s.buttons.count, needs.buttons),
            ]
        } else {
            if format != .sectioned, needs.header + needs.footer + needs.buttons > 0 {
                throw .invalidInput(
                    "--variables-format \(format.rawValue) carries body variables only, but \(name) also has header, footer or button placeholders",
                    hint: "Use --variables-format sectioned (the default).")
            }
            sections =
                source == .columns
                ? [
                    ("header", "columns header.1, …", header.count, needs.header), ("body", "columns 1, 2, …", body.count, needs.body),
                    ("footer", "columns footer.1, …", footer.count, needs.footer),
                    ("buttons", "columns button.1, …", buttons.count, needs.buttons),
                ]
                : [
                    ("header", "--header-var", header.count, needs.header), ("body", "--var", body.count, needs.body),
                    ("footer", "--footer-var", footer.count, needs.footer), ("buttons", "--button-var", buttons.count, needs.buttons),
                ]
        }
        // Every section that does not match, in one error: fixing one only to be told of the next wastes a try.
        var problems: [String] = []
        var hints: [String] = []
        for s in sections where s.given != s.needed {
            let need = s.needed == 0 ? "no \(s.name) variables" : "\(s.needed) \(s.name) variable\(s.needed == 1 ? "" : "s")"
            if s.given < s.needed, s.flag == "--var" {
                hints.append("Add " + ((s.given + 1)...s.needed).map { "--var \($0)=VALUE" }.joined(separator: " ") + ".")
            } else if s.given < s.needed, s.flag.hasPrefix("--"), !s.flag.hasPrefix("--variables") {
                hints.append("Give \(s.flag) once per placeholder, in order.")
            }
            problems.append("\(need); got \(s.given) (\(s.flag))")
        }
        if !problems.isEmpty {
            if hints.count < problems.count {
                hints.append("See what it needs with: octopods templates get \(template.id)\(channel == .vbm ? " --channel vbm" : "")")
            }
            throw .invalidInput("\(name) needs " + problems.joined(separator: ", and "), hint: hints.joined(separator: " "))
        }
        if raw == nil, needs.buttons > 0 { try checkButtonURLs(template) }
    }

    /// URL buttons with a placeholder must still make a valid URL once filled in.
    func checkButtonURLs(_ template: Template) throws(OctopodsError) {
        var next = 0
        for component in template.components where component.type == "BUTTONS" {
            for button in component.buttons {
                if button.type == "COPY_CODE" { next += 1; continue }
                guard let url = button.url else { continue }
                let count = Template.placeholderCount(url)
                guard count > 0 else { continue }
                let values = Array(buttons.dropFirst(next).prefix(count))
                next += count
                let filled = Self.fill(url, values)
                if !URLCheck.isWebURL(filled) {
                    throw .invalidInput(
                        "--button-var makes the button '\(TerminalText.sanitize(button.text))' URL '\(String(filled.prefix(80)))', which is not a valid URL",
                        hint: "Button variables are URL suffixes: no spaces; percent-encode other characters.")
                }
            }
        }
    }

    /// The request's `message_variables`, or nil when there is nothing to send.
    /// `needs` is nil with --no-verify: then every section given is sent.
    package func messageVariables(channel: Channel, needs: VariableRequirements?) -> JSONValue? {
        if let raw { return raw }
        let strings = { (values: [String]) in JSONValue.array(values.map(JSONValue.string)) }
        switch format {
        case .array:
            return body.isEmpty ? nil : strings(body)
        case .keyed:
            return body.isEmpty ? nil : .object(body.enumerated().map { ("\($0.offset + 1)", .string($0.element)) })
        case .sectioned:
            let total = body.count + header.count + footer.count + buttons.count
            if total == 0 && (needs?.total ?? 0) == 0 { return nil }
            var pairs: [(String, JSONValue)] = [("header", strings(header)), ("body", strings(body))]
            if channel == .vbm || !footer.isEmpty || (needs?.footer ?? 0) > 0 { pairs.append(("footer", strings(footer))) }
            if channel != .vbm { pairs.append(("buttons", strings(buttons))) }
            return .object(pairs)
        }
    }

    /// `{{n}}` replaced by the n-th value; placeholders without a value stay as they are.
    package static func fill(_ text: String, _ values: [String]) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            let after = rest[open.upperBound...]
            guard let close = after.firstRange(of: "}}") else { out += rest[open.lowerBound...]; return out }
            let inner = after[..<close.lowerBound].trimmingSpaces()
            if let n = Int(inner), n >= 1, n <= values.count {
                out += values[n - 1]
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = after[close.upperBound...]
        }
        return out + rest
    }

    /// The template as the recipient will see it.
    package func preview(_ template: Template, mediaURL: String?) -> String {
        var (headerValues, bodyValues, footerValues, buttonValues) = (header, body, footer, buttons)
        if let raw {
            var shape = format
            if let s = try? rawSections(raw, format: &shape) {
                let texts = { (items: [JSONValue]) in items.map { $0.scalarText ?? "" } }
                (headerValues, bodyValues, footerValues, buttonValues) = (texts(s.header), texts(s.body), texts(s.footer), texts(s.buttons))
            }
        }
        var lines: [String] = []
        let components =
            template.components.isEmpty
            ? [TemplateComponent(type: "BODY", format: nil, text: template.body, buttons: [])] : template.components
        var nextButton = 0
        for component in components {
            switch component.type {
            case "HEADER":
                if let format = component.format, format != "TEXT" {
                    lines.append("[\(format.lowercased()): \(mediaURL ?? "(no URL)")]")
                } else if let text = component.text {
                    lines.append(Self.fill(text, headerValues))
                }
            case "BODY": lines.append(Self.fill(component.text ?? "", bodyValues))
            case "FOOTER": lines.append(Self.fill(component.text ?? "", footerValues))
            case "BUTTONS":
                for button in component.buttons {
                    var line = "[\(button.text)]"
                    if button.type == "COPY_CODE" {
                        line += " copy code: " + (buttonValues.dropFirst(nextButton).first ?? "(none)")
                        nextButton += 1
                    } else if let url = button.url {
                        let count = Template.placeholderCount(url)
                        line += " → " + Self.fill(url, Array(buttonValues.dropFirst(nextButton).prefix(count)))
                        nextButton += count
                    }
                    lines.append(line)
                }
            default: break
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension TemplateVariables {
    /// These variables (from the command line) with a bulk row's columns on top: `1`, `2`, …
    /// for the body, `header.N`, `footer.N`, `button.N`; an empty cell keeps the default.
    package func merging(_ row: InputRow) throws(OctopodsError) -> TemplateVariables {
        var merged = self
        for (column, value) in row.fields where !value.isEmpty {
            guard let (section, n) = BulkColumns.placeholder(column) else { continue }
            try Self.checkValue(value, "column '\(column)'")
            switch section {
            case "header": Self.place(value, at: n, in: &merged.header)
            case "footer": Self.place(value, at: n, in: &merged.footer)
            case "button": Self.place(value, at: n, in: &merged.buttons)
            default: Self.place(value, at: n, in: &merged.body)
            }
        }
        for (section, values) in [("body", merged.body), ("header", merged.header), ("footer", merged.footer), ("button", merged.buttons)] {
            guard let gap = values.firstIndex(of: "") else { continue }
            let name = { (k: Int) in section == "body" ? "\(k)" : "\(section).\(k)" }
            throw .invalidInput(
                "column '\(name(values.count))' has a value but '\(name(gap + 1))' has none; placeholders are numbered from 1 without gaps")
        }
        return merged
    }

    /// Puts placeholder `n`'s value in place, growing the list with empty gaps as needed
    /// (values are never empty, so an empty one left over is a gap).
    static func place(_ value: String, at n: Int, in values: inout [String]) {
        if values.count < n { values.append(contentsOf: repeatElement("", count: n - values.count)) }
        values[n - 1] = value
    }

}
