#!/bin/sh
# run.sh -- `make bench`: filter stage vs raw scan, end-to-end throughput/latency/cost, squawk vs the Python baseline.
#
# usage: bench/run.sh BUILD_DIR        (BUILD_DIR built with -O2 -DNDEBUG; make bench does that)
# env:   BENCH_LONG=1     cost run over 1,000,000 articles (default 200,000)
#        BENCH_REPS=N     runs per row (default 5, at least 5 for the published table)
#        BENCH_QUICK=1    smaller runs, for trying the harness (not for RESULTS.md)
#        BENCH_ONLY=journal  only the alert journal's rows (journal on vs off), printed, RESULTS.md untouched
#        BENCH_ONLY=e2e   only squawk's end-to-end, broker-ceiling and memory rows (no filter stage,
#                         no Python baseline); prints the table, RESULTS.md is not rewritten
#        SQUAWK_SHARED=DIR  the shared corpora (default ROOT/../shared), as tools/eval.sh
#        BENCH_ONLY=filter  only the filter stage over Reuters, all three built-ins, engine v2 vs v1 in
#                         the same run (MB/s, CPU MB/s, CPU per 100k articles); printed, RESULTS.md untouched
# Prints one table and rewrites bench/RESULTS.md and bench/latency.png. Never asserts on timing.
set -eu
B=${1:-build-bench}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$B" in /*) ;; *) B="$ROOT/$B" ;; esac
SQ="$B/squawk"
SUB="$B/e2e_sub"
FB="$B/filter_bench"
RB="$B/replay_bench"
KD="$B/kafka_drain"
PY=/usr/bin/python3
REPS=${BENCH_REPS:-5}
LONG=${BENCH_LONG:-0}
ONLY=${BENCH_ONLY:-}
NEED="$SQ $SUB $FB $RB $KD"; [ "${BENCH_ONLY:-}" = filter ] && NEED=$FB
for f in $NEED; do
    [ -x "$f" ] || { echo "bench: $f missing; build it first (make bench)" >&2; exit 1; }
done

# Sizes. Throughput: REPS unpaced runs of TPUT_N. Cost: one paced run of COST_N articles (200k by
# default, 1M with BENCH_LONG=1) against the same squawk process. The baseline is ~50x slower, so
# it gets fewer articles per run (rates and per-100k costs are normalised).
TPUT_N=20000
if [ "$LONG" = 1 ]; then COST_N=1000000; else COST_N=200000; fi
BASE_TPUT_N=500
LAT_SQ_SECS_1K=5; LAT_SQ_SECS_10K=2
BASE_BURST=500    # baseline latency runs: 500 articles at the offered rate (it saturates)
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    TPUT_N=10000; COST_N=5000; BASE_TPUT_N=300; LAT_SQ_SECS_1K=2; LAT_SQ_SECS_10K=1; BASE_BURST=300
fi

T=$(mktemp -d /tmp/squawk-bench.XXXXXX)
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    # SQUAWK_BENCH_KEEP=1 keeps the raw results (re-run bench/e2e_report.py on them)
    if [ -n "${SQUAWK_BENCH_KEEP:-}" ]; then echo "bench: kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM

R="$T/results.tsv"   # metric \t system \t rep \t value
: >"$R"
rec() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$R"; }
now() { date +%s.%N; }
log() { echo "bench: $*" >&2; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # wait_for SECONDS COMMAND... (counts down the global wf_n)
    wf_n=$(($1 * 10)); shift
    while ! "$@" >/dev/null 2>&1; do
        wf_n=$((wf_n - 1)); [ "$wf_n" -gt 0 ] || return 1; sleep 0.1
    done
}
# utime+stime in seconds, and VmRSS/VmHWM in kB, of one process
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"; }
vm() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
gen() { # gen COUNT PREFIX
    $PY "$ROOT/bench/e2e_gen.py" --samples "$ROOT/samples" --count "$1" --prefix "$2"
}

START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "build $B, reps $REPS, temp $T"

ONLY=${BENCH_ONLY:-}
FCORPUS="samples only"
if [ "$ONLY" != journal ]; then # the whole of section 1
# ---------------------------------------------------------------- 1. filter stage vs raw scan
FCORPUS="not run (BENCH_ONLY)"
if [ -z "$ONLY" ] || [ "$ONLY" = filter ]; then
CORPUS="${SQUAWK_SHARED:-$ROOT/../shared}/corpus/reuters21578"
if ls "$CORPUS"/reut2-*.sgm* >/dev/null 2>&1; then
    log "filter stage: converting Reuters-21578 at run time"
    $PY "$ROOT/tools/corpus_reuters.py" "$CORPUS" >"$T/filter.jsonl" 2>"$T/corpus.log"
    FCORPUS="Reuters-21578 bodies + samples"
