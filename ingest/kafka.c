/* kafka.c -- the Kafka consumer on the libev loop: decode, dead-letter, at-least-once offsets. */
#define _GNU_SOURCE /* pipe2 */
#include "kafka.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "../core/clock.h"
#include "../core/config.h"
#include "../core/error.h"
#include "../core/kafka_log.h"
#include "../core/log.h"
#include "refill.h"

/* A token packs (slot+1, epoch, seq) so done() finds its entry in O(1) and
 * a token from before a rebalance (older epoch) is recognised and ignored. */
#define TOK_SEQ_BITS 40
#define TOK_SEQ_MASK ((UINT64_C(1) << TOK_SEQ_BITS) - 1)
#define TOK_EPOCH_SHIFT TOK_SEQ_BITS
#define TOK_SLOT_SHIFT 48
#define MAX_SLOTS 65535
#define MAX_LAGS 256 /* partitions reported in /metrics */

/* One assigned partition and the messages handed out but not yet done.
 * Entries are a ring indexed by a per-partition sequence number; offsets
 * increase along the ring, so the contiguous done prefix is the head run. */
typedef struct part {
    char *topic;
    int32_t partition;
    int used;
    uint8_t epoch;
    int64_t *offs;
    uint8_t *done;
    size_t cap; /* power of two */
    uint64_t head, tail;
    uint64_t pending;    /* entries not yet done */
    int64_t store_off;   /* next offset to store, -1 none */
    int64_t back_off;    /* sought back to while paused, -1 none (send_back) */
    int dirty;
} part;

typedef struct dlq_item {
    ingest_kafka *k;
    uint64_t token;
    int err;
    unsigned attempts;
    int truncated; /* value dropped: too large for the DLQ */
    char src[256];
} dlq_item;

struct ingest_kafka {
    struct ev_loop *loop;
    rd_kafka_t *rk, *dlq;
    rd_kafka_queue_t *q, *dlq_q;
    int cpipe[2], dpipe[2];
    ev_io cio, dio;
    ev_idle idle;
    ev_prepare prep;
    ev_timer tick;
    char *dlq_topic;
    proto_limits limits;
    size_t max_bytes;
    unsigned batch;
    ingest_kafka_article_cb on_article;
    void *ud;
    int paused, closed, left_group, cooperative, any_dirty, watching;
    ingest_refill *refill;
    uint64_t refills_before; /* of a refill thread already stopped (close) */
    part *parts;
    size_t n_parts, cap_parts;
    size_t last_slot;
    ingest_kafka_stats st;
    ingest_kafka_lag lags[MAX_LAGS]; /* per partition, from the last statistics */
    size_t n_lags;
};

static int64_t now_ms(void) { return sq_clock_realtime_ns() / 1000000; }

static void set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    if (err && errlen) snprintf(err, errlen, fmt, a, b);
}

/* ---- partition slots ---- */

static part *slot_get(ingest_kafka *k, const char *topic, int32_t partition, size_t *idx)
{
    if (k->last_slot < k->n_parts) {
        part *p = &k->parts[k->last_slot];
        if (p->used && p->partition == partition && strcmp(p->topic, topic) == 0) {
            *idx = k->last_slot;
            return p;
        }
    }
    size_t freei = (size_t)-1;
    for (size_t i = 0; i < k->n_parts; i++) {
        part *p = &k->parts[i];
        if (p->used && p->partition == partition && strcmp(p->topic, topic) == 0) {
            k->last_slot = *idx = i;
            return p;
        }
        if (!p->used && freei == (size_t)-1) freei = i;
    }
    if (freei == (size_t)-1) {
        if (k->n_parts >= MAX_SLOTS) return NULL;
        if (k->n_parts == k->cap_parts) {
            size_t nc = k->cap_parts ? k->cap_parts * 2 : 16;
            part *np = realloc(k->parts, nc * sizeof *np);
            if (!np) return NULL;
            memset(np + k->cap_parts, 0, (nc - k->cap_parts) * sizeof *np);
            k->parts = np;
            k->cap_parts = nc;
        }
        freei = k->n_parts++;
    }
    part *p = &k->parts[freei];
    free(p->topic);
    p->topic = strdup(topic);
    if (!p->topic) return NULL;
    p->partition = partition;
    p->used = 1;
    p->epoch++;
    p->head = p->tail = 0;
    p->pending = 0;
    p->store_off = -1;
    p->back_off = -1;
    p->dirty = 0;
    k->last_slot = *idx = freei;
    return p;
}

static void slot_forget(ingest_kafka *k, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < k->n_parts; i++) {
        part *p = &k->parts[i];
        if (p->used && p->partition == partition && strcmp(p->topic, topic) == 0) {
            k->st.in_flight -= p->pending;
            p->used = 0;
            p->epoch++; /* outstanding tokens become stale */
            p->pending = 0;
            p->head = p->tail = 0;
            p->dirty = 0;
            return;
        }
    }
}

