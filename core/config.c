/* config.c -- loads squawk.yml into sq_config: libyaml tree, env overrides, schema checks. */
#include "config.h"
#include "metrics.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "error.h"

#define CFG_MAX_ENV 64

/* A node's line is its 1-based line in the file, 0 when it has none, or
 * -(i + 1) when environment variable env[i] set it: errors name the
 * variable then, not the file. */
typedef struct cfg_ctx {
    const char *file;
    char *err;
    size_t errlen;
    int failed;
    const char *env[CFG_MAX_ENV];
    int n_env;
} cfg_ctx;

static void cfg_fail(cfg_ctx *x, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void cfg_fail(cfg_ctx *x, int line, const char *key, const char *fmt, ...)
{
    if (x->failed) return; /* the first error is the useful one */
    x->failed = 1;
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (line > 0) {
        snprintf(x->err, x->errlen, "%s:%d: %s: %s", x->file, line, key, reason);
    } else if (line < 0 && -line <= x->n_env) {
        const char *var = x->env[-line - 1];
        snprintf(x->err, x->errlen, "%.*s: %s: %s", (int)strcspn(var, "="), var, key, reason);
    } else {
        snprintf(x->err, x->errlen, "%s: %s: %s", x->file, key, reason);
    }
}

/* ---- tree ---------------------------------------------------------------- */

static sq_cfg_node *node_new(sq_cfg_type t, const char *key, const char *value, int line)
{
    sq_cfg_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->type = t;
    n->key = key ? strdup(key) : NULL;
    n->value = value ? strdup(value) : NULL;
    n->line = line;
    return n;
}

static void node_free(sq_cfg_node *n)
{
    while (n) {
        sq_cfg_node *next = n->next;
        node_free(n->child);
        free(n->key);
        free(n->value);
        free(n);
        n = next;
    }
}

static void node_append(sq_cfg_node *parent, sq_cfg_node *c)
{
    sq_cfg_node **p = &parent->child;
    while (*p) p = &(*p)->next;
    *p = c;
}

static sq_cfg_node *from_yaml(cfg_ctx *x, yaml_document_t *doc, yaml_node_t *yn, const char *key,
                              int depth)
{
    int line = (int)yn->start_mark.line + 1;
    if (depth > 32) {
        cfg_fail(x, line, key ? key : "(root)", "nesting too deep");
        return NULL;
    }
    switch (yn->type) {
    case YAML_SCALAR_NODE:
        return node_new(SQ_CFG_SCALAR, key, (const char *)yn->data.scalar.value, line);
    case YAML_SEQUENCE_NODE: {
        sq_cfg_node *n = node_new(SQ_CFG_SEQ, key, NULL, line);
        for (yaml_node_item_t *it = yn->data.sequence.items.start; n && it < yn->data.sequence.items.top; it++) {
            sq_cfg_node *c = from_yaml(x, doc, yaml_document_get_node(doc, *it), NULL, depth + 1);
            if (!c) {
                node_free(n);
                return NULL;
            }
            node_append(n, c);
        }
        return n;
    }
    case YAML_MAPPING_NODE: {
        sq_cfg_node *n = node_new(SQ_CFG_MAP, key, NULL, line);
        for (yaml_node_pair_t *p = yn->data.mapping.pairs.start; n && p < yn->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            yaml_node_t *v = yaml_document_get_node(doc, p->value);
            if (!k || k->type != YAML_SCALAR_NODE) {
                cfg_fail(x, line, key ? key : "(root)", "map keys must be plain strings");
                node_free(n);
                return NULL;
            }
            const char *ks = (const char *)k->data.scalar.value;
            for (sq_cfg_node *c = n->child; c; c = c->next)
                if (strcmp(c->key, ks) == 0) {
                    cfg_fail(x, (int)k->start_mark.line + 1, ks, "key appears twice");
                    node_free(n);
                    return NULL;
                }
            sq_cfg_node *c = from_yaml(x, doc, v, ks, depth + 1);
            if (!c) {
                node_free(n);
                return NULL;
            }
            node_append(n, c);
        }
        return n;
    }
    default:
        return node_new(SQ_CFG_SCALAR, key, "", line);
    }
}

static sq_cfg_node *map_get(sq_cfg_node *m, const char *key)
{
    if (!m || m->type != SQ_CFG_MAP) return NULL;
    for (sq_cfg_node *c = m->child; c; c = c->next)
        if (strcmp(c->key, key) == 0) return c;
    return NULL;
}

/* ---- environment overrides ------------------------------------------------ */

/* Keys of the kafka: section that are squawk's own; every other key there is
 * a librdkafka property, spelt with dots (env: underscores). */
static const char *kafka_own_keys[] = {"topics", "dlq_topic", "max_article_bytes", "batch",
                                       "commit_interval_ms", "pause_high", "pause_low", NULL};

static int is_kafka_own(const char *k)
{
    for (int i = 0; kafka_own_keys[i]; i++)
        if (strcmp(kafka_own_keys[i], k) == 0) return 1;
    return 0;
}

/* SQUAWK_KAFKA__BOOTSTRAP_SERVERS=x sets kafka: bootstrap.servers: x;
 * SQUAWK_FILTERS__INVEST__THRESHOLD=60 finds the filter named invest;
 * SQUAWK_SINKS__ZMQ__ENDPOINTS=a,b replaces a list (comma-separated). */
static void apply_env(cfg_ctx *x, sq_cfg_node *root, const char *var)
{
    const char *eq = strchr(var, '=');
    if (!eq || strncmp(var, "SQUAWK_", 7) != 0 || !strstr(var, "__")) return;
    char name[256];
    size_t nl = (size_t)(eq - var) - 7;
    if (nl >= sizeof name) return;
    memcpy(name, var + 7, nl);
    name[nl] = 0;
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    if (x->n_env >= CFG_MAX_ENV) {
        cfg_fail(x, 0, "environment", "more than %d SQUAWK_ variables", CFG_MAX_ENV);
        return;
    }
    x->env[x->n_env++] = var;
    int at = -x->n_env;

    char *parts[8];
    int np = 0;
    for (char *p = name; np < 8;) {
        parts[np++] = p;
        char *sep = strstr(p, "__");
        if (!sep) break;
        *sep = 0;
        p = sep + 2;
    }
    if (np >= 2 && strcmp(parts[0], "kafka") == 0 && !is_kafka_own(parts[1]))
        for (char *p = parts[1]; *p; p++)
            if (*p == '_') *p = '.';
    /* SQUAWK_SINKS__KAFKA__PROPERTIES__BOOTSTRAP_SERVERS (and __JOURNAL__): librdkafka names, likewise */
    if (np == 4 && strcmp(parts[0], "sinks") == 0 &&
        (strcmp(parts[1], "kafka") == 0 || strcmp(parts[1], "journal") == 0) &&
        strcmp(parts[2], "properties") == 0)
        for (char *p = parts[3]; *p; p++)
            if (*p == '_') *p = '.';

    sq_cfg_node *cur = root;
    for (int i = 0; i < np; i++) {
        sq_cfg_node *next = NULL;
        if (cur->type == SQ_CFG_SEQ) {
            for (sq_cfg_node *c = cur->child; c; c = c->next) {
                sq_cfg_node *nm = map_get(c, "name");
                if (nm && nm->value && strcmp(nm->value, parts[i]) == 0) next = c;
            }
            if (!next) {
                cfg_fail(x, at, parts[i - 1], "no list entry named '%s'", parts[i]);
                return;
            }
        } else if (cur->type == SQ_CFG_MAP) {
            next = map_get(cur, parts[i]);
            if (!next) {
                next = node_new(i == np - 1 ? SQ_CFG_SCALAR : SQ_CFG_MAP, parts[i], NULL, at);
                if (!next) return;
                node_append(cur, next);
            }
        } else {
            cfg_fail(x, at, parts[i - 1 >= 0 ? i - 1 : 0], "not a section");
            return;
        }
        cur = next;
    }
    node_free(cur->child);
    cur->child = NULL;
    free(cur->value);
    cur->line = at;
    if (cur->type == SQ_CFG_SEQ) {
        /* lists from the environment are comma-separated */
        const char *s = eq + 1;
        while (*s) {
            const char *c = strchr(s, ',');
            size_t l = c ? (size_t)(c - s) : strlen(s);
            char item[1024];
            snprintf(item, sizeof item, "%.*s", (int)l, s);
            node_append(cur, node_new(SQ_CFG_SCALAR, NULL, item, at));
            s += l + (c ? 1 : 0);
        }
        cur->value = NULL;
    } else {
        cur->type = SQ_CFG_SCALAR;
        cur->value = strdup(eq + 1);
    }
}

/* ---- typed getters -------------------------------------------------------- */

static sq_cfg_node *want(cfg_ctx *x, sq_cfg_node *m, const char *key)
{
    sq_cfg_node *n = map_get(m, key);
    if (n) n->used = 1;
    return n;
}

static int get_str(cfg_ctx *x, sq_cfg_node *m, const char *sect, const char *key, char **out)
{
    sq_cfg_node *n = want(x, m, key);
    if (!n) return 0;
    char path[128];
    snprintf(path, sizeof path, "%s.%s", sect, key);
    if (n->type != SQ_CFG_SCALAR) {
        cfg_fail(x, n->line, path, "expected a string");
        return -1;
    }
    free(*out);
    *out = strdup(n->value);
    return 1;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return -1;
    unsigned long long r = strtoull(s, &end, 10);
    if (errno || *end || r > max) return -1;
    *v = r;
    return 0;
}

static int get_uint(cfg_ctx *x, sq_cfg_node *m, const char *sect, const char *key,
                    unsigned long long max, unsigned long long *out)
{
    sq_cfg_node *n = want(x, m, key);
    if (!n) return 0;
    char path[128];
    snprintf(path, sizeof path, "%s.%s", sect, key);
    if (n->type != SQ_CFG_SCALAR || parse_uint(n->value, max, out) != 0) {
        cfg_fail(x, n->line, path, "expected an integer from 0 to %llu, got '%s'", max,
                 n->value ? n->value : "(a list or map)");
        return -1;
    }
    return 1;
}

#define GET_UINT_INTO(x, m, sect, key, max, field)                               \
    do {                                                                         \
        unsigned long long v_;                                                   \
        if (get_uint(x, m, sect, key, max, &v_) == 1) (field) = v_;              \
    } while (0)

static int get_double(cfg_ctx *x, sq_cfg_node *n, const char *path, double lo, double hi, double *out)
{
    char *end;
    if (n->type != SQ_CFG_SCALAR || !n->value[0]) goto bad;
    double d = strtod(n->value, &end);
    if (*end || d < lo || d > hi) goto bad;
    *out = d;
    return 0;
bad:
    cfg_fail(x, n->line, path, "expected a number from %g to %g, got '%s'", lo, hi,
             n->value ? n->value : "(a list or map)");
    return -1;
}

SQ_API int sq_config_parse_bool(const char *v)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (size_t k = 0; v && k < 4; k++) {
        if (strcasecmp(v, yes[k]) == 0) return 1;
        if (strcasecmp(v, no[k]) == 0) return 0;
    }
    return -1;
}

