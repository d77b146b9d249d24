/* lmodel.c -- the learned filter's linear model: hashed n-gram features, prediction and the model file. */
#include "lmodel.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/error.h"
#include "../squawk_filter.h"

#define LM_MAX_WORD 48     /* bytes of a word used for character n-grams */
#define LM_MAX_TOKENS 20000 /* per field: a huge body cannot make prediction quadratic */
/* Character n-grams carry bit hash_bits in lm_vec.raw, so they sort after the
 * words and the radix sort needs only hash_bits + 1 bits. */
#define LM_CHAR_FLAG(o) (1u << (o)->hash_bits)
#define LM_ENG_FLAG(o) (2u << (o)->hash_bits) /* the engine block's keys */
#define LM_IDX(o, key) ((key) & (LM_CHAR_FLAG(o) - 1))
#define LM_BLOCK(o, key) ((key) & LM_ENG_FLAG(o) ? 2 : (key) & LM_CHAR_FLAG(o) ? 1 : 0)

/* ---- hashing ---- */

static uint32_t lm_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static unsigned char lm_lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

static int lm_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Kinds of n-gram, mixed into the hash so a word, a bigram and a character
 * n-gram of the same bytes land in different buckets. */
enum { LM_K_WORD = 1, LM_K_BIGRAM = 2, LM_K_CHAR = 3, LM_K_PREFIX = 5 }; /* 4: the engine block */

static uint32_t lm_seed(uint32_t field, uint32_t kind) { return lm_mix(0x9e3779b9u * (field * 8 + kind + 1)); }

/* ---- feature extraction ---- */

/* (Re)builds the count table at twice the size, keeping this article's keys. */
static int lm_grow(lm_vec *v)
{
    size_t nc = v->tab_cap ? 2 * v->tab_cap : 1024;
    lm_slot *t = calloc(nc, sizeof *t);
    uint32_t *k = realloc(v->keys, nc / 2 * sizeof *k);
    if (!t || !k) {
        free(t);
        if (k) v->keys = k;
        return SQ_E_NOMEM;
    }
    v->keys = k;
    v->cap_keys = nc / 2;
    for (size_t i = 0; i < v->n_keys; i++) {
        lm_slot s = v->tab[k[i]];
        size_t j = (s.key ^ (s.key >> 13)) & (nc - 1);
        while (t[j].gen == v->gen) j = (j + 1) & (nc - 1);
        t[j] = s;
        k[i] = (uint32_t)j;
    }
    free(v->tab);
    v->tab = t;
    v->tab_cap = nc;
    return 0;
}

/* Counts one n-gram occurrence (key = bucket, plus the character flag). */
static int lm_add(lm_vec *v, uint32_t key)
{
    if (2 * (v->n_keys + 1) > v->tab_cap && lm_grow(v)) return SQ_E_NOMEM;
    v->n_raw++;
    size_t mask = v->tab_cap - 1;
    /* the bucket bits are a hash already; fold in the high ones */
    for (size_t i = (key ^ (key >> 13)) & mask;; i = (i + 1) & mask) {
        lm_slot *s = &v->tab[i];
        if (s->gen != v->gen) {
            *s = (lm_slot){key, v->gen, 1, 0};
            v->keys[v->n_keys++] = (uint32_t)i;
            return 0;
        }
        if (s->key == key) {
            s->count++;
            return 0;
        }
    }
}

static int lm_push_span(lm_spans *s, uint32_t idx, uint32_t field, size_t start, size_t end)
{
    if (!s) return 0;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        lm_span *v = realloc(s->v, nc * sizeof *v);
        if (!v) return SQ_E_NOMEM;
        s->v = v;
        s->cap = nc;
    }
    s->v[s->n++] = (lm_span){idx, field, (uint32_t)start, (uint32_t)end};
    return 0;
}

typedef struct lm_tok {
    size_t start, end;
    uint32_t h; /* hash of the lower-cased bytes */
} lm_tok;

/* Next token at or after *pos: a run of letters, digits and UTF-8 bytes; a
 * leading '$' stays (cashtags); a URL is one token "_url". 0 at the end. */