static int part_push(part *p, int64_t off, uint64_t *seq)
{
    if (p->tail - p->head == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 256;
        int64_t *no = malloc(nc * sizeof *no);
        uint8_t *nd = malloc(nc);
        if (!no || !nd) {
            free(no);
            free(nd);
            return SQ_E_NOMEM;
        }
        /* re-layout so indexes stay seq & (cap-1) under the new mask */
        for (uint64_t s = p->head; s < p->tail; s++) {
            no[s & (nc - 1)] = p->offs[s & (p->cap - 1)];
            nd[s & (nc - 1)] = p->done[s & (p->cap - 1)];
        }
        free(p->offs);
        free(p->done);
        p->offs = no;
        p->done = nd;
        p->cap = nc;
    }
    *seq = p->tail++;
    p->offs[*seq & (p->cap - 1)] = off;
    p->done[*seq & (p->cap - 1)] = 0;
    p->pending++;
    return 0;
}

/* ---- offsets ---- */

/* Stores every partition's done prefix in one call; runs before the loop
 * sleeps, so a burst of done() calls costs one store, not one per message. */
static void store_dirty(ingest_kafka *k)
{
    if (!k->any_dirty || k->closed) return;
    k->any_dirty = 0;
    rd_kafka_topic_partition_list_t *l = NULL;
    for (size_t i = 0; i < k->n_parts; i++) {
        part *p = &k->parts[i];
        if (!p->used || !p->dirty) continue;
        p->dirty = 0;
        if (!l) l = rd_kafka_topic_partition_list_new(8);
        rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = p->store_off;
    }
    if (!l) return;
    rd_kafka_resp_err_t e = rd_kafka_offsets_store(k->rk, l);
    if (e) sq_log_limited(SQ_LOG_DEBUG, "kafka.store", "err=\"%s\"", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(l);
}

void ingest_kafka_done(ingest_kafka *k, uint64_t token)
{
    size_t slot = (size_t)(token >> TOK_SLOT_SHIFT);
    uint8_t epoch = (uint8_t)(token >> TOK_EPOCH_SHIFT);
    if (slot == 0 || slot > k->n_parts) return;
    part *p = &k->parts[slot - 1];
    if (!p->used || p->epoch != epoch) return; /* partition revoked since */
    uint64_t seq = p->head + (((token & TOK_SEQ_MASK) - p->head) & TOK_SEQ_MASK);
    if (seq >= p->tail) return;
    size_t i = seq & (p->cap - 1);
    if (p->done[i]) return;
    p->done[i] = 1;
    p->pending--;
    k->st.in_flight--;
    if (seq != p->head) return;
    while (p->head < p->tail && p->done[p->head & (p->cap - 1)]) {
        p->store_off = p->offs[p->head & (p->cap - 1)] + 1;
        p->head++;
    }
    p->dirty = 1;
    k->any_dirty = 1;
}

/* ---- dead letters ---- */

static rd_kafka_resp_err_t dlq_send(ingest_kafka *k, dlq_item *it, const void *val, size_t len,
                                    const void *key, size_t keylen, rd_kafka_headers_t *h)
{
    rd_kafka_resp_err_t e;
    for (int tries = 0;; tries++) {
        e = rd_kafka_producev(k->dlq, RD_KAFKA_V_TOPIC(k->dlq_topic),
                              RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_KEY(key, keylen),
                              RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_OPAQUE(it), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || tries >= 50) return e;
        rd_kafka_poll(k->dlq, 100); /* rare: the DLQ producer is backed up */
    }
}

/* Produces the rejected message unchanged. One the DLQ topic refuses as too
 * large (its max.message.bytes, or a message.max.bytes set in the config) is
 * sent with an empty value instead -- key and headers kept,
 * squawk-original-bytes says how big it was -- so the DLQ still records it
 * and the partition moves on (docs/ALERTS.md). */
static int dlq_produce(ingest_kafka *k, dlq_item *it, const void *val, size_t len, const void *key,
                       size_t keylen, const rd_kafka_headers_t *orig)
{
    rd_kafka_headers_t *h = orig ? rd_kafka_headers_copy(orig) : rd_kafka_headers_new(3);
    const char *name = sq_err_name(it->err);
    rd_kafka_header_remove(h, "squawk-error");
    rd_kafka_header_remove(h, "squawk-source");
    rd_kafka_header_add(h, "squawk-error", -1, name, (ssize_t)strlen(name));
    rd_kafka_header_add(h, "squawk-source", -1, it->src, (ssize_t)strlen(it->src));
    if (it->truncated && len > 0) {
        char n[32];
        snprintf(n, sizeof n, "%zu", len);
        rd_kafka_header_add(h, "squawk-original-bytes", -1, n, (ssize_t)strlen(n));
        val = NULL;
        len = 0;
    }
    rd_kafka_resp_err_t e = dlq_send(k, it, val, len, key, keylen, h);
    if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && len > 0) {
        char n[32];
        snprintf(n, sizeof n, "%zu", len);
        rd_kafka_header_add(h, "squawk-original-bytes", -1, n, (ssize_t)strlen(n));
        it->truncated = 1;
        e = dlq_send(k, it, NULL, 0, key, keylen, h);
    }
    if (e) {
        rd_kafka_headers_destroy(h);
        /* Not stored: the message stays in flight and is redelivered after a
         * restart, which is the at-least-once promise. */
        sq_log_limited(SQ_LOG_ERROR, "kafka.dlq_produce", "source=%s err=\"%s\"", it->src,
                       rd_kafka_err2str(e));
        return SQ_E_KAFKA;
    }
    return 0;
}

