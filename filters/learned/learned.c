/* learned.c -- the `learned` filter plugin: a category trained with `squawk train`, explained by its top n-grams. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmodel.h"
#include "squawk_filter.h"

#define LEARNED_EVIDENCE 5 /* n-grams reported per alert */
#define LEARNED_ENTITIES 4

struct learned_config {
    const char *model;
    double threshold;
};

static const struct squawk_config_entry learned_config_map[] = {
    {"model", SQUAWK_CFG_STRING, "", "model file written by `squawk train` (required)",
     offsetof(struct learned_config, model)},
    {"threshold", SQUAWK_CFG_DOUBLE, "-1",
     "alert when probability x 100 >= this; below 0: the model's own CV-picked threshold",
     offsetof(struct learned_config, threshold)},
    {NULL, 0, NULL, NULL, 0},
};

struct learned {
    const struct squawk_host *host;
    lm_model *m;
    double min_score[LM_MAX_OUTPUTS]; /* 0..100, per category */
    lm_engine eng; /* the packs, when the model uses the engine's evidence */
    /* scratch features kept between articles (no allocation per article);
     * a worker that finds it taken uses its own */
    _Atomic(lm_vec *) spare;
};

static int learned_init(void **ctx, const void *config, const struct squawk_host *host, char *err,
                        size_t errlen)
{
    const struct learned_config *cfg = config;
    if (!cfg->model || !cfg->model[0]) {
        snprintf(err, errlen, "config key 'model' is required: the path of a `squawk train` model file");
        return -1;
    }
    if (cfg->threshold > 100) {
        snprintf(err, errlen, "config key 'threshold' is %g: want at most 100 (or < 0 for the model's)", cfg->threshold);
        return -1;
    }
    struct learned *l = calloc(1, sizeof *l);
    if (!l) return -1;
    /* the error names the file and the reason; the host adds the plugin */
    if (lm_load(&l->m, cfg->model, err, errlen) != 0) {
        free(l);
        return -1;
    }
    l->host = host;
    if (l->m->o.rules && lm_engine_open_evidence(&l->eng, host, l->m->o.evidence, err, errlen) != 0) {
        lm_destroy(l->m);
        free(l);
        return -1;
    }
    char msg[1600];
    if (l->m->o.rules && lm_rules_stale(l->m, host, l->eng.tpacks, LM_ENGINE_PACKS, cfg->model, msg, sizeof msg))
        host->log(host, SQUAWK_LOG_WARN, "learned", msg);
    size_t n = (size_t)snprintf(msg, 300, "model %.250s:", cfg->model);
    for (size_t i = 0; i < l->m->n_out; i++) {
        l->min_score[i] = cfg->threshold >= 0 ? cfg->threshold : 100.0 * l->m->out[i].threshold;
        /* the screen holds for the model's thresholds, not for lower ones */
        if (l->min_score[i] < 100.0 * l->m->out[i].threshold) l->m->n_screen = 0;
        n += (size_t)snprintf(msg + n, 100, " category %.64s at p >= %.3f;", l->m->out[i].category,
                              l->min_score[i] / 100.0);
    }
    snprintf(msg + n, sizeof msg - n, " %s", l->m->summary);
    host->log(host, SQUAWK_LOG_INFO, "learned", msg);
    *ctx = l;
    return 0;
}

/* One explained n-gram: a span and its share of the margin. */
typedef struct learned_ev {
    uint32_t field, start, end;
    double w;
} learned_ev;

static int learned_cmp_span(const void *a, const void *b)
{
    const learned_ev *x = a, *y = b;
    if (x->field != y->field) return x->field < y->field ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int learned_cmp_w(const void *a, const void *b)
{
    const learned_ev *x = a, *y = b;
    return x->w > y->w ? -1 : x->w < y->w;
}

/* Splits each feature's contribution w*x over its occurrences, sums it per
 * span (a word's character n-grams land on the word), reports the largest.
 * In a multi-class model a feature's weight is its class's minus the rival's:
 * what made this category beat the runner-up. */
static int learned_evidence(const struct learned *l, const lm_out *o, uint32_t rival,
                            const struct squawk_article *a, struct squawk_report *r)
{
    lm_vec x = {0};
    lm_spans sp = {0};
    const lm_model *lm = l->m;
    lm_engine e = l->eng;
    e.a = a;
    int rc = lm_featurize_eng(&lm->o, lm->idf, a->text[0], a->len[0], a->text[1], a->len[1], &e, &x, &sp, 0);
    learned_ev *ev = rc ? NULL : malloc((sp.n + 1) * sizeof *ev);
    if (!ev) rc = -1;
    size_t n = 0;
    for (size_t i = 0; i < sp.n && !rc; i++) {
        uint32_t occ;
        const lm_feat *f = lm_vec_find(&x, sp.v[i].key, &occ);
        if (!f) continue;
        const float *row = lm->w + (size_t)f->idx * lm->n_class;
        double wk = lm->n_class == 1 ? row[0] : (double)row[o->cls] - row[rival];
        double w = wk * f->val / occ;
        /* a word's character n-grams follow each other: one entry for the word */
        if (n && ev[n - 1].field == sp.v[i].field && ev[n - 1].start == sp.v[i].start && ev[n - 1].end == sp.v[i].end)
            ev[n - 1].w += w;
        else ev[n++] = (learned_ev){sp.v[i].field, sp.v[i].start, sp.v[i].end, w};
    }
    if (!rc) qsort(ev, n, sizeof *ev, learned_cmp_span);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && !learned_cmp_span(&ev[m - 1], &ev[i])) ev[m - 1].w += ev[i].w;
        else ev[m++] = ev[i];
    }
    if (!rc) qsort(ev, m, sizeof *ev, learned_cmp_w);
    for (size_t i = 0; i < m && i < LEARNED_EVIDENCE && !rc && ev[i].w > 0; i++) {
        char rule[48];
        snprintf(rule, sizeof rule, "ngram:%+.3f", ev[i].w);
        rc = l->host->report_evidence(r, rule, (int)ev[i].field, ev[i].start, ev[i].end);
    }
    free(ev);
    lm_vec_free(&x);
    lm_spans_free(&sp);
    return rc;
}

