/* utf8.c -- strict UTF-8 validation shared by every decoder of outside bytes. */
#include <stdint.h>
#include <string.h>

#include "../core/error.h"
#include "article.h"
#include "scan.h"

size_t proto_utf8_seq(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        if (c == 0xE0) lo = 0xA0;      /* overlong */
        else if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        if (c == 0xF0) lo = 0x90;      /* overlong */
        else if (c == 0xF4) hi = 0x8F; /* > U+10FFFF */
    } else {
        return 0;
    }
    if (left <= n || p[1] < lo || p[1] > hi) return 0;
    for (size_t k = 2; k <= n; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    return n + 1;
}

/* Table-free DFA would be faster, but this one reads as the standard
 * (RFC 3629 table 3-7) and the ASCII fast path covers news text. */
SQ_API int proto_utf8_check_at(const char *s, size_t len, size_t *bad_at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* Eight ASCII bytes at a time: most headlines never leave this loop. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull) break;
            /* A zero byte inside the word means a NUL: let the slow path find it. */
            if ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= len) break;
        unsigned c = p[i];
        if (c < 0x80) {
            if (c == 0) {
                if (bad_at) *bad_at = i;
                return SQ_E_NUL_BYTE;
            }
            i++;
            continue;
        }
        size_t n = proto_utf8_seq(p + i, len - i);
        if (!n) {
            if (bad_at) *bad_at = i;
            return SQ_E_BAD_UTF8;
        }
        i += n;
    }
    return 0;
}

SQ_API int proto_utf8_check(const char *s, size_t len)
{
    return proto_utf8_check_at(s, len, NULL);
}

/* One character at p: sets *used to the bytes it takes and writes the byte
 * it becomes to *out (returns 1), or drops it (returns 0). Characters it does
 * not fold pass through one byte at a time. */
/* Invisible and wide forms that split or disguise words: zero-width spaces and
 * joiners, word joiner, BOM and soft hyphen are removed; fullwidth ASCII
 * (U+FF01-U+FF5E), the ideographic space and the other Unicode spaces fold to ASCII. So "Nvi<ZWJ>dia"
 * and fullwidth "Ｎｖｉｄｉａ" read as Nvidia to every filter. Only shrinks. */
static size_t fold_one(const unsigned char *p, size_t n, unsigned char *out, size_t *used)
{
    if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0x8b && p[2] <= 0x8d) return *used = 3, 0;
    if (n >= 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0xa0) return *used = 3, 0;
    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) return *used = 3, 0;
    if (n >= 2 && p[0] == 0xc2 && p[1] == 0xad) return *used = 2, 0;
    if (n >= 3 && p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) return *used = 3, out[0] = ' ', 1;
    /* no-break, en, em, thin, hair, narrow and medium spaces (web pages' text is full of them): a space */
    if (n >= 2 && p[0] == 0xc2 && p[1] == 0xa0) return *used = 2, out[0] = ' ', 1;
    if (n >= 3 && p[0] == 0xe2 && ((p[1] == 0x80 && (p[2] <= 0x8a || p[2] == 0xaf)) || (p[1] == 0x81 && p[2] == 0x9f)))
        return *used = 3, out[0] = ' ', 1;
    if (n >= 3 && p[0] == 0xef && ((p[1] == 0xbc && p[2] >= 0x81) || (p[1] == 0xbd && p[2] <= 0x9e))) {
        uint32_t c = 0xff00u | ((uint32_t)(p[1] & 0x03) << 6) | (p[2] & 0x3f);
        out[0] = (unsigned char)(c - 0xff01u + 0x21u);
        return *used = 3, 1;
    }
    out[0] = p[0];
    return *used = 1, 1;
}

/* UTF-8 of code point c into o (c valid, not a surrogate); its length. */
static size_t utf8_put(uint32_t c, unsigned char *o)
{
    if (c < 0x80) return o[0] = (unsigned char)c, 1;
    if (c < 0x800) return o[0] = (unsigned char)(0xc0 | c >> 6), o[1] = (unsigned char)(0x80 | (c & 0x3f)), 2;
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xe0 | c >> 12), o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
        o[2] = (unsigned char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | c >> 18), o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
    o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f)), o[3] = (unsigned char)(0x80 | (c & 0x3f));
    return 4;
}

/* The character an HTML reference at p[0] == '&' names ("&amp;", "&#8217;", "&#x2019;", "&rsquo;"), or
 * 0 when it is none we read; *used: its bytes. A no-break space is a space; control characters stay
 * written out. Feeds built from RSS send "AT&amp;T" and "Nvidia&#8217;s". */
static uint32_t html_ref(const unsigned char *p, size_t n, size_t *used)
{
    static const struct {
        const char *name;
        uint32_t c;
    } named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", ' '},
                 {"rsquo", 0x2019}, {"lsquo", 0x2018}, {"ldquo", 0x201c}, {"rdquo", 0x201d}, {"ndash", 0x2013},
                 {"mdash", 0x2014}, {"hellip", 0x2026}, {"euro", 0x20ac}, {"pound", 0xa3}, {"yen", 0xa5}};
    size_t e = 1;
    while (e < n && e < 12 && p[e] != ';') e++;
    if (e >= n || p[e] != ';' || e < 2) return 0;
    *used = e + 1;
    if (p[1] != '#') {
        for (size_t k = 0; k < sizeof named / sizeof *named; k++)
            if (strlen(named[k].name) == e - 1 && memcmp(p + 1, named[k].name, e - 1) == 0) return named[k].c;
        return 0;
    }
    int hex = e > 2 && (p[2] == 'x' || p[2] == 'X');
    uint32_t c = 0;
    size_t i = hex ? 3 : 2;
    if (i >= e) return 0;
    for (; i < e; i++) {
        unsigned ch = p[i], lo = ch | 32u;
        unsigned d = ch - '0' < 10u ? ch - '0' : hex && lo - 'a' < 6u ? lo - 'a' + 10u : 99u;
        if (d == 99u || c > 0x10ffff) return 0;
        c = c * (hex ? 16 : 10) + d;
    }
    if (c < 0x20 || c == 0x7f || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) return 0;
    return c == 0xa0 ? ' ' : c;
}

SQ_API size_t proto_text_fold(char *s, size_t len)
{
    unsigned char *p = (unsigned char *)s;
    size_t r = 0, w = 0;
    /* Nothing changes before the first byte >= 0x80: skip to it eight bytes at a time. */
    const unsigned char *amp = memchr(p, '&', len);
    size_t stop = amp ? (size_t)(amp - p) : len; /* nor before the first '&' */
    while (r + 8 <= stop) {
        uint64_t x;
        memcpy(&x, p + r, 8);
        if (x & 0x8080808080808080ull) break;
        r += 8;
    }
    while (r < stop && p[r] < 0x80) r++;
    w = r;
    while (r < len) {
        size_t used;
        uint32_t c;
        if (p[r] == '&' && (c = html_ref(p + r, len - r, &used)) != 0) { /* only shrinks: "&#65;" is 5 bytes */
            w += utf8_put(c, p + w);
            r += used;
            continue;
        }
        if (p[r] < 0x80) {
            p[w++] = p[r++];
            continue;
        }
        unsigned char o;
        if (fold_one(p + r, len - r, &o, &used)) p[w++] = o; /* else removed */
        r += used;
    }
    if (w < len) s[w] = '\0';
    return w;
}
