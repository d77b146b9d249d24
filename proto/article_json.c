/* article_json.c -- JSON articles: one pass over the bytes; jansson's tree for errors. */
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "article.h"
#include "field.h"
#include "scan.h"

/* ---- the jansson tree: every error, and every form the single pass leaves to it ---- */

/* Depth is already bounded by proto_scan_json, so recursion here is too. */
static int json_limits(const json_t *v, const proto_limits *lim, char *why, size_t whylen)
{
    if (json_is_string(v)) {
        if (json_string_length(v) > lim->max_field_bytes)
            return proto_scan_why(SQ_E_FIELD_TOO_LONG, why, whylen,
                                  "a %zu-byte string is over the limit of %zu",
                                  json_string_length(v), lim->max_field_bytes);
    } else if (json_is_array(v)) {
        size_t n = json_array_size(v);
        if (n > lim->max_elems)
            return proto_scan_why(SQ_E_TOO_MANY, why, whylen,
                                  "an array has %zu elements, over the limit of %u", n,
                                  lim->max_elems);
        for (size_t i = 0; i < n; i++) {
            int rc = json_limits(json_array_get(v, i), lim, why, whylen);
            if (rc) return rc;
        }
    } else if (json_is_object(v)) {
        size_t n = json_object_size(v);
        if (n > lim->max_elems)
            return proto_scan_why(SQ_E_TOO_MANY, why, whylen,
                                  "an object has %zu keys, over the limit of %u", n,
                                  lim->max_elems);
        const char *k;
        json_t *val;
        json_object_foreach((json_t *)v, k, val)
        {
            if (strlen(k) > lim->max_field_bytes)
                return proto_scan_why(SQ_E_FIELD_TOO_LONG, why, whylen,
                                      "a key is over the limit of %zu bytes", lim->max_field_bytes);
            int rc = json_limits(val, lim, why, whylen);
            if (rc) return rc;
        }
    }
    return 0;
}

static int json_error_to_sq(const json_error_t *e)
{
    switch (json_error_code(e)) {
    case json_error_out_of_memory: return SQ_E_NOMEM;
    case json_error_stack_overflow: return SQ_E_TOO_DEEP;
    case json_error_invalid_utf8: return SQ_E_BAD_UTF8;
    case json_error_null_character:
    case json_error_null_byte_in_key: return SQ_E_NUL_BYTE;
    case json_error_duplicate_key: return SQ_E_DUP_KEY;
    case json_error_end_of_input_expected: return SQ_E_TRAILING;
    default: return SQ_E_BAD_JSON;
    }
}

static int js_field(proto_article *a, int f, json_t *v, char *why, size_t whylen)
{
    if (json_is_null(v) && f != F_ID && f != F_HEADLINE) return 0; /* = absent */
    switch (f) {
    case F_PUBLISHED:
        if (json_is_string(v))
            return proto_field_published_str(a, json_string_value(v), json_string_length(v));
        if (json_is_integer(v)) return proto_field_published_ms(a, json_integer_value(v));
        return proto_field_drop_published(a, "field 'published': %s",
                                          "expected a time string or integer ms");
    case F_TICKERS: {
        if (!json_is_array(v)) return proto_field_wrong_type(f, "an array of strings", why, whylen);
        size_t n = json_array_size(v);
        a->tickers = calloc(n ? n : 1, sizeof(char *));
        if (!a->tickers) return SQ_E_NOMEM;
        for (size_t i = 0; i < n; i++) {
            json_t *t = json_array_get(v, i);
            if (!json_is_string(t))
                return proto_scan_why(SQ_E_WRONG_TYPE, why, whylen,
                                      "field 'tickers[%zu]': expected a string", i);
            int rc = proto_field_add_ticker(a, i, json_string_value(t), json_string_length(t), 0,
                                            why, whylen);
            if (rc) return rc;
        }
        return 0;
    }
    default:
        if (!json_is_string(v)) return proto_field_wrong_type(f, "a string", why, whylen);
        return proto_field_set_str(a, f, json_string_value(v), json_string_length(v), 0, why,
                                   whylen);
    }
}

