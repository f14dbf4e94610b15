# shellcheck shell=bash
# bash completion for octopods, generated from its command specs by
# 'octopods completion bash'; do not edit.
#
# With bash-completion, install it as
#   ${XDG_DATA_HOME:-~/.local/share}/bash-completion/completions/octopods
# (or /usr/share/bash-completion/completions/octopods); without it, source it from ~/.bashrc:
#   source <(octopods completion bash)

# The visible subcommands of a command path, in reply.
_octopods_commands() {
    case $1 in
        '') reply=(templates send sms vbm status messages history listen api config completion doctor sandbox) ;;
        templates) reply=(list get render csv) ;;
        send) reply=(template interactive) ;;
        sms) reply=(send) ;;
        vbm) reply=(send) ;;
        messages) reply=(list) ;;
        history) reply=(refresh stats prune) ;;
        config) reply=(set get unset list path profiles use) ;;
        'config profiles') reply=(remove) ;;
        *) reply=() ;;
    esac
}

# The options offered for a command path (its own and the global ones), in reply.
_octopods_options() {
    case $1 in
        'templates list') reply=(--channel --status --active --lang --fields) ;;
        'templates get') reply=(--channel) ;;
        'templates render') reply=(--channel --var --header-var --footer-var --button-var --variables --variables-format --header-url) ;;
        'templates csv') reply=(--channel) ;;
        'send template') reply=(--to --var --header-var --footer-var --button-var --variables --variables-format --header-url --name --open-conversation --teammate --no-verify --dry-run --wait --until --wait-timeout --max-wait --no-ledger --allow-repeat --idempotency-key --from --phone-column --delimiter --exclude --rejected --journal --new-run --rate --concurrency --skip-invalid --idempotency-column --resend-unknown --max-messages -y --yes --fields) ;;
        'send interactive') reply=(--to --file --body --footer --header-text --header-image --header-video --header-document --button --list-button --section --row --open-conversation --teammate --dry-run --wait --until --wait-timeout --max-wait --no-ledger --allow-repeat --idempotency-key --from --phone-column --delimiter --exclude --rejected --journal --new-run --rate --concurrency --skip-invalid --idempotency-column --resend-unknown --max-messages -y --yes --fields) ;;
        'sms send') reply=(--to --body --body-file --name --open-conversation --teammate --dry-run --wait --until --wait-timeout --max-wait --no-ledger --allow-repeat --idempotency-key --from --phone-column --delimiter --exclude --rejected --journal --new-run --rate --concurrency --skip-invalid --idempotency-column --resend-unknown --max-messages -y --yes --fields) ;;
        'vbm send') reply=(--to --var --header-var --footer-var --variables --variables-format --header-image --open-conversation --teammate --no-verify --dry-run --max-wait --no-ledger --allow-repeat --idempotency-key --from --phone-column --delimiter --exclude --rejected --journal --new-run --rate --concurrency --skip-invalid --idempotency-column --resend-unknown --max-messages -y --yes --fields) ;;
        status) reply=(--channel --fields --wait --until --wait-timeout) ;;
        'messages list') reply=(--limit --fields) ;;
        history) reply=(--since --until --channel --to --template --status --limit --fields) ;;
        'history refresh') reply=(--since --until --channel --to --template --status --limit --rate --fields) ;;
        'history stats') reply=(--since --until --channel --to --template --by --refresh --rate) ;;
        'history prune') reply=(--before --dry-run -y --yes) ;;
        listen) reply=(--since --events --forward-to --exec --budget --print-secret) ;;
        api) reply=(-X --method -f --raw-field -F --field --input -H --header --channel -i --include --dry-run) ;;
        sandbox) reply=(--port --state --reset --log --rate-limit --cooldown --no-rate-limit --stage-interval --status-memory) ;;
        *) reply=() ;;
    esac
    reply+=(-o --output --json --profile --config --base-url --state-store --timeout --sandbox -v --verbose -q --quiet --no-color --no-input -h --help --version)
}

