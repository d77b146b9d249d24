/* fuzz_alert_msgpack.c -- libFuzzer target: alert and heartbeat decoders, plus encode/JSON round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alert.h"

typedef struct digest {
    const char *prefix[64];
    char keep[64][256];
    uint64_t count[64];
    size_t n;
    int odd; /* an entry this harness cannot keep (NUL inside, too many, too long) */
} digest;

static void on_entry(void *ud, const char *prefix, size_t plen, uint64_t count)
{
    digest *d = ud;
    if (d->n == 64 || plen >= 256 || memchr(prefix, 0, plen)) {
        d->odd = 1;
        return;
    }
    memcpy(d->keep[d->n], prefix, plen);
    d->keep[d->n][plen] = '\0';
    d->prefix[d->n] = d->keep[d->n];
    d->count[d->n++] = count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    proto_heartbeat hb;
    if (proto_heartbeat_decode(data, size, &hb) == 0) {
        char *buf;
        size_t len;
        proto_heartbeat hb2;
        /* The digest too: what decodes re-encodes to the same entries. */
        static digest d, d2;
        d.n = 0;
        d.odd = 0;
        int nd = proto_heartbeat_digest(data, size, on_entry, &d);
        int clean = nd >= 0 && !d.odd;
        if (clean) {
            hb.dg_prefix = d.prefix;
            hb.dg_count = d.count;
            hb.n_dg = d.n;
        }
        if (proto_heartbeat_encode(&hb, &buf, &len) != 0) abort();
        if (proto_heartbeat_decode(buf, len, &hb2) != 0) abort();
        if (hb.v != hb2.v || hb.seq != hb2.seq || hb.ts_ns != hb2.ts_ns || strcmp(hb.pub, hb2.pub) ||
            hb.ivl_ms != hb2.ivl_ms || strcmp(hb.rep, hb2.rep))
            abort();
        if (clean) {
            d2.n = 0;
            d2.odd = 0;
            if (proto_heartbeat_digest(buf, len, on_entry, &d2) != (int)d.n) abort();
            for (size_t i = 0; i < d.n; i++)
                if (strcmp(d.prefix[i], d2.prefix[i]) || d.count[i] != d2.count[i]) abort();
        }
        free(buf);
    }

    proto_alert *a;
    if (proto_alert_decode(data, size, &a, why, sizeof why) != 0) return 0;
    char *buf, *json;
    size_t len, jlen;
    /* Whatever decodes must encode, decode back equal, and render as JSON. */
    if (proto_alert_encode(a, &buf, &len) != 0) abort();
    proto_alert *b;
    if (proto_alert_decode(buf, len, &b, why, sizeof why) != 0) abort();
    if (!proto_alert_equal(a, b)) abort();
    if (proto_alert_to_json(a, &json, &jlen) != 0) abort();
    proto_alert *c = proto_alert_clone(a);
    if (!c || !proto_alert_equal(a, c)) abort();
    const char *tk[16];
    char topic[256];
    size_t n = proto_alert_tickers(a, tk, 16);
    for (size_t i = 0; i < n; i++) (void)proto_alert_topic(a->category, tk[i], topic, sizeof topic);
    proto_alert_destroy(c);
    proto_alert_destroy(b);
    proto_alert_destroy(a);
    free(buf);
    free(json);
    return 0;
}
