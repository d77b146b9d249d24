/* say_recv.h -- how squawk say receives alerts: the subscriber library (sinks/zsub.h) behind one call. */
#ifndef CLI_SAY_RECV_H
#define CLI_SAY_RECV_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/alert.h"

typedef struct say_recv say_recv;

typedef struct say_recv_conn {
    const char *ep;
    const char *replay; /* NULL = the convention (tcp port + 1), "" = none */
    int proxy;          /* ep is a squawk proxy's backend */
} say_recv_conn;

/* Zero fields take zsub's defaults. */
typedef struct say_recv_opts {
    const say_recv_conn *conns;
    int n_conns;
    const char *const *topics; /* prefixes; none = everything */
    int n_topics;
    int no_replay, no_from_start;
    double replay_timeout_s;
} say_recv_opts;

/* What the stream did besides bringing alerts, for say's exit summary. */
typedef struct say_recv_stats {
    uint64_t bad;       /* messages that were not alerts squawk can read */
    uint64_t gaps;      /* gap events */
    uint64_t recovered; /* alerts that came back through a replay */
    uint64_t lost;      /* messages reported gone for good */
    uint64_t restarts;  /* publishers that started their sequence over */
    uint64_t silent;    /* endpoints that went quiet past their heartbeat period */
} say_recv_stats;

/* Connects to every endpoint and subscribes to every topic prefix. NULL with a reason in err. */
say_recv *say_recv_open(const say_recv_opts *o, char *err, size_t errlen);
void say_recv_close(say_recv *r);

/* The next alert, waiting up to timeout_ms: 1 with *out (the caller destroys it) and *rx_ns
 * (CLOCK_MONOTONIC at receipt), 0 when none came (or a signal interrupted the wait).
 * Alerts a replay recovered come out like live ones, once each. Gaps, losses, restarts,
 * silences and undecodable messages are counted and logged (rate-limited), never returned. */
int say_recv_next(say_recv *r, int timeout_ms, proto_alert **out, int64_t *rx_ns);

/* Reports what is still missing as lost (logged and counted); call once before the summary. */
void say_recv_finish(say_recv *r);

void say_recv_stats_get(const say_recv *r, say_recv_stats *out);

#endif
