/* zjournal.c -- the alert journal on Kafka: produce with acks=all, read back this publisher's records at start-up and for old replays. */
#define _GNU_SOURCE /* pipe2 */
#include "zjournal.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../core/kafka_log.h"
#include "../core/log.h"
#include "../proto/alert.h"

#define ZJ_BATCH_MAX 1024              /* records per replay batch */
#define ZJ_BATCH_BYTES ((size_t)4 << 20)
#define ZJ_FETCH_TIMEOUT_S 10.0        /* a replay read that makes no progress ends */
#define ZJ_TOPIC_MAX 255
#ifndef ZJ_IDX_MAX
#define ZJ_IDX_MAX ((size_t)1 << 18) /* seq -> offset entries (2 MB); past it, neighbouring blocks merge */
#endif
#define ZJ_IDX_SHIFT0 4               /* one entry per 16 seqs at first */

struct zjournal_tok {
    uint64_t token;
    size_t remaining;
    int failed, first_err;
};

typedef struct zj_rec_ctx { /* a produced record's opaque: its token and seq */
    zjournal_tok *t;
    uint64_t seq;
} zj_rec_ctx;

typedef struct zj_fetch {
    int active;
    uint64_t from, to, tag;
    zjournal_fetch_cb cb;
    void *ud;
    zjournal_batch *b;
    size_t bytes;
} zj_fetch;

struct zjournal {
    struct ev_loop *loop;
    rd_kafka_t *rk, *rc; /* producer, reader */
    rd_kafka_queue_t *pq, *cq;
    char *topic, *pub;
    int32_t partition;
    int timeout_ms;
    int pipefd[2];
    ev_io io;
    ev_timer tick, deadline;
    zjournal_done_cb done;
    void *done_ud;
    int destroying;
    /* per block of 2^shift seqs from base on, the lowest offset of its records; -1 = unknown */
    int64_t *off;
    uint64_t base;
    size_t n_off, cap_off;
    unsigned shift;
    zj_fetch f;
    zjournal_stats st;
};

/* ---- record parsing (outside bytes) */

static int parse_seq(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 19) return SQ_E_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return SQ_E_INVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0) return SQ_E_INVAL;
    *out = v;
    return 0;
}

SQ_API int zjournal_parse(const char *pub, const void *key, size_t kl, const void *seq_h,
                          size_t sl, const void *topic_h, size_t tl, uint64_t *seq)
{
    if (!key || kl != strlen(pub) || memcmp(key, pub, kl) != 0) return SQ_E_NOTFOUND;
    if (!seq_h || !topic_h || tl == 0 || tl > ZJ_TOPIC_MAX || memchr(topic_h, 0, tl))
        return SQ_E_INVAL;
    return parse_seq(seq_h, sl, seq);
}

SQ_API int zjournal_decode(const char *pub, const void *key, size_t kl, const void *seq_h,
                           size_t sl, const void *topic_h, size_t tl, const void *val, size_t vl,
                           uint64_t *seq, uint64_t *tseq, char *why, size_t whylen)
{
    int rc = zjournal_parse(pub, key, kl, seq_h, sl, topic_h, tl, seq);
    if (rc < 0) {
        snprintf(why, whylen, "%s", rc == SQ_E_INVAL ? "bad key or headers" : "another publisher's");
        return rc;
    }
    if (!val || vl == 0) {
        snprintf(why, whylen, "empty value");
        return SQ_E_EMPTY;
    }
    proto_alert *a = NULL;
    rc = proto_alert_decode(val, vl, &a, why, whylen);
    if (rc == 0 && (a->seq != *seq || !a->pub || strcmp(a->pub, pub) != 0)) {
        snprintf(why, whylen, "seq or pub of the alert differ from the record's");
        rc = SQ_E_INVAL;
    }
    *tseq = rc == 0 ? a->tseq : 0;
    proto_alert_destroy(a);
    return rc;
}

static void bad_record(zjournal *j, const rd_kafka_message_t *m, const char *why)
{
    j->st.bad_records++;
    sq_log_limited(SQ_LOG_WARN, "journal.bad_record", "topic=%s partition=%d offset=%lld why=\"%s\"",
                   j->topic, (int)m->partition, (long long)m->offset, why);
}

