/* test_reliability.c -- the reliability suite: SIGKILL restarts, broker faults, hostile input, slow subscribers, scale-out, security. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ingest/broker.h"
#include "tests/assert.h"
#include "tests/reliability/rel_util.h"

#define SKIP_NO_BIN()                                                                  \
    do {                                                                               \
        if (!rel_bin()) {                                                              \
            fprintf(stderr, "   SKIP: squawk binary not built\n");                     \
            return;                                                                    \
        }                                                                              \
    } while (0)

static ingest_broker *broker_start(int n)
{
    ingest_broker *b;
    char err[256];
    ASSERT_EQ(ingest_broker_create(&b, n, err, sizeof err), 0);
    return b;
}

static unsigned seed_rng(void)
{
    const char *s = getenv("SQ_SEED");
    unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    fprintf(stderr, "   seed %u (SQ_SEED=%u reproduces)\n", seed, seed);
    return seed;
}

static double rnd(double lo, double hi) { return lo + (hi - lo) * (rand() / (double)RAND_MAX); }

static void sleep_s(double s) { usleep((useconds_t)(s * 1e6)); }

/* ---- id sets: sorted strings with a payload --------------------------------------------- */

typedef struct ident {
    char *id;
    char *article;
    long pos; /* byte offset where it first appears, or an index */
} ident;

typedef struct idset {
    ident *v;
    size_t n, cap;
} idset;

static void ids_add(idset *s, const char *id, const char *article, long pos)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        ASSERT(s->v);
    }
    s->v[s->n++] = (ident){strdup(id), article ? strdup(article) : NULL, pos};
}

static int ident_cmp(const void *a, const void *b)
{
    int c = strcmp(((const ident *)a)->id, ((const ident *)b)->id);
    if (c) return c;
    long d = ((const ident *)a)->pos - ((const ident *)b)->pos;
    return d < 0 ? -1 : d > 0;
}

/* Sorts, and folds repeats into the first (smallest pos); returns how many were folded. */
static size_t ids_finish(idset *s)
{
    if (!s->n) return 0;
    qsort(s->v, s->n, sizeof *s->v, ident_cmp);
    size_t w = 0, dup = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (w && strcmp(s->v[w - 1].id, s->v[i].id) == 0) {
            free(s->v[i].id);
            free(s->v[i].article);
            dup++;
            continue;
        }
        s->v[w++] = s->v[i];
    }
    s->n = w;
    return dup;
}

static ident *ids_find(const idset *s, const char *id)
{
    ident key = {.id = (char *)id};
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->v[mid].id, key.id);
        if (c == 0) return &s->v[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static void ids_free(idset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].id);
        free(s->v[i].article);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Alerts of a JSON Lines file (squawk score / jsonl sink) into s; pos = byte offset of the line end. */
static size_t read_alerts(const char *path, idset *s)
{
    size_t len;
    char *buf = rel_slurp(path, &len);
    if (!buf) return 0;
    size_t n = 0;
    char *p = buf;
    while (p < buf + len) {
        char *eol = memchr(p, '\n', (size_t)(buf + len - p));
        if (!eol) break; /* a line being written */
        *eol = '\0';
        json_error_t je;
        json_t *j = json_loads(p, 0, &je);
        if (j) {
            const char *id = json_string_value(json_object_get(j, "id"));
            const char *art = json_string_value(json_object_get(json_object_get(j, "article"), "id"));
            if (id) {
                ids_add(s, id, art, (long)(eol + 1 - buf));
                n++;
            }
            json_decref(j);
        }
        p = eol + 1;
    }
    free(buf);
    return n;
}

/* ---- articles --------------------------------------------------------------------------- */

/* Writes n articles to path as JSON Lines: the sample texts in turn, ids rel-000000... */
static void make_articles(const char *path, int n)
{
    char src[512];
    snprintf(src, sizeof src, "%s/samples/articles.jsonl", SQ_SOURCE_DIR);
    json_t *samples[64];
    int ns = 0;
    FILE *in = fopen(src, "r");
    ASSERT(in);
    char *line = NULL;
    size_t cap = 0;
    while (ns < 64 && getline(&line, &cap, in) > 0) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (j) samples[ns++] = j;
    }
    free(line);
    fclose(in);
    ASSERT_GE(ns, 10);
    FILE *f = fopen(path, "w");
    ASSERT(f);
    for (int i = 0; i < n; i++) {
        json_t *a = json_deep_copy(samples[i % ns]);
        char id[32];
        snprintf(id, sizeof id, "rel-%06d", i);
        json_object_set_new(a, "id", json_string(id));
        char *s = json_dumps(a, JSON_COMPACT);
        fprintf(f, "%s\n", s);
        free(s);
        json_decref(a);
    }
    ASSERT_EQ(fclose(f), 0);
    for (int i = 0; i < ns; i++) json_decref(samples[i]);
}

