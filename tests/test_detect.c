/* test_detect.c -- the scoring engine's stages one by one, on a fake host table and synthetic matches. */
#include "../filters/detect.c" /* the stages are static: test them where they live */

#include "assert.h"

/* ---- a fake host: a rule pack, a gazetteer and a report, all in arrays ---- */

static struct squawk_rule rules[8];
static size_t n_rules_fake;
static struct squawk_entity ents[4] = {
    {sizeof(struct squawk_entity), "Acme Corp", "ACME", "company", "chip", "US"},
    {sizeof(struct squawk_entity), "Widget Inc", "WDGT", "company", "retail", "US"},
    {sizeof(struct squawk_entity), "Securities and Exchange Commission", NULL, "regulator", "", "US"},
    {sizeof(struct squawk_entity), "Bolt Ltd", "BOLT", "company", "", "GB"},
};
static struct squawk_match *scan;
static size_t n_scan;
static struct squawk_mention *mens;
static size_t n_mens;
static struct squawk_amount *amts;
static size_t n_amts;
static int n_logs, n_entities_reported, n_amounts_reported, n_evidence_reported, begun;
static double score_reported;
static char role_of[4][16];

static int fk_pack_open(const struct squawk_host *h, const char *pack, struct squawk_pack **out, char *err,
                        size_t errlen)
{
    *out = (struct squawk_pack *)(void *)rules;
    return 0;
}
static size_t fk_pack_size(const struct squawk_pack *p) { return n_rules_fake; }
static const struct squawk_rule *fk_pack_rule(const struct squawk_pack *p, uint32_t i) { return &rules[i]; }
static int fk_pack_scan(struct squawk_pack *p, const struct squawk_article *a, const struct squawk_match **out,
                        size_t *n)
{
    *out = scan;
    *n = n_scan;
    return 0;
}
static int fk_mentions(const struct squawk_article *a, const struct squawk_mention **out, size_t *n)
{
    *out = mens;
    *n = n_mens;
    return 0;
}
static const struct squawk_entity *fk_entity(const struct squawk_host *h, uint32_t i)
{
    return i < 4 ? &ents[i] : NULL;
}
static int32_t fk_entity_find(const struct squawk_host *h, const char *s)
{
    for (int32_t i = 0; i < 4; i++)
        if (strcmp(ents[i].name, s) == 0 || (ents[i].ticker && strcmp(ents[i].ticker, s) == 0)) return i;
    return -1;
}
/* ABI 1.1: the same, by article (the plugins use these) */
static const struct squawk_entity *fk_article_entity(const struct squawk_article *a, uint32_t i)
{
    return fk_entity(NULL, i);
}
static int32_t fk_article_entity_find(const struct squawk_article *a, const char *s)
{
    return fk_entity_find(NULL, s);
}
static int fk_amounts(const struct squawk_article *a, const struct squawk_amount **out, size_t *n)
{
    *out = amts;
    *n = n_amts;
    return 0;
}
static int fk_cues(const struct squawk_article *a, const struct squawk_cue **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    return 0;
}
static void fk_log(const struct squawk_host *h, int level, const char *plugin, const char *msg)
{
    ASSERT_STR_EQ(plugin, "test");
    ASSERT(strstr(msg, "cap reached") != NULL);
    n_logs++;
}
static int fk_begin(struct squawk_report *r, const char *category, double score, int stage)
{
    begun = 1;
    score_reported = score;
    return 0;
}
static int fk_entity_rep(struct squawk_report *r, const char *name, const char *ticker, const char *role, double rel)
{
    int32_t e = fk_entity_find(NULL, name);
    ASSERT(e >= 0);
    snprintf(role_of[e], sizeof role_of[e], "%s", role);
    n_entities_reported++;
    return 0;
}
static int fk_amount_rep(struct squawk_report *r, double usd, const char *text)
{
    ASSERT_EQ(strlen(text), 3); /* "$Nm" */
    n_amounts_reported++;
    return 0;
}
static int fk_evidence_rep(struct squawk_report *r, const char *rule, int field, uint32_t start, uint32_t end)
{
    n_evidence_reported++;
    return 0;
}

/* Engine v2: a token-pattern pack of three rules and its hits with slots. */
static const char *const slot_roles[] = {"investor", "target"}, *const named_r[] = {"investor"},
                         *const named_e[] = {"BOLT"};
static const uint32_t lifts2[] = {1}; /* veto2 */
static struct squawk_trule trules[] = { /* engine_v2_further_role changes roles2's roles for a while */
    {sizeof(struct squawk_trule), "buy2", "", 2.0, -1, 0, 0, 0, 0, "", 2, slot_roles, 0, NULL, NULL, NULL, 1.0, 1, 0, NULL, 0, 0},
    {sizeof(struct squawk_trule), "veto2", "", 0, -1, 1, 0, 0, 0, "", 0, NULL, 0, NULL, NULL, NULL, 1.0, 1, 0, NULL, 0, 0},
    {sizeof(struct squawk_trule), "bg2", "", 0, -1, 0, 0, SQUAWK_MARKS_BACKGROUND, 0, "", 0, NULL, 0, NULL, NULL, NULL, 1.0, 1, 0, NULL, 0, 0},
    {sizeof(struct squawk_trule), "req2", "", 1, -1, 0, 0, 0, SQUAWK_REQ_SECTOR_OBJECT, "", 0, NULL, 0, NULL, NULL, NULL, 1.0, 1, 0, NULL, 0, 0},
    {sizeof(struct squawk_trule), "named2", "", 1, -1, 0, 0, 0, 0, "", 0, NULL, 1, named_r, named_e, NULL, 1.0, 1, 0, NULL, 0, 0},
    {sizeof(struct squawk_trule), "sector2", "", 0.5, -1, 0, 0, 0, 0, "desc", 0, NULL, 0, NULL, NULL, NULL, 1.0, 1, 0, NULL, 0, 0},
    {sizeof(struct squawk_trule), "roles2", "", 0, -1, 0, 0, 0, 0, "", 2, slot_roles, 0, NULL, NULL, NULL, 1.0, 1, 0, NULL, 0, 0},
    {sizeof(struct squawk_trule), "veto3", "", 0, -1, 1, 0, 0, 0, "", 0, NULL, 0, NULL, NULL, NULL, 1.0, 1, 0, NULL, 0, 0},
    {sizeof(struct squawk_trule), "unveto2", "", 0, -1, 0, 1, 0, 0, "", 0, NULL, 0, NULL, NULL, NULL, 1.0, 1, 1, lifts2, 0, 0},
};
static struct squawk_tslot *tslots;
static uint32_t *tslot_off;

static int fk_tpack_open(const struct squawk_host *h, const char *pack, struct squawk_tpack **out, char *err,
                         size_t errlen)
{
    *out = (struct squawk_tpack *)(void *)trules;
    return 0;
}
static size_t fk_tpack_size(const struct squawk_tpack *p) { return sizeof trules / sizeof trules[0]; }
static const struct squawk_trule *fk_tpack_rule(const struct squawk_tpack *p, uint32_t i) { return &trules[i]; }
static int fk_tpack_scan(struct squawk_tpack *p, const struct squawk_article *a, const struct squawk_match **out,
                         size_t *n, const struct squawk_tslot **slots, const uint32_t **slot_off)
{
    *out = scan;
    *n = n_scan;
    *slots = tslots;
    *slot_off = tslot_off;
    return 0;
}

