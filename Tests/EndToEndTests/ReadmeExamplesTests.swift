import Foundation
import Testing
import TestSupport
import OctopodsSandbox

/// The README runs, and so do the docs pages its sections moved to: every command (every line
/// that is not a comment) in their blocks marked `<!-- readme-test: runs -->` runs verbatim
/// (through bash, from a directory holding a copy of `examples/`) against a fresh sandbox with the
/// seeded messages, and exits 0. Lines marked `# (manual)` are skipped (a real key, a path outside
/// the repository, a server until Ctrl-C). Any section that adds a marked block is run too.
@Suite struct ReadmeExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The documents whose marked blocks run, in this order, one after another against one
    /// sandbox: README's tour and sends first, then the pages of README's sections "Bulk sends",
    /// "Sent once" and "History", in README's order (a block may rely on what an earlier one sent).
    static let documents = ["README.md", "docs/bulk.md", "docs/repeat-guard.md", "docs/history.md"]

    /// The commands of the marked blocks, continuation lines joined.
    static func commands(_ readme: String) -> [String] {
        var commands: [String] = []
        var marked = false, inBlock = false
        var pending = ""
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if !inBlock {
                if line == "<!-- readme-test: runs -->" { marked = true; continue }
                if line.hasPrefix("```") {
                    inBlock = marked
                    marked = false
                    if !inBlock {  // skip an unmarked block whole
                        inBlock = false
                    }
                    continue
                }
                if !line.isEmpty { marked = false }
                continue
            }
            if line.hasPrefix("```") { inBlock = false; continue }
            let trimmed = line.drop { $0 == " " }
            if pending.isEmpty, trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            let command = pending + line
            pending = ""
            if !command.contains("# (manual)") { commands.append(command) }
        }
        return commands
    }

    @Test func everyMarkedExampleRunsAgainstAFreshSandbox() async throws {
        var commands: [(document: String, command: String)] = []
        for document in Self.documents {
            let text = try String(contentsOf: Self.root.appendingPathComponent(document), encoding: .utf8)
            let found = Self.commands(text)
            #expect(!found.isEmpty, "\(document) has no marked block")
            commands += found.map { (document, $0) }
        }
        #expect(commands.count >= 45, "the marked blocks were found: \(commands)")
        let sandbox = try TestSandbox(stageInterval: 0.01, seedMessages: true)
        let home = scratchDirectory(), work = scratchDirectory()
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("examples"), to: work.appendingPathComponent("examples"))
        var environment = sandbox.environment
        environment["PATH"] = octopodsBinary.deletingLastPathComponent().path + ":/usr/bin:/bin"
        environment["HOME"] = home.path
        environment["NO_PROXY"] = "127.0.0.1,localhost"
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let results = try await Self.runInOrder(commands.map(\.command), environment: environment, directory: work)
        for ((document, command), r) in zip(commands, results) {
            #expect(r.status == 0, "\(document) example failed (exit \(r.status)): \(command)\nstdout: \(r.stdout)\nstderr: \(r.stderr)")
            for key in secretKeys { #expect(!r.stdout.contains(key) && !r.stderr.contains(key), "\(command) leaks a key") }
        }
    }

    /// A page that marks a block for running is one of `documents`: no shown command goes untested.
    @Test func everyDocumentWithMarkedBlocksIsRun() throws {
        let files = FileManager.default
        let pages =
            try files.contentsOfDirectory(atPath: Self.root.path)
            + files.contentsOfDirectory(atPath: Self.root.appendingPathComponent("docs").path).map { "docs/" + $0 }
        let marked = try pages.filter { $0.hasSuffix(".md") }.filter {
            try String(contentsOf: Self.root.appendingPathComponent($0), encoding: .utf8)
                .split(separator: "\n").contains("<!-- readme-test: runs -->")
        }
        #expect(Set(marked) == Set(Self.documents), "pages with marked blocks: \(marked.sorted())")
    }

    /// Runs the commands one after another in one bash, each in a subshell of its own (as
    /// `bash -c` would run it alone: nothing it sets or changes reaches the next), with pipefail
    /// and an empty pipe for stdin; its stdout, stderr and exit status collected. One process
    /// for them all: a test that waited for a thread and a process per command, in turn,
    /// finished last in a busy run.
    static func runInOrder(_ commands: [String], environment: [String: String], directory: URL) async throws -> [ProcessResult] {
        let results = scratchDirectory()
        var script = ""
        for (index, command) in commands.enumerated() {
            let base = results.appendingPathComponent("\(index)").path
            script += "true | (\nset -o pipefail\n\(command)\n) >'\(base).out' 2>'\(base).err'\necho $? >'\(base).status'\n"
        }
        let run = try await shell(script, environment: environment, directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        return commands.indices.map { index in
            let base = results.appendingPathComponent("\(index)").path
            func text(_ suffix: String) -> String { (try? String(contentsOfFile: base + suffix, encoding: .utf8)) ?? "" }
            return ProcessResult(
                status: Int32(text(".status").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1,
                stdout: text(".out"), stderr: text(".err"))
        }
    }

    @Test func onlyMarkedBlocksAndUnmarkedLinesAreCollected() {
        let text = """
            ```sh
            octopods not-marked
            ```

            <!-- readme-test: runs -->
            ```sh
            # a comment
            octopods one --a \\
                --b
            octopods sandbox   # (manual)
            octopods two | jq .
            cat x | octopods three
            ```
            """
        #expect(Self.commands(text) == ["octopods one --a      --b", "octopods two | jq .", "cat x | octopods three"])
    }

    static func shell(_ script: String, environment: [String: String], directory: URL) async throws -> ProcessResult {
        try await offThePool {
            let r = try spawnAndWait(
                "/bin/bash", ["-c", script], environment: environment, input: Data(),
                timeout: 300, directory: directory.path)
            return ProcessResult(
                status: r.status, stdout: String(decoding: r.stdout, as: UTF8.self),
                stderr: String(decoding: r.stderr, as: UTF8.self))
        }
    }
}
