/* rel_util.h -- helpers for the reliability suite: child processes, logs, HTTP probes, Kafka peeks. */
#ifndef SQ_REL_UTIL_H
#define SQ_REL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Unique temp dir for this test (mkdtemp); rel_path joins a name onto it. */
const char *rel_tmpdir(const char *tag);
const char *rel_path(const char *name); /* rotating static buffers: copy if kept */
/* A snapshot of filters/rules and gazetteer.yml in the temp dir, so edits to the
 * source tree during a run cannot change what squawk score and squawk run see. */
const char *rel_data_dir(void);
const char *rel_bin(void);              /* $SQUAWK_BIN, or NULL when not built */
int rel_soak(void);                     /* $SQ_SOAK set: long forms */
double rel_now(void);                   /* monotonic seconds */

/* posix_spawn with extra "K=V" env entries (NULL-terminated, may be NULL);
 * stdout/stderr appended to files (NULL = /dev/null). */
pid_t rel_spawn(char *const argv[], char *const env[], const char *out, const char *err);
/* Installs SIGABRT/SIGTERM/SIGINT handlers that SIGKILL every child still running. */
void rel_reap_on_fatal(void);
/* Waits up to timeout_s; then SIGKILLs. Returns the wait status, or -1 on timeout. */
int rel_wait(pid_t pid, double timeout_s);
int rel_alive(pid_t pid);

char *rel_slurp(const char *path, size_t *len); /* NUL-terminated, NULL when absent */
void rel_write(const char *path, const void *buf, size_t len);
int rel_file_has(const char *path, const char *needle);
int rel_wait_file_has(const char *path, const char *needle, double timeout_s);
size_t rel_count_lines(const char *path);
/* Value of "key=" on the last log line containing msg (copied into out). */
int rel_log_value(const char *path, const char *msg, const char *key, char *out, size_t cap);

/* HTTP GET on 127.0.0.1:port; returns the status (or -1) and the body in body. */
int rel_http(int port, const char *path, char *body, size_t cap);
/* The value of the first series of metric name (labels ignored); -1 when absent. */
double rel_metric(int port, const char *name);
long rel_vmhwm_kb(pid_t pid);
int rel_free_port(void);

/* A squawk run instance. */
typedef struct rel_run {
    pid_t pid;
    char log[512];
    int mport;
    char pub_ep[128], replay_ep[128], pub_id[64];
} rel_run;

/* Starts `squawk run -c cfg` with env extras, waits for run.start (90 s) and
 * parses the metrics port and the zmq endpoints from the log. */
void rel_run_start(rel_run *r, const char *cfg, char *const env[], const char *log);
void rel_run_kill(rel_run *r, int sig); /* sends sig and reaps */
/* The two halves of rel_run_start, to start several instances at once. */
void rel_run_spawn(rel_run *r, const char *cfg, char *const env[], const char *log);
void rel_run_ready(rel_run *r);

/* A minimal config: kafka from bs/group/topic with 'articles.dlq', three
 * built-in filters, metrics on an ephemeral port; sinks_yaml is inserted
 * under "sinks:" (indented by the caller), kafka_extra under "kafka:". */
void rel_write_config(const char *path, const char *bs, const char *group, const char *sinks_yaml,
                      const char *kafka_extra, const char *metrics_extra);

/* Kafka helpers (librdkafka, against the bootstrap bs). rel_produce keeps one
 * producer: topic "" flushes it, topic NULL flushes and closes it. */
void rel_produce(const char *bs, const char *topic, int partition, const char *key,
                 const void *val, size_t len);
/* Committed offsets of group for partitions 0..n-1 of topic (-1 = none). */
void rel_committed(const char *bs, const char *group, const char *topic, int n, int64_t *out);
int64_t rel_high(const char *bs, const char *topic, int partition);

/* Every message of topic (partitions 0..n-1), from the beginning: cb per message. */
typedef void (*rel_msg_cb)(void *ud, int partition, int64_t offset, const void *key, size_t klen,
                           const void *val, size_t vlen, const char *error_hdr);
size_t rel_consume_all(const char *bs, const char *topic, int n, size_t expect, double timeout_s,
                       rel_msg_cb cb, void *ud);

#endif