int proto_article_decode_json_tree(const void *buf, size_t len, const proto_limits *lim_in,
                                   proto_article *out, char *why, size_t whylen)
{
    proto_limits lim;
    int rc = proto_field_begin(len, lim_in, &lim, out, why, whylen);
    if (rc) return rc;
    rc = proto_scan_json(buf, len, &lim, why, whylen);
    if (rc) return rc;

    json_error_t err;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &err);
    if (!root)
        return proto_scan_why(json_error_to_sq(&err), why, whylen,
                              "JSON: %s at line %d column %d (byte %d)", err.text, err.line,
                              err.column, err.position);
    /* With EOF checks off, position is how much jansson consumed. */
    const char *p = buf;
    for (size_t i = (size_t)err.position; i < len; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
            json_decref(root);
            return proto_scan_why(SQ_E_TRAILING, why, whylen,
                                  "trailing bytes after the JSON value at byte %zu", i);
        }
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return proto_scan_why(SQ_E_NOT_OBJECT, why, whylen, "JSON value is not an object");
    }
    rc = json_limits(root, &lim, why, whylen);
    if (rc) {
        json_decref(root);
        return rc;
    }
    proto_field_reset(out);
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
    {
        int f = proto_field_lookup(k, strlen(k));
        if (f != F_UNKNOWN && (rc = js_field(out, f, v, why, whylen)) != 0) break;
    }
    json_decref(root);
    if (!rc) rc = proto_field_finish(out, why, whylen);
    return rc ? proto_field_fail(out, rc) : 0;
}

/* ---- the single pass ---- */

/* The single pass reads the article straight from the bytes: no tree, one copy of each field
 * squawk keeps, nothing built for keys it ignores. It accepts only what the tree decoder
 * accepts and gives the same article (bench/decode_bench --compare, fuzz_article_json): on
 * anything else -- every error, escapes in keys, numbers that might overflow, nesting deeper
 * than JP_MAX_DEPTH -- it returns JP_TREE and the tree decoder starts over, so every error and
 * its message is the tree's. */
#define JP_TREE 1
#define JP_MAX_DEPTH 32
#define JP_MAX_KEYS 128
#define JP_ONES 0x0101010101010101ull
#define JP_HIGH 0x8080808080808080ull

typedef struct jp_key {
    const uint8_t *s;
    size_t n;
} jp_key;

typedef struct jp {
    const uint8_t *p;
    size_t n, i; /* the bytes and the read position */
    const proto_limits *lim;
    jp_key keys[JP_MAX_KEYS]; /* keys of the objects still open, to refuse duplicates */
    size_t n_keys;
} jp;

/* One string as it stands in the bytes, between its quotes. */
typedef struct jp_str {
    const uint8_t *s;
    size_t n;
    int esc;  /* holds backslash escapes */
    int wide; /* holds bytes >= 0x80 */
} jp_str;

static void jp_ws(jp *j)
{
    while (j->i < j->n) {
        uint8_t c = j->p[j->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
        j->i++;
    }
}

/* Bit 7 set in every byte of w that needs a look inside a string: '"', '\\', a control
 * character, a byte >= 0x80. Every such byte is flagged; a borrow may also flag a byte
 * after one, which the byte-wise check then passes over. */
static uint64_t jp_special(uint64_t w)
{
    uint64_t q = w ^ (JP_ONES * '"'), b = w ^ (JP_ONES * '\\');
    return (((w - JP_ONES * 0x20) & ~w) | ((q - JP_ONES) & ~q) | ((b - JP_ONES) & ~b) | w) &
           JP_HIGH;
}

static int jp_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the escape at p (p[0] is the backslash), 0 for one JSON does not have. */
static size_t jp_escape_len(const uint8_t *p, size_t left)
{
    if (left < 2) return 0;
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't': return 2;
    case 'u':
        return left >= 6 && jp_hex(p[2]) && jp_hex(p[3]) && jp_hex(p[4]) && jp_hex(p[5]) ? 6 : 0;
    default: return 0;
    }
}

/* The string whose opening quote is at j->i: checks escapes, control characters and UTF-8,
 * eight bytes at a time where nothing needs a look; leaves j->i after the closing quote. */
