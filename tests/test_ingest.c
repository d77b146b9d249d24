/* test_ingest.c -- ingest/ against librdkafka's mock cluster over TCP: at-least-once, DLQ, outages, groups, kcat. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <librdkafka/rdkafka.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "ingest/broker.h"
#include "ingest/feed.h"
#include "ingest/kafka.h"
#include "tests/assert.h"

/* ---- producing ---- */

static int fmt_article(char *buf, size_t cap, int id, size_t body)
{
    int n = snprintf(buf, cap, "{\"id\":\"a-%d\",\"headline\":\"Headline number %d\",\"body\":\"", id,
                     id);
    for (size_t i = 0; i < body && (size_t)n + 8 < cap; i++) buf[n++] = (char)('a' + (i % 26));
    n += snprintf(buf + n, cap - (size_t)n, "\"}");
    return n;
}

static ingest_feed *feed_open(const char *bs, const char *topic)
{
    /* keyed by id: unkeyed messages stick to one partition per linger window */
    ingest_feed_opts fo = {.bootstrap = bs, .topic = topic, .key_id = 1};
    ingest_feed *f;
    char err[256];
    int rc = ingest_feed_create(&f, &fo, err, sizeof err);
    if (rc) fprintf(stderr, "feed: %s\n", err);
    ASSERT_EQ(rc, 0);
    return f;
}

static void feed_close(ingest_feed *f, uint64_t expect)
{
    ASSERT_EQ(ingest_feed_finish(f, 30000), 0);
    uint64_t sent, delivered, failed;
    ingest_feed_counts(f, &sent, &delivered, &failed);
    ASSERT_EQ(delivered, expect);
    ASSERT_EQ(failed, 0);
    ingest_feed_destroy(f);
}

static void produce_range(const char *bs, const char *topic, int from, int to, size_t body)
{
    ingest_feed *f = feed_open(bs, topic);
    char buf[8192];
    for (int i = from; i < to; i++) {
        int n = fmt_article(buf, sizeof buf, i, body);
        ASSERT_EQ(ingest_feed_send(f, buf, (size_t)n), 0);
    }
    feed_close(f, (uint64_t)(to - from));
}

/* ---- consuming ---- */

#define MAX_IDS 200000

typedef struct harness harness;
typedef struct consumer {
    harness *h;
    ingest_kafka *k;
    uint32_t part_mask;
    uint64_t got;
    uint64_t *tokens; /* deferred done() calls */
    size_t ntok, captok;
    int defer;
    uint64_t pause_at; /* pause from inside the article callback at this count, 0 never */
} consumer;

struct harness {
    struct ev_loop *loop;
    uint16_t *seen;
    uint64_t unique, total, dup;
    int (*pred)(harness *);
    int target;
    consumer *down_at_c; /* broker-down test */
    ingest_broker *broker;
    int down_at, down_done;
    ev_timer up_timer;
    int went_down;
    int no_ts; /* producer sets no squawk-ts header (kcat) */
};

static void on_article(void *ud, const proto_article *a, const ingest_meta *m)
{
    consumer *c = ud;
    harness *h = c->h;
    ASSERT(strncmp(a->id, "a-", 2) == 0);
    long id = strtol(a->id + 2, NULL, 10);
    ASSERT(id >= 0 && id < MAX_IDS);
    if (h->no_ts)
        ASSERT_EQ(m->produce_ts_ns, 0);
    else
        ASSERT_GT(m->produce_ts_ns, 0); /* squawk feed stamps squawk-ts */
    ASSERT_GT(m->ingest_ns, 0);
    if (h->seen[id]++ == 0)
        h->unique++;
    else
        h->dup++;
    h->total++;
    c->got++;
    if (c->got == c->pause_at) ingest_kafka_pause(c->k, 1);
    if (m->partition < 32) c->part_mask |= 1u << m->partition;
    if (c->defer) {
        if (c->ntok == c->captok) {
            c->captok = c->captok ? c->captok * 2 : 1024;
            c->tokens = realloc(c->tokens, c->captok * sizeof *c->tokens);
            ASSERT(c->tokens);
        }
        c->tokens[c->ntok++] = m->token;
    } else {
        ingest_kafka_done(c->k, m->token);
    }
}

static void flush_deferred(consumer *c)
{
    /* reverse order: exercises the contiguous-prefix bookkeeping */
    while (c->ntok) ingest_kafka_done(c->k, c->tokens[--c->ntok]);
}

static consumer *g_cons[4];

static void on_check(struct ev_loop *loop, ev_timer *w, int revents)
{
    harness *h = w->data;
    for (int i = 0; i < 4; i++)
        if (g_cons[i] && g_cons[i]->k) flush_deferred(g_cons[i]);
    if (h->pred(h)) ev_break(loop, EVBREAK_ALL);
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents) { ev_break(loop, EVBREAK_ALL); }

