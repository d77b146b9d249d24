/* metrics.h -- Prometheus /metrics and /healthz over libmicrohttpd, rendered on the loop thread. */
#ifndef SQ_METRICS_H
#define SQ_METRICS_H

#include <stddef.h>
#include "visibility.h"

struct ev_loop;
typedef struct sq_metrics sq_metrics;
/* A growing text buffer; p is NUL-terminated once anything was written. */
typedef struct sq_metrics_buf {
    char *p;
    size_t len, cap;
} sq_metrics_buf;

/* Both run on the loop thread, so they may read any pipeline state. render
 * writes the Prometheus text; health returns 1 when healthy and writes why
 * not otherwise. */
typedef void (*sq_metrics_render_cb)(void *ud, sq_metrics_buf *b);
typedef int (*sq_metrics_health_cb)(void *ud, char *why, size_t whylen);

/* listen is "host:port" (port 0 picks a free one, see sq_metrics_port).
 * A request the loop does not answer within stall_ms is served from the
 * last snapshot, and /healthz answers 503 "event loop stalled". */
SQ_API int sq_metrics_create(sq_metrics **out, struct ev_loop *loop, const char *listen,
                             unsigned stall_ms, sq_metrics_render_cb render,
                             sq_metrics_health_cb health, void *ud, char *err, size_t errlen);
SQ_API void sq_metrics_destroy(sq_metrics *m);
/* "host:port" with host an IPv4 address, localhost, * or empty, and port
 * 0-65535: 0, or SQ_E_CONFIG with why. out may be NULL (just validate). */
struct sockaddr_in;
SQ_API int sq_metrics_parse_listen(const char *listen, struct sockaddr_in *out, char *why,
                                   size_t whylen);
SQ_API int sq_metrics_port(const sq_metrics *m);

SQ_API void sq_metrics_printf(sq_metrics_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Regroups Prometheus text so that each family appears once with its HELP
 * and TYPE before its samples (a family without TYPE is a counter when its
 * name ends in _total, else a gauge). Appends to out. */
SQ_API void sq_metrics_normalize(const char *text, size_t len, sq_metrics_buf *out);
/* Adapter for sink_ops.metrics: appends one line (newline added). */
SQ_API void sq_metrics_line(void *buf, const char *line);

#endif
