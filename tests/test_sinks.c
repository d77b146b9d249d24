/* test_sinks.c -- sinks tests over real sockets: replay, HWM drops, CURVE, squawk sub/proxy/keygen, Python client, Kafka mock, JSON Lines. */
#define _GNU_SOURCE
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "core/clock.h"
#include "core/log.h"
#include "proto/alert.h"
#include "sinks/jsonl.h"
#include "sinks/kafka.h"
#include "sinks/zmq_pub.h"
#include "tests/assert.h"
#include "tests/sub_util.h"

static char tmpdir[256];

/* ---- helpers */

static proto_alert *make_alert(int i, int two_tickers, size_t headline_len)
{
    proto_alert *a = proto_alert_create();
    char buf[64];
    snprintf(buf, sizeof buf, "art-%d", i);
    proto_alert_set(&a->article.id, buf);
    proto_alert_set(&a->category, "invest");
    proto_alert_set(&a->stage, "talks");
    char *h = malloc(headline_len + 64);
    int n = snprintf(h, headline_len + 64, "Amazon in talks to invest in Anthropic, story %d ", i);
    while ((size_t)n < headline_len) h[n++] = 'x';
    h[n] = '\0';
    proto_alert_set(&a->article.headline, h);
    free(h);
    proto_alert_set(&a->article.source, "test");
    proto_alert_set(&a->filter.name, "invest");
    proto_alert_set(&a->filter.version, "1.0");
    a->score = 80 + i % 20;
    a->novelty = 100;
    proto_alert_add_entity(a, "Amazon", "AMZN", "investor", 90);
    if (two_tickers) proto_alert_add_entity(a, "Alphabet", "GOOGL", "investor", 70);
    proto_alert_add_entity(a, "Anthropic", NULL, "target", 95);
    proto_alert_add_amount(a, 4e9, "$4 billion");
    return a;
}

/* Publishes alerts first..first+n-1 (every third with two tickers); returns messages sent. */
static int publish(sink *s, int first, int n, size_t headline_len)
{
    int msgs = 0;
    for (int i = first; i < first + n; i++) {
        proto_alert *a = make_alert(i, i % 3 == 0, headline_len);
        ASSERT_EQ(sink_submit(s, &a, 1, (uint64_t)i), 0);
        msgs += i % 3 == 0 ? 2 : 1;
        proto_alert_destroy(a);
    }
    return msgs;
}

/* Runs the loop until the child exits; returns its exit status (or 128+signal). */
static int wait_child(struct ev_loop *loop, pid_t pid, int timeout_ms)
{
    int64_t end = sq_clock_mono_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (sq_clock_mono_ns() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            SQ_FAIL_("child %d did not exit within %d ms", (int)pid, timeout_ms);
        }
        run_for(loop, 20);
    }
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (*s == '\n') n++;
    return n;
}

static void path(char *out, const char *name) { snprintf(out, 512, "%s/%s", tmpdir, name); }

static const char *squawk_bin(void)
{
    const char *b = getenv("SQUAWK_BIN");
    return b ? b : SQ_BINARY_DIR "/squawk";
}

typedef struct pubfix {
    struct ev_loop *loop;
    sink *s;
    char ep[256], rep[256];
} pubfix;

static void pub_open(pubfix *f, int sndhwm, size_t ring, const char *sec, const char *pub,
                     const char *const *allowed, size_t n_allowed)
{
    static const char *eps[] = {"tcp://127.0.0.1:*"};
    static const char *reps[] = {"tcp://127.0.0.1:*"};
    memset(f, 0, sizeof *f);
    f->loop = ev_loop_new(EVFLAG_AUTO);
    sink_zpub_opts o = {
        .endpoints = eps,
        .n_endpoints = 1,
        .replay_endpoints = reps,
        .n_replay_endpoints = 1,
        .sndhwm = sndhwm,
        .ring_size = ring,
        .heartbeat_ms = 100,
        .curve_secret_key = sec,
        .curve_public_key = pub,
        .allowed_client_keys = allowed,
        .n_allowed_client_keys = n_allowed,
    };
    char err[256] = "";
    int rc = sink_zpub_create(&f->s, f->loop, &o, err, sizeof err);
    if (rc != 0) fprintf(stderr, "create: %s\n", err);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(sink_zpub_endpoint(f->s, 0, f->ep, sizeof f->ep), 0);
    ASSERT_EQ(sink_zpub_endpoint(f->s, 1, f->rep, sizeof f->rep), 0);
}

static void pub_close(pubfix *f)
{
    sink_destroy(f->s);
    ev_loop_destroy(f->loop);
}

/* ---- replay protocol, spoken by a raw DEALER */

static int recv_reply(void *d, struct ev_loop *loop, char *topic, size_t tl, proto_alert **a,
                      char *ctl, size_t cl)
{
    for (int tries = 0; tries < 1000; tries++) {
        zmq_msg_t m1;
        zmq_msg_init(&m1);
        if (zmq_msg_recv(&m1, d, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m1);
            run_for(loop, 10);
            continue;
        }
        if (!zmq_msg_more(&m1)) {
            snprintf(ctl, cl, "%.*s", (int)zmq_msg_size(&m1), (char *)zmq_msg_data(&m1));
            zmq_msg_close(&m1);
            return 1;
        }
        zmq_msg_t m2;
        zmq_msg_init(&m2);
        ASSERT(zmq_msg_recv(&m2, d, 0) >= 0);
        snprintf(topic, tl, "%.*s", (int)zmq_msg_size(&m1), (char *)zmq_msg_data(&m1));
        char why[128] = "";
        int rc = proto_alert_decode(zmq_msg_data(&m2), zmq_msg_size(&m2), a, why, sizeof why);
        if (rc) fprintf(stderr, "decode: %s\n", why);
        ASSERT_EQ(rc, 0);
        zmq_msg_close(&m1);
        zmq_msg_close(&m2);
        return 2;
    }
    SQ_FAIL_("%s", "no replay answer");
}