static int run_until(harness *h, int (*pred)(harness *), double timeout_s)
{
    h->pred = pred;
    ev_timer check, deadline;
    ev_timer_init(&check, on_check, 0.02, 0.02);
    check.data = h;
    ev_timer_init(&deadline, on_deadline, timeout_s, 0);
    ev_timer_start(h->loop, &check);
    ev_timer_start(h->loop, &deadline);
    if (!pred(h)) ev_run(h->loop, 0);
    ev_timer_stop(h->loop, &check);
    ev_timer_stop(h->loop, &deadline);
    return pred(h);
}

static int pred_target(harness *h) { return h->unique >= (uint64_t)h->target; }

static int pred_both_assigned_1(harness *h);

static void harness_init(harness *h)
{
    memset(h, 0, sizeof *h);
    h->loop = ev_loop_new(EVFLAG_AUTO);
    h->seen = calloc(MAX_IDS, sizeof *h->seen);
    ASSERT(h->loop && h->seen);
    memset(g_cons, 0, sizeof g_cons);
}

static void harness_free(harness *h)
{
    ev_loop_destroy(h->loop);
    free(h->seen);
}

static consumer *consumer_open(harness *h, int slot, const char *bs, const char *group,
                               const char *topic, const char *dlq, size_t max_bytes,
                               const char *const *extra, size_t n_extra)
{
    consumer *c = calloc(1, sizeof *c);
    ASSERT(c);
    c->h = h;
    const char *props[32] = {"bootstrap.servers", bs, "group.id", group, "session.timeout.ms",
                             "6000", "heartbeat.interval.ms", "500"};
    size_t n = 4;
    for (size_t i = 0; i < n_extra; i++) {
        props[2 * n] = extra[2 * i];
        props[2 * n + 1] = extra[2 * i + 1];
        n++;
    }
    const char *topics[] = {topic};
    ingest_kafka_opts o = {
        .loop = h->loop,
        .props = props,
        .n_props = n,
        .topics = topics,
        .n_topics = 1,
        .dlq_topic = dlq,
        .limits = {.max_bytes = max_bytes},
        .batch = getenv("BENCH_BATCH") ? (unsigned)atoi(getenv("BENCH_BATCH")) : 64,
        .commit_interval_ms =
            getenv("BENCH_COMMIT_MS") ? (unsigned)atoi(getenv("BENCH_COMMIT_MS")) : 200,
        .on_article = on_article,
        .ud = c,
    };
    char err[512];
    int rc = ingest_kafka_create(&c->k, &o, err, sizeof err);
    if (rc) fprintf(stderr, "ingest_kafka_create: %s\n", err);
    ASSERT_EQ(rc, 0);
    g_cons[slot] = c;
    return c;
}

static ingest_kafka_stats last_stats; /* of the last closed consumer */

static void consumer_close(consumer *c, int slot)
{
    flush_deferred(c);
    ASSERT_EQ(ingest_kafka_close(c->k, 10000), 0);
    ingest_kafka_get_stats(c->k, &last_stats);
    ingest_kafka_destroy(c->k);
    c->k = NULL;
    free(c->tokens);
    free(c);
    g_cons[slot] = NULL;
}

static ingest_broker *broker_start(int n)
{
    ingest_broker *b;
    char err[256];
    ASSERT_EQ(ingest_broker_create(&b, n, err, sizeof err), 0);
    return b;
}

static int have_exe(const char *p) { return p && access(p, X_OK) == 0; }

static int pred_both_assigned_1(harness *h) { return ingest_kafka_assigned(g_cons[0]->k) == 2; }

/* ---- tests ---- */

TEST(happy_path)
{
    enum { N = 2000 };
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "happy", 3), 0);
    produce_range(bs, "happy", 0, N, 200);

    harness h;
    harness_init(&h);
    consumer *c = consumer_open(&h, 0, bs, "g-happy", "happy", NULL, 0, NULL, 0);
    c->defer = 1;
    h.target = N;
    ASSERT(run_until(&h, pred_target, 40));
    flush_deferred(c);
    /* let a batched auto-commit happen before closing */
    run_until(&h, pred_target, 0.5);
    for (int i = 0; i < N; i++) ASSERT_EQ(h.seen[i], 1);
    ingest_kafka_stats st;
    ingest_kafka_get_stats(c->k, &st);
    ASSERT_EQ(st.consumed, N);
    ASSERT_EQ(st.in_flight, 0);
    ASSERT_EQ(st.rejected, 0);
    ASSERT_EQ(ingest_kafka_assigned(c->k), 3);
    consumer_close(c, 0);
    fprintf(stderr, "   happy: %d articles exactly once, commits=%" PRIu64 " (at close %" PRIu64 ")\n",
            N, st.commits, last_stats.commits);
    ASSERT_GE(last_stats.commits, 1);
    ASSERT_LT(last_stats.commits, N / 20);

    /* A restart resumes after the last committed offset: only new ones come. */
    produce_range(bs, "happy", N, N + 10, 50);
    c = consumer_open(&h, 0, bs, "g-happy", "happy", NULL, 0, NULL, 0);
    h.target = N + 10;
    ASSERT(run_until(&h, pred_target, 40));
    run_until(&h, pred_target, 1.0);
    ASSERT_EQ(h.dup, 0);
    ASSERT_EQ(c->got, 10);
    consumer_close(c, 0);
    harness_free(&h);
    ingest_broker_destroy(b);
}

