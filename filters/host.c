/* host.c -- the host side of the filter plugin ABI: load plugins, run them over an article. */
#include "host.h"

#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../core/log.h"
#include "../proto/headline.h"
#include "amount.h"
#include "engine.h"
#include "gazetteer.h"
#include "loader.h"
#include "matcher.h"
#include "novelty.h"
#include "rescore.h"
#include "token.h"
#include "tpat.h"

#ifndef SQUAWK_DATA_DIR
#define SQUAWK_DATA_DIR "filters"
#endif
#ifndef SQUAWK_PLUGIN_DIR
#define SQUAWK_PLUGIN_DIR "plugins"
#endif

#define HOST_MAX_FILTERS 16
#define HOST_MAX_PACKS 32

struct squawk_pack {
    filter_host *h;
    size_t index;
    filter_matcher *m;
};

/* A token-pattern pack with its rules in the ABI's form (strings, not role indices). */
struct squawk_tpack {
    filter_host *h;
    size_t index;
    tpat_pack *p;
    char *key;                  /* the name or path it was opened by */
    struct squawk_trule *rules; /* [tpat_size(p)] */
    const char **names;         /* role names of every rule's slots and named roles, one block */
    unsigned char gate;         /* filter_host_tpack_gate */
};

typedef struct host_filter {
    filter_plugin p;
    double threshold;
    const char *thr_src; /* static: "plugin", or what the loader's caller says */
    uint64_t ns, alerts, errors;
} host_filter;

/* The plugins' error codes are the host's: a plugin returning SQUAWK_E_X
 * is logged as SQ_E_X. */
_Static_assert(SQUAWK_E_NOMEM == SQ_E_NOMEM && SQUAWK_E_INVAL == SQ_E_INVAL &&
               SQUAWK_E_IO == SQ_E_IO && SQUAWK_E_NOTFOUND == SQ_E_NOTFOUND &&
               SQUAWK_E_AGAIN == SQ_E_AGAIN && SQUAWK_E_TIMEOUT == SQ_E_TIMEOUT &&
               SQUAWK_E_NOTIMPL == SQ_E_NOTIMPL, "SQUAWK_E_* must equal core/error.h");

struct filter_host {
    struct squawk_host services; /* first: plugins hand it back to us */
    char *data_dir;
    char **plugin_dirs; /* searched in order; the built-in directory is last */
    size_t n_plugin_dirs;
    filter_gaz *gaz;
    filter_matcher *cues;
    struct squawk_pack packs[HOST_MAX_PACKS];
    size_t n_packs;
    struct squawk_tpack tpacks[HOST_MAX_PACKS];
    size_t n_tpacks;
    tpat_vocab *vocab; /* the words of every token-pattern pack: tokens looked up once per article */
    uint64_t tpat_limited; /* (rule, sentence) pairs a step budget cut short, all articles */
    filter_novelty *novelty;
    host_filter filters[HOST_MAX_FILTERS];
    size_t n_filters;
    uint64_t gen; /* bumped when a database is added: threads regrow scratch */
};

/* Per-article state: scanned lazily once, shared by every plugin. */
typedef struct article_ctx {
    struct squawk_article art; /* first: plugins hand it back to us */
    filter_host *h;
    int pack_done[HOST_MAX_PACKS];
    filter_matches pack_m[HOST_MAX_PACKS];
    int ment_done, amt_done, cue_done;
    filter_mentions ment;
    filter_amounts amt;
    filter_matches cue_m;
    struct squawk_cue *cues;
    size_t n_cues;
    int tok_done;
    tok_doc tok;                          /* the article's tokens, shared by every token-pattern pack */
    int ids_done;
    tpat_ids ids;                         /* their word ids in the host's vocabulary */
    struct squawk_token *toks;            /* the same in the ABI's form, made on first tokens() */
    struct tscan *tscan[HOST_MAX_PACKS]; /* per token-pattern pack, made on first use */
    uint64_t serial; /* unique per article: what per-article caches key on (rescore.c) */
    uint32_t skip[2]; /* bytes before the headline and the body the filters read: slugs, a dateline (ctx_begin) */
} article_ctx;

/* One token-pattern pack's hits in one article, in the ABI's form. */
struct tscan {
    tpat_result res;
    const struct squawk_tpack *pack; /* the pack and article being matched (slot_in_sector) */
    const article_ctx *ctx;
    struct squawk_match *ms;
    struct squawk_tslot *slots;
    uint32_t *off; /* [n_ms + 1] */
    size_t n_ms;   /* hits reported: every hit (sector slots were checked while matching) */
};

struct squawk_report {
    article_ctx *ac;
    const proto_article *src;
    proto_alert *alert;
    int begun, nomem;
    const char *fname;
};

static _Thread_local hs_scratch_t *tls_scratch;
/* The article this thread is processing: the 1.0 host->entity() resolves the
 * scan's anonymous companies (indices past the gazetteer) from it. */
static _Thread_local article_ctx *tls_article;
static _Thread_local uint64_t tls_gen;
static uint64_t host_gen_counter;

static void bump_gen(filter_host *h)
{
    h->gen = __atomic_add_fetch(&host_gen_counter, 1, __ATOMIC_RELAXED);
}

static int grow_scratch(const filter_host *h, hs_scratch_t **s)
{
    if (h->gaz && filter_gaz_alloc_scratch(h->gaz, s)) return SQ_E_NOMEM;
    if (h->cues && filter_matcher_alloc_scratch(h->cues, s)) return SQ_E_NOMEM;
    for (size_t i = 0; i < h->n_packs; i++)
        if (filter_matcher_alloc_scratch(h->packs[i].m, s)) return SQ_E_NOMEM;
    return 0;
}

static int ensure_scratch(filter_host *h)
{
    if (tls_scratch && tls_gen == h->gen) return 0;
    int rc = grow_scratch(h, &tls_scratch);
    if (rc) return rc;
    tls_gen = h->gen;
    return 0;
}

/* ---- services ---- */

/* The services table is the host's first member: plugins hand it back to us. */
_Static_assert(offsetof(struct filter_host, services) == 0, "services must be filter_host's first member");
static filter_host *host_of(const struct squawk_host *s) { return (filter_host *)s; }

static void svc_log(const struct squawk_host *s, int level, const char *plugin, const char *msg)
{
    sq_log_limited(level <= SQUAWK_LOG_DEBUG ? SQ_LOG_DEBUG : level == SQUAWK_LOG_INFO ? SQ_LOG_INFO
                   : level == SQUAWK_LOG_WARN ? SQ_LOG_WARN : SQ_LOG_ERROR,
                   "filter.plugin", "plugin=%s msg=\"%s\"", plugin ? plugin : "?", msg ? msg : "");
}

