/* test_zsub.c -- per-subscription delivery over real sockets: the subscriber library, squawk sub, squawk proxy and the Python subscriber against in-process publishers. */
#define _GNU_SOURCE
#include <ev.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "core/clock.h"
#include "core/log.h"
#include "proto/alert.h"
#include "sinks/zmq_pub.h"
#include "sinks/zsub.h"
#include "tests/assert.h"
#include "tests/sub_util.h"

#define HB_MS 300       /* the publishers' heartbeat period in these tests */
#define N_ALERTS 10000  /* per run, over 200 tickers and three categories */
#define N_TICKERS 200
#define STOP_S 5.0      /* each subscriber kind is SIGSTOPped this long, in turn */
#define MAX_PUBS 2
#define MAX_FILL 200000 /* fillers first_of_topic may send before the path to its blocker is full */

static char tmpdir[256];
static double scale = 1; /* SQUAWK_TEST_TIME_SCALE: slow runners stretch the waits */

static double now_s(void) { return sq_clock_mono_ns() / 1e9; }

/* ---- publishers */

typedef struct pubfix {
    struct ev_loop *loop;
    sink *s;
    char ep[256], rep[256];
    char (*topic)[32]; /* topic[seq] as published */
    int n;
} pubfix;

static void pub_open(pubfix *f, int sndhwm, const char *proxy_front)
{
    char conn[300];
    const char *eps[1] = {"tcp://127.0.0.1:*"}, *reps[1] = {"tcp://127.0.0.1:*"};
    if (proxy_front) {
        snprintf(conn, sizeof conn, ">%s", proxy_front);
        eps[0] = conn;
    }
    memset(f, 0, sizeof *f);
    f->loop = ev_loop_new(EVFLAG_AUTO);
    sink_zpub_opts o = {.endpoints = eps, .n_endpoints = 1, .replay_endpoints = reps,
                        .n_replay_endpoints = 1, .sndhwm = sndhwm, .heartbeat_ms = HB_MS};
    char err[256] = "";
    int rc = sink_zpub_create(&f->s, f->loop, &o, err, sizeof err);
    if (rc) fprintf(stderr, "create: %s\n", err);
    ASSERT_EQ(rc, 0);
    if (!proxy_front) ASSERT_EQ(sink_zpub_endpoint(f->s, 0, f->ep, sizeof f->ep), 0);
    ASSERT_EQ(sink_zpub_endpoint(f->s, 1, f->rep, sizeof f->rep), 0);
    f->topic = calloc(MAX_FILL + 10, sizeof *f->topic);
}

static void pub_close(pubfix *f)
{
    sink_destroy(f->s);
    ev_loop_destroy(f->loop);
    free(f->topic);
}

static double last_turn_t; /* when a publisher's loop last ran (sent its heartbeats) */

static void turn(pubfix *p, int n, int ms)
{
    for (int i = 0; i < n; i++) run_for(p[i].loop, ms / n > 0 ? ms / n : 1);
    last_turn_t = now_s();
}

/* One alert = one message: category and ticker chosen from i. */
/* Alerts of ~2.5 KB: with 5 s of them the kernel's send buffer (autotuned
 * up to tcp_wmem's 4 MB) overflows too, not just the ZeroMQ queues. */
#define PAD 2000

static void send_alert(pubfix *f, const char *cat, const char *ticker, int i)
{
    proto_alert *a = proto_alert_create();
    char buf[PAD + 96];
    snprintf(buf, sizeof buf, "z-%d", i);
    proto_alert_set(&a->article.id, buf);
    proto_alert_set(&a->category, cat);
    proto_alert_set(&a->stage, "talks");
    snprintf(buf, sizeof buf, "Story %d: %s holds talks about a %s deal", i, ticker, cat);
    proto_alert_set(&a->article.headline, buf);
    memset(buf, 'x', PAD);
    buf[PAD] = '\0';
    proto_alert_set(&a->article.url, buf);
    proto_alert_set(&a->filter.name, cat);
    proto_alert_set(&a->filter.version, "1");
    a->score = 70;
    a->novelty = 100;
    proto_alert_add_entity(a, ticker, ticker, "target", 90);
    ASSERT_EQ(sink_submit(f->s, &a, 1, (uint64_t)i), 0);
    proto_alert_destroy(a);
    f->n++;
    snprintf(f->topic[f->n], sizeof f->topic[0], "%s.%s", cat, ticker);
}

