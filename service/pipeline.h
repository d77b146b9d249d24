/* pipeline.h -- squawk run: Kafka in -> filters -> sinks on one libev loop, with metrics and lifecycle. */
#ifndef SERVICE_PIPELINE_H
#define SERVICE_PIPELINE_H

#include <stddef.h>
#include "../core/config.h"
#include "../core/visibility.h"

struct ev_loop;
typedef struct pipeline pipeline;

/* Builds everything the config describes (plugins loaded, rules compiled,
 * sinks bound, consumer subscribed) on loop. The pipeline keeps cfg. On
 * failure err says which file/key/part failed. */
SQ_API int pipeline_create(pipeline **out, struct ev_loop *loop, sq_config *cfg, char *err,
                           size_t errlen);
/* Runs until SIGTERM/SIGINT drained it; returns the exit code. */
SQ_API int pipeline_run(pipeline *p);
/* Re-reads the config file's filters/engine sections into a new filter host
 * built on a worker thread (service/reload.c) and swaps it in between two
 * articles once built; a bad reload keeps the old one. Returns at once;
 * called during a build, it asks for one more build after it. */
SQ_API int pipeline_reload(pipeline *p);
SQ_API void pipeline_destroy(pipeline *p);

/* Loads plugins and compiles rules exactly as run would, printing what would
 * run; used by `squawk check`. */
SQ_API int pipeline_check(sq_config *cfg, void *out_file, char *err, size_t errlen);

#endif
