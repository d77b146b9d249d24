/* kafka.h -- the Kafka alert sink: msgpack alerts to a topic, acceptance on delivery reports. */
#ifndef SINKS_KAFKA_H
#define SINKS_KAFKA_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"
#include "sink.h"

struct ev_loop;

/* props: librdkafka key, value, key, value ... (n_props = number of pairs),
 * as ingest_kafka_opts. One record per (alert, ticker), key = alert id, value
 * = the msgpack alert with pub/seq like the ZeroMQ sink. submit() returns 1
 * and s->done(ud, token, 0) follows once every record of the token is
 * acknowledged by the broker (or status < 0 once one failed for good).
 * Delivery reports are served on the loop; no extra threads. */
SQ_API int sink_kafka_create(sink **out, struct ev_loop *loop, const char *const *props,
                             size_t n_props, const char *topic, char *err, size_t errlen);

typedef struct sink_kafka_stats {
    uint64_t produced, delivered, failed, tokens_done, tokens_failed;
    size_t outstanding; /* records awaiting a delivery report */
} sink_kafka_stats;
SQ_API void sink_kafka_get_stats(sink *s, sink_kafka_stats *out);

#endif
