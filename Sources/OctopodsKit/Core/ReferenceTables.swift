import OctopodsSandbox

/// Reference tables rendered from the code's own tables, for README (checked by a drift
/// test) and the man page: exit codes, environment, the sandbox's keys, templates and
/// magic numbers.
package enum ReferenceTables {
    package static let sections: [(name: String, markdown: String)] = [
        ("exit-codes", exitCodes), ("environment", environment), ("sandbox-keys", sandboxKeys),
        ("sandbox-templates", sandboxTemplates), ("sandbox-numbers", sandboxNumbers),
    ]

    static func table(_ headers: [String], _ rows: [[String]]) -> String {
        let escape = { (cell: String) in cell.replacingAll("|", with: "\\|") }
        var lines = ["| " + headers.joined(separator: " | ") + " |", "|" + headers.map { _ in "---" }.joined(separator: "|") + "|"]
        lines += rows.map { "| " + $0.map(escape).joined(separator: " | ") + " |" }
        return lines.joined(separator: "\n") + "\n"
    }

    package static var exitCodes: String {
        table(["code", "meaning"], ExitCode.allCases.map { ["\($0.rawValue)", $0.meaning] })
    }

    package static var environment: String {
        table(["variable", "meaning"], EnvironmentVariable.allCases.map { ["`\($0.rawValue)`", $0.meaning] })
    }

    package static var sandboxKeys: String {
        table(["key", "what it opens"], SandboxKeys.all.map { ["`\($0.value)-…`", $0.summary] })
    }

    package static var sandboxTemplates: String {
        table(
            ["id", "channel", "name", "language", "status", "needs"],
            SandboxAPI.seedTemplates.map { t in
                var needs: [String] = []
                if let media = t.mediaHeader { needs.append("header \(media.lowercased()) URL") }
                let p = t.placeholders
                for (section, count) in [
                    ("header", p.header.count), ("body", p.body.count), ("footer", p.footer.count), ("buttons", p.buttons),
                ]
                where count > 0 {
                    needs.append("\(section) \(count)")
                }
                return [
                    "\(t.id)", t.channel.rawValue, "`\(t.name)`", t.language, t.status.rawValue + (t.active ? "" : " (inactive)"),
                    needs.isEmpty ? "nothing" : needs.joined(separator: ", "),
                ]
            })
    }

    package static var sandboxNumbers: String {
        table(["recipient", "what happens"], SandboxMagicNumber.all.map { ["`\($0.phone)`", $0.behaviour] })
    }
}
