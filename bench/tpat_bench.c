/* tpat_bench.c -- engine v2 speed: tokenise + token-pattern match vs the Hyperscan matcher on the same rules, same bytes.
 *
 * usage: tpat_bench ARTICLES.jsonl V2PACK.yml REGEXPACK.yml [REPS=5] [GAZETTEER.yml]
 * Prints, as the median of REPS runs over every headline and body: (1) tok_run alone; (2) tok_run +
 * tpat_match of V2PACK (companies by form); (3) filter_matcher_scan of REGEXPACK (the old matcher:
 * hs_scan plus start-of-match recovery, what the built-in filters run); (4) a bare hs_scan of the
 * same databases. With GAZETTEER: (5) its scan + (2) with the mentions filling slots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../filters/gazetteer.h"
#include "../filters/matcher.h"
#include "../filters/tpat.h"
#include "../proto/article.h"

struct corpus {
    proto_article *v;
    size_t n;
    double bytes;
};

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

static int load_corpus(const char *path, struct corpus *c)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t cap = 1024;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t ll;
    c->v = malloc(cap * sizeof *c->v);
    while (c->v && (ll = getline(&line, &lcap, f)) > 0) {
        if (c->n == cap) c->v = realloc(c->v, (cap *= 2) * sizeof *c->v);
        if (c->v && proto_article_decode(line, (size_t)ll, NULL, &c->v[c->n], NULL, 0) == 0)
            c->bytes += (double)(c->v[c->n].headline_len + c->v[c->n].body_len), c->n++;
    }
    free(line);
    fclose(f);
    return c->v ? 0 : -1;
}

/* What one timed pass runs. */
struct pass {
    const tpat_pack *p;
    const filter_matcher *m;
    const filter_gaz *g;
    hs_scratch_t *scratch;
    tok_doc doc;
    tpat_result res;
    filter_matches ms;
    filter_mentions men;
    size_t count, limited;
};

static void one(struct pass *ps, int what, const proto_article *a)
{
    const char *text[2] = {a->headline, a->body};
    size_t len[2] = {a->headline_len, a->body_len};
    if (what == 2 || what == 3) { /* the old matcher, with or without start recovery */
        for (int f = 0; f < 2; f++) {
            const hs_database_t *db = filter_matcher_db(ps->m, f);
            if (!len[f] || !db) continue;
            if (what == 3) hs_scan(db, text[f], (unsigned)len[f], 0, ps->scratch, noop, &ps->count);
            else ps->ms.n = 0, filter_matcher_scan(ps->m, ps->scratch, f, text[f], len[f], &ps->ms), ps->count += ps->ms.n;
        }
        return;
    }
    const struct squawk_mention *mv = NULL;
    size_t nm = 0;
    if (what == 4) {
        filter_gaz_scan(ps->g, ps->scratch, text, len, &ps->men);
        mv = ps->men.v;
        nm = ps->men.n;
    }
    tok_run(&ps->doc, text, len);
    if (what == 0) {
        ps->count += ps->doc.n;
        return;
    }
    tpat_match(ps->p, &ps->doc, text, mv, nm, &ps->res);
    ps->count += ps->res.n_hits;
    ps->limited += ps->res.n_limited;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Median wall and CPU seconds of reps passes; CPU time is steadier on a shared machine. */
static void timed(struct pass *ps, int what, const struct corpus *c, int reps, const char *name, const char *unit)
{
    double *t = calloc((size_t)reps, sizeof *t), *u = calloc((size_t)reps, sizeof *u);
    for (int r = 0; r < reps; r++) {
        ps->count = 0;
        int64_t t0 = sq_clock_mono_ns();
        double c0 = cpu_s();
        for (size_t i = 0; i < c->n; i++) one(ps, what, &c->v[i]);
        t[r] = (double)(sq_clock_mono_ns() - t0) / 1e9;
        u[r] = cpu_s() - c0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_dbl);
    qsort(u, (size_t)reps, sizeof *u, cmp_dbl);
    double w = t[reps / 2], cpu = u[reps / 2];
    printf("%-40s %7.3f s %9.0f articles/s %8.2f MB/s | cpu %7.3f s %8.2f MB/s  (%zu %s/run)\n", name, w, c->n / w,
           c->bytes / 1e6 / w, cpu, c->bytes / 1e6 / cpu, ps->count, unit);
    free(t);
    free(u);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: tpat_bench ARTICLES.jsonl V2PACK.yml REGEXPACK.yml [REPS] [GAZETTEER.yml]\n");
        return 2;
    }
    sq_log_set_level(sq_log_env_level(SQ_LOG_INFO, NULL));
    int reps = argc > 4 ? atoi(argv[4]) : 5;
    if (reps < 1 || reps > 100) reps = 5;
    struct corpus c = {0};
    struct pass ps = {0};
    tpat_diag d = {0};
    char err[1024];
    tpat_pack *p;
    filter_matcher *m;
    filter_gaz *g = NULL;
    if (load_corpus(argv[1], &c)) return perror(argv[1]), 1;
    if (tpat_load(&p, argv[2], &d)) return fprintf(stderr, "tpat_bench: %s\n", d.n ? d.v[0] : argv[2]), 1;
    if (filter_matcher_load(&m, argv[3], err, sizeof err)) return fprintf(stderr, "tpat_bench: %s\n", err), 1;
    if (argc > 5 && filter_gaz_load(&g, argv[5], err, sizeof err)) return fprintf(stderr, "tpat_bench: %s\n", err), 1;
    ps.p = p, ps.m = m, ps.g = g;
    filter_matcher_alloc_scratch(m, &ps.scratch);
    if (g) filter_gaz_alloc_scratch(g, &ps.scratch);
    tok_doc_init(&ps.doc);
    tpat_result_init(&ps.res);
    printf("articles: %zu, bytes (headline+body): %.2f MB, median of %d runs; v2 pack %s (%zu rules), regex pack %zu rules\n",
           c.n, c.bytes / 1e6, reps, tpat_name(p), tpat_size(p), filter_matcher_size(m));
    timed(&ps, 0, &c, reps, "v2 tokenise", "tokens");
    timed(&ps, 1, &c, reps, "v2 tokenise + match", "hits");
    timed(&ps, 2, &c, reps, "old matcher (hs_scan + start recovery)", "matches");
    timed(&ps, 3, &c, reps, "old bare hs_scan (no start offsets)", "matches");
    if (g) timed(&ps, 4, &c, reps, "gazetteer scan + v2 tokenise + match", "hits");
    printf("steps budget reached: %zu (rule, scope) pairs over all runs\n", ps.limited);
    tok_doc_free(&ps.doc);
    tpat_result_free(&ps.res);
    filter_matches_free(&ps.ms);
    filter_mentions_free(&ps.men);
    hs_free_scratch(ps.scratch);
    for (size_t i = 0; i < c.n; i++) proto_article_free(&c.v[i]);
    free(c.v);
    tpat_destroy(p);
    filter_matcher_destroy(m);
    filter_gaz_destroy(g);
    tpat_diag_free(&d);
    return 0;
}
