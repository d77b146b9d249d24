/* tpat_load.c -- reads a token-pattern pack (YAML), checks it, and compiles lexicons and patterns.
 *
 * Lexicons become one table of words (normal forms of the tokeniser) with a bitset of
 * lexicons per word; patterns become small programs over token tests (tpat_impl.h),
 * run by tpat.c. Every problem found is reported as "file:line: reason"; loading goes
 * on after a bad rule so that `squawk rules lint` shows them all at once. */
#include "tpat_impl.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../core/config.h"
#include "../core/error.h"
#include "tpat_load.h"
#include "yaml_doc.h"

/* ------------------------------------------------------------------ arena, diagnostics */

struct chunk {
    struct chunk *next;
    size_t n, cap;
    _Alignas(8) char data[];
};

void *tpat_arena_alloc(void **arena, size_t n)
{
    struct chunk *c = *arena;
    n = (n + 7) & ~(size_t)7;
    if (!c || c->n + n > c->cap) {
        size_t cap = n > 16384 ? n : 16384;
        struct chunk *nc = malloc(sizeof *nc + cap);
        if (!nc) return NULL;
        nc->next = c;
        nc->n = 0;
        nc->cap = cap;
        *arena = c = nc;
    }
    void *r = c->data + c->n;
    c->n += n;
    return r;
}

char *tpat_arena_str(void **arena, const char *s, size_t n)
{
    char *r = tpat_arena_alloc(arena, n + 1);
    if (!r) return NULL;
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

static void arena_free(void *arena)
{
    for (struct chunk *c = arena, *nx; c; c = nx) {
        nx = c->next;
        free(c);
    }
}

void tpat_diag_free(tpat_diag *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) free(d->v[i]);
    free(d->v);
    memset(d, 0, sizeof *d);
}

void tpat_err(struct tpat_loader *L, size_t line, const char *fmt, ...)
{
    L->n_err++;
    if (!L->diag) return;
    char msg[512];
    int o = snprintf(msg, sizeof msg, "%s:%zu: ", L->file, line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + o, sizeof msg - (size_t)o, fmt, ap);
    va_end(ap);
    if (tpat_reserve((void **)&L->diag->v, &L->diag->cap, L->diag->n + 1, sizeof *L->diag->v)) return;
    char *m = strdup(msg);
    if (m) L->diag->v[L->diag->n++] = m;
}

/* ------------------------------------------------------------------ words */

int32_t tpat_word_find(const struct tpat_pack *p, const char *norm, size_t len, uint32_t hash)
{
    if (!p->table) return -1;
    for (size_t i = hash & p->table_mask;; i = (i + 1) & p->table_mask) {
        int32_t w = p->table[i].wid;
        if (w < 0) return -1;
        if (p->table[i].hash != hash) continue; /* most tokens stop here, without touching the words */
        const struct tpat_word *x = &p->words[w];
        if (x->len == len && memcmp(p->words_pool + x->off, norm, len) == 0) return w;
    }
}

static int rehash(struct tpat_pack *p, size_t cap)
{
    struct tpat_slot_w *t = malloc(cap * sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < cap; i++) t[i] = (struct tpat_slot_w){-1, 0};
    for (size_t w = 0; w < p->n_words; w++) {
        size_t i = p->words[w].hash & (cap - 1);
        while (t[i].wid >= 0) i = (i + 1) & (cap - 1);
        t[i] = (struct tpat_slot_w){(int32_t)w, p->words[w].hash};
    }
    free(p->table);
    p->table = t;
    p->table_mask = cap - 1;
    return 0;
}

/* Word id of a normal form, added when new; -1 when out of memory. */
int32_t tpat_word_add(struct tpat_pack *p, const char *norm, size_t len)
{
    uint32_t h = tok_hash(norm, len);
    int32_t w = tpat_word_find(p, norm, len, h);
    if (w >= 0) return w;
    if (tpat_reserve((void **)&p->words, &p->cap_words, p->n_words + 1, sizeof *p->words) ||
        tpat_reserve((void **)&p->words_pool, &p->pool_cap, p->pool_n + len + 1, 1))
        return -1;
    memcpy(p->words_pool + p->pool_n, norm, len);
    p->words_pool[p->pool_n + len] = '\0';
    p->words[p->n_words] = (struct tpat_word){(uint32_t)p->pool_n, (uint32_t)len, h};
    p->pool_n += len + 1;
    p->n_words++;
    if (p->n_words * 2 > p->table_mask + 1 || !p->table) {
        if (rehash(p, p->table ? (p->table_mask + 1) * 2 : 1024)) return -1;
    } else {
        size_t i = h & p->table_mask;
        while (p->table[i].wid >= 0) i = (i + 1) & p->table_mask;
        p->table[i] = (struct tpat_slot_w){(int32_t)(p->n_words - 1), h};
    }
    return (int32_t)(p->n_words - 1);
}

/* ------------------------------------------------------------------ lexicons */

int tpat_reserve(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 8;
    while (nc < need) nc *= 2;
    void *nv = realloc(*v, nc * elem);
    if (!nv) return -1;
    *v = nv;
    *cap = nc;
    return 0;
}

int tpat_reserve_zero(void **v, size_t *cap, size_t need, size_t elem)
{
    size_t had = *cap;
    if (tpat_reserve(v, cap, need, elem)) return -1;
    if (*cap > had) memset((char *)*v + had * elem, 0, (*cap - had) * elem);
    return 0;
}

int tpat_lex_new(struct tpat_loader *L, const char *name, size_t line)
{
    if (tpat_reserve((void **)&L->lex, &L->cap_lex, L->n_lex + 1, sizeof *L->lex)) return -1;
    struct tpat_lex *x = &L->lex[L->n_lex];
    memset(x, 0, sizeof *x);
    x->name = name;
    x->line = line;
    return (int)L->n_lex++;
}

int tpat_lex_find(const struct tpat_loader *L, const char *name, size_t len)
{
    for (size_t i = 0; i < L->n_lex; i++)
        if (strlen(L->lex[i].name) == len && memcmp(L->lex[i].name, name, len) == 0) return (int)i;
    return -1;
}

