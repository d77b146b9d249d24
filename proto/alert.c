/* alert.c -- the alert struct, its msgpack wire form (docs/ALERTS.md), JSON view and heartbeats. */
#include <jansson.h>
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "alert.h"
#include "article.h"
#include "scan.h"

/* ---- struct, verbs ---- */

SQ_API proto_alert *proto_alert_create(void)
{
    proto_alert *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->v = PROTO_ALERT_VERSION;
    a->article.published_ms = PROTO_PUBLISHED_NONE;
    a->ts.published_ms = PROTO_PUBLISHED_NONE;
    a->kafka.partition = -1; /* no source message (librdkafka's "unassigned") */
    a->kafka.offset = -1;
    return a;
}

SQ_API void proto_alert_destroy(proto_alert *a)
{
    if (!a) return;
    free(a->pub);
    free(a->id);
    free(a->category);
    free(a->stage);
    for (size_t i = 0; i < a->n_entities; i++) {
        free(a->entities[i].name);
        free(a->entities[i].ticker);
        free(a->entities[i].role);
    }
    free(a->entities);
    for (size_t i = 0; i < a->n_amounts; i++) free(a->amounts[i].text);
    free(a->amounts);
    for (size_t i = 0; i < a->n_evidence; i++) {
        free(a->evidence[i].rule);
        free(a->evidence[i].field);
        free(a->evidence[i].text);
    }
    free(a->evidence);
    free(a->article.id);
    free(a->article.headline);
    free(a->article.source);
    free(a->article.url);
    free(a->filter.name);
    free(a->filter.version);
    free(a->kafka.topic);
    free(a);
}

SQ_API int proto_alert_set(char **field, const char *value)
{
    char *d = NULL;
    if (value && !(d = strdup(value))) return SQ_E_NOMEM;
    free(*field);
    *field = d;
    return 0;
}

/* Copies s (NULL stays NULL); 0 or -1 on allocation failure. */
static int dup_or_null(char **dst, const char *s)
{
    *dst = NULL;
    return s && !(*dst = strdup(s)) ? -1 : 0;
}

/* Grows an array by one slot; arrays here hold a handful of items. */
static void *grow(void *arr, size_t n, size_t size)
{
    return realloc(arr, (n + 1) * size);
}

SQ_API int proto_alert_add_entity(proto_alert *a, const char *name, const char *ticker,
                                  const char *role, double relevance)
{
    proto_entity *e = grow(a->entities, a->n_entities, sizeof *e);
    if (!e) return SQ_E_NOMEM;
    a->entities = e;
    e += a->n_entities;
    memset(e, 0, sizeof *e);
    if (dup_or_null(&e->name, name) || dup_or_null(&e->ticker, ticker) ||
        dup_or_null(&e->role, role)) {
        free(e->name);
        free(e->ticker);
        free(e->role);
        return SQ_E_NOMEM;
    }
    e->relevance = relevance;
    a->n_entities++;
    return 0;
}

SQ_API int proto_alert_add_amount(proto_alert *a, double usd, const char *text)
{
    proto_amount *m = grow(a->amounts, a->n_amounts, sizeof *m);
    if (!m) return SQ_E_NOMEM;
    a->amounts = m;
    m += a->n_amounts;
    m->usd = usd;
    if (dup_or_null(&m->text, text)) return SQ_E_NOMEM;
    a->n_amounts++;
    return 0;
}

SQ_API int proto_alert_add_evidence(proto_alert *a, const char *rule, const char *field,
                                    uint32_t start, uint32_t end, const char *text)
{
    proto_evidence *v = grow(a->evidence, a->n_evidence, sizeof *v);
    if (!v) return SQ_E_NOMEM;
    a->evidence = v;
    v += a->n_evidence;
    memset(v, 0, sizeof *v);
    if (dup_or_null(&v->rule, rule) || dup_or_null(&v->field, field) ||
        dup_or_null(&v->text, text)) {
        free(v->rule);
        free(v->field);
        free(v->text);
        return SQ_E_NOMEM;
    }
    v->start = start;
    v->end = end;
    a->n_evidence++;
    return 0;
}

SQ_API proto_alert *proto_alert_clone(const proto_alert *s)
{
    proto_alert *a = proto_alert_create();
    if (!a) return NULL;
    a->v = s->v;
    a->seq = s->seq;
    a->tseq = s->tseq;
    a->score = s->score;
    a->novelty = s->novelty;
    a->article.published_ms = s->article.published_ms;
    a->kafka.partition = s->kafka.partition;
    a->kafka.offset = s->kafka.offset;
    a->ts = s->ts;
    int bad = dup_or_null(&a->pub, s->pub) | dup_or_null(&a->id, s->id) |
              dup_or_null(&a->category, s->category) | dup_or_null(&a->stage, s->stage) |
              dup_or_null(&a->article.id, s->article.id) |
              dup_or_null(&a->article.headline, s->article.headline) |
              dup_or_null(&a->article.source, s->article.source) |
              dup_or_null(&a->article.url, s->article.url) |
              dup_or_null(&a->filter.name, s->filter.name) |
              dup_or_null(&a->filter.version, s->filter.version) |
              dup_or_null(&a->kafka.topic, s->kafka.topic);
    for (size_t i = 0; !bad && i < s->n_entities; i++) {
        const proto_entity *e = &s->entities[i];
        bad = proto_alert_add_entity(a, e->name, e->ticker, e->role, e->relevance);
    }
    for (size_t i = 0; !bad && i < s->n_amounts; i++)
        bad = proto_alert_add_amount(a, s->amounts[i].usd, s->amounts[i].text);
    for (size_t i = 0; !bad && i < s->n_evidence; i++) {
        const proto_evidence *v = &s->evidence[i];
        bad = proto_alert_add_evidence(a, v->rule, v->field, v->start, v->end, v->text);
    }
    if (bad) {
        proto_alert_destroy(a);
        return NULL;
    }
    return a;
}