/* Alert i of the stream. During the stop of round 0 the news is a burst on
 * one company (invest.T007), during round 1's on chips, otherwise mixed: each
 * stopped subscriber really falls behind by more than its queues hold. */
static void send_stream(pubfix *f, int i, int burst)
{
    static const char *cats[] = {"invest", "chips", "regulatory"};
    char tick[16];
    snprintf(tick, sizeof tick, "T%03d", (i / 3 * 7) % N_TICKERS);
    if (burst == 0)
        send_alert(f, "invest", "T007", i);
    else if (burst == 1)
        send_alert(f, "chips", tick, i);
    else
        send_alert(f, cats[i % 3], tick, i);
}

static uint64_t dropped(pubfix *p, int n)
{
    uint64_t d = 0;
    for (int i = 0; i < n; i++) {
        sink_zpub_stats st;
        sink_zpub_get_stats(p[i].s, &st);
        d += st.dropped;
    }
    return d;
}

/* ---- subscriber processes */

typedef struct subproc {
    const char *prefix; /* NULL = everything */
    int python;
    pid_t pid;
    char out[512], err[512];
    double stop_t, cont_t, gap_after; /* gap_after: seconds from SIGCONT to its first gap line */
    size_t err_mark;
} subproc;

static int python_ok(void)
{
    return system("/usr/bin/python3 -c 'import zmq, msgpack' 2>/dev/null") == 0;
}

/* via_proxy: ep is a proxy backend and rep its replay socket. */
static void sub_start(subproc *s, const char *name, const char *ep, const char *rep, int via_proxy)
{
    snprintf(s->out, sizeof s->out, "%s/%s.out", tmpdir, name);
    snprintf(s->err, sizeof s->err, "%s/%s.err", tmpdir, name);
    char *argv[24];
    int k = 0;
    if (s->python) {
        argv[k++] = "/usr/bin/python3";
        argv[k++] = SQ_SOURCE_DIR "/examples/python/subscriber.py";
    } else {
        const char *b = getenv("SQUAWK_BIN");
        argv[k++] = (char *)(b ? b : SQ_BINARY_DIR "/squawk");
        argv[k++] = "sub";
        argv[k++] = "--json";
    }
    argv[k++] = via_proxy ? "--proxy" : "--connect";
    argv[k++] = (char *)ep;
    argv[k++] = "--replay-endpoint";
    argv[k++] = (char *)rep;
    argv[k++] = "--timeout";
    argv[k++] = "300";
    /* Small queues, so a stop of 5 s really overflows them at this rate. */
    argv[k++] = "--rcvhwm";
    argv[k++] = "100";
    argv[k++] = "--rcvbuf";
    argv[k++] = "65536";
    if (s->prefix) {
        argv[k++] = "--topic";
        argv[k++] = (char *)s->prefix;
    }
    argv[k] = NULL;
    s->pid = spawn(argv, s->out, s->err);
    s->gap_after = -1;
}

/* Checks a subscriber's JSON lines against what the publishers sent: every
 * message matching its prefix exactly once, nothing else. Returns lines. */
