/* cmd_score.c -- squawk score: run the filters over articles offline, print alerts as JSON Lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/config.h"
#include "../core/error.h"
#include "../core/log.h"
#include "../filters/host.h"
#include "../proto/alert.h"
#include "../proto/article.h"
#include "commands.h"

extern char **environ;

#ifndef SQUAWK_CONFIG_FILE
#define SQUAWK_CONFIG_FILE "/etc/squawk/squawk.yml"
#endif

static const char usage[] =
    "usage: squawk score [options] [FILE...]\n"
    "\n"
    "Reads articles from FILEs (or stdin when none or '-'), runs the filters and prints\n"
    "alerts as JSON Lines. Input is auto-detected per file: JSON Lines, one JSON object,\n"
    "one msgpack map, or plain text (first line = headline, rest = body, id = file name).\n"
    "The engine is the one `squawk run` builds from the same squawk.yml: its filters,\n"
    "thresholds, settings and engine: section, and SQUAWK_* variables.\n"
    "\n"
    "options:\n"
    "  --config FILE         squawk.yml to take the engine from (default " SQUAWK_CONFIG_FILE ",\n"
    "                        when it exists; else invest, chips, regulatory with their defaults)\n"
    "  --filter NAME|PATH    filter plugin to run (repeatable; replaces the config's list; a\n"
    "                        filter the config lists keeps its threshold and settings)\n"
    "  --set FILTER.KEY=VAL  config value for a filter's config map (repeatable)\n"
    "  --threshold FILTER=N  score threshold for a filter (repeatable; default: the config's,\n"
    "                        else the plugin's); an unknown filter or key is an error\n"
    "  --all                 print every alert a filter raises, also below threshold\n"
    "  --explain             print alerts and their evidence human-readably instead of JSON\n"
    "  --data-dir DIR        rules/ and gazetteer.yml (default $SQUAWK_DATA_DIR or build-time)\n"
    "  --plugin-dir DIR      look for NAME.so here first (repeatable; then engine.plugin_dirs,\n"
    "                        then the built-in directory, $SQUAWK_PLUGIN_DIR)\n"
    "  --bench N             run the filter stage N times over the input; print the median\n"
    "                        articles/s and MB/s on stderr instead of alerts\n"
    "\n"
    "Malformed articles are counted and summarised on stderr; exit 0. Exit 1 on I/O or\n"
    "config errors, 2 on usage errors.\n";

#define SCORE_MAX_OPTS 64

typedef struct score_opts {
    const char *filters[SCORE_MAX_OPTS], *thresholds[SCORE_MAX_OPTS], *sets[SCORE_MAX_OPTS];
    const char *plugin_dirs[SCORE_MAX_OPTS];
    size_t n_filters, n_thresholds, n_sets, n_plugin_dirs;
    int all, explain;
    unsigned bench;
    const char *data_dir, *config;
    char **files;
    int n_files;
} score_opts;

typedef struct score_stats {
    size_t articles, alerts, rejected, bytes;
    size_t by_err[128];
} score_stats;

/* Appends v to a repeatable option's list. */
static int push_opt(const char **v, size_t *n, const char *a, const char *val)
{
    if (*n == SCORE_MAX_OPTS) {
        fprintf(stderr, "squawk score: too many %s (max %d)\n", a, SCORE_MAX_OPTS);
        return 2;
    }
    v[(*n)++] = val;
    return 0;
}

static int parse_value(score_opts *o, const char *a, const char *v)
{
    if (!strcmp(a, "--filter")) return push_opt(o->filters, &o->n_filters, a, v);
    size_t nl;
    double t;
    if (!strcmp(a, "--threshold") && filter_host_threshold_spec(v, &nl, &t) != 0) {
        fprintf(stderr, "squawk score: --threshold wants FILTER=N with N in 0..100, got '%s'\n", v);
        return 2;
    }
    if (!strcmp(a, "--threshold")) return push_opt(o->thresholds, &o->n_thresholds, a, v);
    if (!strcmp(a, "--set")) return push_opt(o->sets, &o->n_sets, a, v);
    if (!strcmp(a, "--plugin-dir")) return push_opt(o->plugin_dirs, &o->n_plugin_dirs, a, v);
    if (!strcmp(a, "--data-dir")) o->data_dir = v;
    else if (!strcmp(a, "--config")) o->config = v;
    else {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 1000) {
            fprintf(stderr, "squawk score: --bench wants 1..1000, got '%s'\n", v);
            return 2;
        }
        o->bench = (unsigned)n;
    }
    return 0;
}

