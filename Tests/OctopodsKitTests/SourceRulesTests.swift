import Foundation
import Testing

/// Rules about the product's sources that the compiler alone cannot hold.
@Suite struct SourceRulesTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// Full Foundation links ICU's 34 MB into the static binary: product code imports
    /// FoundationEssentials, and Foundation only in the `#else` of `canImport(FoundationEssentials)`
    /// (docs/linux-notes.md, "A lean static binary"). `Sources/Fuzz` is not installed.
    @Test func productSourcesImportOnlyFoundationEssentials() throws {
        let files =
            FileManager.default.enumerator(at: Self.sources, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" && !$0.path.contains("/Sources/Fuzz/") } ?? []
        #expect(files.count > 50)
        for file in files {
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() where line.hasPrefix("import Foundation") && line != "import FoundationEssentials" {
                #expect(index > 0 && lines[index - 1] == "#else", "\(file.lastPathComponent):\(index + 1): \(line)")
            }
        }
    }
}
