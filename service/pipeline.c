/* pipeline.c -- wires ingest, the filter host and the sinks together and owns the service lifecycle. */
#include "pipeline.h"

#include <ev.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hs/hs.h>
#include <librdkafka/rdkafka.h>
#include <zmq.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../core/kafka_log.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../filters/host.h"
#include "../ingest/kafka.h"
#include "../proto/scan.h"
#include "fpool.h"
#include "reload.h"
#include "../sinks/jsonl.h"
#include "../sinks/kafka.h"
#include "../sinks/sink.h"
#include "../sinks/zkey.h"
#include "../sinks/zmq_pub.h"
#include "journal.h"

extern char **environ;

#define MAX_SINKS 4
#define MAX_CATEGORIES 16

/* Upper bounds (seconds) of the ingest -> emit latency histogram: the filter
 * stage takes ~0.1 ms, a paused pipeline or a slow sink seconds. */
static const double lat_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define N_LAT_BUCKETS (sizeof lat_bounds / sizeof lat_bounds[0])
/* ... and of the per-article processing histogram, finer: its target is 100 us. */
static const double proc_bounds[] = {0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                     0.0025,   0.005,   0.01,   0.025,   0.1,    1};
#define N_PROC_BUCKETS (sizeof proc_bounds / sizeof proc_bounds[0])

/* token -> sinks that have not accepted yet. Open addressing, grows x2. */
typedef struct pending_slot {
    uint64_t token;
    uint32_t left;
    uint32_t used;
} pending_slot;

struct pipeline {
    struct ev_loop *loop;
    sq_config *cfg;
    filter_host *host;
    sink *sinks[MAX_SINKS];
    size_t n_sinks;
    ingest_kafka *in;
    fpool *pool; /* engine.filter_threads > 0: filter workers; NULL: filters on the loop */
    sq_metrics *metrics;
    ev_signal sig_term, sig_int, sig_hup;
    ev_timer tick, drain;
    ev_timer loop_beat;
    pending_slot *pend;
    size_t pend_cap, pend_n;
    int paused, draining, exit_code;
    int64_t drain_deadline_ns;
    /* counters for /metrics */
    uint64_t articles, alerts_total, sink_errors, filter_failures, reloads, reload_failures, reload_restart_needed;
    reloader *reloader;                /* SIGHUP's engine builds, off the loop */
    double reload_last_s, reload_sum_s; /* build time of the last and of all finished builds */
    struct {
        char name[32];
        uint64_t n;
    } by_cat[MAX_CATEGORIES];
    size_t n_cat;
    uint64_t process_ns, process_cpu_ns; /* filter stage: wall and thread CPU */
    uint64_t emit_ns, emit_cpu_ns;       /* alerts handed to the sinks: wall and thread CPU */
    /* ingest -> emit latency per alert: cumulative at render time */
    uint64_t lat_bucket[N_LAT_BUCKETS];
    uint64_t lat_count;
    double lat_sum;
    /* per article, message leaving librdkafka -> its alerts handed to every sink */
    uint64_t proc_bucket[N_PROC_BUCKETS];
    uint64_t proc_count;
    double proc_sum;
};

/* ---- pending table ---------------------------------------------------------- */

static size_t pend_hash(uint64_t t, size_t cap)
{
    t ^= t >> 33;
    t *= 0xff51afd7ed558ccdULL;
    t ^= t >> 33;
    return (size_t)t & (cap - 1);
}

static int pend_grow(pipeline *p)
{
    size_t ncap = p->pend_cap ? p->pend_cap * 2 : 1024;
    pending_slot *n = calloc(ncap, sizeof *n);
    if (!n) return SQ_E_NOMEM;
    for (size_t i = 0; i < p->pend_cap; i++) {
        if (!p->pend[i].used) continue;
        size_t h = pend_hash(p->pend[i].token, ncap);
        while (n[h].used) h = (h + 1) & (ncap - 1);
        n[h] = p->pend[i];
    }
    free(p->pend);
    p->pend = n;
    p->pend_cap = ncap;
    return 0;
}

static int pend_add(pipeline *p, uint64_t token, uint32_t left)
{
    if ((p->pend_n + 1) * 2 > p->pend_cap && pend_grow(p) != 0) return SQ_E_NOMEM;
    size_t h = pend_hash(token, p->pend_cap);
    while (p->pend[h].used) h = (h + 1) & (p->pend_cap - 1);
    p->pend[h] = (pending_slot){.token = token, .left = left, .used = 1};
    p->pend_n++;
    return 0;
}

/* Returns 1 when token has no sink left to wait for (and removes it). */
static int pend_ack(pipeline *p, uint64_t token)
{
    if (!p->pend_cap) return 0;
    size_t h = pend_hash(token, p->pend_cap);
    while (p->pend[h].used && p->pend[h].token != token) h = (h + 1) & (p->pend_cap - 1);
    if (!p->pend[h].used) return 0;
    if (--p->pend[h].left > 0) return 0;
    /* backward-shift delete keeps probe chains intact without tombstones */
    size_t i = h;
    for (;;) {
        p->pend[i].used = 0;
        size_t j = i;
        for (;;) {
            j = (j + 1) & (p->pend_cap - 1);
            if (!p->pend[j].used) {
                p->pend_n--;
                return 1;
            }
            size_t k = pend_hash(p->pend[j].token, p->pend_cap);
            if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j)) continue;
            p->pend[i] = p->pend[j];
            i = j;
            break;
        }
    }
}

/* ---- backpressure ------------------------------------------------------------- */

static size_t sinks_backlog(pipeline *p)
{
    size_t b = 0;
    for (size_t i = 0; i < p->n_sinks; i++) b += sink_backlog(p->sinks[i]);
    return b + p->pend_n;
}

