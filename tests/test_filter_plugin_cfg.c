/* test_filter_plugin_cfg.c -- a small valid plugin for test_filters: a typed config map, an
 * init that fails on request, and a keyword alert, to exercise the loader's checks. */
#include <stdio.h>
#include <string.h>
#include "abi/squawk_filter_1_0.h" /* a plugin built for ABI 1.0: it still loads */

struct cfg {
    int fail;
    int64_t times;
    double threshold;
    const char *word;
};

static const struct squawk_config_entry cfg_map[] = {
    {"fail", SQUAWK_CFG_BOOL, "false", "make init fail", offsetof(struct cfg, fail)},
    {"times", SQUAWK_CFG_INT, "1", "how many times the word must appear", offsetof(struct cfg, times)},
    {"threshold", SQUAWK_CFG_DOUBLE, "30", "alert threshold", offsetof(struct cfg, threshold)},
    {"word", SQUAWK_CFG_STRING, "merger", "the keyword", offsetof(struct cfg, word)},
    {NULL, 0, NULL, NULL, 0},
};

struct state {
    const struct squawk_host *host;
    const struct cfg *cfg;
};

static struct state st;

static int p_init(void **ctx, const void *config, const struct squawk_host *host, char *err,
                  size_t errlen)
{
    const struct cfg *c = config;
    if (c->fail) {
        snprintf(err, errlen, "asked to fail (word=%s times=%lld)", c->word, (long long)c->times);
        return -1;
    }
    st.host = host;
    st.cfg = c;
    *ctx = &st;
    return 0;
}

static int p_process(void *ctx, const struct squawk_article *a, struct squawk_report *r)
{
    struct state *s = ctx;
    const char *p = a->text[SQUAWK_FIELD_HEADLINE];
    int64_t n = 0;
    const char *first = NULL;
    while ((p = strstr(p, s->cfg->word)) != NULL) {
        if (!first) first = p;
        n++;
        p++;
    }
    if (n < s->cfg->times) return 0;
    s->host->report_begin(r, "keyword", 40.0 + 10.0 * (double)n, SQUAWK_STAGE_NONE);
    uint32_t at = (uint32_t)(first - a->text[SQUAWK_FIELD_HEADLINE]);
    return s->host->report_evidence(r, "keyword.word", SQUAWK_FIELD_HEADLINE, at,
                                    at + (uint32_t)strlen(s->cfg->word));
}

SQUAWK_FILTER_DECLARE = {
    SQUAWK_FILTER_HEADER,
    .name = "cfgtest",
    .version = "0.1.0",
    .description = "keyword plugin for loader tests",
    .config = cfg_map,
    .config_size = sizeof(struct cfg),
    .init = p_init,
    .process = p_process,
};