static int lex_add_word(struct tpat_lex *x, uint32_t w)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->w[i] == w) return 0;
    if (tpat_reserve((void **)&x->w, &x->cap, x->n + 1, sizeof *x->w)) return -1;
    x->w[x->n++] = w;
    return 0;
}

static int lex_add_phrase(struct tpat_lex *x, const uint32_t *w, uint32_t n)
{
    if (tpat_reserve((void **)&x->ph, &x->cap_ph, x->n_ph + 1, sizeof *x->ph)) return -1;
    uint32_t *c = malloc(n * sizeof *c);
    if (!c) return -1;
    memcpy(c, w, n * sizeof *c);
    x->ph[x->n_ph++] = (struct tpat_phrase){c, n};
    return 0;
}

/* One entry after brace expansion: a word, or a phrase when the tokeniser makes several tokens of it. */
static int lex_add_text(struct tpat_loader *L, int lex, const char *s, size_t n, size_t line)
{
    if (tok_run_text(&L->td, s, n)) return -1;
    if (L->td.n == 0) {
        tpat_err(L, line, "lexicon '%s': entry '%.*s' holds no word", L->lex[lex].name, (int)n, s);
        return 0;
    }
    uint32_t w[16];
    if (L->td.n > 16) {
        tpat_err(L, line, "lexicon '%s': entry '%.*s' is longer than 16 tokens", L->lex[lex].name, (int)n, s);
        return 0;
    }
    for (size_t k = 0; k < L->td.n; k++) {
        int32_t id = tpat_word_add(L->p, tok_norm(&L->td, &L->td.v[k]), L->td.v[k].norm_len);
        if (id < 0) return -1;
        w[k] = (uint32_t)id;
    }
    struct tpat_lex *x = &L->lex[lex];
    return L->td.n == 1 ? lex_add_word(x, w[0]) : lex_add_phrase(x, w, (uint32_t)L->td.n);
}

#define TPAT_MAX_EXPANSION 256

/* Shell-style brace expansion: "acquir{e,es,ed}" -> acquire, acquires, acquired. */
int tpat_expand(struct tpat_loader *L, int lex, const char *s, size_t n, size_t line, int *budget)
{
    const char *open = memchr(s, '{', n);
    if (!open) {
        if (--*budget < 0) return 0;
        return lex_add_text(L, lex, s, n, line);
    }
    const char *close = memchr(open, '}', n - (size_t)(open - s));
    if (!close) {
        tpat_err(L, line, "'%.*s': '{' without '}'", (int)n, s);
        return 0;
    }
    char buf[512];
    size_t pre = (size_t)(open - s), post = n - (size_t)(close + 1 - s);
    for (const char *a = open + 1;;) {
        const char *b = a;
        while (b < close && *b != ',') b++;
        if (pre + (size_t)(b - a) + post < sizeof buf) {
            memcpy(buf, s, pre);
            memcpy(buf + pre, a, (size_t)(b - a));
            memcpy(buf + pre + (b - a), close + 1, post);
            if (tpat_expand(L, lex, buf, pre + (size_t)(b - a) + post, line, budget)) return -1;
        }
        if (b >= close) break;
        a = b + 1;
    }
    if (*budget < 0 && *budget > -1000000) {
        tpat_err(L, line, "'%.*s' expands to more than %d words", (int)n, s, TPAT_MAX_EXPANSION);
        *budget = -1000000;
    }
    return 0;
}

static int lex_resolve(struct tpat_loader *L, int lex);

/* "<other>" in a lexicon: its words and phrases join this one. */
static int lex_include(struct tpat_loader *L, int lex, const char *s, size_t n, size_t line)
{
    int o = tpat_lex_find(L, s + 1, n - 2);
    if (o < 0) {
        tpat_err(L, line, "lexicon '%s' includes undefined lexicon <%.*s>", L->lex[lex].name, (int)n - 2, s + 1);
        return 0;
    }
    if (lex_resolve(L, o)) return -1;
    for (size_t k = 0; k < L->lex[o].n; k++)
        if (lex_add_word(&L->lex[lex], L->lex[o].w[k])) return -1;
    for (size_t k = 0; k < L->lex[o].n_ph; k++)
        if (lex_add_phrase(&L->lex[lex], L->lex[o].ph[k].w, L->lex[o].ph[k].n)) return -1;
    L->lex[o].used = 1;
    return 0;
}

/* Expands a lexicon's entries once (includes first); cycles are errors. */
static int lex_resolve(struct tpat_loader *L, int lex)
{
    struct tpat_lex *x = &L->lex[lex];
    if (x->state == 2) return 0;
    if (x->state == 1) {
        tpat_err(L, x->line, "lexicon '%s' includes itself", x->name);
        return 0;
    }
    x->state = 1;
    yaml_node_t *seq = x->node;
    for (yaml_node_item_t *it = seq ? seq->data.sequence.items.start : NULL; seq && it < seq->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(L->doc, *it);
        const char *s = filter_yaml_str(e);
        size_t line = filter_yaml_line(e);
        if (!s) {
            tpat_err(L, line, "lexicon '%s': an entry must be a word or phrase", L->lex[lex].name);
            continue;
        }
        size_t n = strlen(s);
        int budget = TPAT_MAX_EXPANSION;
        int rc = n > 2 && s[0] == '<' && s[n - 1] == '>' ? lex_include(L, lex, s, n, line)
                                                          : tpat_expand(L, lex, s, n, line, &budget);
        if (rc) return -1;
    }
    x = &L->lex[lex];
    x->state = 2;
    if (x->node && x->n == 0 && x->n_ph == 0) tpat_err(L, x->line, "lexicon '%s' has no words", x->name);
    return 0;
}

int tpat_lex_get(struct tpat_loader *L, int lex)
{
    if (lex_resolve(L, lex)) return -1;
    L->lex[lex].used = 1;
    return 0;
}

/* ------------------------------------------------------------------ YAML sections */

static int check_keys(struct tpat_loader *L, yaml_node_t *m, const char *what, const char *const *keys)
{
    int bad = 0;
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(L->doc, pr->key);
        const char *ks = filter_yaml_str(k);
        size_t i = 0;
        while (ks && keys[i] && strcmp(ks, keys[i]) != 0) i++;
        if (!ks || !keys[i]) {
            tpat_err(L, filter_yaml_line(k), "unknown key '%s' in %s", ks ? ks : "?", what);
            bad = 1;
        }
    }
    return bad;
}

