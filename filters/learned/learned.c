/* learned.c -- the `learned` filter plugin: a category trained with `squawk train`, explained by its top n-grams. */
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
    double min_score; /* 0..100 */
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
    l->min_score = cfg->threshold >= 0 ? cfg->threshold : 100.0 * l->m->threshold;
    char msg[800];
    snprintf(msg, sizeof msg, "model %s: category %s, alert at p >= %.3f; %s", cfg->model,
             l->m->category, l->min_score / 100.0, l->m->summary);
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

static const lm_feat *learned_feat(const lm_vec *x, uint32_t idx)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x->f[mid].idx < idx) lo = mid + 1;
        else hi = mid;
    }
    return lo < x->n && x->f[lo].idx == idx ? &x->f[lo] : NULL;
}

/* Splits each feature's contribution w*x over its occurrences, sums it per
 * span (a word's character n-grams land on the word), reports the largest. */
static int learned_evidence(const struct learned *l, const struct squawk_article *a, struct squawk_report *r)
{
    lm_vec x = {0};
    lm_spans sp = {0};
    int rc = lm_featurize(&l->m->o, l->m->idf, a->text[0], a->len[0], a->text[1], a->len[1], &x, &sp);
    uint32_t *occ = rc ? NULL : calloc(x.n + 1, sizeof *occ);
    learned_ev *ev = rc ? NULL : malloc((sp.n + 1) * sizeof *ev);
    if (!occ || !ev) rc = -1;
    for (size_t i = 0; i < sp.n && !rc; i++) {
        const lm_feat *f = learned_feat(&x, sp.v[i].idx);
        if (f) occ[f - x.f]++;
    }
    size_t n = 0;
    for (size_t i = 0; i < sp.n && !rc; i++) {
        const lm_feat *f = learned_feat(&x, sp.v[i].idx);
        if (!f) continue;
        double w = (double)l->m->w[f->idx] * f->val / occ[f - x.f];
        ev[n++] = (learned_ev){sp.v[i].field, sp.v[i].start, sp.v[i].end, w};
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
    free(occ);
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
    lm_vec x = {0};
    int rc = lm_featurize(&l->m->o, l->m->idf, a->text[0], a->len[0], a->text[1], a->len[1], &x, NULL);
    double p = rc ? 0 : lm_probability(l->m, lm_margin(l->m, &x));
    lm_vec_free(&x);
    if (rc) return rc;
    if (100.0 * p < l->min_score) return 0;
    rc = h->report_begin(r, l->m->category, 100.0 * p, learned_stage(h, a));
    if (!rc) rc = learned_entities(h, a, r);
    if (!rc) rc = learned_evidence(l, a, r);
    return rc;
}

static void learned_destroy(void *ctx)
{
    struct learned *l = ctx;
    if (!l) return;
    lm_destroy(l->m);
    free(l);
}

SQUAWK_FILTER_DECLARE = {
    SQUAWK_FILTER_HEADER,
    .default_threshold = 0, /* the plugin applies its config key threshold (or the model's) itself */
    .name = "learned",
    .version = "0.1.0",
    .description = "a category trained with `squawk train` (linear model on hashed n-grams)",
    .config = learned_config_map,
    .config_size = sizeof(struct learned_config),
    .init = learned_init,
    .process = learned_process,
    .destroy = learned_destroy,
};
