/* log.h -- one line per event: level=... msg=... key=value, or JSON. */
#ifndef SQ_LOG_H
#define SQ_LOG_H

#include <stdio.h>
#include "visibility.h"

typedef enum { SQ_LOG_DEBUG = 0, SQ_LOG_INFO, SQ_LOG_WARN, SQ_LOG_ERROR } sq_log_level;
typedef enum { SQ_LOG_TEXT = 0, SQ_LOG_JSON } sq_log_format;

SQ_API void sq_log_setup(FILE *out, sq_log_level min, sq_log_format fmt);
SQ_API int sq_log_parse_level(const char *s, sq_log_level *out);
/* The level SQUAWK_LOG__LEVEL names (log.level's variable, for the commands
 * and tools that read no config file), else dflt; *bad (may be NULL) is set
 * to the variable's text when it names no level. */
SQ_API sq_log_level sq_log_env_level(sq_log_level dflt, const char **bad);
/* Change the level or format of a running process (SIGHUP), keeping the output. */
SQ_API void sq_log_set_level(sq_log_level min);
/* 1 when a line at lvl would be written: skip building costly fields otherwise. */
SQ_API int sq_log_enabled(sq_log_level lvl);
SQ_API void sq_log_set_format(sq_log_format fmt);

/* msg is a fixed event name ("kafka.reject"); kv is a printf format of
 * space-separated key=value pairs ("topic=%s offset=%lld"). Values with spaces
 * are quoted by the caller with %s inside quotes only when needed. */
SQ_API void sq_log(sq_log_level lvl, const char *msg, const char *kvfmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like sq_log but emits at most `burst` lines per second for `msg`; the next
 * line that gets through reports how many were suppressed. Per-message errors
 * (bad input from outside) must use this. */
SQ_API void sq_log_limited(sq_log_level lvl, const char *msg, const char *kvfmt, ...)
    __attribute__((format(printf, 3, 4)));

#define sq_debug(msg, ...) sq_log(SQ_LOG_DEBUG, msg, __VA_ARGS__)
#define sq_info(msg, ...) sq_log(SQ_LOG_INFO, msg, __VA_ARGS__)
#define sq_warn(msg, ...) sq_log(SQ_LOG_WARN, msg, __VA_ARGS__)
#define sq_error(msg, ...) sq_log(SQ_LOG_ERROR, msg, __VA_ARGS__)

#endif
