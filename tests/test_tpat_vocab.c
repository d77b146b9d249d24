/* test_tpat_vocab.c -- the host vocabulary of token-pattern packs: one id per word for all packs, the same matches as each pack's own lookups. */
#include "tests/assert.h"

#include "core/error.h"
#include "filters/tpat.h"

/* Two packs that share some words ("buy", "stake", "inc") and not others. */
static const char *const PACK_A =
    "pack: a\n"
    "roles: [buyer, target]\n"
    "companies: {suffixes: sfx}\n"
    "lexicons:\n"
    "  sfx: [Inc, Corp, Ltd]\n"
    "  buy_verb: [buy, buys, acquire]\n"
    "rules:\n"
    "  - id: a.buy\n    comment: c\n    pattern: '{COMPANY:buyer} <buy_verb> {COMPANY:target}'\n"
    "  - id: a.stake\n    comment: c\n    pattern: 'stake in {COMPANY:target}'\n"
    "  - id: a.announced\n    comment: c\n    pattern: 'announced deal'\n    word_parts: true\n";

static const char *const PACK_B =
    "pack: b\n"
    "roles: [seller]\n"
    "companies: {suffixes: sfx}\n"
    "lexicons:\n"
    "  sfx: [Inc, Plc]\n"
    "rules:\n"
    "  - id: b.sell\n    comment: c\n    pattern: '{COMPANY:seller} sells ...{0,2} stake'\n"
    "  - id: b.probe\n    comment: c\n    pattern: 'antitrust probe'\n"
    "  - id: b.buy\n    comment: c\n    pattern: 'to buy'\n";

static tpat_pack *load(const char *name, const char *text)
{
    tpat_pack *p = NULL;
    tpat_diag d = {0};
    if (tpat_load_buf(&p, name, text, strlen(text), &d)) SQ_FAIL_("%s", d.n ? d.v[0] : "load failed");
    tpat_diag_free(&d);
    return p;
}

/* The hits of one match as "id[from-to]{slots}", "; "-separated. */
static void render(const tpat_pack *p, const tpat_result *r, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n_hits && o < cap; i++) {
        const struct tpat_hit *x = &r->hits[i];
        o += (size_t)snprintf(out + o, cap - o, "%s%s[%u-%u]{", i ? "; " : "", tpat_rule_at(p, x->rule)->id,
                              x->tok_start, x->tok_end);
        for (uint32_t k = 0; k < x->n_slots && o < cap; k++) {
            const struct tpat_company *c = &r->companies[r->slots[x->slot + k].company];
            o += (size_t)snprintf(out + o, cap - o, "%u-%u,", c->tok_start, c->tok_end);
        }
        if (o < cap) o += (size_t)snprintf(out + o, cap - o, "}");
    }
}

/* Matches the article with the pack's own lookups and with ids; both renderings must agree. Returns the first. */
static const char *both(const tpat_pack *p, const tok_doc *d, const tpat_ids *ids, const char *const text[2])
{
    static char own[2048];
    char shared[2048];
    tpat_result r;
    tpat_result_init(&r);
    ASSERT_EQ(tpat_match(p, d, text, NULL, 0, &r), 0);
    render(p, &r, own, sizeof own);
    ASSERT_EQ(tpat_match_ids(p, d, ids, text, NULL, 0, &r), 0);
    render(p, &r, shared, sizeof shared);
    tpat_result_free(&r);
    ASSERT_STR_EQ(shared, own);
    return own;
}

static void tokenise(tok_doc *d, const char *const text[2])
{
    size_t len[2] = {strlen(text[0]), strlen(text[1])};
    ASSERT_EQ(tok_run(d, text, len), 0);
}