static int svc_pack_open(const struct squawk_host *s, const char *name, struct squawk_pack **out,
                         char *err, size_t errlen)
{
    filter_host *h = host_of(s);
    char path[4096];
    if (strchr(name, '/')) snprintf(path, sizeof path, "%s", name);
    else snprintf(path, sizeof path, "%s/rules/%s.yml", h->data_dir, name);
    for (size_t i = 0; i < h->n_packs; i++)
        if (strcmp(filter_matcher_name(h->packs[i].m), name) == 0) {
            *out = &h->packs[i];
            return 0;
        }
    if (h->n_packs == HOST_MAX_PACKS) {
        snprintf(err, errlen, "%s: too many rule packs (max %d)", path, HOST_MAX_PACKS);
        return SQ_E_TOO_MANY;
    }
    filter_matcher *m;
    int rc = filter_matcher_load(&m, path, err, errlen);
    if (rc) return rc;
    struct squawk_pack *p = &h->packs[h->n_packs];
    p->h = h;
    p->index = h->n_packs++;
    p->m = m;
    bump_gen(h);
    *out = p;
    return 0;
}

static size_t svc_pack_size(const struct squawk_pack *p) { return filter_matcher_size(p->m); }

static const struct squawk_rule *svc_pack_rule(const struct squawk_pack *p, uint32_t i)
{
    return filter_matcher_rule(p->m, i);
}

static article_ctx *ctx_of(const struct squawk_article *a) { return (article_ctx *)a; }

static int scan_fields(const filter_matcher *m, const struct squawk_article *a, filter_matches *out)
{
    for (int f = 0; f < SQUAWK_FIELD_N; f++) {
        int rc = filter_matcher_scan(m, tls_scratch, f, a->text[f], a->len[f], out);
        if (rc) return rc;
    }
    filter_matches_sort(out);
    return 0;
}

static int svc_pack_scan(struct squawk_pack *p, const struct squawk_article *a,
                         const struct squawk_match **out, size_t *n)
{
    article_ctx *c = ctx_of(a);
    if (!c->pack_done[p->index]) {
        c->pack_done[p->index] = 1;
        int rc = scan_fields(p->m, a, &c->pack_m[p->index]);
        if (rc) return rc;
    }
    *out = c->pack_m[p->index].v;
    *n = c->pack_m[p->index].n;
    return 0;
}

static int svc_mentions(const struct squawk_article *a, const struct squawk_mention **out, size_t *n)
{
    article_ctx *c = ctx_of(a);
    if (!c->ment_done) {
        c->ment_done = 1;
        if (c->h->gaz) {
            int rc = filter_gaz_scan(c->h->gaz, tls_scratch, a->text, a->len, &c->ment);
            if (rc) return rc;
        }
    }
    *out = c->ment.v;
    *n = c->ment.n;
    return 0;
}

/* ---- token-pattern packs (engine v2) ---- */

/* The ABI form of a pack's rules: role indices become names. */
static int tpack_rules(struct squawk_tpack *t)
{
    size_t n = tpat_size(t->p), n_names = 0;
    for (uint32_t i = 0; i < n; i++) n_names += tpat_rule_at(t->p, i)->n_slots + tpat_rule_at(t->p, i)->n_named;
    t->rules = calloc(n ? n : 1, sizeof *t->rules);
    t->names = calloc(n_names ? n_names : 1, sizeof *t->names);
    if (!t->rules || !t->names) return SQ_E_NOMEM;
    const char **nm = t->names;
    for (uint32_t i = 0; i < n; i++) {
        const struct tpat_rule *r = tpat_rule_at(t->p, i);
        struct squawk_trule *o = &t->rules[i];
        *o = (struct squawk_trule){sizeof *o, r->id, r->comment, r->weight,
                                  r->field == TPAT_FIELD_ANY ? -1 : r->field == TPAT_FIELD_HEADLINE ? SQUAWK_FIELD_HEADLINE
                                                                                                   : SQUAWK_FIELD_BODY,
                                  r->veto, r->unveto, r->marks, r->requires, r->sector ? r->sector : "",
                                  r->n_slots, nm, r->n_named, NULL, r->named_entity, r->slot_sector,
                                  r->caps_body, r->slot_lead, r->n_lifts, r->lifts, r->span == TPAT_SPAN_SENTENCE,
                                  r->span == TPAT_SPAN_CLAUSE};
        for (uint32_t k = 0; k < r->n_slots; k++) *nm++ = tpat_role_name(t->p, r->slot_role[k]);
        o->named_role = nm;
        for (uint32_t k = 0; k < r->n_named; k++) *nm++ = tpat_role_name(t->p, r->named_role[k]);
    }
    return 0;
}

static void tpack_free(struct squawk_tpack *t)
{
    tpat_destroy(t->p);
    free(t->key);
    free(t->rules);
    free(t->names);
}

/* A load failure's message: the file and its first problems ("file:line: reason"). */
static void tpack_err(const tpat_diag *dg, const char *path, int rc, char *err, size_t errlen)
{
    size_t o = (size_t)snprintf(err, errlen, "%s", dg->n ? "" : path);
    if (!dg->n && o < errlen) snprintf(err + o, errlen - o, ": %s", sq_err_name(rc));
    for (size_t i = 0; i < dg->n && i < 4 && o < errlen; i++)
        o += (size_t)snprintf(err + o, errlen - o, "%s%s", i ? "; " : "", dg->v[i]);
    if (dg->n > 4 && o < errlen) snprintf(err + o, errlen - o, "; and %zu more", dg->n - 4);
}

static int svc_tpack_open(const struct squawk_host *s, const char *name, struct squawk_tpack **out, char *err,
                          size_t errlen)
{
    filter_host *h = host_of(s);
    for (size_t i = 0; i < h->n_tpacks; i++)
        if (strcmp(h->tpacks[i].key, name) == 0) {
            *out = &h->tpacks[i];
            return 0;
        }
    char path[4096];
    if (strchr(name, '/')) snprintf(path, sizeof path, "%s", name);
    else snprintf(path, sizeof path, "%s/rules/v2/%s.yml", h->data_dir, name);
    if (h->n_tpacks == HOST_MAX_PACKS) {
        snprintf(err, errlen, "%s: too many token-pattern packs (max %d)", path, HOST_MAX_PACKS);
        return SQ_E_TOO_MANY;
    }
    struct squawk_tpack *t = &h->tpacks[h->n_tpacks];
    memset(t, 0, sizeof *t);
    tpat_diag dg = {0};
    int rc = tpat_load(&t->p, path, &dg);
    if (rc) tpack_err(&dg, path, rc, err, errlen);
    tpat_diag_free(&dg);
    if (!rc && !(t->key = strdup(name))) rc = SQ_E_NOMEM;
    if (!rc) rc = tpack_rules(t);
    if (!rc && !h->vocab) rc = tpat_vocab_create(&h->vocab);
    if (!rc) rc = tpat_vocab_add(h->vocab, t->p);
    if (rc) {
        if (rc == SQ_E_NOMEM) snprintf(err, errlen, "%s: out of memory", path);
        tpack_free(t);
        memset(t, 0, sizeof *t);
        return rc;
    }
    t->h = h;
    t->index = h->n_tpacks++;
    *out = t;
    return 0;
}

