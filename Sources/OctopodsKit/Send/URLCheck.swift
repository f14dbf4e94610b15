#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a link in a message must be: media (a header image, video or document) and filled-in
/// URL buttons.
package enum URLCheck {
    /// An absolute http(s) URL with a host: what media links and filled-in URL buttons must be.
    package static func isWebURL(_ text: String) -> Bool {
        guard !text.contains(where: { $0.isWhitespace }), let url = URL(string: text),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return false }
        return true
    }

    package static func checkMedia(_ text: String, field: String) throws(OctopodsError) {
        guard isWebURL(text) else {
            throw .invalidInput(
                "\(field) '\(String(text.prefix(80)))' is not a valid http(s) URL",
                hint: "Media must be at a public http(s) URL that Octopods can fetch.")
        }
    }
}
