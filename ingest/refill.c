/* refill.c -- wakes librdkafka's fetchers when squawk's consumer queue ran dry with a backlog left. */
#include "refill.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "../core/error.h"

/* Why this exists: librdkafka 2.0 stops fetching a partition while the
 * consumer queue holds queued.max.messages.kbytes and looks again only when
 * the broker's thread wakes for something else -- at the latest a second
 * later. A consumer slower than the broker therefore empties its queue and
 * idles for the rest of that second: squawk's backlog drain ran at about
 * queued.max.messages.kbytes per second. A request to a partition's leader
 * wakes that broker's thread, which then re-decides its fetches. The request
 * is a ListOffsets (rd_kafka_offsets_for_times, one per leader), and it
 * blocks, so it runs here and not on the event loop. Commits do not help:
 * they go through the group coordinator's own connection and thread. */

#define REFILL_MIN_GAP_MS 20   /* at most 50 wake-ups a second */
#define REFILL_TIMEOUT_MS 1000 /* a slow broker: give up, the next poke retries */

struct ingest_refill {
    rd_kafka_t *rk;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int poked, stopping, started;
    unsigned long sent; /* requests sent, for tests and logs */
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* one ListOffsets per leader of the assigned partitions ("latest": -1) */
static void wake_leaders(rd_kafka_t *rk)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(rk, &a) != 0 || !a) return;
    if (a->cnt > 0) {
        for (int i = 0; i < a->cnt; i++) a->elems[i].offset = RD_KAFKA_OFFSET_END;
        rd_kafka_offsets_for_times(rk, a, REFILL_TIMEOUT_MS);
    }
    rd_kafka_topic_partition_list_destroy(a);
}

static void *refill_main(void *arg)
{
    ingest_refill *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->poked && !r->stopping) pthread_cond_wait(&r->cv, &r->mu);
        if (r->stopping) break;
        r->poked = 0;
        pthread_mutex_unlock(&r->mu);
        wake_leaders(r->rk);
        sleep_ms(REFILL_MIN_GAP_MS);
        pthread_mutex_lock(&r->mu);
        r->sent++;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int ingest_refill_create(ingest_refill **out, rd_kafka_t *rk)
{
    *out = NULL;
    ingest_refill *r = calloc(1, sizeof *r);
    if (!r) return SQ_E_NOMEM;
    r->rk = rk;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, refill_main, r) != 0) {
        ingest_refill_destroy(r);
        return SQ_E_NOMEM;
    }
    r->started = 1;
    *out = r;
    return 0;
}

void ingest_refill_poke(ingest_refill *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    if (!r->poked) {
        r->poked = 1;
        pthread_cond_signal(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
}

unsigned long ingest_refill_sent(ingest_refill *r)
{
    if (!r) return 0;
    pthread_mutex_lock(&r->mu);
    unsigned long n = r->sent;
    pthread_mutex_unlock(&r->mu);
    return n;
}

void ingest_refill_destroy(ingest_refill *r)
{
    if (!r) return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stopping = 1;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
    }
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
