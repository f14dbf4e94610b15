import CLISupport

/// A runnable command: first a typed value built from the parsed command line (testable
/// without I/O), then behaviour against a Context.
package protocol Command: Sendable {
    static var spec: CommandSpec { get }
    /// False for commands shells call on every keystroke (`__complete`): any failure, the
    /// Runner's own included, then ends silently with exit 0.
    static var reportsFailures: Bool { get }
    /// Whether `-o csv` makes sense: lists that end up in spreadsheets (`history`).
    static var csvOutput: Bool { get }
    /// The record fields `--fields` may choose (README "Output"); empty when the command has no
    /// `--fields` or handles it itself. The Runner refuses other names before the command runs.
    static var fields: [String] { get }
    init(_ arguments: ParsedArguments) throws(OctopodsError)
    func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput
}

extension Command {
    package static var reportsFailures: Bool { true }
    package static var csvOutput: Bool { false }
    package static var fields: [String] { [] }
}

/// The command tree as data: groups and the command types at its leaves. The parser, help,
/// completions and the man page are all rendered from it.
package indirect enum CommandNode: Sendable {
    case group(CommandSpec, [CommandNode])
    case command(any Command.Type)

    package var spec: CommandSpec {
        switch self {
        case .group(var spec, let children):
            spec.subcommands = children.map(\.spec)
            return spec
        case .command(let type):
            return type.spec
        }
    }

    package func command(at path: [String]) -> (any Command.Type)? {
        guard let first = path.first else {
            if case .command(let type) = self { return type }
            return nil
        }
        guard case .group(_, let children) = self else { return nil }
        return children.first { $0.name == first }?.command(at: Array(path.dropFirst()))
    }

    /// The node's name, without building a group's subcommands' specs as `spec` does.
    var name: String {
        switch self {
        case .group(let spec, _): return spec.name
        case .command(let type): return type.spec.name
        }
    }
}
