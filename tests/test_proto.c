/* test_proto.c -- the wire format: article decoding and every reject, alert and heartbeat round trips. */
#include <jansson.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "proto/alert.h"
#include "proto/article.h"
#include "proto/headline.h"
#include "proto/field.h"
#include "tests/assert.h"

/* ---- helpers ---- */

static char why[256];

static int dec(const void *buf, size_t len, const proto_limits *lim)
{
    proto_article a;
    int rc = proto_article_decode(buf, len, lim, &a, why, sizeof why);
    if (rc == 0) {
        proto_article_free(&a);
    } else {
        /* On error the article is left zeroed. */
        proto_article z;
        memset(&z, 0, sizeof z);
        ASSERT(memcmp(&a, &z, sizeof a) == 0);
        ASSERT(why[0] != '\0');
    }
    return rc;
}

static int dec_str(const char *s)
{
    return dec(s, strlen(s), NULL);
}

#define EXPECT_ERR(expr, name)                                                  \
    do {                                                                        \
        int rc_ = (expr);                                                       \
        if (strcmp(sq_err_name(rc_), name) != 0)                                \
            SQ_FAIL_("%s: got %s (%d, why: %s), want %s", #expr, sq_err_name(rc_), rc_, why, \
                     name);                                                     \
    } while (0)

/* A msgpack writer for hand-built inputs. */
typedef struct mp {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} mp;

static void mp_init(mp *m)
{
    msgpack_sbuffer_init(&m->sb);
    msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
}

static void mp_s(mp *m, const char *s)
{
    msgpack_pack_str(&m->pk, strlen(s));
    msgpack_pack_str_body(&m->pk, s, strlen(s));
}

static void mp_sn(mp *m, const char *s, size_t n)
{
    msgpack_pack_str(&m->pk, n);
    msgpack_pack_str_body(&m->pk, s, n);
}

static int mp_dec(mp *m, const proto_limits *lim)
{
    int rc = dec(m->sb.data, m->sb.size, lim);
    msgpack_sbuffer_destroy(&m->sb);
    return rc;
}

/* {"id": id, "headline": h} followed by nothing; returns an initialised mp. */
static void mp_min(mp *m, const char *id, const char *h)
{
    mp_init(m);
    msgpack_pack_map(&m->pk, 2);
    mp_s(m, "id");
    mp_s(m, id);
    mp_s(m, "headline");
    mp_s(m, h);
}

/* ---- article: happy paths ---- */

TEST(article_json_fields)
{
    const char *j = "  \n{\"id\":\"a-1\",\"headline\":\"Amazon in talks to invest $10bn\","
                    "\"body\":\"Caf\\u00e9 \xe2\x82\xac\",\"source\":\"wire\",\"url\":\"https://x/y\","
                    "\"published\":\"2024-03-01T12:34:56.789+02:00\",\"lang\":\"en\","
                    "\"tickers\":[\"amzn\",\"Nvda\"],\"extra\":{\"deep\":[1,2,{\"k\":null}]},"
                    "\"body_html\":null}";
    proto_article a;
    ASSERT_EQ(proto_article_decode(j, strlen(j), NULL, &a, why, sizeof why), 0);
    ASSERT_STR_EQ(a.id, "a-1");
    ASSERT_EQ(a.id_len, 3);
    ASSERT_STR_EQ(a.headline, "Amazon in talks to invest $10bn");
    ASSERT_STR_EQ(a.body, "Caf\xc3\xa9 \xe2\x82\xac");
    ASSERT_EQ(a.body_len, strlen("Caf\xc3\xa9 \xe2\x82\xac"));
    ASSERT_STR_EQ(a.source, "wire");
    ASSERT_STR_EQ(a.url, "https://x/y");
    ASSERT_STR_EQ(a.lang, "en");
    ASSERT_EQ(a.published_ms, 1709289296789LL);
    ASSERT_EQ(a.n_tickers, 2);
    ASSERT_STR_EQ(a.tickers[0], "AMZN");
    ASSERT_STR_EQ(a.tickers[1], "NVDA");

    /* encode -> decode equality, both formats */
    char *buf;
    size_t len;
    proto_article b;
    ASSERT_EQ(proto_article_encode_json(&a, &buf, &len), 0);
    ASSERT_EQ(proto_article_decode_json(buf, len, NULL, &b, why, sizeof why), 0);
    ASSERT(proto_article_equal(&a, &b));
    proto_article_free(&b);
    free(buf);
    ASSERT_EQ(proto_article_encode_msgpack(&a, &buf, &len), 0);
    ASSERT_EQ(proto_article_decode(buf, len, NULL, &b, why, sizeof why), 0);
    ASSERT(proto_article_equal(&a, &b));
    proto_article_free(&b);
    free(buf);
    proto_article_free(&a);
    ASSERT(a.id == NULL && a.tickers == NULL);
}

TEST(article_msgpack_fields)
{
    mp m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 6);
    mp_s(&m, "headline");
    mp_s(&m, "TSMC agrees chip supply deal");
    mp_s(&m, "id");
    mp_s(&m, "m-7");
    mp_s(&m, "published");
    msgpack_pack_int64(&m.pk, 951868799000LL);
    mp_s(&m, "tickers");
    msgpack_pack_array(&m.pk, 1);
    mp_s(&m, "tsm");
    mp_s(&m, "unknown");
    msgpack_pack_map(&m.pk, 1);
    msgpack_pack_int(&m.pk, 5); /* nested keys of unknown fields may be anything */
    msgpack_pack_bin(&m.pk, 2);
    msgpack_pack_bin_body(&m.pk, "\0\1", 2);
    mp_s(&m, "source");
    msgpack_pack_nil(&m.pk); /* nil optional = absent */

    proto_article a;
    ASSERT_EQ(proto_article_decode(m.sb.data, m.sb.size, NULL, &a, why, sizeof why), 0);
    ASSERT_STR_EQ(a.id, "m-7");
    ASSERT_STR_EQ(a.headline, "TSMC agrees chip supply deal");
    ASSERT_STR_EQ(a.body, "");
    ASSERT_STR_EQ(a.source, "");
    ASSERT_EQ(a.published_ms, 951868799000LL);
    ASSERT_EQ(a.n_tickers, 1);
    ASSERT_STR_EQ(a.tickers[0], "TSM");
    msgpack_sbuffer_destroy(&m.sb);

    char *buf;
    size_t len;
    proto_article b;
    ASSERT_EQ(proto_article_encode_json(&a, &buf, &len), 0);
    ASSERT_EQ(proto_article_decode(buf, len, NULL, &b, why, sizeof why), 0);
    ASSERT(proto_article_equal(&a, &b));
    proto_article_free(&b);
    free(buf);
    proto_article_free(&a);

    /* minimal article; absent published stays NONE */
    mp_min(&m, "x", "y");
    ASSERT_EQ(proto_article_decode(m.sb.data, m.sb.size, NULL, &a, why, sizeof why), 0);
    ASSERT_EQ(a.published_ms, PROTO_PUBLISHED_NONE);
    ASSERT_EQ(a.n_tickers, 0);
    ASSERT(a.tickers != NULL);
    proto_article_free(&a);
    msgpack_sbuffer_destroy(&m.sb);
}

TEST(article_init)
{
    proto_article a;
    ASSERT_EQ(proto_article_init(&a, "i", "h", NULL), 0);
    ASSERT_STR_EQ(a.body, "");
    ASSERT_STR_EQ(a.url, "");
    ASSERT_EQ(a.published_ms, PROTO_PUBLISHED_NONE);
    proto_article_free(&a);
}

/* ---- article: each reject, by name ---- */

TEST(reject_empty_and_format)
{
    EXPECT_ERR(dec("", 0, NULL), "EMPTY");
    EXPECT_ERR(dec_str(" \n\t "), "EMPTY");
    EXPECT_ERR(dec_str("hello"), "BAD_FORMAT");
    EXPECT_ERR(dec_str("\"just a string\""), "BAD_FORMAT");
    const unsigned char fixint = 0x05;
    EXPECT_ERR(dec(&fixint, 1, NULL), "BAD_FORMAT");
}

