/* fuzz_article.c -- libFuzzer targets for the article decoders, plus re-encode round trips. */
/* Built twice (fuzz/proto.cmake): fuzz_article_json goes through detection, so JSON, msgpack and
 * junk all reach a decoder; fuzz_article_msgpack (FUZZ_ARTICLE_MSGPACK) calls the msgpack
 * decoder directly. */
#include <stdint.h>
#include <stdlib.h>

#include "proto/article.h"

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
    if (proto_article_decode(data, size, lim, &a, why, sizeof why) != 0) return 0;
#endif
    /* a dropped optional field leaves the field absent and says why */
    if (a.dropped && (a.published_ms != PROTO_PUBLISHED_NONE || !a.dropped_why[0])) abort();
    roundtrip(&a, proto_article_encode_msgpack, proto_article_decode_msgpack);
    roundtrip(&a, proto_article_encode_json, proto_article_decode_json);
    proto_article_free(&a);
    return 0;
}
