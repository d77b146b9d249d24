/* zmq_pub.c -- the ZeroMQ alert publisher: XPUB fan-out, replay ROUTER, heartbeats, CURVE. */
#include "zmq_pub.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../core/log.h"
#include "ztopics.h"
#include "zwire.h"

#define ZPUB_MAX_TICKERS 64
#define ZPUB_MAX_JOBS 256
#define ZPUB_REPLAY_BUDGET 2048 /* messages per loop iteration, so replay never starves live sends */
#define ZPUB_IDENT_MAX 256

typedef struct ring_slot {
    char *buf; /* topic bytes then payload bytes */
    uint32_t topic_len;
    uint32_t len; /* payload length */
} ring_slot;

typedef struct replay_job {
    uint8_t ident[ZPUB_IDENT_MAX];
    size_t ident_len;
    uint64_t next, to;
    uint64_t gone_sent; /* oldest seq last reported as GONE, 0 = none */
    uint64_t skipped;
    char *topics;       /* NUL-separated prefixes; NULL = every topic */
    size_t n_topics;
    uint64_t tag;       /* names the job to the journal's answer */
    zjournal_batch *jb; /* records read back from the journal, sent from jb_pos on */
    size_t jb_pos;
    int jwait;          /* a journal read for this job is running */
} replay_job;

/* For every subscribed prefix the number of messages sent that match it (the
 * heartbeat digest, docs/ALERTS.md). */
typedef struct sub_prefix {
    char *p;
    size_t len;
    uint64_t count;
} sub_prefix;

typedef struct zpub {
    sink base;
    struct ev_loop *loop;
    void *ctx, *pub, *router, *zap;
    ev_io pub_io, router_io, zap_io;
    ev_prepare prep;
    ev_timer hb_timer;
    ev_idle replay_idle;
    ev_timer replay_retry;
    char pub_id[64];
    uint64_t seq;
    double min_relevance; /* company topics below it are not published */

    ring_slot *ring;
    size_t ring_cap, ring_limit, ring_count, ring_bytes, ring_max_bytes; /* cap grows to limit (ring_size) */
    uint64_t ring_oldest; /* seq of the oldest held message when ring_count > 0 */

    replay_job *jobs;
    size_t n_jobs;

    uint8_t (*keys)[32];
    size_t n_keys;
    int curve;

    ztopics topics; /* topic -> u = its last per-topic sequence number */
    sub_prefix *prefixes;
    size_t n_prefixes, cap_prefixes;
    int hb_ms;
    zwire_req req; /* the request being parsed */

    char last_ep[2][256];
    zjournal *journal;
    zjournal_tok *tok; /* the journal records of the article being submitted */
    uint64_t next_tag;
    sink_zpub_stats st;
} zpub;

static void set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    if (err && errlen) snprintf(err, errlen, fmt, a, b);
}

/* ---- ring buffer: seq -> encoded message; seqs are contiguous so the slot is (seq-1) % cap */

static ring_slot *ring_at(zpub *z, uint64_t seq) { return &z->ring[(seq - 1) % z->ring_cap]; }

static void ring_evict_oldest(zpub *z)
{
    ring_slot *s = ring_at(z, z->ring_oldest);
    z->ring_bytes -= s->topic_len + s->len;
    free(s->buf);
    s->buf = NULL;
    z->ring_count--;
    z->ring_oldest++;
}

/* The index doubles up to ring_size slots as messages arrive: the byte cap (4 MiB, ~2,800
 * alerts) evicts long before 100,000, and a full-size index would be 1.6 MB of slots that a
 * run touches one after another and never frees. */
static int ring_grow(zpub *z)
{
    size_t cap = z->ring_cap * 2 < z->ring_limit ? z->ring_cap * 2 : z->ring_limit;
    ring_slot *r = calloc(cap, sizeof *r);
    if (!r) return SQ_E_NOMEM;
    for (size_t i = 0; i < z->ring_count; i++) {
        uint64_t seq = z->ring_oldest + i;
        r[(seq - 1) % cap] = *ring_at(z, seq);
    }
    free(z->ring);
    z->ring = r, z->ring_cap = cap;
    return 0;
}

static int ring_push(zpub *z, uint64_t seq, const char *topic, size_t tlen, const char *data,
                     size_t len)
{
    size_t need = tlen + len;
    char *buf = malloc(need ? need : 1);
    if (!buf) return SQ_E_NOMEM;
    memcpy(buf, topic, tlen);
    memcpy(buf + tlen, data, len);
    if (z->ring_count == z->ring_cap && (z->ring_cap == z->ring_limit || ring_grow(z))) ring_evict_oldest(z);
    while (z->ring_count > 0 && z->ring_bytes + need > z->ring_max_bytes) ring_evict_oldest(z);
    if (z->ring_count == 0) z->ring_oldest = seq;
    ring_slot *s = ring_at(z, seq);
    s->buf = buf;
    s->topic_len = (uint32_t)tlen;
    s->len = (uint32_t)len;
    z->ring_count++;
    z->ring_bytes += need;
    return 0;
}

/* Oldest seq still held; last_seq + 1 when nothing is held. */
static uint64_t ring_first(zpub *z) { return z->ring_count ? z->ring_oldest : z->seq + 1; }

/* ---- per-topic sequence numbers and the subscribed prefixes' counts */

