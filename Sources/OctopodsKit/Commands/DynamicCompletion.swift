import CLISupport

/// `octopods __complete NAME`: candidates for the completion scripts, one
/// `candidate<TAB>description` a line. Hidden. It must be fast and silent: it reads only
/// local files (never the network, never a prompt), and anything missing or wrong (no key,
/// no cache, an unknown name) means no candidates, exit 0.
package struct DynamicCompletion: Command {
    package static let spec = CommandSpec(
        name: "__complete",
        abstract: "Print completion candidates for the shell scripts (templates, vbm-templates: the cached template ids and names).",
        arguments: [ArgumentSpec("name", optional: true, repeating: true, help: "What to complete: templates or vbm-templates.")],
        hidden: true)

    package static var reportsFailures: Bool { false }

    var name: String?

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        name = arguments.positionals.first
    }

    package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        let channels: [String: Channel] = ["templates": .whatsapp, "vbm-templates": .vbm]
        guard let channel = name.flatMap({ channels[$0] }) else { return .none }
        // Settings.resolve, not ctx.resolvedSettings(): that one warns on stderr.
        guard ctx.sandbox == nil, let settings = try? Settings.resolve(ctx),
            let key = settings.keys[channel]?.value, !key.isEmpty
        else { return .none }
        let entries = TemplateListCache(ctx).load(baseURL: settings.baseURL.value, channel: channel, key: key)
        return .verbatim(entries.map { "\($0.id)\t\($0.name)\n" }.joined())
    }
}