void filter_host_tpack_gate(struct squawk_tpack *p) { p->gate = 1; }

static size_t svc_tpack_size(const struct squawk_tpack *p) { return tpat_size(p->p); }

static const struct squawk_trule *svc_tpack_rule(const struct squawk_tpack *p, uint32_t i)
{
    return i < tpat_size(p->p) ? &p->rules[i] : NULL;
}

static void tscan_free(struct tscan *t)
{
    if (!t) return;
    tpat_result_free(&t->res);
    free(t->ms);
    free(t->slots);
    free(t->off);
    free(t);
}

/* A hit as a match: its words without the filled slots at its edges, as a v1
 * rule's match is its trigger words; the companies are the slots. */
static struct squawk_match hit_words(const tpat_result *r, const tok_doc *d, const struct tpat_hit *x)
{
    uint32_t ts = x->tok_start, te = x->tok_end;
    for (uint32_t k = 0; k < x->n_slots; k++) {
        const struct tpat_company *c = &r->companies[r->slots[x->slot + k].company];
        if (c->tok_start == ts && c->tok_end < te) ts = c->tok_end;
        else if (c->tok_end == te && c->tok_start > ts) te = c->tok_start;
    }
    /* span: sentence runs past the last token; then only the start moves */
    uint32_t end = x->end == d->v[x->tok_end - 1].end ? d->v[te - 1].end : x->end;
    return (struct squawk_match){x->rule, x->field, d->v[ts].start, end};
}

/* Does the comma list `have` (an entity's sectors) share an item with `want`? */
static int sectors_meet(const char *have, const char *want)
{
    for (const char *w = want; *w;) {
        size_t wn = strcspn(w, ",");
        for (const char *h = have; *h;) {
            size_t hn = strcspn(h, ",");
            if (hn == wn && strncmp(h, w, wn) == 0) return 1;
            h += hn + (h[hn] == ',');
        }
        w += wn + (w[wn] == ',');
    }
    return 0;
}

static const struct squawk_entity *entity_in(const filter_host *h, const article_ctx *c, uint32_t i);

/* Does company co hold the sectors `want` asks ({COMPANY[chip]:target})? */
static int company_in_sector(const struct squawk_tpack *p, const article_ctx *c, const char *want,
                             const struct tpat_company *co)
{
    const struct squawk_entity *en = co->entity >= 0 ? entity_in(p->h, c, (uint32_t)co->entity) : NULL;
    if (!en || !en->sectors) return 0;
    /* {COMPANY[!chip,memory]:role}: a company the gazetteer gives sectors, none of these (an
     * acquisition of a carmaker is no chip deal); never a company of unknown sectors, nor a name
     * in a field in capitals, matched caselessly ("DELTA" may be Computer Delta Systems) */
    if (want[0] == '!')
        return !c->tok.caps[c->tok.v[co->tok_start].field] && *en->sectors && !sectors_meet(en->sectors, want + 1);
    /* "company": any entity of that kind, whatever its sectors (a slot that must not hold an authority) */
    int any = en->kind && strcmp(en->kind, "company") == 0 && sectors_meet("company", want);
    return any || sectors_meet(en->sectors, want);
}

/* tpat_result.slot_ok: the matcher asks while matching, so a rule's later alternative is tried
 * where an earlier one's sector slot holds a company of another sector. */
static int slot_in_sector(void *ctx, uint32_t rule, uint32_t slot, const struct tpat_company *co)
{
    const struct tscan *t = ctx;
    return company_in_sector(t->pack, t->ctx, tpat_rule_at(t->pack->p, rule)->slot_sector[slot], co);
}

/* Hits become matches (bytes from tokens) and filled slots (bytes of the company's tokens);
 * the matcher already refused a sector slot's company of another sector (slot_in_sector). */
static int tscan_export(const struct squawk_tpack *p, const article_ctx *c, struct tscan *t)
{
    const tpat_result *r = &t->res;
    const tok_doc *d = &c->tok;
    free(t->ms), free(t->slots), free(t->off);
    t->n_ms = 0;
    t->ms = malloc((r->n_hits ? r->n_hits : 1) * sizeof *t->ms);
    t->slots = malloc((r->n_slots ? r->n_slots : 1) * sizeof *t->slots);
    t->off = malloc((r->n_hits + 1) * sizeof *t->off);
    if (!t->ms || !t->slots || !t->off) return SQ_E_NOMEM;
    uint32_t ns = 0;
    for (size_t i = 0; i < r->n_hits; i++) {
        const struct tpat_hit *x = &r->hits[i];
        t->ms[t->n_ms] = hit_words(r, d, x);
        t->off[t->n_ms++] = ns;
        for (uint32_t k = 0; k < x->n_slots; k++) {
            const struct tpat_slot *sl = &r->slots[x->slot + k];
            const struct tpat_company *co = &r->companies[sl->company];
            t->slots[ns++] = (struct squawk_tslot){tpat_role_name(p->p, sl->role), co->entity,
                                                   d->v[co->tok_start].start, d->v[co->tok_end - 1].end};
        }
    }
    t->off[t->n_ms] = ns;
    return 0;
}

/* A step budget that cut matching short changes a result: counted and logged, never silent. */
static void tscan_limited(struct squawk_tpack *p, const struct squawk_article *a, size_t n)
{
    uint64_t tot = __atomic_add_fetch(&p->h->tpat_limited, n, __ATOMIC_RELAXED);
    sq_log_limited(SQ_LOG_WARN, "filter.tpat", "pack=%s article=%s limited=%zu total=%llu msg=\"step budget reached: "
                   "some (rule, sentence) pairs were not matched\"", tpat_name(p->p), a->id ? a->id : "", n,
                   (unsigned long long)tot);
}

