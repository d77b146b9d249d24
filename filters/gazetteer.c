/* gazetteer.c -- companies and regulators with aliases, compiled to Hyperscan, found in text. */
#include "gazetteer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/error.h"
#include "yaml_doc.h"

/* Pattern ids: alias i -> i; the ticker pattern of entity e -> TICKER_BASE + e. */
#define TICKER_BASE 0x40000000u

typedef struct alias {
    char *text;
    uint32_t entity;
    uint8_t ambiguous;
} alias;

struct filter_gaz {
    struct squawk_entity *ents;
    size_t n_ents;
    alias *aliases;
    size_t n_aliases, cap_aliases;
    hs_database_t *db[2]; /* exact case; caseless for ALL-CAPS text (old wire headlines) */
};

static int add_alias(filter_gaz *g, const char *text, uint32_t ent, int ambiguous)
{
    for (size_t i = 0; i < g->n_aliases; i++)
        if (g->aliases[i].entity == ent && strcmp(g->aliases[i].text, text) == 0) {
            if (ambiguous) g->aliases[i].ambiguous = 1;
            return 0;
        }
    if (g->n_aliases == g->cap_aliases) {
        size_t nc = g->cap_aliases ? g->cap_aliases * 2 : 256;
        alias *v = realloc(g->aliases, nc * sizeof *v);
        if (!v) return SQ_E_NOMEM;
        g->aliases = v;
        g->cap_aliases = nc;
    }
    char *t = strdup(text);
    if (!t) return SQ_E_NOMEM;
    g->aliases[g->n_aliases++] = (alias){t, ent, (uint8_t)(ambiguous != 0)};
    return 0;
}

static int is_word(unsigned char c) { return isalnum(c) || c == '_'; }

static char *join_seq(yaml_document_t *doc, yaml_node_t *n)
{
    size_t cap = 1;
    if (n && n->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            const char *s = filter_yaml_str(yaml_document_get_node(doc, *it));
            if (s) cap += strlen(s) + 1;
        }
    else if (filter_yaml_str(n))
        cap += strlen(filter_yaml_str(n));
    char *out = calloc(1, cap);
    if (!out) return NULL;
    if (n && n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            const char *s = filter_yaml_str(yaml_document_get_node(doc, *it));
            if (!s) continue;
            if (*out) strcat(out, ",");
            strcat(out, s);
        }
    } else if (filter_yaml_str(n)) {
        strcpy(out, filter_yaml_str(n));
    }
    return out;
}

static int add_seq_aliases(filter_gaz *g, yaml_document_t *doc, yaml_node_t *n, uint32_t e,
                           int ambiguous)
{
    if (!n) return 0;
    if (n->type == YAML_SCALAR_NODE) return add_alias(g, filter_yaml_str(n), e, ambiguous);
    if (n->type != YAML_SEQUENCE_NODE) return SQ_E_GAZETTEER;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        const char *s = filter_yaml_str(yaml_document_get_node(doc, *it));
        if (!s) return SQ_E_GAZETTEER;
        if (!*s) continue;
        int rc = add_alias(g, s, e, ambiguous);
        if (rc) return rc;
    }
    return 0;
}

/* Every alias and ticker is a plain literal (hs_compile_lit_multi compiles
 * thousands in milliseconds, where regexes with \b took seconds); word
 * boundaries, case and ticker context are checked in the match callback. */
/* Ticker literals carry their context ("$AMZN", "<AMZN", ":AMZN", ": AMZN") so
 * one-letter tickers do not fire on every letter; the exchange before ':' is
 * checked in the callback. */
static const char *const ticker_forms[] = {"$%s", "<%s", ":%s", ": %s", NULL};
#define N_TICKER_FORMS 4

/* Every alias and ticker is a plain literal (hs_compile_lit_multi compiles
 * thousands in milliseconds, where regexes with \b took seconds); word
 * boundaries and ticker context are checked in the match callback. Two
 * databases: exact case for ordinary text, caseless for ALL-CAPS text. */
