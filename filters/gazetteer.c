/* gazetteer.c -- companies and regulators with aliases, compiled to Hyperscan, found in text. */
#include "gazetteer.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../core/config.h"
#include "../core/error.h"
#include "amount.h"
#include "hs_cache.h"
#include "token.h"
#include "yaml_doc.h"

/* Pattern ids: alias i -> i; symbol i of ticker_pass's table (an entity's ticker or one of its
 * `symbols:`) -> TICKER_BASE + i. */
#define STOP_SLOTS 512u /* the stop-word set's (a power of two, over twice the words) */
#define TICKER_BASE 0x40000000u

typedef struct alias {
    char *text;
    uint32_t len; /* strlen(text): the reversed scan needs it for every match */
    uint32_t entity;
    uint8_t ambiguous; /* 1: `ambiguous`; 2: also in `verbs` (see verb_use) */
    uint8_t word;      /* 1: also in `words`: an ordinary lower-case word (see title_uses) */
    /* 1 + the entity whose name is this alias plus legal-form words only ("SoftBank" of
     * "SoftBank Corp."), when that is one other entity; 0 otherwise (see corefer_short) */
    uint32_t short_of;
} alias;

/* A symbol ticker_pass finds and the entity it names: the entity's ticker, or one of its `symbols:`
 * (other = 1), a symbol the company traded under before a rename ("$SQ", Block's until 2025) or an
 * over-the-counter ADR line of a foreign company whose ticker is its home listing ("$SCTBY"). */
struct tick_pair {
    const char *t;
    uint32_t e;
    uint8_t other;
};

/* The pairs with one symbol: ticks[first, first + n); n = 0: an empty slot. */
struct tick_slot {
    uint32_t hash, first, n;
};

struct filter_gaz {
    struct squawk_entity *ents;
    size_t n_ents;
    alias *aliases;
    size_t n_aliases, cap_aliases;
    hs_database_t *db[2]; /* exact case; caseless for ALL-CAPS text (old wire headlines) */
    hs_database_t *rdb;   /* exact case, every literal reversed: see scan_field_raw */
    int no_anonymous;
    /* `retired:` symbols no company trades under today ($TWTR): a tag of one names a company
     * without a ticker, so no desk gets a topic for a symbol nobody holds */
    char **retired;
    size_t n_retired;
    /* names, tickers and aliases sorted for filter_gaz_find (rules that name
     * a company look it up for every trigger: a linear scan cost 3 % of the
     * filter stage); seq keeps the scan's precedence among equal keys */
    struct gaz_key {
        const char *s;
        uint32_t seq, entity;
    } *keys;
    size_t n_keys;
    /* per capital letter: bit n set when a suffix that suffix_at may read starts with it
     * and is n letters long (1 for a dotted "L.P."); see index_suffixes */
    uint16_t suf_len[26];
    /* anon_stop as a hash set (index_stop): name_word asks it for every word a name may hold,
     * and walking the list of 200 cost more than the rest of the anonymous scan on wire copy */
    const char *stop[STOP_SLOTS];
    /* `symbols:` (see struct tick_pair): sym_text[i] names entity sym_ent[i] */
    char **sym_text;
    uint32_t *sym_ent;
    size_t n_sym, cap_sym;
    /* tickers and symbols for ticker_pass (index_tickers): the pairs sorted by symbol, a hash set
     * of the symbols (FNV-1a), the bytes symbols have, the longest */
    struct tick_pair *ticks;
    struct tick_slot *tick_slots;
    size_t tick_mask, tick_max;
    uint8_t tick_chr[256];
};

static int index_keys(filter_gaz *g);
static int index_tickers(filter_gaz *g);
static void index_stop(filter_gaz *g);
static int anon_scan(const filter_gaz *g, const char *const text[2], const size_t len[2],
                     const int loose[2], filter_mentions *out);

/* An entity's aliases are added together (load_entity), so its earlier ones are the last in the
 * array: a repeat is looked for there, not in every alias (that was quadratic in the gazetteer). */
static int add_alias(filter_gaz *g, const char *text, uint32_t ent, int ambiguous)
{
    for (size_t i = g->n_aliases; i-- > 0 && g->aliases[i].entity == ent;)
        if (strcmp(g->aliases[i].text, text) == 0) {
            if (ambiguous > g->aliases[i].ambiguous) g->aliases[i].ambiguous = (uint8_t)ambiguous;
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
    g->aliases[g->n_aliases++] = (alias){t, (uint32_t)strlen(t), ent, (uint8_t)ambiguous, 0, 0};
    return 0;
}

static int is_word(unsigned char c) { return isalnum(c) || c == '_'; }

/* ASCII classes for the per-byte loops (no locale, no call) */
static inline int a_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static inline int a_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static inline int a_alpha(unsigned char c) { return a_upper(c) || a_lower(c); }
static inline int a_alnum(unsigned char c) { return a_alpha(c) || (c >= '0' && c <= '9'); }

/* An alias with an apostrophe ("L'Oreal", "McDonald's") is also written
 * with the typographic one (U+2019) that most news copy uses; one ending in an
 * abbreviation's period ("Mitsubishi Corp.", "Mitsui & Co.") also without it, as
 * headlines write it ("Mitsubishi Corp nears $8bn deal"). */
static int add_alias_forms(filter_gaz *g, const char *text, uint32_t ent, int ambiguous)
{
    size_t len = strlen(text);
    if (len > 3 && text[len - 1] == '.' && a_alpha((unsigned char)text[len - 2]) && strchr(text, ' ')) {
        char *bare = strndup(text, len - 1);
        if (!bare) return SQ_E_NOMEM;
        int rc = add_alias_forms(g, bare, ent, ambiguous);
        free(bare);
        if (rc) return rc;
    }
    int rc = add_alias(g, text, ent, ambiguous);
    if (rc || !strchr(text, '\'')) return rc;
    size_t n = 0;
    for (const char *p = text; *p; p++) n += *p == '\'' ? 3 : 1;
    char *v = malloc(n + 1), *o = v;
    if (!v) return SQ_E_NOMEM;
    for (const char *p = text; *p; p++) {
        if (*p != '\'') *o++ = *p;
        else o += sprintf(o, "\xe2\x80\x99");
    }
    *o = '\0';
    rc = add_alias(g, v, ent, ambiguous);
    free(v);
    return rc;
}

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
    if (n->type == YAML_SCALAR_NODE) return add_alias_forms(g, filter_yaml_str(n), e, ambiguous);
    if (n->type != YAML_SEQUENCE_NODE) return SQ_E_GAZETTEER;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        const char *s = filter_yaml_str(yaml_document_get_node(doc, *it));
        if (!s) return SQ_E_GAZETTEER;
        if (!*s) continue;
        int rc = add_alias_forms(g, s, e, ambiguous);
        if (rc) return rc;
    }
    return 0;
}

/* The reversed database: the aliases written backwards, exact case (pats[0, k) are the
 * aliases, ids their indices). Tickers have a pass of their own there (ticker_pass). */
static int compile_reversed(filter_gaz *g, char **pats, const size_t *lens, const unsigned *ids,
                            unsigned *fl, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        for (size_t a = 0, b = lens[i]; a + 1 < b; a++, b--) {
            char t = pats[i][a];
            pats[i][a] = pats[i][b - 1], pats[i][b - 1] = t;
        }
        fl[i] = 0;
    }
    hs_compile_error_t *ce = NULL;
    int rc = filter_hs_cache_compile_lit_multi((const char *const *)pats, fl, ids, lens, (unsigned)k, &g->rdb, &ce);
    hs_free_compile_error(ce);
    return rc == HS_SUCCESS ? 0 : SQ_E_HS_COMPILE;
}

/* Every alias is a plain literal (hs_compile_lit_multi compiles thousands in
 * milliseconds, where regexes with \b took seconds); word boundaries and case are checked
 * in the match callback. Two databases: exact case for ordinary text, caseless for
 * ALL-CAPS text; both go through the rule cache (a few thousand literals still take
 * ~0.3 s). A third, reversed, finds the exact-case ones faster (see scan_field_raw).
 * Tickers ("$AMZN", "<AMZN", ":AMZN", ": AMZN") are in none: ticker_pass finds them after
 * each scan, which keeps 17,000 literals out of each database. */
static int compile(filter_gaz *g, const char *path, char *err, size_t errlen)
{
    size_t n = g->n_aliases;
    char **pats = calloc(n + 1, sizeof *pats);
    size_t *lens = calloc(n + 1, sizeof *lens);
    unsigned *ids = calloc(n + 1, sizeof *ids), *fl = calloc(n + 1, sizeof *fl);
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
    for (int ci = 0; ci < 2; ci++) {
        /* tickers are exact in ticker_pass: "$amzn" is no cashtag worth trusting */
        for (size_t i = 0; i < k; i++) fl[i] = ci ? HS_FLAG_CASELESS : 0;
        hs_compile_error_t *ce = NULL;
        if (filter_hs_cache_compile_lit_multi((const char *const *)pats, fl, ids, lens, (unsigned)k,
                                              &g->db[ci], &ce) != HS_SUCCESS) {
            const char *what = ce && ce->expression >= 0 ? pats[ce->expression] : "?";
            snprintf(err, errlen, "%s: alias '%s': %s", path, what, ce ? ce->message : "compile failed");
            hs_free_compile_error(ce);
            rc = SQ_E_HS_COMPILE;
            goto out;
        }
    }
    rc = compile_reversed(g, pats, lens, ids, fl, k);
    if (rc == SQ_E_HS_COMPILE) snprintf(err, errlen, "%s: the reversed aliases do not compile", path);
out:
    for (size_t i = 0; i < k; i++) free(pats[i]);
    free(pats);
    free(lens);
    free(ids);
    free(fl);
    return rc;
}

/* Caseless order of aliases, then entity. */
static int cmp_alias_ci(const void *a, const void *b)
{
    const alias *x = *(const alias *const *)a, *y = *(const alias *const *)b;
    int c = strcasecmp(x->text, y->text);
    return c ? c : (x->entity > y->entity) - (x->entity < y->entity);
}

/* No alias belongs to two entities, in any case: ALL-CAPS text is matched
 * caselessly, so "BOE" and "BoE" would be one alias there. lines[e]: the
 * line of entity e, for the message. */
static int unique_aliases(const filter_gaz *g, const size_t *lines, const char *path, char *err,
                          size_t errlen)
{
    const alias **v = malloc((g->n_aliases ? g->n_aliases : 1) * sizeof *v);
    if (!v) return SQ_E_NOMEM;
    for (size_t i = 0; i < g->n_aliases; i++) v[i] = &g->aliases[i];
    qsort(v, g->n_aliases, sizeof *v, cmp_alias_ci);
    int rc = 0;
    for (size_t i = 1; i < g->n_aliases && !rc; i++) {
        const alias *a = v[i - 1], *b = v[i];
        if (a->entity == b->entity || strcasecmp(a->text, b->text) != 0) continue;
        snprintf(err, errlen, "%s:%zu: entity %s: alias '%s' already belongs to %s (line %zu)", path,
                 lines[b->entity], g->ents[b->entity].name, b->text, g->ents[a->entity].name,
                 lines[a->entity]);
        rc = SQ_E_GAZETTEER;
    }
    free(v);
    return rc;
}

/* Corporate suffixes. Strong ones are trusted even in ALL-CAPS or Title Case
 * text, where every word is capitalised; weak ones ("Group", "Systems") only
 * in ordinary mixed-case text, where capitals mean a name (suffix_at reads
 * both). Legal forms ("Corp", "KGaA") also make a short alias's longer name
 * (legal_form_tail); "Group" or "Holdings" name another company. */
enum { SUF_STRONG = 1, SUF_WEAK = 2, SUF_LEGAL = 4 };
#define SUF(w, f) {w, sizeof w - 1, f}
static const struct {
    const char *w;
    size_t n;
    uint8_t f;
} suffixes[] = {
    SUF("Inc", SUF_STRONG | SUF_LEGAL), SUF("Corp", SUF_STRONG | SUF_LEGAL), SUF("Co", SUF_STRONG | SUF_LEGAL),
    SUF("Ltd", SUF_STRONG | SUF_LEGAL), SUF("LLC", SUF_STRONG | SUF_LEGAL), SUF("LP", SUF_STRONG | SUF_LEGAL),
    SUF("L.P.", SUF_STRONG | SUF_LEGAL), SUF("plc", SUF_STRONG | SUF_LEGAL), SUF("PLC", SUF_STRONG | SUF_LEGAL),
    SUF("Plc", SUF_STRONG | SUF_LEGAL), SUF("AG", SUF_STRONG | SUF_LEGAL), SUF("NV", SUF_STRONG | SUF_LEGAL),
    SUF("N.V.", SUF_STRONG | SUF_LEGAL), SUF("Bancorp", SUF_STRONG), SUF("Bancshares", SUF_STRONG),
    SUF("Corporation", SUF_STRONG | SUF_LEGAL), SUF("Limited", SUF_STRONG | SUF_LEGAL),
    SUF("Incorporated", SUF_STRONG | SUF_LEGAL), SUF("GmbH", SUF_STRONG | SUF_LEGAL),
    SUF("SpA", SUF_STRONG | SUF_LEGAL), SUF("SA", SUF_WEAK | SUF_LEGAL), SUF("SE", SUF_WEAK | SUF_LEGAL),
    SUF("AB", SUF_WEAK | SUF_LEGAL), SUF("BV", SUF_WEAK | SUF_LEGAL), SUF("ASA", SUF_WEAK | SUF_LEGAL),
    SUF("Company", SUF_WEAK), SUF("Group", SUF_WEAK), SUF("Holdings", SUF_WEAK), SUF("Holding", SUF_WEAK),
    SUF("Industries", SUF_WEAK), SUF("Technologies", SUF_WEAK), SUF("Systems", SUF_WEAK),
    SUF("Pty", SUF_WEAK | SUF_LEGAL), SUF("S.A.", SUF_LEGAL), SUF("KGaA", SUF_LEGAL), {NULL, 0, 0}};

