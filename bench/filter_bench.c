/* filter_bench.c -- filter stage throughput, engine v1 vs v2, vs a bare hs_scan of the same databases, same bytes.
 *
 * usage: filter_bench ARTICLES.jsonl [REPS=5]
 * Prints, as the median of REPS runs, each measured in the same process on the same bytes:
 * (1) filter_host_process with invest, chips and regulatory over every article, every plugin on
 * engine v1 (the regex packs, rules/<pack>.yml); (2) the same with engine v2 for each plugin whose
 * token-pattern pack rules/v2/<pack>.yml exists (the others stay v1; the line names which);
 * (3) each ported plugin alone, v1 and v2; (4) hs_scan of the gazetteer, the cue pack and the
 * three rule packs over every headline and body with a no-op callback. CPU seconds (this process's)
 * are printed beside wall seconds: on a shared machine they are the steadier measure.
 * env FILTER_BENCH_ONLY=stage: (1) and (2) only; FILTER_BENCH_ONLY=v2 or v1: that engine alone, one
 * pass (for perf record, and for bench/run.sh's instruction counts under cachegrind). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../filters/gazetteer.h"
#include "../filters/host.h"
#include "../filters/matcher.h"
#include "../proto/alert.h"
#include "../proto/article.h"

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *const names[] = {"invest", "chips", "regulatory"};

/* A host with the three built-ins (only = one of them, or -1 for all), built as squawk run builds
 * it (filter_host_from_config), each on engine v1, or on v2 when v2 is set and its token-pattern
 * pack exists. Every call sets ported[i] from the host's data directory; a v2 host uses what an
 * earlier (v1) call found, or what the caller set (FILTER_BENCH_ONLY=v2 builds no v1 host). */
static filter_host *bench_host(int v2, int only, int ported[3])
{
    char err[1024] = "", path[4096], set[3][64];
    const char *filters[3], *sets[3];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        if (only >= 0 && i != only) continue;
        snprintf(set[n], sizeof set[n], "%s.engine=%s", names[i], v2 && ported[i] ? "v2" : "v1");
        filters[n] = names[i];
        sets[n] = set[n];
        n++;
    }
    filter_host_overrides ov = {.filters = filters, .n_filters = n, .sets = sets, .n_sets = n};
    filter_host *h;
    if (filter_host_from_config(&h, NULL, &ov, err, sizeof err) != 0) {
        fprintf(stderr, "filter_bench: %s\n", err);
        exit(1);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/rules/v2/%s.yml", filter_host_data_dir(h), names[i]);
        ported[i] = access(path, R_OK) == 0;
    }
    return h;
}

/* This process's CPU seconds: on a shared box wall time includes other processes' turns. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One pass of the host over every article: wall seconds (CPU seconds in *cpu); alerts added to *alerts. */
static double host_pass(filter_host *h, const proto_article *arts, size_t n, size_t *alerts, double *cpu)
{
    double c0 = cpu_s();
    int64_t t0 = sq_clock_mono_ns();
    for (size_t i = 0; i < n; i++) {
        proto_alert **v;
        size_t k;
        if (filter_host_process(h, &arts[i], NULL, 0, &v, &k) != 0) continue;
        *alerts += k;
        for (size_t j = 0; j < k; j++) proto_alert_destroy(v[j]);
        free(v);
    }
    *cpu = cpu_s() - c0;
    return (double)(sq_clock_mono_ns() - t0) / 1e9;
}

/* FILTER_BENCH_EVICT_KB: engine v2 with the caches cold, as in a service between articles. Each
 * article alone is timed, after writing over a buffer of that many KB (other processes, the event
 * loop, Kafka and ZeroMQ evict the filters' tables between two articles); prints the per-article
 * median and p99, warm (no buffer) and cold. */
