/* learned_bench.c -- prediction throughput of a learned model: featurise + margin + probability per headline, one core.
 *
 * usage: learned_bench MODEL ARTICLES.jsonl [REPS=5]
 * Prints the median of REPS passes over every article as headlines/s (thread CPU time), and how
 * many passed a category's threshold (so a run that predicts nothing is visible). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../filters/learned/lmodel.h"
#include "../proto/article.h"

static int64_t learned_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

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
    if (m->o.rules) {
        fprintf(stderr, "learned_bench: %s uses the engine's evidence; measure it with squawk score --bench\n", argv[1]);
        lm_destroy(m);
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
    double sc[LM_MAX_CLASSES], p[LM_MAX_OUTPUTS];
    for (int r = 0; r < reps; r++) {
        pos = 0;
        /* CPU time of this thread: the machine may be shared, one core's work is what counts */
        int64_t t0 = learned_cpu_ns();
        for (size_t i = 0; i < n; i++) {
            lm_predict(m, &x, v[i].headline, v[i].headline_len, v[i].body, v[i].body_len, NULL, sc, p);
            for (size_t k = 0; k < m->n_out; k++)
                if (p[k] >= m->out[k].threshold) {
                    pos++;
                    break;
                }
        }
        secs[r] = (double)(learned_cpu_ns() - t0) / 1e9;
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