static int get_bool(cfg_ctx *x, sq_cfg_node *m, const char *sect, const char *key, int *out)
{
    sq_cfg_node *n = want(x, m, key);
    if (!n) return 0;
    char path[128];
    snprintf(path, sizeof path, "%s.%s", sect, key);
    int b = n->type == SQ_CFG_SCALAR ? sq_config_parse_bool(n->value) : -1;
    if (b >= 0) {
        *out = b;
        return 1;
    }
    cfg_fail(x, n->line, path, "expected true or false");
    return -1;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* A list of strings; a scalar is taken as a comma-separated list. */
static int get_strv(cfg_ctx *x, sq_cfg_node *m, const char *sect, const char *key, char ***out,
                    size_t *n_out)
{
    sq_cfg_node *n = want(x, m, key);
    if (!n) return 0;
    char path[128];
    snprintf(path, sizeof path, "%s.%s", sect, key);
    strv_free(*out, *n_out);
    *out = NULL;
    *n_out = 0;
    size_t cap = 0;
    if (n->type == SQ_CFG_MAP) {
        cfg_fail(x, n->line, path, "expected a list of strings");
        return -1;
    }
    if (n->type == SQ_CFG_SCALAR) {
        const char *s = n->value;
        while (*s) {
            const char *c = strchr(s, ',');
            size_t l = c ? (size_t)(c - s) : strlen(s);
            if (*n_out == cap) *out = realloc(*out, (cap = cap * 2 + 4) * sizeof **out);
            (*out)[(*n_out)++] = strndup(s, l);
            s += l + (c ? 1 : 0);
        }
        return 1;
    }
    for (sq_cfg_node *c = n->child; c; c = c->next) {
        if (c->type != SQ_CFG_SCALAR) {
            cfg_fail(x, c->line, path, "expected a list of strings");
            return -1;
        }
        if (*n_out == cap) *out = realloc(*out, (cap = cap * 2 + 4) * sizeof **out);
        (*out)[(*n_out)++] = strdup(c->value);
    }
    return 1;
}

/* A map of scalar properties (librdkafka), as a flat key,value array. */
static int get_props(cfg_ctx *x, sq_cfg_node *m, const char *sect, int (*skip)(const char *),
                     char ***out, size_t *n_out, int **lines)
{
    size_t cap = 0;
    for (sq_cfg_node *c = m ? m->child : NULL; c; c = c->next) {
        if (skip && skip(c->key)) continue;
        char path[256];
        snprintf(path, sizeof path, "%s.%s", sect, c->key);
        c->used = 1;
        if (c->type != SQ_CFG_SCALAR) {
            cfg_fail(x, c->line, path, "expected a scalar property value");
            return -1;
        }
        if (2 * (*n_out + 1) > cap) *out = realloc(*out, (cap = cap * 2 + 8) * sizeof **out);
        (*out)[2 * *n_out] = strdup(c->key);
        (*out)[2 * *n_out + 1] = strdup(c->value);
        if (lines) {
            *lines = realloc(*lines, (*n_out + 1) * sizeof **lines);
            (*lines)[*n_out] = c->line;
        }
        (*n_out)++;
    }
    return 0;
}

/* ---- sections ------------------------------------------------------------- */

static int section(cfg_ctx *x, sq_cfg_node *root, const char *name, sq_cfg_node **out)
{
    *out = want(x, root, name);
    if (*out && (*out)->type != SQ_CFG_MAP) {
        cfg_fail(x, (*out)->line, name, "expected a map");
        return -1;
    }
    return 0;
}

static void load_kafka(cfg_ctx *x, sq_config *c, sq_cfg_node *k)
{
    get_strv(x, k, "kafka", "topics", &c->topics, &c->n_topics);
    get_str(x, k, "kafka", "dlq_topic", &c->dlq_topic);
    GET_UINT_INTO(x, k, "kafka", "max_article_bytes", 256ull << 20, c->max_article_bytes);
    GET_UINT_INTO(x, k, "kafka", "batch", 100000, c->batch);
    GET_UINT_INTO(x, k, "kafka", "commit_interval_ms", 3600000, c->commit_interval_ms);
    GET_UINT_INTO(x, k, "kafka", "pause_high", 100000000, c->pause_high);
    GET_UINT_INTO(x, k, "kafka", "pause_low", 100000000, c->pause_low);
    get_props(x, k, "kafka", is_kafka_own, &c->kafka_props, &c->n_kafka_props, &c->kafka_prop_lines);
    if (!x->failed && c->n_topics == 0)
        cfg_fail(x, k ? k->line : 0, "kafka.topics", "at least one topic is required");
    if (!x->failed && c->pause_low >= c->pause_high)
        cfg_fail(x, k ? k->line : 0, "kafka.pause_low", "must be below kafka.pause_high");
}

/* Equal config maps (key, value, in order). */
static int same_kv(const sq_config_filter *a, const sq_config_filter *b)
{
    if (a->n_kv != b->n_kv) return 0;
    for (size_t i = 0; i < 2 * a->n_kv; i++)
        if (strcmp(a->kv[i], b->kv[i]) != 0) return 0;
    return 1;
}

/* Two entries of one filter with one config would raise every alert twice
 * under one name; entries that differ in their config map (the `learned`
 * filter, one model each) are distinct filters. */
static void check_duplicate_filter(cfg_ctx *x, sq_config *c)
{
    const sq_config_filter *last = &c->filters[c->n_filters - 1];
    for (size_t i = 0; last->name && i + 1 < c->n_filters; i++)
        if (c->filters[i].name && strcmp(c->filters[i].name, last->name) == 0 && same_kv(&c->filters[i], last)) {
            char key[160];
            snprintf(key, sizeof key, "filters[%s]", last->name);
            cfg_fail(x, last->line, key, "listed twice (also at line %d)", c->filters[i].line);
            return;
        }
}

static void load_filters(cfg_ctx *x, sq_config *c, sq_cfg_node *f)
{
    if (!f) return;
    if (f->type != SQ_CFG_SEQ) {
        cfg_fail(x, f->line, "filters", "expected a list of filters");
        return;
    }
    size_t n = 0;
    for (sq_cfg_node *e = f->child; e; e = e->next) n++;
    c->filters = calloc(n ? n : 1, sizeof *c->filters);
    for (sq_cfg_node *e = f->child; e && !x->failed; e = e->next) {
        sq_config_filter *cf = &c->filters[c->n_filters++];
        cf->threshold = -1;
        cf->line = e->line;
        if (e->type == SQ_CFG_SCALAR) { /* "- invest" shorthand */
            cf->name = strdup(e->value);
            check_duplicate_filter(x, c);
            continue;
        }
        if (e->type != SQ_CFG_MAP) {
            cfg_fail(x, e->line, "filters[]", "expected a filter name or map");
            return;
        }
        if (get_str(x, e, "filters[]", "name", &cf->name) != 1) {
            cfg_fail(x, e->line, "filters[].name", "every filter needs a name or path");
            return;
        }
        char sect[160];
        snprintf(sect, sizeof sect, "filters[%s]", cf->name);
        sq_cfg_node *t = want(x, e, "threshold");
        if (t) {
            char path[200];
            snprintf(path, sizeof path, "%s.threshold", sect);
            get_double(x, t, path, 0, 100, &cf->threshold);
        }
        sq_cfg_node *cm = want(x, e, "config");
        if (cm && cm->type != SQ_CFG_MAP) {
            cfg_fail(x, cm->line, sect, "config must be a map");
            return;
        }
        char csect[200];
        snprintf(csect, sizeof csect, "%s.config", sect);
        get_props(x, cm, csect, NULL, &cf->kv, &cf->n_kv, NULL);
        if (!x->failed) check_duplicate_filter(x, c);
    }
}

/* scheme://address as zmq_bind takes it; tcp wants host:port (port a
 * number or a star), so "tcp//STAR:5555" or a tcp address without a port fail here, not at bind. */
static const char *endpoint_problem(const char *e)
{
    static const char *schemes[] = {"tcp", "ipc", "inproc", "pgm", "epgm", "tipc", "vmci",
                                    "ws", "wss", "udp", NULL};
    if (*e == '@' || *e == '>') e++; /* bind / connect markers, as zsock takes them */
    const char *sep = strstr(e, "://");
    if (!sep) return "expected scheme://address (tcp://*:5555, ipc:///run/squawk.sock)";
    size_t sl = (size_t)(sep - e);
    int known = 0;
    for (size_t i = 0; schemes[i]; i++)
        if (strlen(schemes[i]) == sl && strncmp(e, schemes[i], sl) == 0) known = 1;
    if (!known) return "unknown transport (tcp, ipc, inproc, ...)";
    const char *addr = sep + 3;
    if (!*addr) return "no address after ://";
    if (sl != 3 || strncmp(e, "tcp", 3) != 0) return NULL;
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr) return "tcp wants host:port";
    if (strcmp(colon + 1, "*") == 0) return NULL;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535) return "tcp port must be 0-65535 or *";
    return NULL;
}

