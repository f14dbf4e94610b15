import CLISupport
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A location in the payload, written as the user would: `action.buttons[1].reply.title`.
struct InteractivePath: Equatable, CustomStringConvertible {
    enum Part: Equatable {
        case key(String)
        case index(Int)
    }

    var parts: [Part] = []

    static let root = InteractivePath()

    func key(_ name: String) -> InteractivePath { InteractivePath(parts: parts + [.key(name)]) }
    func index(_ i: Int) -> InteractivePath { InteractivePath(parts: parts + [.index(i)]) }

    var hasIndex: Bool { parts.contains { if case .index = $0 { return true } else { return false } } }

    var description: String {
        guard !parts.isEmpty else { return "the payload" }
        var out = ""
        for part in parts {
            switch part {
            case .key(let k): out += out.isEmpty ? k : "." + k
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}