static const struct squawk_host host = {
    .abi_major = SQUAWK_FILTER_ABI_MAJOR, .abi_minor = SQUAWK_FILTER_ABI_MINOR, .size = sizeof(struct squawk_host),
    .log = fk_log, .pack_open = fk_pack_open, .pack_size = fk_pack_size, .pack_rule = fk_pack_rule,
    .pack_scan = fk_pack_scan, .mentions = fk_mentions, .entity = fk_entity, .entity_find = fk_entity_find,
    .amounts = fk_amounts, .cues = fk_cues, .report_begin = fk_begin, .report_entity = fk_entity_rep,
    .report_amount = fk_amount_rep, .report_evidence = fk_evidence_rep, .tpack_open = fk_tpack_open,
    .tpack_size = fk_tpack_size, .tpack_rule = fk_tpack_rule, .tpack_scan = fk_tpack_scan,
    .article_entity = fk_article_entity, .article_entity_find = fk_article_entity_find,
};

/* Rule ids: what each synthetic rule stands for. */
enum { R_BUY, R_VETO, R_UNVETO, R_NEG, R_PROBE, R_PARTY, R_NEAR, R_TAGGED, R_N };

static struct detect det;
static struct detect_config cfg = {
    .bias = 3, .headline_bonus = 1.5, .entity_bonus = 1, .amount_bonus = 1, .stage_bonus = 0.5,
    .window = 200, .max_entities = 4, .lead_bytes = 100, .tail_factor = 0.5, .pack = "fake",
    .head_min_weight = 0, .trigger_min_weight = 0,
};

static void setup(void)
{
    static const struct {
        const char *id;
        double w;
        const char *dir, *tag;
    } rs[R_N] = {{"buy", 2.0, "forward", ""},          {"veto", 0, "", "veto"},
                 {"unveto", 0, "", "unveto"},          {"neg", -1.0, "", ""},
                 {"probe", 1.5, "", "requires=party"}, {"party", 0, "", "party"},
                 {"near", 1.0, "", ""},                {"tagged", 1.0, "", "investor=BOLT"}};
    n_rules_fake = R_N;
    for (int i = 0; i < R_N; i++)
        rules[i] = (struct squawk_rule){sizeof rules[i], rs[i].id, rs[i].w, -1, "", rs[i].dir, rs[i].tag};
    static const struct detect_spec spec = {"test", "investor", "target", 0, 1};
    char err[128];
    ASSERT_EQ(detect_init(&det, &spec, &cfg, &host, "test", err, sizeof err), 0);
}

#define M(rule, field, start, end) ((struct squawk_match){(rule), (field), (start), (end)})

/* A run over an article and the current scan/mentions, arrays on buf. */
static struct detect_run run_of(const struct squawk_article *a, unsigned char *buf, size_t cap, void **heap)
{
    struct detect_run x = {.d = &det, .h = &host, .a = a, .ms = scan, .n_ms = n_scan, .men = mens,
                           .n_men = n_mens, .n_rules = n_rules_fake};
    ASSERT_EQ(run_alloc(&x, buf, cap, heap), 0);
    return x;
}

/* Stages 1, 3 and 4 over a run: the votes every entity got. */
static void votes_of(struct detect_run *x)
{
    struct detect_sum s = {.reg_mention = -1};
    gate(x);
    accept_mentions(x);
    role_votes(x, &s);
}

static struct squawk_article article(const char *headline, const char *body)
{
    struct squawk_article a = {sizeof a, "t", {headline, body}, {strlen(headline), strlen(body)}, "", "", 0,
                               "", NULL, 0};
    return a;
}

TEST(sentence_bounds)
{
    const char *s = "Acme Corp. said on Monday. Mr. Smith of the U.S. unit left! Then\nmore";
    size_t len = strlen(s);
    size_t said = (size_t)(strstr(s, "said") - s), smith = (size_t)(strstr(s, "Smith") - s);
    /* "Corp." is an abbreviation: the sentence runs from the start to "Monday." */
    ASSERT_EQ(sent_start(s, said), 0);
    ASSERT_EQ(sent_end(s, len, said), (size_t)(strstr(s, "y.") - s) + 1);
    /* "Mr." and "U.S." do not end the second sentence; "!" does */
    ASSERT_EQ(sent_start(s, smith), (size_t)(strstr(s, "Mr.") - s) - 1);
    ASSERT_EQ(sent_end(s, len, smith), (size_t)(strchr(s, '!') - s));
    /* a newline ends a sentence too */
    ASSERT_EQ(sent_end(s, len, (size_t)(strstr(s, "Then") - s)), (size_t)(strchr(s, '\n') - s));
    ASSERT_EQ(sent_start(s, (size_t)(strstr(s, "more") - s)), (size_t)(strchr(s, '\n') - s) + 1);
}

TEST(veto_overlap_resolution)
{
    setup();
    struct squawk_article a = article("", "Acme to buy back its own shares and buy oil and gas stake in Widget.");
    struct squawk_match ms[] = {
        M(R_BUY, 1, 8, 11),    /* "buy" inside the veto "buy back its own shares" */
        M(R_VETO, 1, 8, 32),
        M(R_NEG, 1, 10, 14),   /* a negative rule inside the veto keeps its say */
        M(R_BUY, 1, 37, 40),   /* "buy" inside a veto lifted by an unveto */
        M(R_VETO, 1, 37, 52),
        M(R_UNVETO, 1, 45, 58),
        M(R_BUY, 1, 60, 63),   /* no veto here */
    };
    scan = ms;
    n_scan = sizeof ms / sizeof ms[0];
    n_mens = 0;
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
    gate(&x);
    ASSERT_EQ(x.vetoed[0], 1);
    ASSERT_EQ(x.vetoed[2], 0);
    ASSERT_EQ(x.lifted[4], 1);
    ASSERT_EQ(x.vetoed[3], 0);
    ASSERT_EQ(x.vetoed[6], 0);
    ASSERT(heap == NULL);
}

TEST(party_gate)
{
    setup();
    struct squawk_article a = article("", "Prosecutors opened a probe of the mayor. Later a probe of Acme Corp began.");
    const char *b = a.text[1];
    uint32_t p1 = (uint32_t)(strstr(b, "probe") - b), p2 = (uint32_t)(strstr(b, "a probe of Acme") - b) + 2;
    uint32_t acme = (uint32_t)(strstr(b, "Acme") - b);
    struct squawk_match ms[] = {M(R_PROBE, 1, p1, p1 + 5), M(R_PROBE, 1, p2, p2 + 5)};
    struct squawk_mention mn[] = {{0, 1, acme, acme + 9, 0, 1}};
    scan = ms, n_scan = 2, mens = mn, n_mens = 1;
    cfg.lead_bytes = 0; /* nothing counts as up front: only the sentence names a party */
    setup();
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
    gate(&x);
    ASSERT_EQ(x.vetoed[0], 1); /* the mayor is no company */
    ASSERT_EQ(x.vetoed[1], 0);
    cfg.lead_bytes = 100;
}

TEST(evidence_sum)
{
    setup();
    struct squawk_article a = article("Acme to buy Widget", "body text that is long enough for a tail match "
                                                            "somewhere far past the lead of one hundred bytes.....");
    struct squawk_match ms[] = {
        M(R_BUY, 0, 8, 11),     /* headline: factor 1, headline bonus */
        M(R_BUY, 1, 10, 13),    /* repeats: 2 * 1 * (1 + 0.25 * 2) */
        M(R_NEG, 1, 20, 24),    /* negative rules count once: -1 */
        M(R_NEG, 1, 30, 34),
        M(R_NEAR, 1, 110, 114), /* tail only: 1 * 0.5 */
        M(R_BUY, 1, 120, 123),
    };
    scan = ms, n_scan = 6, n_mens = 0;
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
    struct detect_sum s = {0};
    gate(&x);
    evidence_sum(&x, &s);
    ASSERT_EQ(s.pos_trigger, 1);
    ASSERT_EQ(s.head_trigger, 1);
    ASSERT_EQ(x.count[R_BUY], 3);
    ASSERT_DBL_NEAR(s.S, 2 * 1.5 + 0.5 - 1 + 1.5, 1e-12);
    /* only a negative rule: nothing can raise an alert */
    scan = &ms[2], n_scan = 2;
    x = run_of(&a, buf, sizeof buf, &heap);
    s = (struct detect_sum){0};
    gate(&x);
    evidence_sum(&x, &s);
    ASSERT_EQ(s.pos_trigger, 0);
}

