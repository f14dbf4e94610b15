# fish completion for octopods, generated from its command specs by
# 'octopods completion fish'; do not edit.
#
# Install it as octopods.fish in ~/.config/fish/completions (or a vendor_completions.d
# directory), or load it with:
#   octopods completion fish | source

# The visible subcommands of a command path, one a line.
function __octopods_commands --argument-names path
    switch $path
        case ''
            printf '%s\n' templates send sms vbm status messages history listen api config completion doctor sandbox
        case templates
            printf '%s\n' list get render csv
        case send
            printf '%s\n' template interactive
        case sms
            printf '%s\n' send
        case vbm
            printf '%s\n' send
        case messages
            printf '%s\n' list
        case history
            printf '%s\n' refresh stats prune
        case config
            printf '%s\n' set get unset list path profiles use
        case 'config profiles'
            printf '%s\n' remove
    end
end

# Succeeds when an option of a command path takes a value.
function __octopods_takes_value --argument-names path option
    switch "$path:$option"
        case 'templates list:--channel' 'templates list:--status' 'templates list:--active' 'templates list:--lang' 'templates list:--fields'
            return 0
        case 'templates get:--channel'
            return 0
        case 'templates render:--channel' 'templates render:--var' 'templates render:--header-var' 'templates render:--footer-var' 'templates render:--button-var' 'templates render:--variables' 'templates render:--variables-format' 'templates render:--header-url'
            return 0
        case 'templates csv:--channel'
            return 0
        case 'send template:--to' 'send template:--var' 'send template:--header-var' 'send template:--footer-var' 'send template:--button-var' 'send template:--variables' 'send template:--variables-format' 'send template:--header-url' 'send template:--name' 'send template:--teammate' 'send template:--until' 'send template:--wait-timeout' 'send template:--max-wait' 'send template:--idempotency-key' 'send template:--from' 'send template:--phone-column' 'send template:--delimiter' 'send template:--exclude' 'send template:--rejected' 'send template:--journal' 'send template:--rate' 'send template:--concurrency' 'send template:--idempotency-column' 'send template:--max-messages' 'send template:--fields'
            return 0
        case 'send interactive:--to' 'send interactive:--file' 'send interactive:--body' 'send interactive:--footer' 'send interactive:--header-text' 'send interactive:--header-image' 'send interactive:--header-video' 'send interactive:--header-document' 'send interactive:--button' 'send interactive:--list-button' 'send interactive:--section' 'send interactive:--row' 'send interactive:--teammate' 'send interactive:--until' 'send interactive:--wait-timeout' 'send interactive:--max-wait' 'send interactive:--idempotency-key' 'send interactive:--from' 'send interactive:--phone-column' 'send interactive:--delimiter' 'send interactive:--exclude' 'send interactive:--rejected' 'send interactive:--journal' 'send interactive:--rate' 'send interactive:--concurrency' 'send interactive:--idempotency-column' 'send interactive:--max-messages' 'send interactive:--fields'
            return 0
        case 'sms send:--to' 'sms send:--body' 'sms send:--body-file' 'sms send:--name' 'sms send:--teammate' 'sms send:--until' 'sms send:--wait-timeout' 'sms send:--max-wait' 'sms send:--idempotency-key' 'sms send:--from' 'sms send:--phone-column' 'sms send:--delimiter' 'sms send:--exclude' 'sms send:--rejected' 'sms send:--journal' 'sms send:--rate' 'sms send:--concurrency' 'sms send:--idempotency-column' 'sms send:--max-messages' 'sms send:--fields'
            return 0
        case 'vbm send:--to' 'vbm send:--var' 'vbm send:--header-var' 'vbm send:--footer-var' 'vbm send:--variables' 'vbm send:--variables-format' 'vbm send:--header-image' 'vbm send:--teammate' 'vbm send:--max-wait' 'vbm send:--idempotency-key' 'vbm send:--from' 'vbm send:--phone-column' 'vbm send:--delimiter' 'vbm send:--exclude' 'vbm send:--rejected' 'vbm send:--journal' 'vbm send:--rate' 'vbm send:--concurrency' 'vbm send:--idempotency-column' 'vbm send:--max-messages' 'vbm send:--fields'
            return 0
        case status:--channel status:--fields status:--until status:--wait-timeout
            return 0
        case 'messages list:--limit' 'messages list:--fields'
            return 0
        case history:--since history:--until history:--channel history:--to history:--template history:--status history:--limit history:--fields
            return 0
        case 'history refresh:--since' 'history refresh:--until' 'history refresh:--channel' 'history refresh:--to' 'history refresh:--template' 'history refresh:--status' 'history refresh:--limit' 'history refresh:--rate' 'history refresh:--fields'
            return 0
        case 'history stats:--since' 'history stats:--until' 'history stats:--channel' 'history stats:--to' 'history stats:--template' 'history stats:--by' 'history stats:--rate'
            return 0
        case 'history prune:--before'
            return 0
        case listen:--since listen:--events listen:--forward-to listen:--exec listen:--budget listen:--polls
            return 0
        case api:-X api:--method api:-f api:--raw-field api:-F api:--field api:--input api:-H api:--header api:--channel
            return 0
        case sandbox:--port sandbox:--state sandbox:--log sandbox:--rate-limit sandbox:--cooldown sandbox:--stage-interval sandbox:--status-memory sandbox:--slow-delay sandbox:--request-deadline
            return 0
        case '*:-o' '*:--output' '*:--profile' '*:--config' '*:--base-url' '*:--state-store' '*:--timeout'
            return 0
    end
    return 1
end

# Scans the command line before the cursor into __octopods_path (the command path),
# __octopods_count (positionals so far) and __octopods_pending (1 when the cursor is on an
# option's value). Every condition below asks, so the result is kept per command line.
function __octopods_scan
    set -l line (commandline -pc)
    test "$line" = "$__octopods_scanned"; and return
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path ''
    set -l count 0
    set -l ended 0
    set -l pending 0
    for word in $tokens
        if test $pending = 1
            set pending 0
        else if test $ended = 0; and string match -qr -- '^-[^0-9]' $word
            switch $word
                case --
                    set ended 1
                case '--*=*'
                case '--*'
                    __octopods_takes_value "$path" $word; and set pending 1
                case '*'
                    set -l letters (string split '' -- (string sub -s 2 -- $word))
                    for i in (seq (count $letters))
                        if __octopods_takes_value "$path" -$letters[$i]
                            test $i -eq (count $letters); and set pending 1
                            break
                        end
                    end
            end
        else if test $ended = 0; and contains -- $word (__octopods_commands "$path")
            set path (string trim -- "$path $word")
        else
            set count (math $count + 1)
        end
    end
    set -g __octopods_scanned $line
    set -g __octopods_path $path
    set -g __octopods_count $count
    set -g __octopods_pending $pending
