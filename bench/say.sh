#!/bin/sh
# say.sh -- `make bench`'s squawk say row: SUB receive -> first audio sample, median of runs (issue 20's 50 ms target).
#
# usage: bench/say.sh BUILD_DIR   (env BENCH_REPS=N runs, default 5)
# Each run is tests/test_say.py's latency scenario: a real ZeroMQ publisher, a real `squawk say --fast`,
# 30 alerts each sent once the line before was said (every one finds say idle). The scenario prints
# min / median / p95 / max; this prints each run and the median of the runs' medians and p95s.
# Nothing is asserted: timing is reported here, never in tests.
set -eu
B=${1:-build-bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$B" in /*) ;; *) B="$ROOT/$B" ;; esac
REPS=${BENCH_REPS:-5}
[ -x "$B/squawk" ] || { echo "bench/say: $B/squawk missing; build it first (make bench)" >&2; exit 1; }
OUT=$(mktemp /tmp/squawk-bench-say.XXXXXX)
trap 'rm -f "$OUT"' EXIT INT TERM
i=0
while [ "$i" -lt "$REPS" ]; do
    i=$((i + 1))
    SQUAWK_BIN="$B/squawk" SQ_SOURCE_DIR="$ROOT" /usr/bin/python3 "$ROOT/tests/test_say.py" latency 2>&1 |
        grep '^latency SUB receive' | tee -a "$OUT" >&2 ||
        { echo "bench/say: run $i failed (tests/test_say.py latency)" >&2; exit 1; }
done
awk -v reps="$REPS" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
    BEGIN { n = 0 }
    { for (f = 1; f <= NF; f++) { if ($f == "median") med[n] = $(f + 1) + 0; if ($f == "p95") p95[n] = $(f + 1) + 0 }; n++ }
    function median(a, k,   i, j, t) { for (i = 0; i < k; i++) for (j = i + 1; j < k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                      return k % 2 ? a[int(k / 2)] : (a[k / 2 - 1] + a[k / 2]) / 2 }
    END { printf "| squawk say, SUB receive -> first audio sample (30 idle lines, %d runs, load %s) | median %.2f ms | p95 %.2f ms |\n",
                 reps, load, median(med, n), median(p95, n) }' "$OUT"