static size_t sub_check(const subproc *s, pubfix *p, int np, int final)
{
    size_t len, lines = 0;
    char *buf = slurp_len(s->out, &len);
    unsigned char *seen[MAX_PUBS];
    for (int i = 0; i < np; i++) seen[i] = calloc(N_ALERTS + 10, 1);
    for (char *l = buf, *eol; (eol = strchr(l, '\n')); l = eol + 1) {
        *eol = '\0';
        json_error_t je;
        json_t *j = json_loads(l, 0, &je);
        if (!j) SQ_FAIL_("%s: not JSON: %.200s", s->out, l);
        const char *pub = json_string_value(json_object_get(j, "pub"));
        const char *topic = json_string_value(json_object_get(j, "topic"));
        json_int_t seq = json_integer_value(json_object_get(j, "seq"));
        ASSERT(pub && topic);
        int k = 0;
        while (k < np && strcmp(pub, sink_zpub_pub_id(p[k].s)) != 0) k++;
        ASSERT_LT(k, np);
        ASSERT(seq >= 1 && seq <= p[k].n);
        ASSERT_STR_EQ(topic, p[k].topic[seq]);
        if (s->prefix) ASSERT(strncmp(topic, s->prefix, strlen(s->prefix)) == 0);
        if (seen[k][seq]) SQ_FAIL_("%s: seq %lld of %s twice", s->out, (long long)seq, pub);
        seen[k][seq] = 1;
        lines++;
        json_decref(j);
    }
    if (final)
        for (int k = 0; k < np; k++)
            for (int q = 1; q <= p[k].n; q++)
                if (!s->prefix || strncmp(p[k].topic[q], s->prefix, strlen(s->prefix)) == 0)
                    if (!seen[k][q]) SQ_FAIL_("%s: seq %d (%s) of pub %d never arrived", s->out, q,
                                              p[k].topic[q], k);
    for (int i = 0; i < np; i++) free(seen[i]);
    free(buf);
    return lines;
}

static size_t lines_of(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    if (!f) return 0;
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < got; i++) n += buf[i] == '\n';
    fclose(f);
    return n;
}

static size_t expected(const subproc *s, pubfix *p, int np)
{
    size_t n = 0;
    for (int k = 0; k < np; k++)
        for (int q = 1; q <= p[k].n; q++)
            if (!s->prefix || strncmp(p[k].topic[q], s->prefix, strlen(s->prefix)) == 0) n++;
    return n;
}

static const char *gap_line(const subproc *s)
{
    return s->python ? "subscriber.py: gap" : "squawk sub: gap";
}

/* The first gap line after SIGCONT, timed while the publishers keep turning
 * (printed, not asserted: on a loaded machine the woken subscriber's backlog
 * takes as long as the scheduler makes it). */
static void note_gap(subproc *s)
{
    if (s->gap_after >= 0 || s->cont_t == 0) return;
    size_t len;
    char *e = slurp_len(s->err, &len);
    if (len > s->err_mark && strstr(e + s->err_mark, gap_line(s))) s->gap_after = now_s() - s->cont_t;
    free(e);
}

/* SIGTERM, then the exit status (SIGKILL and a failure if it does not come). */
static int sub_stop(subproc *s, pubfix *p, int np)
{
    kill(s->pid, SIGTERM);
    int st = 0;
    double end = now_s() + 30 * scale;
    while (waitpid(s->pid, &st, WNOHANG) == 0) {
        if (now_s() > end) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &st, 0);
            SQ_FAIL_("%s did not exit within %.0f s of SIGTERM", s->out, 30 * scale);
        }
        turn(p, np, 20);
    }
    return st;
}

/* The run of the done-when tests (a), (b), (d), (e): the stream while each
 * subscriber kind is stopped in turn, then every subscriber checked. */
