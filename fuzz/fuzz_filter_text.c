/* fuzz_filter_text.c -- libFuzzer target: arbitrary text through all three built-in filters. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../filters/host.h"
#include "../proto/alert.h"
#include "../proto/article.h"

static filter_host *host;

static void drop_host(void)
{
    filter_host_destroy(host);
    host = NULL;
}

static filter_host *get_host(void)
{
    if (host) return host;
    char err[1024] = "";
    filter_host_overrides ov = {.data_dir = SQ_SOURCE_DIR "/filters"};
    if (filter_host_from_config(&host, NULL, &ov, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_filter_text: %s\n", err);
        abort();
    }
    atexit(drop_host);
    return host;
}

/* Input: headline, '\n', body (bytes after a NUL are dropped, as the decoder would). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    filter_host *h = get_host();
    const char *nl = memchr(data, '\n', size);
    size_t hl = nl ? (size_t)(nl - (const char *)data) : size;
    char *head = strndup((const char *)data, hl);
    char *body = nl ? strndup(nl + 1, size - hl - 1) : strdup("");
    proto_article a;
    if (head && body && proto_article_init(&a, "fuzz", head, body) == 0) {
        proto_alert **v;
        size_t n;
        if (filter_host_process(h, &a, NULL, FILTER_HOST_ALL, &v, &n) == 0) {
            for (size_t i = 0; i < n; i++) {
                /* spans must stay inside their field */
                for (size_t k = 0; k < v[i]->n_evidence; k++) {
                    const proto_evidence *e = &v[i]->evidence[k];
                    size_t flen = strcmp(e->field, "headline") == 0 ? a.headline_len : a.body_len;
                    if (e->start > e->end || e->end > flen) abort();
                }
                if (v[i]->score < 0 || v[i]->score > 100) abort();
                char *js;
                size_t jl;
                if (proto_alert_to_json(v[i], &js, &jl) == 0) free(js);
                proto_alert_destroy(v[i]);
            }
            free(v);
        }
        proto_article_free(&a);
    }
    free(head);
    free(body);
    return 0;
}