SQ_API size_t proto_alert_route_tickers(const proto_alert *a, double min_relevance,
                                       const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_entities && n < max; i++) {
        const proto_entity *e = &a->entities[i];
        const char *t = e->ticker;
        if (!t || !*t || e->relevance < min_relevance) continue;
        if (e->role && strcmp(e->role, PROTO_ROLE_MENTIONED) == 0) continue;
        size_t j = 0;
        while (j < n && strcmp(out[j], t) != 0) j++;
        if (j == n) out[n++] = t;
    }
    if (n == 0 && max > 0) out[n++] = "_";
    return n;
}

SQ_API size_t proto_alert_tickers(const proto_alert *a, const char **out, size_t max)
{
    return proto_alert_route_tickers(a, 0, out, max);
}

/* FNV-1a over 128 bits: stable across builds and machines, which is all an
 * alert id needs (it is not a defence against chosen collisions). */
SQ_API void proto_alert_make_id(const char *article_id, const char *category,
                                const char *ticker, char out[33])
{
    const unsigned __int128 prime = ((unsigned __int128)1 << 88) + 0x13b;
    unsigned __int128 h = ((unsigned __int128)0x6c62272e07bb0142ull << 64) | 0x62b821756295c58dull;
    const char *parts[3] = {article_id ? article_id : "", category ? category : "",
                            ticker ? ticker : "_"};
    for (int p = 0; p < 3; p++) {
        if (p) h = (h ^ 0) * prime; /* the \0 separator */
        for (const unsigned char *s = (const unsigned char *)parts[p]; *s; s++)
            h = (h ^ *s) * prime;
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        unsigned b = (unsigned)(h >> (120 - 8 * i)) & 0xff;
        out[2 * i] = hex[b >> 4];
        out[2 * i + 1] = hex[b & 15];
    }
    out[32] = '\0';
}

SQ_API int proto_alert_topic(const char *category, const char *ticker, char *out, size_t outlen)
{
    if (!category || !*category || strchr(category, '.') || !out) return SQ_E_INVAL;
    if (!ticker || !*ticker) ticker = "_";
    size_t c = strlen(category), t = strlen(ticker);
    if (c + 1 + t + 1 > outlen) return SQ_E_INVAL;
    memcpy(out, category, c);
    out[c] = '.';
    memcpy(out + c + 1, ticker, t + 1);
    return (int)(c + 1 + t);
}

/* ---- msgpack encoding (hot path: packer straight into one buffer) ---- */

typedef struct enc {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    int err; /* first failure: out of memory, invalid UTF-8 or a non-finite number */
} enc;

/* msgpack's packer ignores write failures; remember them so a half-written
 * buffer is never returned as an alert. */
static int enc_write(void *data, const char *buf, size_t len)
{
    enc *e = data;
    if (msgpack_sbuffer_write(&e->sb, buf, len) == 0) return 0;
    if (!e->err) e->err = SQ_E_NOMEM;
    return -1;
}

static void enc_init(enc *e)
{
    e->err = 0;
    msgpack_sbuffer_init(&e->sb);
    msgpack_packer_init(&e->pk, e, enc_write);
}

static int enc_finish(enc *e, char **out, size_t *outlen)
{
    if (e->err || !e->sb.data) {
        msgpack_sbuffer_destroy(&e->sb);
        return e->err ? e->err : SQ_E_NOMEM;
    }
    *outlen = e->sb.size;
    *out = msgpack_sbuffer_release(&e->sb);
    return 0;
}

static void e_str(enc *e, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n && proto_utf8_check(s, n) != 0 && !e->err) e->err = SQ_E_BAD_UTF8;
    msgpack_pack_str(&e->pk, n);
    msgpack_pack_str_body(&e->pk, s ? s : "", n);
}

/* Keys are our own literals: no need to validate them. */
static void e_key(enc *e, const char *k, size_t n)
{
    msgpack_pack_str(&e->pk, n);
    msgpack_pack_str_body(&e->pk, k, n);
}
#define E_KEY(e, lit) e_key((e), (lit), sizeof(lit) - 1)
#define E_KV_STR(e, lit, v) (E_KEY(e, lit), e_str((e), (v)))

static void e_f64(enc *e, double d)
{
    if (!isfinite(d) && !e->err) e->err = SQ_E_INVAL;
    msgpack_pack_double(&e->pk, d);
}

