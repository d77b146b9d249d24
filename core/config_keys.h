/* config_keys.h -- the service config maps: every squawk.yml key squawk reads, declared once.
 *
 * HOW TO ADD A KEY: one line in its section's list below,
 *
 *     X(KIND, CTYPE, name, "default", lo, hi, FLAGS, "one-line doc")
 *
 * and regenerate the reference config: `build/squawk check --reference > config/squawk.yml`
 * (test_config fails until config/squawk.yml matches the maps). That line gives the struct
 * field (named as the key: c->sinks.zmq.heartbeat_ms), loading and type/range checks, the
 * SQUAWK_<SECTION>__<KEY> environment override, the default, `squawk check`'s dump and the
 * reference config. Checks across keys (pause_low < pause_high, endpoints) are in config.c's
 * validate_*(); what a SIGHUP applies is the SQ_CFGF_RELOAD flag.
 * A new section: its list here, a SECTION line in its parent's list, one SQ_CFG_STRUCT line in
 * config.h (before its parent's) and one SQ_CFG_KEYS_DEF block in config.c.
 *
 *   KIND     BOOL    int, 0/1 (true/false/yes/no/on/off/1/0)
 *            TRI     int, 1 on, -1 off, 0 absent (someone else's default decides)
 *            INT     CTYPE (int, unsigned, size_t ...), lo..hi; lo < 0 needs a signed CTYPE
 *            DOUBLE  double, lo..hi
 *            STR     char *; CTYPE: NULL or the allowed values, "debug|info|warn|error"
 *            LIST    char **name + size_t n_name (a YAML list, or "a,b" from the environment)
 *            PROPS   char **name (key, value pairs) + size_t n_name + int *name_lines:
 *                    a map of librdkafka properties (with SQ_CFGF_REST: the section's other keys)
 *            PROP    a librdkafka property squawk documents (and defaults, for the consumer);
 *                    no field: its value lands in the section's PROPS
 *            SECTION CTYPE: the sub-struct, declared above with SQ_CFG_STRUCT
 *            FILTERS the filters: list (config.c's load_filters; each plugin checks its own map)
 *   default  as written in YAML ("a,b" for a LIST); NULL: none (0, NULL, empty)
 *   lo, hi   INT and DOUBLE bounds; 0, 0 otherwise
 *   FLAGS    0 or an | of SQ_CFGF_EXAMPLE (the "default" is only an example: absent means unset),
 *            SQ_CFGF_COMMENTED (the reference shows it commented out; implies EXAMPLE),
 *            SQ_CFGF_SECRET (dumped as ***), SQ_CFGF_RELOAD (a SIGHUP applies it),
 *            SQ_CFGF_OPTIONAL (a section that is off when absent: its first key is `enabled`),
 *            SQ_CFGF_REST (PROPS: every key of the section that is not in the map)
 */
#ifndef SQ_CONFIG_KEYS_H
#define SQ_CONFIG_KEYS_H

/* sinks.zmq.min_relevance when absent: chosen on the tune sets with
 * squawk eval --parties (docs/EVAL.md): 10 is the highest bar that drops no
 * right ticker on modern_dev_2 tune or labels-modern-dev (a company named once
 * in a body's tail, near no event word, scores below it). */
#define SQ_CONFIG_MIN_RELEVANCE 10.0