static void collect(void *ud, const char *line)
{
    strncat(ud, line, 4000 - strlen(ud));
    strncat(ud, "\n", 4000 - strlen(ud));
}

TEST(replay_protocol)
{
    pubfix f;
    pub_open(&f, 0, 10, NULL, NULL, NULL, 0);
    int msgs = publish(f.s, 1, 15, 40); /* 15 alerts, 5 with two tickers -> 20 messages */
    ASSERT_EQ(msgs, 20);
    sink_zpub_stats st;
    sink_zpub_get_stats(f.s, &st);
    ASSERT_EQ(st.last_seq, 20);
    ASSERT_EQ(st.ring_count, 10);
    ASSERT_EQ(st.ring_oldest_seq, 11);

    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    ASSERT_EQ(zmq_connect(d, f.rep), 0);
    ASSERT_EQ(zmq_send(d, "REPLAY 1", 8, 0), 8);
    char topic[64], ctl[64];
    proto_alert *a = NULL;
    ASSERT_EQ(recv_reply(d, f.loop, topic, sizeof topic, &a, ctl, sizeof ctl), 1);
    ASSERT_STR_EQ(ctl, "GONE 11");
    for (uint64_t s = 11; s <= 20; s++) {
        ASSERT_EQ(recv_reply(d, f.loop, topic, sizeof topic, &a, ctl, sizeof ctl), 2);
        ASSERT_EQ(a->seq, s);
        ASSERT_STR_EQ(a->pub, sink_zpub_pub_id(f.s));
        ASSERT(strncmp(topic, "invest.", 7) == 0);
        char id[33];
        proto_alert_make_id(a->article.id, "invest", topic + 7, id);
        ASSERT_STR_EQ(a->id, id);
        ASSERT_GT(a->ts.emit_ns, 0);
        ASSERT_EQ(a->n_entities, strcmp(topic, "invest.GOOGL") == 0 ? 3 : a->n_entities);
        ASSERT_DBL_NEAR(a->amounts[0].usd, 4e9, 1);
        proto_alert_destroy(a);
    }
    ASSERT_EQ(recv_reply(d, f.loop, topic, sizeof topic, &a, ctl, sizeof ctl), 1);
    ASSERT_STR_EQ(ctl, "END 20");

    /* A bounded request: only 15..17, no GONE. */
    ASSERT_EQ(zmq_send(d, "REPLAY 15 17", 12, 0), 12);
    for (uint64_t s = 15; s <= 17; s++) {
        ASSERT_EQ(recv_reply(d, f.loop, topic, sizeof topic, &a, ctl, sizeof ctl), 2);
        ASSERT_EQ(a->seq, s);
        proto_alert_destroy(a);
    }
    ASSERT_EQ(recv_reply(d, f.loop, topic, sizeof topic, &a, ctl, sizeof ctl), 1);
    ASSERT_STR_EQ(ctl, "END 20");

    /* Nonsense gets an error, not silence. */
    ASSERT_EQ(zmq_send(d, "HELLO", 5, 0), 5);
    ASSERT_EQ(recv_reply(d, f.loop, topic, sizeof topic, &a, ctl, sizeof ctl), 1);
    ASSERT(strncmp(ctl, "ERR", 3) == 0);

    sink_zpub_get_stats(f.s, &st);
    ASSERT_EQ(st.replay_requests, 2);
    ASSERT_EQ(st.replayed, 13);
    ASSERT_EQ(st.gone, 1);
    ASSERT_EQ(st.bad_requests, 1);

    /* Metrics carry the counters. */
    char mbuf[4096] = "";
    f.s->ops->metrics(f.s, collect, mbuf);
    ASSERT(strstr(mbuf, "squawk_sink_sent_total{name=\"zmq\",kind=\"zmq\"} 20\n"));
    ASSERT(strstr(mbuf, "squawk_sink_replay_gone_total{name=\"zmq\",kind=\"zmq\"} 1\n"));
    zmq_close(d);
    zmq_ctx_term(ctx);
    pub_close(&f);
}

/* REPLAY lo hi answered with exactly seqs lo..hi (a GONE first when lo is older than the ring). */
static void expect_replay(pubfix *f, void *d, uint64_t lo, uint64_t hi, uint64_t gone, uint64_t last)
{
    char req[64], topic[64], ctl[64], want[64];
    proto_alert *a = NULL;
    int n = snprintf(req, sizeof req, "REPLAY %llu %llu", (unsigned long long)lo, (unsigned long long)hi);
    ASSERT_EQ(zmq_send(d, req, (size_t)n, 0), n);
    if (gone) {
        ASSERT_EQ(recv_reply(d, f->loop, topic, sizeof topic, &a, ctl, sizeof ctl), 1);
        snprintf(want, sizeof want, "GONE %llu", (unsigned long long)gone);
        ASSERT_STR_EQ(ctl, want);
    }
    for (uint64_t s = gone ? gone : lo; s <= hi; s++) {
        ASSERT_EQ(recv_reply(d, f->loop, topic, sizeof topic, &a, ctl, sizeof ctl), 2);
        ASSERT_EQ(a->seq, s);
        proto_alert_destroy(a);
    }
    ASSERT_EQ(recv_reply(d, f->loop, topic, sizeof topic, &a, ctl, sizeof ctl), 1);
    snprintf(want, sizeof want, "END %llu", (unsigned long long)last);
    ASSERT_STR_EQ(ctl, want);
}