static int compile(filter_gaz *g, const char *path, char *err, size_t errlen)
{
    size_t n = g->n_aliases + g->n_ents * N_TICKER_FORMS;
    char **pats = calloc(n, sizeof *pats);
    size_t *lens = calloc(n, sizeof *lens);
    unsigned *ids = calloc(n, sizeof *ids), *fl = calloc(n, sizeof *fl);
    int rc = 0;
    size_t k = 0;
    if (!pats || !lens || !ids || !fl) {
        rc = SQ_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < g->n_aliases; i++) {
        pats[k] = strdup(g->aliases[i].text);
        if (!pats[k]) {
            rc = SQ_E_NOMEM;
            goto out;
        }
        lens[k] = strlen(pats[k]);
        ids[k++] = (unsigned)i;
    }
    size_t n_alias = k;
    for (size_t e = 0; e < g->n_ents; e++) {
        const char *t = g->ents[e].ticker;
        if (!t || !*t) continue;
        for (size_t f = 0; ticker_forms[f]; f++) {
            pats[k] = malloc(strlen(t) + 4);
            if (!pats[k]) {
                rc = SQ_E_NOMEM;
                goto out;
            }
            lens[k] = (size_t)sprintf(pats[k], ticker_forms[f], t);
            ids[k++] = TICKER_BASE + (unsigned)e;
        }
    }
    for (int ci = 0; ci < 2; ci++) {
        /* tickers stay exact: "$amzn" is not a cashtag worth trusting */
        for (size_t i = 0; i < k; i++) fl[i] = ci && i < n_alias ? HS_FLAG_CASELESS : 0;
        hs_compile_error_t *ce = NULL;
        if (hs_compile_lit_multi((const char *const *)pats, fl, ids, lens, (unsigned)k,
                                 HS_MODE_BLOCK, NULL, &g->db[ci], &ce) != HS_SUCCESS) {
            const char *what = ce && ce->expression >= 0 ? pats[ce->expression] : "?";
            snprintf(err, errlen, "%s: alias '%s': %s", path, what, ce ? ce->message : "compile failed");
            hs_free_compile_error(ce);
            rc = SQ_E_HS_COMPILE;
            goto out;
        }
    }
out:
    for (size_t i = 0; i < k; i++) free(pats[i]);
    free(pats);
    free(lens);
    free(ids);
    free(fl);
    return rc;
}

int filter_gaz_load(filter_gaz **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    yaml_document_t doc;
    if (filter_yaml_load(&doc, path, err, errlen) != 0) return SQ_E_GAZETTEER;
    int rc = SQ_E_GAZETTEER;
    filter_gaz *g = calloc(1, sizeof *g);
    if (!g) {
        yaml_document_delete(&doc);
        return SQ_E_NOMEM;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *seq = filter_yaml_get(&doc, root, "entities");
    if (!seq || seq->type != YAML_SEQUENCE_NODE) {
        snprintf(err, errlen, "%s: expected a map with a list 'entities'", path);
        goto fail;
    }
    size_t cap = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    g->ents = calloc(cap ? cap : 1, sizeof *g->ents);
    if (!g->ents) {
        rc = SQ_E_NOMEM;
        goto fail;
    }
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        yaml_node_t *en = yaml_document_get_node(&doc, *it);
        size_t line = filter_yaml_line(en);
        const char *name = filter_yaml_str(filter_yaml_get(&doc, en, "name"));
        if (!name || !*name) {
            snprintf(err, errlen, "%s:%zu: entity without name", path, line);
            goto fail;
        }
        const char *ticker = filter_yaml_str(filter_yaml_get(&doc, en, "ticker"));
        const char *kind = filter_yaml_str(filter_yaml_get(&doc, en, "kind"));
        if (kind && strcmp(kind, "company") != 0 && strcmp(kind, "regulator") != 0) {
            snprintf(err, errlen, "%s:%zu: entity %s: kind '%s' is not company|regulator", path,
                     line, name, kind);
            goto fail;
        }
        const char *country = filter_yaml_str(filter_yaml_get(&doc, en, "country"));
        uint32_t e = (uint32_t)g->n_ents;
        struct squawk_entity *x = &g->ents[g->n_ents++];
        x->size = sizeof *x;
        x->name = strdup(name);
        x->ticker = ticker && *ticker && strcmp(ticker, "~") != 0 ? strdup(ticker) : NULL;
        x->kind = strdup(kind ? kind : "company");
        x->country = strdup(country ? country : "");
        x->sectors = join_seq(&doc, filter_yaml_get(&doc, en, "sectors"));
        if (!x->name || !x->kind || !x->country || !x->sectors || (ticker && *ticker && !x->ticker)) {
            rc = SQ_E_NOMEM;
            goto fail;
        }
        rc = add_alias(g, name, e, 0);
        if (!rc) rc = add_seq_aliases(g, &doc, filter_yaml_get(&doc, en, "aliases"), e, 0);
        if (!rc) rc = add_seq_aliases(g, &doc, filter_yaml_get(&doc, en, "ambiguous"), e, 1);
        if (rc) {
            if (rc == SQ_E_GAZETTEER)
                snprintf(err, errlen, "%s:%zu: entity %s: aliases must be a list of strings",
                         path, line, name);
            goto fail;
        }
    }
    if (g->n_aliases == 0) {
        snprintf(err, errlen, "%s: no entities", path);
        rc = SQ_E_GAZETTEER;
        goto fail;
    }
    rc = compile(g, path, err, errlen);
    if (rc) goto fail;
    yaml_document_delete(&doc);
    *out = g;
    return 0;
fail:
    yaml_document_delete(&doc);
    filter_gaz_destroy(g);
    return rc;
}