# What an option of a command path takes: sets kind to none, files, choices (the words
# in reply) or dynamic (the name to ask for in reply); leaves kind empty for a flag or
# an unknown option.
_octopods_option() {
    kind=
    reply=()
    case $1:$2 in
        'templates list:--channel') kind=choices reply=(whatsapp vbm) ;;
        'templates list:--status') kind=choices reply=(pending under_review needs_modification rejected accepted deleted) ;;
        'templates list:--active') kind=choices reply=(true false) ;;
        'templates list:--lang'|'templates list:--fields') kind=none ;;
        'templates get:--channel') kind=choices reply=(whatsapp vbm) ;;
        'templates render:--channel') kind=choices reply=(whatsapp vbm) ;;
        'templates render:--var'|'templates render:--header-var'|'templates render:--footer-var'|'templates render:--button-var'|'templates render:--variables'|'templates render:--header-url') kind=none ;;
        'templates render:--variables-format') kind=choices reply=(sectioned array keyed) ;;
        'templates csv:--channel') kind=choices reply=(whatsapp vbm) ;;
        'send template:--to'|'send template:--var'|'send template:--header-var'|'send template:--footer-var'|'send template:--button-var'|'send template:--variables'|'send template:--header-url'|'send template:--name'|'send template:--teammate'|'send template:--wait-timeout'|'send template:--max-wait'|'send template:--idempotency-key'|'send template:--phone-column'|'send template:--delimiter'|'send template:--rate'|'send template:--concurrency'|'send template:--idempotency-column'|'send template:--max-messages'|'send template:--fields') kind=none ;;
        'send template:--variables-format') kind=choices reply=(sectioned array keyed) ;;
        'send template:--until') kind=choices reply=(delivered read) ;;
        'send template:--from'|'send template:--exclude'|'send template:--rejected'|'send template:--journal') kind=files ;;
        'send interactive:--to'|'send interactive:--body'|'send interactive:--footer'|'send interactive:--header-text'|'send interactive:--header-image'|'send interactive:--header-video'|'send interactive:--header-document'|'send interactive:--button'|'send interactive:--list-button'|'send interactive:--section'|'send interactive:--row'|'send interactive:--teammate'|'send interactive:--wait-timeout'|'send interactive:--max-wait'|'send interactive:--idempotency-key'|'send interactive:--phone-column'|'send interactive:--delimiter'|'send interactive:--rate'|'send interactive:--concurrency'|'send interactive:--idempotency-column'|'send interactive:--max-messages'|'send interactive:--fields') kind=none ;;
        'send interactive:--file'|'send interactive:--from'|'send interactive:--exclude'|'send interactive:--rejected'|'send interactive:--journal') kind=files ;;
        'send interactive:--until') kind=choices reply=(delivered read) ;;
        'sms send:--to'|'sms send:--body'|'sms send:--name'|'sms send:--teammate'|'sms send:--wait-timeout'|'sms send:--max-wait'|'sms send:--idempotency-key'|'sms send:--phone-column'|'sms send:--delimiter'|'sms send:--rate'|'sms send:--concurrency'|'sms send:--idempotency-column'|'sms send:--max-messages'|'sms send:--fields') kind=none ;;
        'sms send:--body-file'|'sms send:--from'|'sms send:--exclude'|'sms send:--rejected'|'sms send:--journal') kind=files ;;
        'sms send:--until') kind=choices reply=(delivered read) ;;
        'vbm send:--to'|'vbm send:--var'|'vbm send:--header-var'|'vbm send:--footer-var'|'vbm send:--variables'|'vbm send:--header-image'|'vbm send:--teammate'|'vbm send:--max-wait'|'vbm send:--idempotency-key'|'vbm send:--phone-column'|'vbm send:--delimiter'|'vbm send:--rate'|'vbm send:--concurrency'|'vbm send:--idempotency-column'|'vbm send:--max-messages'|'vbm send:--fields') kind=none ;;
        'vbm send:--variables-format') kind=choices reply=(sectioned array keyed) ;;
        'vbm send:--from'|'vbm send:--exclude'|'vbm send:--rejected'|'vbm send:--journal') kind=files ;;
        status:--channel) kind=choices reply=(whatsapp sms) ;;
        status:--fields|status:--wait-timeout) kind=none ;;
        status:--until) kind=choices reply=(delivered read) ;;
        'messages list:--limit'|'messages list:--fields') kind=none ;;
        history:--since|history:--until) kind=choices reply=(1h 24h 7d 2w today yesterday) ;;
        history:--channel) kind=choices reply=(whatsapp sms vbm) ;;
        history:--to|history:--template|history:--limit|history:--fields) kind=none ;;
        history:--status) kind=choices reply=(accepted rejected unknown queued sent delivered read failed undelivered deleted expired) ;;
        'history refresh:--since'|'history refresh:--until') kind=choices reply=(1h 24h 7d 2w today yesterday) ;;
        'history refresh:--channel') kind=choices reply=(whatsapp sms vbm) ;;
        'history refresh:--to'|'history refresh:--template'|'history refresh:--limit'|'history refresh:--rate'|'history refresh:--fields') kind=none ;;
        'history refresh:--status') kind=choices reply=(accepted rejected unknown queued sent delivered read failed undelivered deleted expired) ;;
        'history stats:--since'|'history stats:--until') kind=choices reply=(1h 24h 7d 2w today yesterday) ;;
        'history stats:--channel') kind=choices reply=(whatsapp sms vbm) ;;
        'history stats:--to'|'history stats:--template'|'history stats:--rate') kind=none ;;
        'history stats:--by') kind=choices reply=(day hour template channel status) ;;
        'history prune:--before') kind=none ;;
        listen:--since|listen:--events|listen:--forward-to|listen:--exec|listen:--budget|listen:--polls) kind=none ;;
        api:-X|api:--method|api:-f|api:--raw-field|api:-F|api:--field|api:-H|api:--header) kind=none ;;
        api:--input) kind=files ;;
        api:--channel) kind=choices reply=(whatsapp sms vbm) ;;
        sandbox:--port|sandbox:--rate-limit|sandbox:--cooldown|sandbox:--stage-interval|sandbox:--status-memory|sandbox:--slow-delay|sandbox:--request-deadline) kind=none ;;
        sandbox:--state|sandbox:--log) kind=files ;;
        *:-o|*:--output) kind=choices reply=(table json ndjson csv) ;;
        *:--profile) kind=none ;;
        *:--config) kind=files ;;
        *:--base-url) kind=none ;;
        *:--state-store) kind=none ;;
        *:--timeout) kind=none ;;
    esac
}

