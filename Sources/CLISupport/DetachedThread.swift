#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// A thread of its own for work that blocks (libcurl, accept, a signal pipe), so it never holds
/// one of Swift's cooperative threads. What `Thread.detachNewThread` does, without full Foundation
/// (FoundationEssentials has no `Thread`; docs/linux-notes.md, "A lean static binary").
package enum DetachedThread {
    /// Runs `body` on a new detached thread. Falls back to running it on the calling thread if
    /// the system refuses a thread, so the work is never lost.
    package static func run(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body))
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let started = pthread_create(
            &thread, &attributes,
            { raw in
                guard let raw else { return nil }
                let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                box.body()
                return nil
            }, box.toOpaque())
        if started != 0 {
            box.release()
            body()
        }
    }

    private final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}

/// A serial queue for work that may block (a file lock: the history's, the rate budget's; the journal's writes and fsyncs):
/// it waits there, never on Swift's cooperative pool, whose two threads (on two cores) a bulk
/// run's workers share (docs/linux-notes.md, "Blocking calls stay off Swift's cooperative threads").
package final class BlockingQueue: Sendable {
    private let queue: DispatchQueue

    package init(_ label: String) { queue = DispatchQueue(label: label) }

    package func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result { () throws(E) -> T in try body() }) }
        }
        return try result.get()
    }
}