static void check_pressure(pipeline *p)
{
    if (p->draining) return;
    size_t b = sinks_backlog(p);
    if (!p->paused && b >= p->cfg->kafka.pause_high) {
        p->paused = 1;
        ingest_kafka_pause(p->in, 1);
        sq_warn("pipeline.pause", "backlog=%zu high=%u", b, p->cfg->kafka.pause_high);
    } else if (p->paused && b <= p->cfg->kafka.pause_low) {
        p->paused = 0;
        ingest_kafka_pause(p->in, 0);
        sq_info("pipeline.resume", "backlog=%zu low=%u", b, p->cfg->kafka.pause_low);
    }
}

/* ---- the per-article path ------------------------------------------------------ */

static void count_category(pipeline *p, const char *cat)
{
    for (size_t i = 0; i < p->n_cat; i++)
        if (strcmp(p->by_cat[i].name, cat) == 0) {
            p->by_cat[i].n++;
            return;
        }
    if (p->n_cat < MAX_CATEGORIES) {
        snprintf(p->by_cat[p->n_cat].name, sizeof p->by_cat[0].name, "%s", cat);
        p->by_cat[p->n_cat++].n = 1;
    }
}

/* Seconds since ingest_ns (CLOCK_REALTIME when the message left librdkafka)
 * counted n times into a histogram with these upper bounds. */
static void observe(const double *bounds, uint64_t *bucket, size_t nb, uint64_t *count,
                    double *sum, int64_t ingest_ns, size_t n)
{
    double s = ingest_ns ? (double)(sq_clock_realtime_ns() - ingest_ns) / 1e9 : 0;
    if (s < 0) s = 0;
    for (size_t i = 0; i < nb; i++)
        if (s <= bounds[i]) {
            bucket[i] += n;
            break;
        }
    *count += n;
    *sum += s * (double)n;
}

static void on_sink_done(void *ud, uint64_t token, int status)
{
    pipeline *p = ud;
    if (status < 0) {
        /* The article's offset is never stored: on restart it is redelivered. */
        p->sink_errors++;
        sq_log_limited(SQ_LOG_ERROR, "sink.failed", "token=%llu err=%s", (unsigned long long)token,
                       sq_err_name(status));
        return;
    }
    if (pend_ack(p, token)) ingest_kafka_done(p->in, token);
    if (p->paused) check_pressure(p);
}

/* After the filter stage, on the loop: count, hand the alerts to every sink
 * (they leave now, whatever else the batch holds), mark the article done or
 * pending. The caller frees the alerts. */
static void emit_article(pipeline *p, const proto_article *a, const ingest_meta *m, proto_alert **alerts,
                         size_t n, int rc, int64_t filter_ns, int64_t filter_cpu_ns)
{
    p->process_ns += (uint64_t)filter_ns;
    p->process_cpu_ns += (uint64_t)filter_cpu_ns;
    p->articles++;
    if (rc < 0) {
        /* The filter stage could not start (out of memory). The article is
         * done all the same: an offset never stored would stall its
         * partition's commits for good (plugin failures are counted per
         * filter inside the host and never get here). */
        sq_log_limited(SQ_LOG_ERROR, "filter.failed", "id=%s err=%s", a->id, sq_err_name(rc));
        p->filter_failures++;
        ingest_kafka_done(p->in, m->token);
        return;
    }
    char shown[64] = "";
    if (sq_log_enabled(SQ_LOG_DEBUG)) proto_scan_name(a->id, a->id_len, shown);
    sq_debug("article", "topic=%s partition=%d offset=%lld id=\"%s\" alerts=%zu", m->topic,
             (int)m->partition, (long long)m->offset, shown, n);
    for (size_t i = 0; i < n; i++) {
        if (!alerts[i]->ts.ingest_ns) alerts[i]->ts.ingest_ns = m->ingest_ns;
        alerts[i]->ts.produce_ns = m->produce_ts_ns;
        count_category(p, alerts[i]->category);
        sq_debug("alert", "id=%s article=\"%s\" category=%s score=%.1f stage=%s novelty=%u",
                 alerts[i]->id, shown, alerts[i]->category, alerts[i]->score,
                 alerts[i]->stage ? alerts[i]->stage : "", (unsigned)alerts[i]->novelty);
    }
    p->alerts_total += n;

    int64_t t1 = sq_clock_mono_ns(), c1 = sq_clock_thread_cpu_ns();
    uint32_t waiting = 0;
    for (size_t i = 0; i < p->n_sinks; i++) {
        int r = sink_submit(p->sinks[i], alerts, n, m->token);
        if (r == 1) {
            waiting++;
        } else if (r < 0) {
            p->sink_errors++;
            sq_log_limited(SQ_LOG_ERROR, "sink.submit", "sink=%s id=%s err=%s", p->sinks[i]->name,
                           a->id, sq_err_name(r));
            waiting = UINT32_MAX; /* never done: redelivered after restart */
        }
    }
    /* emit = the alerts were handed to every sink */
    if (n) {
        p->emit_ns += (uint64_t)(sq_clock_mono_ns() - t1);
        p->emit_cpu_ns += (uint64_t)(sq_clock_thread_cpu_ns() - c1);
        observe(lat_bounds, p->lat_bucket, N_LAT_BUCKETS, &p->lat_count, &p->lat_sum, m->ingest_ns, n);
    }
    observe(proc_bounds, p->proc_bucket, N_PROC_BUCKETS, &p->proc_count, &p->proc_sum, m->ingest_ns, 1);
    if (waiting == 0)
        ingest_kafka_done(p->in, m->token);
    else if (waiting != UINT32_MAX && pend_add(p, m->token, waiting) != 0)
        sq_log_limited(SQ_LOG_ERROR, "pipeline.nomem", "id=%s", a->id);
    check_pressure(p);
}

static void on_filtered(void *ud, fpool_job *j)
{
    emit_article(ud, &j->a, &j->m, j->alerts, j->n, j->rc, j->filter_ns, j->filter_cpu_ns);
}