else
    log "filter stage: $CORPUS absent; samples only"
    : >"$T/filter.jsonl"
    FCORPUS="samples only (../shared absent)"
fi
cat "$ROOT/samples/articles.jsonl" >>"$T/filter.jsonl"
# BENCH_ONLY=filter: the v1 and v2 stage rows only (FILTER_BENCH_ONLY=stage)
FBO=""; [ "$ONLY" = filter ] && FBO=stage
for r in $(seq 1 "$REPS"); do
    SQUAWK_LOG__LEVEL=warn FILTER_BENCH_ONLY=$FBO "$FB" "$T/filter.jsonl" 1 >"$T/fb.$r" 2>"$T/fb.$r.err"
    awk -v r="$r" '
        function rates(sys) {
            for (i = 1; i <= NF; i++) {
                if ($i == "articles/s") print "filter_aps\t" sys "\t" r "\t" $(i - 1)
                if ($i == "MB/s") print "filter_mbs\t" sys "\t" r "\t" $(i - 1)
                if ($i == "cpuMB/s") print "filter_cpumbs\t" sys "\t" r "\t" $(i - 1)
            }
        }
        /^cpu per 100,000 articles/ { v1 = $6; v2 = $9; print "filter_cpu100k\tsquawk\t" r "\t" v1; print "filter_cpu100k\tv2\t" r "\t" v2 }
        /^articles:/ { n = $2; sub(",", "", n); mb = $5 }
        /^filter stage/ { rates("squawk") }
        /^engine v2 stage/ { rates("v2") }
        /^bare hs_scan/ { rates("raw") }
        /per database/ { sub(/^ +/, ""); print "filter_dbs\traw\t" r "\t" $0 }
        END { print "filter_articles\tsquawk\t" r "\t" n; print "filter_mb\tsquawk\t" r "\t" mb }
    ' "$T/fb.$r" >>"$R"
    log "filter run $r: $(grep -E '^(filter stage|bare)' "$T/fb.$r" | tr -s ' ' | cut -d' ' -f1-2,5-9 | tr '\n' ';')"
    log "filter run $r: $(grep -E '^(engine v2|  [a-z]+ alone|cpu per)' "$T/fb.$r" | tr -s ' ' | tr '\n' ';')"
done
# Instructions, which the machine's load does not move (one run is exact): each engine alone over the
# first 2,000 articles under cachegrind, minus the same over the first article (start-up: loading and
# compiling the packs), per KB of headline+body. Skipped without valgrind (make bench installs it).
if command -v valgrind >/dev/null 2>&1; then
    head -n 2000 "$T/filter.jsonl" >"$T/f2k.jsonl"; head -n 1 "$T/filter.jsonl" >"$T/f1.jsonl"
    for e in v1 v2; do
        # a first run fills the rule cache for valgrind's CPU (its databases are not the host's): without
        # it the one-article run compiled v1's packs and the 2,000-article one did not (a negative row)
        SQUAWK_LOG__LEVEL=warn FILTER_BENCH_ONLY=$e valgrind --tool=cachegrind --cache-sim=no \
            --cachegrind-out-file=/dev/null "$FB" "$T/f1.jsonl" 1 >/dev/null 2>&1 || true
        for f in f1 f2k; do
            SQUAWK_LOG__LEVEL=warn FILTER_BENCH_ONLY=$e valgrind --tool=cachegrind --cache-sim=no \
                --cachegrind-out-file="$T/cg.$e.$f" "$FB" "$T/$f.jsonl" 1 >"$T/cg.$e.$f.out" 2>/dev/null || true
        done
        i1=$(awk '/^summary:/ { print $2 }' "$T/cg.$e.f1"); i2=$(awk '/^summary:/ { print $2 }' "$T/cg.$e.f2k")
        b1=$(awk '/^articles:/ { print $NF }' "$T/cg.$e.f1.out"); b2=$(awk '/^articles:/ { print $NF }' "$T/cg.$e.f2k.out")
        if [ -n "$i1" ] && [ -n "$i2" ] && [ -n "$b1" ] && [ -n "$b2" ]; then
            rec filter_ipkb "$e" 1 "$(awk -v a="$i1" -v b="$i2" -v x="$b1" -v y="$b2" 'BEGIN { printf "%.0f", (b - a) / ((y - x) / 1024) }')"
            log "filter stage instructions, engine $e: $i2 - $i1 over $b2 - $b1 bytes"
        fi
    done
else
    log "filter stage instructions: valgrind absent, row skipped"
fi
if [ "$ONLY" = filter ]; then
    $PY "$ROOT/bench/e2e_report.py" --filter-only "$R" "$FCORPUS"
    exit 0
fi