static void dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    ingest_kafka *k = opaque;
    dlq_item *it = m->_private;
    if (!it) return;
    if (m->err && k->closed) { /* purged at destroy: stays uncommitted */
        free(it);
        return;
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        k->st.dead_lettered++;
        ingest_kafka_done(k, it->token);
        free(it);
        return;
    }
    it->attempts++;
    if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) it->truncated = 1;
    sq_log_limited(SQ_LOG_WARN, "kafka.dlq_retry", "source=%s attempt=%u err=\"%s\"", it->src,
                   it->attempts, rd_kafka_err2str(m->err));
    rd_kafka_headers_t *h = NULL;
    rd_kafka_message_headers(m, &h);
    if (dlq_produce(k, it, m->payload, m->len, m->key, m->key_len, h) != 0) free(it);
}

static void reject(ingest_kafka *k, const rd_kafka_message_t *m, const char *topic, int rc,
                   const char *why, uint64_t token)
{
    k->st.rejected++;
    if (-rc > 0 && -rc < 128) k->st.rejected_by_err[-rc]++;
    sq_log_limited(SQ_LOG_WARN, "kafka.reject",
                   "topic=%s partition=%" PRId32 " offset=%" PRId64 " err=%s why=\"%s\"", topic,
                   m->partition, m->offset, sq_err_name(rc), why);
    if (!k->dlq) {
        ingest_kafka_done(k, token);
        return;
    }
    dlq_item *it = calloc(1, sizeof *it);
    if (!it) return; /* stays in flight: redelivered after restart */
    it->k = k;
    it->token = token;
    it->err = rc;
    snprintf(it->src, sizeof it->src, "%s/%" PRId32 "/%" PRId64, topic, m->partition, m->offset);
    rd_kafka_headers_t *h = NULL;
    rd_kafka_message_headers(m, &h);
    if (dlq_produce(k, it, m->payload, m->len, m->key, m->key_len, h) != 0) free(it);
}

/* ---- consuming ---- */

int64_t ingest_kafka_produce_ts(const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t n;
    if (rd_kafka_message_headers(m, &h) || !h) return 0;
    if (rd_kafka_header_get_last(h, "squawk-ts", &v, &n) || !v || n == 0 || n > 20) return 0;
    int64_t ts = 0;
    for (size_t i = 0; i < n; i++) {
        char c = ((const char *)v)[i];
        if (c < '0' || c > '9') return 0;
        ts = ts * 10 + (c - '0');
    }
    return ts;
}

/* librdkafka may fetch a partition before a pause set at assignment takes
 * effect; such a message goes back (seek to its offset, pause again) so a
 * paused consumer hands out nothing and loses nothing. Later messages of a
 * partition already sought back are dropped: the seek refetches them.
 * Returns -1 when it could not: the caller hands the message out. */
static int send_back(ingest_kafka *k, const rd_kafka_message_t *m)
{
    size_t slot;
    part *p = slot_get(k, rd_kafka_topic_name(m->rkt), m->partition, &slot);
    if (!p) return -1;
    if (p->back_off >= 0 && m->offset >= p->back_off) return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt), m->partition)->offset =
        m->offset;
    rd_kafka_pause_partitions(k->rk, l);
    rd_kafka_error_t *e = rd_kafka_seek_partitions(k->rk, l, 0);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        sq_log_limited(SQ_LOG_WARN, "kafka.send_back", "err=\"%s\" effect=\"handed out\"",
                       rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return -1;
    }
    p->back_off = m->offset;
    k->st.sent_back++;
    return 0;
}