static void test_ids(void)
{
    tpat_pack *a = load("a.yml", PACK_A), *b = load("b.yml", PACK_B);
    tpat_vocab *v;
    ASSERT_EQ(tpat_vocab_create(&v), 0);
    ASSERT_EQ(tpat_vocab_add(v, a), 0);
    size_t na = tpat_vocab_size(v);
    ASSERT_GT(na, 0);
    ASSERT_EQ(tpat_vocab_add(v, b), 0);
    size_t nab = tpat_vocab_size(v);
    ASSERT_GT(nab, na);                /* b brings words a lacks ("sells", "antitrust") */
    ASSERT_EQ(tpat_vocab_add(v, a), 0); /* again: no new word, a's map is rebuilt */
    ASSERT_EQ(tpat_vocab_size(v), nab);

    tok_doc d;
    tok_doc_init(&d);
    const char *text[2] = {"Zebra stake", "Foo Inc. sells stake. Bar-stake"};
    tokenise(&d, text);
    tpat_ids ids = {0};
    ASSERT_EQ(tpat_vocab_ids(v, &d, &ids), 0);
    ASSERT_EQ(ids.n, d.n);
    ASSERT_EQ(ids.word[0], -1); /* "zebra": no pack's word */
    ASSERT(ids.word[1] >= 0);   /* "stake": both packs' */
    ASSERT_EQ(ids.word[3], -1); /* "inc.": only its form without the period is a word */
    ASSERT(ids.abbr[3] >= 0);
    ASSERT_EQ(ids.abbr[1], -1); /* not an abbreviation */
    ASSERT_EQ(ids.tail[1], -1); /* not hyphenated */
    ASSERT_EQ(ids.word[ids.n - 1], -1);
    ASSERT_EQ(ids.tail[ids.n - 1], ids.word[1]); /* "bar-stake" ends in "stake" */
    tpat_ids_free(&ids);
    tok_doc_free(&d);
    tpat_vocab_destroy(v);
    tpat_destroy(a);
    tpat_destroy(b);
}

static void test_same_matches(void)
{
    tpat_pack *a = load("a.yml", PACK_A), *b = load("b.yml", PACK_B);
    tpat_vocab *v, *other;
    ASSERT_EQ(tpat_vocab_create(&v), 0);
    ASSERT_EQ(tpat_vocab_create(&other), 0);
    ASSERT_EQ(tpat_vocab_add(v, a), 0);
    ASSERT_EQ(tpat_vocab_add(v, b), 0);
    ASSERT_EQ(tpat_vocab_add(other, b), 0); /* b now maps from other: ids of v are ignored for it */
    const char *cases[][3] = {
        {"Acme Corp buys Widget Ltd", "", "a.buy[0-5]{0-2,3-5,}"},
        {"", "Acme Inc. buys Widget Ltd. after the previously-announced deal.", "a.buy[0-5]{0-2,3-5,}; a.announced[7-9]{}"},
        {"", "Gizmo Plc sells its 20% stake.", ""}, /* b's words: no rule of a */
        {"Antitrust probe of Acme Corp", "Zebra Corp stake in Acme Corp.", "a.stake[7-11]{9-11,}"},
    };
    tpat_ids ids = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tok_doc d;
        tok_doc_init(&d);
        const char *text[2] = {cases[i][0], cases[i][1]};
        tokenise(&d, text);
        ASSERT_EQ(tpat_vocab_ids(v, &d, &ids), 0);
        ASSERT_STR_EQ(both(a, &d, &ids, text), cases[i][2]);
        both(b, &d, &ids, text);
        both(a, &d, NULL, text);
        tok_doc_free(&d);
    }
    /* b's own words through other's ids: "sells ... stake" and "antitrust probe" */
    tok_doc d;
    tok_doc_init(&d);
    const char *text[2] = {"Gizmo Plc sells stake", "Regulators opened an antitrust probe."};
    tokenise(&d, text);
    ASSERT_EQ(tpat_vocab_ids(other, &d, &ids), 0);
    ASSERT_STR_EQ(both(b, &d, &ids, text), "b.sell[0-4]{0-2,}; b.probe[7-9]{}");
    tok_doc_free(&d);
    tpat_ids_free(&ids);
    tpat_vocab_destroy(v);
    tpat_vocab_destroy(other);
    tpat_destroy(a);
    tpat_destroy(b);
}

int main(void)
{
    test_ids();
    test_same_matches();
    printf("test_tpat_vocab: ok\n");
    return 0;
}
