import CLISupport
import Foundation
import Testing
@testable import OctopodsKit

/// The message and hint of the `invalidInput` a call throws, or nil when it throws nothing.
private func interactiveInputError(_ body: () throws -> Void) -> (message: String, hint: String?)? {
    do {
        try body()
        return nil
    } catch {
        guard let error = error as? OctopodsError, case .invalidInput(let message, let hint) = error else {
            Issue.record("expected invalidInput, got \(error)")
            return nil
        }
        return (message, hint)
    }
}

private func imValidationMessage(_ json: String) -> String? {
    interactiveInputError {
        let payload = try JSONValue.parse(json)
        try InteractiveMessage.validate(payload)
    }?.message
}

private func imBuildMessage(_ builder: InteractiveBuilder) -> String? {
    interactiveInputError { _ = try builder.build() }?.message
}

private func imRepeat(_ s: String, _ n: Int) -> String { String(repeating: s, count: n) }

private let imOKButtons = #"{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}}]}"#
private let imOKList = #"{"button":"Pick","sections":[{"rows":[{"id":"r1","title":"One"}]}]}"#

/// A payload with the given parts (each already JSON text).
private func imPayload(
    _ type: String = "button", header: String? = nil, body: String? = #"{"text":"Hi"}"#,
    footer: String? = nil, action: String? = imOKButtons
) -> String {
    var parts = [#""type":"\#(type)""#]
    if let header { parts.append(#""header":\#(header)"#) }
    if let body { parts.append(#""body":\#(body)"#) }
    if let footer { parts.append(#""footer":\#(footer)"#) }
    if let action { parts.append(#""action":\#(action)"#) }
    return "{" + parts.joined(separator: ",") + "}"
}

private func imButtons(_ buttons: [(String, String)]) -> String {
    let items = buttons.map { #"{"type":"reply","reply":{"id":"\#($0.0)","title":"\#($0.1)"}}"# }
    return #"{"buttons":[\#(items.joined(separator: ","))]}"#
}

private func imRows(_ n: Int, prefix: String = "r") -> String {
    (1...n).map { #"{"id":"\#(prefix)\#($0)","title":"Row \#($0)"}"# }.joined(separator: ",")
}

private func imItems(_ n: Int) -> String {
    (1...n).map { #"{"product_retailer_id":"p\#($0)"}"# }.joined(separator: ",")
}

@Suite struct InteractiveMessageTests {
    // MARK: Valid payloads

    static let valid: [String] = [
        imPayload(),
        imPayload(
            header: #"{"type":"text","text":"Booking"}"#, footer: #"{"text":"Thanks"}"#,
            action: imButtons([("a", "A"), ("b", "B"), ("c", "C")])),
        imPayload(header: #"{"type":"image","image":{"link":"https://example.com/a.jpg"}}"#),
        imPayload(header: #"{"type":"video","video":{"link":"http://example.com/a.mp4"}}"#),
        imPayload(header: #"{"type":"document","document":{"link":"https://cdn.example.com/menu.pdf?x=1","filename":"menu.pdf"}}"#),
        imPayload("list", action: imOKList),
        imPayload(
            "list", header: #"{"type":"text","text":"Menu"}"#,
            action:
                #"{"button":"Pick","sections":[{"title":"A","rows":[\#(imRows(5))]},{"title":"B","rows":[\#(imRows(5, prefix: "s"))]}]}"#),
        imPayload("list", action: #"{"button":"Pick","sections":[{"title":"A","rows":[{"id":"x","title":"X","description":""}]}]}"#),
        imPayload("product", action: #"{"catalog_id":"c1","product_retailer_id":"p1"}"#),
        imPayload(
            "product_list", header: #"{"type":"text","text":"Picks"}"#,
            action:
                #"{"catalog_id":"c1","sections":[{"title":"A","product_items":[\#(imItems(20))]},{"title":"B","product_items":[\#(imItems(10))]}]}"#
        ),
        imPayload("flow", action: #"{"name":"flow","parameters":{"flow_id":"1"}}"#),
        imPayload("catalog_message", action: #"{"name":"catalog_message"}"#),
        imPayload(body: #"{"text":"\#(imRepeat("😀", 1_024))"}"#),
        imPayload(
            header: #"{"type":"text","text":"\#(imRepeat("é", 60))"}"#, footer: #"{"text":"\#(imRepeat("f", 60))"}"#,
            action: imButtons([(imRepeat("i", 256), imRepeat("t", 20))])),
    ]

    @Test(arguments: valid)
    func acceptsValidPayloads(_ json: String) {
        #expect(imValidationMessage(json) == nil)
    }

    // MARK: One rule each, from a file: the JSON path and the limit

    static let invalid: [(String, String)] = [
        // The payload and its type
        ("[]", "the payload is an array; expected a JSON object"),
        (
            #"{"body":{"text":"Hi"},"action":{}}"#,
            "type is missing; expected one of: button, list, product, product_list, flow, catalog_message"
        ),
        (imPayload().replacingOccurrences(of: #""type":"button""#, with: #""type":3"#), "type must be a string, not a number"),
        (imPayload("dropdown"), "type 'dropdown' is not a known interactive type"),
        (imPayload(#"a\u001b[31mred"#), "type 'a\\x1B[31mred' is not a known interactive type"),
        // Body
        (imPayload(body: nil), "body is missing; every interactive message needs body.text"),
        (imPayload(body: #""Hi""#), "body must be an object, not a string"),
        (imPayload(body: "{}"), "body.text is missing; every interactive message needs body text"),
        (imPayload(body: #"{"text":""}"#), "body.text is empty"),
        (imPayload(body: #"{"text":" \n "}"#), "body.text is only whitespace"),
        (imPayload(body: #"{"text":"\#(imRepeat("b", 1_025))"}"#), "body.text is 1,025 characters; WhatsApp allows at most 1,024"),
        // Action
        (imPayload(action: nil), "action is missing; every interactive message needs an action object"),
        (imPayload(action: "[]"), "action must be an object, not an array"),
        // Header
        (imPayload(header: "null"), "header must be an object, not null"),
        (imPayload(header: "{}"), "header.type is missing; expected one of: text, image, video, document"),
        (imPayload(header: #"{"type":"audio"}"#), "header.type 'audio' is not a header type"),
        (imPayload(header: #"{"type":"text"}"#), "header.text is missing; a text header needs its text"),
        (imPayload(header: #"{"type":"text","text":""}"#), "header.text is empty"),
        (imPayload(header: #"{"type":"text","text":"\#(imRepeat("h", 61))"}"#), "header.text is 61 characters; WhatsApp allows at most 60"),
        (imPayload(header: #"{"type":"image"}"#), "header.image is missing; the image header needs {\"link\": URL}"),
        (
            imPayload(header: #"{"type":"image","image":{"id":"123"}}"#),
            "header.image.link is missing; the image header needs a public http(s) URL"
        ),
        (
            imPayload(header: #"{"type":"video","video":{"link":"ftp://example.com/a.mp4"}}"#),
            "header.video.link 'ftp://example.com/a.mp4' is not an http(s) URL"
        ),
        (
            imPayload(header: #"{"type":"document","document":{"link":"menu.pdf"}}"#),
            "header.document.link 'menu.pdf' is not an absolute URL"
        ),
        (imPayload(header: #"{"type":"image","image":{"link":"https://"}}"#), "header.image.link 'https://' has no host"),
        (
            imPayload(header: #"{"type":"image","image":{"link":"https://example.com/a b.jpg"}}"#),
            "header.image.link 'https://example.com/a b.jpg' contains spaces or control characters; encode them (%20)"
        ),
        (imPayload(header: #"{"type":"image","image":{"link":""}}"#), "header.image.link is empty"),
        (
            imPayload("list", header: #"{"type":"image","image":{"link":"https://example.com/a.jpg"}}"#, action: imOKList),
            "header.type 'image' is not allowed in a list message; WhatsApp allows only a text header there"
        ),
        (
            imPayload("product", header: #"{"type":"text","text":"X"}"#, action: #"{"catalog_id":"c","product_retailer_id":"p"}"#),
            "header is not allowed in a product message"
        ),
        (
            imPayload("catalog_message", header: #"{"type":"text","text":"X"}"#, action: "{}"),
            "header is not allowed in a catalog_message message"
        ),
        (
            imPayload("product_list", action: #"{"catalog_id":"c","sections":[{"title":"A","product_items":[\#(imItems(1))]}]}"#),
            "header is missing; a product_list message needs a text header"
        ),
        // Footer
        (imPayload(footer: "{}"), "footer.text is missing; a footer needs its text"),
        (imPayload(footer: #"{"text":""}"#), "footer.text is empty"),
        (imPayload(footer: #"{"text":"\#(imRepeat("f", 61))"}"#), "footer.text is 61 characters; WhatsApp allows at most 60"),
        // Reply buttons
        (imPayload(action: "{}"), "action.buttons is missing; a button message needs 1 to 3 reply buttons"),
        (imPayload(action: #"{"buttons":{}}"#), "action.buttons must be an array, not an object"),
        (imPayload(action: #"{"buttons":[]}"#), "action.buttons is empty; a button message needs 1 to 3 reply buttons"),
        (
            imPayload(action: imButtons([("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")])),
            "action.buttons has 4 buttons; WhatsApp allows at most 3 reply buttons"
        ),
        (imPayload(action: #"{"buttons":["a"]}"#), "action.buttons[0] must be an object, not a string"),
        (
            imPayload(action: #"{"buttons":[{"reply":{"id":"a","title":"A"}}]}"#),
            "action.buttons[0].type is missing; a reply button needs \"type\": \"reply\""
        ),
        (
            imPayload(action: #"{"buttons":[{"type":"url","url":"https://x.test"}]}"#),
            "action.buttons[0].type 'url' is not supported; only \"reply\" buttons can be sent"
        ),
        (
            imPayload(action: #"{"buttons":[{"type":"reply"}]}"#),
            "action.buttons[0].reply is missing; a reply button needs {\"id\": …, \"title\": …}"
        ),
        (
            imPayload(action: #"{"buttons":[{"type":"reply","reply":{"title":"A"}}]}"#),
            "action.buttons[0].reply.id is missing; a reply button needs an id"
        ),
        (
            imPayload(action: #"{"buttons":[{"type":"reply","reply":{"id":1,"title":"A"}}]}"#),
            "action.buttons[0].reply.id must be a string, not a number"
        ),
        (imPayload(action: imButtons([("", "A")])), "action.buttons[0].reply.id is empty"),
        (
            imPayload(action: imButtons([(imRepeat("i", 257), "A")])),
            "action.buttons[0].reply.id '\(imRepeat("i", 31))…' is 257 characters; WhatsApp allows at most 256"
        ),
        (
            imPayload(action: imButtons([("a", "A"), ("a", "B")])),
            "action.buttons[1].reply.id 'a' is also used by action.buttons[0]; button ids must be unique"
        ),
        (
            imPayload(action: #"{"buttons":[{"type":"reply","reply":{"id":"a"}}]}"#),
            "action.buttons[0].reply.title is missing; a reply button needs a title"
        ),
        (imPayload(action: imButtons([("a", "")])), "action.buttons[0].reply.title is empty"),
        (
            imPayload(action: imButtons([("a", "A"), ("b", "Yes please, book it now")])),
            "action.buttons[1].reply.title 'Yes please, book it now' is 23 characters; WhatsApp allows at most 20"
        ),
        // Lists
        (
            imPayload("list", action: #"{"sections":[{"rows":[\#(imRows(1))]}]}"#),
            "action.button is missing; a list needs the label of the button that opens it"
        ),
        (imPayload("list", action: #"{"button":"","sections":[{"rows":[\#(imRows(1))]}]}"#), "action.button is empty"),
        (
            imPayload("list", action: #"{"button":"\#(imRepeat("l", 21))","sections":[{"rows":[\#(imRows(1))]}]}"#),
            "action.button is 21 characters; WhatsApp allows at most 20"
        ),
        (imPayload("list", action: #"{"button":"Pick"}"#), "action.sections is missing; a list needs 1 to 10 sections of rows"),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[]}"#),
            "action.sections is empty; a list needs at least 1 section with rows"
        ),
        (
            imPayload(
                "list",
                action:
                    #"{"button":"Pick","sections":[\#((1...11).map { #"{"title":"S\#($0)","rows":[{"id":"r\#($0)","title":"R"}]}"# }.joined(separator: ","))]}"#
            ),
            "action.sections has 11 sections; WhatsApp allows at most 10 sections"
        ),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[{"title":"A"}]}"#),
            "action.sections[0].rows is missing; each section needs at least 1 row"
        ),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[{"title":"A","rows":[]}]}"#),
            "action.sections[0].rows is empty; each section needs at least 1 row"
        ),
        (
            imPayload(
                "list",
                action:
                    #"{"button":"Pick","sections":[{"title":"A","rows":[\#(imRows(6))]},{"title":"B","rows":[\#(imRows(5, prefix: "s"))]}]}"#
            ),
            "action.sections hold 11 rows in total; WhatsApp allows at most 10 rows in a list"
        ),
        (
            imPayload(
                "list",
                action: #"{"button":"Pick","sections":[{"title":"A","rows":[\#(imRows(1))]},{"rows":[\#(imRows(1, prefix: "s"))]}]}"#),
            "action.sections[1].title is missing; every section needs a title when a list has more than one section"
        ),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[{"title":"\#(imRepeat("s", 25))","rows":[\#(imRows(1))]}]}"#),
            "action.sections[0].title '\(imRepeat("s", 25))' is 25 characters; WhatsApp allows at most 24"
        ),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[{"rows":[{"title":"X"}]}]}"#),
            "action.sections[0].rows[0].id is missing; every row needs an id"
        ),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[{"rows":[{"id":"","title":"X"}]}]}"#),
            "action.sections[0].rows[0].id is empty"
        ),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[{"rows":[{"id":"\#(imRepeat("i", 201))","title":"X"}]}]}"#),
            "action.sections[0].rows[0].id '\(imRepeat("i", 31))…' is 201 characters; WhatsApp allows at most 200"
        ),
        (
            imPayload(
                "list",
                action:
                    #"{"button":"Pick","sections":[{"title":"A","rows":[\#(imRows(2))]},{"title":"B","rows":[{"id":"r2","title":"X"}]}]}"#),
            "action.sections[1].rows[0].id 'r2' is also used by action.sections[0].rows[1]; row ids must be unique across all sections"
        ),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[{"rows":[{"id":"x"}]}]}"#),
            "action.sections[0].rows[0].title is missing; every row needs a title"
        ),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[{"rows":[{"id":"x","title":" "}]}]}"#),
            "action.sections[0].rows[0].title is only whitespace"
        ),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[{"rows":[{"id":"x","title":"\#(imRepeat("t", 25))"}]}]}"#),
            "action.sections[0].rows[0].title '\(imRepeat("t", 25))' is 25 characters; WhatsApp allows at most 24"
        ),
        (
            imPayload("list", action: #"{"button":"Pick","sections":[{"rows":[{"id":"x","title":"X","description":7}]}]}"#),
            "action.sections[0].rows[0].description must be a string, not a number"
        ),
        (
            imPayload(
                "list", action: #"{"button":"Pick","sections":[{"rows":[{"id":"x","title":"X","description":"\#(imRepeat("d", 73))"}]}]}"#),
            "action.sections[0].rows[0].description '\(imRepeat("d", 31))…' is 73 characters; WhatsApp allows at most 72"
        ),
        // Single product
        (
            imPayload("product", action: #"{"product_retailer_id":"p"}"#),
            "action.catalog_id is missing; a product message needs catalog_id and product_retailer_id"
        ),
        (
            imPayload("product", action: #"{"catalog_id":"c","product_retailer_id":5}"#),
            "action.product_retailer_id must be a string, not a number"
        ),
        (imPayload("product", action: #"{"catalog_id":"c","product_retailer_id":""}"#), "action.product_retailer_id is empty"),
        // Product list
        (
            imPayload("product_list", header: #"{"type":"text","text":"P"}"#, action: #"{"sections":[]}"#),
            "action.catalog_id is missing; a product_list message needs the catalog's id"
        ),
        (
            imPayload("product_list", header: #"{"type":"image","image":{"link":"https://example.com/a.jpg"}}"#, action: "{}"),
            "header.type 'image' is not allowed in a product_list message; WhatsApp allows only a text header there"
        ),
        (
            imPayload("product_list", header: #"{"type":"text","text":"P"}"#, action: #"{"catalog_id":"c"}"#),
            "action.sections is missing; a product_list message needs 1 to 10 sections of products"
        ),
        (
            imPayload("product_list", header: #"{"type":"text","text":"P"}"#, action: #"{"catalog_id":"c","sections":[]}"#),
            "action.sections is empty; a product_list message needs at least 1 section"
        ),
        (
            imPayload(
                "product_list", header: #"{"type":"text","text":"P"}"#,
                action: #"{"catalog_id":"c","sections":[{"product_items":[\#(imItems(1))]}]}"#),
            "action.sections[0].title is missing; every product_list section needs a title"
        ),
        (
            imPayload("product_list", header: #"{"type":"text","text":"P"}"#, action: #"{"catalog_id":"c","sections":[{"title":"A"}]}"#),
            "action.sections[0].product_items is missing; every section needs at least 1 product"
        ),
        (
            imPayload(
                "product_list", header: #"{"type":"text","text":"P"}"#,
                action: #"{"catalog_id":"c","sections":[{"title":"A","product_items":[]}]}"#),
            "action.sections[0].product_items is empty; every section needs at least 1 product"
        ),
        (
            imPayload(
                "product_list", header: #"{"type":"text","text":"P"}"#,
                action:
                    #"{"catalog_id":"c","sections":[{"title":"A","product_items":[\#(imItems(30))]},{"title":"B","product_items":[\#(imItems(1))]}]}"#
            ),
            "action.sections hold 31 product_items in total; WhatsApp allows at most 30 products in a message"
        ),
        (
            imPayload(
                "product_list", header: #"{"type":"text","text":"P"}"#,
                action: #"{"catalog_id":"c","sections":[{"title":"A","product_items":[{"id":"p"}]}]}"#),
            "action.sections[0].product_items[0].product_retailer_id is missing; every product item needs its product_retailer_id"
        ),
        // flow / catalog_message: only the common rules
        (imPayload("flow", action: nil), "action is missing; every interactive message needs an action object"),
        (imPayload("catalog_message", body: #"{"text":""}"#, action: "{}"), "body.text is empty"),
    ]

    @Test(arguments: invalid)
    func rejectsNamingThePathAndTheLimit(_ json: String, _ message: String) {
        #expect(imValidationMessage(json) == message)
    }

    @Test func hintsSayHowToFixIt() {
        let tooMany = interactiveInputError {
            try InteractiveMessage.validate(
                try JSONValue.parse(imPayload(action: imButtons([("a", "A"), ("b", "B"), ("c", "C"), ("d", "D"), ("e", "E")]))))
        }
        #expect(tooMany?.hint == "Remove 2 buttons, or use a list (up to 10 rows) instead.")
        let long = interactiveInputError {
            try InteractiveMessage.validate(try JSONValue.parse(imPayload(footer: #"{"text":"\#(imRepeat("f", 61))"}"#)))
        }
        #expect(long?.hint == "Shorten it by 1 character.")
        let type = interactiveInputError { try InteractiveMessage.validate(try JSONValue.parse(imPayload("dropdown"))) }
        #expect(type?.hint == "Use one of: button, list, product, product_list, flow, catalog_message.")
    }

    @Test func charactersAreCountedAsCharacters() {
        // 20 flags: 40 scalars, 80 UTF-16 units, 20 characters.
        #expect(imValidationMessage(imPayload(action: imButtons([("a", imRepeat("🇮🇪", 20))]))) == nil)
        #expect(
            imValidationMessage(imPayload(action: imButtons([("a", imRepeat("🇮🇪", 21))])))?
                .hasSuffix("is 21 characters; WhatsApp allows at most 20") == true)
    }

    @Test func messagesNeverCarryControlCharacters() {
        let hostile = #"\u001b]0;pwned\u0007\u202e"#  // JSON escapes
        let messages = [
            imValidationMessage(imPayload(action: imButtons([("a", "A"), ("b", hostile + imRepeat("x", 30))]))),
            imValidationMessage(imPayload(action: imButtons([(hostile, "A"), (hostile, "B")]))),
            imValidationMessage(imPayload(header: #"{"type":"image","image":{"link":"https://example.com/\#(hostile)"}}"#)),
        ]
        for message in messages {
            #expect(message != nil)
            #expect(message?.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E } == false)
        }
    }

    // MARK: --file parsing

    @Test func parsesAnObjectOrAStringHoldingOne() throws {
        let object = #"{"type":"button","body":{"text":"Hi"},"action":{}}"#
        let direct = try InteractiveMessage.parse(Data(object.utf8), source: "--file m.json")
        #expect(direct.serialized() == object)
        var quoted: [UInt8] = []
        JSONValue.quote(object, into: &quoted)
        let wrapped = try InteractiveMessage.parse(Data(quoted), source: "--file m.json")
        #expect(wrapped.serialized() == object)
        #expect(wrapped == direct)
        // With a byte-order mark and surrounding whitespace.
        let bom = try InteractiveMessage.parse(Data([0xEF, 0xBB, 0xBF]) + Data(("\n " + object + "\n").utf8), source: "-")
        #expect(bom == direct)
    }

    @Test(arguments: [
        ("", "--file m.json is empty; expected a JSON object"),
        (" \n", "--file m.json is empty; expected a JSON object"),
        ("[1]", "--file m.json holds an array; expected a JSON object"),
        ("42", "--file m.json holds a number; expected a JSON object"),
        ("null", "--file m.json holds null; expected a JSON object"),
        (#""[1]""#, "--file m.json holds a JSON string with an array inside; expected an object"),
        (
            #""{oops""#,
            "--file m.json holds a JSON string, but the string is not valid JSON: expected a string key (line 1, column 2 of the string)"
        ),
        (#"{"type": }"#, "--file m.json is not valid JSON: unexpected character (line 1, column 10)"),
        ("{\n  \"type\": ,\n}", "--file m.json is not valid JSON: unexpected character (line 2, column 11)"),
        (#"{"type":"button"} x"#, "--file m.json is not valid JSON: unexpected data after the JSON value (line 1, column 19)"),
        (#"{"a":"\#u{1B}"}"#, "--file m.json is not valid JSON: control character in string (line 1, column 7)"),
    ])
    func parseErrors(_ text: String, _ message: String) {
        let error = interactiveInputError { _ = try InteractiveMessage.parse(Data(text.utf8), source: "--file m.json") }
        #expect(error?.message == message)
    }

    @Test func parseSanitisesTheSource() {
        let error = interactiveInputError { _ = try InteractiveMessage.parse(Data("[]".utf8), source: "--file a\u{1B}[2Jb") }
        #expect(error?.message == "--file a\\x1B[2Jb holds an array; expected a JSON object")
    }

    // MARK: Builder output

    @Test func buildsAButtonMessage() throws {
        let builder = InteractiveBuilder(
            body: "Table for 2 at 8pm?", footer: "Reply to confirm", header: .text("Booking"),
            buttons: [.init(id: "yes", title: "Yes"), .init(id: "no", title: "No, thanks")])
        #expect(
            try builder.build().serialized() == #"""
                {"type":"button","header":{"type":"text","text":"Booking"},"body":{"text":"Table for 2 at 8pm?"},\#
                "footer":{"text":"Reply to confirm"},"action":{"buttons":[{"type":"reply","reply":{"id":"yes","title":"Yes"}},\#
                {"type":"reply","reply":{"id":"no","title":"No, thanks"}}]}}
                """#)
        let minimal = InteractiveBuilder(body: "Hi", buttons: [.init(id: "a", title: "A")])
        #expect(
            try minimal.build().serialized()
                == #"{"type":"button","body":{"text":"Hi"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}}]}}"#)
    }

    @Test(arguments: [
        (InteractiveBuilder.Header.image("https://example.com/a.jpg"), #"{"type":"image","image":{"link":"https://example.com/a.jpg"}}"#),
        (.video("https://example.com/a.mp4"), #"{"type":"video","video":{"link":"https://example.com/a.mp4"}}"#),
        (.document("https://example.com/a.pdf"), #"{"type":"document","document":{"link":"https://example.com/a.pdf"}}"#),
    ])
    func buildsMediaHeaders(_ header: InteractiveBuilder.Header, _ json: String) throws {
        let built = try InteractiveBuilder(body: "Hi", header: header, buttons: [.init(id: "a", title: "A")]).build()
        #expect(built["header"]?.serialized() == json)
    }

    @Test func buildsATwoSectionList() throws {
        let builder = InteractiveBuilder(
            body: "Pick a slot", footer: "Times are local", header: .text("Appointments"), listButton: "See slots",
            sections: [
                .init(
                    title: "Monday",
                    rows: [
                        .init(id: "mon-9", title: "09:00", description: "With Dr. Byrne"),
                        .init(id: "mon-14", title: "14:00"),
                    ]),
                .init(title: "Tuesday", rows: [.init(id: "tue-10", title: "10:00", description: "With Dr. Walsh")]),
            ])
        #expect(
            try builder.build().serialized() == #"""
                {"type":"list","header":{"type":"text","text":"Appointments"},"body":{"text":"Pick a slot"},\#
                "footer":{"text":"Times are local"},"action":{"button":"See slots","sections":[\#
                {"title":"Monday","rows":[{"id":"mon-9","title":"09:00","description":"With Dr. Byrne"},{"id":"mon-14","title":"14:00"}]},\#
                {"title":"Tuesday","rows":[{"id":"tue-10","title":"10:00","description":"With Dr. Walsh"}]}]}}
                """#)
        // One untitled section is fine.
        let single = InteractiveBuilder(body: "Pick", listButton: "Go", sections: [.init(rows: [.init(id: "a", title: "A")])])
        #expect(
            try single.build().serialized()
                == #"{"type":"list","body":{"text":"Pick"},"action":{"button":"Go","sections":[{"rows":[{"id":"a","title":"A"}]}]}}"#)
    }

    // MARK: Builder errors name the flags

    static let someRows: [InteractiveBuilder.Row] = [.init(id: "a", title: "A")]

    static let builderErrors: [(InteractiveBuilder, String)] = [
        (
            InteractiveBuilder(body: "Hi", buttons: [.init(id: "a", title: "A")], sections: [.init(rows: someRows)]),
            "--button cannot be combined with --section/--row: a message has either reply buttons or a list"
        ),
        (InteractiveBuilder(body: "Hi"), "no --button or --row given: an interactive message needs reply buttons or a list"),
        (InteractiveBuilder(buttons: [.init(id: "a", title: "A")]), "--body is required: every interactive message needs body text"),
        (
            InteractiveBuilder(body: "Hi", buttons: [.init(id: "a", title: "A")], listButton: "Pick"),
            "--list-button only applies to a list (--section/--row); reply buttons have no menu button"
        ),
        (
            InteractiveBuilder(body: "Hi", sections: [.init(rows: someRows)]),
            "a list needs --list-button LABEL: the text of the button that opens the list"
        ),
        (
            InteractiveBuilder(body: "Hi", listButton: "Pick", sections: [.init(title: "A", rows: someRows), .init(title: "Empty")]),
            "--section #2 'Empty' has no --row"
        ),
        (InteractiveBuilder(body: "", buttons: [.init(id: "a", title: "A")]), "--body is empty"),
        (
            InteractiveBuilder(body: imRepeat("b", 1_025), buttons: [.init(id: "a", title: "A")]),
            "--body is 1,025 characters; WhatsApp allows at most 1,024"
        ),
        (
            InteractiveBuilder(body: "Hi", footer: imRepeat("f", 61), buttons: [.init(id: "a", title: "A")]),
            "--footer is 61 characters; WhatsApp allows at most 60"
        ),
        (InteractiveBuilder(body: "Hi", footer: " ", buttons: [.init(id: "a", title: "A")]), "--footer is only whitespace"),
        (
            InteractiveBuilder(body: "Hi", header: .text(imRepeat("h", 61)), buttons: [.init(id: "a", title: "A")]),
            "--header-text is 61 characters; WhatsApp allows at most 60"
        ),
        (
            InteractiveBuilder(body: "Hi", header: .image("example.com/a.jpg"), buttons: [.init(id: "a", title: "A")]),
            "--header-image is not an absolute URL"
        ),
        (
            InteractiveBuilder(body: "Hi", header: .document("file:///etc/passwd"), buttons: [.init(id: "a", title: "A")]),
            "--header-document is not an http(s) URL"
        ),
        (
            InteractiveBuilder(
                body: "Hi", header: .video("https://example.com/a.mp4"), listButton: "Pick", sections: [.init(rows: someRows)]),
            "--header-video is not allowed in a list message; WhatsApp allows only a text header there"
        ),
        (
            InteractiveBuilder(body: "Hi", buttons: (1...4).map { .init(id: "b\($0)", title: "B\($0)") }),
            "--button is given 4 times; WhatsApp allows at most 3 reply buttons"
        ),
        (
            InteractiveBuilder(body: "Hi", buttons: [.init(id: "a", title: "A"), .init(id: "b", title: "Yes please, book it now")]),
            "--button #2 title 'Yes please, book it now' is 23 characters; WhatsApp allows at most 20"
        ),
        (
            InteractiveBuilder(body: "Hi", buttons: [.init(id: imRepeat("i", 257), title: "A")]),
            "--button #1 id '\(imRepeat("i", 31))…' is 257 characters; WhatsApp allows at most 256"
        ),
        (
            InteractiveBuilder(body: "Hi", buttons: [.init(id: "a", title: "A"), .init(id: "b", title: "B"), .init(id: "a", title: "C")]),
            "--button #3 id 'a' is also used by --button #1; button ids must be unique"
        ),
        (
            InteractiveBuilder(body: "Hi", listButton: imRepeat("l", 21), sections: [.init(rows: someRows)]),
            "--list-button is 21 characters; WhatsApp allows at most 20"
        ),
        (
            InteractiveBuilder(
                body: "Hi", listButton: "Pick", sections: (1...11).map { .init(title: "S\($0)", rows: [.init(id: "r\($0)", title: "R")]) }),
            "--section is given 11 times; WhatsApp allows at most 10 sections"
        ),
        (
            InteractiveBuilder(body: "Hi", listButton: "Pick", sections: [.init(rows: (1...11).map { .init(id: "r\($0)", title: "R") })]),
            "--row is given 11 times; WhatsApp allows at most 10 rows in a list"
        ),
        (
            InteractiveBuilder(
                body: "Hi", listButton: "Pick", sections: [.init(title: "A", rows: someRows), .init(rows: [.init(id: "b", title: "B")])]),
            "--section #2 title is missing; every section needs a title when a list has more than one section"
        ),
        (
            InteractiveBuilder(body: "Hi", listButton: "Pick", sections: [.init(title: imRepeat("s", 25), rows: someRows)]),
            "--section #1 title '\(imRepeat("s", 25))' is 25 characters; WhatsApp allows at most 24"
        ),
        (
            InteractiveBuilder(
                body: "Hi", listButton: "Pick",
                sections: [
                    .init(title: "A", rows: [.init(id: "a", title: "A"), .init(id: "b", title: "B")]),
                    .init(title: "B", rows: [.init(id: "c", title: imRepeat("t", 25))]),
                ]),
            "--row #3 title '\(imRepeat("t", 25))' is 25 characters; WhatsApp allows at most 24"
        ),
        (
            InteractiveBuilder(
                body: "Hi", listButton: "Pick",
                sections: [
                    .init(title: "A", rows: [.init(id: "a", title: "A")]),
                    .init(title: "B", rows: [.init(id: "b", title: "B"), .init(id: "a", title: "C")]),
                ]),
            "--row #3 id 'a' is also used by --row #1; row ids must be unique across all sections"
        ),
        (
            InteractiveBuilder(
                body: "Hi", listButton: "Pick", sections: [.init(rows: [.init(id: "a", title: "A", description: imRepeat("d", 73))])]),
            "--row #1 description '\(imRepeat("d", 31))…' is 73 characters; WhatsApp allows at most 72"
        ),
    ]

    @Test(arguments: builderErrors)
    func builderErrorsNameTheFlags(_ builder: InteractiveBuilder, _ message: String) {
        #expect(imBuildMessage(builder) == message)
    }

    @Test func builderHints() {
        let both = interactiveInputError {
            _ = try InteractiveBuilder(body: "Hi", buttons: [.init(id: "a", title: "A")], sections: [.init(rows: Self.someRows)]).build()
        }
        #expect(both?.hint == "Use --button for up to 3 reply buttons, or --section/--row for a list of up to 10 rows.")
        let untitled = interactiveInputError {
            _ = try InteractiveBuilder(
                body: "Hi", listButton: "Pick",
                sections: [.init(title: "A", rows: Self.someRows), .init(rows: [.init(id: "b", title: "B")])]
            ).build()
        }
        #expect(untitled?.hint == "Give each section a title: --section TITLE before its --row flags.")
    }

    // MARK: Flag syntax

    @Test(arguments: [
        ("yes:Yes please", "yes", "Yes please"),
        ("book:Book: 8pm", "book", "Book: 8pm"),
        (" yes : Yes ", "yes", "Yes"),
        ("1:😀", "1", "😀"),
    ])
    func parsesButtons(_ text: String, _ id: String, _ title: String) throws {
        #expect(try InteractiveBuilder.parseButton(text) == .init(id: id, title: title))
    }

    @Test(arguments: [
        ("yes", "--button 'yes' has no ':' between the id and the title"),
        (":Yes", "--button ':Yes': the id before ':' is empty"),
        ("yes:", "--button 'yes:': the title after ':' is empty"),
        ("yes:  ", "--button 'yes:  ': the title after ':' is empty"),
        ("\u{1B}[2J", "--button '\\x1B[2J' has no ':' between the id and the title"),
    ])
    func buttonSyntaxErrors(_ text: String, _ message: String) {
        let error = interactiveInputError { _ = try InteractiveBuilder.parseButton(text) }
        #expect(error?.message == message)
        #expect(error?.hint == "Write it as --button ID:TITLE, e.g. --button 'book:Book a table'.")
    }

    @Test(arguments: [
        ("mon:Monday", InteractiveBuilder.Row(id: "mon", title: "Monday")),
        ("mon:Monday:Opens at 9:30", .init(id: "mon", title: "Monday", description: "Opens at 9:30")),
        ("mon:Monday:", .init(id: "mon", title: "Monday")),
        ("mon : Monday : Late opening ", .init(id: "mon", title: "Monday", description: "Late opening")),
    ])
    func parsesRows(_ text: String, _ row: InteractiveBuilder.Row) throws {
        #expect(try InteractiveBuilder.parseRow(text) == row)
    }

    @Test(arguments: [
        ("monday", "--row 'monday' has no ':' between the id and the title"),
        (":Monday", "--row ':Monday': the id before the first ':' is empty"),
        ("mon:", "--row 'mon:': the title after the first ':' is empty"),
        ("mon::Opens at 9", "--row 'mon::Opens at 9': the title after the first ':' is empty"),
        (imRepeat("x", 40), "--row '\(imRepeat("x", 31))…' has no ':' between the id and the title"),
    ])
    func rowSyntaxErrors(_ text: String, _ message: String) {
        let error = interactiveInputError { _ = try InteractiveBuilder.parseRow(text) }
        #expect(error?.message == message)
        #expect(error?.hint == "Write it as --row ID:TITLE[:DESCRIPTION], e.g. --row 'mon:Monday:Opens at 9'.")
    }
}