static void on_article(void *ud, const proto_article *a, const ingest_meta *m)
{
    pipeline *p = ud;
    if (p->pool && fpool_submit(p->pool, p->host, a, m) == 0) return;
    /* no workers (or no memory to copy the article for one): filter here */
    filter_source src = {.topic = m->topic, .partition = m->partition, .offset = m->offset,
                         .ingest_ns = m->ingest_ns};
    proto_alert **alerts = NULL;
    size_t n = 0;
    int64_t t0 = sq_clock_mono_ns(), c0 = sq_clock_thread_cpu_ns();
    int rc = filter_host_process(p->host, a, &src, 0, &alerts, &n);
    emit_article(p, a, m, alerts, n, rc, sq_clock_mono_ns() - t0, sq_clock_thread_cpu_ns() - c0);
    for (size_t i = 0; i < n; i++) proto_alert_destroy(alerts[i]);
    free(alerts);
}

static int check_kafka_props(const sq_config *cfg, const char *sect, char **kv, const int *lines,
                             size_t n, rd_kafka_type_t type, char *err, size_t errlen);
static int check_journal(sq_config *cfg, char *err, size_t errlen);

/* ---- filters ----------------------------------------------------------------------- */

static int build_host(const sq_config *c, filter_host **out, char *err, size_t errlen)
{
    return filter_host_from_config(out, c, NULL, err, errlen);
}

/* ---- reload: what a SIGHUP can change -------------------------------------------- */

static const sq_cfg_node *child_named(const sq_cfg_node *m, const char *key)
{
    for (const sq_cfg_node *c = m ? m->child : NULL; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0) return c;
    return NULL;
}

static int same_tree(const sq_cfg_node *a, const sq_cfg_node *b)
{
    if (!a || !b) return a == b;
    if (a->type != b->type || strcmp(a->value ? a->value : "", b->value ? b->value : "") != 0 ||
        strcmp(a->key ? a->key : "", b->key ? b->key : "") != 0)
        return 0;
    const sq_cfg_node *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
        if (!same_tree(x, y)) return 0;
    return !x && !y;
}

static void restart_needed(pipeline *p, const char *path)
{
    p->reload_restart_needed++;
    sq_warn("reload.restart_needed", "key=%s effect=\"kept the running value until a restart\"", path);
}

/* Reports each changed key of a map that a reload cannot apply. */
static void diff_config(pipeline *p, const sq_cfg_node *a, const sq_cfg_node *b, const char *path)
{
    char sub[256];
    if (sq_config_reloadable(path)) return;
    if (!a || !b || a->type != SQ_CFG_MAP || b->type != SQ_CFG_MAP) {
        if (!same_tree(a, b)) restart_needed(p, path);
        return;
    }
    for (const sq_cfg_node *c = a->child; c; c = c->next) {
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", c->key);
        diff_config(p, c, child_named(b, c->key), sub);
    }
    for (const sq_cfg_node *c = b->child; c; c = c->next)
        if (!child_named(a, c->key)) {
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", c->key);
            if (!sq_config_reloadable(sub)) restart_needed(p, sub);
        }
}

static void apply_log_settings(const sq_config *old, const sq_config *nc)
{
    sq_log_level lvl;
    if (strcmp(old->log.level, nc->log.level) != 0 && sq_log_parse_level(nc->log.level, &lvl) == 0) {
        sq_log_set_level(lvl);
        sq_info("reload.applied", "key=log.level value=%s", nc->log.level);
    }
    if (strcmp(old->log.format, nc->log.format) != 0) {
        sq_log_set_format(strcmp(nc->log.format, "json") == 0 ? SQ_LOG_JSON : SQ_LOG_TEXT);
        sq_info("reload.applied", "key=log.format value=%s", nc->log.format);
    }
}

/* Loop thread, between two articles: swap in a built engine, or keep the old one. */
static void on_reload_done(void *ud, reloader_result *r)
{
    pipeline *p = ud;
    p->reload_last_s = r->build_s;
    p->reload_sum_s += r->build_s;
    if (r->rc < 0) {
        p->reload_failures++;
        sq_error("reload.failed", "kept=old reason=\"%s\" build_s=%.3f", r->err, r->build_s);
        return;
    }
    uint64_t restart_before = p->reload_restart_needed;
    diff_config(p, p->cfg->root, r->cfg.root, "");
    apply_log_settings(p->cfg, &r->cfg);
    /* Articles are processed synchronously in loop callbacks and this is
     * one too: none dropped, none seen by both engines. The worker destroys
     * the old engine. */
    if (p->pool) fpool_wait_idle(p->pool); /* every article queued for the old engine is out */
    filter_host_keep_novelty(r->host, p->host); /* a resend after the reload is still a repeat */
    reloader_retire(p->reloader, p->host);
    filter_host_scratch_adopt(r->host, r->scratch);
    p->host = r->host;
    p->reloads++;
    sq_info("reload.ok", "reloads=%llu restart_needed=%llu build_s=%.3f",
            (unsigned long long)p->reloads,
            (unsigned long long)(p->reload_restart_needed - restart_before), r->build_s);
}

int pipeline_reload(pipeline *p)
{
    int started = reloader_request(p->reloader);
    if (started)
        sq_info("reload.start", "config=%s", p->cfg->path);
    else
        sq_info("reload.coalesced", "effect=\"one more build after the one in progress\"");
    return 0;
}

/* ---- sinks ----------------------------------------------------------------------- */

/* "<where>: <key>" for a key whose problem shows only after loading: where
 * is the file and line, or the SQUAWK_ variable that set it (sq_config_where). */
static void config_where(const sq_config *c, const char *key, char *out, size_t n)
{
    char where[300];
    sq_config_where(c, sq_config_line(c, key), where, sizeof where);
    snprintf(out, n, "%s: %s", where, key);
}

/* The CURVE key pair of sinks.zmq.curve, for run and check alike; errors name
 * the config file, the key and the key file. */
