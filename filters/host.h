/* host.h -- the host side of the filter plugin ABI: load plugins, run them over an article. */
#ifndef FILTER_HOST_H
#define FILTER_HOST_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"
#include "../proto/article.h"
#include "../proto/alert.h"

typedef struct filter_host filter_host;

/* Where the article came from, copied into each alert. */
typedef struct filter_source {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t ingest_ns;
} filter_source;

typedef struct filter_host_opts {
    const char *data_dir;    /* rules/ and gazetteer.yml; default: SQUAWK_DATA_DIR or build-time dir */
    /* Where "invest" resolves to invest.so: plugin_dirs in order, then the
     * built-in directory (plugin_dir, else SQUAWK_PLUGIN_DIR, else build-time). */
    const char *const *plugin_dirs;
    size_t n_plugin_dirs;
    const char *plugin_dir;
    unsigned novelty_window_s; /* default 86400 */
    /* Anonymous company mentions ("<ACME>", "$ACME", "Acme Widgets Inc"): 1 on,
     * -1 off, 0: gazetteer.yml's `anonymous:` key, else on. */
    int anonymous;
} filter_host_opts;

SQ_API int filter_host_create(filter_host **out, const filter_host_opts *o, char *err, size_t errlen);
SQ_API void filter_host_destroy(filter_host *h);

struct sq_config;

/* What a command line changes in a squawk.yml (all optional). Names in
 * filters, thresholds and sets are a config entry's name, its file name
 * without ".so", or the plugin's descriptor name. */
typedef struct filter_host_overrides {
    const char *data_dir;            /* replaces engine.data_dir */
    const char *const *plugin_dirs;  /* searched before engine.plugin_dirs */
    size_t n_plugin_dirs;
    const char *plugin_dir;          /* the built-in directory (default: build-time) */
    /* Replaces the config's filter list; a filter the config lists keeps its
     * threshold and settings. */
    const char *const *filters;
    size_t n_filters;
    const char *const *thresholds;   /* "NAME=N", N in 0..100 */
    size_t n_thresholds;
    const char *const *sets;         /* "NAME.KEY=VALUE": a key of the plugin's config map */
    size_t n_sets;
} filter_host_overrides;

/* The one way to build the engine, for run, check, reload, score, eval and
 * the bench: the host of cfg's engine section with cfg's filters (cfg NULL
 * or without filters: invest, chips, regulatory with their defaults), as ov
 * changes them. Deferred SQUAWK_FILTERS__<NAME>__... variables (cfg->filter_env)
 * apply to the filter whose descriptor is NAME. An override or variable that
 * names no loaded filter, or a key the plugin lacks, is an error naming it.
 * Callable from any thread; touches no global state but the log. */
SQ_API int filter_host_from_config(filter_host **out, const struct sq_config *cfg,
                                   const filter_host_overrides *ov, char *err, size_t errlen);

/* Checks a "NAME=N" threshold override (N in 0..100): SQ_E_INVAL, or 0
 * with NAME's length and N, so a command line can refuse it as usage. */
SQ_API int filter_host_threshold_spec(const char *spec, size_t *name_len, double *t);

/* Resolves a plugin name as filter_host_load does: a path (with '/') as is;
 * "x" or "x.so" as the first <dir>/x.so of the host's plugin directories
 * ("x.so" also in the working directory). SQ_E_NOTFOUND with the
 * directories in err when none has it. */
SQ_API int filter_host_resolve(const filter_host *h, const char *name_or_path, char *out, size_t outlen,
                               char *err, size_t errlen);

/* Loads a plugin by name ("invest", "x.so") or path ("./x.so") with config
 * key/value strings (the host converts them by the plugin's config map) and a
 * score threshold. On failure err names the file, key and reason.
 * kv holds n_kv pairs: kv[2i] is a key, kv[2i+1] its value. A negative
 * threshold means the plugin's own default: its descriptor's
 * default_threshold (ABI 1.1), or for a 1.0 plugin its config key
 * `threshold`, else 50 -- setting that key and a threshold is an error. */
SQ_API int filter_host_load(filter_host *h, const char *name_or_path, const char *const *kv,
                            size_t n_kv, double threshold, char *err, size_t errlen);

/* Runs every plugin. *out receives alerts at/above each plugin's threshold
 * (all of them with FILTER_HOST_ALL); the caller destroys each alert and frees *out.
 * flags: 0, or FILTER_HOST_ALL and/or FILTER_HOST_NOVELTY_LATER. */
