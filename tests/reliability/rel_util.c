/* rel_util.c -- helpers for the reliability suite: child processes, logs, HTTP probes, Kafka peeks. */
#define _GNU_SOURCE
#include "rel_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/assert.h"

extern char **environ;

static char tmp[256];

const char *rel_tmpdir(const char *tag)
{
    snprintf(tmp, sizeof tmp, "/tmp/sq-rel-%s-XXXXXX", tag);
    ASSERT(mkdtemp(tmp));
    return tmp;
}

const char *rel_data_dir(void)
{
    static char d[300];
    if (!d[0] || strncmp(d, tmp, strlen(tmp)) != 0) {
        snprintf(d, sizeof d, "%s/data", tmp);
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp -r '%s/filters/rules' '%s/filters/gazetteer.yml' '%s/'",
                 d, SQ_SOURCE_DIR, SQ_SOURCE_DIR, d);
        ASSERT_EQ(system(cmd), 0);
    }
    return d;
}

const char *rel_path(const char *name)
{
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ & 7];
    snprintf(b, 512, "%s/%s", tmp, name);
    return b;
}

const char *rel_bin(void)
{
    const char *b = getenv("SQUAWK_BIN");
    return b && access(b, X_OK) == 0 ? b : NULL;
}

int rel_soak(void)
{
    const char *s = getenv("SQ_SOAK");
    return s && *s && strcmp(s, "0") != 0;
}

double rel_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Children still running, so a failed ASSERT (abort) or a ctest timeout
 * (SIGTERM) does not leave squawk processes behind. */
static volatile pid_t kids[256];

static void track(pid_t pid, int add)
{
    for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
        if (add ? kids[i] == 0 : kids[i] == pid) {
            kids[i] = add ? pid : 0;
            return;
        }
}

static void on_fatal(int sig)
{
    for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++)
        if (kids[i] > 0) kill(kids[i], SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

void rel_reap_on_fatal(void)
{
    signal(SIGABRT, on_fatal);
    signal(SIGTERM, on_fatal);
    signal(SIGINT, on_fatal);
}

pid_t rel_spawn(char *const argv[], char *const env[], const char *out, const char *err)
{
    /* The environment is built before spawning: the parent runs librdkafka
     * threads, so nothing may allocate between fork and exec. */
    size_t n = 0, m = 0;
    while (environ[n]) n++;
    while (env && env[m]) m++;
    char **e = calloc(n + m + 1, sizeof *e);
    ASSERT(e);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int overridden = 0;
        for (size_t j = 0; j < m; j++) {
            size_t kl = strcspn(env[j], "=");
            if (strncmp(environ[i], env[j], kl + 1) == 0) overridden = 1;
        }
        if (!overridden) e[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++) e[k++] = env[j];
    e[k] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null", O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_addopen(&fa, 2, err ? err : "/dev/null", O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, e);
    posix_spawn_file_actions_destroy(&fa);
    free(e);
    ASSERT_EQ(rc, 0);
    track(pid, 1);
    return pid;
}

int rel_wait(pid_t pid, double timeout_s)
{
    double end = rel_now() + timeout_s;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            track(pid, 0);
            return st;
        }
        if (r < 0) return -1;
        if (rel_now() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            track(pid, 0);
            return -1;
        }
        usleep(20000);
    }
}

int rel_alive(pid_t pid)
{
    pid_t r = waitpid(pid, NULL, WNOHANG);
    if (r == pid) track(pid, 0);
    return r == 0;
}

char *rel_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1);
    ASSERT(b);
    size_t r;
    while ((r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
            ASSERT(b);
        }
    }
    fclose(f);
    b[n] = '\0';
    if (len) *len = n;
    return b;
}

void rel_write(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    ASSERT(f);
    ASSERT_EQ(fwrite(buf, 1, len, f), len);
    ASSERT_EQ(fclose(f), 0);
}

int rel_file_has(const char *path, const char *needle)
{
    char *s = rel_slurp(path, NULL);
    int r = s && strstr(s, needle) != NULL;
    free(s);
    return r;
}