/* Whether the text is legal-form words only (" Corp.", " Co. Ltd.", " plc"), after a space. */
static int legal_form_tail(const char *t)
{
    size_t n_words = 0;
    while (*t) {
        if (*t++ != ' ') return 0;
        size_t n = strcspn(t, " "), k = 0;
        for (; suffixes[k].w; k++) /* "Corp." is "Corp" */
            if (suffixes[k].f & SUF_LEGAL && (suffixes[k].n == n || (suffixes[k].n + 1 == n && t[n - 1] == '.')) &&
                strncmp(suffixes[k].w, t, suffixes[k].n) == 0)
                break;
        if (!suffixes[k].w) return 0;
        t += n;
        n_words++;
    }
    return n_words > 0;
}

/* suffix_at's quick reject, for every capitalised word of every article: the lengths of
 * the suffixes (strong or weak: the ones it reads) by first letter, any case. A dotted one
 * ("L.P.", "N.V.") reads there as a one-letter word. */
static void index_suffixes(filter_gaz *g)
{
    for (size_t k = 0; suffixes[k].w; k++) {
        if (!(suffixes[k].f & (SUF_STRONG | SUF_WEAK))) continue;
        unsigned c = (unsigned)toupper((unsigned char)suffixes[k].w[0]) - 'A';
        size_t n = suffixes[k].w[1] == '.' ? 1 : suffixes[k].n;
        if (c < 26 && n < 16) g->suf_len[c] |= (uint16_t)(1u << n);
    }
}

static int cmp_alias_text(const void *a, const void *b)
{
    return strcmp((*(alias *const *)a)->text, (*(alias *const *)b)->text);
}

/* A short alias ("SoftBank", SoftBank Group's) that another entity's alias extends by
 * legal-form words only ("SoftBank Corp.", the telecom operator) names that entity where
 * the article names it so first (corefer_short); two such entities: neither. Sorted by
 * text, the aliases a short one begins follow it, so each looks only at those. */
static int index_short_forms(filter_gaz *g)
{
    alias **v = malloc((g->n_aliases + 1) * sizeof *v);
    if (!v) return SQ_E_NOMEM;
    for (size_t i = 0; i < g->n_aliases; i++) v[i] = &g->aliases[i];
    qsort(v, g->n_aliases, sizeof *v, cmp_alias_text);
    for (size_t i = 0; i < g->n_aliases; i++) {
        alias *a = v[i];
        size_t n = strlen(a->text);
        for (size_t j = i + 1; j < g->n_aliases && strncmp(v[j]->text, a->text, n) == 0; j++) {
            const alias *b = v[j];
            if (b->entity == a->entity || !legal_form_tail(b->text + n)) continue;
            if (a->short_of && a->short_of != b->entity + 1) {
                a->short_of = UINT32_MAX; /* ambiguous: two companies */
                break;
            }
            a->short_of = b->entity + 1;
        }
        if (a->short_of == UINT32_MAX) a->short_of = 0;
    }
    free(v);
    return 0;
}

/* Whether v is a symbol as the file writes one: no space, no cashtag or tag mark. */
static int symbol_shape(const char *v) { return v && *v && !strpbrk(v, " \t$<>"); }

/* An entity's `symbols:` (see struct tick_pair) into g->sym_text and g->sym_ent. */
static int add_symbols(filter_gaz *g, yaml_document_t *doc, yaml_node_t *n, uint32_t e, const char *path,
                       size_t line, char *err, size_t errlen)
{
    if (!n) return 0;
    if (n->type != YAML_SEQUENCE_NODE) {
        snprintf(err, errlen, "%s:%zu: entity %s: symbols must be a list of symbols", path, line, g->ents[e].name);
        return SQ_E_GAZETTEER;
    }
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        const char *v = filter_yaml_str(yaml_document_get_node(doc, *it));
        if (!symbol_shape(v)) {
            snprintf(err, errlen, "%s:%zu: entity %s: symbols: '%s' is not a symbol", path, line, g->ents[e].name,
                     v ? v : "");
            return SQ_E_GAZETTEER;
        }
        if (g->n_sym == g->cap_sym) {
            size_t nc = g->cap_sym ? 2 * g->cap_sym : 64;
            char **t = realloc(g->sym_text, nc * sizeof *t);
            if (t) g->sym_text = t;
            uint32_t *en = realloc(g->sym_ent, nc * sizeof *en);
            if (en) g->sym_ent = en;
            if (!t || !en) return SQ_E_NOMEM;
            g->cap_sym = nc;
        }
        if (!(g->sym_text[g->n_sym] = strdup(v))) return SQ_E_NOMEM;
        g->sym_ent[g->n_sym++] = e;
    }
    return 0;
}

/* Whether s is a `retired:` symbol. */
static int is_retired(const filter_gaz *g, const char *s)
{
    for (size_t i = 0; i < g->n_retired; i++)
        if (strcmp(g->retired[i], s) == 0) return 1;
    return 0;
}

/* A symbol names one company: none is retired, another entity's ticker (or its own), or
 * written twice. lines[e]: the line of entity e, for the message. */
static int check_symbols(const filter_gaz *g, const size_t *lines, const char *path, char *err, size_t errlen)
{
    for (size_t i = 0; i < g->n_sym; i++) {
        const char *v = g->sym_text[i];
        const struct squawk_entity *x = &g->ents[g->sym_ent[i]];
        size_t line = lines[g->sym_ent[i]];
        if (is_retired(g, v)) {
            snprintf(err, errlen, "%s:%zu: entity %s: symbols: %s is retired", path, line, x->name, v);
            return SQ_E_GAZETTEER;
        }
        for (size_t e = 0; e < g->n_ents; e++)
            if (g->ents[e].ticker && strcmp(g->ents[e].ticker, v) == 0) {
                snprintf(err, errlen, "%s:%zu: entity %s: symbols: %s is the ticker of %s", path, line, x->name, v,
                         g->ents[e].name);
                return SQ_E_GAZETTEER;
            }
        for (size_t j = 0; j < i; j++)
            if (strcmp(g->sym_text[j], v) == 0) {
                snprintf(err, errlen, "%s:%zu: entity %s: symbols: %s is already a symbol of %s", path, line, x->name,
                         v, g->ents[g->sym_ent[j]].name);
                return SQ_E_GAZETTEER;
            }
    }
    return 0;
}

/* An entity's `words:` list: each an ambiguous alias of it (already added), marked as an ordinary word. */
static int mark_words(filter_gaz *g, yaml_document_t *doc, yaml_node_t *n, uint32_t e, const char *path, size_t line,
                      char *err, size_t errlen)
{
    if (!n) return 0;
    if (n->type != YAML_SEQUENCE_NODE) {
        snprintf(err, errlen, "%s:%zu: entity %s: words must be a list of its ambiguous aliases", path, line,
                 g->ents[e].name);
        return SQ_E_GAZETTEER;
    }
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        const char *w = filter_yaml_str(yaml_document_get_node(doc, *it));
        int found = 0;
        for (size_t i = g->n_aliases; w && i-- > 0 && g->aliases[i].entity == e;)
            if (strcmp(g->aliases[i].text, w) == 0 && g->aliases[i].ambiguous) g->aliases[i].word = 1, found = 1;
        if (!found) {
            snprintf(err, errlen, "%s:%zu: entity %s: words: '%s' is not one of its ambiguous aliases", path, line,
                     g->ents[e].name, w ? w : "");
            return SQ_E_GAZETTEER;
        }
    }
    return 0;
}

/* One entry of entities: its fields and aliases into g (the next entity). 0, SQ_E_GAZETTEER with
 * file:line and the reason in err, or SQ_E_NOMEM. */
static int load_entity(filter_gaz *g, yaml_document_t *doc, yaml_node_t *en, const char *path, char *err, size_t errlen)
{
    size_t line = filter_yaml_line(en);
    const char *name = filter_yaml_str(filter_yaml_get(doc, en, "name"));
    if (!name || !*name) {
        snprintf(err, errlen, "%s:%zu: entity without name", path, line);
        return SQ_E_GAZETTEER;
    }
    const char *ticker = filter_yaml_str(filter_yaml_get(doc, en, "ticker"));
    const char *kind = filter_yaml_str(filter_yaml_get(doc, en, "kind"));
    if (kind && strcmp(kind, "company") != 0 && strcmp(kind, "regulator") != 0) {
        snprintf(err, errlen, "%s:%zu: entity %s: kind '%s' is not company|regulator", path, line, name, kind);
        return SQ_E_GAZETTEER;
    }
    const char *country = filter_yaml_str(filter_yaml_get(doc, en, "country"));
    uint32_t e = (uint32_t)g->n_ents;
    struct squawk_entity *x = &g->ents[g->n_ents++];
    x->size = sizeof *x;
    x->name = strdup(name);
    x->ticker = ticker && *ticker && strcmp(ticker, "~") != 0 ? strdup(ticker) : NULL;
    x->kind = strdup(kind ? kind : "company");
    x->country = strdup(country ? country : "");
    x->sectors = join_seq(doc, filter_yaml_get(doc, en, "sectors"));
    if (!x->name || !x->kind || !x->country || !x->sectors || (ticker && *ticker && !x->ticker)) return SQ_E_NOMEM;
    int rc = add_alias_forms(g, name, e, 0);
    if (!rc) rc = add_seq_aliases(g, doc, filter_yaml_get(doc, en, "aliases"), e, 0);
    if (!rc) rc = add_seq_aliases(g, doc, filter_yaml_get(doc, en, "ambiguous"), e, 1);
    if (!rc) rc = add_seq_aliases(g, doc, filter_yaml_get(doc, en, "verbs"), e, 2);
    if (rc == SQ_E_GAZETTEER)
        snprintf(err, errlen, "%s:%zu: entity %s: aliases must be a list of strings", path, line, name);
    if (!rc) rc = add_symbols(g, doc, filter_yaml_get(doc, en, "symbols"), e, path, line, err, errlen);
    if (!rc) rc = mark_words(g, doc, filter_yaml_get(doc, en, "words"), e, path, line, err, errlen);
    return rc;
}

/* The top-level `retired:` list: symbols, none of them a listed entity's ticker. */
static int load_retired(filter_gaz *g, yaml_document_t *doc, yaml_node_t *root, const char *path, char *err,
                        size_t errlen)
{
    yaml_node_t *n = filter_yaml_get(doc, root, "retired");
    if (!n) return 0;
    if (n->type != YAML_SEQUENCE_NODE) {
        snprintf(err, errlen, "%s:%zu: retired: expected a list of symbols", path, filter_yaml_line(n));
        return SQ_E_GAZETTEER;
    }
    size_t cap = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (!(g->retired = calloc(cap ? cap : 1, sizeof *g->retired))) return SQ_E_NOMEM;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *sn = yaml_document_get_node(doc, *it);
        const char *v = filter_yaml_str(sn);
        if (!symbol_shape(v)) {
            snprintf(err, errlen, "%s:%zu: retired: '%s' is not a symbol", path, filter_yaml_line(sn), v ? v : "");
            return SQ_E_GAZETTEER;
        }
        for (size_t i = 0; i < g->n_ents; i++)
            if (g->ents[i].ticker && strcmp(g->ents[i].ticker, v) == 0) {
                snprintf(err, errlen, "%s:%zu: retired: %s is the ticker of %s", path, filter_yaml_line(sn), v,
                         g->ents[i].name);
                return SQ_E_GAZETTEER;
            }
        if (!(g->retired[g->n_retired] = strdup(v))) return SQ_E_NOMEM;
        g->n_retired++;
    }
    return 0;
}

int filter_gaz_load(filter_gaz **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    yaml_document_t doc;
    if (filter_yaml_load(&doc, path, err, errlen) != 0) return SQ_E_GAZETTEER;
    int rc = SQ_E_GAZETTEER;
    size_t *lines = NULL;
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
    /* ops switch: `anonymous: false` reports gazetteer entities only */
    yaml_node_t *an = filter_yaml_get(&doc, root, "anonymous");
    if (an) {
        const char *v = filter_yaml_str(an);
        int on = sq_config_parse_bool(v);
        if (on < 0) {
            snprintf(err, errlen, "%s:%zu: anonymous: expected true or false", path, filter_yaml_line(an));
            goto fail;
        }
        g->no_anonymous = !on;
    }
    size_t cap = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    g->ents = calloc(cap ? cap : 1, sizeof *g->ents);
    lines = calloc(cap ? cap : 1, sizeof *lines);
    if (!g->ents || !lines) {
        rc = SQ_E_NOMEM;
        goto fail;
    }
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        yaml_node_t *en = yaml_document_get_node(&doc, *it);
        lines[g->n_ents] = filter_yaml_line(en);
        if ((rc = load_entity(g, &doc, en, path, err, errlen))) goto fail;
    }
    if (g->n_aliases == 0) {
        snprintf(err, errlen, "%s: no entities", path);
        rc = SQ_E_GAZETTEER;
        goto fail;
    }
    index_suffixes(g);
    index_stop(g);
    rc = load_retired(g, &doc, root, path, err, errlen);
    if (!rc) rc = check_symbols(g, lines, path, err, errlen);
    if (!rc) rc = unique_aliases(g, lines, path, err, errlen);
    if (!rc) rc = index_short_forms(g);
    if (!rc) rc = compile(g, path, err, errlen);
    if (!rc) rc = index_keys(g);
    if (!rc) rc = index_tickers(g);
    if (rc) goto fail;
    free(lines);
    yaml_document_delete(&doc);
    *out = g;
    return 0;
