import CLISupport

package enum VBM {
    package static let spec = CommandSpec(
        name: "vbm",
        abstract: "Send Viber Business Messages (templates).",
        discussion: "Viber templates are listed with 'octopods templates list --channel vbm'. Viber messages have no status endpoint.")

    package struct SendCommand: Command {
        package static let spec = CommandSpec(
            name: "send",
            abstract: "Send a Viber template message.",
            discussion:
                "Checked like 'send template': the template must be accepted and get exactly the header, body and footer variables it needs; an image header needs --header-image.",
            arguments: [
                ArgumentSpec(
                    "template-id", optional: true, completion: .dynamic("vbm-templates"),
                    help:
                        "The Viber template to send (see 'octopods templates list --channel vbm'); at a terminal, picked from a list when left out."
                )
            ],
            options: TemplateSendFlow.options(.vbm),
            examples: [
                Example(
                    "octopods vbm send 2001 --to +14155552671 --header-image https://example.com/banner.jpg --var 1=Alex",
                    "Send a Viber template with an image header."),
                Example(
                    "octopods vbm send 2002 --from orders.csv --rate 30/10s",
                    "Send to every row of a CSV, at most 30 requests per 10 seconds."),
            ],
            usage: "<template-id> (--to PHONE | --from FILE) [options]")

        let send: TemplateSendFlow
        package init(_ arguments: ParsedArguments) throws(OctopodsError) { send = try TemplateSendFlow(channel: .vbm, arguments) }
        package func run(_ ctx: Context) async throws(OctopodsError) -> CommandOutput { try await send.run(ctx) }
    }
}
