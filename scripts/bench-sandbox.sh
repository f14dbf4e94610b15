#!/usr/bin/env bash
# Throughput of the built-in sandbox server: release build, `octopods sandbox` on an
# ephemeral port, then `wrk -t1 -c8 -d5s` (keep-alive) against the templates endpoint.
#
# Not a test: it prints a number for humans to compare. Usage:
#   scripts/bench-sandbox.sh                          # builds release, benchmarks it
#   BIN=/path/to/octopods scripts/bench-sandbox.sh    # that binary, no build
#   DURATION=10s CONNECTIONS=64 scripts/bench-sandbox.sh
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

duration="${DURATION:-5s}"
connections="${CONNECTIONS:-8}"
threads="${THREADS:-1}"

release_binary
need wrk
start_sandbox

url="$base_url/api/v1/whatsapp/templates"
report="$tmp/wrk.txt"
wrk -t"$threads" -c"$connections" -d"$duration" --latency \
    -H "X-Octopods-Auth: $whatsapp_key" "$url" | tee "$report" >&2

rps="$(awk '/^Requests\/sec:/ { print $2 }' "$report")"
if [[ -z "$rps" ]]; then
    echo "error: wrk printed no Requests/sec" >&2
    exit 1
fi
if grep -q 'Non-2xx or 3xx responses' "$report"; then
    echo "warning: some responses were not 2xx/3xx (see above)" >&2
fi
echo "requests/s: $rps (wrk -t$threads -c$connections -d$duration, GET /api/v1/whatsapp/templates)"