static void e_ms(enc *e, int64_t ms)
{
    if (ms == PROTO_PUBLISHED_NONE) msgpack_pack_nil(&e->pk);
    else msgpack_pack_int64(&e->pk, ms);
}

static void enc_entities(enc *e, const proto_alert *a)
{
    E_KEY(e, "entities");
    msgpack_pack_array(&e->pk, a->n_entities);
    for (size_t i = 0; i < a->n_entities; i++) {
        const proto_entity *x = &a->entities[i];
        msgpack_pack_map(&e->pk, 4);
        E_KV_STR(e, "name", x->name);
        E_KEY(e, "ticker");
        if (x->ticker) e_str(e, x->ticker);
        else msgpack_pack_nil(&e->pk);
        E_KV_STR(e, "role", x->role);
        E_KEY(e, "relevance");
        e_f64(e, x->relevance);
    }
}

static void enc_amounts_evidence(enc *e, const proto_alert *a)
{
    E_KEY(e, "amounts");
    msgpack_pack_array(&e->pk, a->n_amounts);
    for (size_t i = 0; i < a->n_amounts; i++) {
        msgpack_pack_map(&e->pk, 2);
        E_KEY(e, "usd");
        e_f64(e, a->amounts[i].usd);
        E_KV_STR(e, "text", a->amounts[i].text);
    }
    E_KEY(e, "evidence");
    msgpack_pack_array(&e->pk, a->n_evidence);
    for (size_t i = 0; i < a->n_evidence; i++) {
        const proto_evidence *x = &a->evidence[i];
        msgpack_pack_map(&e->pk, 5);
        E_KV_STR(e, "rule", x->rule);
        E_KV_STR(e, "field", x->field);
        E_KEY(e, "start");
        msgpack_pack_uint32(&e->pk, x->start);
        E_KEY(e, "end");
        msgpack_pack_uint32(&e->pk, x->end);
        E_KV_STR(e, "text", x->text);
    }
}

/* article, filter, kafka and ts: where the alert came from and when */
static void enc_origin(enc *e, const proto_alert *a)
{
    E_KEY(e, "article");
    msgpack_pack_map(&e->pk, 5);
    E_KV_STR(e, "id", a->article.id);
    E_KV_STR(e, "headline", a->article.headline);
    E_KV_STR(e, "source", a->article.source);
    E_KV_STR(e, "url", a->article.url);
    E_KEY(e, "published_ms");
    e_ms(e, a->article.published_ms);

    E_KEY(e, "filter");
    msgpack_pack_map(&e->pk, 2);
    E_KV_STR(e, "name", a->filter.name);
    E_KV_STR(e, "version", a->filter.version);

    E_KEY(e, "kafka");
    msgpack_pack_map(&e->pk, 3);
    E_KV_STR(e, "topic", a->kafka.topic);
    E_KEY(e, "partition");
    msgpack_pack_int32(&e->pk, a->kafka.partition);
    E_KEY(e, "offset");
    msgpack_pack_int64(&e->pk, a->kafka.offset);

    E_KEY(e, "ts");
    msgpack_pack_map(&e->pk, 4);
    E_KEY(e, "published_ms");
    e_ms(e, a->ts.published_ms);
    E_KEY(e, "ingest_ns");
    msgpack_pack_int64(&e->pk, a->ts.ingest_ns);
    E_KEY(e, "emit_ns");
    msgpack_pack_int64(&e->pk, a->ts.emit_ns);
    E_KEY(e, "produce_ns");
    msgpack_pack_int64(&e->pk, a->ts.produce_ns);
}

SQ_API int proto_alert_encode(const proto_alert *a, char **out, size_t *outlen)
{
    if (!a || !out || !outlen) return SQ_E_INVAL;
    enc e;
    enc_init(&e);

    msgpack_pack_map(&e.pk, a->tseq ? 16 : 15);
    E_KEY(&e, "v");
    msgpack_pack_uint32(&e.pk, a->v);
    E_KV_STR(&e, "pub", a->pub);
    E_KEY(&e, "seq");
    msgpack_pack_uint64(&e.pk, a->seq);
    if (a->tseq) {
        E_KEY(&e, "tseq");
        msgpack_pack_uint64(&e.pk, a->tseq);
    }
    E_KV_STR(&e, "id", a->id);
    E_KV_STR(&e, "category", a->category);
    E_KEY(&e, "score");
    e_f64(&e, a->score);
    E_KV_STR(&e, "stage", a->stage);
    enc_entities(&e, a);
    enc_amounts_evidence(&e, a);
    E_KEY(&e, "novelty");
    msgpack_pack_uint32(&e.pk, a->novelty);
    enc_origin(&e, a);
    return enc_finish(&e, out, outlen);
}

/* ---- msgpack decoding ---- */

/* Limits for alerts: they come from our own publisher, so generous, but still
 * bounded because a subscriber may be fed anything. */
static const proto_limits alert_limits = {
    .max_bytes = 64u << 20, .max_field_bytes = 16u << 20, .max_depth = 16, .max_elems = 1u << 16};

