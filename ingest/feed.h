/* feed.h -- produces articles from files into a Kafka topic, paced, with delivery accounting. */
#ifndef INGEST_FEED_H
#define INGEST_FEED_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"

typedef struct ingest_feed_opts {
    const char *bootstrap;
    const char *topic;
    const char *const *props; /* extra librdkafka key, value, ... pairs */
    size_t n_props;
    double rate;              /* messages per second, evenly spaced; 0 = unpaced */
    int loop;                 /* repeat the inputs until count or stop */
    uint64_t count;           /* stop after this many messages; 0 = no limit */
    int key_id;               /* key every message by its article id (decoded with proto) */
    unsigned timeout_ms;      /* delivery timeout per message (message.timeout.ms); 0 = 30 s */
} ingest_feed_opts;

typedef struct ingest_feed ingest_feed;

SQ_API int ingest_feed_create(ingest_feed **out, const ingest_feed_opts *o, char *err,
                              size_t errlen);
/* Produces one message (bytes unchanged) with header squawk-ts = CLOCK_REALTIME
 * ns. Paces to opts.rate. Returns SQ_E_AGAIN once count is reached or stop
 * was requested. */
SQ_API int ingest_feed_send(ingest_feed *f, const void *buf, size_t len);
/* Sends every article in a .json file (one object), a .msgpack file, a JSON
 * Lines file (detected), a directory (files in name order) or "-" (stdin JSON
 * Lines). Honours opts.loop and opts.count across all paths. */
SQ_API int ingest_feed_run(ingest_feed *f, const char *const *paths, size_t n_paths, char *err,
                           size_t errlen);
/* Waits for every delivery report (at most timeout_ms); 0 when all were
 * delivered, SQ_E_KAFKA if any failed, SQ_E_TIMEOUT if some are unanswered. */
SQ_API int ingest_feed_finish(ingest_feed *f, int timeout_ms);
/* The last delivery error librdkafka reported ("" when none). */
SQ_API const char *ingest_feed_last_error(const ingest_feed *f);
SQ_API void ingest_feed_counts(const ingest_feed *f, uint64_t *sent, uint64_t *delivered,
                               uint64_t *failed);
/* Async-signal-safe: makes the next send return SQ_E_AGAIN. */
SQ_API void ingest_feed_stop(ingest_feed *f);
SQ_API void ingest_feed_destroy(ingest_feed *f);

#endif
