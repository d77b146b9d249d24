/* test_sink_bench.c -- sink_bench: alerts/s and emit->receipt latency through the ZeroMQ sink on loopback. */
#define _GNU_SOURCE
#include <ev.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "core/clock.h"
#include "core/log.h"
#include "proto/alert.h"
#include "sinks/zmq_pub.h"

/* Publisher thread: its own loop and sink, like squawk run. */
typedef struct bench {
    int n, rate, hwm;
    char ep[256];
    atomic_int ready, done;
    int submitted;
    int64_t t_first, t_last; /* monotonic ns around the submits */
    uint64_t dropped;
    proto_alert *alert;
    sink *s;
} bench;

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    bench *b = w->data;
    if (atomic_load(&b->done)) {
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    sink_zpub_stats st;
    sink_zpub_get_stats(b->s, &st);
    if (st.subscriptions == 0) return;
    /* rate 0: as fast as the loop turns (1000 per 1 ms tick); else paced. */
    int chunk = b->rate ? (b->rate / 1000 > 0 ? b->rate / 1000 : 1) : 1000;
    if (b->submitted < b->n) {
        if (!b->t_first) b->t_first = sq_clock_mono_ns();
        for (int i = 0; i < chunk && b->submitted < b->n; i++, b->submitted++)
            sink_submit(b->s, &b->alert, 1, (uint64_t)b->submitted);
        if (b->submitted == b->n) b->t_last = sq_clock_mono_ns();
    }
    sink_zpub_get_stats(b->s, &st);
    b->dropped = st.dropped;
}

static void *publisher(void *arg)
{
    bench *b = arg;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    static const char *eps[] = {"tcp://127.0.0.1:*"};
    static const char *reps[] = {"tcp://127.0.0.1:*"};
    sink_zpub_opts o = {.endpoints = eps, .n_endpoints = 1, .replay_endpoints = reps,
                        .n_replay_endpoints = 1, .sndhwm = b->hwm};
    char err[256];
    if (sink_zpub_create(&b->s, loop, &o, err, sizeof err) != 0) {
        fprintf(stderr, "sink: %s\n", err);
        exit(1);
    }
    sink_zpub_endpoint(b->s, 0, b->ep, sizeof b->ep);
    atomic_store(&b->ready, 1);
    ev_timer t;
    ev_timer_init(&t, on_tick, 0.001, 0.001);
    t.data = b;
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    ev_timer_stop(loop, &t);
    sink_destroy(b->s);
    ev_loop_destroy(loop);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One run; returns alerts/s, fills latency percentiles in microseconds. */
static double run(int n, int rate, int hwm, double *p50, double *p99, int *recv_out,
                  uint64_t *dropped, double *pub_rate)
{
    bench b;
    memset(&b, 0, sizeof b);
    b.n = n;
    b.rate = rate;
    b.hwm = hwm;
    b.alert = proto_alert_create();
    proto_alert_set(&b.alert->article.id, "bench-article-0001");
    proto_alert_set(&b.alert->article.headline,
                    "Amazon in advanced talks to invest up to $4 billion in Anthropic, sources say");
    proto_alert_set(&b.alert->article.source, "bench");
    proto_alert_set(&b.alert->article.url, "https://example.com/news/amazon-anthropic");
    proto_alert_set(&b.alert->category, "invest");
    proto_alert_set(&b.alert->stage, "talks");
    proto_alert_set(&b.alert->filter.name, "invest");
    proto_alert_set(&b.alert->filter.version, "1.0.0");
    b.alert->score = 87.5;
    b.alert->novelty = 100;
    proto_alert_add_entity(b.alert, "Amazon", "AMZN", "investor", 95);
    proto_alert_add_entity(b.alert, "Anthropic", NULL, "target", 90);
    proto_alert_add_amount(b.alert, 4e9, "$4 billion");
    proto_alert_add_evidence(b.alert, "invest.talks", "headline", 10, 25, "in advanced talks");
    proto_alert_add_evidence(b.alert, "invest.amount", "headline", 40, 50, "$4 billion");

    pthread_t th;
    pthread_create(&th, NULL, publisher, &b);
    while (!atomic_load(&b.ready)) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "invest.", 7);
    zmq_connect(sub, b.ep);
    int timeout = 2000; /* no message for 2 s: the rest was dropped */
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    int64_t *lat = malloc(sizeof *lat * (size_t)n);
    int got = 0;
    int64_t first_emit = 0, last_recv = 0;
    while (got < n) {
        zmq_msg_t t, d;
        zmq_msg_init(&t);
        if (zmq_msg_recv(&t, sub, 0) < 0) break;
        zmq_msg_init(&d);
        zmq_msg_recv(&d, sub, 0);
        int64_t now = sq_clock_realtime_ns();
        proto_alert *a = NULL;
        if (proto_alert_decode(zmq_msg_data(&d), zmq_msg_size(&d), &a, NULL, 0) == 0) {
            if (!got) first_emit = a->ts.emit_ns;
            lat[got++] = now - a->ts.emit_ns;
            last_recv = now;
            proto_alert_destroy(a);
        }
        zmq_msg_close(&t);
        zmq_msg_close(&d);
    }
    atomic_store(&b.done, 1);
    pthread_join(th, NULL);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    qsort(lat, (size_t)got, sizeof *lat, cmp_i64);
    *p50 = got ? lat[got / 2] / 1e3 : 0;
    *p99 = got ? lat[(size_t)((got - 1) * 0.99)] / 1e3 : 0;
    *recv_out = got;
    *dropped = b.dropped;
    *pub_rate = b.t_last > b.t_first ? n / ((b.t_last - b.t_first) / 1e9) : 0;
    free(lat);
    proto_alert_destroy(b.alert);
    return got > 1 ? got / ((last_recv - first_emit) / 1e9) : 0;
}

int main(int argc, char **argv)
{
    int n = 200000, runs = 5, rate = 0, hwm = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n")) n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate")) rate = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--hwm")) hwm = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: sink_bench [--n N] [--runs R] [--rate ALERTS_PER_S|0] [--hwm H|-1]\n");
            return 2;
        }
    }
    sq_log_setup(stderr, SQ_LOG_WARN, SQ_LOG_TEXT);
    double *rates = calloc((size_t)runs, sizeof *rates), *p50s = calloc((size_t)runs, sizeof *p50s),
           *p99s = calloc((size_t)runs, sizeof *p99s);
    for (int r = 0; r < runs; r++) {
        int got;
        uint64_t dropped;
        double pub_rate;
        rates[r] = run(n, rate, hwm, &p50s[r], &p99s[r], &got, &dropped, &pub_rate);
        printf("run %d: %d/%d alerts received, %llu dropped at HWM, %.0f alerts/s received "
               "(submitted at %.0f/s), latency p50 %.1f us p99 %.1f us\n",
               r + 1, got, n, (unsigned long long)dropped, rates[r], pub_rate, p50s[r], p99s[r]);
        fflush(stdout);
    }
    qsort(rates, (size_t)runs, sizeof *rates, cmp_dbl);
    qsort(p50s, (size_t)runs, sizeof *p50s, cmp_dbl);
    qsort(p99s, (size_t)runs, sizeof *p99s, cmp_dbl);
    printf("median of %d: %.0f alerts/s, p50 %.1f us, p99 %.1f us (n=%d rate=%d/s, 0 = max; hwm=%d)\n",
           runs, rates[runs / 2], p50s[runs / 2], p99s[runs / 2], n, rate, hwm);
    free(rates);
    free(p50s);
    free(p99s);
    return 0;
}