/* Expected alerts: `squawk score` over the same file. */
static void score_file(const char *in, const char *out, idset *exp)
{
    char *argv[] = {(char *)rel_bin(), "score", "--data-dir", (char *)rel_data_dir(), (char *)in, NULL};
    pid_t p = rel_spawn(argv, NULL, out, rel_path("score.err"));
    int st = rel_wait(p, 110);
    ASSERT(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    read_alerts(out, exp);
    ASSERT_EQ(ids_finish(exp), 0);
}

typedef struct art_pos {
    idset by_id; /* pos = partition << 40 | offset */
} art_pos;

static void on_article_msg(void *ud, int partition, int64_t offset, const void *key, size_t klen,
                           const void *val, size_t vlen, const char *err)
{
    (void)key, (void)klen, (void)err;
    art_pos *ap = ud;
    json_error_t je;
    json_t *j = json_loadb(val, vlen, 0, &je);
    ASSERT(j);
    ids_add(&ap->by_id, json_string_value(json_object_get(j, "id")), NULL,
            ((long)partition << 40) | (long)offset);
    json_decref(j);
}

/* ---- 1. crash safety: SIGKILL squawk run at random points ------------------------------ */

TEST(crash)
{
    SKIP_NO_BIN();
    const int N = rel_soak() ? 20000 : 2000;
    const int KILLS = rel_soak() ? 5 : 3;
    /* The mock keeps a few MB per partition: spread the soak's 24 MB wider so
     * nothing is dropped before the final re-read of the topic. */
    enum { MAXP = 16, MAXK = 8 };
    const int P = rel_soak() ? 16 : 4;
    seed_rng();
    rel_tmpdir("crash");
    const char *in = strdup(rel_path("articles.jsonl"));
    make_articles(in, N);
    idset exp = {0};
    score_file(in, rel_path("expected.jsonl"), &exp);
    fprintf(stderr, "   %d articles, %zu expected alerts\n", N, exp.n);
    ASSERT_GT(exp.n, (size_t)N / 2);

    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles", P), 0);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles.dlq", 1), 0);
    char *out = strdup(rel_path("alerts.jsonl"));
    char sinks[1024];
    snprintf(sinks, sizeof sinks, "  jsonl:\n    path: \"%s\"\n", out);
    char *cfg = strdup(rel_path("squawk.yml"));
    rel_write_config(cfg, bs, "rel-crash", sinks, NULL, NULL);

    /* The feed runs throughout, so kills land mid-stream. */
    double feed_s = rel_soak() ? 40 : 8;
    char rate[32];
    snprintf(rate, sizeof rate, "%d", (int)(N / feed_s) + 1);
    char *fargv[] = {(char *)rel_bin(), "feed", "-b", (char *)bs, "-t", "articles", "--rate", rate,
                     (char *)in, NULL};
    pid_t feeder = rel_spawn(fargv, NULL, NULL, rel_path("feed.log"));

    long kill_len[MAXK];
    int64_t kill_comm[MAXK][MAXP];
    for (int k = 0; k <= KILLS; k++) {
        char log[64];
        snprintf(log, sizeof log, "run-%d.log", k);
        rel_run r;
        rel_run_start(&r, cfg, NULL, rel_path(log));
        if (k == KILLS) {
            /* Last incarnation: wait for every expected alert and for the commits. */
            ASSERT_EQ(WEXITSTATUS(rel_wait(feeder, 120)), 0);
            int64_t high[MAXP];
            for (int p = 0; p < P; p++) high[p] = rel_high(bs, "articles", p);
            double end = rel_now() + 90;
            for (;;) {
                idset got = {0};
                read_alerts(out, &got);
                ids_finish(&got);
                size_t have = 0;
                for (size_t i = 0; i < exp.n; i++) have += ids_find(&got, exp.v[i].id) != NULL;
                ids_free(&got);
                int64_t c[MAXP];
                rel_committed(bs, "rel-crash", "articles", P, c);
                int all = 1;
                for (int p = 0; p < P; p++) all &= c[p] == high[p];
                if ((have == exp.n && all) || rel_now() > end) break;
                sleep_s(0.5);
            }
            rel_run_kill(&r, SIGTERM);
            break;
        }
        /* The group hands partitions over only after the killed member's session
         * times out (6 s): kill at a random point once this one is processing. */
        double until = rel_now() + 40;
        while (rel_metric(r.mport, "squawk_articles_processed_total") < 1 && rel_now() < until)
            sleep_s(0.05);
        sleep_s(rnd(0.1, 1.5));
        double processed = rel_metric(r.mport, "squawk_articles_processed_total");
        rel_run_kill(&r, SIGKILL);
        size_t l;
        free(rel_slurp(out, &l));
        kill_len[k] = (long)l;
        rel_committed(bs, "rel-crash", "articles", P, kill_comm[k]);
        int64_t csum = 0;
        for (int p = 0; p < P; p++) csum += kill_comm[k][p] > 0 ? kill_comm[k][p] : 0;
        fprintf(stderr, "   kill %d: processed %.0f, %zu alert lines, committed %" PRId64
                        " over %d partitions\n",
                k + 1, processed, rel_count_lines(out), csum, P);
    }

    /* Committed offsets reached the partition ends. */
    int64_t comm[MAXP];
    rel_committed(bs, "rel-crash", "articles", P, comm);
    for (int p = 0; p < P; p++) ASSERT_EQ(comm[p], rel_high(bs, "articles", p));

    /* Where each article sits, to check "committed => alerted" at every kill. */
    art_pos ap = {0};
    ASSERT_EQ(rel_consume_all(bs, "articles", P, (size_t)N, 60, on_article_msg, &ap), (size_t)N);
    ids_finish(&ap.by_id);

    idset got = {0};
    size_t lines = read_alerts(out, &got);
    size_t dup = ids_finish(&got);
    size_t lost = 0, unexpected = 0, early_commit = 0;
    for (size_t i = 0; i < exp.n; i++) {
        ident *g = ids_find(&got, exp.v[i].id);
        if (!g) {
            if (lost++ < 5) fprintf(stderr, "   LOST %s (article %s)\n", exp.v[i].id, exp.v[i].article);
            continue;
        }
        ident *a = ids_find(&ap.by_id, exp.v[i].article);
        ASSERT(a);
        int part = (int)(a->pos >> 40);
        int64_t off = a->pos & ((1L << 40) - 1);
        for (int k = 0; k < KILLS; k++)
            if (off < kill_comm[k][part] && g->pos > kill_len[k]) {
                if (early_commit++ < 5)
                    fprintf(stderr, "   COMMITTED BEFORE ALERTED: %s at %d/%" PRId64 " (kill %d)\n",
                            g->id, part, off, k + 1);
            }
    }
    for (size_t i = 0; i < got.n; i++) unexpected += ids_find(&exp, got.v[i].id) == NULL;
    fprintf(stderr,
            "   crash: %d kills survived, %zu expected alerts, %zu delivered lines, lost %zu, "
            "duplicates %zu, unexpected %zu, committed-before-alerted %zu\n",
            KILLS, exp.n, lines, lost, dup, unexpected, early_commit);
    ASSERT_EQ(lost, 0);
    ASSERT_EQ(early_commit, 0);
    ASSERT_EQ(unexpected, 0);
    ids_free(&got);
    ids_free(&exp);
    ids_free(&ap.by_id);
    ingest_broker_destroy(b);
    free(out);
    free(cfg);
    free((char *)in);
}

/* ---- 3. hostile input through the whole pipeline -------------------------------------- */

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        ASSERT(b->p);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void put1(buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}
static void put_be(buf *b, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) put1(b, (unsigned)(v >> (8 * i)) & 0xff);
}
static void mp_map(buf *b, uint32_t n)
{
    if (n < 16) put1(b, 0x80 | n);
    else if (n < 65536) put1(b, 0xde), put_be(b, n, 2);
    else put1(b, 0xdf), put_be(b, n, 4);
}
static void mp_arr(buf *b, uint32_t n)
{
    if (n < 16) put1(b, 0x90 | n);
    else if (n < 65536) put1(b, 0xdc), put_be(b, n, 2);
    else put1(b, 0xdd), put_be(b, n, 4);
}
static void mp_strn(buf *b, const char *s, size_t n)
{
    if (n < 32) put1(b, 0xa0 | (unsigned)n);
    else if (n < 256) put1(b, 0xd9), put_be(b, n, 1);
    else if (n < 65536) put1(b, 0xda), put_be(b, n, 2);
    else put1(b, 0xdb), put_be(b, n, 4);
    put(b, s, n);
}
static void mp_str(buf *b, const char *s) { mp_strn(b, s, strlen(s)); }
static void mp_kv(buf *b, const char *k, const char *v) { mp_str(b, k), mp_str(b, v); }
static void js(buf *b, const char *s) { put(b, s, strlen(s)); }

#define GOOD_HEADLINE "Nvidia to raise CoreWeave stake with $2 billion share purchase"
#define GOOD_BODY                                                                          \
    "Nvidia Corp. has agreed to buy $2 billion of newly issued CoreWeave Inc. shares, "     \
    "lifting its stake in the AI cloud operator to about 9%, the two companies said."

typedef struct hostile {
    const char *name;
    const char *expect; /* a squawk-error name, "ALERT" (an alert for the id) or "NONE" */
    buf b;
    char id[32];
} hostile;