/* A regulator named only inside a standing veto's words ("hires former SEC chief") earns no
 * regulator_weight; named outside it, or with the veto lifted, it does. */
TEST(regulator_inside_veto)
{
    setup();
    struct squawk_article a = article("Acme hires former SEC chief to run its legal team", "");
    struct squawk_match ms[] = {
        M(R_VETO, 0, 5, 26), /* "hires former SEC chief" */
        M(R_NEAR, 0, 37, 42),
        M(R_UNVETO, 0, 5, 10),
    };
    struct squawk_mention mn[] = {{2, 0, 19, 22, 0, 1}}; /* SEC, in the veto's words (k 0: moved past it) */
    scan = ms, n_scan = 2, mens = mn, n_mens = 1;
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    double reg_w[3];
    for (int k = 0; k < 3; k++) {
        det.cfg.regulator_weight = 1.5;
        mn[0].start = k == 0 ? 27 : 19, mn[0].end = k == 0 ? 31 : 22; /* k 0: "to run" is outside the veto */
        n_scan = k == 2 ? 3 : 2; /* k 2: an unveto lifts the veto */
        struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
        struct detect_sum s = {0};
        gate(&x);
        evidence_sum(&x, &s);
        reg_w[k] = s.reg_w;
    }
    ASSERT_DBL_NEAR(reg_w[0], 1.5, 1e-12);
    ASSERT_DBL_NEAR(reg_w[1], 0, 1e-12);
    ASSERT_DBL_NEAR(reg_w[2], 1.5, 1e-12);
    det.cfg.regulator_weight = 0;
    mens = NULL, n_mens = 0;
}

TEST(role_votes)
{
    setup();
    struct squawk_article a = article("", "Acme Corp will buy Widget. Bolt Ltd said near Acme Corp.");
    const char *b = a.text[1];
    uint32_t buy = (uint32_t)(strstr(b, "buy") - b), nr = (uint32_t)(strstr(b, "near") - b);
    uint32_t w = (uint32_t)(strstr(b, "Widget") - b), bolt = (uint32_t)(strstr(b, "Bolt") - b);
    uint32_t acme2 = (uint32_t)(strstr(b, "near Acme") - b) + 5;
    struct squawk_match ms[] = {M(R_BUY, 1, buy, buy + 3), M(R_NEAR, 1, nr, nr + 4), M(R_TAGGED, 1, nr, nr + 4)};
    struct squawk_mention mn[] = {{0, 1, 0, 9, 0, 1}, {1, 1, w, w + 6, 0, 1}, {3, 1, bolt, bolt + 8, 0, 1},
                                  {0, 1, acme2, acme2 + 9, 0, 1}};
    scan = ms, n_scan = 3, mens = mn, n_mens = 4;
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
    struct detect_sum s = {.reg_mention = -1};
    gate(&x);
    accept_mentions(&x);
    ASSERT_EQ(x.n_acc, 3);
    role_votes(&x, &s);
    /* forward "buy": Acme before is the investor, Widget after the target */
    ASSERT_DBL_NEAR(x.accs[0].va, 2.0, 1e-12);
    ASSERT_DBL_NEAR(x.accs[1].vb, 2.0, 1e-12);
    ASSERT_DBL_NEAR(x.accs[0].vb + x.accs[1].va, 0, 0);
    /* undirected "near" and "tagged": half their weight to each mention in
     * their sentence (not Widget's) */
    ASSERT_DBL_NEAR(x.accs[0].near, 1.0, 1e-12);
    ASSERT_DBL_NEAR(x.accs[1].near, 0, 0);
    ASSERT_DBL_NEAR(x.accs[2].near, 1.0, 1e-12);
    /* the tag investor=BOLT votes Bolt investor */
    ASSERT_DBL_NEAR(x.accs[2].va, 1.0, 1e-12);
    int roles;
    ASSERT_EQ(rank_entities(&x, &roles), 3);
    ASSERT_EQ(roles, 2);
    ASSERT_EQ(sector_party(&x), 0); /* sector_bonus is 0 */
}

/* A long article: the run leaves the stack, more amounts than the old fixed
 * eight are reported, and the trigger and evidence caps are counted and logged. */
TEST(process_counts_caps)
{
    setup();
    size_t n = DETECT_MAX_TRIGGERS + 100;
    char *body = malloc(n * 10 + 1);
    scan = calloc(n, sizeof *scan);
    mens = calloc(n, sizeof *mens);
    amts = calloc(12, sizeof *amts);
    ASSERT(body && scan && mens && amts);
    for (size_t i = 0; i < n; i++) {
        memcpy(body + i * 10, "Acme buys ", 10);
        mens[i] = (struct squawk_mention){0, 1, (uint32_t)i * 10, (uint32_t)i * 10 + 4, 0, 1};
        /* buy, near and tagged triggers take turns: three rules, so three evidence spans */
        scan[i] = M(i % 3 == 0 ? R_BUY : i % 3 == 1 ? R_NEAR : R_TAGGED, 1, (uint32_t)i * 10 + 5,
                    (uint32_t)i * 10 + 9);
    }
    body[n * 10] = '\0';
    for (size_t k = 0; k < 12; k++) {
        memcpy(body + k * 10 + 5, "$1m", 3);
        amts[k] = (struct squawk_amount){1e6 * (double)(k + 1), 1, (uint32_t)k * 10 + 5, (uint32_t)k * 10 + 8};
    }
    n_scan = n, n_mens = n, n_amts = 12;
    struct squawk_article a = article("Acme", body);
    uint64_t trig0 = detect_cap_count(DETECT_CAP_TRIGGERS), ev0 = detect_cap_count(DETECT_CAP_EVIDENCE);
    n_logs = n_amounts_reported = n_evidence_reported = begun = 0;
    ASSERT_EQ(detect_process(&det, &a, NULL), 0);
    ASSERT_EQ(begun, 1);
    ASSERT_EQ(n_amounts_reported, 12);
    ASSERT_EQ(n_evidence_reported, 3); /* one per rule: under the cap */
    ASSERT_EQ(detect_cap_count(DETECT_CAP_TRIGGERS), trig0 + 1);
    ASSERT_EQ(detect_cap_count(DETECT_CAP_EVIDENCE), ev0);
    ASSERT_EQ(n_logs, 1);
    ASSERT_STR_EQ(role_of[0], "investor");
    free(body);
    free(scan);
    free(mens);
    free(amts);
    n_scan = n_mens = n_amts = 0;
}

/* Seven rules that show as evidence, each matched in the headline and the
 * body: ten spans are reported, and the cap is counted once. */
TEST(evidence_cap_counted)
{
    setup();
    struct squawk_match ms[16];
    for (int i = 0; i < 16; i++) ms[i] = M((uint32_t)(i % 8), i < 8 ? 0 : 1, (uint32_t)i * 2, (uint32_t)i * 2 + 1);
    scan = ms, n_scan = 16, n_mens = 0;
    struct squawk_article a = article("0123456789abcdef", "0123456789abcdefghijklmnopqrstuvwxyz");
    uint64_t ev0 = detect_cap_count(DETECT_CAP_EVIDENCE);
    n_evidence_reported = 0;
    ASSERT_EQ(detect_process(&det, &a, NULL), 0);
    ASSERT_EQ(n_evidence_reported, DETECT_MAX_EVIDENCE);
    ASSERT_EQ(detect_cap_count(DETECT_CAP_EVIDENCE), ev0 + 1);
}

