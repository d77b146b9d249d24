/* broker.c -- the embedded mock Kafka cluster for development and tests (librdkafka's rdkafka_mock). */
#include "broker.h"

#include <stdio.h>
#include <stdlib.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "../core/error.h"

struct ingest_broker {
    rd_kafka_t *rk; /* the mock cluster lives inside a client instance */
    rd_kafka_mock_cluster_t *mc;
};

int ingest_broker_create(ingest_broker **out, int n_brokers, char *err, size_t errlen)
{
    char es[256];
    *out = NULL;
    if (n_brokers < 1) n_brokers = 1;
    ingest_broker *b = calloc(1, sizeof *b);
    if (!b) return SQ_E_NOMEM;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    /* This client never connects anywhere; keep it quiet. */
    rd_kafka_conf_set(c, "log_level", "3", es, sizeof es);
    b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
    if (!b->rk) {
        rd_kafka_conf_destroy(c);
        if (err) snprintf(err, errlen, "mock host client: %s", es);
        free(b);
        return SQ_E_KAFKA;
    }
    b->mc = rd_kafka_mock_cluster_new(b->rk, n_brokers);
    if (!b->mc) {
        if (err) snprintf(err, errlen, "mock cluster could not start");
        rd_kafka_destroy(b->rk);
        free(b);
        return SQ_E_KAFKA;
    }
    *out = b;
    return 0;
}

const char *ingest_broker_bootstraps(const ingest_broker *b)
{
    return rd_kafka_mock_cluster_bootstraps(b->mc);
}

int ingest_broker_topic_create(ingest_broker *b, const char *topic, int partitions)
{
    if (!topic || !*topic || partitions < 1) return SQ_E_INVAL;
    return rd_kafka_mock_topic_create(b->mc, topic, partitions, 1) ? SQ_E_KAFKA : 0;
}

int ingest_broker_set_down(ingest_broker *b, int32_t id, int down)
{
    rd_kafka_resp_err_t e = down ? rd_kafka_mock_broker_set_down(b->mc, id)
                                 : rd_kafka_mock_broker_set_up(b->mc, id);
    return e ? SQ_E_KAFKA : 0;
}

void *ingest_broker_mock(ingest_broker *b) { return b->mc; }

void ingest_broker_destroy(ingest_broker *b)
{
    if (!b) return;
    rd_kafka_mock_cluster_destroy(b->mc);
    rd_kafka_destroy(b->rk);
    free(b);
}