typedef struct dec {
    char *why;
    size_t whylen;
} dec;

static const msgpack_object *d_get(const msgpack_object_map *m, const char *k)
{
    size_t n = strlen(k);
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object_str *s = &m->ptr[i].key.via.str;
        if (s->size == n && memcmp(s->ptr, k, n) == 0) return &m->ptr[i].val;
    }
    return NULL;
}

static int d_missing(dec *d, const char *path, const char *k)
{
    if (!*path && strcmp(k, "id") == 0)
        return proto_scan_why(SQ_E_NO_ID, d->why, d->whylen, "field 'id' is missing");
    return proto_scan_why(SQ_E_MISSING, d->why, d->whylen, "field '%s%s' is missing", path, k);
}

static int d_type(dec *d, const char *path, const char *k, const char *expected)
{
    return proto_scan_why(SQ_E_WRONG_TYPE, d->why, d->whylen, "field '%s%s': expected %s", path,
                          k, expected);
}

/* A string field copied out; nil allowed only where the contract says so. */
static int d_str(dec *d, const msgpack_object_map *m, const char *path, const char *k, char **out,
                 int nil_ok)
{
    const msgpack_object *o = d_get(m, k);
    if (!o) return d_missing(d, path, k);
    if (nil_ok && o->type == MSGPACK_OBJECT_NIL) return 0;
    if (o->type != MSGPACK_OBJECT_STR) return d_type(d, path, k, nil_ok ? "string or nil" : "string");
    size_t bad;
    int rc = proto_utf8_check_at(o->via.str.ptr, o->via.str.size, &bad);
    if (rc)
        return proto_scan_why(rc, d->why, d->whylen, "field '%s%s': %s at byte %zu", path, k,
                              rc == SQ_E_NUL_BYTE ? "NUL byte" : "invalid UTF-8", bad);
    char *s = malloc(o->via.str.size + 1);
    if (!s) return SQ_E_NOMEM;
    if (o->via.str.size) memcpy(s, o->via.str.ptr, o->via.str.size);
    s[o->via.str.size] = '\0';
    free(*out);
    *out = s;
    return 0;
}

static int d_int(dec *d, const msgpack_object_map *m, const char *path, const char *k,
                 int64_t lo, int64_t hi, int64_t *out, int nil_ok)
{
    const msgpack_object *o = d_get(m, k);
    if (!o) return d_missing(d, path, k);
    if (nil_ok && o->type == MSGPACK_OBJECT_NIL) {
        *out = PROTO_PUBLISHED_NONE;
        return 0;
    }
    int64_t v;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)hi) goto range;
        v = (int64_t)o->via.u64;
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        v = o->via.i64;
    } else {
        return d_type(d, path, k, nil_ok ? "integer or nil" : "integer");
    }
    if (v < lo || v > hi || (nil_ok && v == PROTO_PUBLISHED_NONE)) goto range;
    *out = v;
    return 0;
range:
    return proto_scan_why(SQ_E_WRONG_TYPE, d->why, d->whylen, "field '%s%s': integer out of range",
                          path, k);
}

static int d_u64(dec *d, const msgpack_object_map *m, const char *path, const char *k, uint64_t *out)
{
    const msgpack_object *o = d_get(m, k);
    if (!o) return d_missing(d, path, k);
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) return d_type(d, path, k, "unsigned integer");
    *out = o->via.u64;
    return 0;
}

static int d_f64(dec *d, const msgpack_object_map *m, const char *path, const char *k, double *out)
{
    const msgpack_object *o = d_get(m, k);
    if (!o) return d_missing(d, path, k);
    double v;
    switch (o->type) {
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: v = o->via.f64; break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: v = (double)o->via.u64; break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: v = (double)o->via.i64; break;
    default: return d_type(d, path, k, "number");
    }
    if (!isfinite(v)) return d_type(d, path, k, "a finite number");
    *out = v;
    return 0;
}

/* A nested map by key, keys already checked. */
static int d_map(dec *d, const msgpack_object_map *m, const char *path, const char *k,
                 const msgpack_object_map **out)
{
    const msgpack_object *o = d_get(m, k);
    if (!o) return d_missing(d, path, k);
    if (o->type != MSGPACK_OBJECT_MAP) return d_type(d, path, k, "map");
    char where[64];
    snprintf(where, sizeof where, "'%s%s'", path, k);
    int rc = proto_scan_map_keys(&o->via.map, where, d->why, d->whylen);
    if (rc) return rc;
    *out = &o->via.map;
    return 0;
}

static int d_array(dec *d, const msgpack_object_map *m, const char *k,
                   const msgpack_object_array **out)
{
    const msgpack_object *o = d_get(m, k);
    if (!o) return d_missing(d, "", k);
    if (o->type != MSGPACK_OBJECT_ARRAY) return d_type(d, "", k, "array");
    *out = &o->via.array;
    return 0;
}