static const char *str_dup(struct tpat_loader *L, const char *s)
{
    return tpat_arena_str(&L->p->arena, s, strlen(s));
}

/* roles: / sectors: -- a list of names into (*out, *n); `what` names the key in messages. */
static int load_names(struct tpat_loader *L, yaml_node_t *n, const char *what, char ***out, size_t *cnt_out)
{
    if (n->type != YAML_SEQUENCE_NODE) {
        tpat_err(L, filter_yaml_line(n), "%s: expected a list of names", what);
        return 0;
    }
    size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    *out = tpat_arena_alloc(&L->p->arena, (cnt + 1) * sizeof **out);
    if (!*out) return -1;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(L->doc, *it);
        const char *s = filter_yaml_str(e);
        if (!s || !*s || strchr(s, ',')) {
            tpat_err(L, filter_yaml_line(e), "%s: each entry is a name (no commas)", what);
            continue;
        }
        if (!((*out)[(*cnt_out)++] = (char *)str_dup(L, s))) return -1;
    }
    return 0;
}

static int load_lexicons(struct tpat_loader *L, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE) {
        tpat_err(L, filter_yaml_line(n), "lexicons: expected a map of name: [words]");
        return 0;
    }
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(L->doc, pr->key), *v = yaml_document_get_node(L->doc, pr->value);
        const char *name = filter_yaml_str(k);
        if (!name || !*name || tpat_lex_find(L, name, strlen(name)) >= 0) {
            tpat_err(L, filter_yaml_line(k), "lexicon '%s' is defined twice", name ? name : "?");
            continue;
        }
        if (!v || v->type != YAML_SEQUENCE_NODE) {
            tpat_err(L, filter_yaml_line(k), "lexicon '%s': expected a list of words", name);
            continue;
        }
        const char *nm = str_dup(L, name);
        int lx = nm ? tpat_lex_new(L, nm, filter_yaml_line(k)) : -1;
        if (lx < 0) return -1;
        L->lex[lx].node = v;
    }
    return 0;
}

static int load_macros(struct tpat_loader *L, yaml_node_t *n)
{
    size_t cnt = n->type == YAML_MAPPING_NODE ? (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) : 0;
    if (n->type != YAML_MAPPING_NODE) {
        tpat_err(L, filter_yaml_line(n), "macros: expected a map of name: pattern");
        return 0;
    }
    L->mac = calloc(cnt + 1, sizeof *L->mac);
    if (!L->mac) return -1;
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(L->doc, pr->key), *v = yaml_document_get_node(L->doc, pr->value);
        const char *name = filter_yaml_str(k), *text = filter_yaml_str(v);
        if (!name || !text) {
            tpat_err(L, filter_yaml_line(k), "macros: '%s' must be a pattern string", name ? name : "?");
            continue;
        }
        L->mac[L->n_mac++] = (struct tpat_macro){str_dup(L, name), str_dup(L, text), filter_yaml_line(v), 0};
    }
    return 0;
}

static int lex_ref(struct tpat_loader *L, yaml_node_t *v, const char *key, int32_t *out)
{
    const char *s = filter_yaml_str(v);
    int lx = s ? tpat_lex_find(L, s, strlen(s)) : -1;
    if (lx < 0) {
        tpat_err(L, filter_yaml_line(v), "companies: %s names undefined lexicon '%s'", key, s ? s : "?");
        return 0;
    }
    *out = lx;
    return tpat_lex_get(L, lx);
}

static void bool_key(struct tpat_loader *L, yaml_node_t *m, const char *key, uint8_t *out);

static int load_companies(struct tpat_loader *L, yaml_node_t *n)
{
    static const char *const keys[] = {"suffixes", "descriptors", "compounds", "units", "short_forms", "max_name", NULL};
    if (n->type != YAML_MAPPING_NODE) {
        tpat_err(L, filter_yaml_line(n), "companies: expected a map");
        return 0;
    }
    check_keys(L, n, "companies", keys);
    yaml_node_t *v;
    if ((v = filter_yaml_get(L->doc, n, "suffixes")) && lex_ref(L, v, "suffixes", &L->p->lex_suffix)) return -1;
    if ((v = filter_yaml_get(L->doc, n, "descriptors")) && lex_ref(L, v, "descriptors", &L->p->lex_descriptor))
        return -1;
    if ((v = filter_yaml_get(L->doc, n, "compounds")) && lex_ref(L, v, "compounds", &L->p->lex_compound)) return -1;
    if ((v = filter_yaml_get(L->doc, n, "units")) && lex_ref(L, v, "units", &L->p->lex_unit)) return -1;
    bool_key(L, n, "short_forms", &L->p->short_forms);
    if ((v = filter_yaml_get(L->doc, n, "max_name"))) {
        const char *s = filter_yaml_str(v);
        char *end = NULL;
        long m = s ? strtol(s, &end, 10) : 0;
        if (!s || *end || m < 1 || m > 8) tpat_err(L, filter_yaml_line(v), "companies: max_name must be 1 to 8");
        else L->p->max_name = (uint32_t)m;
    }
    return 0;
}

/* ------------------------------------------------------------------ rules */

/* An enum-valued key: index into names, or an error naming the allowed values. */
static void enum_key(struct tpat_loader *L, yaml_node_t *m, const char *key, const char *const *names, uint8_t *out)
{
    yaml_node_t *v = filter_yaml_get(L->doc, m, key);
    if (!v) return;
    const char *s = filter_yaml_str(v);
    for (uint8_t i = 0; s && names[i]; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return;
        }
    char allowed[128] = "";
    for (size_t i = 0, o = 0; names[i] && o < sizeof allowed; i++)
        o += (size_t)snprintf(allowed + o, sizeof allowed - o, "%s%s", i ? ", " : "", names[i]);
    tpat_err(L, filter_yaml_line(v), "%s: '%s' is not one of %s", key, s ? s : "?", allowed);
}

