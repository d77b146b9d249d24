/* article.h -- the article struct and its strict decoder from msgpack or JSON bytes. */
#ifndef PROTO_ARTICLE_H
#define PROTO_ARTICLE_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"

/* Limits applied while decoding outside bytes. Zero fields take defaults. */
typedef struct proto_limits {
    size_t max_bytes;       /* whole message; default 1 MiB (max_article_bytes) */
    size_t max_field_bytes; /* any one string; default = max_bytes */
    unsigned max_depth;     /* nesting of maps/arrays; default 16 */
    unsigned max_elems;     /* elements of any map/array; default 1024 */
} proto_limits;

#define PROTO_DEFAULT_MAX_BYTES (1u << 20)
#define PROTO_PUBLISHED_NONE INT64_MIN

/* A decoded article. Every string is NUL-terminated, valid UTF-8 without NUL
 * bytes inside, and owned by the article; absent optional strings are "". */
typedef struct proto_article {
    char *id;
    char *headline;
    char *body;
    char *source;
    char *url;
    char *lang;
    size_t id_len, headline_len, body_len, source_len, url_len, lang_len;
    int64_t published_ms; /* PROTO_PUBLISHED_NONE when absent */
    char **tickers;       /* feed-supplied hints, may be empty */
    size_t n_tickers;
    /* An optional field the decoder could not read is dropped, not the
     * article: its bit is set here and dropped_why says what was wrong. */
    unsigned dropped;
    char dropped_why[128];
} proto_article;

#define PROTO_DROPPED_PUBLISHED 1u

/* Decodes one message, choosing msgpack or JSON by its first byte. On error
 * returns a negative SQ_E_* code, leaves *out zeroed, and writes a message
 * naming the field into why (if given). */
SQ_API int proto_article_decode(const void *buf, size_t len, const proto_limits *lim,
                                proto_article *out, char *why, size_t whylen);
SQ_API int proto_article_decode_msgpack(const void *buf, size_t len, const proto_limits *lim,
                                        proto_article *out, char *why, size_t whylen);
SQ_API int proto_article_decode_json(const void *buf, size_t len, const proto_limits *lim,
                                     proto_article *out, char *why, size_t whylen);
SQ_API void proto_article_free(proto_article *a);

/* Builds an article by copying strings (NULL means ""); for tools and tests. */
SQ_API int proto_article_init(proto_article *a, const char *id, const char *headline,
                              const char *body);

/* Encoders, used by `squawk feed` and tests. *out is malloc'd; caller frees. */
SQ_API int proto_article_encode_msgpack(const proto_article *a, char **out, size_t *outlen);
SQ_API int proto_article_encode_json(const proto_article *a, char **out, size_t *outlen);

/* 1 when every field matches (NULL and "" are the same), else 0. */
SQ_API int proto_article_equal(const proto_article *a, const proto_article *b);

/* UTF-8 validation shared by every decoder: 0 when valid, SQ_E_BAD_UTF8 or
 * SQ_E_NUL_BYTE otherwise. Rejects overlongs, surrogates and > U+10FFFF. */
SQ_API int proto_utf8_check(const char *s, size_t len);
/* Same, and on failure stores the offending byte offset in *bad_at (if given). */
SQ_API int proto_utf8_check_at(const char *s, size_t len, size_t *bad_at);
/* Removes zero-width characters and soft hyphens, folds fullwidth ASCII and Unicode spaces
 * (no-break, thin, ...) to ASCII and decodes HTML character references ("&amp;", "&#8217;") in
 * valid UTF-8, in place; returns the new length (NUL-terminated when shorter). Headline and
 * body pass through it, so disguised or escaped names still read as names. */
SQ_API size_t proto_text_fold(char *s, size_t len);

/* RFC 3339 to epoch milliseconds; 0 or SQ_E_BAD_TIME. */
SQ_API int proto_time_parse_rfc3339(const char *s, size_t len, int64_t *ms);
/* What `published` accepts: RFC 3339, RFC 2822 (RSS: "Mon, 02 Dec 2024 10:00:00 GMT"),
 * YYYY-MM-DD and YYYY-MM-DD HH:MM:SS[.frac] (UTC). 0 or SQ_E_BAD_TIME. */
SQ_API int proto_time_parse(const char *s, size_t len, int64_t *ms);

#endif
