#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
#if canImport(Glibc)
import Glibc
#endif

/// The repeat guard's index of the history ledger (docs/repeat-guard.md): for every message
/// fingerprint and idempotency key the ledger mentions, where its latest line is, so that "was
/// this exact message sent lately?" costs a few reads however long the history is.
///
/// A file beside the ledger (`history.ndjson.index`), derived from it alone and used only under
/// the ledger's lock: a header (the ledger's device, inode and how many of its bytes are indexed)
/// and an open-addressing table of 16-byte slots (a 64-bit hash, never 0, and the line's offset).
/// Opening it catches up with the lines appended since (usually none or a few); a ledger that
/// was replaced (pruned) or shrank, or an index that does not read back, is rebuilt from the
/// whole ledger. A hash points at a line; the caller reads that line and checks it is the one
/// asked for, so a hash collision or a torn index can only miss a line, never invent one.
struct RepeatIndex {
    static let magic = Array("OCTIDX01".utf8)
    static let headerSize = 64
    static let slotSize = 16
    static let initialSlots = 256

    let url: URL
    private var fd: Int32
    private var slots: Int
    private var used: Int

    /// Opens (or makes) the index of the locked ledger and brings it up to date.
    static func open(_ url: URL, ledger: Ledger.Locked) throws(OctopodsError) -> RepeatIndex {
        let fd: Int32
        do {
            guard let opened = try SystemFile.openOwned(url, flags: O_RDWR, create: true) else {
                throw OctopodsError.failed("cannot create the history index \(url.path)")
            }
            fd = opened
        } catch let error as OctopodsError {
            throw error
        } catch {
            throw .failed("cannot use the history index \(error)")
        }
        var index = RepeatIndex(url: url, fd: fd, slots: 0, used: 0)
        do {
            if let covered = index.readHeader(ledger: ledger.info), covered <= ledger.end {
                try index.catchUp(ledger, from: covered)
            } else {
                try index.rebuild(ledger)
            }
        } catch {
            index.close()
            throw error
        }
        return index
    }

    func close() { if fd >= 0 { Glibc.close(fd) } }

    // MARK: Lookup and update

    /// The offsets of the ledger lines whose hash is `hash` (at most a few: distinct keys that
    /// share 64 bits).
    func offsets(_ hash: UInt64) -> [Int64] {
        Self.probe(hash, slots: slots, window).offsets
    }

    /// Walks the probe sequence of `hash`, from its home slot to the first empty one, a window of
    /// slots at a time (one read for most probes): the offsets stored under `hash`, the first
    /// slot holding it, and the empty slot that ends the sequence (nil when a read failed).
    static func probe(
        _ hash: UInt64, slots: Int, _ window: (Int) -> [(UInt64, Int64)]?
    )
        -> (offsets: [Int64], match: Int?, empty: Int?)
    {
        guard slots > 0 else { return ([], nil, nil) }
        var found: [Int64] = []
        var match: Int?
        var slot = Int(hash & UInt64(slots - 1))
        var seen = 0
        while seen < slots {
            guard let run = window(slot), !run.isEmpty else { return (found, match, nil) }
            for (h, offset) in run {
                if h == 0 { return (found, match, slot) }
                if h == hash {
                    found.append(offset)
                    match = match ?? slot
                }
                slot = (slot + 1) & (slots - 1)
                seen += 1
            }
        }
        return (found, match, nil)
    }

    /// The slots, read whole (for a bulk run's check of every row).
    func table() throws(OctopodsError) -> [UInt8] {
        var table = [UInt8](repeating: 0, count: slots * Self.slotSize)
        guard pread(fd, &table, table.count, off_t(Self.headerSize)) == table.count else { throw failure("read") }
        return table
    }

    var count: Int { slots }

    /// A slot of a table read whole.
    static func slot(_ table: [UInt8], _ slot: Int) -> (UInt64, Int64)? {
        let at = slot * slotSize
        guard at + slotSize <= table.count else { return nil }
        return (get(table, at: at), Int64(clamping: get(table, at: at + 8)))
    }

    /// Points `hash` at the line at `offset` (its latest line).
    mutating func set(_ hash: UInt64, _ offset: Int64) throws(OctopodsError) {
        if (used + 1) * 2 > slots { try grow() }
        let (_, match, empty) = Self.probe(hash, slots: slots, window)
        guard let slot = match ?? empty else { throw failure("read") }
        if match == nil { used += 1 }
        try write(slot, hash, offset)
    }