static int parse_args(int argc, char **argv, score_opts *o)
{
    static const char *const with_value[] = {"--filter", "--threshold", "--data-dir", "--plugin-dir",
                                             "--bench", "--set", "--config", NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int takes = 0;
        for (size_t k = 0; with_value[k]; k++) takes |= !strcmp(a, with_value[k]);
        if (!strcmp(a, "--all")) o->all = 1;
        else if (!strcmp(a, "--explain")) o->explain = 1;
        else if (takes) {
            if (i + 1 >= argc) {
                fprintf(stderr, "squawk score: %s needs a value\n", a);
                return 2;
            }
            int rc = parse_value(o, a, argv[++i]);
            if (rc) return rc;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "squawk score: unknown option '%s'\n%s", a, usage);
            return 2;
        } else {
            o->files[o->n_files++] = argv[i];
        }
    }
    return 0;
}

/* The engine squawk run would build from the same squawk.yml, as the options change it. */
static int build_engine(const score_opts *o, filter_host **h)
{
    const char *path = o->config;
    if (!path && access(SQUAWK_CONFIG_FILE, F_OK) == 0) path = SQUAWK_CONFIG_FILE;
    sq_config cfg;
    memset(&cfg, 0, sizeof cfg);
    char err[1024] = "";
    int rc = path ? sq_config_load(&cfg, path, environ, err, sizeof err) : 0;
    filter_host_overrides ov = {.data_dir = o->data_dir, .plugin_dirs = o->plugin_dirs,
                                .n_plugin_dirs = o->n_plugin_dirs, .filters = o->filters,
                                .n_filters = o->n_filters, .thresholds = o->thresholds,
                                .n_thresholds = o->n_thresholds, .sets = o->sets, .n_sets = o->n_sets};
    if (!rc) rc = filter_host_from_config(h, path ? &cfg : NULL, &ov, err, sizeof err);
    if (rc) fprintf(stderr, "squawk score: %s\n", err[0] ? err : sq_strerror(rc));
    if (path) sq_config_free(&cfg);
    return rc;
}

static void free_opts(score_opts *o)
{
    free(o->files);
}

static int read_all(FILE *f, char **out, size_t *outlen)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return SQ_E_NOMEM;
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                return SQ_E_NOMEM;
            }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        return SQ_E_IO;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

/* Articles parsed from all input, in order. */
typedef struct article_list {
    proto_article *v;
    size_t n, cap;
} article_list;

static int push_article(article_list *l, proto_article *a)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        proto_article *v = realloc(l->v, nc * sizeof *v);
        if (!v) return SQ_E_NOMEM;
        l->v = v;
        l->cap = nc;
    }
    l->v[l->n++] = *a;
    return 0;
}

static void reject(score_stats *st, const char *file, size_t line, int rc, const char *why)
{
    st->rejected++;
    if (-rc > 0 && -rc < 128) st->by_err[-rc]++;
    sq_log_limited(SQ_LOG_WARN, "score.reject", "file=%s line=%zu err=%s why=\"%s\"", file, line,
                   sq_err_name(rc), why);
}

static int text_article(const char *file, const char *buf, size_t len, proto_article *a)
{
    const char *nl = memchr(buf, '\n', len);
    size_t hl = nl ? (size_t)(nl - buf) : len;
    char *head = strndup(buf, hl);
    const char *b = nl ? nl + 1 : buf + len;
    while (b < buf + len && (*b == '\n' || *b == '\r')) b++;
    char *body = strndup(b, (size_t)(buf + len - b));
    const char *base = strrchr(file, '/');
    int rc = (head && body) ? proto_article_init(a, base ? base + 1 : file, head, body) : SQ_E_NOMEM;
    free(head);
    free(body);
    if (rc == 0 && proto_utf8_check(a->headline, a->headline_len) == 0 &&
        proto_utf8_check(a->body, a->body_len) == 0 && a->headline_len > 0)
        return 0;
    if (rc == 0) {
        proto_article_free(a);
        rc = a->headline_len ? SQ_E_BAD_UTF8 : SQ_E_NO_HEADLINE;
    }
    return rc;
}