# What a positional argument takes, by command path and index from 0, as _octopods_option.
_octopods_argument() {
    kind=
    reply=()
    case $1:$2 in
        'templates get:0') kind=dynamic reply=(templates) ;;
        'templates render:0') kind=dynamic reply=(templates) ;;
        'templates csv:0') kind=dynamic reply=(templates) ;;
        'send template:0') kind=dynamic reply=(templates) ;;
        'vbm send:0') kind=dynamic reply=(vbm-templates) ;;
        api:0) kind=choices reply=(whatsapp/templates whatsapp/templates/TEMPLATE_ID whatsapp/templates/TEMPLATE_ID/messages whatsapp/messages whatsapp/messages/MESSAGE_ID whatsapp/interactive sms/messages sms/messages/MESSAGE_ID vbm/templates vbm/templates/TEMPLATE_ID vbm/templates/TEMPLATE_ID/messages) ;;
        'config set:0') kind=choices reply=(whatsapp_api_key sms_api_key vbm_api_key base_url ledger rate repeat_window ca_file state_store) ;;
        'config get:0') kind=choices reply=(whatsapp_api_key sms_api_key vbm_api_key base_url ledger rate repeat_window ca_file state_store) ;;
        'config unset:0') kind=choices reply=(whatsapp_api_key sms_api_key vbm_api_key base_url ledger rate repeat_window ca_file state_store) ;;
        completion:0) kind=choices reply=(bash zsh fish) ;;
    esac
}

# Succeeds for the global options that take a value: they are passed on when the
# program is asked for candidates, so it sees the same profile, config and base URL.
_octopods_forwarded() {
    case $1 in
        -o|--output|--profile|--config|--base-url|--state-store|--timeout) return 0 ;;
    esac
    return 1
}