/* "tcp://host:port" -> port, else -1 (ipc paths etc. compare as strings). */
static long tcp_port(const char *e)
{
    if (*e == '@' || *e == '>') e++;
    if (strncmp(e, "tcp://", 6) != 0) return -1;
    const char *colon = strrchr(e, ':');
    return colon && colon[1] != '*' ? strtol(colon + 1, NULL, 10) : -1;
}

static void check_endpoints(cfg_ctx *x, sq_config *c, sq_cfg_node *z)
{
    sq_cfg_node *en = map_get(z, "endpoints"), *rn = map_get(z, "replay_endpoints");
    for (int r = 0; r < 2 && !x->failed; r++) {
        char **v = r ? c->zmq.replay_endpoints : c->zmq.endpoints;
        size_t n = r ? c->zmq.n_replay_endpoints : c->zmq.n_endpoints;
        sq_cfg_node *node = r ? rn : en;
        for (size_t i = 0; i < n && !x->failed; i++) {
            const char *why = endpoint_problem(v[i]);
            if (why)
                cfg_fail(x, node ? node->line : z->line,
                         r ? "sinks.zmq.replay_endpoints" : "sinks.zmq.endpoints", "'%s': %s", v[i], why);
        }
    }
    for (size_t i = 0; i < c->zmq.n_endpoints && !x->failed; i++)
        for (size_t j = 0; j < c->zmq.n_replay_endpoints && !x->failed; j++) {
            const char *a = c->zmq.endpoints[i], *b = c->zmq.replay_endpoints[j];
            if (strcmp(a, b) == 0 || (tcp_port(a) >= 0 && tcp_port(a) == tcp_port(b)))
                cfg_fail(x, rn ? rn->line : z->line, "sinks.zmq.replay_endpoints",
                         "'%s' takes the publish endpoint's port ('%s'); replay needs its own "
                         "(by convention port + 1)", b, a);
        }
}