fail:
    free(lines);
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
    for (size_t i = 0; i < g->n_retired; i++) free(g->retired[i]);
    free(g->retired);
    hs_free_database(g->db[0]);
    hs_free_database(g->db[1]);
    hs_free_database(g->rdb);
    free(g->keys);
    for (size_t i = 0; i < g->n_sym; i++) free(g->sym_text[i]);
    free(g->sym_text);
    free(g->sym_ent);
    free(g->ticks);
    free(g->tick_slots);
    free(g->ents);
    free(g->aliases);
    free(g);
}

size_t filter_gaz_size(const filter_gaz *g) { return g->n_ents; }

void filter_gaz_set_anonymous(filter_gaz *g, int on) { g->no_anonymous = !on; }

int filter_gaz_anonymous(const filter_gaz *g) { return !g->no_anonymous; }

const struct squawk_entity *filter_gaz_entity(const filter_gaz *g, uint32_t i)
{
    return i < g->n_ents ? &g->ents[i] : NULL;
}

static int key_cmp(const void *a, const void *b)
{
    const struct gaz_key *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Names and tickers first, then aliases: the order filter_gaz_find's answer keeps. */
static int index_keys(filter_gaz *g)
{
    g->keys = malloc((2 * g->n_ents + g->n_aliases) * sizeof *g->keys);
    if (!g->keys) return SQ_E_NOMEM;
    uint32_t seq = 0;
    for (size_t i = 0; i < g->n_ents; i++) {
        g->keys[g->n_keys++] = (struct gaz_key){g->ents[i].name, seq++, (uint32_t)i};
        if (g->ents[i].ticker) g->keys[g->n_keys++] = (struct gaz_key){g->ents[i].ticker, seq++, (uint32_t)i};
    }
    for (size_t i = 0; i < g->n_aliases; i++)
        g->keys[g->n_keys++] = (struct gaz_key){g->aliases[i].text, seq++, g->aliases[i].entity};
    qsort(g->keys, g->n_keys, sizeof *g->keys, key_cmp);
    return 0;
}

int32_t filter_gaz_find(const filter_gaz *g, const char *s)
{
    if (!s) return -1;
    size_t lo = 0, hi = g->n_keys; /* the first key >= s */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(g->keys[mid].s, s) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < g->n_keys && strcmp(g->keys[lo].s, s) == 0 ? (int32_t)g->keys[lo].entity : -1;
}

static int cmp_tick(const void *a, const void *b)
{
    const struct tick_pair *x = a, *y = b;
    int c = strcmp(x->t, y->t);
    return c ? c : (x->e > y->e) - (x->e < y->e);
}

/* ticker_pass's tables: the tickers and symbols with their entities, sorted, then a slot per
 * distinct symbol. */
static int index_tickers(filter_gaz *g)
{
    size_t n = 0, cap = 16;
    struct tick_pair *v = malloc((g->n_ents + g->n_sym ? g->n_ents + g->n_sym : 1) * sizeof *v);
    if (!v) return SQ_E_NOMEM;
    for (size_t e = 0; e < g->n_ents; e++)
        if (g->ents[e].ticker && *g->ents[e].ticker) v[n++] = (struct tick_pair){g->ents[e].ticker, (uint32_t)e, 0};
    for (size_t i = 0; i < g->n_sym; i++) v[n++] = (struct tick_pair){g->sym_text[i], g->sym_ent[i], 1};
    qsort(v, n, sizeof *v, cmp_tick);
    g->ticks = v;
    while (cap < 2 * n) cap *= 2;
    if (!(g->tick_slots = calloc(cap, sizeof *g->tick_slots))) return SQ_E_NOMEM;
    g->tick_mask = cap - 1;
    for (size_t i = 0, j; i < n; i = j) {
        const char *t = v[i].t;
        for (j = i + 1; j < n && strcmp(v[j].t, t) == 0; j++) {}
        uint32_t h = 2166136261u;
        size_t l = strlen(t);
        for (size_t k = 0; k < l; k++) {
            h = (h ^ (unsigned char)t[k]) * 16777619u;
            g->tick_chr[(unsigned char)t[k]] = 1;
        }
        if (l > g->tick_max) g->tick_max = l;
        size_t s = h & g->tick_mask;
        while (g->tick_slots[s].n) s = (s + 1) & g->tick_mask;
        g->tick_slots[s] = (struct tick_slot){h, (uint32_t)i, (uint32_t)(j - i)};
    }
    return 0;
}

const hs_database_t *filter_gaz_db(const filter_gaz *g, int caseless) { return g->db[caseless != 0]; }

int filter_gaz_alloc_scratch(const filter_gaz *g, hs_scratch_t **scratch)
{
    for (int i = 0; i < 2; i++)
        if (hs_alloc_scratch(g->db[i], scratch) != HS_SUCCESS) return SQ_E_NOMEM;
    return hs_alloc_scratch(g->rdb, scratch) == HS_SUCCESS ? 0 : SQ_E_NOMEM;
}

/* Non-ASCII punctuation and spaces end a word as ASCII ones do: curly quotes
 * ("Intel’s"), dashes, ellipses, zero-width and no-break spaces (U+00A0,
 * U+2000-U+206F, U+3000-U+303F, U+FEFF). Other non-ASCII letters continue one. */
static int cp_is_punct(uint32_t c)
{
    return c == 0xa0 || c == 0xab || c == 0xbb || (c >= 0x2000 && c <= 0x206f) ||
           (c >= 0x3000 && c <= 0x303f) || c == 0xfeff;
}

/* The code point of the UTF-8 character that byte i belongs to; 0 when malformed. */
static uint32_t cp_around(const char *s, size_t len, size_t i)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t b = i;
    while (b > 0 && i - b < 3 && (u[b] & 0xc0) == 0x80) b--;
    size_t n = u[b] >= 0xf0 ? 4 : u[b] >= 0xe0 ? 3 : u[b] >= 0xc0 ? 2 : 1;
    if (n == 1 || b + n > len) return 0;
    uint32_t c = u[b] & (0x7f >> n);
    for (size_t k = 1; k < n; k++) c = (c << 6) | (u[b + k] & 0x3f);
    return c;
}

static int word_byte(const char *s, size_t len, long i)
{
    if (i < 0 || (size_t)i >= len) return 0;
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) return is_word(c);
    return !cp_is_punct(cp_around(s, len, (size_t)i));
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

/* Does an alias that opens with a digit start at st as the tail of a decimal number? "$1.3M"
 * and "2,3M" are amounts, not 3M. */
static int number_tail(const char *s, size_t st, const char *a)
{
    return isdigit((unsigned char)a[0]) && st >= 2 && (s[st - 1] == '.' || s[st - 1] == ',') &&
           isdigit((unsigned char)s[st - 2]);
}

/* Start of the alias (or ticker) whose literal ends at `end`, or -1 when the
 * match is inside a word or a number, or a ticker is out of context. Case was
 * already decided by the database. */
static long match_start(const filter_gaz *g, unsigned id, const char *s, size_t len, size_t end,
                        int exact)
{
    (void)exact;
    const char *a = id >= TICKER_BASE ? g->ticks[id - TICKER_BASE].t : g->aliases[id].text;
    size_t n = strlen(a);
    if (n > end) return -1;
    size_t st = end - n;
    if (id < TICKER_BASE && is_word((unsigned char)a[0]) && word_byte(s, len, (long)st - 1))
        return -1;
    if (is_word((unsigned char)a[n - 1]) && word_byte(s, len, (long)end)) return -1;
    if (id < TICKER_BASE && number_tail(s, st, a)) return -1;
    if (id >= TICKER_BASE && !ticker_context(s, st)) return -1;
    /* a Reuters tag names the company that held the symbol then (a 1987 wire's), not the
     * renamed company that once traded under one of its `symbols:` */
    if (id >= TICKER_BASE && g->ticks[id - TICKER_BASE].other && s[st - 1] == '<') return -1;
    /* "$CMA" is a cashtag (Comerica), never the alias CMA (a regulator) */
    if (id < TICKER_BASE && st >= 1 && s[st - 1] == '$') return -1;
    return (long)st;
}

struct raw {
    uint32_t id, field, start, end;
};

/* The forward scan stops at this many matches ("enough evidence"). */
#define GAZ_MAX_RAW 4096
/* Fields longer than this are scanned forward (the reversed copy would be as large). */
#define GAZ_REV_MAX (1u << 20)

struct scan_ctx {
    const filter_gaz *g;
    const char *text;
    size_t len;      /* the field's */
    size_t scan_len; /* the bytes scanned: len, at most UINT32_MAX */
    int exact;
    int fast;        /* collect every match (collect_raw's first pass) */
    int over;        /* the fast pass found more than GAZ_MAX_RAW */
    struct raw *v;
    size_t n, cap;
    uint32_t field;
    int nomem;
};

/* Keeps the match of pattern id ending at end when match_start accepts it. */
static int keep_match(struct scan_ctx *c, unsigned id, size_t end)
{
    if (!c->fast && c->n >= GAZ_MAX_RAW) return 1;
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
    long st = match_start(c->g, id, c->text, c->len, end, c->exact);
    if (st < 0) return 0; /* wrong case: "apple" is not Apple */
    if (c->n >= GAZ_MAX_RAW) { /* more than the forward scan keeps: collect_raw redoes it forward */
        c->over = 1;
        return 1;
    }
    c->v[c->n++] = (struct raw){id, c->field, (uint32_t)st, (uint32_t)end};
    return 0;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ud)
{
    return keep_match(ud, id, (size_t)to);
}

/* A reversed alias ending at to began where the alias ends: scan_len - to + its length. */
static int on_match_rev(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                        void *ud)
{
    struct scan_ctx *c = ud;
    return keep_match(c, id, c->scan_len - (size_t)to + c->g->aliases[id].len);
}

/* The tickers that text[p, ...) begins with, as matches of their "<ctx>T" literals ending
 * there. A byte no ticker has ends the search: no longer one can match. */
static int tickers_at(struct scan_ctx *c, size_t p)
{
    const filter_gaz *g = c->g;
    uint32_t h = 2166136261u;
    for (size_t l = 1; l <= g->tick_max && p + l <= c->scan_len; l++) {
        unsigned char ch = (unsigned char)c->text[p + l - 1];
        if (!g->tick_chr[ch]) break;
        h = (h ^ ch) * 16777619u;
        for (size_t i = h & g->tick_mask; g->tick_slots[i].n; i = (i + 1) & g->tick_mask) {
            const struct tick_slot *sl = &g->tick_slots[i];
            const char *t = g->ticks[sl->first].t;
            if (sl->hash != h || strncmp(t, c->text + p, l) != 0 || t[l]) continue;
            for (uint32_t k = 0; k < sl->n; k++)
                if (keep_match(c, TICKER_BASE + sl->first + k, p + l)) return 1;
            break;
        }
    }
    return 0;
}

/* What ticker literals ("$T", "<T", ":T", ": T") would find, without them in any database:
 * more than half their literals, and on short wire stories their size costs cache misses.
 * memchr per context byte: they are rare, and memchr is fast. */
static void ticker_pass(struct scan_ctx *c)
{
    static const char ctx[] = "$<:";
    for (const char *k = ctx; *k; k++)
        for (const char *q = memchr(c->text, *k, c->scan_len); q; q = memchr(q + 1, *k, c->scan_len - (size_t)(q + 1 - c->text))) {
            size_t p = (size_t)(q - c->text) + 1;
            if (tickers_at(c, p)) return;
            if (*k == ':' && p < c->scan_len && c->text[p] == ' ' && tickers_at(c, p + 1)) return;
        }
}

/* dst = src backwards, eight bytes at a time. */
static void reverse_into(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, src + n - i - 8, 8);
        w = __builtin_bswap64(w);
        memcpy(dst + i, &w, 8);
    }
    for (; i < n; i++) dst[i] = src[n - 1 - i];
}

/* Exact-case text is scanned backwards: most aliases end in lower-case letters that prose is
 * full of, so the forward literal matcher checks candidates at almost every word, where the
 * aliases' first letters (mostly capitals) are rare. The field reversed into buf, scanned
 * with the reversed literals: the same matches, found from their other end (1.8x faster on
 * news bodies). */