static void stream_run(pubfix *p, int np, subproc *subs, int ns)
{
    const double pre = 0.7, post = 1.0, round = pre + STOP_S + post;
    const double total = 3 * round;
    /* Subscriptions travel to the publishers (through the proxy too). */
    double t0 = now_s();
    for (;;) {
        sink_zpub_stats st;
        int ready = 1;
        for (int k = 0; k < np; k++) {
            sink_zpub_get_stats(p[k].s, &st);
            if (st.prefixes < 3) ready = 0;
        }
        if (ready) break;
        ASSERT_LT(now_s() - t0, 30 * scale);
        turn(p, np, 20);
    }
    turn(p, np, 500);
    t0 = now_s();
    int sent = 0;
    uint64_t drops_before[3] = {0};
    uint64_t drops_after[3] = {0};
    for (double t = 0; t < total; t = now_s() - t0) {
        int r = (int)(t / round);
        double in = t - r * round;
        for (int i = 0; i < ns; i++) {
            subproc *s = &subs[i];
            if (i % 3 != r) {
                note_gap(s);
                continue;
            }
            if (in >= pre && s->stop_t == 0) {
                ASSERT_EQ(kill(s->pid, SIGSTOP), 0);
                s->stop_t = now_s();
                drops_before[r] = dropped(p, np);
            } else if (in >= pre + STOP_S && s->cont_t == 0) {
                size_t len;
                free(slurp_len(s->err, &len));
                s->err_mark = len;
                drops_after[r] = dropped(p, np);
                ASSERT_EQ(kill(s->pid, SIGCONT), 0);
                s->cont_t = now_s();
            }
            note_gap(s);
        }
        /* Per round: 1/8 of its alerts before the stop, 3/4 during, 1/8 after. */
        double share = in < pre ? in / pre / 8 : in < pre + STOP_S ? 0.125 + 0.75 * (in - pre) / STOP_S
                                                 : 0.875 + (in - pre - STOP_S) / post / 8;
        int want = (int)(N_ALERTS / 3.0 * (r + share));
        int burst = in >= pre && in < pre + STOP_S ? r : 2;
        for (; sent < want && sent < N_ALERTS; sent++) send_stream(&p[sent % np], sent, burst);
        turn(p, np, 10);
    }
    for (; sent < N_ALERTS; sent++) send_stream(&p[sent % np], sent, 2);
    /* Everyone catches up: live, or through replay. */
    double end = now_s() + 90 * scale;
    for (int i = 0; i < ns; i++) {
        size_t want = expected(&subs[i], p, np);
        while (lines_of(subs[i].out) < want && now_s() < end) turn(p, np, 100);
    }
    turn(p, np, 3 * HB_MS); /* a straggler would show up now as a duplicate */
    for (int i = 0; i < ns; i++) {
        subproc *s = &subs[i];
        int st = sub_stop(s, p, np);
        char *e = slurp_len(s->err, NULL);
        size_t got = sub_check(s, p, np, 1);
        fprintf(stderr,
                "   %s %-12s expected %zu got %zu; stopped %.1f s, drops in its stop %llu, gap "
                "%.2f s after SIGCONT\n",
                s->python ? "python" : "squawk sub", s->prefix ? s->prefix : "(everything)",
                expected(s, p, np), got, s->cont_t - s->stop_t,
                (unsigned long long)(drops_after[i % 3] - drops_before[i % 3]), s->gap_after);
        const char *sum = strstr(e, s->python ? "subscriber.py: received=" : "squawk sub: received=");
        if (!sum || !strstr(sum, " lost=0 ") || !strstr(sum, "replay_foreign=0") || getenv("SQ_VERBOSE"))
            fprintf(stderr, "%s stderr:\n%s\n", s->out, e);
        ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        ASSERT(sum);
        ASSERT(strstr(sum, " lost=0 "));
        ASSERT(strstr(sum, "replay_foreign=0"));
        ASSERT(!strstr(e, " lost "));
        if (np > 1) ASSERT(!strstr(sum, "recovered=0 ")); /* each one had a real gap */
        /* A stopped subscriber that lost messages says so after waking (how soon is
         * printed above: a time bound fails whenever the machine is busy). */
        if (drops_after[i % 3] > drops_before[i % 3]) ASSERT(strstr(e + s->err_mark, gap_line(s)));
        free(e);
    }
    /* The stops really cost messages: at the publishers, or at the proxy (which
     * drops silently for a full subscriber; then only the subscriber knows). */
    if (np == 1) ASSERT_GT(dropped(p, np), 0);
}

