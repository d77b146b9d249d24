#!/bin/sh
# fuzz.sh -- `make fuzz`: runs every libFuzzer target in BUILD for SECONDS each, merges small new inputs into fuzz/corpus/<target>/.
# usage: tools/fuzz.sh [BUILD] [SECONDS]   (env: FUZZ_MAX_LEN, default 16384; FUZZ_KEEP_BYTES, default 4096)
set -eu
B=${1:-build-fuzz}
S=${2:-60}
[ -n "$S" ] || S=60
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAXLEN=${FUZZ_MAX_LEN:-16384}
KEEP=${FUZZ_KEEP_BYTES:-4096}
T=$(mktemp -d /tmp/squawk-fuzz.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

targets=$(find "$B" -maxdepth 1 -type f -perm -u+x -name 'fuzz_*' ! -name '*_replay' | sort)
[ -n "$targets" ] || { echo "fuzz.sh: no libFuzzer targets in $B (configure with -DSQUAWK_FUZZ=ON, CC=clang)"; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=""
printf '%-22s %12s %10s %8s %8s %8s %s\n' target execs exec/s cov ft added result
for bin in $targets; do
    t=$(basename "$bin")
    corpus="$ROOT/fuzz/corpus/$t"
    mkdir -p "$corpus" "$T/$t.new" "$T/$t.art"
    log="$T/$t.log"
    # New units land in the first directory (a scratch one), never straight in the corpus.
    if "$bin" -max_total_time="$S" -max_len="$MAXLEN" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$T/$t.art/" "$T/$t.new" "$corpus" >"$log" 2>&1; then
        result=ok
    else
        result=CRASH
        failed="$failed $t"
        mkdir -p "$ROOT/build-fuzz-artifacts"
        cp "$T/$t.art/"* "$ROOT/build-fuzz-artifacts/" 2>/dev/null || true
    fi
    execs=$(awk '/stat::number_of_executed_units/{print $2}' "$log" | tail -n1)
    rate=$(awk '/stat::average_exec_per_sec/{print $2}' "$log" | tail -n1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n1 | awk '{print $2}')
    ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -n1 | awk '{print $2}')
    # Keep the corpus small: only inputs up to KEEP bytes that add coverage.
    find "$T/$t.new" -type f -size +"$KEEP"c -delete
    before=$(ls "$corpus" | wc -l)
    "$bin" -merge=1 -max_len="$MAXLEN" "$corpus" "$T/$t.new" >"$T/$t.merge" 2>&1 || true
    added=$(( $(ls "$corpus" | wc -l) - before ))
    printf '%-22s %12s %10s %8s %8s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
        "$added" "$result"
    if [ "$result" != ok ]; then
        grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -n 20
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz.sh: crashes in:$failed (artifacts in build-fuzz-artifacts/)"
    exit 1
fi
