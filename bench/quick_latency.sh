#!/bin/sh
# quick_latency.sh -- produce->subscriber latency of squawk run at 100 articles/s on the mock broker, in ~1 minute.
# usage: bench/quick_latency.sh BUILD [FETCH_WAIT_MS]  (prints the e2e_sub line: e2e_p50_us, e2e_p99_us, proc_*)
set -u
B=${1:-build}; FW=${2:-10}; ROOT=$(cd "$(dirname "$0")/.." && pwd); T=$(mktemp -d)
cmake --build "$B" --target squawk e2e_sub >/dev/null
$B/squawk broker --topic articles:4 --topic alerts.journal:1 > $T/b.out 2>/dev/null & BP=$!
sleep 1; BOOT=$(head -n1 $T/b.out)
PUB=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SQUAWK_KAFKA__BOOTSTRAP_SERVERS=$BOOT SQUAWK_KAFKA__FETCH_WAIT_MAX_MS=$FW SQUAWK_SINKS__ZMQ__ENDPOINTS=tcp://127.0.0.1:$PUB SQUAWK_SINKS__ZMQ__REPLAY_ENDPOINTS=tcp://127.0.0.1:$((PUB+1)) SQUAWK_METRICS__LISTEN=127.0.0.1:0 $B/squawk run -c $ROOT/config/squawk.yml 2>$T/run.log & RP=$!
sleep 4
$B/e2e_sub -c tcp://127.0.0.1:$PUB --idle-ms 3000 --timeout 40 > $T/sub.out 2>&1 & SP=$!
sleep 1
for i in 1 2 3 4 5 6 7 8 9 10; do cat "$ROOT"/samples/[01]*.json; done | python3 -c '
import sys,json
d=sys.stdin.read(); dec=json.JSONDecoder(); i=0; n=0
while i < len(d):
    while i < len(d) and d[i].isspace(): i+=1
    if i>=len(d): break
    o,j=dec.raw_decode(d,i); i=j; n+=1; o["id"]=o["id"]+"-%d"%n; print(json.dumps(o))
' > $T/a.jsonl
$B/squawk feed -b $BOOT -t articles --rate 100 $T/a.jsonl 2>/dev/null
wait $SP; cat $T/sub.out; kill $RP $BP; wait 2>/dev/null; rm -rf $T
