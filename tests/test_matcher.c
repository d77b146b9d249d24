/* test_matcher.c -- the matcher's spans (hot scan without SOM, starts recovered per rule) equal SOM_LEFTMOST spans. */
#include <hs/hs.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assert.h"
#include "../core/error.h"
#include "../filters/hs_cache.h"
#include "../filters/matcher.h"
#include "../filters/yaml_doc.h"

static char tmpdir[256];

/* The reference: every pattern of a pack in one SOM_LEFTMOST database, as
 * the matcher compiled them before it dropped SOM from the hot scan. */
struct ref {
    hs_database_t *db;
    size_t n;
};

static void ref_build(struct ref *r, const char *const *pats, const unsigned *flags, size_t n)
{
    unsigned *fl = calloc(n, sizeof *fl), *ids = calloc(n, sizeof *ids);
    ASSERT(fl && ids);
    for (size_t i = 0; i < n; i++) {
        fl[i] = flags[i] | HS_FLAG_SOM_LEFTMOST;
        ids[i] = (unsigned)i;
    }
    hs_compile_error_t *ce = NULL;
    /* cached: compiling the packs with SOM takes ~40 s under ASan */
    if (filter_hs_cache_compile_multi(pats, fl, ids, (unsigned)n, &r->db, &ce) != HS_SUCCESS)
        SQ_FAIL_("reference compile: %s", ce ? ce->message : "?");
    r->n = n;
    free(fl);
    free(ids);
}

struct ref_ctx {
    filter_matches *out;
    uint32_t field;
};

static int on_ref(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                  void *ud)
{
    (void)flags;
    struct ref_ctx *c = ud;
    filter_matches *ms = c->out;
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 64;
        ms->v = realloc(ms->v, ms->cap * sizeof *ms->v);
        ASSERT(ms->v);
    }
    ms->v[ms->n++] = (struct squawk_match){id, c->field, (uint32_t)from, (uint32_t)to};
    return 0;
}

static int cmp_all(const void *a, const void *b)
{
    const struct squawk_match *x = a, *y = b;
    if (x->field != y->field) return x->field < y->field ? -1 : 1;
    if (x->rule != y->rule) return x->rule < y->rule ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return 0;
}

static void same(filter_matches *a, filter_matches *b, const char *text)
{
    if (a->n) qsort(a->v, a->n, sizeof *a->v, cmp_all);
    if (b->n) qsort(b->v, b->n, sizeof *b->v, cmp_all);
    for (size_t i = 0; i < a->n && i < b->n; i++)
        if (cmp_all(&a->v[i], &b->v[i]) != 0)
            SQ_FAIL_("match %zu: rule %u [%u,%u) vs SOM rule %u [%u,%u) in \"%.200s\"", i,
                     a->v[i].rule, a->v[i].start, a->v[i].end, b->v[i].rule, b->v[i].start,
                     b->v[i].end, text);
    ASSERT_EQ(a->n, b->n);
}

/* Scans text as both fields with the matcher and the reference; returns the match count. */
static size_t check_text(const filter_matcher *m, const struct ref *r, hs_scratch_t *s,
                         const char *text, size_t len)
{
    filter_matches got = {0}, want = {0};
    for (int f = 0; f < SQUAWK_FIELD_N; f++) {
        if (!filter_matcher_db(m, f) || len == 0) continue;
        ASSERT_EQ(filter_matcher_scan(m, s, f, text, len, &got), 0);
        struct ref_ctx c = {&want, (uint32_t)f};
        ASSERT_EQ(hs_scan(r->db, text, (unsigned)len, 0, s, on_ref, &c), HS_SUCCESS);
    }
    size_t n = want.n;
    same(&got, &want, text);
    filter_matches_sort(&got);
    filter_matches_sort(&want);
    same(&got, &want, text);
    filter_matches_free(&got);
    filter_matches_free(&want);
    return n;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ASSERT(f);
    fputs(text, f);
    fclose(f);
}

/* Overlapping, repeated, anchored, boundary, unbounded, 100-byte-wide and
 * UTF-8 patterns; flags as the YAML below gives them to Hyperscan. */
static const char *const syn_pat[] = {
    "a+b",        "aa",          "\\bab\\b",         "^a",          "b$",
    "^x.*y$",     "x.*y",        "x.{0,100}y",       "\\d{1,3}(,\\d{3})+", "é+[a-z]",
    "(ab|b)\\s+a", "\\Bb\\B",    "[ab]{2,5}",        "a\\z",        "y\\Z",
    "(\\bc-|-)ab", "(\\ba-|-)b",
};
static const unsigned syn_flags[] = {
    0, 0, HS_FLAG_CASELESS, 0, 0,
    HS_FLAG_MULTILINE, 0, HS_FLAG_DOTALL, 0, HS_FLAG_UTF8 | HS_FLAG_UCP,
    0, 0, 0, 0, 0,
    0, 0,
};
static const char *const syn_yaml_flags[] = {
    "", "", "caseless", "", "",
    "multiline", "", "dotall", "", "utf8",
    "", "", "", "", "",
    "", "",
};
#define SYN_N (sizeof syn_pat / sizeof *syn_pat)

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