/* detect_init with roles investor/target over the fake pack, engine `engine`; 0 or -1 with err. */
static int v2_init(const char *engine, char *err, size_t errlen)
{
    static const struct detect_spec spec = {"test", "investor", "target", 0, 1};
    struct detect_config c2 = cfg;
    c2.engine = engine;
    return detect_init(&det, &spec, &c2, &host, "test", err, errlen);
}

/* Engine v2: typed fields become the same tags; a rule's first slot gives its
 * fallback direction; filled slots vote by role and proximity fills the rest. */
TEST(engine_v2_rules_and_slots)
{
    char err[128];
    ASSERT(v2_init("v3", err, sizeof err) != 0);
    ASSERT(strstr(err, "engine") != NULL);
    ASSERT_EQ(v2_init("v2", err, sizeof err), 0);
    ASSERT_EQ(det.n_rules, 9);
    ASSERT_EQ(det.rules[0].dir, 1);
    ASSERT_EQ(det.rules[0].tag, DETECT_TAG_NONE);
    ASSERT_EQ(det.rules[1].tag, DETECT_TAG_VETO);
    ASSERT_EQ(det.rules[2].tag, DETECT_TAG_BACKGROUND);
    ASSERT_EQ(det.rules[3].tag, DETECT_TAG_REQ_SECTOR_OBJ);
    ASSERT_EQ(det.rules[4].tag, DETECT_TAG_OTHER);
    ASSERT_EQ(det.rules[5].tag, DETECT_TAG_SECTOR);
    /* "Acme Corp said Widget will buy Bolt Ltd": the slots say Widget buys Bolt,
     * though Acme is also before the verb; a hit without slots falls back to
     * proximity (Widget before = investor). */
    struct squawk_article a = article("", "Acme Corp said Widget will buy Bolt Ltd. Widget will buy more.");
    const char *b = a.text[1];
    uint32_t w = (uint32_t)(strstr(b, "Widget") - b), buy = (uint32_t)(strstr(b, "buy") - b);
    uint32_t bolt = (uint32_t)(strstr(b, "Bolt") - b), w2 = (uint32_t)(strstr(b, "Widget will buy more") - b);
    struct squawk_match ms[] = {M(0, 1, w, bolt + 8), M(0, 1, w2 + 12, w2 + 15)};
    struct squawk_mention mn[] = {{0, 1, 0, 9, 0, 1}, {1, 1, w, w + 6, 0, 1}, {3, 1, bolt, bolt + 8, 0, 1},
                                  {1, 1, w2, w2 + 6, 0, 1}};
    struct squawk_tslot sl[] = {{"investor", 1, w, w + 6}, {"target", 3, bolt, bolt + 8}};
    uint32_t off[] = {0, 2, 2};
    scan = ms, n_scan = 2, mens = mn, n_mens = 4, tslots = sl, tslot_off = off;
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
    x.n_rules = det.n_rules, x.slots = sl, x.slot_off = off;
    struct detect_sum s = {.reg_mention = -1};
    gate(&x);
    accept_mentions(&x);
    role_votes(&x, &s);
    ASSERT_EQ(x.n_acc, 3); /* Acme, Widget, Bolt in order of first mention */
    ASSERT_DBL_NEAR(x.accs[0].va + x.accs[0].vb, 0, 0); /* Acme: not a party of the slotted hit */
    ASSERT_DBL_NEAR(x.accs[1].va, 4.0, 1e-12);           /* Widget: slot, then proximity in sentence two */
    ASSERT_DBL_NEAR(x.accs[2].vb, 2.0, 1e-12);           /* Bolt: the target slot */
    (void)buy;
    tslots = NULL, tslot_off = NULL;
    n_scan = n_mens = 0;
}

/* Engine v2 with roles investor/target over the given hits, mentions and slots (kept in the
 * fakes' globals until the test resets them); the run's arrays live on buf. */
static struct detect_run v2_run(const struct squawk_article *a, struct squawk_match *ms, size_t n_ms,
                                struct squawk_mention *mn, size_t n_mn, struct squawk_tslot *sl, uint32_t *off,
                                unsigned char *buf, size_t cap)
{
    char err[128];
    ASSERT_EQ(v2_init("v2", err, sizeof err), 0);
    scan = ms, n_scan = n_ms, mens = mn, n_mens = n_mn, tslots = sl, tslot_off = off;
    void *heap = NULL;
    struct detect_run x = run_of(a, buf, cap, &heap);
    ASSERT(heap == NULL);
    x.n_rules = det.n_rules, x.slots = sl, x.slot_off = off;
    return x;
}

/* Engine v2: a company a slot holds takes no proximity vote for the other side too, and a
 * veto of the words of that name ("Bolt Chips" read as "chips") does not veto the hit. */
TEST(engine_v2_slot_company_keeps_its_role)
{
    /* buy2's first slot is investor (dir forward); here it holds the company after the words */
    struct squawk_article a = article("", "A $5bn bid for Bolt Chips Ltd came in.");
    const char *b = a.text[1];
    uint32_t bid = (uint32_t)(strstr(b, "$5bn") - b), bolt = (uint32_t)(strstr(b, "Bolt") - b);
    uint32_t chips = (uint32_t)(strstr(b, "Chips") - b);
    struct squawk_match ms[] = {M(0, 1, bid, bolt + 14), M(1, 1, chips, chips + 5)};
    struct squawk_mention mn[] = {{3, 1, bolt, bolt + 14, 0, 1}};
    struct squawk_tslot sl[] = {{"investor", 3, bolt, bolt + 14}};
    uint32_t off[] = {0, 1, 1};
    _Alignas(16) unsigned char buf[4096];
    struct detect_run x = v2_run(&a, ms, 2, mn, 1, sl, off, buf, sizeof buf);
    votes_of(&x);
    ASSERT_EQ(x.vetoed[0], 0);
    ASSERT_EQ(x.n_acc, 1);
    ASSERT_DBL_NEAR(x.accs[0].va, 2.0, 1e-12); /* the slot's role */
    ASSERT_DBL_NEAR(x.accs[0].vb, 0, 0);       /* not the proximity side after the words */
    /* a veto over words outside every slot still vetoes */
    ms[1] = M(1, 1, bid, bid + 4);
    x = v2_run(&a, ms, 2, mn, 1, sl, off, buf, sizeof buf);
    gate(&x);
    ASSERT_EQ(x.vetoed[0], 1);
    tslots = NULL, tslot_off = NULL;
    n_scan = n_mens = 0;
}

/* Engine v2: an unveto with lifts: lifts the vetoes it names and no other it overlaps ("by the SEC"
 * lifts a former boss's case, not the dated fine of the same sentence). */
TEST(engine_v2_unveto_lifts_named_vetoes)
{
    struct squawk_article a = article("", "It was fined by the SEC in 2022.");
    uint32_t end = (uint32_t)strlen(a.text[1]);
    struct squawk_match ms[] = {M(0, 1, 7, 12), M(1, 1, 7, 23), M(7, 1, 0, end), M(8, 1, 13, 23)};
    uint32_t off[] = {0, 0, 0, 0, 0};
    struct squawk_tslot sl[1];
    _Alignas(16) unsigned char buf[4096];
    struct detect_run x = v2_run(&a, ms, 4, NULL, 0, sl, off, buf, sizeof buf);
    gate(&x);
    ASSERT_EQ(x.lifted[1], 1); /* veto2: named */
    ASSERT_EQ(x.lifted[2], 0); /* veto3: overlapped, not named */
    ASSERT_EQ(x.vetoed[0], 1); /* veto3 still holds the trigger */
    /* without veto3 the unveto lifts veto2 and nothing vetoes the trigger */
    struct squawk_match ms2[] = {M(0, 1, 7, 12), M(1, 1, 7, 23), M(8, 1, 13, 23)};
    x = v2_run(&a, ms2, 3, NULL, 0, sl, off, buf, sizeof buf);
    gate(&x);
    ASSERT_EQ(x.vetoed[0], 0);
    tslots = NULL, tslot_off = NULL;
    n_scan = n_mens = 0;
}

