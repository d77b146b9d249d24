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
    int *kv_lines;      /* each pair's line (negative: an environment variable, sq_config_where) */
    int line;           /* where the entry starts, for error messages */
} sq_config_filter;

/* One line of a config map (config_keys.h generates them). */
typedef enum {
    SQ_CFGK_BOOL, SQ_CFGK_TRI, SQ_CFGK_INT, SQ_CFGK_DOUBLE, SQ_CFGK_STR, SQ_CFGK_LIST,
    SQ_CFGK_PROPS, SQ_CFGK_PROP, SQ_CFGK_SECTION, SQ_CFGK_FILTERS
} sq_cfg_kind;

enum {
    SQ_CFGF_EXAMPLE = 1, SQ_CFGF_COMMENTED = 2, SQ_CFGF_SECRET = 4, SQ_CFGF_RELOAD = 8,
    SQ_CFGF_OPTIONAL = 16, SQ_CFGF_REST = 32
};

typedef struct sq_cfg_key {
    const char *name;
    sq_cfg_kind kind;
    const char *def;     /* as written in YAML; see SQ_CFGF_EXAMPLE */
    double lo, hi;       /* INT, DOUBLE */
    int flags;
    const char *doc;
    size_t offset;       /* of the field in its section's struct */
    size_t size;         /* INT: sizeof the field */
    const struct sq_cfg_key *sub; /* SECTION: its map, ended by a NULL name */
    const char *choices; /* STR: "a|b|c" or NULL */
} sq_cfg_key;

#define SQ_CONFIG_STR_(x) #x
#define SQ_CONFIG_STR(x) SQ_CONFIG_STR_(x)

/* The struct fields of one X line: named as the key. */
#define SQ_CFG_FIELD(kind, ctype, name, def, lo, hi, flags, doc) SQ_CFG_FIELD_##kind(ctype, name)
#define SQ_CFG_FIELD_BOOL(t, n) int n;
#define SQ_CFG_FIELD_TRI(t, n) int n;
#define SQ_CFG_FIELD_INT(t, n) t n;
#define SQ_CFG_FIELD_DOUBLE(t, n) double n;
#define SQ_CFG_FIELD_STR(t, n) char *n;
#define SQ_CFG_FIELD_LIST(t, n) char **n; size_t n_##n;
#define SQ_CFG_FIELD_PROPS(t, n) char **n; size_t n_##n; int *n##_lines;
#define SQ_CFG_FIELD_PROP(t, n)
#define SQ_CFG_FIELD_SECTION(t, n) t n;
#define SQ_CFG_FIELD_FILTERS(t, n) sq_config_filter *n; size_t n_##n;

/* A section's struct and its map (config.c defines the map). */
#define SQ_CFG_STRUCT(type, KEYS)                                                                  \
    typedef struct type { KEYS(SQ_CFG_FIELD) } type;                                               \
    SQ_API extern const sq_cfg_key type##_keys[];

#include "config_keys.h"

SQ_CFG_STRUCT(sq_config_kafka, SQ_CONFIG_KAFKA_KEYS)
SQ_CFG_STRUCT(sq_config_engine, SQ_CONFIG_ENGINE_KEYS)
SQ_CFG_STRUCT(sq_config_curve, SQ_CONFIG_CURVE_KEYS)
SQ_CFG_STRUCT(sq_config_zmq, SQ_CONFIG_ZMQ_KEYS)
SQ_CFG_STRUCT(sq_config_journal, SQ_CONFIG_JOURNAL_KEYS)
SQ_CFG_STRUCT(sq_config_ksink, SQ_CONFIG_KSINK_KEYS)
SQ_CFG_STRUCT(sq_config_jsonl, SQ_CONFIG_JSONL_KEYS)
SQ_CFG_STRUCT(sq_config_sinks, SQ_CONFIG_SINKS_KEYS)
SQ_CFG_STRUCT(sq_config_metrics, SQ_CONFIG_METRICS_KEYS)
SQ_CFG_STRUCT(sq_config_log, SQ_CONFIG_LOG_KEYS)

typedef struct sq_config {
    char *path;
    sq_cfg_node *root;
    SQ_CONFIG_ROOT_KEYS(SQ_CFG_FIELD) /* kafka, engine, filters, sinks, metrics, log */
    /* SQUAWK_FILTERS__<NAME>__... variables (whole "VAR=value" strings) that
     * name no entry while some entry is a path: the plugin's descriptor may
     * be NAME, which only loading tells (filter_host_from_config applies them). */
    char **filter_env;
    size_t n_filter_env;
    char **env;  /* names of the SQUAWK_ variables applied, for sq_config_where */
    size_t n_env;
} sq_config;

SQ_API extern const sq_cfg_key sq_config_keys[];

/* Loads path (YAML), applies SQUAWK_<SECTION>__<KEY>[__<KEY>] environment
 * overrides, and fills *out. On error returns SQ_E_CONFIG with
 * "<file>:<line>: <key>: <reason>" in err. */
SQ_API int sq_config_load(sq_config *out, const char *path, char **envp, char *err, size_t errlen);
SQ_API void sq_config_free(sq_config *c);

/* Prints the effective configuration as YAML with secrets replaced by "***". */
SQ_API void sq_config_dump(const sq_config *c, void *file);

/* Prints the commented reference configuration (config/squawk.yml) from the maps. */
SQ_API void sq_config_reference(void *file);

/* 1 when a SIGHUP applies the key at this dotted path ("engine.data_dir"), or its section. */
SQ_API int sq_config_reloadable(const char *path);

/* The line (see sq_cfg_node) of the node at a dotted path, or 0 when absent. */
SQ_API int sq_config_line(const sq_config *c, const char *path);

/* The one spelling of a boolean in config files and the environment:
 * true/yes/on/1 -> 1, false/no/off/0 -> 0 (any case), else (or NULL) -1. */
SQ_API int sq_config_parse_bool(const char *v);

/* True for keys whose values must never be logged (sasl.password, *secret*, ...). */
SQ_API int sq_config_is_secret(const char *key);

/* Where a node's line points: "file:line", the SQUAWK_ variable that set
 * it, or the file alone (line 0). */
SQ_API void sq_config_where(const sq_config *c, int line, char *out, size_t len);

#endif
