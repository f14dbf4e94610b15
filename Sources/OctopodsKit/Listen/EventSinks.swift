#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// Where `listen` delivers each queued event: a URL (`--forward-to`) or a command (`--exec`).
/// nil: acknowledged; otherwise why not, and the event is tried again after a backoff.
package protocol EventSink: Sendable {
    var name: String { get }
    func deliver(_ item: Outbox.Item) async -> String?
}

/// POSTs each event, signed (Standard Webhooks); any 2xx acknowledges it.
package struct WebhookForwarder: EventSink {
    package let url: URL
    package let transport: any HTTPTransport
    package let signer: WebhookSigner
    package let now: @Sendable () -> Date

    package var name: String { APIClient.display(url) }

    /// A URL events may go to: https, or plain http to a loopback host only (as for the API);
    /// otherwise what is wrong with it.
    package static func problem(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            return "not an absolute URL (e.g. http://localhost:3000/webhooks)"
        }
        switch scheme {
        case "https": return nil
        case "http":
            return BaseURL.isLoopback(host) ? nil : "plain http is allowed only to loopback hosts (localhost, 127.0.0.1, ::1); use https"
        default: return "the scheme must be http (loopback only) or https"
        }
    }

    package func deliver(_ item: Outbox.Item) async -> String? {
        // Signed at each attempt: receivers refuse old timestamps (the specification suggests 5 minutes).
        let timestamp = Int64(now().timeIntervalSince1970.rounded(.down))
        let headers =
            [("Content-Type", "application/json"), ("User-Agent", APIClient.userAgent)]
            + signer.headers(id: item.id, timestamp: timestamp, body: item.body)
        do {
            let response = try await transport.send(HTTPRequest(method: "POST", url: url, headers: headers, body: Data(item.body)))
            return (200..<300).contains(response.status) ? nil : "HTTP \(response.status)"
        } catch {
            return OctopodsError.transport(error, readOnly: false, url: APIClient.origin(url)).message(now: now)
        }
    }
}

/// Runs a command through `/bin/sh -c` per event, the event's JSON on its stdin; exit 0
/// acknowledges it.
package struct ExecSink: EventSink {
    package let command: String
    package var name: String { "'\(command)'" }

    package init(command: String) {
        self.command = command
        signal(SIGPIPE, SIG_IGN)
    }

    package func deliver(_ item: Outbox.Item) async -> String? {
        let command = self.command
        let status: Int32 = await withCheckedContinuation { continuation in
            // waitpid blocks: on a thread of its own, never one of Swift's cooperative threads.
            DetachedThread.run { continuation.resume(returning: Self.run(command, input: item.body)) }
        }
        return status == 0 ? nil : (status == 127 ? "the command could not be started" : "the command exited \(status)")
    }

    /// The command's exit status (128 + N when killed by signal N; 127 when it could not start).
    static func run(_ command: String, input: [UInt8]) -> Int32 {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return 127 }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        // The command's output goes where listen's stderr goes: its stdout is listen's stream of events.
        posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO)
        let words = ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        // listen ignores SIGPIPE while it runs commands (a command that does not read its stdin
        // must not kill it); the command itself gets the default back.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        var pid = pid_t()
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
        close(fds[0])
        guard spawned == 0 else { close(fds[1]); return 127 }
        // A command that does not read its stdin closes the pipe early: the write fails with EPIPE.
        _ = SystemFile.writeAll(fds[1], input)
        close(fds[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}