end

# Succeeds when the command being typed is the one at path (for its options).
function __octopods_at --argument-names path
    __octopods_scan
    test "$__octopods_path" = "$path"
end

# Succeeds when the command at path is being typed and the cursor is on a word of its
# own, not on an option's value (for subcommands).
function __octopods_word --argument-names path
    __octopods_at "$path"; and test $__octopods_pending = 0
end

# Succeeds when the cursor is on positional argument index (from 0) of the command at
# path; with a third argument, on that argument or any after it.
function __octopods_argument --argument-names path index from
    __octopods_word "$path"; or return
    if test -n "$from"
        test $__octopods_count -ge $index
    else
        test $__octopods_count -eq $index
    end
end

# Candidates from the program itself: 'octopods __complete NAME' prints one
# "candidate<TAB>description" a line. The global options given that take a value are
# passed on, so it sees the same profile, config and base URL.
function __octopods_dynamic --argument-names name
    set -l tokens (commandline -opc)
    set -l forward
    set -l i 2
    while test $i -le (count $tokens)
        switch $tokens[$i]
            case -o --output --profile --config --base-url --state-store --timeout
                set -a forward $tokens[$i]
                set i (math $i + 1)
                test $i -le (count $tokens); and set -a forward $tokens[$i]
            case '--output=*' '--profile=*' '--config=*' '--base-url=*' '--state-store=*' '--timeout=*' '-o?*'
                set -a forward $tokens[$i]
        end
        set i (math $i + 1)
    end
    $tokens[1] $forward __complete $name 2>/dev/null
end

# No file names unless an option or argument takes a file.
complete -c octopods -f

# Global options, accepted before and after the command path.
complete -c octopods -s o -l output -x -a 'table json ndjson csv' -d 'Output format: table, json or ndjson (history also csv). Default: table on a terminal, json otherwise (or OCTOPODS_OUTPUT).'
complete -c octopods -l json -d 'Same as --output json.'
complete -c octopods -l profile -x -d 'Config profile to use (default: OCTOPODS_PROFILE or \'default\').'
complete -c octopods -l config -r -F -d 'Config file (default: OCTOPODS_CONFIG or ~/.config/octopods/config).'
complete -c octopods -l base-url -x -d 'API root (default: OCTOPODS_BASE_URL, the profile\'s base_url, or https://app.octopods.io).'
complete -c octopods -l state-store -x -d 'Where the rate budget shared with other machines lives for this run: local (this machine\'s files) or redis://host:port (default: OCTOPODS_STATE_STORE, the profile\'s state_store, or local).'
complete -c octopods -l timeout -x -d 'Give up on each request after this long (default 30s). The whole of a --wait is --wait-timeout.'
complete -c octopods -l sandbox -d 'Run against a local sandbox API started for this command, with its own keys; nothing leaves the machine.'
complete -c octopods -s v -l verbose -d 'Trace each HTTP request and response on stderr (the key redacted).'
complete -c octopods -s q -l quiet -d 'Print no hints, warnings or progress on stderr; errors still are.'
complete -c octopods -l no-color -d 'No colour (also NO_COLOR).'
complete -c octopods -l no-input -d 'Never prompt for what is missing, even at a terminal (also OCTOPODS_NO_INPUT); a missing argument is then a usage error.'
complete -c octopods -s h -l help -d 'Show help for the command.'
complete -c octopods -l version -d 'Print the version (with -v also the libcurl and TLS library found; with --json as JSON).'

# octopods
complete -c octopods -n '__octopods_word ""' -a templates -d 'List, inspect and preview message templates (WhatsApp and Viber).'
complete -c octopods -n '__octopods_word ""' -a send -d 'Send WhatsApp messages: approved templates, or interactive messages inside the 24-hour window.'
complete -c octopods -n '__octopods_word ""' -a sms -d 'Send SMS through the SMS channel.'
complete -c octopods -n '__octopods_word ""' -a vbm -d 'Send Viber Business Messages (templates).'
complete -c octopods -n '__octopods_word ""' -a status -d 'Show a sent message\'s delivery status.'
complete -c octopods -n '__octopods_word ""' -a messages -d 'List recently sent WhatsApp messages.'
complete -c octopods -n '__octopods_word ""' -a history -d 'List what this tool sent, from the local ledger; refresh statuses, summarise, prune old records.'
complete -c octopods -n '__octopods_word ""' -a listen -d 'Follow the statuses of messages sent from this machine and emit an event at each change.'
complete -c octopods -n '__octopods_word ""' -a api -d 'Make any request to the Octopods API with the right key and print the response.'
complete -c octopods -n '__octopods_word ""' -a config -d 'Read and write the config file (API keys, base URL) per profile.'
complete -c octopods -n '__octopods_word ""' -a completion -d 'Print the shell completion script for bash, zsh or fish.'
complete -c octopods -n '__octopods_word ""' -a doctor -d 'Check that this machine is ready: keys, base URL, TLS, libcurl, clock, file permissions, rate budget.'
complete -c octopods -n '__octopods_word ""' -a sandbox -d 'Serve a local fake of the Octopods API on 127.0.0.1 until Ctrl-C.'

# octopods templates
complete -c octopods -n '__octopods_word templates' -a list -d 'List templates with their status, language and the variables they need.'
complete -c octopods -n '__octopods_word templates' -a get -d 'Show one template: its components and the variables each section needs.'
complete -c octopods -n '__octopods_word templates' -a render -d 'Print a template filled in with variables, as the recipient would see it; sends nothing.'
complete -c octopods -n '__octopods_word templates' -a csv -d 'Print a CSV header for a bulk send of a template (phone and one column per placeholder) and an example row.'