# Fills COMPREPLY for the word being completed (cur), as kind and reply describe.
_octopods_values() {
    local word
    COMPREPLY=()
    case $kind in
        choices)
            for word in "${reply[@]}"; do
                [[ $word == "$cur"* ]] && COMPREPLY+=("$word")
            done
            ;;
        files)
            if declare -F _filedir >/dev/null 2>&1; then
                _filedir
            else
                compopt -o filenames 2>/dev/null
                while IFS= read -r word; do
                    COMPREPLY+=("$word")
                done < <(compgen -f -- "$cur")
            fi
            ;;
        dynamic)
            # Candidates come from a server: quoted for the shell (%q), never inserted raw.
            while IFS=$'\t' read -r word _; do
                [[ -n $word && $word == "$cur"* ]] || continue
                printf -v word '%q' "$word"
                COMPREPLY+=("$word")
            done < <("$program" "${forward[@]}" __complete "${reply[0]}" 2>/dev/null)
            ;;
    esac
}

# Without bash-completion: the words as _init_completion -s would give them. Readline
# splits "--opt=value" at '='; join it back, then split the word under the cursor into
# prev (the option) and cur (the value).
_octopods_init() {
    local i last glue=false
    words=()
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        last=$((${#words[@]} - 1))
        if $glue; then
            words[last]+=${COMP_WORDS[i]}
            glue=false
        elif [[ ${COMP_WORDS[i]} == = && $last -gt 0 && ${words[last]} == --* && ${words[last]} != *=* ]]; then
            words[last]+='='
            glue=true
        else
            words+=("${COMP_WORDS[i]}")
        fi
        if ((i == COMP_CWORD)); then
            cword=$((${#words[@]} - 1))
        fi
    done
    cur=${words[cword]}
    prev=${words[cword - 1]}
    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        cur=${cur#*=}
        split=true
    fi
    COMPREPLY=()
}

_octopods() {
    local cur prev words cword split=false program=$1
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -s || return
    else
        _octopods_init
    fi
    local path='' word option='' pending='' ended=false kind='' i k n=0
    local -a reply=() forward=()
    # The command path, the number of positionals and the forwarded global options,
    # from the words before the cursor.
    for ((i = 1; i < cword; i++)); do
        word=${words[i]}
        if [[ -n $pending ]]; then
            [[ $pending == forward ]] && forward+=("$word")
            pending=
            continue
        fi
        if ! $ended && [[ $word == -?* && $word != -[0-9]* ]]; then
            case $word in
                --) ended=true ;;
                --*=*) _octopods_forwarded "${word%%=*}" && forward+=("$word") ;;
                --*)
                    _octopods_option "$path" "$word"
                    if [[ -n $kind ]]; then
                        option=$word
                        pending=value
                        if _octopods_forwarded "$word"; then
                            pending=forward
                            forward+=("$word")
                        fi
                    fi
                    ;;
                *)
                    for ((k = 1; k < ${#word}; k++)); do
                        _octopods_option "$path" "-${word:k:1}"
                        if [[ -n $kind ]]; then
                            if ((k == ${#word} - 1)); then
                                option=-${word:k:1}
                                pending=value
                            fi
                            if _octopods_forwarded "-${word:k:1}"; then
                                forward+=("$word")
                                [[ -n $pending ]] && pending=forward
                            fi
                            break
                        fi
                    done
                    ;;
            esac
            continue
        fi
        _octopods_commands "$path"
        if ! $ended && [[ " ${reply[*]} " == *" $word "* ]]; then
            path=${path:+$path }$word
        else
            n=$((n + 1))
        fi
    done

    if $split; then
        _octopods_option "$path" "$prev"
        _octopods_values
        if [[ $COMP_WORDBREAKS != *=* ]]; then
            COMPREPLY=("${COMPREPLY[@]/#/$prev=}")
        fi
    elif [[ -n $pending ]]; then
        _octopods_option "$path" "$option"
        _octopods_values
    elif ! $ended && [[ $cur == -* ]]; then
        _octopods_options "$path"
        kind=choices
        _octopods_values
    else
        _octopods_commands "$path"
        if ((${#reply[@]})); then
            kind=choices
        else
            _octopods_argument "$path" "$n"
        fi
        _octopods_values
    fi
    return 0
}

complete -F _octopods octopods
