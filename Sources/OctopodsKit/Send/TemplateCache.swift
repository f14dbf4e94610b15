#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CLISupport

/// Fetched templates, kept for a few minutes so a script sending many messages checks the
/// template once, not per send. Keyed by base URL, channel, a fingerprint of the key (never
/// the key) and the template id; stored 0600 under ${XDG_CACHE_HOME:-~/.cache}/octopods.
/// A cache that cannot be read or written is simply not used; one that is not safely the
/// user's own (a link, another user's file, writable by others) is not used, with a warning.
package struct TemplateCache: Sendable {
    package static let lifetime: TimeInterval = 300

    let directory: URL
    let now: @Sendable () -> Date
    let warn: @Sendable (String) -> Void
    /// The names and ids `templates list` saw: what a mistyped one is compared with.
    let lists: TemplateListCache

    package init(_ ctx: Context) {
        directory = ctx.directory(.cache).appendingPathComponent("templates")
        lists = TemplateListCache(ctx)
        now = ctx.now
        warn = { [ctx] text in ctx.warn(text) }
    }

    func file(baseURL: String, channel: Channel, key: String, id: String) -> URL {
        directory.appendingPathComponent(SHA256.name("\(baseURL)\n\(channel.rawValue)\n\(key)\n\(id)") + ".json")
    }

    package func load(baseURL: String, channel: Channel, key: String, id: String) -> JSONValue? {
        let url = file(baseURL: baseURL, channel: channel, key: key, id: id)
        // Only a file of this user's own, never through a link: a planted template would change what is sent.
        let read: Data?
        do { read = try SystemFile.readOwned(url) } catch {
            warn("not using the template cache file \(error); it will be replaced")
            read = nil
        }
        guard let data = read, let entry = try? JSONValue.parse(data),
            let fetched = entry["fetched_at"].flatMap({ $0.scalarText }).flatMap(Double.init)
        else { return nil }
        let age = now().timeIntervalSince1970 - fetched
        guard age >= 0, age < Self.lifetime else { return nil }
        return entry["template"]
    }

    package func store(_ json: JSONValue, baseURL: String, channel: Channel, key: String, id: String) {
        let entry: JSONValue = ["fetched_at": .number(String(Int(now().timeIntervalSince1970))), "template": json]
        guard (try? SystemFile.makePrivateDirectory(directory)) != nil else { return }
        try? AtomicFile.write(
            Data(entry.serialized().utf8), to: file(baseURL: baseURL, channel: channel, key: key, id: id),
            followLinks: false)
    }

}

extension TemplateCache {
    /// The template, from the cache when fetched in the last few minutes.
    package func template(channel: Channel, id: String, client: APIClient) async throws(OctopodsError) -> Template {
        let cache = self
        let key = try client.key(channel)
        if let cached = cache.load(baseURL: client.baseURL, channel: channel, key: key, id: id),
            let template = try? Template.decode(cached)
        {
            return template
        }
        let response: APIResponse<Template>
        do {
            response = try await client.send(API.getTemplate(channel: channel, id: id))
        } catch {
            if case .api(let api) = error, api.name == "TEMPLATE_NOT_EXIST" || api.status == 404 {
                let known = lists.load(baseURL: client.baseURL, channel: channel, key: key)
                let guess = Suggestions.closest(to: id, among: known.map(\.name) + known.map(\.id))
                var hint =
                    "List the templates you can send: octopods templates list\(channel == .vbm ? " --channel vbm" : "") --status accepted"
                if channel == .whatsapp {
                    // A Viber template's id given on the WhatsApp channel (the default).
                    let viber = (try? client.key(.vbm)).map { lists.load(baseURL: client.baseURL, channel: .vbm, key: $0) } ?? []
                    hint =
                        viber.contains { $0.id == id || $0.name == id }
                        ? "Template \(id) is a Viber template: add --channel vbm (or use 'octopods vbm send')."
                        : hint + "; a Viber template needs --channel vbm."
                }
                throw .invalidInput(
                    "template \(id) does not exist for this \(channel.displayName) key"
                        + (guess.map { "; did you mean '\(TerminalText.sanitize($0))'?" } ?? ""), hint: hint)
            }
            throw error
        }
        cache.store(response.raw, baseURL: client.baseURL, channel: channel, key: key, id: id)
        return response.value
    }
}

extension Template {
    /// Whether it can be sent at all: accepted (a VBM template has no review state: the API
    /// lists accepted ones only) and not inactive. `checkSendable` says why not.
    package var isSendable: Bool { (review == nil || review == .accepted) && active != false }

    /// Checks the template can be sent at all: accepted and active.
    package func checkSendable() throws(OctopodsError) {
        let template = self
        let name = "template \(template.id) (\(TerminalText.sanitize(String(template.name.prefix(60)))))"
        if let status = template.status, template.review != .accepted {
            throw .invalidInput("\(name) is \(TerminalText.sanitize(status)); only accepted templates can be sent")
        }
        if template.active == false {
            throw .invalidInput("\(name) is inactive in Octopods; activate it before sending")
        }
    }
}
