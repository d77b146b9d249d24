/* matcher.c -- rule packs: YAML rules compiled once into Hyperscan databases, scanned per field. */
#include "matcher.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "yaml_doc.h"
#include "hs_cache.h"

/* Start-of-match tracking (HS_FLAG_SOM_LEFTMOST) makes Hyperscan 5-60x
 * slower on these packs, so the per-field databases are compiled without it
 * and only report where matches end. The start of each match that fired is
 * then recovered by scanning that rule's own SOM database over a window
 * ending just after the match (see resolve_starts). The window holds every
 * possible start, so the spans equal what one SOM database over the whole
 * text reports:
 *  - a rule whose matches are at most width bytes long (hs_expression_info's
 *    max_width) starts at or after end - width; the window opens one byte
 *    (one UTF-8 character) earlier so \b, \B and multiline ^ see the same
 *    neighbour as in the full text. A start at the window's first byte would
 *    make the match longer than width, so ^ or \b misjudged there cannot
 *    produce one;
 *  - a rule with unbounded width (.*, \s+, {n,}) is scanned from offset 0:
 *    exact, costing one pass over the text's prefix per group of its matches;
 *  - the window runs SOM_LOOKAHEAD bytes past the end (plus the rest of a
 *    UTF-8 character) so $, \Z, \b and \B at the end are judged as in the
 *    full text;
 *  - windows of one rule's nearby matches are merged into one scan;
 *  - a rule whose matches all have one length (min_width == max_width)
 *    starts at end - width, no scan needed.
 * There is no window cap: a long match costs a longer window, never a wrong
 * start. Should no SOM match end where the hot scan saw one (the argument
 * above says it cannot happen), the rule is rescanned from offset 0, and a
 * match still without a start is dropped rather than given an invented one.
 * FILTER_MATCHER_MAX_MATCHES still bounds the hot scan as before. */
#define SOM_LOOKAHEAD 8
#define START_UNKNOWN UINT32_MAX

struct filter_matcher {
    char *name;
    struct squawk_rule *rules;
    char **patterns;
    size_t n;
    hs_database_t *db[SQUAWK_FIELD_N]; /* no SOM: the hot scan */
    hs_database_t **som;               /* per rule, SOM_LEFTMOST: starts only */
    unsigned *width;                   /* per rule: max match bytes, UINT_MAX unbounded */
    unsigned char *utf8;               /* per rule: compiled with HS_FLAG_UTF8 */
    unsigned char *fixed;              /* per rule: every match is width bytes long */
};

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static int parse_flags(yaml_document_t *doc, yaml_node_t *n, unsigned *flags, char *bad, size_t badlen)
{
    /* flags: [caseless, dotall] or "caseless dotall" */
    const char *one[64];
    size_t k = 0;
    if (!n) return 0;
    if (n->type == YAML_SCALAR_NODE) {
        one[k++] = filter_yaml_str(n);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top && k < 64; it++)
            one[k++] = filter_yaml_str(yaml_document_get_node(doc, *it));
    }
    for (size_t i = 0; i < k; i++) {
        const char *f = one[i];
        if (!f) continue;
        if (strcmp(f, "caseless") == 0) *flags |= HS_FLAG_CASELESS;
        else if (strcmp(f, "dotall") == 0) *flags |= HS_FLAG_DOTALL;
        else if (strcmp(f, "multiline") == 0) *flags |= HS_FLAG_MULTILINE;
        else if (strcmp(f, "utf8") == 0) *flags |= HS_FLAG_UTF8 | HS_FLAG_UCP;
        else if (strcmp(f, "case") == 0) *flags &= ~(unsigned)HS_FLAG_CASELESS;
        else {
            snprintf(bad, badlen, "%s", f);
            return -1;
        }
    }
    return 0;
}

static int field_of(const char *s)
{
    if (!s || strcmp(s, "any") == 0) return -1;
    if (strcmp(s, "headline") == 0) return SQUAWK_FIELD_HEADLINE;
    if (strcmp(s, "body") == 0) return SQUAWK_FIELD_BODY;
    return -2;
}

static int has_high_bytes(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return 1;
    return 0;
}

