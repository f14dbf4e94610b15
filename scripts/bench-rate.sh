#!/usr/bin/env bash
# Shared rate budget figures for docs/performance.md (not a test): bulk runs against a sandbox that enforces
# the documented limit (55 requests per 10 s per key, sliding window), the client at its default.
#   1. one run of ROWS rows;
#   2. two runs of ROWS rows each at once, with the same key (two overlapping cron jobs).
# For each: requests per second over the run's wall time as a share of 55/10 s (goal >= 95%),
# and the 429s the sandbox answered (goal 0).
# Usage: scripts/bench-rate.sh                 (builds release)
#        BIN=.build/debug/octopods ROWS=500 scripts/bench-rate.sh
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

rows="${ROWS:-500}"

release_binary
need awk
tmp="$(mktemp -d)"
# The documented limit; a short cool-down only so that a failed run does not take 5 minutes more.
start_sandbox --rate-limit 55/10s --cooldown 20s --log "$tmp/log.ndjson"
export OCTOPODS_BASE_URL="$base_url" OCTOPODS_WHATSAPP_API_KEY="$whatsapp_key" NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export HOME="$tmp"

make_csv() {  # make_csv ROWS FIRST FILE: phone,name,1,2 rows with distinct phones
    awk -v n="$1" -v first="$2" 'BEGIN { print "phone,name,1,2"; for (i = first; i < first + n; i++) printf "+1415%07d,Name %d,Name%d,A-%d\n", i, i, i, i }' >"$3"
}

now() { date +%s.%N; }

# report LABEL START END: requests and 429s in the log since the last report
reported=0
report() {
    local total requests too_many
    total="$(wc -l <"$tmp/log.ndjson")"
    requests=$((total - reported))
    too_many="$(tail -n +"$((reported + 1))" "$tmp/log.ndjson" | grep -c '"status":429' || true)"
    reported="$total"
    awk -v label="$1" -v n="$requests" -v s="$2" -v e="$3" -v t429="$too_many" 'BEGIN {
        r = n / (e - s); printf "%s: %d requests in %.1f s = %.2f/s = %.1f%% of 55/10 s; 429s: %d\n", label, n, e - s, r, r / 5.5 * 100, t429 }'
}

echo "== 1. one run of $rows rows"
make_csv "$rows" 0 "$tmp/one.csv"
start="$(now)"
"$BIN" send template 1001 --from "$tmp/one.csv" --yes >/dev/null 2>"$tmp/one.err"
end="$(now)"
grep '^Sent' "$tmp/one.err"
report "one run" "$start" "$end"

# A fresh key window: wait until the sandbox has forgotten the first run's requests.
sleep 11

echo "== 2. two concurrent runs of $rows rows each, same key"
make_csv "$rows" 100000 "$tmp/a.csv"
make_csv "$rows" 200000 "$tmp/b.csv"
start="$(now)"
"$BIN" send template 1001 --from "$tmp/a.csv" --yes >/dev/null 2>"$tmp/a.err" &
a=$!
"$BIN" send template 1001 --from "$tmp/b.csv" --yes >/dev/null 2>"$tmp/b.err" &
b=$!
wait "$a" "$b"
end="$(now)"
grep -h '^Sent' "$tmp/a.err" "$tmp/b.err"
report "two runs together" "$start" "$end"
