#!/usr/bin/env bash
# Parse-only speed and peak memory of RowReader, the `--from FILE` reader: generates a CSV of
# ROWS rows (`phone,name,1,2` with short values), builds a release harness around the reader's
# sources (Sources/OctopodsKit/Bulk/*Reader*.swift and Sources/CLISupport/JSONValue.swift,
# linked into a throwaway package in .build-bench-csv/, so Package.swift gets no bench
# target), and runs it under /usr/bin/time -v: best wall time of RUNS, and its peak RSS.
#
# Not a test: it prints numbers for humans. The end-to-end figure (`--dry-run` on the same
# file, validation included) is for the CLI's own benchmark. Usage:
#   scripts/bench-csv.sh                          # 1,000,000 rows, best of 3
#   ROWS=5000000 RUNS=5 scripts/bench-csv.sh
#   INPUT=/path/to/orders.csv scripts/bench-csv.sh   # an existing CSV or NDJSON file
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

rows="${ROWS:-1000000}"
runs="${RUNS:-3}"
work="$root/.build-bench-csv"
pkg="$work/harness"

need awk
[[ -x /usr/bin/time ]] || need time

# The input: generated once per row count, kept for the next run.
input="${INPUT:-}"
if [[ -z "$input" ]]; then
    input="$work/rows-$rows.csv"
    if [[ ! -s "$input" ]]; then
        echo "generating $input..." >&2
        mkdir -p "$work"
        awk -v n="$rows" 'BEGIN {
            print "phone,name,1,2"
            for (i = 0; i < n; i++) printf "+9198%08d,Customer %d,ORD-%d,%d.50\n", i, i, i, i % 1000
        }' >"$input.tmp"
        mv "$input.tmp" "$input"
    fi
fi

# The harness package: the reader's files linked in, the one error case they throw stubbed.
mkdir -p "$pkg/Sources/CLISupport" "$pkg/Sources/OctopodsKit" "$pkg/Sources/bench-csv"
rm -f "$pkg"/Sources/CLISupport/*.swift "$pkg"/Sources/OctopodsKit/*.swift
ln -s "$root/Sources/CLISupport/JSONValue.swift" "$pkg/Sources/CLISupport/JSONValue.swift"
for f in "$root"/Sources/OctopodsKit/Bulk/*Reader*.swift; do
    ln -s "$f" "$pkg/Sources/OctopodsKit/$(basename "$f")"
done
cat >"$pkg/Package.swift" <<'EOF'
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "bench-csv",
    targets: [
        .target(name: "CLISupport"),
        .target(name: "OctopodsKit", dependencies: ["CLISupport"]),
        .executableTarget(name: "bench-csv", dependencies: ["OctopodsKit"]),
    ],
    swiftLanguageModes: [.v6]
)
EOF
cat >"$pkg/Sources/OctopodsKit/OctopodsErrorStub.swift" <<'EOF'
/// The cases of the real `OctopodsError` that the reader throws.
package enum OctopodsError: Error, Sendable {
    case invalidInput(String, hint: String? = nil)
    case failed(String, hint: String? = nil)
}
EOF
cat >"$pkg/Sources/bench-csv/main.swift" <<'EOF'
import Foundation
import OctopodsKit

// Reads every row as the validator would (each row dropped before the next), and prints
// the counts and the time spent, start-up excluded.
guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: bench-csv FILE\n".utf8))
    exit(2)
}
let clock = ContinuousClock()
let start = clock.now
var rows = 0
var problems = 0
var fields = 0
do {
    let reader = try RowReader(url: URL(fileURLWithPath: CommandLine.arguments[1]))
    while let row = try reader.next() {
        rows += 1
        fields += row.fields.count
        if row.problem != nil { problems += 1 }
    }
} catch {
    FileHandle.standardError.write(Data("bench-csv: \(error)\n".utf8))
    exit(1)
}
let elapsed = start.duration(to: clock.now)
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("rows=\(rows) problems=\(problems) fields=\(fields) seconds=\(seconds)")
EOF

echo "building the release harness..." >&2
(cd "$pkg" && swift build -c release --product bench-csv >&2)
bin="$(cd "$pkg" && swift build -c release --show-bin-path)/bench-csv"

best=""
best_rss=""
for run in $(seq 1 "$runs"); do
    out="$(/usr/bin/time -v "$bin" "$input" 2>"$work/time.txt")"
    rss_kb="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")"
    seconds="${out##*seconds=}"
    echo "run $run: $out peak_rss_kb=$rss_kb" >&2
    if [[ -z "$best" ]] || awk -v a="$seconds" -v b="$best" 'BEGIN { exit !(a < b) }'; then
        best="$seconds"
        best_rss="$rss_kb"
    fi
done
count="$(sed -n 's/^rows=\([0-9]*\).*/\1/p' <<<"$out")"
awk -v n="$count" -v s="$best" -v kb="$best_rss" -v f="$input" 'BEGIN {
    printf "parse-only: %d rows in %.3f s = %.0f rows/s, peak RSS %.1f MB (%s, best of the runs)\n", n, s, n / s, kb / 1024, f
}'