static int load_curve(const sq_config *c, char sec[41], char pub[41], char *err, size_t errlen)
{
    char e[700], where[400];
    const char *key = "sinks.zmq.curve.secret_key_file";
    int rc = sink_zkey_read(c->sinks.zmq.curve.secret_key_file, 1, sec, e, sizeof e);
    if (rc == 0) {
        key = "sinks.zmq.curve.public_key_file";
        rc = sink_zkey_read(c->sinks.zmq.curve.public_key_file, 0, pub, e, sizeof e);
    }
    if (rc == 0 && sink_zkey_match(sec, pub) != 0) {
        snprintf(e, sizeof e, "%s is not the public half of the secret key in %s",
                 c->sinks.zmq.curve.public_key_file, c->sinks.zmq.curve.secret_key_file);
        rc = SQ_E_CONFIG;
    }
    if (rc < 0) {
        memset(sec, 0, 41);
        config_where(c, key, where, sizeof where);
        snprintf(err, errlen, "%s: %s", where, e);
    }
    return rc;
}

/* The sink names what it could not bind or connect, not where that was set. */
static void zmq_error_where(const sq_config *c, char *err, size_t errlen)
{
    const char *key = strstr(err, "journal topic ") ? "sinks.journal" : "sinks.zmq";
    char needle[600], where[400], msg[1024];
    for (size_t i = 0; i < c->sinks.zmq.n_replay_endpoints; i++) {
        snprintf(needle, sizeof needle, "connect %s: ", c->sinks.zmq.replay_endpoints[i]);
        if (strstr(err, needle)) key = "sinks.zmq.replay_endpoints";
    }
    for (size_t i = 0; i < c->sinks.zmq.n_endpoints; i++) {
        snprintf(needle, sizeof needle, "connect %s: ", c->sinks.zmq.endpoints[i]);
        if (strstr(err, needle)) key = "sinks.zmq.endpoints";
    }
    config_where(c, key, where, sizeof where);
    snprintf(msg, sizeof msg, "%s: %s", where, err);
    snprintf(err, errlen, "%s", msg);
}

/* The publisher id and, with sinks.journal, the journal the zmq sink takes over. */
static int zmq_journal(pipeline *p, sink_zpub_opts *o, char *pid, size_t pidlen, char *err,
                       size_t errlen)
{
    o->pub_id = svc_journal_pub_id(p->cfg, pid, pidlen);
    if (!p->cfg->sinks.journal.enabled) return 0;
    return svc_journal_create(p->cfg, p->loop, o->pub_id, &o->journal, err, errlen);
}

static int build_sinks(pipeline *p, char *err, size_t errlen)
{
    sq_config *c = p->cfg;
    int rc;
    if (c->sinks.zmq.enabled) {
        char sec[41], pub[41];
        int curve = c->sinks.zmq.curve.secret_key_file != NULL;
        if (curve && (rc = load_curve(c, sec, pub, err, errlen)) < 0) return rc;
        sink_zpub_opts o = {
            .endpoints = (const char *const *)c->sinks.zmq.endpoints,
            .n_endpoints = c->sinks.zmq.n_endpoints,
            .replay_endpoints = (const char *const *)c->sinks.zmq.replay_endpoints,
            .n_replay_endpoints = c->sinks.zmq.n_replay_endpoints,
            .sndhwm = c->sinks.zmq.sndhwm,
            .ring_size = c->sinks.zmq.ring_size,
            .ring_max_bytes = c->sinks.zmq.ring_bytes,
            .heartbeat_ms = c->sinks.zmq.heartbeat_ms,
            .min_relevance = c->sinks.zmq.min_relevance,
            .curve_secret_key = curve ? sec : NULL,
            .curve_public_key = curve ? pub : NULL,
            .allowed_client_keys = (const char *const *)c->sinks.zmq.curve.allowed_client_keys,
            .n_allowed_client_keys = c->sinks.zmq.curve.n_allowed_client_keys,
        };
        char pid[128];
        if ((rc = zmq_journal(p, &o, pid, sizeof pid, err, errlen)) < 0) {
            memset(sec, 0, sizeof sec);
            return rc;
        }
        rc = sink_zpub_create(&p->sinks[p->n_sinks], p->loop, &o, err, errlen);
        memset(sec, 0, sizeof sec);
        if (rc < 0) {
            zmq_error_where(c, err, errlen);
            return rc;
        }
        p->n_sinks++;
    }
    if (c->sinks.kafka.enabled) {
        rc = sink_kafka_create(&p->sinks[p->n_sinks], p->loop,
                               (const char *const *)c->sinks.kafka.properties, c->sinks.kafka.n_properties,
                               c->sinks.kafka.topic, err, errlen);
        if (rc < 0) return rc;
        p->n_sinks++;
    }
    if (c->sinks.jsonl.enabled) {
        rc = sink_jsonl_create(&p->sinks[p->n_sinks], c->sinks.jsonl.path, err, errlen);
        if (rc < 0) return rc;
        p->n_sinks++;
    }
    for (size_t i = 0; i < p->n_sinks; i++) {
        p->sinks[i]->done = on_sink_done;
        p->sinks[i]->done_ud = p;
    }
    return 0;
}

/* ---- metrics and health ------------------------------------------------------------- */

/* HELP for the sinks' families (sink_ops.metrics writes samples only);
 * a family not listed here still gets a generic HELP from the normalizer. */
static const struct {
    const char *name, *help;
} sink_help[] = {
    {"sent_total", "Alert messages the sink sent or wrote."},
    {"errors_total", "Alerts the sink failed to write."},
    {"dropped_total", "Sends refused at a subscriber's high-water mark (kept for replay)."},
    {"heartbeats_total", "Heartbeats published."},
    {"replay_requests_total", "REPLAY requests received."},
    {"replayed_total", "Messages sent again from the replay ring."},
    {"replay_gone_total", "Replay requests for sequences no longer held."},
    {"replay_bad_requests_total", "Malformed replay requests."},
    {"subscriptions", "Current topic subscriptions on the publisher."},
    {"zap_allowed_total", "CURVE clients admitted."},
    {"zap_denied_total", "CURVE clients refused."},
    {"last_seq", "Sequence number of the last message published."},
    {"ring_messages", "Messages held in the replay ring."},
    {"ring_bytes", "Bytes held in the replay ring."},
    {"delivered_total", "Alert records acknowledged by Kafka."},
    {"delivery_failed_total", "Alert records Kafka failed to take."},
    {"backlog", "Alert records waiting for an acknowledgement."},
    {"journal_records_total", "Messages handed to the alert journal."},
    {"journal_acked_total", "Journal records Kafka acknowledged (acks=all)."},
    {"journal_failed_total", "Journal records Kafka failed to take (the article is redelivered)."},
    {"journal_backlog", "Journal records waiting for an acknowledgement."},
    {"journal_reads_total", "Journal reads for replays older than the ring."},
    {"journal_replayed_total", "Messages replayed from the journal."},
    {"journal_recovered_records", "This publisher's journal records read at start-up."},
    {"journal_bad_records_total", "Journal records of this publisher that did not decode."},
};

