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
}

/// The fixed keys the sandbox accepts. They are not secrets.
package enum SandboxKeys {
    package static let whatsapp = "sandbox-whatsapp-key"
    package static let sms = "sandbox-sms-key"
    package static let vbm = "sandbox-vbm-key"
    package static let whatsappNoInteractive = "sandbox-whatsapp-no-interactive-key"
    package static let revoked = "sandbox-revoked-key"

    package static let all: [SandboxKey] = [
        SandboxKey(value: whatsapp, channel: .whatsapp, interactiveEnabled: true, revoked: false,
                   summary: "WhatsApp Business API key (/whatsapp/*), opted in to interactive messages"),
        SandboxKey(value: sms, channel: .sms, interactiveEnabled: true, revoked: false,
                   summary: "SMS channel API key (/sms/*), also whitelisted for the legacy waba_interactive_message body"),
        SandboxKey(value: vbm, channel: .vbm, interactiveEnabled: false, revoked: false,
                   summary: "Viber Business Messages channel API key (/vbm/*)"),
        SandboxKey(value: whatsappNoInteractive, channel: .whatsapp, interactiveEnabled: false, revoked: false,
                   summary: "WhatsApp key whose account is not opted in to interactive messages (403 on /whatsapp/interactive)"),
        SandboxKey(value: revoked, channel: nil, interactiveEnabled: false, revoked: true,
                   summary: "a rotated key: 400 DEPRECATED_API_KEY on every endpoint"),
    ]

    /// The key with exactly this value (no trimming, no `Bearer` prefix).
    package static func lookup(_ value: String) -> SandboxKey? {
        all.first { $0.value == value }
    }
}