/* The replay ring's index grows with what it holds, up to ring_size (1,024 -> 2,048 -> 2,500
 * slots here): every held seq is still found after each doubling, and once it is full the
 * oldest go. */
TEST(replay_ring_grows)
{
    pubfix f;
    pub_open(&f, 0, 2500, NULL, NULL, NULL, 0);
    int msgs = publish(f.s, 1, 1500, 40); /* every third alert has two tickers: 2,000 messages */
    ASSERT_EQ(msgs, 2000);
    sink_zpub_stats st;
    sink_zpub_get_stats(f.s, &st);
    ASSERT_EQ(st.ring_count, 2000);
    ASSERT_EQ(st.ring_oldest_seq, 1);
    msgs += publish(f.s, 1501, 600, 40); /* 800 more: 2,800 sent, 2,500 held */
    ASSERT_EQ(msgs, 2800);
    sink_zpub_get_stats(f.s, &st);
    ASSERT_EQ(st.ring_count, 2500);
    ASSERT_EQ(st.ring_oldest_seq, 301);
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    ASSERT_EQ(zmq_connect(d, f.rep), 0);
    expect_replay(&f, d, 299, 305, 301, 2800);
    expect_replay(&f, d, 1020, 1030, 0, 2800);
    expect_replay(&f, d, 2040, 2060, 0, 2800);
    expect_replay(&f, d, 2790, 2800, 0, 2800);
    zmq_close(d);
    zmq_ctx_term(ctx);
    pub_close(&f);
}

/* ---- replay on a loop that always has a watcher pending: libev never runs
 * idle watchers there, so replay must not depend on one (it once did, and a
 * REPLAY went unanswered until the subscriber's timeout) */

static void on_busy(struct ev_loop *loop, ev_io *w, int revents) { (*(int *)w->data)++; }

TEST(replay_busy_loop)
{
    pubfix f;
    pub_open(&f, 0, 0, NULL, NULL, NULL, 0);
    int msgs = publish(f.s, 1, 6, 40);
    int fds[2], busy = 0;
    ASSERT_EQ(pipe(fds), 0);
    ASSERT_EQ(write(fds[1], "x", 1), 1); /* never read: readable on every iteration */
    ev_io bw;
    ev_io_init(&bw, on_busy, fds[0], EV_READ);
    bw.data = &busy;
    ev_io_start(f.loop, &bw);

    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    ASSERT_EQ(zmq_connect(d, f.rep), 0);
    ASSERT_EQ(zmq_send(d, "REPLAY 1", 8, 0), 8);
    char topic[64], ctl[64];
    proto_alert *a = NULL;
    for (int s = 1; s <= msgs; s++) {
        ASSERT_EQ(recv_reply(d, f.loop, topic, sizeof topic, &a, ctl, sizeof ctl), 2);
        ASSERT_EQ(a->seq, s);
        proto_alert_destroy(a);
    }
    ASSERT_EQ(recv_reply(d, f.loop, topic, sizeof topic, &a, ctl, sizeof ctl), 1);
    char end[32];
    snprintf(end, sizeof end, "END %d", msgs);
    ASSERT_STR_EQ(ctl, end);
    ASSERT_GT(busy, 0); /* the competing watcher really was pending */

    ev_io_stop(f.loop, &bw);
    close(fds[0]);
    close(fds[1]);
    zmq_close(d);
    zmq_ctx_term(ctx);
    pub_close(&f);
}

/* ---- heartbeats and live fan-out, raw SUB */

TEST(live_and_heartbeat)
{
    pubfix f;
    pub_open(&f, 0, 0, NULL, NULL, NULL, 0);
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    ASSERT_EQ(zmq_connect(sub, f.ep), 0);
    sink_zpub_stats st;
    for (int i = 0; i < 500; i++) { /* the XPUB sees the subscription once the pipe is up */
        sink_zpub_get_stats(f.s, &st);
        if (st.subscriptions > 0) break;
        run_for(f.loop, 10);
    }
    ASSERT_GT(st.subscriptions, 0);
    publish(f.s, 1, 3, 40); /* alert 3 has two tickers: 4 messages */
    int alerts = 0, hbs = 0;
    uint64_t last = 0;
    for (int i = 0; i < 1000 && (alerts < 4 || hbs < 1); i++) {
        char topic[64];
        int n = zmq_recv(sub, topic, sizeof topic - 1, ZMQ_DONTWAIT);
        if (n < 0) {
            run_for(f.loop, 10);
            continue;
        }
        topic[n] = '\0';
        zmq_msg_t m;
        zmq_msg_init(&m);
        ASSERT(zmq_msg_recv(&m, sub, 0) >= 0);
        if (strcmp(topic, "_hb") == 0) {
            proto_heartbeat hb;
            ASSERT_EQ(proto_heartbeat_decode(zmq_msg_data(&m), zmq_msg_size(&m), &hb), 0);
            ASSERT_STR_EQ(hb.pub, sink_zpub_pub_id(f.s));
            if (alerts == 4) {
                ASSERT_EQ(hb.seq, 4);
                hbs++;
            }
        } else {
            proto_alert *a = NULL;
            ASSERT_EQ(proto_alert_decode(zmq_msg_data(&m), zmq_msg_size(&m), &a, NULL, 0), 0);
            ASSERT_EQ(a->seq, last + 1);
            last = a->seq;
            ASSERT(strcmp(topic, "invest.AMZN") == 0 || strcmp(topic, "invest.GOOGL") == 0);
            alerts++;
            proto_alert_destroy(a);
        }
        zmq_msg_close(&m);
    }
    ASSERT_EQ(alerts, 4);
    ASSERT_GE(hbs, 1);
    sink_zpub_get_stats(f.s, &st);
    ASSERT_EQ(st.sent, 4);
    ASSERT_EQ(st.dropped, 0);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    pub_close(&f);
}