/* The i-th element of an array as a map with checked keys; path gets "k[i]." */
static int d_elem(dec *d, const msgpack_object_array *arr, const char *k, uint32_t i, char *path,
                  size_t pathlen, const msgpack_object_map **out)
{
    snprintf(path, pathlen, "%s[%u].", k, i);
    const msgpack_object *o = &arr->ptr[i];
    if (o->type != MSGPACK_OBJECT_MAP)
        return proto_scan_why(SQ_E_WRONG_TYPE, d->why, d->whylen, "field '%s[%u]': expected map",
                              k, i);
    char where[64];
    snprintf(where, sizeof where, "'%s[%u]'", k, i);
    int rc = proto_scan_map_keys(&o->via.map, where, d->why, d->whylen);
    if (rc) return rc;
    *out = &o->via.map;
    return 0;
}

static int decode_body(dec *d, const msgpack_object_map *m, proto_alert *a)
{
    int rc;
    int64_t i64;
    uint64_t u64;
    char path[48];
    const msgpack_object_map *sub;
    const msgpack_object_array *arr;

    if ((rc = d_u64(d, m, "", "v", &u64))) return rc;
    if (u64 != PROTO_ALERT_VERSION)
        return proto_scan_why(SQ_E_BAD_VERSION, d->why, d->whylen,
                              "alert version %llu, this build reads %d", (unsigned long long)u64,
                              PROTO_ALERT_VERSION);
    a->v = (uint32_t)u64;
    /* tseq was added after v1 shipped: optional, 0 when absent */
    if (d_get(m, "tseq") && (rc = d_u64(d, m, "", "tseq", &a->tseq))) return rc;
    if ((rc = d_str(d, m, "", "pub", &a->pub, 0)) || (rc = d_u64(d, m, "", "seq", &a->seq)) ||
        (rc = d_str(d, m, "", "id", &a->id, 0)) ||
        (rc = d_str(d, m, "", "category", &a->category, 0)) ||
        (rc = d_f64(d, m, "", "score", &a->score)) ||
        (rc = d_str(d, m, "", "stage", &a->stage, 0)))
        return rc;
    if ((rc = d_int(d, m, "", "novelty", 0, UINT32_MAX, &i64, 0))) return rc;
    a->novelty = (uint32_t)i64;

    if ((rc = d_array(d, m, "entities", &arr))) return rc;
    for (uint32_t i = 0; i < arr->size; i++) {
        if ((rc = d_elem(d, arr, "entities", i, path, sizeof path, &sub))) return rc;
        proto_entity x = {0};
        if (!(rc = d_str(d, sub, path, "name", &x.name, 0)) &&
            !(rc = d_str(d, sub, path, "ticker", &x.ticker, 1)) &&
            !(rc = d_str(d, sub, path, "role", &x.role, 0)) &&
            !(rc = d_f64(d, sub, path, "relevance", &x.relevance)))
            rc = proto_alert_add_entity(a, x.name, x.ticker, x.role, x.relevance);
        free(x.name);
        free(x.ticker);
        free(x.role);
        if (rc) return rc;
    }
    if ((rc = d_array(d, m, "amounts", &arr))) return rc;
    for (uint32_t i = 0; i < arr->size; i++) {
        if ((rc = d_elem(d, arr, "amounts", i, path, sizeof path, &sub))) return rc;
        proto_amount x = {0};
        if (!(rc = d_f64(d, sub, path, "usd", &x.usd)) &&
            !(rc = d_str(d, sub, path, "text", &x.text, 0)))
            rc = proto_alert_add_amount(a, x.usd, x.text);
        free(x.text);
        if (rc) return rc;
    }
    if ((rc = d_array(d, m, "evidence", &arr))) return rc;
    for (uint32_t i = 0; i < arr->size; i++) {
        if ((rc = d_elem(d, arr, "evidence", i, path, sizeof path, &sub))) return rc;
        proto_evidence x = {0};
        int64_t s = 0, e = 0;
        if (!(rc = d_str(d, sub, path, "rule", &x.rule, 0)) &&
            !(rc = d_str(d, sub, path, "field", &x.field, 0)) &&
            !(rc = d_int(d, sub, path, "start", 0, UINT32_MAX, &s, 0)) &&
            !(rc = d_int(d, sub, path, "end", 0, UINT32_MAX, &e, 0)) &&
            !(rc = d_str(d, sub, path, "text", &x.text, 0)))
            rc = proto_alert_add_evidence(a, x.rule, x.field, (uint32_t)s, (uint32_t)e, x.text);
        free(x.rule);
        free(x.field);
        free(x.text);
        if (rc) return rc;
    }

    if ((rc = d_map(d, m, "", "article", &sub)) ||
        (rc = d_str(d, sub, "article.", "id", &a->article.id, 0)) ||
        (rc = d_str(d, sub, "article.", "headline", &a->article.headline, 0)) ||
        (rc = d_str(d, sub, "article.", "source", &a->article.source, 0)) ||
        (rc = d_str(d, sub, "article.", "url", &a->article.url, 0)) ||
        (rc = d_int(d, sub, "article.", "published_ms", INT64_MIN, INT64_MAX,
                    &a->article.published_ms, 1)))
        return rc;
    if ((rc = d_map(d, m, "", "filter", &sub)) ||
        (rc = d_str(d, sub, "filter.", "name", &a->filter.name, 0)) ||
        (rc = d_str(d, sub, "filter.", "version", &a->filter.version, 0)))
        return rc;
    if ((rc = d_map(d, m, "", "kafka", &sub)) ||
        (rc = d_str(d, sub, "kafka.", "topic", &a->kafka.topic, 0)) ||
        (rc = d_int(d, sub, "kafka.", "partition", INT32_MIN, INT32_MAX, &i64, 0)) ||
        (rc = d_int(d, sub, "kafka.", "offset", INT64_MIN, INT64_MAX, &a->kafka.offset, 0)))
        return rc;
    a->kafka.partition = (int32_t)i64;
    if ((rc = d_map(d, m, "", "ts", &sub)) ||
        (rc = d_int(d, sub, "ts.", "published_ms", INT64_MIN, INT64_MAX, &a->ts.published_ms, 1)) ||
        (rc = d_int(d, sub, "ts.", "ingest_ns", INT64_MIN, INT64_MAX, &a->ts.ingest_ns, 0)) ||
        (rc = d_int(d, sub, "ts.", "emit_ns", INT64_MIN, INT64_MAX, &a->ts.emit_ns, 0)))
        return rc;
    /* produce_ns was added after v1 shipped: optional, 0 when absent */
    if (d_get(sub, "produce_ns") &&
        (rc = d_int(d, sub, "ts.", "produce_ns", INT64_MIN, INT64_MAX, &a->ts.produce_ns, 0)))
        return rc;
    return 0;
}

