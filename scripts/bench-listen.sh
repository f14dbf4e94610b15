#!/usr/bin/env bash
# Memory of a long `octopods listen` (docs/performance.md; not a test): the resident set after
# 1,000 and after 10,000 events, while batches of sends keep arriving and finishing, so that
# what it holds is what is in flight, not what went by. listen runs with the hidden --polls
# (no waiting between polls) at the whole of a high rate, against the sandbox with its limit
# off and statuses moving every 0.2 s: events come fast, the code paths are those of any run.
# Usage: scripts/bench-listen.sh          (builds release)
#        BIN=... EVENTS=10000 BATCH=100 SINCE=72h scripts/bench-listen.sh
# Each scan of the ledger holds the statuses of the sends in the --since window for a moment:
# the peak grows with the sends in the window (bounded by it), not with the events or the time.
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

events="${EVENTS:-10000}"
batch="${BATCH:-100}"
since="${SINCE:-72h}"

release_binary
need awk
start_sandbox --no-rate-limit --stage-interval 0.2s
export OCTOPODS_BASE_URL="$base_url" OCTOPODS_WHATSAPP_API_KEY="$whatsapp_key" NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export HOME="$tmp"
mkdir -p "$tmp/.config/octopods"
printf '[default]\nrate = 2000/1s\n' >"$tmp/.config/octopods/config"
chmod 600 "$tmp/.config/octopods/config"

# Every WhatsApp message makes three events (sent, delivered, read).
"$BIN" listen --polls 1000000 --budget 100% --since "$since" -q >"$tmp/events" 2>"$tmp/listen.err" &
listen_pid=$!
trap 'kill "$listen_pid" "$server_pid" 2>/dev/null || true; wait "$listen_pid" "$server_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$listen_pid/status"; }
count() { wc -l <"$tmp/events" | tr -d ' '; }
first=0 n=0 next=1000 started=$SECONDS
while [[ "$(count)" -lt "$events" ]]; do
    kill -0 "$listen_pid" 2>/dev/null || { echo "error: listen stopped" >&2; cat "$tmp/listen.err" >&2; exit 1; }
    if [[ $(( n * 3 )) -lt $(( events + 3 * batch )) ]]; then
        awk -v n="$batch" -v f="$first" 'BEGIN { print "phone,1,2"; for (i = f; i < f + n; i++) printf "+1415%07d,N%d,A-%d\n", i, i, i }' >"$tmp/batch.csv"
        "$BIN" send template 1001 --from "$tmp/batch.csv" --yes -q >/dev/null
        first=$(( first + batch )); n=$(( n + batch ))
    else
        sleep 0.2
    fi
    if [[ "$(count)" -ge "$next" ]]; then echo "after $(count) events: RSS $(rss) kB"; next=$(( next < 5000 ? 5000 : next + 5000 )); fi
done
echo "after $(count) events: RSS $(rss) kB (peak $(awk '/^VmHWM/ { print $2 }' "/proc/$listen_pid/status") kB), $n messages sent, $(( SECONDS - started )) s"