static void render_sinks(pipeline *p, sq_metrics_buf *b)
{
    for (size_t i = 0; i < sizeof sink_help / sizeof sink_help[0]; i++)
        sq_metrics_printf(b, "# HELP squawk_sink_%s %s\n", sink_help[i].name, sink_help[i].help);
    for (size_t i = 0; i < p->n_sinks; i++)
        if (p->sinks[i]->ops->metrics) p->sinks[i]->ops->metrics(p->sinks[i], sq_metrics_line, b);
}

/* The HELP and TYPE lines of one metric family; its samples follow. */
static void family(sq_metrics_buf *b, const char *name, const char *type, const char *help)
{
    sq_metrics_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one unlabelled sample. */
static void single(sq_metrics_buf *b, const char *name, const char *type, const char *help, double v)
{
    family(b, name, type, help);
    sq_metrics_printf(b, "%s %.15g\n", name, v);
}

static void render_build_info(sq_metrics_buf *b)
{
    int zmaj, zmin, zpat;
    zmq_version(&zmaj, &zmin, &zpat);
    family(b, "squawk_build_info", "gauge", "squawk's version and its libraries'; always 1.");
    sq_metrics_printf(b, "squawk_build_info{version=\"%s\",librdkafka=\"%s\",libzmq=\"%d.%d.%d\","
                         "hyperscan=\"%.*s\"} 1\n",
                      SQUAWK_VERSION, rd_kafka_version_str(), zmaj, zmin, zpat,
                      (int)strcspn(hs_version(), " "), hs_version());
}

/* A histogram family from per-bucket (not cumulative) counts. */
static void histogram(sq_metrics_buf *b, const char *name, const char *help, const double *bounds,
                      const uint64_t *bucket, size_t n, uint64_t count, double sum)
{
    family(b, name, "histogram", help);
    uint64_t cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += bucket[i];
        sq_metrics_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], (unsigned long long)cum);
    }
    sq_metrics_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
                      (unsigned long long)count, name, sum, name, (unsigned long long)count);
}

static void render_latency(pipeline *p, sq_metrics_buf *b)
{
    histogram(b, "squawk_alert_latency_seconds",
              "From a message leaving librdkafka to its alerts handed to every sink.", lat_bounds,
              p->lat_bucket, N_LAT_BUCKETS, p->lat_count, p->lat_sum);
    histogram(b, "squawk_processing_seconds",
              "Per article, from the message leaving librdkafka to its alerts handed to every "
              "sink (filtered, encoded, sent).", proc_bounds, p->proc_bucket, N_PROC_BUCKETS,
              p->proc_count, p->proc_sum);
}

static void render_kafka(pipeline *p, const ingest_kafka_stats *ks, sq_metrics_buf *b)
{
    family(b, "squawk_consumer_lag", "gauge",
           "Messages behind the partition ends, summed (absent until librdkafka knows).");
    if (ks->consumer_lag >= 0)
        sq_metrics_printf(b, "squawk_consumer_lag %lld\n", (long long)ks->consumer_lag);
    family(b, "squawk_consumer_partition_lag", "gauge",
           "Messages behind the end of each assigned partition.");
    ingest_kafka_lag lags[64];
    size_t n = ingest_kafka_partition_lags(p->in, lags, 64);
    for (size_t i = 0; i < n; i++)
        sq_metrics_printf(b, "squawk_consumer_partition_lag{topic=\"%s\",partition=\"%d\"} %lld\n",
                          lags[i].topic, (int)lags[i].partition, (long long)lags[i].lag);
    single(b, "squawk_commits_total", "counter", "Offset commits that succeeded.", (double)ks->commits);
    single(b, "squawk_consumer_refills_total", "counter",
           "Fetcher wake-ups sent when the consumer queue ran dry with a backlog left.",
           (double)ks->refills);
    single(b, "squawk_consumer_sent_back_total", "counter",
           "Messages fetched while consumption was paused, sought back instead of handed out.",
           (double)ks->sent_back);
    single(b, "squawk_last_commit_timestamp_seconds", "gauge",
           "When offsets were last committed (0: never).", (double)ks->last_commit_ms / 1e3);
    single(b, "squawk_in_flight", "gauge", "Articles read but not yet accepted by every sink.",
           (double)ks->in_flight);
    single(b, "squawk_kafka_up", "gauge", "1 when a broker is reachable.", ks->broker_up);
}

static void render_articles(pipeline *p, const ingest_kafka_stats *ks, sq_metrics_buf *b)
{
    single(b, "squawk_articles_consumed_total", "counter", "Articles read from Kafka.",
           (double)ks->consumed);
    single(b, "squawk_articles_processed_total", "counter", "Articles run through the filters.",
           (double)p->articles);
    family(b, "squawk_articles_rejected_total", "counter", "Articles rejected by proto, by reason.");
    for (int i = 1; i < 128; i++)
        if (ks->rejected_by_err[i])
            sq_metrics_printf(b, "squawk_articles_rejected_total{reason=\"%s\"} %llu\n",
                              sq_err_name(-i), (unsigned long long)ks->rejected_by_err[i]);
    single(b, "squawk_dead_lettered_total", "counter",
           "Rejected messages the dead-letter topic acknowledged.", (double)ks->dead_lettered);
    family(b, "squawk_article_fields_dropped_total", "counter",
           "Optional article fields squawk could not read and dropped, keeping the article.");
    sq_metrics_printf(b, "squawk_article_fields_dropped_total{field=\"published\"} %llu\n",
                      (unsigned long long)ks->fields_dropped);
    family(b, "squawk_alerts_total", "counter", "Alerts raised, by category.");
    for (size_t i = 0; i < p->n_cat; i++)
        sq_metrics_printf(b, "squawk_alerts_total{category=\"%s\"} %llu\n", p->by_cat[i].name,
                          (unsigned long long)p->by_cat[i].n);
}