TEST(reject_truncated_msgpack)
{
    mp m;
    mp_min(&m, "id-1", "headline text");
    /* every proper prefix of a valid map is TRUNCATED */
    for (size_t n = 1; n < m.sb.size; n++) EXPECT_ERR(dec(m.sb.data, n, NULL), "TRUNCATED");
    msgpack_sbuffer_destroy(&m.sb);
    /* a map that declares more entries than it has */
    const unsigned char short_map[] = {0x83, 0xa2, 'i', 'd', 0xa1, 'x'};
    EXPECT_ERR(dec(short_map, sizeof short_map, NULL), "TRUNCATED");
    /* a forged 4-billion-element map is TRUNCATED (or TOO_MANY), never allocated */
    const unsigned char forged[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'x', 0xc0};
    proto_limits big = {.max_elems = UINT32_MAX};
    EXPECT_ERR(dec(forged, sizeof forged, &big), "TRUNCATED");
    EXPECT_ERR(dec(forged, sizeof forged, NULL), "TOO_MANY");
}

TEST(reject_trailing)
{
    mp m;
    mp_min(&m, "i", "h");
    msgpack_pack_nil(&m.pk);
    EXPECT_ERR(mp_dec(&m, NULL), "TRAILING");
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":\"h\"} x"), "TRAILING");
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":\"h\"}{}"), "TRAILING");
    ASSERT_EQ(dec_str("{\"id\":\"i\",\"headline\":\"h\"}\r\n"), 0);
}

TEST(reject_not_map_not_object)
{
    EXPECT_ERR(dec_str("[{\"id\":\"i\",\"headline\":\"h\"}]"), "NOT_OBJECT");
    EXPECT_ERR(dec_str("  [1,2]"), "NOT_OBJECT");
    proto_article a;
    EXPECT_ERR(proto_article_decode_json("[1]", 3, NULL, &a, why, sizeof why), "NOT_OBJECT");
    const unsigned char arr[] = {0x91, 0x80};
    EXPECT_ERR(dec(arr, sizeof arr, NULL), "NOT_MAP");
    EXPECT_ERR(proto_article_decode_msgpack("\xa1x", 2, NULL, &a, why, sizeof why), "NOT_MAP");
}

TEST(reject_bad_json)
{
    EXPECT_ERR(dec_str("{\"id\": }"), "BAD_JSON");
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":\"h\""), "BAD_JSON");
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":\"h\",}"), "BAD_JSON");
    EXPECT_ERR(dec_str("{'id':'i'}"), "BAD_JSON");
}

TEST(reject_too_big_100mb)
{
    /* A 100 MB JSON body, built in memory: refused by its length alone. */
    size_t n = 100u << 20;
    char *buf = malloc(n);
    ASSERT(buf != NULL);
    const char *head = "{\"id\":\"big\",\"headline\":\"h\",\"body\":\"";
    memcpy(buf, head, strlen(head));
    memset(buf + strlen(head), 'a', n - strlen(head) - 2);
    memcpy(buf + n - 2, "\"}", 2);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    EXPECT_ERR(dec(buf, n, NULL), "TOO_BIG");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "   100 MB reject took %.1f us\n",
            ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3);
    ASSERT(strstr(why, "over the limit") != NULL);
    proto_article a;
    EXPECT_ERR(proto_article_decode_msgpack(buf, n, NULL, &a, why, sizeof why), "TOO_BIG");
    EXPECT_ERR(proto_article_decode_json(buf, n, NULL, &a, why, sizeof why), "TOO_BIG");
    free(buf);
    /* and a configured limit applies to small messages too */
    proto_limits lim = {.max_bytes = 10};
    EXPECT_ERR(dec("{\"id\":\"i\",\"headline\":\"h\"}", 25, &lim), "TOO_BIG");
}

TEST(reject_too_deep)
{
    /* 1,000-deep JSON under an unknown key */
    size_t depth = 1000;
    char *j = malloc(depth * 2 + 64);
    size_t p = (size_t)sprintf(j, "{\"id\":\"i\",\"headline\":\"h\",\"x\":");
    for (size_t i = 0; i < depth; i++) j[p++] = '[';
    for (size_t i = 0; i < depth; i++) j[p++] = ']';
    j[p++] = '}';
    EXPECT_ERR(dec(j, p, NULL), "TOO_DEEP");
    ASSERT(strstr(why, "field 'x'") != NULL);
    /* even when the caller allows it, jansson's own limit maps to TOO_DEEP */
    free(j);
    depth = 5000;
    j = malloc(depth * 2 + 64);
    p = (size_t)sprintf(j, "{\"x\":");
    for (size_t i = 0; i < depth; i++) j[p++] = '[';
    for (size_t i = 0; i < depth; i++) j[p++] = ']';
    j[p++] = '}';
    proto_limits lim = {.max_depth = 100000};
    EXPECT_ERR(dec(j, p, &lim), "TOO_DEEP");
    free(j);
    /* brackets inside strings do not count */
    char s[2100];
    p = (size_t)sprintf(s, "{\"id\":\"i\",\"headline\":\"");
    for (int i = 0; i < 2000; i++) s[p++] = '[';
    p += (size_t)sprintf(s + p, "\"}");
    ASSERT_EQ(dec(s, p, NULL), 0);

    /* 1,000-deep msgpack: a map holding nested arrays, and nested maps */
    mp m;
    mp_min(&m, "i", "h");
    m.sb.data[0] = (char)0x83; /* three entries */
    mp_s(&m, "x");
    for (int i = 0; i < 1000; i++) msgpack_pack_array(&m.pk, 1);
    msgpack_pack_nil(&m.pk);
    EXPECT_ERR(mp_dec(&m, NULL), "TOO_DEEP");
    mp_init(&m);
    for (int i = 0; i < 1000; i++) {
        msgpack_pack_map(&m.pk, 1);
        mp_s(&m, "k");
    }
    msgpack_pack_nil(&m.pk);
    EXPECT_ERR(mp_dec(&m, NULL), "TOO_DEEP");
    /* truncated AND deep: whichever comes first, never a crash */
    const unsigned char deep_trunc[] = {0x81, 0xa1, 'x', 0x91, 0x91, 0x91};
    EXPECT_ERR(dec(deep_trunc, sizeof deep_trunc, NULL), "TRUNCATED");
    /* limits above msgpack-c's fixed stack are capped, not trusted */
    proto_limits deep = {.max_depth = 1000};
    mp_init(&m);
    for (int i = 0; i < 40; i++) {
        msgpack_pack_map(&m.pk, 1);
        mp_s(&m, "k");
    }
    msgpack_pack_nil(&m.pk);
    EXPECT_ERR(mp_dec(&m, &deep), "TOO_DEEP");
}

TEST(reject_field_too_long_and_too_many)
{
    proto_limits lim = {.max_field_bytes = 8, .max_elems = 3};
    mp m;
    mp_min(&m, "i", "123456789");
    EXPECT_ERR(mp_dec(&m, &lim), "FIELD_TOO_LONG");
    const char *long_h = "{\"id\":\"i\",\"headline\":\"123456789\"}";
    EXPECT_ERR(dec(long_h, strlen(long_h), &lim), "FIELD_TOO_LONG");
    /* escapes count as their decoded length */
    const char *esc = "{\"id\":\"i\",\"headline\":\"\\u00e9\\u00e9\\u00e9\\u00e9\"}";
    ASSERT_EQ(dec(esc, strlen(esc), &lim), 0);
    const char *t = "{\"id\":\"i\",\"headline\":\"h\",\"tickers\":[\"A\",\"B\",\"C\",\"D\"]}";
    EXPECT_ERR(dec(t, strlen(t), &lim), "TOO_MANY");
    const char *o = "{\"id\":\"i\",\"headline\":\"h\",\"a\":1,\"b\":2}";
    EXPECT_ERR(dec(o, strlen(o), &lim), "TOO_MANY");
    mp_min(&m, "i", "h");
    m.sb.data[0] = (char)0x83;
    mp_s(&m, "tickers");
    msgpack_pack_array(&m.pk, 4);
    for (int i = 0; i < 4; i++) mp_s(&m, "T");
    EXPECT_ERR(mp_dec(&m, &lim), "TOO_MANY");
}

