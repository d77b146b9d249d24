/* eval.h -- the evaluation engine behind squawk eval: precision, recall, F1, calibration and routing of the filters against labelled articles. */
#ifndef EVAL_EVAL_H
#define EVAL_EVAL_H

#include <stddef.h>
#include <stdio.h>

#include "core/visibility.h"
#include "filters/host.h"

typedef struct eval_set eval_set;

/* What the printers show beyond the tables. */
typedef struct eval_print_opts {
    long errors; /* > 0: the N highest-scoring false positives and N misses per category */
    int sweep;   /* F1 at thresholds 10, 15, ..., 90 */
} eval_print_opts;

/* One category's outcome, for callers and tests. */
typedef struct eval_counts {
    long tp, fp, fn, tn;
    double threshold;      /* < 0: decided by the host's own filtering */
    const char *thr_src;   /* "cli", "env", "config", "plugin" or "host" */
    int has_filter;
    double f1;
} eval_counts;

/* Reads a labels TSV (header: id<TAB>category...; 0/1 values). Returns 0 or
 * a negative SQ_E code with err naming the file and line. */
SQ_API int eval_create(eval_set **out, const char *labels, char *err, size_t errlen);
SQ_API void eval_destroy(eval_set *s);

/* Also measures routing against a parties TSV (see evroute.h), publishing
 * a company at relevance >= min_relevance as the ZeroMQ sink would. */
SQ_API int eval_open_routing(eval_set *s, const char *parties, double min_relevance, char *err,
                             size_t errlen);

/* Takes each category's threshold (and its source) from the filter of that
 * name in h, the engine filter_host_from_config built. */
SQ_API void eval_attach(eval_set *s, const filter_host *h);

/* Scores the labelled articles among the JSON Lines in `in` with h and
 * counts the outcome; headlines and evidence are cut at width columns. */
SQ_API int eval_run(eval_set *s, filter_host *h, FILE *in, int width);

SQ_API int eval_result(const eval_set *s, const char *category, eval_counts *out);

/* The tables (and routing), or one JSON document; the per-article scores TSV. */
SQ_API void eval_print_text(const eval_set *s, const eval_print_opts *o, FILE *out);
SQ_API int eval_print_json(const eval_set *s, const eval_print_opts *o, FILE *out);
SQ_API int eval_write_scores(const eval_set *s, const char *path);

/* The expected calibration error (`bands` score bands) that scores score[0..n) (0-100) would still
 * show by chance if each were the exact probability x 100: per band E|its alerts right - the sum
 * of their probabilities| (exact), over n. An ECE near it is as calibrated as the sample can tell.
 * 0 or SQ_E_NOMEM. */
SQ_API int eval_ece_chance(const double *score, size_t n, int bands, double *out);

#endif