#define SQ_CONFIG_KAFKA_KEYS(X)                                                                            \
    X(LIST, _, topics, "articles", 0, 0, SQ_CFGF_EXAMPLE, "topics to consume (required)")                  \
    X(STR, NULL, dlq_topic, "articles.dlq", 0, 0, SQ_CFGF_EXAMPLE,                                         \
      "rejected messages go here unchanged, with squawk-error/squawk-source headers (absent: none)")     \
    X(INT, size_t, max_article_bytes, "1048576", 0, 256ull << 20, 0,                                       \
      "larger messages are dead-lettered as TOO_BIG")                                                      \
    X(INT, unsigned, batch, "256", 0, 100000, 0, "messages handled per loop wake-up (keeps timers fair)")  \
    X(INT, unsigned, commit_interval_ms, "1000", 0, 3600000, 0,                                            \
      "offsets are committed in batches, never per message")                                               \
    X(INT, unsigned, pause_high, "50000", 0, 100000000, 0,                                                 \
      "pause fetching when this many alerts/articles wait on sinks")                                       \
    X(INT, unsigned, pause_low, "10000", 0, 100000000, 0, "... and resume below this")                     \
    X(PROPS, _, props, NULL, 0, 0, SQ_CFGF_REST,                                                           \
      "Every other key here is a librdkafka property, passed through unchanged.")                          \
    X(PROP, _, bootstrap.servers, "localhost:9092", 0, 0, SQ_CFGF_EXAMPLE, "required")                     \
    X(PROP, _, group.id, "squawk", 0, 0, 0, "the consumer group")                                          \
    X(PROP, _, auto.offset.reset, "earliest", 0, 0, 0, "a new group starts at the oldest article")         \
    X(PROP, _, queued.max.messages.kbytes, "8192", 0, 0, 0,                                                \
      "librdkafka's prefetch buffer (its default 64 MB); squawk refills it when it runs dry (docs/OPERATIONS.md)") \
    X(PROP, _, fetch.max.bytes, "1048576", 0, 0, 0,                                                        \
      "one fetch response at most (librdkafka's 50 MB, on top of the prefetch)")                           \
    X(PROP, _, fetch.wait.max.ms, "10", 0, 0, 0,                                                           \
      "librdkafka's 500: on a quiet topic an article could wait that long in a fetch")                     \
    X(PROP, _, session.timeout.ms, "6000", 0, 0, 0,                                                        \
      "librdkafka's 45 s made a restarted instance wait that long for partitions")                         \
    X(PROP, _, heartbeat.interval.ms, "1000", 0, 0, 0, "well under the session timeout")                   \
    X(PROP, _, group.instance.id, "squawk-a", 0, 0, SQ_CFGF_COMMENTED,                                     \
      "static membership (KIP-345), one unique id per instance: see README")                               \
    X(PROP, _, security.protocol, "SASL_SSL", 0, 0, SQ_CFGF_COMMENTED, "")                                 \
    X(PROP, _, sasl.mechanisms, "PLAIN", 0, 0, SQ_CFGF_COMMENTED, "")                                      \
    X(PROP, _, sasl.username, "squawk", 0, 0, SQ_CFGF_COMMENTED, "")                                       \
    X(PROP, _, sasl.password, "...", 0, 0, SQ_CFGF_COMMENTED | SQ_CFGF_SECRET,                             \
      "never logged; `squawk check` prints it as ***")

#define SQ_CONFIG_ENGINE_KEYS(X)                                                                           \
    X(STR, NULL, data_dir, "/usr/share/squawk", 0, 0, SQ_CFGF_COMMENTED | SQ_CFGF_RELOAD,                  \
      "rules/*.yml and gazetteer.yml (absent: built-in)")                                                  \
    X(LIST, _, plugin_dirs, "/usr/lib/squawk", 0, 0, SQ_CFGF_COMMENTED | SQ_CFGF_RELOAD,                   \
      "searched in order for \"invest\" -> invest.so, then the built-in directory")                        \
    X(INT, unsigned, novelty_window_s, "86400", 0, 30 * 86400, SQ_CFGF_RELOAD,                             \
      "repeats of a story within this window get lower novelty")                                           \
    X(TRI, _, anonymous_companies, "true", 0, 0, SQ_CFGF_EXAMPLE | SQ_CFGF_RELOAD,                         \
      "\"$TSLA\", \"<ACME>\", \"Foo Holdings Ltd\" count as companies (absent: gazetteer.yml's, on)")      \
    X(INT, unsigned, shutdown_timeout_ms, "10000", 0, 600000, 0,                                           \
      "SIGTERM: drain in-flight work at most this long")                                                   \
    X(INT, unsigned, filter_threads, "0", 0, 16, 0,                                                         \
      "filter worker threads; 0: filter on the event loop's thread (docs/OPERATIONS.md)")

#define SQ_CONFIG_CURVE_KEYS(X)                                                                            \
    X(STR, NULL, secret_key_file, "/etc/squawk/server.key", 0, 0, SQ_CFGF_EXAMPLE | SQ_CFGF_SECRET,        \
      "refused unless private to its owner (mode 0600/0400), as ssh does")                                 \
    X(STR, NULL, public_key_file, "/etc/squawk/server.pub", 0, 0, SQ_CFGF_EXAMPLE,                         \
      "`squawk keygen` writes both")                                                                       \
    X(LIST, _, allowed_client_keys, "<Z85 public key>", 0, 0, SQ_CFGF_EXAMPLE,                             \
      "absent: any client with the server key")

#define SQ_CONFIG_ZMQ_KEYS(X)                                                                              \
    X(BOOL, _, enabled, "true", 0, 0, 0, "false keeps the settings but starts no publisher")               \
    X(LIST, _, endpoints, "tcp://*:5555", 0, 0, SQ_CFGF_EXAMPLE, "where alerts are published (required)")  \
    X(LIST, _, replay_endpoints, "tcp://*:5556", 0, 0, SQ_CFGF_EXAMPLE,                                    \
      "`squawk sub` expects replay on port+1 by default (absent: no replay)")                              \
    X(INT, int, sndhwm, "100000", 0, 100000000, 0,                                                         \
      "per subscriber; beyond it messages are counted as dropped (recoverable by replay)")                 \
    X(INT, unsigned, ring_size, "100000", 0, 100000000, 0, "alerts held for REPLAY ...")                   \
    X(INT, size_t, ring_bytes, "4194304", 0, 1ull << 40, 0,                                                \
      "... and at most this many encoded bytes (4 MiB, ~2,800 alerts): the oldest go first, to the journal") \
    X(INT, int, heartbeat_ms, "1000", -1, 3600000, 0,                                                      \
      "a heartbeat after this long without an alert; -1: no heartbeats")                                   \
    X(DOUBLE, _, min_relevance, SQ_CONFIG_STR(SQ_CONFIG_MIN_RELEVANCE), 0, 100, 0,                         \
      "a company gets its topic (invest.NVDA) only at this relevance (0-100)")                             \
    X(STR, NULL, pub_id, "desk-eu-1", 0, 0, SQ_CFGF_COMMENTED,                                             \
      "needs sinks.journal; kept across restarts, one per instance (absent: <hostname>-<endpoints hash>)") \
    X(SECTION, sq_config_curve, curve, NULL, 0, 0, SQ_CFGF_COMMENTED,                                      \
      "CURVE encryption and client authentication (absent: plain text)")

