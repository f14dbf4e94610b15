import Testing
@testable import CLISupport

@Suite struct LoopbackTests {
    @Test(arguments: [
        "localhost", "LOCALHOST", "localhost.", "api.localhost", "127.0.0.1", "127.1", "127.255.0.9",
        "0x7f000001", "::1", "[::1]", "::ffff:127.0.0.1", "[::ffff:127.0.0.2]",
    ])
    func loopback(_ host: String) {
        #expect(Loopback.isLoopback(host: host))
    }

    @Test(arguments: [
        "", "example.com", "localhost.example.com", "128.0.0.1", "10.0.0.1", "::2", "0.0.0.0",
        "127.0.0.1.example.com", "::ffff:10.0.0.1",
    ])
    func notLoopback(_ host: String) {
        #expect(!Loopback.isLoopback(host: host))
    }

    @Test func hostHeaders() {
        #expect(Loopback.hostPart(ofHeader: "127.0.0.1:4747") == "127.0.0.1")
        #expect(Loopback.hostPart(ofHeader: "[::1]:4747") == "[::1]")
        #expect(Loopback.hostPart(ofHeader: " localhost ") == "localhost")
        #expect(Loopback.hostPart(ofHeader: "evil.example:80") == "evil.example")
    }
}