/* The month an article was written in, which dates "in 2019" or "in July 2024" as earlier (tok_mark_years):
 * its published field, else now, as a live feed's undated article is news of the day. 0: none. */
static int article_month(const struct squawk_article *a, int *year)
{
    time_t t = a->published_ms != INT64_MIN ? (time_t)(a->published_ms / 1000) : time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return *year = 0, 0;
    *year = tm.tm_year + 1900;
    return tm.tm_mon + 1;
}

/* The article's tokens, once for every pack and plugin. */
static int tokenised(article_ctx *c)
{
    if (c->tok_done) return 0;
    int rc = tok_run(&c->tok, c->art.text, c->art.len);
    if (!rc) {
        int year, month = article_month(&c->art, &year);
        tok_mark_years(&c->tok, year, month);
        c->tok_done = 1;
    }
    return rc;
}

_Static_assert((int)SQUAWK_CASE_LOWER == TOK_LOWER && (int)SQUAWK_CASE_TITLE == TOK_TITLE &&
               (int)SQUAWK_CASE_UPPER == TOK_UPPER && (int)SQUAWK_CASE_MIXED == TOK_MIXED &&
               (int)SQUAWK_CASE_DIGIT == TOK_DIGIT && (int)SQUAWK_CASE_PUNCT == TOK_PUNCT &&
               (int)SQUAWK_CASE_OTHER == TOK_OTHER, "squawk_case must equal token.h's tok_case");
_Static_assert(SQUAWK_TOK_NUMBER == TOK_F_NUMBER && SQUAWK_TOK_CURRENCY == TOK_F_CURRENCY &&
               SQUAWK_TOK_ABBREV == TOK_F_ABBREV && SQUAWK_TOK_CASHTAG == TOK_F_CASHTAG &&
               SQUAWK_TOK_TICKER == TOK_F_TICKER && SQUAWK_TOK_HYPHEN == TOK_F_HYPHEN &&
               SQUAWK_TOK_SENT_START == TOK_F_SENT_START && SQUAWK_TOK_SCALE == TOK_F_SCALE,
               "SQUAWK_TOK_* must equal token.h's TOK_F_*");
#define HOST_TOK_FLAGS 0xffu /* the flags the ABI names */

static int svc_tokens(const struct squawk_article *a, const struct squawk_token **out, size_t *n)
{
    article_ctx *c = ctx_of(a);
    int rc = tokenised(c);
    if (rc) return rc;
    if (!c->toks) {
        if (!(c->toks = malloc((c->tok.n ? c->tok.n : 1) * sizeof *c->toks))) return SQ_E_NOMEM;
        for (size_t i = 0; i < c->tok.n; i++) {
            const struct tok *t = &c->tok.v[i];
            c->toks[i] = (struct squawk_token){t->field, t->start, t->end, t->sent, tok_norm(&c->tok, t),
                                               (uint16_t)(t->flags & HOST_TOK_FLAGS), t->cls};
        }
    }
    *out = c->toks;
    *n = c->tok.n;
    return 0;
}

static int tscan_run(struct squawk_tpack *p, const struct squawk_article *a, struct tscan *t)
{
    article_ctx *c = ctx_of(a);
    int rc = tokenised(c);
    if (rc) return rc;
    const struct squawk_mention *men;
    size_t n_men;
    rc = svc_mentions(a, &men, &n_men);
    if (!rc && !c->ids_done && !(rc = tpat_vocab_ids(c->h->vocab, &c->tok, &c->ids))) c->ids_done = 1;
    t->res.gate = p->gate && !rescore_sink_set();
    t->pack = p, t->ctx = c;
    t->res.slot_ok = slot_in_sector, t->res.slot_ctx = t;
    if (!rc) rc = tpat_match_ids(p->p, &c->tok, &c->ids, a->text, men, n_men, &t->res);
    if (!rc && t->res.n_limited) tscan_limited(p, a, t->res.n_limited);
    return rc ? rc : tscan_export(p, c, t);
}

static int svc_tpack_scan(struct squawk_tpack *p, const struct squawk_article *a, const struct squawk_match **out,
                          size_t *n, const struct squawk_tslot **slots, const uint32_t **slot_off)
{
    article_ctx *c = ctx_of(a);
    struct tscan *t = c->tscan[p->index];
    if (!t) {
        if (!(t = calloc(1, sizeof *t))) return SQ_E_NOMEM;
        c->tscan[p->index] = t;
        tpat_result_init(&t->res);
        int rc = tscan_run(p, a, t);
        if (rc) {
            free(t->ms), free(t->slots), free(t->off);
            t->ms = NULL, t->slots = NULL, t->off = NULL;
            t->res.n_hits = t->n_ms = 0;
            return rc;
        }
    }
    *out = t->ms;
    *n = t->ms ? t->n_ms : 0;
    *slots = t->slots;
    *slot_off = t->off;
    return 0;
}

/* The article's anonymous companies, once its mentions were scanned. */
static const filter_mentions *scanned(const article_ctx *c)
{
    return c && c->ment_done ? &c->ment : NULL;
}

static const struct squawk_entity *entity_in(const filter_host *h, const article_ctx *c, uint32_t i)
{
    return h->gaz ? filter_mentions_entity(h->gaz, scanned(c), i) : NULL;
}

static int32_t entity_find_in(const filter_host *h, const article_ctx *c, const char *name)
{
    if (!h->gaz || !name) return -1;
    int32_t e = filter_gaz_find(h->gaz, name);
    return e >= 0 || !scanned(c) ? e : filter_mentions_find(h->gaz, scanned(c), name);
}

/* 1.0 services: the article is the one this thread is processing. */
static const article_ctx *current(const filter_host *h)
{
    return tls_article && tls_article->h == h ? tls_article : NULL;
}

static const struct squawk_entity *svc_entity(const struct squawk_host *s, uint32_t i)
{
    return entity_in(host_of(s), current(host_of(s)), i);
}

static int32_t svc_entity_find(const struct squawk_host *s, const char *name)
{
    return entity_find_in(host_of(s), current(host_of(s)), name);
}

static const struct squawk_entity *svc_article_entity(const struct squawk_article *a, uint32_t i)
{
    return entity_in(ctx_of(a)->h, ctx_of(a), i);
}

static int32_t svc_article_entity_find(const struct squawk_article *a, const char *name)
{
    return entity_find_in(ctx_of(a)->h, ctx_of(a), name);
}