/* The next per-topic sequence number of topic; 0 when out of memory. */
static uint64_t topic_next(zpub *z, const char *t, size_t n)
{
    ztopic *s = ztopics_get(&z->topics, t, n, 1);
    if (!s) return 0;
    for (size_t i = 0; i < z->n_prefixes; i++)
        if (z->prefixes[i].len <= n && memcmp(z->prefixes[i].p, t, z->prefixes[i].len) == 0)
            z->prefixes[i].count++;
    return ++s->u;
}

/* XPUB passes on a subscription only when it is new and an unsubscription
 * only when its last subscriber left, so the prefixes form a set. */
static void prefix_add(zpub *z, const char *p, size_t n)
{
    if ((n == ZWIRE_HB_TOPIC_LEN && memcmp(p, ZWIRE_HB_TOPIC, n) == 0) || n > ZWIRE_PREFIX_MAX)
        return;
    for (size_t i = 0; i < z->n_prefixes; i++)
        if (z->prefixes[i].len == n && memcmp(z->prefixes[i].p, p, n) == 0) return;
    if (z->n_prefixes == z->cap_prefixes) {
        size_t cap = z->cap_prefixes ? z->cap_prefixes * 2 : 16;
        sub_prefix *np = realloc(z->prefixes, cap * sizeof *np);
        if (!np) return;
        z->prefixes = np;
        z->cap_prefixes = cap;
    }
    sub_prefix *sp = &z->prefixes[z->n_prefixes];
    if (!(sp->p = strndup(p, n))) return;
    sp->len = n;
    sp->count = 0; /* what was sent before counts too: the digest is since start */
    for (size_t i = 0; i < z->topics.cap; i++)
        if (z->topics.slot[i].key && z->topics.slot[i].len >= n &&
            memcmp(z->topics.slot[i].key, sp->p, n) == 0)
            sp->count += z->topics.slot[i].u;
    z->n_prefixes++;
}

static void prefix_remove(zpub *z, const char *p, size_t n)
{
    for (size_t i = 0; i < z->n_prefixes; i++)
        if (z->prefixes[i].len == n && memcmp(z->prefixes[i].p, p, n) == 0) {
            free(z->prefixes[i].p);
            z->prefixes[i] = z->prefixes[--z->n_prefixes];
            return;
        }
}

/* ---- zmq helpers */

static int zsock_events(void *sock)
{
    int ev = 0;
    size_t sz = sizeof ev;
    if (zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &sz) != 0) return 0;
    return ev;
}

static int zsock_fd(void *sock)
{
    int fd = -1;
    size_t sz = sizeof fd;
    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &sz) != 0) return -1;
    return fd;
}

static void discard_rest(void *sock)
{
    int more = 0;
    size_t sz = sizeof more;
    zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        more = zmq_msg_more(&m);
        zmq_msg_close(&m);
    }
}

/* ---- XPUB: subscriptions arrive as messages; reading them also keeps the socket serviced */

static void pub_drain(zpub *z)
{
    while (zsock_events(z->pub) & ZMQ_POLLIN) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z->pub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        const uint8_t *d = zmq_msg_data(&m);
        size_t ml = zmq_msg_size(&m);
        if (ml >= 1) {
            if (d[0] == 1) {
                z->st.subscriptions++;
                prefix_add(z, (const char *)d + 1, ml - 1);
            } else if (d[0] == 0 && z->st.subscriptions > 0) {
                z->st.subscriptions--;
                prefix_remove(z, (const char *)d + 1, ml - 1);
            }
        }
        zmq_msg_close(&m);
        discard_rest(z->pub);
    }
}

/* ---- replay ROUTER */

/* Replay work runs from the prepare watcher, which libev calls on every loop
 * iteration. It used to run in the ev_idle callback, but libev queues idle
 * watchers only in iterations where no timer or io watcher is pending, so a loop
 * with something always pending (a busy consumer fd, or a loop entered with a
 * stale ev_now whose short timers expire at once) never ran it and the desk's
 * REPLAY timed out. The idle watcher now only keeps the poll from blocking
 * while jobs can make progress; its callback does nothing. */
static void replay_kick(zpub *z)
{
    if (z->n_jobs && !ev_is_active(&z->replay_idle) && !ev_is_active(&z->replay_retry))
        ev_idle_start(z->loop, &z->replay_idle);
}

static int job_wants(const replay_job *j, const char *topic, size_t tl)
{
    if (!j->topics) return 1;
    const char *p = j->topics;
    for (size_t i = 0; i < j->n_topics; i++, p += strlen(p) + 1) {
        size_t n = strlen(p);
        if (n <= tl && memcmp(topic, p, n) == 0) return 1;
    }
    return 0;
}

