/* utf8.c -- strict UTF-8 validation shared by every decoder of outside bytes. */
#include <stdint.h>
#include <string.h>

#include "../core/error.h"
#include "article.h"

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
            if (bad_at) *bad_at = i;
            return SQ_E_BAD_UTF8;
        }
        if (len - i <= n) {
            if (bad_at) *bad_at = i;
            return SQ_E_BAD_UTF8;
        }
        if (p[i + 1] < lo || p[i + 1] > hi) {
            if (bad_at) *bad_at = i;
            return SQ_E_BAD_UTF8;
        }
        for (size_t k = 2; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80) {
                if (bad_at) *bad_at = i;
                return SQ_E_BAD_UTF8;
            }
        }
        i += n + 1;
    }
    return 0;
}

SQ_API int proto_utf8_check(const char *s, size_t len)
{
    return proto_utf8_check_at(s, len, NULL);
}