static int svc_amounts(const struct squawk_article *a, const struct squawk_amount **out, size_t *n)
{
    article_ctx *c = ctx_of(a);
    if (!c->amt_done) {
        c->amt_done = 1;
        for (int f = 0; f < SQUAWK_FIELD_N; f++) {
            int rc = filter_amount_extract(a->text[f], a->len[f], (uint32_t)f, &c->amt);
            if (rc) return rc;
        }
    }
    *out = c->amt.v;
    *n = c->amt.n;
    return 0;
}

static const char *const stage_names[SQUAWK_STAGE_N] = {"none", "rumour", "talks", "agreed",
                                                        "completed", "blocked"};

static const char *svc_stage_name(int s)
{
    return s >= 0 && s < SQUAWK_STAGE_N ? stage_names[s] : "none";
}

/* Cue rule ids are "<stage>.<what>": the prefix names the stage. */
static int stage_of_rule(const char *id)
{
    for (int s = 1; s < SQUAWK_STAGE_N; s++) {
        size_t n = strlen(stage_names[s]);
        if (strncmp(id, stage_names[s], n) == 0 && id[n] == '.') return s;
    }
    return SQUAWK_STAGE_NONE;
}

static int svc_cues(const struct squawk_article *a, const struct squawk_cue **out, size_t *n)
{
    article_ctx *c = ctx_of(a);
    if (!c->cue_done) {
        c->cue_done = 1;
        if (c->h->cues) {
            int rc = scan_fields(c->h->cues, a, &c->cue_m);
            if (rc) return rc;
            c->cues = calloc(c->cue_m.n ? c->cue_m.n : 1, sizeof *c->cues);
            if (!c->cues) return SQ_E_NOMEM;
            for (size_t i = 0; i < c->cue_m.n; i++) {
                const struct squawk_match *m = &c->cue_m.v[i];
                const struct squawk_rule *r = filter_matcher_rule(c->h->cues, m->rule);
                c->cues[c->n_cues++] = (struct squawk_cue){stage_of_rule(r->id), m->field, m->start,
                                                           m->end, r->id};
            }
        }
    }
    *out = c->cues;
    *n = c->n_cues;
    return 0;
}

static int svc_report_begin(struct squawk_report *r, const char *category, double score, int stage)
{
    if (!r->alert) {
        r->alert = proto_alert_create();
        if (!r->alert) return r->nomem = 1, SQ_E_NOMEM;
    }
    if (!(score >= 0)) score = 0; /* also NaN */
    if (score > 100) score = 100;
    r->alert->score = score;
    if (proto_alert_set(&r->alert->category, category && *category ? category : r->fname) ||
        proto_alert_set(&r->alert->stage, svc_stage_name(stage)))
        return r->nomem = 1, SQ_E_NOMEM;
    r->begun = 1;
    return 0;
}

static int svc_report_entity(struct squawk_report *r, const char *name, const char *ticker,
                             const char *role, double relevance)
{
    if (!r->begun || !name) return SQ_E_INVAL;
    if (!(relevance >= 0)) relevance = 0;
    if (relevance > 100) relevance = 100;
    return proto_alert_add_entity(r->alert, name, ticker, role, relevance);
}

static int svc_report_amount(struct squawk_report *r, double usd, const char *text)
{
    if (!r->begun) return SQ_E_INVAL;
    return proto_alert_add_amount(r->alert, usd, text ? text : "");
}