static int pred_never(harness *h) { return 0; }

/* A backlog larger than librdkafka's prefetch buffer drains: when the queue
 * runs dry with a backlog left, squawk wakes the fetchers (ingest/refill.c)
 * instead of waiting for librdkafka's once-a-second look. */
TEST(backlog_refill)
{
    enum { N = 3000 };
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "backlog", 4), 0);
    produce_range(bs, "backlog", 0, N, 2000);

    harness h;
    harness_init(&h);
    /* ~30 articles fit the prefetch buffer: without wake-ups, ~30 a second */
    const char *extra[] = {"queued.max.messages.kbytes", "64", "fetch.max.bytes", "65536", "message.max.bytes", "65536",
                           "max.partition.fetch.bytes", "16384"};
    consumer *c = consumer_open(&h, 0, bs, "g-backlog", "backlog", NULL, 0, extra, 4);
    h.target = N;
    int64_t t0 = sq_clock_realtime_ns();
    ASSERT(run_until(&h, pred_target, 200));
    double secs = (double)(sq_clock_realtime_ns() - t0) / 1e9;
    ingest_kafka_stats st;
    ingest_kafka_get_stats(c->k, &st);
    for (int i = 0; i < N; i++) ASSERT_EQ(h.seen[i], 1);
    ASSERT_GT(st.refills, 0);
    consumer_close(c, 0);
    ASSERT_GE(last_stats.refills, st.refills); /* the count survives close */
    fprintf(stderr, "   backlog: %d articles (2 KB, 64 KB prefetch) in %.1f s, %" PRIu64 " refills\n",
            N, secs, st.refills);
    harness_free(&h);
    ingest_broker_destroy(b);
}

/* Resumes c and waits for articles 0..n-1: each arrives once, and no copy follows. */
static void resume_expect_all(harness *h, consumer *c, int n)
{
    ingest_kafka_pause(c->k, 0);
    h->target = n;
    ASSERT(run_until(h, pred_target, 40));
    run_until(h, pred_never, 0.5);
    for (int i = 0; i < n; i++) ASSERT_EQ(h->seen[i], 1);
}

TEST(pause_resume)
{
    enum { N = 300 };
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "pause", 2), 0);
    harness h;
    harness_init(&h);
    consumer *c = consumer_open(&h, 0, bs, "g-pause", "pause", NULL, 0, NULL, 0);
    /* paused before the group assigns anything: the state must survive assignment */
    ingest_kafka_pause(c->k, 1);
    ASSERT(run_until(&h, pred_both_assigned_1, 40));
    produce_range(bs, "pause", 0, N, 50);
    run_until(&h, pred_never, 2.0);
    ASSERT_EQ(c->got, 0);
    resume_expect_all(&h, c, N);
    ingest_kafka_stats st;
    run_until(&h, pred_never, 1.5); /* one statistics interval */
    ingest_kafka_get_stats(c->k, &st);
    fprintf(stderr,
            "   pause: nothing while paused (%" PRIu64 " sent back), %d after resume; lag=%" PRId64
            " broker_up=%d\n",
            st.sent_back, N, st.consumer_lag, st.broker_up);
    consumer_close(c, 0);
    harness_free(&h);
    ingest_broker_destroy(b);
}

/* Paused from inside the article callback with the rest of the batch
 * already fetched: nothing more is handed out (librdkafka 2.0 drops the
 * fetched messages at pause; kafka.c's send_back seeks back any that still
 * arrive) and each of the rest arrives exactly once after resume. */
TEST(pause_mid_batch)
{
    enum { N = 400 };
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "midpause", 1), 0);
    produce_range(bs, "midpause", 0, N, 50);
    harness h;
    harness_init(&h);
    consumer *c = consumer_open(&h, 0, bs, "g-midpause", "midpause", NULL, 0, NULL, 0);
    c->pause_at = 5;
    h.target = 5;
    ASSERT(run_until(&h, pred_target, 40));
    run_until(&h, pred_never, 1.0);
    ASSERT_EQ(c->got, 5);
    ingest_kafka_stats st;
    ingest_kafka_get_stats(c->k, &st);
    resume_expect_all(&h, c, N);
    fprintf(stderr, "   pause mid-batch: 5 handed out, %" PRIu64 " sent back, %d once each after resume\n",
            st.sent_back, N);
    consumer_close(c, 0);
    harness_free(&h);
    ingest_broker_destroy(b);
}

static void write_file(const char *path, const void *buf, size_t len)
{
    FILE *fp = fopen(path, "wb");
    ASSERT(fp);
    ASSERT_EQ(fwrite(buf, 1, len, fp), len);
    fclose(fp);
}

static int pred_got11(harness *h) { return g_cons[0]->got >= 11; }

/* squawk feed's inputs: a pretty-printed .json, JSON Lines, .msgpack, a
 * directory in name order, through the library and through the binary. */
