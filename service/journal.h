/* journal.h -- squawk run's alert journal from the config: the publisher id it keeps across restarts and the Kafka clients' properties. */
#ifndef SERVICE_JOURNAL_H
#define SERVICE_JOURNAL_H

#include <stddef.h>
#include "../core/config.h"
#include "../sinks/zjournal.h"

struct ev_loop;

/* The publisher id: sinks.zmq.pub_id, or with the journal on
 * "<hostname>-<8 hex of the zmq endpoints>" (stable across restarts, distinct
 * for instances that bind distinct endpoints); NULL without a journal (a
 * random id per start). */
const char *svc_journal_pub_id(const sq_config *c, char *buf, size_t len);

/* Creates the journal of sinks.journal (the topic must exist); err names the
 * config key. */
int svc_journal_create(const sq_config *c, struct ev_loop *loop, const char *pub_id, zjournal **out,
                       char *err, size_t errlen);

/* The producer properties (kafka section's connection keys, then
 * sinks.journal.properties) for `squawk check`; free with svc_journal_props_free. */
char **svc_journal_props(const sq_config *c, size_t *n);
void svc_journal_props_free(char **kv, size_t n);

#endif
