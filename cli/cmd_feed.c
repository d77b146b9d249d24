/* cmd_feed.c -- squawk feed: produce articles from files into a Kafka topic. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/error.h"
#include "ingest/feed.h"

static const char usage[] =
    "usage: squawk feed -b BOOTSTRAP -t TOPIC [options] PATH...\n"
    "\n"
    "Produces articles into TOPIC, each message's bytes unchanged, with header\n"
    "squawk-ts = produce time (CLOCK_REALTIME ns). PATH is a .json file (one\n"
    "object), a .msgpack file, a JSON Lines file (one article per line; detected),\n"
    "a directory (its files in name order), or - for JSON Lines on stdin.\n"
    "Waits for every delivery report; exits 1 if any failed.\n"
    "\n"
    "  -b, --brokers LIST   bootstrap servers (host:port,...)\n"
    "  -t, --topic NAME     topic to produce to\n"
    "  --rate N             N messages per second, evenly spaced (default: unpaced)\n"
    "  --loop               repeat the inputs until --count or Ctrl-C (soak tests)\n"
    "  --count N            stop after N messages\n"
    "  --key-id             key each message by its article id\n"
    "  --timeout S          give up on a message not delivered within S seconds (default 30);\n"
    "                       exit 1 naming the broker\n"
    "  -X key=value         any librdkafka producer property (repeatable)\n";

static ingest_feed *g_feed;

static void on_signal(int sig)
{
    if (g_feed) ingest_feed_stop(g_feed);
}

int cmd_feed(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    ingest_feed_opts o = {0};
    const char **paths = calloc((size_t)argc, sizeof *paths);
    const char **props = calloc((size_t)argc * 2, sizeof *props);
    char **owned = calloc((size_t)argc, sizeof *owned);
    size_t n_paths = 0, n_owned = 0;
    int rc = 2;
    if (!paths || !props || !owned) goto out;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if ((!strcmp(a, "-b") || !strcmp(a, "--brokers") || !strcmp(a, "--bootstrap")) && has) {
            o.bootstrap = argv[++i];
        } else if ((!strcmp(a, "-t") || !strcmp(a, "--topic")) && has) {
            o.topic = argv[++i];
        } else if (!strcmp(a, "--rate") && has) {
            o.rate = atof(argv[++i]);
        } else if (!strcmp(a, "--count") && has) {
            o.count = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--loop")) {
            o.loop = 1;
        } else if (!strcmp(a, "--timeout") && has) {
            double t = atof(argv[++i]);
            if (t <= 0 || t > 86400) {
                fprintf(stderr, "squawk feed: --timeout wants seconds in (0, 86400], got '%s'\n", argv[i]);
                goto out;
            }
            o.timeout_ms = (unsigned)(t * 1000);
        } else if (!strcmp(a, "--key-id")) {
            o.key_id = 1;
        } else if (!strcmp(a, "-X") && has) {
            char *kv = strdup(argv[++i]);
            char *eq = kv ? strchr(kv, '=') : NULL;
            if (!eq) {
                fprintf(stderr, "squawk feed: -X wants key=value, got '%s'\n", argv[i]);
                free(kv);
                goto out;
            }
            *eq = '\0';
            owned[n_owned++] = kv;
            props[2 * o.n_props] = kv;
            props[2 * o.n_props + 1] = eq + 1;
            o.n_props++;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "squawk feed: unknown or incomplete option '%s'\n%s", a, usage);
            goto out;
        } else {
            paths[n_paths++] = a;
        }
    }
    if (!o.bootstrap || !o.topic || n_paths == 0) {
        fprintf(stderr, "squawk feed: -b, -t and at least one PATH are required\n%s", usage);
        goto out;
    }
    o.props = props;
    char err[512] = "";
    ingest_feed *f;
    int e = ingest_feed_create(&f, &o, err, sizeof err);
    if (e) {
        fprintf(stderr, "squawk feed: %s\n", err);
        rc = 1;
        goto out;
    }
    g_feed = f;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    e = ingest_feed_run(f, paths, n_paths, err, sizeof err);
    if (e) fprintf(stderr, "squawk feed: %s\n", err[0] ? err : sq_strerror(e));
    /* Delivery reports arrive within message.timeout.ms; a little more for the last ones. */
    int fe = ingest_feed_finish(f, (int)(o.timeout_ms ? o.timeout_ms : 30000) + 5000);
    uint64_t sent, delivered, failed;
    ingest_feed_counts(f, &sent, &delivered, &failed);
    fprintf(stderr, "squawk feed: sent=%llu delivered=%llu failed=%llu\n",
            (unsigned long long)sent, (unsigned long long)delivered, (unsigned long long)failed);
    if (fe)
        fprintf(stderr, "squawk feed: %llu of %llu message(s) not delivered to %s (topic %s): %s\n",
                (unsigned long long)(sent - delivered), (unsigned long long)sent, o.bootstrap,
                o.topic, ingest_feed_last_error(f)[0] ? ingest_feed_last_error(f) : sq_strerror(fe));
    g_feed = NULL;
    ingest_feed_destroy(f);
    rc = (e || fe) ? 1 : 0;
out:
    for (size_t i = 0; i < n_owned; i++) free(owned[i]);
    free(owned);
    free(paths);
    free(props);
    return rc;
}
