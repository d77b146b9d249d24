#!/bin/sh
# ab_latency.sh -- processing and produce->subscriber latency of two squawk builds run alternately at one rate on the mock broker.
# usage: bench/ab_latency.sh BUILD_A BUILD_B [ROUNDS=3] [RATE=1000] [ARTICLES=5000]
# Each round runs A then B: `squawk run` (config/squawk.yml) on a fresh `squawk broker`, ARTICLES
# bench/e2e_gen.py articles fed at RATE with linger.ms=0, e2e_sub (from BUILD_B) on the PUB socket.
# One line per run: e2e_sub's alerts, e2e_p99_us, proc_p50_us, proc_p99_us, then /metrics means per
# article (processing, filter stage wall and CPU), per alert (ingest -> handed to the sinks) and the
# process's CPU seconds. Alternating the
# two builds is what makes their numbers comparable on a shared machine; read medians.
set -u
A=$1; B=$2; ROUNDS=${3:-3}; RATE=${4:-1000}; N=${5:-5000}
ROOT=$(cd "$(dirname "$0")/.." && pwd); SUB=$B/e2e_sub; T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
python3 "$ROOT/bench/e2e_gen.py" --samples "$ROOT/samples" --count "$N" --prefix ab > "$T/a.jsonl"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
one() {
    "$1/squawk" broker --topic articles:32 --topic alerts.journal:1 > "$T/b.out" 2>/dev/null & BP=$!
    BOOT=; for i in $(seq 1 100); do BOOT=$(head -n1 "$T/b.out"); [ -n "$BOOT" ] && break; sleep 0.1; done
    PUB=$(port); MP=$(port)
    SQUAWK_LOG__LEVEL=warn SQUAWK_KAFKA__BOOTSTRAP_SERVERS=$BOOT SQUAWK_SINKS__ZMQ__ENDPOINTS=tcp://127.0.0.1:$PUB \
        SQUAWK_SINKS__ZMQ__REPLAY_ENDPOINTS=tcp://127.0.0.1:$((PUB+1)) SQUAWK_METRICS__LISTEN=127.0.0.1:$MP \
        "$1/squawk" run -c "$ROOT/config/squawk.yml" 2>"$T/run.log" & RP=$!
    sleep 5
    "$SUB" -c tcp://127.0.0.1:$PUB --idle-ms 3000 --timeout 60 > "$T/sub.out" 2>&1 & SP=$!
    sleep 1
    "$1/squawk" feed -b "$BOOT" -t articles --rate "$RATE" -X linger.ms=0 "$T/a.jsonl" 2>/dev/null
    wait $SP
    tr ' ' '\n' < "$T/sub.out" | grep -E '^(alerts|e2e_p99_us|proc_p50_us|proc_p99_us)=' | tr '\n' ' '
    curl -s "http://127.0.0.1:$MP/metrics" | awk '/^squawk_processing_seconds_sum/{p=$2}
        /^squawk_processing_seconds_count/{n=$2} /^squawk_filter_stage_seconds_total/{f=$2}
        /^squawk_filter_stage_cpu/{c=$2} /^squawk_alert_latency_seconds_sum/{as=$2}
        /^squawk_alert_latency_seconds_count/{an=$2} END {if (n) printf "proc_mean_us=%.0f filter_mean_us=%.0f filter_cpu_us=%.0f ",
        p/n*1e6, f/n*1e6, c/n*1e6; if (an) printf "alert_mean_us=%.0f ", as/an*1e6}'
    awk '{printf "cpu_s=%.2f\n", ($14+$15)/100}' /proc/$RP/stat 2>/dev/null ||
        { echo "squawk exited:"; tail -n 3 "$T/run.log"; }
    kill $RP 2>/dev/null; wait $RP 2>/dev/null; kill $BP 2>/dev/null; wait $BP 2>/dev/null
}
for r in $(seq 1 "$ROUNDS"); do
    printf 'A %s: ' "$A"; one "$A"
    printf 'B %s: ' "$B"; one "$B"
done
