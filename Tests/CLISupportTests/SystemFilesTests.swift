import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import CLISupport

@Suite struct SystemFilesTests {
    let home = URL(fileURLWithPath: "/home/u", isDirectory: true)

    @Test(arguments: XDGDirectory.allCases)
    func relativeOrEmptyXDGValuesAreIgnored(_ kind: XDGDirectory) {
        let fallback = kind.octopods(environment: [:], home: home).path
        #expect(fallback.hasPrefix("/home/u/.") && fallback.hasSuffix("/octopods"))
        #expect(kind.octopods(environment: [kind.rawValue: "relative/dir"], home: home).path == fallback)
        #expect(kind.octopods(environment: [kind.rawValue: ""], home: home).path == fallback)
        #expect(kind.octopods(environment: [kind.rawValue: "/x/y"], home: home).path == "/x/y/octopods")
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sysfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func openOwnedRefusesSymlinksAndSharedWritableFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("target")
        try Data("x".utf8).write(to: target)
        let link = dir.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        #expect(throws: SystemFile.Failure.self) { _ = try SystemFile.openOwned(link, flags: O_RDONLY) }
        #expect(throws: SystemFile.Failure.self) { _ = try SystemFile.openOwned(link, flags: O_WRONLY, create: true) }
        chmod(target.path, 0o666)
        #expect(throws: SystemFile.Failure.self) { _ = try SystemFile.openOwned(target, flags: O_RDONLY) }
        chmod(target.path, 0o600)
        let fd = try SystemFile.openOwned(target, flags: O_RDONLY)
        #expect(fd != nil)
        if let fd { close(fd) }
        #expect(try SystemFile.openOwned(dir.appendingPathComponent("missing"), flags: O_RDONLY) == nil)
        let made = try #require(try SystemFile.openOwned(dir.appendingPathComponent("new"), flags: O_WRONLY, create: true, mode: 0o600))
        #expect(SystemFile.writeAll(made, [1, 2, 3]) == nil)
        close(made)
        var info = stat()
        stat(dir.appendingPathComponent("new").path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try SystemFile.readOwned(dir.appendingPathComponent("new")) == Data([1, 2, 3]))
    }

    @Test func privateDirectoryIsTightenedAndASymlinkRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sub = dir.appendingPathComponent("a/b")
        try SystemFile.makePrivateDirectory(sub)
        chmod(sub.path, 0o777)
        try SystemFile.makePrivateDirectory(sub)
        var info = stat()
        stat(sub.path, &info)
        #expect(info.st_mode & 0o777 == 0o700)
        let link = dir.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: sub)
        #expect(throws: SystemFile.Failure.self) { try SystemFile.makePrivateDirectory(link) }
    }
}
