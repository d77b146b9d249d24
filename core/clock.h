/* clock.h -- the clocks squawk uses: wall time for alerts, monotonic for intervals, thread CPU for costs. */
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

/* CPU time of the calling thread: beside a monotonic interval it tells work from waiting for a core. */
static inline int64_t sq_clock_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
#endif
