/* zsub.c -- the desk side of the squawk protocol: per-subscription gap detection from heartbeat digests, subscription-aware replay, events. */
#include "zsub.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "ztopics.h"
#include "zwire.h"

#define ZSUB_QUEUE_SOFT 4096 /* stop reading sockets while this many events wait */
#define ZSUB_TICK_MS 100     /* housekeeping granularity inside zsub_next */

/* ---- sets of sequence numbers as sorted, disjoint intervals */

typedef struct ival {
    uint64_t lo, hi;
} ival;

typedef struct iset {
    ival *v;
    size_t n, cap;
} iset;

/* 1 when x was added, 0 when it was there already, -1 out of memory. */
static int iset_add(iset *s, uint64_t x)
{
    size_t a = 0, b = s->n; /* first interval with hi + 1 >= x */
    while (a < b) {
        size_t m = (a + b) / 2;
        if (s->v[m].hi + 1 < x) a = m + 1;
        else b = m;
    }
    if (a < s->n && s->v[a].lo <= x && x <= s->v[a].hi) return 0;
    if (a < s->n && s->v[a].hi + 1 == x) {
        s->v[a].hi = x;
        if (a + 1 < s->n && s->v[a + 1].lo == x + 1) { /* the gap closed: merge */
            s->v[a].hi = s->v[a + 1].hi;
            memmove(&s->v[a + 1], &s->v[a + 2], (s->n - a - 2) * sizeof *s->v);
            s->n--;
        }
        return 1;
    }
    if (a < s->n && s->v[a].lo == x + 1) {
        s->v[a].lo = x;
        return 1;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        ival *v = realloc(s->v, cap * sizeof *v);
        if (!v) return -1;
        s->v = v;
        s->cap = cap;
    }
    memmove(&s->v[a + 1], &s->v[a], (s->n - a) * sizeof *s->v);
    s->v[a] = (ival){x, x};
    s->n++;
    return 1;
}

/* ---- state */

/* Per publisher and subscribed prefix: acc counts the distinct messages
 * matching the prefix that were received (or written off as lost); the
 * publisher's digest says how many it sent; the difference is the gap. */
typedef struct pfx_state {
    int based;         /* a digest entry was seen (the baseline) */
    int req;           /* a replay for this prefix is queued or running */
    uint64_t acc;
    uint64_t verified; /* every matching message with seq <= verified is accounted for */
    uint64_t missing, found, lo, hi, gone; /* the open replay */
} pfx_state;

typedef struct zpubst {
    char id[64];
    ztopics topics; /* topic -> p = iset of tseqs received */
    iset gseq;      /* seqs received: kept for an everything subscription, to name exact losses */
    pfx_state *pf;
    uint32_t ivl_ms;
} zpubst;

typedef struct zreq {
    char pub[64];
    size_t pf;
} zreq;

typedef struct zconn {
    char ep[256], rep[256];
    int proxy;
    void *sub, *dealer;
    zpubst **pubs;
    size_t n_pubs;
    zreq *q; /* q[0] is the running request when active */
    size_t nq, capq;
    int active;
    int64_t deadline, last_ns;
    int silent;
} zconn;

typedef struct qev {
    zsub_kind kind;
    const char *endpoint;
    char pub[64], old_pub[64], topic[256], why[128];
    proto_alert *alert;
    int recovered, exact;
    uint64_t count, lo, hi;
    double silent_s;
} qev;

struct zsub {
    char *pfx[ZSUB_MAX_TOPICS];
    size_t pfx_len[ZSUB_MAX_TOPICS], n_pfx;
    int everything, replay, from_start, curve, rcvhwm, rcvbuf;
    double replay_timeout_s;
    char curve_server[41], curve_pub[41], curve_sec[41];
    void *ctx;
    zconn conns[ZSUB_MAX_CONNS];
    size_t n_conns;
    qev *evq;
    size_t head, nev, capev;
    qev cur;
    zsub_stats st;
};

/* ---- event queue (a ring) */

