/* article.c -- strict decoding of one article from msgpack or JSON bytes, and the encoders for tools. */
#include <ctype.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "article.h"
#include "field.h"
#include "scan.h"

const char *const proto_field_names[F_UNKNOWN] = {"id",  "headline", "body",      "source",
                                                  "url", "lang",     "published", "tickers"};

int proto_field_lookup(const char *k, size_t n)
{
    for (int f = 0; f < F_UNKNOWN; f++)
        if (strlen(proto_field_names[f]) == n && memcmp(proto_field_names[f], k, n) == 0) return f;
    return F_UNKNOWN;
}

static char **str_slot(proto_article *a, int f, size_t **lenp)
{
    switch (f) {
    case F_ID: *lenp = &a->id_len; return &a->id;
    case F_HEADLINE: *lenp = &a->headline_len; return &a->headline;
    case F_BODY: *lenp = &a->body_len; return &a->body;
    case F_SOURCE: *lenp = &a->source_len; return &a->source;
    case F_URL: *lenp = &a->url_len; return &a->url;
    case F_LANG: *lenp = &a->lang_len; return &a->lang;
    default: return NULL;
    }
}

static char *copy(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Validates (when the parser has not already) and stores one string field. */
int proto_field_set_str(proto_article *a, int f, const char *s, size_t n, int check, char *why,
                        size_t whylen)
{
    if (check) {
        size_t bad;
        int rc = proto_utf8_check_at(s, n, &bad);
        if (rc)
            return proto_scan_why(rc, why, whylen, "field '%s': %s at byte %zu",
                                  proto_field_names[f],
                                  rc == SQ_E_NUL_BYTE ? "NUL byte" : "invalid UTF-8", bad);
    }
    char *d = copy(s, n);
    if (!d) return SQ_E_NOMEM;
    return proto_field_take_str(a, f, d, n, 1);
}

int proto_field_take_str(proto_article *a, int f, char *d, size_t n, int fold)
{
    size_t *lenp = NULL;
    char **slot = str_slot(a, f, &lenp);
    if (!slot || !lenp) {
        free(d);
        return SQ_E_INVAL;
    }
    if (fold && (f == F_HEADLINE || f == F_BODY)) n = proto_text_fold(d, n);
    free(*slot);
    *slot = d;
    *lenp = n;
    return 0;
}

int proto_field_add_ticker(proto_article *a, size_t idx, const char *s, size_t n, int check,
                           char *why, size_t whylen)
{
    if (check) {
        size_t bad;
        int rc = proto_utf8_check_at(s, n, &bad);
        if (rc)
            return proto_scan_why(rc, why, whylen, "field 'tickers[%zu]': %s at byte %zu", idx,
                                  rc == SQ_E_NUL_BYTE ? "NUL byte" : "invalid UTF-8", bad);
    }
    if (n == 0)
        return proto_scan_why(SQ_E_EMPTY_FIELD, why, whylen, "field 'tickers[%zu]' is empty", idx);
    char *d = copy(s, n);
    if (!d) return SQ_E_NOMEM;
    for (size_t i = 0; i < n; i++) d[i] = (char)toupper((unsigned char)d[i]);
    a->tickers[a->n_tickers++] = d;
    return 0;
}

/* Epoch ms for years 0001..9999: anything else is a feed bug, not a date. */
#define MS_MIN (-62135596800000LL)
#define MS_MAX (253402300799999LL)

/* published is optional: a value squawk cannot read costs the field, never
 * the article (the caller counts and logs it from a->dropped). */
int proto_field_drop_published(proto_article *a, const char *fmt, const char *what)
{
    a->published_ms = PROTO_PUBLISHED_NONE;
    a->dropped |= PROTO_DROPPED_PUBLISHED;
    snprintf(a->dropped_why, sizeof a->dropped_why, fmt, what);
    return 0;
}

int proto_field_published_ms(proto_article *a, int64_t ms)
{
    if (ms < MS_MIN || ms > MS_MAX) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)ms);
        return proto_field_drop_published(a, "field 'published': %s ms is outside years 1..9999",
                                          v);
    }
    a->published_ms = ms;
    return 0;
}

int proto_field_published_str(proto_article *a, const char *s, size_t n)
{
    int64_t ms;
    if (proto_time_parse(s, n, &ms) != 0) {
        char shown[64];
        proto_scan_name(s, n, shown);
        return proto_field_drop_published(a, "field 'published': '%s' is not a time squawk reads",
                                          shown);
    }
    return proto_field_published_ms(a, ms);
}

