#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Text as a terminal shows it: neutralising control characters from untrusted sources,
/// measuring display width, wrapping and truncating.
package enum TerminalText {
    /// Replaces C0/C1 control characters, DEL and the bidirectional overrides with visible
    /// escapes (`\x1B`, `\u202E`), so text from the API can never move the cursor, change
    /// colours, set the window title or reorder what the user reads. Newlines and tabs are
    /// escaped too unless `keepNewlines`.
    package static func sanitize(_ text: String, keepNewlines: Bool = false) -> String {
        var needsWork = false
        for scalar in text.unicodeScalars where isUnsafe(scalar, keepNewlines: keepNewlines) {
            needsWork = true
            break
        }
        guard needsWork else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar, keepNewlines: keepNewlines) {
                let escaped =
                    scalar.value <= 0xFF
                    ? "\\x" + PlainText.hex(scalar.value, width: 2)
                    : "\\u" + PlainText.hex(scalar.value, width: 4)
                out.append(contentsOf: escaped.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func isUnsafe(_ s: Unicode.Scalar, keepNewlines: Bool) -> Bool {
        switch s.value {
        case 0x0A: return !keepNewlines
        case 0x09: return !keepNewlines
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F: return true
        default: return false
        }
    }

    /// Columns a string occupies: wide East Asian characters and emoji count two, combining
    /// marks and zero-width characters none.
    package static func width(_ text: String) -> Int {
        var total = 0
        for character in text {
            guard let first = character.unicodeScalars.first else { continue }
            if first.properties.isEmojiPresentation || isWide(first.value) {
                total += 2
            } else if first.properties.generalCategory == .nonspacingMark || first.value == 0x200B {
                continue
            } else {
                total += 1
            }
        }
        return total
    }

    private static func isWide(_ v: UInt32) -> Bool {
        (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
    }

    /// Cuts text to at most `width` columns, ending with `…` when cut.
    package static func truncate(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        guard self.width(text) > width else { return text }
        var out = ""
        var used = 0
        for character in text {
            let w = self.width(String(character))
            if used + w > width - 1 { break }
            out.append(character)
            used += w
        }
        return out + "…"
    }

    /// Pads with spaces to `width` columns.
    package static func pad(_ text: String, to width: Int) -> String {
        let w = self.width(text)
        return w >= width ? text : text + String(repeating: " ", count: width - w)
    }

    /// Greedy word wrap of one paragraph; blank-line-separated paragraphs and lines that
    /// start with spaces (pre-formatted) are kept as they are.
    package static func wrap(_ text: String, width: Int, indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent)
        let usable = max(20, width - indent)
        var lines: [String] = []
        for raw in text.components(separatedBy: "\n") {
            if raw.isEmpty || raw.hasPrefix(" ") {
                lines.append(raw.isEmpty ? "" : pad + raw)
                continue
            }
            var line = ""
            for word in raw.split(separator: " ", omittingEmptySubsequences: true) {
                if line.isEmpty {
                    line = String(word)
                } else if self.width(line) + 1 + self.width(String(word)) <= usable {
                    line += " " + word
                } else {
                    lines.append(pad + line)
                    line = String(word)
                }
            }
            lines.append(pad + line)
        }
        return lines.joined(separator: "\n")
    }
}