/* heartbeat_ms < 0 (sinks.zmq.heartbeat_ms: -1) switches heartbeats off: a
 * subscriber of an idle publisher hears nothing for many periods. */
TEST(heartbeats_off)
{
    static const char *eps[] = {"tcp://127.0.0.1:*"};
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    sink_zpub_opts o = {.endpoints = eps, .n_endpoints = 1, .heartbeat_ms = -1};
    sink *s = NULL;
    char err[256] = "", ep[256];
    ASSERT_EQ(sink_zpub_create(&s, loop, &o, err, sizeof err), 0);
    ASSERT_EQ(sink_zpub_endpoint(s, 0, ep, sizeof ep), 0);
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    ASSERT_EQ(zmq_connect(sub, ep), 0);
    sink_zpub_stats st;
    for (int i = 0; i < 500; i++) {
        sink_zpub_get_stats(s, &st);
        if (st.subscriptions > 0) break;
        run_for(loop, 10);
    }
    ASSERT_GT(st.subscriptions, 0);
    char topic[64];
    for (int i = 0; i < 30; i++) { /* 600 ms: six default periods */
        run_for(loop, 20);
        ASSERT_LT(zmq_recv(sub, topic, sizeof topic, ZMQ_DONTWAIT), 0);
    }
    sink_zpub_get_stats(s, &st);
    ASSERT_EQ(st.heartbeats, 0);
    publish(s, 1, 1, 40); /* alerts still flow */
    int n = -1;
    for (int i = 0; i < 500 && n < 0; i++) {
        run_for(loop, 10);
        n = zmq_recv(sub, topic, sizeof topic - 1, ZMQ_DONTWAIT);
    }
    ASSERT_GT(n, 0);
    topic[n] = 0;
    ASSERT(strncmp(topic, "invest.", 7) == 0);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    sink_destroy(s);
    ev_loop_destroy(loop);
}

/* ---- squawk sub as a late joiner: everything comes back through replay */

TEST(late_joiner)
{
    pubfix f;
    pub_open(&f, 0, 0, NULL, NULL, NULL, 0);
    int msgs = publish(f.s, 1, 30, 80);
    char count[16], out[512], err[512];
    snprintf(count, sizeof count, "%d", msgs);
    path(out, "late.out");
    path(err, "late.err");
    char *argv[] = {(char *)squawk_bin(), "sub", "-c", f.ep, "--replay-endpoint", f.rep,
                    "--json", "--count", count, "--timeout", "40", NULL};
    pid_t pid = spawn(argv, out, err);
    int rc = wait_child(f.loop, pid, 50000);
    char *o = slurp(out), *e = slurp(err);
    if (rc != 0) fprintf(stderr, "sub stderr:\n%s\n", e);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(count_lines(o), msgs);
    /* every seq 1..msgs exactly once */
    for (int s = 1; s <= msgs; s++) {
        char key[32];
        snprintf(key, sizeof key, "\"seq\": %d,", s);
        char key2[32];
        snprintf(key2, sizeof key2, "\"seq\":%d,", s);
        ASSERT(strstr(o, key) || strstr(o, key2));
    }
    char summ[96];
    snprintf(summ, sizeof summ, "received=%d recovered=%d lost=0", msgs, msgs);
    if (!strstr(e, summ)) fprintf(stderr, "sub stderr:\n%s\n", e);
    ASSERT(strstr(e, summ));
    free(o);
    free(e);
    pub_close(&f);
}

/* ---- SNDHWM 10 and a stopped subscriber: drops are counted, then recovered */

static int file_lines(const char *p)
{
    char *s = slurp(p);
    int n = count_lines(s);
    free(s);
    return n;
}

