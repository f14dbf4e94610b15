#!/usr/bin/env bash
# Throughput of the built-in sandbox server: release build, `octopods sandbox` on an
# ephemeral port, then `wrk -t1 -c8 -d5s` against the templates endpoint.
#
# Not a test: it prints a number for humans to compare. Usage:
#   scripts/bench-sandbox.sh            # builds release, benchmarks .build/release/octopods
#   BIN=/path/to/octopods scripts/bench-sandbox.sh   # benchmark that binary, no build
#   DURATION=10s CONNECTIONS=64 scripts/bench-sandbox.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration="${DURATION:-5s}"
connections="${CONNECTIONS:-8}"
threads="${THREADS:-1}"

if [[ -z "${BIN:-}" ]]; then
    echo "building release..." >&2
    (cd "$root" && swift build -c release >&2)
    BIN="$(cd "$root" && swift build -c release --show-bin-path)/octopods"
fi
if [[ ! -x "$BIN" ]]; then
    echo "error: no executable at $BIN" >&2
    exit 1
fi

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk..." >&2
    sudo_cmd=()
    if [[ "$(id -u)" -ne 0 ]]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update >&2
    "${sudo_cmd[@]}" apt-get install -y wrk >&2
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$BIN" sandbox --port 0 --no-rate-limit --state "$tmp/state.json" >"$tmp/out" 2>"$tmp/err" &
server_pid=$!

# The first line of stdout is the base URL, e.g. http://127.0.0.1:40123. stdout goes to a
# file (not a pipe) so the server can never block on, or die of, an unread pipe.
base_url=""
for _ in $(seq 1 150); do
    if [[ "$(wc -l <"$tmp/out")" -ge 1 ]]; then
        base_url="$(head -n 1 "$tmp/out")"
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.1
done
if [[ ! "$base_url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]]; then
    echo "error: the sandbox did not print its base URL (got: '$base_url')" >&2
    cat "$tmp/err" >&2 || true
    exit 1
fi

url="$base_url/api/v1/whatsapp/templates"
if command -v curl >/dev/null 2>&1; then
    echo "sanity check: $(curl -sS -H 'X-Octopods-Auth: sandbox-whatsapp-key' "$url" 2>&1 | head -c 200)" >&2
fi

report="$tmp/wrk.txt"
wrk -t"$threads" -c"$connections" -d"$duration" --latency \
    -H 'X-Octopods-Auth: sandbox-whatsapp-key' "$url" | tee "$report" >&2

rps="$(awk '/^Requests\/sec:/ { print $2 }' "$report")"
if [[ -z "$rps" ]]; then
    echo "error: wrk printed no Requests/sec" >&2
    exit 1
fi
if grep -q 'Non-2xx or 3xx responses' "$report"; then
    echo "warning: some responses were not 2xx/3xx (see above)" >&2
fi
echo "requests/s: $rps (wrk -t$threads -c$connections -d$duration, GET /api/v1/whatsapp/templates)"
