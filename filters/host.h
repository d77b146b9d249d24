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
    const char *plugin_dir;  /* where "invest" resolves to invest.so */
    unsigned novelty_window_s; /* default 86400 */
    /* Anonymous company mentions ("<ACME>", "$ACME", "Acme Widgets Inc"): 1 on,
     * -1 off, 0: env SQUAWK_ANONYMOUS (true/false), else gazetteer.yml's
     * `anonymous:` key, else on. */
    int anonymous;
} filter_host_opts;

SQ_API int filter_host_create(filter_host **out, const filter_host_opts *o, char *err, size_t errlen);
SQ_API void filter_host_destroy(filter_host *h);

/* Loads a plugin by name ("invest") or path ("./x.so") with config key/value
 * strings (the host converts them by the plugin's config map) and a score
 * threshold. On failure err names the file, key and reason.
 * kv holds n_kv pairs: kv[2i] is a key, kv[2i+1] its value. A negative
 * threshold means the plugin's own default (its config key `threshold`, else 50). */
SQ_API int filter_host_load(filter_host *h, const char *name_or_path, const char *const *kv,
                            size_t n_kv, double threshold, char *err, size_t errlen);

/* Runs every plugin. *out receives alerts at/above each plugin's threshold
 * (all of them when all != 0); the caller destroys each alert and frees *out. */
SQ_API int filter_host_process(filter_host *h, const proto_article *a, const filter_source *src,
                               int all, proto_alert ***out, size_t *n_out);

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

typedef struct filter_host_stats {
    size_t n_filters;
    const char *name[16];
    uint64_t ns[16];     /* cumulative process time per filter */
    uint64_t alerts[16];
} filter_host_stats;
SQ_API void filter_host_get_stats(filter_host *h, filter_host_stats *out);
/* Bytes of compiled rules the host holds (gazetteer, cues and rule packs:
 * Hyperscan databases; token-pattern programs are not counted) plus the calling
 * thread's scratch. */
SQ_API size_t filter_host_compiled_bytes(const filter_host *h);

/* The data dir in use (rules/, gazetteer.yml) and the threshold of the i-th loaded filter. */
SQ_API const char *filter_host_data_dir(const filter_host *h);
SQ_API int filter_host_threshold(const filter_host *h, size_t i, double *out);

#endif
