/* say_recv.c -- the minimal receive path of squawk say: a ZeroMQ SUB socket and proto_alert_decode. */
#include "say_recv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../core/clock.h"
#include "../core/log.h"

struct say_recv {
    void *ctx, *sub;
    uint64_t bad;
};

say_recv *say_recv_open(const char *const *endpoints, int n_endpoints, const char *const *topics,
                        int n_topics, char *err, size_t errlen)
{
    say_recv *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->ctx = zmq_ctx_new();
    r->sub = r->ctx ? zmq_socket(r->ctx, ZMQ_SUB) : NULL;
    if (!r->sub) {
        snprintf(err, errlen, "zmq socket: %s", zmq_strerror(errno));
        say_recv_close(r);
        return NULL;
    }
    int zero = 0, ivl = 2000, tmo = 10000;
    zmq_setsockopt(r->sub, ZMQ_LINGER, &zero, sizeof zero);
    /* A dead publisher is noticed and reconnected, not waited on forever. */
    zmq_setsockopt(r->sub, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(r->sub, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo);
    if (n_topics == 0) zmq_setsockopt(r->sub, ZMQ_SUBSCRIBE, "", 0);
    for (int i = 0; i < n_topics; i++)
        zmq_setsockopt(r->sub, ZMQ_SUBSCRIBE, topics[i], strlen(topics[i]));
    for (int i = 0; i < n_endpoints; i++)
        if (zmq_connect(r->sub, endpoints[i]) != 0) {
            snprintf(err, errlen, "connect %s: %s", endpoints[i], zmq_strerror(errno));
            say_recv_close(r);
            return NULL;
        }
    return r;
}

void say_recv_close(say_recv *r)
{
    if (!r) return;
    if (r->sub) zmq_close(r->sub);
    if (r->ctx) zmq_ctx_term(r->ctx);
    free(r);
}

uint64_t say_recv_bad(const say_recv *r) { return r->bad; }

/* One two-frame message from the socket; 1 alert, 0 nothing usable. */
static int take(say_recv *r, proto_alert **out, int64_t *rx_ns)
{
    zmq_msg_t t, d;
    zmq_msg_init(&t);
    if (zmq_msg_recv(&t, r->sub, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&t);
        return -1;
    }
    int64_t now = sq_clock_mono_ns();
    int more = zmq_msg_more(&t);
    zmq_msg_init(&d);
    if (more) zmq_msg_recv(&d, r->sub, 0);
    while (zmq_msg_more(&d)) zmq_msg_recv(&d, r->sub, 0); /* keep the last frame */
    const char *topic = zmq_msg_data(&t);
    size_t tl = zmq_msg_size(&t);
    int got = 0;
    if (tl == 3 && memcmp(topic, "_hb", 3) == 0) {
        /* heartbeats: liveness for squawk sub, nothing to say */
    } else {
        char why[160] = "";
        proto_alert *a = NULL;
        int rc = more ? proto_alert_decode(zmq_msg_data(&d), zmq_msg_size(&d), &a, why, sizeof why)
                      : -1;
        if (rc != 0) {
            r->bad++;
            sq_log_limited(SQ_LOG_WARN, "say.bad_alert", "topic=%.*s reason=\"%s\" bad=%llu",
                           (int)(tl > 64 ? 64 : tl), topic, more ? why : "one frame",
                           (unsigned long long)r->bad);
            proto_alert_destroy(a);
        } else {
            *out = a;
            *rx_ns = now;
            got = 1;
        }
    }
    zmq_msg_close(&d);
    zmq_msg_close(&t);
    return got;
}

int say_recv_next(say_recv *r, int timeout_ms, proto_alert **out, int64_t *rx_ns)
{
    int64_t deadline = sq_clock_mono_ns() + (int64_t)timeout_ms * 1000000LL;
    for (;;) {
        int got;
        while ((got = take(r, out, rx_ns)) >= 0)
            if (got == 1) return 1;
        int64_t left = deadline - sq_clock_mono_ns();
        if (left <= 0) return 0;
        zmq_pollitem_t it = {r->sub, 0, ZMQ_POLLIN, 0};
        long ms = (long)((left + 999999) / 1000000);
        if (zmq_poll(&it, 1, ms) < 0) return 0; /* EINTR: let the caller look at its signals */
        if (!(it.revents & ZMQ_POLLIN)) return 0;
    }
}