static int send_ctl(zpub *z, const replay_job *j, const char *word, uint64_t n)
{
    char line[64];
    int len = snprintf(line, sizeof line, "%s %" PRIu64, word, n);
    if (zmq_send(z->router, j->ident, j->ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) return -errno;
    /* Frames after an accepted identity frame cannot hit the HWM: libzmq
     * counts only whole messages against it. */
    if (zmq_send(z->router, line, (size_t)len, 0) < 0) return -errno;
    return 0;
}

/* GONE <oldest> once per oldest value; 0 sent (or already), -1 blocked, 1 peer gone. */
static int send_gone(zpub *z, replay_job *j, uint64_t oldest)
{
    if (j->gone_sent == oldest) return 0;
    int rc = send_ctl(z, j, ZWIRE_GONE, oldest);
    if (rc == -EAGAIN) return -1;
    if (rc < 0) return 1;
    z->st.gone++;
    j->gone_sent = oldest;
    return 0;
}

/* One replayed message, topic and body as published: 0, -1 blocked, 1 peer gone. */
static int send_msg(zpub *z, replay_job *j, const char *buf, size_t tl, size_t len)
{
    if (zmq_send(z->router, j->ident, j->ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return errno == EAGAIN ? -1 : 1;
    zmq_send(z->router, buf, tl, ZMQ_SNDMORE);
    zmq_send(z->router, buf + tl, len, 0);
    z->st.replayed++;
    z->st.replayed_bytes += tl + len;
    return 0;
}

/* Sends what the journal returned for the job; 0 when the batch is used up
 * or the budget is, -1 blocked, 1 peer gone. */
static int job_batch(zpub *z, replay_job *j, int *budget)
{
    zjournal_batch *b = j->jb;
    if (b->gone && j->next < b->gone) {
        int rc = send_gone(z, j, b->gone);
        if (rc) return rc;
        j->next = b->gone;
    }
    for (; j->jb_pos < b->n && *budget > 0; j->jb_pos++) {
        const zjournal_rec *r = &b->rec[j->jb_pos];
        if (r->seq < j->next || r->seq > j->to) continue;
        if (job_wants(j, r->buf, r->topic_len)) {
            int rc = send_msg(z, j, r->buf, r->topic_len, r->len);
            if (rc) return rc;
            z->st.journal_replayed++;
            (*budget)--;
        }
        j->next = r->seq + 1;
    }
    if (j->jb_pos < b->n) return 0;
    uint64_t next = b->status < 0 ? ring_first(z) : b->next; /* a failed read: the rest is not returned */
    if (next > j->next) j->next = next;
    zjournal_batch_free(b);
    j->jb = NULL;
    return 0;
}

static void on_journal_batch(void *ud, uint64_t tag, zjournal_batch *b)
{
    zpub *z = ud;
    for (size_t i = 0; i < z->n_jobs; i++)
        if (z->jobs[i].tag == tag && z->jobs[i].jwait) {
            z->jobs[i].jwait = 0;
            z->jobs[i].jb = b;
            z->jobs[i].jb_pos = 0;
            replay_kick(z);
            return;
        }
    zjournal_batch_free(b); /* the job ended meanwhile (its peer went away) */
}

/* Seqs older than the ring: from the journal. 0 progressed, 2 waiting for the
 * journal, -1 blocked, 1 peer gone. */
static int job_journal(zpub *z, replay_job *j, uint64_t first)
{
    uint64_t jf = zjournal_first_seq(z->journal);
    if (!jf || jf >= first || j->next < jf) { /* not journaled: gone for good */
        uint64_t oldest = jf && jf < first ? jf : first;
        int rc = send_gone(z, j, oldest);
        if (rc) return rc;
        j->next = oldest > j->next ? oldest : j->next;
        return 0;
    }
    if (j->jwait) return 2;
    uint64_t to = j->to < first - 1 ? j->to : first - 1;
    j->jwait = 1; /* before the call: the answer may come at once */
    int rc = zjournal_fetch(z->journal, j->next, to, on_journal_batch, z, j->tag);
    if (rc == SQ_E_AGAIN) { /* another job's read runs; its answer kicks us */
        j->jwait = 0;
        return 2;
    }
    if (rc < 0) {
        j->jwait = 0;
        j->next = to + 1; /* cannot read: the desk counts these as not returned */
    }
    return j->jwait ? 2 : 0;
}

/* Runs one job as far as the budget and the peer's pipe allow. Returns 1 when
 * finished (or the peer is gone), 0 when it must be resumed, -1 when blocked,
 * 2 while it waits for the journal. */
static int job_run(zpub *z, replay_job *j, int *budget)
{
    while (*budget > 0) {
        if (j->jb) {
            int rc = job_batch(z, j, budget);
            if (rc) return rc;
            continue;
        }
        uint64_t first = ring_first(z);
        if (j->next <= j->to && j->next < first) {
            int rc = z->journal ? job_journal(z, j, first) : send_gone(z, j, first);
            if (rc) return rc;
            if (!z->journal) j->next = first;
            continue;
        }
        if (j->next > j->to || j->next > z->seq) {
            int rc = send_ctl(z, j, ZWIRE_END, z->seq);
            if (rc == -EAGAIN) return -1;
            return 1;
        }
        ring_slot *s = ring_at(z, j->next);
        if (!job_wants(j, s->buf, s->topic_len)) { /* a skip costs a compare, not a send */
            j->next++;
            if (++j->skipped % 64 == 0) (*budget)--;
            continue;
        }
        int rc = send_msg(z, j, s->buf, s->topic_len, s->len);
        if (rc) return rc;
        j->next++;
        (*budget)--;
    }
    return 0;
}

static void job_free(replay_job *j)
{
    free(j->topics);
    zjournal_batch_free(j->jb);
}

static void replay_run(zpub *z)
{
    int budget = ZPUB_REPLAY_BUDGET, progressed = 0, blocked = 0;
    size_t i = 0;
    while (i < z->n_jobs && budget > 0) {
        replay_job *j = &z->jobs[i];
        /* A later job for the same peer waits, so its answers stay in request order. */
        int earlier = 0;
        for (size_t k = 0; k < i; k++)
            if (z->jobs[k].ident_len == j->ident_len &&
                memcmp(z->jobs[k].ident, j->ident, j->ident_len) == 0)
                earlier = 1;
        if (earlier) {
            i++;
            continue;
        }
        int before = budget;
        int rc = job_run(z, j, &budget);
        if (budget != before) progressed = 1;
        if (rc == 1) {
            progressed = 1;
            job_free(j);
            memmove(&z->jobs[i], &z->jobs[i + 1], (z->n_jobs - i - 1) * sizeof *z->jobs);
            z->n_jobs--;
            continue;
        }
        if (rc == -1) blocked = 1;
        i++;
    }
    ev_idle_stop(z->loop, &z->replay_idle);
    if (!z->n_jobs) return;
    if (progressed)
        ev_idle_start(z->loop, &z->replay_idle);
    else if (blocked) /* every peer's pipe is full: back off instead of spinning */
        ev_timer_start(z->loop, &z->replay_retry);
    /* else every job waits for the journal, whose answer kicks the replay */
}

static void replay_refuse(zpub *z, const uint8_t *ident, size_t ident_len, const char *why,
                          const char *req)
{
    z->st.bad_requests++;
    char msg[64];
    int ml = snprintf(msg, sizeof msg, ZWIRE_ERR " %s", why);
    if (zmq_send(z->router, ident, ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        zmq_send(z->router, msg, (size_t)ml, 0);
    sq_log_limited(SQ_LOG_WARN, "zmq.replay_bad", "why=\"%s\" request=\"%.40s\"", why, req);
}

static void replay_request(zpub *z, const uint8_t *ident, size_t ident_len, const char *body,
                           size_t len)
{
    zwire_req *r = &z->req; /* 9 KB: kept in the publisher, not on the stack */
    const char *why = NULL;
    if (ident_len > ZPUB_IDENT_MAX || zwire_parse_request(body, len, r, &why) != 0) {
        replay_refuse(z, ident, ident_len, why ? why : "bad request", "");
        return;
    }
    if (r->pub[0] && strcmp(r->pub, z->pub_id) != 0) why = "unknown publisher";
    else if (z->n_jobs >= ZPUB_MAX_JOBS) why = "busy";
    replay_job j;
    memset(&j, 0, sizeof j);
    if (!why && r->n_topics && !(j.topics = malloc(r->topics_len))) why = "busy";
    if (why) {
        replay_refuse(z, ident, ident_len, why, r->pub);
        return;
    }
    memcpy(j.ident, ident, ident_len);
    j.ident_len = ident_len;
    if (j.topics) memcpy(j.topics, r->topics, r->topics_len);
    j.n_topics = r->n_topics;
    z->st.replay_requests++;
    j.tag = ++z->next_tag;
    j.next = r->from ? r->from : 1;
    j.to = (r->to && r->to < z->seq) ? r->to : z->seq;
    z->jobs[z->n_jobs++] = j;
    replay_kick(z);
}

static void router_drain(zpub *z)
{
    while (zsock_events(z->router) & ZMQ_POLLIN) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, z->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            break;
        }
        if (!zmq_msg_more(&id)) {
            zmq_msg_close(&id);
            continue;
        }
        /* Body is the last frame; a REQ-style empty delimiter before it is skipped. */
        zmq_msg_init(&body);
        int ok = 0;
        while (zmq_msg_recv(&body, z->router, ZMQ_DONTWAIT) >= 0) {
            ok = 1;
            if (!zmq_msg_more(&body)) break;
        }
        if (ok)
            replay_request(z, zmq_msg_data(&id), zmq_msg_size(&id), zmq_msg_data(&body),
                           zmq_msg_size(&body));
        zmq_msg_close(&body);
        zmq_msg_close(&id);
    }
}

/* ---- ZAP handler (RFC 27): allows only listed CURVE client keys */

static void zap_drain(zpub *z)
{
    while (zsock_events(z->zap) & ZMQ_POLLIN) {
        zmq_msg_t parts[8];
        int n = 0, more = 1;
        while (more && n < 8) {
            zmq_msg_init(&parts[n]);
            if (zmq_msg_recv(&parts[n], z->zap, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&parts[n]);
                break;
            }
            more = zmq_msg_more(&parts[n]);
            n++;
        }
        if (more) discard_rest(z->zap);
        if (n < 6) { /* malformed: REP must still answer to stay usable */
            for (int i = 0; i < n; i++) zmq_msg_close(&parts[i]);
            if (n > 0) zmq_send(z->zap, "1.0", 3, 0);
            continue;
        }
        const char *mech = zmq_msg_data(&parts[5]);
        size_t mlen = zmq_msg_size(&parts[5]);
        int allow = 0;
        char user[41] = "";
        if (mlen == 5 && memcmp(mech, "CURVE", 5) == 0 && n >= 7 &&
            zmq_msg_size(&parts[6]) == 32) {
            const uint8_t *key = zmq_msg_data(&parts[6]);
            zmq_z85_encode(user, key, 32);
            if (z->n_keys == 0) allow = 1;
            for (size_t i = 0; i < z->n_keys && !allow; i++)
                if (memcmp(z->keys[i], key, 32) == 0) allow = 1;
        }
        if (allow)
            z->st.zap_allowed++;
        else {
            z->st.zap_denied++;
            sq_log_limited(SQ_LOG_WARN, "zmq.zap_denied", "mechanism=%.*s key=%s",
                           (int)(mlen > 16 ? 16 : mlen), mech, user[0] ? user : "-");
        }
        zmq_send(z->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(z->zap, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), ZMQ_SNDMORE);
        zmq_send(z->zap, allow ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send(z->zap, allow ? "OK" : "key not allowed", allow ? 2 : 15, ZMQ_SNDMORE);
        zmq_send(z->zap, user, strlen(user), ZMQ_SNDMORE);
        zmq_send(z->zap, "", 0, 0);
        for (int i = 0; i < n; i++) zmq_msg_close(&parts[i]);
    }
}

/* ---- libev glue: ZMQ_FD is edge-triggered, so every wake-up drains until
 * ZMQ_EVENTS has no POLLIN, and a prepare watcher re-checks before each poll
 * because our own sends can consume the notification. */

static void drain_all(zpub *z)
{
    pub_drain(z);
    if (z->router) router_drain(z);
    if (z->zap) zap_drain(z);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents) { drain_all(w->data); }

/* Replay first, then drain: the replay sends may swallow a ZMQ_FD edge, and a
 * request drained here kicks the idle watcher so the poll does not block. */
static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
    zpub *z = w->data;
    if (z->n_jobs && !ev_is_active(&z->replay_retry)) replay_run(z);
    drain_all(z);
}

static void on_replay_idle(struct ev_loop *loop, ev_idle *w, int revents) {}
static void on_replay_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    zpub *z = w->data;
    ev_timer_stop(loop, w);
    replay_run(z);
}

/* zmq_send, again when a signal interrupted it (a SIGHUP reload lands mid-send): EINTR sends
 * nothing, and a frame given up on would cost a live alert or leave its topic frame without a body. */
static int pub_send(void *sock, const void *buf, size_t len, int flags)
{
    int r;
    do
        r = zmq_send(sock, buf, len, flags);
    while (r < 0 && errno == EINTR);
    return r;
}

/* Heartbeats go out lossy: a subscriber whose pipe is full misses this one
 * (it gets the next), instead of every subscriber missing it because one is
 * stuck, which XPUB_NODROP would do. */
static void hb_send(zpub *z, proto_heartbeat *hb)
{
    char *buf = NULL;
    size_t len = 0;
    if (proto_heartbeat_encode(hb, &buf, &len) != 0) return;
    int off = 0, on = 1;
    zmq_setsockopt(z->pub, ZMQ_XPUB_NODROP, &off, sizeof off);
    if (pub_send(z->pub, ZWIRE_HB_TOPIC, ZWIRE_HB_TOPIC_LEN, ZMQ_SNDMORE | ZMQ_DONTWAIT) == ZWIRE_HB_TOPIC_LEN) {
        pub_send(z->pub, buf, len, 0);
        z->st.heartbeats++;
    }
    zmq_setsockopt(z->pub, ZMQ_XPUB_NODROP, &on, sizeof on);
    free(buf);
}

/* One heartbeat per slice of the digest, so each decodes within the limits
 * of subscribers built before the digest (zwire.h); all carry the same seq. */
static void on_heartbeat(struct ev_loop *loop, ev_timer *w, int revents)
{
    zpub *z = w->data;
    proto_heartbeat hb;
    memset(&hb, 0, sizeof hb);
    hb.v = PROTO_ALERT_VERSION;
    snprintf(hb.pub, sizeof hb.pub, "%s", z->pub_id);
    hb.seq = z->seq;
    hb.ts_ns = sq_clock_realtime_ns();
    hb.ivl_ms = (uint32_t)z->hb_ms;
    snprintf(hb.rep, sizeof hb.rep, "%s", z->last_ep[1]);
    const char *pfx[ZWIRE_HB_DG_MAX];
    uint64_t cnt[ZWIRE_HB_DG_MAX];
    hb.dg_prefix = pfx;
    hb.dg_count = cnt;
    size_t i = 0, bytes = 0;
    do {
        hb.n_dg = 0;
        bytes = 0;
        while (i < z->n_prefixes && hb.n_dg < ZWIRE_HB_DG_MAX &&
               bytes + z->prefixes[i].len + 16 <= ZWIRE_HB_DG_BYTES) {
            pfx[hb.n_dg] = z->prefixes[i].p;
            cnt[hb.n_dg++] = z->prefixes[i].count;
            bytes += z->prefixes[i].len + 16;
            i++;
        }
        hb_send(z, &hb);
    } while (i < z->n_prefixes);
}

/* ---- sink ops */

static int zpub_send_one(zpub *z, const proto_alert *a, const char *ticker)
{
    char id[33], topic[256];
    int tlen = proto_alert_topic(a->category ? a->category : "alert", ticker, topic, sizeof topic);
    if (tlen < 0) return tlen;
    proto_alert_make_id(a->article.id ? a->article.id : "", a->category ? a->category : "",
                        ticker, id);
    /* Shallow copy: the caller's alert stays untouched for the other sinks. */
    proto_alert m = *a;
    m.v = PROTO_ALERT_VERSION;
    m.pub = z->pub_id;
    m.seq = z->seq + 1;
    m.tseq = topic_next(z, topic, (size_t)tlen);
    m.id = id;
    m.ts.emit_ns = sq_clock_realtime_ns();
    char *buf = NULL;
    size_t len = 0;
    int rc = proto_alert_encode(&m, &buf, &len);
    if (rc < 0) return rc;
    z->seq++;
    if (pub_send(z->pub, topic, (size_t)tlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        if (errno == EAGAIN)
            z->st.dropped++;
        else
            sq_log_limited(SQ_LOG_ERROR, "zmq.send", "err=\"%s\"", zmq_strerror(errno));
    } else {
        /* Cannot block: the HWM is checked per whole message (see send_ctl). */
        pub_send(z->pub, buf, len, 0);
        z->st.sent++;
    }
    rc = z->router ? ring_push(z, z->seq, topic, (size_t)tlen, buf, len) : 0;
    if (z->journal) {
        int jr = zjournal_append(z->journal, z->tok, z->seq, topic, (size_t)tlen, buf, len);
        if (rc == 0) rc = jr;
    }
    free(buf);
    return rc;
}

static int zpub_submit(sink *s, proto_alert *const *alerts, size_t n, uint64_t token)
{
    zpub *z = s->data;
    if (n == 0) return 0;
    if (z->journal && !(z->tok = zjournal_begin(z->journal, token))) return SQ_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *tick[ZPUB_MAX_TICKERS];
        size_t nt = proto_alert_route_tickers(alerts[i], z->min_relevance, tick, ZPUB_MAX_TICKERS);
        if (nt == 0) {
            tick[0] = "_";
            nt = 1;
        }
        for (size_t t = 0; t < nt; t++) {
            int rc = zpub_send_one(z, alerts[i], tick[t]);
            if (rc < 0)
                sq_log_limited(SQ_LOG_ERROR, "zmq.encode", "err=%s category=%s",
                               sq_err_name(rc), alerts[i]->category ? alerts[i]->category : "-");
        }
    }
    /* Our own sends may swallow a ZMQ_FD edge; the prepare watcher catches up
     * before the loop next blocks, so no ZMQ_EVENTS round trip per submit. */
    if (!z->journal) return 0;
    int rc = zjournal_end(z->journal, z->tok); /* 1: accepted once journaled */
    z->tok = NULL;
    return rc;
}

static void on_journaled(void *ud, uint64_t token, int status)
{
    zpub *z = ud;
    if (z->base.done) z->base.done(z->base.done_ud, token, status);
}

static size_t zpub_backlog(sink *s)
{
    zpub *z = s->data;
    return z->journal ? zjournal_backlog(z->journal) : 0;
}

static int zpub_flush(sink *s, int timeout_ms)
{
    zpub *z = s->data;
    return z->journal ? zjournal_flush(z->journal, timeout_ms) : 0;
}

static void journal_metrics(sink *s, void (*emit)(void *ud, const char *line), void *ud)
{
    zpub *z = s->data;
    zjournal_stats js;
    zjournal_get_stats(z->journal, &js);
#define M(metric, val) sink_metric(s, emit, ud, metric, (uint64_t)(val))
    M("journal_records_total", js.produced);
    M("journal_acked_total", js.delivered);
    M("journal_failed_total", js.failed);
    M("journal_backlog", js.outstanding);
    M("journal_reads_total", js.fetches);
    M("journal_replayed_total", z->st.journal_replayed);
    M("journal_recovered_records", js.recovered);
    M("journal_bad_records_total", js.bad_records);
#undef M
}

static void zpub_metrics(sink *s, void (*emit)(void *ud, const char *line), void *ud)
{
    zpub *z = s->data;
#define M(metric, val) sink_metric(s, emit, ud, metric, (uint64_t)(val))
    M("sent_total", z->st.sent);
    M("dropped_total", z->st.dropped);
    M("heartbeats_total", z->st.heartbeats);
    M("replay_requests_total", z->st.replay_requests);
    M("replayed_total", z->st.replayed);
    M("replay_gone_total", z->st.gone);
    M("replay_bad_requests_total", z->st.bad_requests);
    M("subscriptions", z->st.subscriptions);
    M("zap_allowed_total", z->st.zap_allowed);
    M("zap_denied_total", z->st.zap_denied);
    M("last_seq", z->seq);
    M("ring_messages", z->ring_count);
    M("ring_bytes", z->ring_bytes);
#undef M
    if (z->journal) journal_metrics(s, emit, ud);
}

static void close_sock(void **sock, int linger)
{
    if (!*sock) return;
    zmq_setsockopt(*sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(*sock);
    *sock = NULL;
}

static void zpub_destroy(sink *s)
{
    zpub *z = s->data;
    if (z->loop) {
        ev_io_stop(z->loop, &z->pub_io);
        ev_io_stop(z->loop, &z->router_io);
        ev_io_stop(z->loop, &z->zap_io);
        ev_prepare_stop(z->loop, &z->prep);
        ev_timer_stop(z->loop, &z->hb_timer);
        ev_idle_stop(z->loop, &z->replay_idle);
        ev_timer_stop(z->loop, &z->replay_retry);
    }
    close_sock(&z->pub, 200); /* a short grace so the last alerts reach subscribers */
    close_sock(&z->router, 0);
    close_sock(&z->zap, 0);
    if (z->ctx) zmq_ctx_term(z->ctx);
    if (z->ring) {
        for (size_t i = 0; i < z->ring_cap; i++) free(z->ring[i].buf);
        free(z->ring);
    }
    for (size_t i = 0; i < z->n_jobs; i++) job_free(&z->jobs[i]);
    free(z->jobs);
    zjournal_destroy(z->journal);
    ztopics_clear(&z->topics);
    for (size_t i = 0; i < z->n_prefixes; i++) free(z->prefixes[i].p);
    free(z->prefixes);
    free(z->keys);
    free(z);
}

static const sink_ops zpub_ops = {
    .kind = "zmq",
    .submit = zpub_submit,
    .backlog = zpub_backlog,
    .flush = zpub_flush,
    .metrics = zpub_metrics,
    .destroy = zpub_destroy,
};

/* ---- create */

static void restore_topic(void *ud, const char *topic, size_t tl, uint64_t tseq)
{
    zpub *z = ud;
    ztopic *t = ztopics_get(&z->topics, topic, tl, 1);
    if (t && tseq > t->u) t->u = tseq;
}

/* seq and every topic's tseq continue where the journal ends, so a desk
 * keeps its numbers across our restarts and sees a gap only for a loss. */
static int journal_restore(zpub *z, char *err, size_t errlen)
{
    int rc = zjournal_recover(z->journal, restore_topic, z, &z->seq, err, errlen);
    if (rc < 0) return rc;
    zjournal_set_done(z->journal, on_journaled, z);
    return 0;
}

static int setup_curve(zpub *z, void *sock, const sink_zpub_opts *o)
{
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0) return -1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, o->curve_secret_key, 40) != 0) return -1;
    if (zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "squawk", 6) != 0) return -1;
    return 0;
}