/* The record's seq header and topic header (NULL when absent). */
static void rec_headers(const rd_kafka_message_t *m, const void **sv, size_t *sl, const void **tv,
                        size_t *tl)
{
    rd_kafka_headers_t *h = NULL;
    *sv = *tv = NULL;
    *sl = *tl = 0;
    if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_header_get_last(h, ZJOURNAL_H_SEQ, sv, sl);
        rd_kafka_header_get_last(h, ZJOURNAL_H_TOPIC, tv, tl);
    }
}

/* The record's seq and topic when it is ours; *topic points into m's headers. */
static int rec_parse(zjournal *j, const rd_kafka_message_t *m, uint64_t *seq, const char **topic,
                     size_t *tl)
{
    const void *sv, *tv;
    size_t sl;
    rec_headers(m, &sv, &sl, &tv, tl);
    int rc = zjournal_parse(j->pub, m->key, m->key_len, sv, sl, tv, *tl, seq);
    if (rc == SQ_E_INVAL) bad_record(j, m, "bad key or headers");
    *topic = tv;
    return rc;
}

/* ---- seq -> offset index
 *
 * Sparse and bounded: one entry per block of 2^shift seqs, the lowest offset
 * of the block's records. Our records' offsets grow with their seqs in the one
 * partition, so a read from a block's entry reaches every record of the block
 * (fetch_one skips those before the range). One entry per record grew without
 * end (8 bytes per alert message, ~150 MB a day at 1,000 articles/s); when the
 * index is full, pairs of blocks merge: memory stays at ZJ_IDX_MAX entries and
 * an old replay skips more records before its first. */

static int64_t lowest(int64_t a, int64_t b) { return a < 0 ? b : b < 0 || a < b ? a : b; }

static void idx_coarsen(zjournal *j)
{
    size_t n = (j->n_off + 1) / 2;
    for (size_t i = 0; i < n; i++)
        j->off[i] = lowest(j->off[2 * i], 2 * i + 1 < j->n_off ? j->off[2 * i + 1] : -1);
    j->n_off = n;
    j->shift++;
}

static void idx_set(zjournal *j, uint64_t seq, int64_t off)
{
    if (j->n_off == 0 && j->base == 0) j->base = seq;
    if (seq < j->base) return; /* older than what we know: never asked for */
    size_t i;
    while ((i = (size_t)((seq - j->base) >> j->shift)) >= ZJ_IDX_MAX) idx_coarsen(j);
    if (i >= j->cap_off) {
        size_t cap = j->cap_off ? j->cap_off : 1024;
        while (cap <= i) cap *= 2;
        int64_t *n = realloc(j->off, cap * sizeof *n);
        if (!n) return; /* a replay then reads from an earlier offset: slower, not wrong */
        j->off = n;
        j->cap_off = cap;
    }
    for (size_t k = j->n_off; k <= i; k++) j->off[k] = -1;
    if (i >= j->n_off) j->n_off = i + 1;
    j->off[i] = lowest(j->off[i], off);
}

/* The offset to start reading seq from: its block's, or the first known one after it. */
static int64_t idx_find(const zjournal *j, uint64_t seq)
{
    size_t i = seq > j->base ? (size_t)((seq - j->base) >> j->shift) : 0;
    for (; i < j->n_off; i++)
        if (j->off[i] >= 0) return j->off[i];
    return -1;
}

SQ_API uint64_t zjournal_first_seq(const zjournal *j) { return j->n_off ? j->base : 0; }

/* ---- producing */

static void token_report(zjournal *j, zjournal_tok *t)
{
    if (--t->remaining > 0) return;
    if (!j->destroying && j->done)
        j->done(j->done_ud, t->token, t->failed ? (t->first_err ? t->first_err : SQ_E_KAFKA) : 0);
    free(t);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    zjournal *j = opaque;
    zj_rec_ctx *c = m->_private;
    j->st.outstanding--;
    if (m->err) {
        j->st.failed++;
        sq_log_limited(SQ_LOG_ERROR, "journal.delivery", "topic=%s err=\"%s\"", j->topic,
                       rd_kafka_err2str(m->err));
        if (c) c->t->failed = 1;
    } else {
        j->st.delivered++;
        if (c) idx_set(j, c->seq, m->offset);
    }
    if (c) {
        token_report(j, c->t);
        free(c);
    }
}