static hs_error_t scan_field_raw(const filter_gaz *g, hs_scratch_t *scratch, struct scan_ctx *c, char *buf)
{
    hs_error_t e;
    if (!c->fast || !c->exact || c->scan_len > GAZ_REV_MAX) {
        e = hs_scan(g->db[!c->exact], c->text, (unsigned)c->scan_len, 0, scratch, on_match, c);
    } else {
        reverse_into(buf, c->text, c->scan_len);
        e = hs_scan(g->rdb, buf, (unsigned)c->scan_len, 0, scratch, on_match_rev, c);
    }
    if (e == HS_SUCCESS) ticker_pass(c);
    return e;
}

/* Every accepted match of both fields into c, unsorted. The fast pass keeps them all; past
 * GAZ_MAX_RAW, where the forward scan stops at the first ones in text order, the forward
 * scan runs instead, so the same ones are kept. 0, SQ_E_NOMEM or SQ_E_INVAL. */
static int collect_raw(const filter_gaz *g, hs_scratch_t *scratch, const char *const text[2],
                       const size_t len[2], const int caps[2], const int lower[2], struct scan_ctx *c)
{
    char stack[8192], *buf = stack; /* most fields fit: no allocation per article */
    size_t need = 0;
    for (int f = 0; f < 2; f++)
        if (text[f] && !caps[f] && !lower[f] && len[f] <= GAZ_REV_MAX && len[f] > need) need = len[f];
    if (need > sizeof stack && !(buf = malloc(need))) return SQ_E_NOMEM;
    int rc = 0;
    for (int fast = 1; fast >= 0 && !rc; fast--) {
        c->n = 0, c->fast = fast, c->over = 0;
        for (uint32_t f = 0; f < 2 && !c->nomem && !c->over && !rc; f++) {
            if (!text[f] || !len[f]) continue;
            c->field = f, c->text = text[f], c->len = len[f], c->exact = !caps[f] && !lower[f];
            c->scan_len = len[f] > UINT32_MAX ? UINT32_MAX : len[f];
            hs_error_t e = scan_field_raw(g, scratch, c, buf);
            if (!c->nomem && e != HS_SUCCESS && e != HS_SCAN_TERMINATED) rc = SQ_E_INVAL;
        }
        if (c->nomem) rc = SQ_E_NOMEM;
        if (!c->over) break;
    }
    if (buf != stack) free(buf);
    return rc;
}

static int cmp_raw(const void *a, const void *b)
{
    const struct raw *x = a, *y = b;
    if (x->field != y->field) return x->field < y->field ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end > y->end ? -1 : 1; /* longest first */
    return x->id < y->id ? -1 : (x->id > y->id);
}

static int word_at(const char *s, size_t len, size_t i, const char *w)
{
    size_t n = strlen(w);
    if (i + n > len || strncasecmp(s + i, w, n) != 0) return 0;
    if (i > 0 && is_word((unsigned char)s[i - 1])) return 0;
    return i + n == len || !is_word((unsigned char)s[i + n]);
}

/* Is any word of the NULL-ended list at s[i]? */
static int word_at_any(const char *s, size_t len, size_t i, const char *const *list)
{
    for (size_t k = 0; list[k]; k++)
        if (word_at(s, len, i, list[k])) return 1;
    return 0;
}

static const char *const after_ctx[] = {"Inc", "Corp", "Corporation", "Co", "Ltd", "plc", "LLC",
    "AG", "SA", "NV", "Group", "Holdings", "shares", "stock", "CEO", "chief", "spokesperson",
    "spokesman", "spokeswoman", "said", "says", "announced", "reported", "executives",
    "investors", "earnings", "revenue", "unit", NULL};
static const char *const before_ctx[] = {"shares", "CEO", "rival", "rivals", "companies",
    "company", "firm", "giant", "retailer", "maker", "stake", "investors", "tech", NULL};

/* Words that make an ambiguous alias a common noun ("Apple pie", "Amazon river", "Shell casing")
 * or a product line's name ("RTX Pro 6000D", "Galaxy Ultra"): such a mention never counts, even
 * next to a trigger. */
static const char *const noun_after[] = {"pie", "pies", "juice", "tree", "trees", "orchard",
    "orchards", "cider", "sauce", "river", "rainforest", "basin", "forest", "jungle", "region",
    "tribe", "tribes", "delta", "casing", "casings", "fish", "beach",
    "Pro", "Max", "Ultra", "Plus", "Mini", "Super", "Ti", "series", "Series", "GPU", "GPUs", "graphics",
    "card", "cards", "maker", "makers", /* "a U.S. Microchip maker": the product's maker */
    "de", "Grande", NULL}; /* a place: "Rio de Janeiro", "Rio Grande" */

/* The end of the number at s[i] ("1,200", "1.8"). */
static size_t number_end(const char *s, size_t len, size_t i)
{
    while (i < len && (isdigit((unsigned char)s[i]) || ((s[i] == ',' || s[i] == '.') && i + 1 < len && isdigit((unsigned char)s[i + 1]))))
        i++;
    return i;
}

/* Is the number ending at s[i] an amount: a scale word after it, as the amounts read them ("500
 * million euros", "746m"), or a per cent ("10%", "10 percent")? */
static int amount_at(const char *s, size_t len, size_t i)
{
    if (i < len && s[i] == '%') return 1;
    if (filter_amount_scale_end(s, len, i)) return 1;
    if (i < len && s[i] == ' ') i++;
    return word_at(s, len, i, "percent") || word_at(s, len, i, "per") || word_at(s, len, i, "pct");
}

/* Is the number ending at s[i] a span of time, as a deadline given to a company reads ("gives
 * Apple 30 days to comply")? A number spelt out ("two weeks") never gets here: it is no digit. */
static int duration_at(const char *s, size_t len, size_t i)
{
    static const char *const units[] = {"days", "day", "weeks", "week", "months", "month", "years", "year", "hours", NULL};
    if (i < len && s[i] == ' ') i++;
    return word_at_any(s, len, i, units);
}

static int common_noun_use(const char *s, size_t len, uint32_t end)
{
    size_t i = end;
    if (i < len && s[i] == ' ') i++;
    else return 0;
    /* a model number: "RTX 5090" is a product; an amount ("fines Apple 500 million euros") or a
     * span of time ("gives Apple 30 days") is not */
    if (i < len && isdigit((unsigned char)s[i])) {
        size_t e = number_end(s, len, i);
        return !amount_at(s, len, e) && !duration_at(s, len, e);
    }
    return word_at_any(s, len, i, noun_after);
}

/* The lower-case word ending at s[e] (exclusive): its first byte's offset, or e when there is none. */
static size_t lower_word_start(const char *s, size_t e)
{
    size_t b = e;
    while (b > 0 && islower((unsigned char)s[b - 1])) b--;
    return b > 0 && isalpha((unsigned char)s[b - 1]) ? e : b; /* "McDonald": not a lower-case word */
}

/* An alias in parentheses right after lower-case words whose initials spell it ("deep brain
 * stimulation (DBS)", "artificial general intelligence (AGI)") is that phrase's abbreviation: a
 * company's own name before its acronym is capitalised. */
static int acronym_defined(const char *s, size_t len, uint32_t start, uint32_t end)
{
    size_t n = end - start, i = start - 1;
    if (start < 2 || end >= len || s[i] != '(' || s[end] != ')' || n < 2 || n > 6) return 0;
    while (i > 0 && s[i - 1] == ' ') i--;
    for (size_t k = n; k-- > 0;) {
        size_t b = lower_word_start(s, i);
        if (b == i || !isupper((unsigned char)s[start + k]) || s[b] != tolower((unsigned char)s[start + k])) return 0;
        for (i = b; k && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '-'); i--)
            ;
        if (k && i == b) return 0; /* the words must be apart */
    }
    return 1;
}

/* Prefixes a company name takes in a hyphenated compound that is still about the company:
 * "EX-APPLE", "Non-Google". */
static const char *const hyphen_prefix[] = {"ex", "non", "anti", "pro", "post", "pre", "mid", "un", NULL};

/* Does a mention in field end at ends_at or start at starts_at? */
static int mention_at(const filter_mentions *out, uint32_t field, uint32_t ends_at, uint32_t starts_at)
{
    for (size_t j = 0; j < out->n; j++)
        if (out->v[j].field == field && (out->v[j].end == ends_at || out->v[j].start == starts_at)) return 1;
    return 0;
}

/* Is the ambiguous alias at [start,end) one part of a hyphenated name that is not a company's
 * own compound ("Orange-Co", "TI-Caro", "Graham-McCormick", "MARK-UPS")? The other part must be
 * capitalised, not a prefix or a participle ("Amazon-Backed"), and name no company itself: "Delta-Western"
 * of a merger keeps Delta when Western is a company we know. */
static int hyphen_part(const char *s, size_t len, const filter_mentions *out, uint32_t field,
                       uint32_t start, uint32_t end)
{
    if (start >= 2 && s[start - 1] == '-' && a_alpha((unsigned char)s[start - 2])) {
        size_t b = start - 1;
        while (b > 0 && a_alpha((unsigned char)s[b - 1])) b--;
        int pre = 0;
        for (size_t k = 0; hyphen_prefix[k] && !pre; k++) pre = word_at(s, len, b, hyphen_prefix[k]);
        if (!pre && a_upper((unsigned char)s[b]) && !mention_at(out, field, start - 1, UINT32_MAX)) return 1;
    }
    if (end + 1 < len && s[end] == '-' && a_upper((unsigned char)s[end + 1])) {
        size_t e = end + 1;
        while (e < len && a_alpha((unsigned char)s[e])) e++;
        size_t n = e - end - 1;
        int part = n >= 2 && (strncasecmp(s + e - 2, "ed", 2) == 0 || (n >= 3 && strncasecmp(s + e - 3, "ing", 3) == 0));
        if (!part && !mention_at(out, field, UINT32_MAX, end + 1)) return 1;
    }
    return 0;
}

/* Is every mention of m's entity a part of a hyphenated name? "ATT-PHILIPS BID" over a body that
 * names Philips on its own is the company's joint bid; "ORANGE-CO" over "Orange-Co Inc" is not Orange. */
static int hyphen_whole(const char *const text[2], const size_t len[2], const filter_mentions *out,
                        const struct squawk_mention *m)
{
    for (size_t j = 0; j < out->n; j++) {
        const struct squawk_mention *o = &out->v[j];
        if (o->entity == m->entity && !hyphen_part(text[o->field], len[o->field], out, o->field, o->start, o->end))
            return 0;
    }
    return 1;
}

static size_t suffix_at(const uint16_t *lens, const char *s, size_t len, size_t i, int loose);

/* Last words of a name that are no legal form but name an organisation all the same. */
static const char *const org_tail[] = {"Association", "Partners", "Party", "Trust", "Enterprises", NULL};

/* The end of a longer capitalised name that the alias ending at `end` opens, up to and past a legal
 * form or an organisation's word ("Progressive| Savings and Loan Association"), or 0. `deal` says
 * whether one of its words before the form is a blank-cheque company's ("Acquisition", "Merger"). */
static size_t longer_name_end(const filter_gaz *g, const char *s, size_t len, uint32_t end, int *deal)
{
    size_t i = end;
    int caps_words = 0;
    *deal = 0;
    for (int w = 0; w < 6; w++) {
        if (i >= len || s[i] != ' ') return 0;
        while (i < len && s[i] == ' ') i++;
        if (i >= len) return 0;
        size_t n = caps_words ? suffix_at(g->suf_len, s, len, i, 0) : 0;
        for (size_t k = 0; caps_words && !n && org_tail[k]; k++)
            if (word_at(s, len, i, org_tail[k])) n = strlen(org_tail[k]);
        if (n) {
            for (i += n; i < len && (s[i] == '.' || s[i] == ' '); i++)
                ;
            return i;
        }
        if (a_upper((unsigned char)s[i])) {
            caps_words++;
            *deal |= word_at(s, len, i, "Acquisition") || word_at(s, len, i, "Merger");
        } else if (!(caps_words && (word_at(s, len, i, "and") || word_at(s, len, i, "of") || word_at(s, len, i, "&")))) {
            return 0;
        }
        while (i < len && (a_alnum((unsigned char)s[i]) || s[i] == '&' || s[i] == '\'' || s[i] == '-')) i++;
    }
    return 0;
}

/* Does the alias at [start,end) open a longer capitalised name that ends in a legal form or an
 * organisation's word and that the wire marks as a company of its own: in a tag ("<Spectrum
 * Holding Corp>", unlisted) or before its own ticker tag ("Progressive Savings and Loan
 * Association <PRSL>")? Then the mention is that company's name, not ours. Untagged longer names
 * are left alone: they are as often the company's own units ("Shell Oil Co", "Moody's Investors
 * Service Inc"); "Apple Inc" (a legal form right after it) is the company's own name. */
static int longer_name_head(const filter_gaz *g, const char *s, size_t len, uint32_t start, uint32_t end)
{
    int tagged = start > 0 && s[start - 1] == '<', deal;
    size_t i = longer_name_end(g, s, len, end, &deal);
    return i && i < len && s[i] == (tagged ? '>' : '<');
}

/* A blank-cheque company takes its sponsor's name ("Ares Acquisition Corp", "Gores Holdings IX
 * Acquisition Corp"), but it is a company of its own, which the guide writes without a ticker: a
 * mention heading such a name is no mention of the sponsor. */
