import CLISupport

/// `octopods completion bash|zsh|fish`: the shell completion scripts, rendered from the
/// command specs (the committed files in completions/ are its output).
package struct Completion: Command {
    package enum Shell: String, Sendable, CaseIterable {
        case bash, zsh, fish

        /// The script, generated from `Program.spec`.
        package var script: String {
            switch self {
            case .bash: return BashCompletion(Program.spec).render()
            case .zsh: return ZshCompletion(Program.spec).render()
            case .fish: return FishCompletion(Program.spec).render()
            }
        }

        /// Where the repository keeps it (and `make install` takes it from).
        package var committedFile: String {
            switch self {
            case .bash: return "completions/octopods.bash"
            case .zsh: return "completions/_octopods"
            case .fish: return "completions/octopods.fish"
            }
        }
    }

    package static let spec = CommandSpec(
        name: "completion",
        abstract: "Print the shell completion script for bash, zsh or fish.",
        discussion: """
            The script completes commands, options, option values (channels, output formats, statuses, ...), file \
            names, and template ids from the list the last 'octopods templates list' saw (it asks 'octopods', which \
            reads a local cache and never the network). 'make install' puts the scripts where the shells look for them. \
            To install by hand: bash (with bash-completion): save it as \
            ~/.local/share/bash-completion/completions/octopods, or add 'source <(octopods completion bash)' to \
            ~/.bashrc; zsh: save it as _octopods in a directory on $fpath before compinit runs, or add \
            'source <(octopods completion zsh)' to ~/.zshrc after compinit; fish: save it as \
            ~/.config/fish/completions/octopods.fish.
            """,
        arguments: [ArgumentSpec("shell", .choice(Shell.allCases.map(\.rawValue)), help: "bash, zsh or fish.")],
        examples: [
            Example("octopods completion bash", "Print the bash script."),
            Example("octopods completion fish | source", "Load the fish completions into the running shell."),
        ])

    var shell: Shell

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        shell = arguments.positionals.first.flatMap(Shell.init) ?? .bash
    }

    package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput {
        // A script, not a result: written as it is whatever --output says (rendered, it would
        // turn into JSON when piped, and piping it is the point).
        .verbatim(shell.script)
    }
}
