import Foundation
import Testing
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The repository's root, from this file's place in it.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The first of `name` on the test process's PATH (then /usr/bin), or nil.
func findProgram(_ name: String) -> String? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/local/bin:/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
}

/// The HTTPS side of the tests (Tests/HTTPS/tls_lab.py): a test CA made for this run, TLS fronts
/// with good and bad certificates before the tests' plain-HTTP loopback servers, and a CONNECT
/// proxy. One Python process for the whole test run, asked one line at a time.
final class TLSLab: Sendable {
    enum Certificate: String, Sendable { case good, expired, wronghost, untrusted }
    enum Mode: String, Sendable {
        /// TLS in front of the backend: faults of the backend reach the client over TLS.
        case relay
        /// Closes the connection during the handshake.
        case refuse
        /// Completes the handshake, reads the request, answers with a TLS alert.
        case alert
    }

    struct Stats: Sendable {
        var connections: Int
        var handshakes: Int
        /// The request heads a proxy or an `alert` front read.
        var heads: [String]
    }

    static let shared: Result<TLSLab, any Error> = Result { try TLSLab() }

    /// The lab, or the reason it cannot run (recorded as the test's failure).
    static func get() throws -> TLSLab { try shared.get() }

    private let child: Child
    private let input: Int32
    private let output: Int32
    private let lock = Mutex<Data>(Data())
    private let caPath = Mutex<String>("")
    /// The test CA's certificate: what SSL_CERT_FILE points at to trust the fronts.
    var ca: String { caPath.withLock { $0 } }

    private init() throws {
        guard let python = findProgram("python3") else { throw LabError("python3 is not installed (see .ci/run)") }
        let stdin = try pipePair(), stdout = try pipePair()
        child = try Child(
            python, [repositoryRoot.appendingPathComponent("Tests/HTTPS/tls_lab.py").path],
            environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": NSTemporaryDirectory()],
            stdin: stdin.read, stdout: stdout.write)
        close(stdin.read); close(stdout.write)
        input = stdin.write; output = stdout.read
        let certs = try ask("certs")
        guard let path = certs["ca"] as? String else {
            throw LabError("tls_lab.py could not make the test CA (is python3-cryptography installed? see .ci/run): \(certs)")
        }
        caPath.withLock { $0 = path }
    }

    struct LabError: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }

    /// One command, one JSON line back.
    func ask(_ line: String) throws -> [String: Any] {
        try lock.withLock { pending -> [String: Any] in
            let bytes = Array((line + "\n").utf8)
            guard write(input, bytes, bytes.count) == bytes.count else { throw LabError("tls_lab.py is gone") }
            while !pending.contains(UInt8(ascii: "\n")) {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = read(output, &buffer, buffer.count)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw LabError("tls_lab.py ended (is python3-cryptography installed? see .ci/run)") }
                pending.append(contentsOf: buffer[0..<n])
            }
            let end = pending.firstIndex(of: UInt8(ascii: "\n")) ?? pending.endIndex
            let answer = pending[pending.startIndex..<end]
            pending.removeSubrange(pending.startIndex...end)
            guard let json = try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any] else {
                throw LabError("tls_lab.py answered \(String(decoding: answer, as: UTF8.self))")
            }
            if let error = json["error"] { throw LabError("tls_lab.py: \(error)") }
            return json
        }
    }

    /// A TLS front on a new port before `backend` (a plain-HTTP loopback port).
    func front(_ backend: UInt16, _ certificate: Certificate = .good, _ mode: Mode = .relay) throws -> UInt16 {
        guard let port = try ask("front \(backend) \(certificate.rawValue) \(mode.rawValue)")["port"] as? Int else {
            throw LabError("no port")
        }
        return UInt16(port)
    }

    /// A CONNECT proxy on a new port; every host name it is asked for is 127.0.0.1.
    func proxy() throws -> UInt16 {
        guard let port = try ask("proxy")["port"] as? Int else { throw LabError("no port") }
        return UInt16(port)
    }

    func stats(_ port: UInt16) throws -> Stats {
        let json = try ask("stats \(port)")
        return Stats(
            connections: json["connections"] as? Int ?? -1, handshakes: json["handshakes"] as? Int ?? -1,
            heads: json["heads"] as? [String] ?? [])
    }

    /// What makes a run trust the test CA: SSL_CERT_FILE, as curl, git and gh users set it.
    var trust: [String: String] { ["SSL_CERT_FILE": ca] }
}

