import CLISupport
import CBuildInfo

extension Version {
    /// The commit the binary was built from (the Makefile's release build names it, with
    /// `-dirty` when the work tree had changes); nil for a plain `swift build` and builds from
    /// a source archive.
    package static let commit: String? = {
        let text = String(cString: octo_build_commit())
        return text.isEmpty ? nil : text
    }()
}

/// What `octopods --version` prints. Plain, it loads nothing (shell scripts and completion call
/// it); with -v, or --json, it also says which libcurl and TLS library this machine gives it,
/// which costs loading libcurl.
package enum VersionReport {
    package static func render(_ ctx: Context, commit: String? = Version.commit) -> String {
        let json = ctx.globals.output == OutputFormat.json.rawValue || ctx.globals.output == OutputFormat.ndjson.rawValue
        var line = "octopods \(Version.current)"
        if let commit { line += " (commit \(commit))" }
        guard ctx.globals.verbose || json else { return line + "\n" }
        let library = Libcurl.probe()
        if json {
            let document = JSONValue.object([
                ("version", .string(Version.current)),
                ("commit", commit.map(JSONValue.string) ?? .null),
                ("libcurl", library.version.map(JSONValue.string) ?? .null),
                ("tls", library.tls.map(JSONValue.string) ?? .null),
                ("libcurl_problem", library.problem.map(JSONValue.string) ?? .null),
            ])
            return document.serialized(pretty: ctx.stdoutIsTTY) + "\n"
        }
        return line + "\n" + library.describe + "\n"
    }
}
