/* jsonl.h -- the JSON Lines alert sink: one JSON object per alert to stdout or a file. */
#ifndef SINKS_JSONL_H
#define SINKS_JSONL_H

#include <stddef.h>
#include "../core/visibility.h"
#include "sink.h"

/* path "-" writes to stdout; anything else is opened for appending. Each
 * submit writes and flushes whole lines, so a reader never sees half a line. */
SQ_API int sink_jsonl_create(sink **out, const char *path, char *err, size_t errlen);

#endif