static void drop_spac_heads(const filter_gaz *g, const char *const text[2], const size_t len[2], filter_mentions *out)
{
    for (size_t i = 0; i < out->n; i++) {
        struct squawk_mention *m = &out->v[i];
        int deal;
        if (longer_name_end(g, text[m->field], len[m->field], m->end, &deal) && deal) {
            m->ambiguous = 2;
            m->confirmed = 0;
        }
    }
}

/* How an article's fields are typed (field_case_of): in capitals (caps), with capitals that carry no
 * meaning (loose: in capitals or in Title Case by tok_title_case), with no capital at all (lower), and
 * whether the headline is in Title Case by tok_title_headline (title). */
struct field_case {
    int caps[2], loose[2], lower[2], title;
};

/* Is some mention of m's entity, in a field whose capitals carry meaning, the head of a longer
 * name (longer_name_head)? Then its other mentions are that name's short form: "Progressive"
 * after "Progressive Enterprises Ltd", a headline's "TO BUY PROGRESSIVE". */
static int entity_is_longer_head(const filter_gaz *g, const char *const text[2], const size_t len[2],
                                 const struct field_case *fc, const filter_mentions *out, uint32_t entity)
{
    for (size_t j = 0; j < out->n; j++) {
        const struct squawk_mention *o = &out->v[j];
        if (o->entity == entity && !fc->loose[o->field] &&
            longer_name_head(g, text[o->field], len[o->field], o->start, o->end))
            return 1;
    }
    return 0;
}

/* A mention's `ambiguous` while the scan decides whether an alias of `verbs` is the verb */
#define VERB_USE 3


/* Words after which an English verb stands bare: "to", a modal, "not". */
static const char *const verb_before[] = {"to", "will", "would", "could", "can", "cannot", "can't", "may", "might",
                                          "must", "should", "shall", "won't", "not", "won\xe2\x80\x99t", NULL};

/* Words a verb alias takes as its object in a wire headline: "FIRM UPS WRATHER STAKE TO 11 PCT". */
static const char *const verb_object[] = {"stake", "stakes", "holding", "holdings", NULL};
/* Words before a verb alias that make it a noun: "PROBE TARGET", "Takeover Target", "Price Target". */
static const char *const noun_before[] = {"probe", "investigation", "inquiry", "takeover", "acquisition", "buyout", "price", NULL};

/* Is the alias ending at end followed by "of" ("Target of SEC probe", "Block of shares": the
 * noun), or by a stake word within four words, tags and numbers not counted ("UPS WRATHER <WCO>
 * STAKE": the verb)? */
static int verb_alias_after(const char *s, size_t len, uint32_t end)
{
    size_t i = end;
    for (int w = 0; w < 4 && i < len;) {
        while (i < len && s[i] == ' ') i++;
        if (i >= len || s[i] == '.' || s[i] == ',' || s[i] == ';' || s[i] == ':') return 0;
        if (a_alpha((unsigned char)s[i])) {
            if (w == 0 && word_at(s, len, i, "of")) return 1;
            if (word_at_any(s, len, i, verb_object)) return 1;
            w++;
        }
        while (i < len && s[i] != ' ') i++;
    }
    return 0;
}

/* Is the word before the alias starting at start (a space between) one of list? */
static int word_before_in(const char *s, uint32_t start, const char *const *list)
{
    size_t e = start;
    while (e > 0 && s[e - 1] == ' ') e--;
    if (e == start) return 0;
    size_t b = e;
    while (b > 0 && (a_alpha((unsigned char)s[b - 1]) || s[b - 1] == '\'' || (unsigned char)s[b - 1] >= 0x80)) b--;
    for (size_t k = 0; list[k]; k++)
        if (strlen(list[k]) == e - b && strncasecmp(s + b, list[k], e - b) == 0) return 1;
    return 0;
}

/* An alias of `verbs` ("Block", "Target") right after "to" or a modal in a field whose capitals
 * carry no information (Title Case, ALL CAPS) is the verb: "FTC Sues to Block Kroger Deal",
 * "Tariffs Will Target Chipmakers"; so is one followed by "of" or a stake (verb_alias_after), or
 * after a probe, takeover or price word (noun_before).
 * In sentence case "to Block" is the company. */
static int verb_use(const char *s, size_t len, int loose, uint32_t start, uint32_t end)
{
    if (!loose) return 0;
    return word_before_in(s, start, verb_before) || word_before_in(s, start, noun_before) || verb_alias_after(s, len, end);
}

/* Company context for an ambiguous alias: a corporate word just after it, or
 * a business word just before it (not separated by a sentence end). */
static int has_context(const char *s, size_t len, uint32_t start, uint32_t end)
{
    size_t lim = end + 40 < len ? end + 40 : len;
    for (size_t i = end; i < lim; i++) {
        if (s[i] == '.' && i > end + 1) break;
        if (i > end && is_word((unsigned char)s[i - 1])) continue;
        if (word_at_any(s, len, i, after_ctx)) return 1;
    }
    size_t from = start > 30 ? start - 30 : 0;
    for (size_t i = from; i < start; i++) {
        if (s[i] == '.' || s[i] == '\n') {
            from = i + 1;
        }
    }
    for (size_t i = from; i < start; i++)
        if (word_at_any(s, len, i, before_ctx)) return 1;
    return 0;
}

/* A short alias after a longer name it is a prefix of ("SoftBank Corp. ... SoftBank") names
 * that name's company, unless the article also names the short alias's own company some
 * other way ("SoftBank Group", its ticker). ids[i]: mention i's pattern id. */
static void corefer_short(const filter_gaz *g, filter_mentions *out, const uint32_t *ids)
{
    for (size_t i = 0; i < out->n; i++) {
        if (ids[i] >= TICKER_BASE || !g->aliases[ids[i]].short_of) continue;
        uint32_t own = out->v[i].entity, other = g->aliases[ids[i]].short_of - 1;
        int before = 0, own_named = 0;
        for (size_t j = 0; j < out->n; j++) {
            if (out->v[j].entity == other && j < i) before = 1;
            if (out->v[j].entity == own && (ids[j] >= TICKER_BASE || !g->aliases[ids[j]].short_of))
                own_named = 1;
        }
        if (!before || own_named) continue;
        out->v[i].entity = other;
        out->v[i].ambiguous = 0;
        out->v[i].confirmed = 1;
    }
}

/* An ambiguous alias that opens a longer name the article gives an unlisted company ("Caesars
 * World ... Caesars' board", a headline's "CAESARS <CAW>" over a body's "Caesars World Inc") names
 * that company, unless the alias's own company is named unambiguously somewhere: a wire shortens a
 * name it spells out. A listed longer name is usually the alias's own family ("Brookfield
 * Infrastructure" under "Brookfield"), where the short name may well be the parent. */
static void corefer_longer(const filter_gaz *g, const char *const text[2], filter_mentions *out)
{
    for (size_t i = 0; i < out->n; i++) {
        struct squawk_mention *m = &out->v[i];
        if (m->ambiguous != 1 || m->confirmed) continue; /* a verb alias's use was decided */
        int own_named = 0;
        for (size_t j = 0; j < out->n && !own_named; j++)
            own_named = out->v[j].entity == m->entity && !out->v[j].ambiguous;
        if (own_named) continue;
        const char *a = text[m->field] + m->start;
        size_t n = m->end - m->start;
        for (size_t j = 0; j < out->n; j++) {
            const struct squawk_mention *o = &out->v[j];
            if (o->entity == m->entity || o->ambiguous || o->end - o->start <= n + 1) continue;
            if (o->entity >= g->n_ents || g->ents[o->entity].ticker) continue;
            const char *b = text[o->field] + o->start;
            if (strncasecmp(a, b, n) != 0 || b[n] != ' ') continue;
            m->entity = o->entity;
            m->ambiguous = 0;
            m->confirmed = 1;
            break;
        }
    }
}

/* A mention's `ambiguous` while the scan decides whether an alias in a Title Case headline is a name */
#define TITLE_USE 4

/* Does the headline's mention at start open it (no letter or digit before it)? There its capital
 * says as little in sentence case as in Title Case: it is read alike in both. */
static int headline_lead(const char *s, uint32_t start)
{
    for (uint32_t i = 0; i < start; i++)
        if (a_alnum((unsigned char)s[i])) return 0;
    return 1;
}

/* Is the text before start a possessive and one word ("Reliance's Digital ", "XPeng’s Robotics ")? In a
 * Title Case headline an ambiguous alias there is the owner's thing: its unit, its arm. */
static int owner_word_before(const char *s, uint32_t start)
{
    if (start < 2 || s[start - 1] != ' ') return 0;
    size_t w = start - 1;
    while (w > 0 && a_alpha((unsigned char)s[w - 1])) w--;
    if (w == start - 1 || w < 3 || s[w - 1] != ' ') return 0;
    return tok_possessive(s, w - 1, w - 3) == 2 || (w >= 5 && tok_possessive(s, w - 1, w - 5) == 4);
}

/* Do mentions a and b of one field stand side by side in a list: only ", ", " and ", " & " or "/"
 * between them? */
static int listed_together(const char *s, const struct squawk_mention *a, const struct squawk_mention *b)
{
    if (a->start > b->start) {
        const struct squawk_mention *t = a;
        a = b, b = t;
    }
    if (a->end > b->start) return 0;
    static const char *const sep[] = {", ", " and ", " & ", "/", " / ", NULL};
    for (size_t k = 0; sep[k]; k++)
        if (b->start - a->end == strlen(sep[k]) && memcmp(s + a->end, sep[k], strlen(sep[k])) == 0) return 1;
    return 0;
}

/* An ambiguous alias that is an ordinary word (`words`) inside a Title Case headline, with no company words
 * around it, no possessive after it and its company named nowhere unambiguously, is capitalised as every
 * word there is ("Digital Arm", "Visa Curbs", "US Bank CEOs", "Huawei Block" are common nouns): it counts
 * only when a deal word or "to" or a modal follows it (the subject: "Dorsey's Block to Cut Jobs"), a company
 * stands beside it in a list ("Visa and Mastercard"), or the body names the company in prose. */
static void title_uses(const char *const text[2], const size_t len[2], filter_mentions *out)
{
    static const char *const deal[] = {"Acquisition", "Deal", "Merger", "Takeover", "Buyout", "Stake", "IPO", NULL},
                             *const subject[] = {"to", "will", "would", "could", "can", "may", "might", "must", "should", NULL};
    for (size_t i = 0; i < out->n; i++) {
        struct squawk_mention *m = &out->v[i];
        if (m->ambiguous != TITLE_USE) continue;
        m->ambiguous = 2;
        const char *s = text[m->field];
        size_t e = m->end < len[m->field] && s[m->end] == ' ' ? m->end + 1 : m->end;
        for (size_t k = 0; deal[k] && e > m->end; k++)
            if (word_at(s, len[m->field], e, deal[k])) m->ambiguous = 1; /* "Grail Acquisition" */
        for (size_t k = 0; subject[k] && e > m->end; k++) /* the subject: "Dorsey's Block to Cut Jobs" */
            if (word_at(s, len[m->field], e, subject[k])) m->ambiguous = 1;
        for (size_t j = 0; j < out->n; j++) {
            const struct squawk_mention *o = &out->v[j];
            if (o->entity == m->entity && o->field != SQUAWK_FIELD_HEADLINE && o->ambiguous == 1) m->ambiguous = 1;
            if (o->entity != m->entity && o->field == m->field && (!o->ambiguous || o->confirmed) &&
                listed_together(s, o, m))
                m->ambiguous = 1; /* "Visa and Mastercard", "Illumina, Grail" */
        }
    }
}

static void field_case_of(const char *const text[2], const size_t len[2], struct field_case *fc)
{
    for (uint32_t f = 0; f < 2; f++) {
        fc->caps[f] = text[f] && len[f] && tok_shouting(text[f], len[f], 7, 10);
        /* a field with no capital at all ("nvidia to buy arm", as some posts are typed) is matched caselessly,
         * as one in capitals is; there an ambiguous alias is the lower-case word it is ("apple", "target") */
        fc->lower[f] = !fc->caps[f] && text[f] && tok_lower_case(text[f], len[f]);
        fc->loose[f] = fc->caps[f] || (text[f] && tok_title_case(text[f], len[f]));
    }
    /* a Title Case headline's capitals are no evidence of a name (title_uses) */
    fc->title = text[0] && len[0] && !fc->caps[0] && tok_title_headline(text[0], len[0]);
}

/* The mention a raw match makes, before its ambiguity is decided. */
static struct squawk_mention mention_of(const filter_gaz *g, const struct raw *r, const char *const text[2],
                                        const size_t len[2], const struct field_case *fc)
{
    struct squawk_mention m = {0};
    m.field = r->field;
    m.start = r->start;
    m.end = r->end;
    if (r->id >= TICKER_BASE) {
        m.entity = g->ticks[r->id - TICKER_BASE].e;
        m.confirmed = 1;
        return m;
    }
    m.entity = g->aliases[r->id].entity;
    m.ambiguous = g->aliases[r->id].ambiguous ? 1 + fc->lower[r->field] : 0;
    m.confirmed = !m.ambiguous;
    if (g->aliases[r->id].ambiguous == 2 && verb_use(text[r->field], len[r->field], fc->loose[r->field], r->start, r->end))
        m.ambiguous = VERB_USE;
    return m;
}

