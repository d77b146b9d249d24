/* kafka.h -- the Kafka consumer on the libev loop: decode, dead-letter, at-least-once offsets. */
#ifndef INGEST_KAFKA_H
#define INGEST_KAFKA_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"
#include "../proto/article.h"

struct ev_loop;
typedef struct ingest_kafka ingest_kafka;

/* Where an article came from. token identifies it to ingest_kafka_done(). */
typedef struct ingest_meta {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t ingest_ns;      /* CLOCK_REALTIME when the message left librdkafka */
    int64_t produce_ts_ns;  /* "squawk-ts" header stamped by squawk feed, else 0 */
    uint64_t token;
} ingest_meta;

/* A decoded article. The article is only valid during the call; the callee
 * must eventually call ingest_kafka_done(k, meta->token) exactly once. */
typedef void (*ingest_kafka_article_cb)(void *ud, const proto_article *a, const ingest_meta *m);

typedef struct ingest_kafka_opts {
    struct ev_loop *loop;
    const char *const *props; /* librdkafka key, value, key, value ... */
    size_t n_props;           /* number of pairs */
    const char *const *topics;
    size_t n_topics;
    /* Rejects are produced unchanged (key, value, headers) plus headers
     * squawk-error=<SQ_E name> and squawk-source=<topic>/<partition>/<offset>;
     * one too large to re-produce goes with an empty value and
     * squawk-original-bytes. The offset is stored after the DLQ ack.
     * NULL: rejects are only logged (rate-limited), counted and stored. */
    const char *dlq_topic;
    proto_limits limits;
    unsigned batch;           /* max messages per loop wake-up; default 256 */
    unsigned commit_interval_ms; /* batched commits; default 1000 */
    ingest_kafka_article_cb on_article;
    void *ud;
} ingest_kafka_opts;

/* props go to rd_kafka_conf_set unchanged (an error names the key), after
 * the defaults of the kafka: config map's PROP lines (core/config_keys.h:
 * group.id, auto.offset.reset, session.timeout.ms, ...),
 * statistics.interval.ms=1000 and partition.assignment.strategy=range,roundrobin
 * (cooperative-sticky also works); enable.auto.offset.store=false and
 * enable.auto.commit=true with auto.commit.interval.ms=commit_interval_ms are
 * forced. The DLQ producer gets the same props minus consumer-only keys. */
SQ_API int ingest_kafka_create(ingest_kafka **out, const ingest_kafka_opts *o, char *err,
                               size_t errlen);
/* The article behind token is fully handled (every sink accepted its alerts). */
SQ_API void ingest_kafka_done(ingest_kafka *k, uint64_t token);
/* Backpressure: stop/restart fetching on every assigned partition. */
SQ_API void ingest_kafka_pause(ingest_kafka *k, int paused);
/* Flushes the DLQ producer, commits stored offsets synchronously and leaves
 * the group; waits at most about timeout_ms for the DLQ and the group leave
 * (the synchronous commit itself is bounded by librdkafka's socket timeouts).
 * Returns 0, SQ_E_TIMEOUT or SQ_E_KAFKA (commit failed). */
SQ_API int ingest_kafka_close(ingest_kafka *k, int timeout_ms);
SQ_API void ingest_kafka_destroy(ingest_kafka *k);

typedef struct ingest_kafka_stats {
    uint64_t consumed, rejected, dead_lettered, commits, in_flight;
    uint64_t fields_dropped;       /* optional fields (published) unreadable, article kept */
    uint64_t refills;              /* fetcher wake-ups sent with a backlog left (refill.c) */
    uint64_t sent_back;            /* fetched while paused: sought back, not handed out */
    uint64_t queue_bytes;          /* prefetched message bytes librdkafka holds (statistics) */
    uint64_t rejected_by_err[128]; /* index: -SQ_E_* */
    int64_t consumer_lag;          /* from librdkafka statistics, -1 unknown */
    int64_t last_commit_ms;        /* wall clock, 0 never */
    int broker_up;                 /* 1 when a broker is UP (stats) or a fetch succeeded;
                                      0 from create until the first of those (~1 s) */
    int64_t broker_down_since_ms;  /* 0 when up; else when it went down (or create time) */
} ingest_kafka_stats;
SQ_API void ingest_kafka_get_stats(ingest_kafka *k, ingest_kafka_stats *out);
/* Consumer lag of one assigned partition, from the last statistics. */
typedef struct ingest_kafka_lag {
    char topic[128];
    int32_t partition;
    int64_t lag;
} ingest_kafka_lag;
/* The "squawk-ts" header squawk feed stamps (decimal ns since the epoch), 0 when absent or
 * malformed; shared with the bench's bare consumer so both read produce times alike. */
struct rd_kafka_message_s;
SQ_API int64_t ingest_kafka_produce_ts(const struct rd_kafka_message_s *m);
/* Fills at most max entries (partitions whose lag librdkafka knows); returns how many. */
SQ_API size_t ingest_kafka_partition_lags(ingest_kafka *k, ingest_kafka_lag *out, size_t max);
/* Number of partitions currently assigned to this consumer (0 before the
 * group settles or while the broker is unreachable at startup). */
SQ_API int ingest_kafka_assigned(ingest_kafka *k);

#endif
