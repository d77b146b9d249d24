/* fpool.c -- filter worker threads for squawk run: articles filtered in parallel, novelty and results in arrival order on the loop. */
#include "fpool.h"

#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/error.h"

struct fpool {
    struct ev_loop *loop;
    ev_async wake;
    fpool_emit_cb emit;
    void *ud;
    pthread_t th[FPOOL_MAX];
    unsigned n_th;
    pthread_mutex_t mu;
    pthread_cond_t work, room;
    fpool_job *q_head, *q_tail; /* waiting for a worker, in order */
    fpool_job *done;            /* filtered, not yet emitted, any order */
    size_t busy;                /* queued or being filtered */
    size_t limit;
    uint64_t next_order, next_emit;
    size_t unemitted;           /* submitted, not yet emitted (loop thread only) */
    int stop;
};

/* ---- jobs */

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s ? s : "", s ? n : 0);
        d[s ? n : 0] = '\0';
    }
    return d;
}

/* A deep copy: the decoder's article is freed when the callback returns. */
static int article_copy(proto_article *d, const proto_article *a)
{
    memset(d, 0, sizeof *d);
    d->id = dup_n(a->id, a->id_len), d->id_len = a->id_len;
    d->headline = dup_n(a->headline, a->headline_len), d->headline_len = a->headline_len;
    d->body = dup_n(a->body, a->body_len), d->body_len = a->body_len;
    d->source = dup_n(a->source, a->source_len), d->source_len = a->source_len;
    d->url = dup_n(a->url, a->url_len), d->url_len = a->url_len;
    d->lang = dup_n(a->lang, a->lang_len), d->lang_len = a->lang_len;
    d->published_ms = a->published_ms;
    d->dropped = a->dropped;
    memcpy(d->dropped_why, a->dropped_why, sizeof d->dropped_why);
    int ok = d->id && d->headline && d->body && d->source && d->url && d->lang;
    if (ok && a->n_tickers) {
        ok = (d->tickers = calloc(a->n_tickers, sizeof *d->tickers)) != NULL;
        for (size_t i = 0; ok && i < a->n_tickers; i++, d->n_tickers++)
            ok = (d->tickers[i] = strdup(a->tickers[i])) != NULL;
    }
    if (!ok) proto_article_free(d);
    return ok ? 0 : SQ_E_NOMEM;
}

static void job_free(fpool_job *j)
{
    for (size_t i = 0; i < j->n; i++) proto_alert_destroy(j->alerts[i]);
    free(j->alerts);
    proto_article_free(&j->a);
    free(j->topic);
    free(j);
}

/* ---- workers */

static void filter_one(fpool_job *j)
{
    filter_source src = {.topic = j->m.topic, .partition = j->m.partition, .offset = j->m.offset,
                         .ingest_ns = j->m.ingest_ns};
    int64_t t0 = sq_clock_mono_ns(), c0 = sq_clock_thread_cpu_ns();
    /* novelty waits for collect(): it depends on arrival order, which workers racing each other lose */
    j->rc = filter_host_process(j->host, &j->a, &src, FILTER_HOST_NOVELTY_LATER, &j->alerts, &j->n);
    j->filter_ns = sq_clock_mono_ns() - t0;
    j->filter_cpu_ns = sq_clock_thread_cpu_ns() - c0;
}

static void *worker(void *arg)
{
    fpool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && !p->q_head) pthread_cond_wait(&p->work, &p->mu);
        if (p->stop) break;
        fpool_job *j = p->q_head;
        p->q_head = j->next;
        if (!p->q_head) p->q_tail = NULL;
        pthread_mutex_unlock(&p->mu);
        filter_one(j);
        pthread_mutex_lock(&p->mu);
        j->next = p->done;
        p->done = j;
        p->busy--;
        pthread_cond_signal(&p->room);
        ev_async_send(p->loop, &p->wake);
    }
    pthread_mutex_unlock(&p->mu);
    filter_host_thread_done();
    return NULL;
}

/* ---- the loop's side */

