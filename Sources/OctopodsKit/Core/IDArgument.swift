import CLISupport

/// Ids typed on the command line that become one segment of a URL path (`templates get <id>`,
/// `status <id>`, the template of a send). The one place they are checked before anything is
/// sent: an id that would address something else than the one item is a usage error (exit 2).
package enum IDArgument {
    /// The id, or a usage error naming the argument (`name`, e.g. "template-id") and the command.
    package static func check(_ raw: String, name: String, path: [String]) throws(OctopodsError) -> String {
        if raw.allSatisfy({ $0.isWhitespace }) {
            // An empty segment would ask for the whole collection (`/templates/`).
            throw .usage(
                UsageError(
                    "<\(name)> is empty; give the \(name.replacingAll("-", with: " ")) to look up",
                    path: path))
        }
        return raw
    }
}
