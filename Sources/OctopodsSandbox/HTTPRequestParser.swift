#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The outcome of parsing the bytes a connection has buffered so far.
package enum HTTPParseResult: Sendable {
    /// More bytes are needed; call again once they have arrived (with the whole buffer).
    case incomplete
    /// A complete request; `consumedBytes` leading bytes of the buffer belong to it, and
    /// anything after them is the start of the next (pipelined) request.
    case request(SandboxRequest, consumedBytes: Int)
    /// The bytes can never become a valid request. The server answers `status` and closes.
    case failure(status: Int, reason: String)
}

/// The outcome of parsing only the head (request line and header section) of a request.
package enum HTTPHeadParseResult: Sendable, Equatable {
    case incomplete
    case head(HTTPRequestHead)
    case failure(status: Int, reason: String)
}

/// A request's line and header section, already checked; the body is still in the buffer.
///
/// The server works from the head rather than from a whole request so that it can answer
/// `Expect: 100-continue` (and refuse an oversized body with 413) before the body arrives.
package struct HTTPRequestHead: Sendable, Equatable {
    package var method: String
    package var target: String
    /// The minor version of `HTTP/1.x`: 0 or 1.
    package var minorVersion: Int
    package var headers: [HTTPField]
    /// Bytes taken by the head, including any blank lines before the request line and the
    /// empty line that ends the header section. The body starts at this offset.
    package var headerBytes: Int
    /// The declared body length (0 without `Content-Length`); never above the body limit.
    package var contentLength: Int
    /// Whether the connection stays open after the response: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    package var keepAlive: Bool
    /// An HTTP/1.1 request with `Expect: 100-continue` (ignored for HTTP/1.0, per RFC 9110).
    package var expectsContinue: Bool

    /// The whole request's size in bytes: head plus body.
    package var totalBytes: Int { headerBytes + contentLength }
}