static int parse_input(const char *file, const char *buf, size_t len, article_list *l, score_stats *st)
{
    char why[256] = "";
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')) i++;
    if (i == len) return 0;
    unsigned char c = (unsigned char)buf[i];
    proto_article a;
    if (c == '{') {
        /* one JSON object (possibly pretty-printed), else JSON Lines */
        if (proto_article_decode_json(buf + i, len - i, NULL, &a, why, sizeof why) == 0) {
            st->bytes += a.headline_len + a.body_len;
            return push_article(l, &a);
        }
        size_t line = 0, p = 0;
        while (p < len) {
            const char *nl = memchr(buf + p, '\n', len - p);
            size_t e = nl ? (size_t)(nl - buf) : len;
            line++;
            size_t s = p;
            while (s < e && (buf[s] == ' ' || buf[s] == '\t' || buf[s] == '\r')) s++;
            if (s < e) {
                int rc = proto_article_decode(buf + s, e - s, NULL, &a, why, sizeof why);
                if (rc) reject(st, file, line, rc, why);
                else {
                    st->bytes += a.headline_len + a.body_len;
                    if (push_article(l, &a)) return SQ_E_NOMEM;
                }
            }
            p = e + 1;
        }
        return 0;
    }
    if ((c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf) {
        int rc = proto_article_decode_msgpack(buf, len, NULL, &a, why, sizeof why);
        if (rc) {
            reject(st, file, 1, rc, why);
            return 0;
        }
        st->bytes += a.headline_len + a.body_len;
        return push_article(l, &a);
    }
    int rc = text_article(file, buf + i, len - i, &a);
    if (rc == SQ_E_NOMEM) return rc;
    if (rc) {
        reject(st, file, 1, rc, "plain-text article");
        return 0;
    }
    st->bytes += a.headline_len + a.body_len;
    return push_article(l, &a);
}

static void explain(const proto_alert *al)
{
    printf("%s  score=%.1f  stage=%s  novelty=%u  article=%s\n", al->category, al->score,
           al->stage ? al->stage : "none", al->novelty, al->article.id);
    printf("  headline: %s\n", al->article.headline ? al->article.headline : "");
    for (size_t i = 0; i < al->n_entities; i++)
        printf("  entity:   %-28s %-8s %-9s relevance=%.0f\n", al->entities[i].name,
               al->entities[i].ticker ? al->entities[i].ticker : "-", al->entities[i].role,
               al->entities[i].relevance);
    for (size_t i = 0; i < al->n_amounts; i++)
        printf("  amount:   %-28s = %.4g USD\n", al->amounts[i].text, al->amounts[i].usd);
    for (size_t i = 0; i < al->n_evidence; i++)
        printf("  evidence: %-24s %-8s [%u,%u) \"%s\"\n", al->evidence[i].rule, al->evidence[i].field,
               al->evidence[i].start, al->evidence[i].end, al->evidence[i].text);
    printf("\n");
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int run_bench(filter_host *h, const article_list *l, const score_stats *st, unsigned reps)
{
    double *secs = calloc(2 * (size_t)reps, sizeof *secs), *cpu = secs + reps;
    if (!secs) return 1;
    size_t alerts = 0;
    for (unsigned r = 0; r < reps; r++) {
        double c0 = thread_cpu_s();
        int64_t t0 = sq_clock_mono_ns();
        for (size_t i = 0; i < l->n; i++) {
            proto_alert **v;
            size_t n;
            if (filter_host_process(h, &l->v[i], NULL, 0, &v, &n) != 0) continue;
            alerts += n;
            for (size_t k = 0; k < n; k++) proto_alert_destroy(v[k]);
            free(v);
        }
        secs[r] = (double)(sq_clock_mono_ns() - t0) / 1e9;
        cpu[r] = thread_cpu_s() - c0;
    }
    qsort(secs, reps, sizeof *secs, cmp_dbl);
    qsort(cpu, reps, sizeof *cpu, cmp_dbl);
    double med = secs[reps / 2], mcpu = cpu[reps / 2];
    filter_host_stats hs;
    filter_host_get_stats(h, &hs);
    fprintf(stderr, "bench: filter stage over %zu articles, %.2f MB (headline+body), %zu filters, "
            "median of %u: %.3f s = %.0f articles/s, %.2f MB/s (alerts per run: %zu); "
            "thread CPU time %.3f s = %.0f articles per CPU second\n",
            l->n, st->bytes / 1e6, hs.n_filters, reps, med, med > 0 ? l->n / med : 0,
            med > 0 ? st->bytes / 1e6 / med : 0, alerts / reps, mcpu, mcpu > 0 ? l->n / mcpu : 0);
    free(secs);
    return 0;
}

int cmd_score(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    score_opts o = {0};
    o.files = calloc((size_t)argc + 1, sizeof *o.files);
    if (!o.files) return 1;
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        free_opts(&o);
        return rc;
    }
    sq_log_setup(stderr, sq_log_env_level(SQ_LOG_WARN, NULL), SQ_LOG_TEXT);
    filter_host *h = NULL;
    if (build_engine(&o, &h) != 0) {
        free_opts(&o);
        return 1;
    }
    score_stats st = {0};
    article_list l = {0};
    int status = 0;
    int n_in = o.n_files ? o.n_files : 1;
    for (int i = 0; i < n_in && !status; i++) {
        const char *name = o.n_files ? o.files[i] : "-";
        FILE *f = strcmp(name, "-") ? fopen(name, "rb") : stdin;
        if (!f) {
            fprintf(stderr, "squawk score: %s: %s\n", name, strerror(errno));
            status = 1;
            break;
        }
        char *buf;
        size_t len;
        rc = read_all(f, &buf, &len);
        if (f != stdin) fclose(f);
        if (rc) {
            fprintf(stderr, "squawk score: %s: %s\n", name, sq_strerror(rc));
            status = 1;
            break;
        }
        rc = parse_input(name, buf, len, &l, &st);
        free(buf);
        if (rc) {
            fprintf(stderr, "squawk score: %s: %s\n", name, sq_strerror(rc));
            status = 1;
        }
    }
    if (!status && o.bench) {
        status = run_bench(h, &l, &st, o.bench);
    } else if (!status) {
        for (size_t i = 0; i < l.n && !status; i++) {
            proto_alert **v;
            size_t n;
            st.articles++;
            rc = filter_host_process(h, &l.v[i], NULL, o.all ? FILTER_HOST_ALL : 0, &v, &n);
            if (rc) {
                sq_log_limited(SQ_LOG_WARN, "score.process", "article=%s err=%s", l.v[i].id,
                               sq_err_name(rc));
                continue;
            }
            for (size_t k = 0; k < n; k++) {
                if (o.explain) {
                    explain(v[k]);
                } else {
                    char *js;
                    size_t jl;
                    if (proto_alert_to_json(v[k], &js, &jl) == 0) {
                        fwrite(js, 1, jl, stdout);
                        fputc('\n', stdout);
                        free(js);
                    }
                }
                st.alerts++;
                proto_alert_destroy(v[k]);
            }
            free(v);
        }
        if (fflush(stdout) != 0) status = 1;
    }
    for (size_t i = 0; i < l.n; i++) proto_article_free(&l.v[i]);
    free(l.v);
    if (!o.bench) {
        fprintf(stderr, "score: %zu articles, %zu alerts, %zu rejected", st.articles, st.alerts,
                st.rejected);
        const char *sep = " (";
        for (int e = 1; e < 128; e++)
            if (st.by_err[e]) {
                fprintf(stderr, "%s%s: %zu", sep, sq_err_name(-e), st.by_err[e]);
                sep = ", ";
            }
        fprintf(stderr, "%s\n", sep[0] == ',' ? ")" : "");
    }
    filter_host_destroy(h);
    free_opts(&o);
    return status;
}