static int lm_next_token(const char *s, size_t len, size_t *pos, lm_tok *t)
{
    size_t i = *pos;
    while (i < len && !lm_word_byte((unsigned char)s[i]) && s[i] != '$') i++;
    if (i >= len) return 0;
    t->start = i;
    if ((s[i] | 0x20) == 'h' && len - i >= 7 &&
        (!strncasecmp(s + i, "http://", 7) || (len - i >= 8 && !strncasecmp(s + i, "https://", 8)))) {
        while (i < len && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r') i++;
        t->end = *pos = i;
        t->h = 0x75726c5fu; /* "_url" */
        return 1;
    }
    uint32_t h = 2166136261u;
    if (s[i] == '$') h = (h ^ '$') * 16777619u, i++;
    while (i < len && lm_word_byte((unsigned char)s[i])) h = (h ^ lm_lower((unsigned char)s[i++])) * 16777619u;
    t->end = *pos = i;
    t->h = h;
    return 1;
}

/* Character n-grams of " word " (the word padded with one space each side). */
static int lm_char_ngrams(const lm_opts *o, uint32_t field, const char *s, const lm_tok *t, lm_vec *v,
                          lm_spans *sp)
{
    unsigned char w[LM_MAX_WORD + 2];
    size_t n = t->end - t->start;
    if (n > LM_MAX_WORD) n = LM_MAX_WORD;
    w[0] = ' ';
    for (size_t k = 0; k < n; k++) w[k + 1] = lm_lower((unsigned char)s[t->start + k]);
    w[n + 1] = ' ';
    size_t L = n + 2;
    uint32_t seed = lm_seed(field, LM_K_CHAR), mask = (1u << o->hash_bits) - 1;
    for (size_t a = 0; a < L; a++) {
        uint32_t h = 2166136261u ^ seed;
        for (size_t b = a; b < L && b - a < o->char_max; b++) {
            h = (h ^ w[b]) * 16777619u;
            if (b - a + 1 < o->char_min) continue;
            uint32_t idx = lm_mix(h) & mask;
            if (lm_add(v, idx | LM_CHAR_FLAG(o))) return SQ_E_NOMEM;
            if (sp && lm_push_span(sp, idx | LM_CHAR_FLAG(o), field, t->start, t->end)) return SQ_E_NOMEM;
        }
    }
    return 0;
}

static int lm_field(const lm_opts *o, uint32_t field, const char *s, size_t len, lm_vec *v, lm_spans *sp)
{
    uint32_t mask = (1u << o->hash_bits) - 1;
    uint32_t sw = lm_seed(field, LM_K_WORD), sb = lm_seed(field, LM_K_BIGRAM), spre = lm_seed(field, LM_K_PREFIX);
    size_t pos = 0, n = 0;
    lm_tok t, prev = {0, 0, 0};
    while (n < LM_MAX_TOKENS && lm_next_token(s, len, &pos, &t)) {
        uint32_t idx = lm_mix(t.h ^ sw) & mask;
        if (lm_add(v, idx) || lm_push_span(sp, idx, field, t.start, t.end)) return SQ_E_NOMEM;
        if (o->word_max >= 2 && n > 0) {
            idx = lm_mix(lm_mix(prev.h ^ sb) + t.h) & mask;
            if (lm_add(v, idx) || lm_push_span(sp, idx, field, prev.start, t.end)) return SQ_E_NOMEM;
        }
        if (o->prefix && t.end - t.start > o->prefix && s[t.start] != '$' && t.h != 0x75726c5fu) {
            uint32_t h = 2166136261u;
            for (size_t k = t.start; k < t.start + o->prefix; k++) h = (h ^ lm_lower((unsigned char)s[k])) * 16777619u;
            idx = lm_mix(h ^ spre) & mask;
            if (lm_add(v, idx) || lm_push_span(sp, idx, field, t.start, t.end)) return SQ_E_NOMEM;
        }
        if (o->char_max && t.h != 0x75726c5fu && lm_char_ngrams(o, field, s, &t, v, sp)) return SQ_E_NOMEM;
        prev = t;
        n++;
    }
    return 0;
}

static int lm_cmp_feat(const void *a, const void *b)
{
    const lm_feat *x = a, *y = b;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Counted keys -> (bucket, sublinear tf x idf); the word and the character
 * blocks are normalised apart (the many character n-grams would otherwise
 * drown the words), the character block to char_weight percent. */
static int lm_count(const lm_opts *o, const float *idf, lm_vec *v, int sorted)
{
    v->n = 0;
    if (v->cap < v->n_keys) {
        lm_feat *f = realloc(v->f, v->cap_keys * sizeof *f);
        if (!f) return SQ_E_NOMEM;
        v->f = f;
        v->cap = v->cap_keys;
    }
    double norm[3] = {0, 0, 0};
    for (size_t i = 0; idf && i < v->n_keys; i++) __builtin_prefetch(&idf[LM_IDX(o, v->tab[v->keys[i]].key)]);
    for (size_t i = 0; i < v->n_keys; i++) {
        const lm_slot *s = &v->tab[v->keys[i]];
        double val = o->sublinear && s->count > 1 ? 1.0 + log((double)s->count) : (double)s->count;
        uint32_t idx = LM_IDX(o, s->key);
        if (idf) val *= idf[idx];
        v->f[i] = (lm_feat){idx, (float)val};
        v->tab[v->keys[i]].fi = (uint32_t)i;
        norm[LM_BLOCK(o, s->key)] += val * val;
    }
    float k[3] = {norm[0] > 0 ? (float)(1.0 / sqrt(norm[0])) : 0,
                  norm[1] > 0 ? (float)(o->char_weight / 100.0 / sqrt(norm[1])) : 0,
                  norm[2] > 0 ? (float)(o->rules / 100.0 / sqrt(norm[2])) : 0};
    for (size_t i = 0; i < v->n_keys; i++) v->f[i].val *= k[LM_BLOCK(o, v->tab[v->keys[i]].key)];
    v->n = v->n_keys;
    if (!sorted || v->n == 0) return 0;
    qsort(v->f, v->n, sizeof *v->f, lm_cmp_feat);
    size_t m = 0;
    for (size_t i = 1; i < v->n; i++) {
        if (v->f[i].idx == v->f[m].idx) v->f[m].val += v->f[i].val;
        else v->f[++m] = v->f[i];
    }
    v->n = m + 1;
    return 0;
}

/* A feature of the engine block: what, the field it was found in, and a name. */
static int lm_eng_add(const lm_opts *o, lm_vec *v, char what, uint32_t field, const char *name)
{
    uint32_t h = 2166136261u ^ lm_seed(field, 4);
    h = (h ^ (unsigned char)what) * 16777619u;
    for (const char *p = name ? name : ""; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return lm_add(v, (lm_mix(h) & (LM_CHAR_FLAG(o) - 1)) | LM_ENG_FLAG(o));
}

int lm_feat_add(void *u, char what, uint32_t field, const char *name)
{
    struct lm_feat_to *t = u;
    return lm_eng_add(t->o, t->v, what, field, name);
}

int lm_host_features(const struct squawk_host *h, const struct squawk_article *a, lm_feature_fn fn, void *u)
{
    const struct squawk_mention *me;
    size_t n;
    int rc = 0;
    if (!h->mentions(a, &me, &n))
        for (size_t i = 0; i < n && !rc; i++) {
            const struct squawk_entity *en = h->article_entity(a, me[i].entity);
            if (en && !(me[i].ambiguous && !me[i].confirmed)) rc = fn(u, 'k', me[i].field, en->kind);
        }
    const struct squawk_amount *am;
    if (!rc && !h->amounts(a, &am, &n))
        for (size_t i = 0; i < n && !rc; i++) rc = fn(u, 'a', am[i].field, "");
    const struct squawk_cue *cu;
    if (!rc && !h->cues(a, &cu, &n))
        for (size_t i = 0; i < n && !rc; i++) rc = fn(u, 's', cu[i].field, h->stage_name(cu[i].stage));
    return rc;
}

static int lm_engine_feats(const lm_opts *o, const lm_engine *e, lm_vec *v)
{
    const struct squawk_host *h = e->h;
    int rc = 0;
    for (int p = 0; p < LM_ENGINE_PACKS && !rc; p++) {
        const struct squawk_match *m;
        size_t n;
        if (!e->packs[p] || h->pack_scan(e->packs[p], e->a, &m, &n)) continue;
        for (size_t i = 0; i < n && !rc; i++) {
            const struct squawk_rule *r = h->pack_rule(e->packs[p], m[i].rule);
            if (r) rc = lm_eng_add(o, v, (char)('0' + p), m[i].field, r->id);
        }
    }
    for (int p = 0; p < LM_ENGINE_PACKS && !rc; p++) {
        const struct squawk_match *m;
        const struct squawk_tslot *sl;
        const uint32_t *off;
        size_t n;
        if (!e->tpacks[p] || h->tpack_scan(e->tpacks[p], e->a, &m, &n, &sl, &off)) continue;
        for (size_t i = 0; i < n && !rc; i++) {
            const struct squawk_match *mi = SQUAWK_AT(struct squawk_match, m, i, h->match_size);
            const struct squawk_trule *r = h->tpack_rule(e->tpacks[p], mi->rule);
            if (r) rc = lm_eng_add(o, v, (char)('A' + p), mi->field, r->id);
        }
    }
    if (!(e->evidence & LM_EV_ENTITIES) || rc) return rc;
    struct lm_feat_to to = {o, v};
    return lm_host_features(h, e->a, lm_feat_add, &to);
}

static const char *const lm_engine_pack[LM_ENGINE_PACKS] = {"invest", "chips", "regulatory"};

static uint64_t lm_fnv_add(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
    return h;
}

uint64_t lm_rules_fingerprint(const struct squawk_host *h, struct squawk_tpack *const *packs, size_t n)
{
    uint64_t fp = 1469598103934665603ull;
    for (size_t p = 0; p < n; p++) {
        if (!packs[p]) continue;
        fp = lm_fnv_add(fp, &p, sizeof p);
        for (uint32_t i = 0; i < h->tpack_size(packs[p]); i++) {
            const struct squawk_trule *r = h->tpack_rule(packs[p], i);
            char w[64];
            int k = snprintf(w, sizeof w, "|%.6g|%d|%d|", r->weight, r->veto, r->field);
            fp = lm_fnv_add(lm_fnv_add(fp, r->id, strlen(r->id)), w, (size_t)k);
        }
    }
    return fp ? fp : 1; /* 0 means unknown */
}

int lm_rules_stale(const lm_model *m, const struct squawk_host *h, struct squawk_tpack *const *packs, size_t n,
                   const char *file, char *msg, size_t len)
{
    uint64_t now = m->rules_fp ? lm_rules_fingerprint(h, packs, n) : 0;
    if (!m->rules_fp || now == m->rules_fp) return 0;
    snprintf(msg, len, "model %.300s: the rule packs its evidence came from changed since training "
             "(rules_fingerprint %016llx, packs now %016llx): its rule features drift; retrain it "
             "(squawk train, or make models for a built-in's)", file, (unsigned long long)m->rules_fp,
             (unsigned long long)now);
    return 1;
}

static const char *const lm_evidence_names[] = {"v1", "invest", "chips", "regulatory", "entities"};
#define LM_EV_NAMES (sizeof lm_evidence_names / sizeof *lm_evidence_names)

void lm_evidence_format(uint32_t ev, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < LM_EV_NAMES && n < len; i++)
        if (ev & (1u << i)) n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", lm_evidence_names[i]);
}

long lm_evidence_parse(const char *list)
{
    long ev = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ","), i = 0;
        while (i < LM_EV_NAMES && (strlen(lm_evidence_names[i]) != n || strncmp(p, lm_evidence_names[i], n))) i++;
        if (i == LM_EV_NAMES) return -1;
        ev |= 1L << i;
        p += n + (p[n] == ',');
    }
    return ev ? ev : -1;
}