/* sinks.journal: the ZeroMQ messages on a Kafka topic (docs/OPERATIONS.md). */
static void load_journal(cfg_ctx *x, sq_config *c, sq_cfg_node *jr)
{
    c->journal.enabled = 1;
    get_bool(x, jr, "sinks.journal", "enabled", &c->journal.enabled);
    get_str(x, jr, "sinks.journal", "topic", &c->journal.topic);
    if (!c->journal.topic) c->journal.topic = strdup("alerts.journal");
    sq_cfg_node *p = NULL;
    if (section(x, jr, "properties", &p)) return;
    get_props(x, p, "sinks.journal.properties", NULL, &c->journal.props, &c->journal.n_props, NULL);
    if (!x->failed && c->journal.enabled && !c->zmq.enabled)
        cfg_fail(x, jr->line, "sinks.journal", "journals the zmq sink's messages: enable sinks.zmq");
    if (!x->failed && c->journal.enabled && c->zmq.n_replay_endpoints == 0)
        cfg_fail(x, jr->line, "sinks.journal",
                 "serves replays: sinks.zmq.replay_endpoints needs an endpoint");
}

static void load_sinks(cfg_ctx *x, sq_config *c, sq_cfg_node *s)
{
    sq_cfg_node *z = NULL, *k = NULL, *j = NULL, *jr = NULL;
    if (!s) return;
    if (section(x, s, "zmq", &z) || section(x, s, "kafka", &k) || section(x, s, "jsonl", &j) ||
        section(x, s, "journal", &jr))
        return;
    if (z) {
        c->zmq.enabled = 1;
        get_bool(x, z, "sinks.zmq", "enabled", &c->zmq.enabled);
        get_strv(x, z, "sinks.zmq", "endpoints", &c->zmq.endpoints, &c->zmq.n_endpoints);
        get_strv(x, z, "sinks.zmq", "replay_endpoints", &c->zmq.replay_endpoints,
                 &c->zmq.n_replay_endpoints);
        unsigned long long v;
        if (get_uint(x, z, "sinks.zmq", "sndhwm", 100000000, &v) == 1) c->zmq.sndhwm = (int)v;
        GET_UINT_INTO(x, z, "sinks.zmq", "ring_size", 100000000, c->zmq.ring_size);
        GET_UINT_INTO(x, z, "sinks.zmq", "heartbeat_ms", 3600000, c->zmq.heartbeat_ms);
        sq_cfg_node *mr = want(x, z, "min_relevance");
        if (mr) get_double(x, mr, "sinks.zmq.min_relevance", 0, 100, &c->zmq.min_relevance);
        get_str(x, z, "sinks.zmq", "pub_id", &c->zmq.pub_id);
        sq_cfg_node *cv = NULL;
        if (section(x, z, "curve", &cv)) return;
        if (cv) {
            get_str(x, cv, "sinks.zmq.curve", "secret_key_file", &c->zmq.curve_secret_key_file);
            get_str(x, cv, "sinks.zmq.curve", "public_key_file", &c->zmq.curve_public_key_file);
            get_strv(x, cv, "sinks.zmq.curve", "allowed_client_keys", &c->zmq.curve_allowed,
                     &c->zmq.n_curve_allowed);
            if (!x->failed && (!c->zmq.curve_secret_key_file || !c->zmq.curve_public_key_file))
                cfg_fail(x, cv->line, "sinks.zmq.curve",
                         "secret_key_file and public_key_file are both required");
        }
        if (!x->failed && c->zmq.enabled && c->zmq.n_endpoints == 0)
            cfg_fail(x, z->line, "sinks.zmq.endpoints", "at least one endpoint is required");
        if (!x->failed && c->zmq.enabled) check_endpoints(x, c, z);
    }
    if (k) {
        c->kafka_sink.enabled = 1;
        get_bool(x, k, "sinks.kafka", "enabled", &c->kafka_sink.enabled);
        get_str(x, k, "sinks.kafka", "topic", &c->kafka_sink.topic);
        sq_cfg_node *p = NULL;
        if (section(x, k, "properties", &p)) return;
        get_props(x, p, "sinks.kafka.properties", NULL, &c->kafka_sink.props, &c->kafka_sink.n_props,
                  NULL);
        if (!x->failed && c->kafka_sink.enabled && !c->kafka_sink.topic)
            cfg_fail(x, k->line, "sinks.kafka.topic", "required when the kafka sink is enabled");
        if (!x->failed && c->kafka_sink.enabled && !map_get(p, "bootstrap.servers") &&
            !map_get(p, "metadata.broker.list"))
            cfg_fail(x, p ? p->line : k->line, "sinks.kafka.properties.bootstrap.servers",
                     "required when the kafka sink is enabled (alerts would pile up unsent)");
    }
    if (jr) load_journal(x, c, jr);
    const char *pid = c->zmq.pub_id;
    if (!x->failed && pid && (!pid[0] || strlen(pid) > 63 || strpbrk(pid, " \t\r\n")))
        cfg_fail(x, z->line, "sinks.zmq.pub_id", "1 to 63 characters, no spaces");
    else if (!x->failed && pid && !c->journal.enabled)
        cfg_fail(x, z->line, "sinks.zmq.pub_id",
                 "needs sinks.journal: without it seq restarts at 1 and desks would take new "
                 "alerts for ones they have");
    if (j) {
        c->jsonl.enabled = 1;
        get_bool(x, j, "sinks.jsonl", "enabled", &c->jsonl.enabled);
        get_str(x, j, "sinks.jsonl", "path", &c->jsonl.path);
        if (!c->jsonl.path) c->jsonl.path = strdup("-");
    }
}