static int jp_string(jp *j, jp_str *s)
{
    const uint8_t *p = j->p;
    size_t i = j->i + 1, n = j->n;
    s->s = p + i;
    s->esc = s->wide = 0;
    for (;;) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            uint64_t m = jp_special(w);
            if (!m) {
                i += 8;
                continue;
            }
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            i += (size_t)__builtin_clzll(m) >> 3;
#else
            i += (size_t)__builtin_ctzll(m) >> 3;
#endif
        } else if (i >= n) {
            return JP_TREE; /* unterminated */
        }
        uint8_t c = p[i];
        size_t k = 1;
        if (c == '"') break;
        if (c == '\\') {
            s->esc = 1;
            k = jp_escape_len(p + i, n - i);
        } else if (c >= 0x80) {
            s->wide = 1;
            k = proto_utf8_seq(p + i, n - i);
        } else if (c < 0x20) {
            k = 0;
        }
        if (!k) return JP_TREE;
        i += k;
    }
    s->n = (size_t)(p + i - s->s);
    j->i = i + 1;
    return s->n > j->lim->max_field_bytes ? JP_TREE : 0;
}

static int32_t jp_hex4(const uint8_t *p)
{
    int32_t v = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t c = p[k];
        v = v << 4 | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static size_t jp_utf8_put(int32_t v, char *o)
{
    if (v < 0x80) {
        o[0] = (char)v;
        return 1;
    }
    if (v < 0x800) {
        o[0] = (char)(0xC0 | v >> 6), o[1] = (char)(0x80 | (v & 0x3F));
        return 2;
    }
    if (v < 0x10000) {
        o[0] = (char)(0xE0 | v >> 12), o[1] = (char)(0x80 | (v >> 6 & 0x3F));
        o[2] = (char)(0x80 | (v & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | v >> 18), o[1] = (char)(0x80 | (v >> 12 & 0x3F));
    o[2] = (char)(0x80 | (v >> 6 & 0x3F)), o[3] = (char)(0x80 | (v & 0x3F));
    return 4;
}

static char jp_esc_char(uint8_t e)
{
    switch (e) {
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return (char)e; /* '"', '\\', '/' */
    }
}

/* Decodes the escapes of a string jp_string accepted into d (room for s->n + 1 bytes; NULL: only
 * check them) as jansson does; -1 for what jansson refuses in any string: an unpaired
 * surrogate, \u0000. */
static ptrdiff_t jp_unescape(const jp_str *s, char *d)
{
    const uint8_t *p = s->s, *end = s->s + s->n;
    char tmp[4];
    size_t w = 0; /* bytes written (or that would be) */
    for (;;) {
        const uint8_t *bs = memchr(p, '\\', (size_t)(end - p));
        size_t plain = (size_t)((bs ? bs : end) - p);
        if (d) memcpy(d + w, p, plain);
        w += plain, p += plain;
        if (!bs) break;
        uint8_t e = p[1];
        if (e != 'u') {
            if (d)
                d[w] = jp_esc_char(e);
            w++, p += 2;
            continue;
        }
        int32_t v = jp_hex4(p + 2);
        p += 6;
        if (v >= 0xD800 && v <= 0xDBFF) {
            /* jp_string checked the digits of every \u inside the string */
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return -1;
            int32_t lo = jp_hex4(p + 2);
            if (lo < 0xDC00 || lo > 0xDFFF) return -1;
            p += 6;
            v = ((v - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
        } else if ((v >= 0xDC00 && v <= 0xDFFF) || v == 0) {
            return -1;
        }
        w += jp_utf8_put(v, d ? d + w : tmp);
    }
    if (d) d[w] = '\0';
    return (ptrdiff_t)w;
}

/* The decoded string as a malloc'd, NUL-terminated copy. */
static int jp_dup(const jp_str *s, char **out, size_t *len)
{
    char *d = malloc(s->n + 1);
    if (!d) return JP_TREE;
    ptrdiff_t k = (ptrdiff_t)s->n;
    if (s->esc) {
        k = jp_unescape(s, d);
    } else {
        memcpy(d, s->s, s->n);
        d[s->n] = '\0';
    }
    if (k < 0) {
        free(d);
        return JP_TREE;
    }
    *out = d;
    *len = (size_t)k;
    return 0;
}

/* A number in JSON's grammar. *kind 1: an integer of at most 18 digits, in *iv; 2: a fraction.
 * Exponents and longer integers go to the tree, which knows when they overflow. */
static int jp_number(jp *j, int *kind, int64_t *iv)
{
    const uint8_t *p = j->p;
    size_t i = j->i, n = j->n;
    int neg = i < n && p[i] == '-';
    i += (size_t)neg;
    size_t d0 = i;
    if (i < n && p[i] == '0')
        i++;
    else
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    size_t digits = i - d0;
    if (digits == 0) return JP_TREE;
    *kind = 1;
    if (i < n && p[i] == '.') {
        size_t f0 = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i == f0 || i - d0 > 300) return JP_TREE;
        *kind = 2;
    } else if (digits > 18) {
        return JP_TREE;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) return JP_TREE;
    int64_t v = 0;
    for (size_t k = d0; *kind == 1 && k < i; k++)
        v = v * 10 + (p[k] - '0');
    *iv = neg ? -v : v;
    j->i = i;
    return 0;
}

static int jp_word(jp *j, const char *w, size_t n)
{
    if (j->n - j->i < n || memcmp(j->p + j->i, w, n) != 0) return JP_TREE;
    j->i += n;
    return 0;
}

/* A string, number, true, false or null, checked and passed over. */
static int jp_scalar(jp *j)
{
    jp_str s;
    int kind;
    int64_t iv;
    switch (j->p[j->i]) {
    case '"': return jp_string(j, &s) || (s.esc && jp_unescape(&s, NULL) < 0) ? JP_TREE : 0;
    case 't': return jp_word(j, "true", 4);
    case 'f': return jp_word(j, "false", 5);
    case 'n': return jp_word(j, "null", 4);
    default: return jp_number(j, &kind, &iv);
    }
}

/* A key of the object whose keys start at keys[key0], its ':' and the blanks after it.
 * Keys with escapes go to the tree, so equal keys are equal bytes. */
static int jp_member(jp *j, size_t key0)
{
    jp_str s;
    if (j->i >= j->n || j->p[j->i] != '"' || jp_string(j, &s) || s.esc) return JP_TREE;
    if (j->n_keys == JP_MAX_KEYS) return JP_TREE;
    for (size_t k = key0; k < j->n_keys; k++)
        if (j->keys[k].n == s.n && memcmp(j->keys[k].s, s.s, s.n) == 0) return JP_TREE;
    j->keys[j->n_keys++] = (jp_key){s.s, s.n};
    jp_ws(j);
    if (j->i >= j->n || j->p[j->i] != ':') return JP_TREE;
    j->i++;
    jp_ws(j);
    return 0;
}

/* Any value at j->i (a key squawk ignores), checked as the tree decoder checks it: syntax,
 * duplicate keys, depth and element limits. depth: nesting of the container holding it. */
static int jp_skip(jp *j, unsigned depth)
{
    struct {
        int obj;
        size_t elems, key0;
    } st[JP_MAX_DEPTH];
    unsigned sp = 0;
    for (;;) {
        if (j->i >= j->n) return JP_TREE;
        uint8_t c = j->p[j->i];
        if (c == '{' || c == '[') {
            if (sp == JP_MAX_DEPTH || depth + sp + 1 > j->lim->max_depth) return JP_TREE;
            st[sp].obj = c == '{', st[sp].elems = 0, st[sp].key0 = j->n_keys;
            sp++;
            j->i++;
            jp_ws(j);
            if (j->i < j->n && j->p[j->i] == (c == '{' ? '}' : ']')) {
                j->i++;
                sp--;
            } else {
                if (c == '{' && jp_member(j, st[sp - 1].key0)) return JP_TREE;
                continue;
            }
        } else if (jp_scalar(j)) {
            return JP_TREE;
        }
        /* a value is complete: close each container it completes */
        for (;;) {
            if (sp == 0) return 0;
            jp_ws(j);
            if (++st[sp - 1].elems > j->lim->max_elems || j->i >= j->n) return JP_TREE;
            c = j->p[j->i++];
            if (c == ',') {
                jp_ws(j);
                if (st[sp - 1].obj && jp_member(j, st[sp - 1].key0)) return JP_TREE;
                break;
            }
            if (c != (st[sp - 1].obj ? '}' : ']')) return JP_TREE;
            j->n_keys = st[--sp].key0;
        }
    }
}

/* tickers: an array of strings, each stored as proto_field_add_ticker stores it. */
static int jp_tickers(jp *j, proto_article *a)
{
    size_t cap = 0;
    if (j->lim->max_depth < 2) return JP_TREE;
    j->i++;
    jp_ws(j);
    if (j->i < j->n && j->p[j->i] == ']') {
        j->i++;
        return (a->tickers = calloc(1, sizeof(char *))) ? 0 : JP_TREE;
    }
    for (size_t idx = 0;; idx++) {
        jp_str s;
        char *d;
        size_t n;
        if (j->i >= j->n || j->p[j->i] != '"' || jp_string(j, &s) || jp_dup(&s, &d, &n))
            return JP_TREE;
        if (a->n_tickers == cap) {
            char **t = realloc(a->tickers, (cap = cap ? cap * 2 : 4) * sizeof *t);
            if (!t) {
                free(d);
                return JP_TREE;
            }
            a->tickers = t;
        }
        int rc = proto_field_add_ticker(a, idx, d, n, 0, NULL, 0);
        free(d);
        jp_ws(j);
        if (rc || a->n_tickers > j->lim->max_elems || j->i >= j->n) return JP_TREE;
        uint8_t c = j->p[j->i++];
        if (c == ']') return 0;
        if (c != ',') return JP_TREE;
        jp_ws(j);
    }
}

/* published: a time string, integer ms, or anything else dropped (never the article). */
static int jp_published(jp *j, proto_article *a)
{
    uint8_t c = j->p[j->i];
    if (c == '"') {
        jp_str s;
        char *d;
        size_t n;
        if (jp_string(j, &s) || jp_dup(&s, &d, &n)) return JP_TREE;
        proto_field_published_str(a, d, n);
        free(d);
        return 0;
    }
    int kind = 0;
    int64_t iv;
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (jp_number(j, &kind, &iv)) return JP_TREE;
    } else if (jp_skip(j, 1)) {
        return JP_TREE;
    }
    if (kind == 1) return proto_field_published_ms(a, iv);
    return proto_field_drop_published(a, "field 'published': %s",
                                      "expected a time string or integer ms");
}

static int jp_field(jp *j, proto_article *a, int f)
{
    if (j->i >= j->n) return JP_TREE;
    uint8_t c = j->p[j->i];
    if (c == 'n') /* null: absent, except where a string is required */
        return f == F_ID || f == F_HEADLINE ? JP_TREE : jp_word(j, "null", 4);
    if (f == F_TICKERS) return c == '[' ? jp_tickers(j, a) : JP_TREE;
    if (f == F_PUBLISHED) return jp_published(j, a);
    jp_str s;
    char *d;
    size_t n;
    if (c != '"' || jp_string(j, &s) || jp_dup(&s, &d, &n)) return JP_TREE;
    /* pure ASCII without an HTML reference needs no fold; an escape may have written any character */
    return proto_field_take_str(a, f, d, n, s.wide || s.esc || memchr(d, '&', n)) ? JP_TREE : 0;
}

static int jp_article(jp *j, proto_article *a)
{
    jp_ws(j);
    if (j->i >= j->n || j->p[j->i] != '{') return JP_TREE;
    j->i++;
    jp_ws(j);
    if (j->i < j->n && j->p[j->i] == '}') {
        j->i++;
    } else {
        for (size_t count = 1;; count++) {
            if (jp_member(j, 0)) return JP_TREE;
            const jp_key *k = &j->keys[j->n_keys - 1];
            int f = proto_field_lookup((const char *)k->s, k->n);
            if ((f == F_UNKNOWN ? jp_skip(j, 1) : jp_field(j, a, f)) != 0) return JP_TREE;
            jp_ws(j);
            if (count > j->lim->max_elems || j->i >= j->n) return JP_TREE;
            uint8_t c = j->p[j->i++];
            if (c == '}') break;
            if (c != ',') return JP_TREE;
            jp_ws(j);
        }
    }
    jp_ws(j);
    if (j->i != j->n) return JP_TREE;
    return proto_field_finish(a, NULL, 0) ? JP_TREE : 0;
}

SQ_API int proto_article_decode_json(const void *buf, size_t len, const proto_limits *lim_in,
                                     proto_article *out, char *why, size_t whylen)
{
    proto_limits lim;
    int rc = proto_field_begin(len, lim_in, &lim, out, why, whylen);
    if (rc) return rc;
    jp j; /* not zero-initialised: keys[] (2 KB) is written before it is read */
    j.p = buf, j.n = len, j.i = 0, j.lim = &lim, j.n_keys = 0;
    proto_field_reset(out);
    if (jp_article(&j, out) == 0) return 0;
    proto_field_fail(out, 0);
    return proto_article_decode_json_tree(buf, len, &lim, out, why, whylen);
}
