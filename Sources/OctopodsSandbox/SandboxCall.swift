#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One request being answered, in the documented order: route (404/405), key (401), rate limit
/// (429), revoked key (400) and channel (401), then the endpoint's own validation.
struct SandboxCall: Sendable {
    static let authHeader = "X-Octopods-Auth"

    let request: SandboxRequest
    let options: SandboxOptions
    let now: Date
    let requestID = UUID().uuidString.lowercased()

    /// What the request did.
    struct Outcome {
        var response: SandboxResponse
        /// The message it created, if any (for the request log).
        var messageID: Int?
        /// Whether `state` changed and must be saved.
        var stateChanged = false
    }

    func answer(state: inout SandboxState) -> Outcome {
        let route: SandboxRoute
        switch SandboxRoute.match(method: request.method, path: request.path) {
        case .notFound:
            return Outcome(response: (["error": "Not Found"] as SandboxJSON).response(status: 404))
        case .methodNotAllowed(let allowed):
            var response = (["error": "Method Not Allowed"] as SandboxJSON).response(status: 405)
            response.headers.append(HTTPField("Allow", allowed.joined(separator: ", ")))
            return Outcome(response: response)
        case .route(let matched):
            route = matched
        }

        guard let value = request.header(Self.authHeader), let key = state.key(value) else {
            return Outcome(response: Self.unauthorized)
        }
        let counted = options.rateLimit != nil
        if let limit = options.rateLimit,
            let until = limit.admit(&state.rateLimits[key.value, default: SandboxRateLimitRecord()], at: now, cooldown: options.cooldown)
        {
            return Outcome(response: SandboxRateLimit.tooManyRequests(retryAfter: until), stateChanged: true)
        }
        if key.revoked {
            return Outcome(
                response: SandboxError.deprecatedKey.response(family: route.errorFamily, requestID: requestID), stateChanged: counted)
        }
        guard key.channel == route.channel else {
            return Outcome(response: Self.unauthorized, stateChanged: counted)
        }

        do {
            var outcome = try perform(route, key: key, state: &state)
            outcome.stateChanged = outcome.stateChanged || counted
            return outcome
        } catch {
            return Outcome(response: error.response(family: route.errorFamily, requestID: requestID), stateChanged: counted)
        }
    }

    private func perform(_ route: SandboxRoute, key: SandboxKey, state: inout SandboxState) throws(SandboxError) -> Outcome {
        switch route {
        case .whatsappTemplates: try listTemplates(channel: .whatsapp)
        case .vbmTemplates: try listTemplates(channel: .vbm)
        case .whatsappTemplate(let reference): try showTemplate(reference, channel: .whatsapp)
        case .vbmTemplate(let reference): try showTemplate(reference, channel: .vbm)
        case .whatsappTemplateMessages(let reference): try sendTemplate(reference, channel: .whatsapp, key: key, state: &state)
        case .vbmTemplateMessages(let reference): try sendTemplate(reference, channel: .vbm, key: key, state: &state)
        case .whatsappInteractive: try sendInteractive(key: key, state: &state)
        case .smsMessages where request.method == "GET":
            // The documented status error (7052907) for a status request without an id.
            throw SandboxError(.argumentMissing, "You must supply message_id in your request payload.")
        case .smsMessages: try sendSMS(key: key, state: &state)
        case .whatsappMessage(let reference), .smsMessage(let reference): try messageStatus(reference, key: key, state: state)
        case .whatsappMessages: try listMessages(key: key, state: state)
        }
    }

    // MARK: Shared helpers

    /// 401 with a small JSON body (the docs document no body).
    static var unauthorized: SandboxResponse {
        (["error": "Unauthorized"] as SandboxJSON).response(status: 401)
    }

    /// The first value of query parameter `name`.
    func query(_ name: String) -> String? {
        request.query.first { $0.name == name }?.value
    }

    func ok(_ json: SandboxJSON, status: Int = 200) -> Outcome {
        Outcome(response: json.response(status: status))
    }
}