static qev *ev_push(zsub *z, zsub_kind kind, const zconn *c, const char *pub)
{
    if (z->nev == z->capev) {
        size_t cap = z->capev ? z->capev * 2 : 256;
        qev *q = malloc(cap * sizeof *q);
        if (!q) return NULL;
        for (size_t i = 0; i < z->nev; i++) q[i] = z->evq[(z->head + i) % z->capev];
        free(z->evq);
        z->evq = q;
        z->capev = cap;
        z->head = 0;
    }
    qev *e = &z->evq[(z->head + z->nev++) % z->capev];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->endpoint = c ? c->ep : "";
    if (pub) snprintf(e->pub, sizeof e->pub, "%s", pub);
    return e;
}

static int ev_pop(zsub *z, qev *out)
{
    if (!z->nev) return 0;
    *out = z->evq[z->head];
    z->head = (z->head + 1) % z->capev;
    z->nev--;
    return 1;
}

/* ---- subscription */

/* Index of the subscribed prefix topic matches; -1 for none. The prefixes are
 * normalised (none extends another), so there is at most one. */
static int pfx_match(const zsub *z, const char *t, size_t tl)
{
    for (size_t i = 0; i < z->n_pfx; i++)
        if (z->pfx_len[i] <= tl && memcmp(z->pfx[i], t, z->pfx_len[i]) == 0) return (int)i;
    return -1;
}

static int pfx_add_normalised(zsub *z, const char *p)
{
    size_t n = strlen(p);
    if (n > ZWIRE_PREFIX_MAX) return SQ_E_INVAL;
    for (size_t i = 0; i < z->n_pfx; i++) /* already covered by a shorter one */
        if (z->pfx_len[i] <= n && memcmp(z->pfx[i], p, z->pfx_len[i]) == 0) return 0;
    for (size_t i = 0; i < z->n_pfx;) { /* p covers these */
        if (n <= z->pfx_len[i] && memcmp(z->pfx[i], p, n) == 0) {
            free(z->pfx[i]);
            z->pfx[i] = z->pfx[z->n_pfx - 1];
            z->pfx_len[i] = z->pfx_len[--z->n_pfx];
        } else {
            i++;
        }
    }
    if (!(z->pfx[z->n_pfx] = strdup(p))) return SQ_E_NOMEM;
    z->pfx_len[z->n_pfx++] = n;
    return 0;
}

/* ---- publishers */

static void pub_free(zpubst *p)
{
    for (size_t i = 0; i < p->topics.cap; i++)
        if (p->topics.slot[i].key) {
            iset *s = p->topics.slot[i].p;
            if (s) free(s->v);
            free(s);
        }
    ztopics_clear(&p->topics);
    free(p->gseq.v);
    free(p->pf);
    free(p);
}

static zpubst *pub_find(zconn *c, const char *id)
{
    for (size_t i = 0; i < c->n_pubs; i++)
        if (strcmp(c->pubs[i]->id, id) == 0) return c->pubs[i];
    return NULL;
}

static void lost_event(zsub *z, zconn *c, zpubst *p, size_t pf, uint64_t n, uint64_t lo,
                       uint64_t hi, const char *why);

/* The open gaps of p end as losses (why); its requests leave the queue, and
 * a running one gets a fresh socket so a late answer cannot be misread. */
static void dealer_open(zsub *z, zconn *c);
static void pub_abandon(zsub *z, zconn *c, zpubst *p, const char *why)
{
    for (size_t i = 0; i < z->n_pfx; i++) {
        pfx_state *s = &p->pf[i];
        if (s->req && s->missing > s->found)
            lost_event(z, c, p, i, s->missing - s->found, s->lo, s->hi, why);
        s->req = 0;
    }
    for (size_t i = 0; i < c->nq;) {
        if (strcmp(c->q[i].pub, p->id) == 0) {
            if (i == 0 && c->active) {
                c->active = 0;
                zmq_close(c->dealer);
                dealer_open(z, c);
            }
            memmove(&c->q[i], &c->q[i + 1], (c->nq - i - 1) * sizeof *c->q);
            c->nq--;
        } else {
            i++;
        }
    }
}