/* Bounded scan, then msgpack-c, then the top map's keys: shared by alerts and
 * heartbeats. On success *u holds the map and must be destroyed. */
static int unpack_map(const void *buf, size_t len, const proto_limits *lim, msgpack_unpacked *u,
                      char *why, size_t whylen)
{
    if (why && whylen) why[0] = '\0';
    if (!buf || len == 0) return proto_scan_why(SQ_E_EMPTY, why, whylen, "message is empty");
    if (len > lim->max_bytes)
        return proto_scan_why(SQ_E_TOO_BIG, why, whylen, "message is %zu bytes, over the limit of %zu",
                              len, lim->max_bytes);
    const uint8_t *p = buf;
    if (!((p[0] >= 0x80 && p[0] <= 0x8f) || p[0] == 0xde || p[0] == 0xdf))
        return proto_scan_why(SQ_E_NOT_MAP, why, whylen,
                              "msgpack value starts with 0x%02x, not a map", p[0]);
    size_t used = 0;
    int rc = proto_scan_msgpack(p, len, lim, &used, why, whylen);
    if (rc) return rc;
    if (used != len)
        return proto_scan_why(SQ_E_TRAILING, why, whylen,
                              "%zu trailing bytes after the msgpack map at byte %zu", len - used,
                              used);
    msgpack_unpacked_init(u);
    size_t off = 0;
    msgpack_unpack_return ur = msgpack_unpack_next(u, buf, len, &off);
    /* The scan and msgpack-c must agree on where the value ends; if they ever
     * did not, the scan's bounds would not be the ones msgpack-c allocated by. */
    if (ur == MSGPACK_UNPACK_SUCCESS && off != used) ur = MSGPACK_UNPACK_PARSE_ERROR;
    if (ur != MSGPACK_UNPACK_SUCCESS) {
        msgpack_unpacked_destroy(u);
        return proto_scan_why(ur == MSGPACK_UNPACK_NOMEM_ERROR ? SQ_E_NOMEM : SQ_E_BAD_MSGPACK,
                              why, whylen, "msgpack-c rejected the message (%d)", (int)ur);
    }
    rc = proto_scan_map_keys(&u->data.via.map, "the top map", why, whylen);
    if (rc) msgpack_unpacked_destroy(u);
    return rc;
}

SQ_API int proto_alert_decode(const void *buf, size_t len, proto_alert **out, char *why,
                              size_t whylen)
{
    if (!out) return SQ_E_INVAL;
    *out = NULL;
    msgpack_unpacked u;
    int rc = unpack_map(buf, len, &alert_limits, &u, why, whylen);
    if (rc) return rc;
    proto_alert *a = proto_alert_create();
    dec d = {why, whylen};
    rc = a ? decode_body(&d, &u.data.via.map, a) : SQ_E_NOMEM;
    msgpack_unpacked_destroy(&u);
    if (rc) {
        proto_alert_destroy(a);
        return rc;
    }
    *out = a;
    return 0;
}

/* ---- JSON view (tools, not the hot path) ---- */

static json_t *j_str(const char *s)
{
    return json_string(s ? s : "");
}

static json_t *j_ms(int64_t ms)
{
    return ms == PROTO_PUBLISHED_NONE ? json_null() : json_integer(ms);
}

/* json_pack's "o" steals references and fails on NULL, so one bad value
 * (invalid UTF-8, NaN) makes the whole call fail without leaking. */
