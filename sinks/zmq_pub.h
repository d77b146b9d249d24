/* zmq_pub.h -- the ZeroMQ alert publisher: XPUB fan-out, replay ROUTER, heartbeats, CURVE. */
#ifndef SINKS_ZMQ_PUB_H
#define SINKS_ZMQ_PUB_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"
#include "sink.h"
#include "zjournal.h"

#define SINK_ZPUB_RING_DEFAULT 100000u
#define SINK_ZPUB_RING_BYTES_DEFAULT ((size_t)4 << 20)
#define SINK_ZPUB_HEARTBEAT_DEFAULT 1000

/* Zero fields take defaults. An endpoint starting with '>' is connected
 * instead of bound (e.g. ">tcp://proxy:5560" to feed a squawk proxy). */
typedef struct sink_zpub_opts {
    const char *const *endpoints; /* tcp://, ipc://; at least one */
    size_t n_endpoints;
    const char *const *replay_endpoints; /* ROUTER answering REPLAY; none = no replay */
    size_t n_replay_endpoints;
    int sndhwm;             /* per subscriber; 0 = libzmq default (1000), < 0 = no limit */
    size_t ring_size;       /* messages held for replay (only with replay endpoints); 0 = 100,000 */
    size_t ring_max_bytes;  /* cap on held encoded bytes; 0 = 4 MiB */
    int heartbeat_ms;       /* 0 = 1000; < 0 = no heartbeats */
    double min_relevance;   /* a company topic only at this entity relevance (0-100) */
    const char *curve_secret_key; /* Z85 (40 chars); NULL = no CURVE */
    const char *curve_public_key; /* Z85; required with the secret key */
    const char *const *allowed_client_keys; /* Z85 public keys */
    size_t n_allowed_client_keys;
    const char *pub_id;     /* NULL = 16 random hex chars + "-" + pid */
    /* With a journal (the publisher owns it from create on, also on failure):
     * seq and per-topic tseq continue from it, submit accepts an article only
     * once its messages are journaled, and REPLAY reads it for seqs older
     * than the ring. pub_id must then be stable across restarts. */
    zjournal *journal;
} sink_zpub_opts;

typedef struct sink_zpub_stats {
    uint64_t sent;            /* alert messages handed to libzmq */
    uint64_t dropped;         /* messages refused because a subscriber's HWM was full */
    uint64_t heartbeats;
    uint64_t replay_requests;
    uint64_t replayed;        /* messages sent back on the replay socket */
    uint64_t gone;            /* GONE answers */
    uint64_t bad_requests;
    uint64_t subscriptions;   /* live subscriptions seen on the XPUB socket */
    uint64_t zap_allowed, zap_denied;
    uint64_t last_seq;
    uint64_t ring_oldest_seq; /* 0 when the ring is empty */
    size_t ring_count, ring_bytes;
    uint64_t replayed_bytes;  /* topic + body bytes of the messages replayed */
    size_t topics, prefixes;  /* distinct topics sent; subscribed prefixes in the digest */
    uint64_t journal_replayed; /* messages replayed from the journal (older than the ring) */
} sink_zpub_stats;

SQ_API int sink_zpub_create(sink **out, struct ev_loop *loop, const sink_zpub_opts *o,
                            char *err, size_t errlen);
SQ_API void sink_zpub_get_stats(sink *s, sink_zpub_stats *out);
/* The publisher id that goes into every message. */
SQ_API const char *sink_zpub_pub_id(sink *s);
/* The endpoint actually bound (ZMQ_LAST_ENDPOINT, so "tcp://127.0.0.1:*"
 * resolves to its port). replay = 0 for the XPUB socket, 1 for the ROUTER;
 * only the last bound endpoint of each socket is known. 0 or SQ_E_NOTFOUND. */
SQ_API int sink_zpub_endpoint(sink *s, int replay, char *out, size_t outlen);

#endif