static void handle(ingest_kafka *k, rd_kafka_message_t *m)
{
    if (!m->err && k->paused && send_back(k, m) == 0) return;
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            sq_log_limited(SQ_LOG_WARN, "kafka.consume_error", "err=\"%s\"",
                           rd_kafka_message_errstr(m));
        return;
    }
    int64_t ingest_ns = sq_clock_realtime_ns(); /* before decoding: processing time includes it */
    if (!k->st.broker_up) {
        k->st.broker_up = 1;
        k->st.broker_down_since_ms = 0;
    }
    const char *topic = rd_kafka_topic_name(m->rkt);
    size_t slot;
    uint64_t seq;
    part *p = slot_get(k, topic, m->partition, &slot);
    if (!p || part_push(p, m->offset, &seq) != 0) {
        /* Out of memory: skip without storing; a restart redelivers it. */
        sq_log_limited(SQ_LOG_ERROR, "kafka.track", "err=%s", sq_err_name(SQ_E_NOMEM));
        return;
    }
    k->st.consumed++;
    k->st.in_flight++;
    uint64_t token = ((uint64_t)(slot + 1) << TOK_SLOT_SHIFT) |
                     ((uint64_t)p->epoch << TOK_EPOCH_SHIFT) | (seq & TOK_SEQ_MASK);
    char why[256] = "";
    proto_article a;
    int rc;
    if (m->len > k->max_bytes) {
        rc = SQ_E_TOO_BIG;
        snprintf(why, sizeof why, "%zu bytes > %zu", m->len, k->max_bytes);
    } else {
        rc = proto_article_decode(m->payload ? m->payload : "", m->len, &k->limits, &a, why,
                                  sizeof why);
    }
    if (rc != 0) {
        reject(k, m, topic, rc, why, token);
        return;
    }
    if (a.dropped) {
        k->st.fields_dropped++;
        sq_log_limited(SQ_LOG_WARN, "kafka.field_dropped",
                       "topic=%s partition=%d offset=%lld why=\"%s\" effect=\"article kept\"",
                       topic, (int)m->partition, (long long)m->offset, a.dropped_why);
    }
    ingest_meta meta = {
        .topic = topic,
        .partition = m->partition,
        .offset = m->offset,
        .ingest_ns = ingest_ns,
        .produce_ts_ns = ingest_kafka_produce_ts(m),
        .token = token,
    };
    k->on_article(k->ud, &a, &meta);
    proto_article_free(&a);
}

static void drain(ingest_kafka *k)
{
    unsigned n = 0;
    while (n < k->batch && !k->closed) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, 0);
        if (!m) break;
        handle(k, m);
        rd_kafka_message_destroy(m);
        n++;
    }
    /* A full batch means more is waiting: come back when the loop is idle,
     * after timers and other I/O had their turn. */
    if (n >= k->batch && !k->closed) {
        ev_idle_start(k->loop, &k->idle);
        return;
    }
    ev_idle_stop(k->loop, &k->idle);
    /* Ran dry while the last statistics still saw a backlog (see refill.c). */
    if (!k->paused && !k->closed && k->st.consumer_lag > (int64_t)k->batch)
        ingest_refill_poke(k->refill);
}

