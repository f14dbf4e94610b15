#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One sandbox API key and what it may do.
package struct SandboxKey: Sendable, Equatable {
    /// The raw value for the `X-Octopods-Auth` header.
    package let value: String
    /// The path family the key opens; nil for the revoked key, which every family refuses with 400.
    package let channel: SandboxChannel?
    /// Whether the key's account is opted in to interactive messages (else 403 on `/whatsapp/interactive`).
    package let interactiveEnabled: Bool
    /// Rotated or revoked: 400 DEPRECATED_API_KEY on every family.
    package let revoked: Bool
    /// One line for `octopods sandbox` and the README.
    package let summary: String
    /// Which key this is, by its fixed name (`sandbox-whatsapp-key`): the request log records
    /// this, never a value.
    package let role: String

    package init(
        value: String, channel: SandboxChannel?, interactiveEnabled: Bool, revoked: Bool, summary: String,
        role: String? = nil
    ) {
        self.value = value; self.channel = channel; self.interactiveEnabled = interactiveEnabled
        self.revoked = revoked; self.summary = summary; self.role = role ?? value
    }
}

/// The sandbox's keys. A sandbox with a state file (`octopods sandbox`, `--sandbox`) has keys
/// of its own, random, made with the state and kept in it (`randomValues`), so that no other
/// local process (or web page) can guess them. A sandbox in memory only (the test suites)
/// accepts the fixed keys below, which are public.
package enum SandboxKeys {
    package static let whatsapp = "sandbox-whatsapp-key"
    package static let sms = "sandbox-sms-key"
    package static let vbm = "sandbox-vbm-key"
    package static let whatsappNoInteractive = "sandbox-whatsapp-no-interactive-key"
    package static let revoked = "sandbox-revoked-key"

    package static let all: [SandboxKey] = [
        SandboxKey(
            value: whatsapp, channel: .whatsapp, interactiveEnabled: true, revoked: false,
            summary: "WhatsApp Business API key (/whatsapp/*), opted in to interactive messages"),
        SandboxKey(
            value: sms, channel: .sms, interactiveEnabled: true, revoked: false,
            summary: "SMS channel API key (/sms/*), also whitelisted for the legacy waba_interactive_message body"),
        SandboxKey(
            value: vbm, channel: .vbm, interactiveEnabled: false, revoked: false,
            summary: "Viber Business Messages channel API key (/vbm/*)"),
        SandboxKey(
            value: whatsappNoInteractive, channel: .whatsapp, interactiveEnabled: false, revoked: false,
            summary: "WhatsApp key whose account is not opted in to interactive messages (403 on /whatsapp/interactive)"),
        SandboxKey(
            value: revoked, channel: nil, interactiveEnabled: false, revoked: true,
            summary: "a rotated key: 400 DEPRECATED_API_KEY on every endpoint"),
    ]

    /// The key with exactly this value (no trimming, no `Bearer` prefix).
    package static func lookup(_ value: String) -> SandboxKey? {
        all.first { $0.value == value }
    }

    /// A new set of keys for a state: each fixed key's name (its role) → that name and 128
    /// random bits (`sandbox-whatsapp-key-3f9c…`).
    package static func randomValues() -> [String: String] {
        var generator = SystemRandomNumberGenerator()
        var values: [String: String] = [:]
        for key in all {
            let bits = (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }
                .map { String(repeating: "0", count: 16 - $0.count) + $0 }.joined()
            values[key.value] = key.value + "-" + bits
        }
        return values
    }

    /// The keys a state accepts: the fixed ones with the state's values, if it has any.
    package static func keys(_ values: [String: String]?) -> [SandboxKey] {
        guard let values else { return all }
        return all.map { key in
            SandboxKey(
                value: values[key.value] ?? key.value, channel: key.channel, interactiveEnabled: key.interactiveEnabled,
                revoked: key.revoked, summary: key.summary, role: key.value)
        }
    }
}
