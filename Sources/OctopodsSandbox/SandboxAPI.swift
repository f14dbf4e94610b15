import Dispatch
import Foundation
import Synchronization
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// The simulated Octopods API: a stateful fake of the documented endpoints, for scripts under
/// development and for end-to-end tests. The HTTP server calls `handle` for every request.
package final class SandboxAPI: Sendable {
    /// The templates every sandbox serves.
    package static let seedTemplates: [SandboxTemplate] = SandboxTemplate.seeds
    /// Recipient numbers with special behaviour.
    package static let magicNumbers: [SandboxMagicNumber] = SandboxMagicNumber.all
    /// The keys the sandbox accepts.
    package static let keys: [SandboxKey] = SandboxKeys.all

    /// How many request records `recordedRequests()` keeps.
    static let recordLimit = 10_000

    package let options: SandboxOptions
    private let stateFile: SandboxStateFile?
    /// The lock file's descriptor (see SandboxStateFile), open for the API's lifetime.
    private let lockFD: Int32
    private let logFile: SandboxLogFile?
    private let core: Mutex<Core>

    private struct Core {
        var state: SandboxState
        var records: [SandboxLoggedRequest] = []
        /// The file as last loaded or saved: another process changed it when this differs.
        var stamp: SandboxStateFile.Stamp?
        /// A change not yet saved (its save failed); `flush` tries again.
        var dirty = false
        var lastSaveError: String?
    }

    /// Loads the state file (if any) and opens the request log (if any).
    /// Throws `SandboxFileError` naming the file when either is unusable.
    package init(options: SandboxOptions) throws {
        self.options = options
        let stateFile = options.stateFile.map { SandboxStateFile(url: $0) }
        self.stateFile = stateFile
        var state = SandboxState()
        var stamp: SandboxStateFile.Stamp?
        var lockFD: Int32 = -1
        if let stateFile {
            lockFD = try stateFile.openLock()
            do {
                try SandboxStateFile.withLock(lockFD) {
                    if let loaded = try stateFile.load() { state = loaded }
                    if options.randomKeys, state.keys == nil {
                        state.keys = SandboxKeys.randomValues()
                        try stateFile.save(state)
                    }
                    stamp = stateFile.stamp()
                }
            } catch {
                close(lockFD)
                throw error
            }
        }
        self.lockFD = lockFD
        logFile = try options.logFile.map { try SandboxLogFile(url: $0) }
        core = Mutex(Core(state: state, stamp: stamp))
    }

    deinit {
        if lockFD >= 0 { close(lockFD) }
    }

    /// The keys this sandbox accepts (its state's own, or the fixed ones).
    package func keys() -> [SandboxKey] {
        core.withLock { $0.state.keySet }
    }

    /// Answers one request. Never crashes, whatever the input.
    package func handle(_ request: SandboxRequest) -> SandboxResponse {
        // Only requests addressed to a loopback name: a web page that rebinds its own
        // domain to 127.0.0.1 sends its own name in Host, and is refused.
        if let host = request.header("Host"), !Loopback.isLoopback(host: Loopback.hostPart(ofHeader: host)) {
            return (["error": "Forbidden: the sandbox answers only requests addressed to 127.0.0.1 or localhost"] as SandboxJSON)
                .response(status: 403)
        }
        let now = options.now()
        let call = SandboxCall(request: request, options: options, now: now)
        var record = SandboxLoggedRequest(request: request, time: now)
        let response = core.withLock { core -> SandboxResponse in
            let outcome: SandboxCall.Outcome
            if let stateFile {
                outcome = answerShared(call, stateFile: stateFile, core: &core)
            } else {
                outcome = call.answer(state: &core.state)
            }
            record.status = outcome.response.status
            record.messageID = outcome.messageID
            if let value = request.header(SandboxCall.authHeader) {
                record.key = core.state.key(value)?.role ?? "(other)"
            }
            core.records.append(record)
            if core.records.count > Self.recordLimit { core.records.removeFirst(core.records.count - Self.recordLimit) }
            return outcome.response
        }
        logFile?.append(record)
        return response
    }

    /// Lock, reload what another process saved, answer, save the change, unlock.
    private func answerShared(_ call: SandboxCall, stateFile: SandboxStateFile, core: inout Core) -> SandboxCall.Outcome {
        var outcome: SandboxCall.Outcome?
        do {
            try SandboxStateFile.withLock(lockFD) {
                let current = stateFile.stamp()
                if let current, current != core.stamp, !core.dirty, var loaded = try stateFile.load() {
                    if loaded.keys == nil { loaded.keys = core.state.keys }
                    core.state = loaded
                    core.stamp = current
                }
                let answered = call.answer(state: &core.state)
                outcome = answered
                if answered.stateChanged || core.dirty {
                    core.dirty = true
                    try stateFile.save(core.state)
                    core.dirty = false
                    core.stamp = stateFile.stamp()
                }
            }
            core.lastSaveError = nil
        } catch {
            core.lastSaveError = "\(error)"
        }
        return outcome ?? call.answer(state: &core.state)
    }

    /// Writes the state file now if a change is not saved yet (a no-op without a file).
    package func flush() throws {
        guard let stateFile else { return }
        try core.withLock { core throws in
            guard core.dirty else { return }
            try SandboxStateFile.withLock(lockFD) {
                try stateFile.save(core.state)
                core.dirty = false
                core.stamp = stateFile.stamp()
            }
        }
    }

    /// Every request answered so far (the newest 10,000), oldest first.
    package func recordedRequests() -> [SandboxLoggedRequest] {
        core.withLock { $0.records }
    }

    /// The last failure of a background save, if the latest one failed.
    package func lastSaveError() -> String? {
        core.withLock { $0.lastSaveError }
    }

    /// Deletes the state file, so the next sandbox starts empty; only a file that is a
    /// sandbox state (see SandboxStateFile.reset).
    package static func reset(stateFile: URL) throws {
        try SandboxStateFile.reset(stateFile)
    }
}