/* Engine v2: a weight-0 rule with slots names roles only: its slots vote, after the role bonus,
 * and it is no trigger. */
TEST(engine_v2_roles_only_rule)
{
    struct squawk_article a = article("", "Backers including Bolt Ltd joined.");
    const char *b = a.text[1];
    uint32_t bolt = (uint32_t)(strstr(b, "Bolt") - b);
    struct squawk_match ms[] = {M(6, 1, 0, bolt + 8)};
    struct squawk_mention mn[] = {{3, 1, bolt, bolt + 8, 0, 1}};
    struct squawk_tslot sl[] = {{"investor", 3, bolt, bolt + 8}};
    uint32_t off[] = {0, 1};
    _Alignas(16) unsigned char buf[4096];
    struct detect_run x = v2_run(&a, ms, 1, mn, 1, sl, off, buf, sizeof buf);
    votes_of(&x);
    ASSERT_EQ(is_trigger(&x, 0), 0);
    ASSERT(names_roles_only(&x, 0));
    ASSERT_DBL_NEAR(x.accs[0].va, 0, 0); /* no trigger vote */
    roles_only_votes(&x);
    ASSERT_DBL_NEAR(x.accs[0].va, 1.0, 1e-12);
    tslots = NULL, tslot_off = NULL;
    n_scan = n_mens = 0;
}

/* Engine v2: a pack's role beside the spec's two (invest's seller) is role_x: it votes on role_b's
 * side and is counted apart; a second such role is a load error naming the rule. */
TEST(engine_v2_further_role)
{
    static const char *const sell[] = {"seller", "target"}, *const two[] = {"seller", "lender"};
    struct squawk_trule keep = trules[6];
    trules[6].slot_role = sell;
    struct squawk_article a = article("", "Bolt Ltd plans to sell its unit.");
    struct squawk_match ms[] = {M(6, 1, 0, 21)};
    struct squawk_mention mn[] = {{3, 1, 0, 8, 0, 1}};
    struct squawk_tslot sl[] = {{"seller", 3, 0, 8}};
    uint32_t off[] = {0, 1};
    _Alignas(16) unsigned char buf[4096];
    struct detect_run x = v2_run(&a, ms, 1, mn, 1, sl, off, buf, sizeof buf);
    ASSERT_STR_EQ(det.role_x, "seller");
    ASSERT_EQ(det.rules[6].x_first, 1);
    ASSERT_EQ(det.rules[6].dir, -1); /* the seller opens the match: the company before is on role_b's side */
    votes_of(&x);
    roles_only_votes(&x);
    ASSERT_DBL_NEAR(x.accs[0].vb, 1.0, 1e-12); /* role_b's side for the evidence */
    ASSERT_DBL_NEAR(x.accs[0].rx, 1.0, 1e-12); /* and counted as the seller's */
    ASSERT_DBL_NEAR(x.accs[0].va, 0, 0);
    trules[6].slot_role = two;
    char err[256];
    ASSERT(v2_init("v2", err, sizeof err) != 0);
    ASSERT(strstr(err, "rule roles2 names role 'lender'") != NULL);
    ASSERT(strstr(err, "one further role at most") != NULL);
    trules[6] = keep;
    tslots = NULL, tslot_off = NULL;
    n_scan = n_mens = 0;
}

/* A coordinated list fills the role for every name in it: "Acme Corp , Bolt
 * Ltd and Widget will buy ..." makes all three investors (a comma set off by
 * spaces too); a name outside the list ("rather than Widget") gets nothing. */
TEST(list_votes_coordination)
{
    setup();
    struct squawk_article a = article("", "Acme Corp , Bolt Ltd and Widget will buy stakes. Acme Corp will buy Widget.");
    const char *b = a.text[1];
    uint32_t bolt = (uint32_t)(strstr(b, "Bolt") - b), w = (uint32_t)(strstr(b, "Widget") - b),
             buy = (uint32_t)(strstr(b, "buy") - b);
    struct squawk_match ms[] = {M(R_BUY, 1, buy, buy + 3)};
    struct squawk_mention mn[] = {{0, 1, 0, 9, 0, 1}, {3, 1, bolt, bolt + 8, 0, 1}, {1, 1, w, w + 6, 0, 1}};
    scan = ms, n_scan = 1, mens = mn, n_mens = 3;
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
    votes_of(&x);
    ASSERT_EQ(x.n_acc, 3);
    for (size_t i = 0; i < 3; i++) ASSERT_DBL_NEAR(x.accs[i].va, 2.0, 1e-12);
    /* not a list: "Acme Corp said Bolt Ltd will buy": only Bolt */
    struct squawk_article a2 = article("", "Acme Corp said Bolt Ltd will buy Widget.");
    b = a2.text[1];
    bolt = (uint32_t)(strstr(b, "Bolt") - b), w = (uint32_t)(strstr(b, "Widget") - b), buy = (uint32_t)(strstr(b, "buy") - b);
    ms[0] = M(R_BUY, 1, buy, buy + 3);
    mn[1] = (struct squawk_mention){3, 1, bolt, bolt + 8, 0, 1};
    mn[2] = (struct squawk_mention){1, 1, w, w + 6, 0, 1};
    x = run_of(&a2, buf, sizeof buf, &heap);
    votes_of(&x);
    ASSERT_DBL_NEAR(x.accs[0].va, 0, 0);          /* Acme */
    ASSERT_DBL_NEAR(x.accs[1].va, 2.0, 1e-12);    /* Bolt */
    ASSERT_DBL_NEAR(x.accs[2].vb, 2.0, 1e-12);    /* Widget */
    ASSERT(list_gap("A , B", 1, 4));
    ASSERT(!list_gap("A said B", 1, 7));
    n_scan = n_mens = 0;
}

/* An ambiguous name counts as the subject of a headline that holds a trigger
 * ("Acme tries ... buy"), however far the trigger; elsewhere only next to one. */
TEST(ambiguous_headline_subject)
{
    setup();
    const char *h = "'Acme' tries very hard to persuade its own wary board members to buy";
    struct squawk_article a = article(h, "");
    uint32_t buy = (uint32_t)(strstr(h, "buy") - h), acme = 1;
    struct squawk_match ms[] = {M(R_BUY, 0, buy, buy + 3)};
    struct squawk_mention mn[] = {{0, 0, acme, acme + 4, 1, 0}};
    scan = ms, n_scan = 1, mens = mn, n_mens = 1;
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
    ASSERT_EQ(mention_ok(&x, 0), 1);
    ASSERT(leads_headline(h, acme));
    ASSERT(!leads_headline(h, (uint32_t)(strstr(h, "board") - h)));
    /* not the subject: the same distance from the trigger is too far */
    const char *h2 = "Board says Acme tries very hard to persuade its own wary board members to buy";
    a = article(h2, "");
    buy = (uint32_t)(strstr(h2, "buy") - h2), acme = (uint32_t)(strstr(h2, "Acme") - h2);
    ms[0] = M(R_BUY, 0, buy, buy + 3);
    mn[0] = (struct squawk_mention){0, 0, acme, acme + 4, 1, 0};
    x = run_of(&a, buf, sizeof buf, &heap);
    ASSERT_EQ(mention_ok(&x, 0), 0);
    n_scan = n_mens = 0;
}

/* detect_process over a, one buy trigger in the body and mentions mn[n]:
 * Acme is mentioned, Bolt the investor, Widget the target. */