TEST(reject_missing_and_empty)
{
    EXPECT_ERR(dec_str("{\"headline\":\"h\"}"), "NO_ID");
    ASSERT(strstr(why, "'id'") != NULL);
    EXPECT_ERR(dec_str("{\"id\":\"i\"}"), "NO_HEADLINE");
    EXPECT_ERR(dec_str("{\"id\":\"\",\"headline\":\"h\"}"), "EMPTY_FIELD");
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":\"h\",\"tickers\":[\"\"]}"), "EMPTY_FIELD");
    mp m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 1);
    mp_s(&m, "headline");
    mp_s(&m, "h");
    EXPECT_ERR(mp_dec(&m, NULL), "NO_ID");
    mp_init(&m);
    msgpack_pack_map(&m.pk, 0);
    EXPECT_ERR(mp_dec(&m, NULL), "NO_ID");
}

TEST(reject_wrong_type)
{
    EXPECT_ERR(dec_str("{\"id\":7,\"headline\":\"h\"}"), "WRONG_TYPE");
    ASSERT(strstr(why, "field 'id'") != NULL);
    EXPECT_ERR(dec_str("{\"id\":null,\"headline\":\"h\"}"), "WRONG_TYPE");
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":[\"h\"]}"), "WRONG_TYPE");
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":\"h\",\"body\":{}}"), "WRONG_TYPE");
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":\"h\",\"tickers\":\"AMZN\"}"), "WRONG_TYPE");
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":\"h\",\"tickers\":[\"A\",1]}"), "WRONG_TYPE");
    mp m;
    mp_min(&m, "i", "h");
    m.sb.data[0] = (char)0x83;
    mp_s(&m, "url");
    msgpack_pack_bin(&m.pk, 1);
    msgpack_pack_bin_body(&m.pk, "u", 1);
    EXPECT_ERR(mp_dec(&m, NULL), "WRONG_TYPE");
}