static void render_filters(pipeline *p, sq_metrics_buf *b)
{
    filter_host_stats fs;
    filter_host_get_stats(p->host, &fs);
    family(b, "squawk_filter_seconds_total", "counter", "Time spent in each filter.");
    for (size_t i = 0; i < fs.n_filters && i < 16; i++)
        sq_metrics_printf(b, "squawk_filter_seconds_total{filter=\"%s\"} %.6f\n", fs.name[i],
                          (double)fs.ns[i] / 1e9);
    single(b, "squawk_filter_stage_seconds_total", "counter", "Time spent in the whole filter stage.",
           (double)p->process_ns / 1e9);
    single(b, "squawk_filter_stage_cpu_seconds_total", "counter",
           "CPU time of the threads running the filter stage (below the stage's time: waiting for a core).",
           (double)p->process_cpu_ns / 1e9);
    single(b, "squawk_emit_seconds_total", "counter",
           "Time spent handing alerts to the sinks (encode, ZeroMQ send, ring, journal).", (double)p->emit_ns / 1e9);
    single(b, "squawk_emit_cpu_seconds_total", "counter", "CPU time of the same.", (double)p->emit_cpu_ns / 1e9);
    family(b, "squawk_filter_errors_total", "counter",
           "process() calls that failed, per filter: logged, report dropped, article done.");
    for (size_t i = 0; i < fs.n_filters && i < 16; i++)
        sq_metrics_printf(b, "squawk_filter_errors_total{filter=\"%s\"} %llu\n", fs.name[i],
                          (unsigned long long)fs.errors[i]);
    single(b, "squawk_filter_stage_failures_total", "counter",
           "Articles the filter stage could not run on (out of memory); done all the same.",
           (double)p->filter_failures);
}

static void render_reload(pipeline *p, sq_metrics_buf *b)
{
    single(b, "squawk_rule_reload_in_progress", "gauge",
           "1 while a SIGHUP's engine build runs or waits to run (off the event loop).",
           p->reloader ? reloader_busy(p->reloader) : 0);
    single(b, "squawk_rule_reloads_coalesced_total", "counter",
           "SIGHUPs that arrived during a build and were folded into one more build.",
           p->reloader ? (double)reloader_coalesced(p->reloader) : 0);
    single(b, "squawk_rule_reload_last_build_seconds", "gauge",
           "How long the last SIGHUP's config load and engine build took.", p->reload_last_s);
    family(b, "squawk_rule_reload_build_seconds", "summary",
           "Config load and engine build time of SIGHUP reloads, ok or failed.");
    sq_metrics_printf(b, "squawk_rule_reload_build_seconds_sum %.6f\n"
                         "squawk_rule_reload_build_seconds_count %llu\n",
                      p->reload_sum_s, (unsigned long long)(p->reloads + p->reload_failures));
}

/* Resident bytes of this process (statm's second field), 0 if unreadable. */
static double resident_bytes(void)
{
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%*s %ld", &pages) != 1) pages = 0;
        fclose(f);
    }
    return (double)pages * (double)sysconf(_SC_PAGESIZE);
}

/* Where the resident memory goes: what the parts know they hold, and the rest
 * (code, libraries, heap overhead, libzmq's and librdkafka's buffers). */
static void render_memory(pipeline *p, const ingest_kafka_stats *ks, sq_metrics_buf *b)
{
    double rss = resident_bytes(), db = (double)filter_host_compiled_bytes(p->host), ring = 0;
    for (size_t i = 0; i < p->n_sinks; i++)
        if (strcmp(p->sinks[i]->ops->kind, "zmq") == 0) {
            sink_zpub_stats zs;
            sink_zpub_get_stats(p->sinks[i], &zs);
            ring += (double)zs.ring_bytes;
        }
    double kq = (double)ks->queue_bytes, rest = rss - db - ring - kq;
    family(b, "squawk_memory_bytes", "gauge",
           "Resident memory (part=rss) and what holds it: compiled rules and scratch "
           "(databases), the replay ring's messages (ring), librdkafka's prefetched messages "
           "(kafka_queue), everything else (rest).");
    sq_metrics_printf(b, "squawk_memory_bytes{part=\"rss\"} %.0f\n"
                         "squawk_memory_bytes{part=\"databases\"} %.0f\n"
                         "squawk_memory_bytes{part=\"ring\"} %.0f\n"
                         "squawk_memory_bytes{part=\"kafka_queue\"} %.0f\n"
                         "squawk_memory_bytes{part=\"rest\"} %.0f\n",
                      rss, db, ring, kq, rest > 0 ? rest : 0);
}

static void render(void *ud, sq_metrics_buf *b)
{
    pipeline *p = ud;
    ingest_kafka_stats ks;
    ingest_kafka_get_stats(p->in, &ks);
    render_build_info(b);
    render_articles(p, &ks, b);
    render_filters(p, b);
    render_latency(p, b);
    render_sinks(p, b);
    single(b, "squawk_delivery_errors_total", "counter",
           "Articles a sink failed on; their offsets are not stored, so a restart "
           "redelivers them.", (double)p->sink_errors);
    render_kafka(p, &ks, b);
    render_memory(p, &ks, b);
    single(b, "squawk_paused", "gauge", "1 while fetching is paused for backpressure.", p->paused);
    single(b, "squawk_rule_reloads_total", "counter", "SIGHUP reloads that succeeded.",
           (double)p->reloads);
    single(b, "squawk_reload_restart_needed_total", "counter",
           "Changed keys a SIGHUP could not apply (logged as reload.restart_needed).",
           (double)p->reload_restart_needed);
    single(b, "squawk_rule_reload_failures_total", "counter",
           "SIGHUP reloads that failed (the old engine kept running).", (double)p->reload_failures);
    render_reload(p, b);
}