# octopods templates list
complete -c octopods -n '__octopods_at "templates list"' -l channel -x -a 'whatsapp vbm' -d 'Whose templates: whatsapp (default) or vbm.'
complete -c octopods -n '__octopods_at "templates list"' -l status -x -a 'pending under_review needs_modification rejected accepted deleted' -d 'Only templates in this review state (WhatsApp).'
complete -c octopods -n '__octopods_at "templates list"' -l active -x -a 'true false' -d 'Only templates that are active (true) or inactive (false) in Octopods.'
complete -c octopods -n '__octopods_at "templates list"' -l lang -x -d 'Only templates in this language (en, en_US, pt_BR, ...).'
complete -c octopods -n '__octopods_at "templates list"' -l fields -x -d 'Only these fields, in this order, as table columns and JSON keys (comma-separated): template_id, template_name, template_status, language, active, created_at, template_body, template_components, account_phone_number.'

# octopods templates get
complete -c octopods -n '__octopods_at "templates get"' -l channel -x -a 'whatsapp vbm' -d 'Whose templates: whatsapp (default) or vbm.'
complete -c octopods -n '__octopods_argument "templates get" 0' -a '(__octopods_dynamic templates)' -d template-id

# octopods templates render
complete -c octopods -n '__octopods_at "templates render"' -l channel -x -a 'whatsapp vbm' -d 'Whose templates: whatsapp (default) or vbm.'
complete -c octopods -n '__octopods_at "templates render"' -l var -x -d 'Body placeholder {{N}}, e.g. --var 1=Jane --var 2=A-1042.'
complete -c octopods -n '__octopods_at "templates render"' -l header-var -x -d 'Header placeholders, in order.'
complete -c octopods -n '__octopods_at "templates render"' -l footer-var -x -d 'Footer placeholders, in order.'
complete -c octopods -n '__octopods_at "templates render"' -l button-var -x -d 'Button placeholders (URL suffixes, copy codes), in order.'
complete -c octopods -n '__octopods_at "templates render"' -l variables -x -d 'The raw message_variables value (JSON text, @file, or - for stdin), instead of the flags above.'
complete -c octopods -n '__octopods_at "templates render"' -l variables-format -x -a 'sectioned array keyed' -d 'Shape of message_variables: sectioned (default), array or keyed (both body-only).'
complete -c octopods -n '__octopods_at "templates render"' -l header-url -x -d 'Media header URL to show in the preview.'
complete -c octopods -n '__octopods_argument "templates render" 0' -a '(__octopods_dynamic templates)' -d template-id

# octopods templates csv
complete -c octopods -n '__octopods_at "templates csv"' -l channel -x -a 'whatsapp vbm' -d 'Whose templates: whatsapp (default) or vbm.'
complete -c octopods -n '__octopods_argument "templates csv" 0' -a '(__octopods_dynamic templates)' -d template-id

# octopods send
complete -c octopods -n '__octopods_word send' -a template -d 'Send a WhatsApp template message.'
complete -c octopods -n '__octopods_word send' -a interactive -d 'Send a WhatsApp interactive message: reply buttons or a list.'

# octopods send template
complete -c octopods -n '__octopods_at "send template"' -l to -x -d 'Recipient, E.164: +14155552671 (or many with --from).'
complete -c octopods -n '__octopods_at "send template"' -l var -x -d 'Body placeholder {{N}}, e.g. --var 1=Jane --var 2=A-1042.'
complete -c octopods -n '__octopods_at "send template"' -l header-var -x -d 'Header placeholders, in order.'
complete -c octopods -n '__octopods_at "send template"' -l footer-var -x -d 'Footer placeholders, in order.'
complete -c octopods -n '__octopods_at "send template"' -l button-var -x -d 'Button placeholders (URL suffixes, copy codes), in order.'
complete -c octopods -n '__octopods_at "send template"' -l variables -x -d 'The raw message_variables value (JSON text, @file, or - for stdin), instead of the flags above.'
complete -c octopods -n '__octopods_at "send template"' -l variables-format -x -a 'sectioned array keyed' -d 'Shape of message_variables: sectioned (default), array or keyed (both body-only).'
complete -c octopods -n '__octopods_at "send template"' -l header-url -x -d 'Public URL of the header image, video or document, for templates with a media header.'
complete -c octopods -n '__octopods_at "send template"' -l name -x -d 'Display name for a contact Octopods creates (with --open-conversation).'
complete -c octopods -n '__octopods_at "send template"' -l open-conversation -d 'Open a conversation in Intercom or HubSpot for this message.'
complete -c octopods -n '__octopods_at "send template"' -l teammate -x -d 'Intercom teammate shown as the sender (default: the channel\'s default sender).'
complete -c octopods -n '__octopods_at "send template"' -l no-verify -d 'Skip fetching the template to check status, variables and header before sending.'
complete -c octopods -n '__octopods_at "send template"' -l dry-run -d 'Check everything and print the exact request (key redacted) and a preview; send nothing.'
complete -c octopods -n '__octopods_at "send template"' -l wait -d 'Poll the status until it is final or --wait-timeout (default 2m) passes: exit 0 delivered, 1 failed, 6 sent but not confirmed.'
complete -c octopods -n '__octopods_at "send template"' -l until -x -a 'delivered read' -d 'With --wait: the state that counts as done (default delivered).'
complete -c octopods -n '__octopods_at "send template"' -l wait-timeout -x -d 'With --wait: give up waiting after this long in all (default 2m); --timeout is each request\'s.'
complete -c octopods -n '__octopods_at "send template"' -l max-wait -x -d 'If rate limited (429) or the connection is refused, keep trying for up to this long (counted from the start, every request of the command).'
complete -c octopods -n '__octopods_at "send template"' -l no-ledger -d 'Do not record this send in the local history (see \'octopods history\'; or set \'ledger = off\').'
complete -c octopods -n '__octopods_at "send template"' -l allow-repeat -d 'Send even if the history shows the identical message (same recipient and content) sent within repeat_window (default 24h).'
complete -c octopods -n '__octopods_at "send template"' -l idempotency-key -x -d 'Send once per KEY: a later send with the same KEY and request prints the first result and sends nothing; with another request it is refused.'
complete -c octopods -n '__octopods_at "send template"' -l from -r -F -d 'Send to every row of a CSV (a header row naming the columns; comma, semicolon, tab or | between fields) or NDJSON file; - for stdin.'
complete -c octopods -n '__octopods_at "send template"' -l phone-column -x -d 'Bulk: the column that holds the phone number (default: the one named phone, phone number, mobile, msisdn, to, number or whatsapp).'
complete -c octopods -n '__octopods_at "send template"' -l delimiter -x -d 'Bulk: the CSV field delimiter: , ; tab or | (default: found from the header line).'
complete -c octopods -n '__octopods_at "send template"' -l exclude -r -F -d 'Bulk: skip the numbers in FILE (one a line, or a CSV with a phone column): opt-outs.'
complete -c octopods -n '__octopods_at "send template"' -l rejected -r -F -d 'Bulk: write the rows that were not sent because they are invalid or the API rejected them to FILE, in the input\'s format with a reason column, to fix and send again.'
complete -c octopods -n '__octopods_at "send template"' -l journal -r -F -d 'Bulk: where the run records each row\'s state (default: one per input and command under $XDG_STATE_HOME/octopods/journals/). Run the same command again to resume.'
complete -c octopods -n '__octopods_at "send template"' -l new-run -d 'Bulk: send the input again as a new run, though its journal records a finished or changed one (the old journal is kept, renamed with its time).'
complete -c octopods -n '__octopods_at "send template"' -l rate -x -d 'Bulk: at most N requests in any DURATION (default: the profile\'s rate, 55/10s, the API\'s limit; \'off\' for none).'
complete -c octopods -n '__octopods_at "send template"' -l concurrency -x -d 'Bulk: requests in flight at once (default 4).'
complete -c octopods -n '__octopods_at "send template"' -l skip-invalid -d 'Bulk: send the valid rows even when some are invalid (they are listed, then skipped).'
complete -c octopods -n '__octopods_at "send template"' -l idempotency-column -x -d 'Bulk: each row\'s idempotency key (an order id) is in column NAME: a row whose key was sent with the same request is not sent again (see --idempotency-key).'
complete -c octopods -n '__octopods_at "send template"' -l resend-unknown -d 'Bulk: resend rows whose earlier request went out with no recorded answer (they may be delivered twice).'
complete -c octopods -n '__octopods_at "send template"' -l max-messages -x -d 'Bulk: refuse to run if more than N messages would be sent.'
complete -c octopods -n '__octopods_at "send template"' -s y -l yes -d 'Bulk: do not ask for confirmation before sending more than 100 messages.'
complete -c octopods -n '__octopods_at "send template"' -l fields -x -d 'Only these fields, in this order, as table columns and JSON keys (comma-separated): line, phone, status, message_id, error, error_code, note, final_status, failure.'
complete -c octopods -n '__octopods_argument "send template" 0' -a '(__octopods_dynamic templates)' -d template-id