TEST(hwm_drop_recover)
{
    pubfix f;
    pub_open(&f, 10, 0, NULL, NULL, NULL, 0);
    char out[512], err[512];
    path(out, "hwm.out");
    path(err, "hwm.err");
    /* The total is known only after drops happen, so the child runs without
     * --count and the test stops it once every seq has arrived. */
    char *argv[] = {(char *)squawk_bin(), "sub", "-c", f.ep, "--replay-endpoint", f.rep,
                    "--json", "--timeout", "50", NULL};
    pid_t pid = spawn(argv, out, err);
    sink_zpub_stats st;
    for (int i = 0; i < 1000; i++) {
        sink_zpub_get_stats(f.s, &st);
        if (st.subscriptions > 0) break;
        run_for(f.loop, 10);
    }
    ASSERT_GT(st.subscriptions, 0);
    int msgs = publish(f.s, 1, 5, 1000);
    for (int i = 0; i < 1000 && file_lines(out) < msgs; i++) run_for(f.loop, 10);
    ASSERT_EQ(file_lines(out), msgs);

    ASSERT_EQ(kill(pid, SIGSTOP), 0);
    /* Fill the kernel buffers and the 10-message pipe until libzmq refuses. */
    int next = 6;
    for (int round = 0; round < 400; round++) {
        msgs += publish(f.s, next, 250, 1000);
        next += 250;
        run_for(f.loop, 5);
        sink_zpub_get_stats(f.s, &st);
        if (st.dropped > 50) break;
    }
    ASSERT_GT(st.dropped, 0);
    uint64_t dropped = st.dropped;
    fprintf(stderr, "published %d messages, %llu dropped at the HWM\n", msgs,
            (unsigned long long)dropped);
    ASSERT_EQ(kill(pid, SIGCONT), 0);
    for (int i = 0; i < 3000 && file_lines(out) < msgs; i++) run_for(f.loop, 10);
    int lines = file_lines(out);
    kill(pid, SIGTERM);
    int rc = wait_child(f.loop, pid, 20000);
    char *e = slurp(err);
    if (lines != msgs || rc != 0 || getenv("SQ_VERBOSE")) fprintf(stderr, "sub stderr:\n%s\n", e);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(lines, msgs);
    ASSERT(strstr(e, "squawk sub: gap seq"));
    ASSERT(strstr(e, "squawk sub: recovered"));
    ASSERT(strstr(e, " lost=0 duplicates="));
    ASSERT(!strstr(e, "squawk sub: lost"));
    sink_zpub_get_stats(f.s, &st);
    ASSERT_GE(st.replayed, dropped);
    free(e);
    pub_close(&f);
}

/* ---- --topic filter and the readable view: other topics' seqs are not losses */

TEST(topic_filter)
{
    pubfix f;
    pub_open(&f, 0, 0, NULL, NULL, NULL, 0);
    int chips = 0;
    for (int i = 1; i <= 20; i++) { /* every fourth alert is chips.NVDA */
        proto_alert *a = make_alert(i, 0, 30);
        if (i % 4 == 0) {
            proto_alert_set(&a->category, "chips");
            proto_alert_set(&a->entities[0].ticker, "NVDA");
            chips++;
        }
        ASSERT_EQ(sink_submit(f.s, &a, 1, (uint64_t)i), 0);
        proto_alert_destroy(a);
    }
    char out[512], err[512], count[16];
    snprintf(count, sizeof count, "%d", chips);
    path(out, "topic.out");
    path(err, "topic.err");
    char *argv[] = {(char *)squawk_bin(), "sub", "-c", f.ep, "--replay-endpoint", f.rep,
                    "--topic", "chips.", "--count", count, "--timeout", "40", NULL};
    pid_t pid = spawn(argv, out, err);
    int rc = wait_child(f.loop, pid, 50000);
    char *o = slurp(out), *e = slurp(err);
    if (rc != 0 || getenv("SQ_VERBOSE")) fprintf(stderr, "stdout:\n%s\nstderr:\n%s\n", o, e);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(count_lines(o), chips);
    ASSERT(strstr(o, " chips      NVDA      "));
    ASSERT(strstr(o, " talks     Amazon in talks"));
    ASSERT(!strstr(o, "AMZN"));
    ASSERT(!strstr(o, "\033[")); /* not a terminal: no colour */
    char summ[96];
    snprintf(summ, sizeof summ, "received=%d recovered=%d lost=0 ", chips, chips);
    ASSERT(strstr(e, summ));
    free(o);
    free(e);
    pub_close(&f);
}

/* ---- one squawk sub, two publishers: per-publisher seq, replay and ids */

TEST(two_publishers)
{
    pubfix a, b;
    pub_open(&a, 0, 0, NULL, NULL, NULL, 0);
    pub_open(&b, 0, 0, NULL, NULL, NULL, 0);
    int n = publish(a.s, 1, 6, 30) + publish(b.s, 100, 4, 30);
    char out[512], err[512], count[16];
    snprintf(count, sizeof count, "%d", n);
    path(out, "two.out");
    path(err, "two.err");
    char *argv[] = {(char *)squawk_bin(), "sub", "-c", a.ep, "--replay-endpoint", a.rep,
                    "-c", b.ep, "--replay-endpoint", b.rep, "--json", "--count", count,
                    "--timeout", "40", NULL};
    pid_t pid = spawn(argv, out, err);
    /* Both loops must turn; alternate short slices until the child exits (it
     * has its own --timeout 40, so it reports and exits before this gives up). */
    int rc = -1;
    int64_t end = sq_clock_mono_ns() + 55 * 1000000000LL;
    while (sq_clock_mono_ns() < end) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
            break;
        }
        run_for(a.loop, 5);
        run_for(b.loop, 5);
    }
    if (rc == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    char *o = slurp(out), *e = slurp(err);
    if (rc != 0) fprintf(stderr, "sub stderr:\n%s\n", e);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(count_lines(o), n);
    ASSERT(strstr(o, sink_zpub_pub_id(a.s)));
    ASSERT(strstr(o, sink_zpub_pub_id(b.s)));
    ASSERT(!strstr(e, "publisher restart"));
    char summ[96];
    snprintf(summ, sizeof summ, "received=%d recovered=%d lost=0 duplicates=0", n, n);
    ASSERT(strstr(e, summ));
    free(o);
    free(e);
    pub_close(&a);
    pub_close(&b);
}

/* ---- a publisher restart (new pub id, seq from 1) is reported and followed */

