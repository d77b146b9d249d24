/* host_config.c -- the one way to build the engine: a filter host from squawk.yml and command-line overrides. */
#include "host.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/config.h"
#include "../core/error.h"
#include "loader.h"

#define FROM_MAX_FILTERS 16
#define FROM_MAX_KV 256

/* One filter to load: where it comes from and what it gets. */
typedef struct from_filter {
    const char *name;             /* as listed */
    const sq_config_filter *cf;   /* the config's entry, or NULL */
    char file[256];               /* file name without ".so" */
    char desc[256];               /* the descriptor's name */
    double threshold;             /* < 0: the plugin's default */
    const char *thr_src;          /* "config", "env" or "cli" */
    const char *kv[2 * FROM_MAX_KV];
    size_t n_kv;
} from_filter;

typedef struct from_ctx {
    const sq_config *cfg;
    const filter_host_overrides *ov;
    filter_host *h;
    from_filter f[FROM_MAX_FILTERS];
    size_t n;
    char *owned[FROM_MAX_KV * 2]; /* strings cut out of overrides and variables */
    size_t n_owned;
    char *err;
    size_t errlen;
} from_ctx;

static const filter_host_overrides no_overrides;

static const char *keep(from_ctx *x, const char *s, size_t len)
{
    if (x->n_owned == sizeof x->owned / sizeof x->owned[0]) return NULL;
    char *c = strndup(s, len);
    if (c) x->owned[x->n_owned++] = c;
    return c;
}

/* "invest", "./x/earnings.so" -> "invest", "earnings" */
static void file_of(const char *name, char *out, size_t len)
{
    const char *b = strrchr(name, '/');
    snprintf(out, len, "%s", b ? b + 1 : name);
    size_t n = strlen(out);
    if (n > 3 && strcmp(out + n - 3, ".so") == 0) out[n - 3] = '\0';
}

static int names_it(const from_filter *f, const char *s, size_t len)
{
    const char *names[3] = {f->name, f->file, f->desc};
    for (int i = 0; i < 3; i++)
        if (strlen(names[i]) == len && strncmp(names[i], s, len) == 0) return 1;
    return 0;
}

static from_filter *find(from_ctx *x, const char *s, size_t len)
{
    for (size_t i = 0; i < x->n; i++)
        if (names_it(&x->f[i], s, len)) return &x->f[i];
    return NULL;
}

/* ", " separated names of the filters, for "no filter named" errors. */
static void list_names(const from_ctx *x, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t i = 0, n = 0; i < x->n && n < len; i++)
        n += (size_t)snprintf(out + n, len - n, "%s%s", i ? ", " : "", x->f[i].desc);
}

static int no_filter(from_ctx *x, const char *what, const char *arg, const char *name, size_t len)
{
    char names[512];
    list_names(x, names, sizeof names);
    snprintf(x->err, x->errlen, "%s %s: no filter named '%.*s' (filters: %s)", what, arg, (int)len,
             name, names);
    return SQ_E_INVAL;
}

static int add_kv(from_ctx *x, from_filter *f, const char *k, const char *v)
{
    if (!k || !v || f->n_kv == FROM_MAX_KV) {
        snprintf(x->err, x->errlen, "%s: too many config settings (max %d)", f->name, FROM_MAX_KV);
        return SQ_E_TOO_MANY;
    }
    f->kv[2 * f->n_kv] = k;
    f->kv[2 * f->n_kv + 1] = v;
    f->n_kv++;
    return 0;
}

static const sq_config_filter *config_entry(const sq_config *cfg, const char *name)
{
    char a[256], b[256];
    file_of(name, a, sizeof a);
    for (size_t i = 0; cfg && i < cfg->n_filters; i++) {
        file_of(cfg->filters[i].name, b, sizeof b);
        if (strcmp(cfg->filters[i].name, name) == 0 || strcmp(a, b) == 0) return &cfg->filters[i];
    }
    return NULL;
}

/* The descriptor's name: the plugin is opened (checks included) and closed again. */
static int peek(from_ctx *x, from_filter *f)
{
    char path[4096];
    int rc = filter_host_resolve(x->h, f->name, path, sizeof path, x->err, x->errlen);
    if (rc) return rc;
    filter_plugin p;
    rc = filter_loader_open(&p, path, NULL, 0, x->err, x->errlen);
    if (!rc) snprintf(f->desc, sizeof f->desc, "%s", p.desc->name);
    filter_loader_close(&p);
    return rc;
}

