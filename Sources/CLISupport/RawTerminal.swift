#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A key read from a terminal in raw mode.
package enum Key: Equatable, Sendable {
    case character(Character)
    case enter, backspace, tab, up, down, left, right, home, end
    /// Esc on its own.
    case escape
    /// Ctrl-C (raw mode turns off the signal, so it arrives as a byte).
    case interrupt
    /// Ctrl-D, or the terminal went away.
    case endOfInput
    /// Ctrl-U: clear the line.
    case clearLine
    case other
}

/// The terminal that was put in raw mode, for the signal handlers: restoring it is one
/// `tcsetattr`, which is async-signal-safe. Written only while no other thread reads it.
private nonisolated(unsafe) var rawSaved = termios()
private nonisolated(unsafe) var rawFD: Int32 = -1

/// A terminal in raw mode (no echo, no line editing, no signals from keys), hand-rolled with
/// termios. Reads keys from `input`, draws on `output`. The previous mode is restored by
/// `restore()`, and by `RawTerminal.restoreFromSignal()`, which the process's signal
/// handler calls before anything else, so no exit path leaves the user's shell in raw mode.
package final class RawTerminal {
    package let input: Int32
    package let output: Int32
    private var saved = termios()
    private var active = false
    private var pending: [UInt8] = []

    /// Nil when `input` is not a terminal or its mode cannot be read.
    package init?(input: Int32 = STDIN_FILENO, output: Int32 = STDERR_FILENO) {
        guard isatty(input) == 1, isatty(output) == 1, tcgetattr(input, &saved) == 0 else { return nil }
        self.input = input
        self.output = output
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL | INLCR)
        // Output processing stays on, so "\n" still starts a new line.
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        rawSaved = saved
        rawFD = input
        // TCSANOW, not TCSAFLUSH: keys typed ahead are read, not thrown away.
        guard tcsetattr(input, TCSANOW, &raw) == 0 else { rawFD = -1; return nil }
        active = true
    }

    deinit { restore() }

    /// Back to the mode the terminal had; idempotent.
    package func restore() {
        guard active else { return }
        active = false
        tcsetattr(input, TCSANOW, &saved)
        rawFD = -1
    }

    /// For signal handlers: puts a terminal left in raw mode back (async-signal-safe).
    package static func restoreFromSignal() {
        guard rawFD >= 0 else { return }
        tcsetattr(rawFD, TCSANOW, &rawSaved)
    }

    /// Columns and rows, or 80×24 when the terminal does not say.
    package var size: (columns: Int, rows: Int) {
        var size = winsize()
        guard ioctl(output, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    package func write(_ text: String) {
        _ = SystemFile.writeAll(output, Array(text.utf8))
    }

    /// One byte, waiting at most `milliseconds` (-1: until one comes or `stop` says so).
    private func byte(within milliseconds: Int, stop: () -> Bool) -> UInt8?? {
        if !pending.isEmpty { return pending.removeFirst() }
        var waited = 0
        while true {
            if stop() { return .some(nil) }
            var poller = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            let slice = milliseconds < 0 ? 100 : min(100, milliseconds - waited)
            let ready = poll(&poller, 1, Int32(slice))
            if ready < 0, errno == EINTR { continue }
            if ready > 0 {
                var b: UInt8 = 0
                let n = read(input, &b, 1)
                if n == 1 { return b }
                if n < 0, errno == EINTR || errno == EAGAIN { continue }
                return .some(nil)  // end of input
            }
            waited += slice
            if milliseconds >= 0, waited >= milliseconds { return nil }  // timed out
        }
    }

    /// The next key; `.endOfInput` when the terminal closes, `.interrupt` when `stop` turns
    /// true (a signal arrived).
    package func readKey(stop: () -> Bool = { false }) -> Key {
        guard let first = byte(within: -1, stop: stop) else { return .endOfInput }
        guard let b = first else { return stop() ? .interrupt : .endOfInput }
        switch b {
        case 0x03: return .interrupt
        case 0x04: return .endOfInput
        case 0x0D, 0x0A: return .enter
        case 0x7F, 0x08: return .backspace
        case 0x09: return .tab
        case 0x15: return .clearLine
        case 0x1B:
            // An escape sequence arrives in one write; Esc alone is followed by nothing.
            guard let next = byte(within: 150, stop: stop), let second = next else { return .escape }
            guard second == UInt8(ascii: "[") || second == UInt8(ascii: "O") else { pending.append(second); return .escape }
            var final: UInt8 = 0
            var parameters: [UInt8] = []
            while let more = byte(within: 150, stop: stop), let c = more {
                if (0x40...0x7E).contains(c) { final = c; break }
                parameters.append(c)
            }
            switch final {
            case UInt8(ascii: "A"): return .up
            case UInt8(ascii: "B"): return .down
            case UInt8(ascii: "C"): return .right
            case UInt8(ascii: "D"): return .left
            case UInt8(ascii: "H"): return .home
            case UInt8(ascii: "F"): return .end
            case UInt8(ascii: "~"): return parameters == [UInt8(ascii: "1")] ? .home : parameters == [UInt8(ascii: "4")] ? .end : .other
            default: return .other
            }
        default:
            guard b >= 0x20 else { return .other }
            // A UTF-8 sequence: its lead byte says how many bytes follow.
            var bytes = [b]
            let count = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0
            for _ in 0..<count {
                guard let more = byte(within: 150, stop: stop), let c = more else { break }
                bytes.append(c)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.first.map { Key.character($0) } ?? .other
        }
    }
}

/// A terminal used a line at a time (TERM=dumb): the terminal's own line editing, nothing drawn.
package final class LineTerminal {
    package let input: Int32
    package let output: Int32
    private var buffered: [UInt8] = []

    package init?(input: Int32 = STDIN_FILENO, output: Int32 = STDERR_FILENO) {
        guard isatty(input) == 1, isatty(output) == 1 else { return nil }
        self.input = input
        self.output = output
    }

    package func write(_ text: String) {
        _ = SystemFile.writeAll(output, Array(text.utf8))
    }

    /// The next line without its newline; nil at the end of input or when `stop` turns true.
    /// Polls, so a signal that marks the run interrupted is noticed while waiting.
    package func readLine(stop: () -> Bool = { false }) -> String? {
        while true {
            if let newline = buffered.firstIndex(of: 0x0A) {
                let line = buffered[..<newline]
                buffered.removeSubrange(...newline)
                return String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
            }
            if stop() { return nil }
            var poller = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(input, &chunk, chunk.count)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                if buffered.isEmpty { return nil }
                defer { buffered = [] }
                return String(decoding: buffered, as: UTF8.self)
            }
            buffered += chunk[..<n]
        }
    }
}
