#!/usr/bin/env bash
# What a user gets from `make install`: the installed binary's size (stripped, no ICU data) and
# its start-up and one-request cost, side by side with curl doing the same request, measured
# with hyperfine against `octopods sandbox` on loopback.
#
# Not a test: it prints numbers for humans. Usage:
#   scripts/bench-startup.sh                      # make install into a temporary prefix, benchmark that
#   BIN=.build/release/octopods scripts/bench-startup.sh   # any other build, as it is
#   RUNS=300 scripts/bench-startup.sh
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

runs="${RUNS:-200}"

need hyperfine curl jq
prefix=""
if [[ -z "${BIN:-}" ]]; then
    prefix="$(mktemp -d)"
    echo "make install PREFIX=$prefix (static release build, stripped)..." >&2
    make -C "$root" --no-print-directory build >&2
    make -C "$root" --no-print-directory install PREFIX="$prefix" >&2
    BIN="$prefix/bin/octopods"
fi
release_binary
start_sandbox
if [[ -n "$prefix" ]]; then trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$tmp" "$prefix"' EXIT; fi

size=$(stat -c %s "$BIN")
# Symbols survive only in an unstripped binary; the data table's name is in both.
icu_symbols=$(nm "$BIN" 2>/dev/null | grep -c icudt || true)
icu_strings=$(strings "$BIN" | grep -c icudt || true)
cp "$BIN" "$tmp/stripped" && strip "$tmp/stripped"
echo "binary: $BIN"
echo "size: $size bytes ($(stat -c %s "$tmp/stripped") stripped); icudt: $icu_symbols symbols, $icu_strings strings"
echo

export OCTOPODS_BASE_URL="$base_url" OCTOPODS_WHATSAPP_API_KEY="$whatsapp_key" NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export HOME="$tmp"
# Every request draws on the key's shared rate budget (55/10s by default): hyperfine's hundreds
# of runs would be paced, so the profile allows more (in a 1 s window, so the budget file holds
# about as many requests as a user's at 55/10s). The file is still read and written.
"$BIN" config set rate 100/1s >/dev/null

hyperfine -N --warmup 20 --runs "$runs" --export-markdown "$tmp/report.md" --export-json "$tmp/report.json" \
    -n 'octopods --version' "$BIN --version" \
    -n 'curl templates' "curl -s -H 'X-Octopods-Auth: $whatsapp_key' -H 'Accept: application/json' $base_url/api/v1/whatsapp/templates" \
    -n 'octopods templates list' "$BIN templates list --json" >&2
cat "$tmp/report.md"
echo
# A single send against curl's POST of the same body: every run a real send (--allow-repeat, or
# the repeat guard would answer from the history), recorded in the history, through the budget.
sms_key="$(sed -n 's/^ *export OCTOPODS_SMS_API_KEY=//p' "$tmp/err")"
export OCTOPODS_SMS_API_KEY="$sms_key"
body='{"destination_phone":"+14155550100","body":"Your code is 123456"}'
hyperfine -N --warmup 10 --runs "$runs" --export-markdown "$tmp/send.md" --export-json "$tmp/send.json" \
    -n 'curl POST' "curl -s -X POST -H 'X-Octopods-Auth: $sms_key' -H 'Content-Type: application/json' -d '$body' $base_url/api/v1/sms/messages" \
    -n 'octopods sms send' "$BIN sms send --to +14155550100 --body 'Your code is 123456' --allow-repeat --json" >&2
cat "$tmp/send.md"
echo
# Medians are what a user feels; on a busy machine the minimum and the CPU time (user + system,
# which other processes do not inflate) are the steadier comparison.
jq -r '.results | map({(.command): .}) | add
       | .["octopods templates list"] as $o | .["curl templates"] as $c
       | def r(x): (x * 100 | round) / 100;
         "templates list / curl: median \(r($o.median / $c.median))x, min \(r($o.min / $c.min))x, cpu \(r(($o.user + $o.system) / ($c.user + $c.system)))x"' \
    "$tmp/report.json"
jq -r '.results | map({(.command): .}) | add
       | .["octopods sms send"] as $o | .["curl POST"] as $c
       | def r(x): (x * 100 | round) / 100;
         "sms send / curl POST: median \(r($o.median / $c.median))x, min \(r($o.min / $c.min))x, cpu \(r(($o.user + $o.system) / ($c.user + $c.system)))x"' \
    "$tmp/send.json"
# Instructions executed (callgrind): what no other process's load changes.
if command -v valgrind >/dev/null 2>&1; then
    count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }
    ours=$(count "$BIN" templates list --json)
    theirs=$(count curl -s -H "X-Octopods-Auth: $whatsapp_key" -H 'Accept: application/json' "$base_url/api/v1/whatsapp/templates")
    version=$(count "$BIN" --version)
    echo "instructions: templates list $ours, curl $theirs ($(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')x), --version $version"
    ours=$(count "$BIN" sms send --to +14155550100 --body 'Your code is 123456' --allow-repeat --json)
    theirs=$(count curl -s -X POST -H "X-Octopods-Auth: $sms_key" -H 'Content-Type: application/json' -d "$body" "$base_url/api/v1/sms/messages")
    echo "instructions: sms send $ours, curl POST $theirs ($(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')x)"
fi
