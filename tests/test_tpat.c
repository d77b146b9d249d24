/* test_tpat.c -- token-pattern packs: every load error kind, and matching (optional tokens, gaps, alternatives, scope, slots). */
#include "tests/assert.h"

#include "core/error.h"
#include "filters/tpat.h"

static const char *const HEAD =
    "pack: t\n"
    "roles: [investor, target, supplier]\n"
    "companies: {suffixes: corp_suffix, descriptors: company_descriptor}\n"
    "lexicons:\n"
    "  corp_suffix: [Inc, Inc., Corp, Corp., Ltd, plc, AG, Holdings]\n"
    "  company_descriptor: [start-up, startup, chipmaker, maker, rival]\n"
    "  invest_verb: ['invest{s,ed,ing,}', 'pour{s,ed} money into']\n"
    "  talks_cue: [in talks to, mulls, 'considering']\n"
    "  currency: [$, US$, \xe2\x82\xac, \xc2\xa3]\n"
    "  scale: [bn, billion, m, mn, million]\n"
    "  acquire_verb: ['acquir{e,es,ed}', buy, buys, bought]\n"
    "  goods: [jets, wheat, oil]\n"
    "macros:\n"
    "  money: '#cur #num <scale>?'\n";

/* Loads HEAD + rules; returns the pack or NULL with the first problem in err. */
static tpat_pack *load(const char *rules, char *err, size_t errlen)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "%srules:\n%s", HEAD, rules);
    tpat_pack *p = NULL;
    tpat_diag d = {0};
    int rc = tpat_load_buf(&p, "t.yml", buf, strlen(buf), &d);
    snprintf(err, errlen, "%s", d.n ? d.v[0] : "");
    if (rc == 0) ASSERT_EQ(d.n, 0);
    else ASSERT_GT(d.n, 0);
    tpat_diag_free(&d);
    return p;
}

/* The rule must fail to load with a message "t.yml:LINE: ...WHAT..." */
static void expect_error(const char *rules, int line, const char *what)
{
    char err[600];
    tpat_pack *p = load(rules, err, sizeof err);
    if (p) SQ_FAIL_("expected an error '%s' for:\n%s", what, rules);
    char want[32];
    snprintf(want, sizeof want, "t.yml:%d: ", line);
    if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, what))
        SQ_FAIL_("for:\n%s\nwanted %s...%s, got: %s", rules, want, what, err);
}

#define R(id, pat) "  - id: " id "\n    comment: c\n    pattern: '" pat "'\n"

/* One rule more than a pack may hold (the matcher keeps a rule id in 16 bits): refused up front,
 * naming the rules: line, before any rule is compiled. */
static void test_too_many_rules(void)
{
    size_t cap = strlen(HEAD) + 16 + (size_t)(TPAT_MAX_RULES + 1) * 48, n = 0;
    char *buf = malloc(cap);
    ASSERT(buf != NULL);
    n += (size_t)snprintf(buf + n, cap - n, "%srules:\n", HEAD);
    for (int i = 0; i <= TPAT_MAX_RULES; i++)
        n += (size_t)snprintf(buf + n, cap - n, "  - {id: r%d, comment: c, pattern: x}\n", i);
    tpat_pack *p = NULL;
    tpat_diag d = {0};
    ASSERT(tpat_load_buf(&p, "t.yml", buf, n, &d) != 0);
    ASSERT(p == NULL);
    ASSERT_GT(d.n, 0);
    if (!strstr(d.v[0], "t.yml:16: rules: a pack holds at most 65535 rules")) SQ_FAIL_("got: %s", d.v[0]);
    tpat_diag_free(&d);
    free(buf);
}

static void test_load_errors(void)
{
    const int L0 = 15; /* HEAD has 14 lines, then "rules:" */
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    tag: veto\n", L0 + 4, "unknown key 'tag' in a");
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    wieght: 2\n", L0 + 4, "unknown key 'wieght'");
    expect_error(R("a", "<nope> x"), L0 + 1, "undefined lexicon <nope>");
    expect_error(R("a", "@nope"), L0 + 1, "undefined macro @nope");
    expect_error(R("a", "{COMPANY} <invest_verb>"), L0 + 1, "company slot without a role");
    expect_error(R("a", "{COMPANY:buyer} <invest_verb>"), L0 + 1, "role 'buyer' is not declared");
    expect_error(R("a", "{PERSON:investor} <invest_verb>"), L0 + 1, "unknown slot type {PERSON:investor}");
    /* patterns that can never match */
    expect_error(R("a", "take-over,bid"), L0 + 1, "is not one token for the tokeniser");
    expect_error(R("a", "buy !#any"), L0 + 1, "can never match");
    expect_error(R("a", "buy ^ x"), L0 + 1, "'^' after a token can never match");
    expect_error(R("a", "buy $ x"), L0 + 1, "a token after '$' can never match");
    expect_error(R("a", "x?"), L0 + 1, "can match no token at all");
    expect_error(R("a", "x{3,1}"), L0 + 1, "bad repeat");
    expect_error(R("a", "x{0}"), L0 + 1, "bad repeat");
    /* a rule's program is at most 20,000 instructions: its jumps are 16-bit (struct tpat_inst) */
    expect_error(R("a", "( ( ( a ...{0,9} b ){1,9} ){1,9} ){1,20}"), L0 + 1, "compiles to more than 20000 steps");
    /* stacked quantifiers: glibc's regcomp takes gigabytes for "{3,}" and sixty "+" (found by fuzz_tpat) */
    expect_error(R("a", "~[0-9]{3,}++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++"), L0 + 1, "a quantifier right after another");
    expect_error(R("a", "~ab+?"), L0 + 1, "a quantifier right after another");
    expect_error(R("a", "~a*{2}"), L0 + 1, "a quantifier right after another");
    expect_error(R("a", "~(((((a)+)+)+)+)+"), L0 + 1, "nested more than 4 deep");
    /* a "[" inside a bracket is a literal, and the bracket still ends at the next "]" (fuzz_tpat) */
    expect_error(R("a", "~0(a3[0-[]8++++++++"), L0 + 1, "a quantifier right after another");
    expect_error(R("a", "~a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q+"), L0 + 1, "more than 16 quantifiers");
    /* bounded repeats: each number at most 50 (the upper one too), one {} per regex */
    expect_error(R("a", "~x{1,100}"), L0 + 1, "repeats at most {50}, one {} per regex");
    expect_error(R("a", "~x{2}y{3}"), L0 + 1, "repeats at most {50}, one {} per regex");
    {   /* one quantifier each, escaped ones and quantifier characters inside brackets load */
        char err[600];
        tpat_pack *p = load(R("a", "~[0-9]{3}x+ ~a\\++ ~[+*?]+ ~(ab)+c? ~((((a)+)+)+)+ ~[]+]+ ~[^]*]* ~[[:alpha:]+]+ ~[{]x{2,50}"), err, sizeof err);
        if (!p) SQ_FAIL_("single quantifiers refused: %s", err);
        tpat_destroy(p);
    }
    expect_error(R("a", "(x | y"), L0 + 1, "'(' without ')'");
    expect_error(R("a", "x )"), L0 + 1, "')' without '('");
    expect_error(R("a", "#nope x"), L0 + 1, "unknown token class #nope");
    expect_error(R("a", "!<invest_verb>"), L0 + 1, "'!' applies to one token test");
    expect_error(R("a", "buy ~a3[0-8"), L0 + 1, "rule a: ~a3[0-8: ");
    /* typed fields */
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    field: title\n", L0 + 4, "field: 'title' is not one of any, headline, body");
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    requires: sectors\n", L0 + 4, "requires: 'sectors' is not one of");
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    weight: heavy\n", L0 + 4, "weight must be a number");
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    veto: maybe\n", L0 + 4, "veto: expected true or false");
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    veto: true\n    unveto: true\n", L0 + 1, "exclude each other");
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    roles: {maker: AMZN}\n", L0 + 4, "role 'maker' is not declared");
    /* caps_body: a factor below 1, on a headline rule that is negative or a veto */
    const char *ch = "  - id: a\n    comment: c\n    pattern: x\n    field: headline\n    weight: -2\n";
    char cb[256];
    const char *bad[] = {"caps_body: 1", "caps_body: -0.5", "caps_body: half", "caps_body: 1e999"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        snprintf(cb, sizeof cb, "%s    %s\n", ch, bad[k]);
        expect_error(cb, L0 + 6, "caps_body must be a number from 0 to below 1");
    }
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    weight: -2\n    caps_body: 0.5\n", L0 + 5,
                 "caps_body needs field: headline");
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    field: headline\n    weight: 2\n    caps_body: 0.5\n",
                 L0 + 6, "caps_body is for a negative or veto rule");
    snprintf(cb, sizeof cb, "%s    caps_body: 0.25\n%s", ch, R("b", "y"));
    tpat_pack *cp = load(cb, cb, sizeof cb);
    ASSERT(cp != NULL);
    ASSERT_DBL_NEAR(tpat_rule_at(cp, 0)->caps_body, 0.25, 1e-12);
    ASSERT_DBL_NEAR(tpat_rule_at(cp, 1)->caps_body, 1.0, 1e-12); /* none: the body counts in full */
    tpat_destroy(cp);
    /* lifts: on an unveto, naming veto rules of the pack (checked once every rule is read) */
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    lifts: [b]\n", L0 + 4, "lifts is for an unveto rule");
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    unveto: true\n    lifts: [nope]\n", L0 + 5,
                 "lifts names nope, no rule of this pack");
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    unveto: true\n    lifts: [b]\n" R("b", "y"), L0 + 5,
                 "lifts names b, which is not a veto");
    expect_error("  - id: a\n    comment: c\n    pattern: x\n    unveto: true\n    lifts: []\n", L0 + 5, "lifts names no veto");
    snprintf(cb, sizeof cb, "  - id: a\n    comment: c\n    pattern: x\n    unveto: true\n    lifts: [b]\n%s    veto: true\n",
             R("b", "y"));
    cp = load(cb, cb, sizeof cb);
    ASSERT(cp != NULL);
    ASSERT_EQ(tpat_rule_at(cp, 0)->n_lifts, 1);
    ASSERT_EQ(tpat_rule_at(cp, 0)->lifts[0], 1); /* b's index */
    ASSERT_EQ(tpat_rule_at(cp, 1)->n_lifts, 0); /* none: every veto it overlaps */
    tpat_destroy(cp);
    expect_error("  - id: a\n    pattern: x\n", L0 + 1, "'comment' is required");
    expect_error("  - id: a\n    comment: \"two\\nlines\"\n    pattern: x\n", L0 + 2, "must be one line");
    expect_error(R("a", "x") R("a", "y"), L0 + 4, "id already used on line 16");
    /* an error in a later rule is still found after an earlier one */
    tpat_diag d = {0};
    tpat_pack *p;
    char buf[8192];
    snprintf(buf, sizeof buf, "%srules:\n%s%s", HEAD, R("a", "<nope>"), R("b", "{COMPANY}"));
    ASSERT_EQ(tpat_load_buf(&p, "t.yml", buf, strlen(buf), &d), SQ_E_RULES);
    ASSERT_EQ(d.n, 2);
    ASSERT(strstr(d.v[1], "t.yml:19: rule b: company slot without a role"));
    tpat_diag_free(&d);
}