static void drain_pipe(int fd)
{
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

static void on_consumer_io(struct ev_loop *loop, ev_io *w, int revents)
{
    ingest_kafka *k = w->data;
    drain_pipe(k->cpipe[0]);
    drain(k);
}

static void on_idle(struct ev_loop *loop, ev_idle *w, int revents) { drain(w->data); }

static void serve_dlq(ingest_kafka *k)
{
    for (int i = 0; i < 64 && rd_kafka_poll(k->dlq, 0) > 0; i++) {
    }
}

static void on_dlq_io(struct ev_loop *loop, ev_io *w, int revents)
{
    ingest_kafka *k = w->data;
    drain_pipe(k->dpipe[0]);
    serve_dlq(k);
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents) { store_dirty(w->data); }

/* Belt and braces: a wake-up lost between librdkafka and the pipe would
 * otherwise stall the consumer until the next message; this costs one
 * empty poll twice a second. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    ingest_kafka *k = w->data;
    drain(k);
    if (k->dlq) serve_dlq(k);
}

/* ---- librdkafka callbacks (all served from drain, on the loop thread) ---- */

/* A pause set before the group assigned anything applies to what it assigns.
 * A partition librdkafka could not pause is logged; send_back keeps its
 * messages from being handed out. */
static void pause_assigned(ingest_kafka *k, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_pause_partitions(k->rk, parts);
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].err)
            sq_log_limited(SQ_LOG_WARN, "kafka.pause", "topic=%s partition=%d err=\"%s\"",
                           parts->elems[i].topic, (int)parts->elems[i].partition,
                           rd_kafka_err2str(parts->elems[i].err));
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    ingest_kafka *k = opaque;
    /* Known only once the group is joined, so ask on every rebalance. */
    const char *proto = rd_kafka_rebalance_protocol(rk);
    k->cooperative = proto && strcmp(proto, "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_error_t *e = NULL;
        if (k->cooperative)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
        if (e) {
            sq_error("kafka.assign", "err=\"%s\"", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        if (k->paused) pause_assigned(k, parts);
        for (int i = 0; i < parts->cnt; i++) {
            size_t slot;
            /* A fresh slot (new epoch) for every assigned partition. */
            slot_forget(k, parts->elems[i].topic, parts->elems[i].partition);
            slot_get(k, parts->elems[i].topic, parts->elems[i].partition, &slot);
        }
        sq_info("kafka.assign", "partitions=%d paused=%d", parts->cnt, k->paused);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        /* Commit what is done before someone else owns these partitions;
         * what is still in flight will be redelivered to the new owner. */
        store_dirty(k);
        if (!rd_kafka_assignment_lost(rk)) {
            rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);
            if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
                sq_warn("kafka.revoke_commit", "err=\"%s\"", rd_kafka_err2str(ce));
        }
        uint64_t lost = 0;
        for (int i = 0; i < parts->cnt; i++) {
            uint64_t before = k->st.in_flight;
            slot_forget(k, parts->elems[i].topic, parts->elems[i].partition);
            lost += before - k->st.in_flight;
        }
        if (k->cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            if (e) rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, NULL);
        }
        sq_info("kafka.revoke", "partitions=%d in_flight_dropped=%" PRIu64, parts->cnt, lost);
        return;
    }
    sq_error("kafka.rebalance", "err=\"%s\"", rd_kafka_err2str(err));
    if (k->cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e) rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    ingest_kafka *k = opaque;
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
    if (err) {
        sq_log_limited(SQ_LOG_WARN, "kafka.commit", "err=\"%s\"", rd_kafka_err2str(err));
        return;
    }
    k->st.commits++;
    k->st.last_commit_ms = now_ms();
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    ingest_kafka *k = opaque;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        if (k->st.broker_up || !k->st.broker_down_since_ms) {
            k->st.broker_up = 0;
            k->st.broker_down_since_ms = now_ms();
        }
    }
    sq_log_limited(rd_kafka_fatal_error(rk, NULL, 0) ? SQ_LOG_ERROR : SQ_LOG_WARN, "kafka.error",
                   "err=%s reason=\"%s\"", rd_kafka_err2name(err), reason);
}

static void dlq_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    sq_log_limited(SQ_LOG_WARN, "kafka.dlq_error", "err=%s reason=\"%s\"", rd_kafka_err2name(err),
                   reason);
}

/* Sums consumer_lag over partitions and reads broker states from the
 * statistics JSON: the cheapest source of both without extra requests. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    ingest_kafka *k = opaque;
    json_t *root = json_loadb(json, len, 0, NULL);
    if (!root) return 0;
    int64_t lag = -1, queued = 0;
    size_t n_lags = 0;
    const char *tname, *pname;
    json_t *t, *pt;
    json_object_foreach(json_object_get(root, "topics"), tname, t)
    {
        json_object_foreach(json_object_get(t, "partitions"), pname, pt)
        {
            if (strcmp(pname, "-1") == 0) continue;
            /* every partition's fetch queue forwards to the one consumer queue,
             * and its fetchq_size reports that shared queue: take it once */
            json_int_t q = json_integer_value(json_object_get(pt, "fetchq_size"));
            if (q > queued) queued = q;
            json_int_t l = json_integer_value(json_object_get(pt, "consumer_lag"));
            if (!json_is_integer(json_object_get(pt, "consumer_lag")) || l < 0) continue;
            lag = (lag < 0 ? 0 : lag) + l;
            if (n_lags < MAX_LAGS) {
                ingest_kafka_lag *pl = &k->lags[n_lags++];
                snprintf(pl->topic, sizeof pl->topic, "%s", tname);
                pl->partition = (int32_t)atoi(pname);
                pl->lag = l;
            }
        }
    }
    k->st.consumer_lag = lag;
    k->st.queue_bytes = queued > 0 ? (uint64_t)queued : 0;
    k->n_lags = n_lags;
    int any = 0, up = 0;
    const char *bname;
    json_t *b;
    json_object_foreach(json_object_get(root, "brokers"), bname, b)
    {
        if (json_integer_value(json_object_get(b, "nodeid")) < 0) continue;
        any = 1;
        const char *state = json_string_value(json_object_get(b, "state"));
        if (state && strcmp(state, "UP") == 0) up = 1;
    }
    if (any && up) {
        k->st.broker_up = 1;
        k->st.broker_down_since_ms = 0;
    } else if (any && k->st.broker_up) {
        k->st.broker_up = 0;
        k->st.broker_down_since_ms = now_ms();
    }
    json_decref(root);
    return 0;
}

/* ---- lifecycle ---- */

