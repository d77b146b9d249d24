/* journal.c -- squawk run's alert journal from the config: the publisher id it keeps across restarts and the Kafka clients' properties. */
#include "journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/error.h"

/* Keys of the kafka section that say how to reach and authenticate to the
 * cluster; the journal, on the same cluster, takes them over. */
static int is_conn_key(const char *k)
{
    static const char *const exact[] = {"bootstrap.servers", "metadata.broker.list",
                                        "security.protocol", "client.id", "broker.address.family"};
    static const char *const prefix[] = {"sasl.", "ssl.", "socket."};
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (strcmp(k, exact[i]) == 0) return 1;
    for (size_t i = 0; i < sizeof prefix / sizeof *prefix; i++)
        if (strncmp(k, prefix[i], strlen(prefix[i])) == 0) return 1;
    return 0;
}

static uint32_t fnv1a32(uint32_t h, const char *s)
{
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return (h ^ 0xff) * 16777619u; /* a separator, so ("a","bc") != ("ab","c") */
}

const char *svc_journal_pub_id(const sq_config *c, char *buf, size_t len)
{
    if (c->sinks.zmq.pub_id) return c->sinks.zmq.pub_id;
    if (!c->sinks.journal.enabled) return NULL;
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0 || !host[0]) snprintf(host, sizeof host, "squawk");
    host[sizeof host - 1] = '\0';
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < c->sinks.zmq.n_endpoints; i++) h = fnv1a32(h, c->sinks.zmq.endpoints[i]);
    for (size_t i = 0; i < c->sinks.zmq.n_replay_endpoints; i++) h = fnv1a32(h, c->sinks.zmq.replay_endpoints[i]);
    snprintf(buf, len, "%.40s-%08x", host, h);
    return buf;
}

/* kv pairs: the kafka section's connection keys, then the journal's own
 * (all of them, or only its connection keys for the reader). */
static char **props(const sq_config *c, int conn_only, size_t *n)
{
    size_t cap = c->kafka.n_props + c->sinks.journal.n_properties, k = 0;
    char **kv = calloc(2 * cap + 1, sizeof *kv);
    if (!kv) return NULL;
    for (size_t i = 0; i < c->kafka.n_props; i++)
        if (is_conn_key(c->kafka.props[2 * i])) {
            kv[2 * k] = c->kafka.props[2 * i];
            kv[2 * k++ + 1] = c->kafka.props[2 * i + 1];
        }
    for (size_t i = 0; i < c->sinks.journal.n_properties; i++)
        if (!conn_only || is_conn_key(c->sinks.journal.properties[2 * i])) {
            kv[2 * k] = c->sinks.journal.properties[2 * i];
            kv[2 * k++ + 1] = c->sinks.journal.properties[2 * i + 1];
        }
    *n = k;
    return kv;
}

char **svc_journal_props(const sq_config *c, size_t *n) { return props(c, 0, n); }
void svc_journal_props_free(char **kv, size_t n) { free(kv); } /* borrowed strings */

int svc_journal_create(const sq_config *c, struct ev_loop *loop, const char *pub_id, zjournal **out,
                       char *err, size_t errlen)
{
    size_t np = 0, nc = 0;
    char **p = props(c, 0, &np), **cp = props(c, 1, &nc);
    char e[768];
    int rc = SQ_E_NOMEM;
    snprintf(e, sizeof e, "out of memory");
    if (p && cp) {
        zjournal_opts o = {.loop = loop, .props = (const char *const *)p, .n_props = np,
                           .conn_props = (const char *const *)cp, .n_conn_props = nc,
                           .topic = c->sinks.journal.topic, .pub_id = pub_id};
        rc = zjournal_create(out, &o, e, sizeof e);
    }
    free(p);
    free(cp);
    if (rc < 0) snprintf(err, errlen, "%s: sinks.journal: %s", c->path, e);
    return rc;
}