TEST(restart)
{
    pubfix f;
    pub_open(&f, 0, 0, NULL, NULL, NULL, 0);
    char ep[256], rep[256], out[512], err[512];
    snprintf(ep, sizeof ep, "%s", f.ep);
    snprintf(rep, sizeof rep, "%s", f.rep);
    int first = publish(f.s, 1, 4, 40);
    char old_id[64];
    snprintf(old_id, sizeof old_id, "%s", sink_zpub_pub_id(f.s));
    path(out, "restart.out");
    path(err, "restart.err");
    char *argv[] = {(char *)squawk_bin(), "sub", "-c", ep, "--replay-endpoint", rep, "--json",
                    "--timeout", "40", NULL};
    pid_t pid = spawn(argv, out, err);
    for (int i = 0; i < 2000 && file_lines(out) < first; i++) run_for(f.loop, 10);
    ASSERT_EQ(file_lines(out), first);
    pub_close(&f);

    /* Same endpoints, new process identity. */
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    const char *eps[] = {ep}, *reps[] = {rep};
    sink_zpub_opts o = {.endpoints = eps, .n_endpoints = 1, .replay_endpoints = reps,
                        .n_replay_endpoints = 1, .heartbeat_ms = 100};
    sink *s = NULL;
    char e[256] = "";
    int rc = -1;
    for (int i = 0; i < 200 && rc != 0; i++) { /* the old sockets may take a moment to let go */
        rc = sink_zpub_create(&s, loop, &o, e, sizeof e);
        if (rc) usleep(20000);
    }
    ASSERT_EQ(rc, 0);
    ASSERT(strcmp(sink_zpub_pub_id(s), old_id) != 0);
    int second = publish(s, 50, 2, 40);
    for (int i = 0; i < 3000 && file_lines(out) < first + second; i++) run_for(loop, 10);
    kill(pid, SIGTERM);
    ASSERT_EQ(wait_child(loop, pid, 20000), 0);
    char *o2 = slurp(out), *e2 = slurp(err);
    if (count_lines(o2) != first + second) fprintf(stderr, "sub stderr:\n%s\n", e2);
    ASSERT_EQ(count_lines(o2), first + second);
    ASSERT(strstr(e2, "squawk sub: publisher restart on "));
    ASSERT(strstr(e2, sink_zpub_pub_id(s)));
    free(o2);
    free(e2);
    sink_destroy(s);
    ev_loop_destroy(loop);
}

/* ---- CURVE: listed key gets everything, unlisted nothing; keygen writes 0600 files */

static void read_key(const char *p, char out[41])
{
    char *s = slurp(p);
    ASSERT_GE(strlen(s), 40);
    memcpy(out, s, 40);
    out[40] = '\0';
    free(s);
}

TEST(curve)
{
    char good[512], bad[512], srv[512], k[600], o1[512], e1[512], o2[512], e2[512];
    path(good, "good");
    path(bad, "bad");
    path(srv, "server");
    const char *names[] = {good, bad, srv};
    for (int i = 0; i < 3; i++) {
        char *argv[] = {(char *)squawk_bin(), "keygen", "--out", (char *)names[i], NULL};
        path(o1, "keygen.out");
        path(e1, "keygen.err");
        pid_t pid = spawn(argv, o1, e1);
        int st;
        waitpid(pid, &st, 0);
        ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        struct stat sb;
        snprintf(k, sizeof k, "%s.key", names[i]);
        ASSERT_EQ(stat(k, &sb), 0);
        ASSERT_EQ(sb.st_mode & 0777, 0600);
        snprintf(k, sizeof k, "%s.pub", names[i]);
        ASSERT_EQ(stat(k, &sb), 0);
        ASSERT_EQ(sb.st_mode & 0777, 0600);
    }
    /* keygen refuses to overwrite without --force */
    {
        char *argv[] = {(char *)squawk_bin(), "keygen", "--out", good, NULL};
        pid_t pid = spawn(argv, o1, e1);
        int st;
        waitpid(pid, &st, 0);
        ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    }
    char ssec[41], spub[41], gpub[41], gsec[41];
    snprintf(k, sizeof k, "%s.key", srv);
    read_key(k, ssec);
    snprintf(k, sizeof k, "%s.pub", srv);
    read_key(k, spub);
    snprintf(k, sizeof k, "%s.pub", good);
    read_key(k, gpub);
    snprintf(k, sizeof k, "%s.key", good);
    read_key(k, gsec);
    char derived[41];
    ASSERT_EQ(zmq_curve_public(derived, gsec), 0);
    ASSERT_STR_EQ(derived, gpub);

    const char *allowed[] = {gpub};
    pubfix f;
    pub_open(&f, 0, 0, ssec, spub, allowed, 1);
    int msgs = publish(f.s, 1, 12, 60);
    char count[16];
    snprintf(count, sizeof count, "%d", msgs);
    path(o1, "good.out");
    path(e1, "good.err");
    path(o2, "bad.out");
    path(e2, "bad.err");
    char *ga[] = {(char *)squawk_bin(), "sub", "-c", f.ep, "--replay-endpoint", f.rep,
                  "--json", "--count", count, "--timeout", "40", "--curve-server-key", spub,
                  "--curve-key", good, NULL};
    char *ba[] = {(char *)squawk_bin(), "sub", "-c", f.ep, "--replay-endpoint", f.rep,
                  "--json", "--count", "1", "--timeout", "4", "--curve-server-key", spub,
                  "--curve-key", bad, NULL};
    pid_t gp = spawn(ga, o1, e1), bp = spawn(ba, o2, e2);
    int grc = wait_child(f.loop, gp, 50000);
    /* More alerts while the unlisted client is still trying. */
    publish(f.s, 100, 3, 60);
    int brc = wait_child(f.loop, bp, 30000);
    char *go = slurp(o1), *bo = slurp(o2), *ge = slurp(e1), *be = slurp(e2);
    if (grc != 0) fprintf(stderr, "good stderr:\n%s\n", ge);
    ASSERT_EQ(grc, 0);
    ASSERT_EQ(count_lines(go), msgs);
    ASSERT_EQ(brc, 1);
    ASSERT_EQ(strlen(bo), 0);
    ASSERT(strstr(be, "received=0 "));
    sink_zpub_stats st;
    sink_zpub_get_stats(f.s, &st);
    ASSERT_GT(st.zap_denied, 0);
    ASSERT_GT(st.zap_allowed, 0);
    free(go);
    free(bo);
    free(ge);
    free(be);
    pub_close(&f);
}