static void sub_set(subproc *subs, int with_python)
{
    static const char *pfx[3] = {"invest.T007", "chips.", NULL};
    for (int i = 0; i < 6; i++) {
        memset(&subs[i], 0, sizeof subs[i]);
        subs[i].prefix = pfx[i % 3];
        subs[i].python = i >= 3;
    }
    (void)with_python;
}

/* ---- (a), (b), (e): one publisher, SNDHWM 100, three kinds of subscriber in C and Python */

TEST(direct)
{
    pubfix p;
    pub_open(&p, 100, NULL);
    subproc subs[6];
    int ns = python_ok() ? 6 : 3;
    if (ns == 3) fprintf(stderr, "   python3-zmq or python3-msgpack missing: C subscribers only\n");
    sub_set(subs, ns == 6);
    static const char *names[6] = {"c-ticker", "c-cat", "c-all", "py-ticker", "py-cat", "py-all"};
    for (int i = 0; i < ns; i++) sub_start(&subs[i], names[i], p.ep, p.rep, 0);
    stream_run(&p, 1, subs, ns);
    sink_zpub_stats st;
    sink_zpub_get_stats(p.s, &st);
    fprintf(stderr, "   publisher: %llu messages, %llu dropped at the HWM, %llu replayed (%llu bytes) "
            "in %llu requests\n", (unsigned long long)st.last_seq, (unsigned long long)st.dropped,
            (unsigned long long)st.replayed, (unsigned long long)st.replayed_bytes,
            (unsigned long long)st.replay_requests);
    pub_close(&p);
}

/* ---- (d): the same through squawk proxy with two publishers */

static int find_ep(const char *errfile, const char *word, char *out, size_t outlen)
{
    char *s = slurp_len(errfile, NULL);
    char *p = strstr(s, word);
    if (p) snprintf(out, outlen, "%.*s", (int)strcspn(p + strlen(word), "\n"), p + strlen(word));
    free(s);
    return p != NULL;
}

TEST(proxy)
{
    char po[512], pe[512], fe[256], be[256], re[256];
    snprintf(po, sizeof po, "%s/proxy.out", tmpdir);
    snprintf(pe, sizeof pe, "%s/proxy.err", tmpdir);
    const char *b = getenv("SQUAWK_BIN");
    char *pa[] = {(char *)(b ? b : SQ_BINARY_DIR "/squawk"), "proxy", "--frontend",
                  "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", "--replay",
                  "tcp://127.0.0.1:*", "--sndhwm", "100", NULL};
    pid_t ppid = spawn(pa, po, pe);
    int ok = 0;
    for (int i = 0; i < 1000 && !ok; i++) {
        ok = find_ep(pe, "squawk proxy: frontend ", fe, sizeof fe) &&
             find_ep(pe, "squawk proxy: backend ", be, sizeof be) &&
             find_ep(pe, "squawk proxy: replay ", re, sizeof re);
        if (!ok) usleep(10000);
    }
    ASSERT(ok);
    pubfix p[2];
    pub_open(&p[0], 100, fe);
    pub_open(&p[1], 100, fe);
    subproc subs[6];
    int ns = python_ok() ? 6 : 3;
    sub_set(subs, ns == 6);
    static const char *names[6] = {"pc-ticker", "pc-cat", "pc-all", "ppy-ticker", "ppy-cat", "ppy-all"};
    for (int i = 0; i < ns; i++) sub_start(&subs[i], names[i], be, re, 1);
    stream_run(p, 2, subs, ns);
    ASSERT_EQ(kill(ppid, SIGTERM), 0);
    int st;
    ASSERT_EQ(waitpid(ppid, &st, 0), ppid);
    char *e = slurp_len(pe, NULL);
    fprintf(stderr, "   %s", strstr(e, "squawk proxy: stopped") ? strstr(e, "squawk proxy: stopped") : e);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT(strstr(e, sink_zpub_pub_id(p[0].s)) && strstr(e, sink_zpub_pub_id(p[1].s)));
    free(e);
    pub_close(&p[0]);
    pub_close(&p[1]);
}

