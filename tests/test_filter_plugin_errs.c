/* test_filter_plugin_errs.c -- an ABI 1.1 test plugin: returns the error code a headline asks for
 * ("code -3 ..."), else alerts with the article's url, ticker hints and first company; for the
 * error-rule and 1.0/1.1 loading tests. */
#include <stdlib.h>
#include <string.h>
#include "abi/squawk_filter_1_1.h" /* a plugin built for ABI 1.1, frozen: it still loads */

struct errs_config {
    int64_t score;
};

static const struct squawk_config_entry errs_map[] = {
    {"score", SQUAWK_CFG_INT, "70", "score of every alert", offsetof(struct errs_config, score)},
    {NULL, 0, NULL, NULL, 0},
};

struct errs {
    const struct squawk_host *host;
    const struct errs_config *cfg;
};

static int errs_init(void **ctx, const void *config, const struct squawk_host *host, char *err,
                     size_t errlen)
{
    if (!SQUAWK_HOST_HAS(host, article_entity_find)) return SQUAWK_E_NOTIMPL; /* needs a 1.1 host */
    struct errs *e = calloc(1, sizeof *e);
    if (!e) return SQUAWK_E_NOMEM;
    e->host = host;
    e->cfg = config;
    *ctx = e;
    return 0;
}

/* The hints the feed sent, and the first gazetteer company, as entities. */
static int errs_entities(const struct squawk_host *h, const struct squawk_article *a, struct squawk_report *r)
{
    int rc = 0;
    if (SQUAWK_ARTICLE_HAS(a, n_tickers))
        for (size_t i = 0; i < a->n_tickers && !rc; i++)
            rc = h->report_entity(r, a->tickers[i], a->tickers[i], "subject", 90);
    if (!rc && SQUAWK_ARTICLE_HAS(a, url) && a->url[0])
        rc = h->report_entity(r, a->url, NULL, "mentioned", 1);
    const struct squawk_mention *m;
    size_t n;
    if (!rc && h->mentions(a, &m, &n) == 0)
        for (size_t i = 0; i < n && !rc; i++) {
            const struct squawk_mention *mi = SQUAWK_AT(struct squawk_mention, m, i, h->mention_size);
            const struct squawk_entity *e = h->article_entity(a, mi->entity);
            if (!e || !mi->confirmed) continue;
            rc = h->report_entity(r, e->name, e->ticker, "target", 80);
            break;
        }
    return rc;
}

static int errs_process(void *ctx, const struct squawk_article *a, struct squawk_report *r)
{
    struct errs *e = ctx;
    const struct squawk_host *h = e->host;
    const char *hl = a->text[SQUAWK_FIELD_HEADLINE];
    /* begun first: what a failing plugin reported must not reach a sink */
    int rc = h->report_begin(r, "errs", (double)e->cfg->score, SQUAWK_STAGE_NONE);
    if (!rc && strncmp(hl, "code ", 5) == 0) return atoi(hl + 5);
    if (!rc) rc = h->report_evidence(r, "errs.any", SQUAWK_FIELD_HEADLINE, 0, (uint32_t)strlen(hl));
    return rc ? rc : errs_entities(h, a, r);
}

static void errs_destroy(void *ctx) { free(ctx); }

SQUAWK_FILTER_DECLARE = {
    SQUAWK_FILTER_HEADER,
    .name = "errs",
    .version = "1.1.0",
    .description = "test: fails with the code a headline asks for",
    .config = errs_map,
    .config_size = sizeof(struct errs_config),
    .init = errs_init,
    .process = errs_process,
    .destroy = errs_destroy,
    .default_threshold = 60,
};