void filter_gaz_destroy(filter_gaz *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n_ents; i++) {
        free((char *)g->ents[i].name);
        free((char *)g->ents[i].ticker);
        free((char *)g->ents[i].kind);
        free((char *)g->ents[i].country);
        free((char *)g->ents[i].sectors);
    }
    for (size_t i = 0; i < g->n_aliases; i++) free(g->aliases[i].text);
    hs_free_database(g->db[0]);
    hs_free_database(g->db[1]);
    free(g->ents);
    free(g->aliases);
    free(g);
}

size_t filter_gaz_size(const filter_gaz *g) { return g->n_ents; }

const struct squawk_entity *filter_gaz_entity(const filter_gaz *g, uint32_t i)
{
    return i < g->n_ents ? &g->ents[i] : NULL;
}

int32_t filter_gaz_find(const filter_gaz *g, const char *s)
{
    if (!s) return -1;
    for (size_t i = 0; i < g->n_ents; i++)
        if (strcmp(g->ents[i].name, s) == 0 || (g->ents[i].ticker && strcmp(g->ents[i].ticker, s) == 0))
            return (int32_t)i;
    for (size_t i = 0; i < g->n_aliases; i++)
        if (strcmp(g->aliases[i].text, s) == 0) return (int32_t)g->aliases[i].entity;
    return -1;
}

const hs_database_t *filter_gaz_db(const filter_gaz *g, int caseless) { return g->db[caseless != 0]; }

int filter_gaz_alloc_scratch(const filter_gaz *g, hs_scratch_t **scratch)
{
    for (int i = 0; i < 2; i++)
        if (hs_alloc_scratch(g->db[i], scratch) != HS_SUCCESS) return SQ_E_NOMEM;
    return 0;
}

