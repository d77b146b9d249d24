/* filter_bench.c -- filter stage throughput vs a bare hs_scan of the same databases, same bytes.
 *
 * usage: filter_bench ARTICLES.jsonl [REPS=5]
 * Prints, as the median of REPS runs: (1) filter_host_process with invest, chips and
 * regulatory over every article; (2) hs_scan of the gazetteer, the cue pack and the three
 * rule packs over every headline and body with a no-op callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
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

static int noop(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ud)
{
    (*(size_t *)ud)++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: filter_bench ARTICLES.jsonl [REPS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (reps < 1 || reps > 100) reps = 5;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 1024, n = 0, bytes = 0;
    proto_article *arts = malloc(cap * sizeof *arts);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t ll;
    while ((ll = getline(&line, &lcap, f)) > 0) {
        if (n == cap) arts = realloc(arts, (cap *= 2) * sizeof *arts);
        if (proto_article_decode(line, (size_t)ll, NULL, &arts[n], NULL, 0) == 0) {
            bytes += arts[n].headline_len + arts[n].body_len;
            n++;
        }
    }
    free(line);
    fclose(f);

    char err[1024] = "";
    filter_host *h;
    /* the engine squawk run builds without a config: the three built-ins */
    if (filter_host_from_config(&h, NULL, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "filter_bench: %s\n", err);
        return 1;
    }
    /* the same databases, loaded separately for the bare scan */
    char path[4096];
    const char *dd = filter_host_data_dir(h);
    filter_gaz *g;
    const char *gz = getenv("SQUAWK_GAZETTEER");
    snprintf(path, sizeof path, "%s/gazetteer.yml", dd);
    if (filter_gaz_load(&g, gz && *gz ? gz : path, err, sizeof err) != 0) {
        fprintf(stderr, "filter_bench: %s\n", err);
        return 1;
    }
    const char *packs[] = {"cues", "invest", "chips", "regulatory"};
    filter_matcher *m[4];
    hs_scratch_t *scratch = NULL;
    filter_gaz_alloc_scratch(g, &scratch);
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/rules/%s.yml", dd, packs[i]);
        if (filter_matcher_load(&m[i], path, err, sizeof err) != 0) {
            fprintf(stderr, "filter_bench: %s\n", err);
            return 1;
        }
        filter_matcher_alloc_scratch(m[i], &scratch);
    }

    double *t_host = calloc((size_t)reps, sizeof *t_host), *t_bare = calloc((size_t)reps, sizeof *t_bare);
    size_t alerts = 0, matches = 0;
    for (int r = 0; r < reps; r++) {
        int64_t t0 = sq_clock_mono_ns();
        for (size_t i = 0; i < n; i++) {
            proto_alert **v;
            size_t k;
            if (filter_host_process(h, &arts[i], NULL, 0, &v, &k) != 0) continue;
            alerts += k;
            for (size_t j = 0; j < k; j++) proto_alert_destroy(v[j]);
            free(v);
        }
        t_host[r] = (double)(sq_clock_mono_ns() - t0) / 1e9;
        t0 = sq_clock_mono_ns();
        for (size_t i = 0; i < n; i++) {
            const char *txt[2] = {arts[i].headline, arts[i].body};
            size_t len[2] = {arts[i].headline_len, arts[i].body_len};
            for (int fld = 0; fld < 2; fld++) {
                if (!len[fld]) continue;
                /* Reuters headlines are ALL CAPS: the host picks the caseless database there */
                hs_scan(filter_gaz_db(g, fld == 0), txt[fld], (unsigned)len[fld], 0, scratch, noop, &matches);
                for (int p = 0; p < 4; p++) {
                    const hs_database_t *db = filter_matcher_db(m[p], fld);
                    if (db) hs_scan(db, txt[fld], (unsigned)len[fld], 0, scratch, noop, &matches);
                }
            }
        }
        t_bare[r] = (double)(sq_clock_mono_ns() - t0) / 1e9;
    }
    /* one pass per database, to show where the scan time goes */
    double t_db[5] = {0};
    for (int p = -1; p < 4; p++) {
        int64_t t0 = sq_clock_mono_ns();
        size_t dummy = 0;
        for (size_t i = 0; i < n; i++) {
            const char *txt[2] = {arts[i].headline, arts[i].body};
            size_t len[2] = {arts[i].headline_len, arts[i].body_len};
            for (int fld = 0; fld < 2; fld++) {
                const hs_database_t *db = p < 0 ? filter_gaz_db(g, fld == 0) : filter_matcher_db(m[p], fld);
                if (db && len[fld]) hs_scan(db, txt[fld], (unsigned)len[fld], 0, scratch, noop, &dummy);
            }
        }
        t_db[p + 1] = (double)(sq_clock_mono_ns() - t0) / 1e9;
    }
    qsort(t_host, (size_t)reps, sizeof *t_host, cmp_dbl);
    qsort(t_bare, (size_t)reps, sizeof *t_bare, cmp_dbl);
    double th = t_host[reps / 2], tb = t_bare[reps / 2];
    printf("articles: %zu, bytes (headline+body): %.2f MB, median of %d runs\n", n, bytes / 1e6, reps);
    printf("filter stage (invest+chips+regulatory): %.3f s  %8.0f articles/s  %7.2f MB/s  (%zu alerts/run)\n",
           th, n / th, bytes / 1e6 / th, alerts / (size_t)reps);
    printf("bare hs_scan (gazetteer+cues+3 packs):  %.3f s  %8.0f articles/s  %7.2f MB/s  (%zu matches/run)\n",
           tb, n / tb, bytes / 1e6 / tb, matches / (size_t)reps);
    printf("  per database (one pass): gazetteer %.3f s, cues %.3f s, invest %.3f s, chips %.3f s, "
           "regulatory %.3f s\n", t_db[0], t_db[1], t_db[2], t_db[3], t_db[4]);
    for (size_t i = 0; i < n; i++) proto_article_free(&arts[i]);
    free(arts);
    free(t_host);
    free(t_bare);
    for (int i = 0; i < 4; i++) filter_matcher_destroy(m[i]);
    filter_gaz_destroy(g);
    hs_free_scratch(scratch);
    filter_host_destroy(h);
    return 0;
}