/* ---- (c): the first message of a topic lost while the market is quiet.
 * A second subscriber of everything that never reads makes the publisher
 * refuse (XPUB_NODROP) first filler messages the desk does not subscribe to,
 * then the first message of a new chips topic. The desk (this process, through the
 * library) hears only lossy heartbeats after that, and must find it there. */

static int next_event(zsub *z, pubfix *p, zsub_event *ev, int ms)
{
    double end = now_s() + ms / 1000.0;
    while (now_s() < end) {
        turn(p, 1, 5);
        int rc = zsub_next(z, ev, 5);
        ASSERT_GE(rc, 0);
        if (rc) return 1;
    }
    return 0;
}

/* invest.FILL until the blocker's pipe refuses one, then at once the first
 * message of a new chips topic. libzmq's I/O thread keeps moving messages
 * from that pipe into the kernel's buffers, so on a busy machine the pipe
 * can have room again by then: that topic's message then reaches the desk
 * like any other (taken off its queue here) and the next topic is tried.
 * Returns the tries; the topic whose first message was refused in lost. */
static int lose_first_message(zsub *z, pubfix *p, char *lost, size_t lostlen)
{
    sink_zpub_stats st;
    zsub_event ev;
    int i = 0, tries = 0;
    for (;;) {
        ASSERT_LT(tries, 50);
        for (;;) {
            ASSERT_LT(i, MAX_FILL);
            sink_zpub_get_stats(p->s, &st);
            uint64_t before = st.dropped;
            send_alert(p, "invest", "FILL", i++);
            sink_zpub_get_stats(p->s, &st);
            if (st.dropped > before) break;
            if (i % 100 == 0) turn(p, 1, 1);
        }
        char tick[16], topic[32];
        snprintf(tick, sizeof tick, "NEW%d", tries++);
        snprintf(topic, sizeof topic, "chips.%s", tick);
        uint64_t before = st.dropped;
        send_alert(p, "chips", tick, i++);
        sink_zpub_get_stats(p->s, &st);
        if (st.dropped > before) {
            snprintf(lost, lostlen, "%s", topic);
            fprintf(stderr, "   %d fillers; %s #1 lost (try %d)\n", i - tries, topic, tries);
            return tries;
        }
        do { /* it went out: the desk gets it live */
            ASSERT(next_event(z, p, &ev, (int)(30000 * scale)));
            ASSERT(ev.kind != ZSUB_GAP && ev.kind != ZSUB_LOST);
        } while (ev.kind != ZSUB_ALERT || strcmp(ev.topic, topic) != 0);
    }
}

