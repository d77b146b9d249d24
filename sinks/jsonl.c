/* jsonl.c -- the JSON Lines alert sink: one JSON object per alert to stdout or a file. */
#include "jsonl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../core/log.h"

typedef struct jsonl {
    sink base;
    FILE *f;
    int own;
    uint64_t written, errors;
} jsonl;

static int jsonl_submit(sink *s, proto_alert *const *alerts, size_t n, uint64_t token)
{
    jsonl *j = s->data;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const proto_alert *a = alerts[i];
        proto_alert m = *a; /* shallow: the caller's alert stays untouched */
        char id[33];
        if (!m.id || !m.id[0]) {
            /* One line per alert, not per ticker: the id is the first ticker's. */
            const char *t[1];
            if (proto_alert_tickers(a, t, 1) == 0) t[0] = "_";
            proto_alert_make_id(a->article.id ? a->article.id : "", a->category ? a->category : "",
                                t[0], id);
            m.id = id;
        }
        m.v = PROTO_ALERT_VERSION;
        m.ts.emit_ns = sq_clock_realtime_ns();
        char *js = NULL;
        size_t len = 0;
        int e = proto_alert_to_json(&m, &js, &len);
        if (e < 0) {
            j->errors++;
            rc = e;
            continue;
        }
        if (fwrite(js, 1, len, j->f) != len || fputc('\n', j->f) == EOF) {
            j->errors++;
            rc = SQ_E_IO;
        } else {
            j->written++;
        }
        free(js);
    }
    if (fflush(j->f) != 0) rc = SQ_E_IO;
    if (rc < 0) sq_log_limited(SQ_LOG_ERROR, "jsonl.write", "err=%s", sq_err_name(rc));
    return rc;
}

static int jsonl_flush(sink *s, int timeout_ms)
{
    jsonl *j = s->data;
    return fflush(j->f) == 0 ? 0 : SQ_E_IO;
}

static void jsonl_metrics(sink *s, void (*emit)(void *ud, const char *line), void *ud)
{
    jsonl *j = s->data;
    char line[256];
    snprintf(line, sizeof line, "squawk_sink_sent_total{name=\"%s\",kind=\"jsonl\"} %" PRIu64,
             s->name, j->written);
    emit(ud, line);
    snprintf(line, sizeof line, "squawk_sink_errors_total{name=\"%s\",kind=\"jsonl\"} %" PRIu64,
             s->name, j->errors);
    emit(ud, line);
}

static void jsonl_destroy(sink *s)
{
    jsonl *j = s->data;
    if (j->f) {
        if (j->own)
            fclose(j->f);
        else
            fflush(j->f);
    }
    free(j);
}

static const sink_ops jsonl_ops = {
    .kind = "jsonl",
    .submit = jsonl_submit,
    .flush = jsonl_flush,
    .metrics = jsonl_metrics,
    .destroy = jsonl_destroy,
};

SQ_API int sink_jsonl_create(sink **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    if (!path || !path[0]) {
        if (err) snprintf(err, errlen, "jsonl sink needs a path or \"-\"");
        return SQ_E_INVAL;
    }
    jsonl *j = calloc(1, sizeof *j);
    if (!j) return SQ_E_NOMEM;
    j->base.ops = &jsonl_ops;
    j->base.data = j;
    snprintf(j->base.name, sizeof j->base.name, "jsonl");
    if (strcmp(path, "-") == 0) {
        j->f = stdout;
    } else {
        j->f = fopen(path, "ae");
        if (!j->f) {
            if (err) snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
            free(j);
            return SQ_E_IO;
        }
        j->own = 1;
    }
    *out = &j->base;
    return 0;
}