static void cold_pass(filter_host *h, const proto_article *arts, size_t n, size_t evict_kb)
{
    double *t = malloc(n * sizeof *t);
    unsigned char *buf = malloc(evict_kb * 1024 + 1);
    if (!t || !buf) exit(1);
    for (int cold = 0; cold < 2; cold++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            if (cold)
                for (size_t b = 0; b < evict_kb * 1024; b += 64) buf[b] = (unsigned char)(buf[b] + i);
            proto_alert **v;
            size_t k;
            int64_t t0 = sq_clock_mono_ns();
            int rc = filter_host_process(h, &arts[i], NULL, 0, &v, &k);
            t[i] = (double)(sq_clock_mono_ns() - t0) / 1e3;
            sum += t[i];
            for (size_t j = 0; !rc && j < k; j++) proto_alert_destroy(v[j]);
            if (!rc) free(v);
        }
        qsort(t, n, sizeof *t, cmp_dbl);
        printf("engine v2, %s (%zu KB written between articles): per article median %.1f us, p99 %.1f us, mean %.1f us\n",
               cold ? "caches cold" : "caches warm", cold ? evict_kb : (size_t)0, t[n / 2], t[n * 99 / 100], sum / n);
    }
    free(t);
    free(buf);
}

static double median(double *t, int reps)
{
    qsort(t, (size_t)reps, sizeof *t, cmp_dbl);
    return t[reps / 2];
}

static int noop(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ud)
{
    (*(size_t *)ud)++;
    return 0;
}

/* The articles of a JSON Lines file; their headline+body bytes in *bytes. */
static proto_article *load_articles(const char *path, size_t *n, size_t *bytes)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 1024;
    proto_article *arts = malloc(cap * sizeof *arts);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t ll;
    *n = *bytes = 0;
    while ((ll = getline(&line, &lcap, f)) > 0) {
        if (*n == cap) arts = realloc(arts, (cap *= 2) * sizeof *arts);
        if (proto_article_decode(line, (size_t)ll, NULL, &arts[*n], NULL, 0) == 0) {
            *bytes += arts[*n].headline_len + arts[*n].body_len;
            (*n)++;
        }
    }
    free(line);
    fclose(f);
    return arts;
}

/* hs_scan over every headline and body of the gazetteer (db -1), one rule pack (db 0-3: cues,
 * invest, chips, regulatory) or all of them (db -2), with a no-op callback: wall seconds. */
static double bare_pass(const filter_gaz *g, filter_matcher *const m[4], hs_scratch_t *scratch,
                        const proto_article *arts, size_t n, int db, size_t *matches)
{
    int64_t t0 = sq_clock_mono_ns();
    for (size_t i = 0; i < n; i++) {
        const char *txt[2] = {arts[i].headline, arts[i].body};
        size_t len[2] = {arts[i].headline_len, arts[i].body_len};
        for (int fld = 0; fld < 2; fld++) {
            if (!len[fld]) continue;
            for (int p = -1; p < 4; p++) {
                if (db != -2 && p != db) continue;
                /* Reuters headlines are ALL CAPS: the host picks the caseless database there */
                const hs_database_t *d = p < 0 ? filter_gaz_db(g, fld == 0) : filter_matcher_db(m[p], fld);
                if (d) hs_scan(d, txt[fld], (unsigned)len[fld], 0, scratch, noop, matches);
            }
        }
    }
    return (double)(sq_clock_mono_ns() - t0) / 1e9;
}

/* The host's databases, loaded separately for the bare scan: the gazetteer, the cue pack and the three rule packs. */
static void load_bare(const char *dd, filter_gaz **g, filter_matcher *m[4], hs_scratch_t **scratch)
{
    static const char *const packs[] = {"cues", "invest", "chips", "regulatory"};
    char err[1024] = "", path[4096];
    const char *gz = getenv("SQUAWK_GAZETTEER");
    snprintf(path, sizeof path, "%s/gazetteer.yml", dd);
    if (filter_gaz_load(g, gz && *gz ? gz : path, err, sizeof err) != 0) {
        fprintf(stderr, "filter_bench: %s\n", err);
        exit(1);
    }
    filter_gaz_alloc_scratch(*g, scratch);
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/rules/%s.yml", dd, packs[i]);
        if (filter_matcher_load(&m[i], path, err, sizeof err) != 0) {
            fprintf(stderr, "filter_bench: %s\n", err);
            exit(1);
        }
        filter_matcher_alloc_scratch(m[i], scratch);
    }
}