/* A resend filtered at the same moment as its original, on the other worker,
 * would look new: novelty is decided here, one job at a time in arrival order,
 * exactly as the loop alone decides it. Its time counts as filter work. */
static void novelty_in_order(fpool_job *j)
{
    int64_t t0 = sq_clock_mono_ns(), c0 = sq_clock_thread_cpu_ns();
    filter_host_novelty(j->host, &j->a, j->alerts, j->n);
    j->filter_ns += sq_clock_mono_ns() - t0;
    j->filter_cpu_ns += sq_clock_thread_cpu_ns() - c0;
}

/* Emits the done jobs that are next in order; loop thread. */
static void collect(fpool *p)
{
    for (;;) {
        pthread_mutex_lock(&p->mu);
        fpool_job **pp = &p->done, *j = NULL;
        for (; *pp; pp = &(*pp)->next)
            if ((*pp)->order == p->next_emit) {
                j = *pp;
                *pp = j->next;
                break;
            }
        pthread_mutex_unlock(&p->mu);
        if (!j) return;
        p->next_emit++;
        if (j->rc == 0 && j->n) novelty_in_order(j);
        p->emit(p->ud, j);
        job_free(j);
        p->unemitted--;
    }
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents) { collect(w->data); }

int fpool_submit(fpool *p, filter_host *host, const proto_article *a, const ingest_meta *m)
{
    fpool_job *j = calloc(1, sizeof *j);
    if (!j) return SQ_E_NOMEM;
    if (article_copy(&j->a, a) != 0 || !(j->topic = strdup(m->topic ? m->topic : ""))) {
        job_free(j);
        return SQ_E_NOMEM;
    }
    j->m = *m;
    j->m.topic = j->topic;
    j->host = host;
    j->order = p->next_order++;
    p->unemitted++;
    pthread_mutex_lock(&p->mu);
    while (p->busy >= p->limit) {
        /* room comes when a worker finishes one; emit what is ready meanwhile */
        pthread_mutex_unlock(&p->mu);
        collect(p);
        pthread_mutex_lock(&p->mu);
        if (p->busy >= p->limit) pthread_cond_wait(&p->room, &p->mu);
    }
    if (p->q_tail) p->q_tail->next = j;
    else p->q_head = j;
    p->q_tail = j;
    p->busy++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    collect(p);
    return 0;
}

void fpool_wait_idle(fpool *p)
{
    while (p->unemitted) {
        collect(p);
        pthread_mutex_lock(&p->mu);
        /* the next one in order is not done yet: wait for a worker to finish one */
        if (p->unemitted && p->busy) pthread_cond_wait(&p->room, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

size_t fpool_pending(const fpool *p) { return p->unemitted; }

int fpool_create(fpool **out, struct ev_loop *loop, unsigned n, fpool_emit_cb emit, void *ud)
{
    *out = NULL;
    if (n < 1 || n > FPOOL_MAX) return SQ_E_INVAL;
    fpool *p = calloc(1, sizeof *p);
    if (!p) return SQ_E_NOMEM;
    p->loop = loop;
    p->emit = emit;
    p->ud = ud;
    p->limit = 2 * (size_t)n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->room, NULL);
    ev_async_init(&p->wake, on_wake);
    p->wake.data = p;
    ev_async_start(loop, &p->wake);
    /* signals stay with the loop thread (libev's handlers) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (; p->n_th < n; p->n_th++)
        if (pthread_create(&p->th[p->n_th], NULL, worker, p) != 0) break;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (p->n_th < n) {
        fpool_destroy(p);
        return SQ_E_NOMEM;
    }
    *out = p;
    return 0;
}

void fpool_destroy(fpool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_th; i++) pthread_join(p->th[i], NULL);
    ev_async_stop(p->loop, &p->wake);
    for (fpool_job *j = p->q_head, *nx; j; j = nx) nx = j->next, job_free(j);
    for (fpool_job *j = p->done, *nx; j; j = nx) nx = j->next, job_free(j);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->room);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