TEST(feed_files)
{
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "files", 1), 0);
    char dir[] = "/tmp/sq-feed-XXXXXX";
    ASSERT(mkdtemp(dir));
    char p[512];
    snprintf(p, sizeof p, "%s/1-one.json", dir);
    const char *one = "{\n  \"id\": \"a-0\",\n  \"headline\": \"pretty\"\n}\n";
    write_file(p, one, strlen(one));
    snprintf(p, sizeof p, "%s/2-lines.jsonl", dir);
    const char *lines = "{\"id\":\"a-1\",\"headline\":\"x\"}\n\n{\"id\":\"a-2\",\"headline\":\"y\"}\r\n"
                        "not json: rejected, and without a DLQ only counted\n"
                        "{\"id\":\"a-3\",\"headline\":\"z\"}";
    write_file(p, lines, strlen(lines));
    proto_article a;
    ASSERT_EQ(proto_article_init(&a, "a-4", "packed", "body"), 0);
    char *mp;
    size_t mpn;
    ASSERT_EQ(proto_article_encode_msgpack(&a, &mp, &mpn), 0);
    proto_article_free(&a);
    snprintf(p, sizeof p, "%s/3-art.msgpack", dir);
    write_file(p, mp, mpn);
    free(mp);

    ingest_feed_opts fo = {.bootstrap = bs, .topic = "files"};
    ingest_feed *f;
    char err[256];
    ASSERT_EQ(ingest_feed_create(&f, &fo, err, sizeof err), 0);
    const char *paths[] = {dir};
    ASSERT_EQ(ingest_feed_run(f, paths, 1, err, sizeof err), 0);
    feed_close(f, 6);

    /* the binary, paced, with --count over --loop: 6 messages, then a-0 again */
    const char *bin = getenv("SQUAWK_BIN");
    int via_bin = have_exe(bin);
    if (via_bin) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s feed -b %s -t files --rate 200 --loop --count 7 %s 2>/dev/null",
                 bin, bs, dir);
        ASSERT_EQ(system(cmd), 0);
        snprintf(cmd, sizeof cmd, "%s feed -b %s -t files %s/missing 2>/dev/null", bin, bs, dir);
        ASSERT_NE(system(cmd), 0);
    } else {
        fprintf(stderr, "   squawk binary not built: library path only\n");
    }

    harness h;
    harness_init(&h);
    consumer *c = consumer_open(&h, 0, bs, "g-files", "files", NULL, 0, NULL, 0);
    h.target = 5;
    ASSERT(run_until(&h, pred_target, 40));
    if (via_bin) {
        ASSERT(run_until(&h, pred_got11, 40));
        run_until(&h, pred_never, 0.5); /* nothing beyond --count */
        ASSERT_EQ(c->got, 11);
        ASSERT_EQ(h.seen[0], 3);
        ASSERT_EQ(h.seen[1], 2);
        ASSERT_EQ(h.seen[4], 2);
    } else {
        run_until(&h, pred_never, 0.5);
    }
    ingest_kafka_stats st;
    ingest_kafka_get_stats(c->k, &st);
    ASSERT_EQ(st.rejected, via_bin ? 2 : 1);
    ASSERT_EQ(st.rejected_by_err[-SQ_E_BAD_FORMAT] + st.rejected_by_err[-SQ_E_BAD_JSON],
              st.rejected);
    ASSERT_EQ(st.dead_lettered, 0);
    ASSERT_EQ(st.in_flight, 0); /* rejects without a DLQ are stored like the rest */
    for (int i = 0; i < 5; i++) ASSERT_GE(h.seen[i], 1);
    consumer_close(c, 0);
    harness_free(&h);
    snprintf(p, sizeof p, "rm -rf %s", dir);
    ASSERT_EQ(system(p), 0);
    ingest_broker_destroy(b);
}

static int pred_dlq(harness *h)
{
    ingest_kafka_stats st;
    ingest_kafka_get_stats(g_cons[0]->k, &st);
    return h->unique >= (uint64_t)h->target && st.dead_lettered >= 5;
}