/* Keeps a span on UTF-8 character boundaries so the text stays valid. */
static size_t utf8_floor(const char *s, size_t len, size_t i)
{
    if (i > len) i = len;
    while (i > 0 && i < len && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
    return i;
}

#define EVIDENCE_MAX_TEXT 240

static int svc_report_evidence(struct squawk_report *r, const char *rule, int field, uint32_t start,
                               uint32_t end)
{
    if (!r->begun || field < 0 || field >= SQUAWK_FIELD_N) return SQ_E_INVAL;
    const char *s = r->ac->art.text[field];
    size_t len = r->ac->art.len[field];
    size_t a = utf8_floor(s, len, start), b = utf8_floor(s, len, end);
    if (b < a) b = a;
    if (b - a > EVIDENCE_MAX_TEXT) b = utf8_floor(s, len, a + EVIDENCE_MAX_TEXT);
    char buf[EVIDENCE_MAX_TEXT + 1];
    memcpy(buf, s + a, b - a);
    buf[b - a] = '\0';
    for (char *q = buf; *q; q++)
        if (*q == '\n' || *q == '\r' || *q == '\t') *q = ' ';
    uint32_t off = r->ac->skip[field]; /* offsets in the article's own text */
    return proto_alert_add_evidence(r->alert, rule ? rule : "?",
                                    field == SQUAWK_FIELD_HEADLINE ? "headline" : "body",
                                    (uint32_t)a + off, (uint32_t)b + off, buf);
}

/* ---- the scoring engine (1.2) ---- */

/* The plugin whose config init() got is cfg: loaded, or being loaded (its
 * init is running, so it is not counted in n_filters yet). */
static const filter_plugin *plugin_of_config(const filter_host *h, const void *cfg)
{
    for (size_t i = 0; cfg && i <= h->n_filters && i < HOST_MAX_FILTERS; i++)
        if (h->filters[i].p.desc && h->filters[i].p.config == cfg) return &h->filters[i].p;
    return NULL;
}

static int svc_engine_open(const struct squawk_host *s, const struct squawk_engine_spec *spec,
                           struct squawk_engine **out, char *err, size_t errlen)
{
    const filter_plugin *p = spec && spec->size >= offsetof(struct squawk_engine_spec, config) + sizeof spec->config
                                 ? plugin_of_config(host_of(s), spec->config) : NULL;
    if (!p) {
        *out = NULL;
        snprintf(err, errlen, "engine_open: spec.config must be the config init() received");
        return SQ_E_INVAL;
    }
    return filter_engine_open(s, p, spec, out, err, errlen);
}

static void init_services(struct squawk_host *s)
{
    s->abi_major = SQUAWK_FILTER_ABI_MAJOR;
    s->abi_minor = SQUAWK_FILTER_ABI_MINOR;
    s->size = sizeof *s;
    s->log = svc_log;
    s->pack_open = svc_pack_open;
    s->pack_size = svc_pack_size;
    s->pack_rule = svc_pack_rule;
    s->pack_scan = svc_pack_scan;
    s->mentions = svc_mentions;
    s->entity = svc_entity;
    s->entity_find = svc_entity_find;
    s->amounts = svc_amounts;
    s->cues = svc_cues;
    s->stage_name = svc_stage_name;
    s->report_begin = svc_report_begin;
    s->report_entity = svc_report_entity;
    s->report_amount = svc_report_amount;
    s->report_evidence = svc_report_evidence;
    s->tpack_open = svc_tpack_open;
    s->tpack_size = svc_tpack_size;
    s->tpack_rule = svc_tpack_rule;
    s->tpack_scan = svc_tpack_scan;
    s->match_size = sizeof(struct squawk_match);
    s->mention_size = sizeof(struct squawk_mention);
    s->amount_size = sizeof(struct squawk_amount);
    s->cue_size = sizeof(struct squawk_cue);
    s->article_entity = svc_article_entity;
    s->article_entity_find = svc_article_entity_find;
    s->engine_open = svc_engine_open;
    s->engine_process = filter_engine_process;
    s->engine_close = filter_engine_close;
    s->tokens = svc_tokens;
    s->token_size = sizeof(struct squawk_token);
}

/* ---- the host ---- */

static const char *pick(const char *opt, const char *env, const char *def)
{
    if (opt && *opt) return opt;
    const char *e = getenv(env);
    return e && *e ? e : def;
}

int filter_host_create(filter_host **out, const filter_host_opts *o, char *err, size_t errlen)
{
    *out = NULL;
    filter_host_opts none = {0};
    if (!o) o = &none;
    filter_host *h = calloc(1, sizeof *h);
    if (!h) return SQ_E_NOMEM;
    init_services(&h->services);
    h->data_dir = strdup(pick(o->data_dir, "SQUAWK_DATA_DIR", SQUAWK_DATA_DIR));
    h->plugin_dirs = calloc(o->n_plugin_dirs + 1, sizeof *h->plugin_dirs);
    for (size_t i = 0; h->plugin_dirs && i <= o->n_plugin_dirs; i++) {
        const char *d = i < o->n_plugin_dirs ? o->plugin_dirs[i]
                                               : pick(o->plugin_dir, "SQUAWK_PLUGIN_DIR", SQUAWK_PLUGIN_DIR);
        if ((h->plugin_dirs[i] = strdup(d))) h->n_plugin_dirs++;
    }
    h->novelty = filter_novelty_create(o->novelty_window_s ? o->novelty_window_s : 86400, 8192);
    if (!h->data_dir || h->n_plugin_dirs != o->n_plugin_dirs + 1 || !h->novelty) {
        filter_host_destroy(h);
        return SQ_E_NOMEM;
    }
    char path[4096];
    const char *gz = getenv("SQUAWK_GAZETTEER");
    if (gz && *gz) snprintf(path, sizeof path, "%s", gz);
    else snprintf(path, sizeof path, "%s/gazetteer.yml", h->data_dir);
    int rc = filter_gaz_load(&h->gaz, path, err, errlen);
    if (!rc) {
        /* anonymous companies: the options (engine.anonymous_companies),
         * else gazetteer.yml's `anonymous:` (default on) */
        if (o->anonymous) filter_gaz_set_anonymous(h->gaz, o->anonymous > 0);
        snprintf(path, sizeof path, "%s/rules/cues.yml", h->data_dir);
        rc = filter_matcher_load(&h->cues, path, err, errlen);
    }
    if (rc) {
        filter_host_destroy(h);
        return rc;
    }
    bump_gen(h);
    *out = h;
    return 0;
}

void filter_host_destroy(filter_host *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->n_filters; i++) filter_loader_close(&h->filters[i].p);
    for (size_t i = 0; i < h->n_packs; i++) filter_matcher_destroy(h->packs[i].m);
    for (size_t i = 0; i < h->n_tpacks; i++) tpack_free(&h->tpacks[i]);
    tpat_vocab_destroy(h->vocab);
    filter_matcher_destroy(h->cues);
    filter_gaz_destroy(h->gaz);
    filter_novelty_destroy(h->novelty);
    free(h->data_dir);
    for (size_t i = 0; i < h->n_plugin_dirs; i++) free(h->plugin_dirs[i]);
    free(h->plugin_dirs);
    free(h);
    /* The calling thread's scratch is the one tests and `squawk score` own. */
    filter_host_thread_done();
}

int filter_host_resolve(const filter_host *h, const char *name_or_path, char *out, size_t outlen,
                        char *err, size_t errlen)
{
    int rc = filter_loader_resolve(name_or_path, (const char *const *)h->plugin_dirs,
                                   h->n_plugin_dirs, out, outlen);
    if (rc == SQ_E_NOTFOUND) {
        int n = snprintf(err, errlen, "%s: no such plugin in", name_or_path);
        for (size_t i = 0; i < h->n_plugin_dirs && n > 0 && (size_t)n < errlen; i++)
            n += snprintf(err + n, errlen - (size_t)n, "%s %s", i ? "," : "", h->plugin_dirs[i]);
        if (n > 0 && (size_t)n < errlen)
            snprintf(err + n, errlen - (size_t)n, " (engine.plugin_dirs, then the built-in directory)");
    } else if (rc) {
        snprintf(err, errlen, "%s: plugin path too long", name_or_path);
    }
    return rc;
}

/* The deployment's threshold, else the plugin's: its descriptor's
 * default_threshold (1.1), or for a 1.0 plugin its config key `threshold`
 * (else 50) -- which then must not be set twice. */
static int pick_threshold(host_filter *f, double threshold, const char *const *kv, size_t n_kv,
                          char *err, size_t errlen)
{
    const struct squawk_filter *d = f->p.desc;
    if (SQUAWK_HAS(d, struct squawk_filter, default_threshold)) {
        if (!(d->default_threshold >= 0 && d->default_threshold <= 100)) {
            snprintf(err, errlen, "%s: plugin %s: default_threshold %g is not in 0..100", f->p.path,
                     d->name, d->default_threshold);
            return SQ_E_PLUGIN_ABI;
        }
        f->threshold = threshold >= 0 ? threshold : d->default_threshold;
        f->thr_src = threshold >= 0 ? "caller" : "plugin";
        return 0;
    }
    for (size_t i = 0; threshold >= 0 && i < n_kv; i++)
        if (strcmp(kv[2 * i], "threshold") == 0) {
            snprintf(err, errlen, "%s: filter %s: threshold set twice, as threshold %g and as config "
                     "key 'threshold' %s; set only threshold", f->p.path, d->name, threshold,
                     kv[2 * i + 1] ? kv[2 * i + 1] : "");
            return SQ_E_PLUGIN_CONFIG;
        }
    f->thr_src = threshold >= 0 ? "caller" : "plugin";
    if (threshold >= 0) f->threshold = threshold;
    else if (filter_loader_config_double(&f->p, "threshold", &f->threshold) != 0) f->threshold = 50;
    return 0;
}

