/* sub_util.h -- helpers shared by the tests that drive publishers and subscriber processes: loop slices, spawning, reading output files. */
#ifndef SQ_TEST_SUB_UTIL_H
#define SQ_TEST_SUB_UTIL_H

#include <ev.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/assert.h"

extern char **environ;

static inline void sq_on_break(struct ev_loop *loop, ev_timer *w, int revents)
{
    ev_break(loop, EVBREAK_ONE);
}

/* ev_now is frozen while the loop is not running; without the update a slice
 * timer started after other work (or another loop's slice) has already expired,
 * and the slice is a single iteration. */
static inline void run_for(struct ev_loop *loop, int ms)
{
    ev_now_update(loop);
    ev_timer t;
    ev_timer_init(&t, sq_on_break, ms / 1000.0, 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    ev_timer_stop(loop, &t);
}

/* argv[0] with stdout and stderr to the files out and err. */
static inline pid_t spawn(char *const argv[], const char *out, const char *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ASSERT_EQ(rc, 0);
    return pid;
}

/* The whole file, NUL-terminated ("" when absent); its length in *len. */
static inline char *slurp_len(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (len) *len = 0;
    if (!f) return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = '\0';
    fclose(f);
    if (len) *len = got;
    return b;
}

static inline char *slurp(const char *path) { return slurp_len(path, NULL); }

#endif
