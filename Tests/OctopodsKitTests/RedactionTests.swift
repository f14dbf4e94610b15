import Foundation
import Testing
@testable import OctopodsKit

/// The key is cut out of a response in every spelling a JSON decoder turns into the key.
@Suite struct RedactionTests {
    static let key = "abc/def-secret-ü-0001"

    @Test(arguments: [
        #"abc/def-secret-ü-0001"#,
        #"abc\/def-secret-ü-0001"#,
        #"\u0061bc\/def-secret-\u00fc-0001"#,
        #"\u0061\u0062\u0063\u002F\u0064\u0065\u0066-secret-\u00FC-0001"#,
    ])
    func everySpellingIsRedacted(_ spelling: String) throws {
        let body = #"{"error": "key "# + spelling + #" refused", "id": ""# + spelling + #""}"#
        let redacted = APIClient.redact(body, key: Self.key)
        #expect(redacted == #"{"error": "key [redacted] refused", "id": "[redacted]"}"#, "\(redacted)")
        let decoded = try JSONSerialization.jsonObject(with: APIClient.redact(Data(body.utf8), key: Self.key)) as? [String: String]
        #expect(decoded?["id"] == "[redacted]")
    }

    @Test func aSurrogatePairSpellingIsRedacted() {
        let key = "emoji-😀-secret"
        #expect(APIClient.redact(#"x emoji-\ud83d\ude00-secret y"#, key: key) == "x [redacted] y")
    }

    @Test func otherTextIsUntouched() {
        let text = #"{"a": "abc\/def", "b": "\u0061", "c": "abc/def-secret-ü-000"}"#
        #expect(APIClient.redact(text, key: Self.key) == text)
        #expect(APIClient.redact(#"trailing \"#, key: Self.key) == #"trailing \"#)
        #expect(APIClient.redact("short", key: "abc") == "short")
    }
}
