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
/* Reads a DOUBLE or INT config value by key; SQ_E_NOTFOUND when absent. */
SQ_API int filter_loader_config_double(const filter_plugin *p, const char *key, double *out);

#endif
