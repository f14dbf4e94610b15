#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport

/// The sending side of one command: the settings (resolved once per run), the API client made
/// from them and the history recorder. It owns the dry run, the send and `--wait`
/// (`SendSupport.swift`), so a send never resolves settings or reads the config file again.
package struct Sender: Sendable {
    package let ctx: Context
    package let settings: Settings
    package var client: APIClient

    /// Settings resolved (once per run: `Context.resolvedSettings`) and a client made from them.
    package init(_ ctx: Context) throws(OctopodsError) {
        let settings = try ctx.resolvedSettings()
        self.init(ctx, settings: settings, client: ctx.apiClient(settings))
    }

    package init(_ ctx: Context, settings: Settings, client: APIClient) {
        self.ctx = ctx; self.settings = settings; self.client = client
    }

    /// The recorder for this send (--sandbox runs are profile "sandbox"); nil with --no-ledger
    /// or the profile's `ledger = off`.
    package func recorder(disabled: Bool) -> HistoryRecorder? {
        ctx.historyRecorder(settings, disabled: disabled)
    }
}

/// Settings resolved at most once per run: the config file is read, and its warnings said,
/// once, however many parts of a command ask. Shared by every copy of the run's Context; the
/// Runner gives each run its own. Resolved again only if what settings come from (global
/// options, environment, home, sandbox) changed, as in tests that reuse one Context.
package final class SettingsOnce: Sendable {
    struct Inputs: Equatable {
        var profile: String?
        var configPath: String?
        var baseURL: String?
        var environment: [String: String]
        var home: URL
    }

    private let stored = Mutex<(Inputs, Result<Settings, OctopodsError>)?>(nil)

    package init() {}

    func get(_ inputs: Inputs, resolve: () throws(OctopodsError) -> Settings) throws(OctopodsError) -> Settings {
        let result = stored.withLock { stored -> Result<Settings, OctopodsError> in
            if let (given, result) = stored, given == inputs { return result }
            let result = Result { () throws(OctopodsError) -> Settings in try resolve() }
            stored = (inputs, result)
            return result
        }
        return try result.get()
    }
}
