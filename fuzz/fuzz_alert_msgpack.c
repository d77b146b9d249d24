/* fuzz_alert_msgpack.c -- libFuzzer target: alert and heartbeat decoders, plus encode/JSON round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    proto_heartbeat hb;
    if (proto_heartbeat_decode(data, size, &hb) == 0) {
        char *buf;
        size_t len;
        proto_heartbeat hb2;
        if (proto_heartbeat_encode(&hb, &buf, &len) != 0) abort();
        if (proto_heartbeat_decode(buf, len, &hb2) != 0) abort();
        if (hb.v != hb2.v || hb.seq != hb2.seq || hb.ts_ns != hb2.ts_ns || strcmp(hb.pub, hb2.pub))
            abort();
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
