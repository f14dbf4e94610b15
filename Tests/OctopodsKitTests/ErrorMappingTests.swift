import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

struct ErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var status: Int
    var body: String
    var readOnly = true
    var family = ErrorFamily.whatsappTemplates
    var code: ExitCode
    var message: String
    var testDescription: String { name }
}

let errorCases: [ErrorCase] = [
    ErrorCase(
        name: "400 phone", status: 400, body: #"{"request_id":"r1","error_code":5,"error":"Invalid Phone number"}"#,
        readOnly: false, code: .rejected, message: "the API rejected the request (HTTP 400)"),
    ErrorCase(
        name: "400 deprecated key WA", status: 400, body: #"{"request_id":"r","error_code":6,"error":"Deprecated API Key."}"#,
        code: .auth, message: "the WhatsApp API key is deprecated (rotated or revoked)"),
    ErrorCase(
        name: "400 deprecated key SMS", status: 400, body: #"{"error_code":5,"error":"Deprecated"}"#, family: .sms,
        code: .auth, message: "the SMS API key is deprecated (rotated or revoked)"),
    ErrorCase(
        name: "400 SMS code 3 is a phone", status: 400, body: #"{"error_code":3,"error":"x"}"#, readOnly: false, family: .sms,
        code: .rejected, message: "the API rejected the request (HTTP 400)"),
    ErrorCase(
        name: "401 no body", status: 401, body: "", code: .auth,
        message: "unauthorized: the WhatsApp API key was refused (401)"),
    ErrorCase(
        name: "401 json", status: 401, body: #"{"error":"Unauthorized"}"#, family: .vbm, code: .auth,
        message: "unauthorized: the Viber (VBM) API key was refused (401)"),
    ErrorCase(
        name: "403", status: 403, body: "", readOnly: false, family: .whatsappInteractive, code: .auth,
        message: "forbidden (403): this feature is not enabled for the account"),
    ErrorCase(
        name: "404 legacy phone", status: 404, body: #"{"error_code":5,"error":"Invalid Phone number"}"#, readOnly: false,
        code: .rejected, message: "the API rejected the request (HTTP 404)"),
    ErrorCase(
        name: "429", status: 429, body: #"{"message":"You have fired too many requests. Please try after 2026-09-21 14:17:32 UTC."}"#,
        readOnly: false, code: .retryable, message: "rate limited until 2026-09-21 14:17:32 UTC (in 4m 12s)"),
    ErrorCase(name: "429 unparsable", status: 429, body: "Too Many Requests", code: .retryable, message: "rate limited"),
    ErrorCase(
        name: "500 POST", status: 500, body: "Internal Server Error", readOnly: false, code: .unknownOutcome,
        message: "the API failed with HTTP 500"),
    ErrorCase(
        name: "502 HTML GET", status: 502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>", code: .retryable,
        message: "the API failed with HTTP 502"),
    ErrorCase(
        name: "302", status: 302, body: "", code: .auth,
        message: "the server answered 302 with a redirect; redirects are not followed, so the key is never sent elsewhere"),
]

@Suite struct ErrorMappingTests {
    let reporter = ErrorReporter(now: { fixedNow })

