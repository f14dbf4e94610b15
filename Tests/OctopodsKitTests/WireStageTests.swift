import Foundation
import Testing
@testable import OctopodsKit

/// "Was it sent?" (docs/linux-notes.md): every curl result code × every stage the client can
/// observe × whether the libcurl reports the "ready" stage. The decision never comes from a
/// counter libcurl fills in afterwards (CURLINFO_REQUEST_SIZE reads 0 after a cut-short
/// transfer in libcurl 8.7.0–8.7.1).
@Suite struct WireStageTests {
    static let codes: [Int32] = Array(1...99)

    /// Whether the mapped failure lets a send be retried as "not sent".
    static func notSent(_ error: TransportError) -> Bool {
        if case .cancelled(let requestSent) = error { return !requestSent }
        return error.certainlyNotSent
    }

    static func map(_ code: Int32, _ stage: WireStage, exact: Bool, detail: String = "detail") -> TransportError {
        CurlTransport.map(code: code, detail: detail, stage: stage, exact: exact, seconds: 2, trustStore: "system")
    }

    @Test(arguments: WireStage.allCases, [true, false])
    func everyCodeAtEveryStage(_ stage: WireStage, _ exact: Bool) {
        for code in Self.codes {
            let error = Self.map(code, stage, exact: exact)
            let expectNotSent: Bool
            if stage >= .ready {
                expectNotSent = false  // the request was being written, or had been: possibly processed
            } else if exact || stage == .none {
                expectNotSent = true  // libcurl never said "ready": no request byte left
            } else {
                expectNotSent = CurlTransport.beforeRequestCodes.contains(code)  // an old libcurl: only pre-request codes prove it
            }
            #expect(Self.notSent(error) == expectNotSent, "code \(code) at \(stage), exact \(exact): \(error)")
        }
    }

    @Test(arguments: [
        // (code, stage, exact, what it must be)
        (Int32(7), WireStage.connecting, true, TransportError.cannotConnect("detail")),
        (6, .none, true, .dnsFailure("detail")),
        (28, .connecting, true, .cannotConnect("no connection within 2s")),
        (28, .ready, true, .timedOut(seconds: 2)),
        (28, .requestSent, false, .timedOut(seconds: 2)),
        (56, .requestSent, true, .connectionLost("detail (after the whole request was sent)")),
        (55, .requestStarted, true, .connectionLost("detail (while the request was being sent)")),
        (52, .requestSent, true, .connectionLost("detail (after the whole request was sent)")),
        (56, .responseBegun, true, .connectionLost("detail (after the response began)")),
        // libcurl 8.7.1 after a reset once the request went out: it was sent, whatever REQUEST_SIZE says
        (56, .requestSent, false, .connectionLost("detail (after the whole request was sent)")),
        (35, .connecting, true, .tls(TLSFailure(cause: .handshake, detail: "detail", trustStore: "system"))),
        (35, .connecting, false, .tls(TLSFailure(cause: .handshake, detail: "detail", trustStore: "system"))),
        // A TLS error after the handshake (an alert once the request went out): possibly processed.
        (35, .requestSent, true, .connectionLost("TLS error after the handshake: detail (after the whole request was sent)")),
        (56, .ready, true, .connectionLost("detail (as the request was about to be written)")),
        (42, .connecting, true, .cancelled(requestSent: false)),
        (42, .requestStarted, true, .cancelled(requestSent: true)),
        (42, .connecting, false, .cancelled(requestSent: true)),
        (1, .responseBegun, true, .badResponse("detail")),
        (8, .responseBegun, true, .badResponse("detail")),
    ])
    func namedCases(_ code: Int32, _ stage: WireStage, _ exact: Bool, _ expected: TransportError) {
        #expect(Self.map(code, stage, exact: exact) == expected)
    }

    @Test(arguments: [
        (Int32(60), "SSL certificate problem: certificate has expired", TLSFailure.Cause.expired),
        (60, "SSL certificate problem: unable to get local issuer certificate", .untrusted),
        (60, "SSL certificate problem: self-signed certificate", .untrusted),
        (60, "SSL certificate problem: self signed certificate in certificate chain", .untrusted),
        (60, "SSL: no alternative certificate subject name matches target host name '127.0.0.1'", .wrongHost),
        (60, "SSL: certificate subject name 'other.test' does not match target host name 'x'", .wrongHost),
        (77, "error setting certificate file: /nope.pem", .trustStoreUnreadable),
        (35, "OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number", .handshake),
        (35, "OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to 127.0.0.1:1", .handshake),
        (60, "server certificate verification failed. CAfile: /etc/ssl/certs/ca-certificates.crt CRLfile: none", .untrusted),
    ])
    func tlsCauses(_ code: Int32, _ detail: String, _ cause: TLSFailure.Cause) {
        #expect(CurlTransport.tlsCause(code: code, detail: detail) == cause)
    }

    @Test func theDecisionReadsNoCounter() throws {
        // The shim reports stages only: no request-size field to read after a failure.
        let header = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/CCurlShim/curl_shim.c")
        let text = try String(contentsOf: header, encoding: .utf8)
        #expect(!text.contains("REQUEST_SIZE") && !text.contains("0x20000C"))
    }
}