# octopods send interactive
complete -c octopods -n '__octopods_at "send interactive"' -l to -x -d 'Recipient, E.164: +14155552671 (or many with --from: the same message to each).'
complete -c octopods -n '__octopods_at "send interactive"' -l file -r -F -d 'The waba_interactive_message payload as JSON (- for stdin).'
complete -c octopods -n '__octopods_at "send interactive"' -l body -x -d 'Message text (up to 1,024 characters).'
complete -c octopods -n '__octopods_at "send interactive"' -l footer -x -d 'Footer text (up to 60 characters).'
complete -c octopods -n '__octopods_at "send interactive"' -l header-text -x -d 'Text header (up to 60 characters).'
complete -c octopods -n '__octopods_at "send interactive"' -l header-image -x -d 'Image header: a public http(s) URL.'
complete -c octopods -n '__octopods_at "send interactive"' -l header-video -x -d 'Video header: a public http(s) URL.'
complete -c octopods -n '__octopods_at "send interactive"' -l header-document -x -d 'Document header: a public http(s) URL.'
complete -c octopods -n '__octopods_at "send interactive"' -l button -x -d 'A reply button (up to 3; title up to 20 characters).'
complete -c octopods -n '__octopods_at "send interactive"' -l list-button -x -d 'The label of the button that opens a list (up to 20 characters).'
complete -c octopods -n '__octopods_at "send interactive"' -l section -x -d 'Start a list section; the --row options after it belong to it.'
complete -c octopods -n '__octopods_at "send interactive"' -l row -x -d 'A list row (10 in all; title 24, description 72).'
complete -c octopods -n '__octopods_at "send interactive"' -l open-conversation -d 'Open a conversation in Intercom or HubSpot for this message.'
complete -c octopods -n '__octopods_at "send interactive"' -l teammate -x -d 'Intercom teammate shown as the sender.'
complete -c octopods -n '__octopods_at "send interactive"' -l dry-run -d 'Check everything and print the exact request (key redacted) and a preview; send nothing.'
complete -c octopods -n '__octopods_at "send interactive"' -l wait -d 'Poll the status until it is final or --wait-timeout (default 2m) passes: exit 0 delivered, 1 failed, 6 sent but not confirmed.'
complete -c octopods -n '__octopods_at "send interactive"' -l until -x -a 'delivered read' -d 'With --wait: the state that counts as done (default delivered).'
complete -c octopods -n '__octopods_at "send interactive"' -l wait-timeout -x -d 'With --wait: give up waiting after this long in all (default 2m); --timeout is each request\'s.'
complete -c octopods -n '__octopods_at "send interactive"' -l max-wait -x -d 'If rate limited (429) or the connection is refused, keep trying for up to this long (counted from the start, every request of the command).'
complete -c octopods -n '__octopods_at "send interactive"' -l no-ledger -d 'Do not record this send in the local history (see \'octopods history\'; or set \'ledger = off\').'
complete -c octopods -n '__octopods_at "send interactive"' -l allow-repeat -d 'Send even if the history shows the identical message (same recipient and content) sent within repeat_window (default 24h).'
complete -c octopods -n '__octopods_at "send interactive"' -l idempotency-key -x -d 'Send once per KEY: a later send with the same KEY and request prints the first result and sends nothing; with another request it is refused.'
complete -c octopods -n '__octopods_at "send interactive"' -l from -r -F -d 'Send to every row of a CSV (a header row naming the columns; comma, semicolon, tab or | between fields) or NDJSON file; - for stdin.'
complete -c octopods -n '__octopods_at "send interactive"' -l phone-column -x -d 'Bulk: the column that holds the phone number (default: the one named phone, phone number, mobile, msisdn, to, number or whatsapp).'
complete -c octopods -n '__octopods_at "send interactive"' -l delimiter -x -d 'Bulk: the CSV field delimiter: , ; tab or | (default: found from the header line).'
complete -c octopods -n '__octopods_at "send interactive"' -l exclude -r -F -d 'Bulk: skip the numbers in FILE (one a line, or a CSV with a phone column): opt-outs.'
complete -c octopods -n '__octopods_at "send interactive"' -l rejected -r -F -d 'Bulk: write the rows that were not sent because they are invalid or the API rejected them to FILE, in the input\'s format with a reason column, to fix and send again.'
complete -c octopods -n '__octopods_at "send interactive"' -l journal -r -F -d 'Bulk: where the run records each row\'s state (default: one per input and command under $XDG_STATE_HOME/octopods/journals/). Run the same command again to resume.'
complete -c octopods -n '__octopods_at "send interactive"' -l new-run -d 'Bulk: send the input again as a new run, though its journal records a finished or changed one (the old journal is kept, renamed with its time).'
complete -c octopods -n '__octopods_at "send interactive"' -l rate -x -d 'Bulk: at most N requests in any DURATION (default: the profile\'s rate, 55/10s, the API\'s limit; \'off\' for none).'
complete -c octopods -n '__octopods_at "send interactive"' -l concurrency -x -d 'Bulk: requests in flight at once (default 4).'
complete -c octopods -n '__octopods_at "send interactive"' -l skip-invalid -d 'Bulk: send the valid rows even when some are invalid (they are listed, then skipped).'
complete -c octopods -n '__octopods_at "send interactive"' -l idempotency-column -x -d 'Bulk: each row\'s idempotency key (an order id) is in column NAME: a row whose key was sent with the same request is not sent again (see --idempotency-key).'
complete -c octopods -n '__octopods_at "send interactive"' -l resend-unknown -d 'Bulk: resend rows whose earlier request went out with no recorded answer (they may be delivered twice).'
complete -c octopods -n '__octopods_at "send interactive"' -l max-messages -x -d 'Bulk: refuse to run if more than N messages would be sent.'
complete -c octopods -n '__octopods_at "send interactive"' -s y -l yes -d 'Bulk: do not ask for confirmation before sending more than 100 messages.'
complete -c octopods -n '__octopods_at "send interactive"' -l fields -x -d 'Only these fields, in this order, as table columns and JSON keys (comma-separated): line, phone, status, message_id, error, error_code, note, final_status, failure.'

