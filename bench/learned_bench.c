/* learned_bench.c -- prediction throughput of a learned model: featurise + margin + probability per headline, one core.
 *
 * usage: learned_bench MODEL ARTICLES.jsonl [REPS=5]
 * Prints the median of REPS passes over every article as headlines/s, and how many passed the
 * model's threshold (so a run that predicts nothing is visible). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../filters/learned/lmodel.h"
#include "../proto/article.h"

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: learned_bench MODEL ARTICLES.jsonl [REPS]\n");
        return 2;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    if (reps < 1 || reps > 100) reps = 5;
    char err[512];
    lm_model *m;
    if (lm_load(&m, argv[1], err, sizeof err) != 0) {
        fprintf(stderr, "learned_bench: %s\n", err);
        return 1;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    proto_article *v = NULL;
    size_t n = 0, cap = 0, len = 0;
    char *line = NULL, why[256];
    ssize_t k;
    while ((k = getline(&line, &len, f)) > 0) {
        proto_article a;
        if (proto_article_decode(line, (size_t)k, NULL, &a, why, sizeof why) != 0) continue;
        if (n == cap) v = realloc(v, (cap = cap ? 2 * cap : 1024) * sizeof *v);
        v[n++] = a;
    }
    free(line);
    fclose(f);
    double *secs = calloc((size_t)reps, sizeof *secs);
    lm_vec x = {0};
    size_t pos = 0;
    for (int r = 0; r < reps; r++) {
        pos = 0;
        int64_t t0 = sq_clock_mono_ns();
        for (size_t i = 0; i < n; i++) {
            lm_featurize(&m->o, m->idf, v[i].headline, v[i].headline_len, v[i].body, v[i].body_len, &x, NULL);
            pos += lm_probability(m, lm_margin(m, &x)) >= m->threshold;
        }
        secs[r] = (double)(sq_clock_mono_ns() - t0) / 1e9;
    }
    qsort(secs, (size_t)reps, sizeof *secs, cmp_dbl);
    double med = secs[reps / 2];
    printf("learned_bench\tarticles=%zu\tpositive=%zu\tmedian_s=%.4f\theadlines_per_s=%.0f\n", n, pos, med,
           med > 0 ? (double)n / med : 0);
    lm_vec_free(&x);
    for (size_t i = 0; i < n; i++) proto_article_free(&v[i]);
    free(v);
    free(secs);
    lm_destroy(m);
    return 0;
}