int rel_wait_file_has(const char *path, const char *needle, double timeout_s)
{
    double end = rel_now() + timeout_s;
    while (rel_now() < end) {
        if (rel_file_has(path, needle)) return 1;
        usleep(50000);
    }
    return 0;
}

size_t rel_count_lines(const char *path)
{
    size_t len, n = 0;
    char *s = rel_slurp(path, &len);
    if (!s) return 0;
    for (size_t i = 0; i < len; i++) n += s[i] == '\n';
    free(s);
    return n;
}

int rel_log_value(const char *path, const char *msg, const char *key, char *out, size_t cap)
{
    char *s = rel_slurp(path, NULL);
    if (!s) return -1;
    char pat[128];
    snprintf(pat, sizeof pat, "msg=%s ", msg);
    char *line = NULL;
    for (char *p = s; (p = strstr(p, pat)); p++) line = p;
    int rc = -1;
    if (line) {
        char *eol = strchr(line, '\n');
        if (eol) *eol = '\0';
        char kp[64];
        snprintf(kp, sizeof kp, " %s=", key);
        char *v = strstr(line, kp);
        if (v) {
            v += strlen(kp);
            size_t l = strcspn(v, " ");
            if (l >= cap) l = cap - 1;
            memcpy(out, v, l);
            out[l] = '\0';
            rc = 0;
        }
    }
    free(s);
    return rc;
}

int rel_http(int port, const char *path, char *body, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t got = 0, bcap = 1 << 20;
    char *buf = malloc(bcap + 1);
    ASSERT(buf);
    ssize_t r;
    while (got < bcap && (r = read(fd, buf + got, bcap - got)) > 0) got += (size_t)r;
    close(fd);
    buf[got] = '\0';
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) status = -1;
    if (body && cap) {
        char *b = strstr(buf, "\r\n\r\n");
        snprintf(body, cap, "%s", b ? b + 4 : "");
    }
    free(buf);
    return status;
}

double rel_metric(int port, const char *name)
{
    static char body[1 << 16];
    if (rel_http(port, "/metrics", body, sizeof body) != 200) return -1;
    char pat[160];
    snprintf(pat, sizeof pat, "\n%s", name);
    /* The first series of that name, labelled or not. */
    for (char *p = body; (p = strstr(p, pat)); p++) {
        char *v = p + strlen(pat);
        if (*v == '{') v = strchr(v, '}') ? strchr(v, '}') + 1 : v;
        if (*v == ' ') return strtod(v + 1, NULL);
    }
    return -1;
}

long rel_vmhwm_kb(pid_t pid)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
    char *s = rel_slurp(p, NULL);
    if (!s) return -1;
    char *h = strstr(s, "VmHWM:");
    long v = h ? strtol(h + 6, NULL, 10) : -1;
    free(s);
    return v;
}

static int rel_bindable(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* The first port of the kernel's ephemeral range (32768 when unreadable). */
static int rel_ephemeral_low(void)
{
    int low = 32768, high;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d %d", &low, &high) != 2) low = 32768;
        fclose(f);
    }
    return low;
}

/* An exclusive lock on the port's file in tests/sqtest.py's lock directory,
 * held until this process exits: 0 when another live test holds it (between
 * its check and its squawk's bind the port still looks free). */
static int rel_reserve(int port)
{
    char p[128];
    mkdir("/tmp/squawk-test-ports", 0777);
    snprintf(p, sizeof p, "/tmp/squawk-test-ports/%d", port);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return 1; /* no lock directory: the bind check alone */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return 0;
    }
    return 1; /* fd stays open: the lock lives as long as we do */
}