# engine v2 (filters/tpat.c): the sample pack vs the same ten regexes cut out of invest.yml, same bytes
TB="$B/tpat_bench"
if [ -x "$TB" ]; then
    $PY - "$ROOT/filters/rules/invest.yml" "$ROOT/filters/rules/v2/invest_sample.yml" >"$T/regex10.yml" <<'PYEOF'
import sys, yaml
ids = [r["id"] for r in yaml.safe_load(open(sys.argv[2]))["rules"]]
rules = [r for r in yaml.safe_load(open(sys.argv[1]))["rules"] if r["id"] in ids]
yaml.safe_dump({"rules": rules}, sys.stdout, allow_unicode=True, sort_keys=False, width=100000)
PYEOF
    for r in $(seq 1 "$REPS"); do
        SQUAWK_LOG__LEVEL=warn "$TB" "$T/filter.jsonl" "$ROOT/filters/rules/v2/invest_sample.yml" "$T/regex10.yml" 1 \
            >"$T/tb.$r" 2>"$T/tb.$r.err" || { cat "$T/tb.$r.err" >&2; break; }
        awk -v r="$r" '
            function mbs(sys) { for (i = 1; i <= NF; i++) if ($i == "MB/s") { print "tpat_mbs\t" sys "\t" r "\t" $(i - 1); return } }
            /^v2 tokenise +[0-9]/ { mbs("tokenise") }
            /^v2 tokenise \+ match/ { mbs("v2") }
            /^old matcher/ { mbs("old") }
        ' "$T/tb.$r" >>"$R"
        log "tpat run $r: $(grep -E '^(v2|old matcher)' "$T/tb.$r" | tr -s ' ' | cut -d' ' -f1-9 | tr '\n' ';')"
    done
fi

# replay bytes for a one-ticker subscriber recovering a gap, per-subscription vs whole stream
for r in $(seq 1 "$REPS"); do
    "$RB" --alerts 20000 --tickers 200 --window 8000 >"$T/rb.$r" 2>>"$T/rb.err" || log "replay_bench run $r failed"
    tr ' ' '\n' <"$T/rb.$r" | awk -F= -v r="$r" '
        $1 == "replay_bytes" { print "replay1_bytes\tsquawk\t" r "\t" $2 }
        $1 == "whole_bytes" { print "replay1_bytes\twhole\t" r "\t" $2 }
        $1 == "replay_msgs" { print "replay1_msgs\tsquawk\t" r "\t" $2 }
        $1 == "whole_msgs" { print "replay1_msgs\twhole\t" r "\t" $2 }
        $1 == "desk_lost" { print "replay1_lost\tsquawk\t" r "\t" $2 }' >>"$R"
    log "replay run $r: $(cat "$T/rb.$r")"
done

# where the rule-pack time goes (one run, diagnostic): per pattern, SOM vs no SOM, merged packs
$PY - "$ROOT/filters/rules" >"$T/patterns.tsv" <<'PYEOF'
import sys, yaml
for p in ("cues", "invest", "chips", "regulatory"):
    for r in yaml.safe_load(open("%s/%s.yml" % (sys.argv[1], p)))["rules"]:
        print("%s\t%s\t%s\t%s" % (p, r["id"], ",".join(r.get("flags") or ["-"]), r["pattern"]))
PYEOF
gen 3000 rulecost >"$T/rulecost.jsonl"
log "rule-pack cost (one run over 3,000 e2e articles)"
"$B/e2e_rulecost" "$T/patterns.tsv" "$T/rulecost.jsonl" >"$T/rulecost.txt" 2>&1 || true
cat "$T/rulecost.txt" >&2
# the filter stage on the e2e articles themselves: what one core can do with 5 KB articles
for r in $(seq 1 "$REPS"); do
    "$FB" "$T/rulecost.jsonl" 1 >"$T/fb5k.$r" 2>/dev/null || true
    awk -v r="$r" '/^filter stage/ { for (i = 1; i <= NF; i++) if ($i == "articles/s") print "filter5k_aps\tsquawk\t" r "\t" $(i - 1) }
                   /^bare hs_scan/ { for (i = 1; i <= NF; i++) if ($i == "articles/s") print "filter5k_aps\traw\t" r "\t" $(i - 1) }' "$T/fb5k.$r" >>"$R"
done
# one article at a time with the caches warm, then after writing 16 MB (what a service's other work
# does between two articles at 1,000/s): the per-article filter time behind processing latency
for r in $(seq 1 "$REPS"); do
    FILTER_BENCH_EVICT_KB=16384 SQUAWK_LOG__LEVEL=warn "$FB" "$T/rulecost.jsonl" 1 >"$T/fbcold.$r" 2>/dev/null || true
    awk -v r="$r" '/caches warm/ { print "filter5k_us\twarm\t" r "\t" $(NF - 7) }
                   /caches cold/ { print "filter5k_us\tcold\t" r "\t" $(NF - 7) }' "$T/fbcold.$r" >>"$R"