# octopods sms
complete -c octopods -n '__octopods_word sms' -a send -d 'Send an SMS.'

# octopods sms send
complete -c octopods -n '__octopods_at "sms send"' -l to -x -d 'Recipient, E.164: +14155552671 (or many with --from).'
complete -c octopods -n '__octopods_at "sms send"' -l body -x -d 'The message text (with --from: for rows without a body column).'
complete -c octopods -n '__octopods_at "sms send"' -l body-file -r -F -d 'Read the message text from FILE (- for stdin); one trailing newline is dropped.'
complete -c octopods -n '__octopods_at "sms send"' -l name -x -d 'Display name for a contact Octopods creates (with --open-conversation).'
complete -c octopods -n '__octopods_at "sms send"' -l open-conversation -d 'Open a conversation in Intercom or HubSpot for this message.'
complete -c octopods -n '__octopods_at "sms send"' -l teammate -x -d 'Intercom teammate shown as the sender (ignored on HubSpot).'
complete -c octopods -n '__octopods_at "sms send"' -l dry-run -d 'Check everything and print the exact request (key redacted) and a preview; send nothing.'
complete -c octopods -n '__octopods_at "sms send"' -l wait -d 'Poll the status until it is final or --wait-timeout (default 2m) passes: exit 0 delivered, 1 failed, 6 sent but not confirmed.'
complete -c octopods -n '__octopods_at "sms send"' -l until -x -a 'delivered read' -d 'With --wait: the state that counts as done (default delivered).'
complete -c octopods -n '__octopods_at "sms send"' -l wait-timeout -x -d 'With --wait: give up waiting after this long in all (default 2m); --timeout is each request\'s.'
complete -c octopods -n '__octopods_at "sms send"' -l max-wait -x -d 'If rate limited (429) or the connection is refused, keep trying for up to this long (counted from the start, every request of the command).'
complete -c octopods -n '__octopods_at "sms send"' -l no-ledger -d 'Do not record this send in the local history (see \'octopods history\'; or set \'ledger = off\').'
complete -c octopods -n '__octopods_at "sms send"' -l allow-repeat -d 'Send even if the history shows the identical message (same recipient and content) sent within repeat_window (default 24h).'
complete -c octopods -n '__octopods_at "sms send"' -l idempotency-key -x -d 'Send once per KEY: a later send with the same KEY and request prints the first result and sends nothing; with another request it is refused.'
complete -c octopods -n '__octopods_at "sms send"' -l from -r -F -d 'Send to every row of a CSV (a header row naming the columns; comma, semicolon, tab or | between fields) or NDJSON file; - for stdin.'
complete -c octopods -n '__octopods_at "sms send"' -l phone-column -x -d 'Bulk: the column that holds the phone number (default: the one named phone, phone number, mobile, msisdn, to, number or whatsapp).'
complete -c octopods -n '__octopods_at "sms send"' -l delimiter -x -d 'Bulk: the CSV field delimiter: , ; tab or | (default: found from the header line).'
complete -c octopods -n '__octopods_at "sms send"' -l exclude -r -F -d 'Bulk: skip the numbers in FILE (one a line, or a CSV with a phone column): opt-outs.'
complete -c octopods -n '__octopods_at "sms send"' -l rejected -r -F -d 'Bulk: write the rows that were not sent because they are invalid or the API rejected them to FILE, in the input\'s format with a reason column, to fix and send again.'
complete -c octopods -n '__octopods_at "sms send"' -l journal -r -F -d 'Bulk: where the run records each row\'s state (default: one per input and command under $XDG_STATE_HOME/octopods/journals/). Run the same command again to resume.'
complete -c octopods -n '__octopods_at "sms send"' -l new-run -d 'Bulk: send the input again as a new run, though its journal records a finished or changed one (the old journal is kept, renamed with its time).'
complete -c octopods -n '__octopods_at "sms send"' -l rate -x -d 'Bulk: at most N requests in any DURATION (default: the profile\'s rate, 55/10s, the API\'s limit; \'off\' for none).'
complete -c octopods -n '__octopods_at "sms send"' -l concurrency -x -d 'Bulk: requests in flight at once (default 4).'
complete -c octopods -n '__octopods_at "sms send"' -l skip-invalid -d 'Bulk: send the valid rows even when some are invalid (they are listed, then skipped).'
complete -c octopods -n '__octopods_at "sms send"' -l idempotency-column -x -d 'Bulk: each row\'s idempotency key (an order id) is in column NAME: a row whose key was sent with the same request is not sent again (see --idempotency-key).'
complete -c octopods -n '__octopods_at "sms send"' -l resend-unknown -d 'Bulk: resend rows whose earlier request went out with no recorded answer (they may be delivered twice).'
complete -c octopods -n '__octopods_at "sms send"' -l max-messages -x -d 'Bulk: refuse to run if more than N messages would be sent.'
complete -c octopods -n '__octopods_at "sms send"' -s y -l yes -d 'Bulk: do not ask for confirmation before sending more than 100 messages.'
complete -c octopods -n '__octopods_at "sms send"' -l fields -x -d 'Only these fields, in this order, as table columns and JSON keys (comma-separated): line, phone, status, message_id, error, error_code, note, final_status, failure.'

