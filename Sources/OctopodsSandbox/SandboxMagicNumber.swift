#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A recipient number that makes the sandbox misbehave in a documented-looking way, so scripts
/// can exercise their failure handling.
package struct SandboxMagicNumber: Sendable, Equatable {
    package enum Effect: Sendable, Equatable {
        /// Accepted, then failed: not a WhatsApp/Viber user, or not a valid mobile subscriber (SMS).
        case notOnChannel
        /// Interactive sends: 400 code 7 (24-hour window closed). Template sends are unaffected.
        case windowClosed
        /// SMS: queued → sent → undelivered. WhatsApp/VBM: failed with provider code 470.
        case undelivered
        /// SMS: 400 code 4 with the provider's text. WhatsApp/VBM: accepted, then failed with code "63003".
        case providerError
        /// Stays `sent` forever.
        case neverDelivered
        /// HTTP 500 with a plain-text body; no message created.
        case serverError
        /// HTTP 502 with an HTML body; no message created.
        case badGateway
        /// 201 with truncated JSON; the message is created.
        case truncatedJSON
        /// 201 with an empty body; the message is created.
        case emptyBody
        /// A response slower than any client timeout; the message is created.
        case slowResponse
        /// The connection is reset after the request is read; the message is created.
        case connectionReset
        /// HTTP 429 with the documented body (retry one minute later); no cool-down, no message.
        case rateLimited
        /// 201 whose body is only `{"request_id": …}` (documented for some integrations); the message is created.
        case idOmitted
        /// 201 with the body of the documented example, trailing comma included; the message is created.
        case trailingComma
        /// Delivered, then deleted by the recipient: the status ends `DELETED` (final).
        case deletedAfterDelivery
        /// Accepted (201 with its id), but every status lookup of it is refused: 400 "Message not found."
        case statusRefused
        /// Template sends: 400 code 4 "Template '…' is not approved." (the other documented meaning of code 4).
        case templateNotApproved
    }

    package let phone: String
    package let behaviour: String
    package let effect: Effect

    package static let all: [SandboxMagicNumber] = [
        SandboxMagicNumber(
            phone: "+15550100001",
            behaviour:
                "not on the channel: accepted, then failed \"Recipient is not a WhatsApp user.\" (SMS: \"Not a valid mobile subscriber.\")",
            effect: .notOnChannel),
        SandboxMagicNumber(
            phone: "+15550100002", behaviour: "24-hour window closed: interactive sends get 400 code 7; template sends work",
            effect: .windowClosed),
        SandboxMagicNumber(
            phone: "+15550100003",
            behaviour: "SMS: queued, sent, then undelivered; WhatsApp/VBM: failed with provider code 470 \"Re-engagement window expired\"",
            effect: .undelivered),
        SandboxMagicNumber(
            phone: "+15550100004", behaviour: "provider error: SMS gets 400 code 4; WhatsApp/VBM accepted, then failed with code \"63003\"",
            effect: .providerError),
        SandboxMagicNumber(
            phone: "+15550100005", behaviour: "never delivered: stays sent forever (for --wait timeouts)", effect: .neverDelivered),
        SandboxMagicNumber(phone: "+15550100500", behaviour: "HTTP 500 with a plain-text body (no message created)", effect: .serverError),
        SandboxMagicNumber(phone: "+15550100502", behaviour: "HTTP 502 with an HTML body (no message created)", effect: .badGateway),
        SandboxMagicNumber(
            phone: "+15550100200", behaviour: "201 with truncated, unreadable JSON (the message is created)", effect: .truncatedJSON),
        SandboxMagicNumber(phone: "+15550100201", behaviour: "201 with an empty body (the message is created)", effect: .emptyBody),
        SandboxMagicNumber(
            phone: "+15550100408", behaviour: "response slower than any client timeout (the message is created)", effect: .slowResponse),
        SandboxMagicNumber(
            phone: "+15550100104", behaviour: "connection reset after the request is read (the message is created)",
            effect: .connectionReset),
        SandboxMagicNumber(
            phone: "+15550100429", behaviour: "HTTP 429 with the documented body, retry one minute later (no cool-down starts)",
            effect: .rateLimited),
        SandboxMagicNumber(
            phone: "+15550100202", behaviour: "201 with only {\"request_id\": …}, no message_id (the message is created)",
            effect: .idOmitted),
        SandboxMagicNumber(
            phone: "+15550100203", behaviour: "201 with the documented example body, trailing comma included (the message is created)",
            effect: .trailingComma),
        SandboxMagicNumber(
            phone: "+15550100006", behaviour: "delivered, then deleted by the recipient: status DELETED (final)",
            effect: .deletedAfterDelivery),
        SandboxMagicNumber(
            phone: "+15550100007", behaviour: "accepted, but every status lookup of it gets 400 \"Message not found.\"",
            effect: .statusRefused),
        SandboxMagicNumber(
            phone: "+15550100008", behaviour: "template sends: 400 code 4 \"Template '…' is not approved.\" (no message created)",
            effect: .templateNotApproved),
    ]

    package static func lookup(_ phone: String) -> SandboxMagicNumber? {
        all.first { $0.phone == phone }
    }
}