static void test_pack_errors(void)
{
    tpat_diag d = {0};
    tpat_pack *p;
    const char *cases[][2] = {
        {"pack: x\nrulez: []\n", "t.yml:2: unknown key 'rulez' in the pack"},
        {"roles: [a]\nmacros: {m: '@m x'}\nrules:\n" R("r", "@m"), "t.yml:2: rule r: macro @m uses itself"},
        {"lexicons:\n  a: ['<b>']\n  b: ['<a>']\nrules:\n" R("r", "<a>"), "lexicon 'a' includes itself"},
        {"lexicons:\n  a: []\nrules:\n" R("r", "<a> x"), "t.yml:2: lexicon 'a' has no words"},
        {"companies: {suffixes: nope}\nrules: []\n", "t.yml:1: companies: suffixes names undefined lexicon 'nope'"},
        {"rules:\n  - id: [x\n", "t.yml:"},
        {"rules: 3\n", "t.yml:1: rules: expected a list of rules"},
        /* {COMPANY[sector]:role}: the sectors a slot asks for are declared like roles */
        {"roles: [a]\nsectors: [chip]\nrules:\n" R("r", "{COMPANY[chp]:a} stake"),
         "t.yml:4: rule r: sector 'chp' is not declared in the pack's sectors:"},
        {"roles: [a]\nrules:\n" R("r", "{COMPANY[chip]:a} stake"), "sector 'chip' is not declared"},
        {"roles: [a]\nsectors: [chip]\nrules:\n" R("r", "{COMPANY[]:a} stake"), "t.yml:4: rule r: empty sector list"},
        /* {COMPANY[!chip]:role}: none of these sectors; the names are declared all the same */
        {"roles: [a]\nsectors: [chip]\nrules:\n" R("r", "{COMPANY[!]:a} stake"), "t.yml:4: rule r: empty sector list"},
        {"roles: [a]\nsectors: [chip]\nrules:\n" R("r", "{COMPANY[!chp]:a} stake"), "sector 'chp' is not declared"},
        {"roles: [a]\nsectors: [chip]\nrules:\n" R("r", "{COMPANY[chip:a} stake"), "unknown slot type"},
        {"roles: [a]\nsectors: chip\nrules: []\n", "t.yml:2: sectors: expected a list of names"},
        {"roles: [a]\nsectors: ['chip,memory']\nrules: []\n", "t.yml:2: sectors: each entry is a name (no commas)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ASSERT_NE(tpat_load_buf(&p, "t.yml", cases[i][0], strlen(cases[i][0]), &d), 0);
        ASSERT(p == NULL);
        ASSERT_GT(d.n, 0);
        int found = 0;
        for (size_t k = 0; k < d.n; k++) found |= strstr(d.v[k], cases[i][1]) != NULL;
        if (!found) SQ_FAIL_("case %zu: wanted '%s', first got '%s'", i, cases[i][1], d.v[0]);
        tpat_diag_free(&d);
    }
    ASSERT_EQ(tpat_load(&p, "/nonexistent/pack.yml", &d), SQ_E_IO);
    ASSERT(strstr(d.v[0], "/nonexistent/pack.yml:0: cannot open"));
    tpat_diag_free(&d);
}

/* A slot's sectors reach the rule as written; slots without one, and rules without any, have none;
 * a hit tells which slot each company filled (the host tests that slot's sectors). */
static void test_slot_sectors(void)
{
    const char *y = "roles: [investor, target]\nsectors: [chip, memory, foundry]\n"
                    "companies: {suffixes: corp_suffix}\nlexicons:\n  corp_suffix: [Inc, Holdings]\nrules:\n"
        R("s", "( {COMPANY:investor} ''s )? #cur #num bn {COMPANY[chip,memory]:target} stake")
        R("t", "{COMPANY:investor} buys {COMPANY:target}")
        R("u", "{COMPANY:investor} sells {COMPANY[!chip,foundry]:target}");
    tpat_pack *p = NULL;
    tpat_diag dg = {0};
    ASSERT_EQ(tpat_load_buf(&p, "t.yml", y, strlen(y), &dg), 0);
    const struct tpat_rule *s = tpat_rule_at(p, 0), *t = tpat_rule_at(p, 1);
    ASSERT_EQ(s->n_slots, 2);
    ASSERT(s->slot_sector != NULL);
    ASSERT(s->slot_sector[0] == NULL);
    ASSERT_STR_EQ(s->slot_sector[1], "chip,memory");
    ASSERT(t->slot_sector == NULL);
    ASSERT_STR_EQ(tpat_rule_at(p, 2)->slot_sector[1], "!chip,foundry"); /* the host reads the '!' */
    static const char h[] = "Orbit Inc's $5bn Initech Holdings stake";
    const char *text[2] = {h, ""};
    size_t len[2] = {sizeof h - 1, 0};
    tok_doc d;
    tok_doc_init(&d);
    ASSERT_EQ(tok_run(&d, text, len), 0);
    tpat_result r;
    tpat_result_init(&r);
    ASSERT_EQ(tpat_match(p, &d, text, NULL, 0, &r), 0);
    ASSERT_EQ(r.n_hits, 1);
    ASSERT_EQ(r.hits[0].n_slots, 2);
    for (uint32_t k = 0; k < 2; k++) { /* investor is the pattern's slot 0, target slot 1 */
        const struct tpat_slot *sl = &r.slots[r.hits[0].slot + k];
        ASSERT_STR_EQ(tpat_role_name(p, sl->role), k == sl->index ? (k ? "target" : "investor") : "?");
    }
    tpat_result_free(&r);
    tok_doc_free(&d);
    tpat_destroy(p);
}

/* Matches over headline h and body b; renders "id[text]{role=company,...}" per hit, "; "-separated. */
static const char *run_with(const tpat_pack *p, const char *h, const char *b, const struct squawk_mention *men,
                            size_t n_men, tpat_result *r)
{
    static char out[4096];
    tok_doc d;
    tok_doc_init(&d);
    const char *text[2] = {h, b};
    size_t len[2] = {strlen(h), strlen(b)};
    ASSERT_EQ(tok_run(&d, text, len), 0);
    ASSERT_EQ(tpat_match(p, &d, text, men, n_men, r), 0);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n_hits; i++) {
        const struct tpat_hit *x = &r->hits[i];
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s[%.*s]", i ? "; " : "", tpat_rule_at(p, x->rule)->id,
                              (int)(x->end - x->start), text[x->field] + x->start);
        for (uint32_t k = 0; k < x->n_slots; k++) {
            const struct tpat_slot *sl = &r->slots[x->slot + k];
            const struct tpat_company *c = &r->companies[sl->company];
            const struct tok *t0 = &d.v[c->tok_start], *t1 = &d.v[c->tok_end - 1];
            o += (size_t)snprintf(out + o, sizeof out - o, "%s%s=%.*s", k ? "," : "{", tpat_role_name(p, sl->role),
                                  (int)(t1->end - t0->start), text[t0->field] + t0->start);
        }
        if (x->n_slots) o += (size_t)snprintf(out + o, sizeof out - o, "}");
    }
    tok_doc_free(&d);
    return out;
}