# octopods vbm
complete -c octopods -n '__octopods_word vbm' -a send -d 'Send a Viber template message.'

# octopods vbm send
complete -c octopods -n '__octopods_at "vbm send"' -l to -x -d 'Recipient, E.164: +14155552671 (or many with --from).'
complete -c octopods -n '__octopods_at "vbm send"' -l var -x -d 'Body placeholder {{N}}, e.g. --var 1=Jane --var 2=A-1042.'
complete -c octopods -n '__octopods_at "vbm send"' -l header-var -x -d 'Header placeholders, in order.'
complete -c octopods -n '__octopods_at "vbm send"' -l footer-var -x -d 'Footer placeholders, in order.'
complete -c octopods -n '__octopods_at "vbm send"' -l variables -x -d 'The raw message_variables value (JSON text, @file, or - for stdin), instead of the flags above.'
complete -c octopods -n '__octopods_at "vbm send"' -l variables-format -x -a 'sectioned array keyed' -d 'Shape of message_variables: sectioned (default), array or keyed (both body-only).'
complete -c octopods -n '__octopods_at "vbm send"' -l header-image -x -d 'Public URL of the header image, for templates with an image header.'
complete -c octopods -n '__octopods_at "vbm send"' -l open-conversation -d 'Open a conversation in Intercom or HubSpot for this message.'
complete -c octopods -n '__octopods_at "vbm send"' -l teammate -x -d 'Intercom teammate shown as the sender (default: the channel\'s default sender).'
complete -c octopods -n '__octopods_at "vbm send"' -l no-verify -d 'Skip fetching the template to check status, variables and header before sending.'
complete -c octopods -n '__octopods_at "vbm send"' -l dry-run -d 'Check everything and print the exact request (key redacted) and a preview; send nothing.'
complete -c octopods -n '__octopods_at "vbm send"' -l max-wait -x -d 'If rate limited (429) or the connection is refused, keep trying for up to this long (counted from the start, every request of the command).'
complete -c octopods -n '__octopods_at "vbm send"' -l no-ledger -d 'Do not record this send in the local history (see \'octopods history\'; or set \'ledger = off\').'
complete -c octopods -n '__octopods_at "vbm send"' -l allow-repeat -d 'Send even if the history shows the identical message (same recipient and content) sent within repeat_window (default 24h).'
complete -c octopods -n '__octopods_at "vbm send"' -l idempotency-key -x -d 'Send once per KEY: a later send with the same KEY and request prints the first result and sends nothing; with another request it is refused.'
complete -c octopods -n '__octopods_at "vbm send"' -l from -r -F -d 'Send to every row of a CSV (a header row naming the columns; comma, semicolon, tab or | between fields) or NDJSON file; - for stdin.'
complete -c octopods -n '__octopods_at "vbm send"' -l phone-column -x -d 'Bulk: the column that holds the phone number (default: the one named phone, phone number, mobile, msisdn, to, number or whatsapp).'
complete -c octopods -n '__octopods_at "vbm send"' -l delimiter -x -d 'Bulk: the CSV field delimiter: , ; tab or | (default: found from the header line).'
complete -c octopods -n '__octopods_at "vbm send"' -l exclude -r -F -d 'Bulk: skip the numbers in FILE (one a line, or a CSV with a phone column): opt-outs.'
complete -c octopods -n '__octopods_at "vbm send"' -l rejected -r -F -d 'Bulk: write the rows that were not sent because they are invalid or the API rejected them to FILE, in the input\'s format with a reason column, to fix and send again.'
complete -c octopods -n '__octopods_at "vbm send"' -l journal -r -F -d 'Bulk: where the run records each row\'s state (default: one per input and command under $XDG_STATE_HOME/octopods/journals/). Run the same command again to resume.'
complete -c octopods -n '__octopods_at "vbm send"' -l new-run -d 'Bulk: send the input again as a new run, though its journal records a finished or changed one (the old journal is kept, renamed with its time).'
complete -c octopods -n '__octopods_at "vbm send"' -l rate -x -d 'Bulk: at most N requests in any DURATION (default: the profile\'s rate, 55/10s, the API\'s limit; \'off\' for none).'
complete -c octopods -n '__octopods_at "vbm send"' -l concurrency -x -d 'Bulk: requests in flight at once (default 4).'
complete -c octopods -n '__octopods_at "vbm send"' -l skip-invalid -d 'Bulk: send the valid rows even when some are invalid (they are listed, then skipped).'
complete -c octopods -n '__octopods_at "vbm send"' -l idempotency-column -x -d 'Bulk: each row\'s idempotency key (an order id) is in column NAME: a row whose key was sent with the same request is not sent again (see --idempotency-key).'
complete -c octopods -n '__octopods_at "vbm send"' -l resend-unknown -d 'Bulk: resend rows whose earlier request went out with no recorded answer (they may be delivered twice).'
complete -c octopods -n '__octopods_at "vbm send"' -l max-messages -x -d 'Bulk: refuse to run if more than N messages would be sent.'
complete -c octopods -n '__octopods_at "vbm send"' -s y -l yes -d 'Bulk: do not ask for confirmation before sending more than 100 messages.'
complete -c octopods -n '__octopods_at "vbm send"' -l fields -x -d 'Only these fields, in this order, as table columns and JSON keys (comma-separated): line, phone, status, message_id, error, error_code, note, final_status, failure.'
complete -c octopods -n '__octopods_argument "vbm send" 0' -a '(__octopods_dynamic vbm-templates)' -d template-id

