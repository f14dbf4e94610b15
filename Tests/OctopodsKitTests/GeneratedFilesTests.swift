import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

/// The committed completion scripts and man page are the renderers' output: regenerated here,
/// any difference fails, and `UPDATE_GOLDENS=1 swift test` rewrites them.
@Suite struct GeneratedFilesTests {
    /// From Golden/ up to the repository root.
    static let root = "../../../"

    @Test(arguments: Completion.Shell.allCases)
    func completionScriptIsCurrent(_ shell: Completion.Shell) {
        Golden.check(shell.script, Self.root + shell.committedFile)
    }

    @Test func manPageIsCurrent() {
        Golden.check(Manual.page, Self.root + Manual.committedFile)
    }

    /// The man page's EXIT STATUS and ENVIRONMENT come from the code's own tables.
    @Test func manPageTablesComeFromTheCode() {
        let page = Manual.page
        for code in ExitCode.allCases {
            #expect(page.contains(".TP\n\\fB\(code.rawValue)\\fR\n"))
        }
        for variable in EnvironmentVariable.allCases {
            #expect(page.contains(".TP\n\\fB\(variable.rawValue)\\fR\n"))
        }
        #expect(page.contains(".TH OCTOPODS 1 \"\(Version.date)\" \"octopods \(Version.current)\""))
    }

}
