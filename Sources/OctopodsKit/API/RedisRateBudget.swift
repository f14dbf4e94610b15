#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// The rate budget of a key in Redis, shared by every octopods process on every machine that
/// uses the store (docs/state-store.md): the same `RateBudget` as the file, read, changed and
/// written back atomically on the server with WATCH/MULTI/EXEC (optimistic: a change by another
/// process in between makes EXEC fail, and the change is made again on what it wrote). Keyed by
/// a hash of the base URL and the API key, never the key itself.
package final class RedisRateBudget: RateBudgetStore {
    let client: RedisClient
    /// `octopods:rate:<hash>`.
    let key: String

    package init(client: RedisClient, identity: String) {
        self.client = client
        key = Self.key(identity: identity)
    }

    package static func key(identity: String) -> String {
        "octopods:rate:" + SHA256.name(identity)
    }

    package var path: String? { "\(client.address.display) \(key)" }

    /// Pacing alone would break the budget the machines share: nothing is sent instead.
    package var mayPaceAlone: Bool { false }

    /// A budget nobody touched for this long is dropped by Redis (the longest pause is a day).
    static let expiry = Int(RateBudget.maxPause + 3600) * 1000

    package func update<T>(_ change: (inout RateBudget) -> T) throws(SystemFile.Failure) -> T {
        do throws(RedisError) {
            return try client.session { session throws(RedisError) -> T in
                for _ in 0..<100 {
                    let read = try session.run([["WATCH", key], ["GET", key]])
                    guard read.count == 2 else { throw RedisError.protocolError("WATCH/GET answered \(read.count) replies") }
                    let stored = try read[1].get().text ?? ""
                    var budget = RateBudget.parse(stored)
                    let result = change(&budget)
                    let updated = budget.serialized()
                    if updated == stored {
                        _ = try session.run([["UNWATCH"]])
                        return result
                    }
                    let written = try session.run([["MULTI"], ["SET", key, updated, "PX", String(Self.expiry)], ["EXEC"]])
                    guard written.count == 3 else { throw RedisError.protocolError("MULTI/SET/EXEC answered \(written.count) replies") }
                    // EXEC answers nil when another process changed the key since WATCH: again.
                    if case .array(nil) = try written[2].get() { continue }
                    return result
                }
                throw RedisError.unreachable("the budget changed under every one of 100 attempts")
            }
        } catch {
            throw SystemFile.Failure(path: client.address.display, reason: error.description)
        }
    }
}

/// The clock of a budget shared by machines: their monotonic clocks have nothing in common, so
/// times are the Redis server's (`TIME`), read once and followed with this machine's monotonic
/// clock (docs/state-store.md). Until the server answers, this machine's wall clock.
package final class RedisClock: Sendable {
    let client: RedisClient
    /// Redis time minus this machine's monotonic time, once known.
    private let offset = Mutex<Double?>(nil)

    package init(client: RedisClient) { self.client = client }

    package func now() -> Double {
        let local = Pacer.Clock.systemMonotonic()
        if let known = offset.withLock({ $0 }) { return local + known }
        guard let measured = measureOffset() else { return Date().timeIntervalSince1970 }
        offset.withLock { $0 = measured }
        return local + measured
    }

    /// The server's time minus this machine's monotonic time, from the `TIME` exchange with
    /// the shortest round trip of a few (its error is at most half that round trip; the
    /// window's spacing adds 1% to cover it).
    func measureOffset() -> Double? {
        var best: (roundTrip: Double, offset: Double)?
        for _ in 0..<5 {
            let sent = Pacer.Clock.systemMonotonic()
            guard case .array(let parts?)? = try? client.command("TIME"), parts.count == 2,
                let seconds = parts[0].text.flatMap(Double.init), let micros = parts[1].text.flatMap(Double.init)
            else { break }
            let received = Pacer.Clock.systemMonotonic()
            let sample = (roundTrip: received - sent, offset: seconds + micros / 1e6 - (sent + received) / 2)
            if best.map({ sample.roundTrip < $0.roundTrip }) ?? true { best = sample }
        }
        return best?.offset
    }

    /// The pacer's clock for a store in Redis: the server's time; one boot for all; a process of
    /// another machine is never taken for dead (its pid means nothing here: in-flight requests
    /// age out after `RateBudget.maxInFlight`).
    package func pacerClock(wall: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Double) async throws -> Void) -> Pacer.Clock {
        var clock = Pacer.Clock(wall: wall, monotonic: { self.now() }, sleep: sleep, boot: "redis")
        clock.alive = { _ in true }
        return clock
    }
}

/// Where the state shared between processes lives: files under the state directory (one
/// machine), or a Redis server (several machines). Chosen once per run from settings.
package enum StateStore: Sendable, Equatable {
    case local
    case redis(RedisAddress)

    /// `local`, or a `redis://` URL; nil with the reason otherwise.
    package static func parse(_ text: String) -> Result<StateStore, RedisError> {
        if text == "local" || text == "file" { return .success(.local) }
        return RedisAddress.parse(text).map(StateStore.redis)
    }

    package var display: String {
        switch self {
        case .local: return "local"
        case .redis(let address): return address.display
        }
    }
}

/// One Redis connection per address for the whole run.
package final class RedisClients: Sendable {
    private let clients = Mutex<[String: (RedisClient, RedisClock)]>([:])

    package init() {}

    package func client(_ address: RedisAddress) -> (RedisClient, RedisClock) {
        clients.withLock { all in
            let name = "\(address.display) \(address.user ?? "")"
            if let existing = all[name] { return existing }
            let client = RedisClient(address)
            let made = (client, RedisClock(client: client))
            all[name] = made
            return made
        }
    }
}