SQ_API zjournal_tok *zjournal_begin(zjournal *j, uint64_t token)
{
    zjournal_tok *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->token = token;
    t->remaining = 1; /* held by the submitter until zjournal_end */
    return t;
}

SQ_API int zjournal_append(zjournal *j, zjournal_tok *t, uint64_t seq, const char *topic,
                           size_t tl, const void *body, size_t len)
{
    if (!t) return SQ_E_NOMEM;
    zj_rec_ctx *c = malloc(sizeof *c);
    if (!c) {
        t->failed = 1;
        return t->first_err = SQ_E_NOMEM;
    }
    c->t = t;
    c->seq = seq;
    char sq[24];
    int sl = snprintf(sq, sizeof sq, "%" PRIu64, seq);
    rd_kafka_resp_err_t e = rd_kafka_producev(
        j->rk, RD_KAFKA_V_TOPIC(j->topic), RD_KAFKA_V_PARTITION(j->partition),
        RD_KAFKA_V_KEY(j->pub, strlen(j->pub)), RD_KAFKA_V_VALUE((void *)body, len),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADER(ZJOURNAL_H_TOPIC, topic, (ssize_t)tl),
        RD_KAFKA_V_HEADER(ZJOURNAL_H_SEQ, sq, (ssize_t)sl), RD_KAFKA_V_OPAQUE(c), RD_KAFKA_V_END);
    if (e) {
        free(c);
        sq_log_limited(SQ_LOG_ERROR, "journal.produce", "topic=%s err=\"%s\"", j->topic,
                       rd_kafka_err2str(e));
        t->failed = 1;
        if (!t->first_err) t->first_err = e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? SQ_E_AGAIN : SQ_E_KAFKA;
        return t->first_err;
    }
    t->remaining++;
    j->st.produced++;
    j->st.outstanding++;
    return 0;
}

SQ_API int zjournal_end(zjournal *j, zjournal_tok *t)
{
    if (!t) return SQ_E_NOMEM;
    if (t->remaining == 1) { /* nothing went out: no report will come */
        int rc = t->failed ? t->first_err : 0;
        free(t);
        return rc;
    }
    token_report(j, t); /* drops the submitter's hold; records are still out */
    return 1;
}

SQ_API size_t zjournal_backlog(const zjournal *j) { return j->st.outstanding; }

SQ_API int zjournal_flush(zjournal *j, int timeout_ms)
{
    return rd_kafka_flush(j->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : SQ_E_TIMEOUT;
}

/* ---- reading back for a replay, on the loop */

static void fetch_end(zjournal *j, uint64_t next, int status)
{
    zj_fetch *f = &j->f;
    rd_kafka_assign(j->rc, NULL);
    ev_timer_stop(j->loop, &j->deadline);
    f->active = 0;
    zjournal_batch *b = f->b;
    f->b = NULL;
    b->next = next > b->next ? next : b->next;
    b->status = status;
    j->st.fetches++;
    j->st.fetched += b->n;
    f->cb(f->ud, f->tag, b);
}

static int batch_add(zj_fetch *f, uint64_t seq, const char *topic, size_t tl, const void *body,
                     size_t len)
{
    zjournal_batch *b = f->b;
    if (b->n == 0 && !(b->rec = calloc(ZJ_BATCH_MAX, sizeof *b->rec))) return SQ_E_NOMEM;
    char *buf = malloc(tl + len + 1);
    if (!buf) return SQ_E_NOMEM;
    memcpy(buf, topic, tl);
    memcpy(buf + tl, body, len);
    b->rec[b->n++] = (zjournal_rec){.seq = seq, .buf = buf, .topic_len = (uint32_t)tl,
                                    .len = (uint32_t)len};
    f->bytes += tl + len;
    b->next = seq + 1;
    return 0;
}

/* One message of the reader during a fetch; 1 when the fetch is over. */
static int fetch_one(zjournal *j, rd_kafka_message_t *m)
{
    zj_fetch *f = &j->f;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        fetch_end(j, f->to + 1, 0); /* the rest of the range was never journaled */
        return 1;
    }
    if (m->err) {
        sq_log_limited(SQ_LOG_WARN, "journal.read", "topic=%s err=\"%s\"", j->topic,
                       rd_kafka_message_errstr(m));
        fetch_end(j, 0, SQ_E_KAFKA);
        return 1;
    }
    uint64_t seq;
    const char *topic;
    size_t tl;
    if (m->partition != j->partition || rec_parse(j, m, &seq, &topic, &tl) != 0 || seq < f->from)
        return 0;
    if (seq > f->to) {
        fetch_end(j, f->to + 1, 0);
        return 1;
    }
    ev_timer_again(j->loop, &j->deadline);
    int rc = batch_add(f, seq, topic, tl, m->payload, m->len);
    if (rc < 0 || f->b->n == ZJ_BATCH_MAX || f->bytes >= ZJ_BATCH_BYTES) {
        fetch_end(j, 0, rc);
        return 1;
    }
    return 0;
}

