/* say_recv.c -- the receive path of squawk say: zsub (gap detection, replay) with its events logged and counted. */
#include "say_recv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../sinks/zsub.h"

struct say_recv {
    zsub *z;
    say_recv_stats st;
};

say_recv *say_recv_open(const say_recv_opts *o, char *err, size_t errlen)
{
    say_recv *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    zsub_opts zo = {.topics = o->topics,
                    .n_topics = (size_t)o->n_topics,
                    .no_replay = o->no_replay,
                    .no_from_start = o->no_from_start,
                    .replay_timeout_s = o->replay_timeout_s};
    if (zsub_create(&r->z, &zo, err, errlen) != 0) {
        free(r);
        return NULL;
    }
    for (int i = 0; i < o->n_conns; i++) {
        const say_recv_conn *c = &o->conns[i];
        if (zsub_connect(r->z, c->ep, c->replay, c->proxy ? ZSUB_PROXY : 0) != 0) {
            snprintf(err, errlen, "connect %s: %s", c->ep, zmq_strerror(errno));
            say_recv_close(r);
            return NULL;
        }
    }
    return r;
}

void say_recv_close(say_recv *r)
{
    if (!r) return;
    zsub_destroy(r->z);
    free(r);
}

/* Everything but an alert: a rate-limited log line and a counter. A lost alert is never said,
 * so losses are warnings; a gap is only news until its recovery or loss is reported. */
static void note(say_recv *r, const zsub_event *ev)
{
    switch (ev->kind) {
    case ZSUB_GAP:
        r->st.gaps++;
        sq_log_limited(SQ_LOG_INFO, "say.gap",
                       "pub=%s topic=\"%s\" missing=%" PRIu64 " seq=%" PRIu64 "-%" PRIu64, ev->pub,
                       ev->topic, ev->count, ev->lo, ev->hi);
        break;
    case ZSUB_RECOVERED:
        sq_log_limited(SQ_LOG_INFO, "say.recovered",
                       "pub=%s topic=\"%s\" count=%" PRIu64 " seq=%" PRIu64 "-%" PRIu64, ev->pub,
                       ev->topic, ev->count, ev->lo, ev->hi);
        break;
    case ZSUB_LOST:
        r->st.lost += ev->count;
        sq_log_limited(SQ_LOG_WARN, "say.lost",
                       "pub=%s topic=\"%s\" count=%" PRIu64 " seq=%" PRIu64 "-%" PRIu64
                       " reason=\"%s\" lost=%" PRIu64,
                       ev->pub, ev->topic, ev->count, ev->lo, ev->hi, ev->why, r->st.lost);
        break;
    case ZSUB_RESTART:
        r->st.restarts++;
        sq_log_limited(SQ_LOG_WARN, "say.restart", "endpoint=%s pub=%s old_pub=%s", ev->endpoint,
                       ev->pub, ev->old_pub);
        break;
    case ZSUB_SILENT:
        r->st.silent++;
        sq_log_limited(SQ_LOG_WARN, "say.silent", "endpoint=%s silent_s=%.1f", ev->endpoint,
                       ev->silent_s);
        break;
    case ZSUB_ALIVE:
        sq_log_limited(SQ_LOG_INFO, "say.alive", "endpoint=%s", ev->endpoint);
        break;
    case ZSUB_BAD:
        r->st.bad++;
        sq_log_limited(SQ_LOG_WARN, "say.bad_alert", "topic=%.64s reason=\"%s\" bad=%" PRIu64,
                       ev->topic, ev->why, r->st.bad);
        break;
    default: /* ZSUB_PUBLISHER: routine */
        break;
    }
}

int say_recv_next(say_recv *r, int timeout_ms, proto_alert **out, int64_t *rx_ns)
{
    int64_t deadline = sq_clock_mono_ns() + (int64_t)timeout_ms * 1000000LL;
    zsub_event ev;
    for (;;) {
        int64_t left = deadline - sq_clock_mono_ns();
        int rc = zsub_next(r->z, &ev, left > 0 ? (int)((left + 999999) / 1000000) : 0);
        if (rc <= 0) return 0; /* timeout, a signal, or a socket error: the caller decides */
        if (ev.kind != ZSUB_ALERT) {
            note(r, &ev);
            if (left <= 0) return 0;
            continue;
        }
        /* zsub lends the alert until its next call; the queue keeps it longer. */
        proto_alert *a = proto_alert_clone(ev.alert);
        if (!a) {
            sq_log_limited(SQ_LOG_ERROR, "say.nomem", "topic=%.64s", ev.topic);
            return 0;
        }
        r->st.recovered += ev.recovered != 0;
        *out = a;
        *rx_ns = sq_clock_mono_ns();
        return 1;
    }
}

void say_recv_finish(say_recv *r)
{
    zsub_finish(r->z);
    zsub_event ev;
    while (zsub_next(r->z, &ev, 0) > 0)
        if (ev.kind != ZSUB_ALERT) note(r, &ev);
}

void say_recv_stats_get(const say_recv *r, say_recv_stats *out) { *out = r->st; }
