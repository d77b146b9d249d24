/* field.h -- proto-internal: an article's fields stored one at a time, for every decoder. */
#ifndef PROTO_FIELD_H
#define PROTO_FIELD_H

#include "article.h"
#include <stddef.h>
#include <stdint.h>

enum { F_ID, F_HEADLINE, F_BODY, F_SOURCE, F_URL, F_LANG, F_PUBLISHED, F_TICKERS, F_UNKNOWN };

extern const char *const proto_field_names[F_UNKNOWN];

/* F_* for the key k of n bytes, F_UNKNOWN for a key squawk ignores. */
int proto_field_lookup(const char *k, size_t n);
/* Copies s into string field f (check: validate the UTF-8 first). */
int proto_field_set_str(proto_article *a, int f, const char *s, size_t n, int check, char *why,
                        size_t whylen);
/* Stores d (malloc'd, NUL-terminated at n, valid UTF-8) as field f and owns it, even on error.
 * fold 0 only when d is pure ASCII with no '&', which proto_text_fold would leave as it is. */
int proto_field_take_str(proto_article *a, int f, char *d, size_t n, int fold);
/* Appends ticker number idx at a->tickers[a->n_tickers]; the caller has made room. */
int proto_field_add_ticker(proto_article *a, size_t idx, const char *s, size_t n, int check,
                           char *why, size_t whylen);
/* published: a time string, epoch ms, or dropped with a reason (never an error). */
int proto_field_published_str(proto_article *a, const char *s, size_t n);
int proto_field_published_ms(proto_article *a, int64_t ms);
int proto_field_drop_published(proto_article *a, const char *fmt, const char *what);
int proto_field_wrong_type(int f, const char *expected, char *why, size_t whylen);
/* Required fields present, absent optional strings "". */
int proto_field_finish(proto_article *a, char *why, size_t whylen);
void proto_field_reset(proto_article *a);
/* Frees a half-filled article, zeroes it and returns rc. */
int proto_field_fail(proto_article *a, int rc);
/* Effective limits, empty why, zeroed article and the size check. */
int proto_field_begin(size_t len, const proto_limits *lim_in, proto_limits *lim, proto_article *out,
                      char *why, size_t whylen);

/* The JSON decoder the single pass stands in for: proto_scan_json, then jansson's tree. */
int proto_article_decode_json_tree(const void *buf, size_t len, const proto_limits *lim,
                                   proto_article *out, char *why, size_t whylen);

#endif