static int compile_field(filter_matcher *m, int field, const unsigned *flags, const char *path,
                         char *err, size_t errlen)
{
    const char **pats = calloc(m->n ? m->n : 1, sizeof *pats);
    unsigned *fl = calloc(m->n ? m->n : 1, sizeof *fl);
    unsigned *ids = calloc(m->n ? m->n : 1, sizeof *ids);
    size_t k = 0;
    int rc = 0;
    if (!pats || !fl || !ids) {
        rc = SQ_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < m->n; i++) {
        if (m->rules[i].field != -1 && m->rules[i].field != field) continue;
        pats[k] = m->patterns[i];
        fl[k] = flags[i];
        ids[k] = (unsigned)i;
        k++;
    }
    if (k == 0) goto out;
    hs_compile_error_t *ce = NULL;
    if (filter_hs_cache_compile_multi(pats, fl, ids, (unsigned)k, &m->db[field], &ce) !=
        HS_SUCCESS) {
        const char *rid = (ce && ce->expression >= 0 && (size_t)ce->expression < k)
                              ? m->rules[ids[ce->expression]].id
                              : "(pack)";
        snprintf(err, errlen, "%s: rule %s: %s", path, rid, ce ? ce->message : "compile failed");
        hs_free_compile_error(ce);
        rc = SQ_E_HS_COMPILE;
    }
out:
    free(pats);
    free(fl);
    free(ids);
    return rc;
}

/* The per-rule SOM database and the rule's maximum match width. */
static int compile_rule(filter_matcher *m, size_t i, unsigned flags, const char *path, char *err,
                        size_t errlen)
{
    hs_compile_error_t *ce = NULL;
    hs_expr_info_t *info = NULL;
    if (hs_expression_info(m->patterns[i], flags, &info, &ce) != HS_SUCCESS) {
        snprintf(err, errlen, "%s: rule %s: %s", path, m->rules[i].id,
                 ce ? ce->message : "compile failed");
        hs_free_compile_error(ce);
        return SQ_E_HS_COMPILE;
    }
    m->width[i] = info->max_width;
    m->fixed[i] = info->min_width == info->max_width;
    free(info); /* allocated by hs_misc_alloc, which is malloc here */
    const char *pat = m->patterns[i];
    unsigned fl = flags | HS_FLAG_SOM_LEFTMOST, id = 0;
    if (filter_hs_cache_compile_multi(&pat, &fl, &id, 1, &m->som[i], &ce) != HS_SUCCESS) {
        snprintf(err, errlen, "%s: rule %s: %s", path, m->rules[i].id,
                 ce ? ce->message : "compile failed");
        hs_free_compile_error(ce);
        return SQ_E_HS_COMPILE;
    }
    m->utf8[i] = (flags & HS_FLAG_UTF8) != 0;
    return 0;
}

static const char *const rule_keys[] = {"id", "pattern", "weight", "field", "flags",
                                        "comment", "dir", "tag", NULL};

/* Reads one rule of the pack's list into m->rules[m->n] (its flags into flags[m->n]);
 * 0, SQ_E_RULES with err naming file:line and rule, or SQ_E_NOMEM. */