TEST(dead_letters)
{
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "dlq-in", 1), 0);
    ASSERT_EQ(ingest_broker_topic_create(b, "dlq-out", 1), 0);

    static char big[8192];
    int bign = fmt_article(big, sizeof big, 999, 6000);
    /* over librdkafka's default message.max.bytes (1000000) but under the
     * mock's ~1 MiB segment: dead-lettered whole all the same (ALERTS.md) */
    enum { HUGE = 1020000 };
    char *huge = malloc(HUGE + 64);
    ASSERT(huge);
    int hugen = fmt_article(huge, HUGE + 64, 998, HUGE - 60);
    struct {
        const char *buf;
        size_t len;
        int expect; /* 0: ask proto what it says */
    } bad[] = {
        {"{\"id\": \"x\", \"headline\": ", 0, 0},
        {"{\"headline\":\"no id here\"}", 0, 0},
        {"{\"id\":\"u\xff\xfe\",\"headline\":\"bad utf8\"}", 0, 0},
        {big, (size_t)bign, SQ_E_TOO_BIG},
        {huge, (size_t)hugen, SQ_E_TOO_BIG},
    };
    enum { NBAD = 5 };
    for (size_t i = 0; i < 3; i++) bad[i].len = strlen(bad[i].buf);
    const size_t max_bytes = 4096;
    for (size_t i = 0; i < 3; i++) {
        proto_article a;
        proto_limits lim = {.max_bytes = max_bytes};
        bad[i].expect = proto_article_decode(bad[i].buf, bad[i].len, &lim, &a, NULL, 0);
        ASSERT_LT(bad[i].expect, 0);
    }
    ASSERT_EQ(bad[1].expect, SQ_E_NO_ID);
    ASSERT_EQ(bad[2].expect, SQ_E_BAD_UTF8);

    /* good 0..49, then the bad ones at offsets 50..54, then good 50..99 */
    const char *fprops[] = {"message.max.bytes", "1100000"};
    ingest_feed_opts fo = {.bootstrap = bs, .topic = "dlq-in", .props = fprops, .n_props = 1};
    ingest_feed *f;
    char ferr[256];
    ASSERT_EQ(ingest_feed_create(&f, &fo, ferr, sizeof ferr), 0);
    char buf[512];
    for (int i = 0; i < 50; i++)
        ASSERT_EQ(ingest_feed_send(f, buf, (size_t)fmt_article(buf, sizeof buf, i, 10)), 0);
    for (size_t i = 0; i < NBAD; i++) ASSERT_EQ(ingest_feed_send(f, bad[i].buf, bad[i].len), 0);
    for (int i = 50; i < 100; i++)
        ASSERT_EQ(ingest_feed_send(f, buf, (size_t)fmt_article(buf, sizeof buf, i, 10)), 0);
    feed_close(f, 100 + NBAD);

    harness h;
    harness_init(&h);
    consumer *c = consumer_open(&h, 0, bs, "g-dlq", "dlq-in", "dlq-out", max_bytes, NULL, 0);
    h.target = 100;
    ASSERT(run_until(&h, pred_dlq, 40));
    ingest_kafka_stats st;
    ingest_kafka_get_stats(c->k, &st);
    ASSERT_EQ(st.consumed, 100 + NBAD);
    ASSERT_EQ(st.rejected, NBAD);
    ASSERT_EQ(st.dead_lettered, NBAD);
    uint64_t by[128] = {0};
    for (size_t i = 0; i < NBAD; i++) by[-bad[i].expect]++;
    for (int i = 0; i < 128; i++) ASSERT_EQ(st.rejected_by_err[i], by[i]);
    run_until(&h, pred_dlq, 0.5); /* let offsets be stored and committed */
    ingest_kafka_get_stats(c->k, &st);
    ASSERT_EQ(st.in_flight, 0);
    consumer_close(c, 0);
    for (int i = 0; i < 100; i++) ASSERT_EQ(h.seen[i], 1);

    /* Read the DLQ with a plain librdkafka consumer. */
    char es[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, es, sizeof es);
    rd_kafka_conf_set(conf, "group.id", "dlq-reader", es, sizeof es);
    rd_kafka_conf_set(conf, "enable.partition.eof", "false", es, sizeof es);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof es);
    ASSERT(rk);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, "dlq-out", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    ASSERT_EQ(rd_kafka_assign(rk, tp), 0);
    rd_kafka_topic_partition_list_destroy(tp);
    int got = 0;
    int64_t deadline = sq_clock_mono_ns() + 30LL * 1000000000;
    while (got < NBAD && sq_clock_mono_ns() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) continue;
        if (m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        /* Which bad message is it? Find by the unchanged value. */
        int which = -1;
        for (int i = 0; i < NBAD; i++)
            if (m->len == bad[i].len && memcmp(m->payload, bad[i].buf, m->len) == 0) which = i;
        rd_kafka_headers_t *hd;
        const void *v;
        size_t vl;
        ASSERT_EQ(rd_kafka_message_headers(m, &hd), 0);
        /* the broker takes it, so nothing is dropped: no empty values */
        ASSERT_GE(which, 0);
        ASSERT(rd_kafka_header_get_last(hd, "squawk-original-bytes", &v, &vl) != 0);
        ASSERT_EQ(rd_kafka_header_get_last(hd, "squawk-error", &v, &vl), 0);
        char val[128];
        snprintf(val, sizeof val, "%.*s", (int)vl, (const char *)v);
        ASSERT_STR_EQ(val, sq_err_name(bad[which].expect));
        ASSERT_EQ(rd_kafka_header_get_last(hd, "squawk-source", &v, &vl), 0);
        snprintf(val, sizeof val, "%.*s", (int)vl, (const char *)v);
        char want[64];
        snprintf(want, sizeof want, "dlq-in/0/%d", 50 + which);
        ASSERT_STR_EQ(val, want);
        ASSERT_EQ(rd_kafka_header_get_last(hd, "squawk-ts", &v, &vl), 0); /* original headers kept */
        got++;
        rd_kafka_message_destroy(m);
    }
    ASSERT_EQ(got, NBAD);
    free(huge);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);

    /* Dead-lettered offsets were stored: a restart sees only new messages. */
    produce_range(bs, "dlq-in", 100, 105, 10);
    c = consumer_open(&h, 0, bs, "g-dlq", "dlq-in", "dlq-out", max_bytes, NULL, 0);
    h.target = 105;
    ASSERT(run_until(&h, pred_target, 40));
    run_until(&h, pred_target, 1.0);
    ingest_kafka_get_stats(c->k, &st);
    ASSERT_EQ(st.rejected, 0);
    ASSERT_EQ(c->got, 5);
    consumer_close(c, 0);
    harness_free(&h);
    ingest_broker_destroy(b);
}

