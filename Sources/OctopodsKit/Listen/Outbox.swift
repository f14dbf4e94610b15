#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// The durable queue of events `listen` still has to deliver (`--forward-to`, `--exec`): one
/// file per profile under the state directory, appended one line per change and synced to disk
/// before the event counts as seen, so stopping `listen` any way (SIGTERM, SIGKILL, a reboot)
/// loses none. `{"id","body"}` adds an event (its exact bytes, so a repeat is byte for byte the
/// same); `{"ack"}` marks one acknowledged. The file is emptied whenever nothing is waiting.
///
/// One `listen` per outbox: the file stays locked (`flock`) while it runs.
package final class Outbox {
    package struct Item: Sendable, Equatable {
        package var id: String
        package var body: [UInt8]
    }

    package let url: URL
    private let fd: Int32
    /// Oldest first.
    package private(set) var pending: [Item] = []

    package init(url: URL) throws(OctopodsError) {
        self.url = url
        let fd: Int32
        do throws(SystemFile.Failure) {
            try SystemFile.makePrivateDirectory(url.deletingLastPathComponent())
            guard let opened = try SystemFile.openOwned(url, flags: O_RDWR | O_APPEND, create: true) else {
                throw SystemFile.Failure(path: url.path, errno: ENOENT)
            }
            fd = opened
        } catch {
            throw .configuration("cannot use the event queue \(error.description)")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw .configuration(
                "another 'octopods listen' is delivering this profile's events (\(url.path) is locked)",
                hint: "Stop it first; one listen per profile delivers its events.")
        }
        self.fd = fd
        let data: Data
        do throws(SystemFile.Failure) {
            lseek(fd, 0, SEEK_SET)
            data = try SystemFile.readAll(fd, path: url.path)
        } catch {
            close(fd)
            throw .configuration("cannot read the event queue \(error.description)")
        }
        var acknowledged: Set<String> = []
        var added: [Item] = []
        // A line cut short by a kill mid-write does not parse and is skipped; its event was not
        // synced, so it was never reported either.
        for line in data.split(separator: 0x0A) {
            guard let object = try? JSONValue.parse(Data(line)) else { continue }
            if let id = object["ack"]?.stringValue {
                acknowledged.insert(id)
            } else if let id = object["id"]?.stringValue, let body = object["body"]?.stringValue {
                added.append(Item(id: id, body: Array(body.utf8)))
            }
        }
        var seen: Set<String> = []
        pending = added.filter { !acknowledged.contains($0.id) && seen.insert($0.id).inserted }
        if pending.isEmpty { ftruncate(fd, 0) } else if data.last != 0x0A { _ = SystemFile.writeAll(fd, [0x0A]) }
    }

    deinit { close(fd) }

    /// Queues an event unless it is already waiting; false when it was.
    @discardableResult
    package func add(_ event: ListenEvent) throws(OctopodsError) -> Bool {
        guard !pending.contains(where: { $0.id == event.id }) else { return false }
        let body = Array(event.json.serialized().utf8)
        let line: JSONValue = ["id": .string(event.id), "body": .string(String(decoding: body, as: UTF8.self))]
        try write(line)
        pending.append(Item(id: event.id, body: body))
        return true
    }

    /// The oldest event was acknowledged.
    package func acknowledge(_ id: String) throws(OctopodsError) {
        pending.removeAll { $0.id == id }
        if pending.isEmpty {
            // Nothing waits: the file starts over (and never grows while deliveries keep up).
            ftruncate(fd, 0)
            fdatasync(fd)
        } else {
            try write(["ack": .string(id)])
        }
    }

    private func write(_ line: JSONValue) throws(OctopodsError) {
        var bytes = Array(line.serialized().utf8)
        bytes.append(0x0A)
        if let code = SystemFile.writeAll(fd, bytes) ?? (fdatasync(fd) == 0 ? nil : errno) {
            throw .failed("cannot write the event queue \(url.path): \(String(cString: strerror(code)))")
        }
    }
}
