/* boot.c -- bootstrap intervals for squawk eval: how far an F1 moves with which articles a set happens to hold. */
#include "boot.h"

#include <stdlib.h>

#include "core/error.h"

/* splitmix64 */
static uint64_t boot_rand(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int boot_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int eval_boot_f1(const uint32_t *cnt, size_t n, double *lo, double *hi)
{
    if (!n) return SQ_E_INVAL;
    double *f1 = malloc(EVAL_BOOT_RESAMPLES * sizeof *f1);
    if (!f1) return SQ_E_NOMEM;
    uint64_t st = 0x5eed;
    for (int b = 0; b < EVAL_BOOT_RESAMPLES; b++) {
        uint64_t tp = 0, fp = 0, fn = 0;
        for (size_t i = 0; i < n; i++) {
            const uint32_t *c = cnt + 3 * (boot_rand(&st) % n);
            tp += c[0], fp += c[1], fn += c[2];
        }
        f1[b] = tp ? 2.0 * (double)tp / (2.0 * (double)tp + (double)fp + (double)fn) : 0.0;
    }
    qsort(f1, EVAL_BOOT_RESAMPLES, sizeof *f1, boot_cmp);
    *lo = f1[EVAL_BOOT_RESAMPLES / 40];
    *hi = f1[EVAL_BOOT_RESAMPLES - 1 - EVAL_BOOT_RESAMPLES / 40];
    free(f1);
    return 0;
}