static int health(void *ud, char *why, size_t whylen)
{
    pipeline *p = ud;
    ingest_kafka_stats ks;
    ingest_kafka_get_stats(p->in, &ks);
    if (!ks.broker_up && ks.broker_down_since_ms) {
        int64_t down_ms = sq_clock_realtime_ns() / 1000000 - ks.broker_down_since_ms;
        if (down_ms > (int64_t)p->cfg->metrics.health_grace_s * 1000) {
            snprintf(why, whylen, "kafka unreachable for %lld s", (long long)(down_ms / 1000));
            return 0;
        }
    }
    if (p->draining) {
        snprintf(why, whylen, "shutting down");
        return 0;
    }
    /* Until the group assigns partitions nothing is consumed: after a
     * restart that is the stall a load balancer must not route to. */
    if (ingest_kafka_assigned(p->in) == 0) {
        snprintf(why, whylen, "no partitions assigned");
        return 0;
    }
    return 1;
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static void finish(pipeline *p)
{
    for (size_t i = 0; i < p->n_sinks; i++) sink_flush(p->sinks[i], 2000);
    int rc = ingest_kafka_close(p->in, (int)p->cfg->engine.shutdown_timeout_ms);
    /* A final commit refused by the group (a rebalance in progress, the
     * broker gone) loses nothing: those articles are redelivered and their
     * alert ids repeat. The drain itself succeeded, so exit 0 but say so. */
    if (rc < 0)
        sq_error("shutdown.uncommitted", "err=%s effect=\"redelivered after restart\"",
                 sq_err_name(rc));
    sq_info("shutdown.done", "articles=%llu alerts=%llu pending=%zu",
            (unsigned long long)p->articles, (unsigned long long)p->alerts_total, p->pend_n);
    ev_break(p->loop, EVBREAK_ALL);
}

static void on_drain(struct ev_loop *loop, ev_timer *w, int revents)
{
    pipeline *p = w->data;
    if ((p->pend_n == 0 && (!p->pool || fpool_pending(p->pool) == 0)) ||
        sq_clock_mono_ns() > p->drain_deadline_ns) {
        if (p->pend_n) sq_warn("shutdown.timeout", "pending=%zu", p->pend_n);
        ev_timer_stop(loop, w);
        finish(p);
    }
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    pipeline *p = w->data;
    if (p->draining) return;
    sq_info("shutdown.start", "signal=%d pending=%zu", w->signum, p->pend_n);
    p->draining = 1;
    ingest_kafka_pause(p->in, 1);
    p->drain_deadline_ns = sq_clock_mono_ns() + (int64_t)p->cfg->engine.shutdown_timeout_ms * 1000000;
    ev_timer_init(&p->drain, on_drain, 0., 0.05);
    p->drain.data = p;
    ev_timer_start(loop, &p->drain);
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    pipeline_reload(w->data);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    check_pressure(w->data);
}

/* The consumer's, the Kafka sink's and the journal's librdkafka settings: run and check refuse the same. */
static int check_kafka_side(sq_config *cfg, char *err, size_t errlen)
{
    int rc = check_kafka_props(cfg, "kafka", cfg->kafka.props, cfg->kafka.props_lines,
                               cfg->kafka.n_props, RD_KAFKA_CONSUMER, err, errlen);
    if (rc == 0 && cfg->sinks.kafka.enabled)
        rc = check_kafka_props(cfg, "sinks.kafka.properties", cfg->sinks.kafka.properties, NULL,
                               cfg->sinks.kafka.n_properties, RD_KAFKA_PRODUCER, err, errlen);
    if (rc == 0 && cfg->sinks.journal.enabled) rc = check_journal(cfg, err, errlen);
    return rc;
}

int pipeline_create(pipeline **out, struct ev_loop *loop, sq_config *cfg, char *err, size_t errlen)
{
    pipeline *p = calloc(1, sizeof *p);
    if (!p) return SQ_E_NOMEM;
    p->loop = loop;
    p->cfg = cfg;
    /* librdkafka's own messages lack the file and line: check first */
    int rc = check_kafka_side(cfg, err, errlen);
    if (rc == 0) rc = reloader_create(&p->reloader, loop, cfg->path, build_host, on_reload_done, p);
    if (rc == 0) rc = reloader_build_now(p->reloader, cfg, &p->host, err, errlen);
    if (rc == 0) rc = build_sinks(p, err, errlen);
    if (rc == 0 && cfg->engine.filter_threads > 0 &&
        (rc = fpool_create(&p->pool, loop, cfg->engine.filter_threads, on_filtered, p)) < 0)
        snprintf(err, errlen, "engine.filter_threads: cannot start %u threads", cfg->engine.filter_threads);
    if (rc == 0) {
        ingest_kafka_opts o = {
            .loop = loop,
            .props = (const char *const *)cfg->kafka.props,
            .n_props = cfg->kafka.n_props,
            .topics = (const char *const *)cfg->kafka.topics,
            .n_topics = cfg->kafka.n_topics,
            .dlq_topic = cfg->kafka.dlq_topic,
            .limits = {.max_bytes = cfg->kafka.max_article_bytes},
            .batch = cfg->kafka.batch,
            .commit_interval_ms = cfg->kafka.commit_interval_ms,
            .on_article = on_article,
            .ud = p,
        };
        rc = ingest_kafka_create(&p->in, &o, err, errlen);
    }
    if (rc == 0 && cfg->metrics.listen && cfg->metrics.listen[0]) {
        rc = sq_metrics_create(&p->metrics, loop, cfg->metrics.listen, cfg->metrics.stall_ms, render, health,
                               p, err, errlen);
        if (rc == 0)
            sq_info("metrics.listen", "addr=%s port=%d", cfg->metrics.listen, sq_metrics_port(p->metrics));
    }
    if (rc < 0) {
        pipeline_destroy(p);
        return rc;
    }
    /* Compiling rule packs leaves tens of MB of freed heap that glibc keeps;
     * hand it back so steady-state RSS reflects what the pipeline holds. */
    malloc_trim(0);
    /* librdkafka's fetch buffers (up to a MB each) are freed on this thread,
     * allocated on its broker threads: with glibc's sliding mmap threshold
     * they land in per-thread arenas and stay resident after use (+15 MB over
     * a bench run). A fixed threshold keeps them mmapped, returned on free.
     * No M_ARENA_MAX: past the limit glibc hands arenas out round-robin, so
     * the reload worker could share the loop's arena and its malloc_trim hold
     * the loop's lock (service/reload.h). */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    ev_signal_init(&p->sig_term, on_stop_signal, SIGTERM);
    ev_signal_init(&p->sig_int, on_stop_signal, SIGINT);
    ev_signal_init(&p->sig_hup, on_hup, SIGHUP);
    ev_timer_init(&p->tick, on_tick, 0.1, 0.1);
    p->sig_term.data = p->sig_int.data = p->sig_hup.data = p->tick.data = p;
    ev_signal_start(loop, &p->sig_term);
    ev_signal_start(loop, &p->sig_int);
    ev_signal_start(loop, &p->sig_hup);
    ev_timer_start(loop, &p->tick);
    *out = p;
    return 0;
}

int pipeline_run(pipeline *p)
{
    sq_info("run.start", "config=%s filters=%zu sinks=%zu", p->cfg->path, p->cfg->n_filters, p->n_sinks);
    ev_run(p->loop, 0);
    return p->exit_code;
}

void pipeline_destroy(pipeline *p)
{
    if (!p) return;
    sq_metrics_destroy(p->metrics);
    if (p->loop) {
        ev_signal_stop(p->loop, &p->sig_term);
        ev_signal_stop(p->loop, &p->sig_int);
        ev_signal_stop(p->loop, &p->sig_hup);
        ev_timer_stop(p->loop, &p->tick);
        ev_timer_stop(p->loop, &p->drain);
    }
    reloader_destroy(p->reloader); /* before the host: a retired engine may still be queued */
    fpool_destroy(p->pool); /* before the consumer: queued articles hold its topic names' copies only */
    if (p->in) ingest_kafka_destroy(p->in);
    for (size_t i = 0; i < p->n_sinks; i++) sink_destroy(p->sinks[i]);
    filter_host_destroy(p->host);
    free(p->pend);
    free(p);
}

static void probe_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {}

/* librdkafka knows its own property names, values and how they combine:
 * set each (an error names the key and where it came from), then build a
 * client from them, which checks the combination without connecting. */
static int check_kafka_props(const sq_config *cfg, const char *sect, char **kv, const int *lines,
                             size_t n, rd_kafka_type_t type, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char e[512], where[300];
    int has_bootstrap = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(kv[2 * i], "bootstrap.servers") || !strcmp(kv[2 * i], "metadata.broker.list"))
            has_bootstrap = kv[2 * i + 1][0] != 0;
        if (rd_kafka_conf_set(conf, kv[2 * i], kv[2 * i + 1], e, sizeof e) != RD_KAFKA_CONF_OK) {
            sq_config_where(cfg, lines ? lines[i] : 0, where, sizeof where);
            snprintf(err, errlen, "%s: %s.%s: %s", where, sect, kv[2 * i], e);
            rd_kafka_conf_destroy(conf);
            return SQ_E_CONFIG;
        }
    }
    if (!has_bootstrap) {
        snprintf(err, errlen, "%s: %s.bootstrap.servers: required (no broker to talk to)", cfg->path,
                 sect);
        rd_kafka_conf_destroy(conf);
        return SQ_E_CONFIG;
    }
    rd_kafka_conf_set_log_cb(conf, sq_kafka_log_cb);
    rd_kafka_conf_set_error_cb(conf, probe_error); /* it lives a moment: no broker is news */
    rd_kafka_t *rk = rd_kafka_new(type, conf, e, sizeof e);
    if (!rk) {
        snprintf(err, errlen, "%s: %s: %s", cfg->path, sect, e);
        return SQ_E_CONFIG;
    }
    rd_kafka_destroy(rk);
    return 0;
}