TEST(reject_bad_utf8)
{
    /* headline with a bad byte at offset 17 */
    char h[] = "Nvidia to supply \xff chips";
    mp m;
    mp_min(&m, "i", h);
    EXPECT_ERR(mp_dec(&m, NULL), "BAD_UTF8");
    ASSERT_STR_EQ(why, "field 'headline': invalid UTF-8 at byte 17");
    char j[128];
    snprintf(j, sizeof j, "{\"id\":\"i\",\"headline\":\"%s\"}", h);
    EXPECT_ERR(dec_str(j), "BAD_UTF8");
    ASSERT(strstr(why, "field 'headline'") != NULL);
    /* overlong, surrogate, beyond U+10FFFF, cut-off sequence */
    const char *bad[] = {"\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                         "\xf5\x80\x80\x80", "\xe2\x82", "\x80", "abc\xf0\x9f\x98"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        EXPECT_ERR(proto_utf8_check(bad[i], strlen(bad[i])), "BAD_UTF8");
        mp_min(&m, "i", bad[i]);
        EXPECT_ERR(mp_dec(&m, NULL), "BAD_UTF8");
    }
    const char *good[] = {"", "ascii only, long enough for the fast path", "\xc2\x80",
                          "\xed\x9f\xbf", "\xee\x80\x80", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
                          "\xf0\x9f\x93\x88 stocks"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ASSERT_EQ(proto_utf8_check(good[i], strlen(good[i])), 0);
    size_t at = 0;
    ASSERT_EQ(proto_utf8_check_at("0123456789abcdefgh\xff", 19, &at), SQ_E_BAD_UTF8);
    ASSERT_EQ(at, 18);
    /* invalid UTF-8 in a key */
    mp_init(&m);
    msgpack_pack_map(&m.pk, 1);
    mp_s(&m, "\xff");
    mp_s(&m, "v");
    EXPECT_ERR(mp_dec(&m, NULL), "BAD_UTF8");
}

/* Zero-width characters, soft hyphens and BOMs go; fullwidth ASCII and the
 * ideographic space fold, as do the other Unicode spaces and HTML references; other text, and other
 * fields, stay as sent. */
TEST(text_fold_headline_and_body)
{
    struct { const char *in, *out; } c[] = {
        {"Nvi\u200ddia", "Nvidia"},
        {"\ufeffNvidia\u200b to buy\u2060 Arm", "Nvidia to buy Arm"},
        {"co\u00adoperation", "cooperation"},
        {"\uff2e\uff56\uff49\uff44\uff49\uff41\u3000\uff04\uff15\uff42\uff4e", "Nvidia $5bn"},
        {"Caf\u00e9 \u201cquoted\u201d \u2014 \U0001f4c8", "Caf\u00e9 \u201cquoted\u201d \u2014 \U0001f4c8"},
        /* web pages' spaces, and HTML references as RSS-built feeds send them */
        {"Amazon\u00a0Web\u2009Services\u202fbuys", "Amazon Web Services buys"},
        {"AT&amp;T buys Nvidia&#8217;s &#x201c;chips&#x201D; &ndash; &lt;5%&gt; &nbsp;now", "AT&T buys Nvidia\u2019s \u201cchips\u201d \u2013 <5%>  now"},
        {"Q&A: R&D &amp &#; &#0; &#xD800; &bogus; &#1114112;", "Q&A: R&D &amp &#; &#0; &#xD800; &bogus; &#1114112;"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", c[i].in);
        size_t n = proto_text_fold(buf, strlen(buf));
        ASSERT_EQ(n, strlen(c[i].out));
        ASSERT(memcmp(buf, c[i].out, n) == 0);
    }
    /* through the decoder: headline and body fold, the id does not */
    const char *j = "{\"id\":\"x\u200b\",\"headline\":\"Nvi\u200ddia\",\"body\":\"\uff21rm\"}";
    /* plain ASCII with a reference folds too */
    const char *ja = "{\"id\":\"y\",\"headline\":\"AT&amp;T to buy\"}";
    proto_article aa;
    ASSERT_EQ(proto_article_decode(ja, strlen(ja), NULL, &aa, why, sizeof why), 0);
    ASSERT_STR_EQ(aa.headline, "AT&T to buy");
    proto_article_free(&aa);
    proto_article a;
    ASSERT_EQ(proto_article_decode(j, strlen(j), NULL, &a, why, sizeof why), 0);
    ASSERT_STR_EQ(a.headline, "Nvidia");
    ASSERT_EQ(a.headline_len, 6);
    ASSERT_STR_EQ(a.body, "Arm");
    ASSERT_STR_EQ(a.id, "x\u200b");
    proto_article_free(&a);
}

/* A wire service's slugs before a headline, the outlet after it, a dateline before a body (proto/headline.c). */
TEST(headline_slugs_and_outlet)
{
    static const struct {
        const char *h;
        unsigned flags;
        size_t slugs;
    } c[] = {
        {"UPDATE 2-Nvidia to buy Arm", 0, 9},
        {"CORRECTED-UPDATE 2-Nvidia to buy Arm", 0, 19},
        {"RPT-EXCLUSIVE: Amazon in talks", 0, 15},
        {"  BRIEF | Acme sells unit", 0, 10},
        {"US STOCKS-Wall St rises", 0, 10},
        {"Exclusive: Acme in talks", 0, 0},
        {"Exclusive: Acme in talks", PROTO_SLUGS_ANY_CASE, 11},
        {"Exclusive: Acme in talks", PROTO_SLUGS_SENT, 11}, /* a site's label */
        {"Exclusive-Acme in talks", PROTO_SLUGS_SENT, 0},
        {"ANALYSIS-Acme's bid", 0, 9},
        {"ANALYSIS-Acme's bid", PROTO_SLUGS_SENT, 0}, /* a genre: the filters read it */
        {"Analysis: Acme's bid", PROTO_SLUGS_SENT, 0},
        {"RPT-ANALYSIS-Acme's bid", PROTO_SLUGS_SENT, 4},
        {"\xf0\x9f\x9a\xa8 Nvidia to buy Arm", PROTO_SLUGS_SENT, 5},                  /* a pictograph */
        {"\xf0\x9f\x9a\xa8\xf0\x9f\x9a\xa8 BREAKING: Nvidia", PROTO_SLUGS_SENT, 19},
        {"\xe2\x9a\xa1\xef\xb8\x8f Acme to buy Initech", PROTO_SLUGS_SENT, 7},   /* a symbol and its selector */
        {"Nvidia \xf0\x9f\x9a\xa8 to buy Arm", PROTO_SLUGS_SENT, 0},                /* not at the start */
        {"UPDATE", 0, 0},
        {"IBM-Red Hat deal closes", 0, 0}, /* no slug: a company */
        {"Media-backed start-up raises $5m", 0, 0},
        {"", 0, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        if (proto_headline_slugs(c[i].h, strlen(c[i].h), c[i].flags) != c[i].slugs) SQ_FAIL_("slugs of '%s'", c[i].h);
    const char *o[] = {"Nvidia to buy Arm - Reuters", "Nvidia to buy Arm | Bloomberg", "Nvidia to buy Arm \xe2\x80\x94 FT"};
    for (size_t i = 0; i < 3; i++) ASSERT_EQ(proto_headline_outlet(o[i], strlen(o[i])), 17);
    ASSERT_EQ(proto_headline_outlet("Reuters", 7), 7);           /* the outlet alone is the headline */
    ASSERT_EQ(proto_headline_outlet("Deal with Reuters", 17), 17); /* named, not appended */
    const char *b[] = {"NEW YORK, Dec 5 (Reuters) - Nvidia said", "(Bloomberg) -- Nvidia said", "LONDON (AP) \xe2\x80\x94 Nvidia said"};
    size_t want[] = {28, 15, 16};
    for (size_t i = 0; i < 3; i++) ASSERT_EQ(proto_body_dateline(b[i], strlen(b[i])), want[i]);
    ASSERT_EQ(proto_body_dateline("Nvidia said. Later (Reuters) - x", 32), 0); /* a sentence before: no dateline */
    ASSERT_EQ(proto_body_dateline("Acme (Reuters) reported", 23), 0);         /* no dash after the agency */
}

TEST(reject_nul_byte)
{
    mp m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 2);
    mp_s(&m, "id");
    mp_s(&m, "i");
    mp_s(&m, "headline");
    mp_sn(&m, "a\0b", 3);
    EXPECT_ERR(mp_dec(&m, NULL), "NUL_BYTE");
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":\"a\\u0000b\"}"), "NUL_BYTE");
    const char raw[] = "{\"id\":\"i\",\"headline\":\"a\0b\"}";
    EXPECT_ERR(dec(raw, sizeof raw - 1, NULL), "NUL_BYTE");
    EXPECT_ERR(proto_utf8_check("a\0b", 3), "NUL_BYTE");
}

TEST(reject_dup_and_bad_key)
{
    EXPECT_ERR(dec_str("{\"id\":\"i\",\"headline\":\"h\",\"id\":\"j\"}"), "DUP_KEY");
    mp m;
    mp_min(&m, "i", "h");
    m.sb.data[0] = (char)0x83;
    mp_s(&m, "id");
    mp_s(&m, "j");
    EXPECT_ERR(mp_dec(&m, NULL), "DUP_KEY");
    /* a big map takes the sorted path */
    mp_init(&m);
    msgpack_pack_map(&m.pk, 40);
    for (int i = 0; i < 39; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        mp_s(&m, k);
        msgpack_pack_int(&m.pk, i);
    }
    mp_s(&m, "k17");
    msgpack_pack_nil(&m.pk);
    EXPECT_ERR(mp_dec(&m, NULL), "DUP_KEY");
    ASSERT(strstr(why, "'k17'") != NULL);
    /* a non-string key */
    mp_min(&m, "i", "h");
    m.sb.data[0] = (char)0x83;
    msgpack_pack_int(&m.pk, 1);
    mp_s(&m, "v");
    EXPECT_ERR(mp_dec(&m, NULL), "BAD_KEY");
}

/* published is optional: what squawk cannot read is dropped, the article kept. */
static void expect_published_dropped(const char *json)
{
    proto_article a;
    char why2[256] = "";
    ASSERT_EQ(proto_article_decode(json, strlen(json), NULL, &a, why2, sizeof why2), 0);
    ASSERT_EQ(a.published_ms, PROTO_PUBLISHED_NONE);
    ASSERT_EQ(a.dropped, PROTO_DROPPED_PUBLISHED);
    ASSERT(strstr(a.dropped_why, "'published'") != NULL);
    ASSERT(strcmp(a.id, "i") == 0 && strcmp(a.headline, "h") == 0);
    proto_article_free(&a);
}

TEST(published_dropped_not_the_article)
{
    expect_published_dropped("{\"id\":\"i\",\"headline\":\"h\",\"published\":\"yesterday\"}");
    expect_published_dropped("{\"id\":\"i\",\"headline\":\"h\",\"published\":\"2023-02-29T00:00:00Z\"}");
    expect_published_dropped("{\"id\":\"i\",\"headline\":\"h\",\"published\":99999999999999999}");
    expect_published_dropped("{\"id\":\"i\",\"headline\":\"h\",\"published\":true}");
    expect_published_dropped("{\"id\":\"i\",\"headline\":\"h\",\"published\":1.5}");
    expect_published_dropped("{\"id\":\"i\",\"headline\":\"h\",\"published\":\"Mon, 31 Feb 2024 10:00:00 GMT\"}");
    /* required fields stay strict */
    EXPECT_ERR(dec_str("{\"headline\":\"h\",\"published\":\"yesterday\"}"), "NO_ID");
}

TEST(published_forms)
{
    struct {
        const char *s;
        int64_t ms;
    } good[] = {{"2024-12-02T10:00:00Z", 1733133600000LL},
                {"Mon, 02 Dec 2024 10:00:00 GMT", 1733133600000LL},
                {"02 Dec 2024 10:00:00 +0000", 1733133600000LL},
                {"Mon, 2 Dec 2024 05:00:00 EST", 1733133600000LL},
                {"Mon, 02 Dec 2024 11:00 +0100", 1733133600000LL},
                {"Mon, 02 Dec 24 10:00:00 UT", 1733133600000LL},
                {"2024-12-02 10:00:00", 1733133600000LL},
                {"2024-12-02T10:00:00.250", 1733133600250LL},
                {"2024-12-02", 1733097600000LL}};
    int64_t ms;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        if (proto_time_parse(good[i].s, strlen(good[i].s), &ms) != 0 || ms != good[i].ms)
            SQ_FAIL_("proto_time_parse(%s) = %lld, want %lld", good[i].s, (long long)ms,
                     (long long)good[i].ms);
    }
    const char *bad[] = {"yesterday", "2024-12-02 10:00", "Mon, 02 Foo 2024 10:00:00 GMT",
                         "02 Dec 2024 10:00:00", "02 Dec 2024 10:00:00 +25:00", "2024-12-32",
                         "Mon, 02 Dec 2024 10:00:00 GMT junk", "", "2024-12-02T"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        EXPECT_ERR(proto_time_parse(bad[i], strlen(bad[i]), &ms), "BAD_TIME");
    /* msgpack: an RSS date string is read the same way */
    const char *js = "{\"id\":\"i\",\"headline\":\"h\",\"published\":\"Mon, 02 Dec 2024 10:00:00 GMT\"}";
    proto_article a;
    ASSERT_EQ(proto_article_decode(js, strlen(js), NULL, &a, why, sizeof why), 0);
    ASSERT_EQ(a.published_ms, 1733133600000LL);
    ASSERT_EQ(a.dropped, 0);
    proto_article_free(&a);
}

TEST(rfc3339_strict)
{
    int64_t ms;
    const char *bad[] = {"2024-01-01T00:00:00",      "2024-01-01T24:00:00Z",  "2024-13-01T00:00:00Z",
                         "2024-01-01T00:00:00.Z",    "2024-01-01T00:00:00+2:00",
                         "1900-02-29T00:00:00Z",     "2024-01-01T00:00:00Zjunk", "2024-1-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        EXPECT_ERR(proto_time_parse_rfc3339(bad[i], strlen(bad[i]), &ms), "BAD_TIME");
    struct {
        const char *s;
        int64_t ms;
    } good[] = {{"1970-01-01T00:00:00Z", 0},
                {"2024-03-01T12:34:56.789+02:00", 1709289296789LL},
                {"2024-03-01t10:34:56.7891z", 1709289296789LL},
                {"2000-02-29 23:59:59Z", 951868799000LL},
                {"1970-01-01T00:00:00+01:00", -3600000LL}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        ASSERT_EQ(proto_time_parse_rfc3339(good[i].s, strlen(good[i].s), &ms), 0);
        ASSERT_EQ(ms, good[i].ms);
    }
}

TEST(reject_bad_msgpack)
{
    const unsigned char never_used[] = {0x81, 0xa1, 'x', 0xc1};
    EXPECT_ERR(dec(never_used, sizeof never_used, NULL), "BAD_MSGPACK");
}

/* The bounded pre-scan must agree with msgpack-c on every type's length, or
 * its limits would guard a different structure than the one parsed. */
TEST(msgpack_every_type)
{
    static char blob[70000];
    memset(blob, 'b', sizeof blob);
    mp m;
    mp_init(&m);
    msgpack_pack_map(&m.pk, 3);
    mp_s(&m, "id");
    mp_s(&m, "i");
    mp_s(&m, "headline");
    mp_s(&m, "h");
    mp_s(&m, "all");
    msgpack_pack_array(&m.pk, 38);
    msgpack_pack_nil(&m.pk);
    msgpack_pack_true(&m.pk);
    msgpack_pack_false(&m.pk);
    msgpack_pack_int8(&m.pk, -5);     /* negative fixint */
    msgpack_pack_int8(&m.pk, -100);   /* int8 */
    msgpack_pack_int16(&m.pk, -1000); /* int16 */
    msgpack_pack_int32(&m.pk, -100000);
    msgpack_pack_int64(&m.pk, -10000000000LL);
    msgpack_pack_uint8(&m.pk, 200);
    msgpack_pack_uint16(&m.pk, 60000);
    msgpack_pack_uint32(&m.pk, 4000000000u);
    msgpack_pack_uint64(&m.pk, 10000000000000ULL);
    msgpack_pack_float(&m.pk, 1.5f);
    msgpack_pack_double(&m.pk, 2.5);
    mp_sn(&m, blob, 31);    /* fixstr */
    mp_sn(&m, blob, 200);   /* str8 */
    mp_sn(&m, blob, 1000);  /* str16 */
    mp_sn(&m, blob, 70000); /* str32 */
    size_t bins[] = {0, 200, 1000, 70000};
    for (int i = 0; i < 4; i++) {
        msgpack_pack_bin(&m.pk, bins[i]);
        msgpack_pack_bin_body(&m.pk, blob, bins[i]);
    }
    size_t exts[] = {1, 2, 4, 8, 16, 0, 3, 200, 1000, 70000};
    for (int i = 0; i < 10; i++) {
        msgpack_pack_ext(&m.pk, exts[i], 7);
        msgpack_pack_ext_body(&m.pk, blob, exts[i]);
    }
    msgpack_pack_array(&m.pk, 0);
    msgpack_pack_array(&m.pk, 20); /* array16 */
    for (int i = 0; i < 20; i++) msgpack_pack_int(&m.pk, i);
    msgpack_pack_map(&m.pk, 20); /* map16 */
    for (int i = 0; i < 20; i++) {
        msgpack_pack_int(&m.pk, i);
        msgpack_pack_nil(&m.pk);
    }
    msgpack_pack_array(&m.pk, 66000); /* array32 */
    for (int i = 0; i < 66000; i++) msgpack_pack_nil(&m.pk);
    msgpack_pack_map(&m.pk, 0);
    msgpack_pack_array(&m.pk, 1);
    msgpack_pack_map(&m.pk, 1);
    mp_s(&m, "k");
    msgpack_pack_ext(&m.pk, 4, -1); /* timestamp ext */
    msgpack_pack_ext_body(&m.pk, blob, 4);
    proto_limits lim = {.max_elems = 70000};
    ASSERT_EQ(mp_dec(&m, &lim), 0);
}

TEST(error_names_distinct)
{
    int codes[] = {SQ_E_EMPTY,     SQ_E_BAD_FORMAT, SQ_E_TRUNCATED,  SQ_E_TRAILING,
                   SQ_E_NOT_MAP,   SQ_E_NOT_OBJECT, SQ_E_BAD_JSON,   SQ_E_TOO_BIG,
                   SQ_E_TOO_DEEP,  SQ_E_FIELD_TOO_LONG, SQ_E_TOO_MANY, SQ_E_NO_ID,
                   SQ_E_NO_HEADLINE, SQ_E_WRONG_TYPE, SQ_E_BAD_UTF8, SQ_E_NUL_BYTE,
                   SQ_E_DUP_KEY,   SQ_E_BAD_KEY,    SQ_E_BAD_TIME,   SQ_E_EMPTY_FIELD,
                   SQ_E_BAD_VERSION, SQ_E_BAD_MSGPACK, SQ_E_MISSING};
    size_t n = sizeof codes / sizeof *codes;
    for (size_t i = 0; i < n; i++) {
        ASSERT(strcmp(sq_err_name(codes[i]), "UNKNOWN") != 0);
        for (size_t k = i + 1; k < n; k++) ASSERT(strcmp(sq_err_name(codes[i]), sq_err_name(codes[k])));
    }
}

/* ---- alerts ---- */

static proto_alert *sample_alert(void)
{
    proto_alert *a = proto_alert_create();
    ASSERT(a != NULL);
    ASSERT_EQ(proto_alert_set(&a->pub, "pub-1234"), 0);
    a->seq = 42;
    ASSERT_EQ(proto_alert_set(&a->category, "invest"), 0);
    a->score = 87.5;
    ASSERT_EQ(proto_alert_set(&a->stage, "talks"), 0);
    ASSERT_EQ(proto_alert_add_entity(a, "Amazon", "AMZN", "investor", 95), 0);
    ASSERT_EQ(proto_alert_add_entity(a, "Anthropic", NULL, "target", 90.25), 0);
    ASSERT_EQ(proto_alert_add_entity(a, "Amazon.com Inc", "AMZN", "investor", 10), 0);
    ASSERT_EQ(proto_alert_add_entity(a, "Nvidia", "NVDA", "supplier", 5), 0);
    ASSERT_EQ(proto_alert_add_amount(a, 4e9, "$4 billion"), 0);
    ASSERT_EQ(proto_alert_add_evidence(a, "invest.talks", "headline", 7, 16, "in talks"), 0);
    a->novelty = 100;
    ASSERT_EQ(proto_alert_set(&a->article.id, "a-1"), 0);
    ASSERT_EQ(proto_alert_set(&a->article.headline, "Amazon in talks \xe2\x80\x94 $4bn"), 0);
    ASSERT_EQ(proto_alert_set(&a->article.source, "wire"), 0);
    ASSERT_EQ(proto_alert_set(&a->article.url, "https://x"), 0);
    a->article.published_ms = 1709289296789LL;
    ASSERT_EQ(proto_alert_set(&a->filter.name, "invest"), 0);
    ASSERT_EQ(proto_alert_set(&a->filter.version, "1.0.0"), 0);
    ASSERT_EQ(proto_alert_set(&a->kafka.topic, "news"), 0);
    a->kafka.partition = 3;
    a->kafka.offset = 123456789012LL;
    a->ts.published_ms = 1709289296789LL;
    a->ts.ingest_ns = 1709289296800000000LL;
    a->ts.emit_ns = 1709289296800123456LL;
    char id[33];
    proto_alert_make_id(a->article.id, a->category, "AMZN", id);
    ASSERT_EQ(proto_alert_set(&a->id, id), 0);
    return a;
}

TEST(alert_roundtrip)
{
    proto_alert *a = sample_alert();
    char *buf;
    size_t len;
    ASSERT_EQ(proto_alert_encode(a, &buf, &len), 0);
    proto_alert *b;
    ASSERT_EQ(proto_alert_decode(buf, len, &b, why, sizeof why), 0);
    ASSERT(proto_alert_equal(a, b));
    ASSERT(b->entities[1].ticker == NULL);
    ASSERT_STR_EQ(b->entities[0].ticker, "AMZN");
    ASSERT_DBL_NEAR(b->score, 87.5, 0);
    ASSERT_EQ(b->kafka.offset, 123456789012LL);

    /* the wire map has exactly the contract's keys, score is float64 */
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    ASSERT_EQ(msgpack_unpack_next(&u, buf, len, &off), MSGPACK_UNPACK_SUCCESS);
    const char *keys[] = {"v",        "pub",     "seq",      "id",      "category",
                          "score",    "stage",   "entities", "amounts", "evidence",
                          "novelty",  "article", "filter",   "kafka",   "ts"};
    ASSERT_EQ(u.data.via.map.size, 15);
    for (size_t i = 0; i < 15; i++) {
        const msgpack_object_str *k = &u.data.via.map.ptr[i].key.via.str;
        ASSERT(k->size == strlen(keys[i]) && memcmp(k->ptr, keys[i], k->size) == 0);
    }
    ASSERT_EQ(u.data.via.map.ptr[5].val.type, MSGPACK_OBJECT_FLOAT64);
    msgpack_unpacked_destroy(&u);

    /* clone is equal; a change is noticed */
    proto_alert *c = proto_alert_clone(a);
    ASSERT(c && proto_alert_equal(a, c));
    c->entities[0].relevance = 1;
    ASSERT(!proto_alert_equal(a, c));
    proto_alert_destroy(c);

    /* nil published_ms survives */
    b->article.published_ms = PROTO_PUBLISHED_NONE;
    b->ts.published_ms = PROTO_PUBLISHED_NONE;
    char *buf2;
    size_t len2;
    ASSERT_EQ(proto_alert_encode(b, &buf2, &len2), 0);
    proto_alert *d;
    ASSERT_EQ(proto_alert_decode(buf2, len2, &d, why, sizeof why), 0);
    ASSERT_EQ(d->article.published_ms, PROTO_PUBLISHED_NONE);
    ASSERT(proto_alert_equal(b, d));
    proto_alert_destroy(d);
    free(buf2);

    /* an empty alert (NULL strings) round-trips too */
    proto_alert *e = proto_alert_create();
    ASSERT_EQ(proto_alert_encode(e, &buf2, &len2), 0);
    ASSERT_EQ(proto_alert_decode(buf2, len2, &d, why, sizeof why), 0);
    ASSERT(proto_alert_equal(e, d));
    ASSERT_EQ(d->kafka.partition, -1);
    proto_alert_destroy(d);
    proto_alert_destroy(e);
    free(buf2);

    proto_alert_destroy(b);
    proto_alert_destroy(a);
    free(buf);
}

static void json_has(json_t *o, const char *const *keys, size_t n)
{
    ASSERT(json_is_object(o));
    ASSERT_EQ(json_object_size(o), n);
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(o, keys[i])) SQ_FAIL_("JSON lacks key %s", keys[i]);
}

TEST(alert_json_keys)
{
    proto_alert *a = sample_alert();
    char *s;
    size_t n;
    ASSERT_EQ(proto_alert_to_json(a, &s, &n), 0);
    ASSERT_EQ(strlen(s), n);
    ASSERT(strchr(s, '\n') == NULL);
    json_error_t err;
    json_t *o = json_loads(s, 0, &err);
    ASSERT(o != NULL);
    const char *top[] = {"v",        "pub",     "seq",      "id",      "category",
                         "score",    "stage",   "entities", "amounts", "evidence",
                         "novelty",  "article", "filter",   "kafka",   "ts"};
    json_has(o, top, 15);
    const char *ent[] = {"name", "ticker", "role", "relevance"};
    json_has(json_array_get(json_object_get(o, "entities"), 0), ent, 4);
    ASSERT(json_is_null(json_object_get(json_array_get(json_object_get(o, "entities"), 1), "ticker")));
    const char *amt[] = {"usd", "text"};
    json_has(json_array_get(json_object_get(o, "amounts"), 0), amt, 2);
    const char *ev[] = {"rule", "field", "start", "end", "text"};
    json_has(json_array_get(json_object_get(o, "evidence"), 0), ev, 5);
    const char *art[] = {"id", "headline", "source", "url", "published_ms"};
    json_has(json_object_get(o, "article"), art, 5);
    const char *flt[] = {"name", "version"};
    json_has(json_object_get(o, "filter"), flt, 2);
    const char *kfk[] = {"topic", "partition", "offset"};
    json_has(json_object_get(o, "kafka"), kfk, 3);
    const char *ts[] = {"published_ms", "ingest_ns", "emit_ns", "produce_ns"};
    json_has(json_object_get(o, "ts"), ts, 4);
    ASSERT(json_is_real(json_object_get(o, "score")));
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(o, "ts"), "emit_ns")),
              1709289296800123456LL);
    json_decref(o);
    free(s);
    /* a NaN score cannot be published */
    a->score = 0.0 / 0.0;
    ASSERT_EQ(proto_alert_to_json(a, &s, &n), SQ_E_INVAL);
    char *b;
    ASSERT_EQ(proto_alert_encode(a, &b, &n), SQ_E_INVAL);
    proto_alert_destroy(a);
}

