#!/usr/bin/env bash
# Start-up and one-request cost of the release build, side by side with curl doing the
# same request, measured with hyperfine against `octopods sandbox` on loopback.
#
# Not a test: it prints numbers for humans. Usage:
#   scripts/bench-startup.sh                                      # builds release, benchmarks it
#   BIN=.build-static/release/octopods scripts/bench-startup.sh   # e.g. the static build
#   RUNS=300 scripts/bench-startup.sh
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

runs="${RUNS:-200}"

release_binary
need hyperfine curl
start_sandbox

export OCTOPODS_BASE_URL="$base_url" OCTOPODS_WHATSAPP_API_KEY="$whatsapp_key" NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export HOME="$tmp"

hyperfine -N --warmup 20 --runs "$runs" --export-markdown "$tmp/report.md" \
    -n 'octopods --version' "$BIN --version" \
    -n 'curl templates' "curl -s -H 'X-Octopods-Auth: $whatsapp_key' -H 'Accept: application/json' $base_url/api/v1/whatsapp/templates" \
    -n 'octopods templates list' "$BIN templates list --json" >&2
cat "$tmp/report.md"
