#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The certificates TLS connections are verified against, and where that choice came from.
/// libcurl reads none of `SSL_CERT_FILE`, `SSL_CERT_DIR` or `CURL_CA_BUNDLE` itself (the last is
/// the curl tool's), so octopods passes them on as curl, git and gh users expect
/// (docs/linux-notes.md, "TLS trust"). Precedence: the profile's `ca_file` → `CURL_CA_BUNDLE` →
/// `SSL_CERT_FILE`/`SSL_CERT_DIR` → the system's.
package struct TrustStore: Sendable, Equatable {
    /// A PEM bundle (CURLOPT_CAINFO); nil: libcurl's own.
    package var file: String?
    /// A directory of hashed certificates (CURLOPT_CAPATH); nil: libcurl's own.
    package var directory: String?
    /// Where the choice came from: `ca_file in [work]`, `CURL_CA_BUNDLE`, ... or `system`.
    package var source: String

    package init(file: String? = nil, directory: String? = nil, source: String = "system") {
        self.file = file; self.directory = directory; self.source = source
    }

    package static let system = TrustStore()

    /// Empty values count as unset, as curl and OpenSSL treat them.
    package static func resolve(caFile: (value: String, source: String)?, environment: [String: String]) -> TrustStore {
        func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let caFile { return TrustStore(file: caFile.value, source: caFile.source) }
        if let bundle = env("CURL_CA_BUNDLE") { return TrustStore(file: bundle, source: "CURL_CA_BUNDLE") }
        let file = env("SSL_CERT_FILE"), directory = env("SSL_CERT_DIR")
        if file != nil || directory != nil {
            let source = [file.map { _ in "SSL_CERT_FILE" }, directory.map { _ in "SSL_CERT_DIR" }].compactMap { $0 }
            return TrustStore(file: file, directory: directory, source: source.joined(separator: " and "))
        }
        return .system
    }

    /// Where distributions keep the system's CA bundle: used when the loaded libcurl's own
    /// default does not exist on this machine (a libcurl built for another distribution).
    static let knownBundles = [
        "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Alpine, Arch
        "/etc/pki/tls/certs/ca-bundle.crt",  // Fedora, RHEL
        "/etc/ssl/ca-bundle.pem",  // openSUSE
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // RHEL 7+
    ]

    /// The store to hand libcurl: the system's is libcurl's default when that file exists,
    /// else the first of `knownBundles` that does.
    package func effective(libcurlDefault: String) -> TrustStore {
        guard file == nil, directory == nil else { return self }
        if !libcurlDefault.isEmpty, access(libcurlDefault, R_OK) == 0 { return self }
        guard let found = Self.knownBundles.first(where: { access($0, R_OK) == 0 }) else { return self }
        return TrustStore(file: found, source: libcurlDefault.isEmpty ? "system" : "system (libcurl's own \(libcurlDefault) is missing)")
    }

    /// For -v and TLS errors: `/path/ca.pem (CURL_CA_BUNDLE)`.
    package func describe(libcurlDefault: String) -> String {
        let paths = [file, directory].compactMap { $0 }
        if paths.isEmpty { return libcurlDefault.isEmpty ? "libcurl's built-in store" : "\(libcurlDefault) (system)" }
        return "\(paths.joined(separator: " and ")) (\(source))"
    }
}

/// What the transport is made with, once per run.
package struct TransportOptions: Sendable, Equatable {
    /// The whole request's deadline, in seconds.
    package var timeout: Double
    package var trust: TrustStore

    package init(timeout: Double, trust: TrustStore = .system) {
        self.timeout = timeout; self.trust = trust
    }
}