int lm_engine_open_evidence(lm_engine *e, const struct squawk_host *h, uint32_t evidence, char *err,
                            size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->h = h;
    e->evidence = evidence;
    if (!evidence || evidence & ~LM_EV_ALL) {
        snprintf(err, errlen, "rules_evidence %#x is not a set this squawk knows", evidence);
        return SQ_E_INVAL;
    }
    if ((evidence & ~(LM_EV_V1 | LM_EV_ENTITIES)) && !SQUAWK_HOST_HAS(h, tpack_scan)) {
        snprintf(err, errlen, "rules_evidence of v2 packs needs a host with token-pattern packs (ABI 1.1)");
        return SQ_E_INVAL;
    }
    for (int p = 0; p < LM_ENGINE_PACKS; p++) {
        if ((evidence & LM_EV_V1) && h->pack_open(h, lm_engine_pack[p], &e->packs[p], err, errlen))
            return SQ_E_NOTFOUND;
        if ((evidence & (LM_EV_INVEST << p)) && h->tpack_open(h, lm_engine_pack[p], &e->tpacks[p], err, errlen))
            return SQ_E_NOTFOUND;
    }
    return 0;
}

int lm_engine_open(lm_engine *e, const struct squawk_host *h, char *err, size_t errlen)
{
    return lm_engine_open_evidence(e, h, LM_EV_LEGACY, err, errlen);
}