TEST(first_of_topic)
{
    pubfix p;
    pub_open(&p, 100, NULL);
    const char *topics[] = {"chips."};
    zsub_opts o = {.topics = topics, .n_topics = 1};
    zsub *z = NULL;
    char err[256];
    ASSERT_EQ(zsub_create(&z, &o, err, sizeof err), 0);
    ASSERT_EQ(zsub_connect(z, p.ep, p.rep, 0), 0);
    void *ctx = zmq_ctx_new(), *blocker = zmq_socket(ctx, ZMQ_SUB);
    int one = 1, small = 4096;
    zmq_setsockopt(blocker, ZMQ_RCVHWM, &one, sizeof one);
    zmq_setsockopt(blocker, ZMQ_RCVBUF, &small, sizeof small);
    zmq_setsockopt(blocker, ZMQ_SUBSCRIBE, "", 0);
    ASSERT_EQ(zmq_connect(blocker, p.ep), 0);
    sink_zpub_stats st;
    zsub_event ev;
    do { /* both subscriptions arrived, and the desk saw a digest */
        sink_zpub_get_stats(p.s, &st);
        next_event(z, &p, &ev, 20);
    } while (st.prefixes < 2);
    for (int i = 0; i < 3 * HB_MS / 20; i++) next_event(z, &p, &ev, 20);
    char lost_topic[32];
    int tries = lose_first_message(z, &p, lost_topic, sizeof lost_topic);
    double lost_t = now_s();
    int gap = 0, got = 0, recovered = 0;
    double gap_t = 0;
    while (now_s() - lost_t < 30 * scale && !(gap && got && recovered)) {
        if (!next_event(z, &p, &ev, 50)) continue;
        if (ev.kind == ZSUB_GAP) {
            gap_t = now_s();
            gap++;
            ASSERT_STR_EQ(ev.topic, "chips.");
            ASSERT_EQ(ev.count, 1);
        } else if (ev.kind == ZSUB_ALERT) {
            ASSERT_STR_EQ(ev.topic, lost_topic);
            ASSERT_EQ(ev.alert->tseq, 1);
            ASSERT_EQ(ev.recovered, 1);
            got++;
        } else if (ev.kind == ZSUB_RECOVERED) {
            ASSERT_EQ(ev.count, 1);
            recovered++;
        }
        ASSERT(ev.kind != ZSUB_LOST);
    }
    fprintf(stderr, "   gap found %.3f s later (period %.3f s)\n", gap_t - lost_t, HB_MS / 1000.0);
    ASSERT_EQ(gap, 1);
    ASSERT_EQ(got, 1);
    ASSERT_EQ(recovered, 1);
    zsub_stats zs;
    zsub_get_stats(z, &zs);
    /* The replay covered thousands of fillers' seqs but carried only chips: the
     * lost message, and the earlier tries' ones if its range reached back. */
    ASSERT_GE(zs.replayed, 1);
    ASSERT_LE(zs.replayed, tries);
    ASSERT_EQ(zs.replay_foreign, 0);
    ASSERT_EQ(zs.lost, 0);
    ASSERT_EQ(zs.duplicates, 0);
    /* The publisher falls silent (its loop stops): the desk says so after 3.5
     * of the periods it announced (300 ms), not after a fixed 3.5 s. */
    double quiet_t = last_turn_t, silent_t = 0; /* not now: the test may have been descheduled since */
    while (!silent_t && now_s() - quiet_t < 3.0 * scale)
        if (zsub_next(z, &ev, 50) > 0 && ev.kind == ZSUB_SILENT) silent_t = now_s();
    fprintf(stderr, "   publisher silent: reported after %.2f s (3.5 periods = %.2f s)\n",
            silent_t - quiet_t, 3.5 * HB_MS / 1000.0);
    ASSERT_GT(silent_t, 0);
    ASSERT_GE(silent_t - quiet_t + 0.05, 3.5 * HB_MS / 1000.0 - HB_MS / 1000.0);
    /* heartbeats again: the next event says so */
    ASSERT(next_event(z, &p, &ev, (int)(30000 * scale)));
    ASSERT_EQ(ev.kind, ZSUB_ALIVE);
    zmq_close(blocker);
    zmq_ctx_term(ctx);
    zsub_destroy(z);
    pub_close(&p);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    sq_log_setup(stderr, SQ_LOG_WARN, SQ_LOG_TEXT);
    const char *sc = getenv("SQUAWK_TEST_TIME_SCALE");
    if (sc && atof(sc) > 0) scale = atof(sc);
#if defined(__SANITIZE_ADDRESS__)
    /* squawk sub under ASan decodes a few hundred 2.5 KB alerts a second: its
     * backlog after a stop takes seconds to drain. */
    scale *= 4;
#endif
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sq-zsub-XXXXXX");
    ASSERT(mkdtemp(tmpdir));
    const char *only = argc > 1 ? argv[1] : "all";
    int all = strcmp(only, "all") == 0;
    if (all || strcmp(only, "first_of_topic") == 0) RUN(first_of_topic);
    if (all || strcmp(only, "direct") == 0) RUN(direct);
    if (all || strcmp(only, "proxy") == 0) RUN(proxy);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return 0;
}