static int set_prop(rd_kafka_conf_t *c, const char *key, const char *val, char *err,
                    size_t errlen)
{
    char es[256];
    if (rd_kafka_conf_set(c, key, val, es, sizeof es) != RD_KAFKA_CONF_OK) {
        set_err(err, errlen, "kafka property %s: %s", key, es);
        return SQ_E_CONFIG;
    }
    return 0;
}

static int make_pipe(int p[2])
{
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
        p[0] = p[1] = -1;
        return SQ_E_IO;
    }
    return 0;
}

static int create_dlq(ingest_kafka *k, const ingest_kafka_opts *o, char *err, size_t errlen)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char es[512];
    int rc = 0;
    rc = rc ? rc : set_prop(c, "linger.ms", "5", err, errlen);
    rc = rc ? rc : set_prop(c, "log.queue", "false", err, errlen);
    /* Whether a dead letter fits is the DLQ topic's call (its
     * max.message.bytes), not this producer's 1 MB default: the limit is
     * librdkafka's largest, so only the broker can refuse the original. */
    rc = rc ? rc : set_prop(c, "message.max.bytes", "1000000000", err, errlen);
    for (size_t i = 0; i < o->n_props && rc == 0; i++) {
        const char *key = o->props[2 * i];
        /* consumer-only keys would only produce warnings on a producer */
        if (strcmp(key, "group.id") == 0 || strncmp(key, "enable.auto.", 12) == 0 ||
            strncmp(key, "auto.", 5) == 0 || strcmp(key, "statistics.interval.ms") == 0 ||
            strcmp(key, "partition.assignment.strategy") == 0 ||
            strcmp(key, "session.timeout.ms") == 0 || strcmp(key, "heartbeat.interval.ms") == 0 ||
            strcmp(key, "max.poll.interval.ms") == 0 || strcmp(key, "isolation.level") == 0 ||
            strncmp(key, "fetch.", 6) == 0 || strcmp(key, "group.instance.id") == 0 ||
            strncmp(key, "queued.", 7) == 0 || strcmp(key, "check.crcs") == 0)
            continue;
        rc = set_prop(c, key, o->props[2 * i + 1], err, errlen);
    }
    if (rc) {
        rd_kafka_conf_destroy(c);
        return rc;
    }
    rd_kafka_conf_set_opaque(c, k);
    rd_kafka_conf_set_dr_msg_cb(c, dlq_dr_cb);
    rd_kafka_conf_set_error_cb(c, dlq_error_cb);
    rd_kafka_conf_set_log_cb(c, sq_kafka_log_cb);
    k->dlq = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
    if (!k->dlq) {
        rd_kafka_conf_destroy(c);
        set_err(err, errlen, "dead-letter producer: %s%s", es, "");
        return SQ_E_KAFKA;
    }
    if ((rc = make_pipe(k->dpipe)) != 0) {
        set_err(err, errlen, "pipe: %s%s", "cannot create", "");
        return rc;
    }
    k->dlq_q = rd_kafka_queue_get_main(k->dlq);
    rd_kafka_queue_io_event_enable(k->dlq_q, k->dpipe[1], "1", 1);
    return 0;
}

/* The consumer's configuration: the config map's defaults, the caller's
 * properties, then what at-least-once depends on (not overridable). */
static int consumer_conf(ingest_kafka *k, const ingest_kafka_opts *o, rd_kafka_conf_t **out,
                         char *err, size_t errlen)
{
    unsigned ci = o->commit_interval_ms ? o->commit_interval_ms : 1000;
    char civ[32];
    snprintf(civ, sizeof civ, "%u", ci);
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    int rc = 0;
    for (const sq_cfg_key *d = sq_config_kafka_keys; d->name && rc == 0; d++)
        if (d->kind == SQ_CFGK_PROP && d->def && !(d->flags & (SQ_CFGF_EXAMPLE | SQ_CFGF_COMMENTED)))
            rc = set_prop(c, d->name, d->def, err, errlen);
    rc = rc ? rc : set_prop(c, "statistics.interval.ms", "1000", err, errlen);
    rc = rc ? rc : set_prop(c, "partition.assignment.strategy", "range,roundrobin", err, errlen);
    for (size_t i = 0; i < o->n_props && rc == 0; i++)
        rc = set_prop(c, o->props[2 * i], o->props[2 * i + 1], err, errlen);
    rc = rc ? rc : set_prop(c, "enable.auto.offset.store", "false", err, errlen);
    rc = rc ? rc : set_prop(c, "enable.auto.commit", "true", err, errlen);
    rc = rc ? rc : set_prop(c, "auto.commit.interval.ms", civ, err, errlen);
    rc = rc ? rc : set_prop(c, "log.queue", "false", err, errlen);
    if (rc) {
        rd_kafka_conf_destroy(c);
        return rc;
    }
    rd_kafka_conf_set_opaque(c, k);
    rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(c, commit_cb);
    rd_kafka_conf_set_error_cb(c, error_cb);
    rd_kafka_conf_set_stats_cb(c, stats_cb);
    rd_kafka_conf_set_log_cb(c, sq_kafka_log_cb);
    *out = c;
    return 0;
}

