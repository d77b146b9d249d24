/* cmd_sub.c -- squawk sub: the desk-side subscriber with gap detection, replay and loss reports. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "../core/clock.h"
#include "../proto/alert.h"
#include "commands.h"

static const char usage[] =
    "usage: squawk sub -c ENDPOINT [-c ENDPOINT ...] [options]\n"
    "\n"
    "Subscribes to squawk alert publishers and prints one line per alert.\n"
    "  -c, --connect EP         publisher endpoint (tcp://host:port, ipc://path); repeatable\n"
    "  --replay-endpoint EP     replay socket of the publisher given just before; default\n"
    "                           for tcp:// is the same host at port+1; 'none' disables\n"
    "  --topic PREFIX           subscribe to topics starting with PREFIX (\"invest.\",\n"
    "                           \"chips.NVDA\"); repeatable; default all\n"
    "  --json                   one JSON object per line (for piping)\n"
    "  --count N                exit 0 after N alerts\n"
    "  --timeout SECONDS        stop after this long; exit 1 if --count was not reached\n"
    "  --replay / --no-replay   ask the replay socket for missed sequence numbers (default on)\n"
    "  --from-start / --no-from-start\n"
    "                           on joining, also fetch what the publisher sent before (default on)\n"
    "  --replay-timeout SECONDS give up on a replay answer after this long (default 5)\n"
    "  --curve-server-key Z85   the publisher's CURVE public key\n"
    "  --curve-key PREFIX       our key pair from 'squawk keygen' (PREFIX.key, PREFIX.pub)\n"
    "  -q, --quiet              no gap/recovery notes on stderr (losses are still reported)\n"
    "Gaps, recoveries and losses go to stderr as 'squawk sub: ...' lines, e.g.\n"
    "  squawk sub: lost seq 10-19 from pub X: GONE\n"
    "and a summary line at exit: received, recovered, lost, duplicates.\n";

#define SUB_MAX_CONNS 16
#define SUB_MAX_TOPICS 32
#define SUB_MAX_PUBS 16
#define SUB_REQ_SPAN 10000 /* merge nearby gaps into one request up to this many seqs */

typedef struct range {
    uint64_t lo, hi;
} range;

typedef struct pubstate {
    char id[64];
    uint64_t high; /* highest seq seen */
    range *miss;   /* sorted, disjoint */
    size_t n_miss, cap_miss;
    uint64_t recovered_in_req;
} pubstate;

typedef struct conn {
    char ep[256], replay_ep[256];
    void *sub, *dealer;
    pubstate pubs[SUB_MAX_PUBS];
    size_t n_pubs;
    int req_active;
    char req_pub[64];
    uint64_t req_lo, req_hi;
    int64_t req_deadline;
    int64_t last_msg_ns;
    int dead_warned;
} conn;

typedef struct sub_opts {
    const char *topics[SUB_MAX_TOPICS];
    int n_topics;
    int json, replay, from_start, quiet, color;
    long long count;
    double timeout_s, replay_timeout_s;
    char curve_server[41], curve_pub[41], curve_sec[41];
    int curve;
} sub_opts;

typedef struct sub_stats {
    uint64_t received, recovered, lost, duplicates, filtered, bad;
} sub_stats;

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

static sub_opts O;
static sub_stats S;
static void *ctx;

/* ---- missing ranges */

static int miss_add(pubstate *p, uint64_t lo, uint64_t hi)
{
    if (lo > hi) return 0;
    if (p->n_miss == p->cap_miss) {
        size_t cap = p->cap_miss ? p->cap_miss * 2 : 8;
        range *r = realloc(p->miss, cap * sizeof *r);
        if (!r) return -1;
        p->miss = r;
        p->cap_miss = cap;
    }
    /* Gaps are found in increasing order, so this is an append in practice. */
    size_t i = p->n_miss;
    while (i > 0 && p->miss[i - 1].lo > lo) i--;
    memmove(&p->miss[i + 1], &p->miss[i], (p->n_miss - i) * sizeof *p->miss);
    p->miss[i] = (range){lo, hi};
    p->n_miss++;
    return 0;
}

