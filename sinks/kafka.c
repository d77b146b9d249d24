/* kafka.c -- the Kafka alert sink: msgpack alerts to a topic, acceptance on delivery reports. */
#define _GNU_SOURCE /* pipe2 */
#include "kafka.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../core/kafka_log.h"
#include "../core/log.h"

#define KSINK_MAX_TICKERS 64

/* One per submitted token: done fires when the last record reports. */
typedef struct ktoken {
    uint64_t token;
    size_t remaining;
    int failed;
} ktoken;

typedef struct ksink {
    sink base;
    struct ev_loop *loop;
    rd_kafka_t *rk;
    rd_kafka_queue_t *mainq;
    char *topic;
    int pipefd[2];
    ev_io io;
    ev_timer tick;
    char pub_id[64];
    uint64_t seq;
    int destroying;
    sink_kafka_stats st;
} ksink;

static void token_report(ksink *k, ktoken *t)
{
    if (--t->remaining > 0) return;
    if (t->failed)
        k->st.tokens_failed++;
    else
        k->st.tokens_done++;
    if (!k->destroying && k->base.done)
        k->base.done(k->base.done_ud, t->token, t->failed ? SQ_E_KAFKA : 0);
    free(t);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    ksink *k = opaque;
    ktoken *t = m->_private;
    k->st.outstanding--;
    if (m->err) {
        k->st.failed++;
        sq_log_limited(SQ_LOG_ERROR, "kafka_sink.delivery", "topic=%s err=\"%s\"", k->topic,
                       rd_kafka_err2str(m->err));
        if (t) t->failed = 1;
    } else {
        k->st.delivered++;
    }
    if (t) token_report(k, t);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    sq_log_limited(SQ_LOG_WARN, "kafka_sink.error", "err=%s reason=\"%s\"",
                   rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void serve(ksink *k)
{
    char buf[64];
    while (read(k->pipefd[0], buf, sizeof buf) > 0) {
    }
    rd_kafka_poll(k->rk, 0);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents) { serve(w->data); }
/* librdkafka only signals the fd when its queue turns non-empty; a slow tick
 * covers anything enqueued while we were serving. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents) { serve(w->data); }

static int ksink_produce(ksink *k, const proto_alert *a, const char *ticker, ktoken *t)
{
    char id[33];
    proto_alert_make_id(a->article.id ? a->article.id : "", a->category ? a->category : "",
                        ticker, id);
    proto_alert m = *a; /* shallow: the caller's alert stays untouched */
    m.v = PROTO_ALERT_VERSION;
    m.pub = k->pub_id;
    m.seq = k->seq + 1;
    m.id = id;
    m.ts.emit_ns = sq_clock_realtime_ns();
    char *buf = NULL;
    size_t len = 0;
    int rc = proto_alert_encode(&m, &buf, &len);
    if (rc < 0) return rc;
    rd_kafka_resp_err_t e = rd_kafka_producev(
        k->rk, RD_KAFKA_V_TOPIC(k->topic), RD_KAFKA_V_KEY(id, 32), RD_KAFKA_V_VALUE(buf, len),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_OPAQUE(t), RD_KAFKA_V_END);
    if (e) {
        free(buf);
        sq_log_limited(SQ_LOG_ERROR, "kafka_sink.produce", "topic=%s err=\"%s\"", k->topic,
                       rd_kafka_err2str(e));
        return e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? SQ_E_SINK_FULL : SQ_E_KAFKA;
    }
    k->seq++;
    k->st.produced++;
    k->st.outstanding++;
    return 0;
}

static int ksink_submit(sink *s, proto_alert *const *alerts, size_t n, uint64_t token)
{
    ksink *k = s->data;
    const char *tick[KSINK_MAX_TICKERS];
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t nt = proto_alert_tickers(alerts[i], tick, KSINK_MAX_TICKERS);
        total += nt ? nt : 1;
    }
    if (total == 0) return 0;
    ktoken *t = calloc(1, sizeof *t);
    if (!t) return SQ_E_NOMEM;
    t->token = token;
    t->remaining = total + 1; /* +1 held by this call, so no report can finish it early */
    size_t produced = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t nt = proto_alert_tickers(alerts[i], tick, KSINK_MAX_TICKERS);
        if (nt == 0) {
            tick[0] = "_";
            nt = 1;
        }
        for (size_t j = 0; j < nt && rc == 0; j++) {
            rc = ksink_produce(k, alerts[i], tick[j], t);
            if (rc == 0) produced++;
        }
    }
    if (rc < 0 && produced == 0) {
        free(t);
        return rc; /* nothing left us: the caller may retry the whole token */
    }
    if (rc < 0) t->failed = 1;
    t->remaining -= total - produced;
    token_report(k, t); /* drops this call's hold; never the last since produced > 0 */
    return 1;
}