/* FILTER_BENCH_ONLY=v1|v2: one engine over every article, reps times; prints the bytes (bench/run.sh
 * divides instructions by them) and the median CPU. */
static int one_engine(filter_host *h, const char *name, proto_article *arts, size_t n, size_t bytes, int reps)
{
    double c[100];
    size_t alerts = 0;
    for (int r = 0; r < reps; r++) host_pass(h, arts, n, &alerts, &c[r]);
    printf("articles: %zu, bytes (headline+body): %zu\n", n, bytes);
    printf("engine %s (all three): cpu %.3f s %.2f cpuMB/s (%zu alerts/run)\n", name, median(c, reps),
           bytes / 1e6 / median(c, reps), alerts / (size_t)reps);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: filter_bench ARTICLES.jsonl [REPS]\n");
        return 2;
    }
    sq_log_set_level(sq_log_env_level(SQ_LOG_INFO, NULL));
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (reps < 1 || reps > 100) reps = 5;
    size_t n, bytes;
    proto_article *arts = load_articles(argv[1], &n, &bytes);

    const char *only = getenv("FILTER_BENCH_ONLY");
    int v2_only = only && strcmp(only, "v2") == 0, v1_only = only && strcmp(only, "v1") == 0;
    int stage_only = only && strcmp(only, "stage") == 0;
    int ported[3] = {1, 1, 1}; /* FILTER_BENCH_ONLY=v2 asks every pack on v2: a missing one fails the host */
    if (v2_only || v1_only) /* that engine's host alone: no other start-up under cachegrind */
        return one_engine(bench_host(v2_only, -1, ported), only, arts, n, bytes, reps);
    filter_host *h = bench_host(0, -1, ported), *h2 = bench_host(1, -1, ported), *solo[3][2] = {{NULL}};
    for (int i = 0; i < 3; i++)
        if (ported[i] && !only) solo[i][0] = bench_host(0, i, ported), solo[i][1] = bench_host(1, i, ported);
    filter_gaz *g;
    filter_matcher *m[4];
    hs_scratch_t *scratch = NULL;
    load_bare(filter_host_data_dir(h), &g, m, &scratch);

    double *t_host = calloc((size_t)reps, sizeof *t_host), *t_bare = calloc((size_t)reps, sizeof *t_bare);
    double *t_v2 = calloc((size_t)reps, sizeof *t_v2), *t_solo = calloc((size_t)reps * 6, sizeof *t_solo);
    double *c_host = calloc((size_t)reps, sizeof *c_host), *c_v2 = calloc((size_t)reps, sizeof *c_v2);
    double *c_solo = calloc((size_t)reps * 6, sizeof *c_solo);
    size_t alerts = 0, alerts2 = 0, matches = 0, dummy_alerts = 0;
    const char *ev = getenv("FILTER_BENCH_EVICT_KB");
    if (ev && atoi(ev) > 0) {
        cold_pass(h2, arts, n, (size_t)atoi(ev));
        return 0;
    }
    for (int r = 0; r < reps; r++) {
        t_host[r] = host_pass(h, arts, n, &alerts, &c_host[r]);
        t_v2[r] = host_pass(h2, arts, n, &alerts2, &c_v2[r]);
        if (stage_only) continue;
        for (int i = 0; i < 3; i++)
            for (int e = 0; e < 2; e++)
                if (solo[i][e])
                    t_solo[(i * 2 + e) * reps + r] =
                        host_pass(solo[i][e], arts, n, &dummy_alerts, &c_solo[(i * 2 + e) * reps + r]);
        t_bare[r] = bare_pass(g, m, scratch, arts, n, -2, &matches);
    }
    /* one pass per database, to show where the scan time goes */
    double t_db[5] = {0};
    size_t dummy = 0;
    for (int p = -1; p < 4 && !stage_only; p++) t_db[p + 1] = bare_pass(g, m, scratch, arts, n, p, &dummy);
    double th = median(t_host, reps), tb = median(t_bare, reps), t2 = median(t_v2, reps);
    double ch = median(c_host, reps), c2 = median(c_v2, reps);
    printf("articles: %zu, bytes (headline+body): %.2f MB, median of %d runs\n", n, bytes / 1e6, reps);
    printf("filter stage (invest+chips+regulatory): %.3f s  %8.0f articles/s  %7.2f MB/s  (%zu alerts/run)"
           "  | cpu %.3f s %7.2f cpuMB/s\n", th, n / th, bytes / 1e6 / th, alerts / (size_t)reps, ch, bytes / 1e6 / ch);
    printf("engine v2 stage (invest %s, chips %s, regulatory %s): %.3f s  %8.0f articles/s  %7.2f MB/s  (%zu alerts/run)"
           "  %.2fx v1 | cpu %.3f s %7.2f cpuMB/s %.2fx v1\n", ported[0] ? "v2" : "v1", ported[1] ? "v2" : "v1",
           ported[2] ? "v2" : "v1", t2, n / t2, bytes / 1e6 / t2, alerts2 / (size_t)reps, th / t2, c2, bytes / 1e6 / c2,
           ch / c2);
    printf("cpu per 100,000 articles: v1 %.2f s, v2 %.2f s  %.2fx lower\n", ch * 1e5 / n, c2 * 1e5 / n, ch / c2);
    for (int i = 0; i < 3 && !stage_only; i++) {
        if (!solo[i][0]) continue;
        double a = median(t_solo + (i * 2) * reps, reps), b = median(t_solo + (i * 2 + 1) * reps, reps);
        double ca = median(c_solo + (i * 2) * reps, reps), cb = median(c_solo + (i * 2 + 1) * reps, reps);
        printf("  %s alone: v1 %.3f s %7.2f MB/s, v2 %.3f s %7.2f MB/s  %.2fx | cpu v1 %7.2f cpuMB/s, v2 %7.2f cpuMB/s"
               "  %.2fx\n", names[i], a, bytes / 1e6 / a, b, bytes / 1e6 / b, a / b, bytes / 1e6 / ca,
               bytes / 1e6 / cb, ca / cb);
    }
    if (!stage_only) {
        printf("bare hs_scan (gazetteer+cues+3 packs):  %.3f s  %8.0f articles/s  %7.2f MB/s  (%zu matches/run)\n",
               tb, n / tb, bytes / 1e6 / tb, matches / (size_t)reps);
        printf("  per database (one pass): gazetteer %.3f s, cues %.3f s, invest %.3f s, chips %.3f s, "
               "regulatory %.3f s\n", t_db[0], t_db[1], t_db[2], t_db[3], t_db[4]);
    }
    for (size_t i = 0; i < n; i++) proto_article_free(&arts[i]);
    free(arts);
    free(t_host);
    free(t_bare);
    free(t_v2);
    free(t_solo);
    free(c_host);
    free(c_v2);
    free(c_solo);
    filter_host_destroy(h2);
    for (int i = 0; i < 3; i++)
        for (int e = 0; e < 2; e++) filter_host_destroy(solo[i][e]);
    for (int i = 0; i < 4; i++) filter_matcher_destroy(m[i]);
    filter_gaz_destroy(g);
    hs_free_scratch(scratch);
    filter_host_destroy(h);
    return 0;
}
