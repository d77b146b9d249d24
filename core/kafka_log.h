/* kafka_log.h -- librdkafka's log lines through squawk's logger, for rd_kafka_conf_set_log_cb. */
#ifndef SQ_KAFKA_LOG_H
#define SQ_KAFKA_LOG_H

#include <librdkafka/rdkafka.h>
#include <string.h>

#include "log.h"

/* Header-only so core/ need not link librdkafka. Runs on librdkafka's
 * threads: sq_log (each line written under the stream's lock) is safe
 * there. Connection failures (fac FAIL) also reach the clients' error_cb,
 * which rate-limits them, so they are not repeated here. */
static inline void sq_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    if (strcmp(fac, "FAIL") == 0) return;
    sq_log_level l = level <= 3 ? SQ_LOG_ERROR : level == 4 ? SQ_LOG_WARN
                                               : level <= 6 ? SQ_LOG_INFO
                                                            : SQ_LOG_DEBUG;
    sq_log(l, "kafka.log", "client=%s fac=%s text=\"%s\"", rd_kafka_name(rk), fac, buf);
}

#endif
