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

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        // Many blocks (the standard million-'a' vector costs most of a second in a debug build;
        // a tenth of it, checked with coreutils' sha256sum, goes through the same code).
        #expect(
            SHA256.hex([UInt8](repeating: 0x61, count: 100_000))
                == "6d1cf22d7cc09b085dfc25ee1a1f3ae0265804c607bc2074ad253bcc82fd81ee")
    }

    @Test func incrementalEqualsOneShot() {
        var hasher = SHA256()
        for chunk in ["The quick brown fox ", "jumps over ", "the lazy dog"] { hasher.update(chunk.utf8) }
        #expect(SHA256.hexString(hasher.finalize()) == "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592")
    }

    /// The block-at-a-time path over raw buffers, in pieces that straddle block boundaries in
    /// every way, matches the byte-at-a-time path.
    @Test func rawBuffersInAnyPiecesEqualOneShot() {
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        // A sequence with no contiguous storage takes the byte-at-a-time path.
        let expected = SHA256.hex(AnySequence(bytes))
        #expect(SHA256.hex(bytes) == expected)
        // Every length around the padding's boundaries (55, 56, 64 bytes), both paths.
        for count in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 121, 128] {
            #expect(SHA256.hex(bytes.prefix(count)) == SHA256.hex(AnySequence(bytes.prefix(count))), "\(count) bytes")
        }
        for piece in [1, 3, 63, 64, 65, 127, 128, 500, 1_000] {
            var hasher = SHA256()
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + piece)
                bytes[offset..<end].withUnsafeBytes { hasher.update($0) }
                offset = end
            }
            #expect(SHA256.hexString(hasher.finalize()) == expected, "pieces of \(piece)")
        }
        var mixed = SHA256()
        mixed.update(bytes[0..<10])
        bytes[10..<700].withUnsafeBytes { mixed.update($0) }
        mixed.update(bytes[700...])
        #expect(SHA256.hexString(mixed.finalize()) == expected)
    }
}