#define FILTER_HOST_ALL 1
/* Novelty depends on the order articles are seen in, so threads filtering side by
 * side must not decide it: each passing alert gets FILTER_NOVELTY_PENDING and the
 * caller, on one thread, in arrival order, calls filter_host_novelty. */
#define FILTER_HOST_NOVELTY_LATER 2
#define FILTER_NOVELTY_PENDING UINT32_MAX
SQ_API int filter_host_process(filter_host *h, const proto_article *a, const filter_source *src,
                               int flags, proto_alert ***out, size_t *n_out);
/* Decides the novelty of a's alerts left FILTER_NOVELTY_PENDING (records them in
 * the host's window): the same values filter_host_process gives without
 * FILTER_HOST_NOVELTY_LATER when called in the same order. */
SQ_API void filter_host_novelty(filter_host *h, const proto_article *a, proto_alert **alerts, size_t n);

/* The services table plugins get, and a call of fn with it on article a as a
 * plugin's process() would see it (squawk train computes a learned model's
 * engine features this way, with the code the learned filter runs). */
struct squawk_host;
struct squawk_article;
SQ_API const struct squawk_host *filter_host_services(filter_host *h);
SQ_API int filter_host_visit(filter_host *h, const proto_article *a,
                             int (*fn)(const struct squawk_host *, const struct squawk_article *, void *),
                             void *arg);

/* Re-reads rule packs, gazetteer and plugin configs into a new host. The
 * caller swaps hosts only on success, so a bad reload keeps the old one. */

/* The scan scratch h needs, made on any thread: growing the scratch costs
 * 5-15 ms of CPU (hundreds of ms of wall time on a busy machine), which a
 * reload's worker pays instead of the first article after the swap. The
 * thread that will run h adopts it (its previous scratch is freed); a
 * scratch nobody adopted goes to filter_host_scratch_free. */
SQ_API int filter_host_scratch_make(const filter_host *h, void **out);
SQ_API void filter_host_scratch_adopt(const filter_host *h, void *scratch);
SQ_API void filter_host_scratch_free(void *scratch);
/* A thread that ran filter_host_process and now ends frees its scratch (thread-local:
 * filter_host_destroy never sees it). */
SQ_API void filter_host_thread_done(void);

typedef struct filter_host_stats {
    size_t n_filters;
    const char *name[16];
    uint64_t ns[16];     /* cumulative process time per filter */
    uint64_t alerts[16];
    uint64_t errors[16]; /* process() calls that failed (their reports dropped) */
} filter_host_stats;
SQ_API void filter_host_get_stats(filter_host *h, filter_host_stats *out);
/* Bytes of compiled rules the host holds (gazetteer, cues and rule packs:
 * Hyperscan databases; token-pattern programs are not counted) plus the calling
 * thread's scratch. */
SQ_API size_t filter_host_compiled_bytes(const filter_host *h);

/* A number unique to the article a plugin is processing (caches key on it). */
uint64_t filter_host_article_serial(const struct squawk_article *a);

/* Hands old's repeat-detection memory to h, the engine replacing it on a
 * reload: a story seen before the reload is still a repeat after it. Call it
 * when old processes nothing any more. */
SQ_API void filter_host_keep_novelty(filter_host *h, filter_host *old);

/* The data dir in use (rules/, gazetteer.yml) and the threshold of the i-th loaded filter. */
SQ_API const char *filter_host_data_dir(const filter_host *h);
/* The same, from the services table a plugin was given (the engine's code in the host). */
const char *filter_host_services_data_dir(const struct squawk_host *s);
/* The engine reports nothing for an article no rule of positive weight matched, so a pack it opened
 * stops there: its other rules (vetoes, context marks) are matched only when one did. Every user of
 * the pack (a plugin opening the same pack by the same name too) gets the gated hits; a thread that
 * records rescoring features (rescore_sink) gets them all. */
struct squawk_tpack;
void filter_host_tpack_gate(struct squawk_tpack *p);
SQ_API int filter_host_threshold(const filter_host *h, size_t i, double *out);
/* How many filters are loaded, and the i-th one's descriptor name (NULL past the end). */
SQ_API size_t filter_host_n_filters(const filter_host *h);
/* Where the i-th filter's threshold came from: "plugin" (its default), else
 * what the loader's caller set (static string; filter_host_from_config:
 * "config", "env" or "cli"; default "caller"). */
SQ_API const char *filter_host_threshold_source(const filter_host *h, size_t i);
SQ_API void filter_host_set_threshold_source(filter_host *h, size_t i, const char *src);
SQ_API const char *filter_host_filter_name(const filter_host *h, size_t i);

#endif
