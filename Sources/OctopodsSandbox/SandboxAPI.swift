import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// The simulated Octopods API: a stateful fake of the documented endpoints, for scripts under
/// development and for end-to-end tests. The HTTP server calls `handle` for every request.
package final class SandboxAPI: Sendable {
    /// The templates every sandbox serves.
    package static let seedTemplates: [SandboxTemplate] = SandboxTemplate.seeds
    /// Recipient numbers with special behaviour.
    package static let magicNumbers: [SandboxMagicNumber] = SandboxMagicNumber.all
    /// The keys the sandbox accepts.
    package static let keys: [SandboxKey] = SandboxKeys.all

    /// The state file is rewritten at most this often while requests change state.
    static let saveInterval: TimeInterval = 0.25
    /// How many request records `recordedRequests()` keeps.
    static let recordLimit = 10_000

    package let options: SandboxOptions
    private let stateFile: SandboxStateFile?
    private let logFile: SandboxLogFile?
    private let core: Mutex<Core>
    /// Serialises state-file writes.
    private let saveQueue = DispatchQueue(label: "octopods.sandbox.state")

    private struct Core {
        var state: SandboxState
        var records: [SandboxLoggedRequest] = []
        var dirty = false
        var saveScheduled = false
        var lastSave: DispatchTime?
        var lastSaveError: String?
    }

    /// Loads the state file (if any) and opens the request log (if any).
    /// Throws `SandboxFileError` naming the file when either is unusable.
    package init(options: SandboxOptions) throws {
        self.options = options
        stateFile = options.stateFile.map { SandboxStateFile(url: $0) }
        let state = try stateFile?.load() ?? SandboxState()
        logFile = try options.logFile.map { try SandboxLogFile(url: $0) }
        core = Mutex(Core(state: state))
    }

    /// Answers one request. Never crashes, whatever the input.
    package func handle(_ request: SandboxRequest) -> SandboxResponse {
        let now = options.now()
        let call = SandboxCall(request: request, options: options, now: now)
        let persistent = stateFile != nil
        var record = SandboxLoggedRequest(request: request, time: now)
        let (response, saveDelay) = core.withLock { core -> (SandboxResponse, TimeInterval?) in
            let outcome = call.answer(state: &core.state)
            record.status = outcome.response.status
            record.messageID = outcome.messageID
            core.records.append(record)
            if core.records.count > Self.recordLimit { core.records.removeFirst(core.records.count - Self.recordLimit) }
            var delay: TimeInterval?
            if persistent, outcome.stateChanged {
                core.dirty = true
                if !core.saveScheduled {
                    core.saveScheduled = true
                    let current = DispatchTime.now().uptimeNanoseconds
                    let elapsed = core.lastSave.map { Double(current - min(current, $0.uptimeNanoseconds)) / 1e9 }
                    delay = max(0, Self.saveInterval - (elapsed ?? Self.saveInterval))
                }
            }
            return (outcome.response, delay)
        }
        if let saveDelay {
            saveQueue.asyncAfter(deadline: .now() + saveDelay) { [self] in savePending() }
        }
        logFile?.append(record)
        return response
    }

    /// Writes the state file now (a no-op without one).
    package func flush() throws {
        guard let stateFile else { return }
        try saveQueue.sync {
            let snapshot = core.withLock { core -> SandboxState in
                core.dirty = false
                core.lastSave = .now()
                return core.state
            }
            try stateFile.save(snapshot)
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

    /// Deletes the state file, so the next sandbox starts empty.
    package static func reset(stateFile: URL) throws {
        try SandboxStateFile.remove(stateFile)
    }

    /// Runs on `saveQueue`: writes the state if it changed since the last write.
    private func savePending() {
        guard let stateFile else { return }
        let snapshot = core.withLock { core -> SandboxState? in
            core.saveScheduled = false
            guard core.dirty else { return nil }
            core.dirty = false
            core.lastSave = .now()
            return core.state
        }
        guard let snapshot else { return }
        var failure: String?
        do { try stateFile.save(snapshot) } catch { failure = "\(error)" }
        core.withLock { $0.lastSaveError = failure }
    }
}