/* The stage the article's cues vote for (headline cues count twice); a firm stage beats a rumour. */
static int learned_stage(const struct squawk_host *h, const struct squawk_article *a)
{
    const struct squawk_cue *cu;
    size_t n;
    if (h->cues(a, &cu, &n) != 0) return SQUAWK_STAGE_NONE;
    double tally[SQUAWK_STAGE_N] = {0};
    for (size_t k = 0; k < n; k++)
        if (cu[k].stage > 0 && cu[k].stage < SQUAWK_STAGE_N)
            tally[cu[k].stage] += cu[k].field == SQUAWK_FIELD_HEADLINE ? 2 : 1;
    int stage = SQUAWK_STAGE_NONE;
    for (int s = SQUAWK_STAGE_TALKS; s < SQUAWK_STAGE_N; s++)
        if (tally[s] > 0 && (stage == SQUAWK_STAGE_NONE || tally[s] > tally[stage])) stage = s;
    return stage == SQUAWK_STAGE_NONE && tally[SQUAWK_STAGE_RUMOUR] > 0 ? SQUAWK_STAGE_RUMOUR : stage;
}

/* The engine's companies and regulators: the first company named is the
 * subject, later ones parties; headline mentions are more relevant. */
static int learned_entities(const struct squawk_host *h, const struct squawk_article *a, struct squawk_report *r)
{
    const struct squawk_mention *m;
    size_t n;
    int rc = h->mentions(a, &m, &n);
    uint32_t shown[LEARNED_ENTITIES];
    size_t n_shown = 0;
    for (size_t i = 0; !rc && i < n && n_shown < LEARNED_ENTITIES; i++) {
        if (m[i].ambiguous && !m[i].confirmed) continue;
        const struct squawk_entity *e = h->article_entity(a, m[i].entity);
        int dup = 0;
        for (size_t k = 0; k < n_shown; k++) dup |= shown[k] == m[i].entity;
        if (!e || dup) continue;
        int regulator = e->kind && !strcmp(e->kind, "regulator");
        size_t companies = 0;
        for (size_t k = 0; k < n_shown; k++) {
            const struct squawk_entity *s = h->article_entity(a, shown[k]);
            companies += s && !(s->kind && !strcmp(s->kind, "regulator"));
        }
        const char *role = regulator ? "regulator" : companies ? "party" : "subject";
        rc = h->report_entity(r, e->name, e->ticker, role, m[i].field == SQUAWK_FIELD_HEADLINE ? 80 : 50);
        shown[n_shown++] = m[i].entity;
    }
    const struct squawk_amount *am;
    if (!rc) rc = h->amounts(a, &am, &n);
    for (size_t k = 0; !rc && k < n && k < 3; k++) {
        char text[64];
        size_t l = am[k].end - am[k].start < sizeof text - 1 ? am[k].end - am[k].start : sizeof text - 1;
        memcpy(text, a->text[am[k].field] + am[k].start, l);
        text[l] = '\0';
        rc = h->report_amount(r, am[k].usd, text);
    }
    return rc;
}

static int learned_process(void *ctx, const struct squawk_article *a, struct squawk_report *r)
{
    struct learned *l = ctx;
    const struct squawk_host *h = l->host;
    lm_vec *x = atomic_exchange(&l->spare, NULL);
    if (!x && !(x = calloc(1, sizeof *x))) return -1;
    double s[LM_MAX_CLASSES], p[LM_MAX_OUTPUTS];
    lm_engine e = l->eng;
    e.a = a;
    int rc = lm_predict(l->m, x, a->text[0], a->len[0], a->text[1], a->len[1], &e, s, p);
    lm_vec *none = NULL;
    if (!atomic_compare_exchange_strong(&l->spare, &none, x)) {
        lm_vec_free(x);
        free(x);
    }
    if (rc) return rc;
    /* at most one alert: the most probable category past its threshold */
    int best = -1;
    for (size_t i = 0; i < l->m->n_out; i++)
        if (100.0 * p[i] >= l->min_score[i] && (best < 0 || p[i] > p[best])) best = (int)i;
    if (best < 0) return 0;
    const lm_out *o = &l->m->out[best];
    rc = h->report_begin(r, o->category, 100.0 * p[best], learned_stage(h, a));
    if (!rc) rc = learned_entities(h, a, r);
    if (!rc) rc = learned_evidence(l, o, lm_rival(l->m, o, s), a, r);
    return rc;
}

static void learned_destroy(void *ctx)
{
    struct learned *l = ctx;
    if (!l) return;
    lm_destroy(l->m);
    lm_vec *x = atomic_load(&l->spare);
    if (x) lm_vec_free(x);
    free(x);
    free(l);
}

SQUAWK_FILTER_DECLARE = {
    SQUAWK_FILTER_HEADER,
    .default_threshold = 0, /* the plugin applies its config key threshold (or the model's) itself */
    .name = "learned",
    .version = "0.2.0",
    .description = "a category trained with `squawk train` (linear model on hashed n-grams)",
    .config = learned_config_map,
    .config_size = sizeof(struct learned_config),
    .init = learned_init,
    .process = learned_process,
    .destroy = learned_destroy,
};