static void bool_key(struct tpat_loader *L, yaml_node_t *m, const char *key, uint8_t *out)
{
    yaml_node_t *v = filter_yaml_get(L->doc, m, key);
    if (!v) return;
    int b = sq_config_parse_bool(filter_yaml_str(v));
    if (b < 0) tpat_err(L, filter_yaml_line(v), "%s: expected true or false", key);
    else *out = (uint8_t)b;
}

static int role_index(const struct tpat_pack *p, const char *s, size_t n)
{
    for (size_t i = 0; i < p->n_roles; i++)
        if (strlen(p->roles[i]) == n && memcmp(p->roles[i], s, n) == 0) return (int)i;
    return -1;
}

/* roles: {supplier: AMZN}: a match names this entity in this role. */
static int named_roles(struct tpat_loader *L, struct tpat_crule *r, yaml_node_t *v)
{
    if (v->type != YAML_MAPPING_NODE) {
        tpat_err(L, filter_yaml_line(v), "roles: expected a map of role: company");
        return 0;
    }
    size_t cnt = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
    uint16_t *role = tpat_arena_alloc(&L->p->arena, cnt * sizeof *role + 1);
    const char **ent = tpat_arena_alloc(&L->p->arena, cnt * sizeof *ent + 1);
    if (!role || !ent) return -1;
    for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top; pr++) {
        const char *k = filter_yaml_str(yaml_document_get_node(L->doc, pr->key));
        const char *e = filter_yaml_str(yaml_document_get_node(L->doc, pr->value));
        int ri = k ? role_index(L->p, k, strlen(k)) : -1;
        if (ri < 0 || !e || !*e) {
            tpat_err(L, filter_yaml_line(v), ri < 0 ? "roles: role '%s' is not declared in the pack's roles:"
                                                    : "roles: role '%s' needs a company name or ticker", k ? k : "?");
            continue;
        }
        role[r->pub.n_named] = (uint16_t)ri;
        if (!(ent[r->pub.n_named++] = str_dup(L, e))) return -1;
    }
    r->pub.named_role = role;
    r->pub.named_entity = ent;
    return 0;
}

/* id, comment and pattern: required one-line strings. */
static int rule_strings(struct tpat_loader *L, struct tpat_crule *r, yaml_node_t *m)
{
    static const char *const req[] = {"id", "comment", "pattern"};
    const char **dst[] = {&r->pub.id, &r->pub.comment, &r->pub.pattern};
    int ok = 1;
    for (int k = 0; k < 3; k++) {
        yaml_node_t *v = filter_yaml_get(L->doc, m, req[k]);
        const char *s = filter_yaml_str(v);
        if (!s || !*s) {
            tpat_err(L, v ? filter_yaml_line(v) : r->pub.line, "rule %s: '%s' is required",
                     r->pub.id ? r->pub.id : "(no id)", req[k]);
            ok = 0;
        } else if (strchr(s, '\n')) {
            tpat_err(L, filter_yaml_line(v), "rule %s: '%s' must be one line", r->pub.id ? r->pub.id : "?", req[k]);
            ok = 0;
        } else if (!(*dst[k] = str_dup(L, s)))
            return -1;
    }
    for (size_t i = 0; ok && i + 1 < L->p->n_rules; i++)
        if (strcmp(L->p->rules[i].pub.id, r->pub.id) == 0) {
            tpat_err(L, r->pub.line, "rule %s: id already used on line %zu", r->pub.id, L->p->rules[i].pub.line);
            ok = 0;
        }
    return ok ? 0 : 1;
}

/* caps_body: F, a number in [0, 1), on a headline rule that is negative or a veto: it says what
 * the article is, so evidence piled up in the body (an older deal retold) counts F times. */
static void caps_body_key(struct tpat_loader *L, struct tpat_crule *r, yaml_node_t *m)
{
    r->pub.caps_body = 1.0;
    yaml_node_t *v = filter_yaml_get(L->doc, m, "caps_body");
    if (!v) return;
    const char *s = filter_yaml_str(v);
    char *end = NULL;
    errno = 0;
    double f = s ? strtod(s, &end) : -1;
    if (!s || !*s || *end || errno || f != f || f < 0 || f >= 1)
        tpat_err(L, filter_yaml_line(v), "rule %s: caps_body must be a number from 0 to below 1", r->pub.id);
    else if (r->pub.field != TPAT_FIELD_HEADLINE)
        tpat_err(L, filter_yaml_line(v), "rule %s: caps_body needs field: headline", r->pub.id);
    else if (r->pub.weight > 0 && !r->pub.veto)
        tpat_err(L, filter_yaml_line(v), "rule %s: caps_body is for a negative or veto rule", r->pub.id);
    else
        r->pub.caps_body = f;
}

/* lifts: [ids] on an unveto: the vetoes it lifts (lifts_checked resolves the ids once every rule is read). */
static int lifts_key(struct tpat_loader *L, struct tpat_crule *r, yaml_node_t *m)
{
    yaml_node_t *v = filter_yaml_get(L->doc, m, "lifts");
    if (!v) return 0;
    if (!r->pub.unveto) {
        tpat_err(L, filter_yaml_line(v), "rule %s: lifts is for an unveto rule", r->pub.id);
        return 0;
    }
    char **ids = NULL;
    size_t n = 0;
    if (load_names(L, v, "lifts", &ids, &n)) return -1;
    if (v->type == YAML_SEQUENCE_NODE && !n) tpat_err(L, filter_yaml_line(v), "rule %s: lifts names no veto", r->pub.id);
    r->lift_ids = ids;
    r->pub.n_lifts = (uint32_t)n;
    r->lifts_line = filter_yaml_line(v);
    return 0;
}

/* Every id an unveto lifts names a veto rule of the pack: resolved to rule indices once, so the
 * engine compares numbers per overlap, not names. */