/* Fills the catalogue; returns how many. Ids are h-<index> where the message has one. */
static int hostile_catalogue(hostile *h, size_t max_article)
{
    int n = 0;
#define NEXT(nm, ex) (h[n].name = (nm), h[n].expect = (ex), snprintf(h[n].id, 32, "h-%02d", n), &h[n++].b)
    buf *b;
    b = NEXT("empty message", "EMPTY");
    (void)b;
    b = NEXT("plain text", "BAD_FORMAT");
    js(b, "Nvidia agrees to buy CoreWeave stake for $2 billion");
    b = NEXT("truncated msgpack map", "TRUNCATED");
    mp_map(b, 3), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", GOOD_HEADLINE);
    b->n -= 10;
    b = NEXT("str32 claiming 4 GB", "FIELD_TOO_LONG");
    mp_map(b, 2), mp_kv(b, "id", h[n - 1].id), mp_str(b, "headline");
    put1(b, 0xdb), put_be(b, 0xfffffff0u, 4), js(b, "short");
    b = NEXT("msgpack array at top", "NOT_MAP");
    mp_arr(b, 2), mp_str(b, "id"), mp_str(b, "x");
    b = NEXT("JSON array at top", "NOT_OBJECT");
    js(b, "[{\"id\":\"x\",\"headline\":\"y\"}]");
    b = NEXT("JSON syntax error", "BAD_JSON");
    js(b, "{\"id\":\"h-06\",\"headline\":\"unterminated}");
    b = NEXT("JSON trailing bytes", "TRAILING");
    js(b, "{\"id\":\"h-07\",\"headline\":\"x\"} {\"id\":\"again\"}");
    b = NEXT("missing id", "NO_ID");
    mp_map(b, 1), mp_kv(b, "headline", GOOD_HEADLINE);
    b = NEXT("missing headline", "NO_HEADLINE");
    mp_map(b, 2), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "body", GOOD_BODY);
    b = NEXT("id is an integer", "WRONG_TYPE");
    js(b, "{\"id\":12345,\"headline\":\"" GOOD_HEADLINE "\"}");
    b = NEXT("tickers is a string", "WRONG_TYPE");
    mp_map(b, 3), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", GOOD_HEADLINE);
    mp_kv(b, "tickers", "NVDA");
    b = NEXT("invalid UTF-8 (0xff)", "BAD_UTF8");
    mp_map(b, 2), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", "Nvidia \xff buys");
    b = NEXT("overlong UTF-8 (C0 AF)", "BAD_UTF8");
    mp_map(b, 2), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", "Nvidia \xc0\xaf buys");
    b = NEXT("UTF-16 surrogate in UTF-8", "BAD_UTF8");
    mp_map(b, 2), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", "Nvidia \xed\xa0\x80 buys");
    b = NEXT("NUL byte in msgpack headline", "NUL_BYTE");
    mp_map(b, 2), mp_kv(b, "id", h[n - 1].id), mp_str(b, "headline");
    mp_strn(b, "Nvidia\0buys", 11);
    b = NEXT("NUL escape in JSON headline", "NUL_BYTE");
    js(b, "{\"id\":\"h-16\",\"headline\":\"Nvidia\\u0000buys\"}");
    b = NEXT("duplicate key", "DUP_KEY");
    mp_map(b, 3), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", "one");
    mp_kv(b, "headline", GOOD_HEADLINE);
    b = NEXT("non-string map key", "BAD_KEY");
    mp_map(b, 3), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", GOOD_HEADLINE);
    put1(b, 0x07), mp_str(b, "seven");
    b = NEXT("deep nesting (200 arrays)", "TOO_DEEP");
    js(b, "{\"id\":\"h-19\",\"headline\":\"x\",\"extra\":");
    for (int i = 0; i < 200; i++) js(b, "[");
    for (int i = 0; i < 200; i++) js(b, "]");
    js(b, "}");
    b = NEXT("huge array (100k tickers)", "TOO_MANY");
    mp_map(b, 3), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", GOOD_HEADLINE);
    mp_str(b, "tickers"), mp_arr(b, 100000);
    for (int i = 0; i < 100000; i++) mp_str(b, "A");
    b = NEXT("huge map (70k keys)", "TOO_MANY");
    mp_map(b, 70000), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", GOOD_HEADLINE);
    for (int i = 2; i < 70000; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        mp_kv(b, k, "v");
    }
    b = NEXT("just over max_article_bytes", "TOO_BIG");
    {
        size_t len = max_article + 1;
        char *body = malloc(len);
        ASSERT(body);
        memset(body, 'y', len);
        mp_map(b, 3), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", GOOD_HEADLINE);
        mp_str(b, "body"), mp_strn(b, body, len);
        free(body);
    }
    b = NEXT("bad published time (dropped, kept)", "ALERT"); /* optional field: the article goes on */
    mp_map(b, 3), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", GOOD_HEADLINE);
    mp_kv(b, "published", "yesterday at noon");
    b = NEXT("empty id", "EMPTY_FIELD");
    mp_map(b, 2), mp_kv(b, "id", ""), mp_kv(b, "headline", GOOD_HEADLINE);
    b = NEXT("nil headline", "WRONG_TYPE");
    mp_map(b, 2), mp_kv(b, "id", h[n - 1].id), mp_str(b, "headline"), put1(b, 0xc0);
    b = NEXT("reserved msgpack byte 0xc1", "BAD_MSGPACK");
    mp_map(b, 2), mp_kv(b, "id", h[n - 1].id), mp_str(b, "headline"), put1(b, 0xc1);
    /* Valid but pathological for the matcher: no alert, no crash. */
    b = NEXT("~900 KB of one repeated character", "NONE");
    {
        size_t len = max_article - 4096;
        char *body = malloc(len);
        ASSERT(body);
        memset(body, 'a', len);
        mp_map(b, 3), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", "Quiet day");
        mp_str(b, "body"), mp_strn(b, body, len);
        free(body);
    }
    b = NEXT("800 KB of repeated deal words", "ANY");
    {
        mp_map(b, 3), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", "Markets");
        buf body = {0};
        while (body.n < 800000) js(&body, "$2 billion stake buy acquire Nvidia AMD antitrust ");
        mp_str(b, "body"), mp_strn(b, (char *)body.p, body.n);
        free(body.p);
    }
    b = NEXT("every ticker in the text", "ANY");
    js(b, "{\"id\":\"h-29\",\"headline\":\"Nvidia, AMD, Intel, Microsoft, Amazon, Alphabet, Apple, "
          "Meta, Oracle, Broadcom in talks\",\"body\":\"");
    for (int i = 0; i < 2000; i++) js(b, "NVDA AMD INTC MSFT AMZN GOOGL AAPL META ORCL AVGO ");
    js(b, "\"}");
    b = NEXT("multibyte text with an alerting story", "ALERT");
    mp_map(b, 3), mp_kv(b, "id", h[n - 1].id);
    mp_kv(b, "headline", GOOD_HEADLINE " \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80");
    mp_kv(b, "body", GOOD_BODY);
    b = NEXT("valid JSON alerting story", "ALERT");
    js(b, "{\"id\":\"h-31\",\"headline\":\"" GOOD_HEADLINE "\",\"body\":\"" GOOD_BODY
          "\",\"published\":1700000000000}");
    /* librdkafka's mock keeps ~1 MiB segments and drops a bigger message at
     * once, so it never reaches a consumer: squawk must just skip the hole. */
    b = NEXT("10 MB body (the mock drops it)", "NONE");
    {
        size_t len = 10u << 20;
        char *body = malloc(len);
        ASSERT(body);
        memset(body, 'x', len);
        mp_map(b, 3), mp_kv(b, "id", h[n - 1].id), mp_kv(b, "headline", GOOD_HEADLINE);
        mp_str(b, "body"), mp_strn(b, body, len);
        free(body);
    }
#undef NEXT
    return n;
}

typedef struct dlq_seen {
    hostile *h;
    int n;
    char *err[64];
    int hits[64];
} dlq_seen;

static void on_dlq(void *ud, int partition, int64_t offset, const void *key, size_t klen,
                   const void *val, size_t vlen, const char *err)
{
    (void)partition, (void)offset, (void)key, (void)klen;
    dlq_seen *d = ud;
    for (int i = 0; i < d->n; i++)
        if (d->h[i].b.n == vlen && (vlen == 0 ? key && klen == strlen(d->h[i].id) && memcmp(key, d->h[i].id, klen) == 0
                                              : memcmp(d->h[i].b.p, val, vlen) == 0)) {
            d->hits[i]++;
            free(d->err[i]);
            d->err[i] = strdup(err ? err : "(no header)");
            return;
        }
    fprintf(stderr, "   DLQ message of %zu bytes matches no input\n", vlen);
}

