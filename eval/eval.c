/* eval.c -- the evaluation engine behind squawk eval: precision, recall, F1, calibration and routing of the filters against labelled articles. */
#include "eval.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "boot.h"
#include "evroute.h"
#include "proto/alert.h"
#include "proto/article.h"

#define EVAL_MAX_CATS 8
#define EVAL_MAX_FILTERS 16
#define EVAL_SWEEP_LO 10
#define EVAL_SWEEP_HI 90
#define EVAL_SWEEP_STEP 5
#define EVAL_SWEEP_N ((EVAL_SWEEP_HI - EVAL_SWEEP_LO) / EVAL_SWEEP_STEP + 1)
#define EVAL_BANDS 10 /* reliability table: score bands of 10 */

/* What one article scored in one category: the best alert's score and a
 * one-line digest of its evidence, kept for --errors. */
typedef struct eval_cell {
    double score; /* -1: no alert at all */
    int passed;   /* at/above the threshold in use */
    char *evidence;
} eval_cell;

typedef struct eval_row {
    char *id;
    char *headline; /* truncated copy, set once the article is seen */
    int label[EVAL_MAX_CATS];
    int seen;
    eval_cell cell[EVAL_MAX_CATS];
} eval_row;

typedef struct eval_cat {
    char *name;
    double threshold;     /* < 0: the plugin's default, decided by the host */
    const char *thr_src;  /* "cli", "config", "plugin" or "host" */
    int has_filter;       /* some loaded filter is named after it */
    double min_pass, max_fail; /* scores seen either side of a host-decided threshold */
    long tp, fp, fn, tn;
    long no_alert_misses;
    long sweep[EVAL_SWEEP_N][3]; /* tp, fp, fn at each sweep threshold */
    long rel_n[EVAL_BANDS], rel_pos[EVAL_BANDS]; /* reliability: alerts per score band */
    double rel_sum[EVAL_BANDS];                  /* ... and their summed scores */
    double ece_chance;                           /* the ECE exact probabilities would show by chance */
    double f1_lo, f1_hi; /* the F1's 95% bootstrap interval (-1: none) */
} eval_cat;

typedef struct eval_set {
    eval_row *rows;
    size_t n_rows, cap_rows;
    size_t *slots; /* open-addressing index into rows; (size_t)-1 = empty */
    size_t n_slots;
    eval_cat cats[EVAL_MAX_CATS];
    size_t n_cats;
    long n_read, n_bad, n_unlabelled, n_dup;
    evroute *route;       /* with --parties */
    double min_relevance; /* routing: what the ZeroMQ sink would publish */
    char *labels;         /* the labels file, as printed */
    int host_decides;     /* some category's alerts pass by the host's own threshold */
    double secs;          /* time spent reading and scoring */
} eval_set;


static uint64_t eval_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static eval_row *eval_find(eval_set *s, const char *id)
{
    if (!s->n_slots) return NULL;
    for (size_t i = eval_hash(id) & (s->n_slots - 1);; i = (i + 1) & (s->n_slots - 1)) {
        size_t r = s->slots[i];
        if (r == (size_t)-1) return NULL;
        if (strcmp(s->rows[r].id, id) == 0) return &s->rows[r];
    }
}

static int eval_index(eval_set *s)
{
    size_t n = 16;
    while (n < s->n_rows * 2) n <<= 1;
    s->slots = malloc(n * sizeof *s->slots);
    if (!s->slots) return SQ_E_NOMEM;
    memset(s->slots, 0xff, n * sizeof *s->slots);
    s->n_slots = n;
    for (size_t r = 0; r < s->n_rows; r++) {
        size_t i = eval_hash(s->rows[r].id) & (n - 1);
        while (s->slots[i] != (size_t)-1) {
            if (strcmp(s->rows[s->slots[i]].id, s->rows[r].id) == 0) {
                s->n_dup++; /* a repeated label line: the first one wins */
                goto next;
            }
            i = (i + 1) & (n - 1);
        }
        s->slots[i] = r;
    next:;
    }
    return 0;
}

static void eval_chomp(char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
}

