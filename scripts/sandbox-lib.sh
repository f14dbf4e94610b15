# Sourced by the benchmark scripts: build the release binary unless BIN is given, install
# Debian packages on demand, and start `octopods sandbox` on a free port.
# shellcheck shell=bash

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Sets BIN to the release binary, building it unless BIN is already set.
release_binary() {
    if [[ -z "${BIN:-}" ]]; then
        echo "building release..." >&2
        (cd "$root" && swift build -c release >&2)
        BIN="$(cd "$root" && swift build -c release --show-bin-path)/octopods"
    fi
    if [[ ! -x "$BIN" ]]; then
        echo "error: no executable at $BIN" >&2
        exit 1
    fi
}

# Installs the named Debian packages' commands when missing.
need() {
    local missing=()
    for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    if [[ ${#missing[@]} -gt 0 ]]; then
        echo "installing ${missing[*]}..." >&2
        local sudo_cmd=()
        if [[ "$(id -u)" -ne 0 ]]; then sudo_cmd=(sudo); fi
        "${sudo_cmd[@]}" apt-get update >&2
        "${sudo_cmd[@]}" apt-get install -y "${missing[@]}" >&2
    fi
}

# Starts the sandbox (rate limit off, state in $tmp) and sets base_url, whatsapp_key and server_pid;
# stops it on exit. stdout goes to a file, not a pipe, so the server never blocks on it.
# Options given replace the default --no-rate-limit; a `tmp` directory already made is used.
start_sandbox() {
    tmp="${tmp:-$(mktemp -d)}"
    server_pid=""
    trap 'if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
    local options=("$@")
    if [[ ${#options[@]} -eq 0 ]]; then options=(--no-rate-limit); fi
    "$BIN" sandbox --port 0 "${options[@]}" --state "$tmp/state.json" >"$tmp/out" 2>"$tmp/err" &
    server_pid=$!
    base_url=""
    for _ in $(seq 1 150); do
        base_url="$(head -n 1 "$tmp/out" 2>/dev/null || true)"
        [[ -n "$base_url" ]] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ ! "$base_url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]]; then
        echo "error: the sandbox did not print its base URL (got: '$base_url')" >&2
        cat "$tmp/err" >&2 || true
        exit 1
    fi
    # The state's own keys (random per state file), from the banner on stderr.
    whatsapp_key=""
    for _ in $(seq 1 150); do
        whatsapp_key="$(sed -n 's/^ *export OCTOPODS_WHATSAPP_API_KEY=//p' "$tmp/err" 2>/dev/null || true)"
        [[ -n "$whatsapp_key" ]] && break
        sleep 0.1
    done
    if [[ -z "$whatsapp_key" ]]; then
        echo "error: the sandbox did not print its keys" >&2
        exit 1
    fi
}
