/* hist.c -- HdrHistogram-style log-bucket histogram (fixed memory, bounded relative error). */
#include "hist.h"

#include <stdlib.h>

#define SUB_BITS 7                 /* values below 2^7 are exact */
#define SUB (1 << SUB_BITS)        /* 128 */
#define HALF (SUB / 2)             /* 64 sub-buckets per further power of two */
#define N_BUCKETS (SUB + HALF * (63 - SUB_BITS))

struct bench_hist {
    uint64_t count;
    int64_t max;
    uint64_t b[N_BUCKETS];
};

static int bucket_of(int64_t v)
{
    if (v < SUB) return (int)v;
    int top = 63 - __builtin_clzll((unsigned long long)v); /* >= SUB_BITS */
    int shift = top - (SUB_BITS - 1);                       /* v >> shift is in [64, 128) */
    return SUB + (shift - 1) * HALF + (int)((v >> shift) - HALF);
}

/* Largest value that lands in bucket i. */
static int64_t upper_of(int i)
{
    if (i < SUB) return i;
    int shift = (i - SUB) / HALF + 1;
    int64_t sub = (i - SUB) % HALF + HALF;
    return ((sub + 1) << shift) - 1;
}

bench_hist *bench_hist_create(void)
{
    return calloc(1, sizeof(bench_hist));
}

void bench_hist_destroy(bench_hist *h)
{
    free(h);
}

void bench_hist_record(bench_hist *h, int64_t v)
{
    if (v < 0) v = 0;
    if (v > ((int64_t)1 << 62)) v = (int64_t)1 << 62;
    h->b[bucket_of(v)]++;
    h->count++;
    if (v > h->max) h->max = v;
}

void bench_hist_merge(bench_hist *into, const bench_hist *from)
{
    for (int i = 0; i < N_BUCKETS; i++) into->b[i] += from->b[i];
    into->count += from->count;
    if (from->max > into->max) into->max = from->max;
}

uint64_t bench_hist_count(const bench_hist *h)
{
    return h->count;
}

int64_t bench_hist_max(const bench_hist *h)
{
    return h->max;
}

int64_t bench_hist_percentile(const bench_hist *h, double p)
{
    if (!h->count) return 0;
    /* rank of the sample at p, 1-based; p=100 is the largest sample */
    uint64_t rank = (uint64_t)(p / 100.0 * (double)h->count + 0.5);
    if (rank < 1) rank = 1;
    if (rank > h->count) rank = h->count;
    uint64_t seen = 0;
    for (int i = 0; i < N_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            int64_t u = upper_of(i);
            return u < h->max ? u : h->max;
        }
    }
    return h->max;
}

void bench_hist_write_dist(const bench_hist *h, FILE *out, double div)
{
    uint64_t seen = 0;
    for (int i = 0; i < N_BUCKETS; i++) {
        if (!h->b[i]) continue;
        seen += h->b[i];
        double q = (double)seen / (double)h->count;
        int64_t u = upper_of(i);
        if (u > h->max) u = h->max;
        /* the last point has q = 1; cap its x so a log axis can show it */
        double inv = q < 1.0 ? 1.0 / (1.0 - q) : (double)h->count * 10.0;
        fprintf(out, "%.6f %.3f %.3f\n", q * 100.0, (double)u / div, inv);
    }
}
