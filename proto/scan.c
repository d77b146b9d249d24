/* scan.c -- bounded, non-recursive pre-scans of msgpack and JSON bytes before they reach a parser. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "scan.h"

void proto_scan_limits(const proto_limits *in, proto_limits *out)
{
    proto_limits z = {0};
    if (!in) in = &z;
    *out = *in;
    if (!out->max_bytes) out->max_bytes = PROTO_DEFAULT_MAX_BYTES;
    if (!out->max_field_bytes) out->max_field_bytes = out->max_bytes;
    if (!out->max_depth) out->max_depth = 16;
    if (!out->max_elems) out->max_elems = 1024;
}

int proto_scan_why(int err, char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return err;
}

void proto_scan_name(const char *s, size_t len, char out[64])
{
    size_t n = len > 48 ? 48 : len, j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[j++] = (c >= 0x20 && c < 0x7f && c != '\'' && c != '"' && c != '\\') ? (char)c : '?';
    }
    if (len > n) {
        memcpy(out + j, "...", 3);
        j += 3;
    }
    out[j] = '\0';
}

/* Big-endian reads: msgpack's wire order. */
static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum { K_SCALAR, K_STR, K_BIN, K_EXT, K_ARRAY, K_MAP, K_INVALID };

/* Decodes one msgpack header at p: kind, header length, and the payload
 * length (bytes for str/bin/ext, element count for array/map). Returns 0, or
 * -1 when fewer than the header's bytes remain. */
static int mp_header(const uint8_t *p, size_t left, int *kind, size_t *hdr, uint64_t *n)
{
    uint8_t c = p[0];
    size_t need = 1; /* for ext types this includes the type byte */
    *n = 0;
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
        *kind = K_SCALAR;
    } else if (c >= 0x80 && c <= 0x8f) {
        *kind = K_MAP, *n = c & 0x0f;
    } else if (c >= 0x90 && c <= 0x9f) {
        *kind = K_ARRAY, *n = c & 0x0f;
    } else if (c >= 0xa0 && c <= 0xbf) {
        *kind = K_STR, *n = c & 0x1f;
    } else {
        switch (c) {
        case 0xc4: *kind = K_BIN, need = 2; break;
        case 0xc5: *kind = K_BIN, need = 3; break;
        case 0xc6: *kind = K_BIN, need = 5; break;
        case 0xc7: *kind = K_EXT, need = 3; break;
        case 0xc8: *kind = K_EXT, need = 4; break;
        case 0xc9: *kind = K_EXT, need = 6; break;
        case 0xca: *kind = K_SCALAR, need = 5; break;
        case 0xcb: *kind = K_SCALAR, need = 9; break;
        case 0xcc: *kind = K_SCALAR, need = 2; break;
        case 0xcd: *kind = K_SCALAR, need = 3; break;
        case 0xce: *kind = K_SCALAR, need = 5; break;
        case 0xcf: *kind = K_SCALAR, need = 9; break;
        case 0xd0: *kind = K_SCALAR, need = 2; break;
        case 0xd1: *kind = K_SCALAR, need = 3; break;
        case 0xd2: *kind = K_SCALAR, need = 5; break;
        case 0xd3: *kind = K_SCALAR, need = 9; break;
        case 0xd4: *kind = K_EXT, need = 2, *n = 1; break;
        case 0xd5: *kind = K_EXT, need = 2, *n = 2; break;
        case 0xd6: *kind = K_EXT, need = 2, *n = 4; break;
        case 0xd7: *kind = K_EXT, need = 2, *n = 8; break;
        case 0xd8: *kind = K_EXT, need = 2, *n = 16; break;
        case 0xd9: *kind = K_STR, need = 2; break;
        case 0xda: *kind = K_STR, need = 3; break;
        case 0xdb: *kind = K_STR, need = 5; break;
        case 0xdc: *kind = K_ARRAY, need = 3; break;
        case 0xdd: *kind = K_ARRAY, need = 5; break;
        case 0xde: *kind = K_MAP, need = 3; break;
        case 0xdf: *kind = K_MAP, need = 5; break;
        default: *kind = K_INVALID; return 0; /* 0xc1 is never used */
        }
    }
    if (left < need) return -1;
    *hdr = need;
    if (*kind == K_SCALAR || c < 0xc0) return 0; /* fix* carry n in the byte */
    switch (c) {
    case 0xc4: case 0xd9: *n = p[1]; break;
    case 0xc5: case 0xda: case 0xdc: case 0xde: *n = be16(p + 1); break;
    case 0xc6: case 0xdb: case 0xdd: case 0xdf: *n = be32(p + 1); break;
    case 0xc7: *n = p[1]; break;
    case 0xc8: *n = be16(p + 1); break;
    case 0xc9: *n = be32(p + 1); break;
    default: break; /* fixext: n set above */
    }
    return 0;
}