static zpubst *pub_new(zsub *z, zconn *c, const char *id)
{
    /* A direct connection has one publisher at a time: a new id there is a
     * restart. Behind a proxy (or without replay) several ids are normal. */
    if (!c->proxy && c->rep[0] && c->n_pubs > 0) {
        while (c->n_pubs) {
            zpubst *old = c->pubs[--c->n_pubs];
            pub_abandon(z, c, old, "publisher restarted");
            qev *e = ev_push(z, ZSUB_RESTART, c, id);
            if (e) snprintf(e->old_pub, sizeof e->old_pub, "%s", old->id);
            pub_free(old);
        }
    }
    zpubst **pp = realloc(c->pubs, (c->n_pubs + 1) * sizeof *pp);
    if (!pp) return NULL;
    c->pubs = pp;
    zpubst *p = calloc(1, sizeof *p);
    if (!p || !(p->pf = calloc(z->n_pfx, sizeof *p->pf))) {
        free(p);
        return NULL;
    }
    snprintf(p->id, sizeof p->id, "%s", id);
    c->pubs[c->n_pubs++] = p;
    ev_push(z, ZSUB_PUBLISHER, c, id);
    return p;
}

static zpubst *pub_get(zsub *z, zconn *c, const char *id)
{
    zpubst *p = pub_find(c, id);
    return p ? p : pub_new(z, c, id);
}

/* ---- gaps, losses, requests */

/* For an everything subscription the lost seqs are known exactly: the ones in
 * lo..hi never received. They are then marked so they are not reported twice. */
static uint64_t lost_exact(zsub *z, zconn *c, zpubst *p, uint64_t lo, uint64_t hi,
                           const char *why)
{
    uint64_t total = 0, s = lo;
    while (s <= hi && s != 0) {
        size_t i = 0;
        while (i < p->gseq.n && p->gseq.v[i].hi < s) i++;
        if (i < p->gseq.n && p->gseq.v[i].lo <= s) {
            s = p->gseq.v[i].hi + 1;
            continue;
        }
        uint64_t e = (i < p->gseq.n && p->gseq.v[i].lo - 1 < hi) ? p->gseq.v[i].lo - 1 : hi;
        qev *ev = ev_push(z, ZSUB_LOST, c, p->id);
        if (ev) {
            ev->exact = 1;
            ev->count = e - s + 1;
            ev->lo = s;
            ev->hi = e;
            snprintf(ev->why, sizeof ev->why, "%s", why);
        }
        total += e - s + 1;
        for (uint64_t k = s; k <= e && k != 0; k++) iset_add(&p->gseq, k);
        s = e + 1;
    }
    return total;
}

static void lost_event(zsub *z, zconn *c, zpubst *p, size_t pf, uint64_t n, uint64_t lo,
                       uint64_t hi, const char *why)
{
    if (z->everything) {
        z->st.lost += lost_exact(z, c, p, lo, hi, why);
        return;
    }
    qev *e = ev_push(z, ZSUB_LOST, c, p->id);
    if (e) {
        e->count = n;
        e->lo = lo;
        e->hi = hi;
        snprintf(e->topic, sizeof e->topic, "%s", z->pfx[pf]);
        snprintf(e->why, sizeof e->why, "%s", why);
    }
    z->st.lost += n;
}

static int req_enqueue(zconn *c, const char *pub, size_t pf)
{
    if (c->nq == c->capq) {
        size_t cap = c->capq ? c->capq * 2 : 8;
        zreq *q = realloc(c->q, cap * sizeof *q);
        if (!q) return SQ_E_NOMEM;
        c->q = q;
        c->capq = cap;
    }
    snprintf(c->q[c->nq].pub, sizeof c->q[0].pub, "%s", pub);
    c->q[c->nq++].pf = pf;
    return 0;
}

/* A digest entry: the publisher sent count messages matching prefix pf up to seq. */
static void on_digest(zsub *z, zconn *c, zpubst *p, size_t pf, uint64_t count, uint64_t seq)
{
    pfx_state *s = &p->pf[pf];
    if (!s->based) {
        s->based = 1;
        if (!z->from_start) { /* what came before the first digest is the past */
            s->acc = count;
            s->verified = seq;
            return;
        }
    }
    if (s->req) return;
    if (count <= s->acc) {
        s->verified = seq;
        return;
    }
    uint64_t miss = count - s->acc;
    z->st.gaps++;
    if (!z->replay || !c->dealer) {
        lost_event(z, c, p, pf, miss, s->verified + 1, seq,
                   z->replay ? "no replay endpoint" : "replay off");
        s->acc = count;
        s->verified = seq;
        return;
    }
    qev *e = ev_push(z, ZSUB_GAP, c, p->id);
    if (e) {
        e->count = miss;
        e->lo = s->verified + 1;
        e->hi = seq;
        snprintf(e->topic, sizeof e->topic, "%s", z->pfx[pf]);
    }
    if (req_enqueue(c, p->id, pf) != 0) return;
    s->req = 1;
    s->missing = miss;
    s->found = 0;
    s->lo = s->verified + 1;
    s->hi = seq;
    s->gone = 0;
}