static int lifts_resolved(struct tpat_loader *L)
{
    struct tpat_pack *p = L->p;
    for (size_t i = 0; i < p->n_rules; i++) {
        struct tpat_crule *r = &p->rules[i];
        uint32_t *idx = r->pub.n_lifts ? tpat_arena_alloc(&p->arena, r->pub.n_lifts * sizeof *idx) : NULL;
        if (r->pub.n_lifts && !idx) return -1;
        for (uint32_t k = 0; k < r->pub.n_lifts; k++) {
            int32_t j = tpat_find(p, r->lift_ids[k]);
            if (j < 0)
                tpat_err(L, r->lifts_line, "rule %s: lifts names %s, no rule of this pack", r->pub.id, r->lift_ids[k]);
            else if (!p->rules[j].pub.veto)
                tpat_err(L, r->lifts_line, "rule %s: lifts names %s, which is not a veto", r->pub.id, r->lift_ids[k]);
            else
                idx[k] = (uint32_t)j;
        }
        r->pub.lifts = idx;
    }
    return 0;
}

static int rule_fields(struct tpat_loader *L, struct tpat_crule *r, yaml_node_t *m)
{
    static const char *const fields[] = {"any", "headline", "body", NULL}, *const scopes[] = {"sentence", "field", NULL},
                             *const spans[] = {"match", "sentence", "clause", NULL},
                             *const marks[] = {"none", "party", "authority", "background", "background_slots", NULL},
                             *const reqs[] = {"none", "party", "sector", "sector_object", NULL};
    yaml_node_t *v;
    if ((v = filter_yaml_get(L->doc, m, "weight"))) {
        const char *s = filter_yaml_str(v);
        char *end = NULL;
        errno = 0;
        r->pub.weight = s ? strtod(s, &end) : 0;
        if (!s || !*s || *end || errno || r->pub.weight != r->pub.weight || r->pub.weight > 100 || r->pub.weight < -100)
            tpat_err(L, filter_yaml_line(v), "rule %s: weight must be a number from -100 to 100", r->pub.id);
    }
    enum_key(L, m, "field", fields, &r->pub.field);
    enum_key(L, m, "scope", scopes, &r->pub.scope);
    enum_key(L, m, "span", spans, &r->pub.span);
    enum_key(L, m, "marks", marks, &r->pub.marks);
    enum_key(L, m, "requires", reqs, &r->pub.requires);
    bool_key(L, m, "veto", &r->pub.veto);
    bool_key(L, m, "unveto", &r->pub.unveto);
    uint8_t parts = L->p->word_parts; /* the pack's default */
    bool_key(L, m, "word_parts", &parts);
    r->pub.whole_words = !parts;
    if (r->pub.veto && r->pub.unveto)
        tpat_err(L, r->pub.line, "rule %s: veto and unveto exclude each other", r->pub.id);
    r->pub.sector = "";
    if ((v = filter_yaml_get(L->doc, m, "sector"))) {
        const char *s = filter_yaml_str(v);
        if (!s || !*s) tpat_err(L, filter_yaml_line(v), "rule %s: sector must name a sector", r->pub.id);
        else if (!(r->pub.sector = str_dup(L, s))) return -1;
    }
    if ((v = filter_yaml_get(L->doc, m, "roles")) && named_roles(L, r, v)) return -1;
    caps_body_key(L, r, m);
    return lifts_key(L, r, m);
}

static int load_rule(struct tpat_loader *L, yaml_node_t *m)
{
    static const char *const keys[] = {"id", "comment", "pattern", "weight", "field", "scope", "span", "veto",
                                       "unveto", "marks", "sector", "requires", "roles", "word_parts", "caps_body", "lifts", NULL};
    if (m->type != YAML_MAPPING_NODE) {
        tpat_err(L, filter_yaml_line(m), "rules: each rule is a map");
        return 0;
    }
    struct tpat_pack *p = L->p;
    if (tpat_reserve((void **)&p->rules, &L->cap_rules, p->n_rules + 1, sizeof *p->rules)) return -1;
    struct tpat_crule *r = &p->rules[p->n_rules++];
    memset(r, 0, sizeof *r);
    r->pub.line = filter_yaml_line(m);
    const char *id = filter_yaml_str(filter_yaml_get(L->doc, m, "id"));
    r->pub.id = id && *id ? str_dup(L, id) : NULL;
    int errs = L->n_err;
    check_keys(L, m, r->pub.id ? r->pub.id : "a rule", keys);
    int rc = rule_strings(L, r, m);
    if (rc < 0 || rule_fields(L, r, m)) return -1;
    if (rc > 0 || L->n_err > errs) {
        p->n_rules--; /* reported; the rest of the pack is still checked */
        return 0;
    }
    rc = tpat_compile_rule(L, r);
    if (rc == 0 && L->n_err > errs) p->n_rules--;
    return rc;
}

/* ------------------------------------------------------------------ finishing: word bitsets and anchors */

static int build_lexbits(struct tpat_loader *L)
{
    struct tpat_pack *p = L->p;
    p->n_lex = L->n_lex;
    p->lex_words = (L->n_lex + 63) / 64;
    p->lexbits = calloc((p->n_words + 1) * p->lex_words + 1, sizeof *p->lexbits); /* + a zero row: no word */
    if (!p->lexbits) return -1;
    p->cue_bits = calloc(p->n_words / 64 + 1, sizeof *p->cue_bits);
    if (!p->cue_bits) return -1;
    if (!(p->form = calloc(p->n_words + 1, 1))) return -1;
    for (size_t l = 0; l < L->n_lex; l++)
        for (size_t k = 0; k < L->lex[l].n; k++) {
            uint32_t w = L->lex[l].w[k];
            p->form[w] |= (int32_t)l == p->lex_suffix ? TPAT_FORM_SUFFIX : 0;
            p->form[w] |= (int32_t)l == p->lex_descriptor ? TPAT_FORM_DESCRIPTOR : 0;
            p->form[w] |= (int32_t)l == p->lex_compound ? TPAT_FORM_COMPOUND : 0;
            p->lexbits[w * p->lex_words + l / 64] |= UINT64_C(1) << (l % 64);
            if ((int32_t)l != p->lex_suffix && (int32_t)l != p->lex_descriptor) p->cue_bits[w / 64] |= UINT64_C(1) << (w % 64);
        }
    return 0;
}

