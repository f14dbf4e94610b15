#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// How a `SandboxAPI` behaves: where it keeps state, how fast time moves, how strict the limits are.
package struct SandboxOptions: Sendable {
    /// Where state (messages, ids, rate-limit history) persists; nil keeps it in memory only.
    package var stateFile: URL?
    /// Where one JSON line per request is appended; nil for none.
    package var logFile: URL?
    /// The per-key rate limit; nil turns it off.
    package var rateLimit: SandboxRateLimit?
    /// How long a key is refused (429) after exceeding the rate limit.
    package var cooldown: TimeInterval
    /// How fast message statuses move from one stage to the next.
    package var stageInterval: TimeInterval
    /// How long the slow-response magic number makes the server wait.
    package var slowResponseDelay: TimeInterval
    /// The clock. Statuses and rate limits are computed from it, so tests can drive time.
    package var now: @Sendable () -> Date
    /// Whether the README's example messages exist (`SandboxMessage.seeds`: 3851834 on WhatsApp,
    /// 4829174 on SMS, …), so that every command README and docs/ show works against a fresh sandbox.
    package var seedMessages: Bool
    /// How many of a key's newest messages its status lookups still know; older ones get 400
    /// "not found", as from an API that forgets (the real one lists only a key's last 100, and
    /// may forget more). nil: all of them.
    package var statusMemory: Int?
    /// Whether a state file gets keys of its own (random, kept in it) instead of the fixed
    /// public ones; what `octopods sandbox` and `--sandbox` use.
    package var randomKeys = false

    package init(
        stateFile: URL? = nil,
        logFile: URL? = nil,
        rateLimit: SandboxRateLimit? = .standard,
        cooldown: TimeInterval = 300,
        stageInterval: TimeInterval = 2,
        slowResponseDelay: TimeInterval = 40,
        now: @escaping @Sendable () -> Date = { Date() },
        seedMessages: Bool = true
    ) {
        self.seedMessages = seedMessages
        self.stateFile = stateFile; self.logFile = logFile; self.rateLimit = rateLimit
        self.cooldown = cooldown; self.stageInterval = stageInterval
        self.slowResponseDelay = slowResponseDelay; self.now = now
    }

    /// `${XDG_STATE_HOME:-$HOME/.local/state}/octopods/sandbox.json`. A relative or empty
    /// `XDG_STATE_HOME` is ignored, as the XDG spec asks.
    package static func defaultStateFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        XDGDirectory.state.octopods(environment: environment, home: XDGDirectory.home(environment: environment))
            .appendingPathComponent("sandbox.json")
    }
}