typedef struct digest_ud {
    zsub *z;
    uint64_t count[ZSUB_MAX_TOPICS];
    int seen[ZSUB_MAX_TOPICS];
} digest_ud;

static void digest_cb(void *ud, const char *prefix, size_t plen, uint64_t count)
{
    digest_ud *d = ud;
    for (size_t i = 0; i < d->z->n_pfx; i++)
        if (d->z->pfx_len[i] == plen && memcmp(d->z->pfx[i], prefix, plen) == 0) {
            d->count[i] = count;
            d->seen[i] = 1;
        }
}

static void on_heartbeat(zsub *z, zconn *c, const void *data, size_t len)
{
    proto_heartbeat hb;
    digest_ud d;
    memset(&d, 0, sizeof d);
    d.z = z;
    if (proto_heartbeat_decode(data, len, &hb) != 0 ||
        proto_heartbeat_digest(data, len, digest_cb, &d) < 0) {
        z->st.bad++;
        qev *e = ev_push(z, ZSUB_BAD, c, NULL);
        if (e) snprintf(e->why, sizeof e->why, "undecodable heartbeat");
        return;
    }
    z->st.heartbeats++;
    zpubst *p = pub_get(z, c, hb.pub);
    if (!p) return;
    if (hb.ivl_ms) p->ivl_ms = hb.ivl_ms;
    for (size_t i = 0; i < z->n_pfx; i++)
        if (d.seen[i]) on_digest(z, c, p, i, d.count[i], hb.seq);
}

/* 1 when the message is new to us, 0 when it was received already. */
static int mark_received(zsub *z, zpubst *p, const char *topic, size_t tl, const proto_alert *a)
{
    int fresh = 1;
    if (a->tseq) {
        ztopic *t = ztopics_get(&p->topics, topic, tl, 1);
        if (t && !t->p) t->p = calloc(1, sizeof(iset));
        if (t && t->p) fresh = iset_add(t->p, a->tseq) != 0;
    }
    if (z->everything || !a->tseq) {
        int r = iset_add(&p->gseq, a->seq);
        if (!a->tseq) fresh = r != 0;
    }
    return fresh;
}

static void on_alert(zsub *z, zconn *c, const char *topic, size_t tl, const void *data,
                     size_t len, int from_replay)
{
    proto_alert *a = NULL;
    char why[128] = "";
    if (proto_alert_decode(data, len, &a, why, sizeof why) != 0 || !a->pub) {
        z->st.bad++;
        qev *e = ev_push(z, ZSUB_BAD, c, NULL);
        if (e) {
            snprintf(e->topic, sizeof e->topic, "%.*s", (int)(tl < 255 ? tl : 255), topic);
            snprintf(e->why, sizeof e->why, "%s", why);
        }
        proto_alert_destroy(a);
        return;
    }
    if (from_replay) {
        z->st.replayed++;
        z->st.replay_bytes += tl + len;
        c->deadline = sq_clock_mono_ns() + (int64_t)(z->replay_timeout_s * 1e9);
    }
    int pf = pfx_match(z, topic, tl);
    zpubst *p = from_replay ? (c->active ? pub_find(c, c->q[0].pub) : NULL) : pub_get(z, c, a->pub);
    if (pf < 0 || !p || strcmp(p->id, a->pub) != 0) {
        if (from_replay && pf < 0) z->st.replay_foreign++;
        proto_alert_destroy(a); /* not ours, or an answer for a request that is over */
        return;
    }
    if (!mark_received(z, p, topic, tl, a)) {
        if (from_replay) z->st.replay_dups++;
        else z->st.duplicates++;
        proto_alert_destroy(a);
        return;
    }
    pfx_state *s = &p->pf[pf];
    s->acc++;
    if (from_replay && s->req && c->active && c->q[0].pf == (size_t)pf) s->found++;
    z->st.received++;
    if (from_replay) z->st.recovered++;
    qev *e = ev_push(z, ZSUB_ALERT, c, a->pub);
    if (!e) {
        proto_alert_destroy(a);
        return;
    }
    snprintf(e->topic, sizeof e->topic, "%.*s", (int)(tl < 255 ? tl : 255), topic);
    e->alert = a;
    e->recovered = from_replay;
}

