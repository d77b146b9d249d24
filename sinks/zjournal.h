/* zjournal.h -- the alert journal: every ZeroMQ message also goes to a Kafka topic (acks=all, idempotent); restarts and old replays read it back. */
#ifndef SINKS_ZJOURNAL_H
#define SINKS_ZJOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"

struct ev_loop;
typedef struct zjournal zjournal;

/* A record: key = the publisher id, value = the alert body exactly as
 * published, headers squawk-topic (the ZeroMQ topic) and squawk-seq (decimal).
 * One publisher's records all go to one partition (FNV-1a of the id modulo the
 * partition count), so they sit there in seq order. */
#define ZJOURNAL_H_TOPIC "squawk-topic"
#define ZJOURNAL_H_SEQ "squawk-seq"

typedef struct zjournal_opts {
    struct ev_loop *loop;
    const char *const *props; /* librdkafka key, value, ... for the producer */
    size_t n_props;
    const char *const *conn_props; /* the connection subset, for the reader */
    size_t n_conn_props;
    const char *topic;
    const char *pub_id;
    int timeout_ms; /* metadata and the start-up read; 0 = 30000 */
} zjournal_opts;

/* Called when a submitted token's records are all acknowledged (status 0)
 * or one failed for good (status < 0). */
typedef void (*zjournal_done_cb)(void *ud, uint64_t token, int status);
/* The start-up read reports each topic with the highest tseq journaled. */
typedef void (*zjournal_topic_cb)(void *ud, const char *topic, size_t tl, uint64_t tseq);

SQ_API int zjournal_create(zjournal **out, const zjournal_opts *o, char *err, size_t errlen);
/* Where token reports go (the ZeroMQ sink that owns the journal). */
SQ_API void zjournal_set_done(zjournal *j, zjournal_done_cb done, void *ud);
/* Reads this publisher's records (blocking, at start-up only): *last_seq is
 * the highest seq journaled (0 for none), on_topic gets every topic's last
 * tseq. Errors name the topic and the reason. */
SQ_API int zjournal_recover(zjournal *j, zjournal_topic_cb on_topic, void *ud, uint64_t *last_seq,
                            char *err, size_t errlen);

/* Appends one message of token (an article). zjournal_begin/end bracket the
 * messages of one token: end returns 1 when done will follow, 0 when nothing
 * was appended, or the first append's error when none went out. */
typedef struct zjournal_tok zjournal_tok;
SQ_API zjournal_tok *zjournal_begin(zjournal *j, uint64_t token);
SQ_API int zjournal_append(zjournal *j, zjournal_tok *t, uint64_t seq, const char *topic,
                           size_t tl, const void *body, size_t len);
SQ_API int zjournal_end(zjournal *j, zjournal_tok *t);

/* Messages read back for a replay, topic bytes then body bytes in buf. */
typedef struct zjournal_rec {
    uint64_t seq;
    char *buf;
    uint32_t topic_len, len;
} zjournal_rec;
typedef struct zjournal_batch {
    zjournal_rec *rec;
    size_t n;
    uint64_t next;  /* continue from here: every seq below it was looked for */
    uint64_t gone;  /* > 0: nothing older than this is journaled any more */
    int status;     /* 0, or why the read ended early (the rest is not returned) */
} zjournal_batch;
typedef void (*zjournal_fetch_cb)(void *ud, uint64_t tag, zjournal_batch *b);

/* Reads seqs from..to (at most one batch) on the loop; cb gets the batch and
 * owns it (zjournal_batch_free). One read at a time: SQ_E_AGAIN while busy. */
SQ_API int zjournal_fetch(zjournal *j, uint64_t from, uint64_t to, zjournal_fetch_cb cb, void *ud,
                          uint64_t tag);
SQ_API int zjournal_busy(const zjournal *j);
SQ_API void zjournal_batch_free(zjournal_batch *b);
/* The oldest seq the journal holds for this publisher (0: none yet). */
SQ_API uint64_t zjournal_first_seq(const zjournal *j);

SQ_API size_t zjournal_backlog(const zjournal *j);
SQ_API int zjournal_flush(zjournal *j, int timeout_ms);

typedef struct zjournal_stats {
    uint64_t produced, delivered, failed, fetches, fetched, recovered, bad_records;
    size_t outstanding;
    int32_t partition;
} zjournal_stats;
SQ_API void zjournal_get_stats(const zjournal *j, zjournal_stats *out);
SQ_API void zjournal_destroy(zjournal *j);

/* Checks a record's key and headers (outside bytes): 0 with *seq when the
 * record is pub's with a sane topic and seq, SQ_E_NOTFOUND when it is another
 * publisher's, SQ_E_INVAL when malformed. */
SQ_API int zjournal_parse(const char *pub, const void *key, size_t kl, const void *seq_h,
                          size_t sl, const void *topic_h, size_t tl, uint64_t *seq);
/* zjournal_parse, then the value: an alert of pub whose seq equals the
 * header's. 0 with *seq and *tseq (0 when the alert has none); SQ_E_NOTFOUND
 * for another publisher's record; else an SQ_E_* reason, *why says more. */
SQ_API int zjournal_decode(const char *pub, const void *key, size_t kl, const void *seq_h,
                           size_t sl, const void *topic_h, size_t tl, const void *val, size_t vl,
                           uint64_t *seq, uint64_t *tseq, char *why, size_t whylen);

#endif