static void on_up(struct ev_loop *loop, ev_timer *w, int revents)
{
    harness *h = w->data;
    fprintf(stderr, "   broker 1 up again (seen %" PRIu64 ")\n", h->unique);
    ASSERT_EQ(ingest_broker_set_down(h->broker, 1, 0), 0);
    h->down_done = 1;
}

static int pred_outage(harness *h)
{
    if (!h->went_down && h->unique >= (uint64_t)h->down_at) {
        h->went_down = 1;
        fprintf(stderr, "   broker 1 down at %" PRIu64 " seen\n", h->unique);
        ASSERT_EQ(ingest_broker_set_down(h->broker, 1, 1), 0);
        ev_timer_init(&h->up_timer, on_up, 3.0, 0);
        h->up_timer.data = h;
        ev_timer_start(h->loop, &h->up_timer);
    }
    return h->down_done && h->unique >= (uint64_t)h->target;
}

TEST(broker_down)
{
    enum { N = 3000 };
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "outage", 2), 0);
    produce_range(bs, "outage", 0, N / 2, 200);

    harness h;
    harness_init(&h);
    h.broker = b;
    h.down_at = N / 4;
    /* small fetches so the outage lands while most messages are still remote */
    const char *extra[] = {"queued.min.messages", "20", "fetch.message.max.bytes", "2000",
                           "fetch.max.bytes", "4000", "message.max.bytes", "4000",
                           "reconnect.backoff.max.ms", "500"};
    consumer *c = consumer_open(&h, 0, bs, "g-outage", "outage", NULL, 0, extra, 5);
    h.target = N / 2;
    ASSERT(run_until(&h, pred_outage, 50) || h.unique >= (uint64_t)(N / 2));
    ASSERT(h.went_down);
    /* and the second half, produced after the outage */
    if (!h.down_done) ASSERT(run_until(&h, pred_outage, 10));
    produce_range(bs, "outage", N / 2, N, 200);
    h.target = N;
    ASSERT(run_until(&h, pred_outage, 40));
    for (int i = 0; i < N; i++) ASSERT_GE(h.seen[i], 1);
    ingest_kafka_stats st;
    ingest_kafka_get_stats(c->k, &st);
    fprintf(stderr, "   outage: %d seen, %" PRIu64 " duplicates, broker_up=%d\n", N, h.dup,
            st.broker_up);
    consumer_close(c, 0);
    harness_free(&h);
    ingest_broker_destroy(b);
}

static int pred_both_assigned(harness *h)
{
    int a = ingest_kafka_assigned(g_cons[0]->k), b = ingest_kafka_assigned(g_cons[1]->k);
    return a > 0 && b > 0 && a + b == 4;
}

static int pred_b_all(harness *h)
{
    return ingest_kafka_assigned(g_cons[1]->k) == 4 && h->unique >= (uint64_t)h->target;
}

static void group_scenario(const char *strategy)
{
    enum { N = 4000 };
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "grp", 4), 0);
    harness h;
    harness_init(&h);
    const char *extra[] = {"partition.assignment.strategy", strategy};
    consumer *ca = consumer_open(&h, 0, bs, "g-grp", "grp", NULL, 0, extra, 1);
    consumer *cb = consumer_open(&h, 1, bs, "g-grp", "grp", NULL, 0, extra, 1);
    ASSERT(run_until(&h, pred_both_assigned, 40));
    fprintf(stderr, "   split: a=%d b=%d partitions\n", ingest_kafka_assigned(ca->k),
            ingest_kafka_assigned(cb->k));
    produce_range(bs, "grp", 0, N / 2, 100);
    h.target = N / 2;
    ASSERT(run_until(&h, pred_target, 40));
    ASSERT_GT(ca->got, 0);
    ASSERT_GT(cb->got, 0);
    ASSERT_EQ(ca->part_mask & cb->part_mask, 0);
    ASSERT_EQ(ca->part_mask | cb->part_mask, 0xf);
    /* Let b's batched commit land first: the mock broker refuses commits
     * while a rebalance is in progress, so b's uncommitted work would be
     * redelivered (correct, but noisy). */
    run_until(&h, pred_target, 0.6);
    consumer_close(ca, 0);
    produce_range(bs, "grp", N / 2, N, 100);
    h.target = N;
    ASSERT(run_until(&h, pred_b_all, 50));
    for (int i = 0; i < N; i++) ASSERT_GE(h.seen[i], 1);
    ASSERT_EQ(cb->part_mask, 0xf);
    fprintf(stderr, "   takeover (%s): all %d seen, %" PRIu64 " duplicates\n", strategy, N, h.dup);
    consumer_close(cb, 1);
    harness_free(&h);
    ingest_broker_destroy(b);
}