static int load_one_rule(filter_matcher *m, yaml_document_t *doc, yaml_node_item_t item, const char *path,
                         unsigned *flags, char *err, size_t errlen)
{
    yaml_node_t *r = yaml_document_get_node(doc, item);
    size_t line = filter_yaml_line(r);
    if (!r || r->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "%s:%zu: a rule must be a map", path, line);
        return SQ_E_RULES;
    }
    const char *id = filter_yaml_str(filter_yaml_get(doc, r, "id"));
    const char *pat = filter_yaml_str(filter_yaml_get(doc, r, "pattern"));
    if (!id || !*id) {
        snprintf(err, errlen, "%s:%zu: rule without id", path, line);
        return SQ_E_RULES;
    }
    if (!pat || !*pat) {
        snprintf(err, errlen, "%s:%zu: rule %s: missing pattern", path, line, id);
        return SQ_E_RULES;
    }
    for (yaml_node_pair_t *pr = r->data.mapping.pairs.start; pr < r->data.mapping.pairs.top;
         pr++) {
        const char *k = filter_yaml_str(yaml_document_get_node(doc, pr->key));
        int known = 0;
        for (size_t j = 0; k && rule_keys[j]; j++)
            if (strcmp(k, rule_keys[j]) == 0) known = 1;
        if (!known) {
            snprintf(err, errlen, "%s:%zu: rule %s: unknown key '%s'", path, line, id,
                     k ? k : "?");
            return SQ_E_RULES;
        }
    }
    for (size_t j = 0; j < m->n; j++)
        if (strcmp(m->rules[j].id, id) == 0) {
            snprintf(err, errlen, "%s:%zu: rule %s: duplicate id", path, line, id);
            return SQ_E_RULES;
        }
    struct squawk_rule *ru = &m->rules[m->n];
    ru->size = sizeof *ru;
    ru->weight = 1.0;
    const char *w = filter_yaml_str(filter_yaml_get(doc, r, "weight"));
    if (w) {
        char *end;
        errno = 0;
        ru->weight = strtod(w, &end);
        if (end == w || *end || errno) {
            snprintf(err, errlen, "%s:%zu: rule %s: weight '%s' is not a number", path, line,
                     id, w);
            return SQ_E_RULES;
        }
    }
    const char *fs = filter_yaml_str(filter_yaml_get(doc, r, "field"));
    ru->field = field_of(fs);
    if (ru->field == -2) {
        snprintf(err, errlen, "%s:%zu: rule %s: field '%s' is not headline|body|any", path,
                 line, id, fs);
        return SQ_E_RULES;
    }
    char bad[64];
    unsigned fl = 0;
    if (parse_flags(doc, filter_yaml_get(doc, r, "flags"), &fl, bad, sizeof bad) != 0) {
        snprintf(err, errlen, "%s:%zu: rule %s: unknown flag '%s'", path, line, id, bad);
        return SQ_E_RULES;
    }
    if (has_high_bytes(pat)) fl |= HS_FLAG_UTF8;
    flags[m->n] = fl;
    ru->id = strdup(id);
    ru->comment = dup_or_empty(filter_yaml_str(filter_yaml_get(doc, r, "comment")));
    ru->dir = dup_or_empty(filter_yaml_str(filter_yaml_get(doc, r, "dir")));
    ru->tag = dup_or_empty(filter_yaml_str(filter_yaml_get(doc, r, "tag")));
    m->patterns[m->n] = strdup(pat);
    m->n++;
    if (!ru->id || !ru->comment || !ru->dir || !ru->tag || !m->patterns[m->n - 1]) {
        return SQ_E_NOMEM;
    }
    if (*ru->dir && strcmp(ru->dir, "forward") != 0 && strcmp(ru->dir, "backward") != 0) {
        snprintf(err, errlen, "%s:%zu: rule %s: dir '%s' is not forward|backward", path, line,
                 id, ru->dir);
        return SQ_E_RULES;
    }
    return 0;
}

int filter_matcher_load(filter_matcher **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    yaml_document_t doc;
    if (filter_yaml_load(&doc, path, err, errlen) != 0) return SQ_E_RULES;
    int rc = SQ_E_RULES;
    unsigned *flags = NULL;
    filter_matcher *m = calloc(1, sizeof *m);
    if (!m) {
        yaml_document_delete(&doc);
        return SQ_E_NOMEM;
    }
    const char *base = strrchr(path, '/');
    m->name = strdup(base ? base + 1 : path);
    char *dot = m->name ? strrchr(m->name, '.') : NULL;
    if (dot) *dot = '\0';

    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *seq = root->type == YAML_MAPPING_NODE ? filter_yaml_get(&doc, root, "rules") : root;
    if (!seq || seq->type != YAML_SEQUENCE_NODE) {
        snprintf(err, errlen, "%s: expected a list of rules (or a map with key rules)", path);
        goto fail;
    }
    size_t cap = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    m->rules = calloc(cap ? cap : 1, sizeof *m->rules);
    m->patterns = calloc(cap ? cap : 1, sizeof *m->patterns);
    flags = calloc(cap ? cap : 1, sizeof *flags);
    m->som = calloc(cap ? cap : 1, sizeof *m->som);
    m->width = calloc(cap ? cap : 1, sizeof *m->width);
    m->utf8 = calloc(cap ? cap : 1, sizeof *m->utf8);
    m->fixed = calloc(cap ? cap : 1, sizeof *m->fixed);
    if (!m->rules || !m->patterns || !flags || !m->som || !m->width || !m->utf8 || !m->fixed) {
        rc = SQ_E_NOMEM;
        goto fail;
    }
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        rc = load_one_rule(m, &doc, *it, path, flags, err, errlen);
        if (rc) goto fail;
    }
    for (int f = 0; f < SQUAWK_FIELD_N; f++) {
        rc = compile_field(m, f, flags, path, err, errlen);
        if (rc != 0) goto fail;
    }
    for (size_t i = 0; i < m->n; i++) {
        rc = compile_rule(m, i, flags[i], path, err, errlen);
        if (rc != 0) goto fail;
    }
    free(flags);
    yaml_document_delete(&doc);
    *out = m;
    return 0;
