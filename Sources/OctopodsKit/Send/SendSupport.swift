import Foundation
import CLISupport

/// The options every send shares.
package struct SendOptions: Sendable, Equatable {
    package var dryRun = false
    package var wait = false
    package var until = "delivered"
    package var maxWait: Double?
    package var noLedger = false

    package static func specs(canWait: Bool) -> [OptionSpec] {
        var specs: [OptionSpec] = [
            .flag("dry-run", help: "Check everything and print the exact request (key redacted) and a preview; send nothing."),
        ]
        if canWait { specs += waitSpecs }
        specs.append(.value("max-wait", "DURATION", .duration,
                            help: "If rate limited (429), wait up to this long for the cool-down to end and retry once."))
        specs.append(.flag("no-ledger", help: "Do not record this send in the local history (see 'octopods history'; or set 'ledger = off')."))
        return specs
    }

    package static let waitSpecs: [OptionSpec] = [
        .flag("wait", help: "Poll the status until it is final or --timeout (default 2m) passes: exit 0 delivered, 1 failed, 6 timed out."),
        .value("until", "STATE", .choice(["delivered", "read"]), help: "With --wait: the state that counts as done (default delivered)."),
    ]

    package init(_ arguments: ParsedArguments) throws(OctopodsError) {
        dryRun = arguments.flag("dry-run")
        wait = arguments.flag("wait")
        until = arguments.string("until") ?? "delivered"
        maxWait = arguments.seconds("max-wait")
        noLedger = arguments.flag("no-ledger")
        if arguments.has("until"), !wait {
            throw .usage(UsageError("--until needs --wait", path: arguments.path))
        }
        if dryRun, wait {
            throw .usage(UsageError("--dry-run sends nothing, so there is nothing to --wait for", path: arguments.path))
        }
    }

    package init() {}
}

/// A checked send, ready to go: the endpoint and what to show about it.
package struct SendPlan: Sendable {
    package var endpoint: Endpoint<SendResult>
    /// Where the status can be followed (nil for Viber, which has no status endpoint).
    package var statusChannel: Channel?
    package var recipient: String
    package var preview: String
    /// Facts shown by --dry-run and --verbose (SMS encoding and segments).
    package var notes: [String] = []
}

extension Context {
    /// The template, from the cache when fetched in the last few minutes.
    /// With a `pacer` (bulk runs) the fetch counts against the key's rate limit like every request.
    package func fetchTemplate(channel: Channel, id: String, client: APIClient, pacer: Pacer? = nil) async throws(OctopodsError) -> Template {
        let cache = TemplateCache(self)
        let key = try client.key(channel)
        if let cached = cache.load(baseURL: client.baseURL, channel: channel, key: key, id: id),
           let template = try? Template.decode(cached) {
            return template
        }
        let response: APIResponse<Template>
        let ticket: Int?
        do { ticket = try await pacer?.acquire() } catch { throw .interrupted }
        do {
            response = try await client.send(API.getTemplate(channel: channel, id: id))
            if let ticket { await pacer?.finished(ticket) }
        } catch {
            if let ticket { await pacer?.finished(ticket) }
            if case .api(let api) = error, api.name == "TEMPLATE_NOT_EXIST" || api.status == 404 {
                throw .invalidInput("template \(id) does not exist for this \(channel.displayName) key",
                                    hint: "List the templates you can send: octopods templates list\(channel == .vbm ? " --channel vbm" : "") --status accepted")
            }
            throw error
        }
        cache.store(response.raw, baseURL: client.baseURL, channel: channel, key: key, id: id)
        return response.value
    }

    /// Checks the template can be sent at all: accepted and active.
    package func checkSendable(_ template: Template) throws(OctopodsError) {
        let name = "template \(template.id) (\(TerminalText.sanitize(String(template.name.prefix(60)))))"
        if let status = template.status, status.lowercased() != "accepted" {
            throw .invalidInput("\(name) is \(TerminalText.sanitize(status)); only accepted templates can be sent")
        }
        if template.active == false {
            throw .invalidInput("\(name) is inactive in Octopods; activate it before sending")
        }
    }

    /// Dry run, or send (waiting out one 429 with --max-wait), then follow with --wait.
    package func execute(_ plan: SendPlan, _ options: SendOptions) async throws(OctopodsError) -> CommandOutput {
        if options.wait, plan.statusChannel == nil {
            throw .usage(UsageError("Viber messages have no status endpoint, so --wait cannot follow them"))
        }
        if options.wait, options.until == "read", plan.statusChannel == .sms {
            throw .usage(UsageError("SMS has no read receipts; use --until delivered"))
        }
        let settings = try resolvedSettings()
        let client = apiClient(settings)
        if options.dryRun { return try dryRun(plan, client: client) }
        if globals.verbose { for note in plan.notes { stderr.write("* \(note)\n") } }

        let recorder = historyRecorder(settings, disabled: options.noLedger)
        defer { recorder?.close() }
        let response: APIResponse<SendResult>
        do {
            response = try await sendOnce(plan.endpoint, client: client, maxWait: options.maxWait)
        } catch {
            recorder?.sent(plan.endpoint, to: plan.recipient, result: .failure(error))
            throw error
        }
        recorder?.sent(plan.endpoint, to: plan.recipient, result: .success(response))
        let sent = response.value
        let phone = sent.phone ?? plan.recipient
        guard options.wait, let channel = plan.statusChannel else {
            return CommandOutput(json: response.raw,
                                 table: Table(headers: ["MESSAGE ID", "PHONE", "STATUS"], rows: [[sent.messageID, phone, "accepted"]]))
        }
        let outcome = try await waitForStatus(channel: channel, id: sent.messageID, until: options.until)
        recorder?.learned(outcome.status, channel: channel, messageID: sent.messageID)
        let json: JSONValue = ["send": response.raw, "status": outcome.raw]
        var output = CommandOutput(json: json, table: Table(headers: ["MESSAGE ID", "PHONE", "STATUS", "FAILURE"],
                                                           rows: [[sent.messageID, phone, outcome.status.status, outcome.status.failure ?? ""]]))
        output.exitCode = outcome.code
        return output
    }