static void serve(zjournal *j)
{
    char buf[64];
    while (read(j->pipefd[0], buf, sizeof buf) > 0) {
    }
    rd_kafka_poll(j->rk, 0);
    for (;;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(j->rc, 0);
        if (!m) break;
        int over = j->f.active ? fetch_one(j, m) : 0; /* stale messages of an ended fetch */
        rd_kafka_message_destroy(m);
        if (over) break;
    }
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents) { serve(w->data); }
/* librdkafka signals the fd only when a queue turns non-empty; a slow tick
 * covers anything queued while we were serving. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents) { serve(w->data); }

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    zjournal *j = w->data;
    sq_log_limited(SQ_LOG_WARN, "journal.read", "topic=%s err=\"no progress for %.0f s\"", j->topic,
                   ZJ_FETCH_TIMEOUT_S);
    if (j->f.active) fetch_end(j, 0, SQ_E_TIMEOUT);
}

SQ_API int zjournal_fetch(zjournal *j, uint64_t from, uint64_t to, zjournal_fetch_cb cb, void *ud,
                          uint64_t tag)
{
    if (j->f.active) return SQ_E_AGAIN;
    zjournal_batch *b = calloc(1, sizeof *b);
    if (!b) return SQ_E_NOMEM;
    b->next = from;
    uint64_t first = zjournal_first_seq(j);
    if (!first || from < first) b->gone = first ? first : to + 1;
    if (b->gone && from < b->gone) from = b->gone;
    int64_t off = from <= to ? idx_find(j, from) : -1;
    j->f = (zj_fetch){.active = 1, .from = from, .to = to, .tag = tag, .cb = cb, .ud = ud, .b = b};
    if (off < 0) { /* nothing journaled in the range (yet) */
        fetch_end(j, to + 1, 0);
        return 0;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, j->topic, j->partition)->offset = off;
    rd_kafka_resp_err_t e = rd_kafka_assign(j->rc, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        fetch_end(j, 0, SQ_E_KAFKA);
        return 0;
    }
    ev_timer_set(&j->deadline, ZJ_FETCH_TIMEOUT_S, ZJ_FETCH_TIMEOUT_S);
    ev_timer_again(j->loop, &j->deadline);
    return 0;
}

SQ_API int zjournal_busy(const zjournal *j) { return j->f.active; }

SQ_API void zjournal_batch_free(zjournal_batch *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) free(b->rec[i].buf);
    free(b->rec);
    free(b);
}

/* ---- the start-up read */

/* One of our records at start-up: index it, report its topic's tseq. */
static void recover_one(zjournal *j, rd_kafka_message_t *m, zjournal_topic_cb on_topic, void *ud,
                        uint64_t *last)
{
    const void *sv, *tv;
    size_t sl, tl;
    uint64_t seq, tseq;
    char why[128];
    rec_headers(m, &sv, &sl, &tv, &tl);
    int rc = zjournal_decode(j->pub, m->key, m->key_len, sv, sl, tv, tl, m->payload, m->len, &seq,
                             &tseq, why, sizeof why);
    if (rc == SQ_E_NOTFOUND) return;
    if (rc < 0) {
        bad_record(j, m, why);
        return;
    }
    idx_set(j, seq, m->offset);
    if (seq > *last) *last = seq;
    if (tseq && on_topic) on_topic(ud, tv, tl, tseq);
    j->st.recovered++;
}

static int recover_fail(char *err, size_t errlen, const zjournal *j, const char *what,
                        const char *why, int rc)
{
    snprintf(err, errlen, "journal topic %s partition %d: %s: %s", j->topic, (int)j->partition,
             what, why);
    return rc;
}