done

fi # BENCH_ONLY
fi # section 1

# ---------------------------------------------------------------- the pipeline
log "starting squawk broker"
# the bare consumers' topics: one per run, as many partitions as squawk's
DRAIN_TOPICS=""
for r in $(seq 1 "$REPS"); do
    DRAIN_TOPICS="$DRAIN_TOPICS --topic drain.bare.$r:64 --topic drain.kcat.$r:64 --topic lat.bare.$r:64"
done
# shellcheck disable=SC2086
"$SQ" broker --topic articles:64 --topic articles.dlq:1 --topic base.lat:32 --topic base.tput:32 --topic feed.only:32 \
    --topic alerts.journal:4 --topic articles.jon:32 --topic articles.joff:32 --topic articles.th:64 \
    $DRAIN_TOPICS >"$T/broker.out" 2>"$T/broker.log" &
PIDS="$PIDS $!"
wait_for 30 test -s "$T/broker.out" || { cat "$T/broker.log"; exit 1; }
BOOT=$(head -n1 "$T/broker.out")

# wait_count CMD TARGET: until CMD prints >= TARGET; gives up when it stops moving for 20 s
# (the mock broker keeps only a few MB per partition: a backlog beyond that is dropped)
wait_count() {
    last=-1; still=0
    while :; do
        v=$($1)
        [ "$v" -ge "$2" ] && return 0
        if [ "$v" = "$last" ]; then still=$((still + 1)); else still=0; last=$v; fi
        [ "$still" -lt 1000 ] || return 1
        sleep 0.02
    done
}

# sample_rss PID FILE COUNTER-COMMAND: one line a second: seconds processed VmRSS VmHWM
sample_rss() {
    t0=$(now)
    while kill -0 "$1" 2>/dev/null; do
        printf '%s %s %s %s\n' "$(echo "$(now) - $t0" | bc)" "$($3 2>/dev/null || echo 0)" \
            "$(vm "$1" VmRSS)" "$(vm "$1" VmHWM)" >>"$2" 2>/dev/null || true
        sleep 1
    done
}

# sample_mem METRICS-PORT FILE: one line a second: processed rss databases ring kafka_queue rest (bytes)
sample_mem() {
    while curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '
        /^squawk_articles_processed_total / { n = $2 }
        /^squawk_memory_bytes/ { split($1, a, "\""); v[a[2]] = $2 }
        END { if (n == "") exit 1; print n, v["rss"], v["databases"], v["ring"], v["kafka_queue"], v["rest"] }' >>"$2"; do
        sleep 1
    done
}

# latency_runs SYSTEM TOPIC PUB RATE COUNT PROCESSED-CMD
latency_runs() {
    sys=$1 topic=$2 pub=$3 rate=$4 count=$5 pcmd=$6
    for r in $(seq 1 "$REPS"); do
        rm -f "$T/ready"
        "$SUB" -c "$pub" --idle-ms 600000 --timeout 600 --ready "$T/ready" \
            --dist "$T/dist.$sys.$rate.$r" >"$T/lat.$sys.$rate.$r" 2>>"$T/sub.log" &
        spid=$!
        PIDS="$PIDS $spid"
        # squawk heartbeats every second; the first one received proves the subscription is live
        if [ "$sys" = squawk ]; then wait_for 3 test -e "$T/ready" || true; else sleep 1; fi
        base=$($pcmd)
        gen "$count" "lat-$sys-$rate-$r" |
            "$SQ" feed -b "$BOOT" -t "$topic" --rate "$rate" -X linger.ms=0 - 2>>"$T/feed.log"
        wait_count "$pcmd" $((base + count)) || log "$sys: only $(($($pcmd) - base)) of $count processed"
        sleep 1.5 # the last alerts are on the wire
        kill -TERM "$spid" 2>/dev/null || true
        wait "$spid" || true
        line=$(cat "$T/lat.$sys.$rate.$r")
        for k in e2e_p50_us e2e_p99_us e2e_p999_us proc_p99_us kafka_p50_us kafka_p99_us wire_p50_us wire_p99_us alerts; do
            rec "lat${rate}_$k" "$sys" "$r" "$(echo "$line" | tr ' ' '\n' | awk -F= -v k="$k" '$1 == k { print $2 }')"
        done
        log "$sys @${rate}/s run $r: $line"
    done
}

