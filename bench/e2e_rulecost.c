/* e2e_rulecost.c -- where the rule-pack scan time goes: per pattern, with and without SOM, merged or not.
 *
 * usage: e2e_rulecost PATTERNS.tsv ARTICLES.jsonl
 * PATTERNS.tsv: "pack<TAB>id<TAB>flags<TAB>pattern" lines (bench/run.sh writes it from
 * filters/rules/<pack>.yml; flags is a comma list of caseless/dotall/multiline). Scans every body
 * with: the packs as squawk compiles them (one database per pack, HS_FLAG_SOM_LEFTMOST), the
 * same without SOM, all packs merged into one database with and without SOM, and each pattern
 * alone (SOM and not), printing MB/s and the ten most expensive patterns. */
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../proto/article.h"

#define MAXP 512

static char *pack[MAXP], *id[MAXP], *pat[MAXP];
static unsigned flg[MAXP];
static size_t np;
static const char **txt;
static size_t *len, nt, bytes;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int noop(unsigned i, unsigned long long f, unsigned long long t, unsigned fl, void *ud)
{
    (*(size_t *)ud)++;
    return 0;
}

static hs_database_t *build(const size_t *which, size_t k, unsigned extra)
{
    const char *p[MAXP];
    unsigned f[MAXP], ids[MAXP];
    for (size_t i = 0; i < k; i++) {
        p[i] = pat[which[i]];
        f[i] = flg[which[i]] | extra;
        ids[i] = (unsigned)which[i];
    }
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    if (hs_compile_multi(p, f, ids, (unsigned)k, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS) {
        fprintf(stderr, "e2e_rulecost: compile: %s\n", ce ? ce->message : "?");
        hs_free_compile_error(ce);
        return NULL;
    }
    return db;
}

/* seconds to scan every text with every database */
static double scan(hs_database_t **db, size_t ndb, size_t *matches)
{
    hs_scratch_t *s = NULL;
    for (size_t i = 0; i < ndb; i++)
        if (db[i]) hs_alloc_scratch(db[i], &s);
    double t0 = now();
    for (size_t i = 0; i < nt; i++)
        for (size_t d = 0; d < ndb; d++)
            if (db[d]) hs_scan(db[d], txt[i], (unsigned)len[i], 0, s, noop, matches);
    double t = now() - t0;
    hs_free_scratch(s);
    return t;
}

typedef struct {
    double t_som, t_nosom;
    size_t i;
} cost;

static int by_cost(const void *a, const void *b)
{
    double x = ((const cost *)a)->t_som, y = ((const cost *)b)->t_som;
    return x < y ? 1 : x > y ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: e2e_rulecost PATTERNS.tsv ARTICLES.jsonl\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t ll;
    while ((ll = getline(&line, &cap, f)) > 0 && np < MAXP) {
        line[strcspn(line, "\n")] = '\0';
        char *a = strtok(line, "\t"), *b = strtok(NULL, "\t"), *c = strtok(NULL, "\t"), *d = strtok(NULL, "");
        if (!a || !b || !c || !d) continue;
        pack[np] = strdup(a);
        id[np] = strdup(b);
        pat[np] = strdup(d);
        flg[np] = 0;
        if (strstr(c, "caseless")) flg[np] |= HS_FLAG_CASELESS;
        if (strstr(c, "dotall")) flg[np] |= HS_FLAG_DOTALL;
        if (strstr(c, "multiline")) flg[np] |= HS_FLAG_MULTILINE;
        for (const char *q = d; *q; q++)
            if ((unsigned char)*q >= 0x80) flg[np] |= HS_FLAG_UTF8;
        np++;
    }
    fclose(f);
    f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    size_t tcap = 1024;
    txt = malloc(tcap * sizeof *txt);
    len = malloc(tcap * sizeof *len);
    while ((ll = getline(&line, &cap, f)) > 0) {
        proto_article a;
        if (proto_article_decode(line, (size_t)ll, NULL, &a, NULL, 0) != 0) continue;
        if (nt + 2 > tcap) {
            tcap *= 2;
            txt = realloc(txt, tcap * sizeof *txt);
            len = realloc(len, tcap * sizeof *len);
        }
        /* headline and body, as the host scans them (one field at a time) */
        txt[nt] = strndup(a.headline, a.headline_len);
        len[nt++] = a.headline_len;
        txt[nt] = strndup(a.body ? a.body : "", a.body_len);
        len[nt++] = a.body_len;
        bytes += a.headline_len + a.body_len;
        proto_article_free(&a);
    }
    fclose(f);
    free(line);
    double mb = bytes / 1e6;
    size_t m = 0, all[MAXP];
    for (size_t i = 0; i < np; i++) all[i] = i;

    /* per pack, as squawk compiles them */
    hs_database_t *packs_som[16] = {0}, *packs_nosom[16] = {0};
    size_t npk = 0;
    for (size_t i = 0; i < np; i++) {
        if (i && strcmp(pack[i], pack[i - 1]) == 0) continue;
        size_t w[MAXP], k = 0;
        for (size_t j = 0; j < np; j++)
            if (strcmp(pack[j], pack[i]) == 0) w[k++] = j;
        if (npk < 16) {
            packs_som[npk] = build(w, k, HS_FLAG_SOM_LEFTMOST);
            packs_nosom[npk] = build(w, k, 0);
            npk++;
        }
    }
    double t1 = scan(packs_som, npk, &m), t2 = scan(packs_nosom, npk, &m);
    hs_database_t *merged_som = build(all, np, HS_FLAG_SOM_LEFTMOST), *merged = build(all, np, 0);
    double t3 = scan(&merged_som, 1, &m), t4 = scan(&merged, 1, &m);
    printf("rule packs over %.1f MB (%zu patterns, %zu packs):\n", mb, np, npk);
    printf("  one db per pack, SOM_LEFTMOST (as squawk): %7.1f MB/s\n", mb / t1);
    printf("  one db per pack, no SOM:                  %7.1f MB/s\n", mb / t2);
    printf("  all packs merged, SOM_LEFTMOST:           %7.1f MB/s\n", mb / t3);
    printf("  all packs merged, no SOM:                 %7.1f MB/s\n", mb / t4);
    cost c[MAXP];
    for (size_t i = 0; i < np; i++) {
        hs_database_t *a = build(&i, 1, HS_FLAG_SOM_LEFTMOST), *b = build(&i, 1, 0);
        c[i].i = i;
        c[i].t_som = scan(&a, 1, &m);
        c[i].t_nosom = scan(&b, 1, &m);
        hs_free_database(a);
        hs_free_database(b);
    }
    qsort(c, np, sizeof *c, by_cost);
    double sum = 0;
    for (size_t i = 0; i < np; i++) sum += c[i].t_som;
    printf("  most expensive patterns alone (share of the sum of single-pattern scan times, SOM vs no SOM):\n");
    for (size_t i = 0; i < np && i < 10; i++)
        printf("    %-28s %5.1f%%  %6.1f MB/s SOM  %7.1f MB/s no SOM\n", id[c[i].i], 100 * c[i].t_som / sum,
               mb / c[i].t_som, mb / c[i].t_nosom);
    return 0;
}