int lm_featurize(const lm_opts *o, const float *idf, const char *head, size_t hl, const char *body,
                 size_t bl, lm_vec *out, lm_spans *spans, int sorted)
{
    return lm_featurize_eng(o, idf, head, hl, body, bl, NULL, out, spans, sorted);
}

int lm_featurize_eng(const lm_opts *o, const float *idf, const char *head, size_t hl, const char *body,
                     size_t bl, const lm_engine *eng, lm_vec *out, lm_spans *spans, int sorted)
{
    lm_vec_begin(out);
    if (spans) spans->n = 0;
    int rc = lm_field(o, LM_FIELD_HEADLINE, head ? head : "", head ? hl : 0, out, spans);
    if (!rc) rc = lm_field(o, LM_FIELD_BODY, body ? body : "", body ? bl : 0, out, spans);
    if (!rc && o->rules) rc = eng && eng->h ? lm_engine_feats(o, eng, out) : SQ_E_INVAL;
    return rc ? rc : lm_count(o, idf, out, sorted);
}

const lm_feat *lm_vec_find(const lm_vec *v, uint32_t key, uint32_t *count)
{
    if (!v->tab_cap) return NULL;
    size_t mask = v->tab_cap - 1;
    for (size_t i = (key ^ (key >> 13)) & mask;; i = (i + 1) & mask) {
        const lm_slot *s = &v->tab[i];
        if (s->gen != v->gen) return NULL;
        if (s->key == key) {
            *count = s->count;
            return s->fi < v->n ? &v->f[s->fi] : NULL;
        }
    }
}