TEST(alert_ids_topics_tickers)
{
    char x[33], y[33], z[33];
    proto_alert_make_id("a-1", "invest", "AMZN", x);
    proto_alert_make_id("a-1", "invest", "AMZN", y);
    ASSERT_STR_EQ(x, y);
    ASSERT_EQ(strlen(x), 32);
    ASSERT_EQ(strspn(x, "0123456789abcdef"), 32);
    proto_alert_make_id("a-1", "invest", "NVDA", z);
    ASSERT(strcmp(x, z) != 0);
    /* the separator matters: ("a","bc") differs from ("ab","c") */
    proto_alert_make_id("a", "bc", "T", y);
    proto_alert_make_id("ab", "c", "T", z);
    ASSERT(strcmp(y, z) != 0);
    /* stable across builds: this value is part of the contract */
    ASSERT_STR_EQ(x, "f4ff59897a1d0e40b04ea13cb1cc7593"); /* FNV-1a 128, checked in Python */
    proto_alert_make_id("a-1", "invest", NULL, y);
    proto_alert_make_id("a-1", "invest", "_", z);
    ASSERT_STR_EQ(y, z);

    char t[32];
    ASSERT_EQ(proto_alert_topic("invest", "AMZN", t, sizeof t), 11);
    ASSERT_STR_EQ(t, "invest.AMZN");
    ASSERT_EQ(proto_alert_topic("chips", NULL, t, sizeof t), 7);
    ASSERT_STR_EQ(t, "chips._");
    ASSERT_EQ(proto_alert_topic("invest", "AMZN", t, 11), SQ_E_INVAL);
    ASSERT_EQ(proto_alert_topic("", "AMZN", t, sizeof t), SQ_E_INVAL);
    ASSERT_EQ(proto_alert_topic("a.b", "AMZN", t, sizeof t), SQ_E_INVAL);

    proto_alert *a = sample_alert();
    const char *tk[8];
    ASSERT_EQ(proto_alert_tickers(a, tk, 8), 2);
    ASSERT_STR_EQ(tk[0], "AMZN");
    ASSERT_STR_EQ(tk[1], "NVDA");
    ASSERT_EQ(proto_alert_tickers(a, tk, 1), 1);
    proto_alert_destroy(a);
    a = proto_alert_create();
    ASSERT_EQ(proto_alert_add_entity(a, "SEC", NULL, "regulator", 50), 0);
    ASSERT_EQ(proto_alert_tickers(a, tk, 8), 1);
    ASSERT_STR_EQ(tk[0], "_");
    proto_alert_destroy(a);
    /* Routing: a company mentioned in passing, or below the relevance bar,
     * stays in entities but gets no topic. */
    a = proto_alert_create();
    ASSERT_EQ(proto_alert_add_entity(a, "Mistral", NULL, "target", 90), 0);
    ASSERT_EQ(proto_alert_add_entity(a, "Nvidia", "NVDA", "investor", 80), 0);
    ASSERT_EQ(proto_alert_add_entity(a, "Google", "GOOGL", PROTO_ROLE_MENTIONED, 70), 0);
    ASSERT_EQ(proto_alert_add_entity(a, "Samsung", "005930.KS", "investor", 30), 0);
    ASSERT_EQ(proto_alert_route_tickers(a, 0, tk, 8), 2);
    ASSERT_STR_EQ(tk[0], "NVDA");
    ASSERT_STR_EQ(tk[1], "005930.KS");
    ASSERT_EQ(proto_alert_route_tickers(a, 50, tk, 8), 1);
    ASSERT_STR_EQ(tk[0], "NVDA");
    ASSERT_EQ(proto_alert_route_tickers(a, 95, tk, 8), 1);
    ASSERT_STR_EQ(tk[0], "_");
    proto_alert_destroy(a);
}

