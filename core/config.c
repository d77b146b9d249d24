/* config.c -- loads squawk.yml into sq_config: libyaml tree, env overrides, the config maps of config_keys.h. */
#include "config.h"
#include "metrics.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
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
    const char *deferred[CFG_MAX_ENV]; /* filter variables for a plugin loaded by path */
    int n_deferred;
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

/* ---- the maps (config_keys.h) ---------------------------------------------- */

#define SQ_CFG_ENTRY(kind, ctype, name, def, lo, hi, flags, doc)                                  \
    {#name, SQ_CFGK_##kind, def, (double)(lo), (double)(hi), flags, doc, SQ_CFG_OFF_##kind(name), \
     SQ_CFG_SIZE_##kind(name), SQ_CFG_SUB_##kind(ctype), SQ_CFG_CHOICES_##kind(ctype)},
#define SQ_CFG_OFF_(n) offsetof(SQ_CFG_CUR, n)
#define SQ_CFG_OFF_BOOL SQ_CFG_OFF_
#define SQ_CFG_OFF_TRI SQ_CFG_OFF_
#define SQ_CFG_OFF_INT SQ_CFG_OFF_
#define SQ_CFG_OFF_DOUBLE SQ_CFG_OFF_
#define SQ_CFG_OFF_STR SQ_CFG_OFF_
#define SQ_CFG_OFF_LIST SQ_CFG_OFF_
#define SQ_CFG_OFF_PROPS SQ_CFG_OFF_
#define SQ_CFG_OFF_SECTION SQ_CFG_OFF_
#define SQ_CFG_OFF_FILTERS SQ_CFG_OFF_
#define SQ_CFG_OFF_PROP(n) 0
#define SQ_CFG_SIZE_(n) 0
#define SQ_CFG_SIZE_BOOL SQ_CFG_SIZE_
#define SQ_CFG_SIZE_TRI SQ_CFG_SIZE_
#define SQ_CFG_SIZE_INT(n) sizeof(((SQ_CFG_CUR *)0)->n)
#define SQ_CFG_SIZE_DOUBLE SQ_CFG_SIZE_
#define SQ_CFG_SIZE_STR SQ_CFG_SIZE_
#define SQ_CFG_SIZE_LIST SQ_CFG_SIZE_
#define SQ_CFG_SIZE_PROPS SQ_CFG_SIZE_
#define SQ_CFG_SIZE_PROP SQ_CFG_SIZE_
#define SQ_CFG_SIZE_SECTION SQ_CFG_SIZE_
#define SQ_CFG_SIZE_FILTERS SQ_CFG_SIZE_
#define SQ_CFG_SUB_(t) NULL
#define SQ_CFG_SUB_BOOL SQ_CFG_SUB_
#define SQ_CFG_SUB_TRI SQ_CFG_SUB_
#define SQ_CFG_SUB_INT SQ_CFG_SUB_
#define SQ_CFG_SUB_DOUBLE SQ_CFG_SUB_
#define SQ_CFG_SUB_STR SQ_CFG_SUB_
#define SQ_CFG_SUB_LIST SQ_CFG_SUB_
#define SQ_CFG_SUB_PROPS SQ_CFG_SUB_
#define SQ_CFG_SUB_PROP SQ_CFG_SUB_
#define SQ_CFG_SUB_FILTERS SQ_CFG_SUB_
#define SQ_CFG_SUB_SECTION(t) t##_keys
#define SQ_CFG_CHOICES_(t) NULL
#define SQ_CFG_CHOICES_BOOL SQ_CFG_CHOICES_
#define SQ_CFG_CHOICES_TRI SQ_CFG_CHOICES_
#define SQ_CFG_CHOICES_INT SQ_CFG_CHOICES_
#define SQ_CFG_CHOICES_DOUBLE SQ_CFG_CHOICES_
#define SQ_CFG_CHOICES_LIST SQ_CFG_CHOICES_
#define SQ_CFG_CHOICES_PROPS SQ_CFG_CHOICES_
#define SQ_CFG_CHOICES_PROP SQ_CFG_CHOICES_
#define SQ_CFG_CHOICES_SECTION SQ_CFG_CHOICES_
#define SQ_CFG_CHOICES_FILTERS SQ_CFG_CHOICES_
#define SQ_CFG_CHOICES_STR(t) t
#define SQ_CFG_KEYS_DEF(type, KEYS) const sq_cfg_key type##_keys[] = {KEYS(SQ_CFG_ENTRY){0}};

#define SQ_CFG_CUR sq_config_kafka
SQ_CFG_KEYS_DEF(sq_config_kafka, SQ_CONFIG_KAFKA_KEYS)
#undef SQ_CFG_CUR
#define SQ_CFG_CUR sq_config_engine
SQ_CFG_KEYS_DEF(sq_config_engine, SQ_CONFIG_ENGINE_KEYS)
#undef SQ_CFG_CUR
#define SQ_CFG_CUR sq_config_curve
SQ_CFG_KEYS_DEF(sq_config_curve, SQ_CONFIG_CURVE_KEYS)
#undef SQ_CFG_CUR
#define SQ_CFG_CUR sq_config_zmq
SQ_CFG_KEYS_DEF(sq_config_zmq, SQ_CONFIG_ZMQ_KEYS)
#undef SQ_CFG_CUR
#define SQ_CFG_CUR sq_config_journal
SQ_CFG_KEYS_DEF(sq_config_journal, SQ_CONFIG_JOURNAL_KEYS)
#undef SQ_CFG_CUR
#define SQ_CFG_CUR sq_config_ksink
SQ_CFG_KEYS_DEF(sq_config_ksink, SQ_CONFIG_KSINK_KEYS)
#undef SQ_CFG_CUR
#define SQ_CFG_CUR sq_config_jsonl
SQ_CFG_KEYS_DEF(sq_config_jsonl, SQ_CONFIG_JSONL_KEYS)
#undef SQ_CFG_CUR
#define SQ_CFG_CUR sq_config_sinks
SQ_CFG_KEYS_DEF(sq_config_sinks, SQ_CONFIG_SINKS_KEYS)
#undef SQ_CFG_CUR
#define SQ_CFG_CUR sq_config_metrics
SQ_CFG_KEYS_DEF(sq_config_metrics, SQ_CONFIG_METRICS_KEYS)
#undef SQ_CFG_CUR
#define SQ_CFG_CUR sq_config_log
SQ_CFG_KEYS_DEF(sq_config_log, SQ_CONFIG_LOG_KEYS)
#undef SQ_CFG_CUR
#define SQ_CFG_CUR sq_config
SQ_CFG_KEYS_DEF(sq_config, SQ_CONFIG_ROOT_KEYS)
#undef SQ_CFG_CUR

/* A LIST field is followed by its count, a PROPS field by its count and lines. */
_Static_assert(offsetof(sq_config_kafka, n_topics) == offsetof(sq_config_kafka, topics) + sizeof(char **),
               "LIST layout");
_Static_assert(offsetof(sq_config_kafka, props_lines) == offsetof(sq_config_kafka, n_props) + sizeof(size_t),
               "PROPS layout");

/* The key of a map named name; PROP keys (librdkafka's, spelt with dots) are not the map's own. */
static const sq_cfg_key *key_find(const sq_cfg_key *keys, const char *name)
{
    for (const sq_cfg_key *k = keys; k && k->name; k++)
        if (k->kind != SQ_CFGK_PROP && strcmp(k->name, name) == 0) return k;
    return NULL;
}

static const sq_cfg_key *key_rest(const sq_cfg_key *keys)
{
    for (const sq_cfg_key *k = keys; k && k->name; k++)
        if (k->kind == SQ_CFGK_PROPS && (k->flags & SQ_CFGF_REST)) return k;
    return NULL;
}

/* ---- environment overrides ------------------------------------------------ */

static void dotify(char *s)
{
    for (; *s; s++)
        if (*s == '_') *s = '.';
}

/* librdkafka names are spelt with dots (env: underscores): a key the map does
 * not know in a section whose other keys are properties, or a key inside a
 * PROPS map (SQUAWK_SINKS__KAFKA__PROPERTIES__BOOTSTRAP_SERVERS). */
static void dotify_props(char **parts, int np)
{
    const sq_cfg_key *keys = sq_config_keys;
    for (int i = 0; i < np && keys; i++) {
        const sq_cfg_key *k = key_find(keys, parts[i]);
        if (!k) {
            if (key_rest(keys)) dotify(parts[i]);
            return;
        }
        if (k->kind == SQ_CFGK_PROPS && i + 1 < np) dotify(parts[i + 1]);
        keys = k->kind == SQ_CFGK_SECTION ? k->sub : NULL;
    }
}

/* A filters: entry given by path ("./x.so"): its name is its descriptor's. */
static int has_path_entry(const sq_cfg_node *seq)
{
    for (const sq_cfg_node *c = seq->child; c; c = c->next) {
        const sq_cfg_node *nm = c->type == SQ_CFG_MAP ? map_get((sq_cfg_node *)c, "name") : c;
        const char *v = nm ? nm->value : NULL;
        if (v && (strchr(v, '/') || (strlen(v) > 3 && strcmp(v + strlen(v) - 3, ".so") == 0))) return 1;
    }
    return 0;
}

/* The list entry named name. A short-form entry ("- invest") becomes the long
 * form ({name: invest}) so the environment can set keys under it. */
static sq_cfg_node *seq_entry_named(sq_cfg_node *seq, const char *name)
{
    sq_cfg_node *found = NULL;
    for (sq_cfg_node *c = seq->child; c; c = c->next) {
        sq_cfg_node *nm = c->type == SQ_CFG_SCALAR ? c : map_get(c, "name");
        if (nm && nm->value && strcmp(nm->value, name) == 0) found = c;
    }
    if (found && found->type == SQ_CFG_SCALAR) {
        sq_cfg_node *nm = node_new(SQ_CFG_SCALAR, "name", found->value, found->line);
        if (!nm) return NULL;
        found->type = SQ_CFG_MAP;
        free(found->value);
        found->value = NULL;
        found->child = nm;
    }
    return found;
}

/* SQUAWK_KAFKA__BOOTSTRAP_SERVERS=x sets kafka: bootstrap.servers: x;
 * SQUAWK_FILTERS__INVEST__THRESHOLD=60 finds the filter named invest;
 * SQUAWK_SINKS__ZMQ__ENDPOINTS=a,b replaces a list (comma-separated). */
static void apply_env(cfg_ctx *x, sq_cfg_node *root, const char *var)
{
    const char *eq = strchr(var, '=');
    if (!eq || strncmp(var, "SQUAWK_", 7) != 0) return;
    char name[256];
    size_t nl = (size_t)(eq - var) - 7;
    if (nl >= sizeof name) return;
    memcpy(name, var + 7, nl);
    name[nl] = 0;
    /* only the name decides: SQUAWK_CACHE_DIR=/tmp/a__b is no config key */
    if (!strstr(name, "__")) return;
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
    dotify_props(parts, np);

    sq_cfg_node *cur = root;
    for (int i = 0; i < np; i++) {
        sq_cfg_node *next = NULL;
        if (cur->type == SQ_CFG_SEQ) {
            next = seq_entry_named(cur, parts[i]);
            if (!next && i == 1 && strcmp(parts[0], "filters") == 0 && has_path_entry(cur)) {
                x->deferred[x->n_deferred++] = var;
                return;
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
    /* a list from the environment is comma-separated: a LIST key splits the scalar */
    node_free(cur->child);
    cur->child = NULL;
    free(cur->value);
    cur->line = at;
    cur->type = SQ_CFG_SCALAR;
    cur->value = strdup(eq + 1);
}

/* ---- values ------------------------------------------------------------------ */

static sq_cfg_node *want(sq_cfg_node *m, const char *key)
{
    sq_cfg_node *n = map_get(m, key);
    if (n) n->used = 1;
    return n;
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

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static int strv_push(char ***v, size_t *n, char *s)
{
    char **nv = s ? realloc(*v, (*n + 1) * sizeof **v) : NULL;
    if (!nv) {
        free(s);
        return SQ_E_NOMEM;
    }
    *v = nv;
    (*v)[(*n)++] = s;
    return 0;
}

/* "a,b" -> {"a", "b"}: lists from the environment and the maps' defaults. */
static int split_list(const char *s, char ***out, size_t *n)
{
    while (*s) {
        size_t l = strcspn(s, ",");
        if (strv_push(out, n, strndup(s, l)) != 0) return SQ_E_NOMEM;
        s += l + (s[l] == ',');
    }
    return 0;
}

/* A LIST from a YAML list, a comma-separated scalar, or (n NULL) the default text. */
static const char *set_list(const sq_cfg_node *n, const char *text, char ***v, size_t *nv)
{
    strv_free(*v, *nv);
    *v = NULL;
    *nv = 0;
    if (!n || n->type == SQ_CFG_SCALAR)
        return split_list(n ? n->value : text, v, nv) ? "out of memory" : NULL;
    if (n->type != SQ_CFG_SEQ) return "expected a list of strings";
    for (const sq_cfg_node *c = n->child; c; c = c->next) {
        if (c->type != SQ_CFG_SCALAR) return "expected a list of strings";
        if (strv_push(v, nv, strdup(c->value)) != 0) return "out of memory";
    }
    return NULL;
}

/* v is one of "a|b|c". */
static int choice_ok(const char *choices, const char *v)
{
    size_t l = strlen(v);
    for (const char *p = choices; *p; p += strcspn(p, "|") + (p[strcspn(p, "|")] == '|'))
        if (strcspn(p, "|") == l && strncmp(p, v, l) == 0) return 1;
    return 0;
}

static void put_int(const sq_cfg_key *k, char *f, long long v)
{
    if (k->size == 8) {
        int64_t x = v;
        memcpy(f, &x, 8);
    } else if (k->lo < 0) {
        int32_t x = (int32_t)v;
        memcpy(f, &x, 4);
    } else {
        uint32_t x = (uint32_t)v;
        memcpy(f, &x, 4);
    }
}

/* Sets the field of a scalar key from text; NULL, or why not. */
static const char *set_scalar(const sq_cfg_key *k, char *f, const char *v, char *why, size_t wl)
{
    char *end;
    errno = 0;
    switch (k->kind) {
    case SQ_CFGK_BOOL:
    case SQ_CFGK_TRI: {
        int b = sq_config_parse_bool(v);
        if (b < 0) return "expected true or false";
        *(int *)f = k->kind == SQ_CFGK_TRI && !b ? -1 : b;
        return NULL;
    }
    case SQ_CFGK_INT: {
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || errno || x < (long long)k->lo || x > (long long)k->hi) {
            snprintf(why, wl, "expected an integer from %lld to %lld, got '%s'", (long long)k->lo,
                     (long long)k->hi, v);
            return why;
        }
        put_int(k, f, x);
        return NULL;
    }
    case SQ_CFGK_DOUBLE: {
        double d = strtod(v, &end);
        if (!*v || *end || errno || d < k->lo || d > k->hi) {
            snprintf(why, wl, "expected a number from %g to %g, got '%s'", k->lo, k->hi, v);
            return why;
        }
        *(double *)f = d;
        return NULL;
    }
    case SQ_CFGK_STR:
        if (k->choices && !choice_ok(k->choices, v)) {
            snprintf(why, wl, "expected one of %s, got '%s'", k->choices, v);
            return why;
        }
        free(*(char **)f);
        *(char **)f = strdup(v);
        return *(char **)f ? NULL : "out of memory";
    default:
        return "not a scalar key";
    }
}

/* ---- loading a map ------------------------------------------------------------ */

static const sq_cfg_key threshold_key = {.name = "threshold", .kind = SQ_CFGK_DOUBLE, .hi = 100};

/* A map of scalar properties (librdkafka), as a flat key,value array; own
 * (when set) names the section's keys, which are not properties. */
static int get_props(cfg_ctx *x, sq_cfg_node *m, const char *sect, const sq_cfg_key *own,
                     char ***out, size_t *n_out, int **lines)
{
    for (sq_cfg_node *c = m ? m->child : NULL; c; c = c->next) {
        if (own && key_find(own, c->key)) continue;
        char path[256];
        snprintf(path, sizeof path, "%s.%s", sect, c->key);
        c->used = 1;
        if (c->type != SQ_CFG_SCALAR) {
            cfg_fail(x, c->line, path, "expected a scalar property value");
            return -1;
        }
        char **kv = realloc(*out, 2 * (*n_out + 1) * sizeof **out);
        int *ln = lines ? realloc(*lines, (*n_out + 1) * sizeof **lines) : NULL;
        if (kv) *out = kv;
        if (ln) *lines = ln;
        if (!kv || (lines && !ln)) {
            cfg_fail(x, c->line, path, "out of memory");
            return -1;
        }
        kv[2 * *n_out] = strdup(c->key);
        kv[2 * *n_out + 1] = strdup(c->value);
        if (lines) ln[*n_out] = c->line;
        (*n_out)++;
    }
    return 0;
}

/* One key of a map from its node, or from its default when the node is absent. */
static void set_node(cfg_ctx *x, const sq_cfg_key *k, char *f, sq_cfg_node *n, const char *path)
{
    char why[256];
    const char *bad = NULL;
    int is_default = !n;
    if (!n && (!k->def || (k->flags & (SQ_CFGF_EXAMPLE | SQ_CFGF_COMMENTED)))) return;
    if (k->kind == SQ_CFGK_LIST)
        bad = set_list(n, k->def, (char ***)f, (size_t *)(f + sizeof(char **)));
    else if (n && n->type != SQ_CFG_SCALAR)
        bad = k->kind == SQ_CFGK_STR ? "expected a string" : "expected a single value, not a list or map";
    else
        bad = set_scalar(k, f, n ? n->value : k->def, why, sizeof why);
    if (bad) cfg_fail(x, n ? n->line : 0, path, "%s%s", is_default ? "bad default in config_keys.h: " : "", bad);
}

static void load_map(cfg_ctx *x, sq_config *c, const sq_cfg_key *keys, char *base, sq_cfg_node *m,
                     const char *path);

static void load_section(cfg_ctx *x, sq_config *c, const sq_cfg_key *k, char *f, sq_cfg_node *n,
                         const char *path)
{
    if (n && n->type != SQ_CFG_MAP) {
        cfg_fail(x, n->line, path, "expected a map");
        return;
    }
    load_map(x, c, k->sub, f, n, path);
    /* an optional section (a sink) is off when absent; its first key is `enabled` */
    if (!n && (k->flags & SQ_CFGF_OPTIONAL)) *(int *)(f + k->sub[0].offset) = 0;
}

static void load_filters(cfg_ctx *x, sq_config *c, sq_cfg_node *f);

static void load_map(cfg_ctx *x, sq_config *c, const sq_cfg_key *keys, char *base, sq_cfg_node *m,
                     const char *path)
{
    for (const sq_cfg_key *k = keys; k->name && !x->failed; k++) {
        char kp[256];
        snprintf(kp, sizeof kp, "%s%s%s", path, *path ? "." : "", k->name);
        char *f = base + k->offset;
        if (k->kind == SQ_CFGK_PROP) continue;
        if (k->kind == SQ_CFGK_PROPS && (k->flags & SQ_CFGF_REST)) {
            get_props(x, m, path, keys, (char ***)f, (size_t *)(f + sizeof(char **)),
                      (int **)(f + sizeof(char **) + sizeof(size_t)));
            continue;
        }
        sq_cfg_node *n = want(m, k->name);
        if (k->kind == SQ_CFGK_FILTERS) {
            load_filters(x, c, n);
        } else if (k->kind == SQ_CFGK_SECTION) {
            load_section(x, c, k, f, n, kp);
        } else if (k->kind == SQ_CFGK_PROPS) {
            if (n && n->type != SQ_CFG_MAP)
                cfg_fail(x, n->line, kp, "expected a map");
            else
                get_props(x, n, kp, NULL, (char ***)f, (size_t *)(f + sizeof(char **)),
                          (int **)(f + sizeof(char **) + sizeof(size_t)));
        } else {
            set_node(x, k, f, n, kp);
        }
    }
}

static void free_map(const sq_cfg_key *keys, char *base)
{
    for (const sq_cfg_key *k = keys; k->name; k++) {
        char *f = base + k->offset;
        size_t *n = (size_t *)(f + sizeof(char **)); /* LIST, PROPS, FILTERS only */
        switch (k->kind) {
        case SQ_CFGK_STR: free(*(char **)f); break;
        case SQ_CFGK_LIST: strv_free(*(char ***)f, *n); break;
        case SQ_CFGK_PROPS:
            strv_free(*(char ***)f, 2 * *n);
            free(*(int **)(f + sizeof(char **) + sizeof(size_t)));
            break;
        case SQ_CFGK_SECTION: free_map(k->sub, f); break;
        case SQ_CFGK_FILTERS: {
            sq_config_filter *fl = *(sq_config_filter **)f;
            for (size_t i = 0; i < *n; i++) {
                free(fl[i].name);
                strv_free(fl[i].kv, 2 * fl[i].n_kv);
                free(fl[i].kv_lines);
            }
            free(fl);
            break;
        }
        default: break;
        }
    }
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
        sq_cfg_node *nm = want(e, "name");
        if (!nm || nm->type != SQ_CFG_SCALAR || !(cf->name = strdup(nm->value))) {
            cfg_fail(x, nm ? nm->line : e->line, "filters[].name", "every filter needs a name or path");
            return;
        }
        char sect[160];
        snprintf(sect, sizeof sect, "filters[%s]", cf->name);
        char path[200];
        snprintf(path, sizeof path, "%s.threshold", sect);
        set_node(x, &threshold_key, (char *)&cf->threshold, want(e, "threshold"), path);
        sq_cfg_node *cm = want(e, "config");
        if (cm && cm->type != SQ_CFG_MAP) {
            cfg_fail(x, cm->line, sect, "config must be a map");
            return;
        }
        char csect[200];
        snprintf(csect, sizeof csect, "%s.config", sect);
        get_props(x, cm, csect, NULL, &cf->kv, &cf->n_kv, &cf->kv_lines);
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

static void check_endpoints(cfg_ctx *x, const sq_config_zmq *z, int en_line, int rn_line, int z_line)
{
    for (int r = 0; r < 2 && !x->failed; r++) {
        char **v = r ? z->replay_endpoints : z->endpoints;
        size_t n = r ? z->n_replay_endpoints : z->n_endpoints;
        int line = r ? rn_line : en_line;
        for (size_t i = 0; i < n && !x->failed; i++) {
            const char *why = endpoint_problem(v[i]);
            if (why)
                cfg_fail(x, line ? line : z_line, r ? "sinks.zmq.replay_endpoints" : "sinks.zmq.endpoints",
                         "'%s': %s", v[i], why);
        }
    }
    for (size_t i = 0; i < z->n_endpoints && !x->failed; i++)
        for (size_t j = 0; j < z->n_replay_endpoints && !x->failed; j++) {
            const char *a = z->endpoints[i], *b = z->replay_endpoints[j];
            if (strcmp(a, b) == 0 || (tcp_port(a) >= 0 && tcp_port(a) == tcp_port(b)))
                cfg_fail(x, rn_line ? rn_line : z_line, "sinks.zmq.replay_endpoints",
                         "'%s' takes the publish endpoint's port ('%s'); replay needs its own "
                         "(by convention port + 1)", b, a);
        }
}

/* ---- checks across keys ------------------------------------------------------ */

static int line_at(const sq_config *c, const char *path)
{
    int l = sq_config_line(c, path);
    return l ? l : 1;
}

static void validate_kafka(cfg_ctx *x, sq_config *c)
{
    const sq_config_kafka *k = &c->kafka;
    if (k->n_topics == 0)
        cfg_fail(x, sq_config_line(c, "kafka"), "kafka.topics", "at least one topic is required");
    else if (k->pause_low >= k->pause_high)
        cfg_fail(x, sq_config_line(c, "kafka"), "kafka.pause_low", "must be below kafka.pause_high");
}

static void validate_zmq(cfg_ctx *x, sq_config *c)
{
    const sq_config_zmq *z = &c->sinks.zmq;
    const sq_config_curve *cv = &z->curve;
    if ((cv->secret_key_file || cv->public_key_file || cv->n_allowed_client_keys) &&
        (!cv->secret_key_file || !cv->public_key_file))
        cfg_fail(x, sq_config_line(c, "sinks.zmq.curve"), "sinks.zmq.curve",
                 "secret_key_file and public_key_file are both required");
    if (!z->enabled || x->failed) return;
    if (z->n_endpoints == 0)
        cfg_fail(x, line_at(c, "sinks.zmq"), "sinks.zmq.endpoints", "at least one endpoint is required");
    else
        check_endpoints(x, z, sq_config_line(c, "sinks.zmq.endpoints"),
                        sq_config_line(c, "sinks.zmq.replay_endpoints"), sq_config_line(c, "sinks.zmq"));
}

/* sinks.journal journals the zmq sink's messages and serves its replays;
 * a fixed publisher id only makes sense when seq continues (the journal). */
static void validate_journal(cfg_ctx *x, sq_config *c)
{
    const sq_config_zmq *z = &c->sinks.zmq;
    const char *pid = z->pub_id;
    if (c->sinks.journal.enabled && !z->enabled)
        cfg_fail(x, line_at(c, "sinks.journal"), "sinks.journal", "journals the zmq sink's messages: enable sinks.zmq");
    else if (c->sinks.journal.enabled && z->n_replay_endpoints == 0)
        cfg_fail(x, line_at(c, "sinks.journal"), "sinks.journal",
                 "serves replays: sinks.zmq.replay_endpoints needs an endpoint");
    else if (pid && (!pid[0] || strlen(pid) > 63 || strpbrk(pid, " \t\r\n")))
        cfg_fail(x, line_at(c, "sinks.zmq.pub_id"), "sinks.zmq.pub_id", "1 to 63 characters, no spaces");
    else if (pid && !c->sinks.journal.enabled)
        cfg_fail(x, line_at(c, "sinks.zmq.pub_id"), "sinks.zmq.pub_id",
                 "needs sinks.journal: without it seq restarts at 1 and desks would take new "
                 "alerts for ones they have");
}

static void validate_sinks(cfg_ctx *x, sq_config *c)
{
    const sq_config_ksink *k = &c->sinks.kafka;
    validate_zmq(x, c);
    if (!x->failed) validate_journal(x, c);
    if (!x->failed && k->enabled && !k->topic)
        cfg_fail(x, sq_config_line(c, "sinks.kafka"), "sinks.kafka.topic", "required when the kafka sink is enabled");
    int has_servers = 0;
    for (size_t i = 0; i < k->n_properties; i++)
        if (!strcmp(k->properties[2 * i], "bootstrap.servers") || !strcmp(k->properties[2 * i], "metadata.broker.list"))
            has_servers = 1;
    if (!x->failed && k->enabled && !has_servers) {
        int l = sq_config_line(c, "sinks.kafka.properties");
        cfg_fail(x, l ? l : sq_config_line(c, "sinks.kafka"), "sinks.kafka.properties.bootstrap.servers",
                 "required when the kafka sink is enabled (alerts would pile up unsent)");
    }
    if (!x->failed && !c->sinks.zmq.enabled && !k->enabled && !c->sinks.jsonl.enabled)
        cfg_fail(x, 1, "sinks", "at least one sink is required");
}

static void validate(cfg_ctx *x, sq_config *c)
{
    validate_kafka(x, c);
    char why[160];
    const char *l = c->metrics.listen;
    if (!x->failed && l && l[0] && sq_metrics_parse_listen(l, NULL, why, sizeof why) != 0)
        cfg_fail(x, line_at(c, "metrics.listen"), "metrics.listen", "%s", why);
    if (!x->failed && c->n_filters == 0) cfg_fail(x, 1, "filters", "at least one filter is required");
    if (!x->failed) validate_sinks(x, c);
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


int sq_config_load(sq_config *c, const char *path, char **envp, char *err, size_t errlen)
{
    cfg_ctx x = {.file = path, .err = err, .errlen = errlen};
    memset(c, 0, sizeof *c);
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
    c->filter_env = calloc((size_t)x.n_deferred + 1, sizeof *c->filter_env);
    for (int i = 0; c->filter_env && i < x.n_deferred; i++)
        if ((c->filter_env[c->n_filter_env] = strdup(x.deferred[i]))) c->n_filter_env++;

    if (!x.failed) load_map(&x, c, sq_config_keys, (char *)c, c->root, "");
    if (!x.failed) validate(&x, c);
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
    free_map(sq_config_keys, (char *)c);
    strv_free(c->filter_env, c->n_filter_env);
    memset(c, 0, sizeof *c);
}

int sq_config_line(const sq_config *c, const char *path)
{
    const sq_cfg_node *m = c->root;
    for (const char *k = path; m && *k;) {
        size_t len = strcspn(k, ".");
        const sq_cfg_node *ch = m->type == SQ_CFG_MAP ? m->child : NULL;
        while (ch && (!ch->key || strlen(ch->key) != len || strncmp(ch->key, k, len) != 0)) ch = ch->next;
        m = ch;
        k += len + (k[len] == '.');
    }
    return m ? m->line : 0;
}

int sq_config_reloadable(const char *path)
{
    const sq_cfg_key *keys = sq_config_keys;
    for (const char *p = path; keys && *p;) {
        size_t len = strcspn(p, ".");
        const sq_cfg_key *k = keys;
        while (k->name && (k->kind == SQ_CFGK_PROP || strlen(k->name) != len || strncmp(k->name, p, len) != 0)) k++;
        if (!k->name) return 0;
        if (k->flags & SQ_CFGF_RELOAD) return 1;
        keys = k->kind == SQ_CFGK_SECTION ? k->sub : NULL;
        p += len + (p[len] == '.');
    }
    return 0;
}

int sq_config_is_secret(const char *key)
{
    return strstr(key, "password") || strstr(key, "secret") || strstr(key, "sasl.jaas") ||
           strstr(key, "ssl.key.pem") || strstr(key, "token");
}
