/* clock.h -- the two clocks squawk uses: wall time for alerts, monotonic for intervals. */
#ifndef SQ_CLOCK_H
#define SQ_CLOCK_H
#include <stdint.h>
#include <time.h>

static inline int64_t sq_clock_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int64_t sq_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
#endif
