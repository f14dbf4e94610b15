#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import CLISupport
import OctopodsSandbox

/// A sandbox running in this process: the API simulation behind the HTTP server.
package struct RunningSandbox: Sendable {
    package let api: SandboxAPI
    package let server: SandboxServer
    package var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// Stops serving and saves the state.
    package func stop() throws(OctopodsError) {
        server.stop()
        do {
            try api.flush()
        } catch {
            throw .failed("could not save the sandbox state: \(PlainText.describe(error))")
        }
    }
}

/// The sandbox --sandbox starts for one command: on an ephemeral port, with the default
/// state file and its own keys, started on first use and stopped when the command ends.
package final class EmbeddedSandbox: Sendable {
    private let state = Mutex<RunningSandbox?>(nil)
    private let environment: [String: String]
    private let configLocation: (URL, String)

    package init(_ ctx: Context) {
        environment = ctx.environment
        configLocation = Settings.configLocation(ctx)
    }

    /// What names the shared rate budget of its keys: its state file, which outlives the port.
    package var budgetIdentity: String {
        "sandbox " + SandboxOptions.defaultStateFile(environment: environment).path
    }

    package static func launch(
        options: SandboxOptions, port: Int, reset: Bool,
        requestDeadline: Double? = nil
    ) throws(OctopodsError) -> RunningSandbox {
        do {
            if reset, let file = options.stateFile { try SandboxAPI.reset(stateFile: file) }
            let api = try SandboxAPI(options: options)
            var limits = SandboxServer.Limits()
            if let requestDeadline { limits.requestDeadline = requestDeadline }
            let server = try SandboxServer(port: UInt16(clamping: port), limits: limits, handler: { api.handle($0) })
            server.start()
            return RunningSandbox(api: api, server: server)
        } catch {
            throw .failed("could not start the sandbox: \(PlainText.describe(error))")
        }
    }

    /// Settings pointing at the sandbox, starting it on first call.
    package func settings() throws(OctopodsError) -> Settings {
        let running = try state.withLock { current throws(OctopodsError) -> RunningSandbox in
            if let current { return current }
            var options = SandboxOptions()
            options.stateFile = SandboxOptions.defaultStateFile(environment: environment)
            options.randomKeys = true
            let started = try Self.launch(options: options, port: 0, reset: false)
            current = started
            return started
        }
        let source = "--sandbox"
        // The state's own keys (random, kept in the state file), as `octopods sandbox` prints them.
        let known = running.api.keys()
        func value(_ role: String) -> String { known.first { $0.role == role }?.value ?? role }
        let keys: [Channel: SourcedValue] = [
            .whatsapp: SourcedValue(value: value(SandboxKeys.whatsapp), source: source),
            .sms: SourcedValue(value: value(SandboxKeys.sms), source: source),
            .vbm: SourcedValue(value: value(SandboxKeys.vbm), source: source),
        ]
        return Settings(
            profile: SourcedValue(value: "sandbox", source: source),
            configURL: configLocation.0, configSource: configLocation.1,
            config: nil, baseURL: SourcedValue(value: running.baseURL, source: source), keys: keys)
    }

    /// Stops the server and saves the state (so a later `--sandbox status` sees this run's
    /// sends, whether the command succeeded or not). Returns a warning when saving failed.
    package func stop() -> String? {
        guard let running = state.withLock({ $0 }) else { return nil }
        do {
            try running.stop()
            return nil
        } catch {
            return error.message()
        }
    }
}
