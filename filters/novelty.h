/* novelty.h -- repeat detection: SimHash of headline + entities, over a bounded time window. */
#ifndef FILTER_NOVELTY_H
#define FILTER_NOVELTY_H

#include <stddef.h>
#include "../core/visibility.h"
#include <stdint.h>

typedef struct filter_novelty filter_novelty;

/* window_s: how long a story counts as seen; cap: how many keys are kept
 * (oldest dropped first), so memory is bounded whatever the traffic. */
SQ_API filter_novelty *filter_novelty_create(unsigned window_s, size_t cap);
SQ_API void filter_novelty_destroy(filter_novelty *n);
/* Moves from's stories into to (to's window applies; from is left empty):
 * a reload's new engine goes on with the stories the old one has seen. */
SQ_API void filter_novelty_take(filter_novelty *to, filter_novelty *from);
/* 64-bit SimHash of the lower-cased words of headline and each entity name. */
SQ_API uint64_t filter_novelty_key(const char *headline, const char *const *names, size_t n_names);
/* Hamming distance of two keys. */
SQ_API int filter_novelty_distance(uint64_t a, uint64_t b);
/* Records key under category at now_ms and returns the novelty: 100 for the
 * first sighting in the window, 100 / (1 + repeats) after (distance <= 3). */
SQ_API unsigned filter_novelty_observe(filter_novelty *n, const char *category, uint64_t key,
                                int64_t now_ms);

#endif