/* Calls fn for every word that can start a match of test t (once per word). */
static void anchor_words(const struct tpat_loader *L, const struct tpat_test *t, void (*fn)(void *, uint32_t), void *ud)
{
    if (t->kind >= TT_CLASS) return; /* tried per token: pack.test_rules */
    if (t->kind == TT_SET) {
        for (uint32_t k = 0; k < t->set_n; k++) fn(ud, t->set_w[k]);
        return;
    }
    if (t->kind != TT_LEX) {
        fn(ud, t->v);
        return;
    }
    const struct tpat_lex *x = &L->lex[t->v]; /* its phrases are tests of their own */
    for (size_t k = 0; k < x->n; k++) fn(ud, x->w[k]);
}

struct csr {
    uint32_t *off, *v, *last;
    struct tpat_win *wv;        /* per entry of v: the window */
    const struct tpat_win *win; /* the window of the test being added */
    uint32_t rule;
    int fill;
};

static void csr_add(void *ud, uint32_t w)
{
    struct csr *c = ud;
    if (c->last[w] == c->rule + 1) { /* the rule again at this word (another branch): one entry, both windows */
        if (c->fill) tpat_win_union(&c->wv[c->off[w] - 1], c->win);
        return;
    }
    c->last[w] = c->rule + 1;
    if (c->fill) c->wv[c->off[w]] = *c->win, c->v[c->off[w]++] = c->rule;
    else c->off[w + 1]++;
}

/* Same outcome on every token: class tests by their mask, a ~regex only as itself. */
static int same_ctest(const struct tpat_test *a, const struct tpat_test *b)
{
    return a == b || (a->kind == TT_CLASS && b->kind == TT_CLASS && a->v == b->v && a->neg == b->neg);
}

/* The per-token masks of the ctests (64 or fewer): which a token may pass by the first byte of its
 * normal form (a ~regex only those its first bytes allow, any other test every byte), and which
 * class tests its class and flags pass, so that tested_cands runs only the ~regexes. */
static void ctest_masks(struct tpat_pack *p)
{
    p->ctest_bytes = p->n_ctests <= 64;
    for (size_t j = 0; p->ctest_bytes && j < p->n_ctests; j++) {
        const struct tpat_test *t = &p->tests[p->ctests[j]];
        int by_byte = t->kind == TT_REGEX && !t->neg && t->first;
        for (unsigned b = 0; b < 256; b++)
            if (!by_byte || (t->first[b / 64] >> (b % 64) & 1)) p->ctest_byte[b] |= UINT64_C(1) << j;
        if (t->kind != TT_CLASS) continue;
        uint64_t bit = UINT64_C(1) << j;
        p->ctest_class |= bit;
        if (t->neg) p->ctest_neg |= bit;
        for (unsigned c = 0; c < 8; c++)
            if (t->v >> c & 1) p->ctest_cls[c] |= bit;
        for (unsigned f = 0; f < 16; f++)
            if (t->v >> (8 + f) & 1) p->ctest_flag[f] |= bit, p->ctest_flags |= 1u << f;
    }
}

/* The distinct class and ~regex anchor tests of pack.test_rules, each with its rules (CSR). */
static int build_ctests(struct tpat_pack *p)
{
    size_t n_pairs = 0;
    for (size_t i = 0; i < p->n_test_rules; i++) n_pairs += p->rules[p->test_rules[i]].n_anchor_tests;
    uint32_t *pt = malloc((n_pairs + 1) * sizeof *pt), *pr = malloc((n_pairs + 1) * sizeof *pr);
    struct tpat_win *pw = malloc((n_pairs + 1) * sizeof *pw);
    p->ctests = malloc((n_pairs + 1) * sizeof *p->ctests);
    p->ctest_off = calloc(n_pairs + 2, sizeof *p->ctest_off);
    p->ctest_rules = malloc((n_pairs + 1) * sizeof *p->ctest_rules);
    p->ctest_win = malloc((n_pairs + 1) * sizeof *p->ctest_win);
    p->ctest_mid = malloc((n_pairs + 1) * sizeof *p->ctest_mid);
    if (!pt || !pr || !pw || !p->ctests || !p->ctest_off || !p->ctest_rules || !p->ctest_win || !p->ctest_mid) {
        free(pt);
        free(pr);
        free(pw);
        return -1;
    }
    n_pairs = 0;
    for (size_t i = 0; i < p->n_test_rules; i++) {
        const struct tpat_crule *r = &p->rules[p->test_rules[i]];
        for (uint32_t k = 0; k < r->n_anchor_tests; k++) {
            const struct tpat_test *t = &p->tests[r->anchor_tests[k]];
            if (t->kind < TT_CLASS) continue;
            size_t j = 0;
            while (j < p->n_ctests && !same_ctest(&p->tests[p->ctests[j]], t)) j++;
            if (j == p->n_ctests) p->ctests[p->n_ctests++] = r->anchor_tests[k];
            size_t q = 0; /* a rule once per distinct test, with the windows of every branch it anchors */
            while (q < n_pairs && !(pt[q] == j && pr[q] == p->test_rules[i])) q++;
            if (q < n_pairs) {
                tpat_win_union(&pw[q], &r->anchor_win[k]);
                continue;
            }
            pw[n_pairs] = r->anchor_win[k];
            pt[n_pairs] = (uint32_t)j, pr[n_pairs++] = p->test_rules[i];
            p->ctest_off[j + 1]++;
        }
    }
    for (size_t j = 0; j < p->n_ctests; j++) p->ctest_off[j + 1] += p->ctest_off[j];
    uint32_t *fill = p->ctest_off; /* advances each start; shifted back below */
    for (size_t q = 0; q < n_pairs; q++) p->ctest_win[fill[pt[q]]] = pw[q], p->ctest_rules[fill[pt[q]]++] = pr[q];
    memmove(p->ctest_off + 1, p->ctest_off, p->n_ctests * sizeof *p->ctest_off);
    p->ctest_off[0] = 0;
    for (size_t j = 0; j < p->n_ctests; j++) { /* test_rules has the positive first, so each ctest's list does */
        uint32_t q = p->ctest_off[j];
        while (q < p->ctest_off[j + 1] && tpat_positive(&p->rules[p->ctest_rules[q]])) q++;
        p->ctest_mid[j] = q;
    }
    tpat_pre_make(p, p->ctests, p->n_ctests, &p->ctest_pre);
    ctest_masks(p);
    free(pt);
    free(pr);
    free(pw);
    return 0;
}