TEST(hostile)
{
    SKIP_NO_BIN();
    /* Under the mock's ~1 MiB segment, so TOO_BIG messages can still be fetched. */
    const size_t MAXB = 900000;
    rel_tmpdir("hostile");
    static hostile h[64];
    int n = hostile_catalogue(h, MAXB);
    ASSERT_GE(n, 20);

    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles", 1), 0);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles.dlq", 1), 0);
    char *out = strdup(rel_path("alerts.jsonl"));
    char sinks[1024];
    snprintf(sinks, sizeof sinks, "  jsonl:\n    path: \"%s\"\n", out);
    char *cfg = strdup(rel_path("squawk.yml"));
    /* Big fetches so a 10 MB message reaches squawk (and is dead-lettered whole). */
    rel_write_config(cfg, bs, "rel-hostile", sinks,
                     "  max_article_bytes: 900000\n"
                     "  receive.message.max.bytes: 67108864\n"
                     "  fetch.max.bytes: 33554432\n"
                     "  max.partition.fetch.bytes: 33554432\n"
                     "  message.max.bytes: 33554432\n",
                     NULL);
    rel_run r;
    rel_run_start(&r, cfg, NULL, rel_path("run.log"));
    long hwm0 = rel_vmhwm_kb(r.pid);

    /* One at a time: the mock keeps only a few MB per partition and would drop
     * the oldest of ~14 MB produced at once before squawk fetched them. */
    for (int i = 0; i < n; i++) {
        double c0 = rel_metric(r.mport, "squawk_articles_consumed_total");
        rel_produce(bs, "articles", 0, h[i].id, h[i].b.p, h[i].b.n);
        rel_produce(bs, "", 0, NULL, NULL, 0);
        double end = rel_now() + (strstr(h[i].name, "mock drops") ? 3 : 20);
        while (rel_metric(r.mport, "squawk_articles_consumed_total") <= c0 && rel_now() < end)
            usleep(20000);
    }
    /* A sentinel after them all: once it alerts, every hostile message was
     * handled. Repeated, because the mock may drop the segment after a 10 MB message. */
    buf s = {0};
    js(&s, "{\"id\":\"h-sentinel\",\"headline\":\"" GOOD_HEADLINE "\",\"body\":\"" GOOD_BODY "\"}");
    int seen = 0;
    for (int t = 0; t < 8 && !seen; t++) {
        rel_produce(bs, "articles", 0, "h-sentinel", s.p, s.n);
        rel_produce(bs, "", 0, NULL, NULL, 0);
        seen = rel_wait_file_has(out, "\"h-sentinel\"", 10);
    }
    rel_produce(bs, NULL, 0, NULL, NULL, 0);
    free(s.p);
    if (!seen) {
        char *l = rel_slurp(r.log, NULL);
        fprintf(stderr, "sentinel never alerted; log:\n%s\n", l ? l : "");
        free(l);
        ASSERT(0);
    }
    ASSERT(rel_alive(r.pid));
    char body[256];
    ASSERT_EQ(rel_http(r.mport, "/healthz", body, sizeof body), 200);
    long hwm1 = rel_vmhwm_kb(r.pid);
    double dlq_n = rel_metric(r.mport, "squawk_dead_lettered_total");

    int want_dlq = 0;
    for (int i = 0; i < n; i++) want_dlq += strcmp(h[i].expect, "NONE") && strcmp(h[i].expect, "ALERT") &&
                                            strcmp(h[i].expect, "ANY");
    dlq_seen d = {.h = h, .n = n};
    rel_consume_all(bs, "articles.dlq", 1, (size_t)want_dlq, 30, on_dlq, &d);
    size_t alen;
    char *alerts = rel_slurp(out, &alen);
    ASSERT(alerts);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        char q[40];
        snprintf(q, sizeof q, "\"id\":\"%s\"", h[i].id);
        int alerted = strstr(alerts, q) != NULL;
        const char *got = d.hits[i] ? d.err[i] : alerted ? "ALERT" : "NONE";
        int ok = strcmp(h[i].expect, "ANY") == 0 ? d.hits[i] == 0 : strcmp(got, h[i].expect) == 0;
        if (d.hits[i] > 1) ok = 0;
        fprintf(stderr, "   %-2d %-40s %9zu B  expect %-12s got %-12s %s\n", i, h[i].name, h[i].b.n,
                h[i].expect, got, ok ? "ok" : "WRONG");
        bad += !ok;
    }
    fprintf(stderr, "   hostile: %d inputs, %d dead-lettered (metric %.0f), VmHWM %ld -> %ld kB\n", n,
            want_dlq, dlq_n, hwm0, hwm1);
    ASSERT_EQ(bad, 0);
    ASSERT_EQ((long)dlq_n, want_dlq);
    /* Bounded: the 10 MB message may be held once or twice, never per element. */
    ASSERT_LT(hwm1 - hwm0, 256 * 1024);
    rel_run_kill(&r, SIGTERM);
    free(alerts);
    for (int i = 0; i < n; i++) free(h[i].b.p), free(d.err[i]);
    ingest_broker_destroy(b);
    free(out);
    free(cfg);
}

/* ---- 7. security: CURVE, plugin ABI and permissions, secrets ---------------------------- */

/* Runs squawk with args; stdout/stderr to files; returns the exit code (-1 on signal/timeout). */
static int squawk_cmd(char *const args[], const char *out, const char *err, double timeout_s)
{
    char *argv[16] = {(char *)rel_bin()};
    int n = 1;
    while (args[n - 1] && n < 15) argv[n] = args[n - 1], n++;
    argv[n] = NULL;
    unlink(out), unlink(err);
    int st = rel_wait(rel_spawn(argv, NULL, out, err), timeout_s);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void read_key(const char *path, char *out)
{
    char *k = rel_slurp(path, NULL);
    ASSERT(k);
    size_t l = strcspn(k, "\r\n");
    ASSERT_EQ(l, 40);
    memcpy(out, k, 40);
    out[40] = '\0';
    free(k);
}

static const char *ALERTING =
    "{\"id\":\"sec-%d\",\"headline\":\"" GOOD_HEADLINE "\",\"body\":\"" GOOD_BODY "\"}";

static void produce_alerting(const char *bs, const char *prefix, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        char a[1024], key[32];
        snprintf(key, sizeof key, "%s-%d", prefix, i);
        int l = snprintf(a, sizeof a, ALERTING, i);
        /* the id carries the prefix so tests can tell their articles apart */
        char b2[1100];
        char *p = strstr(a, "sec-");
        int pre = (int)(p - a);
        l = snprintf(b2, sizeof b2, "%.*s%s-%s", pre, a, prefix, p + 4);
        rel_produce(bs, "articles", -1, key, b2, (size_t)l);
    }
    rel_produce(bs, "", 0, NULL, NULL, 0);
}

