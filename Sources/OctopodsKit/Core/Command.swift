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
    /// The record fields `--fields` may choose (docs/output.md); empty when the command has no
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
    /// A group that also runs by itself (`history`, with `history refresh` below it).
    case runnableGroup(any Command.Type, [CommandNode])
    case command(any Command.Type)

    package var spec: CommandSpec {
        switch self {
        case .group(var spec, let children):
            spec.subcommands = children.map(\.spec)
            return spec
        case .runnableGroup(let type, let children):
            var spec = type.spec
            spec.subcommands = children.map(\.spec)
            spec.runsItself = true
            return spec
        case .command(let type):
            return type.spec
        }
    }

    package func command(at path: [String]) -> (any Command.Type)? {
        let children: [CommandNode]
        switch self {
        case .command(let type): return path.isEmpty ? type : nil
        case .runnableGroup(let type, let nodes):
            if path.isEmpty { return type }
            children = nodes
        case .group(_, let nodes):
            children = nodes
        }
        guard let first = path.first else { return nil }
        return children.first { $0.name == first }?.command(at: Array(path.dropFirst()))
    }

    /// The node's name, without building a group's subcommands' specs as `spec` does.
    var name: String {
        switch self {
        case .group(let spec, _): return spec.name
        case .runnableGroup(let type, _), .command(let type): return type.spec.name
        }
    }
}