# tput_runs SYSTEM TOPIC PID COUNT PROCESSED-CMD: unpaced feed; rate = articles processed /
# (start of the feed -> the last article seen processed, polled every 20 ms). The mock broker
# drops the oldest messages of a partition beyond a few MB of backlog, so the run also ends when
# the count stops moving for 5 s; the rate counts only what was processed (the drops are logged).
tput_runs() {
    sys=$1 topic=$2 pid=$3 count=$4 pcmd=$5
    for r in $(seq 1 "$REPS"); do
        base=$($pcmd)
        c0=$(cpu_s "$pid")
        t0=$(now)
        gen "$count" "tput-$sys-$r" | "$SQ" feed -b "$BOOT" -t "$topic" - 2>>"$T/feed.log" &
        fpid=$!
        target=$((base + count)) last=$base tlast=$t0 still=0
        while [ "$last" -lt "$target" ] && [ "$still" -lt 250 ]; do
            sleep 0.02
            v=$($pcmd)
            if [ "$v" != "$last" ]; then last=$v; tlast=$(now); still=0; else still=$((still + 1)); fi
        done
        wait "$fpid" || true
        c1=$(cpu_s "$pid")
        done_n=$((last - base))
        [ "$done_n" -ge "$count" ] || log "$sys: $((count - done_n)) of $count articles never processed (dropped by the mock broker's retention)"
        [ "$done_n" -gt 0 ] || done_n=1
        rate=$(echo "$done_n / ($tlast - $t0)" | bc -l)
        rec tput_aps "$sys" "$r" "$rate"
        rec tput_dropped "$sys" "$r" "$((count - done_n))"
        rec cpu_per_100k "$sys" "$r" "$(echo "($c1 - $c0) * 100000 / $done_n" | bc -l)"
        rec rss_mb "$sys" "$r" "$(echo "$(vm "$pid" VmRSS) / 1024" | bc -l)"
        rec hwm_mb "$sys" "$r" "$(echo "$(vm "$pid" VmHWM) / 1024" | bc -l)"
        log "$sys throughput run $r: $(printf '%.0f' "$rate") articles/s ($done_n processed), cpu $(echo "$c1 - $c0" | bc) s, VmHWM $(vm "$pid" VmHWM) kB"
    done
}

# warm_up TOPIC PROCESSED-CMD: group join and first fetches happen before anything is measured
warm_up() {
    base=$($2)
    gen 100 "warm-$1" | "$SQ" feed -b "$BOOT" -t "$1" - 2>>"$T/feed.log"
    wait_count "$2" $((base + 100)) || log "warm-up on $1: not all processed"
}

# ---------------------------------------------------------------- 2a. the alert journal's cost
. "$ROOT/bench/journal_rows.sh"
[ "$ONLY" = e2e ] || journal_rows # BENCH_ONLY=e2e: squawk's own rows only, as documented above
if [ "$ONLY" = journal ]; then
    $PY "$ROOT/bench/e2e_report.py" --journal-only "$R"
    exit 0
fi

# ---------------------------------------------------------------- 2. squawk
# engine.filter_threads of the main instance (config/squawk.yml or the environment) and of the comparison
DEF_TH=$(awk '$1 == "filter_threads:" { print $2; exit }' "$ROOT/config/squawk.yml")
DEF_TH=${SQUAWK_ENGINE__FILTER_THREADS:-${DEF_TH:-0}}
ALT_TH=2; [ "$DEF_TH" -eq 0 ] || ALT_TH=0
log "engine.filter_threads: $DEF_TH (default) vs $ALT_TH"
PUB=$(free_port); while [ "$PUB" -ge 65535 ]; do PUB=$(free_port); done
MET=$(free_port)
log "starting squawk run (alerts tcp://127.0.0.1:$PUB, metrics :$MET)"
SQUAWK_KAFKA__BOOTSTRAP_SERVERS="$BOOT" \
SQUAWK_KAFKA__GROUP_ID="bench-squawk" \
SQUAWK_SINKS__ZMQ__ENDPOINTS="tcp://127.0.0.1:$PUB" \
SQUAWK_SINKS__ZMQ__REPLAY_ENDPOINTS="tcp://127.0.0.1:$((PUB + 1))" \
SQUAWK_METRICS__LISTEN="127.0.0.1:$MET" \
SQUAWK_LOG__LEVEL=warn \
    "$SQ" run -c "$ROOT/config/squawk.yml" 2>"$T/run.log" &