TEST(group_split_and_takeover) { group_scenario("range,roundrobin"); }

TEST(group_cooperative) { group_scenario("cooperative-sticky"); }

/* ---- SIGKILL: a child process consumes; we kill -9 it and start another ---- */

static int child_fd = -1;

static void child_article(void *ud, const proto_article *a, const ingest_meta *m)
{
    ingest_kafka *k = *(ingest_kafka **)ud;
    char line[128];
    int n = snprintf(line, sizeof line, "%s\n", a->id);
    ASSERT_EQ(write(child_fd, line, (size_t)n), n);
    usleep(400); /* slow enough to be killed mid-stream */
    ingest_kafka_done(k, m->token); /* only after the id is safely written */
}

static int child_main(const char *bs, const char *topic, const char *group, const char *path)
{
    child_fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    ASSERT_GE(child_fd, 0);
    struct ev_loop *loop = ev_default_loop(0);
    static ingest_kafka *k;
    const char *props[] = {"bootstrap.servers", bs, "group.id", group, "session.timeout.ms", "6000",
                           "heartbeat.interval.ms", "500"};
    const char *topics[] = {topic};
    ingest_kafka_opts o = {.loop = loop, .props = props, .n_props = 4, .topics = topics,
                           .n_topics = 1, .batch = 32, .commit_interval_ms = 100,
                           .on_article = child_article, .ud = &k};
    char err[256];
    ASSERT_EQ(ingest_kafka_create(&k, &o, err, sizeof err), 0);
    ev_run(loop, 0); /* until killed */
    return 0;
}

static pid_t spawn_child(const char *bs, const char *topic, const char *group, const char *path)
{
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        execl("/proc/self/exe", "test_ingest", "child", bs, topic, group, path, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static size_t read_ids(const char *path, harness *h)
{
    FILE *fp = fopen(path, "r");
    size_t n = 0;
    if (!fp) return 0;
    char line[128];
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "a-", 2) != 0 || !strchr(line, '\n')) continue; /* torn last line */
        long id = strtol(line + 2, NULL, 10);
        if (h) {
            if (h->seen[id]++ == 0)
                h->unique++;
            else
                h->dup++;
        }
        n++;
    }
    fclose(fp);
    return n;
}

TEST(sigkill_restart)
{
    enum { N = 3000 };
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "kill", 2), 0);
    produce_range(bs, "kill", 0, N, 100);
    char dir[] = "/tmp/sq-ingest-XXXXXX";
    ASSERT(mkdtemp(dir));
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "%s/run1", dir);
    snprintf(p2, sizeof p2, "%s/run2", dir);

    pid_t c1 = spawn_child(bs, "kill", "g-kill", p1);
    int64_t deadline = sq_clock_mono_ns() + 40LL * 1000000000;
    size_t n1 = 0;
    while ((n1 = read_ids(p1, NULL)) < N / 3 && sq_clock_mono_ns() < deadline) usleep(20000);
    ASSERT_GE(n1, N / 3);
    kill(c1, SIGKILL);
    int status;
    ASSERT_EQ(waitpid(c1, &status, 0), c1);
    ASSERT(WIFSIGNALED(status));
    n1 = read_ids(p1, NULL);
    ASSERT_LT(n1, (size_t)N); /* it really died mid-stream */

    pid_t c2 = spawn_child(bs, "kill", "g-kill", p2);
    harness h;
    deadline = sq_clock_mono_ns() + 50LL * 1000000000;
    for (;;) {
        harness_init(&h);
        read_ids(p1, &h);
        read_ids(p2, &h);
        if (h.unique >= N || sq_clock_mono_ns() > deadline) break;
        harness_free(&h);
        usleep(50000);
    }
    kill(c2, SIGKILL);
    waitpid(c2, &status, 0);
    fprintf(stderr, "   sigkill: run1=%zu ids, union=%" PRIu64 "/%d, duplicates=%" PRIu64 "\n", n1,
            h.unique, N, h.dup);
    for (int i = 0; i < N; i++) ASSERT_GE(h.seen[i], 1);
    harness_free(&h);
    unlink(p1);
    unlink(p2);
    rmdir(dir);
    ingest_broker_destroy(b);
}

/* ---- kcat into `squawk broker` ---- */


