#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// The input of a bulk run: opened once, hashed, read twice (check, then send) through the same
/// descriptor, never past the checked length; and where its journal lives.
extension BulkRun {
    /// Where the rows come from, read twice (check everything, then send) through one
    /// descriptor and never past `size`, the bytes hashed and checked: rows appended while the
    /// confirmation waits are not sent, and a file replaced meanwhile (an editor's save, a
    /// regenerated export) is not read at all.
    final class Input: Sendable {
        /// The input as the user named it, for messages.
        let name: String
        /// Its absolute path (`-` for stdin and pipes), size and content hash, for the journal.
        let identity: JournalInput
        /// Whether the path names the input stably (a regular file), so the journal is named for
        /// it; otherwise (stdin, a pipe) the journal is named for the content.
        let stablePath: Bool
        let format: InputFormat?
        let fd: Int32

        init(name: String, identity: JournalInput, stablePath: Bool, format: InputFormat?, fd: Int32) {
            self.name = name; self.identity = identity; self.stablePath = stablePath; self.format = format; self.fd = fd
        }

        deinit { close(fd) }

        /// A reader from the start of the input, of the checked bytes only.
        /// A reader from the start of the checked bytes; `phoneColumn` is also read as `phone`.
        func reader(delimiter: UInt8?, phoneColumn: String? = nil) throws(OctopodsError) -> RowReader {
            guard lseek(fd, 0, SEEK_SET) == 0 else {
                throw .failed("cannot read \(name) again: \(String(cString: strerror(errno)))")
            }
            let reader = try RowReader(fileDescriptor: fd, name: name, format: format, delimiter: delimiter, byteLimit: identity.size)
            if let phoneColumn { reader.copyColumn(phoneColumn, to: "phone") }
            return reader
        }
    }