int proto_scan_msgpack(const uint8_t *buf, size_t len, const proto_limits *lim, size_t *used,
                       char *why, size_t whylen)
{
    /* Values still to read at each open container level. */
    uint64_t left[PROTO_SCAN_MSGPACK_MAX_DEPTH + 1];
    unsigned depth = 0;
    unsigned max_depth = lim->max_depth;
    if (max_depth > PROTO_SCAN_MSGPACK_MAX_DEPTH) max_depth = PROTO_SCAN_MSGPACK_MAX_DEPTH;
    const uint8_t *key = NULL; /* last top-level key, for messages */
    size_t keylen = 0;
    char name[64] = "";
    size_t pos = 0;

    for (;;) {
        if (key) proto_scan_name((const char *)key, keylen, name);
        if (pos >= len)
            return proto_scan_why(SQ_E_TRUNCATED, why, whylen,
                                  "msgpack ends at byte %zu inside %s%s%s", len,
                                  key ? "field '" : "the document", name, key ? "'" : "");
        int kind;
        size_t hdr;
        uint64_t n;
        if (mp_header(buf + pos, len - pos, &kind, &hdr, &n) != 0)
            return proto_scan_why(SQ_E_TRUNCATED, why, whylen,
                                  "msgpack header at byte %zu is cut off", pos);
        if (kind == K_INVALID)
            return proto_scan_why(SQ_E_BAD_MSGPACK, why, whylen,
                                  "byte 0x%02x at %zu is not a msgpack type", buf[pos], pos);
        int is_key = depth == 1 && left[0] % 2 == 0;
        pos += hdr;
        if (kind == K_STR || kind == K_BIN || kind == K_EXT) {
            uint64_t payload = n;
            if (kind != K_EXT && n > lim->max_field_bytes)
                return proto_scan_why(SQ_E_FIELD_TOO_LONG, why, whylen,
                                      "%s at byte %zu is %llu bytes, over the limit of %zu",
                                      kind == K_STR ? "string" : "binary", pos - hdr,
                                      (unsigned long long)n, lim->max_field_bytes);
            if (payload > len - pos)
                return proto_scan_why(SQ_E_TRUNCATED, why, whylen,
                                      "%llu-byte value at byte %zu runs past the end (%zu bytes)",
                                      (unsigned long long)payload, pos - hdr, len);
            if (is_key && kind == K_STR) {
                key = buf + pos;
                keylen = (size_t)n;
            } else if (is_key) {
                key = NULL;
            }
            pos += (size_t)payload;
        } else if (kind == K_SCALAR) {
            /* header length already covers the payload */
        } else {
            uint64_t items = kind == K_MAP ? 2 * n : n;
            if (depth + 1 > max_depth)
                return proto_scan_why(SQ_E_TOO_DEEP, why, whylen,
                                      "nesting deeper than %u at byte %zu%s%s%s", max_depth,
                                      pos - hdr, key ? " in field '" : "", key ? name : "",
                                      key ? "'" : "");
            if (n > lim->max_elems)
                return proto_scan_why(SQ_E_TOO_MANY, why, whylen,
                                      "%s at byte %zu has %llu elements, over the limit of %u",
                                      kind == K_MAP ? "map" : "array", pos - hdr,
                                      (unsigned long long)n, lim->max_elems);
            if (items > len - pos) /* every element takes at least one byte */
                return proto_scan_why(SQ_E_TRUNCATED, why, whylen,
                                      "%s at byte %zu declares %llu elements but %zu bytes remain",
                                      kind == K_MAP ? "map" : "array", pos - hdr,
                                      (unsigned long long)n, len - pos);
            if (is_key) key = NULL;
            if (items > 0) {
                left[depth++] = items;
                continue;
            }
        }
        /* A value is complete: close every container it completes. */
        while (depth > 0) {
            if (--left[depth - 1] > 0) break;
            depth--;
        }
        if (depth == 0) break;
    }
    *used = pos;
    return 0;
}