/* Removes seq from the missing set; 1 when it was missing. */
static int miss_take(pubstate *p, uint64_t s)
{
    for (size_t i = 0; i < p->n_miss; i++) {
        range *r = &p->miss[i];
        if (s < r->lo || s > r->hi) continue;
        if (r->lo == r->hi) {
            memmove(r, r + 1, (p->n_miss - i - 1) * sizeof *r);
            p->n_miss--;
        } else if (s == r->lo) {
            r->lo++;
        } else if (s == r->hi) {
            r->hi--;
        } else {
            uint64_t hi = r->hi;
            r->hi = s - 1;
            miss_add(p, s + 1, hi);
        }
        return 1;
    }
    return 0;
}

/* Reports and forgets every missing seq in [lo, hi]. */
static void miss_lose(pubstate *p, uint64_t lo, uint64_t hi, const char *why)
{
    size_t i = 0;
    while (i < p->n_miss) {
        range *r = &p->miss[i];
        if (r->hi < lo || r->lo > hi) {
            i++;
            continue;
        }
        uint64_t a = r->lo > lo ? r->lo : lo, b = r->hi < hi ? r->hi : hi;
        if (a == b)
            fprintf(stderr, "squawk sub: lost seq %" PRIu64 " from pub %s: %s\n", a, p->id, why);
        else
            fprintf(stderr, "squawk sub: lost seq %" PRIu64 "-%" PRIu64 " from pub %s: %s\n", a, b,
                    p->id, why);
        S.lost += b - a + 1;
        if (a == r->lo && b == r->hi) {
            memmove(r, r + 1, (p->n_miss - i - 1) * sizeof *r);
            p->n_miss--;
            continue;
        }
        if (a == r->lo) {
            r->lo = b + 1;
        } else if (b == r->hi) {
            r->hi = a - 1;
        } else {
            uint64_t h = r->hi;
            r->hi = a - 1;
            miss_add(p, b + 1, h);
        }
        i++;
    }
}

/* ---- publishers seen on a connection */

static void pub_forget(conn *c, size_t i)
{
    free(c->pubs[i].miss);
    memmove(&c->pubs[i], &c->pubs[i + 1], (c->n_pubs - i - 1) * sizeof c->pubs[0]);
    c->n_pubs--;
}

static pubstate *pub_get(conn *c, const char *id)
{
    for (size_t i = 0; i < c->n_pubs; i++)
        if (strcmp(c->pubs[i].id, id) == 0) return &c->pubs[i];
    /* A direct connection with a replay socket has one publisher at a time, so
     * a new id there means it restarted; behind a proxy several ids are normal. */
    if (c->replay_ep[0] && c->n_pubs > 0) {
        for (size_t i = 0; i < c->n_pubs; i++) {
            fprintf(stderr, "squawk sub: publisher restart on %s: pub %s -> %s\n", c->ep,
                    c->pubs[i].id, id);
            miss_lose(&c->pubs[i], 1, UINT64_MAX, "publisher restarted");
        }
        while (c->n_pubs) pub_forget(c, 0);
        c->req_active = 0; /* its answers, if any, are dropped by pub id */
    } else if (c->n_pubs == SUB_MAX_PUBS) {
        miss_lose(&c->pubs[0], 1, UINT64_MAX, "too many publishers");
        pub_forget(c, 0);
    }
    pubstate *p = &c->pubs[c->n_pubs++];
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", id);
    if (!O.quiet) fprintf(stderr, "squawk sub: publisher %s on %s\n", id, c->ep);
    return p;
}

/* A gap [lo, hi] was seen: ask for it, or report it lost right away. */
static void gap(conn *c, pubstate *p, uint64_t lo, uint64_t hi)
{
    if (lo > hi) return;
    miss_add(p, lo, hi);
    if (!O.replay || !c->replay_ep[0]) {
        miss_lose(p, lo, hi, O.replay ? "no replay endpoint" : "replay off");
        return;
    }
    if (!O.quiet) {
        if (lo == hi)
            fprintf(stderr, "squawk sub: gap seq %" PRIu64 " from pub %s\n", lo, p->id);
        else
            fprintf(stderr, "squawk sub: gap seq %" PRIu64 "-%" PRIu64 " from pub %s\n", lo, hi,
                    p->id);
    }
}

