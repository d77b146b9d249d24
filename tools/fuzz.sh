#!/bin/sh
# fuzz.sh -- `make fuzz`: runs every libFuzzer target in BUILD for SECONDS each, merges small new inputs into fuzz/corpus/<target>/.
# usage: tools/fuzz.sh [BUILD] [SECONDS]
# env: FUZZ_MAX_LEN (16384), FUZZ_KEEP_BYTES (largest input kept, 4096), FUZZ_MAX_ADD (new corpus
# files per target per run, smallest first, 20), FUZZ_TIMEOUT (s per input, 60: the first one loads
# and compiles the filters).
set -eu
B=${1:-build-fuzz}
S=${2:-60}
[ -n "$S" ] || S=60
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAXLEN=${FUZZ_MAX_LEN:-16384}
KEEP=${FUZZ_KEEP_BYTES:-4096}
MAXADD=${FUZZ_MAX_ADD:-20}
TMO=${FUZZ_TIMEOUT:-60}
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
    if "$bin" -max_total_time="$S" -max_len="$MAXLEN" -timeout="$TMO" -print_final_stats=1 \
        -artifact_prefix="$T/$t.art/" "$T/$t.new" "$corpus" >"$log" 2>&1; then
        result=ok
    else
        result=CRASH
        failed="$failed $t"
        mkdir -p "$B/fuzz-artifacts"
        cp "$T/$t.art/"* "$B/fuzz-artifacts/" 2>/dev/null || true
    fi
    execs=$(awk '/stat::number_of_executed_units/{print $2}' "$log" | tail -n1)
    rate=$(awk '/stat::average_exec_per_sec/{print $2}' "$log" | tail -n1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n1 | awk '{print $2}')
    ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -n1 | awk '{print $2}')
    # Keep the corpus small: of the inputs up to KEEP bytes that add coverage to
    # it (merged into a scratch copy), only the MAXADD smallest are committed.
    find "$T/$t.new" -type f -size +"$KEEP"c -delete
    mkdir -p "$T/$t.merged"
    cp "$corpus"/* "$T/$t.merged/" 2>/dev/null || true
    "$bin" -merge=1 -max_len="$MAXLEN" -timeout="$TMO" "$T/$t.merged" "$T/$t.new" >"$T/$t.merge" 2>&1 || true
    added=0
    for f in $(cd "$T/$t.merged" && ls -S -r); do
        [ -e "$corpus/$f" ] && continue
        [ "$added" -lt "$MAXADD" ] || break
        cp "$T/$t.merged/$f" "$corpus/$f"
        added=$((added + 1))
    done
    printf '%-22s %12s %10s %8s %8s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
        "$added" "$result"
    if [ "$result" != ok ]; then
        grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -n 20
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz.sh: crashes in:$failed (artifacts in $B/fuzz-artifacts/)"
    exit 1
fi
