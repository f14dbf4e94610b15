/// HMAC-SHA256 (RFC 2104, test vectors from RFC 4231), for signing the webhooks `listen`
/// forwards the way the Standard Webhooks specification asks.
package enum HMACSHA256 {
    /// The 32-byte tag of `message` under `key`.
    package static func authenticate<Key: Collection, Message: Collection>(key: Key, message: Message) -> [UInt8]
    where Key.Element == UInt8, Message.Element == UInt8 {
        // A key longer than the block is hashed first; a shorter one is padded with zeros.
        var block = [UInt8](repeating: 0, count: 64)
        if key.count > 64 {
            var hasher = SHA256()
            hasher.update(key)
            let digest = hasher.finalize()
            block.replaceSubrange(0..<digest.count, with: digest)
        } else {
            block.replaceSubrange(0..<key.count, with: key)
        }
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        let innerDigest = inner.finalize()
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(innerDigest)
        return outer.finalize()
    }
}
