/* boot.h -- bootstrap intervals for squawk eval: how far an F1 moves with which articles a set happens to hold. */
#ifndef EVAL_BOOT_H
#define EVAL_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/visibility.h"

#define EVAL_BOOT_RESAMPLES 1000

/* The 95% interval of F1 = 2tp / (2tp + fp + fn) over EVAL_BOOT_RESAMPLES resamples (with
 * replacement) of n items, item i counting cnt[3i] tp, cnt[3i+1] fp and cnt[3i+2] fn (an article:
 * 0/1 for a category, any number of (article, ticker) pairs for routing). A fixed seed: the same
 * counts give the same interval on every run. 0, or SQ_E_NOMEM / SQ_E_INVAL (n is 0). */
SQ_API int eval_boot_f1(const uint32_t *cnt, size_t n, double *lo, double *hi);

#endif