static void acme_mentioned_bolt_buys_widget(const struct squawk_article *a, struct squawk_mention *mn, size_t n)
{
    const char *b = a->text[1];
    uint32_t buy = (uint32_t)(strstr(b, "buy") - b);
    struct squawk_match ms[] = {M(R_BUY, 1, buy, buy + 3)};
    scan = ms, n_scan = 1, mens = mn, n_mens = n;
    memset(role_of, 0, sizeof role_of);
    ASSERT_EQ(detect_process(&det, a, NULL), 0);
    ASSERT_STR_EQ(role_of[0], "mentioned");
    ASSERT_STR_EQ(role_of[3], "investor");
    ASSERT_STR_EQ(role_of[1], "target");
    n_scan = n_mens = 0;
}

/* A company the headline names but no trigger reaches is mentioned in passing:
 * role "mentioned" (no topic); the parties the trigger reaches keep theirs. */
TEST(passing_headline_mention)
{
    setup();
    struct squawk_article a = article("Acme Corp looks on", "Bolt Ltd will buy Widget.");
    uint32_t w = (uint32_t)(strstr(a.text[1], "Widget") - a.text[1]);
    struct squawk_mention mn[] = {{0, 0, 0, 9, 0, 1}, {3, 1, 0, 8, 0, 1}, {1, 1, w, w + 6, 0, 1}};
    acme_mentioned_bolt_buys_widget(&a, mn, 3);
}

/* "Acme co-founder and CEO Jane Roe" names a person's employer: when the
 * headline does not name Acme, the person is the party and Acme is mentioned. */
TEST(person_employer_is_context)
{
    const char *t = "backed by Acme co-founder and CEO Jane Roe and Acme chief Bob Poe, Acme CEO said";
    size_t l = strlen(t);
    ASSERT(names_a_person(t, l, (size_t)(strstr(t, "Acme co") - t) + 4, 0));
    ASSERT(names_a_person(t, l, (size_t)(strstr(t, "Acme chief") - t) + 4, 0));
    ASSERT(!names_a_person(t, l, (size_t)(strstr(t, "Acme CEO said") - t) + 4, 0));
    setup();
    struct squawk_article a = article("Widget raises money", "Bolt Ltd and Acme Corp chief Jane Roe will buy Widget.");
    const char *b = a.text[1];
    uint32_t w = (uint32_t)(strstr(b, "Widget") - b), acme = (uint32_t)(strstr(b, "Acme") - b);
    struct squawk_mention mn[] = {{1, 0, 0, 6, 0, 1}, {3, 1, 0, 8, 0, 1}, {0, 1, acme, acme + 9, 0, 1},
                                  {1, 1, w, w + 6, 0, 1}};
    acme_mentioned_bolt_buys_widget(&a, mn, 4);
}

/* Relations name context in a headline of any case ("Toyota supplier Denso", "Apple Supplier Foxconn"),
 * titles only in a body ("Nvidia CEO Announces ..." capitalises a verb); a name used as a word
 * ("Nvidia-backed start-up", "the Uber of freight") is no party. */
/* The text half of employer_of_owner: a person's possessive after the name, then their business. */
static int owner_of(const char *s, size_t len, size_t end, size_t next)
{
    size_t i = owner_possessive_end(s, len, end);
    return i && owner_business_after(s, len, i, next);
}

TEST(names_used_as_context)
{
    const char *h = "Toyota supplier Denso makes bid for chipmaker Rohm";
    size_t hl = strlen(h);
    ASSERT(names_a_person(h, hl, 6, 1));
    ASSERT(names_a_person("Apple Supplier Foxconn To Invest $1 Billion", 43, 5, 1));
    ASSERT(!names_a_person("Nvidia CEO Announces New Chip With Partner", 42, 6, 1));
    ASSERT(!names_a_person("Acme chief Bob Poe sells stake", 30, 4, 1)); /* a headline's title speaks for Acme */
    ASSERT(names_a_person("Acme chief Bob Poe sells stake", 30, 4, 0));
    ASSERT(!names_a_person("Acme supplier shares fall", 25, 4, 1));     /* no name after the relation */
    const char *t[][2] = {
        /* text, the mention ("1": a name used as a word) */
        {"Nvidia-backed Nscale raises $1bn", "1Nvidia"},
        {"Nvidia-Backed CoreWeave Signs $11.9 Billion Contract With OpenAI", "1Nvidia"}, /* Title Case */
        {"Startup Unveils Arm-Based Server Chip", "1Arm"},
        {"An Nvidia-backed \xe2\x80\x98open\xe2\x80\x99 AI start-up courts investors", "1Nvidia"},
        {"Meta-backed data centre seeks $3bn", "0Meta"},
        {"Nscale, the Nvidia-backed cloud provider, raises $1bn", "1Nvidia"}, /* a company word: provider, operator */
        {"the Microsoft-backed data centre operator signs a lease", "1Microsoft"},
        {"Oway wants to be a decentralized \xe2\x80\x98Uber for freight\xe2\x80\x99", "1Uber"},
        {"Motion wants to build the Microsoft Office of AI agents", "1Microsoft"},
        {"it could be the Nvidia of China", "1Nvidia"},
        {"Acme sold Waymo to Google for $1bn in cash", "0Google"},
        {"a deal with Nvidia for chips", "0Nvidia"},
        {"Panama said it would buy", "0Panama"},
        {"Jane Roe and Michael Dell join a group buying the app", "1Dell"},   /* a person named like a firm */
        {"a factory Henry Ford would have liked", "1Ford"},
        {"Dell agreed to buy a storage start-up", "0Dell"},
        {"shares of Acme Ford rose", "0Ford"},                               /* not a given name */
        {"Globex snaps up Arm-based server chip designer Initech", "1Arm"},   /* a technology, never a party */
        {"sells Nvidia-compatible servers to Initech", "1Nvidia"},
        {"builds Nvidia-powered AI centres", "0Nvidia"},                      /* the chips' supplier */
        {"Arm agreed to buy a server chip designer", "0Arm"},
    };
    /* a former employer: "a Widget vet", "Widget alumni" (whole words only) */
    const char *v = "A Widget vet raises $5mn; Widget alumni back it; Widget veterinary unit grows; "
                    "Ex-Widget boss speaks; a former Widget engineer; Apex-Widget deal";
    size_t vl = strlen(v), v1 = (size_t)(strstr(v, "Widget vet ") - v), v2 = (size_t)(strstr(v, "Widget alumni") - v),
           v3 = (size_t)(strstr(v, "Widget veterinary") - v), v4 = (size_t)(strstr(v, "Widget boss") - v),
           v5 = (size_t)(strstr(v, "Widget engineer") - v), v6 = (size_t)(strstr(v, "Widget deal") - v);
    ASSERT(former_employer(v, vl, v1, v1 + 6));
    ASSERT(former_employer(v, vl, v2, v2 + 6));
    ASSERT(!former_employer(v, vl, v3, v3 + 6));
    ASSERT(former_employer(v, vl, v4, v4 + 6));
    ASSERT(former_employer(v, vl, v5, v5 + 6));
    ASSERT(!former_employer(v, vl, v6, v6 + 6)); /* "Apex-Widget": no "ex-" word */
    const char *w = "Widget's former chief raises $1bn; Widget\xe2\x80\x99s ex-CEO joins; Widget's new chief";
    size_t wl = strlen(w), w1 = 0, w2 = (size_t)(strstr(w, "Widget\xe2") - w), w3 = (size_t)(strstr(w, "Widget's new") - w);
    ASSERT(former_employer(w, wl, w1, w1 + 6));
    ASSERT(former_employer(w, wl, w2, w2 + 6));
    ASSERT(!former_employer(w, wl, w3, w3 + 6));
    /* one capitalised word, the unit or lab, between: "Widget AI alumni", "Widget Brain Veterans"; not a
     * lower-case word ("Widget robot vets") nor two capitalised ones */
    const char *u = "Widget AI alumni raise $70mn; Widget Brain Veterans launch; Widget robot vets; Widget Deep Mind alumni";
    size_t ul = strlen(u), u1 = 0, u2 = (size_t)(strstr(u, "Widget Brain") - u), u3 = (size_t)(strstr(u, "Widget robot") - u),
           u4 = (size_t)(strstr(u, "Widget Deep") - u);
    ASSERT(former_employer(u, ul, u1, u1 + 6));
    ASSERT(former_employer(u, ul, u2, u2 + 6));
    ASSERT(!former_employer(u, ul, u3, u3 + 6));
    ASSERT(!former_employer(u, ul, u4, u4 + 6));
    /* "former researchers from Widget", "ex-engineers at Widget"; not "investors from Widget" */
    const char *f = "founded by former researchers from Widget; ex-engineers at Widget; with investors from Widget";
    size_t f1 = (size_t)(strstr(f, "from Widget") - f) + 5, f2 = (size_t)(strstr(f, "at Widget") - f) + 3,
           f3 = (size_t)(strstr(f, "investors from Widget") - f) + 15;
    ASSERT(former_staff_of(f, f1));
    ASSERT(former_staff_of(f, f2));
    ASSERT(!former_staff_of(f, f3));
    /* the company of a person whose own business follows ("Widget boss Jo Poe's Initech", "Widget heir's
     * bank"): context; not the company's own things ("Widget chief's pay deal", "Widget CEO Jo Poe's
     * company", a regulator after the possessive) */
    const char *o = "Widget boss Jo Poe's Initech raises; Widget heir's family office buys; Widget co-founder's AI start-up; "
                    "Widget chief's pay deal; Widget CEO Jo Poe's company; Widget owner's bid";
    size_t ol = strlen(o), o1 = 0, o2 = (size_t)(strstr(o, "Widget heir") - o), o3 = (size_t)(strstr(o, "Widget co-") - o),
           o4 = (size_t)(strstr(o, "Widget chief") - o), o5 = (size_t)(strstr(o, "Widget CEO") - o),
           o6 = (size_t)(strstr(o, "Widget owner") - o), on = (size_t)(strstr(o, "Initech") - o);
    ASSERT(owner_of(o, ol, o1 + 6, on));
    ASSERT(!owner_of(o, ol, o1 + 6, SIZE_MAX)); /* no name after it, no business word */
    ASSERT(owner_of(o, ol, o2 + 6, SIZE_MAX));
    ASSERT(owner_of(o, ol, o3 + 6, SIZE_MAX));
    ASSERT(!owner_of(o, ol, o4 + 6, SIZE_MAX));
    ASSERT(!owner_of(o, ol, o5 + 6, SIZE_MAX));
    ASSERT(!owner_of(o, ol, o6 + 6, SIZE_MAX)); /* "owner" is a descriptor: "Gucci owner Kering" */
    /* a name glued by a hyphen into the last word of a slotless mark's hit ("for Acme-powered"): the mark names it;
     * not one the hit goes past ("for Acme-powered racks") nor one with a space after it */
    const char *g = "for Acme-powered capacity";
    ASSERT(glued_last_word(g, 8, 16));  /* hit "for Acme-powered" */
    ASSERT(!glued_last_word(g, 8, 25)); /* hit "for Acme-powered capacity" */
    ASSERT(!glued_last_word("with Acme GPUs", 9, 14));
    ASSERT(!glued_last_word(g, 8, 8));
    /* a site's menu: a long run of capitalised words around the name */
    const char *menu = "Tech Expand All Tech Initech Globex Acme Umbrella Business Creators Mobile Policy said";
    size_t ml = strlen(menu), ms = (size_t)(strstr(menu, "Acme") - menu);
    ASSERT_GE(cap_run(menu, ml, ms, ms + 4, 8), 8);
    const char *prose = "Acme Corp Chief Executive Jane Roe said on Monday";
    ASSERT_LT(cap_run(prose, strlen(prose), 0, 4, 8), 8);
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        const char *s = t[k][0], *at = strstr(s, t[k][1] + 1);
        ASSERT(at != NULL);
        size_t st = (size_t)(at - s), en = st + strlen(t[k][1] + 1);
        if (name_as_word(s, strlen(s), st, en) != (t[k][1][0] == '1')) SQ_FAIL_("name_as_word: %s", s);
    }
}