SQ_API int proto_alert_to_json(const proto_alert *a, char **out, size_t *outlen)
{
    if (!a || !out || !outlen) return SQ_E_INVAL;
    json_t *ents = json_array(), *amts = json_array(), *evs = json_array();
    int bad = !ents || !amts || !evs;
    for (size_t i = 0; !bad && i < a->n_entities; i++) {
        const proto_entity *x = &a->entities[i];
        json_t *o = json_pack("{s:o,s:o,s:o,s:o}", "name", j_str(x->name), "ticker",
                              x->ticker ? j_str(x->ticker) : json_null(), "role", j_str(x->role),
                              "relevance", json_real(x->relevance));
        bad = !o || json_array_append_new(ents, o);
    }
    for (size_t i = 0; !bad && i < a->n_amounts; i++) {
        json_t *o = json_pack("{s:o,s:o}", "usd", json_real(a->amounts[i].usd), "text",
                              j_str(a->amounts[i].text));
        bad = !o || json_array_append_new(amts, o);
    }
    for (size_t i = 0; !bad && i < a->n_evidence; i++) {
        const proto_evidence *x = &a->evidence[i];
        json_t *o = json_pack("{s:o,s:o,s:I,s:I,s:o}", "rule", j_str(x->rule), "field",
                              j_str(x->field), "start", (json_int_t)x->start, "end",
                              (json_int_t)x->end, "text", j_str(x->text));
        bad = !o || json_array_append_new(evs, o);
    }
    if (bad) {
        json_decref(ents);
        json_decref(amts);
        json_decref(evs);
        return SQ_E_INVAL;
    }
    json_t *root = json_pack(
        "{s:I,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,"
        "s:{s:o,s:o,s:o,s:o,s:o},s:{s:o,s:o},s:{s:o,s:I,s:I},s:{s:o,s:I,s:I,s:I}}",
        "v", (json_int_t)a->v, "pub", j_str(a->pub), "seq", (json_int_t)a->seq, "id", j_str(a->id),
        "category", j_str(a->category), "score", json_real(a->score), "stage", j_str(a->stage),
        "entities", ents, "amounts", amts, "evidence", evs, "novelty", (json_int_t)a->novelty,
        "article", "id", j_str(a->article.id), "headline", j_str(a->article.headline), "source",
        j_str(a->article.source), "url", j_str(a->article.url), "published_ms",
        j_ms(a->article.published_ms), "filter", "name", j_str(a->filter.name), "version",
        j_str(a->filter.version), "kafka", "topic", j_str(a->kafka.topic), "partition",
        (json_int_t)a->kafka.partition, "offset", (json_int_t)a->kafka.offset, "ts",
        "published_ms", j_ms(a->ts.published_ms), "ingest_ns", (json_int_t)a->ts.ingest_ns,
        "emit_ns", (json_int_t)a->ts.emit_ns, "produce_ns", (json_int_t)a->ts.produce_ns);
    if (!root) return SQ_E_INVAL;
    if (a->tseq && json_object_set_new(root, "tseq", json_integer((json_int_t)a->tseq))) {
        json_decref(root);
        return SQ_E_NOMEM;
    }
    char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!s) return SQ_E_NOMEM;
    *out = s;
    *outlen = strlen(s);
    return 0;
}

/* ---- equality ---- */

static int s_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

SQ_API int proto_alert_equal(const proto_alert *a, const proto_alert *b)
{
    if (a->v != b->v || !s_eq(a->pub, b->pub) || a->seq != b->seq || a->tseq != b->tseq ||
        !s_eq(a->id, b->id) ||
        !s_eq(a->category, b->category) || a->score != b->score || !s_eq(a->stage, b->stage) ||
        a->n_entities != b->n_entities || a->n_amounts != b->n_amounts ||
        a->n_evidence != b->n_evidence || a->novelty != b->novelty ||
        !s_eq(a->article.id, b->article.id) || !s_eq(a->article.headline, b->article.headline) ||
        !s_eq(a->article.source, b->article.source) || !s_eq(a->article.url, b->article.url) ||
        a->article.published_ms != b->article.published_ms ||
        !s_eq(a->filter.name, b->filter.name) || !s_eq(a->filter.version, b->filter.version) ||
        !s_eq(a->kafka.topic, b->kafka.topic) || a->kafka.partition != b->kafka.partition ||
        a->kafka.offset != b->kafka.offset || a->ts.published_ms != b->ts.published_ms ||
        a->ts.ingest_ns != b->ts.ingest_ns || a->ts.emit_ns != b->ts.emit_ns ||
        a->ts.produce_ns != b->ts.produce_ns)
        return 0;
    for (size_t i = 0; i < a->n_entities; i++) {
        const proto_entity *x = &a->entities[i], *y = &b->entities[i];
        if (!s_eq(x->name, y->name) || !x->ticker != !y->ticker ||
            (x->ticker && strcmp(x->ticker, y->ticker)) || !s_eq(x->role, y->role) ||
            x->relevance != y->relevance)
            return 0;
    }
    for (size_t i = 0; i < a->n_amounts; i++)
        if (a->amounts[i].usd != b->amounts[i].usd || !s_eq(a->amounts[i].text, b->amounts[i].text))
            return 0;
    for (size_t i = 0; i < a->n_evidence; i++) {
        const proto_evidence *x = &a->evidence[i], *y = &b->evidence[i];
        if (!s_eq(x->rule, y->rule) || !s_eq(x->field, y->field) || x->start != y->start ||
            x->end != y->end || !s_eq(x->text, y->text))
            return 0;
    }
    return 1;
}

