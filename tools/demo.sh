#!/bin/sh
# demo.sh -- `make demo`: embedded broker, squawk run, a subscriber, the sample articles, a summary.
set -eu
B=${1:-build}
SQ="$B/squawk"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/squawk-demo.XXXXXX)
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT INT TERM
[ -n "${SQUAWK_DEMO_KEEP:-}" ] && trap - EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # wait_for SECONDS COMMAND...
    n=$(($1 * 10)); shift
    while ! "$@" >/dev/null 2>&1; do
        n=$((n - 1)); [ "$n" -gt 0 ] || return 1; sleep 0.1
    done
}

echo "== squawk demo: embedded Kafka (librdkafka mock cluster) -> squawk run -> squawk sub"
"$SQ" broker --topic articles:4 --topic articles.dlq:1 --topic alerts.journal:1 >"$T/broker.out" 2>"$T/broker.log" &
PIDS="$PIDS $!"
wait_for 30 test -s "$T/broker.out" || { echo "broker did not start"; cat "$T/broker.log"; exit 1; }
BOOT=$(head -n1 "$T/broker.out")
PUB=$(free_port); while [ "$PUB" -ge 65535 ]; do PUB=$(free_port); done
MET=$(free_port)
echo "   broker $BOOT, alerts tcp://127.0.0.1:$PUB (replay :$((PUB + 1))), metrics http://127.0.0.1:$MET"

SQUAWK_KAFKA__BOOTSTRAP_SERVERS="$BOOT" \
SQUAWK_KAFKA__GROUP_ID="squawk-demo" \
SQUAWK_SINKS__ZMQ__ENDPOINTS="tcp://127.0.0.1:$PUB" \
SQUAWK_SINKS__ZMQ__REPLAY_ENDPOINTS="tcp://127.0.0.1:$((PUB + 1))" \
SQUAWK_METRICS__LISTEN="127.0.0.1:$MET" \
    "$SQ" run -c "$ROOT/config/squawk.yml" 2>"$T/run.log" &
RUN_PID=$!
PIDS="$PIDS $RUN_PID"
wait_for 90 curl -fsS "http://127.0.0.1:$MET/healthz" || { echo "squawk run did not become healthy"; cat "$T/run.log"; exit 1; }

# The readable view for the audience, a JSON copy for the summary.
"$SQ" sub -c "tcp://127.0.0.1:$PUB" --timeout 60 &
PIDS="$PIDS $!"
"$SQ" sub -c "tcp://127.0.0.1:$PUB" --json --timeout 60 >"$T/alerts.jsonl" 2>"$T/sub.log" &
JSUB=$!
PIDS="$PIDS $JSUB"
# The squawk box: every article's line as text and as a WAV (no sound card needed).
SAY_OUT="$B/demo-say"
rm -rf "$SAY_OUT"
mkdir -p "$SAY_OUT"
"$SQ" say -c "tcp://127.0.0.1:$PUB" --text --wav "$SAY_OUT" --fast --backlog 100 --max-age 0 \
    >"$SAY_OUT/spoken.txt" 2>"$T/say.log" &
SAY_PID=$!
PIDS="$PIDS $SAY_PID"
sleep 1

N=$(ls "$ROOT"/samples/*.json | wc -l)
echo "== feeding $N sample articles"
"$SQ" feed -b "$BOOT" -t articles "$ROOT"/samples/*.json 2>"$T/feed.log" || { cat "$T/feed.log"; exit 1; }
processed() { curl -fsS "http://127.0.0.1:$MET/metrics" | awk '/^squawk_articles_processed_total /{print $2}'; }
all_processed() { test "$(processed)" = "$N"; }
wait_for 60 all_processed || { echo "only $(processed) of $N articles processed"; tail "$T/run.log"; exit 1; }
sleep 1.5   # let the last alerts reach the subscribers
kill -INT "$JSUB" 2>/dev/null || true
wait "$JSUB" 2>/dev/null || true

echo
echo "== summary"
curl -fsS "http://127.0.0.1:$MET/metrics" >"$T/metrics.txt"
python3 - "$T/alerts.jsonl" "$T/metrics.txt" <<'PY'
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
metrics = {}
for line in open(sys.argv[2]):
    if line and not line.startswith("#"):
        k, _, v = line.rpartition(" ")
        metrics[k] = v.strip()
print("articles in:        %s" % metrics.get("squawk_articles_consumed_total", "?"))
by = {}
for a in alerts:
    by[a["category"]] = by.get(a["category"], 0) + 1
print("alert messages:     %d (one per ticker)" % len(alerts))
for c in sorted(by):
    print("  %-16s  %d" % (c, by[c]))
lat = sorted((a["ts"]["emit_ns"] - a["ts"]["ingest_ns"]) / 1000.0 for a in alerts if a["ts"].get("ingest_ns"))
if lat:
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    print("processing latency (ingest -> emit): p50 %.0f us, p99 %.0f us" % (pct(0.50), pct(0.99)))
acked = [v for k, v in metrics.items() if k.startswith("squawk_sink_journal_acked_total")]
if acked:
    print("journal (Kafka alerts.journal, acks=all): %s messages acknowledged before their articles' "
          "offsets were committed" % acked[0])
missing = {"invest", "chips", "regulatory"} - set(by)
if missing:
    print("MISSING categories: %s" % ", ".join(sorted(missing)))
    sys.exit(1)
PY

echo
echo "== squawk say: what the desk hears (one line per article)"
ARTICLES=$(python3 -c 'import json,sys; print(len({json.loads(l)["article"]["id"] for l in open(sys.argv[1]) if l.strip()}))' "$T/alerts.jsonl")
spoken() { test "$(wc -l <"$SAY_OUT/spoken.txt")" -ge "$ARTICLES"; }
wait_for 60 spoken || { echo "squawk say spoke $(wc -l <"$SAY_OUT/spoken.txt") of $ARTICLES lines"; cat "$T/say.log"; exit 1; }
kill -INT "$SAY_PID" 2>/dev/null || true
wait "$SAY_PID" 2>/dev/null || true
sed 's/^/  /' "$SAY_OUT/spoken.txt"
echo "   $(ls "$SAY_OUT"/*.wav | wc -l) WAVs and spoken.txt in $SAY_OUT"
kill -TERM "$RUN_PID"
wait "$RUN_PID" && echo "squawk run drained and exited 0" || { echo "squawk run exited non-zero"; tail "$T/run.log"; exit 1; }
PIDS=$(echo "$PIDS" | sed "s/ $RUN_PID//")
