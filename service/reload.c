/* reload.c -- SIGHUP's engine rebuild on a worker thread, so the event loop keeps serving while rules compile. */
#include "reload.h"

#include <ev.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../core/log.h"

extern char **environ;

typedef struct thread_job {
    void (*fn)(void *);
    void *arg;
} thread_job;

/* One worker for the pipeline's life: it sleeps until asked to build an
 * engine or to destroy a retired one. A cache-missing rule pack compiles for seconds to minutes; on the
 * loop that stopped heartbeats, /healthz and alerts. */
struct reloader {
    struct ev_loop *loop;
    ev_async wake;
    pthread_t th;
    thread_job th_job;
    char *cfg_path;
    reloader_build_fn build;
    reloader_done_fn done;
    void *ud;

    pthread_mutex_t mu; /* guards the hand-over fields below */
    pthread_cond_t cv;
    int want_build, stop, have_result;
    reloader_result result;
    filter_host **retired;
    size_t n_retired, cap_retired;

    /* loop thread only */
    int building, again;
    int in_done, retire_pending; /* a retire during done() waits for the config's free */
    uint64_t coalesced;
};

static void run_build(reloader *r, reloader_result *res)
{
    memset(res, 0, sizeof *res);
    int64_t t0 = sq_clock_mono_ns();
    res->rc = sq_config_load(&res->cfg, r->cfg_path, environ, res->err, sizeof res->err);
    if (res->rc == 0) {
        res->rc = r->build(&res->cfg, &res->host, res->err, sizeof res->err);
        if (res->rc < 0) sq_config_free(&res->cfg);
    }
    if (res->rc == 0 && filter_host_scratch_make(res->host, &res->scratch) != 0)
        res->scratch = NULL; /* the loop grows its own on the first article */
    res->build_s = (double)(sq_clock_mono_ns() - t0) / 1e9;
}

/* The build runs at the loop's priority. Niced, it was starved while
 * holding locks the loop also takes (a malloc arena's during malloc_trim,
 * the sanitizer allocator's), and the loop waited 1-2 s on a busy machine. */

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    j->fn(j->arg);
    return NULL;
}

/* Runs fn(arg) on a new thread with every signal blocked (they are the
 * loop's, libev's ev_signal) and waits for it; without a thread, here. */
static pthread_t spawn(void (*fn)(void *), void *arg, thread_job *j, int *ok)
{
    *j = (thread_job){fn, arg};
    pthread_t th;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    *ok = pthread_create(&th, NULL, thread_main, j) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return th;
}

static void run_in_thread(void (*fn)(void *), void *arg)
{
    thread_job j;
    int ok;
    pthread_t th = spawn(fn, arg, &j, &ok);
    if (ok)
        pthread_join(th, NULL);
    else
        fn(arg);
}

typedef struct build_job {
    reloader *r;
    const sq_config *cfg;
    filter_host **out;
    char *err;
    size_t errlen;
    int rc;
} build_job;

static void build_given(void *arg)
{
    build_job *j = arg;
    j->rc = j->r->build(j->cfg, j->out, j->err, j->errlen);
}

static void worker_fn(void *arg)
{
    reloader *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->stop && !r->want_build && !r->n_retired) pthread_cond_wait(&r->cv, &r->mu);
        if (r->n_retired) {
            filter_host *h = r->retired[--r->n_retired];
            pthread_mutex_unlock(&r->mu);
            filter_host_destroy(h);
            malloc_trim(0);
            pthread_mutex_lock(&r->mu);
        } else if (r->want_build) {
            r->want_build = 0;
            pthread_mutex_unlock(&r->mu);
            reloader_result res;
            run_build(r, &res);
            malloc_trim(0); /* the Hyperscan compiler's scratch heap, see pipeline_create */
            pthread_mutex_lock(&r->mu);
            r->result = res;
            r->have_result = 1;
            ev_async_send(r->loop, &r->wake);
        } else {
            break; /* stop, and nothing left to destroy */
        }
    }
    pthread_mutex_unlock(&r->mu);
}

/* Loop thread: a build finished. The swap happens inside done(), a loop
 * callback, so no article is half-processed by either engine. */
static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
    reloader *r = w->data;
    reloader_result res;
    pthread_mutex_lock(&r->mu);
    int have = r->have_result;
    if (have) res = r->result;
    r->have_result = 0;
    pthread_mutex_unlock(&r->mu);
    if (!have) return;
    r->building = 0;
    r->in_done = 1;
    r->done(r->ud, &res);
    r->in_done = 0;
    /* Freed before the worker starts destroying and trimming: the config
     * lives in the builder's heap, whose lock the trim holds. */
    if (res.rc == 0) sq_config_free(&res.cfg);
    if (r->retire_pending) {
        r->retire_pending = 0;
        pthread_mutex_lock(&r->mu);
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    if (r->again) {
        r->again = 0;
        reloader_request(r);
    }
}

int reloader_create(reloader **out, struct ev_loop *loop, const char *cfg_path,
                    reloader_build_fn build, reloader_done_fn done, void *ud)
{
    reloader *r = calloc(1, sizeof *r);
    if (!r || !(r->cfg_path = strdup(cfg_path))) {
        free(r);
        return SQ_E_NOMEM;
    }
    r->loop = loop;
    r->build = build;
    r->done = done;
    r->ud = ud;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    ev_async_init(&r->wake, on_wake);
    r->wake.data = r;
    ev_async_start(loop, &r->wake);
    int ok;
    r->th = spawn(worker_fn, r, &r->th_job, &ok);
    if (!ok) {
        ev_async_stop(loop, &r->wake);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r->cfg_path);
        free(r);
        return SQ_E_NOMEM;
    }
    *out = r;
    return 0;
}

int reloader_build_now(reloader *r, const sq_config *c, filter_host **out, char *err, size_t errlen)
{
    build_job j = {.r = r, .cfg = c, .out = out, .err = err, .errlen = errlen};
    run_in_thread(build_given, &j);
    return j.rc;
}

int reloader_request(reloader *r)
{
    if (r->building) {
        r->again = 1;
        r->coalesced++;
        return 0;
    }
    r->building = 1;
    pthread_mutex_lock(&r->mu);
    r->want_build = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return 1;
}

void reloader_retire(reloader *r, filter_host *old)
{
    if (!old) return;
    pthread_mutex_lock(&r->mu);
    if (r->n_retired == r->cap_retired) {
        size_t nc = r->cap_retired ? r->cap_retired * 2 : 4;
        filter_host **n = realloc(r->retired, nc * sizeof *n);
        if (!n) {
            /* no memory for a pointer: destroying here stalls the loop but leaks nothing */
            pthread_mutex_unlock(&r->mu);
            filter_host_destroy(old);
            return;
        }
        r->retired = n;
        r->cap_retired = nc;
    }
    r->retired[r->n_retired++] = old;
    if (r->in_done)
        r->retire_pending = 1;
    else
        pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int reloader_busy(const reloader *r) { return r->building || r->again; }

uint64_t reloader_coalesced(const reloader *r) { return r->coalesced; }

void reloader_destroy(reloader *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    r->want_build = 0;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (r->building) sq_info("reload.abandon", "effect=\"waiting for the build in progress to end\"");
    pthread_join(r->th, NULL);
    ev_async_stop(r->loop, &r->wake);
    if (r->have_result && r->result.rc == 0) {
        filter_host_scratch_free(r->result.scratch);
        filter_host_destroy(r->result.host);
        sq_config_free(&r->result.cfg);
    }
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r->retired);
    free(r->cfg_path);
    free(r);
}
