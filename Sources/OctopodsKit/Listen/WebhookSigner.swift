#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// Signs forwarded events as the Standard Webhooks specification says: headers `webhook-id`,
/// `webhook-timestamp` (seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
/// "id.timestamp.body">`, keyed with the bytes of a `whsec_<base64>` secret, so any Standard
/// Webhooks library verifies them.
package struct WebhookSigner: Sendable {
    package static let prefix = "whsec_"
    package let secret: String
    private let key: [UInt8]

    /// nil for text that is not `whsec_` and base64 of at least 16 bytes.
    package init?(secret: String) {
        guard secret.hasPrefix(Self.prefix), let bytes = Data(base64Encoded: String(secret.dropFirst(Self.prefix.count))),
            bytes.count >= 16
        else { return nil }
        self.secret = secret
        key = Array(bytes)
    }

    /// A new random secret (24 bytes, as the specification's examples use).
    package static func generate() -> WebhookSigner? {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return WebhookSigner(secret: prefix + Data(bytes).base64EncodedString())
    }

    package func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message.append(contentsOf: body)
        return "v1," + Data(HMACSHA256.authenticate(key: key, message: message)).base64EncodedString()
    }

    package func headers(id: String, timestamp: Int64, body: [UInt8]) -> [(String, String)] {
        [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signature(id: id, timestamp: timestamp, body: body)),
        ]
    }

    /// The profile's secret, kept in `url` (0600) so it survives restarts: read, or made on
    /// first use.
    package static func stored(at url: URL) throws(OctopodsError) -> WebhookSigner {
        do {
            try SystemFile.makePrivateDirectory(url.deletingLastPathComponent())
            if let data = try SystemFile.readOwned(url) {
                let text = String(decoding: data, as: UTF8.self).trimmingWhitespace()
                guard let signer = WebhookSigner(secret: text) else {
                    throw OctopodsError.configuration(
                        "\(url.path) does not hold a webhook secret (whsec_ and base64)",
                        hint: "Delete it to have a new secret made (receivers then need the new one).")
                }
                return signer
            }
            guard let signer = generate() else { throw OctopodsError.failed("could not make a webhook secret") }
            try AtomicFile.write(Data((signer.secret + "\n").utf8), to: url, mode: 0o600, followLinks: false)
            return signer
        } catch let error as OctopodsError {
            throw error
        } catch {
            throw .configuration("cannot keep the webhook secret in \(url.path): \(PlainText.describe(error))")
        }
    }
}
