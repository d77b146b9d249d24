/* fuzz_tpat.c -- libFuzzer target: token-pattern packs (YAML -> lexicons, macros, patterns), then a match over fixed sentences, by the pack's own look-ups and by a host vocabulary's ids (the same hits). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/tpat.h"

/* The host's path (a vocabulary shared by packs, ids looked up once per article) must give the
 * hits the pack's own look-ups give. A second pack in the vocabulary first, so that ids differ. */
static void same_by_vocab(tpat_pack *p, const tok_doc *doc, const char *const text[2], const tpat_result *r,
                          tpat_result *rv)
{
    static const char other[] = "pack: other\nrules:\n  - id: o.x\n    comment: c\n    pattern: 'zebra quagga the of'\n";
    tpat_vocab *v = NULL;
    tpat_pack *o = NULL;
    tpat_diag d = {0};
    tpat_ids ids = {0};
    if (tpat_vocab_create(&v) || tpat_load_buf(&o, "other.yml", other, sizeof other - 1, &d) || tpat_vocab_add(v, o) ||
        tpat_vocab_add(v, p) || tpat_vocab_ids(v, doc, &ids))
        abort(); /* only out of memory could fail these */
    if (tpat_match_ids(p, doc, &ids, text, NULL, 0, rv) == 0) {
        if (rv->n_hits != r->n_hits || rv->n_slots != r->n_slots || rv->n_limited != r->n_limited) abort();
        for (size_t i = 0; i < r->n_hits; i++) {
            const struct tpat_hit *a = &r->hits[i], *b = &rv->hits[i];
            if (a->rule != b->rule || a->tok_start != b->tok_start || a->tok_end != b->tok_end || a->end != b->end ||
                a->slot != b->slot || a->n_slots != b->n_slots)
                abort();
        }
        for (size_t i = 0; i < r->n_slots; i++)
            if (r->slots[i].role != rv->slots[i].role || r->slots[i].company != rv->slots[i].company) abort();
    }
    tpat_ids_free(&ids);
    tpat_diag_free(&d);
    tpat_destroy(o);
    tpat_vocab_destroy(v);
}

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
    tpat_result r, rv;
    tpat_result_init(&r);
    tpat_result_init(&rv);
    r.max_steps = rv.max_steps = 1u << 20;
    if (tok_run(&doc, text, len) == 0 && tpat_match(p, &doc, text, NULL, 0, &r) == 0) {
        for (size_t i = 0; i < r.n_hits; i++) {
            const struct tpat_hit *h = &r.hits[i];
            if (h->rule >= tpat_size(p) || h->tok_start >= h->tok_end || h->tok_end > doc.n ||
                h->end > len[h->field] || h->slot + h->n_slots > r.n_slots)
                abort();
        }
        same_by_vocab(p, &doc, text, &r, &rv);
    }
    tpat_result_free(&r);
    tpat_result_free(&rv);
    tok_doc_free(&doc);
    tpat_destroy(p);
    return 0;
}