int rel_free_port(void)
{
    /* Two adjacent free ports, so a publisher's replay socket can sit at port+1
     * (squawk sub's default) and survive a restart at the same address. They
     * are taken below the kernel's ephemeral range, where no outgoing
     * connection of a test running beside us can grab them before we bind
     * (the same range as tests/sqtest.py's free_port). */
    static unsigned seed;
    if (!seed) seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    int span = rel_ephemeral_low() - 2 - 10000;
    if (span < 1) span = 1;
    for (int tries = 0; tries < 1000; tries++) {
        int port = 10000 + (int)(rand_r(&seed) % (unsigned)span);
        if (rel_reserve(port) && rel_reserve(port + 1) && rel_bindable(port) && rel_bindable(port + 1))
            return port;
    }
    ASSERT(0);
    return -1;
}

void rel_run_spawn(rel_run *r, const char *cfg, char *const env[], const char *log)
{
    const char *bin = rel_bin();
    ASSERT(bin);
    memset(r, 0, sizeof *r);
    snprintf(r->log, sizeof r->log, "%s", log);
    char *argv[] = {(char *)bin, "run", "-c", (char *)cfg, NULL};
    r->pid = rel_spawn(argv, env, NULL, log);
}

void rel_run_start(rel_run *r, const char *cfg, char *const env[], const char *log)
{
    rel_run_spawn(r, cfg, env, log);
    rel_run_ready(r);
}

void rel_run_ready(rel_run *r)
{
    const char *log = r->log;
    double end = rel_now() + 90;
    while (!rel_file_has(log, "msg=run.start") && rel_now() < end) {
        if (!rel_alive(r->pid)) {
            char *s = rel_slurp(log, NULL);
            fprintf(stderr, "squawk run died at start-up:\n%s\n", s ? s : "");
            free(s);
            ASSERT(0);
        }
        usleep(50000);
    }
    ASSERT(rel_file_has(log, "msg=run.start"));
    char v[128];
    if (rel_log_value(log, "metrics.listen", "port", v, sizeof v) == 0) r->mport = atoi(v);
    rel_log_value(log, "zmq.listen", "endpoint", r->pub_ep, sizeof r->pub_ep);
    rel_log_value(log, "zmq.listen", "replay", r->replay_ep, sizeof r->replay_ep);
    rel_log_value(log, "zmq.listen", "pub", r->pub_id, sizeof r->pub_id);
}

void rel_run_kill(rel_run *r, int sig)
{
    if (r->pid <= 0) return;
    kill(r->pid, sig);
    int st = rel_wait(r->pid, 30);
    if (sig == SIGTERM && st != -1 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        char *s = rel_slurp(r->log, NULL);
        fprintf(stderr, "squawk run did not exit cleanly (status %d):\n%s\n", st, s ? s : "");
        free(s);
        ASSERT(0);
    }
    r->pid = 0;
}

void rel_write_config(const char *path, const char *bs, const char *group, const char *sinks_yaml,
                      const char *kafka_extra, const char *metrics_extra)
{
    FILE *f = fopen(path, "w");
    ASSERT(f);
    fprintf(f,
            "# reliability test config\n"
            "engine:\n"
            "  data_dir: \"%s\"\n"
            "kafka:\n"
            "  topics: [articles]\n"
            "  dlq_topic: articles.dlq\n"
            "  commit_interval_ms: 500\n"
            "  bootstrap.servers: \"%s\"\n"
            "  group.id: %s\n"
            "  auto.offset.reset: earliest\n"
            "  session.timeout.ms: 6000\n"
            "  heartbeat.interval.ms: 500\n"
            "%s"
            "filters:\n"
            "  - name: invest\n"
            "  - name: chips\n"
            "  - name: regulatory\n"
            "sinks:\n"
            "%s"
            "metrics:\n"
            "  listen: \"127.0.0.1:0\"\n"
            "%s"
            "log:\n"
            "  level: info\n",
            rel_data_dir(), bs, group, kafka_extra ? kafka_extra : "", sinks_yaml,
            metrics_extra ? metrics_extra : "");
    ASSERT_EQ(fclose(f), 0);
}