void lm_vec_free(lm_vec *v)
{
    free(v->f);
    free(v->tab);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

void lm_spans_free(lm_spans *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

void lm_scores(const lm_model *m, const lm_vec *x, double *s)
{
    size_t K = m->n_class, nb = (size_t)1 << m->o.hash_bits;
    const float *bias = m->w + nb * K;
    if (K == 1) { /* the common binary case, without the inner loop */
        double t = bias[0];
        for (size_t i = 0; i < x->n; i++) __builtin_prefetch(&m->w[x->f[i].idx]);
        for (size_t i = 0; i < x->n; i++) t += (double)m->w[x->f[i].idx] * x->f[i].val;
        s[0] = t;
        return;
    }
    float acc[LM_MAX_CLASSES] = {0};
    /* rows of K weights are scattered over a large table: ask for all of them
     * first, so the cache misses overlap instead of queueing */
    for (size_t i = 0; i < x->n; i++) {
        const float *row = m->w + (size_t)x->f[i].idx * K;
        __builtin_prefetch(row);
        __builtin_prefetch(row + K - 1);
    }
    for (size_t i = 0; i < x->n; i++) {
        const float *row = m->w + (size_t)x->f[i].idx * K;
        float v = x->f[i].val;
        size_t k = 0;
        for (; k + 8 <= K; k += 8) /* a fixed trip count the compiler vectorises */
            for (size_t j = 0; j < 8; j++) acc[k + j] += row[k + j] * v;
        for (; k < K; k++) acc[k] += row[k] * v;
    }
    for (size_t k = 0; k < K; k++) s[k] = (double)bias[k] + acc[k];
}

uint32_t lm_rival(const lm_model *m, const lm_out *o, const double *s)
{
    uint32_t r = 0;
    int any = 0;
    for (uint32_t k = 0; m->n_class > 1 && k < m->n_class; k++)
        if (k != o->cls && (!any || s[k] > s[r])) r = k, any = 1;
    return r;
}

double lm_margin(const lm_model *m, const lm_out *o, const double *s)
{
    if (m->n_class == 1) return s[0];
    return s[o->cls] - s[lm_rival(m, o, s)];
}

double lm_probability(const lm_out *o, double margin)
{
    return 1.0 / (1.0 + exp(-(o->cal_a * margin + o->cal_b)));
}

/* The screen (lm_model.screen): 1 when the text block alone lets some output reach it. */
static int lm_screen_pass(const lm_model *m, lm_vec *x, const char *head, size_t hl, const char *body, size_t bl,
                          double *s, double *p, int *rc)
{
    lm_opts text = m->o;
    text.rules = 0; /* the blocks are normalised apart: the text block is the same without the engine's */
    if ((*rc = lm_featurize_eng(&text, m->idf, head, hl, body, bl, NULL, x, NULL, 0)) != 0) return 0;
    lm_scores(m, x, s);
    int pass = 0;
    for (size_t i = 0; i < m->n_out; i++) {
        double mg = lm_margin(m, &m->out[i], s);
        pass |= mg >= m->screen[i];
        p[i] = lm_probability(&m->out[i], mg);
    }
    return pass;
}

int lm_predict(const lm_model *m, lm_vec *x, const char *head, size_t hl, const char *body, size_t bl,
               const lm_engine *eng, double *s, double *p)
{
    int rc = 0;
    if (m->o.rules && !(eng && eng->h)) return SQ_E_INVAL; /* with or without the screen */
    if (m->o.rules && m->n_screen) {
        if (!lm_screen_pass(m, x, head, hl, body, bl, s, p, &rc)) return rc;
        /* passed: add the engine block's scores (featurised alone: no text) to the text block's */
        double se[LM_MAX_CLASSES];
        if ((rc = lm_featurize_eng(&m->o, m->idf, NULL, 0, NULL, 0, eng, x, NULL, 0)) != 0) return rc;
        lm_scores(m, x, se);
        const float *bias = m->w + ((size_t)1 << m->o.hash_bits) * m->n_class;
        for (size_t k = 0; k < m->n_class; k++) s[k] += se[k] - bias[k];
    } else {
        if ((rc = lm_featurize_eng(&m->o, m->idf, head, hl, body, bl, eng, x, NULL, 0)) != 0) return rc;
        lm_scores(m, x, s);
    }
    for (size_t i = 0; i < m->n_out; i++) p[i] = lm_probability(&m->out[i], lm_margin(m, &m->out[i], s));
    return 0;
}

lm_model *lm_create(const lm_opts *o, uint32_t n_class)
{
    lm_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->o = *o;
    m->n_class = n_class ? n_class : 1;
    m->w = calloc((((size_t)1 << o->hash_bits) + 1) * m->n_class, sizeof *m->w);
    if (!m->w) {
        free(m);
        return NULL;
    }
    return m;
}

void lm_destroy(lm_model *m)
{
    if (!m) return;
    free(m->w);
    free(m->idf);
    free(m);
}

/* ---- the model file ----
 * A text header of "key value" lines, the first "squawk-learned-model <version>",
 * one "output" line per category, the last "weights <n>"; then n = (2^hash_bits
 * + 1) x classes little-endian float32 weights (bucket-major, the biases last),
 * and as many idf factors when "idf 1"; then the FNV-1a 64 checksum of
 * everything before it, little-endian. */

static uint64_t lm_fnv64(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static size_t lm_n_weights(const lm_model *m) { return (((size_t)1 << m->o.hash_bits) + 1) * m->n_class; }

static int lm_write_header(const lm_model *m, FILE *f)
{
    const lm_opts *o = &m->o;
    fprintf(f, "%s %d\n", LM_MAGIC, LM_FILE_VERSION);
    fprintf(f, "column %s\nclasses %u\n", m->column, m->n_class);
    fprintf(f, "hash_bits %u\nword_ngrams %u\nchar_ngrams %u %u\nchar_weight %u\nsublinear_tf %u\nrules_features %u\n",
            o->hash_bits, o->word_max, o->char_min, o->char_max, o->char_weight, o->sublinear, o->rules);
    for (size_t i = 0; i < m->n_out; i++)
        fprintf(f, "output %s %u %.9g %.9g %.9g\n", m->out[i].category, m->out[i].cls, m->out[i].cal_a,
                m->out[i].cal_b, m->out[i].threshold);
    if (o->prefix) fprintf(f, "word_prefix %u\n", o->prefix); /* absent: off, as in models made before it */
    if (o->rules) { /* only rules-features models carry it: a text model stays readable without the key */
        char ev[128];
        lm_evidence_format(o->evidence, ev, sizeof ev);
        fprintf(f, "rules_evidence %s\n", ev);
        for (size_t i = 0; i < m->n_screen; i++)
            fprintf(f, "%s%.9g%s", i ? " " : "rules_screen ", m->screen[i], i + 1 < m->n_screen ? "" : "\n");
        if (m->rules_fp) fprintf(f, "rules_fingerprint %016llx\n", (unsigned long long)m->rules_fp);
    }
    fprintf(f, "C %.9g\nidf %d\nsummary %s\nweights %zu\n", m->c, m->idf != NULL, m->summary, lm_n_weights(m));
    return ferror(f) ? SQ_E_IO : 0;
}

static int lm_put_floats(FILE *f, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                              (unsigned char)(u >> 24)};
        if (fwrite(b, 1, 4, f) != 4) return SQ_E_IO;
    }
    return 0;
}

int lm_save(const lm_model *m, const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) return SQ_E_NOMEM;
    int rc = lm_write_header(m, mem);
    if (!rc) rc = lm_put_floats(mem, m->w, lm_n_weights(m));
    if (!rc && m->idf) rc = lm_put_floats(mem, m->idf, (size_t)1 << m->o.hash_bits);
    if (fclose(mem) != 0 && !rc) rc = SQ_E_IO;
    if (rc) {
        free(buf);
        snprintf(err, errlen, "%s: cannot build the model", path);
        return rc;
    }
    uint64_t h = lm_fnv64((unsigned char *)buf, len);
    unsigned char tail[8];
    for (int i = 0; i < 8; i++) tail[i] = (unsigned char)(h >> (8 * i));
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fwrite(tail, 1, 8, f) != 8 || fclose(f) != 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
        if (f) fclose(f);
        free(buf);
        unlink(tmp);
        return SQ_E_IO;
    }
    free(buf);
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return SQ_E_IO;
    }
    return 0;
}

