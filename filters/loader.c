/* loader.c -- opens a filter plugin .so, checks its ABI and fills its config struct. */
#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/error.h"

static int fits(int n, size_t outlen) { return n >= 0 && (size_t)n < outlen; }

int filter_loader_resolve(const char *name, const char *const *dirs, size_t n_dirs, char *out,
                          size_t outlen)
{
    if (strchr(name, '/')) return fits(snprintf(out, outlen, "%s", name), outlen) ? 0 : SQ_E_INVAL;
    size_t nl = strlen(name);
    int has_so = nl > 3 && strcmp(name + nl - 3, ".so") == 0;
    for (size_t i = 0; i < n_dirs; i++) {
        if (!fits(snprintf(out, outlen, "%s/%s%s", dirs[i], name, has_so ? "" : ".so"), outlen))
            return SQ_E_INVAL;
        if (access(out, F_OK) == 0) return 0;
    }
    /* "layoffs.so": a file name, also where the user stands */
    if (has_so && fits(snprintf(out, outlen, "./%s", name), outlen) && access(out, F_OK) == 0) return 0;
    return SQ_E_NOTFOUND;
}

/* The descriptor's config map, stepped by the entry size it was built with. */
static const struct squawk_config_entry *entry_at(const struct squawk_filter *d, size_t i)
{
    size_t stride = SQUAWK_HAS(d, struct squawk_filter, config_entry_size) && d->config_entry_size
                        ? d->config_entry_size
                        : sizeof(struct squawk_config_entry);
    return d->config ? SQUAWK_AT(struct squawk_config_entry, d->config, i, stride) : NULL;
}