/* The loop's watchers: the consumer queue's pipe, the DLQ's, the idle
 * re-drain, the offset store before each sleep and the safety tick. */
static void start_watchers(ingest_kafka *k)
{
    ev_io_init(&k->cio, on_consumer_io, k->cpipe[0], EV_READ);
    k->cio.data = k;
    ev_io_start(k->loop, &k->cio);
    if (k->dlq) {
        ev_io_init(&k->dio, on_dlq_io, k->dpipe[0], EV_READ);
        k->dio.data = k;
        ev_io_start(k->loop, &k->dio);
    }
    ev_idle_init(&k->idle, on_idle);
    k->idle.data = k;
    ev_prepare_init(&k->prep, on_prepare);
    k->prep.data = k;
    ev_prepare_start(k->loop, &k->prep);
    ev_timer_init(&k->tick, on_tick, 0.5, 0.5);
    k->tick.data = k;
    ev_timer_start(k->loop, &k->tick);
    /* The tick and prepare watchers must not keep a loop alive on their own. */
    ev_unref(k->loop);
    ev_unref(k->loop);
    k->watching = 1;
}

int ingest_kafka_create(ingest_kafka **out, const ingest_kafka_opts *o, char *err, size_t errlen)
{
    *out = NULL;
    if (!o || !o->loop || !o->on_article || !o->n_topics || !o->topics) {
        set_err(err, errlen, "%s%s", "ingest_kafka: loop, on_article and topics are required", "");
        return SQ_E_INVAL;
    }
    ingest_kafka *k = calloc(1, sizeof *k);
    if (!k) return SQ_E_NOMEM;
    k->cpipe[0] = k->cpipe[1] = k->dpipe[0] = k->dpipe[1] = -1;
    k->loop = o->loop;
    k->limits = o->limits;
    k->max_bytes = o->limits.max_bytes ? o->limits.max_bytes : PROTO_DEFAULT_MAX_BYTES;
    k->batch = o->batch ? o->batch : 256;
    k->on_article = o->on_article;
    k->ud = o->ud;
    k->st.consumer_lag = -1;
    k->st.broker_down_since_ms = now_ms(); /* down until proven up */
    rd_kafka_conf_t *c = NULL;
    char es[512];
    int rc = consumer_conf(k, o, &c, err, errlen);
    if (rc) {
        free(k);
        return rc;
    }
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
    if (!k->rk) {
        rd_kafka_conf_destroy(c);
        set_err(err, errlen, "kafka consumer: %s%s", es, "");
        free(k);
        return SQ_E_KAFKA;
    }
    rd_kafka_poll_set_consumer(k->rk);
    if ((rc = ingest_refill_create(&k->refill, k->rk)) != 0) {
        set_err(err, errlen, "refill thread: %s%s", "cannot start", "");
        goto fail;
    }
    k->q = rd_kafka_queue_get_consumer(k->rk);
    if ((rc = make_pipe(k->cpipe)) != 0) {
        set_err(err, errlen, "pipe: %s%s", "cannot create", "");
        goto fail;
    }
    rd_kafka_queue_io_event_enable(k->q, k->cpipe[1], "1", 1);
    if (o->dlq_topic && *o->dlq_topic) {
        k->dlq_topic = strdup(o->dlq_topic);
        if (!k->dlq_topic) {
            rc = SQ_E_NOMEM;
            goto fail;
        }
        if ((rc = create_dlq(k, o, err, errlen)) != 0) goto fail;
    }
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new((int)o->n_topics);
    for (size_t i = 0; i < o->n_topics; i++)
        rd_kafka_topic_partition_list_add(tl, o->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(k->rk, tl);
    rd_kafka_topic_partition_list_destroy(tl);
    if (se) {
        set_err(err, errlen, "kafka subscribe: %s%s", rd_kafka_err2str(se), "");
        rc = SQ_E_KAFKA;
        goto fail;
    }

    start_watchers(k);
    *out = k;
    return 0;
fail:
    k->closed = 1;
    ingest_kafka_destroy(k);
    return rc;
}

void ingest_kafka_pause(ingest_kafka *k, int paused)
{
    paused = !!paused;
    if (paused == k->paused || k->closed) return;
    k->paused = paused;
    for (size_t i = 0; i < k->n_parts; i++) k->parts[i].back_off = -1;
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(k->rk, &a) == 0 && a) {
        if (a->cnt) {
            if (paused)
                rd_kafka_pause_partitions(k->rk, a);
            else
                rd_kafka_resume_partitions(k->rk, a);
        }
        rd_kafka_topic_partition_list_destroy(a);
    }
    sq_info("kafka.pause", "paused=%d", paused);
}