TEST(kcat_into_squawk_broker)
{
    const char *bin = getenv("SQUAWK_BIN");
    if (system("command -v kcat >/dev/null 2>&1") != 0) {
        fprintf(stderr, "   SKIP: kcat not installed (apt-get install kcat)\n");
        return;
    }
    if (!have_exe(bin)) {
        fprintf(stderr, "   SKIP: squawk binary not built (SQUAWK_BIN=%s)\n", bin ? bin : "");
        return;
    }
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl(bin, "squawk", "broker", "--topic", "kc:2", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *fp = fdopen(out[0], "r");
    char bs[256] = "";
    ASSERT(fgets(bs, sizeof bs, fp));
    bs[strcspn(bs, "\r\n")] = '\0';
    ASSERT(strchr(bs, ':'));

    enum { N = 300 };
    char cmd[512];
    snprintf(cmd, sizeof cmd, "kcat -P -b %s -t kc", bs);
    FILE *kc = popen(cmd, "w");
    ASSERT(kc);
    char buf[512];
    for (int i = 0; i < N; i++) {
        fmt_article(buf, sizeof buf, i, 40);
        fprintf(kc, "%s\n", buf);
    }
    ASSERT_EQ(pclose(kc), 0);

    harness h;
    harness_init(&h);
    consumer *c = consumer_open(&h, 0, bs, "g-kcat", "kc", NULL, 0, NULL, 0);
    h.target = N;
    h.no_ts = 1;
    ASSERT(run_until(&h, pred_target, 40));
    for (int i = 0; i < N; i++) ASSERT_EQ(h.seen[i], 1);
    consumer_close(c, 0);
    harness_free(&h);
    kill(pid, SIGTERM);
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fclose(fp);
}

/* ---- bench mode: not run by ctest ---- */

static int bench_main(int n, int runs, int parts)
{
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "bench", parts), 0);
    int64_t t0 = sq_clock_mono_ns();
    produce_range(bs, "bench", 0, n, 900); /* ~1 KB articles */
    fprintf(stderr, "produced %d ~1KB articles in %.2fs\n", n, (sq_clock_mono_ns() - t0) / 1e9);
    double rates[16];
    for (int r = 0; r < runs && r < 16; r++) {
        harness h;
        harness_init(&h);
        char group[32];
        snprintf(group, sizeof group, "bench-%d", r);
        /* BENCH_PROPS="key=value,key=value" passes consumer properties */
        const char *extra[16];
        size_t n_extra = 0;
        char props[512] = "";
        if (getenv("BENCH_PROPS")) snprintf(props, sizeof props, "%s", getenv("BENCH_PROPS"));
        for (char *save, *kv = strtok_r(props, ",", &save); kv && n_extra < 8;
             kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq) continue;
            *eq = '\0';
            extra[2 * n_extra] = kv;
            extra[2 * n_extra + 1] = eq + 1;
            n_extra++;
        }
        consumer *c = consumer_open(&h, 0, bs, group, "bench", NULL, 0, extra, n_extra);
        c->defer = 0;
        /* time from the first article to the last */
        h.target = 1;
        ASSERT(run_until(&h, pred_target, 60));
        int64_t s = sq_clock_mono_ns();
        uint64_t first = h.unique;
        h.target = n;
        if (!run_until(&h, pred_target, 120)) {
            fprintf(stderr, "only %" PRIu64 " of %d consumed: the mock keeps a few MB per "
                    "partition; use more partitions\n", h.unique, n);
            return 1;
        }
        double secs = (sq_clock_mono_ns() - s) / 1e9;
        ingest_kafka_stats st;
        ingest_kafka_get_stats(c->k, &st);
        consumer_close(c, 0);
        rates[r] = (double)(n - first) / secs;
        fprintf(stderr, "run %d: %.0f articles/s, %" PRIu64 " commits for %d articles (%.2f per 10k)\n",
                r + 1, rates[r], st.commits, n, st.commits * 10000.0 / n);
        harness_free(&h);
    }
    for (int i = 0; i < runs; i++)
        for (int j = i + 1; j < runs; j++)
            if (rates[j] < rates[i]) {
                double t = rates[i];
                rates[i] = rates[j];
                rates[j] = t;
            }
    printf("median of %d: %.0f articles/s\n", runs, rates[runs / 2]);
    ingest_broker_destroy(b);
    rd_kafka_wait_destroyed(5000);
    return 0;
}

int main(int argc, char **argv)
{
    sq_log_level lvl = SQ_LOG_WARN;
    if (getenv("SQ_LOG")) sq_log_parse_level(getenv("SQ_LOG"), &lvl);
    sq_log_setup(stderr, lvl, SQ_LOG_TEXT);
    if (argc == 6 && strcmp(argv[1], "child") == 0)
        return child_main(argv[2], argv[3], argv[4], argv[5]);
    if (argc >= 2 && strcmp(argv[1], "bench") == 0)
        return bench_main(argc > 2 ? atoi(argv[2]) : 100000, argc > 3 ? atoi(argv[3]) : 5,
                          argc > 4 ? atoi(argv[4]) : 8);
    const char *only = argc >= 2 ? argv[1] : NULL;
#define MAYBE(name)                                                                             \
    do {                                                                                        \
        if (!only || strcmp(only, #name) == 0) RUN(name);                                       \
    } while (0)
    MAYBE(happy_path);
    MAYBE(pause_resume);
    MAYBE(pause_mid_batch);
    MAYBE(backlog_refill);
    MAYBE(feed_files);
    MAYBE(dead_letters);
    MAYBE(broker_down);
    MAYBE(group_split_and_takeover);
    MAYBE(group_cooperative);
    MAYBE(sigkill_restart);
    MAYBE(kcat_into_squawk_broker);
    ASSERT_EQ(rd_kafka_wait_destroyed(10000), 0);
    fprintf(stderr, "ok\n");
    return 0;
}
