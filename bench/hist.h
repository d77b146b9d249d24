/* hist.h -- HdrHistogram-style log-bucket histogram of int64 values (latencies in ns) for the benches. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>
#include <stdio.h>

/* Values 0 .. 2^62 with a relative bucket width of at most 1/64 (about 1.6 %): 64 linear
 * sub-buckets per power of two, so memory is fixed (a few thousand counters) whatever the count. */
typedef struct bench_hist bench_hist;

bench_hist *bench_hist_create(void);
void bench_hist_destroy(bench_hist *h);
void bench_hist_record(bench_hist *h, int64_t v); /* negative values count as 0 */
void bench_hist_merge(bench_hist *into, const bench_hist *from);
uint64_t bench_hist_count(const bench_hist *h);
int64_t bench_hist_max(const bench_hist *h);
/* The value at percentile p (0..100): the upper edge of the bucket holding it, capped at max. */
int64_t bench_hist_percentile(const bench_hist *h, double p);
/* Percentile distribution for plotting: lines "percentile value/div 1/(1-p)", one per
 * non-empty bucket, like HdrHistogram's percentile output. */
void bench_hist_write_dist(const bench_hist *h, FILE *out, double div);

#endif