/* Ambiguous aliases: confirmed by an unambiguous mention of the same entity anywhere, or by company words
 * around them; common nouns, a verb, an owner's unit are none. words[i]: mention i is an ordinary word
 * (`words`) in a Title Case headline (NULL: none is). */
static void decide_ambiguous(const filter_gaz *g, const char *const text[2], const size_t len[2],
                             const struct field_case *fc, const uint8_t *words, filter_mentions *out)
{
    for (size_t i = 0; i < out->n; i++) {
        struct squawk_mention *m = &out->v[i];
        if (m->confirmed) continue;
        for (size_t j = 0; j < out->n && !m->confirmed; j++)
            if (out->v[j].entity == m->entity && !out->v[j].ambiguous) m->confirmed = 1;
        if (m->ambiguous == VERB_USE) {
            m->ambiguous = m->confirmed ? 1 : 2; /* the verb, whatever words follow it */
        } else if (!m->confirmed) {
            const char *s = text[m->field];
            int the = m->start >= 4 && strncmp(s + m->start - 4, "the ", 4) == 0;
            if (the || common_noun_use(s, len[m->field], m->end) || acronym_defined(s, len[m->field], m->start, m->end) ||
                hyphen_whole(text, len, out, m) || entity_is_longer_head(g, text, len, fc, out, m->entity))
                m->ambiguous = 2; /* "the Amazon", "Apple pie", "deep brain stimulation (DBS)", "Orange-Co", "Progressive Enterprises Ltd": no company of ours */
            else if (fc->title && m->field == SQUAWK_FIELD_HEADLINE && owner_word_before(s, m->start))
                m->ambiguous = 2; /* "Reliance's Digital Arm": the owner's unit */
            else if (has_context(s, len[m->field], m->start, m->end)) m->confirmed = 1;
            else if (words && words[i] && m->field == SQUAWK_FIELD_HEADLINE && !headline_lead(s, m->start) &&
                     !tok_possessive(s, len[m->field], m->end)) /* "Reliance's Digital Arm": the owner is a name */
                m->ambiguous = TITLE_USE;
        }
    }
    title_uses(text, len, out);
}

int filter_gaz_scan(const filter_gaz *g, hs_scratch_t *scratch, const char *const text[2],
                    const size_t len[2], filter_mentions *out)
{
    struct scan_ctx c = {0};
    c.g = g;
    out->n = 0;
    struct field_case fc;
    field_case_of(text, len, &fc);
    int crc = collect_raw(g, scratch, text, len, fc.caps, fc.lower, &c);
    if (crc) {
        free(c.v);
        return crc;
    }
    if (c.n > 1) qsort(c.v, c.n, sizeof *c.v, cmp_raw);
    int rc = 0;
    /* the mentions' pattern ids, kept only when a short form may need them (most articles have none) */
    int shorts = 0;
    for (size_t i = 0; i < c.n && !shorts; i++) shorts = c.v[i].id < TICKER_BASE && g->aliases[c.v[i].id].short_of;
    uint32_t *ids = shorts ? malloc(c.n * sizeof *ids) : NULL;
    /* in a Title Case headline: which mentions are aliases that are ordinary words (title_uses) */
    uint8_t *words = fc.title ? calloc(c.n ? c.n : 1, 1) : NULL;
    if ((shorts && !ids) || (fc.title && !words)) {
        free(ids);
        free(words);
        free(c.v);
        return SQ_E_NOMEM;
    }
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
        if (ids) ids[out->n] = r->id;
        if (words) words[out->n] = r->id < TICKER_BASE && g->aliases[r->id].word;
        out->v[out->n++] = mention_of(g, r, text, len, &fc);
    }
    free(c.v);
    if (!rc && ids) corefer_short(g, out, ids);
    free(ids);
    if (!rc) corefer_longer(g, text, out);
    decide_ambiguous(g, text, len, &fc, words, out);
    free(words);
    if (!rc) drop_spac_heads(g, text, len, out);
    free(out->anon);
    free(out->pool);
    out->anon = NULL;
    out->pool = NULL;
    out->n_anon = 0;
    /* names by their form: a body's Title Case words are prose, a headline's not */
    const int anon_loose[2] = {fc.loose[0], fc.caps[1]};
    if (!rc && !g->no_anonymous) rc = anon_scan(g, text, len, anon_loose, out);
    return rc;
}

void filter_mentions_free(filter_mentions *ms)
{
    free(ms->v);
    free(ms->anon);
    free(ms->pool);
    memset(ms, 0, sizeof *ms);
}


/* ---- anonymous companies ----
 * News names many companies no gazetteer knows (1987 small caps, start-ups,
 * cashtags). Text that can only be a company name counts as one: a Reuters
 * ticker tag "<ACME>" or bracketed name "<Acme Widgets Ltd>", a cashtag
 * "$ACME", or capitalised words ending in a corporate suffix ("Acme Widgets
 * Inc"). One linear pass per field; gazetteer mentions win on any overlap. */

/* AN_GAZNAME: "Nvidia Corp", a gazetteer name with a suffix: no mention of its
 * own, but a tag after it ("Nvidia Corp <NVDX>") is Nvidia's */
enum { AN_RUN, AN_BRACKET, AN_TAG, AN_CASH, AN_GAZNAME };

#define ANON_MAX_CANDS 512
#define ANON_MAX_ENTS 256
#define ANON_MAX_BRACKET 64

struct anon_cand {
    uint32_t field, start, end; /* the mention */
    uint32_t nstart, nend;      /* the name (RUN, BRACKET) or the ticker (TAG, CASH) */
    int32_t owner;              /* TAG right after a name: that candidate, or -2 - gazetteer mention */
    int32_t tag;                /* RUN, BRACKET: the TAG attached to it, or -1 */
    int32_t ent;                /* entity index once resolved */
    uint8_t kind;
};

struct anon_ent {
    size_t name, tick; /* offsets into the pool; tick 0 = none (offset 0 is a "" sentinel) */
};

struct anon_st {
    const filter_gaz *g;
    const char *const *text;
    const filter_mentions *gm; /* the gazetteer's mentions, sorted */
    struct anon_cand *v;
    size_t n, cap;
    size_t n_ents;
    char *pool;
    size_t pool_n, pool_cap;
    int nomem;
    struct anon_ent ents[ANON_MAX_ENTS]; /* last: anon_scan clears what comes before, not these 4 KB */
};

/* Capitalised words that do not start or continue a company name: sentence
 * openers, and the verbs and nouns of Title Case / ALL-CAPS headlines
 * ("ACME TO BUY FOO HOLDINGS LTD" names FOO HOLDINGS LTD). */
static const char *const anon_stop[] = {"the", "a", "an", "its", "it", "their", "his", "her",
    "our", "your", "this", "that", "these", "those", "there", "here", "when", "while", "if",
    "after", "before", "to", "in", "on", "at", "by", "for", "from", "with", "of", "as", "into",
    "over", "under", "about", "against", "between", "via", "per", "than", "or", "but", "nor",
    "not", "no", "says", "said", "say", "sees", "see", "sets", "set", "plans", "plan", "agrees",
    "agreed", "agree", "buys", "buy", "bought", "sells", "sell", "sold", "acquires", "acquire",
    "acquired", "acquisition", "takes", "take", "unit", "units", "stake", "stakes", "share",
    "shares", "bid", "bids", "offer", "offers", "talks", "merger", "merge", "merges", "deal",
    "deals", "sale", "completes", "complete", "completed", "files", "filed", "wins", "won",
    "gets", "makes", "names", "named", "rejects", "raises", "cuts", "seeks", "sues", "sued",
    "ends", "weighs", "considers", "eyes", "approves", "approved", "clears", "blocks", "fines",
    "fined", "probe", "probes", "charges", "charged", "invests", "invest", "backs", "leads",
    "joins", "former", "rival", "parent", "subsidiary", "affiliate", "chairman",
    "president", "chief", "ceo", "executive", "analyst", "analysts", "spokesman", "spokeswoman",
    "official", "officials", "shareholders", "investors", "holders", "both", "all", "some",
    "other", "each", "also", "and", "will", "would", "may", "could", "has", "have", "had", "is",
    "are", "was", "were", "be", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "january", "february", "march", "april", "june", "july", "august",
    "september", "october", "november", "december", "report", "reports", "update", "exclusive",
    "breaking", "watch", "upgrade", "upgrades", "downgrade", "downgrades", "rates", "rated",
    "cites", "tops", "beats", "up", "down", "out", "off", "more", "most", "big", NULL};

/* HTML tag names are no ticker tags. */
static const char *const not_tags[] = {"BR", "HR", "LI", "UL", "OL", "TD", "TR", "TH", "DIV",
    "SPAN", "EM", "STRONG", "HTML", "BODY", "HEAD", "TITLE", "FONT", "TABLE", "IMG", "PRE", NULL};
/* "$US" and friends are currencies, and index, futures, crypto and index-fund
 * symbols name no company: not cashtags of one. */
static const char *const not_cash[] = {"US", "USD", "AUD", "CAD", "NZD", "HKD", "SGD", "NZ",
    "HK", "A", "C", "SPY", "QQQ", "DIA", "IWM", "SPX", "NDX", "VIX", "DJI", "DJIA", "COMP", "RUT",
    "ES", "NQ", "YM", "RTY", "CL", "GC", "JY", "BTC", "ETH", "XLE", "XLF", "XLK", "GLD", "SLV",
    "USO", "TLT", "HYG", "EEM", "EFA", "VOO", "VTI", "IVV", "TQQQ", "SQQQ", "SPXL", "SPXS", "UVXY", "VXX",
    "XLV", "XLI", "XLY", "XLP", "XLU", "XLB", "XLRE", "XLC", "SMH", "SOXX", "SOXL", "SOXS", "XSD", "KRE",
    "XBI", "IBB", "ARKK", NULL};

static int in_list(const char *const *l, const char *s, size_t n, int caseless)
{
    int c0 = caseless ? tolower((unsigned char)s[0]) : (unsigned char)s[0];
    for (size_t k = 0; l[k]; k++)
        if ((unsigned char)l[k][0] == c0 && strlen(l[k]) == n && (caseless ? strncasecmp(l[k], s, n) : strncmp(l[k], s, n)) == 0)
            return 1;
    return 0;
}

/* FNV-1a of the lower-cased bytes (ASCII: strncasecmp's case in the C locale). */
static size_t stop_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        h = (h ^ (a_upper(c) ? c + 32u : c)) * 16777619u;
    }
    return h & (STOP_SLOTS - 1);
}

static void index_stop(filter_gaz *g)
{
    for (size_t k = 0; anon_stop[k]; k++) {
        size_t i = stop_hash(anon_stop[k], strlen(anon_stop[k]));
        while (g->stop[i]) i = (i + 1) & (STOP_SLOTS - 1);
        g->stop[i] = anon_stop[k];
    }
}

/* Is s[0, n) a stop word, in any case? (in_list(anon_stop, s, n, 1): the words are lower-case) */
static int is_stop(const filter_gaz *g, const char *s, size_t n)
{
    for (size_t i = stop_hash(s, n); g->stop[i]; i = (i + 1) & (STOP_SLOTS - 1))
        if (strlen(g->stop[i]) == n && strncasecmp(g->stop[i], s, n) == 0) return 1;
    return 0;
}


/* Length of the suffix at s[i] (as allowed in this kind of text), else 0.
 * lens: the filter_gaz's suf_len (index_suffixes). */
static size_t suffix_at(const uint16_t *lens, const char *s, size_t len, size_t i, int loose)
{
    /* the hot path (every word): suffixes are capitalised but for "plc", and
     * no longer than 12 letters */
    unsigned char c0 = (unsigned char)s[i];
    if (!loose && !a_upper(c0) && c0 != 'p') return 0;
    unsigned up = a_upper(c0) ? c0 - 'A' : a_lower(c0) ? c0 - 'a' : 26;
    if (up == 26 || !lens[up]) return 0; /* no suffix starts with this letter */
    size_t wl = 0;
    while (i + wl < len && wl <= 12 && a_alpha((unsigned char)s[i + wl])) wl++;
    if (wl > 12 || !(lens[up] >> wl & 1u)) return 0; /* none of this length: most words end here */
    for (size_t k = 0; suffixes[k].w; k++) {
        if (!(suffixes[k].f & (loose ? SUF_STRONG : SUF_STRONG | SUF_WEAK))) continue;
        if ((unsigned char)suffixes[k].w[0] != c0 && (!loose || toupper((unsigned char)suffixes[k].w[0]) != toupper(c0)))
            continue;
        size_t n = suffixes[k].n;
        if (i + n > len || (n != wl && suffixes[k].w[1] != '.')) continue;
        if ((loose ? strncasecmp(s + i, suffixes[k].w, n) : strncmp(s + i, suffixes[k].w, n)) != 0)
            continue;
        /* a whole word, not "Cobalt" or "Co-founder" */
        if (i + n < len) {
            unsigned char c = (unsigned char)s[i + n];
            if (is_word(c) || c == '-' || c == '&' || c >= 0x80) continue;
            if (suffixes[k].w[n - 1] != '.' && c == '.' && i + n + 1 < len &&
                (isalnum((unsigned char)s[i + n + 1]) || s[i + n + 1] == '.'))
                continue; /* "Co.uk", "Inc.com" */
        }
        return n;
    }
    return 0;
}