int proto_scan_json(const uint8_t *buf, size_t len, const proto_limits *lim, char *why,
                    size_t whylen)
{
    unsigned depth = 0;
    int expect_key = 0; /* at depth 1: the next string is a top-level key */
    const uint8_t *key = NULL;
    size_t keylen = 0;
    char name[64];

    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (c == '"') {
            size_t start = ++i;
            while (i < len && buf[i] != '"') {
                if (buf[i] == '\\') i++;
                else if (buf[i] == 0)
                    return proto_scan_why(SQ_E_NUL_BYTE, why, whylen,
                                          "NUL byte inside a string at byte %zu", i);
                i++;
            }
            if (i >= len) return 0; /* unterminated: jansson reports the syntax error */
            size_t bad;
            int rc = proto_utf8_check_at((const char *)buf + start, i - start, &bad);
            if (rc != 0) {
                int k = depth == 1 && expect_key;
                if (!k && key) proto_scan_name((const char *)key, keylen, name);
                return proto_scan_why(rc, why, whylen, "%s%s%s: %s at byte %zu of the message",
                                      k ? "a key" : key ? "field '" : "a string",
                                      !k && key ? name : "", !k && key ? "'" : "",
                                      rc == SQ_E_NUL_BYTE ? "NUL byte" : "invalid UTF-8",
                                      start + bad);
            }
            if (depth == 1 && expect_key) {
                key = buf + start;
                keylen = i - start;
            }
        } else if (c == '{' || c == '[') {
            if (++depth > lim->max_depth) {
                if (key) proto_scan_name((const char *)key, keylen, name);
                return proto_scan_why(SQ_E_TOO_DEEP, why, whylen,
                                      "nesting deeper than %u at byte %zu%s%s%s", lim->max_depth,
                                      i, key ? " in field '" : "", key ? name : "",
                                      key ? "'" : "");
            }
            if (depth == 1) expect_key = c == '{';
        } else if (c == '}' || c == ']') {
            if (depth > 0) depth--;
        } else if (depth == 1 && c == ',') {
            expect_key = 1;
        } else if (depth == 1 && c == ':') {
            expect_key = 0;
        }
    }
    return 0;
}

static int dup_key(const char *k, size_t n, const char *where, char *why, size_t whylen)
{
    char name[64];
    proto_scan_name(k, n, name);
    return proto_scan_why(SQ_E_DUP_KEY, why, whylen, "key '%s' appears twice in %s", name, where);
}

static int key_cmp(const void *x, const void *y)
{
    const msgpack_object_str *a = *(const msgpack_object_str *const *)x;
    const msgpack_object_str *b = *(const msgpack_object_str *const *)y;
    size_t n = a->size < b->size ? a->size : b->size;
    int c = n ? memcmp(a->ptr, b->ptr, n) : 0;
    if (c) return c;
    return a->size < b->size ? -1 : a->size > b->size;
}

int proto_scan_map_keys(const msgpack_object_map *m, const char *where, char *why, size_t whylen)
{
    uint32_t n = m->size;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *k = &m->ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR)
            return proto_scan_why(SQ_E_BAD_KEY, why, whylen, "key #%u of %s is not a string", i,
                                  where);
        size_t bad;
        int rc = proto_utf8_check_at(k->via.str.ptr, k->via.str.size, &bad);
        if (rc)
            return proto_scan_why(rc, why, whylen, "key #%u of %s: %s at byte %zu", i, where,
                                  rc == SQ_E_NUL_BYTE ? "NUL byte" : "invalid UTF-8", bad);
    }
    if (n < 2) return 0;
    /* Pairwise for small maps, sorted for big ones so a 1024-key map costs
     * n log n, not n^2. */
    if (n <= 16) {
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t j = i + 1; j < n; j++) {
                const msgpack_object_str *a = &m->ptr[i].key.via.str, *b = &m->ptr[j].key.via.str;
                if (a->size == b->size && (!a->size || memcmp(a->ptr, b->ptr, a->size) == 0))
                    return dup_key(a->ptr, a->size, where, why, whylen);
            }
        return 0;
    }
    const msgpack_object_str **v = malloc(n * sizeof *v);
    if (!v) return SQ_E_NOMEM;
    for (uint32_t i = 0; i < n; i++) v[i] = &m->ptr[i].key.via.str;
    qsort(v, n, sizeof *v, key_cmp);
    int rc = 0;
    for (uint32_t i = 1; i < n && !rc; i++)
        if (key_cmp(&v[i - 1], &v[i]) == 0) rc = dup_key(v[i]->ptr, v[i]->size, where, why, whylen);
    free(v);
    return rc;
}
