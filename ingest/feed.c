/* feed.c -- produces articles from files into a Kafka topic, paced, with delivery accounting. */
#include "feed.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../core/log.h"
#include "../proto/article.h"

struct ingest_feed {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    char *topic;
    double rate;
    int loop, key_id;
    uint64_t count, sent, delivered, failed;
    int64_t start_ns;
    rd_kafka_resp_err_t last_err;
    volatile sig_atomic_t stop;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    ingest_feed *f = opaque;
    if (m->err) {
        f->failed++;
        f->last_err = m->err;
    } else {
        f->delivered++;
    }
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    sq_log_level l = level <= 3 ? SQ_LOG_ERROR : level == 4 ? SQ_LOG_WARN : SQ_LOG_DEBUG;
    sq_log(l, "feed.kafka", "fac=%s text=\"%s\"", fac, buf); /* librdkafka threads: not the limiter */
}

int ingest_feed_create(ingest_feed **out, const ingest_feed_opts *o, char *err, size_t errlen)
{
    char es[512];
    *out = NULL;
    if (!o->topic || !*o->topic) {
        if (err) snprintf(err, errlen, "a topic is required");
        return SQ_E_INVAL;
    }
    ingest_feed *f = calloc(1, sizeof *f);
    if (!f) return SQ_E_NOMEM;
    f->rate = o->rate;
    f->loop = o->loop;
    f->count = o->count;
    f->key_id = o->key_id;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    /* Throughput defaults: big batches, a short linger; callers may override. */
    const char *defs[] = {"linger.ms", "5", "batch.num.messages", "10000",
                          "queue.buffering.max.messages", "500000", "queue.buffering.max.kbytes",
                          "1048576"};
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i += 2)
        rd_kafka_conf_set(c, defs[i], defs[i + 1], es, sizeof es);
    /* librdkafka retries an unreachable broker for 5 minutes by default; a
     * feeder should say it failed long before that. -X may still override. */
    char tmo[24];
    snprintf(tmo, sizeof tmo, "%u", o->timeout_ms ? o->timeout_ms : 30000);
    rd_kafka_conf_set(c, "message.timeout.ms", tmo, es, sizeof es);
    rd_kafka_conf_set_log_cb(c, log_cb);
    if (o->bootstrap &&
        rd_kafka_conf_set(c, "bootstrap.servers", o->bootstrap, es, sizeof es) != RD_KAFKA_CONF_OK)
        goto conf_fail;
    for (size_t i = 0; i < o->n_props; i++)
        if (rd_kafka_conf_set(c, o->props[2 * i], o->props[2 * i + 1], es, sizeof es) !=
            RD_KAFKA_CONF_OK) {
            if (err) snprintf(err, errlen, "kafka property %s: %s", o->props[2 * i], es);
            rd_kafka_conf_destroy(c);
            free(f);
            return SQ_E_CONFIG;
        }
    rd_kafka_conf_set_opaque(c, f);
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    f->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
    if (!f->rk) goto conf_fail;
    f->topic = strdup(o->topic);
    f->rkt = rd_kafka_topic_new(f->rk, o->topic, NULL);
    if (!f->topic || !f->rkt) {
        if (err) snprintf(err, errlen, "cannot create topic handle %s", o->topic);
        ingest_feed_destroy(f);
        return SQ_E_KAFKA;
    }
    f->start_ns = sq_clock_mono_ns();
    *out = f;
    return 0;
conf_fail:
    if (err) snprintf(err, errlen, "kafka producer: %s", es);
    rd_kafka_conf_destroy(c);
    free(f);
    return SQ_E_CONFIG;
}

/* Evenly spaced sends: message i leaves at start + i/rate, so a late
 * message does not cause a burst beyond what was already due. */
static void pace(ingest_feed *f)
{
    if (f->rate <= 0) return;
    int64_t due = f->start_ns + (int64_t)((double)f->sent * 1e9 / f->rate);
    for (;;) {
        int64_t now = sq_clock_mono_ns();
        if (now >= due || f->stop) return;
        int64_t wait = due - now;
        if (wait >= 2000000) {
            rd_kafka_poll(f->rk, (int)(wait / 1000000) - 1);
        } else {
            rd_kafka_poll(f->rk, 0);
            struct timespec ts = {0, (long)wait};
            nanosleep(&ts, NULL);
        }
    }
}

int ingest_feed_send(ingest_feed *f, const void *buf, size_t len)
{
    if (f->stop || (f->count && f->sent >= f->count)) return SQ_E_AGAIN;
    pace(f);
    char ts[24];
    int tl = snprintf(ts, sizeof ts, "%" PRId64, sq_clock_realtime_ns());
    proto_article a;
    int have_key = 0;
    if (f->key_id && proto_article_decode(buf, len, NULL, &a, NULL, 0) == 0) have_key = 1;
    rd_kafka_resp_err_t e;
    for (;;) {
        e = rd_kafka_producev(
            f->rk, RD_KAFKA_V_RKT(f->rkt), RD_KAFKA_V_VALUE((void *)buf, len),
            RD_KAFKA_V_KEY((have_key ? a.id : NULL), (have_key ? a.id_len : 0)),
            RD_KAFKA_V_HEADER("squawk-ts", ts, tl), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || f->stop) break;
        rd_kafka_poll(f->rk, 10);
    }
    if (have_key) proto_article_free(&a);
    if (e) {
        f->failed++;
        f->last_err = e;
        sq_log_limited(SQ_LOG_ERROR, "feed.produce", "err=\"%s\"", rd_kafka_err2str(e));
        return SQ_E_KAFKA;
    }
    f->sent++;
    if ((f->sent & 1023) == 0) rd_kafka_poll(f->rk, 0);
    return 0;
}

