/* sink.c -- what every sink shares: the publisher id. */
#include "sink.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../core/clock.h"

void sink_make_pub_id(char *out, size_t len)
{
    uint8_t rnd[8];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, rnd, sizeof rnd) : -1;
    if (fd >= 0) close(fd);
    if (got != (ssize_t)sizeof rnd) { /* fall back to time; restarts still differ */
        uint64_t t = (uint64_t)sq_clock_realtime_ns() ^ (uint64_t)sq_clock_mono_ns();
        memcpy(rnd, &t, sizeof rnd);
    }
    snprintf(out, len, "%02x%02x%02x%02x%02x%02x%02x%02x-%ld", rnd[0], rnd[1], rnd[2], rnd[3],
             rnd[4], rnd[5], rnd[6], rnd[7], (long)getpid());
}