/* A plugin anyone can replace is code anyone can run inside squawk. */
static int check_perm(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: cannot open plugin: %s", path, strerror(errno));
        return SQ_E_PLUGIN_OPEN;
    }
    if (st.st_mode & S_IWOTH) {
        snprintf(err, errlen, "%s: refusing plugin: file is world-writable", path);
        return SQ_E_PLUGIN_PERM;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    const char *d = dirname(dir);
    if (stat(d, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
        snprintf(err, errlen, "%s: refusing plugin: directory %s is world-writable", path, d);
        return SQ_E_PLUGIN_PERM;
    }
    return 0;
}

static const char *type_name(int t)
{
    switch (t) {
    case SQUAWK_CFG_BOOL: return "bool";
    case SQUAWK_CFG_INT: return "int";
    case SQUAWK_CFG_DOUBLE: return "double";
    case SQUAWK_CFG_STRING: return "string";
    default: return "?";
    }
}

static size_t type_size(int t)
{
    switch (t) {
    case SQUAWK_CFG_BOOL: return sizeof(int);
    case SQUAWK_CFG_INT: return sizeof(int64_t);
    case SQUAWK_CFG_DOUBLE: return sizeof(double);
    case SQUAWK_CFG_STRING: return sizeof(const char *);
    default: return 0;
    }
}

static int set_value(filter_plugin *p, const struct squawk_config_entry *e, const char *v,
                     char *why, size_t whylen)
{
    char *base = (char *)p->config + e->offset;
    char *end;
    errno = 0;
    switch (e->type) {
    case SQUAWK_CFG_BOOL: {
        int b = sq_config_parse_bool(v);
        if (b < 0) {
            snprintf(why, whylen, "'%s' is not a bool", v);
            return SQ_E_INVAL;
        }
        memcpy(base, &b, sizeof b);
        return 0;
    }
    case SQUAWK_CFG_INT: {
        long long x = strtoll(v, &end, 0);
        if (end == v || *end || errno) {
            snprintf(why, whylen, "'%s' is not an int", v);
            return SQ_E_INVAL;
        }
        int64_t y = x;
        memcpy(base, &y, sizeof y);
        return 0;
    }
    case SQUAWK_CFG_DOUBLE: {
        double x = strtod(v, &end);
        if (end == v || *end || errno) {
            snprintf(why, whylen, "'%s' is not a number", v);
            return SQ_E_INVAL;
        }
        memcpy(base, &x, sizeof x);
        return 0;
    }
    case SQUAWK_CFG_STRING: {
        char **ns = realloc(p->strings, (p->n_strings + 1) * sizeof *ns);
        if (!ns) return SQ_E_NOMEM;
        p->strings = ns;
        char *s = strdup(v);
        if (!s) return SQ_E_NOMEM;
        p->strings[p->n_strings++] = s;
        const char *cs = s;
        memcpy(base, &cs, sizeof cs);
        return 0;
    }
    default:
        snprintf(why, whylen, "unknown type %d", e->type);
        return SQ_E_INVAL;
    }
}

static int fill_config(filter_plugin *p, const char *const *kv, size_t n_kv, char *err, size_t errlen)
{
    const struct squawk_filter *d = p->desc;
    char why[160];
    p->config = calloc(1, d->config_size ? d->config_size : 1);
    if (!p->config) return SQ_E_NOMEM;
    for (size_t i = 0; entry_at(d, i) && entry_at(d, i)->key; i++) {
        const struct squawk_config_entry *e = entry_at(d, i);
        if (type_size(e->type) == 0 || e->offset + type_size(e->type) > d->config_size) {
            snprintf(err, errlen, "%s: config key '%s': %s field at offset %zu does not fit in "
                     "config_size %zu", p->path, e->key, type_name(e->type), e->offset, d->config_size);
            return SQ_E_PLUGIN_CONFIG;
        }
        if (e->def && set_value(p, e, e->def, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: config key '%s': bad default: %s", p->path, e->key, why);
            return SQ_E_PLUGIN_CONFIG;
        }
    }
    for (size_t i = 0; i < n_kv; i++) {
        const char *k = kv[2 * i], *v = kv[2 * i + 1];
        const struct squawk_config_entry *e = entry_at(d, 0);
        for (size_t j = 1; e && e->key && strcmp(e->key, k) != 0; j++) e = entry_at(d, j);
        if (!e || !e->key) {
            snprintf(err, errlen, "%s: unknown config key '%s' for filter %s%s", p->path, k, d->name,
                     strcmp(k, "threshold") == 0 ? " (a filter's threshold is set with `threshold:` "
                                                   "beside `config:`, or --threshold NAME=N)" : "");
            return SQ_E_PLUGIN_CONFIG;
        }
        int rc = set_value(p, e, v ? v : "", why, sizeof why);
        if (rc == SQ_E_NOMEM) return rc;
        if (rc) {
            snprintf(err, errlen, "%s: config key '%s' (%s): %s", p->path, k, type_name(e->type), why);
            return SQ_E_PLUGIN_CONFIG;
        }
    }
    return 0;
}

int filter_loader_open(filter_plugin *p, const char *path, const char *const *kv, size_t n_kv,
                       char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->path = strdup(path);
    if (!p->path) return SQ_E_NOMEM;
    int rc = check_perm(path, err, errlen);
    if (rc) return rc;
    p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!p->dl) {
        snprintf(err, errlen, "%s: cannot load plugin: %s", path, dlerror());
        return SQ_E_PLUGIN_OPEN;
    }
    p->desc = dlsym(p->dl, SQUAWK_FILTER_SYMBOL_NAME);
    if (!p->desc) {
        /* Name the major the plugin was built for, when it has one. */
        for (int m = 0; m < 16; m++) {
            char sym[32];
            snprintf(sym, sizeof sym, "squawk_filter_v%d", m);
            if (m != SQUAWK_FILTER_ABI_MAJOR && dlsym(p->dl, sym)) {
                snprintf(err, errlen, "%s: plugin built for filter ABI %d, this squawk speaks ABI "
                         "%d.%d (no symbol %s)", path, m, SQUAWK_FILTER_ABI_MAJOR,
                         SQUAWK_FILTER_ABI_MINOR, SQUAWK_FILTER_SYMBOL_NAME);
                return SQ_E_PLUGIN_ABI;
            }
        }
        snprintf(err, errlen, "%s: no entry point %s in plugin", path, SQUAWK_FILTER_SYMBOL_NAME);
        return SQ_E_PLUGIN_NOSYM;
    }
    const struct squawk_filter *d = p->desc;
    if (d->abi_major != SQUAWK_FILTER_ABI_MAJOR) {
        snprintf(err, errlen, "%s: plugin built for filter ABI %u.%u, this squawk speaks ABI %d.%d",
                 path, d->abi_major, d->abi_minor, SQUAWK_FILTER_ABI_MAJOR, SQUAWK_FILTER_ABI_MINOR);
        return SQ_E_PLUGIN_ABI;
    }
    /* v1.0 fields end with destroy; a smaller descriptor is corrupt. */
    if (d->size < offsetof(struct squawk_filter, destroy) + sizeof d->destroy || !d->name ||
        !*d->name || !d->process) {
        snprintf(err, errlen, "%s: plugin descriptor is incomplete (size %u, name %s)", path,
                 d->size, d->name ? d->name : "(null)");
        return SQ_E_PLUGIN_ABI;
    }
    if (SQUAWK_HAS(d, struct squawk_filter, config_entry_size) && d->config_entry_size &&
        d->config_entry_size < sizeof(struct squawk_config_entry)) {
        snprintf(err, errlen, "%s: plugin descriptor's config_entry_size %u is smaller than ABI 1.0's %zu",
                 path, d->config_entry_size, sizeof(struct squawk_config_entry));
        return SQ_E_PLUGIN_ABI;
    }
    return fill_config(p, kv, n_kv, err, errlen);
}

const struct squawk_config_entry *filter_loader_entry(const struct squawk_filter *desc, size_t i)
{
    return entry_at(desc, i);
}

int filter_loader_fill(filter_plugin *p, const struct squawk_filter *desc, const char *what,
                       const char *const *kv, size_t n_kv, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->desc = desc;
    p->path = strdup(what);
    return p->path ? fill_config(p, kv, n_kv, err, errlen) : SQ_E_NOMEM;
}

void filter_loader_close(filter_plugin *p)
{
    if (p->inited && p->desc && p->desc->destroy) p->desc->destroy(p->ctx);
    p->inited = 0;
    for (size_t i = 0; i < p->n_strings; i++) free(p->strings[i]);
    free(p->strings);
    free(p->config);
    if (p->dl) dlclose(p->dl);
    free(p->path);
    memset(p, 0, sizeof *p);
}

int filter_loader_config_double(const filter_plugin *p, const char *key, double *out)
{
    for (size_t i = 0; entry_at(p->desc, i) && entry_at(p->desc, i)->key; i++) {
        const struct squawk_config_entry *e = entry_at(p->desc, i);
        if (strcmp(e->key, key) != 0) continue;
        const char *base = (const char *)p->config + e->offset;
        if (e->type == SQUAWK_CFG_DOUBLE) {
            memcpy(out, base, sizeof *out);
            return 0;
        }
        if (e->type == SQUAWK_CFG_INT) {
            int64_t v;
            memcpy(&v, base, sizeof v);
            *out = (double)v;
            return 0;
        }
    }
    return SQ_E_NOTFOUND;
}