/* Reads the labels TSV: a header naming the category columns, then id and 0/1 per column. */
static int eval_read_labels(eval_set *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SQ_E_IO;
    }
    char *line = NULL;
    size_t cap = 0;
    int rc = 0, lineno = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        eval_chomp(line);
        if (!line[0]) continue;
        char *save = NULL, *tok = strtok_r(line, "\t", &save);
        if (lineno == 1) {
            if (!tok || strcmp(tok, "id") != 0) {
                snprintf(err, errlen, "%s:1: header must start with 'id'", path);
                rc = SQ_E_INVAL;
                break;
            }
            while ((tok = strtok_r(NULL, "\t", &save))) {
                if (s->n_cats == EVAL_MAX_CATS) {
                    snprintf(err, errlen, "%s:1: more than %d categories", path, EVAL_MAX_CATS);
                    rc = SQ_E_INVAL;
                    break;
                }
                eval_cat *c = &s->cats[s->n_cats++];
                c->name = strdup(tok);
                c->threshold = -1;
                c->thr_src = "host";
                c->min_pass = INFINITY;
                c->max_fail = -INFINITY;
                if (!c->name) rc = SQ_E_NOMEM;
            }
            if (rc) break;
            if (!s->n_cats) {
                snprintf(err, errlen, "%s:1: no category columns", path);
                rc = SQ_E_INVAL;
                break;
            }
            continue;
        }
        if (s->n_rows == s->cap_rows) {
            size_t nc = s->cap_rows ? s->cap_rows * 2 : 1024;
            eval_row *nr = realloc(s->rows, nc * sizeof *nr);
            if (!nr) {
                rc = SQ_E_NOMEM;
                break;
            }
            s->rows = nr;
            s->cap_rows = nc;
        }
        eval_row *r = &s->rows[s->n_rows];
        memset(r, 0, sizeof *r);
        for (size_t c = 0; c < s->n_cats; c++) r->cell[c].score = -1;
        size_t c = 0;
        char *v;
        while (c < s->n_cats && (v = strtok_r(NULL, "\t", &save))) {
            if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) break;
            r->label[c++] = v[0] == '1';
        }
        if (!tok || c != s->n_cats) {
            snprintf(err, errlen, "%s:%d: expected id and %zu 0/1 values", path, lineno, s->n_cats);
            rc = SQ_E_INVAL;
            break;
        }
        if (!(r->id = strdup(tok))) {
            rc = SQ_E_NOMEM;
            break;
        }
        s->n_rows++;
    }
    free(line);
    fclose(f);
    if (!rc && !s->n_cats) {
        snprintf(err, errlen, "%s: empty", path);
        rc = SQ_E_INVAL;
    }
    return rc ? rc : eval_index(s);
}

static int eval_cat_index(const eval_set *s, const char *name)
{
    for (size_t c = 0; c < s->n_cats; c++)
        if (name && strcmp(s->cats[c].name, name) == 0) return (int)c;
    return -1;
}

/* Copies at most width display characters of s, flattening whitespace, never
 * splitting a UTF-8 sequence; appends "..." when cut. */
static char *eval_trunc(const char *s, size_t len, int width)
{
    char *out = malloc(len * 1 + 8), *o = out;
    if (!out) return NULL;
    int cols = 0, space = 0;
    size_t i = 0;
    while (i < len && s[i]) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
            space = o != out;
            i++;
            continue;
        }
        if (cols >= width) {
            memcpy(o, "...", 3);
            o += 3;
            break;
        }
        if (space) {
            *o++ = ' ';
            cols++;
            space = 0;
        }
        size_t k = ch < 0x80 ? 1 : ch < 0xe0 ? 2 : ch < 0xf0 ? 3 : 4;
        for (size_t j = 0; j < k && i < len && s[i]; j++) *o++ = s[i++];
        cols++;
    }
    *o = '\0';
    return out;
}