    /// Records that the ledger's bytes up to `end` are indexed.
    func covered(_ end: Int64, ledger: stat) throws(OctopodsError) {
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        header.replaceSubrange(0..<8, with: Self.magic)
        for (i, value) in [UInt64(ledger.st_dev), UInt64(ledger.st_ino), UInt64(end), UInt64(slots), UInt64(used)].enumerated() {
            Self.put(value, into: &header, at: 8 + 8 * i)
        }
        guard pwrite(fd, header, header.count, 0) == header.count else { throw failure("write") }
    }

    /// Every hash a ledger line is found under: its message fingerprint, and its idempotency key
    /// within its profile.
    static func hashes(_ line: UnsafeRawBufferPointer) -> [UInt64] {
        guard LedgerLine.contains(line, fingerprintNeedle), let pairs = FlatJSON.parse(line) else { return [] }
        var fingerprint: String?, key: String?, profile = ""
        for (name, value) in pairs {
            switch name {
            case "fingerprint": fingerprint = value
            case "idempotency_key": key = value
            case "profile": profile = value
            default: break
            }
        }
        guard let fingerprint else { return [] }
        return [hash(fingerprint: fingerprint)] + (key.map { [hash(key: $0, profile: profile)] } ?? [])
    }

    static let fingerprintNeedle = Array(#""fingerprint":""#.utf8)

    static func hash(fingerprint: String) -> UInt64 { nonZero(FNV1a.hash(fingerprint)) }
    static func hash(key: String, profile: String) -> UInt64 { nonZero(FNV1a.hash("key\u{0}\(profile)\u{0}\(key)")) }
    private static func nonZero(_ h: UInt64) -> UInt64 { h == 0 ? 1 : h }

    // MARK: Building

    /// Indexes the complete lines from `start` to the ledger's end.
    private mutating func catchUp(_ ledger: Ledger.Locked, from start: Int64) throws(OctopodsError) {
        var found: [(UInt64, Int64)] = []
        let end = try Self.scan(ledger, from: start) { found.append(($0, $1)) }
        for (hash, offset) in found { try set(hash, offset) }
        try covered(end, ledger: ledger.info)
    }

    /// Starts the table again from the whole ledger, built in memory and written at once.
    private mutating func rebuild(_ ledger: Ledger.Locked) throws(OctopodsError) {
        var found: [(UInt64, Int64)] = []
        let end = try Self.scan(ledger, from: 0) { found.append(($0, $1)) }
        slots = Self.initialSlots
        while slots < found.count * 2 + 2 { slots *= 2 }
        var table = [UInt8](repeating: 0, count: slots * Self.slotSize)
        used = 0
        for (hash, offset) in found {
            // In ledger order: a later line of the same hash takes its slot.
            var slot = Int(hash & UInt64(slots - 1))
            while true {
                let h = Self.get(table, at: slot * Self.slotSize)
                if h == 0 { used += 1; break }
                if h == hash { break }
                slot = (slot + 1) & (slots - 1)
            }
            Self.put(hash, into: &table, at: slot * Self.slotSize)
            Self.put(UInt64(offset), into: &table, at: slot * Self.slotSize + 8)
        }
        guard ftruncate(fd, 0) == 0, ftruncate(fd, off_t(Self.headerSize + table.count)) == 0,
            lseek(fd, off_t(Self.headerSize), SEEK_SET) == off_t(Self.headerSize), SystemFile.writeAll(fd, table) == nil
        else { throw failure("write") }
        try covered(end, ledger: ledger.info)
    }

    /// Calls `found` with the hashes and offset of every complete line from `start` to the
    /// ledger's end; returns the offset after the last complete line (a torn last line, a writer
    /// killed mid-line, is left for later: the next append starts a new line after it).
    private static func scan(_ ledger: Ledger.Locked, from start: Int64, _ found: (UInt64, Int64) -> Void) throws(OctopodsError) -> Int64 {
        var position = start
        let end = ledger.end
        // Usually a few lines since the last claim: a buffer of their size, not of the largest read.
        var chunk = [UInt8](repeating: 0, count: Int(min(1 << 20, max(0, ledger.end - start))))
        var carry: [UInt8] = []
        var carryStart = start
        while position < end {
            let want = Int(min(Int64(chunk.count), end - position))
            let n = chunk.withUnsafeMutableBytes { pread(ledger.fd, $0.baseAddress, want, off_t(position)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw .failed("cannot read the history ledger \(ledger.url.path): \(String(cString: strerror(errno)))") }
            carry += chunk[0..<n]
            position += Int64(n)
            let consumed = carry.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                var lineStart = 0
                while lineStart < raw.count, let hit = memchr(base + lineStart, 0x0A, raw.count - lineStart) {
                    let newline = base.distance(to: UnsafeRawPointer(hit))
                    for hash in hashes(UnsafeRawBufferPointer(rebasing: raw[lineStart..<newline])) {
                        found(hash, carryStart + Int64(lineStart))
                    }
                    lineStart = newline + 1
                }
                return lineStart
            }
            carry.removeFirst(consumed)
            carryStart += Int64(consumed)
        }
        return carryStart
    }

    /// Twice the slots, every entry placed again.
    private mutating func grow() throws(OctopodsError) {
        let old = slots
        let table = try self.table()
        slots = old * 2
        var bigger = [UInt8](repeating: 0, count: slots * Self.slotSize)
        for i in 0..<old {
            let h = Self.get(table, at: i * Self.slotSize)
            guard h != 0 else { continue }
            var slot = Int(h & UInt64(slots - 1))
            while Self.get(bigger, at: slot * Self.slotSize) != 0 { slot = (slot + 1) & (slots - 1) }
            bigger.replaceSubrange(
                slot * Self.slotSize..<(slot + 1) * Self.slotSize, with: table[i * Self.slotSize..<(i + 1) * Self.slotSize])
        }
        guard ftruncate(fd, off_t(Self.headerSize + bigger.count)) == 0,
            pwrite(fd, bigger, bigger.count, off_t(Self.headerSize)) == bigger.count
        else { throw failure("write") }
    }

    // MARK: Bytes

    /// The bytes covered, when the header is this version's and names this ledger file.
    private mutating func readHeader(ledger: stat) -> Int64? {
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        var info = stat()
        guard pread(fd, &header, header.count, 0) == header.count, Array(header[0..<8]) == Self.magic,
            Self.get(header, at: 8) == UInt64(ledger.st_dev), Self.get(header, at: 16) == UInt64(ledger.st_ino),
            fstat(fd, &info) == 0
        else { return nil }
        let count = Self.get(header, at: 32), used = Self.get(header, at: 40)
        guard count >= UInt64(Self.initialSlots), count <= 1 << 40, count & (count - 1) == 0, used < count,
            Int64(info.st_size) == Int64(Self.headerSize) + Int64(count) * Int64(Self.slotSize)
        else { return nil }
        slots = Int(count)
        self.used = Int(used)
        return Int64(clamping: Self.get(header, at: 24))
    }

    /// Up to 16 slots from `slot`, not past the table's end.
    private func window(_ slot: Int) -> [(UInt64, Int64)]? {
        let count = min(16, slots - slot)
        var bytes = [UInt8](repeating: 0, count: count * Self.slotSize)
        guard count > 0, pread(fd, &bytes, bytes.count, off_t(Self.headerSize + slot * Self.slotSize)) == bytes.count else { return nil }
        return (0..<count).map { (Self.get(bytes, at: $0 * Self.slotSize), Int64(clamping: Self.get(bytes, at: $0 * Self.slotSize + 8))) }
    }

    private func write(_ slot: Int, _ hash: UInt64, _ offset: Int64) throws(OctopodsError) {
        var bytes = [UInt8](repeating: 0, count: Self.slotSize)
        Self.put(hash, into: &bytes, at: 0)
        Self.put(UInt64(offset), into: &bytes, at: 8)
        guard pwrite(fd, bytes, bytes.count, off_t(Self.headerSize + slot * Self.slotSize)) == bytes.count else { throw failure("write") }
    }

    private func failure(_ what: String) -> OctopodsError {
        .failed("cannot \(what) the history index \(url.path): \(String(cString: strerror(errno)))")
    }

    static func get(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    static func put(_ value: UInt64, into bytes: inout [UInt8], at offset: Int) {
        for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }
}
