/* decode_bench.c -- article decode CPU per article, and a field-by-field check of the JSON decoders.
 *
 * usage: decode_bench ARTICLES.jsonl [REPS=5]
 *        decode_bench --compare FILE.jsonl...
 * The first form decodes every line REPS times with proto_article_decode (what the Kafka consumer
 * calls) and prints the median CPU microseconds per article and MB/s; the same lines re-encoded
 * as msgpack are timed beside them. The second decodes every line with both JSON decoders (the
 * single-pass one and the jansson tree it stands in for) and reports any line where the result
 * code, a field, the dropped bits or their reason differ; exit 1 if one does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../proto/article.h"
#include "../proto/field.h"

typedef struct lines {
    char **s;
    size_t *n;
    size_t count, bytes;
} lines;

static void lines_add(lines *l, char *s, size_t n)
{
    if ((l->count & (l->count - 1)) == 0) {
        size_t cap = l->count ? l->count * 2 : 1;
        l->s = realloc(l->s, cap * sizeof *l->s);
        l->n = realloc(l->n, cap * sizeof *l->n);
        if (!l->s || !l->n) exit(2);
    }
    l->s[l->count] = s;
    l->n[l->count++] = n;
    l->bytes += n;
}

static lines read_lines(const char *path)
{
    lines l = {0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0) continue;
        char *c = malloc((size_t)n);
        if (!c) exit(2);
        memcpy(c, line, (size_t)n);
        lines_add(&l, c, (size_t)n);
    }
    free(line);
    fclose(f);
    return l;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median CPU seconds of reps passes of dec over every line. */
static double time_pass(const lines *l, int reps,
                        int (*dec)(const void *, size_t, const proto_limits *, proto_article *,
                                   char *, size_t))
{
    double t[64];
    if (reps > 64) reps = 64;
    size_t bad = 0;
    for (int r = 0; r < reps; r++) {
        int64_t c0 = sq_clock_thread_cpu_ns();
        for (size_t i = 0; i < l->count; i++) {
            proto_article a;
            char why[256];
            if (dec(l->s[i], l->n[i], NULL, &a, why, sizeof why) != 0) {
                bad++;
                continue;
            }
            proto_article_free(&a);
        }
        t[r] = (double)(sq_clock_thread_cpu_ns() - c0) / 1e9;
    }
    if (bad) fprintf(stderr, "decode_bench: %zu lines did not decode\n", bad / (size_t)reps);
    qsort(t, (size_t)reps, sizeof t[0], cmp_dbl);
    return t[reps / 2];
}

static void report(const char *what, const lines *l, double s)
{
    printf("%-34s %8.2f us/article %8.1f MB/s  (%zu articles, %.1f MB, median CPU s %.3f)\n", what,
           s * 1e6 / (double)l->count, (double)l->bytes / 1e6 / s, l->count, (double)l->bytes / 1e6,
           s);
}

static int bench(const char *path, int reps)
{
    lines js = read_lines(path), mp = {0};
    for (size_t i = 0; i < js.count; i++) {
        proto_article a;
        char why[256], *buf;
        size_t n;
        if (proto_article_decode(js.s[i], js.n[i], NULL, &a, why, sizeof why) != 0) continue;
        if (proto_article_encode_msgpack(&a, &buf, &n) == 0) lines_add(&mp, buf, n);
        proto_article_free(&a);
    }
    report("proto_article_decode (JSON)", &js, time_pass(&js, reps, proto_article_decode));
    report("proto_article_decode_json_tree", &js,
           time_pass(&js, reps, proto_article_decode_json_tree));
    report("proto_article_decode (msgpack)", &mp, time_pass(&mp, reps, proto_article_decode));
    return 0;
}

static int same_article(const proto_article *a, const proto_article *b)
{
    return proto_article_equal(a, b) && a->dropped == b->dropped &&
           strcmp(a->dropped_why, b->dropped_why) == 0;
}

static int compare(int argc, char **argv)
{
    size_t total = 0, differ = 0, failed = 0;
    for (int f = 0; f < argc; f++) {
        lines l = read_lines(argv[f]);
        for (size_t i = 0; i < l.count; i++) {
            proto_article a, b;
            char wa[256], wb[256];
            int ra = proto_article_decode_json(l.s[i], l.n[i], NULL, &a, wa, sizeof wa);
            int rb = proto_article_decode_json_tree(l.s[i], l.n[i], NULL, &b, wb, sizeof wb);
            int ok = ra == rb && (ra != 0 ? strcmp(wa, wb) == 0 : same_article(&a, &b));
            if (!ok && differ++ < 10)
                fprintf(stderr, "%s:%zu: single-pass rc=%d and jansson rc=%d differ (%s | %s)\n",
                        argv[f], i + 1, ra, rb, wa, wb);
            failed += ra != 0;
            if (ra == 0) proto_article_free(&a);
            if (rb == 0) proto_article_free(&b);
            free(l.s[i]);
        }
        total += l.count;
        free(l.s);
        free(l.n);
    }
    printf("decode_bench --compare: %zu articles, %zu differ, %zu rejected by both\n", total,
           differ, failed);
    return differ ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--compare") == 0) return compare(argc - 2, argv + 2);
    if (argc < 2) {
        fprintf(stderr, "usage: decode_bench ARTICLES.jsonl [REPS] | --compare FILE.jsonl...\n");
        return 2;
    }
    return bench(argv[1], argc > 2 ? atoi(argv[2]) : 5);
}