/* "rule 'text', rule 'text'" for an alert's evidence; what fired, in order. */
static char *eval_evidence(const proto_alert *a)
{
    size_t cap = 64, n = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    buf[0] = '\0';
    for (size_t i = 0; i < a->n_evidence; i++) {
        const proto_evidence *e = &a->evidence[i];
        char *t = eval_trunc(e->text ? e->text : "", e->text ? strlen(e->text) : 0, 40);
        const char *rule = e->rule ? e->rule : "?";
        size_t need = n + strlen(rule) + (t ? strlen(t) : 0) + 8;
        if (need > cap) {
            while (cap < need) cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(t);
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        n += (size_t)snprintf(buf + n, cap - n, "%s%s '%s'", i ? ", " : "", rule, t ? t : "");
        free(t);
    }
    return buf;
}

static void eval_free_alerts(proto_alert **v, size_t n)
{
    for (size_t i = 0; i < n; i++) proto_alert_destroy(v[i]);
    free(v);
}

/* Scores one labelled article: the best alert per category from an all=1
 * run; whether it passed comes from our threshold, or from an all=0 run when
 * the host keeps the plugin's default. */
/* Hands the alerts that passed, per category, to the routing measure. */
static void eval_route_add(eval_set *s, const eval_row *r, proto_alert **v, size_t n,
                           int decided_by_host)
{
    for (size_t c = 0; c < s->n_cats; c++) {
        if ((s->cats[c].threshold < 0) != decided_by_host) continue;
        const proto_alert *pass[16];
        size_t np = 0;
        for (size_t i = 0; i < n && np < 16; i++)
            if (eval_cat_index(s, v[i]->category) == (int)c &&
                (decided_by_host || v[i]->score >= s->cats[c].threshold))
                pass[np++] = v[i];
        evroute_add(s->route, r->id, c, pass, np, s->min_relevance, r->headline);
    }
}

/* Scores one labelled article: the best alert per category from an all=1
 * run; whether it passed comes from our threshold, or from an all=0 run when
 * the host keeps the plugin's default. */
static int eval_score(eval_set *s, filter_host *h, eval_row *r, const proto_article *a,
                      long lineno, int host_decides, int width)
{
    filter_source src = {.topic = "eval", .partition = 0, .offset = lineno,
                         .ingest_ns = sq_clock_realtime_ns()};
    proto_alert **v = NULL;
    size_t n = 0;
    r->headline = eval_trunc(a->headline, a->headline_len, width);
    int rc = filter_host_process(h, a, &src, FILTER_HOST_ALL, &v, &n);
    if (rc < 0) return rc;
    const proto_alert *best[EVAL_MAX_CATS] = {0};
    for (size_t i = 0; i < n; i++) {
        int c = eval_cat_index(s, v[i]->category);
        if (c < 0) continue;
        if (!best[c] || v[i]->score > best[c]->score) best[c] = v[i];
    }
    for (size_t c = 0; c < s->n_cats; c++) {
        if (!best[c]) continue;
        s->cats[c].has_filter = 1;
        r->cell[c].score = best[c]->score;
        r->cell[c].evidence = eval_evidence(best[c]);
        if (s->cats[c].threshold >= 0) r->cell[c].passed = best[c]->score >= s->cats[c].threshold;
    }
    if (s->route) eval_route_add(s, r, v, n, 0);
    eval_free_alerts(v, n);
    if (host_decides) {
        v = NULL;
        n = 0;
        rc = filter_host_process(h, a, &src, 0, &v, &n);
        if (rc < 0) return rc;
        for (size_t i = 0; i < n; i++) {
            int c = eval_cat_index(s, v[i]->category);
            if (c >= 0 && s->cats[c].threshold < 0) r->cell[c].passed = 1;
        }
        if (s->route) eval_route_add(s, r, v, n, 1);
        eval_free_alerts(v, n);
    }
    return 0;
}

static int eval_read_articles(eval_set *s, filter_host *h, FILE *in, int width)
{
    proto_limits lim = {.max_bytes = 64u << 20};
    char *line = NULL, why[256];
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = 0;
    while ((len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (!len) continue;
        s->n_read++;
        proto_article a;
        memset(&a, 0, sizeof a);
        int drc = proto_article_decode_json(line, (size_t)len, &lim, &a, why, sizeof why);
        if (drc < 0) {
            s->n_bad++;
            sq_log_limited(SQ_LOG_WARN, "eval.bad_article", "line=%ld err=%s why=\"%s\"", lineno,
                           sq_err_name(drc), why);
            continue;
        }
        eval_row *r = eval_find(s, a.id);
        if (!r) {
            s->n_unlabelled++;
        } else if (r->seen) {
            s->n_dup++;
        } else {
            r->seen = 1;
            rc = eval_score(s, h, r, &a, lineno, s->host_decides, width);
        }
        proto_article_free(&a);
        if (rc < 0) {
            sq_error("eval.filter", "line=%ld err=%s", lineno, sq_err_name(rc));
            break;
        }
    }
    free(line);
    return rc;
}

static void eval_count(eval_set *s)
{
    for (size_t c = 0; c < s->n_cats; c++) {
        eval_cat *k = &s->cats[c];
        for (size_t i = 0; i < s->n_rows; i++) {
            eval_row *r = &s->rows[i];
            if (!r->seen) continue;
            eval_cell *e = &r->cell[c];
            int y = r->label[c];
            if (e->passed && e->score < k->min_pass) k->min_pass = e->score;
            if (!e->passed && e->score >= 0 && e->score > k->max_fail) k->max_fail = e->score;
            if (e->passed && y) k->tp++;
            else if (e->passed) k->fp++;
            else if (y) {
                k->fn++;
                if (e->score < 0) k->no_alert_misses++;
            } else
                k->tn++;
            if (e->score >= 0) {
                int b = e->score >= 100 ? EVAL_BANDS - 1 : (int)(e->score / (100 / EVAL_BANDS));
                k->rel_n[b]++;
                k->rel_sum[b] += e->score;
                k->rel_pos[b] += y;
            }
            for (int t = 0; t < EVAL_SWEEP_N; t++) {
                int p = e->score >= EVAL_SWEEP_LO + t * EVAL_SWEEP_STEP;
                if (p && y) k->sweep[t][0]++;
                else if (p) k->sweep[t][1]++;
                else if (y) k->sweep[t][2]++;
            }
        }
    }
}

static double eval_ratio(long a, long b) { return b ? (double)a / (double)b : 0.0; }
static double eval_f1(long tp, long fp, long fn)
{
    return tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0.0;
}

/* Expected calibration error over the alerts raised (any score): the
 * alert-weighted gap between a band's mean score / 100 and its share right.
 * Articles with no alert at all are not in it: they carry no score. */
static double eval_ece(const eval_cat *k, long *n_out)
{
    long n = 0;
    double gap = 0;
    for (int b = 0; b < EVAL_BANDS; b++) {
        if (!k->rel_n[b]) continue;
        n += k->rel_n[b];
        gap += fabs(k->rel_sum[b] / 100.0 - (double)k->rel_pos[b]);
    }
    if (n_out) *n_out = n;
    return n ? gap / (double)n : 0.0;
}

/* E|S - mean| for S a sum of Bernoulli(p[i]) (Poisson binomial): exactly (dist holds n + 1),
 * and past EVAL_CHANCE_EXACT alerts, where the exact sum would cost n^2, by the normal
 * E|N(0, var)| = sqrt(2 var / pi), which is then as good. */
#define EVAL_CHANCE_EXACT 4000
static double eval_band_chance(const double *p, size_t n, double *dist)
{
    double mean = 0, gap = 0;
    if (n > EVAL_CHANCE_EXACT) {
        for (size_t i = 0; i < n; i++) gap += p[i] * (1 - p[i]);
        return sqrt(2 / 3.14159265358979323846 * gap);
    }
    dist[0] = 1;
    for (size_t i = 0; i < n; i++) {
        dist[i + 1] = 0;
        for (size_t k = i + 1; k > 0; k--) dist[k] = dist[k] * (1 - p[i]) + dist[k - 1] * p[i];
        dist[0] *= 1 - p[i];
        mean += p[i];
    }
    for (size_t k = 0; k <= n; k++) gap += dist[k] * fabs((double)k - mean);
    return gap;
}

int eval_ece_chance(const double *score, size_t n, int bands, double *out)
{
    *out = 0;
    double *in = malloc((n ? n : 1) * sizeof *in), *dist = malloc((n + 1) * sizeof *dist);
    if (!in || !dist) {
        free(in);
        free(dist);
        return SQ_E_NOMEM;
    }
    for (int b = 0; b < bands; b++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) /* the bands of the reliability table */
            if ((score[i] >= 100 ? bands - 1 : (int)(score[i] / (100 / bands))) == b) in[m++] = score[i] / 100;
        *out += eval_band_chance(in, m, dist);
    }
    if (n) *out /= (double)n;
    free(in);
    free(dist);
    return 0;
}

/* Each category's eval_ece_chance over its alerts' scores (-1 when out of memory). */
static void eval_chance(eval_set *s)
{
    double *p = malloc((s->n_rows ? s->n_rows : 1) * sizeof *p);
    for (size_t c = 0; c < s->n_cats; c++) {
        size_t n = 0;
        for (size_t i = 0; p && i < s->n_rows; i++)
            if (s->rows[i].seen && s->rows[i].cell[c].score >= 0) p[n++] = s->rows[i].cell[c].score;
        if (!p || eval_ece_chance(p, n, EVAL_BANDS, &s->cats[c].ece_chance)) s->cats[c].ece_chance = -1;
    }
    free(p);
}

/* Each category's F1 interval over the evaluated articles (boot.c): a change inside it on a check
 * set is no evidence either way. -1 when there is none. */
static void eval_interval(eval_set *s)
{
    uint32_t *cnt = malloc((s->n_rows ? s->n_rows : 1) * 3 * sizeof *cnt);
    for (size_t c = 0; c < s->n_cats; c++) {
        eval_cat *k = &s->cats[c];
        size_t n = 0;
        for (size_t i = 0; cnt && i < s->n_rows; i++) {
            const eval_row *r = &s->rows[i];
            if (!r->seen) continue;
            int p = r->cell[c].passed, l = r->label[c];
            cnt[3 * n] = p && l, cnt[3 * n + 1] = p && !l, cnt[3 * n + 2] = !p && l;
            n++;
        }
        if (!cnt || eval_boot_f1(cnt, n, &k->f1_lo, &k->f1_hi) != 0) k->f1_lo = k->f1_hi = -1;
    }
    free(cnt);
}

static void eval_print_interval(const eval_set *s, FILE *out)
{
    fprintf(out, "F1 95%% interval (bootstrap, %d resamples of the articles):", EVAL_BOOT_RESAMPLES);
    for (size_t c = 0; c < s->n_cats; c++)
        if (s->cats[c].f1_lo >= 0)
            fprintf(out, "%s %s %.3f-%.3f", c ? "," : "", s->cats[c].name, s->cats[c].f1_lo, s->cats[c].f1_hi);
    fprintf(out, "\n");
}

static void eval_print_reliability(const eval_set *s, FILE *out)
{
    fprintf(out, "\nreliability (best alert per article, any score): alerts / share right per score band;"
                 " ECE, and (after ~) the ECE these scores would show by chance if they were exact\n");
    fprintf(out, "%-12s", "category");
    for (int b = 0; b < EVAL_BANDS; b++) fprintf(out, "  %3d-%-3d  ", b * 10, b * 10 + 10);
    fprintf(out, "  %6s\n", "ECE");
    for (size_t c = 0; c < s->n_cats; c++) {
        const eval_cat *k = &s->cats[c];
        fprintf(out, "%-12s", k->name);
        for (int b = 0; b < EVAL_BANDS; b++) {
            if (k->rel_n[b]) fprintf(out, " %4ld/%.2f ", k->rel_n[b], (double)k->rel_pos[b] / (double)k->rel_n[b]);
            else fprintf(out, " %9s ", "-");
        }
        long n;
        double ece = eval_ece(k, &n);
        fprintf(out, "  %6.3f (%ld alerts, ~%.3f)\n", ece, n, k->ece_chance);
    }
}

/* The threshold as printed: ours, or the bracket the host's default must lie in. */
static void eval_thr_text(const eval_cat *k, char *buf, size_t len)
{
    if (k->threshold >= 0) snprintf(buf, len, "%.1f %s", k->threshold, k->thr_src);
    else if (isfinite(k->min_pass)) snprintf(buf, len, "<=%.1f host", k->min_pass);
    else snprintf(buf, len, "? host");
}

typedef struct eval_pick {
    const eval_row *row;
    double score;
} eval_pick;

static int eval_pick_cmp(const void *a, const void *b)
{
    double x = ((const eval_pick *)a)->score, y = ((const eval_pick *)b)->score;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Rows of category c that are false positives (want_fp) or misses, best score first. */
static size_t eval_errors(const eval_set *s, size_t c, int want_fp, eval_pick **out)
{
    eval_pick *v = malloc((s->n_rows ? s->n_rows : 1) * sizeof *v);
    size_t n = 0;
    if (!v) return 0;
    for (size_t i = 0; i < s->n_rows; i++) {
        const eval_row *r = &s->rows[i];
        if (!r->seen) continue;
        int is = want_fp ? (r->cell[c].passed && !r->label[c]) : (!r->cell[c].passed && r->label[c]);
        if (is) v[n++] = (eval_pick){r, r->cell[c].score};
    }
    qsort(v, n, sizeof *v, eval_pick_cmp);
    *out = v;
    return n;
}

void eval_print_text(const eval_set *s, const eval_print_opts *o, FILE *out)
{
    long labelled_missing = 0, evaluated = 0;
    for (size_t i = 0; i < s->n_rows; i++) {
        if (s->rows[i].seen) evaluated++;
        else labelled_missing++;
    }
    fprintf(out, "labels %s: %zu ids; articles read %ld, evaluated %ld, labelled ids not found %ld,"
           " unlabelled skipped %ld, undecodable %ld, duplicates %ld; %.2f s (%.0f articles/s)\n",
           s->labels, s->n_rows, s->n_read, evaluated, labelled_missing, s->n_unlabelled, s->n_bad,
           s->n_dup, s->secs, s->secs > 0 ? (double)s->n_read / s->secs : 0.0);
    fprintf(out, "%-12s %12s %6s %6s %6s %6s %6s %6s %7s %6s\n", "category", "threshold", "P", "R",
           "F1", "TP", "FP", "FN", "TN", "pos");
    for (size_t c = 0; c < s->n_cats; c++) {
        const eval_cat *k = &s->cats[c];
        char thr[32];
        eval_thr_text(k, thr, sizeof thr);
        fprintf(out, "%-12s %12s %6.3f %6.3f %6.3f %6ld %6ld %6ld %7ld %6ld%s\n", k->name, thr,
               eval_ratio(k->tp, k->tp + k->fp), eval_ratio(k->tp, k->tp + k->fn),
               eval_f1(k->tp, k->fp, k->fn), k->tp, k->fp, k->fn, k->tn, k->tp + k->fn,
               k->has_filter ? "" : "  (no filter loaded for this category)");
    }
    eval_print_interval(s, out);
    eval_print_reliability(s, out);
    if (o->sweep) {
        fprintf(out, "\nF1 by threshold (score >= t, from the best alert per article)\n%-12s", "category");
        for (int t = 0; t < EVAL_SWEEP_N; t++) fprintf(out, " %5d", EVAL_SWEEP_LO + t * EVAL_SWEEP_STEP);
        fprintf(out, "\n");
        for (size_t c = 0; c < s->n_cats; c++) {
            const eval_cat *k = &s->cats[c];
            fprintf(out, "%-12s", k->name);
            for (int t = 0; t < EVAL_SWEEP_N; t++)
                fprintf(out, " %5.3f", eval_f1(k->sweep[t][0], k->sweep[t][1], k->sweep[t][2]));
            fprintf(out, "\n");
        }
    }
    for (size_t c = 0; o->errors > 0 && c < s->n_cats; c++) {
        for (int fp = 1; fp >= 0; fp--) {
            eval_pick *v = NULL;
            size_t n = eval_errors(s, c, fp, &v);
            fprintf(out, "\n%s: %s (%zu, showing %ld)\n", s->cats[c].name,
                   fp ? "false positives, highest score first" : "missed positives, nearest miss first",
                   n, (long)n < o->errors ? (long)n : o->errors);
            for (size_t i = 0; i < n && (long)i < o->errors; i++) {
                const eval_cell *e = &v[i].row->cell[c];
                if (e->score >= 0) fprintf(out, "  %6.1f  %-22s %s\n", e->score, v[i].row->id,
                                          v[i].row->headline ? v[i].row->headline : "");
                else fprintf(out, "  %6s  %-22s %s\n", "-", v[i].row->id,
                            v[i].row->headline ? v[i].row->headline : "");
                fprintf(out, "          %s%s\n", fp ? "fired: " : (e->score >= 0 ? "nearest miss: " : ""),
                       e->score >= 0 && e->evidence && e->evidence[0] ? e->evidence
                       : e->score >= 0 ? "(alert without evidence)" : "no rule fired");
            }
            free(v);
        }
    }
    if (s->route) evroute_print(s->route, out, o->errors);
}

static json_t *eval_json_errors(const eval_set *s, size_t c, int fp, long max)
{
    json_t *arr = json_array();
    eval_pick *v = NULL;
    size_t n = eval_errors(s, c, fp, &v);
    for (size_t i = 0; i < n && (long)i < max; i++) {
        const eval_cell *e = &v[i].row->cell[c];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(v[i].row->id));
        json_object_set_new(o, "score", e->score >= 0 ? json_real(e->score) : json_null());
        json_object_set_new(o, "headline", json_string(v[i].row->headline ? v[i].row->headline : ""));
        json_object_set_new(o, "evidence", json_string(e->evidence ? e->evidence : ""));
        json_array_append_new(arr, o);
    }
    free(v);
    return arr;
}

int eval_print_json(const eval_set *s, const eval_print_opts *o, FILE *out)
{
    long labelled_missing = 0, evaluated = 0;
    for (size_t i = 0; i < s->n_rows; i++) {
        if (s->rows[i].seen) evaluated++;
        else labelled_missing++;
    }
    json_t *root = json_object();
    json_object_set_new(root, "labels", json_string(s->labels));
    json_object_set_new(root, "labelled", json_integer((json_int_t)s->n_rows));
    json_object_set_new(root, "read", json_integer(s->n_read));
    json_object_set_new(root, "evaluated", json_integer(evaluated));
    json_object_set_new(root, "labelled_not_found", json_integer(labelled_missing));
    json_object_set_new(root, "unlabelled", json_integer(s->n_unlabelled));
    json_object_set_new(root, "undecodable", json_integer(s->n_bad));
    json_object_set_new(root, "duplicates", json_integer(s->n_dup));
    json_object_set_new(root, "seconds", json_real(s->secs));
    json_t *cats = json_object();
    for (size_t c = 0; c < s->n_cats; c++) {
        const eval_cat *k = &s->cats[c];
        json_t *j = json_object();
        json_object_set_new(j, "threshold", k->threshold >= 0 ? json_real(k->threshold) : json_null());
        json_object_set_new(j, "default_threshold_at_most",
                            k->threshold < 0 && isfinite(k->min_pass) ? json_real(k->min_pass)
                                                                       : json_null());
        json_object_set_new(j, "threshold_source", json_string(k->thr_src));
        json_object_set_new(j, "has_filter", json_boolean(k->has_filter));
        json_object_set_new(j, "precision", json_real(eval_ratio(k->tp, k->tp + k->fp)));
        json_object_set_new(j, "recall", json_real(eval_ratio(k->tp, k->tp + k->fn)));
        json_object_set_new(j, "f1", json_real(eval_f1(k->tp, k->fp, k->fn)));
        json_object_set_new(j, "f1_interval", k->f1_lo >= 0 ? json_pack("[ff]", k->f1_lo, k->f1_hi) : json_null());
        json_object_set_new(j, "tp", json_integer(k->tp));
        json_object_set_new(j, "fp", json_integer(k->fp));
        json_object_set_new(j, "fn", json_integer(k->fn));
        json_object_set_new(j, "tn", json_integer(k->tn));
        json_object_set_new(j, "misses_without_alert", json_integer(k->no_alert_misses));
        long n_alerts;
        json_object_set_new(j, "ece", json_real(eval_ece(k, &n_alerts)));
        json_object_set_new(j, "alerts", json_integer(n_alerts));
        json_object_set_new(j, "ece_chance", json_real(k->ece_chance));
        json_t *rel = json_array();
        for (int b = 0; b < EVAL_BANDS; b++) {
            json_t *band = json_object();
            json_object_set_new(band, "lo", json_integer(b * (100 / EVAL_BANDS)));
            json_object_set_new(band, "alerts", json_integer(k->rel_n[b]));
            json_object_set_new(band, "right", json_integer(k->rel_pos[b]));
            json_object_set_new(band, "mean_score",
                                json_real(k->rel_n[b] ? k->rel_sum[b] / (double)k->rel_n[b] : 0));
            json_array_append_new(rel, band);
        }
        json_object_set_new(j, "reliability", rel);
        if (o->sweep) {
            json_t *sw = json_object();
            for (int t = 0; t < EVAL_SWEEP_N; t++) {
                char key[8];
                snprintf(key, sizeof key, "%d", EVAL_SWEEP_LO + t * EVAL_SWEEP_STEP);
                json_object_set_new(sw, key, json_real(eval_f1(k->sweep[t][0], k->sweep[t][1],
                                                               k->sweep[t][2])));
            }
            json_object_set_new(j, "sweep_f1", sw);
        }
        if (o->errors > 0) {
            json_object_set_new(j, "false_positives", eval_json_errors(s, c, 1, o->errors));
            json_object_set_new(j, "misses", eval_json_errors(s, c, 0, o->errors));
        }
        json_object_set_new(cats, k->name, j);
    }
    json_object_set_new(root, "categories", cats);
    if (s->route) json_object_set_new(root, "routing", evroute_json(s->route));
    int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    fputc('\n', out);
    json_decref(root);
    return rc;
}

int eval_write_scores(const eval_set *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return SQ_E_IO;
    fprintf(f, "id\tcategory\tlabel\tscore\tpassed\troute_right\troute_wrong\troute_missed\n");
    for (size_t i = 0; i < s->n_rows; i++) {
        const eval_row *r = &s->rows[i];
        if (!r->seen) continue;
        for (size_t c = 0; c < s->n_cats; c++) {
            char score[32], route[48];
            uint32_t rc[3];
            if (r->cell[c].score < 0) snprintf(score, sizeof score, "-");
            else snprintf(score, sizeof score, "%.6f", r->cell[c].score);
            if (s->route && evroute_counts(s->route, r->id, c, rc))
                snprintf(route, sizeof route, "%u\t%u\t%u", rc[0], rc[1], rc[2]);
            else snprintf(route, sizeof route, "-\t-\t-");
            fprintf(f, "%s\t%s\t%d\t%s\t%d\t%s\n", r->id, s->cats[c].name, r->label[c], score, r->cell[c].passed,
                    route);
        }
    }
    return fclose(f) == 0 ? 0 : SQ_E_IO;
}

void eval_destroy(eval_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_rows; i++) {
        free(s->rows[i].id);
        free(s->rows[i].headline);
        for (size_t c = 0; c < s->n_cats; c++) free(s->rows[i].cell[c].evidence);
    }
    free(s->rows);
    free(s->slots);
    evroute_destroy(s->route);
    for (size_t c = 0; c < s->n_cats; c++) free(s->cats[c].name);
    free(s->labels);
    free(s);
}


