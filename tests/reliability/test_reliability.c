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
    char *argv[] = {(char *)rel_bin(), "score", (char *)in, NULL};
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
    enum { P = 4, MAXK = 8 };
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
    int64_t kill_comm[MAXK][P];
    for (int k = 0; k <= KILLS; k++) {
        char log[64];
        snprintf(log, sizeof log, "run-%d.log", k);
        rel_run r;
        rel_run_start(&r, cfg, NULL, rel_path(log));
        if (k == KILLS) {
            /* Last incarnation: wait for every expected alert and for the commits. */
            ASSERT_EQ(WEXITSTATUS(rel_wait(feeder, 120)), 0);
            int64_t high[P];
            for (int p = 0; p < P; p++) high[p] = rel_high(bs, "articles", p);
            double end = rel_now() + 90;
            for (;;) {
                idset got = {0};
                read_alerts(out, &got);
                ids_finish(&got);
                size_t have = 0;
                for (size_t i = 0; i < exp.n; i++) have += ids_find(&got, exp.v[i].id) != NULL;
                ids_free(&got);
                int64_t c[P];
                rel_committed(bs, "rel-crash", "articles", P, c);
                int all = 1;
                for (int p = 0; p < P; p++) all &= c[p] == high[p];
                if ((have == exp.n && all) || rel_now() > end) break;
                sleep_s(0.5);
            }
            rel_run_kill(&r, SIGTERM);
            break;
        }
        /* Group join takes ~3 s on the mock; kill somewhere in the processing after it. */
        sleep_s(rnd(3.0, 6.0));
        double processed = rel_metric(r.mport, "squawk_articles_processed_total");
        rel_run_kill(&r, SIGKILL);
        size_t l;
        free(rel_slurp(out, &l));
        kill_len[k] = (long)l;
        rel_committed(bs, "rel-crash", "articles", P, kill_comm[k]);
        fprintf(stderr, "   kill %d: processed %.0f, %zu alert lines, committed %" PRId64 "/%" PRId64
                        "/%" PRId64 "/%" PRId64 "\n",
                k + 1, processed, rel_count_lines(out), kill_comm[k][0], kill_comm[k][1],
                kill_comm[k][2], kill_comm[k][3]);
    }

    /* Committed offsets reached the partition ends. */
    int64_t comm[P];
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

/* ---- main -------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    const char *only = argc > 1 ? argv[1] : NULL;
#define MAYBE(name)                                                                    \
    do {                                                                               \
        if (!only || strcmp(only, #name) == 0) RUN(name);                              \
    } while (0)
    MAYBE(crash);
    return 0;
}