    /// Opens the input and hashes it. A regular file is read in place; stdin and pipes (which
    /// cannot be read twice) are copied to an unlinked private temp file first.
    func openInput() throws(OctopodsError) -> Input {
        guard let from = options.from else { throw .usage(UsageError("--from is missing")) }
        if from == "-" {
            let data: Data
            do { data = try ctx.stdin.readAll() } catch {
                throw .invalidInput("cannot read --from - (stdin): \(PlainText.describe(error))")
            }
            let (fd, size, sha) = try Self.snapshot(name: "stdin", of: .data(data))
            return Input(
                name: "stdin", identity: JournalInput(identity: "-", size: size, sha256: sha), stablePath: false,
                format: nil, fd: fd)
        }
        let fd = open(from, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .invalidInput(
                "--from \(from): \(String(cString: strerror(errno)))",
                hint: "Give --from an existing CSV or NDJSON file, or - for stdin.")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .invalidInput("--from \(from): \(reason)")
        }
        let format = RowReader.format(forExtension: URL(fileURLWithPath: from).pathExtension)
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            // Its real path: every spelling of the file (a linked directory, /proc/self/cwd/…) is
            // one input, with one journal and one lock.
            let path = Self.realPath(from) ?? URL(fileURLWithPath: from).standardizedFileURL.path
            var hasher = SHA256()
            let size: Int
            do { size = try Self.read(fd, upTo: Int(info.st_size)) { hasher.update($0) } } catch {
                close(fd)
                throw .invalidInput("cannot read \(from): \(error.reason)")
            }
            return Input(
                name: from, identity: JournalInput(identity: path, size: size, sha256: SHA256.hexString(hasher.finalize())),
                stablePath: true, format: format, fd: fd)
        case S_IFDIR:
            close(fd)
            throw .invalidInput("cannot read \(from): it is a directory", hint: "Give --from a CSV or NDJSON file.")
        default:
            // A pipe (`--from <(…)`) or a device: read once, kept for the second pass.
            defer { close(fd) }
            let (copy, size, sha) = try Self.snapshot(name: from, of: .descriptor(fd))
            return Input(
                name: from, identity: JournalInput(identity: "-", size: size, sha256: sha), stablePath: false,
                format: format, fd: copy)
        }
    }

    /// `path` with every link resolved, or nil.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Reads `fd` from its start to its end or `limit` bytes, handing each chunk to `body`;
    /// returns the bytes read.
    static func read(_ fd: Int32, upTo limit: Int?, _ body: (UnsafeRawBufferPointer) -> Void) throws(SystemFile.Failure) -> Int {
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while limit.map({ total < $0 }) ?? true {
            let want = min(chunk.count, limit.map { $0 - total } ?? chunk.count)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemFile.Failure(path: "read", errno: errno)
            }
            if n == 0 { break }
            chunk.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            total += n
        }
        return total
    }

    enum Source {
        case data(Data)
        case descriptor(Int32)
    }

    /// A private copy (an unlinked 0600 temp file) of `source`, with its size and hash.
    static func snapshot(name: String, of source: Source) throws(OctopodsError) -> (fd: Int32, size: Int, sha256: String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("octopods-bulk-\(getpid())-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .invalidInput(
                "cannot keep a copy of \(name) in \(path): \(String(cString: strerror(errno)))",
                hint: "Set TMPDIR to a writable directory, or give --from a file.")
        }
        unlink(path)
        var hasher = SHA256()
        var size = 0
        var failure: Int32?
        func keep(_ bytes: UnsafeRawBufferPointer) {
            guard failure == nil else { return }
            hasher.update(bytes)
            size += bytes.count
            failure = SystemFile.writeAll(fd, bytes)
        }
        switch source {
        case .data(let data):
            data.withUnsafeBytes { keep($0) }
        case .descriptor(let input):
            do { _ = try read(input, upTo: nil) { keep($0) } } catch {
                close(fd)
                throw .invalidInput("cannot read \(name): \(error.reason)")
            }
        }
        if let failure {
            close(fd)
            throw .invalidInput(
                "cannot keep a copy of \(name) in \(path): \(String(cString: strerror(failure)))",
                hint: "Set TMPDIR to a directory with room, or give --from a file.")
        }
        return (fd, size, SHA256.hexString(hasher.finalize()))
    }

    /// The journal: `--journal FILE`, else one per input and command under the state directory
    /// (named by a hash of the input's real path and the command; of its content for stdin).
    /// Practice runs (against a sandbox) keep theirs in `journals/sandbox/`, so that trying a
    /// file on the sandbox never makes its real run look finished.
    ///
    /// One content is one campaign however it is given: a file's journal is also reachable by
    /// the name a run of its content from stdin uses (`linkContentJournal`: a hard link, made
    /// once the run holds the lock), and a file whose content already has a run there (sent
    /// from stdin, or from another file) uses that journal, so it resumes or is refused as that
    /// run says.
    func journalURL(_ input: Input, settings: Settings, create: Bool) throws(OctopodsError) -> URL {
        if let path = options.journal { return URL(fileURLWithPath: path).standardizedFileURL }
        let directory = try journalDirectory(settings: settings, create: create)
        let content = journalName(input, byContent: true, in: directory)
        guard input.stablePath else { return content }
        let path = journalName(input, byContent: false, in: directory)
        return !Self.sameFile(content, path) && Self.holdsARun(content) ? content : path
    }

    /// After a file's run opened and locked its journal: the name a run of the same content from
    /// stdin would use names this journal too (unless it names one already).
    func linkContentJournal(_ journal: Journal, input: Input, settings: Settings) {
        guard options.journal == nil, input.stablePath,
            let directory = try? journalDirectory(settings: settings, create: false)
        else { return }
        let content = journalName(input, byContent: true, in: directory)
        guard !Self.sameFile(content, journal.url) else { return }
        // Replaced in one step when it names another (an older run's, kept before --new-run).
        let temporary = directory.appendingPathComponent(".\(content.lastPathComponent).\(getpid()).link")
        unlink(temporary.path)
        if link(journal.url.path, temporary.path) == 0, rename(temporary.path, content.path) != 0 { unlink(temporary.path) }
    }

    /// Whether two paths name one file (both exist).
    static func sameFile(_ a: URL, _ b: URL) -> Bool {
        var x = stat(), y = stat()
        return lstat(a.path, &x) == 0 && lstat(b.path, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    /// Whether the journal at `url` records rows or a finished run, or a run that is still going
    /// (its process alive): a campaign another spelling of the same input must join.
    static func holdsARun(_ url: URL) -> Bool {
        guard let summary = try? Journal.peek(url) else { return false }
        if !summary.isEmpty { return true }
        guard summary.finish == nil, let pid = summary.lastStart?.pid, let id = pid_t(exactly: pid), id > 0 else { return false }
        return kill(id, 0) == 0 || errno == EPERM
    }

    private func journalDirectory(settings: Settings, create: Bool) throws(OctopodsError) -> URL {
        var directory = ctx.directory(.state).appendingPathComponent("journals", isDirectory: true)
        if Ledger.isPractice(ctx, baseURL: settings.baseURL.value) {
            directory.appendPathComponent("sandbox", isDirectory: true)
        }
        if create {
            do { try SystemFile.makePrivateDirectory(directory) } catch {
                throw .invalidInput(
                    "cannot use the journal directory \(error.description); nothing was sent",
                    hint: "Fix it, or choose where the journal goes with --journal FILE.")
            }
        }
        return directory
    }

    /// The journal named for the input's path, or for its content (what stdin and pipes use).
    private func journalName(_ input: Input, byContent: Bool, in directory: URL) -> URL {
        let key =
            !byContent
            ? "path\u{0}\(input.identity.identity)\u{0}\(command)"
            : "content\u{0}\(input.identity.sha256)\u{0}\(command)"
        let base = !byContent ? URL(fileURLWithPath: input.identity.identity).lastPathComponent : "stdin"
        // The input's name first, so `ls` shows which is which; the hash makes it unique.
        let readable = String(
            base.unicodeScalars.map { scalar -> Character in
                let c = Character(scalar)
                return c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-" || c == "_") ? c : "_"
            }.prefix(40))
        return directory.appendingPathComponent("\(readable).\(SHA256.hex(key).prefix(24)).journal")
    }

    /// Rows in the input, estimated from its size and the line length of its first 64 KiB.
    static func estimatedRows(_ input: Input) -> Int {
        var sample = [UInt8](repeating: 0, count: min(65_536, input.identity.size))
        let n = sample.withUnsafeMutableBytes { pread(input.fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return 0 }
        sample.removeLast(sample.count - n)
        let size = input.identity.size
        let lines = sample.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        guard lines > 0, !sample.isEmpty else { return 0 }
        let estimate = Double(size) / (Double(sample.count) / Double(lines)) * 1.05
        return Int(min(estimate, 50_000_000))
    }
}
