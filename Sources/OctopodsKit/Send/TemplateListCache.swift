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
        return directory.appendingPathComponent(SHA256.name("\(root)\n\(channel.rawValue)\n\(key)") + ".tsv")
    }

    package func load(baseURL: String, channel: Channel, key: String) -> [Entry] {
        read(file(baseURL: baseURL, channel: channel, key: key))
    }

    /// Saves what a list returned. A complete (unfiltered) list replaces the stored one; a
    /// filtered one only adds and renames, so `--status accepted` does not forget the rest.
    /// Nothing is written when nothing changed.
    /// Ids that are not a template id's shape are not kept (they are returned, for `-v`).
    @discardableResult
    package func store(_ entries: [Entry], complete: Bool, baseURL: String, channel: Channel, key: String) -> [String] {
        let url = file(baseURL: baseURL, channel: channel, key: key)
        let stored = read(url)
        let dropped = entries.map(\.id).filter { !Self.isTemplateID($0) }
        let fresh = entries.filter { Self.isTemplateID($0.id) }.map { Entry(id: $0.id, name: Self.clean($0.name)) }
        var merged = complete ? [] : stored
        for entry in fresh {
            if let index = merged.firstIndex(where: { $0.id == entry.id }) {
                merged[index] = entry
            } else {
                merged.append(entry)
            }
        }
        guard merged != stored else { return dropped }
        let text = merged.map { "\($0.id)\t\($0.name)\n" }.joined()
        guard (try? SystemFile.makePrivateDirectory(directory)) != nil else { return dropped }
        try? AtomicFile.write(Data(text.utf8), to: url, followLinks: false)
        return dropped
    }

    /// The cache file's lines, only when it is safely ours (not a link, ours, not writable by others).
    func read(_ url: URL) -> [Entry] {
        guard let data = try? SystemFile.readOwned(url) else { return [] }
        return Self.parse(String(decoding: data, as: UTF8.self))
    }

    /// What the API's template ids look like: numbers, short codes (`019S7WT`) or names
    /// (`order_confirmation_v1`), starting with a letter or digit. Anything else (a shell
    /// metacharacter, a space, a leading `-` that a shell would insert as an option such as
    /// `--yes`) is not kept, so it can never be offered to a shell.
    static func isTemplateID(_ id: String) -> Bool {
        func alphanumeric(_ c: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
        }
        guard let first = id.utf8.first, alphanumeric(first) else { return false }
        return id.utf8.count <= 128 && id.utf8.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func parse(_ text: String) -> [Entry] {
        if let entries = parseASCII(text) { return entries }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            let id = String(fields[0])
            guard isTemplateID(id) else { return nil }
            return Entry(id: id, name: fields.count > 1 ? clean(String(fields[1])) : "")
        }
    }

    /// `parse` for a file of ASCII without CR (what `store` writes for ASCII names), by bytes:
    /// there every byte is a Character, so this is the same split, on a fraction of the work.
    /// Nil for any other text.
    static func parseASCII(_ text: String) -> [Entry]? {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return nil }
        return bytes.split(separator: 0x0A).compactMap { line in
            let tab = line.firstIndex(of: 0x09) ?? line.endIndex
            let id = String(decoding: line[..<tab], as: UTF8.self)
            guard isTemplateID(id) else { return nil }
            return Entry(id: id, name: tab == line.endIndex ? "" : cleanASCII(line[(tab + 1)...]))
        }
    }

    /// One field of a line: control characters (tabs and newlines among them) become spaces,
    /// so a name from the API cannot break the format or reach the terminal raw.
    static func clean(_ text: String) -> String {
        text.utf8.allSatisfy({ $0 < 0x80 }) ? cleanASCII(text.utf8) : cleanScalars(text)
    }

    static func cleanScalars(_ text: String) -> String {
        String(
            text.unicodeScalars.map {
                $0.properties.generalCategory == .control || $0.properties.generalCategory == .format ? " " : Character($0)
            }
        )
        .trimmingSpaces()
    }

    /// `clean` for ASCII: the control characters are 0-31 and 127 (no ASCII character is of the
    /// format category), and what `trimmingSpaces` trims is then the space alone.
    static func cleanASCII<Bytes: Collection<UInt8>>(_ field: Bytes) -> String {
        var bytes = field.map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: " ") : $0 }
        while bytes.last == UInt8(ascii: " ") { bytes.removeLast() }
        let start = bytes.firstIndex { $0 != UInt8(ascii: " ") } ?? bytes.endIndex
        return String(decoding: bytes[start...], as: UTF8.self)
    }
}
