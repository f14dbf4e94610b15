import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct InteractiveExamplesTests {
    /// The drafts offered at a terminal are valid as they stand, one per interactive type.
    @Test func everyExampleIsValid() throws {
        #expect(Set(InteractiveExamples.all.map(\.type)) == Set(InteractiveMessage.types))
        for example in InteractiveExamples.all {
            let text = example.payload.serialized(pretty: true)
            let parsed = try InteractiveMessage.parse(Data(text.utf8), source: example.type)
            try InteractiveMessage.validate(parsed)
        }
    }

    @Test func shellWordsReadBack() {
        #expect(ShellWord.quote("+14155552671") == "+14155552671")
        #expect(ShellWord.quote("1=Jane Doe") == "'1=Jane Doe'")
        #expect(ShellWord.quote("it's") == #"'it'\''s'"#)
        #expect(ShellWord.quote("") == "''")
    }
}