/// The libcurls the end-to-end tests run the binary with (CONTRIBUTING,
/// "HTTPS and another libcurl in the tests"). The test process itself always has the system's.
enum Libcurl: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Debian 12's libcurl 7.88 (libcurl4), which the binary loads by default.
    case system
    /// A current libcurl 8.x with its own OpenSSL: the one the `pycurl` wheel from PyPI ships,
    /// unpacked by scripts/libcurl-alt.sh into .build/libcurl-alt.
    case current
    /// The system's, made to behave like 8.7.1: CURLINFO_REQUEST_SIZE reads 0 after a failure.
    case quirky871 = "8.7.1"
    /// The system's, made to behave like 7.79.1: no pre-request callback.
    case old779 = "7.79.1"
    /// Reports 7.67.0: older than octopods supports.
    case tooOld = "7.67.0"

    var description: String { rawValue }

    /// The directory of the current libcurl, when scripts/libcurl-alt.sh has unpacked it.
    static var currentDirectory: String? {
        let directory =
            ProcessInfo.processInfo.environment["OCTOPODS_TEST_LIBCURL_DIR"]
            ?? repositoryRoot.appendingPathComponent(".build/libcurl-alt/lib").path
        return access(directory + "/libcurl.so.4", R_OK) == 0 ? directory : nil
    }

    /// The fake libcurl (Tests/HTTPS/fake_libcurl.c), built once per test run with cc.
    static let fake: Result<String, any Error> = Result {
        guard let cc = findProgram("cc") ?? findProgram("gcc") else { throw TLSLab.LabError("no C compiler (cc) for the fake libcurl") }
        let directory = scratchDirectory().appendingPathComponent("fake-libcurl")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let result = try spawnAndWait(
            cc,
            [
                "-shared", "-fPIC", "-O1", "-o", directory.appendingPathComponent("libcurl.so.4").path,
                repositoryRoot.appendingPathComponent("Tests/HTTPS/fake_libcurl.c").path, "-ldl",
            ],
            environment: ["PATH": "/usr/local/bin:/usr/bin:/bin"], input: Data(), timeout: 120)
        guard result.status == 0 else {
            throw TLSLab.LabError("cc failed: \(String(decoding: result.stderr, as: UTF8.self))")
        }
        return directory.path
    }

    /// The environment that makes the binary load this libcurl; nil when it is not here (the
    /// current 8.x outside CI: recorded as an issue under CI, where .ci/run provides it).
    func environment() throws -> [String: String]? {
        switch self {
        case .system:
            return [:]
        case .current:
            guard let directory = Self.currentDirectory else {
                if ProcessInfo.processInfo.environment["CI"] != nil {
                    Issue.record("the second libcurl is missing: .ci/run runs scripts/libcurl-alt.sh")
                }
                return nil
            }
            return ["LD_LIBRARY_PATH": directory]
        case .quirky871, .old779, .tooOld:
            return [
                "LD_LIBRARY_PATH": try Self.fake.get(), "OCTO_FAKE_VERSION": rawValue,
                "OCTO_REAL_LIBCURL": "/usr/lib/x86_64-linux-gnu/libcurl.so.4",
            ]
        }
    }

    /// The libcurls a "both libcurls" test runs with.
    static let both: [Libcurl] = [.system, .current]
}