static int delim(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '(' || c == '"' || c == '[' ||
           c == '<' || c == '>' || c == ',' || c == ';' || c == ':' || c == '/';
}

static int connector(const char *s, size_t n)
{
    return (n == 1 && s[0] == '&') || (n == 3 && strncasecmp(s, "and", 3) == 0);
}

/* A word that can be part of a company name: capitalised (or "3Com"),
 * ending in '.' only as an initial or abbreviation ("J.", "U.S."), no stop word. */
static int name_word(const filter_gaz *g, const char *s, size_t n)
{
    if (n == 0) return 0;
    unsigned char c0 = (unsigned char)s[0];
    int letter = 0, dots = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalpha(c) || c >= 0x80) letter = 1;
        else if (c == '.') dots++;
        else if (!isdigit(c) && c != '-' && c != '\'' && c != '&') return 0;
    }
    if (!(isupper(c0) || (isdigit(c0) && letter))) return 0;
    size_t m = n;
    if (s[n - 1] == '.') {
        if (!(n == 2 || dots >= 2)) return 0; /* "Thursday." ends a sentence */
        m = n - 1;
    }
    return !is_stop(g, s, m);
}

/* The last gazetteer mention of field f starting before pos, or -1. The
 * gazetteer's mentions are sorted and never overlap, so ends ascend too. */
static long gaz_before(const struct anon_st *st, uint32_t f, uint32_t pos)
{
    size_t lo = 0, hi = st->gm->n; /* first index not (field < f || (field == f && start < pos)) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct squawk_mention *m = &st->gm->v[mid];
        if (m->field < f || (m->field == f && m->start < pos)) lo = mid + 1;
        else hi = mid;
    }
    return lo > 0 && st->gm->v[lo - 1].field == f ? (long)lo - 1 : -1;
}

/* Does a gazetteer mention overlap [a, b)? *last: the one ending last. */
static int gaz_overlap(const struct anon_st *st, uint32_t f, uint32_t a, uint32_t b, size_t *last)
{
    long k = gaz_before(st, f, b);
    if (k < 0 || st->gm->v[k].end <= a) return 0;
    *last = (size_t)k;
    return 1;
}

static struct anon_cand *push(struct anon_st *st, uint8_t kind, uint32_t f, size_t a, size_t b,
                              size_t na, size_t nb)
{
    if (st->n >= ANON_MAX_CANDS) return NULL;
    if (st->n == st->cap) {
        size_t nc = st->cap ? st->cap * 2 : 16;
        struct anon_cand *v = realloc(st->v, nc * sizeof *v);
        if (!v) {
            st->nomem = 1;
            return NULL;
        }
        st->v = v;
        st->cap = nc;
    }
    struct anon_cand *c = &st->v[st->n++];
    *c = (struct anon_cand){f, (uint32_t)a, (uint32_t)b, (uint32_t)na, (uint32_t)nb, -1, -1, -1, kind};
    return c;
}

/* "Texas AG", "New York AG", "TEXAS AG" in a wire's capitals: a US state's attorney general, the most frequent
 * authority of US news, not a company with the German legal form. [ns, ss): the run's words before the suffix. */
static int state_attorney_general(const char *s, size_t ss, size_t se, size_t ns)
{
    static const char *const states[] = { /* lower case: in_list compares caselessly against it */
        "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware", "florida",
        "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky", "louisiana", "maine",
        "maryland", "massachusetts", "michigan", "minnesota", "mississippi", "missouri", "montana", "nebraska",
        "nevada", "new hampshire", "new jersey", "new mexico", "new york", "north carolina", "north dakota", "ohio",
        "oklahoma", "oregon", "pennsylvania", "rhode island", "south carolina", "south dakota", "tennessee", "texas",
        "utah", "vermont", "virginia", "washington", "west virginia", "wisconsin", "wyoming", "ny", "dc", "state", NULL};
    if (se - ss != 2 || strncmp(s + ss, "AG", 2) != 0 || ss <= ns) return 0;
    size_t n = ss - ns;
    while (n > 0 && s[ns + n - 1] == ' ') n--;
    return n > 0 && in_list(states, s + ns, n, 1);
}

/* A capitalised run ending in the suffix [ss, se): walks back word by word. */
static void try_run(struct anon_st *st, uint32_t f, const char *s, size_t ss, size_t se, int loose)
{
    size_t pos = ss, ns = ss;
    int words = 0, real = 0, max = loose ? 3 : 6;
    while (pos > 0 && words < max) {
        char p = s[pos - 1];
        if (p != ' ' && (p != '\n' || loose)) break;
        size_t j = pos - 1;
        if (j > 0 && isspace((unsigned char)s[j - 1])) break; /* a paragraph or column break */
        size_t k = j;
        while (k > 0 && !delim((unsigned char)s[k - 1])) k--;
        if (connector(s + k, j - k)) {
            /* "Procter and Gamble Co" is one name; "Globex Corp and Initech Inc" are two */
            size_t j2 = k > 0 ? k - 1 : 0, k2 = j2;
            while (k2 > 0 && !delim((unsigned char)s[k2 - 1])) k2--;
            if (j2 > k2 && suffix_at(st->g->suf_len, s, j2, k2, 0)) break;
            pos = k;
            continue;
        }
        if (!name_word(st->g, s + k, j - k)) break;
        /* "Sweden's Acme AB": the owner is no part of the name ("Macy's Inc" is) */
        if (words > 0 && j - k > 2 && s[j - 2] == '\'' && (s[j - 1] == 's' || s[j - 1] == 'S')) break;
        ns = pos = k;
        words++;
        /* "U.S. Company" is no name: a real word besides suffixes and initials */
        if (!suffix_at(st->g->suf_len, s, j, k, 0) && !memchr(s + k, '.', j - k)) real++;
        if (k > 0 && s[k - 1] != ' ' && s[k - 1] != '\n') break; /* "(Acme Corp" */
    }
    if (!real || state_attorney_general(s, ss, se, ns)) return;
    /* the gazetteer wins: "Apple Computer Inc" is Apple; "Apple and Acme Corp"
     * leaves Acme Corp */
    size_t last = 0;
    if (gaz_overlap(st, f, (uint32_t)ns, (uint32_t)se, &last)) {
        const struct squawk_mention *m = &st->gm->v[last];
        if (m->end > ss) return;
        size_t p = m->end;
        while (p < ss && s[p] == ' ') p++;
        size_t q = p;
        while (q < ss && !delim((unsigned char)s[q])) q++;
        if (!connector(s + p, q - p)) {
            struct anon_cand *c = push(st, AN_GAZNAME, f, m->start, se, m->start, se);
            if (c) c->ent = (int32_t)m->entity;
            return;
        }
        while (q < ss && s[q] == ' ') q++;
        if (q >= ss) return;
        ns = q;
    }
    push(st, AN_RUN, f, ns, se, ns, se);
}

/* "<ACME>", "<CAWL.L>" (ticker tags) and "<Acme Widgets Ltd>" (Reuters' bracketed names). */
static size_t try_bracket(struct anon_st *st, uint32_t f, const char *s, size_t len, size_t i)
{
    size_t j = i + 1, lim = i + 1 + ANON_MAX_BRACKET < len ? i + 1 + ANON_MAX_BRACKET : len;
    while (j < lim && s[j] != '>' && s[j] != '<' && s[j] != '\n') j++;
    if (j >= lim || s[j] != '>' || j == i + 1) return 0;
    size_t a = i + 1, b = j, lower = 0, space = 0, bad = 0;
    for (size_t k = a; k < b; k++) {
        unsigned char c = (unsigned char)s[k];
        if (islower(c)) lower = 1;
        else if (c == ' ') space = 1;
        else if (!isalnum(c) && !strchr("&'-(),.", c) && c < 0x80) bad = 1;
    }
    /* a tag: 1-6 capitals, optionally an exchange: ".L", ".HK" */
    size_t caps = a, ex = 0;
    while (caps < b && isupper((unsigned char)s[caps])) caps++;
    if (caps < b && s[caps] == '.') {
        ex = caps + 1;
        while (ex < b && isupper((unsigned char)s[ex])) ex++;
        if (ex != b || ex - caps - 1 < 1 || ex - caps - 1 > 3) ex = 0;
    }
    size_t last = 0;
    if (caps > a && caps - a <= 6 && (caps == b || ex == b)) {
        if (caps == b && in_list(not_tags, s + a, b - a, 0)) return 0;
        if (gaz_overlap(st, f, (uint32_t)a, (uint32_t)b, &last)) return j + 1;
        struct anon_cand *t = push(st, AN_TAG, f, a, b, a, b);
        if (!t) return j + 1;
        /* "Acme Corp <ACME>": the tag names the company just before it */
        size_t p = i;
        while (p > 0 && p + 2 > i && s[p - 1] == ' ') p--;
        if (p > 0 && s[p - 1] == '.') p--;
        long k = gaz_before(st, f, (uint32_t)p);
        if (k >= 0 && st->gm->v[k].end == p) t->owner = -2 - (int32_t)k;
        if (t->owner == -1 && st->n >= 2) {
            struct anon_cand *o = &st->v[st->n - 2];
            if (o->field == f && o->end == p && o->kind != AN_TAG && o->kind != AN_CASH && o->tag < 0) {
                t->owner = (int32_t)(st->n - 2);
                o->tag = (int32_t)(st->n - 1);
            }
        }
        return j + 1;
    }
    if (isupper((unsigned char)s[a]) && lower && space && !bad && b - a >= 4) {
        while (b > a && s[b - 1] == ' ') b--;
        if (!gaz_overlap(st, f, (uint32_t)a, (uint32_t)b, &last)) push(st, AN_BRACKET, f, a, b, a, b);
        return j + 1;
    }
    return 0;
}

/* "$TSLA", "$BRK.B" -- never "$5bn" or "$US". */
static size_t try_cash(struct anon_st *st, uint32_t f, const char *s, size_t len, size_t i)
{
    if (i > 0 && (is_word((unsigned char)s[i - 1]) || s[i - 1] == '$')) return 0;
    size_t a = i + 1, b = a;
    while (b < len && b - a < 7 && isupper((unsigned char)s[b])) b++;
    if (b == a || b - a > 6) return 0;
    if (b + 1 < len && s[b] == '.' && isupper((unsigned char)s[b + 1]) &&
        (b + 2 >= len || !is_word((unsigned char)s[b + 2])))
        b += 2; /* "$BRK.B" */
    if (b < len && (is_word((unsigned char)s[b]) || s[b] == '$' || (unsigned char)s[b] >= 0x80)) return 0;
    if (in_list(not_cash, s + a, b - a, 0)) return 0;
    size_t last = 0;
    if (!gaz_overlap(st, f, (uint32_t)a, (uint32_t)b, &last)) push(st, AN_CASH, f, a, b, a, b);
    return b;
}

/* Bytes that can start a candidate: '<', '$', and the suffixes' first letters. */
static const unsigned char hot_byte[256] = {['<'] = 1, ['$'] = 2, ['I'] = 3, ['C'] = 3, ['L'] = 3,
    ['P'] = 3, ['A'] = 3, ['N'] = 3, ['B'] = 3, ['G'] = 3, ['S'] = 3, ['H'] = 3, ['T'] = 3, ['p'] = 3};

#if defined(__SSE2__)
/* Lanes of x in [lo, lo + n) (signed compare after shifting lo to -128). */
static __m128i an_in_range(__m128i x, int lo, int n)
{
    return _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char)(128 - lo))), _mm_set1_epi8((char)(n - 128)));
}

/* The bytes of s[i, i + 16) that may start a candidate, as a bit mask: '$', '<', and a
 * capital or 'p' after a byte that ends no word (what scan_field's own test asks; it
 * re-checks each). i >= 1: the byte before is read too. Most bytes are lower-case
 * prose, and a byte loop with a branch per byte was most of the anonymous scan. */
static unsigned an_hot16(const char *s, size_t i)
{
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    __m128i p = _mm_loadu_si128((const __m128i *)(const void *)(s + i - 1));
    __m128i cap = _mm_or_si128(an_in_range(c, 'A', 26), _mm_cmpeq_epi8(c, _mm_set1_epi8('p')));
    __m128i word = _mm_or_si128(an_in_range(_mm_or_si128(p, _mm_set1_epi8(0x20)), 'a', 26),
                                an_in_range(p, '0', 10));
    word = _mm_or_si128(word, _mm_or_si128(_mm_cmpeq_epi8(p, _mm_set1_epi8('_')), _mm_cmpeq_epi8(p, _mm_set1_epi8('.'))));
    word = _mm_or_si128(word, _mm_cmplt_epi8(p, _mm_setzero_si128())); /* >= 0x80 */
    __m128i hot = _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('$')), _mm_cmpeq_epi8(c, _mm_set1_epi8('<')));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(hot, _mm_andnot_si128(word, cap)));
}
#endif

/* The first byte at or after i that may start a candidate, or len. */
static size_t next_hot(const char *s, size_t len, size_t i)
{
#if defined(__SSE2__)
    if (i == 0) {
        if (!len || hot_byte[(unsigned char)s[0]]) return 0;
        i = 1;
    }
    for (; i + 16 <= len; i += 16) {
        unsigned m = an_hot16(s, i);
        if (m) return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < len && !hot_byte[(unsigned char)s[i]]) i++;
    return i;
}

