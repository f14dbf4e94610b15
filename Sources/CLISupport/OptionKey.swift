/// An option as a command's code knows it: the spec the parser, help, completions and man page
/// read, and how its values become a `Value`. A command declares each option once, as one of
/// these, puts it in its spec's options and reads it with `arguments[key]`: no option's name is
/// written twice, and reading a key the command's spec does not list is an error
/// (`ParsedArguments.undeclaredLookups`).
package struct OptionKey<Value: Sendable>: DeclaredOption {
    package let spec: OptionSpec
    private let read: @Sendable ([String]) -> Value

    private init(_ spec: OptionSpec, read: @escaping @Sendable ([String]) -> Value) {
        self.spec = spec; self.read = read
    }

    /// The value for the strings given on the command line (none when the option is absent).
    func value(_ given: [String]) -> Value { read(given) }

    /// `--long` as users type it, for messages.
    package var flagName: String { "--\(spec.long)" }
}

/// What a command's spec lists: an option key, or a spec that no code reads by itself (`--help`).
package protocol DeclaredOption: Sendable {
    var spec: OptionSpec { get }
}

extension OptionSpec: DeclaredOption {
    package var spec: OptionSpec { self }
}

extension OptionKey where Value == Bool {
    /// A flag: true when given.
    package static func flag(_ long: String, short: Character? = nil, hidden: Bool = false, help: String) -> Self {
        Self(.flag(long, short: short, hidden: hidden, help: help)) { !$0.isEmpty }
    }
}

extension OptionKey where Value == String? {
    /// An option with one value (given twice, the last wins).
    package static func value(
        _ long: String, short: Character? = nil, _ valueName: String, _ type: ValueType = .string,
        required: Bool = false, hidden: Bool = false, completion: CompletionKind? = nil, help: String
    ) -> Self {
        let spec = OptionSpec.value(
            long, short: short, valueName, type, required: required, hidden: hidden, completion: completion, help: help)
        return Self(spec) { $0.last }
    }
}

extension OptionKey where Value == [String] {
    /// An option that may be given many times: every value, in order.
    package static func repeated(
        _ long: String, short: Character? = nil, _ valueName: String, _ type: ValueType = .string,
        completion: CompletionKind? = nil, help: String
    ) -> Self {
        Self(.value(long, short: short, valueName, type, repeatable: true, completion: completion, help: help)) { $0 }
    }
}

extension OptionKey where Value == Int? {
    /// A whole number within `range` (the parser has checked it).
    package static func integer(
        _ long: String, short: Character? = nil, _ valueName: String = "N", range: ClosedRange<Int>, hidden: Bool = false,
        help: String
    ) -> Self {
        Self(.value(long, short: short, valueName, .integer(range), hidden: hidden, help: help)) { $0.last.flatMap { Int($0) } }
    }
}

extension OptionKey where Value == Double? {
    /// A duration (`90s`, `5m`, `1h30m`), in seconds.
    package static func duration(_ long: String, _ valueName: String = "DURATION", hidden: Bool = false, help: String) -> Self {
        Self(.value(long, valueName, .duration, hidden: hidden, help: help)) { $0.last.flatMap { DurationParser.seconds($0) } }
    }
}

extension OptionKey where Value == Bool? {
    /// `true` or `false`; nil when not given.
    package static func boolean(_ long: String, _ valueName: String = "BOOL", help: String) -> Self {
        Self(.value(long, valueName, .boolean, help: help)) { $0.last.map { $0 == "true" } }
    }
}

extension DeclaredOption where Self == OptionSpec {
    /// A spec that no code reads by name (`--help`), in a list of declared options.
    package static func flag(_ long: String, short: Character? = nil, hidden: Bool = false, help: String) -> OptionSpec {
        OptionSpec.flag(long, short: short, hidden: hidden, help: help)
    }

    package static func value(
        _ long: String, short: Character? = nil, _ valueName: String, _ type: ValueType = .string,
        repeatable: Bool = false, required: Bool = false, hidden: Bool = false,
        completion: CompletionKind? = nil, help: String
    ) -> OptionSpec {
        OptionSpec.value(
            long, short: short, valueName, type, repeatable: repeatable, required: required, hidden: hidden, completion: completion,
            help: help)
    }
}
