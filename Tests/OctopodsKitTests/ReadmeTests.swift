import Foundation
import Testing
@testable import OctopodsKit

/// The reference tables of README and docs/sandbox.md are rendered from the code; this fails
/// when they drift, and `UPDATE_GOLDENS=1 swift test` rewrites them in place (and fails, so the
/// diff is read).
@Suite struct ReadmeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let readme = root.appendingPathComponent("README.md")
    /// Where the generated sections live.
    static let documents = ["README.md", "docs/sandbox.md"]

    @Test func generatedSectionsAreCurrent() throws {
        var texts = try Self.documents.map { try String(contentsOf: Self.root.appendingPathComponent($0), encoding: .utf8) }
        var changed = Set<Int>()
        for (name, markdown) in ReferenceTables.sections {
            let begin = "<!-- generated: \(name) -->\n", end = "<!-- end: \(name) -->"
            guard let which = texts.firstIndex(where: { $0.contains(begin) }), let start = texts[which].range(of: begin),
                let stop = texts[which].range(of: end, range: start.upperBound..<texts[which].endIndex)
            else {
                Issue.record("no document among \(Self.documents) has the generated section '\(name)'")
                continue
            }
            let document = Self.documents[which]
            let current = String(texts[which][start.upperBound..<stop.lowerBound])
            if current != markdown {
                if Golden.updating {
                    texts[which].replaceSubrange(start.upperBound..<stop.lowerBound, with: markdown)
                    changed.insert(which)
                    Issue.record("\(document) section '\(name)' rewritten: review the diff (git diff), then run the tests again")
                } else {
                    Issue.record("\(document) section '\(name)' is out of date; run UPDATE_GOLDENS=1 swift test")
                }
            }
        }
        for which in changed {
            try texts[which].write(to: Self.root.appendingPathComponent(Self.documents[which]), atomically: true, encoding: .utf8)
        }
    }
}
