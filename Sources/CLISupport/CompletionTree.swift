/// The command tree as the completion renderers walk it: every visible command with its
/// path, root first, depth first. Hidden commands (and everything below them) are left out;
/// hidden options are kept where a scanner must know them (to skip their values) but are
/// never offered.
struct CompletionTree: Sendable {
    struct Node: Sendable {
        var path: [String]
        var spec: CommandSpec

        /// `templates list`; empty for the root.
        var key: String { path.joined(separator: " ") }
        var subcommands: [CommandSpec] { spec.subcommands.filter { !$0.hidden } }
        var visibleOptions: [OptionSpec] { spec.options.filter { !$0.hidden } }
    }

    let program: ProgramSpec
    let nodes: [Node]

    init(_ program: ProgramSpec) {
        self.program = program
        var nodes: [Node] = []
        func walk(_ spec: CommandSpec, _ path: [String]) {
            nodes.append(Node(path: path, spec: spec))
            for child in spec.subcommands where !child.hidden { walk(child, path + [child.name]) }
        }
        walk(program.root, [])
        self.nodes = nodes
    }

    /// The program's name as it can appear in a shell function name.
    var identifier: String {
        String(program.name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    var visibleGlobals: [OptionSpec] { program.globalOptions.filter { !$0.hidden } }

    /// Global options that take a value (hidden ones too). The scripts pass them on to the
    /// program when they ask it for dynamic candidates, so it sees the same profile, config
    /// file and base URL as the command being typed.
    var forwardedGlobals: [OptionSpec] { program.globalOptions.filter { !$0.isFlag } }

    /// A command's options that share a spelling with a global option: the parser looks up
    /// the command's own options first, so a scanner must too.
    func shadowing(_ node: Node) -> [OptionSpec] {
        let globalSpellings = Set(program.globalOptions.flatMap(Self.spellings))
        return node.spec.options.filter { !Set(Self.spellings($0)).isDisjoint(with: globalSpellings) }
    }

    /// `-o`, `--output`: how an option can be typed.
    static func spellings(_ option: OptionSpec) -> [String] {
        (option.short.map { ["-\($0)"] } ?? []) + ["--\(option.long)"]
    }

    /// Option spellings, short first, for the options given.
    static func spellings(_ options: [OptionSpec]) -> [String] {
        options.flatMap { spellings($0) }
    }
}