/* ---- output */

static int topic_wanted(const char *topic, size_t tlen)
{
    if (O.n_topics == 0) return 1;
    for (int i = 0; i < O.n_topics; i++) {
        size_t n = strlen(O.topics[i]);
        if (n <= tlen && memcmp(topic, O.topics[i], n) == 0) return 1;
    }
    return 0;
}

static void print_alert(const proto_alert *a, const char *topic, int recovered)
{
    if (O.json) {
        char *js = NULL;
        size_t len = 0;
        if (proto_alert_to_json(a, &js, &len) == 0) {
            fwrite(js, 1, len, stdout);
            fputc('\n', stdout);
            free(js);
        }
        return;
    }
    int64_t ns = a->ts.emit_ns ? a->ts.emit_ns : sq_clock_realtime_ns();
    time_t sec = (time_t)(ns / 1000000000LL);
    struct tm tm;
    localtime_r(&sec, &tm);
    const char *ticker = strchr(topic, '.');
    ticker = ticker ? ticker + 1 : "_";
    const char *cat = a->category ? a->category : "?";
    const char *on = "", *off = "";
    if (O.color) {
        off = "\033[0m";
        on = strcmp(cat, "invest") == 0       ? "\033[1;32m"
             : strcmp(cat, "chips") == 0      ? "\033[1;36m"
             : strcmp(cat, "regulatory") == 0 ? "\033[1;33m"
                                              : "\033[1m";
    }
    printf("%02d:%02d:%02d.%03d %s%-10s%s %-8s %5.1f %-9s %s%s\n", tm.tm_hour, tm.tm_min,
           tm.tm_sec, (int)((ns / 1000000) % 1000), on, cat, off, ticker, a->score,
           a->stage ? a->stage : "none", a->article.headline ? a->article.headline : "",
           recovered ? " [replayed]" : "");
}

/* ---- message handling */

static void on_heartbeat(conn *c, const void *data, size_t len)
{
    proto_heartbeat hb;
    if (proto_heartbeat_decode(data, len, &hb) != 0) {
        S.bad++;
        return;
    }
    int fresh = 0;
    pubstate *p = NULL;
    for (size_t i = 0; i < c->n_pubs && !p; i++)
        if (strcmp(c->pubs[i].id, hb.pub) == 0) p = &c->pubs[i];
    if (!p) {
        p = pub_get(c, hb.pub);
        fresh = 1;
    }
    /* Messages before a heartbeat travel the same pipe, so hb.seq > high means
     * they were lost (or sent before we joined). */
    if (hb.seq > p->high) {
        if (!fresh || O.from_start) gap(c, p, p->high + 1, hb.seq);
        p->high = hb.seq;
    }
}

static void on_alert(conn *c, const char *topic, size_t tlen, const void *data, size_t len,
                     int from_replay)
{
    proto_alert *a = NULL;
    char why[128];
    if (proto_alert_decode(data, len, &a, why, sizeof why) != 0 || !a->pub) {
        S.bad++;
        fprintf(stderr, "squawk sub: undecodable alert on %.*s: %s\n", (int)tlen, topic, why);
        proto_alert_destroy(a);
        return;
    }
    pubstate *p = NULL;
    for (size_t i = 0; i < c->n_pubs && !p; i++)
        if (strcmp(c->pubs[i].id, a->pub) == 0) p = &c->pubs[i];
    if (from_replay && (!c->req_active || strcmp(a->pub, c->req_pub) != 0 || !p)) {
        proto_alert_destroy(a); /* an answer meant for a publisher that is gone */
        return;
    }
    int fresh = 0;
    if (!p) {
        p = pub_get(c, a->pub);
        fresh = 1;
    }
    uint64_t s = a->seq;
    int deliver = 0, recovered = 0;
    if (s > p->high) {
        if (!fresh || O.from_start) gap(c, p, p->high + 1, s - 1);
        p->high = s;
        deliver = 1;
        recovered = from_replay;
    } else if (miss_take(p, s)) {
        deliver = 1;
        recovered = 1;
    } else {
        S.duplicates++;
    }
    if (deliver && O.count > 0 && (long long)S.received >= O.count) deliver = 0; /* done already */
    if (deliver) {
        char t[256];
        snprintf(t, sizeof t, "%.*s", (int)tlen, topic);
        if (recovered && c->req_active) p->recovered_in_req++;
        if (topic_wanted(topic, tlen)) {
            S.received++;
            if (recovered) S.recovered++;
            print_alert(a, t, recovered);
        } else {
            S.filtered++;
        }
    }
    proto_alert_destroy(a);
}