static int read_all(FILE *fp, char **out, size_t *outlen)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    if (!b) return SQ_E_NOMEM;
    for (;;) {
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                return SQ_E_NOMEM;
            }
            b = nb;
        }
        size_t r = fread(b + n, 1, cap - n, fp);
        n += r;
        if (r == 0) break;
    }
    if (ferror(fp)) {
        free(b);
        return SQ_E_IO;
    }
    *out = b;
    *outlen = n;
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int send_lines(ingest_feed *f, const char *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(b + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - b) : n;
        size_t s = i, e = end;
        while (s < e && is_space(b[s])) s++;
        while (e > s && is_space(b[e - 1])) e--;
        if (e > s) {
            int rc = ingest_feed_send(f, b + s, e - s);
            if (rc) return rc;
        }
        i = end + 1;
    }
    return 0;
}

/* One article per file unless it is JSON Lines: a file whose trimmed bytes
 * parse as one JSON value is one article; msgpack (binary first byte or
 * .msgpack) is one article; anything else is sent line by line. */
static int send_buffer(ingest_feed *f, const char *name, const char *b, size_t n)
{
    size_t s = 0, e = n;
    size_t nl = strlen(name);
    int is_mp = nl > 8 && strcmp(name + nl - 8, ".msgpack") == 0;
    if (is_mp || (n && (unsigned char)b[0] >= 0x80)) return n ? ingest_feed_send(f, b, n) : 0;
    while (s < e && is_space(b[s])) s++;
    while (e > s && is_space(b[e - 1])) e--;
    if (e == s) return 0;
    json_t *j = json_loadb(b + s, e - s, 0, NULL);
    if (j) {
        json_decref(j);
        return ingest_feed_send(f, b + s, e - s);
    }
    return send_lines(f, b + s, e - s);
}

static int send_file(ingest_feed *f, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (err) snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SQ_E_IO;
    }
    /* Map regular files: reading a large JSON Lines file through a copy
     * costs more than producing it on a small VM. */
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(fp), 0);
        fclose(fp);
        if (m == MAP_FAILED) {
            if (err) snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return SQ_E_IO;
        }
        madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
        int rc = send_buffer(f, path, m, (size_t)st.st_size);
        munmap(m, (size_t)st.st_size);
        return rc;
    }
    char *b;
    size_t n;
    int rc = read_all(fp, &b, &n);
    fclose(fp);
    if (rc) {
        if (err) snprintf(err, errlen, "%s: %s", path, sq_strerror(rc));
        return rc;
    }
    rc = send_buffer(f, path, b, n);
    free(b);
    return rc;
}

static int send_stdin(ingest_feed *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, stdin)) >= 0) rc = send_lines(f, line, (size_t)n);
    free(line);
    return rc;
}

static int dot_filter(const struct dirent *d) { return d->d_name[0] != '.'; }

static int send_path(ingest_feed *f, const char *path, char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0) return send_stdin(f);
    struct stat st;
    if (stat(path, &st) != 0) {
        if (err) snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SQ_E_NOTFOUND;
    }
    if (!S_ISDIR(st.st_mode)) return send_file(f, path, err, errlen);
    struct dirent **ents;
    int n = scandir(path, &ents, dot_filter, alphasort);
    if (n < 0) {
        if (err) snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SQ_E_IO;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, ents[i]->d_name);
        if (rc == 0 && stat(full, &st) == 0 && S_ISREG(st.st_mode))
            rc = send_file(f, full, err, errlen);
        free(ents[i]);
    }
    free(ents);
    return rc;
}

int ingest_feed_run(ingest_feed *f, const char *const *paths, size_t n_paths, char *err,
                    size_t errlen)
{
    do {
        uint64_t before = f->sent;
        for (size_t i = 0; i < n_paths; i++) {
            int rc = send_path(f, paths[i], err, errlen);
            if (rc == SQ_E_AGAIN) return 0;
            if (rc) return rc;
        }
        /* stdin cannot be replayed, and an empty input would spin */
        if (f->sent == before) break;
        for (size_t i = 0; i < n_paths; i++)
            if (strcmp(paths[i], "-") == 0) return 0;
    } while (f->loop && !f->stop);
    return 0;
}

int ingest_feed_finish(ingest_feed *f, int timeout_ms)
{
    int64_t deadline = sq_clock_mono_ns() + (int64_t)timeout_ms * 1000000;
    while (rd_kafka_outq_len(f->rk) > 0 && sq_clock_mono_ns() < deadline)
        rd_kafka_poll(f->rk, 50);
    rd_kafka_poll(f->rk, 0);
    if (f->failed) return SQ_E_KAFKA;
    if (f->delivered < f->sent) return SQ_E_TIMEOUT;
    return 0;
}

void ingest_feed_counts(const ingest_feed *f, uint64_t *sent, uint64_t *delivered,
                        uint64_t *failed)
{
    if (sent) *sent = f->sent;
    if (delivered) *delivered = f->delivered;
    if (failed) *failed = f->failed;
}

void ingest_feed_stop(ingest_feed *f) { f->stop = 1; }

const char *ingest_feed_last_error(const ingest_feed *f)
{
    return f->last_err ? rd_kafka_err2str(f->last_err) : "";
}

void ingest_feed_destroy(ingest_feed *f)
{
    if (!f) return;
    if (f->rkt) rd_kafka_topic_destroy(f->rkt);
    if (f->rk) {
        rd_kafka_purge(f->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(f->rk, 1000);
        rd_kafka_destroy(f->rk);
    }
    free(f->topic);
    free(f);
}