/// A pure, incremental HTTP/1.1 request parser (RFC 9112), with no I/O so that it can be
/// unit tested and fuzzed.
///
/// Call it with *everything* buffered so far on a connection; it is stateless, so the
/// result depends only on those bytes, and feeding a request byte by byte gives the same
/// result as feeding it whole. Lines may end in CRLF or a bare LF (RFC 9112 §2.2 lets a
/// server accept the latter). Only `Content-Length` bodies are accepted: the sandbox has no
/// use for chunked uploads, so any `Transfer-Encoding` is refused with 411.
///
/// The parser never traps: every index is checked against the buffer before use and
/// numbers are parsed with overflow checks.
package enum HTTPRequestParser {
    package struct Limits: Sendable, Equatable {
        /// The most bytes the head may take, including the final empty line (else 431).
        package var maxHeaderBytes: Int
        /// The largest accepted `Content-Length` (else 413).
        package var maxBodyBytes: Int

        package init(maxHeaderBytes: Int = 64 * 1024, maxBodyBytes: Int = 1024 * 1024) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// Parses one complete request from the start of `bytes`.
    package static func parse(_ bytes: [UInt8], limits: Limits = Limits()) -> HTTPParseResult {
        switch parseHead(bytes, limits: limits) {
        case .incomplete:
            return .incomplete
        case .failure(let status, let reason):
            return .failure(status: status, reason: reason)
        case .head(let head):
            let total = head.totalBytes
            guard bytes.count >= total else { return .incomplete }
            let body = Data(bytes[head.headerBytes..<total])
            let request = SandboxRequest(method: head.method, target: head.target, headers: head.headers, body: body)
            return .request(request, consumedBytes: total)
        }
    }

    /// Parses one complete request from the start of `bytes`.
    package static func parse(_ bytes: Data, limits: Limits = Limits()) -> HTTPParseResult {
        parse([UInt8](bytes), limits: limits)
    }

    /// Parses the head of the request at the start of `bytes`; the body need not have arrived.
    package static func parseHead(_ bytes: [UInt8], limits: Limits = Limits()) -> HTTPHeadParseResult {
        let count = bytes.count
        let headLimit = max(0, limits.maxHeaderBytes)
        // Only bytes within the head limit can belong to an acceptable head.
        let scanEnd = min(count, headLimit)
        var pos = 0

        // RFC 9112 §2.2: ignore empty lines received before the request line (clients
        // sometimes send a stray CRLF after a POST body).
        while pos < scanEnd {
            let byte = bytes[pos]
            if byte == lf {
                pos += 1
            } else if byte == cr {
                guard pos + 1 < scanEnd else { break }
                guard bytes[pos + 1] == lf else { return .failure(status: 400, reason: "Bare CR in request") }
                pos += 2
            } else {
                break
            }
        }

        var requestLine: (method: String, target: String, minor: Int)?
        var headers: [HTTPField] = []

        while true {
            // Find the end of the line starting at `pos`, within the head limit.
            var lfIndex: Int?
            var index = pos
            while index < scanEnd {
                if bytes[index] == lf { lfIndex = index; break }
                index += 1
            }
            guard let lineFeed = lfIndex else {
                return count >= headLimit ? .failure(status: 431, reason: "Request header section too large") : .incomplete
            }
            var lineEnd = lineFeed
            if lineEnd > pos, bytes[lineEnd - 1] == cr { lineEnd -= 1 }
            let line = bytes[pos..<lineEnd]
            pos = lineFeed + 1

            guard let parsedLine = requestLine else {
                switch parseRequestLine(line) {
                case .success(let value): requestLine = value
                case .failure(let error): return .failure(status: error.status, reason: error.reason)
                }
                continue
            }

            if line.isEmpty {
                return finishHead(
                    method: parsedLine.method, target: parsedLine.target, minor: parsedLine.minor,
                    headers: headers, headerBytes: pos, limits: limits)
            }
            switch parseHeaderLine(line) {
            case .success(let field): headers.append(field)
            case .failure(let error): return .failure(status: error.status, reason: error.reason)
            }
        }
    }

    // MARK: - Pieces

    private struct ParseError: Error {
        var status: Int
        var reason: String
        init(_ status: Int, _ reason: String) { self.status = status; self.reason = reason }
    }

    private static let cr: UInt8 = 13
    private static let lf: UInt8 = 10
    private static let space: UInt8 = 32
    private static let tab: UInt8 = 9
    private static let colon: UInt8 = 58

    /// RFC 9110 §5.6.2 `tchar`.
    private static func isTokenChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func ascii(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<(method: String, target: String, minor: Int), ParseError> {
        let parts = line.split(separator: space, maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(ParseError(400, "Malformed request line")) }
        let method = parts[0], target = parts[1], version = parts[2]

        guard !method.isEmpty, method.allSatisfy(isTokenChar) else {
            return .failure(ParseError(400, "Malformed method"))
        }
        // Origin-form only (RFC 9112 §3.2.1): the sandbox is no proxy, so no absolute-form,
        // and there is no use for OPTIONS' asterisk-form.
        guard target.first == UInt8(ascii: "/"), target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(ParseError(400, "Malformed request target"))
        }
        // HTTP-version = "HTTP/" DIGIT "." DIGIT
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        let bytes = Array(version)
        guard bytes.count == 8, bytes.starts(with: Array("HTTP/".utf8)),
            digits.contains(bytes[5]), bytes[6] == UInt8(ascii: "."), digits.contains(bytes[7])
        else {
            return .failure(ParseError(400, "Malformed HTTP version"))
        }
        guard bytes[5] == UInt8(ascii: "1"), bytes[7] == UInt8(ascii: "0") || bytes[7] == UInt8(ascii: "1") else {
            return .failure(ParseError(505, "HTTP version not supported"))
        }
        return .success((ascii(method), ascii(target), bytes[7] == UInt8(ascii: "1") ? 1 : 0))
    }

    private static func parseHeaderLine(_ line: ArraySlice<UInt8>) -> Result<HTTPField, ParseError> {
        guard let first = line.first else { return .failure(ParseError(400, "Empty header line")) }
        // RFC 9112 §5.2: obsolete line folding may be rejected with 400; so is whitespace
        // between the request line and the first field.
        if first == space || first == tab {
            return .failure(ParseError(400, "Obsolete line folding in header section"))
        }
        guard let colonIndex = line.firstIndex(of: colon) else {
            return .failure(ParseError(400, "Header line without a colon"))
        }
        let name = line[line.startIndex..<colonIndex]
        // No whitespace is allowed between the field name and the colon (RFC 9112 §5.1).
        guard !name.isEmpty, name.allSatisfy(isTokenChar) else {
            return .failure(ParseError(400, "Malformed header name"))
        }
        var value = line[line.index(after: colonIndex)...]
        while let byte = value.first, byte == space || byte == tab { value = value.dropFirst() }
        while let byte = value.last, byte == space || byte == tab { value = value.dropLast() }
        // field-vchar or obs-text, with SP/HTAB inside; any other control byte (including a
        // lone CR, a request-smuggling classic) is refused.
        guard value.allSatisfy({ $0 == space || $0 == tab || ($0 > 0x20 && $0 != 0x7F) }) else {
            return .failure(ParseError(400, "Invalid character in header value"))
        }
        return .success(HTTPField(ascii(name), ascii(value)))
    }

    /// ASCII case-insensitive comparison with an already-lowercase name. Byte-wise on
    /// purpose: Foundation's `caseInsensitiveCompare` costs more than the rest of the parse.
    package static func nameMatches(_ name: String, lowercased: String) -> Bool {
        var expected = lowercased.utf8.makeIterator()
        for byte in name.utf8 {
            guard let other = expected.next() else { return false }
            let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            if folded != other { return false }
        }
        return expected.next() == nil
    }

    private static func isNamed(_ field: HTTPField, _ lowercased: String) -> Bool {
        nameMatches(field.name, lowercased: lowercased)
    }

    /// Comma-separated list elements of every field with this name, without surrounding
    /// whitespace (empty elements kept).
    private static func listElements(_ headers: [HTTPField], _ lowercased: String) -> [Substring] {
        headers.filter { isNamed($0, lowercased) }.flatMap { field in
            field.value.split(separator: ",", omittingEmptySubsequences: false).map { element in
                var element = element
                while let first = element.first, first == " " || first == "\t" { element = element.dropFirst() }
                while let last = element.last, last == " " || last == "\t" { element = element.dropLast() }
                return element
            }
        }
    }

    /// Whether a comma-separated list header contains `token` (case-insensitively).
    private static func listContains(_ headers: [HTTPField], _ lowercased: String, _ token: String) -> Bool {
        listElements(headers, lowercased).contains { nameMatches(String($0), lowercased: token) }
    }

    private static func finishHead(
        method: String, target: String, minor: Int, headers: [HTTPField],
        headerBytes: Int, limits: Limits
    ) -> HTTPHeadParseResult {
        if headers.contains(where: { isNamed($0, "transfer-encoding") }) {
            return .failure(status: 411, reason: "Transfer-Encoding is not supported; send Content-Length")
        }

        var contentLength = 0
        let lengthElements = listElements(headers, "content-length")
        if !lengthElements.isEmpty {
            // RFC 9110 §8.6: repeated identical values may be treated as one; anything else is
            // an unrecoverable framing error.
            var normalized: String?
            for element in lengthElements {
                guard !element.isEmpty, element.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                    return .failure(status: 400, reason: "Invalid Content-Length")
                }
                let trimmed = String(element.drop(while: { $0 == "0" }))
                if let existing = normalized, existing != trimmed {
                    return .failure(status: 400, reason: "Conflicting Content-Length values")
                }
                normalized = trimmed
            }
            var value = 0
            for digit in (normalized ?? "").utf8 {
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
                if overflow1 || overflow2 { return .failure(status: 413, reason: "Request body too large") }
                value = sum
            }
            contentLength = value
        }
        let (_, totalOverflows) = headerBytes.addingReportingOverflow(contentLength)
        if contentLength > limits.maxBodyBytes || totalOverflows {
            return .failure(status: 413, reason: "Request body too large (limit \(limits.maxBodyBytes) bytes)")
        }

        let close = listContains(headers, "connection", "close")
        let keepAlive = minor == 1 ? !close : !close && listContains(headers, "connection", "keep-alive")
        let expectsContinue = minor == 1 && listContains(headers, "expect", "100-continue")

        return .head(
            HTTPRequestHead(
                method: method, target: target, minorVersion: minor, headers: headers,
                headerBytes: headerBytes, contentLength: contentLength,
                keepAlive: keepAlive, expectsContinue: expectsContinue))
    }
}