/* Regulatory (roles by kind): an ambiguous name in a list of three with a company is a company;
 * in a pair, or for a deal's roles, it needs its own context. */
TEST(ambiguous_in_a_list)
{
    struct squawk_article a = article("", "The agency wrote to Acme Corp, Widget and Bolt about it. Then Acme Corp and Widget met.");
    const char *b = a.text[1];
    uint32_t acme = (uint32_t)(strstr(b, "Acme") - b), w = (uint32_t)(strstr(b, "Widget") - b),
             bolt = (uint32_t)(strstr(b, "Bolt") - b), acme2 = (uint32_t)(strstr(b, "Then Acme") - b) + 5,
             w2 = (uint32_t)(strstr(b, "and Widget met") - b) + 4;
    static struct squawk_mention mn[5];
    const struct squawk_mention m0[] = {{0, 1, acme, acme + 9, 0, 1}, {1, 1, w, w + 6, 1, 0}, {3, 1, bolt, bolt + 4, 1, 0},
                                        {0, 1, acme2, acme2 + 9, 0, 1}, {1, 1, w2, w2 + 6, 1, 0}};
    memcpy(mn, m0, sizeof mn);
    scan = NULL, n_scan = 0, mens = mn, n_mens = 5;
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    for (int by_kind = 0; by_kind < 2; by_kind++) {
        const struct detect_spec spec = {"test", "regulator", "subject", by_kind, 0};
        char err[128];
        setup();
        ASSERT_EQ(detect_init(&det, &spec, &cfg, &host, "test", err, sizeof err), 0);
        struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
        accept_mentions(&x);
        ASSERT_EQ(x.ok[0], 1);
        ASSERT_EQ(x.ok[1], by_kind); /* Widget, in a list of three */
        ASSERT_EQ(x.ok[2], by_kind); /* Bolt */
        ASSERT_EQ(x.ok[4], 0);       /* Widget in a pair */
    }
    n_mens = 0;
}

/* A news feed's ticker tag repeats the name before it ("Acme Corp ( NYSE:ACME )"): one naming,
 * counted once, so a tag list's mark cannot outvote the headline that names the company. */
TEST(ticker_tag_counts_once)
{
    setup();
    struct squawk_article a = article("Acme Corp ( NYSE:ACME ) wins order; Acme Corp and ACME later", "");
    const char *h = a.text[0];
    uint32_t t1 = (uint32_t)(strstr(h, "ACME )") - h), a2 = (uint32_t)(strstr(h, "; Acme") - h) + 2,
             t2 = (uint32_t)(strstr(h, "ACME later") - h);
    static struct squawk_mention mn[4];
    const struct squawk_mention m0[] = {{0, 0, 0, 9, 0, 1}, {0, 0, t1, t1 + 4, 0, 1}, {0, 0, a2, a2 + 9, 0, 1},
                                        {0, 0, t2, t2 + 4, 0, 1}};
    memcpy(mn, m0, sizeof mn);
    scan = NULL, n_scan = 0, mens = mn, n_mens = 4;
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
    accept_mentions(&x);
    ASSERT(repeats_as_tag(&x, 1));  /* "( NYSE:ACME )" after its name */
    ASSERT(!repeats_as_tag(&x, 2)); /* the name again after a clause */
    ASSERT(!repeats_as_tag(&x, 3)); /* "and ACME": no tag */
    ASSERT_EQ(x.n_acc, 1);
    ASSERT_EQ(x.accs[0].mentions, 3);
    n_mens = 0;
}

/* party_in_lead (chips): a company named only past the body's lead is no party, whatever votes it
 * gets there; off, the same company takes the role the trigger gives it. */