/* ---- the Python client nobody here wrote a library for */

TEST(python_client)
{
    if (system("/usr/bin/python3 -c 'import zmq, msgpack' 2>/dev/null") != 0) {
        fprintf(stderr, "SKIP python_client: python3-zmq or python3-msgpack missing\n");
        return;
    }
    pubfix f;
    pub_open(&f, 0, 0, NULL, NULL, NULL, 0);
    char out[512], err[512];
    path(out, "py.out");
    path(err, "py.err");
    char *argv[] = {"/usr/bin/python3", SQ_SOURCE_DIR "/examples/python/subscriber.py",
                    "--connect", f.ep, "--topic", "invest.", "--count", "4", "--timeout", "40",
                    NULL};
    pid_t pid = spawn(argv, out, err);
    sink_zpub_stats st;
    for (int i = 0; i < 3000; i++) {
        sink_zpub_get_stats(f.s, &st);
        if (st.subscriptions > 0) break;
        run_for(f.loop, 10);
    }
    ASSERT_GT(st.subscriptions, 0);
    publish(f.s, 1, 3, 40); /* 4 messages */
    int rc = wait_child(f.loop, pid, 50000);
    char *o = slurp(out), *e = slurp(err);
    if (rc != 0) fprintf(stderr, "python stderr:\n%s\n", e);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(count_lines(o), 4);
    ASSERT(strstr(o, "\"topic\": \"invest.AMZN\""));
    ASSERT(strstr(o, "\"topic\": \"invest.GOOGL\""));
    ASSERT(strstr(o, "\"seq\": 4"));
    ASSERT(strstr(o, "\"headline\": \"Amazon in talks"));
    ASSERT(strstr(o, "\"text\": \"$4 billion\""));
    free(o);
    free(e);
    pub_close(&f);
}

/* ---- squawk proxy: publisher connects to the frontend, sub reads the backend */

static int find_ep(const char *errfile, const char *word, char *out, size_t outlen)
{
    char *s = slurp(errfile);
    char *p = strstr(s, word);
    int ok = 0;
    if (p) {
        p += strlen(word);
        size_t n = strcspn(p, "\n");
        snprintf(out, outlen, "%.*s", (int)n, p);
        ok = 1;
    }
    free(s);
    return ok;
}

TEST(proxy)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    char po[512], pe[512], so[512], se[512], fe[256], be[256], conn[300];
    path(po, "proxy.out");
    path(pe, "proxy.err");
    char *pa[] = {(char *)squawk_bin(), "proxy", "--frontend", "tcp://127.0.0.1:*",
                  "--backend", "tcp://127.0.0.1:*", NULL};
    pid_t ppid = spawn(pa, po, pe);
    int ok = 0;
    for (int i = 0; i < 1000 && !ok; i++) {
        ok = find_ep(pe, "squawk proxy: frontend ", fe, sizeof fe) &&
             find_ep(pe, "squawk proxy: backend ", be, sizeof be);
        if (!ok) usleep(10000);
    }
    ASSERT(ok);
    snprintf(conn, sizeof conn, ">%s", fe);
    const char *eps[] = {conn};
    sink_zpub_opts o = {.endpoints = eps, .n_endpoints = 1, .heartbeat_ms = 100};
    sink *s = NULL;
    char err[256];
    ASSERT_EQ(sink_zpub_create(&s, loop, &o, err, sizeof err), 0);
    path(so, "psub.out");
    path(se, "psub.err");
    char *sa[] = {(char *)squawk_bin(), "sub", "-c", be, "--replay-endpoint", "none",
                  "--no-from-start", "--json", "--count", "3", "--timeout", "40", NULL};
    pid_t spid = spawn(sa, so, se);
    /* Subscriptions travel sub -> proxy -> publisher; publish until they got through. */
    int i = 0;
    for (; i < 400; i++) {
        int st;
        if (waitpid(spid, &st, WNOHANG) == spid) {
            ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
            spid = 0;
            break;
        }
        publish(s, i + 1, 1, 40);
        run_for(loop, 50);
    }
    ASSERT_EQ(spid, 0);
    char *out = slurp(so);
    ASSERT_EQ(count_lines(out), 3);
    ASSERT(strstr(out, "\"category\""));
    free(out);
    ASSERT_EQ(kill(ppid, SIGTERM), 0);
    int st;
    ASSERT_EQ(waitpid(ppid, &st, 0), ppid);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    sink_destroy(s);
    ev_loop_destroy(loop);
}

/* ---- JSON Lines sink */