fail:
    free(flags);
    yaml_document_delete(&doc);
    filter_matcher_destroy(m);
    return rc;
}

void filter_matcher_destroy(filter_matcher *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        free((char *)m->rules[i].id);
        free((char *)m->rules[i].comment);
        free((char *)m->rules[i].dir);
        free((char *)m->rules[i].tag);
        free(m->patterns[i]);
        if (m->som) hs_free_database(m->som[i]);
    }
    for (int f = 0; f < SQUAWK_FIELD_N; f++) hs_free_database(m->db[f]);
    free(m->som);
    free(m->width);
    free(m->utf8);
    free(m->fixed);
    free(m->rules);
    free(m->patterns);
    free(m->name);
    free(m);
}

const char *filter_matcher_name(const filter_matcher *m) { return m->name; }
size_t filter_matcher_size(const filter_matcher *m) { return m->n; }

const struct squawk_rule *filter_matcher_rule(const filter_matcher *m, uint32_t i)
{
    return i < m->n ? &m->rules[i] : NULL;
}

const hs_database_t *filter_matcher_db(const filter_matcher *m, int field)
{
    return (field >= 0 && field < SQUAWK_FIELD_N) ? m->db[field] : NULL;
}

size_t filter_matcher_bytes(const filter_matcher *m)
{
    size_t total = 0, sz;
    for (int f = 0; f < SQUAWK_FIELD_N; f++)
        if (m->db[f] && hs_database_size(m->db[f], &sz) == HS_SUCCESS) total += sz;
    for (size_t i = 0; m->som && i < m->n; i++)
        if (m->som[i] && hs_database_size(m->som[i], &sz) == HS_SUCCESS) total += sz;
    return total;
}

int filter_matcher_alloc_scratch(const filter_matcher *m, hs_scratch_t **scratch)
{
    for (int f = 0; f < SQUAWK_FIELD_N; f++)
        if (m->db[f] && hs_alloc_scratch(m->db[f], scratch) != HS_SUCCESS) return SQ_E_NOMEM;
    for (size_t i = 0; i < m->n; i++)
        if (hs_alloc_scratch(m->som[i], scratch) != HS_SUCCESS) return SQ_E_NOMEM;
    return 0;
}

struct scan_ctx {
    filter_matches *out;
    uint32_t field;
    int nomem;
};

/* The hot scan: every (rule, end), start left unknown until resolve_starts. */
static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ud)
{
    (void)from;
    (void)flags;
    struct scan_ctx *c = ud;
    filter_matches *ms = c->out;
    if (ms->n >= FILTER_MATCHER_MAX_MATCHES) return 1; /* stop: enough evidence */
    if (ms->n == ms->cap) {
        size_t nc = ms->cap ? ms->cap * 2 : 64;
        struct squawk_match *v = realloc(ms->v, nc * sizeof *v);
        if (!v) {
            c->nomem = 1;
            return 1;
        }
        ms->v = v;
        ms->cap = nc;
    }
    ms->v[ms->n++] = (struct squawk_match){id, c->field, START_UNKNOWN, (uint32_t)to};
    return 0;
}

static int cmp_rule_end(const void *a, const void *b)
{
    const struct squawk_match *x = a, *y = b;
    if (x->rule != y->rule) return x->rule < y->rule ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* One window scan: the matches g[0..n) of one rule, sorted by end, all
 * ending inside text[base..]. */
struct som_ctx {
    struct squawk_match *g;
    size_t n;
    size_t base;
};

static int on_som(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                  void *ud)
{
    (void)id;
    (void)flags;
    struct som_ctx *c = ud;
    unsigned long long end = c->base + to, start = c->base + from;
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->g[mid].end < end) lo = mid + 1;
        else hi = mid;
    }
    /* leftmost start wins should a match at this end be reported twice */
    if (lo < c->n && c->g[lo].end == end && start < c->g[lo].start)
        c->g[lo].start = (uint32_t)start;
    return 0;
}

static size_t utf8_back(const char *t, size_t i)
{
    while (i > 0 && ((unsigned char)t[i] & 0xC0) == 0x80) i--;
    return i;
}

static size_t utf8_fwd(const char *t, size_t i, size_t len)
{
    while (i < len && ((unsigned char)t[i] & 0xC0) == 0x80) i++;
    return i;
}