/* Re-encodes the sample with one top-level value replaced (or dropped when
 * val is NULL) and returns decode's result. */
static int alert_with(const char *key, void (*val)(msgpack_packer *))
{
    proto_alert *a = sample_alert();
    char *buf;
    size_t len;
    ASSERT_EQ(proto_alert_encode(a, &buf, &len), 0);
    proto_alert_destroy(a);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    ASSERT_EQ(msgpack_unpack_next(&u, buf, len, &off), MSGPACK_UNPACK_SUCCESS);
    mp m;
    mp_init(&m);
    const msgpack_object_map *map = &u.data.via.map;
    msgpack_pack_map(&m.pk, map->size - (val == NULL));
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object_str *k = &map->ptr[i].key.via.str;
        int hit = k->size == strlen(key) && memcmp(k->ptr, key, k->size) == 0;
        if (hit && !val) continue;
        msgpack_pack_object(&m.pk, map->ptr[i].key);
        if (hit) val(&m.pk);
        else msgpack_pack_object(&m.pk, map->ptr[i].val);
    }
    msgpack_unpacked_destroy(&u);
    free(buf);
    proto_alert *out = NULL;
    int rc = proto_alert_decode(m.sb.data, m.sb.size, &out, why, sizeof why);
    ASSERT(rc != 0 || out != NULL);
    proto_alert_destroy(out);
    msgpack_sbuffer_destroy(&m.sb);
    return rc;
}

