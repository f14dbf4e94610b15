/// Words the client knows and acts on, with any other kept as it came (an `.other(text)` case):
/// what the API or another version's file says is never dropped. Values are equal when their
/// text is, so an `.other` spelling a known word is that word.
package protocol OpenVocabulary: RawRepresentable, Hashable, CustomStringConvertible, Sendable where RawValue == String {
    init(rawValue: String)
}

extension OpenVocabulary {
    package var description: String { rawValue }
    package static func == (a: Self, b: Self) -> Bool { a.rawValue == b.rawValue }
    package func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}
