/* alert.h -- the alert struct and its msgpack wire form (see docs/ALERTS.md). */
#ifndef PROTO_ALERT_H
#define PROTO_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"

#define PROTO_ALERT_VERSION 1

/* The role of a company named in an alert that the event is not about: it
 * stays in entities but never gets a topic of its own. */
#define PROTO_ROLE_MENTIONED "mentioned"

typedef struct proto_entity {
    char *name;
    char *ticker; /* NULL when unlisted (nil on the wire) */
    char *role;   /* investor, target, supplier, customer, regulator, subject, mentioned */
    double relevance; /* 0..100 */
} proto_entity;

typedef struct proto_amount {
    double usd;
    char *text;
} proto_amount;

typedef struct proto_evidence {
    char *rule;
    char *field; /* "headline" or "body" */
    uint32_t start, end; /* byte offsets into the field */
    char *text;
} proto_evidence;

/* One alert = one (article, category). The PUB sink fans it out into one wire
 * message per ticker, filling id/pub/seq per message. All strings are owned. */
typedef struct proto_alert {
    uint32_t v;
    char *pub;
    uint64_t seq;
    char *id;
    char *category;
    double score;
    char *stage; /* rumour, talks, agreed, completed, blocked, none */
    proto_entity *entities;
    size_t n_entities;
    proto_amount *amounts;
    size_t n_amounts;
    proto_evidence *evidence;
    size_t n_evidence;
    uint32_t novelty;
    struct {
        char *id, *headline, *source, *url;
        int64_t published_ms;
    } article;
    struct {
        char *name, *version;
    } filter;
    struct {
        char *topic;
        int32_t partition;
        int64_t offset;
    } kafka;
    struct {
        int64_t published_ms, ingest_ns, emit_ns;
        int64_t produce_ns; /* "squawk-ts" header of the source message, 0 unknown */
    } ts;
    uint64_t tseq; /* +1 per message on this exact topic from this publisher; 0 = not sent */
} proto_alert;

/* Heartbeat on topic "_hb". ivl_ms, rep and the digest were added after v1
 * shipped and are optional on the wire (0 / "" / none when absent). */
typedef struct proto_heartbeat {
    uint32_t v;
    char pub[64];
    uint64_t seq;
    int64_t ts_ns;
    uint32_t ivl_ms; /* the publisher's heartbeat period */
    char rep[256];   /* the publisher's replay endpoint, "" = not announced */
    /* Digest, encode only (decode leaves it empty; see proto_heartbeat_digest):
     * for each subscribed prefix, how many messages matching it were sent. */
    const char *const *dg_prefix;
    const uint64_t *dg_count;
    size_t n_dg;
} proto_heartbeat;

/* Calls fn for every (prefix, count) of a heartbeat's digest; returns the
 * number of entries, or a negative SQ_E_* code for a malformed heartbeat. */
typedef void (*proto_digest_fn)(void *ud, const char *prefix, size_t plen, uint64_t count);
SQ_API int proto_heartbeat_digest(const void *buf, size_t len, proto_digest_fn fn, void *ud);

SQ_API proto_alert *proto_alert_create(void);
SQ_API void proto_alert_destroy(proto_alert *a);
SQ_API proto_alert *proto_alert_clone(const proto_alert *a);

/* Verbs that copy their strings; each returns 0 or SQ_E_NOMEM. */
SQ_API int proto_alert_set(char **field, const char *value);
SQ_API int proto_alert_add_entity(proto_alert *a, const char *name, const char *ticker,
                                  const char *role, double relevance);
SQ_API int proto_alert_add_amount(proto_alert *a, double usd, const char *text);
SQ_API int proto_alert_add_evidence(proto_alert *a, const char *rule, const char *field,
                                    uint32_t start, uint32_t end, const char *text);

/* Distinct tickers of the entities the alert is about, in order: those whose
 * role is not "mentioned" and whose relevance reaches min_relevance; "_" when
 * there are none. Returns the count written (<= max). Pointers borrow from the
 * alert. This is the one place that decides which company topics an alert reaches. */
SQ_API size_t proto_alert_route_tickers(const proto_alert *a, double min_relevance,
                                       const char **out, size_t max);
/* proto_alert_route_tickers at relevance 0. */
SQ_API size_t proto_alert_tickers(const proto_alert *a, const char **out, size_t max);

/* Stable id for (article id, category, ticker): 32 hex chars + NUL. */
SQ_API void proto_alert_make_id(const char *article_id, const char *category,
                                const char *ticker, char out[33]);

/* Wire topic "<category>.<ticker>" into out; returns length or SQ_E_INVAL. */
SQ_API int proto_alert_topic(const char *category, const char *ticker, char *out, size_t outlen);

/* msgpack map exactly as ALERTS.md. *out is malloc'd. */
SQ_API int proto_alert_encode(const proto_alert *a, char **out, size_t *outlen);
SQ_API int proto_alert_decode(const void *buf, size_t len, proto_alert **out, char *why,
                              size_t whylen);
/* One JSON object, no newline, same keys as the msgpack map. */
SQ_API int proto_alert_to_json(const proto_alert *a, char **out, size_t *outlen);

/* 1 when both alerts carry the same wire content (NULL strings equal "",
 * except entity tickers, where NULL is nil), else 0. */
SQ_API int proto_alert_equal(const proto_alert *a, const proto_alert *b);

SQ_API int proto_heartbeat_encode(const proto_heartbeat *hb, char **out, size_t *outlen);
SQ_API int proto_heartbeat_decode(const void *buf, size_t len, proto_heartbeat *out);

#endif