TEST(security)
{
    SKIP_NO_BIN();
    const char *d = strdup(rel_tmpdir("security"));
    const char *secret = "hunter2-Sq-SeCrEt";

    /* (a) plugin for another ABI major: refused by squawk check, naming the ABI. */
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles", 1), 0);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles.dlq", 1), 0);
    char *cfg = strdup(rel_path("abi.yml"));
    FILE *f = fopen(cfg, "w");
    ASSERT(f);
    fprintf(f, "kafka:\n  topics: [articles]\n  bootstrap.servers: \"%s\"\n  group.id: g\nfilters:\n  - name: %s\n"
               "sinks:\n  jsonl:\n    path: \"-\"\nmetrics:\n  listen: \"\"\n",
            bs, SQ_TEST_PLUGIN_DIR "/test_filter_plugin_abi2.so");
    fclose(f);
    char *o = strdup(rel_path("check.out")), *e = strdup(rel_path("check.err"));
    char *check[] = {"check", "-c", cfg, NULL};
    int rc = squawk_cmd(check, o, e, 60);
    char *err = rel_slurp(e, NULL);
    fprintf(stderr, "   abi2 plugin: exit %d: %s", rc, err ? err : "");
    ASSERT_NE(rc, 0);
    ASSERT(err && strstr(err, "ABI"));
    free(err);

    /* (b) world-writable plugin directory, then a world-writable plugin file. */
    char pdir[600], pso[700], cmdbuf[1600];
    snprintf(pdir, sizeof pdir, "%s/plugins", d);
    ASSERT_EQ(mkdir(pdir, 0755), 0);
    snprintf(pso, sizeof pso, "%s/invest.so", pdir);
    snprintf(cmdbuf, sizeof cmdbuf, "cp '%s/invest.so' '%s'", SQ_PLUGIN_DIR, pso);
    ASSERT_EQ(system(cmdbuf), 0);
    ASSERT_EQ(chmod(pso, 0644), 0);
    for (int round = 0; round < 3; round++) {
        ASSERT_EQ(chmod(pdir, round == 1 ? 0777 : 0755), 0);
        ASSERT_EQ(chmod(pso, round == 2 ? 0666 : 0644), 0);
        f = fopen(cfg, "w");
        ASSERT(f);
        fprintf(f, "kafka:\n  topics: [articles]\n  bootstrap.servers: \"%s\"\n  group.id: g\nengine:\n  plugin_dirs: [\"%s\"]\n"
                   "filters:\n  - name: invest\nsinks:\n  jsonl:\n    path: \"-\"\nmetrics:\n  listen: \"\"\n",
                bs, pdir);
        fclose(f);
        rc = squawk_cmd(check, o, e, 60);
        err = rel_slurp(e, NULL);
        fprintf(stderr, "   plugin %s: exit %d: %s\n", round == 0 ? "0755/0644 (control)" : round == 1 ? "dir 0777" : "file 0666", rc,
                err && *err ? err : "(no stderr)");
        if (round == 0) ASSERT_EQ(rc, 0);
        else ASSERT(rc != 0 && err && (strstr(err, "writable") || strstr(err, "PLUGIN_PERM")));
        free(err);
    }

    /* (c) CURVE on in squawk run: a listed key receives, an unlisted key and a plain
     * subscriber get nothing; sasl.password never reaches logs or `squawk check`. */
    const char *names[] = {"server", "good", "bad"};
    char keyp[3][600], pub[3][41];
    for (int i = 0; i < 3; i++) {
        snprintf(keyp[i], sizeof keyp[i], "%s/%s", d, names[i]);
        char *kg[] = {"keygen", "--out", keyp[i], NULL};
        ASSERT_EQ(squawk_cmd(kg, o, e, 30), 0);
        char pp[1900];
        snprintf(pp, sizeof pp, "%s.pub", keyp[i]);
        read_key(pp, pub[i]);
    }
    char server_secret[41], sk[640];
    snprintf(sk, sizeof sk, "%s.key", keyp[0]);
    read_key(sk, server_secret);
    int port = rel_free_port();
    char sinks[2048], kx[256];
    snprintf(sinks, sizeof sinks,
             "  zmq:\n    endpoints: [\"tcp://127.0.0.1:%d\"]\n    replay_endpoints: [\"tcp://127.0.0.1:%d\"]\n"
             "    curve:\n      secret_key_file: \"%s.key\"\n      public_key_file: \"%s.pub\"\n"
             "      allowed_client_keys: [\"%s\"]\n",
             port, port + 1, keyp[0], keyp[0], pub[1]);
    snprintf(kx, sizeof kx, "  sasl.username: squawk\n  sasl.password: \"%s\"\n", secret);
    char *rcfg = strdup(rel_path("curve.yml"));
    rel_write_config(rcfg, bs, "rel-sec", sinks, kx, NULL);
    rc = squawk_cmd((char *[]){"check", "-c", rcfg, NULL}, o, e, 60);
    char *co = rel_slurp(o, NULL), *ce = rel_slurp(e, NULL);
    ASSERT_EQ(rc, 0);
    ASSERT(co && strstr(co, "***"));
    ASSERT(!strstr(co, secret) && !(ce && strstr(ce, secret)));
    ASSERT(!strstr(co, server_secret) && !(ce && strstr(ce, server_secret)));
    free(co), free(ce);

    rel_run r;
    char *runlog = strdup(rel_path("run.log"));
    char *env[] = {"SQUAWK_LOG__LEVEL=debug", NULL};
    rel_run_start(&r, rcfg, env, runlog);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    char *subs_out[3], *subs_err[3];
    pid_t sp[3];
    const char *who[] = {"good", "bad", "plain"};
    for (int i = 0; i < 3; i++) {
        char n1[32], n2[32];
        snprintf(n1, sizeof n1, "sub-%s.out", who[i]);
        snprintf(n2, sizeof n2, "sub-%s.err", who[i]);
        subs_out[i] = strdup(rel_path(n1));
        subs_err[i] = strdup(rel_path(n2));
        char *argv[20] = {(char *)rel_bin(), "sub", "-c", ep, "--json", "--count", "3", "--timeout",
                          i == 0 ? "60" : "12", "--replay-timeout", "3"};
        int k = 11;
        if (i < 2) {
            argv[k++] = "--curve-server-key";
            argv[k++] = pub[0];
            argv[k++] = "--curve-key";
            argv[k++] = keyp[i + 1];
        }
        argv[k] = NULL;
        sp[i] = rel_spawn(argv, NULL, subs_out[i], subs_err[i]);
    }
    sleep_s(1.5);
    produce_alerting(bs, "sec", 0, 3);
    int st_good = rel_wait(sp[0], 70);
    int st_bad = rel_wait(sp[1], 30);
    int st_plain = rel_wait(sp[2], 30);
    size_t lines[3];
    for (int i = 0; i < 3; i++) lines[i] = rel_count_lines(subs_out[i]);
    fprintf(stderr, "   curve: listed key got %zu alerts (exit %d), unlisted %zu (exit %d), no key %zu (exit %d)\n",
            lines[0], WEXITSTATUS(st_good), lines[1], WEXITSTATUS(st_bad), lines[2],
            WEXITSTATUS(st_plain));
    ASSERT(st_good != -1 && WIFEXITED(st_good) && WEXITSTATUS(st_good) == 0);
    ASSERT_EQ(lines[0], 3);
    ASSERT_EQ(lines[1], 0);
    ASSERT_EQ(lines[2], 0);
    ASSERT(st_bad != -1 && WEXITSTATUS(st_bad) != 0);
    ASSERT(st_plain != -1 && WEXITSTATUS(st_plain) != 0);
    double denied = rel_metric(r.mport, "squawk_sink_zap_denied_total");
    ASSERT_GE(denied, 1);
    rel_run_kill(&r, SIGTERM);
    char *log = rel_slurp(runlog, NULL);
    ASSERT(log);
    ASSERT(strstr(log, "curve=1"));
    ASSERT(!strstr(log, secret));
    ASSERT(!strstr(log, server_secret));
    fprintf(stderr, "   secrets: run log (debug, %zu bytes) and check output free of sasl.password and "
                    "the CURVE secret key; zap denied metric %.0f\n",
            strlen(log), denied);
    free(log);
    for (int i = 0; i < 3; i++) free(subs_out[i]), free(subs_err[i]);
    free(runlog), free(rcfg), free(cfg), free(o), free(e), free((char *)d);
    rel_produce(bs, NULL, 0, NULL, NULL, 0);
    ingest_broker_destroy(b);
}

/* ---- 2. broker faults: outage, leader moves, injected request errors -------------------- */

typedef struct lines {
    char **v;
    size_t n;
} lines;

static lines read_lines(const char *path)
{
    lines l = {0};
    FILE *f = fopen(path, "r");
    ASSERT(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t r;
    while ((r = getline(&line, &cap, f)) > 0) {
        if (line[r - 1] == '\n') line[--r] = '\0';
        l.v = realloc(l.v, (l.n + 1) * sizeof *l.v);
        l.v[l.n++] = strdup(line);
    }
    free(line);
    fclose(f);
    return l;
}

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
}

