/* cmd_proxy.c -- squawk proxy: an XSUB/XPUB forwarder so many publishers fan in to one address, and a replay router to the right publisher. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "../core/clock.h"
#include "../proto/alert.h"
#include "../sinks/zwire.h"
#include "commands.h"

static const char usage[] =
    "usage: squawk proxy [--frontend EP]... [--publisher EP]... [--backend EP]... [--replay EP]\n"
    "\n"
    "Forwards alerts from many squawk publishers to one address (zmq_proxy).\n"
    "  --frontend EP   bind the XSUB side here; publishers connect to it\n"
    "                  (zmq sink endpoint \">tcp://host:port\"). Default tcp://*:5560\n"
    "  --publisher EP  connect the XSUB side to a publisher's bound endpoint\n"
    "  --backend EP    bind the XPUB side here; subscribers connect. Default tcp://*:5561\n"
    "  --sndhwm N      messages queued per subscriber before the proxy drops for it\n"
    "                  (default 1000; subscribers find and replay what was dropped)\n"
    "  --replay EP     bind the replay router here (default: the first tcp backend's\n"
    "                  port + 1; 'none' = no replay). A REPLAY request naming a pub\n"
    "                  goes to the replay endpoint that publisher announces in its\n"
    "                  heartbeats; the answer comes back through the proxy.\n"
    "SIGINT/SIGTERM stop the proxy cleanly.\n";

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

#define PROXY_MAX_EP 32
#define PROXY_MAX_PUBS 64
#define PROXY_MAX_WAIT 256          /* requests queued per publisher */
#define PROXY_UPSTREAM_TIMEOUT_S 10 /* no answer from a publisher for this long: fail its queue */

/* A publisher's replay socket, learnt from its heartbeats. Answers come back
 * in request order, each ending with END or ERR, so a FIFO of requester
 * identities tells whom each answer frame is for. */
typedef struct upstream {
    char pub[64], rep[256];
    void *dealer;
    zmq_msg_t wait[PROXY_MAX_WAIT];
    size_t head, n;
    int64_t last_ns; /* last heartbeat, then last answer while requests wait */
} upstream;

typedef struct proxy {
    void *ctx, *xsub, *xpub, *router;
    upstream up[PROXY_MAX_PUBS];
    size_t n_up;
    unsigned long long forwarded, requests, refused;
} proxy;