static int word_byte(const char *s, size_t len, long i)
{
    return i >= 0 && (size_t)i < len && (is_word((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80);
}

/* Tickers count only where they are written as tickers: "$AMZN", "<AMZN>",
 * "(NASDAQ: AMZN)". */
static int ticker_context(const char *s, size_t start)
{
    if (start >= 1 && (s[start - 1] == '$' || s[start - 1] == '<')) return 1;
    size_t i = start;
    while (i > 0 && s[i - 1] == ' ') i--;
    if (i == 0 || s[i - 1] != ':') return 0;
    i--;
    static const char *const ex[] = {"NASDAQ", "Nasdaq", "NYSE", "Nyse", "AMEX", "OTC", "TSX",
                                     "LSE", "HKEX", "NasdaqGS", "XETRA", NULL};
    for (size_t k = 0; ex[k]; k++) {
        size_t n = strlen(ex[k]);
        if (i >= n && strncmp(s + i - n, ex[k], n) == 0) return 1;
    }
    return 0;
}

/* Start of the alias (or ticker) whose literal ends at `end`, or -1 when the
 * match is inside a word or a ticker is out of context. Case was already
 * decided by the database. */
static long match_start(const filter_gaz *g, unsigned id, const char *s, size_t len, size_t end,
                        int exact)
{
    (void)exact;
    const char *a = id >= TICKER_BASE ? g->ents[id - TICKER_BASE].ticker : g->aliases[id].text;
    size_t n = strlen(a);
    if (n > end) return -1;
    size_t st = end - n;
    if (id < TICKER_BASE && is_word((unsigned char)a[0]) && word_byte(s, len, (long)st - 1))
        return -1;
    if (is_word((unsigned char)a[n - 1]) && word_byte(s, len, (long)end)) return -1;
    if (id >= TICKER_BASE && !ticker_context(s, st)) return -1;
    /* "$CMA" is a cashtag (Comerica), never the alias CMA (a regulator) */
    if (id < TICKER_BASE && st >= 1 && s[st - 1] == '$') return -1;
    return (long)st;
}

struct raw {
    uint32_t id, field, start, end;
};

struct scan_ctx {
    const filter_gaz *g;
    const char *text;
    size_t len;
    int exact;
    struct raw *v;
    size_t n, cap;
    uint32_t field;
    int nomem;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ud)
{
    struct scan_ctx *c = ud;
    if (c->n >= 4096) return 1;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        struct raw *v = realloc(c->v, nc * sizeof *v);
        if (!v) {
            c->nomem = 1;
            return 1;
        }
        c->v = v;
        c->cap = nc;
    }
    long st = match_start(c->g, id, c->text, c->len, (size_t)to, c->exact);
    if (st < 0) return 0; /* wrong case: "apple" is not Apple */
    c->v[c->n++] = (struct raw){id, c->field, (uint32_t)st, (uint32_t)to};
    return 0;
}

static int cmp_raw(const void *a, const void *b)
{
    const struct raw *x = a, *y = b;
    if (x->field != y->field) return x->field < y->field ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end > y->end ? -1 : 1; /* longest first */
    return x->id < y->id ? -1 : (x->id > y->id);
}

/* Mostly upper-case text (wire headlines) is matched caselessly. */
static int shouting(const char *s, size_t n)
{
    size_t up = 0, letters = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isupper(c)) up++, letters++;
        else if (islower(c)) letters++;
    }
    return letters >= 8 && up * 10 >= letters * 7;
}

static int word_at(const char *s, size_t len, size_t i, const char *w)
{
    size_t n = strlen(w);
    if (i + n > len || strncasecmp(s + i, w, n) != 0) return 0;
    if (i > 0 && is_word((unsigned char)s[i - 1])) return 0;
    return i + n == len || !is_word((unsigned char)s[i + n]);
}

static const char *const after_ctx[] = {"Inc", "Corp", "Corporation", "Co", "Ltd", "plc", "LLC",
    "AG", "SA", "NV", "Group", "Holdings", "shares", "stock", "CEO", "chief", "spokesperson",
    "spokesman", "spokeswoman", "said", "says", "announced", "reported", "executives",
    "investors", "earnings", "revenue", "unit", NULL};
static const char *const before_ctx[] = {"shares", "CEO", "rival", "rivals", "companies",
    "company", "firm", "giant", "retailer", "maker", "stake", "investors", "tech", NULL};

/* Words that make an ambiguous alias a common noun ("Apple pie", "Amazon
 * river", "Shell casing"): such a mention never counts, even next to a trigger. */
static const char *const noun_after[] = {"pie", "pies", "juice", "tree", "trees", "orchard",
    "orchards", "cider", "sauce", "river", "rainforest", "basin", "forest", "jungle", "region",
    "tribe", "tribes", "delta", "casing", "casings", "fish", "beach", NULL};

static int common_noun_use(const char *s, size_t len, uint32_t end)
{
    size_t i = end;
    if (i < len && s[i] == ' ') i++;
    else return 0;
    for (size_t k = 0; noun_after[k]; k++)
        if (word_at(s, len, i, noun_after[k])) return 1;
    return 0;
}