int proto_field_wrong_type(int f, const char *expected, char *why, size_t whylen)
{
    return proto_scan_why(SQ_E_WRONG_TYPE, why, whylen, "field '%s': expected %s",
                          proto_field_names[f], expected);
}

/* Required fields present, absent ones "" so consumers never see NULL. */
int proto_field_finish(proto_article *a, char *why, size_t whylen)
{
    if (!a->id) return proto_scan_why(SQ_E_NO_ID, why, whylen, "field 'id' is missing");
    if (!a->headline)
        return proto_scan_why(SQ_E_NO_HEADLINE, why, whylen, "field 'headline' is missing");
    if (a->id_len == 0) return proto_scan_why(SQ_E_EMPTY_FIELD, why, whylen, "field 'id' is empty");
    for (int f = F_BODY; f <= F_LANG; f++) {
        size_t *lenp;
        char **slot = str_slot(a, f, &lenp);
        if (!*slot && !(*slot = copy("", 0))) return SQ_E_NOMEM;
    }
    if (!a->tickers && !(a->tickers = calloc(1, sizeof(char *)))) return SQ_E_NOMEM;
    return 0;
}

void proto_field_reset(proto_article *a)
{
    memset(a, 0, sizeof *a);
    a->published_ms = PROTO_PUBLISHED_NONE;
}

SQ_API void proto_article_free(proto_article *a)
{
    if (!a) return;
    free(a->id);
    free(a->headline);
    free(a->body);
    free(a->source);
    free(a->url);
    free(a->lang);
    for (size_t i = 0; i < a->n_tickers; i++) free(a->tickers[i]);
    free(a->tickers);
    proto_field_reset(a);
}

/* On failure the caller sees a zeroed article, never a half-filled one. */
int proto_field_fail(proto_article *a, int rc)
{
    proto_article_free(a);
    memset(a, 0, sizeof *a);
    return rc;
}

static int check_size(size_t len, const proto_limits *lim, char *why, size_t whylen)
{
    if (len == 0) return proto_scan_why(SQ_E_EMPTY, why, whylen, "message is empty");
    if (len > lim->max_bytes)
        return proto_scan_why(SQ_E_TOO_BIG, why, whylen, "message is %zu bytes, over the limit of %zu",
                              len, lim->max_bytes);
    return 0;
}

/* Every decoder starts the same way: effective limits, empty why, zeroed
 * article, and the size check before a byte is read. */
int proto_field_begin(size_t len, const proto_limits *lim_in, proto_limits *lim, proto_article *out,
                      char *why, size_t whylen)
{
    proto_scan_limits(lim_in, lim);
    if (why && whylen) why[0] = '\0';
    memset(out, 0, sizeof *out);
    return check_size(len, lim, why, whylen);
}

/* ---- msgpack ---- */

static int mp_field(proto_article *a, int f, const msgpack_object *o, char *why, size_t whylen)
{
    if (o->type == MSGPACK_OBJECT_NIL && f != F_ID && f != F_HEADLINE) return 0; /* = absent */
    switch (f) {
    case F_PUBLISHED:
        if (o->type == MSGPACK_OBJECT_STR)
            return proto_field_published_str(a, o->via.str.ptr, o->via.str.size);
        if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            if (o->via.u64 > (uint64_t)MS_MAX) return proto_field_published_ms(a, MS_MAX + 1);
            return proto_field_published_ms(a, (int64_t)o->via.u64);
        }
        if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            return proto_field_published_ms(a, o->via.i64);
        return proto_field_drop_published(a, "field 'published': %s",
                                          "expected a time string or integer ms");
    case F_TICKERS: {
        if (o->type != MSGPACK_OBJECT_ARRAY)
            return proto_field_wrong_type(f, "an array of strings", why, whylen);
        const msgpack_object_array *arr = &o->via.array;
        for (size_t i = 0; i < a->n_tickers; i++) free(a->tickers[i]);
        free(a->tickers);
        a->n_tickers = 0;
        a->tickers = calloc(arr->size ? arr->size : 1, sizeof(char *));
        if (!a->tickers) return SQ_E_NOMEM;
        for (uint32_t i = 0; i < arr->size; i++) {
            const msgpack_object *t = &arr->ptr[i];
            if (t->type != MSGPACK_OBJECT_STR)
                return proto_scan_why(SQ_E_WRONG_TYPE, why, whylen,
                                      "field 'tickers[%u]': expected a string", i);
            int rc = proto_field_add_ticker(a, i, t->via.str.ptr, t->via.str.size, 1, why, whylen);
            if (rc) return rc;
        }
        return 0;
    }
    default:
        if (o->type != MSGPACK_OBJECT_STR)
            return proto_field_wrong_type(f, "a string", why, whylen);
        return proto_field_set_str(a, f, o->via.str.ptr, o->via.str.size, 1, why, whylen);
    }
}