static void ctl_reply(void *router, zmq_msg_t *ident, const char *text)
{
    zmq_msg_t id;
    zmq_msg_init(&id);
    zmq_msg_copy(&id, ident);
    if (zmq_msg_send(&id, router, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        return;
    }
    zmq_send(router, text, strlen(text), ZMQ_DONTWAIT);
}

static void up_fail_all(proxy *p, upstream *u, const char *why)
{
    while (u->n) {
        zmq_msg_t *id = &u->wait[u->head];
        ctl_reply(p->router, id, why);
        zmq_msg_close(id);
        u->head = (u->head + 1) % PROXY_MAX_WAIT;
        u->n--;
    }
}

static void up_connect(proxy *p, upstream *u)
{
    if (u->dealer) zmq_close(u->dealer);
    u->dealer = zmq_socket(p->ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(u->dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(u->dealer, ZMQ_RCVHWM, &zero, sizeof zero);
    if (zmq_connect(u->dealer, u->rep) != 0)
        fprintf(stderr, "squawk proxy: connect %s: %s\n", u->rep, zmq_strerror(errno));
}

/* "tcp://0.0.0.0:5556" is where the publisher bound, not where to reach it:
 * the host it sent its heartbeat from is. */
static void reachable(const char *rep, zmq_msg_t *hb, char *out, size_t outlen)
{
    const char *peer = zmq_msg_gets(hb, "Peer-Address");
    const char *wild[] = {"tcp://0.0.0.0:", "tcp://*:", "tcp://[::]:"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(wild[i]);
        if (peer && strncmp(rep, wild[i], n) == 0) {
            snprintf(out, outlen, strchr(peer, ':') ? "tcp://[%s]:%s" : "tcp://%s:%s", peer, rep + n);
            return;
        }
    }
    snprintf(out, outlen, "%s", rep);
}

static void learn(proxy *p, zmq_msg_t *body)
{
    proto_heartbeat hb;
    if (proto_heartbeat_decode(zmq_msg_data(body), zmq_msg_size(body), &hb) != 0 || !hb.rep[0])
        return;
    char rep[256];
    reachable(hb.rep, body, rep, sizeof rep);
    upstream *u = NULL;
    for (size_t i = 0; i < p->n_up && !u; i++)
        if (strcmp(p->up[i].pub, hb.pub) == 0) u = &p->up[i];
    if (!u) {
        if (p->n_up == PROXY_MAX_PUBS) { /* forget the one silent longest */
            size_t old = 0;
            for (size_t i = 1; i < p->n_up; i++)
                if (p->up[i].last_ns < p->up[old].last_ns) old = i;
            up_fail_all(p, &p->up[old], ZWIRE_ERR " publisher forgotten");
            zmq_close(p->up[old].dealer);
            p->up[old] = p->up[--p->n_up];
        }
        u = &p->up[p->n_up++];
        memset(u, 0, sizeof *u);
        snprintf(u->pub, sizeof u->pub, "%s", hb.pub);
        fprintf(stderr, "squawk proxy: publisher %s replays at %s\n", hb.pub, rep);
    }
    if (!u->n) u->last_ns = sq_clock_mono_ns();
    if (strcmp(u->rep, rep) != 0 || !u->dealer) {
        up_fail_all(p, u, ZWIRE_ERR " publisher moved");
        snprintf(u->rep, sizeof u->rep, "%s", rep);
        up_connect(p, u);
    }
}

/* Forwards one whole message from src to dst, peeking at heartbeats. */
static void forward(proxy *p, void *src, void *dst, int peek)
{
    zmq_msg_t m;
    int first = 1, hb = 0;
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, src, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        int more = zmq_msg_more(&m);
        if (peek && first)
            hb = zmq_msg_size(&m) == ZWIRE_HB_TOPIC_LEN &&
                 memcmp(zmq_msg_data(&m), ZWIRE_HB_TOPIC, ZWIRE_HB_TOPIC_LEN) == 0;
        else if (peek && hb && !more)
            learn(p, &m);
        first = 0;
        if (zmq_msg_send(&m, dst, more ? ZMQ_SNDMORE : 0) < 0) zmq_msg_close(&m);
        if (!more) {
            p->forwarded++;
            return;
        }
    }
}

/* ident [empty] body from a subscriber: route by its "pub" line. */
static void on_request(proxy *p)
{
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, p->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        return;
    }
    zmq_msg_init(&body);
    /* The body is the last frame; a REQ-style empty delimiter before it is skipped. */
    for (int more = zmq_msg_more(&id); more; more = zmq_msg_more(&body))
        if (zmq_msg_recv(&body, p->router, 0) < 0) break;
    static zwire_req req;
    const char *why = NULL;
    int bad = zwire_parse_request(zmq_msg_data(&body), zmq_msg_size(&body), &req, &why) != 0;
    upstream *u = NULL;
    for (size_t i = 0; !bad && i < p->n_up && !u; i++)
        if (strcmp(p->up[i].pub, req.pub) == 0) u = &p->up[i];
    p->requests++;
    if (!u || u->n == PROXY_MAX_WAIT) {
        p->refused++;
        char msg[96];
        snprintf(msg, sizeof msg, ZWIRE_ERR " %s",
                 bad ? why : !req.pub[0] ? "request names no pub" : !u ? "unknown publisher" : "busy");
        ctl_reply(p->router, &id, msg);
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        return;
    }
    if (zmq_msg_send(&body, u->dealer, ZMQ_DONTWAIT) < 0) {
        ctl_reply(p->router, &id, ZWIRE_ERR " busy");
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        return;
    }
    if (!u->n) u->last_ns = sq_clock_mono_ns();
    u->wait[(u->head + u->n++) % PROXY_MAX_WAIT] = id; /* the FIFO owns it now */
}

/* An answer frame set from a publisher goes to the requester at the head. */
static void on_answer(proxy *p, upstream *u)
{
    for (;;) {
        zmq_msg_t f[2];
        zmq_msg_init(&f[0]);
        if (zmq_msg_recv(&f[0], u->dealer, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f[0]);
            return;
        }
        int nf = 1;
        zmq_msg_init(&f[1]);
        while (zmq_msg_more(&f[nf - 1]) && nf < 2 && zmq_msg_recv(&f[1], u->dealer, 0) >= 0) nf++;
        u->last_ns = sq_clock_mono_ns();
        const char *d = zmq_msg_data(&f[0]);
        size_t dl = zmq_msg_size(&f[0]);
        int last = nf == 1 && ((dl >= 3 && memcmp(d, ZWIRE_END, 3) == 0) ||
                               (dl >= 3 && memcmp(d, ZWIRE_ERR, 3) == 0));
        if (u->n) {
            zmq_msg_t id;
            zmq_msg_init(&id);
            zmq_msg_copy(&id, &u->wait[u->head]);
            if (zmq_msg_send(&id, p->router, ZMQ_SNDMORE) < 0) zmq_msg_close(&id);
            for (int i = 0; i < nf; i++)
                if (zmq_msg_send(&f[i], p->router, i + 1 < nf ? ZMQ_SNDMORE : 0) < 0)
                    zmq_msg_close(&f[i]);
            if (last) {
                zmq_msg_close(&u->wait[u->head]);
                u->head = (u->head + 1) % PROXY_MAX_WAIT;
                u->n--;
            }
        }
        zmq_msg_close(&f[0]);
        zmq_msg_close(&f[1]);
    }
}

static void proxy_loop(proxy *p)
{
    while (!stop_flag) {
        zmq_pollitem_t it[3 + PROXY_MAX_PUBS];
        int n = 0;
        it[n++] = (zmq_pollitem_t){p->xsub, 0, ZMQ_POLLIN, 0};
        it[n++] = (zmq_pollitem_t){p->xpub, 0, ZMQ_POLLIN, 0};
        if (p->router) it[n++] = (zmq_pollitem_t){p->router, 0, ZMQ_POLLIN, 0};
        for (size_t i = 0; i < p->n_up; i++) it[n++] = (zmq_pollitem_t){p->up[i].dealer, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(it, n, 200) < 0 && errno != EINTR) break;
        for (int k = 0; k < 256 && (it[0].revents & ZMQ_POLLIN); k++) {
            forward(p, p->xsub, p->xpub, 1);
            int ev = 0;
            size_t sz = sizeof ev;
            zmq_getsockopt(p->xsub, ZMQ_EVENTS, &ev, &sz);
            if (!(ev & ZMQ_POLLIN)) break;
        }
        if (it[1].revents & ZMQ_POLLIN) forward(p, p->xpub, p->xsub, 0);
        if (p->router && (it[2].revents & ZMQ_POLLIN)) on_request(p);
        int64_t now = sq_clock_mono_ns();
        for (size_t i = 0; i < p->n_up; i++) {
            upstream *u = &p->up[i];
            on_answer(p, u);
            if (u->n && now - u->last_ns > PROXY_UPSTREAM_TIMEOUT_S * 1000000000LL) {
                up_fail_all(p, u, ZWIRE_ERR " publisher did not answer");
                up_connect(p, u); /* late answers must not reach the next requester */
            }
        }
    }
}

/* tcp://host:port -> tcp://host:port+1 (the replay convention); "" otherwise. */
static void port_plus_one(const char *ep, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *colon = strrchr(ep, ':');
    if (strncmp(ep, "tcp://", 6) != 0 || !colon) return;
    long port = strtol(colon + 1, NULL, 10);
    if (port > 0 && port < 65535) snprintf(out, outlen, "%.*s:%ld", (int)(colon - ep), ep, port + 1);
}

static int bind_all(void *sock, const char *const *eps, int n, int connect)
{
    for (int i = 0; i < n; i++)
        if ((connect ? zmq_connect(sock, eps[i]) : zmq_bind(sock, eps[i])) != 0) {
            fprintf(stderr, "squawk proxy: %s %s: %s\n", connect ? "connect" : "bind", eps[i],
                    zmq_strerror(errno));
            return -1;
        }
    return 0;
}

static void print_ep(void *sock, const char *what)
{
    char ep[256];
    size_t sz = sizeof ep;
    if (sock && zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &sz) == 0)
        fprintf(stderr, "squawk proxy: %s %s\n", what, ep);
}

