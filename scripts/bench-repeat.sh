#!/usr/bin/env bash
# The repeat guard's cost with a long history (docs/repeat-guard.md). Generates a history of
# RECORDS sends, all within the last day (every one inside the default 24h repeat_window, each
# with its own fingerprint), then, against `octopods sandbox` on loopback with the rate limit off:
#   1. the first send: the one-time build of the index from the whole history (time, index size);
#   2. a single send vs curl POSTing the same request (hyperfine -N): the goal is ≤ 1.5x curl with
#      the full history, as with none. `--allow-repeat` lets every run send (the guard still
#      catches up, reserves and records); `repeat found` is the same send again without it: the
#      lookup finds the earlier one and prints it, no request;
#   3. bulk throughput (ROWS rows, --rate off, --concurrency 8) with the full history and with
#      none: the goal is ≥ 2,000 sends/s.
#
# Not a test: it prints numbers for humans. Usage:
#   scripts/bench-repeat.sh                       # 1,000,000 sends; builds release
#   RECORDS=200000 ROWS=5000 RUNS=200 BIN=.build/release/octopods scripts/bench-repeat.sh
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

records="${RECORDS:-1000000}"
rows="${ROWS:-5000}"
runs="${RUNS:-200}"

need hyperfine curl awk python3 jq
[[ -x /usr/bin/time ]] || need time
release_binary
start_sandbox
export OCTOPODS_BASE_URL="$base_url" OCTOPODS_WHATSAPP_API_KEY="$whatsapp_key" NO_PROXY=127.0.0.1 no_proxy=127.0.0.1

full="$tmp/full" empty="$tmp/empty"
mkdir -p "$full/.local/state/octopods" "$empty"
for home in "$full" "$empty"; do HOME="$home" "$BIN" config set rate off >/dev/null; done
# The sandbox is on loopback: its sends go to the practice ledger.
ledger="$full/.local/state/octopods/sandbox-history.ndjson"
echo "generating $records sends within the last day..." >&2
python3 - "$records" "$ledger" <<'PY'
import sys, time, datetime, random
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(1)
now = time.time()
with open(path, "w") as out:
    for i in range(n):
        t = now - 86000 + i * 80000 / n
        stamp = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (int(t * 1000) % 1000)
        out.write('{"time":"%s","type":"send","profile":"default","channel":"whatsapp","kind":"template","template_id":"1007",'
                  '"to":"+1415%07d","message_id":"%d","request_id":"r-%d","outcome":"accepted","fingerprint":"%032x"}\n'
                  % (stamp, i, 5000000 + i, i, random.getrandbits(128)))
PY
chmod 600 "$ledger"
awk -v bytes="$(stat -c %s "$ledger")" 'BEGIN { printf "history: %.0f MB\n", bytes / 1e6 }'

send=(send template 1007 --to +14155550123)
echo "== 1. the first send builds the index from the whole history"
HOME="$full" /usr/bin/time -f "%e s elapsed, %M KB peak" "$BIN" "${send[@]}" >/dev/null 2>"$tmp/first.err" || { cat "$tmp/first.err"; exit 1; }
tail -n 1 "$tmp/first.err"
awk -v bytes="$(stat -c %s "$ledger.index")" 'BEGIN { printf "index: %.1f MB\n", bytes / 1e6 }'
HOME="$empty" "$BIN" "${send[@]}" >/dev/null 2>&1

echo "== 2. a single send, $records sends in the history, vs curl"
body='{"destination_phone":"+14155550123"}'
curl_post="curl -s -X POST -H 'X-Octopods-Auth: $whatsapp_key' -H 'Content-Type: application/json' -d '$body' $base_url/api/v1/whatsapp/templates/1007/messages"
ratios() {  # ratios REPORT.json: each octopods command's median and minimum over curl's
    jq -r '.results | map({(.command): .}) | add | .["curl POST"] as $c | def r(x): (x * 100 | round) / 100;
           to_entries[] | select(.key != "curl POST") | "\(.key) / curl: median \(r(.value.median / $c.median))x, min \(r(.value.min / $c.min))x"' "$1"
}
HOME="$full" hyperfine -N --warmup 10 --runs "$runs" --export-markdown "$tmp/full.md" --export-json "$tmp/full.json" \
    -n 'curl POST' "$curl_post" \
    -n 'send, full history' "$BIN ${send[*]} --allow-repeat" \
    -n 'repeat found, full history' "$BIN ${send[*]}" >&2
HOME="$empty" hyperfine -N --warmup 10 --runs "$runs" --export-markdown "$tmp/empty.md" --export-json "$tmp/empty.json" \
    -n 'curl POST' "$curl_post" \
    -n 'send, empty history' "$BIN ${send[*]} --allow-repeat" >&2
cat "$tmp/full.md" "$tmp/empty.md"
ratios "$tmp/full.json"
ratios "$tmp/empty.json"

echo "== 3. bulk throughput, $rows rows, rate limit off, --concurrency 8"
awk -v n="$rows" 'BEGIN { print "phone"; for (i = 0; i < n; i++) printf "+1416%07d\n", i }' >"$tmp/bulk.csv"
for home in "$full" "$empty"; do
    HOME="$home" "$BIN" send template 1007 --from "$tmp/bulk.csv" --rate off --concurrency 8 --yes >/dev/null 2>"$tmp/bulk.err"
    echo "$([[ $home == "$full" ]] && echo "full history: " || echo "empty history:") $(grep '^Sent' "$tmp/bulk.err")"
done