/* Every node the schema did not read is a key squawk does not know. */
static void check_unknown(cfg_ctx *x, sq_cfg_node *n, const char *path, int skip_children)
{
    for (sq_cfg_node *c = n->child; c && !x->failed; c = c->next) {
        char p[256];
        if (n->type == SQ_CFG_MAP) {
            snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", c->key);
            if (!c->used) {
                cfg_fail(x, c->line ? c->line : n->line, p, "unknown key");
                return;
            }
        } else {
            snprintf(p, sizeof p, "%s[]", path);
        }
        if (!skip_children && c->type != SQ_CFG_SCALAR) check_unknown(x, c, p, 0);
    }
}

static void set_defaults(sq_config *c)
{
    c->max_article_bytes = 1u << 20;
    c->batch = 256;
    c->commit_interval_ms = 1000;
    c->pause_high = 50000;
    c->pause_low = 10000;
    c->novelty_window_s = 86400;
    c->zmq.sndhwm = 100000;
    c->zmq.ring_size = 100000;
    c->zmq.heartbeat_ms = 1000;
    c->zmq.min_relevance = SQ_CONFIG_MIN_RELEVANCE;
    c->health_grace_s = 30;
    c->stall_ms = 5000;
    c->log_level = strdup("info");
    c->log_format = strdup("text");
    c->shutdown_timeout_ms = 10000;
}

