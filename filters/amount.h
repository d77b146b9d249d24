/* amount.h -- money amounts in text ("$10bn", "500 mln dlrs", "EUR3bn") normalised to USD. */
#ifndef FILTER_AMOUNT_H
#define FILTER_AMOUNT_H

#include <stddef.h>
#include "../core/visibility.h"
#include "squawk_filter.h"

typedef struct filter_amounts {
    struct squawk_amount *v;
    size_t n, cap;
} filter_amounts;

#define FILTER_AMOUNT_MAX 256

/* Appends the amounts of one field to out; 0 or SQ_E_NOMEM. */
SQ_API int filter_amount_extract(const char *s, size_t len, uint32_t field, filter_amounts *out);
SQ_API void filter_amounts_free(filter_amounts *a);
/* Where the scale word after a number ending at s[num_end] ends ("500 million", "746m"), 0 when
 * there is none: the words filter_amount_extract multiplies by. */
SQ_API size_t filter_amount_scale_end(const char *s, size_t len, size_t num_end);

#endif
