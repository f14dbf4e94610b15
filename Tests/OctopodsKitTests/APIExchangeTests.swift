import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

/// `APIClient.exchange`, the path `octopods api` takes: any answer handed back as it came,
/// the key added by the client only and cut out of what comes back.
@Suite struct APIExchangeTests {
    static let key = "secret-key-0123456789"

    func endpoint(headers: [(String, String)] = [], body: Data? = nil) -> Endpoint<HTTPResponse> {
        var endpoint = Endpoint<HTTPResponse>(method: "POST", path: "/api/v1/sms/messages", family: .sms) { _ throws(DecodingProblem) in
            HTTPResponse(status: 0)
        }
        endpoint.extraHeaders = headers
        endpoint.rawBody = body
        return endpoint
    }

    @Test func errorsAndBodiesComeBackAsTheyCameWithTheKeyCutOut() async throws {
        let transport = FakeTransport { _ in
            .success(HTTPResponse(status: 400, headers: ["X-Echo": "key \(Self.key)"], body: Data(#"{"error":"bad \#(Self.key)"}"#.utf8)))
        }
        let client = APIClient(transport: transport, baseURL: "https://app.octopods.io", key: { _ throws(OctopodsError) in Self.key })
        let response = try await client.exchange(
            endpoint(
                headers: [("X-Octopods-Auth", "other"), ("Accept", "text/plain")],
                body: Data("raw".utf8)))
        #expect(response.status == 400)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"error":"bad [redacted]"}"#)
        #expect(response.headers["x-echo"] == "key [redacted]")
        let sent = try #require(transport.requests.first)
        #expect(sent.header("X-Octopods-Auth") == Self.key, "an extra header never replaces the key's")
        #expect(sent.headers.filter { $0.0.lowercased() == "x-octopods-auth" }.count == 1)
        #expect(sent.header("Accept") == "text/plain")
        #expect(sent.body == Data("raw".utf8))
    }

    @Test func noAnswerIsStillATransportError() async throws {
        let client = APIClient(
            transport: FakeTransport(error: .timedOut(seconds: 1)), baseURL: "https://app.octopods.io",
            key: { _ throws(OctopodsError) in Self.key })
        await #expect(throws: OctopodsError.self) { try await client.exchange(endpoint()) }
    }
}