TEST(party_in_lead)
{
    struct squawk_article a = article("Deal done", "Bolt Ltd will buy Widget. Analysts and rivals have long watched the "
                                                   "market for such parts and expect more deals. Acme Corp will buy Widget.");
    const char *b = a.text[1];
    uint32_t buy1 = (uint32_t)(strstr(b, "buy") - b), w1 = (uint32_t)(strstr(b, "Widget") - b),
             acme = (uint32_t)(strstr(b, "Acme") - b), buy2 = (uint32_t)(strstr(b, "Acme Corp will buy") - b) + 15,
             w2 = (uint32_t)(strstr(b + acme, "Widget") - b);
    ASSERT(acme > 100); /* past the fake engine's lead_bytes */
    struct squawk_match ms[] = {M(R_BUY, 1, buy1, buy1 + 3), M(R_BUY, 1, buy2, buy2 + 3)};
    struct squawk_mention mn[] = {{3, 1, 0, 8, 0, 1}, {1, 1, w1, w1 + 6, 0, 1}, {0, 1, acme, acme + 9, 0, 1},
                                  {1, 1, w2, w2 + 6, 0, 1}};
    for (int on = 0; on < 2; on++) {
        cfg.party_in_lead = on;
        setup();
        scan = ms, n_scan = 2, mens = mn, n_mens = 4;
        memset(role_of, 0, sizeof role_of);
        ASSERT_EQ(detect_process(&det, &a, NULL), 0);
        ASSERT_STR_EQ(role_of[3], "investor");
        ASSERT_STR_EQ(role_of[1], "target");
        ASSERT_STR_EQ(role_of[0], on ? "mentioned" : "investor");
    }
    cfg.party_in_lead = 0;
    n_scan = n_mens = 0;
}

/* Stages 1 and 2 over the current scan: the evidence sum. */
static struct detect_sum sum_of(const struct squawk_article *a)
{
    _Alignas(16) unsigned char buf[4096];
    void *heap = NULL;
    struct detect_run x = run_of(a, buf, sizeof buf, &heap);
    struct detect_sum s = {0};
    gate(&x);
    evidence_sum(&x, &s);
    free(heap);
    return s;
}

/* caps_body: a headline negative that says what the article is ("Opinion: ...") scales the
 * positive evidence of rules matched only in the body; a rule also in the headline keeps its
 * weight, and an unveto over the headline veto lifts the cap. */
TEST(headline_caps_body)
{
    setup();
    det.rules[R_NEG].caps_body = 0.25;
    det.rules[R_VETO].caps_body = 0.5;
    struct squawk_article a = article("Opinion: why the chip market is a bubble",
                                      "Acme agreed to buy Widget for cash last year, and Bolt to buy Foo.");
    struct squawk_match ms[] = {
        M(R_NEG, 0, 0, 8),   /* "Opinion:" in the headline, caps_body 0.25 */
        M(R_BUY, 1, 11, 17), /* body only: 2 * 0.25 */
        M(R_NEAR, 1, 50, 53),
    };
    scan = ms, n_scan = 3, n_mens = 0;
    struct detect_sum s = sum_of(&a);
    ASSERT_DBL_NEAR(s.body_cap, 0.25, 1e-12);
    ASSERT_DBL_NEAR(s.S, -1 + (2 + 1) * 0.25, 1e-12);
    /* the same body under a plain headline counts in full */
    scan = &ms[1], n_scan = 2;
    ASSERT_DBL_NEAR(sum_of(&a).S, 2 + 1, 1e-12);
    /* a rule that also matches in the headline is the headline's report: no cap */
    struct squawk_match ms2[] = {M(R_NEG, 0, 0, 8), M(R_BUY, 0, 20, 23), M(R_BUY, 1, 11, 17)};
    scan = ms2, n_scan = 3;
    ASSERT_DBL_NEAR(sum_of(&a).S, -1 + 2 * 1.25 + 1.5, 1e-12);
    /* a headline veto caps too, unless an unveto lifts it */
    struct squawk_match ms3[] = {M(R_VETO, 0, 0, 8), M(R_BUY, 1, 11, 17), M(R_UNVETO, 0, 2, 6)};
    scan = ms3, n_scan = 2;
    ASSERT_DBL_NEAR(sum_of(&a).S, 2 * 0.5, 1e-12);
    n_scan = 3;
    ASSERT_DBL_NEAR(sum_of(&a).S, 2, 1e-12);
    det.rules[R_NEG].caps_body = det.rules[R_VETO].caps_body = 1.0;
}

/* A full stop before closing punctuation ends the aside for the route: a name inside
 * "(... Acme Corp on the go.)" takes no role from the next sentence's trigger, but still
 * counts for the score as the whole sentence did. */
TEST(closed_aside_route)
{
    const char *t = "(She streams Acme Corp clips, she said.) Bolt Ltd will buy Widget.";
    uint32_t stop = (uint32_t)(strstr(t, ".)") - t);
    ASSERT(closed_aside_between(t, 0, stop + 3));
    ASSERT(!closed_aside_between(t, 0, stop)); /* the stop itself is not inside */
    ASSERT(closed_aside_between("He said \xe2\x80\x9cno.\xe2\x80\x9d Then", 8, 19));
    ASSERT(!closed_aside_between("Acme Corp. (NYSE: ACME) will buy", 0, 28));
    for (int on = 0; on <= 1; on++) { /* a clause break of route_clauses (invest's), off elsewhere */
        cfg.route_clauses = on;
        setup();
        struct squawk_article a = article("", "(She streams Acme Corp clips on the go.) Now buy Widget.");
        const char *b = a.text[1];
        uint32_t buy = (uint32_t)(strstr(b, "buy") - b), w = (uint32_t)(strstr(b, "Widget") - b);
        uint32_t acme = (uint32_t)(strstr(b, "Acme") - b);
        struct squawk_match ms[] = {M(R_BUY, 1, buy, buy + 3)};
        struct squawk_mention mn[] = {{0, 1, acme, acme + 9, 0, 1}, {1, 1, w, w + 6, 0, 1}};
        scan = ms, n_scan = 1, mens = mn, n_mens = 2;
        _Alignas(16) unsigned char buf[4096];
        void *heap = NULL;
        struct detect_run x = run_of(&a, buf, sizeof buf, &heap);
        votes_of(&x);
        ASSERT_EQ(x.n_acc, 2);
        ASSERT_DBL_NEAR(x.accs[0].va, 2.0, 1e-12);          /* the score's vote stays */
        ASSERT_DBL_NEAR(x.accs[0].ra, on ? 0 : 2.0, 1e-12); /* the route's goes with route_clauses */
        ASSERT_DBL_NEAR(x.accs[1].rb, 2.0, 1e-12);
        n_scan = n_mens = 0;
    }
    cfg.route_clauses = 0;
}

int main(void)
{
    RUN(sentence_bounds);
    RUN(veto_overlap_resolution);
    RUN(party_gate);
    RUN(evidence_sum);
    RUN(regulator_inside_veto);
    RUN(role_votes);
    RUN(process_counts_caps);
    RUN(evidence_cap_counted);
    RUN(engine_v2_rules_and_slots);
    RUN(engine_v2_slot_company_keeps_its_role);
    RUN(engine_v2_roles_only_rule);
    RUN(engine_v2_unveto_lifts_named_vetoes);
    RUN(engine_v2_further_role);
    RUN(list_votes_coordination);
    RUN(ambiguous_headline_subject);
    RUN(passing_headline_mention);
    RUN(person_employer_is_context);
    RUN(names_used_as_context);
    RUN(ambiguous_in_a_list);
    RUN(ticker_tag_counts_once);
    RUN(party_in_lead);
    RUN(headline_caps_body);
    RUN(closed_aside_route);
    return 0;
}