/* Waits until every expected alert of articles [0, upto) is in out; returns how many are missing. */
static size_t wait_alerts(const char *out, const idset *exp, int upto, double timeout_s)
{
    double end = rel_now() + timeout_s;
    size_t missing;
    for (;;) {
        idset got = {0};
        read_alerts(out, &got);
        ids_finish(&got);
        missing = 0;
        for (size_t i = 0; i < exp->n; i++) {
            int k = exp->v[i].article ? atoi(exp->v[i].article + 4) : 0;
            if (k < upto && !ids_find(&got, exp->v[i].id)) missing++;
        }
        ids_free(&got);
        if (!missing || rel_now() > end) return missing;
        sleep_s(0.3);
    }
}

static int wait_health(int port, int want, double timeout_s)
{
    double end = rel_now() + timeout_s;
    int st;
    while ((st = rel_http(port, "/healthz", NULL, 0)) != want && rel_now() < end) sleep_s(0.2);
    return st;
}

TEST(broker_faults)
{
    SKIP_NO_BIN();
    enum { P = 3, PHASE = 100 };
    const double down_s = rel_soak() ? 10 : 4;
    rel_tmpdir("faults");
    char *in = strdup(rel_path("articles.jsonl"));
    make_articles(in, 3 * PHASE);
    idset exp = {0};
    score_file(in, rel_path("expected.jsonl"), &exp);
    lines arts = read_lines(in);

    ingest_broker *b = broker_start(3);
    const char *bs = ingest_broker_bootstraps(b);
    rd_kafka_mock_cluster_t *mc = ingest_broker_mock(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles", P), 0);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles.dlq", 1), 0);
    char *out = strdup(rel_path("alerts.jsonl"));
    char sinks[1024];
    snprintf(sinks, sizeof sinks, "  jsonl:\n    path: \"%s\"\n", out);
    char *cfg = strdup(rel_path("squawk.yml"));
    rel_write_config(cfg, bs, "rel-faults", sinks, NULL, "  health_grace_s: 2\n");
    rel_run r;
    rel_run_start(&r, cfg, NULL, rel_path("run.log"));
    ASSERT_EQ(wait_health(r.mport, 200, 30), 200);

    /* Phase 1: leader moves and injected errors while articles flow. */
    for (int i = 0; i < PHASE; i++) rel_produce(bs, "articles", i % P, NULL, arts.v[i], strlen(arts.v[i]));
    rel_produce(bs, "", 0, NULL, NULL, 0);
    sleep_s(0.3);
    for (int p = 0; p < P; p++)
        ASSERT_EQ(rd_kafka_mock_partition_set_leader(mc, "articles", p, 1 + (p + 1) % 3), 0);
    /* Fetch = api key 1, OffsetCommit = 8, Produce = 0 (the DLQ's). */
    rd_kafka_mock_push_request_errors(mc, 1, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                                      RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
    rd_kafka_mock_push_request_errors(mc, 8, 4, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                                      RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                      RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    for (int i = PHASE; i < 2 * PHASE; i++)
        rel_produce(bs, "articles", i % P, NULL, arts.v[i], strlen(arts.v[i]));
    rel_produce(bs, "", 0, NULL, NULL, 0);
    for (int p = 0; p < P; p++)
        ASSERT_EQ(rd_kafka_mock_partition_set_leader(mc, "articles", p, 1 + (p + 2) % 3), 0);
    size_t miss1 = wait_alerts(out, &exp, 2 * PHASE, 60);
    fprintf(stderr, "   leader moves x2, 6 Fetch + 4 OffsetCommit errors injected: missing %zu\n", miss1);
    ASSERT_EQ(miss1, 0);
    ASSERT(rel_alive(r.pid));

    /* Phase 2: every broker down; /healthz turns 503 after the grace, squawk stays up. */
    double t0 = rel_now();
    for (int id = 1; id <= 3; id++) ASSERT_EQ(ingest_broker_set_down(b, id, 1), 0);
    int st = wait_health(r.mport, 503, 30);
    double t503 = rel_now() - t0;
    ASSERT_EQ(st, 503);
    while (rel_now() - t0 < down_s) sleep_s(0.2);
    ASSERT(rel_alive(r.pid));
    ASSERT_EQ(rel_http(r.mport, "/healthz", NULL, 0), 503);
    for (int id = 1; id <= 3; id++) ASSERT_EQ(ingest_broker_set_down(b, id, 0), 0);
    double t1 = rel_now();
    for (int i = 2 * PHASE; i < 3 * PHASE; i++)
        rel_produce(bs, "articles", i % P, NULL, arts.v[i], strlen(arts.v[i]));
    rel_produce(bs, "", 0, NULL, NULL, 0);
    st = wait_health(r.mport, 200, 60);
    double t200 = rel_now() - t1;
    ASSERT_EQ(st, 200);
    size_t miss2 = wait_alerts(out, &exp, 3 * PHASE, 60);

    /* Committed offsets reach the ends once it has settled. */
    int64_t high[P], comm[P];
    for (int p = 0; p < P; p++) high[p] = rel_high(bs, "articles", p);
    double end = rel_now() + 30;
    for (;;) {
        rel_committed(bs, "rel-faults", "articles", P, comm);
        int all = 1;
        for (int p = 0; p < P; p++) all &= comm[p] == high[p];
        if (all || rel_now() > end) break;
        sleep_s(0.5);
    }
    rel_run_kill(&r, SIGTERM);
    idset got = {0};
    size_t nl = read_alerts(out, &got);
    size_t dup = ids_finish(&got);
    fprintf(stderr,
            "   outage %.0f s: /healthz 503 after %.1f s (grace 2 s), 200 again %.1f s after the "
            "brokers returned; %zu expected alerts, %zu lines, missing %zu, duplicates %zu\n",
            down_s, t503, t200, exp.n, nl, miss2, dup);
    ASSERT_EQ(miss2, 0);
    for (int p = 0; p < P; p++) ASSERT_EQ(comm[p], high[p]);
    ids_free(&got);
    ids_free(&exp);
    lines_free(&arts);
    rel_produce(bs, NULL, 0, NULL, NULL, 0);
    ingest_broker_destroy(b);
    free(out), free(cfg), free(in);
}

/* ---- 5. slow, absent and reconnecting subscribers; publisher restart --------------------- */

/* Unique (pub, seq) pairs in a `squawk sub --json` output, for pub (NULL = any). */
static size_t sub_unique(const char *path, const char *pub, uint64_t *max_seq)
{
    idset s = {0};
    size_t len;
    char *buf = rel_slurp(path, &len);
    if (max_seq) *max_seq = 0;
    if (!buf) return 0;
    for (char *p = buf, *eol; (eol = strchr(p, '\n')); p = eol + 1) {
        *eol = '\0';
        json_error_t je;
        json_t *j = json_loads(p, 0, &je);
        if (!j) continue;
        const char *pid = json_string_value(json_object_get(j, "pub"));
        uint64_t seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
        if (pid && (!pub || strcmp(pid, pub) == 0)) {
            char k[96];
            snprintf(k, sizeof k, "%s/%" PRIu64, pid, seq);
            ids_add(&s, k, NULL, 0);
            if (max_seq && seq > *max_seq) *max_seq = seq;
        }
        json_decref(j);
    }
    free(buf);
    ids_finish(&s);
    size_t n = s.n;
    ids_free(&s);
    return n;
}

static size_t wait_sub(const char *path, const char *pub, size_t want, double timeout_s)
{
    double end = rel_now() + timeout_s;
    size_t n;
    while ((n = sub_unique(path, pub, NULL)) < want && rel_now() < end) sleep_s(0.3);
    return n;
}

static pid_t start_sub(const char *ep, const char *out, const char *err, const char *extra)
{
    char *argv[12] = {(char *)rel_bin(), "sub", "-c", (char *)ep, "--json", "--timeout", "110",
                      "--replay-timeout", "5"};
    int k = 9;
    if (extra) argv[k++] = (char *)extra;
    argv[k] = NULL;
    return rel_spawn(argv, NULL, out, err);
}

static void produce_lines(const char *bs, const lines *l, size_t from, size_t to, int parts)
{
    for (size_t i = from; i < to; i++)
        rel_produce(bs, "articles", (int)(i % (size_t)parts), NULL, l->v[i], strlen(l->v[i]));
    rel_produce(bs, "", 0, NULL, NULL, 0);
}

/* Sum of "lost seq A[-B] from pub ID" ranges on a sub's stderr for pub. */
static uint64_t lost_for(const char *err, const char *pub)
{
    char *s = rel_slurp(err, NULL);
    uint64_t n = 0;
    for (char *p = s; p && (p = strstr(p, "squawk sub: lost seq ")); p++) {
        unsigned long long a, b;
        char id[64];
        if (sscanf(p, "squawk sub: lost seq %llu-%llu from pub %63[^:]", &a, &b, id) == 3) {
            if (strcmp(id, pub) == 0) n += b - a + 1;
        } else if (sscanf(p, "squawk sub: lost seq %llu from pub %63[^:]", &a, id) == 2) {
            if (strcmp(id, pub) == 0) n += 1;
        }
    }
    free(s);
    return n;
}

TEST(slow_sub)
{
    SKIP_NO_BIN();
    const int NA = rel_soak() ? 6000 : 2000, NB = 300;
    const double stop_s = rel_soak() ? 30 : 8;
    rel_tmpdir("slowsub");
    char *in = strdup(rel_path("articles.jsonl"));
    make_articles(in, NA + NB);
    lines arts = read_lines(in);
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles", 2), 0);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles.dlq", 1), 0);
    int port = rel_free_port();
    char ep[64], sinks[1024];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    char *cfg1 = strdup(rel_path("run1.yml")), *cfg2 = strdup(rel_path("run2.yml"));
    /* no journal here: the ring alone must hold the whole run (~3,300 alerts of ~1.5 KB, more than the
     * 4 MiB default's ~2,800), so its byte cap is set as well as its size */
    const char *zfmt = "  zmq:\n    endpoints: [\"tcp://127.0.0.1:%d\"]\n"
                       "    replay_endpoints: [\"tcp://127.0.0.1:%d\"]\n"
                       "    sndhwm: 20\n    ring_size: %d\n    ring_bytes: 16777216\n    heartbeat_ms: 500\n";
    snprintf(sinks, sizeof sinks, zfmt, port, port + 1, 100000);
    rel_write_config(cfg1, bs, "rel-slow", sinks, NULL, NULL);
    snprintf(sinks, sizeof sinks, zfmt, port, port + 1, 50);
    rel_write_config(cfg2, bs, "rel-slow", sinks, NULL, NULL);

    rel_run r;
    rel_run_start(&r, cfg1, NULL, rel_path("run1.log"));
    char pub1[64];
    snprintf(pub1, sizeof pub1, "%s", r.pub_id);
    char *o1 = strdup(rel_path("slow.out")), *e1 = strdup(rel_path("slow.err"));
    char *o2 = strdup(rel_path("reconn1.out")), *e2 = strdup(rel_path("reconn1.err"));
    char *o3 = strdup(rel_path("reconn2.out")), *e3 = strdup(rel_path("reconn2.err"));
    pid_t slow = start_sub(ep, o1, e1, NULL);
    pid_t rc1 = start_sub(ep, o2, e2, NULL);
    sleep_s(1.5);

    /* Batch A: the slow one is stopped throughout, the other leaves mid-way and comes back. */
    ASSERT_EQ(kill(slow, SIGSTOP), 0);
    double t0 = rel_now();
    produce_lines(bs, &arts, 0, (size_t)NA / 2, 2);
    double end = rel_now() + 60;
    while (sub_unique(o2, pub1, NULL) < 100 && rel_now() < end) sleep_s(0.1);
    kill(rc1, SIGTERM);
    rel_wait(rc1, 10);
    size_t before = sub_unique(o2, pub1, NULL);
    produce_lines(bs, &arts, (size_t)NA / 2, (size_t)NA, 2);
    end = rel_now() + 60;
    while (rel_metric(r.mport, "squawk_articles_processed_total") < NA && rel_now() < end) sleep_s(0.2);
    ASSERT_EQ((long)rel_metric(r.mport, "squawk_articles_processed_total"), NA);
    sleep_s(0.5);
    uint64_t last1 = (uint64_t)rel_metric(r.mport, "squawk_sink_last_seq");
    double dropped = rel_metric(r.mport, "squawk_sink_dropped_total");
    pid_t rc2 = start_sub(ep, o3, e3, NULL); /* reconnects after missing the rest */
    while (rel_now() - t0 < stop_s) sleep_s(0.2);
    ASSERT_EQ(kill(slow, SIGCONT), 0);
    size_t got_slow = wait_sub(o1, pub1, last1, 60);
    size_t got_rc = wait_sub(o3, pub1, last1, 60);
    fprintf(stderr,
            "   pub %s sent %" PRIu64 " alerts; HWM drops %.0f; slow sub (stopped %.0f s) has %zu, "
            "reconnecting sub had %zu before leaving and %zu after coming back\n",
            pub1, last1, dropped, stop_s, got_slow, before, got_rc);
    ASSERT_EQ(got_slow, last1);
    ASSERT_EQ(got_rc, last1);
    ASSERT_LT(before, last1);
    if (dropped > 0) ASSERT(rel_file_has(e1, "squawk sub: gap seq"));
    ASSERT_EQ(lost_for(e1, pub1), 0);
    ASSERT_EQ(lost_for(e3, pub1), 0);

    /* Publisher restart with a ring of 50: the slow sub sees the new pub; a sub
     * joining after batch B says exactly which seqs the ring no longer holds. */
    rel_run_kill(&r, SIGTERM);
    rel_run_start(&r, cfg2, NULL, rel_path("run2.log"));
    char pub2[64];
    snprintf(pub2, sizeof pub2, "%s", r.pub_id);
    ASSERT(strcmp(pub1, pub2) != 0);
    sleep_s(1.5); /* the subscribers reconnect */
    produce_lines(bs, &arts, (size_t)NA, (size_t)(NA + NB), 2);
    end = rel_now() + 60;
    while (rel_metric(r.mport, "squawk_articles_processed_total") < NB && rel_now() < end) sleep_s(0.2);
    sleep_s(0.5);
    uint64_t last2 = (uint64_t)rel_metric(r.mport, "squawk_sink_last_seq");
    ASSERT_GT(last2, 60);
    char *o4 = strdup(rel_path("late.out")), *e4 = strdup(rel_path("late.err"));
    pid_t late = start_sub(ep, o4, e4, NULL);
    /* Live, the slow sub may lose some of the burst at the HWM that a ring of 50
     * cannot give back: then it must say so, seq for seq. */
    size_t got_slow2 = 0;
    uint64_t lost_slow2 = 0;
    end = rel_now() + 60;
    do {
        sleep_s(0.3);
        got_slow2 = sub_unique(o1, pub2, NULL);
        lost_slow2 = lost_for(e1, pub2);
    } while (got_slow2 + lost_slow2 < last2 && rel_now() < end);
    size_t got_late = wait_sub(o4, pub2, 50, 30);
    sleep_s(1);
    char restart_line[256];
    snprintf(restart_line, sizeof restart_line, "publisher restart on %s: pub %s -> %s", ep, pub1, pub2);
    uint64_t lost_late = lost_for(e4, pub2);
    fprintf(stderr,
            "   restart: pub %s -> %s, %" PRIu64 " alerts; slow sub %s the restart, has %zu of "
            "them and reported %" PRIu64 " lost; late sub (ring 50) recovered %zu, reported lost %" PRIu64 "\n",
            pub1, pub2, last2, rel_file_has(e1, restart_line) ? "reported" : "DID NOT REPORT",
            got_slow2, lost_slow2, got_late, lost_late);
    ASSERT_EQ(got_slow2 + lost_slow2, last2);
    ASSERT(rel_file_has(e1, restart_line));
    ASSERT_EQ(lost_for(e1, pub1), 0); /* nothing of pub1 was still missing at its restart */
    ASSERT_EQ(got_late, 50);
    ASSERT_EQ(lost_late, last2 - 50);
    char gone[128];
    snprintf(gone, sizeof gone, "lost seq 1-%" PRIu64 " from pub %s: GONE", last2 - 50, pub2);
    ASSERT(rel_file_has(e4, gone));

    pid_t all[] = {slow, rc2, late};
    for (int i = 0; i < 3; i++) {
        kill(all[i], SIGINT);
        rel_wait(all[i], 10);
    }
    char summary[64];
    snprintf(summary, sizeof summary, "lost=%" PRIu64 " ", lost_slow2);
    ASSERT(rel_file_has(e1, summary));
    rel_run_kill(&r, SIGTERM);
    lines_free(&arts);
    rel_produce(bs, NULL, 0, NULL, NULL, 0);
    ingest_broker_destroy(b);
    free(in), free(cfg1), free(cfg2), free(o1), free(e1), free(o2), free(e2), free(o3), free(e3);
    free(o4), free(e4);
}

