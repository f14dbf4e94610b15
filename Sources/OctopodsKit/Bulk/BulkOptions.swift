import CLISupport

/// The flags of a bulk send (`--from FILE` on any send command).
package struct BulkOptions: Sendable, Equatable {
    package var from: String?
    package var journal: String?
    package var newRun = false
    /// --rate as given; nil: the profile's `rate` (default 55/10s).
    package var rate: Pacer.RateFlag?
    package var concurrency = 4
    package var skipInvalid = false
    package var resendUnknown = false
    package var maxMessages: Int?
    package var yes = false
    package var phoneColumn: String?
    /// `--delimiter`: nil sniffs it from the header line.
    package var delimiter: UInt8?
    package var exclude: String?
    package var rejected: String?
    /// `--idempotency-column`: each row's idempotency key (an order id).
    package var idempotencyColumn: String?
    /// `--fields`: the keys of each row's JSON line, and the columns of `-o table`.
    package var fields: [String]?
    /// What a row's outcome can say (`--fields`).
    package static let rowFields = ["line", "phone", "status", "message_id", "error", "error_code", "note", "final_status", "failure"]

    package var isBulk: Bool { from != nil }

    /// The options, declared once.
    package enum Key {
        package static let from = OptionKey.value(
            "from", "FILE", .file,
            help:
                "Send to every row of a CSV (a header row naming the columns; comma, semicolon, tab or | between fields) or NDJSON file; - for stdin."
        )
        package static let phoneColumn = OptionKey.value(
            "phone-column", "NAME",
            help:
                "Bulk: the column that holds the phone number (default: the one named phone, phone number, mobile, msisdn, to, number or whatsapp)."
        )
        package static let delimiter = OptionKey.value(
            "delimiter", "CHAR", help: "Bulk: the CSV field delimiter: , ; tab or | (default: found from the header line).")
        package static let exclude = OptionKey.value(
            "exclude", "FILE", .file, help: "Bulk: skip the numbers in FILE (one a line, or a CSV with a phone column): opt-outs.")
        package static let rejected = OptionKey.value(
            "rejected", "FILE", .file,
            help:
                "Bulk: write the rows that were not sent because they are invalid or the API rejected them to FILE, in the input's format with a reason column, to fix and send again."
        )
        package static let journal = OptionKey.value(
            "journal", "FILE", .file,
            help:
                "Bulk: where the run records each row's state (default: one per input and command under $XDG_STATE_HOME/octopods/journals/). Run the same command again to resume."
        )
        package static let newRun = OptionKey.flag(
            "new-run",
            help:
                "Bulk: send the input again as a new run, though its journal records a finished or changed one (the old journal is kept, renamed with its time)."
        )
        package static let rate = OptionKey.value(
            "rate", "N/DURATION",
            help: "Bulk: at most N requests in any DURATION (default: the profile's rate, 55/10s, the API's limit; 'off' for none).")
        package static let concurrency = OptionKey.integer(
            "concurrency", range: 1...64, help: "Bulk: requests in flight at once (default 4).")
        package static let skipInvalid = OptionKey.flag(
            "skip-invalid", help: "Bulk: send the valid rows even when some are invalid (they are listed, then skipped).")
        package static let idempotencyColumn = OptionKey.value(
            "idempotency-column", "NAME",
            help:
                "Bulk: each row's idempotency key (an order id) is in column NAME: a row whose key was sent with the same request is not sent again (see --idempotency-key)."
        )
        package static let resendUnknown = OptionKey.flag(
            "resend-unknown",
            help: "Bulk: resend rows whose earlier request went out with no recorded answer (they may be delivered twice).")
        package static let maxMessages = OptionKey.integer(
            "max-messages", range: 1...Int(Int32.max), help: "Bulk: refuse to run if more than N messages would be sent.")
        package static let yes = OptionKey.flag(
            "yes", short: "y", help: "Bulk: do not ask for confirmation before sending more than 100 messages.")
        package static let fields = FieldSelection.key(rowFields)
    }

    package static let specs: [any DeclaredOption] = [
        Key.from, Key.phoneColumn, Key.delimiter, Key.exclude, Key.rejected, Key.journal, Key.newRun, Key.rate, Key.concurrency,
        Key.skipInvalid, Key.idempotencyColumn, Key.resendUnknown, Key.maxMessages, Key.yes, Key.fields,
    ]

    /// The options that mean something only with --from.
    static let bulkOnly: [any DeclaredOption] = [
        Key.journal, Key.newRun, Key.rate, Key.concurrency, Key.skipInvalid, Key.resendUnknown, Key.maxMessages, Key.yes,
        Key.phoneColumn, Key.delimiter, Key.exclude, Key.rejected, Key.fields, Key.idempotencyColumn,
    ]

    package init() {}

    /// Reads the flags; `--to` (the command's `to`) and `--from` exclude each other and one is required.
    /// `recipientAsked`: a missing --to is not an error here; the command asks for it at a
    /// terminal (template sends) or refuses then.
    package init(_ arguments: ParsedArguments, to: OptionKey<String?>, recipientAsked: Bool = false) throws(OctopodsError) {
        from = arguments[Key.from]
        let path = arguments.path
        // The parser keeps the last of a repeated option: a second --to would silently drop the first recipient.
        let recipients = arguments.occurrences.filter { $0.is(to) }.count
        if recipients > 1 {
            throw .usage(
                UsageError(
                    "--to is given \(recipients) times: a send has one recipient",
                    suggestion: "To send to several, put them in a file with a phone column and give it with --from FILE.", path: path))
        }
        if from == nil {
            if let option = Self.bulkOnly.first(where: { arguments.has($0) }) {
                throw .usage(UsageError("--\(option.spec.long) applies to bulk sends; give the recipients with --from FILE", path: path))
            }
            if !arguments.has(to), !recipientAsked {
                throw .usage(UsageError("give the recipient with --to PHONE, or many with --from FILE", path: path))
            }
            return
        }
        if arguments.has(to) {
            throw .usage(UsageError("--to and --from cannot be used together: --from gives the recipients", path: path))
        }
        if arguments.has(SendOptions.Key.maxWait) {
            throw .usage(
                UsageError("--max-wait is for single sends; a bulk run always waits out a 429 and sends the row again", path: path))
        }
        journal = arguments[Key.journal]
        newRun = arguments[Key.newRun]
        if let text = arguments[Key.rate] { rate = try Pacer.RateFlag(text, path: path) }
        concurrency = arguments[Key.concurrency] ?? 4
        skipInvalid = arguments[Key.skipInvalid]
        resendUnknown = arguments[Key.resendUnknown]
        maxMessages = arguments[Key.maxMessages]
        yes = arguments[Key.yes]
        phoneColumn = arguments[Key.phoneColumn]
        if let text = arguments[Key.delimiter] {
            guard let byte = CSVDialect.option(text) else {
                throw .usage(UsageError("invalid value for '--delimiter': '\(text)' is not one of , ; tab |", path: path))
            }
            delimiter = byte
        }
        fields = try FieldSelection.parse(arguments, valid: Self.rowFields)
        exclude = arguments[Key.exclude]
        rejected = arguments[Key.rejected]
        idempotencyColumn = arguments[Key.idempotencyColumn]
        if let rejected, rejected == from || rejected == exclude {
            throw .usage(UsageError("--rejected \(rejected) would overwrite an input; name another file", path: path))
        }
    }
}
