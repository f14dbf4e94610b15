#!/usr/bin/env bash
# Start-up and one-request cost of the release build, side by side with curl doing the
# same request, measured with hyperfine against `octopods sandbox` on loopback.
#
# Not a test: it prints numbers for humans. Usage:
#   scripts/bench-startup.sh                    # builds release, benchmarks it
#   BIN=/path/to/octopods scripts/bench-startup.sh
#   RUNS=300 scripts/bench-startup.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-200}"

if [[ -z "${BIN:-}" ]]; then
    echo "building release..." >&2
    (cd "$root" && swift build -c release >&2)
    BIN="$(cd "$root" && swift build -c release --show-bin-path)/octopods"
fi

for tool in hyperfine curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "installing $tool..." >&2
        apt-get update >&2
        apt-get install -y "$tool" >&2
    fi
done

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$BIN" sandbox --port 0 --no-rate-limit --state "$tmp/state.json" >"$tmp/out" 2>"$tmp/err" &
server_pid=$!
base_url=""
for _ in $(seq 1 150); do
    base_url="$(head -n 1 "$tmp/out" 2>/dev/null || true)"
    [[ -n "$base_url" ]] && break
    sleep 0.1
done
[[ "$base_url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || { echo "error: sandbox did not start" >&2; cat "$tmp/err" >&2; exit 1; }

export OCTOPODS_BASE_URL="$base_url" OCTOPODS_WHATSAPP_API_KEY=sandbox-whatsapp-key NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export HOME="$tmp"

hyperfine -N --warmup 20 --runs "$runs" --export-markdown "$tmp/report.md" \
    -n 'octopods --version' "$BIN --version" \
    -n 'curl templates' "curl -s -H 'X-Octopods-Auth: sandbox-whatsapp-key' -H 'Accept: application/json' $base_url/api/v1/whatsapp/templates" \
    -n 'octopods templates list' "$BIN templates list --json" >&2
cat "$tmp/report.md"
