/* earnings.c -- an example out-of-tree squawk filter (ABI 1.1): earnings guidance raised, cut or affirmed. */
#include <squawk_filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plugin's config: the host fills it from the map below, rejecting unknown keys. */
struct earnings_config {
    double per_rule;
    const char *pack;
};

static const struct squawk_config_entry earnings_config_map[] = {
    {"per_rule", SQUAWK_CFG_DOUBLE, "35", "score added per matching guidance phrase", offsetof(struct earnings_config, per_rule)},
    {"pack", SQUAWK_CFG_STRING, "", "optional rule pack name; empty = built-in phrases", offsetof(struct earnings_config, pack)},
    {NULL, 0, NULL, NULL, 0},
};

struct earnings {
    const struct squawk_host *host;
    const struct earnings_config *cfg;
};

/* Guidance phrases kept in code so the example needs no data files. */
static const char *const phrases[] = {"raised its guidance", "raises guidance", "cut its guidance",
    "cuts guidance", "lowered its forecast", "raised its forecast", "full-year outlook",
    "profit warning", "reaffirmed its guidance", "guidance for", NULL};

static int earnings_init(void **ctx, const void *config, const struct squawk_host *host, char *err,
                         size_t errlen)
{
    /* article_entity and the element sizes are ABI 1.1 services */
    if (!SQUAWK_HOST_HAS(host, article_entity_find)) {
        snprintf(err, errlen, "needs a squawk speaking filter ABI 1.1 or later");
        return SQUAWK_E_NOTIMPL;
    }
    struct earnings *e = calloc(1, sizeof *e);
    if (!e) return SQUAWK_E_NOMEM;
    e->host = host;
    e->cfg = config;
    *ctx = e;
    return 0;
}

static int earnings_process(void *ctx, const struct squawk_article *a, struct squawk_report *r)
{
    struct earnings *e = ctx;
    const struct squawk_host *h = e->host;
    double score = 0;
    int begun = 0;
    for (int f = 0; f < SQUAWK_FIELD_N; f++)
        for (size_t k = 0; phrases[k]; k++) {
            const char *p = strstr(a->text[f], phrases[k]);
            if (!p) continue;
            score += e->cfg->per_rule * (f == SQUAWK_FIELD_HEADLINE ? 1.5 : 1.0);
            if (!begun) {
                h->report_begin(r, "earnings", 0, SQUAWK_STAGE_NONE);
                begun = 1;
            }
            uint32_t at = (uint32_t)(p - a->text[f]);
            h->report_evidence(r, phrases[k], f, at, at + (uint32_t)strlen(phrases[k]));
        }
    if (!begun) return 0;
    /* Name the companies the host's gazetteer found, stepping by the host's
     * element size so a newer host's larger struct squawk_mention still reads right. */
    const struct squawk_mention *m;
    size_t n;
    int rc = h->mentions(a, &m, &n);
    for (size_t i = 0, shown = 0; rc == 0 && i < n && shown < 3; i++) {
        const struct squawk_mention *mi = SQUAWK_AT(struct squawk_mention, m, i, h->mention_size);
        const struct squawk_entity *ent = h->article_entity(a, mi->entity);
        if (!ent || !mi->confirmed) continue;
        rc = h->report_entity(r, ent->name, ent->ticker, "subject", 80);
        shown++;
    }
    /* no company found: the feed's ticker hints say whose guidance it is */
    for (size_t i = 0; rc == 0 && n == 0 && i < a->n_tickers; i++)
        rc = h->report_entity(r, a->tickers[i], a->tickers[i], "subject", 60);
    /* An error code is counted by the host and the report dropped; the article is done. */
    return rc ? rc : h->report_begin(r, "earnings", score > 100 ? 100 : score, SQUAWK_STAGE_NONE);
}

static void earnings_destroy(void *ctx)
{
    free(ctx);
}

SQUAWK_FILTER_DECLARE = {
    SQUAWK_FILTER_HEADER,
    .default_threshold = 40, /* a deployment's `threshold:` overrides it */
    .name = "earnings",
    .version = "0.1.0",
    .description = "example: earnings guidance raised, cut or affirmed",
    .config = earnings_config_map,
    .config_size = sizeof(struct earnings_config),
    .init = earnings_init,
    .process = earnings_process,
    .destroy = earnings_destroy,
};
