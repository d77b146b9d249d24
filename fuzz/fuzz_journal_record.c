/* fuzz_journal_record.c -- libFuzzer target: a journal record read back at start-up (key, squawk-seq and squawk-topic headers, alert value). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sinks/zjournal.h"

/* Input: key \n seq header \n topic header \n value; a missing part is absent. */
static const uint8_t *part(const uint8_t **p, const uint8_t *end, size_t *n)
{
    if (*p > end) {
        *n = 0;
        return NULL;
    }
    const uint8_t *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
    *n = (size_t)((nl ? nl : end) - s);
    *p = nl ? nl + 1 : end + 1;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    size_t kl, sl, tl;
    const uint8_t *k = part(&p, end, &kl), *s = part(&p, end, &sl), *t = part(&p, end, &tl);
    const uint8_t *v = p <= end ? p : NULL;
    size_t vl = v ? (size_t)(end - v) : 0;
    uint64_t seq = 0, tseq = 0;
    char why[128] = "";
    int rc = zjournal_decode("pub-1", k, kl, s, sl, t, tl, v, vl, &seq, &tseq, why, sizeof why);
    if (rc == 0 && (seq == 0 || kl != 5 || tl == 0)) abort(); /* accepted means sane */
    if (rc < 0 && !why[0]) abort();                           /* every refusal says why */
    if (rc > 0) abort();
    return 0;
}
