/* gazetteer.h -- companies and regulators with aliases, compiled to Hyperscan, found in text. */
#ifndef FILTER_GAZETTEER_H
#define FILTER_GAZETTEER_H

#include <hs/hs.h>
#include <stddef.h>
#include "../core/visibility.h"
#include "squawk_filter.h"

typedef struct filter_gaz filter_gaz;

/* Mentions of one scan. Anonymous companies (names the gazetteer lacks:
 * "<ACME>", "$ACME", "Acme Widgets Inc") get entities of their own, indexed
 * from filter_gaz_size() up; they belong to this scan and die with it. */
typedef struct filter_mentions {
    struct squawk_mention *v;
    size_t n, cap;
    struct squawk_entity *anon; /* entity filter_gaz_size() + i */
    size_t n_anon;
    char *pool; /* the anonymous entities' names and tickers */
} filter_mentions;

SQ_API int filter_gaz_load(filter_gaz **out, const char *path, char *err, size_t errlen);
SQ_API void filter_gaz_destroy(filter_gaz *g);
SQ_API size_t filter_gaz_size(const filter_gaz *g);
SQ_API const struct squawk_entity *filter_gaz_entity(const filter_gaz *g, uint32_t i);
/* Index by exact name, ticker or alias; -1 when unknown. */
SQ_API int32_t filter_gaz_find(const filter_gaz *g, const char *name_or_ticker);
/* Whether scans also report anonymous companies: on unless gazetteer.yml says
 * `anonymous: false`; the setter overrides the file. */
SQ_API void filter_gaz_set_anonymous(filter_gaz *g, int on);
SQ_API int filter_gaz_anonymous(const filter_gaz *g);
SQ_API int filter_gaz_alloc_scratch(const filter_gaz *g, hs_scratch_t **scratch);
/* Mentions in headline and body, overlaps resolved (longest wins), sorted by
 * (field, start), ambiguous aliases marked confirmed only with company context;
 * then anonymous companies where no gazetteer mention overlaps (see filters/README.md). */
SQ_API int filter_gaz_scan(const filter_gaz *g, hs_scratch_t *scratch, const char *const text[2],
                    const size_t len[2], filter_mentions *out);
/* The databases, for the bench's bare hs_scan: exact case, or caseless (ALL-CAPS text). */
SQ_API const hs_database_t *filter_gaz_db(const filter_gaz *g, int caseless);
/* Entity i of a scan: the gazetteer's, or one of the scan's anonymous companies; NULL when out of range. */
SQ_API const struct squawk_entity *filter_mentions_entity(const filter_gaz *g, const filter_mentions *ms,
                                                          uint32_t i);
/* The scan's anonymous entity with this exact name or ticker (as an index), or -1. */
SQ_API int32_t filter_mentions_find(const filter_gaz *g, const filter_mentions *ms, const char *name_or_ticker);
SQ_API void filter_mentions_free(filter_mentions *ms);

#endif