int sq_config_load(sq_config *c, const char *path, char **envp, char *err, size_t errlen)
{
    cfg_ctx x = {.file = path, .err = err, .errlen = errlen};
    memset(c, 0, sizeof *c);
    set_defaults(c);
    c->path = strdup(path);
    if (err && errlen) err[0] = 0;

    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        sq_config_free(c);
        return SQ_E_CONFIG;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "%s:%zu: YAML error: %s %s", path, parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        fclose(f);
        sq_config_free(c);
        return SQ_E_CONFIG;
    }
    yaml_node_t *top = yaml_document_get_root_node(&doc);
    if (!top || top->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "%s:1: the document must be a map of sections", path);
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        fclose(f);
        sq_config_free(c);
        return SQ_E_CONFIG;
    }
    c->root = from_yaml(&x, &doc, top, NULL, 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    if (!c->root) {
        sq_config_free(c);
        return SQ_E_CONFIG;
    }

    for (char **e = envp; e && *e && !x.failed; e++) apply_env(&x, c->root, *e);
    c->env = calloc((size_t)x.n_env + 1, sizeof *c->env);
    for (int i = 0; c->env && i < x.n_env; i++)
        if ((c->env[c->n_env] = strndup(x.env[i], strcspn(x.env[i], "=")))) c->n_env++;

    sq_cfg_node *k = NULL, *eng = NULL, *s = NULL, *m = NULL, *l = NULL;
    if (!x.failed) section(&x, c->root, "kafka", &k);
    if (!x.failed) section(&x, c->root, "engine", &eng);
    if (!x.failed) section(&x, c->root, "sinks", &s);
    if (!x.failed) section(&x, c->root, "metrics", &m);
    if (!x.failed) section(&x, c->root, "log", &l);
    if (!x.failed) load_kafka(&x, c, k);
    if (!x.failed && eng) {
        get_str(&x, eng, "engine", "data_dir", &c->data_dir);
        get_str(&x, eng, "engine", "plugin_dir", &c->plugin_dir);
        GET_UINT_INTO(&x, eng, "engine", "novelty_window_s", 30 * 86400, c->novelty_window_s);
        int an;
        if (get_bool(&x, eng, "engine", "anonymous_companies", &an) == 1)
            c->anonymous_companies = an ? 1 : -1;
        GET_UINT_INTO(&x, eng, "engine", "shutdown_timeout_ms", 600000, c->shutdown_timeout_ms);
    }
    if (!x.failed) load_filters(&x, c, want(&x, c->root, "filters"));
    if (!x.failed) load_sinks(&x, c, s);
    if (!x.failed && m) {
        get_str(&x, m, "metrics", "listen", &c->metrics_listen);
        char why[160];
        sq_cfg_node *ln = map_get(m, "listen");
        if (!x.failed && c->metrics_listen && c->metrics_listen[0] &&
            sq_metrics_parse_listen(c->metrics_listen, NULL, why, sizeof why) != 0)
            cfg_fail(&x, ln ? ln->line : m->line, "metrics.listen", "%s", why);
        GET_UINT_INTO(&x, m, "metrics", "health_grace_s", 86400, c->health_grace_s);
        GET_UINT_INTO(&x, m, "metrics", "stall_ms", 3600000, c->stall_ms);
    }
    if (!x.failed && l) {
        get_str(&x, l, "log", "level", &c->log_level);
        get_str(&x, l, "log", "format", &c->log_format);
        sq_cfg_node *lv = map_get(l, "level"), *lf = map_get(l, "format");
        if (strcmp(c->log_level, "debug") && strcmp(c->log_level, "info") &&
            strcmp(c->log_level, "warn") && strcmp(c->log_level, "error"))
            cfg_fail(&x, lv ? lv->line : l->line, "log.level", "expected debug, info, warn or error");
        else if (strcmp(c->log_format, "text") && strcmp(c->log_format, "json"))
            cfg_fail(&x, lf ? lf->line : l->line, "log.format", "expected text or json");
    }
    if (!x.failed && c->n_filters == 0)
        cfg_fail(&x, 1, "filters", "at least one filter is required");
    if (!x.failed && !c->zmq.enabled && !c->kafka_sink.enabled && !c->jsonl.enabled)
        cfg_fail(&x, 1, "sinks", "at least one sink is required");
    if (!x.failed) check_unknown(&x, c->root, "", 0);
    if (x.failed) {
        sq_config_free(c);
        return SQ_E_CONFIG;
    }
    return 0;
}