SQ_API int proto_article_decode_msgpack(const void *buf, size_t len, const proto_limits *lim_in,
                                        proto_article *out, char *why, size_t whylen)
{
    proto_limits lim;
    int rc = proto_field_begin(len, lim_in, &lim, out, why, whylen);
    if (rc) return rc;
    const uint8_t *p = buf;
    if (!((p[0] >= 0x80 && p[0] <= 0x8f) || p[0] == 0xde || p[0] == 0xdf))
        return proto_scan_why(SQ_E_NOT_MAP, why, whylen,
                              "msgpack value starts with 0x%02x, not a map", p[0]);
    size_t used = 0;
    rc = proto_scan_msgpack(p, len, &lim, &used, why, whylen);
    if (rc) return rc;
    if (used != len)
        return proto_scan_why(SQ_E_TRAILING, why, whylen,
                              "%zu trailing bytes after the msgpack map at byte %zu", len - used,
                              used);

    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    msgpack_unpack_return ur = msgpack_unpack_next(&u, buf, len, &off);
    /* The scan and msgpack-c must agree on where the value ends; if they ever
     * did not, the scan's bounds would not be the ones msgpack-c allocated by. */
    if (ur == MSGPACK_UNPACK_SUCCESS && off != used) ur = MSGPACK_UNPACK_PARSE_ERROR;
    if (ur != MSGPACK_UNPACK_SUCCESS) {
        /* The scan accepted it, so only memory can fail here. */
        msgpack_unpacked_destroy(&u);
        return proto_scan_why(ur == MSGPACK_UNPACK_NOMEM_ERROR ? SQ_E_NOMEM : SQ_E_BAD_MSGPACK,
                              why, whylen, "msgpack-c rejected the message (%d)", (int)ur);
    }
    proto_field_reset(out);
    const msgpack_object_map *m = &u.data.via.map;
    rc = proto_scan_map_keys(m, "the article", why, whylen);
    for (uint32_t i = 0; i < m->size && !rc; i++) {
        int f = proto_field_lookup(m->ptr[i].key.via.str.ptr, m->ptr[i].key.via.str.size);
        if (f != F_UNKNOWN) rc = mp_field(out, f, &m->ptr[i].val, why, whylen);
    }
    msgpack_unpacked_destroy(&u);
    if (!rc) rc = proto_field_finish(out, why, whylen);
    return rc ? proto_field_fail(out, rc) : 0;
}

/* ---- detection ---- */