/* The filters to load: the overrides', else the config's, else the built-ins. */
static int list_filters(from_ctx *x)
{
    static const char *const builtins[] = {"invest", "chips", "regulatory"};
    const sq_config *cfg = x->cfg;
    size_t n = x->ov->n_filters ? x->ov->n_filters : cfg && cfg->n_filters ? cfg->n_filters : 3;
    if (n > FROM_MAX_FILTERS) {
        snprintf(x->err, x->errlen, "too many filters (max %d)", FROM_MAX_FILTERS);
        return SQ_E_TOO_MANY;
    }
    for (size_t i = 0; i < n; i++) {
        from_filter *f = &x->f[x->n++];
        f->name = x->ov->n_filters ? x->ov->filters[i] : cfg && cfg->n_filters ? cfg->filters[i].name
                                                                              : builtins[i];
        f->cf = x->ov->n_filters ? config_entry(cfg, f->name)
                : cfg && cfg->n_filters ? &cfg->filters[i] : NULL;
        f->threshold = f->cf ? f->cf->threshold : -1;
        f->thr_src = "config";
        file_of(f->name, f->file, sizeof f->file);
        for (size_t k = 0; f->cf && k < f->cf->n_kv; k++) {
            int rc = add_kv(x, f, f->cf->kv[2 * k], f->cf->kv[2 * k + 1]);
            if (rc) return rc;
        }
        int rc = peek(x, f);
        if (rc) return rc;
    }
    return 0;
}

static int parse_threshold(const char *s, double *out)
{
    char *end;
    double t = strtod(s, &end);
    if (end == s || *end || !(t >= 0 && t <= 100)) return -1;
    *out = t;
    return 0;
}

int filter_host_threshold_spec(const char *spec, size_t *name_len, double *t)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || parse_threshold(eq + 1, t) != 0) return SQ_E_INVAL;
    *name_len = (size_t)(eq - spec);
    return 0;
}

/* SQUAWK_FILTERS__<NAME>__THRESHOLD=N and SQUAWK_FILTERS__<NAME>__CONFIG__<KEY>=V
 * for a filter the config lists by path: NAME is its descriptor's. */
static int apply_env(from_ctx *x, const char *var)
{
    const char *eq = strchr(var, '='), *p = var + strlen("SQUAWK_FILTERS__");
    const char *sep = strstr(p, "__");
    char lower[256];
    size_t nl = eq ? (size_t)(eq - var) : strlen(var);
    snprintf(lower, sizeof lower, "%.*s", (int)nl, var);
    for (char *c = lower; *c; c++) *c = (char)tolower((unsigned char)*c);
    const char *name = lower + (p - var), *rest = sep ? lower + (sep - var) + 2 : NULL;
    from_filter *f = sep && eq ? find(x, name, (size_t)(sep - p)) : NULL;
    if (!f) return no_filter(x, "environment", var, name, sep ? (size_t)(sep - p) : strlen(name));
    if (strcmp(rest, "threshold") == 0) {
        f->thr_src = "env";
        if (parse_threshold(eq + 1, &f->threshold) == 0) return 0;
        snprintf(x->err, x->errlen, "environment %.*s: threshold wants 0..100, got '%s'", (int)nl, var,
                 eq + 1);
        return SQ_E_CONFIG;
    }
    if (strncmp(rest, "config__", 8) == 0 && rest[8])
        return add_kv(x, f, keep(x, rest + 8, strlen(rest + 8)), eq + 1);
    snprintf(x->err, x->errlen, "environment %.*s: unknown filter key '%s' (threshold or config__<key>)",
             (int)nl, var, rest);
    return SQ_E_CONFIG;
}