TEST(jsonl)
{
    char p[512];
    path(p, "alerts.jsonl");
    sink *s = NULL;
    char err[256];
    ASSERT_EQ(sink_jsonl_create(&s, p, err, sizeof err), 0);
    proto_alert *a[2] = {make_alert(1, 1, 20), make_alert(2, 0, 20)};
    ASSERT_EQ(sink_submit(s, a, 2, 7), 0);
    ASSERT_EQ(sink_submit(s, a, 0, 8), 0);
    proto_alert_destroy(a[0]);
    proto_alert_destroy(a[1]);
    sink_destroy(s);
    char *o = slurp(p);
    ASSERT_EQ(count_lines(o), 2);
    ASSERT(o[0] == '{');
    ASSERT(strstr(o, "story 1"));
    ASSERT(strstr(o, "story 2"));
    ASSERT(strstr(o, "\"category\""));
    free(o);
    ASSERT_LT(sink_jsonl_create(&s, "/nonexistent-dir/x.jsonl", err, sizeof err), 0);
}

/* ---- Kafka sink against librdkafka's mock cluster */

typedef struct done_rec {
    int calls;
    uint64_t tokens[8];
    int status[8];
} done_rec;

static void on_done(void *ud, uint64_t token, int status)
{
    done_rec *d = ud;
    if (d->calls < 8) {
        d->tokens[d->calls] = token;
        d->status[d->calls] = status;
    }
    d->calls++;
}

TEST(kafka)
{
    char errstr[512];
    rd_kafka_conf_t *mconf = rd_kafka_conf_new();
    rd_kafka_t *mrk = rd_kafka_new(RD_KAFKA_PRODUCER, mconf, errstr, sizeof errstr);
    ASSERT(mrk);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(mrk, 1);
    ASSERT(mc);
    ASSERT_EQ(rd_kafka_mock_topic_create(mc, "alerts", 1, 1), 0);
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);

    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    const char *props[] = {"bootstrap.servers", bs, "linger.ms", "1"};
    sink *s = NULL;
    char err[256] = "";
    int rc = sink_kafka_create(&s, loop, props, 2, "alerts", err, sizeof err);
    if (rc) fprintf(stderr, "kafka: %s\n", err);
    ASSERT_EQ(rc, 0);
    done_rec d = {0};
    s->done = on_done;
    s->done_ud = &d;
    proto_alert *a[2] = {make_alert(3, 1, 20), make_alert(4, 0, 20)}; /* 3 records */
    ASSERT_EQ(sink_submit(s, a, 2, 41), 1);
    ASSERT_EQ(sink_submit(s, a + 1, 1, 42), 1);
    ASSERT_EQ(sink_submit(s, a, 0, 43), 0);
    ASSERT_GT(sink_backlog(s), 0);
    for (int i = 0; i < 3000 && d.calls < 2; i++) run_for(loop, 10);
    ASSERT_EQ(d.calls, 2);
    ASSERT_EQ(d.tokens[0], 41);
    ASSERT_EQ(d.status[0], 0);
    ASSERT_EQ(d.tokens[1], 42);
    ASSERT_EQ(d.status[1], 0);
    ASSERT_EQ(sink_backlog(s), 0);
    sink_kafka_stats st;
    sink_kafka_get_stats(s, &st);
    ASSERT_EQ(st.delivered, 4);
    ASSERT_EQ(st.failed, 0);

    /* Read the records back: key = alert id, value = msgpack alert. */
    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    rd_kafka_conf_set(cc, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_conf_set(cc, "group.id", "t", errstr, sizeof errstr);
    rd_kafka_conf_set(cc, "auto.offset.reset", "earliest", errstr, sizeof errstr);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr, sizeof errstr);
    ASSERT(c);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, "alerts", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    ASSERT_EQ(rd_kafka_assign(c, tp), 0);
    rd_kafka_topic_partition_list_destroy(tp);
    int got = 0;
    for (int i = 0; i < 300 && got < 4; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m) continue;
        if (!m->err) {
            proto_alert *x = NULL;
            ASSERT_EQ(proto_alert_decode(m->payload, m->len, &x, NULL, 0), 0);
            ASSERT_EQ(m->key_len, 32);
            ASSERT(memcmp(m->key, x->id, 32) == 0);
            ASSERT_EQ(x->seq, (uint64_t)got + 1);
            proto_alert_destroy(x);
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    ASSERT_EQ(got, 4);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);

    proto_alert_destroy(a[0]);
    proto_alert_destroy(a[1]);
    sink_destroy(s);
    ev_loop_destroy(loop);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mrk);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    sq_log_setup(stderr, SQ_LOG_WARN, SQ_LOG_TEXT);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sq-sinks-XXXXXX");
    ASSERT(mkdtemp(tmpdir));
    /* No argument: the in-process scenarios. "all" or a scenario name: the
     * ones that drive the squawk binary and other processes too. */
    const char *only = argc > 1 ? argv[1] : "inproc";
    int all = strcmp(only, "all") == 0, inproc = strcmp(only, "inproc") == 0;
#define MAYBE(name)                                             \
    do {                                                        \
        if (all || strcmp(only, #name) == 0) RUN(name);         \
    } while (0)
#define MAYBE_INPROC(name)                                          \
    do {                                                            \
        if (all || inproc || strcmp(only, #name) == 0) RUN(name);   \
    } while (0)
    MAYBE_INPROC(replay_protocol);
    MAYBE_INPROC(replay_ring_grows);
    MAYBE_INPROC(replay_busy_loop);
    MAYBE_INPROC(live_and_heartbeat);
    MAYBE_INPROC(heartbeats_off);
    MAYBE_INPROC(jsonl);
    MAYBE_INPROC(kafka);
    MAYBE(late_joiner);
    MAYBE(hwm_drop_recover);
    MAYBE(topic_filter);
    MAYBE(two_publishers);
    MAYBE(restart);
    MAYBE(curve);
    MAYBE(python_client);
    MAYBE(proxy);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return 0;
}