#define SQ_CONFIG_JOURNAL_KEYS(X)                                                                          \
    X(BOOL, _, enabled, "true", 0, 0, 0, "false keeps the settings but journals nothing")                  \
    X(STR, NULL, topic, "alerts.journal", 0, 0, 0, "must exist before squawk starts (docs/OPERATIONS.md)")  \
    X(PROPS, _, properties, "{}", 0, 0, 0,                                                                 \
      "librdkafka producer properties; connection keys (bootstrap.servers, security.protocol, sasl.*, "  \
      "ssl.*) come from kafka: unless set here")

#define SQ_CONFIG_KSINK_KEYS(X)                                                                            \
    X(BOOL, _, enabled, "true", 0, 0, 0, "false keeps the settings but starts no producer")                \
    X(STR, NULL, topic, "alerts", 0, 0, SQ_CFGF_EXAMPLE, "required")                                       \
    X(PROPS, _, properties, "{bootstrap.servers: localhost:9092}", 0, 0, SQ_CFGF_EXAMPLE,                  \
      "librdkafka producer properties; bootstrap.servers is required")

#define SQ_CONFIG_JSONL_KEYS(X)                                                                            \
    X(BOOL, _, enabled, "true", 0, 0, 0, "false keeps the settings but writes nothing")                    \
    X(STR, NULL, path, "-", 0, 0, 0, "\"-\" is stdout")

#define SQ_CONFIG_SINKS_KEYS(X)                                                                            \
    X(SECTION, sq_config_zmq, zmq, NULL, 0, 0, SQ_CFGF_OPTIONAL, "ZeroMQ XPUB with replay (docs/ALERTS.md)") \
    X(SECTION, sq_config_journal, journal, NULL, 0, 0, SQ_CFGF_OPTIONAL,                                   \
      "every ZeroMQ message also on Kafka (acks=all): seq survives restarts, old replays come from it")    \
    X(SECTION, sq_config_ksink, kafka, NULL, 0, 0, SQ_CFGF_OPTIONAL | SQ_CFGF_COMMENTED,                   \
      "alerts as JSON records on a Kafka topic")                                                           \
    X(SECTION, sq_config_jsonl, jsonl, NULL, 0, 0, SQ_CFGF_OPTIONAL | SQ_CFGF_COMMENTED,                   \
      "alerts as JSON Lines on a file or stdout")

#define SQ_CONFIG_METRICS_KEYS(X)                                                                          \
    X(STR, NULL, listen, "0.0.0.0:9464", 0, 0, SQ_CFGF_EXAMPLE,                                            \
      "/metrics (Prometheus) and /healthz (absent or \"\": none)")                                         \
    X(INT, unsigned, health_grace_s, "30", 0, 86400, 0,                                                    \
      "/healthz turns 503 after Kafka is unreachable this long")                                           \
    X(INT, unsigned, stall_ms, "5000", 0, 3600000, 0, "... or when the event loop does not answer within this")

#define SQ_CONFIG_LOG_KEYS(X)                                                                              \
    X(STR, "debug|info|warn|error", level, "info", 0, 0, SQ_CFGF_RELOAD, "debug | info | warn | error")    \
    X(STR, "text|json", format, "text", 0, 0, SQ_CFGF_RELOAD, "text (key=value) | json")

/* The document's sections, in the reference's order. */
#define SQ_CONFIG_ROOT_KEYS(X)                                                                             \
    X(SECTION, sq_config_kafka, kafka, NULL, 0, 0, 0, "")                                                  \
    X(SECTION, sq_config_engine, engine, NULL, 0, 0, 0, "")                                                \
    X(FILTERS, _, filters, "[invest, chips, regulatory]", 0, 0, SQ_CFGF_EXAMPLE | SQ_CFGF_RELOAD,          \
      "names or .so paths (required), each with threshold and config (keys: filters/README.md)")         \
    X(SECTION, sq_config_sinks, sinks, NULL, 0, 0, 0, "at least one")                                      \
    X(SECTION, sq_config_metrics, metrics, NULL, 0, 0, 0, "")                                              \
    X(SECTION, sq_config_log, log, NULL, 0, 0, 0, "")

#endif