    /// The disposition of each API answer: only a refusal about the request itself is "refused";
    /// access problems and 429 are "not sent"; a 5xx to a send is "outcome unknown".
    @Test(arguments: [
        (400, false, #"{"error_code":5,"error":"Invalid Phone number"}"#, Disposition.refused),
        (404, false, #"{"error_code":5,"error":"Invalid Phone number"}"#, .refused),
        (400, true, #"{"error_code":1,"error":"Message not found."}"#, .refused),
        (400, false, #"{"error_code":6,"error":"Deprecated"}"#, .notSent),
        (401, false, "", .notSent),
        (403, false, "", .notSent),
        // A redirect answering a send: the request reached a server (docs/linux-notes.md, "Was it sent?").
        (302, false, "", .outcomeUnknown),
        (307, false, "", .outcomeUnknown),
        (302, true, "", .notSent),
        (429, false, #"{"message":"Please try after 2026-09-21 14:17:32 UTC."}"#, .notSent),
        (500, false, "x", .outcomeUnknown),
        (502, true, "x", .notSent),
    ])
    func apiDispositions(_ status: Int, _ readOnly: Bool, _ body: String, _ disposition: Disposition) {
        let error = OctopodsError.api(
            APIError.from(
                HTTPResponse(status: status, body: Data(body.utf8)), family: .whatsappTemplates,
                readOnly: readOnly))
        #expect(error.disposition == disposition)
        #expect(reporter.report(error).disposition == disposition)
        #expect(reporter.json(reporter.report(error)).contains(#""disposition":"\#(disposition.name)""#))
    }

    @Test func localErrorsSendNothing() {
        for error in [OctopodsError.usage(UsageError("x")), .invalidInput("x"), .configuration("x"), .failed("x"), .interrupted] {
            #expect(!error.disposition.maybeSent, "\(error)")
        }
    }

    @Test(arguments: errorCases)
    func mapsStatus(_ c: ErrorCase) {
        let response = HTTPResponse(status: c.status, body: Data(c.body.utf8))
        let report = reporter.report(OctopodsError.api(APIError.from(response, family: c.family, readOnly: c.readOnly)))
        #expect(report.code == c.code)
        #expect(report.message == c.message)
    }

    @Test func detailsCarryTheAPIsWords() {
        let response = HTTPResponse(status: 400, body: Data(#"{"request_id":"r1","error_code":5,"error":"Invalid Phone number"}"#.utf8))
        let report = reporter.report(APIError.from(response, family: .whatsappTemplates, readOnly: false))
        #expect(
            reporter.text(report) == """
                error: the API rejected the request (HTTP 400)
                  Invalid Phone number
                  PHONE_INVALID (5)
                  request_id: r1
                hint: Phone numbers must be E.164: '+', country code and number, no spaces or dashes (e.g. +14155552671).

                """)
        #expect(
            reporter.json(report)
                == #"{"error":{"kind":"api","message":"the API rejected the request (HTTP 400)","error_code":5,"request_id":"r1","retryable":false,"disposition":"refused","exit_code":1}}"#
                + "\n")
    }

    @Test func htmlBodyBecomesOneLine() {
        let response = HTTPResponse(status: 502, body: Data("<html>\n<body>\n<h1>502 Bad Gateway</h1>\n</body></html>".utf8))
        let text = reporter.text(reporter.report(APIError.from(response, family: .sms, readOnly: false)))
        #expect(text.contains("  response: <html> <body> <h1>502 Bad Gateway</h1> </body></html>\n"))
        #expect(text.contains("hint: The request may have been processed."))
    }

    @Test func unnamedCodesPrintByNumber() {
        let response = HTTPResponse(status: 400, body: Data(#"{"error_code":9,"error":"Use the object form"}"#.utf8))
        let text = reporter.text(reporter.report(APIError.from(response, family: .whatsappTemplates, readOnly: false)))
        #expect(text.contains("  error code 9\n"))
        #expect(text.contains("hint: This template has header or button placeholders"))
    }

    @Test(arguments: [
        (TransportError.cannotConnect("refused"), false, ExitCode.retryable, Disposition.notSent),
        (.dnsFailure("nope"), false, .retryable, .notSent),
        (.tls(TLSFailure(cause: .untrusted, detail: "bad cert", trustStore: "system")), false, .retryable, .notSent),
        (.timedOut(seconds: 30), false, .unknownOutcome, .outcomeUnknown),
        (.timedOut(seconds: 30), true, .retryable, .notSent),
        (.connectionLost("reset"), false, .unknownOutcome, .outcomeUnknown),
        (.connectionLost("reset"), true, .retryable, .notSent),
        (.badResponse("HTTP/0.9"), false, .unknownOutcome, .outcomeUnknown),
        (.cancelled(requestSent: true), false, .interrupted, .interrupted(requestInFlight: true)),
        (.cancelled(requestSent: false), false, .interrupted, .interrupted(requestInFlight: false)),
        (.cancelled(requestSent: true), true, .interrupted, .interrupted(requestInFlight: false)),
    ])
    func transportFailures(_ failure: TransportError, _ readOnly: Bool, _ code: ExitCode, _ disposition: Disposition) {
        let error = OctopodsError.transport(failure, readOnly: readOnly, url: "https://x.test")
        #expect(error.disposition == disposition)
        #expect(reporter.report(error).code == code)
    }

    @Test func interruptedInFlightSaysItMayHaveBeenSent() {
        let text = reporter.text(
            reporter.report(OctopodsError.transport(.cancelled(requestSent: true), readOnly: false, url: "https://x.test")))
        #expect(text.contains("may have been sent"))
        #expect(text.contains("octopods status") && text.contains("messages list") && text.contains("history"))
    }

    @Test func unconfirmedAfterAnAcceptedSendExitsSix() {
        let refused = OctopodsError.api(
            APIError.from(
                HTTPResponse(status: 400, body: Data(#"{"error_code":1,"error":"Message not found."}"#.utf8)),
                family: .sms, readOnly: true))
        let error = OctopodsError.unconfirmed(
            Unconfirmed(messageID: "5", channel: .sms, reason: "its delivery could not be confirmed", cause: refused))
        #expect(error.disposition == .sentUnconfirmed)
        let report = reporter.report(error)
        #expect(report.code == .unconfirmed)
        #expect(reporter.text(report).contains("message 5 was sent, but its delivery could not be confirmed"))
        #expect(reporter.text(report).contains("Message not found."))
        #expect(reporter.text(report).contains("octopods status 5 --channel sms"))
    }

    @Test func codeFourFollowsTheAPIsText() {
        let notApproved = APIError.from(
            HTTPResponse(status: 400, body: Data(#"{"error_code":4,"error":"Template 'order_confirmation_v1' is not approved."}"#.utf8)),
            family: .whatsappTemplates, readOnly: false)
        #expect(notApproved.name == nil)
        let text = reporter.text(reporter.report(notApproved))
        #expect(!text.contains("VARIABLES_SIZE") && text.contains("error code 4") && text.contains("approved"))
        let variables = APIError.from(
            HTTPResponse(
                status: 400, body: Data(#"{"error_code":4,"error":"Your Message Template has 2 variables which you must supply."}"#.utf8)),
            family: .whatsappTemplates, readOnly: false)
        #expect(variables.name == "VARIABLES_SIZE")
    }

    @Test func otherErrors() {
        #expect(reporter.report(OctopodsError.usage(UsageError("x"))).code == .usage)
        #expect(reporter.report(OctopodsError.invalidInput("x")).code == .usage)
        #expect(reporter.report(OctopodsError.configuration("x")).code == .auth)
        #expect(
            reporter.report(OctopodsError.unreadableResponse(status: 200, detail: "x", readOnly: false, requestID: nil)).code
                == .unknownOutcome)
        #expect(
            reporter.report(OctopodsError.unreadableResponse(status: 200, detail: "x", readOnly: true, requestID: nil)).code == .retryable)
        #expect(reporter.report(CancellationError()).code == .interrupted)
    }

    @Test(arguments: [
        (45.0, "45s"), (1.5, "1.5s"), (0.25, "0.3s"), (60, "1m"), (252, "4m 12s"), (7200, "2h"), (3900, "1h 5m"),
        (-3, "0s"), (.nan, "0s"),
    ])
    func durations(_ seconds: Double, _ text: String) {
        #expect(DurationText.format(seconds: seconds) == text)
    }

    @Test func hugeDurationsDoNotTrap() {
        #expect(DurationText.format(seconds: .infinity).hasSuffix("h"))
        #expect(DurationText.format(seconds: 1e300).hasSuffix("h"))
    }

    @Test func exitCodesAreTheContract() {
        #expect(ExitCode.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6, 130])
    }
}
