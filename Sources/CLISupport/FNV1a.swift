/// 64-bit FNV-1a: a fast, stable fingerprint (cache file names, bulk row identity). Not a
/// security measure; where a name must not reveal what it was made from, use `SHA256`.
package struct FNV1a: Sendable {
    package private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    package init() {}

    @inline(__always)
    package mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x100_0000_01b3
    }

    package mutating func add(_ text: String) {
        for byte in text.utf8 { add(byte) }
    }

    /// The fingerprint of a text's UTF-8 bytes.
    package static func hash(_ text: String) -> UInt64 {
        var h = FNV1a()
        h.add(text)
        return h.value
    }
}