/* ---- decoding (outside bytes: every path checks lengths and ranges) ---- */

typedef struct lm_hdr {
    lm_model *m;
    unsigned seen; /* one bit per key */
    size_t n_weights;
    uint32_t idf; /* 1: the weights are followed by as many idf factors */
} lm_hdr;

static int lm_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || errno || !isfinite(d) || d < lo || d > hi) return -1;
    *out = d;
    return *end == '\0' || *end == ' ' ? 0 : -1;
}

static int lm_uint(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
    double d;
    if (lm_num(v, lo, hi, &d) || d != floor(d)) return -1;
    *out = (uint32_t)d;
    return 0;
}

/* A name: printable, no spaces or quotes; n = its length (0: up to the end). */
static int lm_str(const char *v, size_t n, char *out, size_t outlen)
{
    if (!n) n = strlen(v);
    if (n == 0 || n >= outlen) return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x21 || v[i] == '"' || v[i] == '\\') return -1;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
}

/* "output CATEGORY CLASS CAL_A CAL_B THRESHOLD" */
static int lm_output(lm_model *m, const char *v)
{
    if (m->n_out == LM_MAX_OUTPUTS) return -1;
    lm_out *o = &m->out[m->n_out];
    const char *f[5];
    f[0] = v;
    for (int i = 1; i < 5; i++)
        if (!(f[i] = strchr(f[i - 1], ' '))) return -1;
        else f[i]++;
    if (strchr(f[4], ' ') || lm_str(f[0], (size_t)(f[1] - f[0] - 1), o->category, sizeof o->category) ||
        lm_uint(f[1], 0, LM_MAX_CLASSES - 1, &o->cls) || lm_num(f[2], 1e-9, 1e6, &o->cal_a) ||
        lm_num(f[3], -1e6, 1e6, &o->cal_b) || lm_num(f[4], 0, 1, &o->threshold))
        return -1;
    m->n_out++;
    return 0;
}

#define LM_ALL_KEYS ((1u << 13) - 1) /* the keys every model has */
#define LM_BIT_OUTPUT 1u                /* the one key that may repeat */
#define LM_BIT_EVIDENCE (1 << 13)       /* optional */
#define LM_BIT_SCREEN (1 << 14)         /* optional */
#define LM_BIT_FINGERPRINT (1 << 15)    /* optional */
#define LM_BIT_PREFIX (1 << 16)         /* optional */

/* "rules_screen S1 S2 ...": one margin per output (lm_check_header checks the count). */
static int lm_screens(lm_model *m, const char *v)
{
    for (m->n_screen = 0; v; v = strchr(v, ' '), v = v ? v + 1 : NULL)
        if (m->n_screen == LM_MAX_OUTPUTS || lm_num(v, -1e6, 1e6, &m->screen[m->n_screen++])) return -1;
    return 0;
}

