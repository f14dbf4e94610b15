import Foundation
import Testing
import CLISupport
@testable import OctopodsKit

@Suite struct SandboxCommandTests {
    @Test func rateLimitSyntax() throws {
        let limit = try SandboxCommand.parseRate("55/10")
        #expect(limit.count == 55 && limit.window == 10)
        #expect(try SandboxCommand.parseRate("100/1m").window == 60)
        for bad in ["55", "0/10", "x/10", "55/0", "55/soon", "-1/10"] {
            #expect(throws: OctopodsError.self) { try SandboxCommand.parseRate(bad) }
        }
    }

    @Test func conflictingRateFlags() async {
        let r = await run(["sandbox", "--no-rate-limit", "--rate-limit", "5/1"])
        #expect(r.code == .usage)
        #expect(r.stderr.hasPrefix("error: --rate-limit and --no-rate-limit cannot be used together\n"))
    }
}