/* ---- the replay conversation, one request at a time per connection */

static void dealer_open(zsub *z, zconn *c)
{
    c->dealer = zmq_socket(z->ctx, ZMQ_DEALER);
    if (!c->dealer) return;
    int zero = 0;
    zmq_setsockopt(c->dealer, ZMQ_LINGER, &zero, sizeof zero);
    int hwm = 0; /* the publisher paces itself; never drop an answer here */
    zmq_setsockopt(c->dealer, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (z->curve) {
        zmq_setsockopt(c->dealer, ZMQ_CURVE_SERVERKEY, z->curve_server, 40);
        zmq_setsockopt(c->dealer, ZMQ_CURVE_PUBLICKEY, z->curve_pub, 40);
        zmq_setsockopt(c->dealer, ZMQ_CURVE_SECRETKEY, z->curve_sec, 40);
    }
    zmq_connect(c->dealer, c->rep);
}

static void req_finish(zsub *z, zconn *c, const char *why)
{
    if (!c->active || !c->nq) return;
    zreq r = c->q[0];
    memmove(&c->q[0], &c->q[1], (c->nq - 1) * sizeof *c->q);
    c->nq--;
    c->active = 0;
    zpubst *p = pub_find(c, r.pub);
    if (!p) return;
    pfx_state *s = &p->pf[r.pf];
    if (s->found) {
        qev *e = ev_push(z, ZSUB_RECOVERED, c, p->id);
        if (e) {
            e->count = s->found;
            e->lo = s->lo;
            e->hi = s->hi;
            snprintf(e->topic, sizeof e->topic, "%s", z->pfx[r.pf]);
        }
    }
    if (s->missing > s->found) {
        char w[128];
        if (why)
            snprintf(w, sizeof w, "%s", why);
        else if (s->gone > s->lo)
            snprintf(w, sizeof w, ZWIRE_GONE " (oldest held %" PRIu64 ")", s->gone);
        else
            snprintf(w, sizeof w, "not returned by replay");
        lost_event(z, c, p, r.pf, s->missing - s->found, s->lo, s->hi, w);
        s->acc += s->missing - s->found;
    }
    if (s->hi > s->verified) s->verified = s->hi;
    s->req = 0;
}

static void req_maybe_send(zsub *z, zconn *c)
{
    while (!c->active && c->nq && c->dealer) {
        zpubst *p = pub_find(c, c->q[0].pub);
        if (!p) {
            memmove(&c->q[0], &c->q[1], (c->nq - 1) * sizeof *c->q);
            c->nq--;
            continue;
        }
        pfx_state *s = &p->pf[c->q[0].pf];
        char line[ZWIRE_REQ_MAX];
        int n = snprintf(line, sizeof line, ZWIRE_REPLAY " %" PRIu64 " %" PRIu64 "\n" ZWIRE_REQ_PUB "%s",
                         s->lo, s->hi, p->id);
        if (z->pfx_len[c->q[0].pf]) /* no topic line: every topic */
            n += snprintf(line + n, sizeof line - (size_t)n, "\n" ZWIRE_REQ_TOPIC "%s",
                          z->pfx[c->q[0].pf]);
        if (zmq_send(c->dealer, line, (size_t)n, ZMQ_DONTWAIT) != n) return;
        c->active = 1;
        c->deadline = sq_clock_mono_ns() + (int64_t)(z->replay_timeout_s * 1e9);
    }
}

static void on_control(zsub *z, zconn *c, const char *data, size_t len)
{
    char line[128];
    snprintf(line, sizeof line, "%.*s", (int)(len < 127 ? len : 127), data);
    if (!c->active) return;
    c->deadline = sq_clock_mono_ns() + (int64_t)(z->replay_timeout_s * 1e9);
    unsigned long long n = 0;
    zpubst *p = pub_find(c, c->q[0].pub);
    if (sscanf(line, ZWIRE_GONE " %llu", &n) == 1) {
        if (p) p->pf[c->q[0].pf].gone = n;
    } else if (sscanf(line, ZWIRE_END " %llu", &n) == 1) {
        req_finish(z, c, NULL);
    } else if (strncmp(line, ZWIRE_ERR, strlen(ZWIRE_ERR)) == 0) {
        req_finish(z, c, line);
    }
}

/* ---- sockets */

static void seen_traffic(zsub *z, zconn *c)
{
    c->last_ns = sq_clock_mono_ns();
    if (c->silent) {
        c->silent = 0;
        ev_push(z, ZSUB_ALIVE, c, NULL);
    }
}

static void drain_sub(zsub *z, zconn *c)
{
    while (z->nev < ZSUB_QUEUE_SOFT) {
        zmq_msg_t t, d;
        zmq_msg_init(&t);
        if (zmq_msg_recv(&t, c->sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&t);
            return;
        }
        seen_traffic(z, c);
        if (!zmq_msg_more(&t)) {
            zmq_msg_close(&t);
            z->st.bad++;
            continue;
        }
        zmq_msg_init(&d);
        zmq_msg_recv(&d, c->sub, 0);
        while (zmq_msg_more(&d)) zmq_msg_recv(&d, c->sub, 0); /* keep the last frame */
        const char *topic = zmq_msg_data(&t);
        size_t tl = zmq_msg_size(&t);
        if (tl == ZWIRE_HB_TOPIC_LEN && memcmp(topic, ZWIRE_HB_TOPIC, tl) == 0)
            on_heartbeat(z, c, zmq_msg_data(&d), zmq_msg_size(&d));
        else
            on_alert(z, c, topic, tl, zmq_msg_data(&d), zmq_msg_size(&d), 0);
        zmq_msg_close(&d);
        zmq_msg_close(&t);
    }
}

static void drain_dealer(zsub *z, zconn *c)
{
    while (c->dealer && z->nev < ZSUB_QUEUE_SOFT) {
        zmq_msg_t a, b;
        zmq_msg_init(&a);
        if (zmq_msg_recv(&a, c->dealer, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&a);
            return;
        }
        if (!zmq_msg_more(&a)) {
            on_control(z, c, zmq_msg_data(&a), zmq_msg_size(&a));
        } else {
            zmq_msg_init(&b);
            zmq_msg_recv(&b, c->dealer, 0);
            while (zmq_msg_more(&b)) zmq_msg_recv(&b, c->dealer, 0);
            on_alert(z, c, zmq_msg_data(&a), zmq_msg_size(&a), zmq_msg_data(&b),
                     zmq_msg_size(&b), 1);
            zmq_msg_close(&b);
        }
        zmq_msg_close(&a);
    }
}

static void housekeep(zsub *z, zconn *c, int64_t now)
{
    if (c->active && now > c->deadline) {
        req_finish(z, c, "replay TIMEOUT");
        zmq_close(c->dealer); /* a fresh socket so a late answer cannot be misread */
        dealer_open(z, c);
    }
    req_maybe_send(z, c);
    uint32_t ivl = 0; /* the slowest announced period on this connection */
    for (size_t i = 0; i < c->n_pubs; i++)
        if (c->pubs[i]->ivl_ms > ivl) ivl = c->pubs[i]->ivl_ms;
    if (!ivl) ivl = 1000;
    double quiet_s = (now - c->last_ns) / 1e9;
    if (!c->silent && quiet_s > ZWIRE_SILENT_PERIODS * ivl / 1000.0) {
        c->silent = 1;
        qev *e = ev_push(z, ZSUB_SILENT, c, NULL);
        if (e) e->silent_s = quiet_s;
    }
}

/* ---- public API */

SQ_API int zsub_create(zsub **out, const zsub_opts *o, char *err, size_t errlen)
{
    *out = NULL;
    zsub *z = calloc(1, sizeof *z);
    if (!z) return SQ_E_NOMEM;
    int rc = 0;
    if (o->n_topics > ZSUB_MAX_TOPICS) {
        snprintf(err, errlen, "at most %d topics", ZSUB_MAX_TOPICS);
        rc = SQ_E_INVAL;
    }
    for (size_t i = 0; !rc && i < o->n_topics; i++)
        if ((rc = pfx_add_normalised(z, o->topics[i])) != 0)
            snprintf(err, errlen, "topic '%.40s': longer than %d bytes", o->topics[i],
                     ZWIRE_PREFIX_MAX);
    if (!rc && z->n_pfx == 0) rc = pfx_add_normalised(z, "");
    z->everything = z->n_pfx == 1 && z->pfx_len[0] == 0;
    z->replay = !o->no_replay;
    z->from_start = !o->no_from_start;
    z->replay_timeout_s = o->replay_timeout_s > 0 ? o->replay_timeout_s : 5;
    z->rcvhwm = o->rcvhwm;
    z->rcvbuf = o->rcvbuf;
    if (!rc && (o->curve_server_key || o->curve_public_key || o->curve_secret_key)) {
        const char *k[3] = {o->curve_server_key, o->curve_public_key, o->curve_secret_key};
        for (int i = 0; i < 3 && !rc; i++)
            if (!k[i] || strlen(k[i]) != 40) {
                snprintf(err, errlen, "CURVE needs the server, public and secret keys, 40 Z85 chars each");
                rc = SQ_E_CONFIG;
            }
        if (!rc) {
            memcpy(z->curve_server, k[0], 41);
            memcpy(z->curve_pub, k[1], 41);
            memcpy(z->curve_sec, k[2], 41);
            z->curve = 1;
        }
    }
    if (!rc && !(z->ctx = zmq_ctx_new())) {
        snprintf(err, errlen, "zmq: %s", zmq_strerror(errno));
        rc = SQ_E_ZMQ;
    }
    if (rc) {
        zsub_destroy(z);
        return rc;
    }
    *out = z;
    return 0;
}

/* tcp://host:port -> tcp://host:port+1, the documented replay convention. */
static void default_replay(const char *ep, char *out, size_t outlen)
{
    out[0] = '\0';
    if (strncmp(ep, "tcp://", 6) != 0) return;
    const char *colon = strrchr(ep, ':');
    if (!colon || colon < ep + 6) return;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port >= 65535) return;
    int n = snprintf(out, outlen, "%.*s:%ld", (int)(colon - ep), ep, port + 1);
    if (n < 0 || (size_t)n >= outlen) out[0] = '\0'; /* too long: no default */
}