/* One "key value" line; returns the key's bit, 0 for an unknown key, -1 for a bad value. */
static int lm_hdr_line(lm_hdr *h, const char *key, const char *v)
{
    lm_model *m = h->m;
    lm_opts *o = &m->o;
    const char *sp = strchr(v, ' ');
    if (!strcmp(key, "output")) return lm_output(m, v) ? -1 : 1 << 0;
    if (!strcmp(key, "column")) return lm_str(v, 0, m->column, sizeof m->column) ? -1 : 1 << 1;
    if (!strcmp(key, "hash_bits")) return lm_uint(v, 10, 24, &o->hash_bits) ? -1 : 1 << 2;
    if (!strcmp(key, "word_ngrams")) return lm_uint(v, 1, 2, &o->word_max) ? -1 : 1 << 3;
    if (!strcmp(key, "char_ngrams"))
        return !sp || lm_uint(v, 0, 8, &o->char_min) || lm_uint(sp + 1, 0, 8, &o->char_max) ||
                       o->char_min > o->char_max || (o->char_max && !o->char_min) || strchr(sp + 1, ' ')
                   ? -1 : 1 << 4;
    if (!strcmp(key, "sublinear_tf")) return lm_uint(v, 0, 1, &o->sublinear) ? -1 : 1 << 5;
    if (!strcmp(key, "classes"))
        return lm_uint(v, 1, LM_MAX_CLASSES, &m->n_class) || m->n_class == 2 ? -1 : 1 << 6;
    if (!strcmp(key, "idf")) return lm_uint(v, 0, 1, &h->idf) ? -1 : 1 << 7;
    if (!strcmp(key, "char_weight")) return lm_uint(v, 0, 1000, &o->char_weight) ? -1 : 1 << 8;
    if (!strcmp(key, "C")) return lm_num(v, 0, 1e9, &m->c) || sp ? -1 : 1 << 9;
    if (!strcmp(key, "rules_features")) return lm_uint(v, 0, 1000, &o->rules) ? -1 : 1 << 12;
    if (!strcmp(key, "rules_evidence")) { /* optional: absent in models made before it (LM_EV_LEGACY) */
        long e = lm_evidence_parse(v);
        return e < 0 ? -1 : (o->evidence = (uint32_t)e, LM_BIT_EVIDENCE);
    }
    if (!strcmp(key, "word_prefix")) return lm_uint(v, 3, 12, &o->prefix) ? -1 : LM_BIT_PREFIX;
    if (!strcmp(key, "rules_screen")) return lm_screens(m, v) ? -1 : LM_BIT_SCREEN;
    if (!strcmp(key, "rules_fingerprint")) {
        char *end;
        errno = 0;
        m->rules_fp = strtoull(v, &end, 16);
        return errno || *end || end == v || !m->rules_fp ? -1 : LM_BIT_FINGERPRINT;
    }
    if (!strcmp(key, "summary")) {
        snprintf(m->summary, sizeof m->summary, "%s", v);
        return 1 << 10;
    }
    if (!strcmp(key, "weights")) {
        uint32_t n;
        if (lm_uint(v, 1, 1u << 30, &n)) return -1;
        h->n_weights = n;
        return 1 << 11;
    }
    return 0;
}


/* The first line: magic and a version this code reads. */
static int lm_check_version(const char *l, const char *v, char *err, size_t errlen)
{
    uint32_t ver;
    if (strcmp(l, LM_MAGIC)) {
        snprintf(err, errlen, "not a squawk model (no '%s' header)", LM_MAGIC);
        return SQ_E_BAD_FORMAT;
    }
    if (lm_uint(v, 0, 1000000, &ver) || ver != LM_FILE_VERSION) {
        snprintf(err, errlen, "model version %.20s is not supported (this squawk reads %d%s)", v,
                 LM_FILE_VERSION, !lm_uint(v, 0, 1000000, &ver) && ver < LM_FILE_VERSION
                                      ? "; retrain it with this squawk's `squawk train`" : "");
        return SQ_E_BAD_VERSION;
    }
    return 0;
}

/* Reads the header lines; *body is where the weights start. */
static int lm_parse_header(lm_hdr *h, const unsigned char *buf, size_t len, size_t *body, char *err,
                           size_t errlen)
{
    size_t p = 0;
    for (int line = 1; (h->seen & LM_ALL_KEYS) != LM_ALL_KEYS; line++) {
        const unsigned char *nl = memchr(buf + p, '\n', len - p);
        if (!nl || nl - (buf + p) > 1000) {
            snprintf(err, errlen, "truncated or unterminated header at line %d", line);
            return SQ_E_TRUNCATED;
        }
        char l[1024];
        size_t n = (size_t)(nl - (buf + p));
        memcpy(l, buf + p, n);
        l[n] = '\0';
        p += n + 1;
        if (memchr(l, '\0', n)) {
            snprintf(err, errlen, "line %d holds a NUL byte", line);
            return SQ_E_BAD_FORMAT;
        }
        char *v = strchr(l, ' ');
        if (!v) {
            snprintf(err, errlen, "line %d: want 'key value'", line);
            return SQ_E_BAD_FORMAT;
        }
        *v++ = '\0';
        int rc = line == 1 ? lm_check_version(l, v, err, errlen) : 0;
        if (rc) return rc;
        if (line == 1) continue;
        int bit = lm_hdr_line(h, l, v);
        if (bit <= 0 || (bit != LM_BIT_OUTPUT && (h->seen & (unsigned)bit))) {
            snprintf(err, errlen, "line %d: %s key '%.40s'", line,
                     bit == 0 ? "unknown" : bit < 0 ? "bad value for" : "duplicate", l);
            return SQ_E_BAD_FORMAT;
        }
        h->seen |= (unsigned)bit;
        if (bit == 1 << 11 && (h->seen & LM_ALL_KEYS) != LM_ALL_KEYS) {
            snprintf(err, errlen, "line %d: 'weights' before every other key (and an 'output')", line);
            return SQ_E_MISSING;
        }
    }
    *body = p;
    return 0;
}