int filter_host_load(filter_host *h, const char *name_or_path, const char *const *kv, size_t n_kv,
                     double threshold, char *err, size_t errlen)
{
    if (h->n_filters == HOST_MAX_FILTERS) {
        snprintf(err, errlen, "%s: too many filters (max %d)", name_or_path, HOST_MAX_FILTERS);
        return SQ_E_TOO_MANY;
    }
    char path[4096];
    int rc = filter_host_resolve(h, name_or_path, path, sizeof path, err, errlen);
    if (rc) return rc;
    host_filter *f = &h->filters[h->n_filters];
    memset(f, 0, sizeof *f);
    rc = filter_loader_open(&f->p, path, kv, n_kv, err, errlen);
    if (!rc) rc = pick_threshold(f, threshold, kv, n_kv, err, errlen);
    if (rc) {
        filter_loader_close(&f->p);
        return rc;
    }
    char perr[512] = "";
    if (f->p.desc->init) {
        rc = f->p.desc->init(&f->p.ctx, f->p.config, &h->services, perr, sizeof perr);
        if (rc) {
            snprintf(err, errlen, "%s: plugin %s init failed: %s", path, f->p.desc->name,
                     perr[0] ? perr : "(no message)");
            filter_loader_close(&f->p);
            return SQ_E_PLUGIN_INIT;
        }
    }
    f->p.inited = 1;
    h->n_filters++;
    sq_info("filter.load", "file=%s name=%s version=%s threshold=%.1f", path, f->p.desc->name,
            f->p.desc->version ? f->p.desc->version : "?", f->threshold);
    return 0;
}

static int fill_alert(filter_host *h, host_filter *f, proto_alert *al, const proto_article *a,
                      const filter_source *src)
{
    const char *t[1] = {"_"};
    proto_alert_tickers(al, t, 1);
    char id[33];
    proto_alert_make_id(a->id, al->category, t[0], id);
    al->v = PROTO_ALERT_VERSION;
    if (proto_alert_set(&al->id, id) || proto_alert_set(&al->article.id, a->id) ||
        proto_alert_set(&al->article.headline, a->headline) ||
        proto_alert_set(&al->article.source, a->source) || proto_alert_set(&al->article.url, a->url) ||
        proto_alert_set(&al->filter.name, f->p.desc->name) ||
        proto_alert_set(&al->filter.version, f->p.desc->version ? f->p.desc->version : ""))
        return SQ_E_NOMEM;
    al->article.published_ms = a->published_ms;
    al->ts.published_ms = a->published_ms;
    if (src) {
        if (src->topic && proto_alert_set(&al->kafka.topic, src->topic)) return SQ_E_NOMEM;
        al->kafka.partition = src->partition;
        al->kafka.offset = src->offset;
        al->ts.ingest_ns = src->ingest_ns;
    } else {
        al->kafka.partition = -1;
        al->kafka.offset = -1;
    }
    al->ts.emit_ns = sq_clock_realtime_ns();
    return 0;
}

static unsigned novelty_of(filter_host *h, const proto_alert *al, const proto_article *a,
                           int record)
{
    const char *names[16];
    size_t n = 0;
    for (size_t i = 0; i < al->n_entities && n < 16; i++) names[n++] = al->entities[i].name;
    uint64_t key = filter_novelty_key(a->headline, names, n);
    if (!record) return 100;
    return filter_novelty_observe(h->novelty, al->category, key, sq_clock_realtime_ns() / 1000000);
}

static uint64_t article_serial_counter;

uint64_t filter_host_article_serial(const struct squawk_article *a) { return ctx_of(a)->serial; }

/* The per-article state plugins see, scanned lazily. */
static article_ctx *ctx_begin(filter_host *h, const proto_article *a)
{
    article_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->h = h;
    c->serial = __atomic_add_fetch(&article_serial_counter, 1, __ATOMIC_RELAXED);
    c->art.size = sizeof c->art;
    c->art.id = a->id;
    /* the article as the filters read it: the headline without a wire service's slugs ("UPDATE 2-") or the
     * outlet after it (" - Reuters"), the body without its dateline ("NEW YORK, Dec 5 (Reuters) - "), so that
     * their own words open and end them; alerts quote the headline whole */
    const char *hl = a->headline ? a->headline : "", *bd = a->body ? a->body : "";
    size_t hn = a->headline ? a->headline_len : 0, bn = a->body ? a->body_len : 0;
    size_t hs = proto_headline_slugs(hl, hn, PROTO_SLUGS_SENT), bs = proto_body_dateline(bd, bn);
    c->skip[SQUAWK_FIELD_HEADLINE] = (uint32_t)hs;
    c->skip[SQUAWK_FIELD_BODY] = (uint32_t)bs;
    c->art.text[SQUAWK_FIELD_HEADLINE] = hl + hs;
    c->art.len[SQUAWK_FIELD_HEADLINE] = proto_headline_outlet(hl + hs, hn - hs);
    c->art.text[SQUAWK_FIELD_BODY] = bd + bs;
    c->art.len[SQUAWK_FIELD_BODY] = bn - bs;
    c->art.source = a->source ? a->source : "";
    c->art.lang = a->lang ? a->lang : "";
    c->art.published_ms = a->published_ms;
    c->art.url = a->url ? a->url : "";
    c->art.tickers = (const char *const *)a->tickers;
    c->art.n_tickers = a->tickers ? a->n_tickers : 0;
    return c;
}

static void ctx_end(article_ctx *c)
{
    for (size_t i = 0; i < HOST_MAX_PACKS; i++) {
        filter_matches_free(&c->pack_m[i]);
        tscan_free(c->tscan[i]);
    }
    tok_doc_free(&c->tok);
    tpat_ids_free(&c->ids);
    free(c->toks);
    filter_mentions_free(&c->ment);
    filter_amounts_free(&c->amt);
    filter_matches_free(&c->cue_m);
    free(c->cues);
    free(c);
}

const struct squawk_host *filter_host_services(filter_host *h) { return &h->services; }

int filter_host_visit(filter_host *h, const proto_article *a,
                      int (*fn)(const struct squawk_host *, const struct squawk_article *, void *), void *arg)
{
    int rc = ensure_scratch(h);
    if (rc) return rc;
    article_ctx *c = ctx_begin(h, a);
    if (!c) return SQ_E_NOMEM;
    article_ctx *outer = tls_article;
    tls_article = c;
    rc = fn(&h->services, &c->art, arg);
    tls_article = outer;
    ctx_end(c);
    return rc;
}