void sq_config_where(const sq_config *c, int line, char *out, size_t len)
{
    if (line > 0)
        snprintf(out, len, "%s:%d", c->path, line);
    else if (line < 0 && (size_t)-line <= c->n_env)
        snprintf(out, len, "%s", c->env[-line - 1]);
    else
        snprintf(out, len, "%s", c->path);
}

void sq_config_free(sq_config *c)
{
    if (!c) return;
    strv_free(c->env, c->n_env);
    free(c->path);
    node_free(c->root);
    strv_free(c->topics, c->n_topics);
    free(c->dlq_topic);
    strv_free(c->kafka_props, 2 * c->n_kafka_props);
    free(c->kafka_prop_lines);
    free(c->data_dir);
    free(c->plugin_dir);
    for (size_t i = 0; i < c->n_filters; i++) {
        free(c->filters[i].name);
        strv_free(c->filters[i].kv, 2 * c->filters[i].n_kv);
    }
    free(c->filters);
    strv_free(c->zmq.endpoints, c->zmq.n_endpoints);
    strv_free(c->zmq.replay_endpoints, c->zmq.n_replay_endpoints);
    free(c->zmq.pub_id);
    free(c->journal.topic);
    strv_free(c->journal.props, 2 * c->journal.n_props);
    free(c->zmq.curve_secret_key_file);
    free(c->zmq.curve_public_key_file);
    strv_free(c->zmq.curve_allowed, c->zmq.n_curve_allowed);
    free(c->kafka_sink.topic);
    strv_free(c->kafka_sink.props, 2 * c->kafka_sink.n_props);
    free(c->jsonl.path);
    free(c->metrics_listen);
    free(c->log_level);
    free(c->log_format);
    memset(c, 0, sizeof *c);
}