SQ_API int zsub_connect(zsub *z, const char *endpoint, const char *replay_endpoint, int flags)
{
    if (z->n_conns == ZSUB_MAX_CONNS || strlen(endpoint) >= sizeof z->conns[0].ep) return SQ_E_INVAL;
    zconn *c = &z->conns[z->n_conns];
    memset(c, 0, sizeof *c);
    snprintf(c->ep, sizeof c->ep, "%s", endpoint);
    if (replay_endpoint)
        snprintf(c->rep, sizeof c->rep, "%s", replay_endpoint);
    else
        default_replay(endpoint, c->rep, sizeof c->rep);
    c->proxy = (flags & ZSUB_PROXY) != 0;
    c->sub = zmq_socket(z->ctx, ZMQ_SUB);
    if (!c->sub) return SQ_E_ZMQ;
    int zero = 0, one = 1, idle = 10, intvl = 2;
    zmq_setsockopt(c->sub, ZMQ_LINGER, &zero, sizeof zero);
    /* No ZMTP heartbeats here: on a SUB whose queue is full they time the
     * connection out and libzmq 4.3 then aborts (_input_stopped, zeromq/libzmq
     * #3937, #4767). Liveness comes from the publishers' _hb (ZSUB_SILENT);
     * TCP keepalive notices a dead host so libzmq reconnects. */
    zmq_setsockopt(c->sub, ZMQ_TCP_KEEPALIVE, &one, sizeof one);
    zmq_setsockopt(c->sub, ZMQ_TCP_KEEPALIVE_IDLE, &idle, sizeof idle);
    zmq_setsockopt(c->sub, ZMQ_TCP_KEEPALIVE_INTVL, &intvl, sizeof intvl);
    if (z->rcvhwm) {
        int hwm = z->rcvhwm < 0 ? 0 : z->rcvhwm; /* libzmq: 0 = no limit */
        zmq_setsockopt(c->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    }
    if (z->rcvbuf > 0) zmq_setsockopt(c->sub, ZMQ_RCVBUF, &z->rcvbuf, sizeof z->rcvbuf);
    if (z->curve) {
        zmq_setsockopt(c->sub, ZMQ_CURVE_SERVERKEY, z->curve_server, 40);
        zmq_setsockopt(c->sub, ZMQ_CURVE_PUBLICKEY, z->curve_pub, 40);
        zmq_setsockopt(c->sub, ZMQ_CURVE_SECRETKEY, z->curve_sec, 40);
    }
    for (size_t i = 0; i < z->n_pfx; i++)
        zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, z->pfx[i], z->pfx_len[i]);
    if (!z->everything) /* digests and liveness */
        zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, ZWIRE_HB_TOPIC, ZWIRE_HB_TOPIC_LEN);
    if (zmq_connect(c->sub, c->ep) != 0) {
        zmq_close(c->sub);
        c->sub = NULL;
        return SQ_E_ZMQ;
    }
    if (z->replay && c->rep[0]) dealer_open(z, c);
    c->last_ns = sq_clock_mono_ns();
    z->n_conns++;
    return 0;
}

