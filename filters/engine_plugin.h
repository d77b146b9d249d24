/* engine_plugin.h -- a built-in filter is a spec and a config map: its init, process and destroy run the host's scoring engine (ABI 1.2). */
#ifndef FILTER_ENGINE_PLUGIN_H
#define FILTER_ENGINE_PLUGIN_H

#include <stdio.h>
#include <stdlib.h>
#include "squawk_filter.h"

/* The plugin's state: the engine, and the table to reach it through
 * (a plugin's statics are shared by every host that loads the .so). */
struct engine_plugin {
    const struct squawk_host *host;
    struct squawk_engine *engine;
};

static inline int engine_plugin_init(void **ctx, const struct squawk_engine_spec *spec, const void *config,
                                     const struct squawk_host *host, char *err, size_t errlen)
{
    if (!SQUAWK_HOST_HAS(host, engine_close)) {
        snprintf(err, errlen, "needs filter ABI 1.2 (the host's scoring engine); host table of %u bytes", host->size);
        return SQUAWK_E_NOTIMPL;
    }
    struct engine_plugin *p = malloc(sizeof *p);
    if (!p) return SQUAWK_E_NOMEM;
    struct squawk_engine_spec s = *spec;
    s.config = config;
    p->host = host;
    int rc = host->engine_open(host, &s, &p->engine, err, errlen);
    if (rc) {
        free(p);
        return rc;
    }
    *ctx = p;
    return 0;
}

static inline int engine_plugin_process(void *ctx, const struct squawk_article *a, struct squawk_report *r)
{
    struct engine_plugin *p = ctx;
    return p->host->engine_process(p->engine, a, r);
}

static inline void engine_plugin_destroy(void *ctx)
{
    struct engine_plugin *p = ctx;
    p->host->engine_close(p->engine);
    free(p);
}

#endif