    func sendOnce(_ endpoint: Endpoint<SendResult>, client: APIClient, maxWait: Double?) async throws(OctopodsError) -> APIResponse<SendResult> {
        do {
            return try await client.send(endpoint)
        } catch {
            // A 429 was not processed, so one retry after the cool-down cannot send twice.
            guard case .api(let api) = error, api.status == 429, let maxWait else { throw error }
            let wait = (api.retryAt.map { $0.timeIntervalSince(now()) } ?? 300) + 1
            guard wait <= maxWait else {
                notice("Rate limited for another \(ErrorReporter.format(seconds: wait.rounded(.up))), longer than --max-wait \(ErrorReporter.format(seconds: maxWait)).")
                throw error
            }
            notice("Rate limited; waiting \(ErrorReporter.format(seconds: max(0, wait).rounded(.up))) for the cool-down, then retrying once.")
            do { try await sleep(max(0, wait)) } catch { throw .interrupted }
            return try await client.send(endpoint)
        }
    }

    func dryRun(_ plan: SendPlan, client: APIClient) throws(OctopodsError) -> CommandOutput {
        let key: String
        do {
            key = try client.key(plan.endpoint.channel)
        } catch {
            warn("no \(plan.endpoint.channel.displayName) key is set, so a real send would fail (exit 3)")
            key = ""
        }
        let request = try client.request(for: plan.endpoint, key: key)
        let headers = request.headers.map { name, value in
            (name, name.caseInsensitiveCompare(APIClient.authHeader) == .orderedSame ? APIClient.redacted : value)
        }
        let body = plan.endpoint.body ?? .null
        var text = "\(request.method) \(APIClient.display(request.url))\n"
        text += headers.map { "\($0.0): \($0.1)\n" }.joined()
        text += "\n" + body.serialized(pretty: true) + "\n"
        text += "\nPreview (to \(plan.recipient)):\n" + plan.preview.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
        for note in plan.notes { text += note + "\n" }
        notice("Dry run: the request is valid; nothing was sent.")
        var json: JSONValue = [
            "dry_run": true,
            "request": ["method": .string(request.method), "url": .string(APIClient.display(request.url)),
                        "headers": .object(headers.map { ($0.0, .string($0.1)) }), "body": body],
            "preview": .string(plan.preview),
        ]
        if !plan.notes.isEmpty { json.set("notes", .array(plan.notes.map(JSONValue.string))) }
        return CommandOutput(json: json, text: text)
    }

    /// Polls a message's status with backoff until it is final (per `until`) or the deadline
    /// (--timeout, default 2 minutes) passes. Read-only, so transient failures are retried.
    package func waitForStatus(channel: Channel, id: String, until: String) async throws(OctopodsError) -> (status: MessageStatus, raw: JSONValue, code: ExitCode) {
        let total = globals.timeout ?? 120
        let deadline = now().addingTimeInterval(total)
        var context = self
        context.globals.timeout = min(30, total)
        let client = try context.apiClient()
        var delay = 1.0
        var last: (MessageStatus, JSONValue)?
        var shown: String?
        while true {
            do {
                let response = try await client.send(API.messageStatus(channel: channel, id: id))
                last = (response.value, response.raw)
                let status = response.value.status
                if status != shown { notice("Message \(id): \(status)"); shown = status }
                if let outcome = MessageStatus.outcome(status, until: until) { return (response.value, response.raw, outcome) }
            } catch {
                let report = ErrorReporter(now: now).report(error)
                guard report.retryable else { throw error }
                if case .api(let api) = error, let retryAt = api.retryAt {
                    delay = max(delay, retryAt.timeIntervalSince(now()) + 1)
                }
                notice("Status check failed (\(report.message)); retrying.")
            }
            let remaining = deadline.timeIntervalSince(now())
            if remaining <= 0 {
                let state = last?.0.status ?? "unknown"
                // An error, so not silenced by --quiet.
                stderr.write("error: message \(TerminalText.sanitize(id)) is still \(TerminalText.sanitize(state)) after \(ErrorReporter.format(seconds: total)); gave up waiting (--timeout)\n")
                let fallback = MessageStatus(messageID: id, status: state)
                return (last?.0 ?? fallback, last?.1 ?? ["message_id": .string(id), "status": .string(state)], .waitTimeout)
            }
            do { try await sleep(min(delay, remaining)) } catch { throw .interrupted }
            delay = min(delay * 2, 15)
        }
    }
}