/* ---- heartbeat ---- */

/* Old subscribers decode heartbeats with these limits: publishers split the digest to fit. */
static const proto_limits hb_limits = {
    .max_bytes = 4096, .max_field_bytes = 4096, .max_depth = 8, .max_elems = 64};

SQ_API int proto_heartbeat_encode(const proto_heartbeat *hb, char **out, size_t *outlen)
{
    if (!hb || !out || !outlen) return SQ_E_INVAL;
    size_t n = strnlen(hb->pub, sizeof hb->pub);
    if (n == sizeof hb->pub || strnlen(hb->rep, sizeof hb->rep) == sizeof hb->rep) return SQ_E_INVAL;
    enc e;
    enc_init(&e);
    msgpack_pack_map(&e.pk, 4 + (hb->ivl_ms > 0) + (hb->rep[0] != 0) + (hb->n_dg > 0));
    E_KEY(&e, "v");
    msgpack_pack_uint32(&e.pk, hb->v);
    E_KV_STR(&e, "pub", hb->pub);
    E_KEY(&e, "seq");
    msgpack_pack_uint64(&e.pk, hb->seq);
    E_KEY(&e, "ts_ns");
    msgpack_pack_int64(&e.pk, hb->ts_ns);
    if (hb->ivl_ms > 0) {
        E_KEY(&e, "ivl_ms");
        msgpack_pack_uint32(&e.pk, hb->ivl_ms);
    }
    if (hb->rep[0]) {
        E_KV_STR(&e, "rep", hb->rep);
    }
    if (hb->n_dg > 0) {
        E_KEY(&e, "dg");
        msgpack_pack_map(&e.pk, hb->n_dg);
        for (size_t i = 0; i < hb->n_dg; i++) {
            e_str(&e, hb->dg_prefix[i]);
            msgpack_pack_uint64(&e.pk, hb->dg_count[i]);
        }
    }
    return enc_finish(&e, out, outlen);
}

SQ_API int proto_heartbeat_decode(const void *buf, size_t len, proto_heartbeat *out)
{
    if (!out) return SQ_E_INVAL;
    memset(out, 0, sizeof *out);
    msgpack_unpacked u;
    int rc = unpack_map(buf, len, &hb_limits, &u, NULL, 0);
    if (rc) return rc;
    dec d = {NULL, 0};
    const msgpack_object_map *m = &u.data.via.map;
    char *pub = NULL;
    uint64_t v = 0;
    if (!(rc = d_u64(&d, m, "", "v", &v)) && v != PROTO_ALERT_VERSION) rc = SQ_E_BAD_VERSION;
    if (!rc && !(rc = d_str(&d, m, "", "pub", &pub, 0)) && strlen(pub) >= sizeof out->pub)
        rc = SQ_E_FIELD_TOO_LONG;
    if (!rc) rc = d_u64(&d, m, "", "seq", &out->seq);
    if (!rc) rc = d_int(&d, m, "", "ts_ns", INT64_MIN, INT64_MAX, &out->ts_ns, 0);
    int64_t ivl = 0;
    if (!rc && d_get(m, "ivl_ms")) rc = d_int(&d, m, "", "ivl_ms", 0, UINT32_MAX, &ivl, 0);
    out->ivl_ms = (uint32_t)ivl;
    char *rep = NULL;
    if (!rc && d_get(m, "rep") && !(rc = d_str(&d, m, "", "rep", &rep, 0))) {
        if (strlen(rep) >= sizeof out->rep) rc = SQ_E_FIELD_TOO_LONG;
        else memcpy(out->rep, rep, strlen(rep) + 1);
    }
    free(rep);
    msgpack_unpacked_destroy(&u);
    if (!rc) {
        out->v = (uint32_t)v;
        memcpy(out->pub, pub, strlen(pub) + 1);
    } else {
        memset(out, 0, sizeof *out);
    }
    free(pub);
    return rc;
}

SQ_API int proto_heartbeat_digest(const void *buf, size_t len, proto_digest_fn fn, void *ud)
{
    msgpack_unpacked u;
    int rc = unpack_map(buf, len, &hb_limits, &u, NULL, 0);
    if (rc) return rc;
    const msgpack_object *dg = d_get(&u.data.via.map, "dg");
    int n = 0;
    if (dg && dg->type != MSGPACK_OBJECT_MAP) rc = SQ_E_WRONG_TYPE;
    for (uint32_t i = 0; !rc && dg && i < dg->via.map.size; i++) {
        const msgpack_object_kv *kv = &dg->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            rc = SQ_E_WRONG_TYPE;
        else if (proto_utf8_check(kv->key.via.str.ptr, kv->key.via.str.size) != 0)
            rc = SQ_E_BAD_UTF8;
        else {
            fn(ud, kv->key.via.str.ptr, kv->key.via.str.size, kv->val.via.u64);
            n++;
        }
    }
    msgpack_unpacked_destroy(&u);
    return rc ? rc : n;
}