static void v2(msgpack_packer *pk) { msgpack_pack_uint32(pk, 2); }
static void str_x(msgpack_packer *pk) { msgpack_pack_str(pk, 1), msgpack_pack_str_body(pk, "x", 1); }
static void nan_(msgpack_packer *pk) { msgpack_pack_double(pk, 0.0 / 0.0); }
static void ents_bad(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_map(pk, 4);
    const char *k[] = {"name", "ticker", "role", "relevance"};
    for (int i = 0; i < 4; i++) {
        msgpack_pack_str(pk, strlen(k[i]));
        msgpack_pack_str_body(pk, k[i], strlen(k[i]));
        msgpack_pack_int(pk, 1); /* ints where strings belong */
    }
}

TEST(alert_decode_rejects)
{
    EXPECT_ERR(alert_with("v", v2), "BAD_VERSION");
    EXPECT_ERR(alert_with("id", NULL), "NO_ID");
    EXPECT_ERR(alert_with("stage", NULL), "MISSING");
    ASSERT(strstr(why, "'stage'") != NULL);
    EXPECT_ERR(alert_with("seq", str_x), "WRONG_TYPE");
    EXPECT_ERR(alert_with("score", nan_), "WRONG_TYPE");
    EXPECT_ERR(alert_with("entities", ents_bad), "WRONG_TYPE");
    ASSERT(strstr(why, "entities[0].name") != NULL);
    EXPECT_ERR(alert_with("ts", str_x), "WRONG_TYPE");
    /* extra keys are tolerated */
    proto_alert *a = sample_alert();
    char *buf;
    size_t len;
    ASSERT_EQ(proto_alert_encode(a, &buf, &len), 0);
    char *ext = malloc(len + 10);
    memcpy(ext, "\xde\x00\x10", 3); /* map16 of 16 entries: the 15 plus one */
    memcpy(ext + 3, buf + 1, len - 1);
    memcpy(ext + len + 2, "\xa5" "extra" "\xc3", 7);
    proto_alert *b;
    ASSERT_EQ(proto_alert_decode(ext, len + 9, &b, why, sizeof why), 0);
    ASSERT(proto_alert_equal(a, b));
    proto_alert_destroy(b);
    /* truncation at every length, trailing bytes, not a map */
    for (size_t n = 1; n < len; n += 3)
        EXPECT_ERR(proto_alert_decode(buf, n, &b, why, sizeof why), "TRUNCATED");
    memcpy(ext, buf, len);
    ext[len] = 0;
    EXPECT_ERR(proto_alert_decode(ext, len + 1, &b, why, sizeof why), "TRAILING");
    EXPECT_ERR(proto_alert_decode("\x90", 1, &b, why, sizeof why), "NOT_MAP");
    EXPECT_ERR(proto_alert_decode("", 0, &b, why, sizeof why), "EMPTY");
    ASSERT(b == NULL);
    free(ext);
    free(buf);
    proto_alert_destroy(a);
}

TEST(heartbeat)
{
    proto_heartbeat hb = {.v = 1, .seq = 99, .ts_ns = 1709289296800000000LL};
    strcpy(hb.pub, "pub-1234");
    char *buf;
    size_t len;
    ASSERT_EQ(proto_heartbeat_encode(&hb, &buf, &len), 0);
    proto_heartbeat out;
    ASSERT_EQ(proto_heartbeat_decode(buf, len, &out), 0);
    ASSERT_EQ(out.v, 1);
    ASSERT_STR_EQ(out.pub, "pub-1234");
    ASSERT_EQ(out.seq, 99);
    ASSERT_EQ(out.ts_ns, hb.ts_ns);
    EXPECT_ERR(proto_heartbeat_decode(buf, len - 1, &out), "TRUNCATED");
    free(buf);
    hb.v = 7;
    ASSERT_EQ(proto_heartbeat_encode(&hb, &buf, &len), 0);
    EXPECT_ERR(proto_heartbeat_decode(buf, len, &out), "BAD_VERSION");
    free(buf);
    /* an alert is not a heartbeat: it has no ts_ns */
    proto_alert *a = sample_alert();
    ASSERT_EQ(proto_alert_encode(a, &buf, &len), 0);
    EXPECT_ERR(proto_heartbeat_decode(buf, len, &out), "MISSING");
    free(buf);
    proto_alert_destroy(a);
}

/* Not a benchmark gate (timing is never asserted): prints the encode rate. */
TEST(alert_encode_rate)
{
    proto_alert *a = sample_alert();
    struct timespec t0, t1;
    int n = 20000;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        char *buf;
        size_t len;
        a->seq = (uint64_t)i;
        ASSERT_EQ(proto_alert_encode(a, &buf, &len), 0);
        total += len;
        free(buf);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "   alert encode: %.0f/s, %zu bytes each\n", n / s, total / (size_t)n);
    ASSERT_GT(total, 0);
    proto_alert_destroy(a);
}

/* Not a gate either: prints how fast a typical article decodes. */
TEST(article_decode_rate)
{
    char body[3000];
    for (size_t i = 0; i < sizeof body - 1; i++) body[i] = "abcdefgh ijklmnop "[i % 18];
    body[sizeof body - 1] = '\0';
    proto_article a;
    ASSERT_EQ(proto_article_init(&a, "reuters-2024-0001", "Amazon in talks to invest $4 billion in Anthropic", body), 0);
    char *mpk, *js;
    size_t mlen, jlen;
    ASSERT_EQ(proto_article_encode_msgpack(&a, &mpk, &mlen), 0);
    ASSERT_EQ(proto_article_encode_json(&a, &js, &jlen), 0);
    proto_article_free(&a);
    const char *bufs[2] = {mpk, js};
    size_t lens[2] = {mlen, jlen};
    for (int k = 0; k < 2; k++) {
        struct timespec t0, t1;
        int n = 20000;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < n; i++) {
            ASSERT_EQ(proto_article_decode(bufs[k], lens[k], NULL, &a, why, sizeof why), 0);
            proto_article_free(&a);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(stderr, "   article decode %s: %.0f/s (%zu bytes)\n", k ? "JSON" : "msgpack", n / s,
                lens[k]);
    }
    free(mpk);
    free(js);
}

/* The single-pass JSON decoder against jansson's tree on inputs that take every branch of it:
 * the same code and message on error, the same article on success. */
static void same_as_tree(const char *js, const proto_limits *lim)
{
    char wa[256], wb[256];
    proto_article a, b;
    size_t n = strlen(js);
    int ra = proto_article_decode_json(js, n, lim, &a, wa, sizeof wa);
    int rb = proto_article_decode_json_tree(js, n, lim, &b, wb, sizeof wb);
    if (ra != rb || strcmp(wa, wb) != 0)
        SQ_FAIL_("%s: single pass %s (%s), tree %s (%s)", js, sq_err_name(ra), wa, sq_err_name(rb),
                 wb);
    if (ra == 0) {
        if (!proto_article_equal(&a, &b) || a.dropped != b.dropped ||
            strcmp(a.dropped_why, b.dropped_why) != 0)
            SQ_FAIL_("%s: the decoders give different articles", js);
        proto_article_free(&a);
        proto_article_free(&b);
    }
}

