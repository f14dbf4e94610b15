#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension SandboxTemplate {
    /// The templates every sandbox starts with: WhatsApp from 1001, VBM from 2001.
    package static let seeds: [SandboxTemplate] = whatsappSeeds + vbmSeeds

    private static let whatsappSeeds: [SandboxTemplate] = [
        SandboxTemplate(
            id: 1001, name: "order_update", channel: .whatsapp, language: "en_US",
            createdAt: "2025-01-15T09:30:00Z",
            components: [["type": "BODY", "text": "Hi {{1}}, your order {{2}} has been updated."]]),
        SandboxTemplate(
            id: 1002, name: "appointment_reminder", channel: .whatsapp, language: "en",
            createdAt: "2025-02-03T14:05:12Z",
            components: [
                ["type": "HEADER", "format": "TEXT", "text": "Reminder for {{1}}"],
                ["type": "BODY", "text": "Hello {{1}}, your appointment is on {{2}} at {{3}}."],
                ["type": "FOOTER", "text": "Booking ref {{1}}"],
            ]),
        SandboxTemplate(
            id: 1003, name: "summer_sale", channel: .whatsapp, language: "en_US",
            createdAt: "2025-05-20T08:00:00Z",
            components: [
                ["type": "HEADER", "format": "IMAGE"],
                ["type": "BODY", "text": "Hi {{1}}, our summer sale starts today! Use the code below at checkout."],
                [
                    "type": "BUTTONS",
                    "buttons": [
                        ["type": "COPY_CODE", "example": "SUMMER25"],
                        ["type": "QUICK_REPLY", "text": "Stop promotions"],
                    ],
                ],
            ]),
        SandboxTemplate(
            id: 1004, name: "track_package", channel: .whatsapp, language: "en_GB",
            createdAt: "2025-03-11T17:45:30Z",
            components: [
                ["type": "BODY", "text": "Your package {{1}} is on its way."],
                [
                    "type": "BUTTONS",
                    "buttons": [
                        ["type": "URL", "text": "Track package", "url": "https://example.com/track/{{1}}"]
                    ],
                ],
            ]),
        SandboxTemplate(
            id: 1005, name: "promo_blast", channel: .whatsapp, language: "en_US", status: .rejected,
            createdAt: "2025-04-01T10:00:00Z",
            components: [["type": "BODY", "text": "BIG PROMO!!! {{1}} off everything, today only!"]]),
        SandboxTemplate(
            id: 1006, name: "pedido_enviado", channel: .whatsapp, language: "pt_BR",
            createdAt: "2025-06-09T12:20:00Z",
            components: [["type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} foi enviado."]]),
        SandboxTemplate(
            id: 1007, name: "welcome", channel: .whatsapp, language: "en_US",
            createdAt: "2024-11-30T16:00:00Z",
            components: [["type": "BODY", "text": "Welcome to Octopods! Reply to this message any time to reach us."]]),
        SandboxTemplate(
            id: 1008, name: "legacy_newsletter", channel: .whatsapp, language: "en_US", active: false,
            createdAt: "2023-09-24T14:29:32Z",
            components: [["type": "BODY", "text": "This month's newsletter: {{1}}"]]),
        SandboxTemplate(
            id: 1009, name: "horario_festivo", channel: .whatsapp, language: "es_MX", status: .pending,
            createdAt: "2025-07-01T07:15:00Z",
            components: [["type": "BODY", "text": "Hola {{1}}, nuestro horario cambia el {{2}}."]]),
    ]

    private static let vbmSeeds: [SandboxTemplate] = [
        SandboxTemplate(
            id: 2001, name: "vbm_welcome", channel: .vbm, language: "en",
            createdAt: "2025-02-14T11:00:00Z",
            components: [
                ["type": "HEADER", "format": "IMAGE"],
                ["type": "BODY", "text": "Hi {{1}}, welcome to our Viber channel!"],
                ["type": "BUTTONS", "buttons": [["type": "URL", "text": "Visit us", "url": "https://example.com"]]],
            ]),
        SandboxTemplate(
            id: 2002, name: "vbm_order_status", channel: .vbm, language: "en_US",
            createdAt: "2025-03-02T09:45:00Z",
            components: [["type": "BODY", "text": "Your order {{1}} is now {{2}}."]]),
        SandboxTemplate(
            id: 2003, name: "vbm_spring_offer", channel: .vbm, language: "en_US", status: .pending,
            createdAt: "2025-04-18T13:30:00Z",
            components: [["type": "BODY", "text": "Spring offer: {{1}}"]]),
    ]
}
