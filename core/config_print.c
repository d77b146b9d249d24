/* config_print.c -- writes sq_config as YAML: `squawk check`'s dump and the reference config, both from the maps. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- the effective configuration ------------------------------------------- */

static long long get_int(const sq_cfg_key *k, const char *f)
{
    if (k->size == 8) {
        int64_t x;
        memcpy(&x, f, 8);
        return x;
    }
    if (k->lo < 0) {
        int32_t x;
        memcpy(&x, f, 4);
        return x;
    }
    uint32_t x;
    memcpy(&x, f, 4);
    return x;
}

static void dump_strv(FILE *f, char **v, size_t n)
{
    fprintf(f, "[");
    for (size_t i = 0; i < n; i++) fprintf(f, "%s\"%s\"", i ? ", " : "", v[i]);
    fprintf(f, "]\n");
}

static void dump_props(FILE *f, int ind, char **kv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%*s%s: \"%s\"\n", ind, "", kv[2 * i], sq_config_is_secret(kv[2 * i]) ? "***" : kv[2 * i + 1]);
}

static void dump_filters(FILE *f, const sq_config *c)
{
    for (size_t i = 0; i < c->n_filters; i++) {
        fprintf(f, "  - name: %s\n", c->filters[i].name);
        if (c->filters[i].threshold >= 0) fprintf(f, "    threshold: %g\n", c->filters[i].threshold);
        if (c->filters[i].n_kv) {
            fprintf(f, "    config:\n");
            dump_props(f, 6, c->filters[i].kv, c->filters[i].n_kv);
        }
    }
}

static void dump_scalar(FILE *f, const sq_cfg_key *k, const char *v)
{
    switch (k->kind) {
    case SQ_CFGK_BOOL: fprintf(f, "%s\n", *(const int *)v ? "true" : "false"); break;
    case SQ_CFGK_TRI: fprintf(f, "%s\n", *(const int *)v > 0 ? "true" : *(const int *)v < 0 ? "false" : "~"); break;
    case SQ_CFGK_INT: fprintf(f, "%lld\n", get_int(k, v)); break;
    case SQ_CFGK_DOUBLE: fprintf(f, "%g\n", *(const double *)v); break;
    case SQ_CFGK_STR: {
        const char *s = *(char *const *)v;
        fprintf(f, "%s\n", !s ? "~" : (k->flags & SQ_CFGF_SECRET) ? "***" : s);
        break;
    }
    case SQ_CFGK_LIST: dump_strv(f, *(char **const *)v, *(const size_t *)(v + sizeof(char **))); break;
    default: fprintf(f, "\n"); break;
    }
}

/* Whether any string, list or map of a section is set: a section of examples
 * only (sinks.zmq.curve) is dumped when it is. */
static int section_set(const sq_cfg_key *keys, const char *base)
{
    for (const sq_cfg_key *k = keys; k->name; k++) {
        const char *v = base + k->offset;
        if ((k->kind == SQ_CFGK_STR && *(char *const *)v) ||
            ((k->kind == SQ_CFGK_LIST || k->kind == SQ_CFGK_PROPS) && *(const size_t *)(v + sizeof(char **))))
            return 1;
    }
    return 0;
}

/* An optional section is dumped only when on, without its `enabled`. */
static void dump_map(FILE *f, const sq_config *c, const sq_cfg_key *keys, const char *base, int ind, int optional)
{
    for (const sq_cfg_key *k = keys + (optional ? 1 : 0); k->name; k++) {
        const char *v = base + k->offset;
        if (k->kind == SQ_CFGK_PROP) continue;
        if (k->kind == SQ_CFGK_SECTION && (k->flags & SQ_CFGF_OPTIONAL) && !*(const int *)(v + k->sub[0].offset))
            continue;
        if (k->kind == SQ_CFGK_SECTION && (k->flags & SQ_CFGF_COMMENTED) && !section_set(k->sub, v)) continue;
        if (k->kind == SQ_CFGK_PROPS) {
            if (!(k->flags & SQ_CFGF_REST)) fprintf(f, "%*s%s:\n", ind, "", k->name);
            dump_props(f, ind + ((k->flags & SQ_CFGF_REST) ? 0 : 2), *(char **const *)v,
                       *(const size_t *)(v + sizeof(char **)));
            continue;
        }
        fprintf(f, "%*s%s:%s", ind, "", k->name, k->kind == SQ_CFGK_SECTION || k->kind == SQ_CFGK_FILTERS ? "\n" : " ");
        if (k->kind == SQ_CFGK_SECTION)
            dump_map(f, c, k->sub, v, ind + 2, (k->flags & SQ_CFGF_OPTIONAL) != 0);
        else if (k->kind == SQ_CFGK_FILTERS)
            dump_filters(f, c);
        else
            dump_scalar(f, k, v);
    }
}