/* ZMTP heartbeats: a subscriber that stops answering (dead host, stopped
 * process) is disconnected after ZPUB_PEER_TIMEOUT_MS, so with XPUB_NODROP it
 * cannot hold every other subscriber at its HWM until TCP gives up. */
#define ZPUB_PEER_IVL_MS 2000
#define ZPUB_PEER_TIMEOUT_MS 10000

static void set_peer_heartbeat(void *sock)
{
    int ivl = ZPUB_PEER_IVL_MS, tmo = ZPUB_PEER_TIMEOUT_MS, one = 1;
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo);
    zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE, &one, sizeof one);
}

static int attach(zpub *z, void *sock, const char *ep, char *last, char *err, size_t errlen)
{
    int rc = ep[0] == '>' ? zmq_connect(sock, ep + 1) : zmq_bind(sock, ep[0] == '@' ? ep + 1 : ep);
    if (rc != 0) {
        set_err(err, errlen, "cannot bind or connect %s: %s", ep, zmq_strerror(errno));
        return SQ_E_ZMQ;
    }
    if (ep[0] != '>') {
        size_t sz = 256;
        zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, last, &sz);
    }
    return 0;
}

static void watch(zpub *z, ev_io *w, void *sock)
{
    ev_io_init(w, on_io, zsock_fd(sock), EV_READ);
    w->data = z;
    ev_io_start(z->loop, w);
}

