/* zwire.h -- the words of the squawk ZeroMQ protocol, spelled once for the publisher, the subscriber library and the proxy. */
#ifndef SINKS_ZWIRE_H
#define SINKS_ZWIRE_H

/* Heartbeat topic (frame 1); its body is a proto_heartbeat. */
#define ZWIRE_HB_TOPIC "_hb"
#define ZWIRE_HB_TOPIC_LEN 3

/* Replay requests, one frame of text lines (docs/ALERTS.md section 3):
 *   REPLAY <from_seq> [<to_seq>]
 *   pub <pub id>        optional; the proxy routes by it, a publisher refuses another id
 *   topic <prefix>      optional, repeatable; only alerts whose topic starts with one
 * Old publishers read the first line only and replay every topic. */
#define ZWIRE_REPLAY "REPLAY"
#define ZWIRE_REQ_PUB "pub "
#define ZWIRE_REQ_TOPIC "topic "
#define ZWIRE_REQ_MAX 8192      /* bytes of one request */
#define ZWIRE_REQ_MAX_TOPICS 64 /* topic lines in one request */

/* Single-frame answers; replayed alerts are two frames (topic, body) as published. */
#define ZWIRE_GONE "GONE" /* GONE <oldest seq held>: older ones are lost for good */
#define ZWIRE_END "END"   /* END <last seq>: the answer is complete */
#define ZWIRE_ERR "ERR"   /* ERR <reason>: the request was refused */

/* A heartbeat must decode in subscribers built before the digest existed
 * (proto's limits: 4096 bytes, 64 entries per map), so the publisher sends
 * the digest in slices of at most this many prefixes and bytes. */
#define ZWIRE_HB_MAX_BYTES 4096
#define ZWIRE_HB_DG_MAX 48
#define ZWIRE_HB_DG_BYTES 3000
#define ZWIRE_PREFIX_MAX 255 /* longer subscriptions get no digest entry */

/* A subscriber calls a publisher silent after this many announced periods. */
#define ZWIRE_SILENT_PERIODS 3.5

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"

/* A parsed REPLAY request. */
typedef struct zwire_req {
    uint64_t from, to; /* to = 0: up to the latest */
    char pub[64];      /* "" when the request names no publisher */
    char topics[ZWIRE_REQ_MAX]; /* n_topics NUL-terminated prefixes, one after the other */
    size_t n_topics, topics_len;
} zwire_req;

/* Parses one request frame (outside bytes). 0, or SQ_E_INVAL with *why the
 * reason for the ERR answer ("bad request", "too many topics"). */
SQ_API int zwire_parse_request(const void *body, size_t len, zwire_req *out, const char **why);

#endif
