import Dispatch
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
    /// The lock file's descriptor (see SandboxStateFile), open for the API's lifetime.
    private let lockFD: Int32
    private let logFile: SandboxLogFile?
    private let core: Mutex<Core>
    /// Serialises state-file writes.
    private let saveQueue = DispatchQueue(label: "octopods.sandbox.state")

    /// With a state file, several processes may serve the same state. Each holds the file's
    /// lock from a request until its changes are saved: it reloads what another process saved
    /// when it takes the lock, and the others wait (at most a save interval) while it holds
    /// it, so no two processes ever work from stale copies (ids never repeat, no change is
    /// lost). A lone process keeps the lock between requests while changes are pending, so
    /// saves are still batched (at most every 0.25 s) as they were before sharing.
    private struct Core {
        var state: SandboxState
        var records: [SandboxLoggedRequest] = []
        /// The file as last loaded or saved: another process changed it when this differs.
        var stamp: SandboxStateFile.Stamp?
        /// Whether this process holds the state file's lock now.
        var locked = false
        /// A change not yet saved.
        var dirty = false
        /// A save is writing the file (outside the mutex, still under the file's lock).
        var saving = false
        var saveScheduled = false
        var lastSave: DispatchTime?
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
        let (response, saveDelay, record) = core.withLock { core -> (SandboxResponse, TimeInterval?, SandboxLoggedRequest) in
            if stateFile != nil { acquire(&core) }
            // The time is read under the lock, so requests are handled in the order of their
            // times: the rate limit's window never counts a later request before an earlier
            // one (a thread preempted between reading the clock and taking the lock would).
            let now = options.now()
            let call = SandboxCall(request: request, options: options, now: now)
            var record = SandboxLoggedRequest(request: request, time: now)
            let outcome = call.answer(state: &core.state)
            record.status = outcome.response.status
            record.messageID = outcome.messageID
            if let value = request.header(SandboxCall.authHeader) {
                record.key = core.state.key(value)?.role ?? "(other)"
            }
            core.records.append(record)
            if core.records.count > Self.recordLimit { core.records.removeFirst(core.records.count - Self.recordLimit) }
            var delay: TimeInterval?
            if stateFile != nil {
                if outcome.stateChanged { core.dirty = true }
                if core.dirty, !core.saveScheduled {
                    core.saveScheduled = true
                    let current = DispatchTime.now().uptimeNanoseconds
                    let elapsed = core.lastSave.map { Double(current - min(current, $0.uptimeNanoseconds)) / 1e9 }
                    delay = max(0, Self.saveInterval - (elapsed ?? Self.saveInterval))
                } else if !core.dirty, !core.saving {
                    release(&core)
                }
            }
            // The Date header tells the sandbox's time (its clock may be a test's), as a real
            // server's tells its own: `doctor` measures the clock's skew by it.
            var response = outcome.response
            if !response.headers.contains(where: { HTTPRequestParser.nameMatches($0.name, lowercased: "date") }) {
                response.headers.append(
                    HTTPField("Date", SandboxServer.httpDate(time_t(min(max(now.timeIntervalSince1970, 0), 253_402_300_799)))))
            }
            return (response, delay, record)
        }
        if let saveDelay {
            saveQueue.asyncAfter(deadline: .now() + saveDelay) { [self] in savePending() }
        }
        logFile?.append(record)
        return response
    }

    /// Takes the state file's lock if this process does not hold it, and reloads the state
    /// when another process saved it since. (Failures leave the state in memory as it is.)
    private func acquire(_ core: inout Core) {
        guard let stateFile, !core.locked else { return }
        while flock(lockFD, LOCK_EX) != 0 {
            guard errno == EINTR else {
                core.lastSaveError = "cannot lock \(stateFile.lockURL.path): \(String(cString: strerror(errno)))"
                return
            }
        }
        core.locked = true
        let current = stateFile.stamp()
        guard let current, current != core.stamp, !core.dirty else { return }
        do {
            if var loaded = try stateFile.load() {
                if loaded.keys == nil { loaded.keys = core.state.keys }
                core.state = loaded
                core.stamp = current
            }
        } catch {
            core.lastSaveError = "\(error)"
        }
    }

    private func release(_ core: inout Core) {
        guard core.locked else { return }
        flock(lockFD, LOCK_UN)
        core.locked = false
    }

    /// Saves a pending change under the lock this process holds, then lets the lock go unless
    /// more changes came meanwhile. Runs on `saveQueue`. The file is written outside the
    /// mutex (requests go on meanwhile), but still under the file's lock.
    private func save() throws {
        guard let stateFile else { return }
        let snapshot = core.withLock { core -> SandboxState? in
            core.saveScheduled = false
            guard core.dirty else {
                if !core.saving { release(&core) }
                return nil
            }
            acquire(&core)
            core.dirty = false
            core.saving = true
            core.lastSave = .now()
            return core.state
        }
        guard let snapshot else { return }
        var failure: Error?
        do { try stateFile.save(snapshot) } catch { failure = error }
        core.withLock { core in
            core.saving = false
            if let failure {
                core.dirty = true
                core.lastSaveError = "\(failure)"
            } else {
                core.stamp = stateFile.stamp()
                core.lastSaveError = nil
            }
            if !core.dirty { release(&core) }
        }
        if let failure { throw failure }
    }

    /// Writes the state file now if a change is not saved yet (a no-op without a file).
    package func flush() throws {
        guard stateFile != nil else { return }
        try saveQueue.sync { try save() }
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

    /// Runs on `saveQueue`: writes the state if it changed since the last write (a failure is
    /// kept for `lastSaveError`, and the change stays pending).
    private func savePending() {
        try? save()
    }
}