int eval_create(eval_set **out, const char *labels, char *err, size_t errlen)
{
    *out = NULL;
    eval_set *s = calloc(1, sizeof *s);
    if (!s) return SQ_E_NOMEM;
    s->min_relevance = SQ_CONFIG_MIN_RELEVANCE;
    int rc = (s->labels = strdup(labels)) ? eval_read_labels(s, labels, err, errlen) : SQ_E_NOMEM;
    if (rc < 0) {
        eval_destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

int eval_open_routing(eval_set *s, const char *parties, double min_relevance, char *err, size_t errlen)
{
    const char *cat_names[EVAL_MAX_CATS];
    for (size_t c = 0; c < s->n_cats; c++) cat_names[c] = s->cats[c].name;
    s->min_relevance = min_relevance;
    return evroute_open(&s->route, parties, cat_names, s->n_cats, err, errlen);
}

/* A category named after a loaded filter is decided at that filter's
 * threshold; one no filter is named after (a `learned` model may raise any
 * category) is decided by the host's own filtering. */
void eval_attach(eval_set *s, const filter_host *h)
{
    for (size_t i = 0; i < filter_host_n_filters(h); i++) {
        int c = eval_cat_index(s, filter_host_filter_name(h, i));
        if (c < 0) {
            s->host_decides = 1;
            continue;
        }
        eval_cat *k = &s->cats[c];
        k->has_filter = 1;
        double t;
        if (k->threshold < 0 && filter_host_threshold(h, i, &t) == 0 && t >= 0) {
            k->threshold = t;
            k->thr_src = filter_host_threshold_source(h, i);
        }
        if (k->threshold < 0) s->host_decides = 1;
    }
}

int eval_run(eval_set *s, filter_host *h, FILE *in, int width)
{
    int64_t t0 = sq_clock_mono_ns();
    int rc = eval_read_articles(s, h, in, width > 0 ? width : 70);
    s->secs = (double)(sq_clock_mono_ns() - t0) / 1e9;
    if (rc >= 0) eval_count(s);
    if (rc >= 0) eval_chance(s);
    if (rc >= 0) eval_interval(s);
    return rc;
}

int eval_result(const eval_set *s, const char *category, eval_counts *out)
{
    int c = eval_cat_index(s, category);
    if (c < 0) return SQ_E_NOTFOUND;
    const eval_cat *k = &s->cats[c];
    *out = (eval_counts){k->tp, k->fp, k->fn, k->tn, k->threshold, k->thr_src, k->has_filter,
                         eval_f1(k->tp, k->fp, k->fn)};
    return 0;
}
