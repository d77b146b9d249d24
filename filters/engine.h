/* engine.h -- the scoring engine (detect.c), once in the host, behind the host table's engine_open/process/close (ABI 1.2). */
#ifndef FILTER_ENGINE_H
#define FILTER_ENGINE_H

#include <stddef.h>
#include "../core/visibility.h"
#include "loader.h"
#include "squawk_filter.h"

/* Opens an engine for plugin p (loaded, its config filled) as spec asks:
 * the engine's settings are p's config keys of the same names; the pack is
 * spec->pack beside p's .so unless p's config key `pack` names one. */
SQ_API int filter_engine_open(const struct squawk_host *h, const filter_plugin *p,
                              const struct squawk_engine_spec *spec, struct squawk_engine **out, char *err,
                              size_t errlen);
SQ_API int filter_engine_process(struct squawk_engine *e, const struct squawk_article *a, struct squawk_report *r);
SQ_API void filter_engine_close(struct squawk_engine *e);

/* The engine's setting called key (its type and default), or NULL. */
SQ_API const struct squawk_config_entry *filter_engine_key(const char *key);

#endif