int sq_config_is_secret(const char *key)
{
    return strstr(key, "password") || strstr(key, "secret") || strstr(key, "sasl.jaas") ||
           strstr(key, "ssl.key.pem") || strstr(key, "token");
}

static void dump_strv(FILE *f, const char *indent, const char *key, char **v, size_t n)
{
    fprintf(f, "%s%s: [", indent, key);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s\"%s\"", i ? ", " : "", v[i]);
    fprintf(f, "]\n");
}

static void dump_props(FILE *f, const char *indent, char **kv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s: \"%s\"\n", indent, kv[2 * i],
                sq_config_is_secret(kv[2 * i]) ? "***" : kv[2 * i + 1]);
}

void sq_config_dump(const sq_config *c, void *file)
{
    FILE *f = file;
    fprintf(f, "kafka:\n");
    dump_strv(f, "  ", "topics", c->topics, c->n_topics);
    fprintf(f, "  dlq_topic: %s\n  max_article_bytes: %zu\n  batch: %u\n  commit_interval_ms: %u\n",
            c->dlq_topic ? c->dlq_topic : "~", c->max_article_bytes, c->batch, c->commit_interval_ms);
    fprintf(f, "  pause_high: %u\n  pause_low: %u\n", c->pause_high, c->pause_low);
    dump_props(f, "  ", c->kafka_props, c->n_kafka_props);
    fprintf(f, "engine:\n  data_dir: %s\n  plugin_dir: %s\n  novelty_window_s: %u\n",
            c->data_dir ? c->data_dir : "(built-in)", c->plugin_dir ? c->plugin_dir : "(built-in)",
            c->novelty_window_s);
    fprintf(f, "  anonymous_companies: %s\n", c->anonymous_companies > 0 ? "true"
                                               : c->anonymous_companies < 0 ? "false" : "(gazetteer default)");
    fprintf(f, "filters:\n");
    for (size_t i = 0; i < c->n_filters; i++) {
        fprintf(f, "  - name: %s\n", c->filters[i].name);
        if (c->filters[i].threshold >= 0) fprintf(f, "    threshold: %g\n", c->filters[i].threshold);
        if (c->filters[i].n_kv) {
            fprintf(f, "    config:\n");
            dump_props(f, "      ", c->filters[i].kv, c->filters[i].n_kv);
        }
    }
    fprintf(f, "sinks:\n");
    if (c->zmq.enabled) {
        fprintf(f, "  zmq:\n");
        dump_strv(f, "    ", "endpoints", c->zmq.endpoints, c->zmq.n_endpoints);
        dump_strv(f, "    ", "replay_endpoints", c->zmq.replay_endpoints, c->zmq.n_replay_endpoints);
        fprintf(f, "    sndhwm: %d\n    ring_size: %u\n    heartbeat_ms: %u\n    min_relevance: %g\n",
                c->zmq.sndhwm, c->zmq.ring_size, c->zmq.heartbeat_ms, c->zmq.min_relevance);
        if (c->zmq.pub_id) fprintf(f, "    pub_id: %s\n", c->zmq.pub_id);
        if (c->zmq.curve_secret_key_file)
            fprintf(f, "    curve: {secret_key_file: ***, public_key_file: %s, allowed_client_keys: %zu}\n",
                    c->zmq.curve_public_key_file, c->zmq.n_curve_allowed);
    }
    if (c->kafka_sink.enabled) {
        fprintf(f, "  kafka:\n    topic: %s\n    properties:\n", c->kafka_sink.topic);
        dump_props(f, "      ", c->kafka_sink.props, c->kafka_sink.n_props);
    }
    if (c->journal.enabled) {
        fprintf(f, "  journal:\n    topic: %s\n    properties:\n", c->journal.topic);
        dump_props(f, "      ", c->journal.props, c->journal.n_props);
    }
    if (c->jsonl.enabled) fprintf(f, "  jsonl:\n    path: %s\n", c->jsonl.path);
    fprintf(f, "metrics:\n  listen: %s\n  health_grace_s: %u\n  stall_ms: %u\n",
            c->metrics_listen ? c->metrics_listen : "~", c->health_grace_s, c->stall_ms);
    fprintf(f, "log:\n  level: %s\n  format: %s\n", c->log_level, c->log_format);
}
