/* evroute.h -- routing quality for squawk eval: the tickers alerts reach against labelled parties. */
#ifndef EVAL_EVROUTE_H
#define EVAL_EVROUTE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/visibility.h"
#include "proto/alert.h"

typedef struct evroute evroute;

/* Reads a parties TSV (header: id, then <category>_parties columns, then any
 * others such as note). A cell is "Name=TICKER:role; ..." ("-" as TICKER: an
 * unlisted party, never expected on a topic), "none" or empty (no listed
 * party). cats names the categories measured; a category without a column is
 * not measured. Returns 0 or a negative SQ_E code with err filled. */
SQ_API int evroute_open(evroute **out, const char *path, const char *const *cats, size_t n_cats,
                 char *err, size_t errlen);
SQ_API void evroute_destroy(evroute *r);

/* Records what would be published for one article in category cat: the
 * alerts that passed (n may be 0). Articles absent from the parties file
 * are not counted. Tickers follow proto_alert_route_tickers at min_relevance. */
SQ_API void evroute_add(evroute *r, const char *id, size_t cat, const proto_alert *const *passed,
                 size_t n, double min_relevance, const char *headline);

/* Article id's (ticker) pairs in category cat: out[0] right, out[1] wrong, out[2] missed. 1, or 0 when
 * the article was not counted there (absent from the parties file, or no such category). */
SQ_API int evroute_counts(const evroute *r, const char *id, size_t cat, uint32_t out[3]);

/* The routing table (and with errors > 0 the wrong and missed tickers). */
SQ_API void evroute_print(const evroute *r, FILE *out, long errors);
/* {"category": {"precision", "recall", "f1", "tp", "fp", "fn", "articles"}} */
SQ_API json_t *evroute_json(const evroute *r);

#endif
