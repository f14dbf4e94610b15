#!/usr/bin/env bash
# Speed and peak memory of `octopods history` over a big ledger: generates RECORDS send records
# spread evenly over the last DAYS days (plus a status record for every third send), then times
# the release binary with hyperfine and measures peak RSS with /usr/bin/time -v:
#   1. history --since 24h --limit 0 -o ndjson   the issue's target: ≤ 2 s, ≤ 50 MB on 1,000,000 records
#   2. history --since 24h                       the default: latest 100, as a table
#   3. history --limit 0 -o csv                  everything (worst case: every line parsed and written)
#   4. history stats -o json                     every send counted per day: ≤ 2 s, ≤ 50 MB on 1,000,000 sends
#   5. history stats --by template -o table      the same, per template
#
# Not a test: it prints numbers for humans. Usage:
#   scripts/bench-history.sh                      # 1,000,000 records over 100 days
#   RECORDS=5000000 DAYS=365 scripts/bench-history.sh
#   BIN=/usr/local/bin/octopods scripts/bench-history.sh
set -euo pipefail
# shellcheck source=scripts/sandbox-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox-lib.sh"

records="${RECORDS:-1000000}"
days="${DAYS:-100}"
work="$root/.build-bench-history"

need python3
need hyperfine
[[ -x /usr/bin/time ]] || need time
release_binary

# The ledger, generated anew (its times are relative to now) under a private XDG_STATE_HOME.
state="$work/state"
ledger="$state/octopods/history.ndjson"
mkdir -p "$state/octopods"
echo "generating $records records over $days days..." >&2
python3 - "$records" "$days" "$ledger" <<'PY'
import sys, time, datetime
n, days, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
now = time.time()
start = now - days * 86400
step = days * 86400 / n
def stamp(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (int(t * 1000) % 1000)
channels = [('whatsapp', 'template', '1001'), ('sms', 'sms', None), ('vbm', 'template', '2001'), ('whatsapp', 'interactive', None)]
with open(path, 'w') as f:
    for i in range(n):
        t = start + i * step
        channel, kind, template = channels[i % 4]
        tid = '"template_id":"%s",' % template if template else ''
        f.write('{"time":"%s","type":"send","profile":"default","channel":"%s","kind":"%s",%s"to":"+1415%07d",'
                '"message_id":"%d","request_id":"%08x-58cc-4372-a567-0e02b2c3d479","outcome":"accepted","source":"orders.csv:%d"}\n'
                % (stamp(t), channel, kind, tid, i % 10000000, 100000 + i, i, i % 5000 + 2))
        if i % 3 == 0 and channel != 'vbm':
            f.write('{"time":"%s","type":"status","profile":"default","channel":"%s","message_id":"%d","status":"delivered"}\n'
                    % (stamp(t + step / 2), channel, 100000 + i))
PY
ls -l "$ledger" >&2

export XDG_STATE_HOME="$state"
commands=(
    "$BIN history --since 24h --limit 0 -o ndjson"
    "$BIN history --since 24h -o table"
    "$BIN history --limit 0 -o csv"
    "$BIN history stats -o json"
    "$BIN history stats --by template -o table"
)
hyperfine -N --warmup 1 --runs "${RUNS:-5}" --output=null "${commands[@]}"
for command in "${commands[@]}"; do
    # shellcheck disable=SC2086
    rss=$(/usr/bin/time -v $command 2>&1 >/dev/null | awk '/Maximum resident set size/ {print $6}')
    # shellcheck disable=SC2086
    lines=$($command 2>/dev/null | wc -l)
    printf '%-55s peak RSS %6.1f MB, %s lines out\n' "${command#"$BIN "}" "$(echo "$rss / 1024" | bc -l)" "$lines"
done