/* --threshold NAME=N and --set NAME.KEY=VALUE */
static int apply_overrides(from_ctx *x)
{
    const filter_host_overrides *ov = x->ov;
    for (size_t i = 0; x->cfg && i < x->cfg->n_filter_env; i++) {
        int rc = apply_env(x, x->cfg->filter_env[i]);
        if (rc) return rc;
    }
    for (size_t i = 0; i < ov->n_thresholds; i++) {
        const char *s = ov->thresholds[i];
        double t;
        size_t nl;
        if (filter_host_threshold_spec(s, &nl, &t) != 0) {
            snprintf(x->err, x->errlen, "--threshold %s: want NAME=N with N in 0..100", s);
            return SQ_E_INVAL;
        }
        from_filter *f = find(x, s, nl);
        if (!f) return no_filter(x, "--threshold", s, s, nl);
        f->threshold = t;
        f->thr_src = "cli";
    }
    for (size_t i = 0; i < ov->n_sets; i++) {
        const char *s = ov->sets[i], *eq = strchr(s, '=');
        from_filter *f = NULL;
        const char *key = NULL;
        /* the longest name followed by '.': a path may hold dots itself */
        for (const char *d = eq ? eq : s; !f && d > s; d--)
            if (*d == '.' && (f = find(x, s, (size_t)(d - s)))) key = d + 1;
        if (!eq || !f || key == eq) {
            const char *dot = strchr(s, '.');
            if (eq && dot && dot < eq && dot > s && dot + 1 < eq && !f)
                return no_filter(x, "--set", s, s, (size_t)(dot - s));
            snprintf(x->err, x->errlen, "--set %s: want NAME.KEY=VALUE", s);
            return SQ_E_INVAL;
        }
        int rc = add_kv(x, f, keep(x, key, (size_t)(eq - key)), eq + 1);
        if (rc) return rc;
    }
    return 0;
}

/* Where the key a plugin's error names ("model_gate: ...") was set: its own
 * line, or the SQUAWK_ variable that set it; else where the entry starts. */
static int error_line(const sq_config_filter *cf, const char *e)
{
    for (size_t k = 0; cf->kv_lines && k < cf->n_kv; k++) {
        const char *at = strstr(e, cf->kv[2 * k]);
        size_t kl = strlen(cf->kv[2 * k]);
        if (at && at[kl] == ':' && (at == e || at[-1] == ' ')) return cf->kv_lines[k];
    }
    return cf->line;
}

static int load_all(from_ctx *x)
{
    for (size_t i = 0; i < x->n; i++) {
        from_filter *f = &x->f[i];
        char e[1024] = "";
        int rc = filter_host_load(x->h, f->name, f->kv, f->n_kv, f->threshold, e, sizeof e);
        if (!rc) {
            filter_host_set_threshold_source(x->h, i, f->thr_src);
            continue;
        }
        if (f->cf && x->cfg) {
            char where[300];
            sq_config_where(x->cfg, error_line(f->cf, e), where, sizeof where);
            snprintf(x->err, x->errlen, "%s: filters[%s]: %s", where, f->cf->name, e);
        } else {
            snprintf(x->err, x->errlen, "%s", e[0] ? e : sq_strerror(rc));
        }
        return rc;
    }
    return 0;
}

static int create_host(from_ctx *x)
{
    const sq_config *cfg = x->cfg;
    const filter_host_overrides *ov = x->ov;
    size_t n_cfg = cfg ? cfg->engine.n_plugin_dirs : 0, n = ov->n_plugin_dirs + n_cfg;
    const char **dirs = calloc(n + 1, sizeof *dirs);
    if (!dirs) return SQ_E_NOMEM;
    for (size_t i = 0; i < ov->n_plugin_dirs; i++) dirs[i] = ov->plugin_dirs[i];
    for (size_t i = 0; i < n_cfg; i++) dirs[ov->n_plugin_dirs + i] = cfg->engine.plugin_dirs[i];
    filter_host_opts o = {.data_dir = ov->data_dir ? ov->data_dir : cfg ? cfg->engine.data_dir : NULL,
                          .plugin_dirs = dirs, .n_plugin_dirs = n, .plugin_dir = ov->plugin_dir,
                          .novelty_window_s = cfg ? cfg->engine.novelty_window_s : 0,
                          .anonymous = cfg ? cfg->engine.anonymous_companies : 0};
    int rc = filter_host_create(&x->h, &o, x->err, x->errlen);
    free(dirs);
    return rc;
}

int filter_host_from_config(filter_host **out, const sq_config *cfg, const filter_host_overrides *ov,
                            char *err, size_t errlen)
{
    *out = NULL;
    from_ctx *x = calloc(1, sizeof *x);
    if (!x) return SQ_E_NOMEM;
    x->cfg = cfg;
    x->ov = ov ? ov : &no_overrides;
    x->err = err;
    x->errlen = errlen;
    int rc = create_host(x);
    if (!rc) rc = list_filters(x);
    if (!rc) rc = apply_overrides(x);
    if (!rc) rc = load_all(x);
    if (rc) filter_host_destroy(x->h);
    else *out = x->h;
    for (size_t i = 0; i < x->n_owned; i++) free(x->owned[i]);
    free(x);
    return rc;
}