static const char *run(const tpat_pack *p, const char *h, const char *b)
{
    tpat_result r;
    tpat_result_init(&r);
    const char *s = run_with(p, h, b, NULL, 0, &r);
    ASSERT_EQ(r.n_limited, 0);
    tpat_result_free(&r);
    return s;
}

/* A slot inside a repeat takes one company per pass: every company of a list fills it, in reading order,
 * not only the last (a background mark over "customers A, B and C" marks all three). */
static void test_slot_list(void)
{
    char err[600];
    tpat_pack *p = load(R("list", "customers {COMPANY:investor} ( ( , | and ) {COMPANY:investor} )*"), err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    ASSERT_STR_EQ(run(p, "", "Its customers Acme Corp, Foo Holdings Ltd and Bar Inc rose."),
                  "list[customers Acme Corp, Foo Holdings Ltd and Bar Inc]"
                  "{investor=Acme Corp,investor=Foo Holdings Ltd,investor=Bar Inc}");
    /* a pass that fails gives its capture back: the list ends at the last company read */
    ASSERT_STR_EQ(run(p, "", "Its customers Acme Corp and the rest rose."), "list[customers Acme Corp]{investor=Acme Corp}");
    tpat_destroy(p);
}

static void test_match_basic(void)
{
    char err[600];
    tpat_pack *p = load(R("inv", "{COMPANY:investor} <talks_cue>? <invest_verb> @money? ...{0,3} in {COMPANY:target}")
                        R("acq", "{COMPANY:investor} ( to | will | agreed to ) <acquire_verb> {COMPANY:target}")
                        R("desc", "<company_descriptor> {COMPANY:target}")
                        R("goods", "<acquire_verb> ...{0,2} <goods>"),
                        err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    ASSERT_EQ(tpat_size(p), 4);
    ASSERT_STR_EQ(tpat_name(p), "t");
    /* optional cue absent and present; the @money macro; a bounded gap */
    ASSERT_STR_EQ(run(p, "", "Acme Corp invests $10bn in Foo Holdings Ltd."),
                  "inv[Acme Corp invests $10bn in Foo Holdings Ltd.]{investor=Acme Corp,target=Foo Holdings Ltd.}");
    ASSERT_STR_EQ(run(p, "", "Acme Corp in talks to invest \xe2\x82\xac" "2 billion over two years in $FOO."),
                  "inv[Acme Corp in talks to invest \xe2\x82\xac" "2 billion over two years in $FOO]"
                  "{investor=Acme Corp,target=$FOO}");
    /* the gap is bounded: four words between the amount and "in" are too many */
    ASSERT_STR_EQ(run(p, "", "Acme Corp invests $10bn over the next five years in Foo Ltd."), "");
    /* alternatives; a phrase in a lexicon ("pours money into") is a sequence of tokens */
    ASSERT_STR_EQ(run(p, "", "Acme Inc. agreed to buy Bar AG, people said."),
                  "acq[Acme Inc. agreed to buy Bar AG]{investor=Acme Inc.,target=Bar AG}");
    ASSERT_STR_EQ(run(p, "", "<ACME> will acquire <BARC.L>"), "acq[<ACME> will acquire <BARC.L>]{investor=<ACME>,target=<BARC.L>}");
    /* descriptors name a company the gazetteer lacks */
    ASSERT_STR_EQ(run(p, "", "The French AI start-up Mistral AI raised money."), "desc[start-up Mistral AI]{target=Mistral AI}");
    ASSERT_STR_EQ(run(p, "", "Delta bought 40 new jets and some wheat."), "goods[bought 40 new jets]");
    tpat_destroy(p);
}

static void test_match_scope(void)
{
    char err[600];
    tpat_pack *p = load(R("sent", "<acquire_verb> ... {COMPANY:target}")
                        "  - id: field\n    comment: c\n    pattern: 'stake ... {COMPANY:target}'\n    scope: field\n"
                        "  - id: head\n    comment: c\n    pattern: 'sells'\n    field: headline\n"
                        "  - id: veto\n    comment: c\n    pattern: 'breach'\n    span: sentence\n    veto: true\n"
                        R("anch", "^ why") R("end", "to buy $") R("exact", "=Apple") R("neg", "buys !<goods>")
                        R("shape", "<acquire_verb> #num? ~(a3[0-8][0-9]|7[0-8]7)[a-z0-9-]*s?"),
                        err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    /* sentence scope: the gap never crosses a full stop; field scope does */
    ASSERT_STR_EQ(run(p, "", "They acquired it. Later Acme Corp took a stake. Foo Ltd said."),
                  "field[stake. Foo Ltd]{target=Foo Ltd}");
    ASSERT_STR_EQ(run(p, "", "They will buy, after a long wait, Foo Ltd."), "sent[buy, after a long wait, Foo Ltd.]{target=Foo Ltd.}");
    /* headline only */
    ASSERT_STR_EQ(run(p, "Acme sells unit", "Acme sells unit"), "head[sells]");
    ASSERT(run(p, "Acme sells unit", "")[0]);
    /* a veto spanning to the end of its sentence */
    ASSERT_STR_EQ(run(p, "", "A breach of the merger deal, it said. Then more."), "veto[breach of the merger deal, it said.]");
    /* anchors: sentence start (after an opening quote) and end (before the full stop) */
    ASSERT_STR_EQ(run(p, "\"Why Acme?\" Is it time to buy?", ""), "anch[Why]; end[to buy]");
    ASSERT_STR_EQ(run(p, "", "We asked why. Time to buy now."), "");
    /* exact case, negation */
    ASSERT_STR_EQ(run(p, "", "Apple pie, an apple, APPLE"), "exact[Apple]");
    ASSERT_STR_EQ(run(p, "", "buys jets, buys shares"), "neg[buys shares]");
    /* a word shape: plane models a lexicon cannot list */
    ASSERT_STR_EQ(run(p, "", "It bought 20 A321neos and acquired 787s, not A400 units."), "shape[bought 20 A321neos]; shape[acquired 787s]");
    tpat_destroy(p);
}

static void test_match_companies(void)
{
    char err[600];
    tpat_pack *p = load(R("acq", "{COMPANY:investor} <acquire_verb> {COMPANY:target}"), err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    /* gazetteer mentions fill slots and win over names found by form; ambiguous ones read as common nouns do not */
    const char *body = "Bigco buys Acme Widgets Inc";
    struct squawk_mention men[] = {{.entity = 7, .field = 1, .start = 0, .end = 5, .confirmed = 1},
                                   {.entity = 9, .field = 1, .start = 11, .end = 15, .confirmed = 1}};
    tpat_result r;
    tpat_result_init(&r);
    ASSERT_STR_EQ(run_with(p, "", body, men, 2, &r), "acq[Bigco buys Acme]{investor=Bigco,target=Acme}");
    ASSERT_EQ(r.n_companies, 2);
    ASSERT_EQ(r.companies[0].entity, 7);
    ASSERT_EQ(r.companies[0].source, TPAT_SRC_GAZETTEER);
    men[0].confirmed = 0;
    men[0].ambiguous = 2;
    ASSERT_STR_EQ(run_with(p, "", body, men, 2, &r), "");
    /* without the gazetteer: suffix form; a word the pack uses as a cue ends a name (ALL-CAPS headlines) */
    ASSERT_STR_EQ(run_with(p, "ACME CORP BUYS FOO HOLDINGS LTD", "", NULL, 0, &r),
                  "acq[ACME CORP BUYS FOO HOLDINGS LTD]{investor=ACME CORP,target=FOO HOLDINGS LTD}");
    ASSERT_EQ(r.companies[1].source, TPAT_SRC_SUFFIX);
    ASSERT_STR_EQ(run_with(p, "", "$TSLA buys $XYZ", NULL, 0, &r), "acq[$TSLA buys $XYZ]{investor=$TSLA,target=$XYZ}");
    ASSERT_EQ(r.companies[0].source, TPAT_SRC_CASHTAG);
    /* in body text a capitalised word the pack also lists stays part of a name */
    ASSERT_STR_EQ(run_with(p, "", "Buys Capital Partners Ltd buys Foo AG", NULL, 0, &r),
                  "acq[Buys Capital Partners Ltd buys Foo AG]{investor=Buys Capital Partners Ltd,target=Foo AG}");
    /* "The" and lower-case words are no part of a name */
    ASSERT_STR_EQ(run_with(p, "", "The Acme Corp buys the Foo Ltd unit", NULL, 0, &r), "");
    tpat_result_free(&r);
    tpat_destroy(p);
}

/* Companies the gazetteer lacks, by their form and context: compounds, units, short forms. */
/* A top-level alternation whose branches share a word at different places: every branch
 * is tried where the pattern's first words occur. */
static void test_match_alternation_anchor(void)
{
    char err[600];
    tpat_pack *p = load(R("alt", "( deal | merger ) talks | talks ( to | about ) <acquire_verb>"), err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    ASSERT_STR_EQ(run(p, "", "Acme is in talks to buy Foo."), "alt[talks to buy]");
    ASSERT_STR_EQ(run(p, "", "Merger talks stall."), "alt[Merger talks]");
    tpat_destroy(p);
}

/* Gaps count words as written; a hyphenated word's last part is a word with word_parts;
 * rules anchored on a class, a ~regex or behind an optional company are still found. */
static void test_match_words_as_written(void)
{
    char err[600];
    tpat_pack *p = load(R("gap", "raised ...{0,2} in funding")
                        "  - id: tail\n    comment: c\n    pattern: 'announced ( purchase | sale )'\n    word_parts: true\n"
                        R("whole", "dollar sale")
                        R("cls", "#num percent stake | stake of #num percent")
                        R("rx", "~divest(s|ed|ing)? ( of )? #any")
                        R("lead", "{COMPANY:target}? backed by | {COMPANY:investor}? <invest_verb> in"),
                        err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    /* "$4.8 million" is two words as written, four tokens */
    ASSERT_STR_EQ(run(p, "", "It raised $4.8 million in funding."), "gap[raised $4.8 million in funding]");
    ASSERT_STR_EQ(run(p, "", "It raised about $4.8 million in funding."), "");
    ASSERT_STR_EQ(run(p, "", "The previously-announced purchase closed."), "tail[previously-announced purchase]");
    ASSERT_STR_EQ(run(p, "", "A multibillion-dollar sale, a dollar sale."), "whole[dollar sale]");
    ASSERT_STR_EQ(run(p, "", "Acme holds a 12 percent stake."), "cls[12 percent stake]");
    ASSERT_STR_EQ(run(p, "", "Acme divested its unit; Acme divests."), "rx[divested its]; rx[divests.]");
    ASSERT_STR_EQ(run(p, "", "Foo Ltd backed by Acme Corp said Bar AG invested in it."),
                  "lead[Foo Ltd backed by]{target=Foo Ltd}; lead[Bar AG invested in]{investor=Bar AG}");
    tpat_destroy(p);
}

/* What makes matching fast must not change what matches: adjacent one-word alternatives are one
 * set test (still first to last, and '!' before them is still an error), a group's own anchor
 * ("rival" in "( its | the ) rival"), and a ~regex's first bytes and required literal. */
static void test_match_fast_paths(void)
{
    char err[600];
    tpat_pack *p = load(R("bg", "( its | the | a ) ( closest | main )? ( rival | rivals )")
                        R("set", "( deal | merger | <goods> | buy ) ( talks | sale )")
                        R("rx", "~[a-z]+-term loan | ~(i|we|you).* bought | ~[0-9]{1,3} pct | ~[0-9][0-9.,]*p drop"),
                        err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    ASSERT_STR_EQ(run(p, "", "Its main rival and the rivals."), "bg[Its main rival]; bg[the rivals]");
    ASSERT_STR_EQ(run(p, "", "Merger talks, wheat sale, buy talks, sale talks."),
                  "set[Merger talks]; set[wheat sale]; set[buy talks]");
    ASSERT_STR_EQ(run(p, "", "A short-term loan; a long term loan."), "rx[short-term loan]");
    ASSERT_STR_EQ(run(p, "", "We bought it. They bought it. You bought it."), "rx[We bought]; rx[You bought]");
    ASSERT_STR_EQ(run(p, "", "Up 12 pct, not 1234 pct; a 20p drop."), "rx[12 pct]; rx[20p drop]");
    tpat_destroy(p);
    p = load(R("neg", "!( buy | bought ) shares"), err, sizeof err);
    if (p || !strstr(err, "'!' applies to one token test")) SQ_FAIL_("expected the '!' error, got: %s", err);
    tpat_destroy(p);
}

/* The prefilter (tpat_req.c) skips a rule in a scope lacking a word set every match needs; it
 * must never skip one that can match: lexicon phrases, alternatives, word parts, companies, fields. */
static void test_match_prefilter(void)
{
    char err[600];
    tpat_pack *p = load(R("gap", "<acquire_verb> ...{0,3} <goods>")
                        R("phrase", "<invest_verb> ...{0,2} in {COMPANY:target}")
                        R("alt", "( merger | takeover ) ( talks | bid ) ...{0,2} ( ended | collapsed )")
                        "  - id: part\n    comment: c\n    pattern: 'announced deal'\n    word_parts: true\n"
                        "  - id: field\n    comment: c\n    pattern: 'stake ... {COMPANY:target}'\n    scope: field\n",
                        err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    /* the needed word in another sentence: no match; in the same one: a match */
    ASSERT_STR_EQ(run(p, "", "Delta bought planes. It sold wheat."), "");
    ASSERT_STR_EQ(run(p, "", "Delta bought planes and wheat."), "gap[bought planes and wheat]");
    /* a lexicon's phrase ("pour money into") meets the lexicon's requirement as its single words do */
    ASSERT_STR_EQ(run(p, "", "Acme poured money into the venture in Foo Ltd."),
                  "phrase[poured money into the venture in Foo Ltd.]{target=Foo Ltd.}");
    ASSERT_STR_EQ(run(p, "", "Acme invested heavily. It is in Foo Ltd."), "");
    /* either branch of an alternative meets it */
    ASSERT_STR_EQ(run(p, "", "Takeover bid collapsed; merger talks quickly ended."),
                  "alt[Takeover bid collapsed]; alt[merger talks quickly ended]");
    /* a hyphenated word's last part counts for a rule that allows word parts */
    ASSERT_STR_EQ(run(p, "", "The previously-announced deal closed."), "part[previously-announced deal]");
    /* field scope: the company may be in a later sentence */
    ASSERT_STR_EQ(run(p, "", "They took a stake. It was in Foo Ltd."), "field[stake. It was in Foo Ltd.]{target=Foo Ltd.}");
    ASSERT_STR_EQ(run(p, "Foo Ltd", "They took a stake."), "");
    /* and a scope that cannot match costs no matcher step at all */
    tpat_result r;
    tpat_result_init(&r);
    ASSERT_STR_EQ(run_with(p, "", "Delta bought planes. It sold wheat. Talks ended.", NULL, 0, &r), "");
    ASSERT_EQ(r.steps, 0);
    tpat_result_free(&r);
    tpat_destroy(p);
}

static void test_match_company_forms(void)
{
    static const char pack[] =
        "pack: f\nroles: [investor, target]\n"
        "companies: {suffixes: sfx, descriptors: desc, compounds: comp, units: unit, short_forms: true}\n"
        "lexicons:\n  sfx: [Ltd, Inc]\n  desc: [start-up]\n  comp: [backed, based, owned]\n"
        "  unit: [unit, subsidiary, division]\n  raise: [raises, raised]\n"
        "rules:\n  - id: raise\n    comment: c\n    pattern: '{COMPANY:target} <raise> ( ...{0,4} from {COMPANY:investor} )?'\n";
    tpat_pack *p = NULL;
    tpat_diag dg = {0};
    if (tpat_load_buf(&p, "f.yml", pack, strlen(pack), &dg)) SQ_FAIL_("%s", dg.n ? dg.v[0] : "load failed");
    tpat_result r;
    tpat_result_init(&r);
    /* after "<X>-backed" and "<Place>-based" a capitalised name is a company */
    ASSERT_STR_EQ(run_with(p, "", "Nvidia-backed Nscale raised $1bn from Quill Ventures Inc.", NULL, 0, &r),
                  "raise[Nscale raised $1bn from Quill Ventures Inc.]{target=Nscale,investor=Quill Ventures Inc.}");
    ASSERT_EQ(r.companies[0].source, TPAT_SRC_COMPOUND);
    ASSERT_STR_EQ(run_with(p, "", "Oslo-based Fjordlab raises money.", NULL, 0, &r), "raise[Fjordlab raises]{target=Fjordlab}");
    /* a lower-case word after the compound names nothing; a compound the pack does not list neither */
    ASSERT_STR_EQ(run_with(p, "", "Nvidia-backed start-ups raised money. Cloud-native Vexa raised money.", NULL, 0, &r), "");
    /* "X's Y unit" (at most two lower-case words before the unit word) */
    ASSERT_STR_EQ(run_with(p, "", "Globex's Hover Cars unit raised $2bn.", NULL, 0, &r), "");
    ASSERT_EQ(r.n_companies, 1);
    ASSERT_EQ(r.companies[0].source, TPAT_SRC_UNIT);
    ASSERT_STR_EQ(run_with(p, "", "Globex's Hover Cars robotaxi subsidiary said Hover Cars raised $2bn.", NULL, 0, &r),
                  "raise[Hover Cars raised]{target=Hover Cars}");
    ASSERT_EQ(r.n_companies, 2);
    ASSERT_STR_EQ(run_with(p, "", "Globex's Hover Cars sold many cars today.", NULL, 0, &r), "");
    ASSERT_EQ(r.n_companies, 0);
    /* a short form: the first word of a name found by form, elsewhere in the article, headline included */
    ASSERT_STR_EQ(run_with(p, "Zentrix raises $300m", "Zentrix Robotics Ltd said on Monday it raised money.", NULL, 0, &r),
                  "raise[Zentrix raises]{target=Zentrix}");
    ASSERT_EQ(r.n_companies, 2);
    ASSERT_EQ(r.companies[0].source, TPAT_SRC_SHORT);
    /* ... but not when a longer name starts with it, nor for a word the pack knows */
    ASSERT_STR_EQ(run_with(p, "Zentrix Capital raises $300m", "Zentrix Robotics Ltd said so.", NULL, 0, &r), "");
    ASSERT_STR_EQ(run_with(p, "Unit raises $300m", "Unit Robotics Ltd said so.", NULL, 0, &r), "");
    tpat_result_free(&r);
    tpat_destroy(p);
    /* the new companies: keys name lexicons and take a boolean */
    const char *bad = "pack: f\nroles: [a]\ncompanies: {units: nope}\nrules: []\n";
    ASSERT(tpat_load_buf(&p, "f.yml", bad, strlen(bad), &dg) != 0);
    ASSERT(dg.n > 0 && strstr(dg.v[dg.n - 1], "f.yml:3: companies: units names undefined lexicon 'nope'"));
    const char *bad2 = "pack: f\nroles: [a]\ncompanies: {short_forms: maybe}\nrules: []\n";
    ASSERT(tpat_load_buf(&p, "f.yml", bad2, strlen(bad2), &dg) != 0);
    ASSERT(strstr(dg.v[dg.n - 1], "f.yml:3: short_forms: expected true or false"));
    tpat_diag_free(&dg);
}

static void test_budget(void)
{
    char err[600];
    tpat_pack *p = load(R("gap", "w ... ... ... zzz"), err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    char body[20000];
    size_t o = (size_t)snprintf(body, sizeof body, "zzz "); /* every word the rule needs is there, none after a w */
    for (int i = 0; i < 2000; i++) o += (size_t)snprintf(body + o, sizeof body - o, "w ");
    tpat_result r;
    tpat_result_init(&r);
    ASSERT_STR_EQ(run_with(p, "", body, NULL, 0, &r), "");
    ASSERT_EQ(r.n_limited, 0);
    uint64_t full = r.steps;
    ASSERT_GT(full, 1000);
    /* a budget too small to finish is counted, never silent */
    r.max_steps = full / 2;
    ASSERT_STR_EQ(run_with(p, "", body, NULL, 0, &r), "");
    ASSERT_EQ(r.n_limited, 1);
    tpat_result_free(&r);
    tpat_destroy(p);
}

/* The sample port of rules/invest.yml on sentences written for it. */
/* Engine fixes met porting the chips pack: a top-level alternation whose first
 * branch picked an inner anchor ("( a | b | c ) ( x | y ) | z") kept that
 * anchor's offset and missed every match; a braced word in a pattern that
 * expands to several tokens is a load error, not a silent phrase. */
static void test_port_fixes(void)
{
    char err[600];
    tpat_pack *p = load(R("cap", "( cloud | compute | gpu ) ( capacity | services ) | supercomputer"), err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    ASSERT_STR_EQ(run(p, "", "cloud compute capacity and a supercomputer"), "cap[compute capacity]; cap[supercomputer]");
    tpat_destroy(p);
    expect_error(R("a", "''customer{,s}'' of"), 16, "not one token");
}

/* The rules a pack file declares, counted from its text ("  - id:" lines), so the test follows the pack as
 * rules are added: the loader must keep every one. */
static size_t declared_rules(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    size_t n = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "  - id: ", 8)) n++;
    fclose(f);
    return n;
}

static void test_chips_pack(void)
{
    tpat_pack *p;
    tpat_diag d = {0};
    int rc = tpat_load(&p, SQ_SOURCE_DIR "/filters/rules/v2/chips.yml", &d);
    if (rc) SQ_FAIL_("%s", d.n ? d.v[0] : "load failed");
    ASSERT_GT(declared_rules(SQ_SOURCE_DIR "/filters/rules/v2/chips.yml"), 200);
    ASSERT_EQ(tpat_size(p), declared_rules(SQ_SOURCE_DIR "/filters/rules/v2/chips.yml"));
    /* an earlier deal's counterparty: the background mark ends at "with", before the name */
    if (!strstr(run(p, "", "It follows earlier deals with <BOLT>."), "chips.background_earlier_deal[follows earlier deals with]"))
        SQ_FAIL_("background_earlier_deal: %s", run(p, "", "It follows earlier deals with <BOLT>."));
    /* slots in reading order: the supplier before the words, the customer after "to" */
    ASSERT_STR_EQ(run(p, "", "<ACME> will supply memory chips to <BOLT>."),
                  "chips.supply_to[<ACME> will supply memory chips to <BOLT>]{supplier=<ACME>,customer=<BOLT>}");
    /* hyphenated words are one token: the lexicons list both forms */
    ASSERT_STR_EQ(run(p, "", "Lenders provide data-centre financing."), "chips.dc_finance[data-centre financing]; "
                  "chips.compute_capacity[data-centre]; chips.dc_money[data-centre financing]");
    ASSERT_STR_EQ(run(p, "", "a blue-chip carmaker"), "chips.neg_not_chip[blue-chip]");
    const struct tpat_rule *r = tpat_rule_at(p, (uint32_t)tpat_find(p, "chips.background"));
    ASSERT_EQ(r->marks, TPAT_MARKS_BACKGROUND);
    ASSERT_EQ(tpat_rule_at(p, (uint32_t)tpat_find(p, "chips.product_nvidia"))->n_named, 1);
    tpat_destroy(p);
}

static void test_sample_pack(void)
{
    tpat_pack *p;
    tpat_diag d = {0};
    const char *path = SQ_SOURCE_DIR "/filters/rules/v2/invest_sample.yml";
    int rc = tpat_load(&p, path, &d);
    if (rc) SQ_FAIL_("%s", d.n ? d.v[0] : "load failed");
    ASSERT_EQ(tpat_size(p), 10);
    ASSERT_STR_EQ(run(p, "Acme Corp to buy Foo Holdings for $2bn", ""),
                  "invest.acquire[Acme Corp to buy Foo Holdings]{investor=Acme Corp,target=Foo Holdings}");
    ASSERT_STR_EQ(run(p, "", "Chipmaker Nscale raised $1.1 billion from Nvidia Corp."),
                  "invest.raise_from[Nscale raised $1.1 billion from Nvidia Corp.]"
                  "{target=Nscale,investor=Nvidia Corp.}; invest.funding_round[raised $]");
    ASSERT_STR_EQ(run(p, "", "Bigco Inc will invest up to $500 mln over time in Smallco Ltd."),
                  "invest.invest_in[Bigco Inc will invest up to $500 mln over time in Smallco Ltd.]"
                  "{investor=Bigco Inc,target=Smallco Ltd.}");
    ASSERT_STR_EQ(run(p, "", "Delta Air Lines Inc agreed to buy 100 new jets."),
                  "invest.acquire[Delta Air Lines Inc agreed to buy]{investor=Delta Air Lines Inc}; "
                  "invest.neg_goods[buy 100 new jets]");
    ASSERT_STR_EQ(run(p, "Acme quarterly profit rises", ""), "invest.neg_head_results[quarterly]; invest.neg_head_results[profit]");
    ASSERT_STR_EQ(run(p, "", "Foo AG took a minority stake in Bar SA in a Series B round."),
                  "invest.take_stake[Foo AG took a minority stake in Bar SA]{investor=Foo AG,target=Bar SA}; "
                  "invest.stake[stake in Bar SA]{target=Bar SA}; invest.funding_round[Series B round]");
    const struct tpat_rule *r = tpat_rule_at(p, (uint32_t)tpat_find(p, "invest.neg_goods"));
    ASSERT_EQ(r->veto, 1);
    ASSERT(r->weight < 0);
    ASSERT_EQ(tpat_rule_at(p, (uint32_t)tpat_find(p, "invest.neg_head_results"))->field, TPAT_FIELD_HEADLINE);
    tpat_destroy(p);
}

/* Invest: who took part in a round fills the investor slot; "companies like X" is context. */
static void test_invest_party_phrases(void)
{
    tpat_pack *p;
    tpat_diag d = {0};
    if (tpat_load(&p, SQ_SOURCE_DIR "/filters/rules/v2/invest.yml", &d)) SQ_FAIL_("%s", d.n ? d.v[0] : "load failed");
    const char *s = run(p, "", "Orbit Capital Inc co-led the round, with participation from Initech Corp and Globex Ltd.");
    if (!strstr(s, "invest.backing[Orbit Capital Inc co-led the round]{investor=Orbit Capital Inc}") ||
        !strstr(s, "invest.backing[with participation from Initech Corp]{investor=Initech Corp}"))
        SQ_FAIL_("backing slots: %s", s);
    s = run(p, "", "Acme trains models for companies like Initech Corp and Globex Ltd.");
    if (!strstr(s, "invest.background[companies like]")) SQ_FAIL_("background: %s", s);
    /* an adviser named before its verb fills the slot; the mark names its slots only (background_slots) */
    s = run(p, "", "Initech Corp advised Globex Ltd on the sale.");
    if (!strstr(s, "invest.background_adviser_named[Initech Corp advised]{investor=Initech Corp}")) SQ_FAIL_("adviser: %s", s);
    ASSERT_EQ(tpat_rule_at(p, (uint32_t)tpat_find(p, "invest.background_adviser_named"))->marks, TPAT_MARKS_BACKGROUND_SLOTS);
    s = run(p, "", "The consortium, which includes Initech Corp, made an offer.");
    if (!strstr(s, "invest.party_list[consortium, which includes Initech Corp]{investor=Initech Corp}"))
        SQ_FAIL_("party_list: %s", s);
    s = run(p, "", "Initech Corp and Globex Ltd are the latest lenders trying to offload a card processor.");
    /* the nearest name fills the slot; detect gives the vote to the whole list ("Initech Corp and") */
    if (!strstr(s, "invest.party_sale[Globex Ltd are the latest lenders trying to offload]{seller=Globex Ltd}"))
        SQ_FAIL_("party_sale: %s", s);
    s = run(p, "Orbit Capital closes financing for Initech Corp's Ohio data center campus", "");
    if (!strstr(s, "invest.background_project[financing for Initech Corp's Ohio data center]{target=Initech Corp}"))
        SQ_FAIL_("background_project: %s", s);
    s = run(p, "", "Investors include Jane Roe, the co-founder of Initech Corp.");
    if (!strstr(s, "invest.background[co-founder of]")) SQ_FAIL_("background: %s", s);
    tpat_destroy(p);
}

/* Equal tests are one test in the pack: '!' on a word (or a lexicon) that other items also
 * test makes a test of its own, so the plain word, the negated one and a second negation of
 * it each keep their sense. */
static void test_shared_negation(void)
{
    char err[600];
    tpat_pack *p = load(R("pos", "buys shares") R("neg", "buys !shares") R("neg2", "sells !shares now")
                        R("lexpos", "sold <goods>") R("lexneg", "sold !<goods>") R("first", "!shares deal"),
                        err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    ASSERT_STR_EQ(run(p, "", "Acme buys shares. Acme buys jets."), "pos[buys shares]; neg[buys jets]");
    ASSERT_STR_EQ(run(p, "", "Acme sells shares now. Acme sells oil now."), "neg2[sells oil now]");
    ASSERT_STR_EQ(run(p, "", "It sold wheat. It sold bonds."), "lexpos[sold wheat]; lexneg[sold bonds]");
    /* the negated word first, before the anchor "deal": a start whose token is the plain word fails;
     * the token it tests is context, so the hit starts after it (not inside a company name there) */
    ASSERT_STR_EQ(run(p, "", "Shares deal. The deal."), "first[deal]");
    ASSERT_STR_EQ(run(p, "", "Acme Corp deal."), "first[deal]");
    tpat_destroy(p);
}

/* A long alternation compiles to a tree of SPLITs: every branch still matches, and where
 * several branches match at one start the earlier one wins, as with a chain of SPLITs. */
static void test_long_alternation(void)
{
    char pat[2048], rules[4096], err[600];
    size_t o = (size_t)snprintf(pat, sizeof pat, "(");
    for (int i = 0; i < 40; i++) {
        const char *br = i == 10 ? "alpha beta gamma delta" : i == 20 ? "alpha beta" : i == 30 ? "alpha" : NULL;
        if (br) o += (size_t)snprintf(pat + o, sizeof pat - o, "%s %s", i ? " |" : "", br);
        else o += (size_t)snprintf(pat + o, sizeof pat - o, "%s w%02d", i ? " |" : "", i);
    }
    snprintf(pat + o, sizeof pat - o, " )");
    snprintf(rules, sizeof rules, "%s%s", R("alt", "%s"), R("tail", "%s end"));
    char all[8192];
    snprintf(all, sizeof all, rules, pat, pat);
    tpat_pack *p = load(all, err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    /* each single-word branch, in text order */
    char body[1024], want[4096];
    size_t b = 0, w = 0;
    for (int i = 0; i < 40; i++) {
        if (i == 10 || i == 20 || i == 30) continue;
        b += (size_t)snprintf(body + b, sizeof body - b, "w%02d x ", i);
        w += (size_t)snprintf(want + w, sizeof want - w, "%salt[w%02d]", w ? "; " : "", i);
    }
    ASSERT_STR_EQ(run(p, "", body), want);
    /* the phrase branches: the earliest that matches wins, not the longest nor the shortest */
    ASSERT_STR_EQ(run(p, "", "alpha beta gamma delta"), "alt[alpha beta gamma delta]");
    ASSERT_STR_EQ(run(p, "", "alpha beta gamma"), "alt[alpha beta]");
    ASSERT_STR_EQ(run(p, "", "alpha gamma"), "alt[alpha]");
    /* ... unless what follows needs a later branch: then that one is found by backtracking */
    ASSERT_STR_EQ(run(p, "", "alpha beta end"), "alt[alpha beta]; tail[alpha beta end]");
    ASSERT_STR_EQ(run(p, "", "alpha end"), "alt[alpha]; tail[alpha end]");
    ASSERT_STR_EQ(run(p, "", "w39 end, w00 end"), "alt[w39]; tail[w39 end]; alt[w00]; tail[w00 end]");
    tpat_destroy(p);
}

/* The prefilter's requirements in field scope (the words may be in any sentence of the field,
 * never in the other field) and with word parts (a hyphenated word's last part counts only
 * for rules that allow parts). */
/* The body untried makes no match and costs the matcher no step (the prefilter ruled its scope
 * out); the body tried matches as want, in steps. */
static void untried_then_tried(const tpat_pack *p, const char *untried, const char *tried, const char *want)
{
    tpat_result r;
    tpat_result_init(&r);
    ASSERT_STR_EQ(run_with(p, "", untried, NULL, 0, &r), "");
    ASSERT_EQ(r.steps, 0);
    ASSERT_STR_EQ(run_with(p, "", tried, NULL, 0, &r), want);
    ASSERT_GT(r.steps, 0);
    tpat_result_free(&r);
}

static void test_prefilter_field_parts(void)
{
    char err[600];
    tpat_pack *p = load("  - id: fld\n    comment: c\n    pattern: 'merger ... approved ... ( today | friday )'\n    scope: field\n"
                        "  - id: fparts\n    comment: c\n    pattern: 'announced ... closed'\n    scope: field\n"
                        "    word_parts: true\n"
                        "  - id: fwhole\n    comment: c\n    pattern: 'announced ... closed'\n    scope: field\n"
                        "  - id: parts\n    comment: c\n    pattern: 'announced ( deal | sale )'\n    word_parts: true\n"
                        R("whole", "announced ( deal | sale )"),
                        err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    /* every required word in the field, across sentences: a match */
    ASSERT_STR_EQ(run(p, "", "A merger was agreed. Regulators approved it. It closes today."),
                  "fld[merger was agreed. Regulators approved it. It closes today]");
    /* one required word only in the other field: none */
    ASSERT_STR_EQ(run(p, "Merger news", "Regulators approved it today."), "");
    ASSERT_STR_EQ(run(p, "Regulators approved it", "A merger, today."), "");
    /* the last required word missing: none */
    ASSERT_STR_EQ(run(p, "", "A merger was agreed. Regulators approved it. It closes soon."), "");
    /* word parts, field scope: only the rule that allows parts */
    ASSERT_STR_EQ(run(p, "", "The pre-announced sale. It closed."), "fparts[pre-announced sale. It closed]; parts[pre-announced sale]");
    ASSERT_STR_EQ(run(p, "", "The announced sale. It closed."),
                  "fparts[announced sale. It closed]; fwhole[announced sale. It closed]; parts[announced sale]; "
                  "whole[announced sale]");
    /* word parts, sentence scope */
    ASSERT_STR_EQ(run(p, "", "A well-announced deal."), "parts[well-announced deal]");
    ASSERT_STR_EQ(run(p, "", "A well-announced. Deal."), "");
    tpat_destroy(p);
    /* a whole-words rule whose scope holds a needed word only as a word part is not even tried */
    p = load(R("late", "deal ... announced"), err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    untried_then_tried(p, "Deal was well-announced.", "Deal was announced.", "late[Deal was announced]");
    tpat_destroy(p);
}

/* A rule that opens with alternatives needs what one of them needs: a scope holding words of two
 * alternatives, but all of neither, is not tried; one holding all of one is. */
static void test_prefilter_alternatives(void)
{
    char err[600];
    tpat_pack *p = load(R("alt", "( {COMPANY:investor} )? ( bought | acquired ) ...{0,3} stake | sold ...{0,3} ( unit | division )"),
                        err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    untried_then_tried(p, "Delta bought planes and sold wheat.", "Delta sold its wheat unit.", "alt[sold its wheat unit]");
    ASSERT_STR_EQ(run(p, "", "Delta bought planes and a stake."), "alt[bought planes and a stake]");
    tpat_destroy(p);
}

/* A step budget that runs out in one scope counts it and every later (rule, scope) that could
 * match: never silent. A scope the prefilter rules out is no candidate, so it is not counted. */
static void test_budget_scopes(void)
{
    char err[600];
    tpat_pack *p = load(R("gap", "w ... ... ... zzz") R("other", "yyy ... qqq"), err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    char body[20000];
    size_t o = (size_t)snprintf(body, sizeof body, "zzz ");
    for (int i = 0; i < 2000; i++) o += (size_t)snprintf(body + o, sizeof body - o, "w ");
    snprintf(body + o, sizeof body - o, ". w zzz. yyy qqq. yyy only.");
    tpat_result r;
    tpat_result_init(&r);
    ASSERT_STR_EQ(run_with(p, "", body, NULL, 0, &r), "gap[w zzz]; other[yyy qqq]");
    ASSERT_EQ(r.n_limited, 0);
    uint64_t full = r.steps;
    r.max_steps = full / 2;
    ASSERT_STR_EQ(run_with(p, "", body, NULL, 0, &r), "");
    ASSERT_EQ(r.n_limited, 3); /* the long sentence, then "w zzz" and "yyy qqq" ("yyy only" has no qqq) */
    tpat_result_free(&r);
    tpat_destroy(p);
}

/* An optional group that is absent, then a lazy gap of zero words, then the last word: every
 * way through must be tried ("hit with levy", "hit with 25% levy", "hit with a new levy"). */
static void test_optional_then_gap(void)
{
    char err[600];
    tpat_pack *p = load(R("a", "hit with ( a | an )? ...{0,2} levy") R("b", "hit with ( a | an )? levy"), err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    ASSERT_STR_EQ(run(p, "Truck makers hit with levy", ""), "a[hit with levy]; b[hit with levy]");
    ASSERT_STR_EQ(run(p, "Truck makers hit with 25% levy", ""), "a[hit with 25% levy]");
    ASSERT_STR_EQ(run(p, "Truck makers hit with a new levy", ""), "a[hit with a new levy]");
    ASSERT_STR_EQ(run(p, "Truck makers hit with a levy", ""), "a[hit with a levy]; b[hit with a levy]");
    tpat_destroy(p);
    p = load(R("c", "( handed | dealt ) ...{0,2} fine | ( hit | slapped ) with ( a | the )? ...{0,2} ( =EU | court ) ''s? ...{0,2} ( order | levy )"
                    " | ( makers | firms ) ( hit | slapped ) with ( a | an )? ...{0,2} ( levy | duty )"), err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    ASSERT_STR_EQ(run(p, "Truck makers hit with levy", ""), "c[makers hit with levy]");
    ASSERT_STR_EQ(run(p, "Truck makers hit with 25% levy", ""), "c[makers hit with 25% levy]");
    tpat_destroy(p);
}

/* slot_lead: whether the first slot's company stands before the rule's words (it can open a
 * match) or after them -- what the engine's fallback direction reads. */
static void test_slot_lead(void)
{
    char err[600];
    tpat_pack *p = load(R("lead", "{COMPANY:target}? ( acquired | bought ) by {COMPANY:investor}?")
                        R("lead_opt", "( {COMPANY:investor} ''s? )? <acquire_verb> {COMPANY:target}")
                        R("trail", "offer for {COMPANY:target}?")
                        R("trail_alt", "hostile bid | offer for {COMPANY:target}")
                        R("mid", "@money <acquire_verb> {COMPANY:target}")
                        R("none", "<acquire_verb> stake"),
                        err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    static const uint8_t want[] = {1, 1, 0, 0, 0, 0};
    for (uint32_t i = 0; i < sizeof want; i++)
        if (tpat_rule_at(p, i)->slot_lead != want[i])
            SQ_FAIL_("rule %s: slot_lead %d, want %d", tpat_rule_at(p, i)->id, tpat_rule_at(p, i)->slot_lead, want[i]);
    tpat_destroy(p);
}

/* gate: with no hit of a rule of positive weight, the others are not matched (no hits at all, and
 * their steps not spent); with one, every rule matches as without the gate. The others are
 * proposed after the positive ones matched (tpat.c propose_later): rules on the same anchor word
 * ("bought"), on a company and on a class (#num) of both kinds give the same hits either way. */
static void test_gate(void)
{
    char err[600];
    tpat_pack *p = load("  - id: deal\n    comment: c\n    pattern: '<acquire_verb> {COMPANY:target}'\n    weight: 2\n"
                        "  - id: ctx\n    comment: c\n    pattern: 'rival {COMPANY:target}'\n    weight: 0\n    marks: background\n"
                        "  - id: neg\n    comment: c\n    pattern: '<goods>'\n    weight: -1\n"
                        "  - id: nego\n    comment: c\n    pattern: 'bought <goods>'\n    weight: -1\n"
                        "  - id: co\n    comment: c\n    pattern: '{COMPANY:target}'\n    weight: 0\n"
                        "  - id: num\n    comment: c\n    pattern: '#num'\n    weight: -1\n",
                        err, sizeof err);
    if (!p) SQ_FAIL_("%s", err);
    static const char *const quiet = "Its rival Foo Ltd bought 20 barrels of oil.",
                             *const deal = "Acme bought Foo Ltd, a rival Bar Corp says, and 20 bought oil.";
    for (int gate = 0; gate < 2; gate++) {
        tpat_result r;
        tpat_result_init(&r);
        r.gate = (uint8_t)gate;
        ASSERT_STR_EQ(run_with(p, "", quiet, NULL, 0, &r), gate ? "" : "ctx[rival Foo Ltd]{target=Foo Ltd}; co[Foo Ltd]{target=Foo Ltd}; num[20]; neg[oil]");
        ASSERT_STR_EQ(run_with(p, "", deal, NULL, 0, &r), "deal[bought Foo Ltd]{target=Foo Ltd}; co[Foo Ltd]{target=Foo Ltd}; ctx[rival Bar Corp]{target=Bar Corp}; "
                      "co[Bar Corp]{target=Bar Corp}; num[20]; nego[bought oil]; neg[oil]");
        tpat_result_free(&r);
    }
    tpat_destroy(p);
}

/* tpat_result.slot_ok: a sector slot's company is asked about while matching, so where the first
 * alternative's company is refused the rule's later alternative over the same words is tried
 * (without it the first alternative's hit stands, sector unchecked). */
static int refuse_calls;
static int refuse_all(void *ctx, uint32_t rule, uint32_t slot, const struct tpat_company *c)
{
    (void)ctx, (void)rule, (void)c;
    ASSERT_EQ(slot, 0); /* only the sector slot is asked about */
    refuse_calls++;
    return 0;
}

static void test_slot_ok_alternatives(void)
{
    static const char *const pack = "pack: t\nroles: [buyer, target]\nsectors: [chip]\n"
                                    "companies: {suffixes: sfx}\nlexicons:\n  sfx: [Corp, Ltd]\nrules:\n"
                                    R("r", "{COMPANY[chip]:buyer} buys {COMPANY:target} | {COMPANY:buyer} buys {COMPANY:target} stake");
    tpat_pack *p = NULL;
    tpat_diag d = {0};
    if (tpat_load_buf(&p, "t.yml", pack, strlen(pack), &d)) SQ_FAIL_("%s", d.n ? d.v[0] : "load failed");
    tpat_diag_free(&d);
    tpat_result r;
    tpat_result_init(&r);
    ASSERT_STR_EQ(run_with(p, "", "Acme Corp buys Foo Ltd stake.", NULL, 0, &r), "r[Acme Corp buys Foo Ltd]{buyer=Acme Corp,target=Foo Ltd}");
    r.slot_ok = refuse_all;
    ASSERT_STR_EQ(run_with(p, "", "Acme Corp buys Foo Ltd stake.", NULL, 0, &r),
                  "r[Acme Corp buys Foo Ltd stake]{buyer=Acme Corp,target=Foo Ltd}");
    ASSERT(refuse_calls > 0);
    ASSERT_STR_EQ(run_with(p, "", "Acme Corp buys Foo Ltd.", NULL, 0, &r), ""); /* no later alternative fits */
    tpat_result_free(&r);
    tpat_destroy(p);
}

int main(void)
{
    test_load_errors();
    test_too_many_rules();
    test_pack_errors();
    test_slot_sectors();
    test_match_basic();
    test_slot_list();
    test_match_scope();
    test_match_companies();
    test_match_alternation_anchor();
    test_match_words_as_written();
    test_match_fast_paths();
    test_match_prefilter();
    test_match_company_forms();
    test_budget();
    test_sample_pack();
    test_port_fixes();
    test_chips_pack();
    test_invest_party_phrases();
    test_shared_negation();
    test_long_alternation();
    test_prefilter_field_parts();
    test_prefilter_alternatives();
    test_budget_scopes();
    test_optional_then_gap();
    test_slot_lead();
    test_gate();
    test_slot_ok_alternatives();
    printf("test_tpat: ok\n");
    return 0;
}
