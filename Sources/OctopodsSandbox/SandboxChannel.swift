#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A messaging channel, and the API path family (`/api/v1/<channel>/…`) that serves it.
package enum SandboxChannel: String, Sendable, Codable, CaseIterable {
    case whatsapp
    case sms
    case vbm
}
