/* fuzz_tpat.c -- libFuzzer target: token-pattern packs (YAML -> lexicons, macros, patterns), then a match over fixed sentences. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/tpat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tpat_pack *p = NULL;
    tpat_diag d = {0};
    int rc = tpat_load_buf(&p, "fuzz.yml", (const char *)data, size, &d);
    if ((rc == 0) != (p != NULL) || (rc != 0 && d.n == 0)) abort(); /* a failed load always says why */
    for (size_t i = 0; i < d.n; i++)
        if (strncmp(d.v[i], "fuzz.yml:", 9) != 0) abort();
    tpat_diag_free(&d);
    if (!p) return 0;
    static const char *const text[2] = {
        "ACME CORP TO BUY FOO HOLDINGS LTD FOR $2BN",
        "Acme Inc. agreed to buy chipmaker Nscale, a start-up, for \xe2\x82\xac" "1.2 billion. $TSLA and <ACME> "
        "rose. Mr. Smith said the U.S. unit's stake in Bar AG was sold to Baz plc in talks."};
    tok_doc doc;
    tok_doc_init(&doc);
    size_t len[2] = {strlen(text[0]), strlen(text[1])};
    tpat_result r;
    tpat_result_init(&r);
    r.max_steps = 1u << 20;
    if (tok_run(&doc, text, len) == 0 && tpat_match(p, &doc, text, NULL, 0, &r) == 0) {
        for (size_t i = 0; i < r.n_hits; i++) {
            const struct tpat_hit *h = &r.hits[i];
            if (h->rule >= tpat_size(p) || h->tok_start >= h->tok_end || h->tok_end > doc.n ||
                h->end > len[h->field] || h->slot + h->n_slots > r.n_slots)
                abort();
        }
    }
    tpat_result_free(&r);
    tok_doc_free(&doc);
    tpat_destroy(p);
    return 0;
}