SQ_API int proto_article_decode(const void *buf, size_t len, const proto_limits *lim_in,
                                proto_article *out, char *why, size_t whylen)
{
    proto_limits lim;
    /* Size first: a 100 MB body is refused before a byte of it is read. */
    int rc = proto_field_begin(len, lim_in, &lim, out, why, whylen);
    if (rc) return rc;
    const uint8_t *p = buf;
    uint8_t c = p[0];
    if ((c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf)
        return proto_article_decode_msgpack(buf, len, &lim, out, why, whylen);
    if ((c >= 0x90 && c <= 0x9f) || c == 0xdc || c == 0xdd)
        return proto_scan_why(SQ_E_NOT_MAP, why, whylen, "msgpack value is an array, not a map");
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    if (i == len) return proto_scan_why(SQ_E_EMPTY, why, whylen, "message is only whitespace");
    if (p[i] == '{') return proto_article_decode_json(buf, len, &lim, out, why, whylen);
    if (p[i] == '[')
        return proto_scan_why(SQ_E_NOT_OBJECT, why, whylen, "JSON value is an array, not an object");
    return proto_scan_why(SQ_E_BAD_FORMAT, why, whylen,
                          "first byte 0x%02x starts neither a msgpack map nor a JSON object", p[i]);
}

/* ---- construction and encoding ---- */

SQ_API int proto_article_init(proto_article *a, const char *id, const char *headline,
                              const char *body)
{
    proto_field_reset(a);
    const char *v[3] = {id, headline, body};
    for (int f = F_ID; f <= F_BODY; f++) {
        const char *s = v[f] ? v[f] : "";
        if (proto_field_set_str(a, f, s, strlen(s), 0, NULL, 0))
            return proto_field_fail(a, SQ_E_NOMEM);
    }
    if (proto_field_finish(a, NULL, 0)) return proto_field_fail(a, SQ_E_NOMEM);
    return 0;
}

/* msgpack's packer ignores write failures; this remembers them. */
typedef struct wbuf {
    msgpack_sbuffer sb;
    int err;
} wbuf;

static int wbuf_write(void *data, const char *buf, size_t len)
{
    wbuf *w = data;
    if (msgpack_sbuffer_write(&w->sb, buf, len) == 0) return 0;
    w->err = 1;
    return -1;
}

static void pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_kv(msgpack_packer *pk, const char *k, const char *s, size_t n)
{
    pack_str(pk, k, strlen(k));
    pack_str(pk, s ? s : "", s ? n : 0);
}

SQ_API int proto_article_encode_msgpack(const proto_article *a, char **out, size_t *outlen)
{
    if (!a || !out || !outlen) return SQ_E_INVAL;
    wbuf w = {.err = 0};
    msgpack_sbuffer_init(&w.sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &w, wbuf_write);
    int has_pub = a->published_ms != PROTO_PUBLISHED_NONE;
    msgpack_pack_map(&pk, 7 + has_pub);
    pack_kv(&pk, "id", a->id, a->id_len);
    pack_kv(&pk, "headline", a->headline, a->headline_len);
    pack_kv(&pk, "body", a->body, a->body_len);
    pack_kv(&pk, "source", a->source, a->source_len);
    pack_kv(&pk, "url", a->url, a->url_len);
    pack_kv(&pk, "lang", a->lang, a->lang_len);
    if (has_pub) {
        pack_str(&pk, "published", 9);
        msgpack_pack_int64(&pk, a->published_ms);
    }
    pack_str(&pk, "tickers", 7);
    msgpack_pack_array(&pk, a->n_tickers);
    for (size_t i = 0; i < a->n_tickers; i++) pack_str(&pk, a->tickers[i], strlen(a->tickers[i]));
    if (w.err || !w.sb.data) {
        msgpack_sbuffer_destroy(&w.sb);
        return SQ_E_NOMEM;
    }
    *outlen = w.sb.size;
    *out = msgpack_sbuffer_release(&w.sb);
    return 0;
}

static int json_set_str(json_t *o, const char *k, const char *s, size_t n)
{
    return json_object_set_new(o, k, json_stringn(s ? s : "", s ? n : 0));
}

SQ_API int proto_article_encode_json(const proto_article *a, char **out, size_t *outlen)
{
    if (!a || !out || !outlen) return SQ_E_INVAL;
    json_t *o = json_object();
    json_t *t = json_array();
    int bad = !o || !t;
    bad |= !o || json_set_str(o, "id", a->id, a->id_len);
    bad |= !o || json_set_str(o, "headline", a->headline, a->headline_len);
    bad |= !o || json_set_str(o, "body", a->body, a->body_len);
    bad |= !o || json_set_str(o, "source", a->source, a->source_len);
    bad |= !o || json_set_str(o, "url", a->url, a->url_len);
    bad |= !o || json_set_str(o, "lang", a->lang, a->lang_len);
    if (o && a->published_ms != PROTO_PUBLISHED_NONE)
        bad |= json_object_set_new(o, "published", json_integer(a->published_ms));
    for (size_t i = 0; t && i < a->n_tickers; i++)
        bad |= json_array_append_new(t, json_string(a->tickers[i]));
    if (o && t) {
        bad |= json_object_set_new(o, "tickers", t);
        t = NULL;
    }
    char *s = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(t);
    json_decref(o);
    if (!s) return bad && o ? SQ_E_INVAL : SQ_E_NOMEM;
    *out = s;
    *outlen = strlen(s);
    return 0;
}

static int str_eq(const char *a, size_t an, const char *b, size_t bn)
{
    if (!a) a = "", an = 0;
    if (!b) b = "", bn = 0;
    return an == bn && memcmp(a, b, an) == 0;
}

SQ_API int proto_article_equal(const proto_article *a, const proto_article *b)
{
    if (!str_eq(a->id, a->id_len, b->id, b->id_len) ||
        !str_eq(a->headline, a->headline_len, b->headline, b->headline_len) ||
        !str_eq(a->body, a->body_len, b->body, b->body_len) ||
        !str_eq(a->source, a->source_len, b->source, b->source_len) ||
        !str_eq(a->url, a->url_len, b->url, b->url_len) ||
        !str_eq(a->lang, a->lang_len, b->lang, b->lang_len) || a->published_ms != b->published_ms ||
        a->n_tickers != b->n_tickers)
        return 0;
    for (size_t i = 0; i < a->n_tickers; i++)
        if (strcmp(a->tickers[i], b->tickers[i]) != 0) return 0;
    return 1;
}