# octopods status
complete -c octopods -n '__octopods_at status' -l channel -x -a 'whatsapp sms' -d 'The channel it was sent on: whatsapp or sms (default: the channel the history records for this id, else whatsapp).'
complete -c octopods -n '__octopods_at status' -l fields -x -d 'Only these fields, in this order, as table columns and JSON keys (comma-separated): message_id, status, status_message, phone_number, channel_message_id, sent_at, delivered_at, read_at, last_updated, failure_reason, request_id.'
complete -c octopods -n '__octopods_at status' -l wait -d 'Poll the status until it is final or --wait-timeout (default 2m) passes: exit 0 delivered, 1 failed, 6 sent but not confirmed.'
complete -c octopods -n '__octopods_at status' -l until -x -a 'delivered read' -d 'With --wait: the state that counts as done (default delivered).'
complete -c octopods -n '__octopods_at status' -l wait-timeout -x -d 'With --wait: give up waiting after this long in all (default 2m); --timeout is each request\'s.'

# octopods messages
complete -c octopods -n '__octopods_word messages' -a list -d 'List the most recent WhatsApp messages sent with this key, newest first.'

# octopods messages list
complete -c octopods -n '__octopods_at "messages list"' -l limit -x -d 'How many (1–100; the API\'s default and maximum is 100).'
complete -c octopods -n '__octopods_at "messages list"' -l fields -x -d 'Only these fields, in this order, as table columns and JSON keys (comma-separated): message_id, phone_number, status, sent_at, failure_reason, message_content, raw.'

# octopods history
complete -c octopods -n '__octopods_word history' -a refresh -d 'Ask the API for the current status of sends that are not final yet, and record it.'
complete -c octopods -n '__octopods_word history' -a stats -d 'Count sends and delivery and read rates per day, hour, template, channel or status.'
complete -c octopods -n '__octopods_word history' -a prune -d 'Delete history records older than a time.'
complete -c octopods -n '__octopods_at history' -l since -x -a '1h 24h 7d 2w today yesterday' -d 'Sends at or after WHEN (e.g. 24h, 2w, 2026-11-01).'
complete -c octopods -n '__octopods_at history' -l until -x -a '1h 24h 7d 2w today yesterday' -d 'Sends before WHEN.'
complete -c octopods -n '__octopods_at history' -l channel -x -a 'whatsapp sms vbm' -d 'Only this channel: whatsapp, sms or vbm (repeatable).'
complete -c octopods -n '__octopods_at history' -l to -x -d 'Only sends to this number (E.164).'
complete -c octopods -n '__octopods_at history' -l template -x -d 'Only sends of this template.'
complete -c octopods -n '__octopods_at history' -l status -x -a 'accepted rejected unknown queued sent delivered read failed undelivered deleted expired' -d 'Only sends in this state (repeatable): accepted, rejected, unknown, or a delivery status (sent, delivered, read, failed, …).'
complete -c octopods -n '__octopods_at history' -l limit -x -d 'Show the most recent N matches (default 100; 0 for all).'
complete -c octopods -n '__octopods_at history' -l fields -x -d 'Only these fields, in this order, as table columns and JSON keys (comma-separated): time, profile, channel, kind, template_id, template_name, to, message_id, request_id, outcome, error, status, status_time, failure, source.'

# octopods history refresh
complete -c octopods -n '__octopods_at "history refresh"' -l since -x -a '1h 24h 7d 2w today yesterday' -d 'Sends at or after WHEN (e.g. 24h, 2w, 2026-11-01).'
complete -c octopods -n '__octopods_at "history refresh"' -l until -x -a '1h 24h 7d 2w today yesterday' -d 'Sends before WHEN.'
complete -c octopods -n '__octopods_at "history refresh"' -l channel -x -a 'whatsapp sms vbm' -d 'Only this channel: whatsapp, sms or vbm (repeatable).'
complete -c octopods -n '__octopods_at "history refresh"' -l to -x -d 'Only sends to this number (E.164).'
complete -c octopods -n '__octopods_at "history refresh"' -l template -x -d 'Only sends of this template.'
complete -c octopods -n '__octopods_at "history refresh"' -l status -x -a 'accepted rejected unknown queued sent delivered read failed undelivered deleted expired' -d 'Only sends in this state (repeatable): accepted, rejected, unknown, or a delivery status (sent, delivered, read, failed, …).'
complete -c octopods -n '__octopods_at "history refresh"' -l limit -x -d 'Refresh only the most recent N matches (default 0: all).'
complete -c octopods -n '__octopods_at "history refresh"' -l rate -x -d 'At most N status requests in any DURATION (default: the profile\'s rate, 55/10s).'
complete -c octopods -n '__octopods_at "history refresh"' -l fields -x -d 'Only these fields, in this order, as table columns and JSON keys (comma-separated): message_id, channel, to, time, before, status, changed, failure, error.'

# octopods history stats
complete -c octopods -n '__octopods_at "history stats"' -l since -x -a '1h 24h 7d 2w today yesterday' -d 'Sends at or after WHEN (e.g. 24h, 2w, 2026-11-01).'
complete -c octopods -n '__octopods_at "history stats"' -l until -x -a '1h 24h 7d 2w today yesterday' -d 'Sends before WHEN.'
complete -c octopods -n '__octopods_at "history stats"' -l channel -x -a 'whatsapp sms vbm' -d 'Only this channel: whatsapp, sms or vbm (repeatable).'
complete -c octopods -n '__octopods_at "history stats"' -l to -x -d 'Only sends to this number (E.164).'
complete -c octopods -n '__octopods_at "history stats"' -l template -x -d 'Only sends of this template.'
complete -c octopods -n '__octopods_at "history stats"' -l by -x -a 'day hour template channel status' -d 'One row per day (default), hour, template, channel or status.'
complete -c octopods -n '__octopods_at "history stats"' -l refresh -d 'Run \'history refresh\' over the same sends first (paced).'
complete -c octopods -n '__octopods_at "history stats"' -l rate -x -d 'With --refresh: at most N status requests in any DURATION (default: the profile\'s rate, 55/10s).'

