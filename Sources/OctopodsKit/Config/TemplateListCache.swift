#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// The template ids and names `templates list` last saw, for completing template ids in the
/// shell (`octopods __complete templates`) without a request. Keyed like `TemplateCache`: base
/// URL, channel and a fingerprint of the key (never the key); one `id<TAB>name` line per
/// template, stored 0600 under ${XDG_CACHE_HOME:-~/.cache}/octopods/template-lists. It does
/// not expire: an old list still completes ids, and the next `templates list` refreshes it.
/// A file that cannot be read or written is simply not used.
package struct TemplateListCache: Sendable {
    package struct Entry: Sendable, Equatable {
        package var id: String
        package var name: String
        package init(id: String, name: String) { self.id = id; self.name = name }
    }

    let directory: URL

    package init(_ ctx: Context) {
        // The same root as TemplateCache.
        directory = ctx.directory(.cache).appendingPathComponent("template-lists")
    }

    func file(baseURL: String, channel: Channel, key: String) -> URL {
        // APIClient drops one trailing slash from the base URL; so does the key here.
        let root = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        let fingerprint = TemplateCache.fnv1a("\(root)\n\(channel.rawValue)\n\(key)")
        return directory.appendingPathComponent(String(fingerprint, radix: 16) + ".tsv")
    }

    package func load(baseURL: String, channel: Channel, key: String) -> [Entry] {
        guard let data = try? Data(contentsOf: file(baseURL: baseURL, channel: channel, key: key)) else { return [] }
        return Self.parse(String(decoding: data, as: UTF8.self))
    }

    /// Saves what a list returned. A complete (unfiltered) list replaces the stored one; a
    /// filtered one only adds and renames, so `--status accepted` does not forget the rest.
    /// Nothing is written when nothing changed.
    package func store(_ entries: [Entry], complete: Bool, baseURL: String, channel: Channel, key: String) {
        let url = file(baseURL: baseURL, channel: channel, key: key)
        let stored = (try? Data(contentsOf: url)).map { Self.parse(String(decoding: $0, as: UTF8.self)) } ?? []
        let fresh = entries.map { Entry(id: Self.clean($0.id), name: Self.clean($0.name)) }.filter { !$0.id.isEmpty }
        var merged = complete ? [] : stored
        for entry in fresh {
            if let index = merged.firstIndex(where: { $0.id == entry.id }) {
                merged[index] = entry
            } else {
                merged.append(entry)
            }
        }
        guard merged != stored else { return }
        let text = merged.map { "\($0.id)\t\($0.name)\n" }.joined()
        try? AtomicFile.makeDirectory(directory)
        try? AtomicFile.write(Data(text.utf8), to: url)
    }

    static func parse(_ text: String) -> [Entry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            let id = clean(String(fields[0]))
            guard !id.isEmpty else { return nil }
            return Entry(id: id, name: fields.count > 1 ? clean(String(fields[1])) : "")
        }
    }

    /// One field of a line: control characters (tabs and newlines among them) become spaces,
    /// so a name from the API cannot break the format or reach the terminal raw.
    static func clean(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format ? " " : Character($0) })
            .trimmingSpaces()
    }
}