int cmd_proxy(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    const char *front[PROXY_MAX_EP], *pubs[PROXY_MAX_EP], *back[PROXY_MAX_EP], *replay = NULL;
    int nf = 0, np = 0, nb = 0, sndhwm = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (i + 1 >= argc) {
            fprintf(stderr, "squawk proxy: '%s' needs a value or is unknown\n%s", o, usage);
            return 2;
        }
        if (strcmp(o, "--frontend") == 0 && nf < PROXY_MAX_EP)
            front[nf++] = argv[++i];
        else if (strcmp(o, "--publisher") == 0 && np < PROXY_MAX_EP)
            pubs[np++] = argv[++i];
        else if (strcmp(o, "--backend") == 0 && nb < PROXY_MAX_EP)
            back[nb++] = argv[++i];
        else if (strcmp(o, "--replay") == 0)
            replay = argv[++i];
        else if (strcmp(o, "--sndhwm") == 0)
            sndhwm = atoi(argv[++i]);
        else {
            fprintf(stderr, "squawk proxy: unknown option '%s'\n%s", o, usage);
            return 2;
        }
    }
    if (nf == 0 && np == 0) front[nf++] = "tcp://*:5560";
    if (nb == 0) back[nb++] = "tcp://*:5561";
    char rep[256] = "";
    if (!replay) port_plus_one(back[0], rep, sizeof rep);
    else if (strcmp(replay, "none") != 0) snprintf(rep, sizeof rep, "%s", replay);

    /* No SA_RESTART: the signal must make zmq_poll fail with EINTR. */
    cli_on_stop_signals(on_signal);

    static proxy P;
    proxy *p = &P;
    memset(p, 0, sizeof *p);
    int rc = 1, zero = 0;
    p->ctx = zmq_ctx_new();
    p->xsub = zmq_socket(p->ctx, ZMQ_XSUB);
    p->xpub = zmq_socket(p->ctx, ZMQ_XPUB);
    zmq_setsockopt(p->xsub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(p->xpub, ZMQ_LINGER, &zero, sizeof zero);
    if (sndhwm > 0) zmq_setsockopt(p->xpub, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm);
    if (bind_all(p->xsub, front, nf, 0) || bind_all(p->xsub, pubs, np, 1) ||
        bind_all(p->xpub, back, nb, 0))
        goto out;
    if (rep[0]) {
        p->router = zmq_socket(p->ctx, ZMQ_ROUTER);
        zmq_setsockopt(p->router, ZMQ_LINGER, &zero, sizeof zero);
        /* A ROUTER drops silently at its HWM (1000): two publishers' answers to
         * a slow subscriber overflowed it, the END went too, and the subscriber
         * timed out with messages lost. The dealers already take the answers
         * without a limit (RCVHWM 0); the requests bound them. */
        zmq_setsockopt(p->router, ZMQ_SNDHWM, &zero, sizeof zero);
        const char *r[] = {rep};
        if (bind_all(p->router, r, 1, 0)) goto out;
        /* Heartbeats name each publisher's replay socket: always receive them. */
        zmq_send(p->xsub, "\001" ZWIRE_HB_TOPIC, 1 + ZWIRE_HB_TOPIC_LEN, 0);
    }
    /* Resolved endpoints (tcp://...:* binds pick a port) so scripts can find us. */
    if (nf) print_ep(p->xsub, "frontend");
    print_ep(p->xpub, "backend");
    print_ep(p->router, "replay");
    fflush(stderr);
    proxy_loop(p);
    fprintf(stderr, "squawk proxy: stopped; forwarded=%llu replay_requests=%llu refused=%llu\n",
            p->forwarded, p->requests, p->refused);
    rc = 0;
out:
    for (size_t i = 0; i < p->n_up; i++) {
        up_fail_all(p, &p->up[i], ZWIRE_ERR " proxy stopping");
        zmq_close(p->up[i].dealer);
    }
    if (p->router) zmq_close(p->router);
    zmq_close(p->xsub);
    zmq_close(p->xpub);
    zmq_ctx_term(p->ctx);
    return rc;
}
