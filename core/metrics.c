/* metrics.c -- HTTP endpoints for Prometheus and health checks; the loop renders, MHD serves. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "log.h"

struct sq_metrics {
    struct MHD_Daemon *d;
    struct ev_loop *loop;
    ev_async wake;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned long requested, rendered; /* generation counters under mu */
    sq_metrics_buf text;               /* last snapshot, under mu */
    int healthy;
    char why[256];
    unsigned stall_ms;
    sq_metrics_render_cb render;
    sq_metrics_health_cb health;
    void *ud;
    int port;
};

void sq_metrics_printf(sq_metrics_buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = (b->cap + (size_t)n + 1) * 2;
        char *np = realloc(b->p, nc);
        if (!np) return;
        b->p = np;
        b->cap = nc;
    }
}

void sq_metrics_line(void *buf, const char *line)
{
    sq_metrics_printf(buf, "%s\n", line);
}

/* ---- exposition: every family once, HELP and TYPE first ----------------------- */

/* Renderers (the pipeline, each sink) write lines in whatever order suits
 * them; a family's samples may be split, or come before its # TYPE. The text
 * format wants each family exactly once, metadata first, so regroup here
 * instead of asking every renderer to coordinate. */
typedef struct mfam {
    char name[128];
    char type[16];
    const char *help; /* points into the raw text */
    size_t help_len;
    sq_metrics_buf samples;
} mfam;

static size_t name_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] != '{' && s[i] != ' ') i++;
    return i;
}

static mfam *fam_find(mfam *f, size_t nf, const char *name, size_t len)
{
    for (size_t i = 0; i < nf; i++)
        if (strlen(f[i].name) == len && memcmp(f[i].name, name, len) == 0) return &f[i];
    return NULL;
}

/* A sample belongs to the family of its own name, or to a histogram/summary
 * when the name is one of its _bucket/_sum/_count series. */
static mfam *fam_of_sample(mfam *f, size_t nf, const char *name, size_t len)
{
    mfam *m = fam_find(f, nf, name, len);
    if (m) return m;
    static const char *sfx[] = {"_bucket", "_sum", "_count"};
    for (size_t i = 0; i < 3; i++) {
        size_t sl = strlen(sfx[i]);
        if (len > sl && memcmp(name + len - sl, sfx[i], sl) == 0) {
            m = fam_find(f, nf, name, len - sl);
            if (m && (strcmp(m->type, "histogram") == 0 || strcmp(m->type, "summary") == 0)) return m;
        }
    }
    return NULL;
}

static mfam *fam_add(mfam **f, size_t *nf, size_t *cap, const char *name, size_t len)
{
    if (len == 0 || len >= sizeof((*f)->name)) return NULL;
    if (*nf == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        mfam *nfm = realloc(*f, nc * sizeof *nfm);
        if (!nfm) return NULL;
        *f = nfm;
        *cap = nc;
    }
    mfam *m = &(*f)[(*nf)++];
    memset(m, 0, sizeof *m);
    memcpy(m->name, name, len);
    return m;
}

/* "# HELP name text" / "# TYPE name type": returns the family, sets *what. */
static mfam *meta_line(mfam **f, size_t *nf, size_t *cap, const char *l, size_t n)
{
    int is_help = n > 7 && memcmp(l, "# HELP ", 7) == 0;
    int is_type = n > 7 && memcmp(l, "# TYPE ", 7) == 0;
    if (!is_help && !is_type) return NULL;
    const char *name = l + 7;
    size_t len = name_len(name, n - 7);
    mfam *m = fam_find(*f, *nf, name, len);
    if (!m) m = fam_add(f, nf, cap, name, len);
    if (!m) return NULL;
    const char *rest = name + len + (name + len < l + n ? 1 : 0);
    size_t rl = (size_t)(l + n - rest);
    if (is_help && !m->help) {
        m->help = rest;
        m->help_len = rl;
    } else if (is_type && !m->type[0] && rl < sizeof m->type) {
        memcpy(m->type, rest, rl);
        m->type[rl] = 0;
    }
    return m;
}

void sq_metrics_normalize(const char *text, size_t len, sq_metrics_buf *out)
{
    mfam *f = NULL;
    size_t nf = 0, cap = 0;
    /* Metadata first, so a sample before its # TYPE still finds a histogram. */
    for (int pass = 0; pass < 2; pass++) {
        const char *p = text, *end = text + len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = (size_t)((nl ? nl : end) - p);
            if (n > 0 && p[0] == '#') {
                if (pass == 0) meta_line(&f, &nf, &cap, p, n);
            } else if (n > 0 && pass == 1) {
                size_t nl2 = name_len(p, n);
                mfam *m = fam_of_sample(f, nf, p, nl2);
                if (!m) m = fam_add(&f, &nf, &cap, p, nl2);
                if (m) sq_metrics_printf(&m->samples, "%.*s\n", (int)n, p);
            }
            p = nl ? nl + 1 : end;
        }
    }
    for (size_t i = 0; i < nf; i++) {
        mfam *m = &f[i];
        size_t nl = strlen(m->name);
        const char *type = m->type[0] ? m->type
                           : (nl > 6 && strcmp(m->name + nl - 6, "_total") == 0) ? "counter"
                                                                               : "gauge";
        if (m->help)
            sq_metrics_printf(out, "# HELP %s %.*s\n", m->name, (int)m->help_len, m->help);
        else
            sq_metrics_printf(out, "# HELP %s %s\n", m->name, m->name);
        sq_metrics_printf(out, "# TYPE %s %s\n", m->name, type);
        if (m->samples.p) sq_metrics_printf(out, "%.*s", (int)m->samples.len, m->samples.p);
        free(m->samples.p);
    }
    free(f);
}