/* Rule c->rule into the lists: its anchor words' (counted or filled, c->fill), and when counting,
 * the rules tried at class tests, at companies or at sentence starts. */
static void anchor_rule(struct tpat_loader *L, struct csr *c)
{
    struct tpat_pack *p = L->p;
    const struct tpat_crule *r = &p->rules[c->rule];
    int tested = 0;
    for (uint32_t k = 0; r->anchor == ANCHOR_WORDS && k < r->n_anchor_tests; k++) {
        c->win = &r->anchor_win[k];
        anchor_words(L, &p->tests[r->anchor_tests[k]], csr_add, c);
        tested |= p->tests[r->anchor_tests[k]].kind >= TT_CLASS;
    }
    if (c->fill) return;
    if (tested) p->test_rules[p->n_test_rules++] = c->rule;
    if (r->anchor == ANCHOR_COMPANY) p->company_rules[p->n_company_rules++] = c->rule;
    else if (r->anchor == ANCHOR_NONE) p->free_rules[p->n_free_rules++] = c->rule;
}

/* For every word, the rules anchored on it (CSR): count, prefix sums, fill. */
static int build_anchors(struct tpat_loader *L)
{
    struct tpat_pack *p = L->p;
    struct csr c = {calloc(p->n_words + 2, sizeof *c.off), NULL, calloc(p->n_words + 1, sizeof *c.last), NULL, NULL, 0, 0};
    p->company_rules = calloc(p->n_rules + 1, sizeof *p->company_rules);
    p->free_rules = calloc(p->n_rules + 1, sizeof *p->free_rules);
    p->test_rules = calloc(p->n_rules + 1, sizeof *p->test_rules);
    p->anchor_mid = calloc(p->n_words + 1, sizeof *p->anchor_mid);
    if (!c.off || !c.last || !p->company_rules || !p->free_rules || !p->test_rules || !p->anchor_mid) goto nomem;
    for (c.fill = 0; c.fill < 2; c.fill++) {
        memset(c.last, 0, (p->n_words + 1) * sizeof *c.last);
        for (int pos = 1; pos >= 0; pos--) { /* rules of positive weight first in every list */
            for (c.rule = 0; c.rule < p->n_rules; c.rule++)
                if (tpat_positive(&p->rules[c.rule]) == pos) anchor_rule(L, &c);
            if (c.fill && pos) memcpy(p->anchor_mid, c.off, p->n_words * sizeof *c.off); /* each word's fill point */
            if (!c.fill && pos) p->company_mid = p->n_company_rules, p->free_mid = p->n_free_rules;
        }
        if (c.fill) break;
        for (size_t w = 0; w < p->n_words; w++) c.off[w + 1] += c.off[w];
        if (!(c.v = malloc((c.off[p->n_words] + 1) * sizeof *c.v)) || !(c.wv = malloc((c.off[p->n_words] + 1) * sizeof *c.wv)))
            goto nomem;
    }
    /* filling advanced each offset to the next word's start: shift back */
    memmove(c.off + 1, c.off, p->n_words * sizeof *c.off);
    c.off[0] = 0;
    c.off[p->n_words + 1] = c.off[p->n_words]; /* an empty range at n_words: "no word" */
    p->anchor_mid[p->n_words] = c.off[p->n_words];
    p->anchor_off = c.off;
    p->anchor_rules = c.v;
    p->anchor_win = c.wv;
    free(c.last);
    return 0;
nomem:
    free(c.off);
    free(c.last);
    free(c.v);
    free(c.wv);
    return -1;
}

/* ------------------------------------------------------------------ top level */

