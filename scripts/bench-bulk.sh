#!/usr/bin/env bash
# Bulk-send figures for docs/performance.md (not a test):
#   1. throughput against the sandbox with the rate limit off;
#   2. pacing with the limit on: the share of the allowed rate achieved, and 429s (must be 0);
#   3. time and peak memory to validate a 1,000,000-row CSV with --dry-run;
#   4. the same with a spreadsheet's columns (semicolons, spaced names) used through --var 1={Name}.
# Usage: scripts/bench-bulk.sh            (builds release)
#        BIN=... ROWS=5000 PACED_ROWS=1650 BIG_ROWS=1000000 scripts/bench-bulk.sh
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

rows="${ROWS:-5000}"
paced_rows="${PACED_ROWS:-1650}"
big_rows="${BIG_ROWS:-1000000}"

release_binary
need awk
start_sandbox
export OCTOPODS_BASE_URL="$base_url" OCTOPODS_WHATSAPP_API_KEY="$whatsapp_key" NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export HOME="$tmp"

make_csv() {  # make_csv ROWS FILE [FIRST]: phone,name,1,2 rows with distinct phones from FIRST on
    # (each step its own recipients: the repeat guard would rightly not send a message twice)
    awk -v n="$1" -v first="${3:-0}" 'BEGIN { print "phone,name,1,2"; for (i = first; i < first + n; i++) printf "+1415%07d,Name %d,Name%d,A-%d\n", i, i, i, i }' >"$2"
}

echo "== 1. throughput, rate limit off ($rows rows, --concurrency 8)"
make_csv "$rows" "$tmp/throughput.csv"
"$BIN" send template 1001 --from "$tmp/throughput.csv" --rate off --concurrency 8 --yes >/dev/null 2>"$tmp/throughput.err"
grep '^Sent' "$tmp/throughput.err"

echo "== 2. pacing with the limit on ($paced_rows rows; sandbox and client both at 550/10s)"
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
"$BIN" sandbox --port 0 --rate-limit 550/10s --state "$tmp/paced-state.json" --log "$tmp/paced-log.ndjson" >"$tmp/out2" 2>"$tmp/err2" &
server_pid=$!
for _ in $(seq 1 150); do base_url="$(head -n 1 "$tmp/out2" 2>/dev/null || true)"; [[ -n "$base_url" ]] && break; sleep 0.1; done
# A new state file has keys of its own (random per state file), printed on stderr.
for _ in $(seq 1 150); do
    whatsapp_key="$(sed -n 's/^ *export OCTOPODS_WHATSAPP_API_KEY=//p' "$tmp/err2" 2>/dev/null || true)"
    [[ -n "$whatsapp_key" ]] && break
    sleep 0.1
done
export OCTOPODS_BASE_URL="$base_url" OCTOPODS_WHATSAPP_API_KEY="$whatsapp_key"
make_csv "$paced_rows" "$tmp/paced.csv" "$rows"
"$BIN" send template 1001 --from "$tmp/paced.csv" --rate 550/10s --concurrency 8 --yes >/dev/null 2>"$tmp/paced.err"
grep '^Sent' "$tmp/paced.err"
too_many="$(grep -c '"status":429' "$tmp/paced-log.ndjson" || true)"
# Requests include one template fetch; the allowed rate is 55/s.
rate="$(sed -n 's/^Sent.*(\([0-9.]*\)\/s).*/\1/p' "$tmp/paced.err")"
awk -v r="$rate" -v t429="$too_many" 'BEGIN { printf "achieved %.1f sends/s of the allowed 55.0/s = %.1f%%; 429s: %d\n", r, r / 55 * 100, t429 }'

echo "== 3. validate $big_rows rows with --dry-run"
make_csv "$big_rows" "$tmp/big.csv"
awk -v bytes="$(stat -c %s "$tmp/big.csv")" 'BEGIN { printf "input: %.1f MB\n", bytes / 1e6 }'
/usr/bin/time -v "$BIN" send template 1001 --from "$tmp/big.csv" --dry-run >/dev/null 2>"$tmp/big.err" || true
grep -E '^Checked|Elapsed \(wall clock\)|Maximum resident' "$tmp/big.err"

echo "== 4. validate $big_rows rows with --dry-run, columns referenced (--var 1={First Name} --var 2=\"Order {Order}\")"
awk -v n="$big_rows" 'BEGIN { print "Phone;First Name;Order;City"; for (i = 0; i < n; i++) printf "+1415%07d;Name %d;A-%d;Town\n", i, i, i }' >"$tmp/refs.csv"
/usr/bin/time -v "$BIN" send template 1001 --from "$tmp/refs.csv" --var '1={First Name}' --var '2=Order {Order}' --dry-run \
    >/dev/null 2>"$tmp/refs.err" || true
grep -E '^Checked|Elapsed \(wall clock\)|Maximum resident' "$tmp/refs.err"