SQPID=$!
PIDS="$PIDS $SQPID"
wait_for 90 curl -fsS "http://127.0.0.1:$MET/healthz" || { echo "squawk run did not become healthy"; cat "$T/run.log"; exit 1; }
sq_processed() { curl -fsS "http://127.0.0.1:$MET/metrics" | awk '/^squawk_articles_processed_total /{print $2; f=1} END {if (!f) print 0}'; }
# memory right after start-up (rules loaded, nothing consumed yet), then every second of the run
: >"$T/mem.squawk"
sample_mem "$MET" "$T/mem.squawk" &
PIDS="$PIDS $!"
warm_up articles sq_processed
latency_runs squawk articles "tcp://127.0.0.1:$PUB" 1000 $((1000 * LAT_SQ_SECS_1K)) sq_processed
warm_up articles sq_processed
latency_runs squawk articles "tcp://127.0.0.1:$PUB" 10000 $((10000 * LAT_SQ_SECS_10K)) sq_processed
# throughput: a subscriber stays connected so every alert is really sent
"$SUB" -c "tcp://127.0.0.1:$PUB" --idle-ms 600000 >"$T/tput.sub" 2>>"$T/sub.log" &
TSUB=$!
PIDS="$PIDS $TSUB"
sleep 1
tput_runs squawk articles "$SQPID" "$TPUT_N" sq_processed
# cost: COST_N articles paced at 80 % of the measured throughput (unpaced, the mock broker would
# drop most of the backlog), VmRSS sampled every second to show it stays flat
RATE=$(awk -F'\t' '$1 == "tput_aps" && $2 == "squawk" { print $4 }' "$R" | sort -g |
       awk '{ v[NR] = $1 } END { r = int(0.8 * v[int((NR + 1) / 2)]); print (r < 200 ? 200 : r) }')
