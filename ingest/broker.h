/* broker.h -- the embedded mock Kafka cluster for development and tests (librdkafka's rdkafka_mock). */
#ifndef INGEST_BROKER_H
#define INGEST_BROKER_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"

typedef struct ingest_broker ingest_broker;

/* Starts n_brokers (>= 1) mock brokers listening on loopback, ids 1..n. */
SQ_API int ingest_broker_create(ingest_broker **out, int n_brokers, char *err, size_t errlen);
/* "127.0.0.1:port,..." -- valid until destroy. */
SQ_API const char *ingest_broker_bootstraps(const ingest_broker *b);
SQ_API int ingest_broker_topic_create(ingest_broker *b, const char *topic, int partitions);
/* Takes broker `id` (1..n) down (down=1) or back up (down=0): its
 * connections drop and it refuses new ones until brought up. */
SQ_API int ingest_broker_set_down(ingest_broker *b, int32_t id, int down);
/* The underlying rd_kafka_mock_cluster_t *, for tests that inject errors. */
SQ_API void *ingest_broker_mock(ingest_broker *b);
SQ_API void ingest_broker_destroy(ingest_broker *b);

#endif