static size_t ksink_backlog(sink *s) { return ((ksink *)s->data)->st.outstanding; }

static int ksink_flush(sink *s, int timeout_ms)
{
    ksink *k = s->data;
    rd_kafka_resp_err_t e = rd_kafka_flush(k->rk, timeout_ms);
    return e == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : SQ_E_TIMEOUT;
}

static void ksink_metrics(sink *s, void (*emit)(void *ud, const char *line), void *ud)
{
    ksink *k = s->data;
#define M(metric, val) sink_metric(s, emit, ud, metric, (uint64_t)(val))
    M("sent_total", k->st.produced);
    M("delivered_total", k->st.delivered);
    M("delivery_failed_total", k->st.failed);
    M("backlog", k->st.outstanding);
#undef M
}

static void ksink_destroy(sink *s)
{
    ksink *k = s->data;
    if (k->loop) {
        ev_io_stop(k->loop, &k->io);
        ev_timer_stop(k->loop, &k->tick);
    }
    if (k->rk) {
        /* Unacknowledged records are abandoned, not reported: the owner of
         * the done callback is going away too. */
        k->destroying = 1;
        rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(k->rk, 500);
        if (k->mainq) rd_kafka_queue_destroy(k->mainq);
        rd_kafka_destroy(k->rk);
    }
    if (k->pipefd[0] >= 0) close(k->pipefd[0]);
    if (k->pipefd[1] >= 0) close(k->pipefd[1]);
    free(k->topic);
    free(k);
}

static const sink_ops ksink_ops = {
    .kind = "kafka",
    .submit = ksink_submit,
    .backlog = ksink_backlog,
    .flush = ksink_flush,
    .metrics = ksink_metrics,
    .destroy = ksink_destroy,
};

SQ_API int sink_kafka_create(sink **out, struct ev_loop *loop, const char *const *props,
                             size_t n_props, const char *topic, char *err, size_t errlen)
{
    *out = NULL;
    if (!loop || !topic || !topic[0]) {
        if (err) snprintf(err, errlen, "kafka sink needs a loop and a topic");
        return SQ_E_INVAL;
    }
    ksink *k = calloc(1, sizeof *k);
    if (!k) return SQ_E_NOMEM;
    k->base.ops = &ksink_ops;
    k->base.data = k;
    k->pipefd[0] = k->pipefd[1] = -1;
    snprintf(k->base.name, sizeof k->base.name, "kafka");
    sink_make_pub_id(k->pub_id, sizeof k->pub_id);
    k->topic = strdup(topic);
    if (!k->topic) {
        ksink_destroy(&k->base);
        return SQ_E_NOMEM;
    }
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < n_props; i++) {
        if (rd_kafka_conf_set(conf, props[2 * i], props[2 * i + 1], errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            if (err) snprintf(err, errlen, "kafka sink: %s", errstr);
            rd_kafka_conf_destroy(conf);
            ksink_destroy(&k->base);
            return SQ_E_CONFIG;
        }
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, sq_kafka_log_cb);
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!k->rk) {
        if (err) snprintf(err, errlen, "kafka sink: %s", errstr);
        rd_kafka_conf_destroy(conf);
        ksink_destroy(&k->base);
        return SQ_E_KAFKA;
    }
    if (pipe2(k->pipefd, O_NONBLOCK | O_CLOEXEC) != 0) {
        if (err) snprintf(err, errlen, "pipe: %s", strerror(errno));
        ksink_destroy(&k->base);
        return SQ_E_IO;
    }
    k->mainq = rd_kafka_queue_get_main(k->rk);
    rd_kafka_queue_io_event_enable(k->mainq, k->pipefd[1], "1", 1);
    k->loop = loop;
    ev_io_init(&k->io, on_io, k->pipefd[0], EV_READ);
    k->io.data = k;
    ev_io_start(loop, &k->io);
    ev_timer_init(&k->tick, on_tick, 0.1, 0.1);
    k->tick.data = k;
    ev_timer_start(loop, &k->tick);
    *out = &k->base;
    return 0;
}

SQ_API void sink_kafka_get_stats(sink *s, sink_kafka_stats *out) { *out = ((ksink *)s->data)->st; }
