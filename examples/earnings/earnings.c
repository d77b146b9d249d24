/* earnings.c -- an example out-of-tree squawk filter (ABI 1.2): earnings guidance raised, cut or affirmed, scored by the host's engine over the plugin's own pack. */
#include <squawk_filter.h>
#include <stdio.h>
#include <stdlib.h>

/* The engine's settings this plugin lets a deployment tune (`--set
 * earnings.bias=5`), with its own defaults: the engine finds them here by
 * name. Every other engine setting keeps the engine's default. */
struct earnings_config {
    double bias, headline_bonus, stage_bonus;
    int64_t lead_bytes;
};

static const struct squawk_config_entry earnings_config_map[] = {
    {"bias", SQUAWK_CFG_DOUBLE, "4.0", "evidence sum that scores 50", offsetof(struct earnings_config, bias)},
    {"headline_bonus", SQUAWK_CFG_DOUBLE, "2.0", "added when a guidance phrase is in the headline",
     offsetof(struct earnings_config, headline_bonus)},
    {"stage_bonus", SQUAWK_CFG_DOUBLE, "0", "deal stages (talks, agreed) say nothing about guidance",
     offsetof(struct earnings_config, stage_bonus)},
    {"lead_bytes", SQUAWK_CFG_INT, "400", "body bytes that count as the lead", offsetof(struct earnings_config, lead_bytes)},
    {NULL, 0, NULL, NULL, 0},
};

/* What the engine does for this plugin: the pack's slot roles, and the pack
 * file itself, found next to earnings.so wherever it is installed. */
static const struct squawk_engine_spec earnings_spec = {
    .size = sizeof(struct squawk_engine_spec),
    .category = "earnings",
    .role_a = "issuer",   /* the company whose guidance moved */
    .role_b = "customer", /* whose demand moved it ("citing demand from Nvidia") */
    .flags = SQUAWK_ENGINE_SKIP_REGULATORS,
    .pack = "earnings.yml",
};

struct earnings {
    const struct squawk_host *host; /* per instance: one .so may serve several hosts (a reload) */
    struct squawk_engine *engine;
};

static int earnings_init(void **ctx, const void *config, const struct squawk_host *host, char *err,
                         size_t errlen)
{
    if (!SQUAWK_HOST_HAS(host, engine_close)) {
        snprintf(err, errlen, "needs a squawk speaking filter ABI 1.2 or later (the scoring engine)");
        return SQUAWK_E_NOTIMPL;
    }
    struct earnings *e = calloc(1, sizeof *e);
    if (!e) return SQUAWK_E_NOMEM;
    struct squawk_engine_spec spec = earnings_spec;
    spec.config = config; /* how the host knows which plugin asks, and where its .so is */
    e->host = host;
    int rc = host->engine_open(host, &spec, &e->engine, err, errlen);
    if (rc) {
        free(e);
        return rc;
    }
    *ctx = e;
    return 0;
}

/* Tokens, pattern hits with their company slots, vetoes, evidence, roles,
 * amounts and the calibrated score: all the host's. An error code is counted
 * by the host and the report dropped; the article is done either way. */
static int earnings_process(void *ctx, const struct squawk_article *a, struct squawk_report *r)
{
    struct earnings *e = ctx;
    return e->host->engine_process(e->engine, a, r);
}

static void earnings_destroy(void *ctx)
{
    struct earnings *e = ctx;
    e->host->engine_close(e->engine);
    free(e);
}

SQUAWK_FILTER_DECLARE = {
    SQUAWK_FILTER_HEADER,
    .default_threshold = 40, /* a deployment's `threshold:` overrides it */
    .name = "earnings",
    .version = "0.2.0",
    .description = "example: earnings guidance raised, cut or affirmed: issuer and customer",
    .config = earnings_config_map,
    .config_size = sizeof(struct earnings_config),
    .init = earnings_init,
    .process = earnings_process,
    .destroy = earnings_destroy,
};
