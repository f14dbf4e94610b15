import Foundation
import Testing
@testable import OctopodsKit

/// README's reference tables are rendered from the code; this fails when they drift and
/// `UPDATE_GOLDENS=1 swift test` rewrites them in place.
@Suite struct ReadmeTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md")

    @Test func generatedSectionsAreCurrent() throws {
        var text = try String(contentsOf: Self.readme, encoding: .utf8)
        var changed = false
        for (name, markdown) in ReferenceTables.sections {
            let begin = "<!-- generated: \(name) -->\n", end = "<!-- end: \(name) -->"
            guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) else {
                Issue.record("README.md lacks the generated section '\(name)'")
                continue
            }
            let current = String(text[start.upperBound..<stop.lowerBound])
            if current != markdown {
                if Golden.updating {
                    text.replaceSubrange(start.upperBound..<stop.lowerBound, with: markdown)
                    changed = true
                    Issue.record("README.md section '\(name)' rewritten: review the diff (git diff), then run the tests again")
                } else {
                    Issue.record("README.md section '\(name)' is out of date; run UPDATE_GOLDENS=1 swift test")
                }
            }
        }
        if changed { try text.write(to: Self.readme, atomically: true, encoding: .utf8) }
    }
}
