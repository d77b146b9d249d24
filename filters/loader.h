/* loader.h -- opens a filter plugin .so, checks its ABI and fills its config struct. */
#ifndef FILTER_LOADER_H
#define FILTER_LOADER_H

#include <stddef.h>
#include "../core/visibility.h"
#include <stdint.h>
#include "squawk_filter.h"

typedef struct filter_plugin {
    void *dl;
    const struct squawk_filter *desc;
    char *path;
    void *config;    /* config_size bytes, filled from defaults then overrides */
    char **strings;  /* STRING values the config points into */
    size_t n_strings;
    void *ctx;       /* the plugin's own state after init */
    int inited;
} filter_plugin;

/* Resolves "invest" (or "invest.so") to the first existing <dir>/invest.so of
 * dirs; "x.so" also to ./x.so; a name with '/' is used as is. Writes the path
 * into out; SQ_E_NOTFOUND when no directory has it, SQ_E_INVAL when it does
 * not fit. */
SQ_API int filter_loader_resolve(const char *name_or_path, const char *const *dirs, size_t n_dirs,
                                 char *out, size_t outlen);
/* dlopen(RTLD_NOW|RTLD_LOCAL) + permission, symbol, ABI and config checks.
 * kv holds n_kv (key, value) pairs. Every error message names the file. */
SQ_API int filter_loader_open(filter_plugin *p, const char *path, const char *const *kv, size_t n_kv,
                       char *err, size_t errlen);
/* Calls destroy (when inited), frees the config and dlcloses. */
SQ_API void filter_loader_close(filter_plugin *p);
/* The i-th entry of desc's config map (stepped by the size it was built
 * with), or NULL past a map that is absent; the map ends at a NULL key. */
SQ_API const struct squawk_config_entry *filter_loader_entry(const struct squawk_filter *desc, size_t i);
/* Fills p->config from desc's map (defaults, then the kv pairs) with no .so:
 * the host's own typed settings (the scoring engine's). Errors name `what`
 * (a file), the key and the reason. filter_loader_close frees it. */
SQ_API int filter_loader_fill(filter_plugin *p, const struct squawk_filter *desc, const char *what,
                              const char *const *kv, size_t n_kv, char *err, size_t errlen);
/* Reads a DOUBLE or INT config value by key; SQ_E_NOTFOUND when absent. */
SQ_API int filter_loader_config_double(const filter_plugin *p, const char *key, double *out);

#endif
