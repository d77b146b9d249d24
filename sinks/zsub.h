/* zsub.h -- the desk side of the squawk protocol: subscribe to publishers (directly or through squawk proxy), receive decoded alerts, and learn about gaps, recoveries, losses and restarts. */
#ifndef SINKS_ZSUB_H
#define SINKS_ZSUB_H

/*
 * A pull API: create, connect to one or more endpoints, then call zsub_next()
 * in a loop. Everything happens inside zsub_next: reading the sockets,
 * checking per-topic sequence numbers against the publishers' heartbeat
 * digests, asking the replay socket for what is missing (only topics of this
 * subscription), and timing out silent publishers by the period they announce.
 *
 *     const char *topics[] = {"invest.NVDA"};
 *     zsub_opts o = {.topics = topics, .n_topics = 1};
 *     zsub *z;
 *     if (zsub_create(&z, &o, err, sizeof err) != 0) ...
 *     zsub_connect(z, "tcp://host:5555", NULL, 0);   // replay at host:5556
 *     zsub_event ev;
 *     while (running && zsub_next(z, &ev, 200) >= 0)
 *         if (ev.kind == ZSUB_ALERT) show(ev.topic, ev.alert);
 *     zsub_finish(z);                                  // what is still missing -> ZSUB_LOST
 *     while (zsub_next(z, &ev, 0) > 0) ...
 *     zsub_destroy(z);
 *
 * One zsub belongs to one thread. Guarantees: an alert is delivered at most
 * once per (publisher, topic, tseq); a gap is reported only for messages that
 * match the subscription and were really not received; every gap ends in
 * ZSUB_RECOVERED, ZSUB_LOST, or both (part came back).
 */
#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"
#include "../proto/alert.h"

#define ZSUB_MAX_CONNS 16
#define ZSUB_MAX_TOPICS 32

typedef struct zsub zsub;

/* Zero fields take defaults. */
typedef struct zsub_opts {
    const char *const *topics; /* topic prefixes ("invest.", "chips.NVDA"); none = everything */
    size_t n_topics;
    int no_replay;             /* 1: gaps are reported lost at once, nothing is asked for */
    int no_from_start;         /* 1: what publishers sent before we joined is not fetched */
    double replay_timeout_s;   /* no answer for this long ends a replay; 0 = 5 */
    const char *curve_server_key, *curve_public_key, *curve_secret_key; /* Z85, all or none */
    int rcvhwm; /* messages queued per connection before the publisher must hold back;
                   0 = 1000, < 0 = no limit */
    int rcvbuf; /* kernel receive buffer in bytes; 0 = the OS's (autotuned, may grow to MBs) */
} zsub_opts;

typedef enum zsub_kind {
    ZSUB_ALERT = 1, /* alert, topic; recovered = 1 when it came back through a replay */
    ZSUB_PUBLISHER, /* pub seen for the first time on endpoint */
    ZSUB_GAP,       /* count messages matching prefix topic are missing, seq lo..hi bound them */
    ZSUB_RECOVERED, /* a replay for the gap of prefix topic brought back count messages */
    ZSUB_LOST,      /* count messages (prefix topic, seq lo..hi) are gone for good; why says why;
                       exact = 1 when lo..hi are exactly the lost seqs (an everything subscription) */
    ZSUB_RESTART,   /* on a direct endpoint pub replaced old_pub (its sequence starts over) */
    ZSUB_SILENT,    /* no message or heartbeat from endpoint for silent_s (> 3.5 periods) */
    ZSUB_ALIVE,     /* endpoint talks again */
    ZSUB_BAD,       /* an undecodable message on topic; why */
} zsub_kind;

/* Strings and alert are borrowed until the next zsub_next / zsub_destroy. */
typedef struct zsub_event {
    zsub_kind kind;
    const char *endpoint, *pub, *old_pub, *topic, *why;
    const proto_alert *alert;
    int recovered, exact;
    uint64_t count, lo, hi;
    double silent_s;
} zsub_event;

typedef struct zsub_stats {
    uint64_t received;       /* alerts delivered (live + recovered) */
    uint64_t recovered;      /* of those, delivered from a replay */
    uint64_t lost;           /* messages reported lost */
    uint64_t duplicates;     /* live copies of an alert already delivered */
    uint64_t gaps;           /* gap events */
    uint64_t replayed;       /* messages received on replay sockets */
    uint64_t replay_bytes;   /* their topic + body bytes */
    uint64_t replay_dups;    /* replayed messages already received live */
    uint64_t replay_foreign; /* replayed messages outside the subscription (old publishers) */
    uint64_t bad;            /* undecodable messages */
    uint64_t heartbeats;     /* heartbeats received */
} zsub_stats;

/* flags for zsub_connect */
#define ZSUB_PROXY 1 /* endpoint is a squawk proxy: several publishers are normal there */

SQ_API int zsub_create(zsub **out, const zsub_opts *o, char *err, size_t errlen);
/* replay_endpoint: NULL = the convention (tcp port + 1), "" = none. 0 or SQ_E_*. */
SQ_API int zsub_connect(zsub *z, const char *endpoint, const char *replay_endpoint, int flags);
/* Waits up to timeout_ms (< 0: forever) for the next event. 1 = *ev filled, 0 = timeout. */
SQ_API int zsub_next(zsub *z, zsub_event *ev, int timeout_ms);
/* Reports every gap still open as ZSUB_LOST ("still missing at exit"); read them with zsub_next. */
SQ_API void zsub_finish(zsub *z);
SQ_API void zsub_get_stats(const zsub *z, zsub_stats *out);
SQ_API void zsub_destroy(zsub *z);

#endif