log "squawk cost run: $COST_N articles at $RATE/s"
: >"$T/rss.squawk"
sample_rss "$SQPID" "$T/rss.squawk" sq_processed &
RSSP=$!
PIDS="$PIDS $RSSP"
# the filter stage's own CPU (squawk_filter_stage_cpu_seconds_total, the threads in the filters)
sq_metric() { curl -fsS "http://127.0.0.1:$MET/metrics" | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'; }
base=$(sq_processed); c0=$(cpu_s "$SQPID"); t0=$(now); f0=$(sq_metric squawk_filter_stage_cpu_seconds_total)
rec cost_base squawk 1 "$base"
gen "$COST_N" cost | "$SQ" feed -b "$BOOT" -t articles --rate "$RATE" - 2>>"$T/feed.log"
wait_count sq_processed $((base + COST_N)) || log "squawk cost run: only $(($(sq_processed) - base)) of $COST_N processed"
c1=$(cpu_s "$SQPID")
rec cost_processed squawk 1 $(($(sq_processed) - base))
rec cost_rate squawk 1 "$RATE"
rec cost_cpu_per_100k squawk 1 "$(echo "($c1 - $c0) * 100000 / ($(sq_processed) - $base)" | bc -l)"
rec cost_filter_cpu_per_100k squawk 1 "$(echo "($(sq_metric squawk_filter_stage_cpu_seconds_total) - $f0) * 100000 / ($(sq_processed) - $base)" | bc -l)"
rec cost_secs squawk 1 "$(echo "$(now) - $t0" | bc -l)"
kill "$TSUB" "$RSSP" 2>/dev/null || true
wait "$TSUB" 2>/dev/null || true
rec cost_hwm_mb squawk 1 "$(echo "$(vm "$SQPID" VmHWM) / 1024" | bc -l)"
curl -fsS "http://127.0.0.1:$MET/metrics" >"$T/metrics.squawk" || true

# start_instance NAME VAR=VALUE...: one more `squawk run` (config/squawk.yml) on the bench broker with its
# own ports and these settings; sets IPID, IPUB (alerts) and IMET (metrics); 1 if it never became healthy
start_instance() {
    name=$1; shift
    IPUB=$(free_port); while [ "$IPUB" -ge 65535 ]; do IPUB=$(free_port); done
    IMET=$(free_port)
    env SQUAWK_KAFKA__BOOTSTRAP_SERVERS="$BOOT" SQUAWK_SINKS__ZMQ__ENDPOINTS="tcp://127.0.0.1:$IPUB" \
        SQUAWK_SINKS__ZMQ__REPLAY_ENDPOINTS="tcp://127.0.0.1:$((IPUB + 1))" \
        SQUAWK_METRICS__LISTEN="127.0.0.1:$IMET" SQUAWK_LOG__LEVEL=warn "$@" \
        "$SQ" run -c "$ROOT/config/squawk.yml" 2>"$T/run.$name.log" &
    IPID=$!
    PIDS="$PIDS $IPID"
    wait_for 90 curl -fsS "http://127.0.0.1:$IMET/healthz" || { log "squawk run ($name) did not become healthy"; return 1; }
}
m_processed() { curl -fsS "http://127.0.0.1:$1/metrics" | awk '/^squawk_articles_processed_total /{print $2; f=1} END {if (!f) print 0}'; }

# one core or two: a second squawk process in the same consumer group, throughput of both together
if start_instance two SQUAWK_KAFKA__GROUP_ID=bench-squawk; then
    SQPID2=$IPID MET2=$IMET
    sleep 5 # the group settles: both members hold partitions
    both_processed() { echo $(($(sq_processed) + $(m_processed "$MET2"))); }
    "$SUB" -c "tcp://127.0.0.1:$IPUB" --idle-ms 600000 >/dev/null 2>>"$T/sub.log" &
    TSUB2=$!
    PIDS="$PIDS $TSUB2"
    tput_runs two articles "$SQPID" "$TPUT_N" both_processed
    kill "$TSUB2" 2>/dev/null || true
fi
kill -TERM "$IPID" 2>/dev/null || true; wait "$IPID" 2>/dev/null || true
kill -TERM "$SQPID"; wait "$SQPID" 2>/dev/null || log "squawk run exited non-zero"

# one core or two, in one process: the default engine.filter_threads (above) against the other setting
# (0: the filters on the loop's own thread; 2 when the default is 0), its own topic and group, the same
# latency (1,000/s) and throughput runs
if start_instance loop SQUAWK_KAFKA__GROUP_ID=bench-loop SQUAWK_KAFKA__TOPICS=articles.th SQUAWK_ENGINE__FILTER_THREADS=$ALT_TH; then
    MET3=$IMET
    lp_processed() { m_processed "$MET3"; }
    warm_up articles.th lp_processed
    latency_runs loop articles.th "tcp://127.0.0.1:$IPUB" 1000 $((1000 * LAT_SQ_SECS_1K)) lp_processed
    "$SUB" -c "tcp://127.0.0.1:$IPUB" --idle-ms 600000 >/dev/null 2>>"$T/sub.log" &
    TSUB3=$!
    PIDS="$PIDS $TSUB3"
    sleep 1
    tput_runs loop articles.th "$IPID" "$TPUT_N" lp_processed
    kill "$TSUB3" 2>/dev/null || true
fi
kill -TERM "$IPID" 2>/dev/null || true; wait "$IPID" 2>/dev/null || log "squawk run (filter_threads=$ALT_TH) exited non-zero"

# the broker's own ceiling, same broker, same articles: a bare librdkafka consumer (bench/kafka_drain.c,
# squawk's consumer properties, no processing) and kcat -C drain what squawk's throughput runs fed;
# at 1,000/s the bare consumer's produce -> receive latency is what squawk's produce -> subscriber
# latency is compared with
KPROPS="-X fetch.wait.max.ms=10 -X queued.max.messages.kbytes=8192 -X fetch.max.bytes=2097152"
# every drain ends: at 300 s, or 20 s after the last message (the mock broker may drop some)
KDLIM="--timeout 300 --idle 20"
for r in $(seq 1 "$REPS"); do
    rm -f "$T/dready"
    # shellcheck disable=SC2086
    "$KD" -b "$BOOT" -t "drain.bare.$r" -n "$TPUT_N" --ready "$T/dready" $KDLIM $KPROPS >"$T/drain.$r" 2>>"$T/drain.log" &
    dpid=$!
    wait_for 30 test -e "$T/dready" || log "bare consumer run $r: no partitions assigned"
    t0=$(date +%s%N)
    gen "$TPUT_N" "bare-$r" | "$SQ" feed -b "$BOOT" -t "drain.bare.$r" - 2>>"$T/feed.log"
    wait "$dpid" || log "bare consumer run $r: not every message received"
    rec tput_aps bare "$r" "$(tr ' ' '\n' <"$T/drain.$r" | awk -F= -v t0="$t0" '
        $1 == "messages" { n = $2 } $1 == "last_ns" { t = $2 } END { if (t > t0) print n / ((t - t0) / 1e9) }')"
    # kcat has no idle timeout and the mock broker drops some messages, so -c N may never be reached:
    # count its output lines; the run ends at N or 5 s after the last one (as tput_runs)
    timeout 300 kcat -C -b "$BOOT" -t "drain.kcat.$r" -o beginning -c "$TPUT_N" -q -f '%o\n' >"$T/kcat.$r" 2>>"$T/kcat.log" &
    kpid=$!
    sleep 2 # kcat has fetched metadata and waits at the (empty) partitions' beginning
    t0=$(now)
    gen "$TPUT_N" "kcat-$r" | "$SQ" feed -b "$BOOT" -t "drain.kcat.$r" - 2>>"$T/feed.log"
    last=0 tlast=$t0 still=0
    while [ "$last" -lt "$TPUT_N" ] && [ "$still" -lt 250 ] && kill -0 "$kpid" 2>/dev/null; do
        sleep 0.02
        v=$(wc -l <"$T/kcat.$r")
        if [ "$v" != "$last" ]; then last=$v; tlast=$(now); still=0; else still=$((still + 1)); fi
    done
    kill "$kpid" 2>/dev/null || true; wait "$kpid" 2>/dev/null || true
    if [ "$last" -gt 0 ]; then rec tput_aps kcat "$r" "$(echo "$last / ($tlast - $t0)" | bc -l)"
    else log "kcat run $r received nothing: no rate recorded"; fi
    [ "$last" -ge "$TPUT_N" ] || log "kcat run $r: $last of $TPUT_N messages (the rest dropped by the mock broker)"
    rm -f "$T/dready"
    nlat=$((1000 * LAT_SQ_SECS_1K)) # wait_for once counted down this n: the bare run fed 273 of 2,000
    # shellcheck disable=SC2086
    "$KD" -b "$BOOT" -t "lat.bare.$r" -n "$nlat" --ready "$T/dready" $KDLIM $KPROPS >"$T/latbare.$r" 2>>"$T/drain.log" &
    dpid=$!
    wait_for 30 test -e "$T/dready" || log "bare latency run $r: no partitions assigned"
    gen "$nlat" "latbare-$r" | "$SQ" feed -b "$BOOT" -t "lat.bare.$r" --rate 1000 -X linger.ms=0 - 2>>"$T/feed.log"
    wait "$dpid" || log "bare latency run $r: not every message received"
    for k in recv_p50_us recv_p99_us recv_p999_us; do
        rec "lat1000_$k" bare "$r" "$(tr ' ' '\n' <"$T/latbare.$r" | awk -F= -v k="$k" '$1 == k { print $2 }')"
    done
    log "broker ceiling run $r: bare $(cat "$T/drain.$r"); latency $(cat "$T/latbare.$r")"
done

# feeder alone: its unpaced rate bounds what the e2e throughput run can show
[ -n "$ONLY" ] || for r in 1 2 3; do
    t0=$(now)
    gen "$TPUT_N" "feedonly-$r" | "$SQ" feed -b "$BOOT" -t feed.only - 2>>"$T/feed.log"
    rec feed_aps feeder "$r" "$(echo "$TPUT_N / ($(now) - $t0)" | bc -l)"
done

# ---------------------------------------------------------------- 3. baseline
if [ -z "$ONLY" ]; then
BPUB=$(free_port)
log "starting the Python baseline (alerts tcp://127.0.0.1:$BPUB)"
base_processed() { cat "$T/base.count" 2>/dev/null || echo 0; }
# each baseline phase has its own topic, so it never sees squawk's articles
start_baseline() { # start_baseline TOPIC GROUP
    rm -f "$T/base.count"
    $PY "$ROOT/bench/baseline/squawk_baseline.py" --bootstrap "$BOOT" --topic "$1" --group "$2" \
        --pub "tcp://127.0.0.1:$BPUB" --data "$ROOT/filters" --status "$T/base.count" 2>>"$T/base.log" &
    BPID=$!
    PIDS="$PIDS $BPID"
    wait_for 60 test -s "$T/base.count" || { echo "baseline did not start"; cat "$T/base.log"; exit 1; }
    sleep 2 # group join and partition assignment
}
start_baseline base.lat bench-baseline-lat
warm_up base.lat base_processed
latency_runs baseline base.lat "tcp://127.0.0.1:$BPUB" 1000 "$BASE_BURST" base_processed
latency_runs baseline base.lat "tcp://127.0.0.1:$BPUB" 10000 "$BASE_BURST" base_processed
kill "$BPID"; wait "$BPID" 2>/dev/null || true
start_baseline base.tput bench-baseline-tput
warm_up base.tput base_processed
"$SUB" -c "tcp://127.0.0.1:$BPUB" --idle-ms 600000 >"$T/tput.base.sub" 2>>"$T/sub.log" &
TSUB=$!
PIDS="$PIDS $TSUB"
sleep 1
: >"$T/rss.baseline"
sample_rss "$BPID" "$T/rss.baseline" base_processed &
RSSP=$!
PIDS="$PIDS $RSSP"
tput_runs baseline base.tput "$BPID" "$BASE_TPUT_N" base_processed
kill "$TSUB" "$RSSP" 2>/dev/null || true
kill "$BPID"; wait "$BPID" 2>/dev/null || true

fi # BENCH_ONLY

# ---------------------------------------------------------------- report
cp "$R" "$T/keep.tsv"
$PY "$ROOT/bench/e2e_report.py" --results "$R" --tmp "$T" --root "$ROOT" --build "$B" --start "$START" \
    --corpus "$FCORPUS" --tput-n "$TPUT_N" --cost-n "$COST_N" --base-tput-n "$BASE_TPUT_N" --reps "$REPS" \
    --lat-secs "$LAT_SQ_SECS_1K,$LAT_SQ_SECS_10K" --base-burst "$BASE_BURST" --long "$LONG" \
    --quick "$([ -n "$ONLY" ] && echo 1 || echo "${BENCH_QUICK:-0}")" --threads "$DEF_TH,$ALT_TH"