static int check_opts(struct ev_loop *loop, const sink_zpub_opts *o, char *err, size_t errlen)
{
    if (!loop || !o || o->n_endpoints == 0) {
        set_err(err, errlen, "%s%s", "zmq sink needs a loop and at least one endpoint", "");
        return SQ_E_INVAL;
    }
    if ((o->curve_secret_key != NULL) != (o->curve_public_key != NULL) ||
        (o->curve_secret_key && (strlen(o->curve_secret_key) != 40 ||
                                 strlen(o->curve_public_key) != 40))) {
        set_err(err, errlen, "%s%s", "CURVE needs both a secret and a public key, 40 Z85 chars each",
                "");
        return SQ_E_CONFIG;
    }
    if (o->curve_secret_key && !zmq_has("curve")) {
        set_err(err, errlen, "%s%s", "libzmq was built without CURVE", "");
        return SQ_E_CONFIG;
    }
    return 0;
}

/* The server key pair checked, the allowed client keys decoded. */
static int load_curve(zpub *z, const sink_zpub_opts *o, char *err, size_t errlen)
{
    char derived[41];
    if (zmq_curve_public(derived, o->curve_secret_key) != 0 ||
        strcmp(derived, o->curve_public_key) != 0) {
        set_err(err, errlen, "%s%s", "CURVE public key does not match the secret key", "");
        return SQ_E_CONFIG;
    }
    z->curve = 1;
    if (o->n_allowed_client_keys && !(z->keys = calloc(o->n_allowed_client_keys, sizeof *z->keys)))
        return SQ_E_NOMEM;
    for (size_t i = 0; i < o->n_allowed_client_keys; i++) {
        const char *k = o->allowed_client_keys[i];
        if (!k || strlen(k) != 40 || !zmq_z85_decode(z->keys[i], k)) {
            set_err(err, errlen, "allowed client key %s is not 40 Z85 chars%s", k ? k : "(null)", "");
            return SQ_E_CONFIG;
        }
        z->n_keys++;
    }
    return 0;
}

