/* cmd_broker.c -- squawk broker: an embedded mock Kafka cluster for development and tests. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ingest/broker.h"

static const char usage[] =
    "usage: squawk broker [--brokers N] [--topic NAME[:PARTITIONS]]... [--partitions P]\n"
    "\n"
    "Starts librdkafka's mock Kafka cluster on loopback, creates the topics, prints\n"
    "the bootstrap address as the first line on stdout, and runs until SIGINT or\n"
    "SIGTERM. For development and testing only: nothing is persisted, and the mock\n"
    "keeps only a few MB per partition (older messages are dropped).\n"
    "\n"
    "  --brokers N         number of brokers (default 1)\n"
    "  --topic NAME[:P]    create topic NAME with P partitions (repeatable)\n"
    "  --partitions P      partitions for topics given without :P (default 4)\n";

int cmd_broker(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    int brokers = 1, partitions = 4, n_topics = 0;
    const char **topics = calloc((size_t)argc, sizeof *topics);
    if (!topics) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--brokers") == 0 || strcmp(a, "-n") == 0) && i + 1 < argc) {
            brokers = atoi(argv[++i]);
        } else if ((strcmp(a, "--topic") == 0 || strcmp(a, "-t") == 0) && i + 1 < argc) {
            topics[n_topics++] = argv[++i];
        } else if ((strcmp(a, "--partitions") == 0 || strcmp(a, "-p") == 0) && i + 1 < argc) {
            partitions = atoi(argv[++i]);
        } else {
            fprintf(stderr, "squawk broker: unknown or incomplete option '%s'\n%s", a, usage);
            free(topics);
            return 2;
        }
    }
    if (brokers < 1 || brokers > 64 || partitions < 1) {
        fprintf(stderr, "squawk broker: --brokers must be 1..64 and --partitions >= 1\n");
        free(topics);
        return 2;
    }
    /* Block the signals before librdkafka starts threads, so they inherit the
     * mask and sigwait() below is the only receiver. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    char err[256];
    ingest_broker *b;
    if (ingest_broker_create(&b, brokers, err, sizeof err) != 0) {
        fprintf(stderr, "squawk broker: %s\n", err);
        free(topics);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < n_topics && rc == 0; i++) {
        char name[256];
        int p = partitions;
        snprintf(name, sizeof name, "%s", topics[i]);
        char *colon = strrchr(name, ':');
        if (colon) {
            *colon = '\0';
            p = atoi(colon + 1);
        }
        if (ingest_broker_topic_create(b, name, p) != 0) {
            fprintf(stderr, "squawk broker: cannot create topic '%s' with %d partitions\n", name, p);
            rc = 1;
        }
    }
    free(topics);
    if (rc == 0) {
        printf("%s\n", ingest_broker_bootstraps(b));
        fflush(stdout);
        fprintf(stderr, "squawk broker: %d broker(s) at %s; development/testing only; Ctrl-C stops\n",
                brokers, ingest_broker_bootstraps(b));
        int sig;
        sigwait(&set, &sig);
    }
    ingest_broker_destroy(b);
    return rc;
}
