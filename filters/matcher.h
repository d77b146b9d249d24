/* matcher.h -- rule packs: YAML rules compiled once into Hyperscan databases, scanned per field. */
#ifndef FILTER_MATCHER_H
#define FILTER_MATCHER_H

#include <hs/hs.h>
#include <stddef.h>
#include "../core/visibility.h"
#include "squawk_filter.h"

typedef struct filter_matcher filter_matcher;

/* Growable list of matches, appended to by scans. */
typedef struct filter_matches {
    struct squawk_match *v;
    size_t n, cap;
} filter_matches;

/* Upper bound of matches kept per scan: hostile text cannot grow memory. */
#define FILTER_MATCHER_MAX_MATCHES 4096

/* Loads and compiles a pack. Errors name the file, the rule id and
 * Hyperscan's message. */
SQ_API int filter_matcher_load(filter_matcher **out, const char *path, char *err, size_t errlen);
SQ_API void filter_matcher_destroy(filter_matcher *m);
SQ_API const char *filter_matcher_name(const filter_matcher *m);
SQ_API size_t filter_matcher_size(const filter_matcher *m);
SQ_API const struct squawk_rule *filter_matcher_rule(const filter_matcher *m, uint32_t i);
/* The database used for a field (headline rules + any, body rules + any); may be NULL.
 * Compiled without start-of-match tracking: it reports end offsets only
 * (filter_matcher_scan recovers the starts). */
SQ_API const hs_database_t *filter_matcher_db(const filter_matcher *m, int field);
/* Bytes of compiled code the matcher holds: its per-field Hyperscan databases
 * and the per-rule start-of-match ones. */
SQ_API size_t filter_matcher_bytes(const filter_matcher *m);
/* Grows scratch so it serves this matcher's databases. */
SQ_API int filter_matcher_alloc_scratch(const filter_matcher *m, hs_scratch_t **scratch);
/* Appends matches of field to out (unsorted). */
SQ_API int filter_matcher_scan(const filter_matcher *m, hs_scratch_t *scratch, int field,
                        const char *text, size_t len, filter_matches *out);
/* Sorts by (field, start, end) and drops exact duplicates. */
SQ_API void filter_matches_sort(filter_matches *ms);
SQ_API void filter_matches_free(filter_matches *ms);

#endif
