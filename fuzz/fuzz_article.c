/* fuzz_article.c -- libFuzzer targets for the article decoders, plus re-encode round trips. */
/* Built twice (fuzz/proto.cmake): fuzz_article_json goes through detection, so JSON, msgpack and
 * junk all reach a decoder, and checks the single-pass JSON decoder against jansson's tree on
 * every input; fuzz_article_msgpack (FUZZ_ARTICLE_MSGPACK) calls the msgpack decoder directly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/article.h"
#include "proto/field.h"

/* The re-encoded form may be a little larger (absent fields become ""), so
 * the second decode must not trip over the size limit. */
static const proto_limits relaxed = {.max_bytes = 1u << 30};

static void roundtrip(const proto_article *a,
                      int (*enc)(const proto_article *, char **, size_t *),
                      int (*dec)(const void *, size_t, const proto_limits *, proto_article *,
                                 char *, size_t))
{
    char *buf;
    size_t len;
    char why[256];
    if (enc(a, &buf, &len) != 0) abort();
    proto_article b;
    if (dec(buf, len, &relaxed, &b, why, sizeof why) != 0) abort();
    if (!proto_article_equal(a, &b)) abort();
    proto_article_free(&b);
    free(buf);
}

/* The published-time parser sees the raw bytes too: any form, never a crash,
 * and what it accepts lies in years 1..9999. */
static void time_forms(const uint8_t *data, size_t size)
{
    int64_t ms;
    if (proto_time_parse((const char *)data, size > 64 ? 64 : size, &ms) == 0 &&
        (ms < -62135596800000LL || ms > 253402300799999LL + 86400000LL))
        abort();
}

#ifndef FUZZ_ARTICLE_MSGPACK
/* The single pass (proto_article_decode_json) must give what the tree gives: the same code and
 * message on error, the same article, dropped fields and reason on success. */
static void same_as_tree(const uint8_t *data, size_t size, const proto_limits *lim)
{
    char wa[256], wb[256];
    proto_article a, b;
    int ra = proto_article_decode_json(data, size, lim, &a, wa, sizeof wa);
    int rb = proto_article_decode_json_tree(data, size, lim, &b, wb, sizeof wb);
    if (ra != rb || strcmp(wa, wb) != 0) abort();
    if (ra == 0 && (!proto_article_equal(&a, &b) || a.dropped != b.dropped ||
                    strcmp(a.dropped_why, b.dropped_why) != 0))
        abort();
    if (ra == 0) proto_article_free(&a);
    if (rb == 0) proto_article_free(&b);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    proto_article a;
    time_forms(data, size);
    /* Tight limits half the time, so depth/size/count paths get exercised. */
    proto_limits tight = {.max_bytes = 1u << 16, .max_field_bytes = 256, .max_depth = 4,
                          .max_elems = 8};
    const proto_limits *lim = size && (data[size - 1] & 1) ? &tight : NULL;
#ifdef FUZZ_ARTICLE_MSGPACK
    if (proto_article_decode_msgpack(data, size, lim, &a, why, sizeof why) != 0) return 0;
#else
    same_as_tree(data, size, lim);
    if (proto_article_decode(data, size, lim, &a, why, sizeof why) != 0) return 0;
#endif
    /* a dropped optional field leaves the field absent and says why */
    if (a.dropped && (a.published_ms != PROTO_PUBLISHED_NONE || !a.dropped_why[0])) abort();
    roundtrip(&a, proto_article_encode_msgpack, proto_article_decode_msgpack);
    roundtrip(&a, proto_article_encode_json, proto_article_decode_json);
    proto_article_free(&a);
    return 0;
}