static int check_journal(sq_config *cfg, char *err, size_t errlen)
{
    size_t n = 0;
    char **kv = svc_journal_props(cfg, &n);
    if (!kv) return SQ_E_NOMEM;
    int rc = check_kafka_props(cfg, "sinks.journal.properties", kv, NULL, n, RD_KAFKA_PRODUCER, err,
                               errlen);
    svc_journal_props_free(kv, n);
    return rc;
}

int pipeline_check(sq_config *cfg, void *out_file, char *err, size_t errlen)
{
    FILE *f = out_file;
    filter_host *h = NULL;
    int rc = check_kafka_side(cfg, err, errlen);
    if (rc == 0 && cfg->sinks.zmq.enabled && cfg->sinks.zmq.curve.secret_key_file) {
        char sec[41], pub[41];
        rc = load_curve(cfg, sec, pub, err, errlen);
        memset(sec, 0, sizeof sec);
    }
    if (rc == 0) rc = build_host(cfg, &h, err, errlen);
    if (rc < 0) return rc;
    filter_host_stats fs;
    filter_host_get_stats(h, &fs);
    fprintf(f, "# %s: ok -- %zu filter(s) loaded, rule packs compiled\n", cfg->path, fs.n_filters);
    for (size_t i = 0; i < fs.n_filters && i < 16; i++) fprintf(f, "#   filter %s\n", fs.name[i]);
    sq_config_dump(cfg, f);
    filter_host_destroy(h);
    return 0;
}