static void scan_field(struct anon_st *st, uint32_t f, const char *s, size_t len, int loose)
{
    for (size_t i = 0; i < len && st->n < ANON_MAX_CANDS && !st->nomem; i++) {
        if ((i = next_hot(s, len, i)) == len) break;
        unsigned char hot = hot_byte[(unsigned char)s[i]];
        size_t next = 0;
        if (hot == 1) next = try_bracket(st, f, s, len, i);
        else if (hot == 2) next = try_cash(st, f, s, len, i);
        else if (i == 0 || (!a_alnum((unsigned char)s[i - 1]) && s[i - 1] != '_' && s[i - 1] != '.' &&
                            (unsigned char)s[i - 1] < 0x80)) {
            size_t n = suffix_at(st->g->suf_len, s, len, i, loose);
            if (n) {
                /* "Foo Holdings Ltd": the last suffix ends the name */
                size_t q = i + n;
                if (q < len && s[q] == '.' && s[q - 1] != '.') q++;
                int stacked = q + 1 < len && s[q] == ' ' && suffix_at(st->g->suf_len, s, len, q + 1, loose);
                if (!stacked) try_run(st, f, s, i, i + n, loose);
                next = i + n;
            }
        }
        if (next > i + 1) i = next - 1;
    }
}

static size_t pool_add(struct anon_st *st, const char *s, size_t n)
{
    if (st->pool_n + n + 1 > st->pool_cap) {
        size_t nc = st->pool_cap ? st->pool_cap * 2 : 256;
        while (nc < st->pool_n + n + 1) nc *= 2;
        char *p = realloc(st->pool, nc);
        if (!p) {
            st->nomem = 1;
            return 0;
        }
        st->pool = p;
        st->pool_cap = nc;
    }
    size_t off = st->pool_n, o = off;
    /* names wrapped over lines read as one line */
    for (size_t i = 0; i < n; i++) {
        char c = s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : s[i];
        if (c == ' ' && o > off && st->pool[o - 1] == ' ') continue;
        st->pool[o++] = c;
    }
    st->pool[o] = '\0';
    st->pool_n = o + 1;
    return off;
}

static int has_lower(const char *s)
{
    for (; *s; s++)
        if (islower((unsigned char)*s)) return 1;
    return 0;
}

static int32_t ent_by(const struct anon_st *st, const char *s, int by_tick)
{
    for (size_t i = 0; i < st->n_ents; i++) {
        const struct anon_ent *e = &st->ents[i];
        if (by_tick ? e->tick && strcmp(st->pool + e->tick, s) == 0
                    : strcasecmp(st->pool + e->name, s) == 0)
            return (int32_t)i;
    }
    return -1;
}

static int32_t ent_new(struct anon_st *st, size_t name, size_t tick)
{
    if (st->n_ents == ANON_MAX_ENTS) return -1;
    st->ents[st->n_ents] = (struct anon_ent){name, tick};
    return (int32_t)st->n_ents++;
}

/* The entity of another resolved tag or cashtag of the same symbol s[0, n), or -1. */
static int32_t tag_seen(const struct anon_st *st, size_t i, const char *s, size_t n)
{
    for (size_t j = 0; j < st->n; j++) {
        const struct anon_cand *o = &st->v[j];
        if (j != i && o->ent >= 0 && (o->kind == AN_TAG || o->kind == AN_CASH) && o->nend - o->nstart == n &&
            strncmp(st->text[o->field] + o->nstart, s, n) == 0)
            return o->ent;
    }
    return -1;
}

/* "$FLAC $FLACU $FLACW": a SPAC's units (U), warrants (W, WS) and rights (R) listed beside its shares
 * are the same company, so they route to the shares' symbol, not to a topic of their own. */
static int32_t spac_sibling(const struct anon_st *st, size_t i, const char *s, size_t n)
{
    if (n >= 5 && s[n - 2] == 'W' && s[n - 1] == 'S') return tag_seen(st, i, s, n - 2);
    if (n >= 4 && (s[n - 1] == 'U' || s[n - 1] == 'W' || s[n - 1] == 'R')) return tag_seen(st, i, s, n - 1);
    return -1;
}

/* "$GOOG $GOOGL", "$FOX $FOXA", "$BRK.A ... Berkshire <BRK.B>": another share class of a listed company
 * the text names by its gazetteer ticker is that company: a symbol one letter shorter than the
 * ticker, or differing only in its last letter after a '.' (the class suffix). Returns the gazetteer
 * entity, or -1. */
static int32_t class_sibling(const struct anon_st *st, const char *s, size_t n)
{
    if (n < 3) return -1;
    for (size_t k = 0; k < st->gm->n; k++) {
        const struct squawk_entity *e = filter_gaz_entity(st->g, st->gm->v[k].entity);
        size_t t = e && e->ticker ? strlen(e->ticker) : 0;
        int longer = t == n + 1 && strncmp(e->ticker, s, n) == 0;
        int other_class = t == n && s[n - 2] == '.' && strncmp(e->ticker, s, n - 1) == 0;
        if (longer || other_class) return (int32_t)st->gm->v[k].entity;
    }
    return -1;
}

/* Whether s[0, n) is a `retired:` symbol. */
static int retired(const filter_gaz *g, const char *s, size_t n)
{
    for (size_t i = 0; i < g->n_retired; i++)
        if (strncmp(g->retired[i], s, n) == 0 && g->retired[i][n] == 0) return 1;
    return 0;
}

/* A US over-the-counter line of a foreign company's ordinary shares: five capitals ending in F
 * ("$UTOLF", "$NTDOF"). It is neither a primary US listing nor an ADR (Y, "$DIDIY", stays a ticker),
 * so the gazetteer's convention routes such a company to its home listing (TSF.CN, 7974.T): a lone
 * cashtag of one names a company with no ticker a desk subscribes to. The gazetteer's own tickers are
 * found as gazetteer mentions before this. */
static int otc_line(const char *s, size_t n)
{
    if (n != 5 || s[4] != 'F') return 0;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)s[i])) return 0;
    return 1;
}

/* Whether a tag's or cashtag's symbol is a ticker a desk subscribes to. Not a retired symbol; not a
 * Reuters tag ("<ACME>", "<CAWL.L>") the gazetteer does not hold (an old wire's symbol of a company
 * the gazetteer does not list -- 1987 names since bought, renamed or delisted, or a symbol another
 * company holds today -- as GUIDE writes such a company `-`); not an OTC line of foreign ordinary
 * shares (otc_line). A gazetteer ticker in a tag is found as its company before this. */
static int gives_ticker(const filter_gaz *g, int kind, const char *s, size_t n)
{
    return !retired(g, s, n) && kind != AN_TAG && !(kind == AN_CASH && otc_line(s, n));
}

/* The pool offset of a tag's symbol as a ticker, 0 (none) when it gives none. */
static size_t tick_add(struct anon_st *st, const struct anon_cand *t, const char *s, size_t n)
{
    return gives_ticker(st->g, t->kind, s, n) ? pool_add(st, s, n) : 0;
}

/* Same name (any case) or same ticker: one entity, so mentions add up. */
static void resolve(struct anon_st *st)
{
    uint32_t base = (uint32_t)st->g->n_ents;
    /* names first, the body's before the headline's: mixed case reads better */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < st->n && !st->nomem; i++) {
            struct anon_cand *c = &st->v[i];
            if ((c->kind != AN_RUN && c->kind != AN_BRACKET) || c->field != (pass ? 0u : 1u)) continue;
            size_t name = pool_add(st, st->text[c->field] + c->nstart, c->nend - c->nstart);
            size_t tick = 0;
            if (c->tag >= 0) {
                const struct anon_cand *t = &st->v[c->tag];
                tick = tick_add(st, t, st->text[t->field] + t->nstart, t->nend - t->nstart);
            }
            if (st->nomem) return;
            int32_t e = ent_by(st, st->pool + name, 0);
            if (e < 0 && tick) e = ent_by(st, st->pool + tick, 1);
            if (e < 0) e = ent_new(st, name, tick);
            else {
                if (!has_lower(st->pool + st->ents[e].name) && has_lower(st->pool + name))
                    st->ents[e].name = name;
                if (!st->ents[e].tick) st->ents[e].tick = tick;
            }
            c->ent = e < 0 ? -1 : (int32_t)base + e;
        }
    /* tags after a name belong to it */
    for (size_t i = 0; i < st->n; i++) {
        struct anon_cand *c = &st->v[i];
        if (c->owner >= 0) c->ent = st->v[c->owner].ent;
        else if (c->owner <= -2) c->ent = (int32_t)st->gm->v[-2 - c->owner].entity;
    }
    /* lone tags and cashtags: a ticker seen attached, an entity's ticker, or a new entity */
    for (size_t i = 0; i < st->n && !st->nomem; i++) {
        struct anon_cand *c = &st->v[i];
        if ((c->kind != AN_TAG && c->kind != AN_CASH) || c->owner != -1) continue;
        const char *s = st->text[c->field] + c->nstart;
        size_t n = c->nend - c->nstart;
        c->ent = tag_seen(st, i, s, n);
        /* "Zorblax Corp <ZWC> ... $ZWC holders": a feed's cashtag gives the symbol a wire tag left without one */
        if (c->ent >= (int32_t)base && c->kind == AN_CASH && !st->ents[c->ent - (int32_t)base].tick) {
            st->ents[c->ent - (int32_t)base].tick = tick_add(st, c, s, n);
            if (st->nomem) return;
        }
        if (c->ent < 0) c->ent = spac_sibling(st, i, s, n);
        if (c->ent < 0) c->ent = class_sibling(st, s, n);
        if (c->ent >= 0) continue;
        size_t tick = pool_add(st, s, n);
        if (st->nomem) return;
        int gone = !gives_ticker(st->g, c->kind, s, n); /* named by its symbol, with no ticker */
        int32_t e = ent_by(st, st->pool + tick, !gone);
        if (e < 0) e = ent_new(st, tick, gone ? 0 : tick);
        c->ent = e < 0 ? -1 : (int32_t)base + e;
    }
}

static int cmp_mention(const void *a, const void *b)
{
    const struct squawk_mention *x = a, *y = b;
    if (x->field != y->field) return x->field < y->field ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->end > y->end ? -1 : (x->end < y->end);
}

static int anon_scan(const filter_gaz *g, const char *const text[2], const size_t len[2],
                     const int loose[2], filter_mentions *out)
{
    struct anon_st stack, *st = &stack;
    memset(st, 0, offsetof(struct anon_st, ents)); /* ents[i] is read only once written (i < n_ents) */
    st->g = g;
    st->text = text;
    st->gm = out;
    for (uint32_t f = 0; f < 2; f++)
        if (text[f] && len[f]) scan_field(st, f, text[f], len[f], loose[f]);
    int rc = 0;
    if (st->n && !st->nomem) {
        pool_add(st, "", 0); /* offset 0: "no ticker" */
        resolve(st);
    }
    size_t add = 0;
    for (size_t i = 0; i < st->n; i++) add += st->v[i].ent >= 0 && st->v[i].kind != AN_GAZNAME;
    if (st->nomem) rc = SQ_E_NOMEM;
    else if (add) {
        out->anon = calloc(st->n_ents ? st->n_ents : 1, sizeof *out->anon);
        struct squawk_mention *v = out->v;
        if (out->cap < out->n + add) {
            v = realloc(out->v, (out->n + add) * sizeof *v);
            if (v) {
                out->v = v;
                out->cap = out->n + add;
            }
        }
        if (!out->anon || !v) {
            rc = SQ_E_NOMEM;
        } else {
            out->pool = st->pool;
            st->pool = NULL;
            out->n_anon = st->n_ents;
            for (size_t i = 0; i < st->n_ents; i++)
                out->anon[i] = (struct squawk_entity){sizeof(struct squawk_entity), out->pool + st->ents[i].name,
                    st->ents[i].tick ? out->pool + st->ents[i].tick : NULL, "company", "", ""};
            for (size_t i = 0; i < st->n; i++) {
                const struct anon_cand *c = &st->v[i];
                if (c->ent < 0 || c->kind == AN_GAZNAME) continue;
                out->v[out->n++] = (struct squawk_mention){(uint32_t)c->ent, c->field, c->start, c->end, 0, 1};
            }
            qsort(out->v, out->n, sizeof *out->v, cmp_mention);
        }
    }
    free(st->v);
    free(st->pool);
    return rc;
}

const struct squawk_entity *filter_mentions_entity(const filter_gaz *g, const filter_mentions *ms,
                                                   uint32_t i)
{
    if (i < g->n_ents) return &g->ents[i];
    if (ms && i - g->n_ents < ms->n_anon) return &ms->anon[i - g->n_ents];
    return NULL;
}

int32_t filter_mentions_find(const filter_gaz *g, const filter_mentions *ms, const char *s)
{
    if (!s || !ms) return -1;
    for (size_t i = 0; i < ms->n_anon; i++)
        if (strcmp(ms->anon[i].name, s) == 0 || (ms->anon[i].ticker && strcmp(ms->anon[i].ticker, s) == 0))
            return (int32_t)(g->n_ents + i);
    return -1;
}
