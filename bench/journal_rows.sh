# journal_rows.sh -- sourced by bench/run.sh: end-to-end latency and throughput of squawk run with the alert journal on and off.
# Same broker, feeder, articles and subscriber for both; each instance reads its own topic
# (articles.jon / articles.joff, created by run.sh) so neither sees the other's articles.

# journal_instance SYS ENABLED TOPIC: starts `squawk run` (config/squawk.yml), sets JPID JPUB JMET
journal_instance() {
    JPUB=$(free_port); while [ "$JPUB" -ge 65535 ]; do JPUB=$(free_port); done
    JMET=$(free_port)
    SQUAWK_KAFKA__BOOTSTRAP_SERVERS="$BOOT" \
    SQUAWK_KAFKA__GROUP_ID="bench-$1" \
    SQUAWK_KAFKA__TOPICS="$3" \
    SQUAWK_SINKS__ZMQ__ENDPOINTS="tcp://127.0.0.1:$JPUB" \
    SQUAWK_SINKS__ZMQ__REPLAY_ENDPOINTS="tcp://127.0.0.1:$((JPUB + 1))" \
    SQUAWK_SINKS__JOURNAL__ENABLED="$2" \
    SQUAWK_METRICS__LISTEN="127.0.0.1:$JMET" \
    SQUAWK_LOG__LEVEL=warn \
        "$SQ" run -c "$ROOT/config/squawk.yml" 2>"$T/run.$1.log" &
    JPID=$!
    PIDS="$PIDS $JPID"
    wait_for 90 curl -fsS "http://127.0.0.1:$JMET/healthz" || { echo "squawk run ($1) did not become healthy"; cat "$T/run.$1.log"; exit 1; }
}
j_processed() { curl -fsS "http://127.0.0.1:$JMET/metrics" | awk '/^squawk_articles_processed_total /{print $2; f=1} END {if (!f) print 0}'; }

# journal_rows: for journal on, then off: latency at 1,000/s, then unpaced throughput with a
# subscriber connected; records lat1000_* and tput_aps / cpu_per_100k as systems journal, nojournal
journal_rows() {
    for sys in journal nojournal; do
        if [ "$sys" = journal ]; then en=true topic=articles.jon; else en=false topic=articles.joff; fi
        log "journal rows: squawk run with sinks.journal.enabled=$en"
        journal_instance "$sys" "$en" "$topic"
        warm_up "$topic" j_processed
        latency_runs "$sys" "$topic" "tcp://127.0.0.1:$JPUB" 1000 $((1000 * LAT_SQ_SECS_1K)) j_processed
        "$SUB" -c "tcp://127.0.0.1:$JPUB" --idle-ms 600000 >"$T/tput.$sys.sub" 2>>"$T/sub.log" &
        JSUB=$!
        PIDS="$PIDS $JSUB"
        sleep 1
        tput_runs "$sys" "$topic" "$JPID" "$TPUT_N" j_processed
        curl -fsS "http://127.0.0.1:$JMET/metrics" >"$T/metrics.$sys" || true
        kill "$JSUB" 2>/dev/null || true
        kill -TERM "$JPID"; wait "$JPID" 2>/dev/null || log "squawk run ($sys) exited non-zero"
    done
}