static int som_scan(const filter_matcher *m, hs_scratch_t *scratch, uint32_t rule,
                    const char *text, size_t len, size_t ws, size_t we, struct squawk_match *g,
                    size_t n)
{
    if (m->utf8[rule]) {
        ws = utf8_back(text, ws);
        we = utf8_fwd(text, we, len);
    }
    struct som_ctx c = {g, n, ws};
    hs_error_t e = hs_scan(m->som[rule], text + ws, (unsigned)(we - ws), 0, scratch, on_som, &c);
    return e == HS_SUCCESS ? 0 : SQ_E_INVAL;
}

/* Fills in the start of every match in v[0..n) (sorted here by rule, end). */
static int resolve_starts(const filter_matcher *m, hs_scratch_t *scratch, const char *text,
                          size_t len, struct squawk_match *v, size_t n)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_rule_end);
    size_t i = 0;
    while (i < n) {
        uint32_t r = v[i].rule;
        unsigned w = m->width[r];
        if (m->fixed[r] && w != UINT_MAX) {
            /* one length: the start is known without a scan */
            for (; i < n && v[i].rule == r; i++)
                v[i].start = v[i].end >= w ? v[i].end - w : START_UNKNOWN;
            continue;
        }
        size_t ws = (w == UINT_MAX || v[i].end < (size_t)w + 1) ? 0 : v[i].end - (size_t)w - 1;
        size_t we = v[i].end + SOM_LOOKAHEAD < len ? v[i].end + SOM_LOOKAHEAD : len;
        size_t j = i + 1;
        for (; j < n && v[j].rule == r; j++) {
            size_t nws = (w == UINT_MAX || v[j].end < (size_t)w + 1) ? 0 : v[j].end - (size_t)w - 1;
            if (nws > we) break;
            we = v[j].end + SOM_LOOKAHEAD < len ? v[j].end + SOM_LOOKAHEAD : len;
        }
        int rc = som_scan(m, scratch, r, text, len, ws, we, &v[i], j - i);
        if (rc != 0) return rc;
        for (size_t k = i; k < j; k++) {
            if (v[k].start != START_UNKNOWN) continue;
            /* Cannot happen if the window argument holds; scan the whole prefix
             * rather than report a wrong span. */
            we = v[j - 1].end + SOM_LOOKAHEAD < len ? v[j - 1].end + SOM_LOOKAHEAD : len;
            rc = som_scan(m, scratch, r, text, len, 0, we, &v[i], j - i);
            if (rc != 0) return rc;
            break;
        }
        i = j;
    }
    /* still unknown: no SOM match ends there -- drop rather than invent a start */
    size_t k = 0;
    for (i = 0; i < n; i++)
        if (v[i].start != START_UNKNOWN) v[k++] = v[i];
    return (int)(n - k);
}

int filter_matcher_scan(const filter_matcher *m, hs_scratch_t *scratch, int field,
                        const char *text, size_t len, filter_matches *out)
{
    const hs_database_t *db = filter_matcher_db(m, field);
    if (!db || len == 0) return 0;
    if (len > UINT32_MAX - SOM_LOOKAHEAD) len = UINT32_MAX - SOM_LOOKAHEAD;
    size_t base = out->n;
    struct scan_ctx c = {out, (uint32_t)field, 0};
    hs_error_t e = hs_scan(db, text, (unsigned)len, 0, scratch, on_match, &c);
    if (c.nomem) {
        out->n = base;
        return SQ_E_NOMEM;
    }
    if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED) {
        out->n = base;
        return SQ_E_INVAL;
    }
    int dropped = out->n > base ? resolve_starts(m, scratch, text, len, out->v + base, out->n - base) : 0;
    if (dropped < 0) {
        out->n = base;
        return dropped;
    }
    out->n -= (size_t)dropped;
    return 0;
}

static int cmp_match(const void *a, const void *b)
{
    const struct squawk_match *x = a, *y = b;
    if (x->field != y->field) return x->field < y->field ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->rule != y->rule) return x->rule < y->rule ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

void filter_matches_sort(filter_matches *ms)
{
    if (ms->n < 2) return;
    qsort(ms->v, ms->n, sizeof *ms->v, cmp_match);
    /* SOM_LEFTMOST reports every end of a variable-length match: keep the
     * shortest per (rule, field, start). */
    size_t k = 1;
    for (size_t i = 1; i < ms->n; i++) {
        struct squawk_match *p = &ms->v[k - 1], *c = &ms->v[i];
        if (p->rule == c->rule && p->field == c->field && p->start == c->start) continue;
        ms->v[k++] = *c;
    }
    ms->n = k;
}

void filter_matches_free(filter_matches *ms)
{
    free(ms->v);
    ms->v = NULL;
    ms->n = ms->cap = 0;
}