static rd_kafka_t *client(const char *bs, rd_kafka_type_t type, const char *group)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    ASSERT_EQ(rd_kafka_conf_set(c, "bootstrap.servers", bs, err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_conf_set(c, "log_level", "3", err, sizeof err);
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set(c, "message.max.bytes", "33554432", err, sizeof err);
        rd_kafka_conf_set(c, "linger.ms", "5", err, sizeof err);
    } else {
        rd_kafka_conf_set(c, "group.id", group ? group : "sq-rel-peek", err, sizeof err);
        rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof err);
        rd_kafka_conf_set(c, "receive.message.max.bytes", "67108864", err, sizeof err);
        rd_kafka_conf_set(c, "fetch.max.bytes", "33554432", err, sizeof err);
        rd_kafka_conf_set(c, "max.partition.fetch.bytes", "33554432", err, sizeof err);
    }
    rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof err);
    if (!rk) fprintf(stderr, "rd_kafka_new: %s\n", err);
    ASSERT(rk);
    return rk;
}

void rel_produce(const char *bs, const char *topic, int partition, const char *key,
                 const void *val, size_t len)
{
    static rd_kafka_t *p;
    static char pbs[256];
    if (p && strcmp(pbs, bs) != 0) {
        rd_kafka_flush(p, 10000);
        rd_kafka_destroy(p);
        p = NULL;
    }
    if (!p) {
        p = client(bs, RD_KAFKA_PRODUCER, NULL);
        snprintf(pbs, sizeof pbs, "%s", bs);
    }
    if (topic && !*topic) { /* "" = flush only */
        ASSERT_EQ(rd_kafka_flush(p, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
        return;
    }
    if (!topic) { /* flush and close */
        ASSERT_EQ(rd_kafka_flush(p, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_destroy(p);
        p = NULL;
        return;
    }
    rd_kafka_resp_err_t e;
    for (;;) {
        e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                              RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
        rd_kafka_poll(p, 50);
    }
    if (e) fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
    ASSERT_EQ(e, 0);
    rd_kafka_poll(p, 0);
}

void rel_committed(const char *bs, const char *group, const char *topic, int n, int64_t *out)
{
    rd_kafka_t *c = client(bs, RD_KAFKA_CONSUMER, group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++) rd_kafka_topic_partition_list_add(l, topic, i);
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    for (int tries = 0; tries < 5 && e; tries++) e = rd_kafka_committed(c, l, 10000);
    ASSERT_EQ(e, 0);
    for (int i = 0; i < n; i++) out[i] = l->elems[i].err ? -1 : l->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(c);
}

int64_t rel_high(const char *bs, const char *topic, int partition)
{
    rd_kafka_t *c = client(bs, RD_KAFKA_CONSUMER, NULL);
    int64_t lo = 0, hi = -1;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    for (int tries = 0; tries < 5 && e; tries++)
        e = rd_kafka_query_watermark_offsets(c, topic, partition, &lo, &hi, 10000);
    ASSERT_EQ(e, 0);
    rd_kafka_destroy(c);
    return hi;
}

size_t rel_consume_all(const char *bs, const char *topic, int n, size_t expect, double timeout_s,
                       rel_msg_cb cb, void *ud)
{
    rd_kafka_t *c = client(bs, RD_KAFKA_CONSUMER, NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    ASSERT_EQ(rd_kafka_assign(c, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    size_t got = 0;
    double end = rel_now() + timeout_s;
    while (got < expect && rel_now() < end) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 200);
        if (!m) continue;
        if (!m->err) {
            char ebuf[64] = "";
            rd_kafka_headers_t *h = NULL;
            const void *hv;
            size_t hl;
            if (rd_kafka_message_headers(m, &h) == 0 &&
                rd_kafka_header_get_last(h, "squawk-error", &hv, &hl) == 0 && hv) {
                if (hl >= sizeof ebuf) hl = sizeof ebuf - 1;
                memcpy(ebuf, hv, hl);
                ebuf[hl] = '\0';
            }
            cb(ud, m->partition, m->offset, m->key, m->key_len, m->payload, m->len,
               ebuf[0] ? ebuf : NULL);
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return got;
}
