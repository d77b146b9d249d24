/* fpool.h -- filter worker threads for squawk run: articles filtered in parallel, results handed back to the loop in arrival order. */
#ifndef SQ_FPOOL_H
#define SQ_FPOOL_H
#include <stddef.h>
#include <stdint.h>

#include "../filters/host.h"
#include "../ingest/kafka.h"
#include "../proto/article.h"

struct ev_loop;
typedef struct fpool fpool;

/* One article through the pool: what the loop gave, what a worker made of it. */
typedef struct fpool_job {
    proto_article a;  /* owned */
    ingest_meta m;    /* m.topic points at topic */
    char *topic;      /* owned */
    filter_host *host; /* the engine in effect when the article arrived */
    proto_alert **alerts;
    size_t n;
    int rc;
    int64_t filter_ns, filter_cpu_ns; /* the worker's wall and CPU time in filter_host_process */
    uint64_t order;
    struct fpool_job *next;
} fpool_job;

/* Called on the loop thread, in arrival order, for every filtered article, its
 * alerts' novelty decided in that order (as without workers); it
 * owns nothing of the job (the pool frees it, alerts included, afterwards). */
typedef void (*fpool_emit_cb)(void *ud, fpool_job *j);

/* Starts n worker threads (1..FPOOL_MAX). At most 2n articles are queued or
 * being filtered; fpool_submit waits for room beyond that (a few ms at most:
 * the queue then holds only articles a worker is about to take). */
#define FPOOL_MAX 16
int fpool_create(fpool **out, struct ev_loop *loop, unsigned n, fpool_emit_cb emit, void *ud);

/* Hands an article to the workers: copies a and m (the caller keeps its own).
 * Emits every result that is ready, in order, before returning. 0 or SQ_E_NOMEM. */
int fpool_submit(fpool *p, filter_host *host, const proto_article *a, const ingest_meta *m);

/* Blocks until every submitted article has been emitted (before a reload's
 * engine swap; at shutdown). */
void fpool_wait_idle(fpool *p);

/* Articles submitted but not yet emitted. */
size_t fpool_pending(const fpool *p);

/* Stops and joins the workers; articles not yet filtered are dropped
 * (their offsets were never stored: a restart redelivers them). */
void fpool_destroy(fpool *p);
#endif