# octopods history prune
complete -c octopods -n '__octopods_at "history prune"' -l before -x -d 'Delete records older than WHEN (e.g. 90d, 2026-01-01).'
complete -c octopods -n '__octopods_at "history prune"' -l dry-run -d 'Count what would be deleted; delete nothing.'
complete -c octopods -n '__octopods_at "history prune"' -s y -l yes -d 'Do not ask for confirmation (needed when not at a terminal).'

# octopods listen
complete -c octopods -n '__octopods_at listen' -l since -x -d 'Watch sends at or after WHEN (default 72h).'
complete -c octopods -n '__octopods_at listen' -l events -x -d 'Only these events, comma-separated: sent, delivered, read, failed, deleted, expired.'
complete -c octopods -n '__octopods_at listen' -l forward-to -x -d 'POST each event to URL, signed (Standard Webhooks); retried until a 2xx answer.'
complete -c octopods -n '__octopods_at listen' -l exec -x -d 'Run COMMAND (through sh) per event, the event\'s JSON on stdin; retried until it exits 0.'
complete -c octopods -n '__octopods_at listen' -l budget -x -d 'Use at most this share of the key\'s rate for polling (default 25%).'
complete -c octopods -n '__octopods_at listen' -l print-secret -d 'Print this profile\'s webhook signing secret (made on first use) and exit.'

# octopods api
complete -c octopods -n '__octopods_at api' -s X -l method -x -d 'HTTP method (default GET, or POST when there is a body).'
complete -c octopods -n '__octopods_at api' -s f -l raw-field -x -d 'Add a string field to the JSON body (or the query with -X GET).'
complete -c octopods -n '__octopods_at api' -s F -l field -x -d 'Add a typed field: true, false, null, a number or JSON as such; @FILE or @- reads the value from a file or stdin.'
complete -c octopods -n '__octopods_at api' -l input -r -F -d 'Send this file (- for standard input) as the body, as it is; fields then go to the query.'
complete -c octopods -n '__octopods_at api' -s H -l header -x -d 'Add a request header (not the key\'s header); \'NAME:\' with no value removes one octopods sends, such as User-Agent.'
complete -c octopods -n '__octopods_at api' -l channel -x -a 'whatsapp sms vbm' -d 'Whose key to use: whatsapp, sms or vbm (default: PATH\'s first segment).'
complete -c octopods -n '__octopods_at api' -s i -l include -d 'Print the response status and headers before the body.'
complete -c octopods -n '__octopods_at api' -l dry-run -d 'Print the request that would be made (key redacted); send nothing.'
complete -c octopods -n '__octopods_argument api 0' -a 'whatsapp/templates whatsapp/templates/TEMPLATE_ID whatsapp/templates/TEMPLATE_ID/messages whatsapp/messages whatsapp/messages/MESSAGE_ID whatsapp/interactive sms/messages sms/messages/MESSAGE_ID vbm/templates vbm/templates/TEMPLATE_ID vbm/templates/TEMPLATE_ID/messages' -d path

# octopods config
complete -c octopods -n '__octopods_word config' -a set -d 'Store a setting in the config file; API keys are read from stdin or a hidden prompt.'
complete -c octopods -n '__octopods_word config' -a get -d 'Print a setting\'s effective value (keys masked).'
complete -c octopods -n '__octopods_word config' -a unset -d 'Remove a setting from the profile in the config file.'
complete -c octopods -n '__octopods_word config' -a list -d 'Show every setting in effect and where it comes from (keys masked).'
complete -c octopods -n '__octopods_word config' -a path -d 'Print the config file\'s path (whether or not it exists).'
complete -c octopods -n '__octopods_word config' -a profiles -d 'List the profiles in the config file: the default, and where each key comes from.'
complete -c octopods -n '__octopods_word config' -a use -d 'Make a profile the default (used when neither --profile nor OCTOPODS_PROFILE names one).'

# octopods config set
complete -c octopods -n '__octopods_argument "config set" 0' -a 'whatsapp_api_key sms_api_key vbm_api_key base_url ledger rate repeat_window ca_file state_store' -d key

# octopods config get
complete -c octopods -n '__octopods_argument "config get" 0' -a 'whatsapp_api_key sms_api_key vbm_api_key base_url ledger rate repeat_window ca_file state_store' -d key

# octopods config unset
complete -c octopods -n '__octopods_argument "config unset" 0' -a 'whatsapp_api_key sms_api_key vbm_api_key base_url ledger rate repeat_window ca_file state_store' -d key

# octopods config profiles
complete -c octopods -n '__octopods_word "config profiles"' -a remove -d 'Delete a profile and every setting in it from the config file.'

# octopods completion
complete -c octopods -n '__octopods_argument completion 0' -a 'bash zsh fish' -d shell

# octopods sandbox
complete -c octopods -n '__octopods_at sandbox' -l port -x -d 'Port on 127.0.0.1 (0 picks a free one; default 4747).'
complete -c octopods -n '__octopods_at sandbox' -l state -r -F -d 'State file (default ${XDG_STATE_HOME:-~/.local/state}/octopods/sandbox.json).'
complete -c octopods -n '__octopods_at sandbox' -l reset -d 'Start from a clean state: delete the state file first (only a sandbox state file).'
complete -c octopods -n '__octopods_at sandbox' -l log -r -F -d 'Append every request as a JSON line to FILE.'
complete -c octopods -n '__octopods_at sandbox' -l rate-limit -x -d 'Allow N requests per SECONDS per key (default 55/10).'
complete -c octopods -n '__octopods_at sandbox' -l cooldown -x -d 'Refusal period after the limit is exceeded (default 5m).'
complete -c octopods -n '__octopods_at sandbox' -l no-rate-limit -d 'No rate limit at all.'
complete -c octopods -n '__octopods_at sandbox' -l stage-interval -x -d 'Time between status stages, e.g. sent → delivered (default 2s).'
complete -c octopods -n '__octopods_at sandbox' -l status-memory -x -d 'Status lookups know only each key\'s newest N messages, as an API that forgets (default: all).'