/* Header facts that hold together: weights, outputs and classes agree. */
static int lm_check_header(const lm_hdr *h, size_t len, size_t body, char *err, size_t errlen)
{
    const lm_model *m = h->m;
    size_t want = lm_n_weights(m), nb = (size_t)1 << m->o.hash_bits;
    if (h->n_weights != want) {
        snprintf(err, errlen, "weights %zu, but hash_bits %u and %u classes want %zu", h->n_weights,
                 m->o.hash_bits, m->n_class, want);
        return SQ_E_BAD_FORMAT;
    }
    for (size_t i = 0; i < m->n_out; i++)
        if (m->out[i].cls >= m->n_class) {
            snprintf(err, errlen, "output %s: class %u, but the model has %u", m->out[i].category,
                     m->out[i].cls, m->n_class);
            return SQ_E_BAD_FORMAT;
        }
    if (m->n_screen && m->n_screen != m->n_out) {
        snprintf(err, errlen, "rules_screen has %zu values, but the model has %zu outputs", m->n_screen, m->n_out);
        return SQ_E_BAD_FORMAT;
    }
    size_t nf = want + (h->idf ? nb : 0); /* floats after the header */
    if (len - 8 - body != 4 * nf) {
        int shorter = len - 8 - body < 4 * nf;
        snprintf(err, errlen, "%s: %zu bytes of weights, want %zu", shorter ? "truncated" : "trailing bytes",
                 len - 8 - body, 4 * nf);
        return shorter ? SQ_E_TRUNCATED : SQ_E_TRAILING;
    }
    return 0;
}

/* n little-endian floats at b; idf factors must lie in [0, 100]. */
static int lm_get_floats(const unsigned char *b, size_t n, int is_idf, float *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++, b += 4) {
        uint32_t u = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&out[i], &u, 4);
        if (!isfinite(out[i]) || (is_idf && !(out[i] >= 0 && out[i] <= 100))) {
            snprintf(err, errlen, "%s %zu is out of range", is_idf ? "idf" : "weight", i);
            return SQ_E_BAD_FORMAT;
        }
    }
    return 0;
}

int lm_decode(lm_model **out, const unsigned char *buf, size_t len, char *err, size_t errlen)
{
    *out = NULL;
    if (len < 8) {
        snprintf(err, errlen, "truncated (%zu bytes)", len);
        return SQ_E_TRUNCATED;
    }
    lm_model *m = calloc(1, sizeof *m);
    if (!m) return SQ_E_NOMEM;
    lm_hdr h = {m, 0, 0, 0};
    size_t body = 0;
    int rc = lm_parse_header(&h, buf, len - 8, &body, err, errlen);
    if (!(h.seen & LM_BIT_EVIDENCE)) m->o.evidence = LM_EV_LEGACY;
    if (!rc) rc = lm_check_header(&h, len, body, err, errlen);
    uint64_t sum = 0;
    for (int i = 0; i < 8 && !rc; i++) sum |= (uint64_t)buf[len - 8 + (size_t)i] << (8 * i);
    if (!rc && sum != lm_fnv64(buf, len - 8)) {
        snprintf(err, errlen, "checksum mismatch (file corrupt or truncated)");
        rc = SQ_E_BAD_FORMAT;
    }
    size_t nw = lm_n_weights(m), nb = (size_t)1 << m->o.hash_bits;
    if (!rc && (!(m->w = malloc(nw * sizeof *m->w)) || (h.idf && !(m->idf = malloc(nb * sizeof *m->idf)))))
        rc = SQ_E_NOMEM;
    if (!rc) rc = lm_get_floats(buf + body, nw, 0, m->w, err, errlen);
    if (!rc && h.idf) rc = lm_get_floats(buf + body + 4 * nw, nb, 1, m->idf, err, errlen);
    if (rc) {
        lm_destroy(m);
        return rc;
    }
    *out = m;
    return 0;
}

int lm_load(lm_model **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SQ_E_IO;
    }
    size_t cap = 1 << 20, n = 0, k;
    unsigned char *buf = malloc(cap);
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            unsigned char *nb = cap < ((size_t)1 << 28) ? realloc(buf, cap * 2) : NULL;
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f) || !buf || n == cap;
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read (too big or i/o error)", path);
        return SQ_E_IO;
    }
    char why[256] = "";
    int rc = lm_decode(out, buf, n, why, sizeof why);
    free(buf);
    if (rc) snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

/* ---- featurisation by parts (the built-in filters' rescoring, rescore.c) ----
 * The same features lm_featurize_eng makes, assembled by the caller: text of
 * any fields, then engine-block features the caller names itself (the
 * engine's own evidence of one filter instead of lm_engine's pack scans). */

int lm_vec_begin(lm_vec *v)
{
    v->n_raw = 0;
    v->n_keys = 0;
    v->n = 0;
    if (++v->gen == 0) { /* stamps wrapped: forget every old one */
        if (v->tab) memset(v->tab, 0, v->tab_cap * sizeof *v->tab);
        v->gen = 1;
    }
    return 0;
}

int lm_vec_text(const lm_opts *o, lm_vec *v, uint32_t field, const char *s, size_t len)
{
    return lm_field(o, field, s ? s : "", s ? len : 0, v, NULL);
}

int lm_vec_feature(const lm_opts *o, lm_vec *v, char what, uint32_t field, const char *name)
{
    return lm_eng_add(o, v, what, field, name);
}

int lm_vec_end(const lm_opts *o, const float *idf, lm_vec *v, int sorted)
{
    return lm_count(o, idf, v, sorted);
}

double lm_dot(const lm_model *m, const lm_vec *x)
{
    double t = 0;
    for (size_t i = 0; i < x->n; i++) t += (double)m->w[(size_t)x->f[i].idx * m->n_class] * x->f[i].val;
    return t;
}

double lm_bias(const lm_model *m) { return m->w[((size_t)1 << m->o.hash_bits) * m->n_class]; }