static void fill_event(const qev *q, zsub_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = q->kind;
    ev->endpoint = q->endpoint;
    ev->pub = q->pub;
    ev->old_pub = q->old_pub;
    ev->topic = q->topic;
    ev->why = q->why;
    ev->alert = q->alert;
    ev->recovered = q->recovered;
    ev->exact = q->exact;
    ev->count = q->count;
    ev->lo = q->lo;
    ev->hi = q->hi;
    ev->silent_s = q->silent_s;
}

SQ_API int zsub_next(zsub *z, zsub_event *ev, int timeout_ms)
{
    proto_alert_destroy(z->cur.alert);
    z->cur.alert = NULL;
    int64_t end = timeout_ms < 0 ? INT64_MAX : sq_clock_mono_ns() + (int64_t)timeout_ms * 1000000;
    for (int polled = 0;; polled = 1) {
        if (ev_pop(z, &z->cur)) {
            fill_event(&z->cur, ev);
            return 1;
        }
        int64_t now = sq_clock_mono_ns();
        if (polled && now >= end) return 0;
        long wait = now >= end ? 0 : (end - now) / 1000000 + 1;
        if (wait > ZSUB_TICK_MS) wait = ZSUB_TICK_MS;
        zmq_pollitem_t items[ZSUB_MAX_CONNS * 2];
        int n = 0;
        for (size_t i = 0; i < z->n_conns; i++) {
            items[n++] = (zmq_pollitem_t){z->conns[i].sub, 0, ZMQ_POLLIN, 0};
            if (z->conns[i].dealer)
                items[n++] = (zmq_pollitem_t){z->conns[i].dealer, 0, ZMQ_POLLIN, 0};
        }
        int prc = zmq_poll(items, n, wait);
        if (prc < 0 && errno != EINTR) return SQ_E_ZMQ;
        now = sq_clock_mono_ns();
        for (size_t i = 0; i < z->n_conns; i++) {
            drain_sub(z, &z->conns[i]);
            drain_dealer(z, &z->conns[i]);
            housekeep(z, &z->conns[i], now);
        }
        if (prc < 0 && z->nev == 0) return 0; /* a signal: let the caller look at it */
    }
}

SQ_API void zsub_finish(zsub *z)
{
    for (size_t i = 0; i < z->n_conns; i++) {
        zconn *c = &z->conns[i];
        for (size_t k = 0; k < c->n_pubs; k++) pub_abandon(z, c, c->pubs[k], "still missing at exit");
        c->nq = 0;
        c->active = 0;
    }
}

SQ_API void zsub_get_stats(const zsub *z, zsub_stats *out) { *out = z->st; }

SQ_API void zsub_destroy(zsub *z)
{
    if (!z) return;
    for (size_t i = 0; i < z->n_conns; i++) {
        zconn *c = &z->conns[i];
        if (c->sub) zmq_close(c->sub);
        if (c->dealer) zmq_close(c->dealer);
        for (size_t k = 0; k < c->n_pubs; k++) pub_free(c->pubs[k]);
        free(c->pubs);
        free(c->q);
    }
    qev q;
    while (ev_pop(z, &q)) proto_alert_destroy(q.alert);
    proto_alert_destroy(z->cur.alert);
    free(z->evq);
    for (size_t i = 0; i < z->n_pfx; i++) free(z->pfx[i]);
    if (z->ctx) zmq_ctx_term(z->ctx);
    free(z);
}
