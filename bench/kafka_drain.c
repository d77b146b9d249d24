/* kafka_drain.c -- the broker's own ceiling for make bench: a bare librdkafka consumer, no processing.
 *
 * usage: kafka_drain -b BOOTSTRAP -t TOPIC -n COUNT [-g GROUP] [--ready FILE] [--timeout S]
 *                    [--idle S] [-X key=value ...]
 * Joins GROUP (default kafka-drain-<pid>) on TOPIC from the earliest offset, touches --ready
 * once partitions are assigned, then polls until COUNT messages arrived, --timeout seconds
 * passed (default 120) or, once messages flowed, none came for --idle seconds (default 10: the
 * mock broker drops a partition's oldest messages beyond its retention, so COUNT may never
 * come). It leaves without the group's close handshake, so it always ends. For
 * every message it records now(CLOCK_REALTIME) minus the feeder's "squawk-ts" header (the
 * produce time, as squawk's latency rows use) in a log-bucket histogram. Prints one line:
 * messages=N secs=S (first message -> last) rate=R last_ns=T (CLOCK_REALTIME of the last one)
 * recv_p50_us= recv_p99_us= recv_p999_us= ended=count|idle|timeout|signal; exit 1 when short of COUNT.
 * The -X properties are the consumer properties squawk runs with, so the two differ only in
 * what happens to a message after librdkafka hands it over. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "../ingest/kafka.h"
#include "hist.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char e[256];
    if (rd_kafka_conf_set(c, k, v, e, sizeof e) == RD_KAFKA_CONF_OK) return 0;
    fprintf(stderr, "kafka_drain: %s=%s: %s\n", k, v, e);
    return -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: kafka_drain -b BOOTSTRAP -t TOPIC -n COUNT [-g GROUP] [--ready FILE] "
                    "[--timeout S] [--idle S] [-X key=value ...]\n");
}

static rd_kafka_t *consumer(int argc, char **argv, const char **topic, long *count,
                            const char **ready, double *timeout_s, double *idle_s)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char group[64];
    snprintf(group, sizeof group, "kafka-drain-%ld", (long)getpid());
    int bad = set(c, "group.id", group) || set(c, "auto.offset.reset", "earliest") ||
              set(c, "enable.auto.commit", "false") ||
              set(c, "enable.partition.eof", "false");
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) bad = 1;
        else if (!strcmp(a, "-b")) bad = set(c, "bootstrap.servers", argv[++i]);
        else if (!strcmp(a, "-g")) bad = set(c, "group.id", argv[++i]);
        else if (!strcmp(a, "-t")) *topic = argv[++i];
        else if (!strcmp(a, "-n")) *count = atol(argv[++i]);
        else if (!strcmp(a, "--ready")) *ready = argv[++i];
        else if (!strcmp(a, "--timeout")) *timeout_s = atof(argv[++i]);
        else if (!strcmp(a, "--idle")) *idle_s = atof(argv[++i]);
        else if (!strcmp(a, "-X")) {
            char kv[1024];
            snprintf(kv, sizeof kv, "%s", argv[++i]);
            char *eq = strchr(kv, '=');
            if (!eq) bad = 1;
            else {
                *eq = 0;
                bad = set(c, kv, eq + 1);
            }
        } else bad = 1;
    }
    char e[512];
    rd_kafka_t *rk = NULL;
    if (bad || !*topic || *count <= 0 || !(rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof e))) {
        if (!bad && *topic && *count > 0) fprintf(stderr, "kafka_drain: %s\n", e);
        else usage();
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tl, *topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(rk, tl);
    rd_kafka_topic_partition_list_destroy(tl);
    if (se) {
        fprintf(stderr, "kafka_drain: subscribe: %s\n", rd_kafka_err2str(se));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

/* Touches path once the group has assigned this consumer its partitions. */
static void mark_ready(rd_kafka_t *rk, const char **ready)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (!*ready || rd_kafka_assignment(rk, &a) || !a) return;
    if (a->cnt > 0) {
        FILE *f = fopen(*ready, "w");
        if (f) fclose(f);
        *ready = NULL;
    }
    rd_kafka_topic_partition_list_destroy(a);
}

/* Why the loop ended, for the output line. */
static const char *ended(long got, long count, int idle)
{
    return stop ? "signal" : got >= count ? "count" : idle ? "idle" : "timeout";
}

int main(int argc, char **argv)
{
    const char *topic = NULL, *ready = NULL;
    long count = 0;
    double timeout_s = 120, idle_s = 10;
    rd_kafka_t *rk = consumer(argc, argv, &topic, &count, &ready, &timeout_s, &idle_s);
    if (!rk) return 2;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    bench_hist *h = bench_hist_create();
    long got = 0;
    int idle = 0;
    int64_t first = 0, last = 0, last_real = 0, deadline = now_ns(CLOCK_MONOTONIC) + (int64_t)(timeout_s * 1e9);
    while (!stop && got < count && now_ns(CLOCK_MONOTONIC) < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        mark_ready(rk, &ready);
        if (!m) {
            if (got && now_ns(CLOCK_MONOTONIC) - last > (int64_t)(idle_s * 1e9)) {
                idle = 1;
                break;
            }
            continue;
        }
        if (!m->err) {
            int64_t ts = ingest_kafka_produce_ts(m), now = now_ns(CLOCK_REALTIME);
            if (ts) bench_hist_record(h, now - ts);
            last = now_ns(CLOCK_MONOTONIC);
            last_real = now;
            if (!got++) first = last;
        }
        rd_kafka_message_destroy(m);
    }
    double secs = got > 1 ? (double)(last - first) / 1e9 : 0;
    printf("messages=%ld secs=%.3f rate=%.1f last_ns=%lld recv_p50_us=%.1f recv_p99_us=%.1f "
           "recv_p999_us=%.1f ended=%s\n", got, secs, secs > 0 ? (double)(got - 1) / secs : 0,
           (long long)last_real,
           (double)bench_hist_percentile(h, 50) / 1e3, (double)bench_hist_percentile(h, 99) / 1e3,
           (double)bench_hist_percentile(h, 99.9) / 1e3, ended(got, count, idle));
    fflush(stdout);
    bench_hist_destroy(h);
    /* A throwaway group: no leave handshake (rd_kafka_consumer_close can wait on a busy or
     * gone broker), offsets are never committed. */
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return got >= count ? 0 : 1;
}