/* Loop thread: render a fresh snapshot for whoever asked. */
static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
    sq_metrics *m = w->data;
    sq_metrics_buf raw = {0}, b = {0};
    char why[256] = "";
    m->render(m->ud, &raw);
    sq_metrics_normalize(raw.p ? raw.p : "", raw.len, &b);
    free(raw.p);
    int ok = m->health ? m->health(m->ud, why, sizeof why) : 1;
    pthread_mutex_lock(&m->mu);
    free(m->text.p);
    m->text = b;
    m->healthy = ok;
    snprintf(m->why, sizeof m->why, "%s", why);
    m->rendered = m->requested;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **con_cls)
{
    sq_metrics *m = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, 405, "text/plain", "method not allowed\n", 19);
    int is_metrics = strcmp(url, "/metrics") == 0, is_health = strcmp(url, "/healthz") == 0;
    if (!is_metrics && !is_health) return reply(c, 404, "text/plain", "not found\n", 10);

    /* Ask the loop for a fresh render and wait a bounded time: a loop that
     * cannot answer is stalled, which is exactly what /healthz must say. */
    pthread_mutex_lock(&m->mu);
    unsigned long gen = ++m->requested;
    ev_async_send(m->loop, &m->wake);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += m->stall_ms / 1000;
    dl.tv_nsec += (long)(m->stall_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    int stalled = 0;
    while (m->rendered < gen) {
        if (pthread_cond_timedwait(&m->cv, &m->mu, &dl) == ETIMEDOUT) {
            stalled = 1;
            break;
        }
    }
    enum MHD_Result ret;
    if (is_metrics) {
        ret = reply(c, 200, "text/plain; version=0.0.4", m->text.p ? m->text.p : "", m->text.len);
    } else if (stalled) {
        ret = reply(c, 503, "text/plain", "unhealthy: event loop stalled\n", 30);
    } else {
        char body[300];
        int n = m->healthy ? snprintf(body, sizeof body, "ok\n")
                           : snprintf(body, sizeof body, "unhealthy: %s\n", m->why);
        ret = reply(c, m->healthy ? 200 : 503, "text/plain", body, (size_t)n);
    }
    pthread_mutex_unlock(&m->mu);
    return ret;
}

/* libmicrohttpd's own errors ("Failed to bind to port ...") through the logger. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    for (char *c = text; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) *c = *c == '\n' ? 0 : '\'';
    sq_log(SQ_LOG_WARN, "metrics.http", "text=\"%s\"", text);
}

int sq_metrics_parse_listen(const char *listen, struct sockaddr_in *out, char *why, size_t whylen)
{
    const char *colon = strrchr(listen, ':');
    char host[128];
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || !colon[1] || *end || port < 0 || port > 65535) {
        snprintf(why, whylen, "'%s' is not host:port (e.g. 0.0.0.0:9464; port 0 picks one)", listen);
        return SQ_E_CONFIG;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    if (!host[0] || strcmp(host, "*") == 0) snprintf(host, sizeof host, "0.0.0.0");
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(why, whylen, "'%s': host must be an IPv4 address, localhost or *", listen);
        return SQ_E_CONFIG;
    }
    if (out) *out = sa;
    return 0;
}

int sq_metrics_create(sq_metrics **out, struct ev_loop *loop, const char *listen, unsigned stall_ms,
                      sq_metrics_render_cb render, sq_metrics_health_cb health, void *ud, char *err,
                      size_t errlen)
{
    struct sockaddr_in sa;
    char why[160];
    if (sq_metrics_parse_listen(listen, &sa, why, sizeof why) != 0) {
        snprintf(err, errlen, "metrics.listen: %s", why);
        return SQ_E_CONFIG;
    }
    sq_metrics *m = calloc(1, sizeof *m);
    if (!m) return SQ_E_NOMEM;
    m->loop = loop;
    m->stall_ms = stall_ms ? stall_ms : 5000;
    m->render = render;
    m->health = health;
    m->ud = ud;
    m->healthy = 1;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    ev_async_init(&m->wake, on_wake);
    m->wake.data = m;
    ev_async_start(loop, &m->wake);
    ev_unref(loop); /* the metrics endpoint alone must not keep the loop alive */
    m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                            on_request, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (!m->d) {
        snprintf(err, errlen, "metrics.listen: cannot listen on %s: %s", listen, strerror(errno));
        ev_ref(loop);
        ev_async_stop(loop, &m->wake);
        free(m);
        return SQ_E_HTTP;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info ? info->port : ntohs(sa.sin_port);
    *out = m;
    return 0;
}

int sq_metrics_port(const sq_metrics *m)
{
    return m->port;
}

void sq_metrics_destroy(sq_metrics *m)
{
    if (!m) return;
    MHD_stop_daemon(m->d);
    ev_ref(m->loop);
    ev_async_stop(m->loop, &m->wake);
    free(m->text.p);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
}