TEST(spans_equal_som_on_synthetic_rules)
{
    char path[300], yaml[8192];
    size_t k = (size_t)snprintf(yaml, sizeof yaml, "rules:\n");
    for (size_t i = 0; i < SYN_N; i++) {
        k += (size_t)snprintf(yaml + k, sizeof yaml - k, "  - id: syn.%zu\n    pattern: '%s'\n", i,
                              syn_pat[i]);
        if (*syn_yaml_flags[i])
            k += (size_t)snprintf(yaml + k, sizeof yaml - k, "    flags: [%s]\n", syn_yaml_flags[i]);
    }
    ASSERT_LT(k, sizeof yaml);
    snprintf(path, sizeof path, "%s/syn.yml", tmpdir);
    write_file(path, yaml);
    char err[512] = "";
    filter_matcher *m = NULL;
    if (filter_matcher_load(&m, path, err, sizeof err) != 0) SQ_FAIL_("load: %s", err);
    struct ref r;
    ref_build(&r, syn_pat, syn_flags, SYN_N);
    hs_scratch_t *s = NULL;
    ASSERT_EQ(filter_matcher_alloc_scratch(m, &s), 0);
    ASSERT_EQ(hs_alloc_scratch(r.db, &s), HS_SUCCESS);

    const char *fixed[] = {
        "aaab ab aab",
        "aaaa",
        "AB ab-ab xab abx",
        "a\nb a b",
        "x y\nx 1 y\nxx yy\n",
        "1,000,000 and 12,345 and 1234,567",
        "ééé1 café x",
        "ab  a b\ta bab",
        "bbabab",
        "y\n",
        "ya",
        "xc-ab c-ab -ab aa-b a-b",
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        total += check_text(m, &r, s, fixed[i], strlen(fixed[i]));

    /* a 100-byte-wide rule: one match at its full width, one y too far */
    char wide[1200];
    memset(wide, '.', sizeof wide);
    wide[3] = 'x';
    wide[90] = 'y';
    wide[200] = 'y';
    wide[sizeof wide - 1] = '\0';
    total += check_text(m, &r, s, wide, strlen(wide));

    /* random texts from an alphabet that makes every rule fire, often overlapping */
    static const char *const alpha[] = {"a", "a", "b", "b", "A", " ", " ", "\n", "\t", "x",
                                        "y", "1", "2", ",", ",", "é", "ü", ".", "-", "z"};
    char text[3000];
    for (int t = 0; t < 400; t++) {
        size_t len = 0, want = 1 + rnd(t % 10 == 0 ? 2900 : 200);
        while (len < want) {
            const char *c = alpha[rnd(sizeof alpha / sizeof *alpha)];
            size_t cl = strlen(c);
            if (len + cl >= sizeof text) break;
            memcpy(text + len, c, cl);
            len += cl;
        }
        text[len] = '\0';
        total += check_text(m, &r, s, text, len);
    }
    fprintf(stderr, "   %zu SOM matches compared\n", total);
    ASSERT_GT(total, 10000);
    hs_free_scratch(s);
    hs_free_database(r.db);
    filter_matcher_destroy(m);
    unlink(path);
}

/* The flag words of a rule, as the matcher reads them. */
static unsigned yaml_flags(yaml_document_t *doc, yaml_node_t *n, const char *pat)
{
    unsigned fl = 0;
    const char *w[16];
    size_t k = 0;
    if (n && n->type == YAML_SCALAR_NODE) w[k++] = filter_yaml_str(n);
    if (n && n->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top && k < 16; it++)
            w[k++] = filter_yaml_str(yaml_document_get_node(doc, *it));
    for (size_t i = 0; i < k; i++) {
        if (!w[i]) continue;
        if (!strcmp(w[i], "caseless")) fl |= HS_FLAG_CASELESS;
        else if (!strcmp(w[i], "dotall")) fl |= HS_FLAG_DOTALL;
        else if (!strcmp(w[i], "multiline")) fl |= HS_FLAG_MULTILINE;
        else if (!strcmp(w[i], "utf8")) fl |= HS_FLAG_UTF8 | HS_FLAG_UCP;
        else if (!strcmp(w[i], "case")) fl &= ~(unsigned)HS_FLAG_CASELESS;
        else SQ_FAIL_("unknown flag %s", w[i]);
    }
    for (const char *p = pat; *p; p++)
        if ((unsigned char)*p >= 0x80) fl |= HS_FLAG_UTF8;
    return fl;
}

TEST(spans_equal_som_on_the_rule_packs)
{
    /* the shipped packs over the sample articles, or over the JSON lines
     * named by SQ_MATCHER_CORPUS (e.g. tools/corpus_reuters.py's output) */
    const char *packs[] = {"cues", "invest", "chips", "regulatory"};
    json_error_t je;
    char path[1024];
    const char *corpus = getenv("SQ_MATCHER_CORPUS");
    if (corpus && *corpus) snprintf(path, sizeof path, "%s", corpus);
    else snprintf(path, sizeof path, "%s/samples/articles.jsonl", SQ_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    ASSERT(f);
    size_t cap = 64, na = 0;
    char **texts = calloc(cap, sizeof *texts);
    char line[1 << 16];
    while (fgets(line, sizeof line, f)) {
        json_t *a = json_loads(line, 0, &je);
        if (!a) continue;
        for (int k = 0; k < 2; k++) {
            const char *t = json_string_value(json_object_get(a, k ? "body" : "headline"));
            if (!t) continue;
            if (na == cap) texts = realloc(texts, (cap *= 2) * sizeof *texts);
            texts[na++] = strdup(t);
        }
        json_decref(a);
    }
    fclose(f);
    ASSERT_GT(na, 10);
    size_t total = 0;
    for (size_t p = 0; p < sizeof packs / sizeof *packs; p++) {
        snprintf(path, sizeof path, "%s/filters/rules/%s.yml", SQ_SOURCE_DIR, packs[p]);
        char err[512] = "";
        filter_matcher *m = NULL;
        if (filter_matcher_load(&m, path, err, sizeof err) != 0) SQ_FAIL_("load: %s", err);
        yaml_document_t doc;
        ASSERT_EQ(filter_yaml_load(&doc, path, err, sizeof err), 0);
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        yaml_node_t *seq =
            root->type == YAML_MAPPING_NODE ? filter_yaml_get(&doc, root, "rules") : root;
        size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
        ASSERT_EQ(n, filter_matcher_size(m));
        const char **pats = calloc(n, sizeof *pats);
        unsigned *fl = calloc(n, sizeof *fl);
        for (size_t i = 0; i < n; i++) {
            yaml_node_t *r = yaml_document_get_node(&doc, seq->data.sequence.items.start[i]);
            pats[i] = filter_yaml_str(filter_yaml_get(&doc, r, "pattern"));
            fl[i] = yaml_flags(&doc, filter_yaml_get(&doc, r, "flags"), pats[i]);
        }
        struct ref ref;
        ref_build(&ref, pats, fl, n);
        hs_scratch_t *s = NULL;
        ASSERT_EQ(filter_matcher_alloc_scratch(m, &s), 0);
        ASSERT_EQ(hs_alloc_scratch(ref.db, &s), HS_SUCCESS);
        /* the matcher keeps field-specific rules out of the other field's
         * database; the reference holds them all, so compare per rule field */
        for (size_t t = 0; t < na; t++) {
            filter_matches got = {0}, want = {0};
            size_t len = strlen(texts[t]);
            for (int fd = 0; fd < SQUAWK_FIELD_N; fd++) {
                if (filter_matcher_db(m, fd))
                    ASSERT_EQ(filter_matcher_scan(m, s, fd, texts[t], len, &got), 0);
                struct ref_ctx c = {&want, (uint32_t)fd};
                ASSERT_EQ(hs_scan(ref.db, texts[t], (unsigned)len, 0, s, on_ref, &c), HS_SUCCESS);
            }
            size_t k = 0;
            for (size_t i = 0; i < want.n; i++) {
                int rf = filter_matcher_rule(m, want.v[i].rule)->field;
                if (rf == -1 || rf == (int)want.v[i].field) want.v[k++] = want.v[i];
            }
            want.n = k;
            total += k;
            same(&got, &want, texts[t]);
            filter_matches_free(&got);
            filter_matches_free(&want);
        }
        hs_free_scratch(s);
        hs_free_database(ref.db);
        free(pats);
        free(fl);
        yaml_document_delete(&doc);
        filter_matcher_destroy(m);
    }
    fprintf(stderr, "   %zu SOM matches compared over %zu texts\n", total, na);
    ASSERT_GT(total, 100);
    for (size_t t = 0; t < na; t++) free(texts[t]);
    free(texts);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sq-test-matcher.XXXXXX");
    ASSERT(mkdtemp(tmpdir) != NULL);
    RUN(spans_equal_som_on_synthetic_rules);
    RUN(spans_equal_som_on_the_rule_packs);
    rmdir(tmpdir);
    return 0;
}