TEST(json_single_pass_same_as_tree)
{
    static const char *const cases[] = {
        /* accepted */
        "{\"id\":\"a\",\"headline\":\"plain words\"}",
        " \r\n{ \"id\" : \"a\" , \"headline\" : \"h\" , \"body\" : \"b\" }\n\t",
        "{\"id\":\"a\",\"headline\":\"caf\\u00e9 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"}",
        "{\"id\":\"a\",\"headline\":\"pair \\ud83d\\ude00 and \\uD83D\\uDE00\"}",
        "{\"id\":\"a\",\"headline\":\"Nvi\\u200bdia \\uff2e\\uff36 soft\\u00adhyphen\"}",
        "{\"id\":\"a\",\"headline\":\"Nvi\342\200\213dia \xef\xbc\xae caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"body\":null,\"source\":null,\"url\":null,\"lang\":null}",
        "{\"id\":\"a\",\"headline\":\"h\",\"tickers\":[\"nvda\", \"Tsm\" ,\"x\\u0079\"]}",
        "{\"id\":\"a\",\"headline\":\"h\",\"tickers\":[]}",
        "{\"id\":\"a\",\"headline\":\"h\",\"tickers\":null}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":\"2024-12-02T10:00:00Z\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":\"Mon, 02 Dec 2024 10:00:00 GMT\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":\"\\u0032024-12-02\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":1733133600000}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":-1}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":0}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":1.5}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":2e3}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":99999999999999999999}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":999999999999999999}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":true}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":[1,{\"k\":2}]}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":\"yesterday\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"published\":null}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":{\"k\":[1,-2.5,1e300,true,false,null,\"s\"],\"l\":{}}}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":[[],{},[[]],\"\\u00e9\"],\"y\":-0}",
        "{\"id\":\"a\",\"headline\":\"h\",\"\":1,\"caf\xc3\xa9\":2}",
        /* refused (or left to the tree) */
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":{\"k\":1,\"k\":2}}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":{\"k\":1},\"y\":{\"k\":1}}",
        "{\"id\":\"a\",\"headline\":\"h\",\"id\":\"b\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"i\\u0064\":\"b\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"\\u0078\":1}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":01}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":1.}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":-}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":1e999}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":-99999999999999999999}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":tru}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":truex}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":[1,]}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":[1 2]}",
        "{\"id\":\"a\",\"headline\":\"lone \\ud83d here\"}",
        "{\"id\":\"a\",\"headline\":\"lone \\ude00 here\"}",
        "{\"id\":\"a\",\"headline\":\"bad pair \\ud83d\\u0041\"}",
        "{\"id\":\"a\",\"headline\":\"nul \\u0000 inside\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":\"lone \\ud83d in a field squawk ignores\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":[\"nul \\u0000 in an ignored array\"]}",
        "{\"id\":\"a\",\"headline\":\"h\",\"x\":\"fine \\u00e9 \\ud83d\\ude00 ignored\"}",
        "{\"id\":\"a\",\"headline\":\"bad \\x escape\"}",
        "{\"id\":\"a\",\"headline\":\"short \\u12\"}",
        "{\"id\":\"a\",\"headline\":\"tab\there\"}",
        "{\"id\":\"a\",\"headline\":\"bad \xc3\x28 utf8\"}",
        "{\"id\":\"a\",\"headline\":\"overlong \xc0\xaf\"}",
        "{\"id\":\"a\",\"headline\":\"surrogate \xed\xa0\x80\"}",
        "{\"id\":\"a\",\"headline\":\"unterminated}",
        "{\"id\":\"a\",\"headline\":\"h\"} x",
        "{\"id\":\"a\",\"headline\":\"h\"}{}",
        "{\"id\":\"a\",\"headline\":\"h\",}",
        "{\"id\":\"a\" \"headline\":\"h\"}",
        "{\"id\":null,\"headline\":\"h\"}",
        "{\"id\":\"a\",\"headline\":null}",
        "{\"id\":\"\",\"headline\":\"h\"}",
        "{\"id\":\"a\"}",
        "{\"id\":7,\"headline\":\"h\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"body\":[\"b\"]}",
        "{\"id\":\"a\",\"headline\":\"h\",\"tickers\":\"NVDA\"}",
        "{\"id\":\"a\",\"headline\":\"h\",\"tickers\":[\"\"]}",
        "{\"id\":\"a\",\"headline\":\"h\",\"tickers\":[1]}",
        "{\"id\":\"a\",\"headline\":\"h\",\"tickers\":[\"A\",]}",
        "{}",
        "[1]",
        "{",
        "",
    };
    proto_limits tight = {.max_bytes = 1u << 16, .max_field_bytes = 8, .max_depth = 2,
                          .max_elems = 3};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        same_as_tree(cases[i], NULL);
        same_as_tree(cases[i], &tight);
    }
    /* nesting around the single pass's own depth limit (32) and the caller's */
    char deep[256];
    proto_limits d40 = {.max_depth = 40};
    for (int depth = 1; depth <= 36; depth += 5) {
        int p = sprintf(deep, "{\"id\":\"a\",\"headline\":\"h\",\"x\":");
        for (int k = 0; k < depth; k++) deep[p++] = '[';
        for (int k = 0; k < depth; k++) deep[p++] = ']';
        strcpy(deep + p, "}");
        same_as_tree(deep, NULL);
        same_as_tree(deep, &d40);
    }
}

TEST(json_single_pass_values)
{
    proto_article a;
    const char *js = "{\"id\":\"e1\",\"headline\":\"caf\\u00e9 Nvi\\u200bdia \\ud83d\\ude00\","
                     "\"tickers\":[\"nvda\"],\"published\":1733133600000,\"extra\":{\"k\":[1e5]}}";
    ASSERT_EQ(proto_article_decode(js, strlen(js), NULL, &a, why, sizeof why), 0);
    ASSERT_STR_EQ(a.headline, "caf\xc3\xa9 Nvidia \xf0\x9f\x98\x80");
    ASSERT_EQ(a.n_tickers, 1);
    ASSERT_STR_EQ(a.tickers[0], "NVDA");
    ASSERT_EQ(a.published_ms, 1733133600000LL);
    ASSERT_STR_EQ(a.body, "");
    proto_article_free(&a);
    /* an unreadable published costs the field, not the article */
    js = "{\"id\":\"e2\",\"headline\":\"h\",\"published\":[2024]}";
    ASSERT_EQ(proto_article_decode(js, strlen(js), NULL, &a, why, sizeof why), 0);
    ASSERT_EQ(a.published_ms, PROTO_PUBLISHED_NONE);
    ASSERT(a.dropped & PROTO_DROPPED_PUBLISHED);
    proto_article_free(&a);
}

int main(void)
{
    RUN(article_json_fields);
    RUN(json_single_pass_same_as_tree);
    RUN(json_single_pass_values);
    RUN(article_msgpack_fields);
    RUN(article_init);
    RUN(reject_empty_and_format);
    RUN(reject_truncated_msgpack);
    RUN(reject_trailing);
    RUN(reject_not_map_not_object);
    RUN(reject_bad_json);
    RUN(reject_too_big_100mb);
    RUN(reject_too_deep);
    RUN(reject_field_too_long_and_too_many);
    RUN(reject_missing_and_empty);
    RUN(reject_wrong_type);
    RUN(reject_bad_utf8);
    RUN(reject_nul_byte);
    RUN(reject_dup_and_bad_key);
    RUN(published_dropped_not_the_article);
    RUN(published_forms);
    RUN(rfc3339_strict);
    RUN(reject_bad_msgpack);
    RUN(msgpack_every_type);
    RUN(error_names_distinct);
    RUN(alert_roundtrip);
    RUN(alert_json_keys);
    RUN(alert_ids_topics_tickers);
    RUN(alert_decode_rejects);
    RUN(text_fold_headline_and_body);
    RUN(headline_slugs_and_outlet);
    RUN(heartbeat);
    RUN(alert_encode_rate);
    RUN(article_decode_rate);
    fprintf(stderr, "test_proto: all passed\n");
    return 0;
}
