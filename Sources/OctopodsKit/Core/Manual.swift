import CLISupport

/// The man page, octopods(1), rendered from the command specs; its ENVIRONMENT and EXIT
/// STATUS come from the tables the code uses. `man/octopods.1` is its output (a test checks).
package enum Manual {
    package static let committedFile = "man/octopods.1"

    package static var page: String {
        ManPage(
            Program.spec, date: Version.date,
            environment: EnvironmentVariable.allCases.map { ManPage.Entry($0.rawValue, $0.meaning) },
            files: [
                ManPage.Entry(
                    "${XDG_CONFIG_HOME:-~/.config}/octopods/config",
                    "The config file (INI, one section per profile; mode 0600 in a 0700 directory). "
                        + "OCTOPODS_CONFIG or --config names another."),
                ManPage.Entry(
                    "${XDG_CACHE_HOME:-~/.cache}/octopods/templates/",
                    "Fetched templates, kept for \(Int(TemplateCache.lifetime / 60)) minutes so repeated sends check a template once."),
                ManPage.Entry(
                    "${XDG_CACHE_HOME:-~/.cache}/octopods/template-lists/",
                    "The template ids and names the last 'templates list' saw, for shell completion."),
                ManPage.Entry(
                    "${XDG_STATE_HOME:-~/.local/state}/octopods/history.ndjson",
                    "The history ledger: one JSON line per send and per status learned (mode 0600; no key, no message text). "
                        + "sandbox-history.ndjson beside it for --sandbox runs and loopback base URLs. See 'octopods history'."),
                ManPage.Entry(
                    "${XDG_STATE_HOME:-~/.local/state}/octopods/sandbox.json",
                    "The state of 'octopods sandbox' (messages, statuses, rate-limit history)."),
            ],
            exitStatus: ExitCode.allCases.map { ManPage.Entry("\($0.rawValue)", $0.meaning) },
            seeAlso: ["curl(1)", "jq(1)", "The Octopods API documentation: https://docs.octopods.io"]
        ).render()
    }
}