SQ_API int zjournal_recover(zjournal *j, zjournal_topic_cb on_topic, void *ud, uint64_t *last_seq,
                            char *err, size_t errlen)
{
    int64_t lo = 0, hi = 0;
    *last_seq = 0;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(j->rc, j->topic, j->partition, &lo,
                                                             &hi, j->timeout_ms);
    if (e) return recover_fail(err, errlen, j, "watermarks", rd_kafka_err2str(e), SQ_E_KAFKA);
    int64_t t0 = sq_clock_mono_ns();
    if (hi > lo) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, j->topic, j->partition)->offset = lo;
        e = rd_kafka_assign(j->rc, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (e) return recover_fail(err, errlen, j, "assign", rd_kafka_err2str(e), SQ_E_KAFKA);
    }
    int64_t deadline = t0 + (int64_t)j->timeout_ms * 1000000;
    int64_t at = lo;
    while (at < hi) {
        if (sq_clock_mono_ns() > deadline)
            return recover_fail(err, errlen, j, "reading", "timed out", SQ_E_TIMEOUT);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(j->rc, 200);
        if (!m) continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            at = hi;
        } else if (m->err) {
            char why[256];
            snprintf(why, sizeof why, "%s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            return recover_fail(err, errlen, j, "reading", why, SQ_E_KAFKA);
        } else {
            at = m->offset + 1;
            recover_one(j, m, on_topic, ud, last_seq);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(j->rc, NULL);
    if (j->n_off == 0) j->base = *last_seq + 1; /* the first seq we will append */
    sq_info("journal.recovered", "topic=%s partition=%d pub=%s records=%" PRIu64 " last_seq=%" PRIu64
            " offsets=%lld..%lld took_ms=%lld", j->topic, (int)j->partition, j->pub,
            j->st.recovered, *last_seq, (long long)lo, (long long)hi,
            (long long)((sq_clock_mono_ns() - t0) / 1000000));
    return 0;
}

/* ---- create and destroy */

static int conf_all(rd_kafka_conf_t *conf, const char *const *kv, size_t n, char *err, size_t errlen)
{
    char e[512];
    for (size_t i = 0; i < n; i++)
        if (rd_kafka_conf_set(conf, kv[2 * i], kv[2 * i + 1], e, sizeof e) != RD_KAFKA_CONF_OK) {
            snprintf(err, errlen, "journal: %s", e);
            return SQ_E_CONFIG;
        }
    return 0;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    sq_log_limited(SQ_LOG_WARN, "journal.error", "err=%s reason=\"%s\"",
                   rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static rd_kafka_t *client(zjournal *j, rd_kafka_type_t type, const zjournal_opts *o, char *err,
                          size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* Durability is the point: the user's properties cannot weaken it. */
    static const char *const prod[] = {"acks", "all", "enable.idempotence", "true"};
    static const char *const cons[] = {"enable.auto.commit", "false", "enable.partition.eof", "true",
                                       "auto.offset.reset", "earliest", "group.id", "squawk-journal"};
    int rc = type == RD_KAFKA_PRODUCER ? conf_all(conf, o->props, o->n_props, err, errlen)
                                       : conf_all(conf, o->conn_props, o->n_conn_props, err, errlen);
    if (rc == 0)
        rc = type == RD_KAFKA_PRODUCER ? conf_all(conf, prod, 2, err, errlen)
                                       : conf_all(conf, cons, 4, err, errlen);
    if (rc < 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, j);
    if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, sq_kafka_log_cb);
    char e[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, e, sizeof e);
    if (!rk) {
        snprintf(err, errlen, "journal: %s", e);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

static uint32_t fnv1a32(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* The partition this publisher's records go to; the topic must exist. */
static int pick_partition(zjournal *j, char *err, size_t errlen)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(j->rk, j->topic, NULL);
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t e = rkt ? rd_kafka_metadata(j->rk, 0, rkt, &md, j->timeout_ms)
                                : RD_KAFKA_RESP_ERR__INVALID_ARG;
    int rc = 0;
    if (e || !md || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1) {
        snprintf(err, errlen, "journal topic %s: %s", j->topic,
                 e ? rd_kafka_err2str(e)
                   : md && md->topic_cnt == 1 && md->topics[0].err ? rd_kafka_err2str(md->topics[0].err)
                                                               : "no partitions");
        rc = SQ_E_KAFKA;
    } else {
        j->partition = (int32_t)(fnv1a32(j->pub) % (uint32_t)md->topics[0].partition_cnt);
        j->st.partition = j->partition;
    }
    if (md) rd_kafka_metadata_destroy(md);
    if (rkt) rd_kafka_topic_destroy(rkt);
    return rc;
}

static int watch(zjournal *j, char *err, size_t errlen)
{
    if (pipe2(j->pipefd, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(err, errlen, "journal: pipe: %s", strerror(errno));
        return SQ_E_IO;
    }
    j->pq = rd_kafka_queue_get_main(j->rk);
    rd_kafka_queue_io_event_enable(j->pq, j->pipefd[1], "1", 1);
    rd_kafka_poll_set_consumer(j->rc);
    j->cq = rd_kafka_queue_get_consumer(j->rc);
    rd_kafka_queue_io_event_enable(j->cq, j->pipefd[1], "1", 1);
    ev_io_init(&j->io, on_io, j->pipefd[0], EV_READ);
    j->io.data = j;
    ev_io_start(j->loop, &j->io);
    ev_timer_init(&j->tick, on_tick, 0.1, 0.1);
    j->tick.data = j;
    ev_timer_start(j->loop, &j->tick);
    ev_init(&j->deadline, on_deadline);
    j->deadline.data = j;
    return 0;
}

SQ_API void zjournal_set_done(zjournal *j, zjournal_done_cb done, void *ud)
{
    j->done = done;
    j->done_ud = ud;
}

SQ_API int zjournal_create(zjournal **out, const zjournal_opts *o, char *err, size_t errlen)
{
    *out = NULL;
    if (!o->loop || !o->topic || !o->topic[0] || !o->pub_id || !o->pub_id[0]) {
        snprintf(err, errlen, "journal needs a loop, a topic and a publisher id");
        return SQ_E_INVAL;
    }
    zjournal *j = calloc(1, sizeof *j);
    if (!j) return SQ_E_NOMEM;
    j->shift = ZJ_IDX_SHIFT0;
    j->pipefd[0] = j->pipefd[1] = -1;
    j->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000;
    j->topic = strdup(o->topic);
    j->pub = strdup(o->pub_id);
    int rc = j->topic && j->pub ? 0 : SQ_E_NOMEM;
    if (rc == 0 && !(j->rk = client(j, RD_KAFKA_PRODUCER, o, err, errlen))) rc = SQ_E_CONFIG;
    if (rc == 0 && !(j->rc = client(j, RD_KAFKA_CONSUMER, o, err, errlen))) rc = SQ_E_CONFIG;
    if (rc == 0) rc = pick_partition(j, err, errlen);
    if (rc == 0) {
        j->loop = o->loop;
        rc = watch(j, err, errlen);
    }
    if (rc < 0) {
        zjournal_destroy(j);
        return rc;
    }
    *out = j;
    return 0;
}

SQ_API void zjournal_get_stats(const zjournal *j, zjournal_stats *out) { *out = j->st; }

SQ_API void zjournal_destroy(zjournal *j)
{
    if (!j) return;
    if (j->loop) {
        ev_io_stop(j->loop, &j->io);
        ev_timer_stop(j->loop, &j->tick);
        ev_timer_stop(j->loop, &j->deadline);
    }
    zjournal_batch_free(j->f.b);
    j->destroying = 1; /* unacknowledged records are abandoned, not reported */
    if (j->rk) {
        rd_kafka_purge(j->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(j->rk, 500);
    }
    if (j->pq) rd_kafka_queue_destroy(j->pq);
    if (j->cq) rd_kafka_queue_destroy(j->cq);
    if (j->rc) {
        rd_kafka_consumer_close(j->rc);
        rd_kafka_destroy(j->rc);
    }
    if (j->rk) rd_kafka_destroy(j->rk);
    if (j->pipefd[0] >= 0) close(j->pipefd[0]);
    if (j->pipefd[1] >= 0) close(j->pipefd[1]);
    free(j->off);
    free(j->topic);
    free(j->pub);
    free(j);
}
