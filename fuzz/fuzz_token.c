/* fuzz_token.c -- libFuzzer target: the v2 tokeniser over arbitrary bytes (headline, NUL, body). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t hl = nul ? (size_t)(nul - data) : size;
    const char *text[2] = {(const char *)data, nul ? (const char *)nul + 1 : ""};
    size_t len[2] = {hl, nul ? size - hl - 1 : 0};
    tok_doc d;
    tok_doc_init(&d);
    if (tok_run(&d, text, len) == 0) {
        uint32_t prev_end = 0, prev_sent = 0;
        for (size_t i = 0; i < d.n; i++) {
            const struct tok *t = &d.v[i];
            int f = t->field;
            /* tokens are non-empty, in order, inside their field, on code point boundaries */
            if (t->start >= t->end || t->end > len[f] || (i != d.field_first[f] && t->start < prev_end)) abort();
            if ((i && t->sent < prev_sent) || t->sent >= d.n_sent) abort();
            /* a continuation byte starts a token only when it stands alone (invalid: U+FFFD) */
            if (((unsigned char)text[f][t->start] & 0xC0) == 0x80 && strncmp(tok_norm(&d, t), "\xef\xbf\xbd", 3) != 0)
                abort();
            if (strlen(tok_norm(&d, t)) != t->norm_len || tok_hash(tok_norm(&d, t), t->norm_len) != t->hash) abort();
            if ((unsigned char)tok_norm(&d, t)[0] != t->first) abort();
            /* a sentence's bounds hold its tokens; it starts where its first token says so */
            if (d.sent_first[t->sent] > i || d.sent_end[t->sent] <= i ||
                (d.sent_first[t->sent] == i) != (i == 0 || (t->flags & TOK_F_SENT_START) != 0))
                abort();
            prev_end = t->end;
            prev_sent = t->sent;
        }
    }
    tok_doc_free(&d);
    return 0;
}