/* Nothing fails from here on: the sockets are ready, the loop takes over. */
static void start_watchers(zpub *z, const sink_zpub_opts *o)
{
    watch(z, &z->pub_io, z->pub);
    if (z->router) watch(z, &z->router_io, z->router);
    if (z->zap) watch(z, &z->zap_io, z->zap);
    ev_prepare_init(&z->prep, on_prepare);
    z->prep.data = z;
    ev_prepare_start(z->loop, &z->prep);
    ev_idle_init(&z->replay_idle, on_replay_idle);
    z->replay_idle.data = z;
    ev_timer_init(&z->replay_retry, on_replay_retry, 0.002, 0.);
    z->replay_retry.data = z;
    z->min_relevance = o->min_relevance;
    int hb = o->heartbeat_ms ? o->heartbeat_ms : SINK_ZPUB_HEARTBEAT_DEFAULT;
    z->hb_ms = hb > 0 ? hb : 0;
    ev_timer_init(&z->hb_timer, on_heartbeat, hb / 1000.0, hb / 1000.0);
    z->hb_timer.data = z;
    if (hb > 0) ev_timer_start(z->loop, &z->hb_timer);
}

SQ_API int sink_zpub_create(sink **out, struct ev_loop *loop, const sink_zpub_opts *o,
                            char *err, size_t errlen)
{
    *out = NULL;
    int rc = check_opts(loop, o, err, errlen);
    zpub *z = rc == 0 ? calloc(1, sizeof *z) : NULL;
    if (!z) {
        if (o) zjournal_destroy(o->journal);
        return rc < 0 ? rc : SQ_E_NOMEM;
    }
    z->journal = o->journal;
    z->base.ops = &zpub_ops;
    z->base.data = z;
    snprintf(z->base.name, sizeof z->base.name, "zmq");
    z->ring_limit = o->ring_size ? o->ring_size : SINK_ZPUB_RING_DEFAULT;
    z->ring_cap = z->ring_limit < 1024 ? z->ring_limit : 1024;
    z->ring_max_bytes = o->ring_max_bytes ? o->ring_max_bytes : SINK_ZPUB_RING_BYTES_DEFAULT;
    z->ring = calloc(z->ring_cap, sizeof *z->ring);
    z->jobs = calloc(ZPUB_MAX_JOBS, sizeof *z->jobs);
    if (!z->ring || !z->jobs) goto nomem;
    if (o->pub_id && o->pub_id[0])
        snprintf(z->pub_id, sizeof z->pub_id, "%s", o->pub_id);
    else
        sink_make_pub_id(z->pub_id, sizeof z->pub_id);

    if (o->curve_secret_key && (rc = load_curve(z, o, err, errlen)) < 0) goto fail;
    rc = SQ_E_ZMQ;
    z->loop = loop;
    z->ctx = zmq_ctx_new();
    if (!z->ctx) goto zfail;
    if (z->curve) {
        /* The handler must be bound before any CURVE socket sees a client, or
         * libzmq lets every handshake through. */
        z->zap = zmq_socket(z->ctx, ZMQ_REP);
        if (!z->zap || zmq_bind(z->zap, "inproc://zeromq.zap.01") != 0) goto zfail;
    }
    z->pub = zmq_socket(z->ctx, ZMQ_XPUB);
    if (!z->pub) goto zfail;
    int one = 1;
    if (zmq_setsockopt(z->pub, ZMQ_XPUB_NODROP, &one, sizeof one) != 0) goto zfail;
    int hwm = o->sndhwm < 0 ? 0 : o->sndhwm; /* libzmq: 0 = no limit */
    if (o->sndhwm != 0 && zmq_setsockopt(z->pub, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0) goto zfail;
    if (z->curve && setup_curve(z, z->pub, o) != 0) goto zfail;
    set_peer_heartbeat(z->pub);
    for (size_t i = 0; i < o->n_endpoints; i++)
        if ((rc = attach(z, z->pub, o->endpoints[i], z->last_ep[0], err, errlen)) < 0) goto fail;

    if (o->n_replay_endpoints) {
        z->router = zmq_socket(z->ctx, ZMQ_ROUTER);
        if (!z->router) goto zfail;
        hwm = 10000;
        zmq_setsockopt(z->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
        if (zmq_setsockopt(z->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0) goto zfail;
        if (z->curve && setup_curve(z, z->router, o) != 0) goto zfail;
        set_peer_heartbeat(z->router);
        for (size_t i = 0; i < o->n_replay_endpoints; i++)
            if ((rc = attach(z, z->router, o->replay_endpoints[i], z->last_ep[1], err, errlen)) < 0)
                goto fail;
    }

    if (z->journal && (rc = journal_restore(z, err, errlen)) < 0) goto fail;
    start_watchers(z, o);
    sq_info("zmq.listen", "pub=%s endpoint=%s replay=%s curve=%d allowed_keys=%zu", z->pub_id,
            z->last_ep[0][0] ? z->last_ep[0] : "-", z->last_ep[1][0] ? z->last_ep[1] : "-",
            z->curve, z->n_keys);
    *out = &z->base;
    return 0;

zfail:
    set_err(err, errlen, "zmq: %s%s", zmq_strerror(errno), "");
    rc = SQ_E_ZMQ;
    goto fail;
nomem:
    rc = SQ_E_NOMEM;
fail:
    z->loop = NULL; /* no watcher was started before any failure path */
    zpub_destroy(&z->base);
    return rc;
}

SQ_API void sink_zpub_get_stats(sink *s, sink_zpub_stats *out)
{
    zpub *z = s->data;
    *out = z->st;
    out->last_seq = z->seq;
    out->ring_oldest_seq = z->ring_count ? z->ring_oldest : 0;
    out->ring_count = z->ring_count;
    out->ring_bytes = z->ring_bytes;
    out->topics = z->topics.n;
    out->prefixes = z->n_prefixes;
}

SQ_API const char *sink_zpub_pub_id(sink *s) { return ((zpub *)s->data)->pub_id; }

SQ_API int sink_zpub_endpoint(sink *s, int replay, char *out, size_t outlen)
{
    zpub *z = s->data;
    const char *ep = z->last_ep[replay ? 1 : 0];
    if (!ep[0]) return SQ_E_NOTFOUND;
    snprintf(out, outlen, "%s", ep);
    return 0;
}
