/* config.h -- squawk.yml: parsed with libyaml, overridden from the environment, checked against a schema. */
#ifndef SQ_CONFIG_H
#define SQ_CONFIG_H

#include <stddef.h>
#include "visibility.h"

/* A generic tree of the YAML document; every node remembers its line so
 * errors can name file, line and key. */
typedef enum { SQ_CFG_MAP, SQ_CFG_SEQ, SQ_CFG_SCALAR } sq_cfg_type;

typedef struct sq_cfg_node {
    sq_cfg_type type;
    char *key;   /* set for members of a map */
    char *value; /* set for scalars */
    int line;    /* 1-based; < 0 when a SQUAWK_ variable set it (config.c) */
    int used;    /* set by the schema walk; unused nodes are unknown keys */
    struct sq_cfg_node *child, *next;
} sq_cfg_node;

typedef struct sq_config_filter {
    char *name;         /* "invest" or a path to a .so */
    double threshold;   /* < 0: the plugin's own default */
    char **kv;          /* config map as key, value, key, value ... */
    size_t n_kv;
    int line;           /* where the entry starts, for error messages */
} sq_config_filter;

/* sinks.zmq.min_relevance when absent: chosen on the tune sets with
 * squawk eval --parties (docs/EVAL.md). */
#define SQ_CONFIG_MIN_RELEVANCE 0.0

typedef struct sq_config {
    char *path;
    sq_cfg_node *root;

    /* kafka: */
    char **topics;
    size_t n_topics;
    char *dlq_topic;
    size_t max_article_bytes;
    unsigned batch;
    unsigned commit_interval_ms;
    unsigned pause_high, pause_low; /* sink backlog marks for backpressure */
    char **kafka_props; /* librdkafka key, value ... */
    size_t n_kafka_props;
    int *kafka_prop_lines; /* line of each property, for error messages */

    /* engine: */
    char *data_dir, *plugin_dir;
    unsigned novelty_window_s;
    int anonymous_companies; /* 1 on, -1 off, 0 unset (the host's default decides) */

    /* filters: */
    sq_config_filter *filters;
    size_t n_filters;

    /* sinks: */
    struct {
        int enabled;
        char **endpoints;
        size_t n_endpoints;
        char **replay_endpoints;
        size_t n_replay_endpoints;
        int sndhwm;
        unsigned ring_size;
        unsigned heartbeat_ms;
        double min_relevance; /* a company gets its topic only at this relevance */
        char *curve_secret_key_file, *curve_public_key_file;
        char **curve_allowed;
        size_t n_curve_allowed;
        char *pub_id; /* NULL: derived (journal) or random */
    } zmq;
    struct {
        int enabled;
        char *topic;
        char **props; /* librdkafka producer properties over the kafka section's connection ones */
        size_t n_props;
    } journal;
    struct {
        int enabled;
        char *topic;
        char **props;
        size_t n_props;
    } kafka_sink;
    struct {
        int enabled;
        char *path;
    } jsonl;

    /* metrics: */
    char *metrics_listen; /* "127.0.0.1:9464"; NULL or "" disables */
    unsigned health_grace_s;
    unsigned stall_ms;

    /* log: */
    char *log_level, *log_format;

    /* lifecycle: */
    unsigned shutdown_timeout_ms;
    char **env;  /* names of the SQUAWK_ variables applied, for sq_config_where */
    size_t n_env;
} sq_config;

/* Loads path (YAML), applies SQUAWK_<SECTION>__<KEY>[__<KEY>] environment
 * overrides, and fills *out. On error returns SQ_E_CONFIG with
 * "<file>:<line>: <key>: <reason>" in err. */
SQ_API int sq_config_load(sq_config *out, const char *path, char **envp, char *err, size_t errlen);
SQ_API void sq_config_free(sq_config *c);

/* Prints the effective configuration as YAML with secrets replaced by "***". */
SQ_API void sq_config_dump(const sq_config *c, void *file);

/* The one spelling of a boolean in config files and the environment:
 * true/yes/on/1 -> 1, false/no/off/0 -> 0 (any case), else (or NULL) -1. */
SQ_API int sq_config_parse_bool(const char *v);

/* True for keys whose values must never be logged (sasl.password, *secret*, ...). */
SQ_API int sq_config_is_secret(const char *key);

/* Where a node's line points: "file:line", the SQUAWK_ variable that set
 * it, or the file alone (line 0). */
SQ_API void sq_config_where(const sq_config *c, int line, char *out, size_t len);

#endif
