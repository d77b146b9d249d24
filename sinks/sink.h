/* sink.h -- the interface every alert destination implements (ZeroMQ PUB, Kafka, JSON Lines). */
#ifndef SINK_H
#define SINK_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "../core/visibility.h"
#include "../proto/alert.h"

struct ev_loop;
typedef struct sink sink;

/* Called when a submitted batch has been accepted (status 0) or has failed
 * for good (status < 0). Ingest stores a Kafka offset only after every sink
 * called this with 0 for the article's token. */
typedef void (*sink_done_cb)(void *ud, uint64_t token, int status);

typedef struct sink_ops {
    const char *kind; /* "zmq", "kafka", "jsonl" */
    /* Hand over the alerts of one article (n may be 0). Returns 0 when
     * accepted at once (done_cb is NOT called), 1 when acceptance will be
     * reported later through done_cb, or a negative SQ_E_* code. The sink
     * copies what it needs; alerts stay owned by the caller. */
    int (*submit)(sink *s, proto_alert *const *alerts, size_t n, uint64_t token);
    /* Messages queued but not yet accepted; drives ingest backpressure. */
    size_t (*backlog)(sink *s);
    /* Push out everything queued, waiting at most timeout_ms. */
    int (*flush)(sink *s, int timeout_ms);
    /* Writes Prometheus lines for this sink (name label = s->name). */
    void (*metrics)(sink *s, void (*emit)(void *ud, const char *line), void *ud);
    void (*destroy)(sink *s);
} sink_ops;

struct sink {
    const sink_ops *ops;
    char name[64];
    sink_done_cb done;
    void *done_ud;
    void *data; /* the implementation's state */
};

static inline int sink_submit(sink *s, proto_alert *const *a, size_t n, uint64_t token)
{
    return s->ops->submit(s, a, n, token);
}
static inline size_t sink_backlog(sink *s) { return s->ops->backlog ? s->ops->backlog(s) : 0; }
static inline int sink_flush(sink *s, int timeout_ms)
{
    return s->ops->flush ? s->ops->flush(s, timeout_ms) : 0;
}
/* One Prometheus line, squawk_sink_<metric>{name="<s->name>",kind="<kind>"} <val>, for
 * sink_ops.metrics implementations. */
static inline void sink_metric(sink *s, void (*emit)(void *ud, const char *line), void *ud,
                               const char *metric, uint64_t val)
{
    char line[256];
    snprintf(line, sizeof line, "squawk_sink_%s{name=\"%s\",kind=\"%s\"} %" PRIu64, metric,
             s->name, s->ops->kind, val);
    emit(ud, line);
}

static inline void sink_destroy(sink *s)
{
    if (s) s->ops->destroy(s);
}

/* A publisher id for the alerts' `pub` field: 16 random hex chars + "-" + pid,
 * so a restarted publisher is told apart from the one before. */
SQ_API void sink_make_pub_id(char *out, size_t len);

#endif
