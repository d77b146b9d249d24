/* e2e_sub.c -- latency subscriber for make bench: produce->receipt and ingest->emit histograms.
 *
 * usage: e2e_sub -c ENDPOINT [--replay EP] [--idle-ms MS] [--timeout S] [--ready FILE] [--dist FILE]
 * Subscribes to every topic through the subscriber library (sinks/zsub.h; replay only with
 * --replay, otherwise a gap is counted as lost) and records, per
 * message, now(CLOCK_REALTIME) - ts.produce_ns and ts.emit_ns - ts.ingest_ns in log-bucket
 * histograms, and the two legs around squawk: ts.ingest_ns - ts.produce_ns (producer -> broker ->
 * squawk's consumer) and now - ts.emit_ns (the sinks -> ZeroMQ -> this subscriber), so the
 * produce->subscriber time is seen split into where it goes. Stops on SIGINT/SIGTERM, after --timeout, or once no alert arrived for
 * --idle-ms after the first one; then prints one line of key=value pairs (microseconds). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "../proto/alert.h"
#include "../sinks/zsub.h"
#include "hist.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int64_t now_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t now_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void usage(void)
{
    fprintf(stderr, "usage: e2e_sub -c ENDPOINT [--replay EP] [--idle-ms MS] [--timeout S] "
                    "[--ready FILE] [--dist FILE]\n");
}

int main(int argc, char **argv)
{
    const char *ep = NULL, *ready = NULL, *dist = NULL, *replay = "";
    long idle_ms = 3000;
    double timeout_s = 600;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) {
            usage();
            return 2;
        }
        if (strcmp(a, "-c") == 0) ep = argv[++i];
        else if (strcmp(a, "--replay") == 0) replay = argv[++i];
        else if (strcmp(a, "--idle-ms") == 0) idle_ms = atol(argv[++i]);
        else if (strcmp(a, "--timeout") == 0) timeout_s = atof(argv[++i]);
        else if (strcmp(a, "--ready") == 0) ready = argv[++i];
        else if (strcmp(a, "--dist") == 0) dist = argv[++i];
        else {
            usage();
            return 2;
        }
    }
    if (!ep) {
        usage();
        return 2;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* Everything, from now on, no limit on our queue: the bench measures latency, not loss. */
    zsub_opts o = {.no_from_start = 1, .no_replay = !replay[0], .rcvhwm = -1};
    zsub *z = NULL;
    char err[256] = "";
    if (zsub_create(&z, &o, err, sizeof err) != 0 || zsub_connect(z, ep, replay, 0) != 0) {
        fprintf(stderr, "e2e_sub: connect %s: %s\n", ep, err[0] ? err : zmq_strerror(errno));
        return 1;
    }
    bench_hist *e2e = bench_hist_create(), *proc = bench_hist_create();
    bench_hist *kafka = bench_hist_create(), *wire = bench_hist_create();
    uint64_t alerts = 0, no_ts = 0;
    int64_t start = now_mono_ns(), last = 0;
    int got_any = 0;
    zsub_event ev;
    while (!stop) {
        int64_t t = now_mono_ns();
        if ((double)(t - start) / 1e9 > timeout_s) break;
        if (alerts && (t - last) / 1000000 > idle_ms) break;
        if (zsub_next(z, &ev, 100) <= 0) continue; /* timeout or EINTR */
        int64_t recv_ns = now_real_ns();
        /* The first heartbeat (or alert) of the publisher proves the subscription is live. */
        if (!got_any && ready && (ev.kind == ZSUB_PUBLISHER || ev.kind == ZSUB_ALERT)) {
            FILE *f = fopen(ready, "w");
            if (f) fclose(f);
            got_any = 1;
        }
        if (ev.kind != ZSUB_ALERT) continue;
        const proto_alert *a = ev.alert;
        alerts++;
        last = now_mono_ns();
        if (a->ts.produce_ns > 0) bench_hist_record(e2e, recv_ns - a->ts.produce_ns);
        else no_ts++;
        if (a->ts.ingest_ns > 0 && a->ts.emit_ns > 0) bench_hist_record(proc, a->ts.emit_ns - a->ts.ingest_ns);
        if (a->ts.produce_ns > 0 && a->ts.ingest_ns > 0) bench_hist_record(kafka, a->ts.ingest_ns - a->ts.produce_ns);
        if (a->ts.emit_ns > 0) bench_hist_record(wire, recv_ns - a->ts.emit_ns);
    }
    zsub_stats zs;
    zsub_get_stats(z, &zs);
    uint64_t hbs = zs.heartbeats, bad = zs.bad;
    printf("alerts=%llu heartbeats=%llu undecodable=%llu no_produce_ts=%llu "
           "e2e_p50_us=%.1f e2e_p99_us=%.1f e2e_p999_us=%.1f e2e_max_us=%.1f "
           "proc_p50_us=%.1f proc_p99_us=%.1f proc_p999_us=%.1f "
           "kafka_p50_us=%.1f kafka_p99_us=%.1f wire_p50_us=%.1f wire_p99_us=%.1f\n",
           (unsigned long long)alerts, (unsigned long long)hbs, (unsigned long long)bad,
           (unsigned long long)no_ts, bench_hist_percentile(e2e, 50) / 1e3,
           bench_hist_percentile(e2e, 99) / 1e3, bench_hist_percentile(e2e, 99.9) / 1e3,
           bench_hist_max(e2e) / 1e3, bench_hist_percentile(proc, 50) / 1e3,
           bench_hist_percentile(proc, 99) / 1e3, bench_hist_percentile(proc, 99.9) / 1e3,
           bench_hist_percentile(kafka, 50) / 1e3, bench_hist_percentile(kafka, 99) / 1e3,
           bench_hist_percentile(wire, 50) / 1e3, bench_hist_percentile(wire, 99) / 1e3);
    fflush(stdout);
    if (dist) {
        FILE *f = fopen(dist, "w");
        if (f) {
            bench_hist_write_dist(e2e, f, 1e3);
            fclose(f);
        }
    }
    bench_hist_destroy(e2e);
    bench_hist_destroy(proc);
    bench_hist_destroy(kafka);
    bench_hist_destroy(wire);
    zsub_destroy(z);
    return 0;
}