/* Company context for an ambiguous alias: a corporate word just after it, or
 * a business word just before it (not separated by a sentence end). */
static int has_context(const char *s, size_t len, uint32_t start, uint32_t end)
{
    size_t lim = end + 40 < len ? end + 40 : len;
    for (size_t i = end; i < lim; i++) {
        if (s[i] == '.' && i > end + 1) break;
        if (i > end && is_word((unsigned char)s[i - 1])) continue;
        for (size_t k = 0; after_ctx[k]; k++)
            if (word_at(s, len, i, after_ctx[k])) return 1;
    }
    size_t from = start > 30 ? start - 30 : 0;
    for (size_t i = from; i < start; i++) {
        if (s[i] == '.' || s[i] == '\n') {
            from = i + 1;
        }
    }
    for (size_t i = from; i < start; i++)
        for (size_t k = 0; before_ctx[k]; k++)
            if (word_at(s, len, i, before_ctx[k])) return 1;
    return 0;
}

int filter_gaz_scan(const filter_gaz *g, hs_scratch_t *scratch, const char *const text[2],
                    const size_t len[2], filter_mentions *out)
{
    struct scan_ctx c = {0};
    c.g = g;
    out->n = 0;
    for (uint32_t f = 0; f < 2; f++) {
        if (!text[f] || !len[f]) continue;
        c.field = f;
        c.text = text[f];
        c.len = len[f];
        c.exact = !shouting(text[f], len[f]);
        hs_error_t e = hs_scan(g->db[!c.exact], text[f], (unsigned)(len[f] > UINT32_MAX ? UINT32_MAX : len[f]),
                               0, scratch, on_match, &c);
        if (c.nomem) break;
        if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED) {
            free(c.v);
            return SQ_E_INVAL;
        }
    }
    if (c.nomem) {
        free(c.v);
        return SQ_E_NOMEM;
    }
    if (c.n > 1) qsort(c.v, c.n, sizeof *c.v, cmp_raw);
    int rc = 0;
    uint32_t cover_field = UINT32_MAX, cover_end = 0;
    for (size_t i = 0; i < c.n; i++) {
        struct raw *r = &c.v[i];
        if (r->field == cover_field && r->start < cover_end) continue; /* inside a longer one */
        cover_field = r->field;
        cover_end = r->end;
        if (out->n == out->cap) {
            size_t nc = out->cap ? out->cap * 2 : 32;
            struct squawk_mention *v = realloc(out->v, nc * sizeof *v);
            if (!v) {
                rc = SQ_E_NOMEM;
                break;
            }
            out->v = v;
            out->cap = nc;
        }
        struct squawk_mention m = {0};
        m.field = r->field;
        m.start = r->start;
        m.end = r->end;
        if (r->id >= TICKER_BASE) {
            m.entity = r->id - TICKER_BASE;
            m.confirmed = 1;
        } else {
            m.entity = g->aliases[r->id].entity;
            m.ambiguous = g->aliases[r->id].ambiguous;
            m.confirmed = !m.ambiguous;
        }
        out->v[out->n++] = m;
    }
    free(c.v);
    /* Ambiguous aliases: confirmed by an unambiguous mention of the same
     * entity anywhere, or by company words around them. */
    for (size_t i = 0; i < out->n; i++) {
        struct squawk_mention *m = &out->v[i];
        if (m->confirmed) continue;
        for (size_t j = 0; j < out->n && !m->confirmed; j++)
            if (out->v[j].entity == m->entity && !out->v[j].ambiguous) m->confirmed = 1;
        if (!m->confirmed) {
            const char *s = text[m->field];
            int the = m->start >= 4 && strncmp(s + m->start - 4, "the ", 4) == 0;
            if (the || common_noun_use(s, len[m->field], m->end))
                m->ambiguous = 2; /* "the Amazon", "Apple pie": a common noun */
            else if (has_context(s, len[m->field], m->start, m->end)) m->confirmed = 1;
        }
    }
    return rc;
}

void filter_mentions_free(filter_mentions *ms)
{
    free(ms->v);
    ms->v = NULL;
    ms->n = ms->cap = 0;
}