void sq_config_dump(const sq_config *c, void *file)
{
    dump_map(file, c, sq_config_keys, (const char *)c, 0, 0);
}

/* ---- the reference configuration --------------------------------------------- */

static const char ref_header[] =
    "# squawk.yml -- the reference configuration: every key squawk reads, with the value it uses when the\n"
    "# key is absent. Where a comment says \"required\" or \"absent: ...\", the value shown is an example\n"
    "# and the comment says what absence means; commented-out keys are unset unless you set them.\n"
    "# Generated from the config maps in core/config_keys.h: squawk check --reference > config/squawk.yml\n"
    "# Any key can be overridden from the environment: SQUAWK_<SECTION>__<KEY>[__<KEY>],\n"
    "# e.g. SQUAWK_KAFKA__BOOTSTRAP_SERVERS=kafka:9092, SQUAWK_FILTERS__INVEST__THRESHOLD=60,\n"
    "# SQUAWK_SINKS__ZMQ__ENDPOINTS=tcp://*:5555,ipc:///run/squawk.sock\n";

/* A scalar YAML reads back as the same string without quotes. */
static int plain(const char *s)
{
    if (!*s || *s == '-') return 0;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-", *s)) return 0;
    return 1;
}

/* The default as the reference writes it: lists in brackets, odd strings quoted. */
static void ref_value(const sq_cfg_key *k, char *out, size_t len)
{
    const char *d = k->def ? k->def : "~";
    if (k->kind == SQ_CFGK_LIST) {
        size_t o = (size_t)snprintf(out, len, "[");
        for (const char *p = d; *p && o < len; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
            int n = snprintf(out + o, len - o, "%s\"%.*s\"", p == d ? "" : ", ", (int)strcspn(p, ","), p);
            o += n > 0 ? (size_t)n : 0;
        }
        if (o < len) snprintf(out + o, len - o, "]");
    } else if ((k->kind == SQ_CFGK_STR || k->kind == SQ_CFGK_PROP) && k->def && !plain(d)) {
        snprintf(out, len, "\"%s\"", d);
    } else {
        snprintf(out, len, "%s", d);
    }
}

/* One line at indent ind; commented (cind >= 0) with "# " at column cind. */
static void ref_line(FILE *f, int ind, int cind, const char *text, const char *doc)
{
    /* printed directly (not through a fixed buffer, which -O2 flags as truncating), doc padded to column 34 */
    int n = cind >= 0 ? fprintf(f, "%*s# %*s%s", cind, "", ind - cind, "", text)
                      : fprintf(f, "%*s%s", ind, "", text);
    if (doc && *doc)
        fprintf(f, "%*s # %s\n", n < 34 ? 34 - n : 0, "", doc);
    else
        fputc('\n', f);
}

static void ref_map(FILE *f, const sq_cfg_key *keys, int ind, int cind)
{
    for (const sq_cfg_key *k = keys; k->name; k++) {
        int kc = cind >= 0 ? cind : (k->flags & SQ_CFGF_COMMENTED) ? ind : -1;
        char text[512], v[400];
        if (ind == 0 && k != keys) fprintf(f, "\n");
        if (k->kind == SQ_CFGK_PROPS && (k->flags & SQ_CFGF_REST)) {
            fprintf(f, "%*s# %s\n", ind, "", k->doc);
            continue;
        }
        if (k->kind == SQ_CFGK_SECTION) {
            snprintf(text, sizeof text, "%s:", k->name);
            ref_line(f, ind, kc, text, k->doc);
            ref_map(f, k->sub, ind + 2, kc);
            continue;
        }
        ref_value(k, v, sizeof v);
        snprintf(text, sizeof text, "%s: %s", k->name, v);
        ref_line(f, ind, kc, text, k->doc);
    }
}

void sq_config_reference(void *file)
{
    fputs(ref_header, file);
    fprintf(file, "\n");
    ref_map(file, sq_config_keys, 0, -1);
}
