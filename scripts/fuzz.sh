#!/usr/bin/env bash
# Runs the libFuzzer targets (FUZZING.md). Usage: scripts/fuzz.sh [TARGET...]
#   FUZZ_SECONDS  how long each target runs (default 600)
#   FUZZ_JOBS     targets run side by side (default 1)
#   FUZZ_BUILD    the build folder (default .build-fuzz)
# Seeds: Tests/Fuzz/corpus/TARGET (committed). What the fuzzer learns goes to $FUZZ_BUILD/corpus/TARGET;
# a crash is written to fuzz-artifacts/TARGET/ and must become a file in Tests/Fuzz/regressions/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(arguments rows config responses interactive http-request ledger rate-budget sandbox-state)
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
build=${FUZZ_BUILD:-.build-fuzz}

# SwiftPM's --sanitize=fuzzer gives coverage counters to the executable's own module only; the
# explicit -sanitize-coverage instruments every module, which is where the code under test is.
OCTOPODS_FUZZ=1 swift build -c release --sanitize=fuzzer --sanitize=address \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
    --scratch-path "$build" --product Fuzz 2>&1 | { grep -v "Cannot export local symbol" || true; } >&2
binary=$build/release/Fuzz
mkdir -p "$build/logs"

run() {
    local target=$1 status
    mkdir -p "$build/corpus/$target" "fuzz-artifacts/$target"
    # The first directory receives new inputs; the committed seeds are only read.
    FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 \
        "$binary" "$build/corpus/$target" "Tests/Fuzz/corpus/$target" \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="fuzz-artifacts/$target/" -print_final_stats=1 \
        >"$build/logs/$target.log" 2>&1 || status=$?
    local summary
    summary=$(grep -E "^#[0-9]+[[:space:]]+DONE" "$build/logs/$target.log" | tail -1 || true)
    printf '%-13s exit %d  %s\n' "$target" "${status:-0}" "${summary:-see $build/logs/$target.log}"
    return "${status:-0}"
}

failed=0
running=0
for target in "${targets[@]}"; do
    run "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || failed=1; running=$((running - 1)); fi
done
while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
exit $failed