/* ---- 6. scale-out: three squawk run in one group behind squawk proxy; kill -9 one -------- */

/* (article id, category) pairs seen in a `squawk sub --json` output or a score file. */
static size_t pairs_of(const char *path, idset *out)
{
    size_t len, n = 0;
    char *buf = rel_slurp(path, &len);
    if (!buf) return 0;
    for (char *p = buf, *eol; (eol = strchr(p, '\n')); p = eol + 1) {
        *eol = '\0';
        json_error_t je;
        json_t *j = json_loads(p, 0, &je);
        if (!j) continue;
        const char *art = json_string_value(json_object_get(json_object_get(j, "article"), "id"));
        const char *cat = json_string_value(json_object_get(j, "category"));
        if (art && cat) {
            char k[160];
            snprintf(k, sizeof k, "%s/%s", art, cat);
            ids_add(out, k, NULL, 0);
            n++;
        }
        json_decref(j);
    }
    free(buf);
    return n;
}

TEST(scaleout)
{
    SKIP_NO_BIN();
    enum { P = 6, R = 3 };
    const int N = rel_soak() ? 6000 : 900;
    seed_rng();
    rel_tmpdir("scale");
    char *in = strdup(rel_path("articles.jsonl"));
    make_articles(in, N);
    idset exp = {0};
    {
        /* Alerts are one message per ticker on zmq: compare (article, category). */
        idset ids = {0};
        score_file(in, rel_path("expected.jsonl"), &ids);
        ids_free(&ids);
        pairs_of(rel_path("expected.jsonl"), &exp);
        ids_finish(&exp);
    }
    lines arts = read_lines(in);
    ingest_broker *b = broker_start(1);
    const char *bs = ingest_broker_bootstraps(b);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles", P), 0);
    ASSERT_EQ(ingest_broker_topic_create(b, "articles.dlq", 1), 0);

    int fport = rel_free_port(), bport = rel_free_port();
    char fe[64], be[64];
    snprintf(fe, sizeof fe, "tcp://127.0.0.1:%d", fport);
    snprintf(be, sizeof be, "tcp://127.0.0.1:%d", bport);
    char *pargv[] = {(char *)rel_bin(), "proxy", "--frontend", fe, "--backend", be, NULL};
    pid_t proxy = rel_spawn(pargv, NULL, NULL, rel_path("proxy.log"));
    char sinks[512];
    snprintf(sinks, sizeof sinks, "  zmq:\n    endpoints: [\">%s\"]\n    sndhwm: 1000000\n", fe);
    char *cfg = strdup(rel_path("squawk.yml"));
    rel_write_config(cfg, bs, "rel-scale", sinks, NULL, NULL);
    rel_run r[R];
    for (int i = 0; i < R; i++) {
        char log[32];
        snprintf(log, sizeof log, "run-%d.log", i);
        rel_run_spawn(&r[i], cfg, NULL, rel_path(log));
    }
    for (int i = 0; i < R; i++) rel_run_ready(&r[i]);
    char *so = strdup(rel_path("sub.out")), *se = strdup(rel_path("sub.err"));
    char *sargv[] = {(char *)rel_bin(), "sub", "-c", be, "--replay-endpoint", "none", "--json",
                     "--timeout", "110", NULL};
    pid_t sub = rel_spawn(sargv, NULL, so, se);
    /* Every instance owns partitions before the traffic starts. */
    double end = rel_now() + 60;
    for (int i = 0; i < R; i++)
        while (!rel_file_has(r[i].log, "msg=kafka.assign partitions=2") && rel_now() < end) sleep_s(0.2);
    for (int i = 0; i < R; i++) ASSERT(rel_file_has(r[i].log, "msg=kafka.assign partitions=2"));
    sleep_s(1);

    int victim = rand() % R;
    produce_lines(bs, &arts, 0, (size_t)N / 2, P);
    end = rel_now() + 30;
    while (rel_metric(r[victim].mport, "squawk_articles_processed_total") < N / (2 * R) / 2 &&
           rel_now() < end)
        sleep_s(0.05);
    double victim_done = rel_metric(r[victim].mport, "squawk_articles_processed_total");
    rel_run_kill(&r[victim], SIGKILL);
    double t_kill = rel_now();
    produce_lines(bs, &arts, (size_t)N / 2, (size_t)N, P);

    size_t have = 0;
    end = rel_now() + 80;
    for (;;) {
        idset got = {0};
        pairs_of(so, &got);
        ids_finish(&got);
        have = 0;
        for (size_t i = 0; i < exp.n; i++) have += ids_find(&got, exp.v[i].id) != NULL;
        ids_free(&got);
        if (have == exp.n || rel_now() > end) break;
        sleep_s(0.5);
    }
    double t_all = rel_now() - t_kill;
    int moved = 0;
    for (int i = 0; i < R; i++)
        if (i != victim) moved += rel_file_has(r[i].log, "msg=kafka.assign partitions=3");
    kill(sub, SIGINT);
    rel_wait(sub, 10);
    idset got = {0};
    size_t msgs = pairs_of(so, &got);
    size_t dup = ids_finish(&got);
    fprintf(stderr,
            "   scale-out: %d instances x %d partitions, killed #%d after %.0f articles; survivors "
            "took over (%d logged 3 partitions); subscriber on the proxy has %zu/%zu expected "
            "(article, category) pairs %.1f s after the kill; %zu messages (one per ticker; pairs seen more than once: %zu)\n",
            R, P, victim, victim_done, moved, have, exp.n, t_all, msgs, dup);
    ASSERT_EQ(have, exp.n);
    ASSERT_GE(moved, 1);
    for (int i = 0; i < R; i++)
        if (i != victim) rel_run_kill(&r[i], SIGTERM);
    kill(proxy, SIGTERM);
    rel_wait(proxy, 10);
    ids_free(&got);
    ids_free(&exp);
    lines_free(&arts);
    rel_produce(bs, NULL, 0, NULL, NULL, 0);
    ingest_broker_destroy(b);
    free(in), free(cfg), free(so), free(se);
}

/* ---- main -------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    rel_reap_on_fatal();
    const char *only = argc > 1 ? argv[1] : NULL;
#define MAYBE(name)                                                                    \
    do {                                                                               \
        if (!only || strcmp(only, #name) == 0) RUN(name);                              \
    } while (0)
    MAYBE(crash);
    MAYBE(hostile);
    MAYBE(security);
    MAYBE(broker_faults);
    MAYBE(slow_sub);
    MAYBE(scaleout);
    return 0;
}
