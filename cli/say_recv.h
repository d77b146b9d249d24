/* say_recv.h -- how squawk say receives alerts: one SUB socket and the alert decoder, behind one call. */
#ifndef CLI_SAY_RECV_H
#define CLI_SAY_RECV_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/alert.h"

typedef struct say_recv say_recv;

/* Connects to every endpoint and subscribes to every topic prefix (all when n_topics is 0).
 * NULL with a reason in err on failure. */
say_recv *say_recv_open(const char *const *endpoints, int n_endpoints, const char *const *topics,
                        int n_topics, char *err, size_t errlen);
void say_recv_close(say_recv *r);

/* The next alert, waiting up to timeout_ms: 1 with *out (the caller destroys it) and *rx_ns
 * (CLOCK_MONOTONIC at receipt), 0 when none came (or a signal interrupted the wait).
 * Heartbeats are skipped; undecodable messages are counted and logged, never returned. */
int say_recv_next(say_recv *r, int timeout_ms, proto_alert **out, int64_t *rx_ns);

/* Messages that were not alerts squawk can read. */
uint64_t say_recv_bad(const say_recv *r);

#endif