/* A failed filter is counted and logged; its report is dropped, the article goes on. */
static void filter_failed(host_filter *f, const proto_article *a, int code)
{
    __atomic_add_fetch(&f->errors, 1, __ATOMIC_RELAXED);
    sq_log_limited(SQ_LOG_WARN, "filter.process", "filter=%s article=%s err=%s code=%d",
                   f->p.desc->name, a->id ? a->id : "", sq_err_name(code), code);
}

/* Runs one filter over the article: its alert, or NULL (nothing raised,
 * below threshold, or the filter failed). */
static proto_alert *run_filter(filter_host *h, host_filter *f, article_ctx *c, const proto_article *a,
                               const filter_source *src, int flags)
{
    int all = flags & FILTER_HOST_ALL;
    struct squawk_report r = {c, a, NULL, 0, 0, f->p.desc->name};
    int64_t t0 = sq_clock_mono_ns();
    int rc = f->p.desc->process(f->p.ctx, &c->art, &r);
    /* atomics: a pipeline may share one host between worker threads */
    __atomic_add_fetch(&f->ns, (uint64_t)(sq_clock_mono_ns() - t0), __ATOMIC_RELAXED);
    if (rc == 0 && r.nomem) rc = SQ_E_NOMEM; /* a report service ran out of memory */
    int pass = r.begun && !rc && r.alert->score >= f->threshold;
    if (rc == 0 && r.begun && (pass || all)) {
        if (!r.alert->category && proto_alert_set(&r.alert->category, f->p.desc->name))
            rc = SQ_E_NOMEM;
        if (!rc) rc = fill_alert(h, f, r.alert, a, src);
        if (!rc) {
            if (!(flags & FILTER_HOST_NOVELTY_LATER)) r.alert->novelty = novelty_of(h, r.alert, a, pass);
            else r.alert->novelty = pass ? FILTER_NOVELTY_PENDING : 100; /* as novelty_of: only a pass is recorded */
            if (pass) __atomic_add_fetch(&f->alerts, 1, __ATOMIC_RELAXED);
            return r.alert;
        }
    }
    if (rc) filter_failed(f, a, rc);
    proto_alert_destroy(r.alert);
    return NULL;
}

void filter_host_keep_novelty(filter_host *h, filter_host *old)
{
    if (h && old) filter_novelty_take(h->novelty, old->novelty);
}

void filter_host_novelty(filter_host *h, const proto_article *a, proto_alert **alerts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (alerts[i]->novelty == FILTER_NOVELTY_PENDING) alerts[i]->novelty = novelty_of(h, alerts[i], a, 1);
}

int filter_host_process(filter_host *h, const proto_article *a, const filter_source *src, int flags,
                        proto_alert ***out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    int rc = ensure_scratch(h);
    if (rc) return rc;
    article_ctx *c = ctx_begin(h, a);
    proto_alert **res = calloc(h->n_filters ? h->n_filters : 1, sizeof *res);
    if (!c || !res) {
        free(c);
        free(res);
        return SQ_E_NOMEM;
    }
    size_t n = 0;
    article_ctx *outer = tls_article; /* a plugin could, in theory, run a nested host */
    tls_article = c;
    for (size_t i = 0; i < h->n_filters; i++) {
        proto_alert *al = run_filter(h, &h->filters[i], c, a, src, flags);
        if (al) res[n++] = al;
    }
    tls_article = outer;
    ctx_end(c);
    *out = res;
    *n_out = n;
    return 0;
}

void filter_host_get_stats(filter_host *h, filter_host_stats *out)
{
    memset(out, 0, sizeof *out);
    out->n_filters = h->n_filters;
    for (size_t i = 0; i < h->n_filters && i < 16; i++) {
        out->name[i] = h->filters[i].p.desc->name;
        out->ns[i] = __atomic_load_n(&h->filters[i].ns, __ATOMIC_RELAXED);
        out->alerts[i] = __atomic_load_n(&h->filters[i].alerts, __ATOMIC_RELAXED);
        out->errors[i] = __atomic_load_n(&h->filters[i].errors, __ATOMIC_RELAXED);
    }
}

/* ---- a scratch made on another thread (a reload's worker) ---- */

int filter_host_scratch_make(const filter_host *h, void **out)
{
    hs_scratch_t *s = NULL;
    int rc = grow_scratch(h, &s);
    if (rc) {
        hs_free_scratch(s);
        return rc;
    }
    *out = s;
    return 0;
}

void filter_host_scratch_adopt(const filter_host *h, void *scratch)
{
    if (!scratch) return;
    hs_free_scratch(tls_scratch);
    tls_scratch = scratch;
    tls_gen = h->gen;
}

void filter_host_scratch_free(void *scratch) { hs_free_scratch(scratch); }

void filter_host_thread_done(void)
{
    hs_free_scratch(tls_scratch);
    tls_scratch = NULL;
    tls_gen = 0;
    rescore_thread_done(); /* a worker's rescoring features (filter_threads) */
}

size_t filter_host_compiled_bytes(const filter_host *h)
{
    size_t total = 0, sz;
    for (int cl = 0; h->gaz && cl < 2; cl++)
        if (filter_gaz_db(h->gaz, cl) && hs_database_size(filter_gaz_db(h->gaz, cl), &sz) == HS_SUCCESS)
            total += sz;
    if (h->cues) total += filter_matcher_bytes(h->cues);
    for (size_t i = 0; i < h->n_packs; i++) total += filter_matcher_bytes(h->packs[i].m);
    if (tls_scratch && hs_scratch_size(tls_scratch, &sz) == HS_SUCCESS) total += sz;
    return total;
}

/* ---- for tests and the bench ---- */

const char *filter_host_data_dir(const filter_host *h) { return h->data_dir; }
const char *filter_host_services_data_dir(const struct squawk_host *s) { return host_of(s)->data_dir; }

size_t filter_host_n_filters(const filter_host *h) { return h->n_filters; }

const char *filter_host_filter_name(const filter_host *h, size_t i)
{
    return i < h->n_filters ? h->filters[i].p.desc->name : NULL;
}

const char *filter_host_threshold_source(const filter_host *h, size_t i)
{
    return i < h->n_filters ? h->filters[i].thr_src : NULL;
}

void filter_host_set_threshold_source(filter_host *h, size_t i, const char *src)
{
    if (i < h->n_filters && h->filters[i].threshold >= 0 && strcmp(h->filters[i].thr_src, "plugin"))
        h->filters[i].thr_src = src;
}

int filter_host_threshold(const filter_host *h, size_t i, double *out)
{
    if (i >= h->n_filters) return SQ_E_NOTFOUND;
    *out = h->filters[i].threshold;
    return 0;
}
