/* reload.h -- SIGHUP's engine rebuild on a worker thread, so the event loop keeps serving while rules compile. */
#ifndef SERVICE_RELOAD_H
#define SERVICE_RELOAD_H

#include <stddef.h>
#include <stdint.h>
#include "../core/config.h"
#include "../filters/host.h"

struct ev_loop;
typedef struct reloader reloader;

/* Builds an engine from a freshly loaded config. Runs on the worker thread:
 * it may touch nothing the loop owns. */
typedef int (*reloader_build_fn)(const sq_config *c, filter_host **out, char *err, size_t errlen);

/* What one build produced. */
typedef struct reloader_result {
    int rc;            /* 0, or the error of the config load or of the build */
    filter_host *host; /* rc == 0: the new engine, now the callback's */
    void *scratch;     /* its scan scratch, made off the loop (or NULL): the callback's */
    sq_config cfg;     /* rc == 0: the config it was built from; freed after the callback */
    double build_s;    /* wall time of config load + build */
    char err[1024];    /* rc < 0: file, key and reason */
} reloader_result;

/* Runs on the loop thread, between two of its callbacks and so between two
 * articles: the place to swap engines. */
typedef void (*reloader_done_fn)(void *ud, reloader_result *r);

/* Starts the worker thread (all signals blocked: they belong to the loop). */
int reloader_create(reloader **out, struct ev_loop *loop, const char *cfg_path,
                    reloader_build_fn build, reloader_done_fn done, void *ud);
/* Builds the first engine from c on a thread of its own and waits for it.
 * Engines then never live in the loop thread's malloc arena, and the
 * malloc_trim after a reload (it holds each arena's lock while it returns
 * freed pages) never holds the loop's: measured, the loop's mallocs waited
 * 140 ms for the trim after the first reload, 1.9 s on a busy machine. */
int reloader_build_now(reloader *r, const sq_config *c, filter_host **out, char *err, size_t errlen);
/* Loop thread. Starts a build; while one runs, asks for exactly one more
 * after it, however many requests come in meanwhile (the later build reads
 * the files as they are by then). Returns 1 started, 0 coalesced. */
int reloader_request(reloader *r);
/* Loop thread. Hands over an engine no article uses any more; the worker
 * destroys it, so unloading plugins and freeing databases costs the loop nothing. */
void reloader_retire(reloader *r, filter_host *old);
/* 1 while a build runs or waits to run. */
int reloader_busy(const reloader *r);
/* Requests that arrived while a build ran, folded into the next build. */
uint64_t reloader_coalesced(const reloader *r);
/* Waits for a build in progress (its engine is discarded), destroys retired
 * engines, joins the worker. */
void reloader_destroy(reloader *r);

#endif