static int load_top(struct tpat_loader *L, yaml_node_t *root)
{
    static const char *const keys[] = {"pack",    "roles",  "sectors", "word_parts", "companies",
                                       "lexicons", "macros", "rules",   NULL};
    if (root->type != YAML_MAPPING_NODE) {
        tpat_err(L, filter_yaml_line(root), "a pack is a map with pack:, lexicons:, macros: and rules:");
        return 0;
    }
    check_keys(L, root, "the pack", keys);
    yaml_node_t *v;
    const char *name = filter_yaml_str(filter_yaml_get(L->doc, root, "pack"));
    if (name) snprintf(L->p->name, sizeof L->p->name, "%s", name);
    if ((v = filter_yaml_get(L->doc, root, "roles")) && load_names(L, v, "roles", &L->p->roles, &L->p->n_roles))
        return -1;
    if ((v = filter_yaml_get(L->doc, root, "sectors")) &&
        load_names(L, v, "sectors", &L->p->sectors, &L->p->n_sectors))
        return -1;
    bool_key(L, root, "word_parts", &L->p->word_parts);
    if ((v = filter_yaml_get(L->doc, root, "lexicons")) && load_lexicons(L, v)) return -1;
    if ((v = filter_yaml_get(L->doc, root, "macros")) && load_macros(L, v)) return -1;
    if ((v = filter_yaml_get(L->doc, root, "companies")) && load_companies(L, v)) return -1;
    v = filter_yaml_get(L->doc, root, "rules");
    if (!v || v->type != YAML_SEQUENCE_NODE) {
        tpat_err(L, v ? filter_yaml_line(v) : 1, "rules: expected a list of rules");
        return 0;
    }
    if (v->data.sequence.items.top - v->data.sequence.items.start > TPAT_MAX_RULES) { /* tpat.c: 16 bits a rule */
        tpat_err(L, filter_yaml_line(v), "rules: a pack holds at most %d rules", TPAT_MAX_RULES);
        return 0;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
        if (load_rule(L, yaml_document_get_node(L->doc, *it))) return -1;
    if (lifts_resolved(L)) return -1;
    for (size_t l = 0; l < L->n_lex; l++) /* unused lexicons are checked too */
        if (tpat_lex_get(L, (int)l)) return -1;
    return 0;
}

static void loader_free(struct tpat_loader *L)
{
    for (size_t l = 0; l < L->n_lex; l++) {
        free(L->lex[l].w);
        for (size_t k = 0; k < L->lex[l].n_ph; k++) free(L->lex[l].ph[k].w);
        free(L->lex[l].ph);
    }
    free(L->lex);
    free(L->mac);
    free(L->gbits);
    free(L->ghash);
    free(L->tscore);
    free(L->thash);
    tok_doc_free(&L->td);
}

static int parse_doc(struct tpat_loader *L, yaml_document_t *doc, const char *buf, size_t len)
{
    yaml_parser_t ps;
    yaml_parser_initialize(&ps);
    yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
    int ok = yaml_parser_load(&ps, doc);
    if (!ok)
        tpat_err(L, (size_t)ps.problem_mark.line + 1, "%s %s", ps.problem ? ps.problem : "YAML error",
                 ps.context ? ps.context : "");
    yaml_parser_delete(&ps);
    if (ok && !yaml_document_get_root_node(doc)) {
        tpat_err(L, 1, "empty document");
        yaml_document_delete(doc);
        ok = 0;
    }
    return ok ? 0 : -1;
}

/* Shrinks *v to n elements; a failed shrink keeps the larger block. */
static void fit(void *v, size_t *cap, size_t n, size_t elem)
{
    void **pv = v;
    if (n == 0 || n >= *cap) return;
    void *nv = realloc(*pv, n * elem);
    if (!nv) return;
    *pv = nv;
    *cap = n;
}

/* Arrays grown by doubling keep up to half their room empty (~1.5 MB over the three built-in
 * packs): give it back once the pack is built, as nothing is added after. */
static void pack_fit(struct tpat_loader *L)
{
    struct tpat_pack *p = L->p;
    fit(&p->rules, &L->cap_rules, p->n_rules, sizeof *p->rules);
    fit(&p->tests, &L->cap_tests, p->n_tests, sizeof *p->tests);
    fit(&p->prog, &L->cap_prog, p->n_prog, sizeof *p->prog);
    fit(&p->guard_at, &p->cap_guard_at, p->n_prog, sizeof *p->guard_at);
    fit(&p->guards, &p->cap_guards, p->n_guards, sizeof *p->guards);
    fit(&p->words, &p->cap_words, p->n_words, sizeof *p->words);
    fit(&p->words_pool, &p->pool_cap, p->pool_n, 1);
    fit(&p->regexes, &p->cap_regexes, p->n_regexes, sizeof *p->regexes);
}

int tpat_load_buf(tpat_pack **out, const char *name, const char *buf, size_t len, tpat_diag *diag)
{
    *out = NULL;
    struct tpat_loader L = {.diag = diag, .file = name};
    struct tpat_pack *p = calloc(1, sizeof *p);
    if (!p) return SQ_E_NOMEM;
    p->lex_suffix = p->lex_descriptor = p->lex_compound = p->lex_unit = -1;
    p->max_name = 4;
    L.p = p;
    tok_doc_init(&L.td);
    yaml_document_t doc;
    if (parse_doc(&L, &doc, buf, len)) {
        loader_free(&L);
        tpat_destroy(p);
        return SQ_E_RULES;
    }
    L.doc = &doc;
    int rc = load_top(&L, yaml_document_get_root_node(&doc));
    if (!rc && !L.n_err) rc = build_lexbits(&L) || build_anchors(&L) || build_ctests(L.p) || tpat_req_build(&L) ? -1 : 0;
    if (!rc && !L.n_err) pack_fit(&L);
    yaml_document_delete(&doc);
    loader_free(&L);
    if (rc || L.n_err) {
        tpat_destroy(p);
        if (!rc && diag && !diag->n) tpat_err(&L, 1, "pack is invalid");
        return rc ? SQ_E_NOMEM : SQ_E_RULES;
    }
    *out = p;
    return 0;
}

int tpat_load(tpat_pack **out, const char *path, tpat_diag *diag)
{
    *out = NULL;
    struct tpat_loader L = {.diag = diag, .file = path};
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f) {
        tpat_err(&L, 0, "cannot open: %s", strerror(errno));
        return SQ_E_IO;
    }
    for (;;) {
        if (len + 4096 > cap) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (!nb) {
                free(buf);
                fclose(f);
                return SQ_E_NOMEM;
            }
            buf = nb;
        }
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0) break;
    }
    fclose(f);
    int rc = tpat_load_buf(out, path, buf, len, diag);
    free(buf);
    return rc;
}

void tpat_destroy(tpat_pack *p)
{
    if (!p) return;
    free(p->rules);
    free(p->words);
    free(p->table);
    free(p->words_pool);
    free(p->lexbits);
    free(p->req_off);
    free(p->req_list);
    free(p->req_comp);
    free(p->req_heavy);
    free(p->req_dense);
    free(p->gates);
    free(p->form);
    free(p->cue_bits);
    free(p->anchor_off);
    free(p->anchor_rules);
    free(p->anchor_mid);
    free(p->anchor_win);
    free(p->company_rules);
    free(p->free_rules);
    free(p->test_rules);
    free(p->ctests);
    free(p->ctest_off);
    free(p->ctest_rules);
    free(p->ctest_mid);
    free(p->ctest_win);
    free(p->tests);
    free(p->prog);
    free(p->guard_at);
    free(p->guards);
    for (size_t i = 0; i < p->n_regexes; i++) {
        regfree(p->regexes[i]);
        free(p->regexes[i]);
    }
    free(p->regexes);
    free(p->vmap);
    arena_free(p->arena);
    free(p);
}

const char *tpat_name(const tpat_pack *p) { return p->name; }
size_t tpat_size(const tpat_pack *p) { return p->n_rules; }
size_t tpat_n_roles(const tpat_pack *p) { return p->n_roles; }
size_t tpat_n_lexicons(const tpat_pack *p) { return p->n_lex; }

const struct tpat_rule *tpat_rule_at(const tpat_pack *p, uint32_t i)
{
    return i < p->n_rules ? &p->rules[i].pub : NULL;
}

const char *tpat_role_name(const tpat_pack *p, uint32_t role)
{
    return role < p->n_roles ? p->roles[role] : NULL;
}

int32_t tpat_find(const tpat_pack *p, const char *id)
{
    for (size_t i = 0; i < p->n_rules; i++)
        if (strcmp(p->rules[i].pub.id, id) == 0) return (int32_t)i;
    return -1;
}