/* ---- replay requests */

static void dealer_open(conn *c)
{
    c->dealer = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(c->dealer, ZMQ_LINGER, &zero, sizeof zero);
    int hwm = 0; /* the publisher paces itself; never drop an answer here */
    zmq_setsockopt(c->dealer, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (O.curve) {
        zmq_setsockopt(c->dealer, ZMQ_CURVE_SERVERKEY, O.curve_server, 40);
        zmq_setsockopt(c->dealer, ZMQ_CURVE_PUBLICKEY, O.curve_pub, 40);
        zmq_setsockopt(c->dealer, ZMQ_CURVE_SECRETKEY, O.curve_sec, 40);
    }
    if (zmq_connect(c->dealer, c->replay_ep) != 0)
        fprintf(stderr, "squawk sub: connect %s: %s\n", c->replay_ep, zmq_strerror(errno));
}

static pubstate *req_pub(conn *c)
{
    for (size_t i = 0; i < c->n_pubs; i++)
        if (strcmp(c->pubs[i].id, c->req_pub) == 0) return &c->pubs[i];
    return NULL;
}

static void req_finish(conn *c, const char *why)
{
    pubstate *p = req_pub(c);
    if (p) {
        if (!O.quiet && p->recovered_in_req)
            fprintf(stderr,
                    "squawk sub: recovered %" PRIu64 " in seq %" PRIu64 "-%" PRIu64
                    " from pub %s\n",
                    p->recovered_in_req, c->req_lo, c->req_hi, p->id);
        miss_lose(p, c->req_lo, c->req_hi, why);
        p->recovered_in_req = 0;
    }
    c->req_active = 0;
}

static void req_maybe_send(conn *c)
{
    if (c->req_active || !c->dealer) return;
    for (size_t i = 0; i < c->n_pubs; i++) {
        pubstate *p = &c->pubs[i];
        if (!p->n_miss) continue;
        uint64_t lo = p->miss[0].lo, hi = p->miss[0].hi;
        for (size_t k = 1; k < p->n_miss && p->miss[k].hi - lo < SUB_REQ_SPAN; k++)
            hi = p->miss[k].hi;
        char line[80];
        int n = snprintf(line, sizeof line, "REPLAY %" PRIu64 " %" PRIu64, lo, hi);
        if (zmq_send(c->dealer, line, (size_t)n, ZMQ_DONTWAIT) != n) return;
        c->req_active = 1;
        snprintf(c->req_pub, sizeof c->req_pub, "%s", p->id);
        c->req_lo = lo;
        c->req_hi = hi;
        p->recovered_in_req = 0;
        c->req_deadline = sq_clock_mono_ns() + (int64_t)(O.replay_timeout_s * 1e9);
        return;
    }
}

static void on_control(conn *c, const char *data, size_t len)
{
    char line[96];
    snprintf(line, sizeof line, "%.*s", (int)(len < 95 ? len : 95), data);
    unsigned long long n = 0;
    if (!c->req_active) return;
    pubstate *p = req_pub(c);
    if (sscanf(line, "GONE %llu", &n) == 1) {
        if (p && n > c->req_lo) {
            char why[64];
            snprintf(why, sizeof why, "GONE (oldest held %llu)", n);
            miss_lose(p, c->req_lo, n - 1, why);
        }
    } else if (sscanf(line, "END %llu", &n) == 1) {
        req_finish(c, "not returned by replay");
    } else if (strncmp(line, "ERR", 3) == 0) {
        req_finish(c, line);
    }
}

/* ---- sockets */

static void drain_sub(conn *c)
{
    for (;;) {
        zmq_msg_t t, d;
        zmq_msg_init(&t);
        if (zmq_msg_recv(&t, c->sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&t);
            return;
        }
        c->last_msg_ns = sq_clock_mono_ns();
        if (c->dead_warned) {
            fprintf(stderr, "squawk sub: %s is alive again\n", c->ep);
            c->dead_warned = 0;
        }
        if (!zmq_msg_more(&t)) {
            zmq_msg_close(&t);
            S.bad++;
            continue;
        }
        zmq_msg_init(&d);
        zmq_msg_recv(&d, c->sub, 0);
        while (zmq_msg_more(&d)) zmq_msg_recv(&d, c->sub, 0); /* keep the last frame */
        const char *topic = zmq_msg_data(&t);
        size_t tl = zmq_msg_size(&t);
        if (tl == 3 && memcmp(topic, "_hb", 3) == 0)
            on_heartbeat(c, zmq_msg_data(&d), zmq_msg_size(&d));
        else
            on_alert(c, topic, tl, zmq_msg_data(&d), zmq_msg_size(&d), 0);
        zmq_msg_close(&d);
        zmq_msg_close(&t);
    }
}

static void drain_dealer(conn *c)
{
    for (;;) {
        zmq_msg_t a, b;
        zmq_msg_init(&a);
        if (zmq_msg_recv(&a, c->dealer, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&a);
            return;
        }
        if (!zmq_msg_more(&a)) {
            on_control(c, zmq_msg_data(&a), zmq_msg_size(&a));
        } else {
            zmq_msg_init(&b);
            zmq_msg_recv(&b, c->dealer, 0);
            while (zmq_msg_more(&b)) zmq_msg_recv(&b, c->dealer, 0);
            on_alert(c, zmq_msg_data(&a), zmq_msg_size(&a), zmq_msg_data(&b), zmq_msg_size(&b),
                     1);
            zmq_msg_close(&b);
        }
        zmq_msg_close(&a);
    }
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
    char host[256]; /* a copy: out and ep both live in the conns array */
    size_t hl = (size_t)(colon - ep);
    if (hl >= sizeof host) return;
    memcpy(host, ep, hl);
    host[hl] = '\0';
    int n = snprintf(out, outlen, "%s:%ld", host, port + 1);
    if (n < 0 || (size_t)n >= outlen) out[0] = '\0'; /* too long: no default */
}

static int read_key(const char *path, char out[41])
{
    FILE *f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "squawk sub: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[128] = "";
    if (!fgets(line, sizeof line, f)) line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n \t")] = '\0';
    if (strlen(line) != 40) {
        fprintf(stderr, "squawk sub: %s: not a 40-char Z85 key\n", path);
        return -1;
    }
    memcpy(out, line, 41);
    return 0;
}

static int need(int i, int argc, const char *opt)
{
    if (i + 1 < argc) return 1;
    fprintf(stderr, "squawk sub: %s needs a value\n", opt);
    return 0;
}

int cmd_sub(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    static conn conns[SUB_MAX_CONNS];
    int nc = 0;
    memset(&O, 0, sizeof O);
    memset(&S, 0, sizeof S);
    memset(conns, 0, sizeof conns);
    O.replay = 1;
    O.from_start = 1;
    O.replay_timeout_s = 5;
    const char *server_key = NULL, *key_prefix = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0 || strcmp(a, "--connect") == 0) {
            if (!need(i, argc, a)) return 2;
            if (nc == SUB_MAX_CONNS) {
                fprintf(stderr, "squawk sub: at most %d publishers\n", SUB_MAX_CONNS);
                return 2;
            }
            conn *c = &conns[nc++];
            snprintf(c->ep, sizeof c->ep, "%s", argv[++i]);
            default_replay(c->ep, c->replay_ep, sizeof c->replay_ep);
        } else if (strcmp(a, "--replay-endpoint") == 0) {
            if (!need(i, argc, a)) return 2;
            if (nc == 0) {
                fprintf(stderr, "squawk sub: --replay-endpoint must follow its -c\n");
                return 2;
            }
            const char *r = argv[++i];
            snprintf(conns[nc - 1].replay_ep, sizeof conns[0].replay_ep, "%s",
                     strcmp(r, "none") == 0 ? "" : r);
        } else if (strcmp(a, "--topic") == 0) {
            if (!need(i, argc, a)) return 2;
            if (O.n_topics == SUB_MAX_TOPICS) return 2;
            O.topics[O.n_topics++] = argv[++i];
        } else if (strcmp(a, "--json") == 0) {
            O.json = 1;
        } else if (strcmp(a, "--count") == 0) {
            if (!need(i, argc, a)) return 2;
            O.count = atoll(argv[++i]);
        } else if (strcmp(a, "--timeout") == 0) {
            if (!need(i, argc, a)) return 2;
            O.timeout_s = atof(argv[++i]);
        } else if (strcmp(a, "--replay-timeout") == 0) {
            if (!need(i, argc, a)) return 2;
            O.replay_timeout_s = atof(argv[++i]);
        } else if (strcmp(a, "--replay") == 0) {
            O.replay = 1;
        } else if (strcmp(a, "--no-replay") == 0) {
            O.replay = 0;
        } else if (strcmp(a, "--from-start") == 0) {
            O.from_start = 1;
        } else if (strcmp(a, "--no-from-start") == 0) {
            O.from_start = 0;
        } else if (strcmp(a, "--curve-server-key") == 0) {
            if (!need(i, argc, a)) return 2;
            server_key = argv[++i];
        } else if (strcmp(a, "--curve-key") == 0) {
            if (!need(i, argc, a)) return 2;
            key_prefix = argv[++i];
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            O.quiet = 1;
        } else {
            fprintf(stderr, "squawk sub: unknown option '%s'\n%s", a, usage);
            return 2;
        }
    }
    if (nc == 0) {
        fprintf(stderr, "squawk sub: at least one -c ENDPOINT is needed\n%s", usage);
        return 2;
    }
    if ((server_key != NULL) != (key_prefix != NULL)) {
        fprintf(stderr, "squawk sub: CURVE needs both --curve-server-key and --curve-key\n");
        return 2;
    }
    if (server_key) {
        char path[4096];
        if (strlen(server_key) != 40) {
            fprintf(stderr, "squawk sub: --curve-server-key must be 40 Z85 chars\n");
            return 2;
        }
        memcpy(O.curve_server, server_key, 41);
        snprintf(path, sizeof path, "%s.key", key_prefix);
        if (read_key(path, O.curve_sec) != 0) return 2;
        snprintf(path, sizeof path, "%s.pub", key_prefix);
        if (read_key(path, O.curve_pub) != 0) return 2;
        O.curve = 1;
    }
    O.color = !O.json && isatty(STDOUT_FILENO);
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    ctx = zmq_ctx_new();
    int rc = 0;
    for (int i = 0; i < nc; i++) {
        conn *c = &conns[i];
        c->sub = zmq_socket(ctx, ZMQ_SUB);
        int zero = 0, ivl = 2000, tmo = 10000;
        zmq_setsockopt(c->sub, ZMQ_LINGER, &zero, sizeof zero);
        /* A dead publisher is noticed and reconnected, not waited on forever. */
        zmq_setsockopt(c->sub, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
        zmq_setsockopt(c->sub, ZMQ_HEARTBEAT_TIMEOUT, &tmo, sizeof tmo);
        if (O.curve) {
            zmq_setsockopt(c->sub, ZMQ_CURVE_SERVERKEY, O.curve_server, 40);
            zmq_setsockopt(c->sub, ZMQ_CURVE_PUBLICKEY, O.curve_pub, 40);
            zmq_setsockopt(c->sub, ZMQ_CURVE_SECRETKEY, O.curve_sec, 40);
        }
        if (O.n_topics == 0) {
            zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, "", 0);
        } else {
            for (int t = 0; t < O.n_topics; t++)
                zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, O.topics[t], strlen(O.topics[t]));
            zmq_setsockopt(c->sub, ZMQ_SUBSCRIBE, "_hb", 3); /* gap and liveness detection */
        }
        if (zmq_connect(c->sub, c->ep) != 0) {
            fprintf(stderr, "squawk sub: connect %s: %s\n", c->ep, zmq_strerror(errno));
            rc = 2;
            goto out;
        }
        if (O.replay && c->replay_ep[0]) dealer_open(c);
        c->last_msg_ns = sq_clock_mono_ns();
        if (!O.quiet)
            fprintf(stderr, "squawk sub: connected %s (replay %s)\n", c->ep,
                    c->replay_ep[0] ? c->replay_ep : "none");
    }

    int64_t start = sq_clock_mono_ns();
    int64_t deadline = O.timeout_s > 0 ? start + (int64_t)(O.timeout_s * 1e9) : INT64_MAX;
    zmq_pollitem_t items[SUB_MAX_CONNS * 2];
    while (!stop_flag && (O.count <= 0 || (long long)S.received < O.count)) {
        int64_t now = sq_clock_mono_ns();
        if (now >= deadline) break;
        int n = 0;
        for (int i = 0; i < nc; i++) {
            items[n++] = (zmq_pollitem_t){conns[i].sub, 0, ZMQ_POLLIN, 0};
            items[n++] = (zmq_pollitem_t){conns[i].dealer, 0, conns[i].dealer ? ZMQ_POLLIN : 0, 0};
        }
        long wait_ms = 200;
        if (deadline - now < wait_ms * 1000000LL) wait_ms = (long)((deadline - now) / 1000000) + 1;
        /* A NULL socket item is not allowed: point unused ones at the SUB with no events. */
        for (int i = 0; i < n; i++)
            if (!items[i].socket) items[i].socket = conns[i / 2].sub;
        if (zmq_poll(items, n, wait_ms) < 0 && errno != EINTR) break;
        for (int i = 0; i < nc; i++) {
            conn *c = &conns[i];
            drain_sub(c);
            if (c->dealer) drain_dealer(c);
            now = sq_clock_mono_ns();
            if (c->req_active && now > c->req_deadline) {
                req_finish(c, "replay TIMEOUT");
                zmq_close(c->dealer); /* a fresh socket so a late answer cannot be misread */
                dealer_open(c);
            }
            req_maybe_send(c);
            if (!c->dead_warned && now - c->last_msg_ns > 3500000000LL) {
                fprintf(stderr, "squawk sub: no message or heartbeat from %s for %.1fs\n", c->ep,
                        (now - c->last_msg_ns) / 1e9);
                c->dead_warned = 1;
            }
        }
    }
    if (O.count > 0 && (long long)S.received < O.count) rc = 1;
    /* What is still missing at exit was not recovered: say so. */
    for (int i = 0; i < nc; i++)
        for (size_t k = 0; k < conns[i].n_pubs; k++)
            miss_lose(&conns[i].pubs[k], 1, UINT64_MAX, "still missing at exit");
    fflush(stdout);
    fprintf(stderr,
            "squawk sub: received=%" PRIu64 " recovered=%" PRIu64 " lost=%" PRIu64
            " duplicates=%" PRIu64 "%s\n",
            S.received, S.recovered, S.lost, S.duplicates,
            rc == 1 ? " (count not reached)" : "");
out:
    for (int i = 0; i < nc; i++) {
        if (conns[i].sub) zmq_close(conns[i].sub);
        if (conns[i].dealer) zmq_close(conns[i].dealer);
        while (conns[i].n_pubs) pub_forget(&conns[i], 0);
    }
    zmq_ctx_term(ctx);
    return rc;
}
