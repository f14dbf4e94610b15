/// The config file: INI style, `[profile]` sections of `key = value` lines, `#` or `;`
/// comments, and before any section only `default_profile = NAME` (`config use`). Edits keep
/// every other line (comments, order, other profiles) as it was.
package struct ConfigDocument: Sendable, Equatable {
    package static let secretKeys = Channel.allCases.map(\.keySetting)
    package static let knownKeys = secretKeys + ["base_url", "ledger", "rate", "repeat_window", "ca_file", "state_store"]
    /// The one setting outside the profiles: the profile used when none is named.
    package static let defaultProfileKey = "default_profile"

    enum Line: Sendable, Equatable {
        case other(String)
        case section(String)
        case entry(key: String, value: String)
    }

    private(set) var lines: [Line] = []

    package init() {}

    package struct ParseError: Error, Equatable, Sendable {
        package var line: Int
        package var message: String
    }

    package static func parse(_ text: String) throws(ParseError) -> ConfigDocument {
        var doc = ConfigDocument()
        var inSection = false
        // Split on the scalar, not the Character: in a Swift String "\r\n" is one Character, so
        // splitting on "\n" would leave a CRLF file as one long line.
        let rawLines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (n, raw) in rawLines.enumerated() {
            let line = raw.trimming(where: { PlainText.isSpace($0) || $0 == "\r" })
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") {
                doc.lines.append(.other(String(raw)))
            } else if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw ParseError(line: n + 1, message: "a section header must look like [profile]")
                }
                let name = line.dropFirst().dropLast().trimmingSpaces()
                guard !name.isEmpty else { throw ParseError(line: n + 1, message: "the profile name is empty") }
                doc.lines.append(.section(name))
                inSection = true
            } else if let eq = line.firstIndex(of: "=") {
                let key = line[..<eq].trimmingSpaces()
                var value = line[line.index(after: eq)...].trimmingSpaces()
                if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                    value = String(value.dropFirst().dropLast())
                }
                guard !key.isEmpty else { throw ParseError(line: n + 1, message: "a setting has no name before '='") }
                guard inSection || key == Self.defaultProfileKey else {
                    throw ParseError(line: n + 1, message: "'\(key)' comes before any [profile] section")
                }
                doc.lines.append(.entry(key: key, value: value))
            } else {
                throw ParseError(line: n + 1, message: "expected '[profile]' or 'key = value'")
            }
        }
        while doc.lines.last == .other("") { doc.lines.removeLast() }
        return doc
    }

    package var text: String {
        lines.map { line -> String in
            switch line {
            case .other(let raw): return raw
            case .section(let name): return "[\(name)]"
            case .entry(let key, let value): return "\(key) = \(value)"
            }
        }.joined(separator: "\n") + "\n"
    }

    package var profiles: [String] {
        var seen: [String] = []
        for case .section(let name) in lines where !seen.contains(name) { seen.append(name) }
        return seen
    }

    /// Entries of a profile in file order (a later duplicate wins on lookup).
    package func entries(_ profile: String) -> [(key: String, value: String)] {
        var current: String?
        var result: [(String, String)] = []
        for line in lines {
            switch line {
            case .section(let name): current = name
            case .entry(let key, let value) where current == profile: result.append((key, value))
            default: break
            }
        }
        return result
    }

    package func value(_ key: String, profile: String) -> String? {
        entries(profile).last { $0.key == key }?.value
    }

    package mutating func set(_ key: String, _ value: String, profile: String) {
        var current: String?
        var lastOfProfile: Int?
        var replaced = false
        for i in lines.indices {
            switch lines[i] {
            case .section(let name):
                current = name
                if name == profile { lastOfProfile = i }
            case .entry(let k, _) where current == profile:
                lastOfProfile = i
                if k == key {
                    lines[i] = .entry(key: key, value: value)
                    replaced = true
                }
            case .other(let raw) where current == profile && !raw.trimmingSpaces().isEmpty:
                lastOfProfile = i
            default: break
            }
        }
        if replaced { return }
        if let at = lastOfProfile {
            lines.insert(.entry(key: key, value: value), at: at + 1)
        } else {
            if !lines.isEmpty { lines.append(.other("")) }
            lines.append(.section(profile))
            lines.append(.entry(key: key, value: value))
        }
    }

    /// `default_profile`, set before any section by `config use`; nil when not set.
    package var defaultProfile: String? {
        for line in lines {
            switch line {
            case .section: return nil
            case .entry(let key, let value) where key == Self.defaultProfileKey: return value.isEmpty ? nil : value
            default: continue
            }
        }
        return nil
    }

    /// Sets (or, with nil, removes) `default_profile`, at the top of the file.
    package mutating func setDefaultProfile(_ name: String?) {
        var beforeSections = true
        lines = lines.filter { line in
            if case .section = line { beforeSections = false }
            if beforeSections, case .entry(let key, _) = line, key == Self.defaultProfileKey { return false }
            return true
        }
        guard let name else { return }
        lines.insert(.entry(key: Self.defaultProfileKey, value: name), at: 0)
        if lines.count > 1, case .section = lines[1] { lines.insert(.other(""), at: 1) }
    }

    /// Removes a profile's section with everything in it; returns whether it was there.
    @discardableResult
    package mutating func removeProfile(_ profile: String) -> Bool {
        var kept: [Line] = []
        var inside = false, found = false
        for line in lines {
            if case .section(let name) = line { inside = name == profile; found = found || inside }
            if !inside { kept.append(line) }
        }
        while kept.last == .other("") { kept.removeLast() }
        lines = kept
        return found
    }

    /// Whether a profile's section holds no setting and no comment.
    func isEmpty(_ profile: String) -> Bool {
        var inside = false
        for line in lines {
            switch line {
            case .section(let name): inside = name == profile
            case .entry where inside: return false
            case .other(let raw) where inside && !raw.trimmingSpaces().isEmpty: return false
            default: continue
            }
        }
        return true
    }

    /// Removes a setting; returns whether it was there.
    @discardableResult
    package mutating func unset(_ key: String, profile: String) -> Bool {
        var current: String?
        let before = lines.count
        lines = lines.filter { line in
            switch line {
            case .section(let name): current = name; return true
            case .entry(let k, _) where current == profile && k == key: return false
            default: return true
            }
        }
        return lines.count != before
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport
