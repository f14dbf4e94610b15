import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Refuses every redirect. On Linux, URLSession copies *all* headers, the API key
/// included, onto a redirect to any origin, and a per-task delegate is silently ignored
/// (swift-on-linux.md §3), so this must be the *session* delegate. With the redirect
/// refused, the task completes with the 3xx response itself and the API client reports it.
final class RefuseRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

/// The live transport. Two Linux quirks shape it (swift-on-linux.md §4): URLSession
/// truncates `timeoutInterval` to whole seconds and treats it as an idle timeout, so the
/// session gets the timeout rounded up and the exact overall deadline is enforced here by
/// racing the request against a sleep.
package final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    private let timeout: Double

    package init(timeout: Double) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = max(1, timeout.rounded(.up))
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpMaximumConnectionsPerHost = 4
        session = URLSession(configuration: configuration, delegate: RefuseRedirects(), delegateQueue: nil)
        self.timeout = timeout
    }

    deinit {
        // The session retains its delegate until invalidated.
        session.finishTasksAndInvalidate()
    }

    package func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = max(1, timeout.rounded(.up))
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        let prepared = urlRequest
        let session = self.session
        let timeout = self.timeout
        do {
            return try await withThrowingTaskGroup(of: HTTPResponse.self) { group in
                group.addTask {
                    let (data, response) = try await session.data(for: prepared)
                    guard let http = response as? HTTPURLResponse else {
                        throw TransportError.badResponse("not an HTTP response")
                    }
                    var headers: [String: String] = [:]
                    for (key, value) in http.allHeaderFields {
                        if let k = key as? String, let v = value as? String { headers[k.lowercased()] = v }
                    }
                    return HTTPResponse(status: http.statusCode, headers: headers, body: data)
                }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1_000_000_000))
                    throw TransportError.timedOut(seconds: timeout)
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw TransportError.other("no result") }
                return first
            }
        } catch let error as TransportError {
            throw error
        } catch let error as URLError {
            throw Self.map(error, timeout: timeout)
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .other(String(describing: error))
        }
    }

    /// URLError codes as FoundationNetworking reports libcurl's failures (§4's catalogue).
    static func map(_ error: URLError, timeout: Double) -> TransportError {
        let detail = error.localizedDescription
        switch error.code {
        case .cannotConnectToHost, .notConnectedToInternet: return .cannotConnect(detail)
        case .cannotFindHost, .dnsLookupFailed: return .dnsFailure(detail)
        case .timedOut: return .timedOut(seconds: timeout)
        case .networkConnectionLost: return .connectionLost(detail)
        case .badServerResponse: return .connectionLost("the server closed the connection without answering")
        case .unsupportedURL: return .badResponse(detail)
        case .cancelled: return .cancelled
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return .tls(detail)
        case .unknown: return .tls(detail)  // libcurl's TLS failures arrive as -1 on Linux
        default: return .other(detail)
        }
    }
}