static void stop_watchers(ingest_kafka *k)
{
    if (!k->watching) return;
    k->watching = 0;
    ev_ref(k->loop);
    ev_ref(k->loop);
    ev_io_stop(k->loop, &k->cio);
    if (k->dlq) ev_io_stop(k->loop, &k->dio);
    ev_idle_stop(k->loop, &k->idle);
    ev_prepare_stop(k->loop, &k->prep);
    ev_timer_stop(k->loop, &k->tick);
}

int ingest_kafka_close(ingest_kafka *k, int timeout_ms)
{
    if (!k || k->closed) return 0;
    int rc = 0;
    stop_watchers(k);
    k->refills_before += ingest_refill_sent(k->refill);
    ingest_refill_destroy(k->refill); /* it must not call into a closing consumer */
    k->refill = NULL;
    /* Dead letters in flight finish first, so their offsets get stored. */
    if (k->dlq && rd_kafka_flush(k->dlq, timeout_ms > 0 ? timeout_ms : 0) != 0) {
        sq_warn("kafka.close", "dlq_unflushed=%d", rd_kafka_outq_len(k->dlq));
        rc = SQ_E_TIMEOUT;
    }
    store_dirty(k);
    rd_kafka_resp_err_t ce = rd_kafka_commit(k->rk, NULL, 0);
    if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        sq_warn("kafka.close", "commit_err=\"%s\"", rd_kafka_err2str(ce));
        rc = SQ_E_KAFKA;
    } else if (!ce) {
        k->st.commits++;
        k->st.last_commit_ms = now_ms();
    }
    /* Leaving the group runs the revoke callback (served here), then stops. */
    rd_kafka_error_t *e = rd_kafka_consumer_close_queue(k->rk, k->q);
    if (e) {
        rd_kafka_error_destroy(e);
        rd_kafka_consumer_close(k->rk);
        k->left_group = 1;
    } else {
        int64_t deadline = sq_clock_mono_ns() / 1000000 + (timeout_ms > 0 ? timeout_ms : 0);
        while (!rd_kafka_consumer_closed(k->rk)) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, 100);
            if (m) rd_kafka_message_destroy(m); /* redelivered later: not stored */
            if (sq_clock_mono_ns() / 1000000 > deadline) {
                sq_warn("kafka.close", "timeout_ms=%d", timeout_ms);
                rc = rc ? rc : SQ_E_TIMEOUT;
                break;
            }
        }
        k->left_group = rd_kafka_consumer_closed(k->rk);
    }
    k->closed = 1;
    return rc;
}

void ingest_kafka_destroy(ingest_kafka *k)
{
    if (!k) return;
    if (!k->closed) ingest_kafka_close(k, 5000);
    stop_watchers(k);
    ingest_refill_destroy(k->refill);
    k->refill = NULL;
    if (k->q) {
        rd_kafka_queue_io_event_enable(k->q, -1, NULL, 0);
        rd_kafka_queue_destroy(k->q);
    }
    if (k->dlq_q) {
        rd_kafka_queue_io_event_enable(k->dlq_q, -1, NULL, 0);
        rd_kafka_queue_destroy(k->dlq_q);
    }
    if (k->dlq) {
        /* Items still owned by undelivered messages are freed by purging. */
        rd_kafka_purge(k->dlq, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        k->closed = 1;
        rd_kafka_poll(k->dlq, 0);
        rd_kafka_flush(k->dlq, 100);
        rd_kafka_destroy(k->dlq);
    }
    /* After a timed-out close, do not block in destroy trying again. */
    if (k->rk)
        rd_kafka_destroy_flags(k->rk, k->left_group ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    for (int i = 0; i < 2; i++) {
        if (k->cpipe[i] >= 0) close(k->cpipe[i]);
        if (k->dpipe[i] >= 0) close(k->dpipe[i]);
    }
    for (size_t i = 0; i < k->n_parts; i++) {
        free(k->parts[i].topic);
        free(k->parts[i].offs);
        free(k->parts[i].done);
    }
    free(k->parts);
    free(k->dlq_topic);
    free(k);
}

void ingest_kafka_get_stats(ingest_kafka *k, ingest_kafka_stats *out)
{
    *out = k->st;
    out->refills = ingest_refill_sent(k->refill) + k->refills_before;
}

size_t ingest_kafka_partition_lags(ingest_kafka *k, ingest_kafka_lag *out, size_t max)
{
    size_t n = k->n_lags < max ? k->n_lags : max;
    memcpy(out, k->lags, n * sizeof *out);
    return n;
}

int ingest_kafka_assigned(ingest_kafka *k)
{
    int n = 0;
    for (size_t i = 0; i < k->n_parts; i++) n += k->parts[i].used;
    return n;
}
