/* cmd_train.c -- squawk train: fit a learned category (liblinear) on labelled articles, pick C and threshold by CV. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linear.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../filters/learned/lmodel.h"
#include "../proto/article.h"
#include "commands.h"

static const char usage[] =
    "usage: squawk train --labels L.tsv --articles A.jsonl --category NAME --out NAME.model [options]\n"
    "\n"
    "Trains a linear model (liblinear) that decides one category from hashed word\n"
    "1-2-grams (headline apart from body) and character n-grams squawk computes itself.\n"
    "C and the decision threshold are picked by k-fold cross-validation on the given\n"
    "articles only; the cross-validated precision, recall and F1 are printed. The model\n"
    "file is what the `learned` filter loads (config `model: PATH`).\n"
    "\n"
    "options:\n"
    "  --labels FILE       TSV: id<TAB>col...; 0/1 values (header row names the columns)\n"
    "  --articles FILE     article JSON Lines (id, headline, body); only labelled ids count\n"
    "  --category NAME     category of the alerts the model raises\n"
    "  --column COL        labels column to learn (default: NAME)\n"
    "  --out FILE          model file to write\n"
    "  --folds K           cross-validation folds (default 5)\n"
    "  --c LIST            comma-separated C values to try (default 0.5,1,2,4)\n"
    "  --hash-bits N       2^N feature buckets, 10..24 (default 20)\n"
    "  --char-ngrams A-B   character n-grams of lengths A..B inside words (default 2-5; 0 = off)\n"
    "  --char-weight N     length of the character n-gram block, percent of the word\n"
    "                      block's (default 50)\n"
    "  --idf               scale n-grams by inverse document frequency (default off)\n"
    "  --pos-weight N      positive class weight, percent of 'balanced' (default 100)\n"
    "  --words N           word n-grams 1..N, N = 1 or 2 (default 2)\n"
    "  --solver lr|svm     L2-regularised logistic regression or L2-loss SVM (default svm)\n"
    "  --quiet             print only the summary line\n";

#define TRAIN_MAX_C 16

typedef struct train_opts {
    const char *labels, *articles, *category, *column, *out;
    int folds, solver, quiet;
    int pos_weight; /* percent of balanced; 0 = balanced */
    int idf;
    double c[TRAIN_MAX_C];
    size_t n_c;
    lm_opts fo;
} train_opts;

/* The labelled examples, as liblinear wants them (1-based sorted indices, -1 terminated). */
typedef struct train_set {
    char **ids; /* labels TSV ids, sorted */
    int *label; /* per id; -1 = not labelled */
    int *used;  /* per id: article seen */
    size_t n_ids;
    struct feature_node **x;
    double *y;
    size_t n, cap;
    size_t n_pos;
    size_t n_feat; /* 2^hash_bits */
    proto_article *text; /* the labelled articles, in file order */
    int *text_y;
    size_t n_text, cap_text;
} train_set;

static void train_quiet(const char *s) { (void)s; }

static int train_parse_c(const char *v, train_opts *o)
{
    o->n_c = 0;
    char *dup = strdup(v), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        double c = strtod(t, &end);
        if (*end || !(c > 0) || c > 1e6 || o->n_c == TRAIN_MAX_C) {
            free(dup);
            return -1;
        }
        o->c[o->n_c++] = c;
    }
    free(dup);
    return o->n_c ? 0 : -1;
}

static int train_parse_int(const char *v, long lo, long hi, uint32_t *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < lo || n > hi) return -1;
    *out = (uint32_t)n;
    return 0;
}

static int train_parse_args(int argc, char **argv, train_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quiet") || !strcmp(a, "--idf")) {
            if (a[2] == 'q') o->quiet = 1;
            else o->idf = 1;
            continue;
        }
        if (!v || a[0] != '-') {
            fprintf(stderr, "squawk train: %s %s\n%s", a, v ? "is not an option" : "needs a value", usage);
            return 2;
        }
        i++;
        int bad = 0;
        uint32_t k = 0;
        if (!strcmp(a, "--labels")) o->labels = v;
        else if (!strcmp(a, "--articles")) o->articles = v;
        else if (!strcmp(a, "--category")) o->category = v;
        else if (!strcmp(a, "--column")) o->column = v;
        else if (!strcmp(a, "--out")) o->out = v;
        else if (!strcmp(a, "--folds")) bad = train_parse_int(v, 2, 20, &k), o->folds = (int)k;
        else if (!strcmp(a, "--c")) bad = train_parse_c(v, o);
        else if (!strcmp(a, "--hash-bits")) bad = train_parse_int(v, 10, 24, &o->fo.hash_bits);
        else if (!strcmp(a, "--words")) bad = train_parse_int(v, 1, 2, &o->fo.word_max);
        else if (!strcmp(a, "--char-weight")) bad = train_parse_int(v, 0, 1000, &o->fo.char_weight);
        else if (!strcmp(a, "--pos-weight")) bad = train_parse_int(v, 0, 1000, &k), o->pos_weight = (int)k;
        else if (!strcmp(a, "--solver")) {
            if (!strcmp(v, "lr")) o->solver = L2R_LR;
            else if (!strcmp(v, "svm")) o->solver = L2R_L2LOSS_SVC_DUAL;
            else bad = 1;
        } else if (!strcmp(a, "--char-ngrams")) {
            unsigned lo = 0, hi = 0;
            int n = 0;
            if (!strcmp(v, "0")) o->fo.char_min = o->fo.char_max = 0;
            else if (sscanf(v, "%u-%u%n", &lo, &hi, &n) == 2 && !v[n] && lo >= 1 && lo <= hi && hi <= 8)
                o->fo.char_min = lo, o->fo.char_max = hi;
            else bad = 1;
        } else {
            fprintf(stderr, "squawk train: unknown option '%s'\n%s", a, usage);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "squawk train: bad value for %s: '%s'\n", a, v);
            return 2;
        }
    }
    if (!o->labels || !o->articles || !o->category || !o->out) {
        fprintf(stderr, "squawk train: --labels, --articles, --category and --out are required\n%s", usage);
        return 2;
    }
    if (strlen(o->category) >= 64 || strpbrk(o->category, " \t\n\"\\")) {
        fprintf(stderr, "squawk train: --category '%s': want a short name without spaces or quotes\n", o->category);
        return 2;
    }
    if (!o->column) o->column = o->category;
    return 0;
}

static int train_cmp_id(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static long train_find(const train_set *s, const char *id)
{
    char *const *p = bsearch(&id, s->ids, s->n_ids, sizeof *s->ids, train_cmp_id);
    return p ? p - s->ids : -1;
}

/* Splits a TSV line in place; returns the number of fields (at most max). */
static int train_split(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p) break;
        *p++ = '\0';
    }
    return n;
}

/* Reads the labels column into s (ids sorted, label per id). */
static int train_read_labels(const train_opts *o, train_set *s, char *err, size_t errlen)
{
    FILE *f = fopen(o->labels, "r");
    if (!f) return snprintf(err, errlen, "%s: %s", o->labels, strerror(errno)), SQ_E_IO;
    char *line = NULL, *fld[64];
    size_t cap = 0, lineno = 0, ncap = 0;
    int col = -1, rc = 0;
    typedef struct { char *id; int y; } pair;
    pair *v = NULL;
    while (!rc && getline(&line, &cap, f) > 0) {
        lineno++;
        int n = train_split(line, fld, 64);
        if (lineno == 1) {
            for (int i = 1; i < n; i++)
                if (!strcmp(fld[i], o->column)) col = i;
            if (col < 0) snprintf(err, errlen, "%s: no column '%s' in the header", o->labels, o->column), rc = SQ_E_NOTFOUND;
            continue;
        }
        if (n == 1 && !fld[0][0]) continue;
        if (n <= col || (strcmp(fld[col], "0") && strcmp(fld[col], "1")) || !fld[0][0]) {
            snprintf(err, errlen, "%s:%zu: want an id and 0/1 in column '%s'", o->labels, lineno, o->column);
            rc = SQ_E_BAD_FORMAT;
            break;
        }
        if (s->n_ids == ncap) {
            ncap = ncap ? ncap * 2 : 1024;
            pair *nv = realloc(v, ncap * sizeof *nv);
            if (!nv) { rc = SQ_E_NOMEM; break; }
            v = nv;
        }
        v[s->n_ids].id = strdup(fld[0]);
        v[s->n_ids++].y = fld[col][0] == '1';
    }
    free(line);
    fclose(f);
    s->ids = calloc(s->n_ids + 1, sizeof *s->ids);
    s->label = calloc(s->n_ids + 1, sizeof *s->label);
    s->used = calloc(s->n_ids + 1, sizeof *s->used);
    if (!rc && (!s->ids || !s->label || !s->used)) rc = SQ_E_NOMEM;
    for (size_t i = 0; i < s->n_ids; i++) {
        if (!rc) s->ids[i] = v[i].id;
        else free(v[i].id);
    }
    if (!rc) {
        qsort(s->ids, s->n_ids, sizeof *s->ids, train_cmp_id);
        for (size_t i = 0; i < s->n_ids; i++) s->label[train_find(s, v[i].id)] = v[i].y;
    } else s->n_ids = 0;
    free(v);
    if (!rc && s->n_ids == 0) snprintf(err, errlen, "%s: no labelled rows", o->labels), rc = SQ_E_EMPTY;
    return rc;
}

static int train_add(train_set *s, const lm_vec *x, int y)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        struct feature_node **nx = realloc(s->x, nc * sizeof *nx);
        if (!nx) return SQ_E_NOMEM;
        s->x = nx;
        double *ny = realloc(s->y, nc * sizeof *ny);
        if (!ny) return SQ_E_NOMEM;
        s->y = ny;
        s->cap = nc;
    }
    struct feature_node *f = malloc((x->n + 2) * sizeof *f);
    if (!f) return SQ_E_NOMEM;
    for (size_t i = 0; i < x->n; i++) f[i] = (struct feature_node){(int)x->f[i].idx + 1, x->f[i].val};
    /* the bias is one more feature, always 1, past the hashed ones */
    f[x->n] = (struct feature_node){(int)s->n_feat + 1, 1.0};
    f[x->n + 1] = (struct feature_node){-1, 0};
    s->x[s->n] = f;
    s->y[s->n++] = y ? 1 : -1;
    s->n_pos += y != 0;
    return 0;
}

/* Reads the labelled articles' text; bad lines are counted, never fatal. */
static int train_read_articles(const train_opts *o, train_set *s, size_t *n_bad, char *err, size_t errlen)
{
    FILE *f = strcmp(o->articles, "-") ? fopen(o->articles, "r") : stdin;
    if (!f) return snprintf(err, errlen, "%s: %s", o->articles, strerror(errno)), SQ_E_IO;
    char *line = NULL, why[256];
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 0;
    while (!rc && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
        if (len == 0) continue;
        proto_article a;
        if (proto_article_decode(line, (size_t)len, NULL, &a, why, sizeof why) != 0) {
            if ((*n_bad)++ < 5) fprintf(stderr, "squawk train: %s:%zu: skipped: %s\n", o->articles, lineno, why);
            continue;
        }
        long k = train_find(s, a.id);
        if (k >= 0 && !s->used[k]) {
            s->used[k] = 1;
            if (s->n_text == s->cap_text) {
                size_t nc = s->cap_text ? 2 * s->cap_text : 1024;
                proto_article *nt = realloc(s->text, nc * sizeof *nt);
                int *ny = realloc(s->text_y, nc * sizeof *ny);
                if (nt) s->text = nt;
                if (ny) s->text_y = ny;
                if (!nt || !ny) rc = SQ_E_NOMEM;
                else s->cap_text = nc;
            }
            if (!rc) {
                s->text_y[s->n_text] = s->label[k];
                s->text[s->n_text++] = a;
                continue;
            }
        }
        proto_article_free(&a);
    }
    free(line);
    if (f != stdin) fclose(f);
    if (rc) snprintf(err, errlen, "%s: %s", o->articles, sq_strerror(rc));
    return rc;
}

/* Document frequencies over the training articles -> smoothed idf, as
 * scikit-learn's TfidfVectorizer computes it: ln((1 + N) / (1 + df)) + 1. */
static int train_idf(const train_opts *o, const train_set *s, float *idf)
{
    uint32_t *df = calloc(s->n_feat, sizeof *df);
    lm_vec x = {0};
    int rc = df ? 0 : SQ_E_NOMEM;
    for (size_t i = 0; i < s->n_text && !rc; i++) {
        const proto_article *a = &s->text[i];
        rc = lm_featurize(&o->fo, NULL, a->headline, a->headline_len, a->body, a->body_len, &x, NULL);
        for (size_t k = 0; k < x.n && !rc; k++) df[x.f[k].idx]++;
    }
    for (size_t k = 0; k < s->n_feat && !rc; k++)
        idf[k] = (float)(log((1.0 + (double)s->n_text) / (1.0 + df[k])) + 1.0);
    free(df);
    lm_vec_free(&x);
    return rc;
}

static int train_featurize(const train_opts *o, train_set *s, const float *idf, char *err, size_t errlen)
{
    lm_vec x = {0};
    int rc = 0;
    for (size_t i = 0; i < s->n_text && !rc; i++) {
        const proto_article *a = &s->text[i];
        rc = lm_featurize(&o->fo, idf, a->headline, a->headline_len, a->body, a->body_len, &x, NULL);
        if (!rc) rc = train_add(s, &x, s->text_y[i]);
    }
    lm_vec_free(&x);
    if (rc) snprintf(err, errlen, "%s: %s", o->articles, sq_strerror(rc));
    else if (s->n_pos == 0 || s->n_pos == s->n)
        snprintf(err, errlen, "%s: %zu labelled articles, %zu positive: need both classes", o->articles,
                 s->n, s->n_pos), rc = SQ_E_EMPTY;
    return rc;
}

/* Margin of x under a liblinear model, positive for the category whatever
 * order liblinear gave the labels. */
static double train_margin(const struct model *m, const struct feature_node *x)
{
    double s = 0;
    for (; x->index != -1; x++)
        if (x->index <= m->nr_feature + 1) s += m->w[x->index - 1] * x->value;
    return m->label[0] == 1 ? s : -s;
}

static struct model *train_fit(const train_set *s, const int *rows, size_t n, const train_opts *o, double c)
{
    struct feature_node **x = malloc(n * sizeof *x);
    double *y = malloc(n * sizeof *y);
    struct model *m = NULL;
    size_t pos = 0;
    for (size_t i = 0; x && y && i < n; i++) {
        x[i] = s->x[rows[i]];
        y[i] = s->y[rows[i]];
        pos += y[i] > 0;
    }
    if (x && y && pos && pos < n) {
        /* class weights balance the rare category against the rest */
        int wl[2] = {1, -1};
        double bal = (double)(n - pos) / (double)pos;
        double wv[2] = {o->pos_weight ? 1 + (bal - 1) * o->pos_weight / 100.0 : bal, 1.0};
        struct problem p = {(int)n, (int)s->n_feat + 1, y, x, 1.0};
        struct parameter par = {.solver_type = o->solver, .eps = o->solver == L2R_LR ? 0.01 : 0.1, .C = c,
                                .nr_weight = 2, .weight_label = wl, .weight = wv};
        m = train(&p, &par);
    }
    free(x);
    free(y);
    return m;
}

typedef struct train_cv {
    double c, f1, p, r, margin; /* best F1 and the margin threshold that gives it */
} train_cv;

static int train_cmp_pair(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return x[0] > y[0] ? -1 : x[0] < y[0];
}

/* The margin threshold with the best F1 over (margin, label) pairs. */
static void train_best_cut(double *pairs, size_t n, size_t n_pos, train_cv *out)
{
    qsort(pairs, n, 2 * sizeof *pairs, train_cmp_pair);
    size_t tp = 0;
    out->f1 = 0;
    for (size_t i = 0; i < n; i++) {
        tp += pairs[2 * i + 1] > 0;
        if (i + 1 < n && pairs[2 * (i + 1)] == pairs[2 * i]) continue;
        double p = (double)tp / (double)(i + 1), r = (double)tp / (double)n_pos;
        double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
        if (f1 > out->f1) {
            out->f1 = f1, out->p = p, out->r = r;
            out->margin = i + 1 < n ? (pairs[2 * i] + pairs[2 * (i + 1)]) / 2 : pairs[2 * i] - 1;
        }
    }
}

/* K-fold CV at one C: out-of-fold margins into oof, the best cut into cv. */
static int train_cv_run(const train_set *s, const int *fold, int k, const train_opts *o, double c, double *oof,
                        train_cv *cv)
{
    int *rows = malloc(s->n * sizeof *rows);
    double *pairs = malloc(2 * s->n * sizeof *pairs);
    int rc = rows && pairs ? 0 : SQ_E_NOMEM;
    for (int f = 0; f < k && !rc; f++) {
        size_t n = 0;
        for (size_t i = 0; i < s->n; i++)
            if (fold[i] != f) rows[n++] = (int)i;
        struct model *m = train_fit(s, rows, n, o, c);
        if (!m) {
            rc = SQ_E_INVAL;
            break;
        }
        for (size_t i = 0; i < s->n; i++)
            if (fold[i] == f) oof[i] = train_margin(m, s->x[i]);
        free_and_destroy_model(&m);
    }
    for (size_t i = 0; i < s->n && !rc; i++) pairs[2 * i] = oof[i], pairs[2 * i + 1] = s->y[i];
    if (!rc) train_best_cut(pairs, s->n, s->n_pos, cv);
    cv->c = c;
    free(rows);
    free(pairs);
    return rc;
}

/* Stratified folds, shuffled with a fixed seed so training is repeatable. */
static int *train_folds(const train_set *s, int k)
{
    int *fold = malloc(s->n * sizeof *fold);
    size_t *perm = malloc(s->n * sizeof *perm);
    if (!fold || !perm) {
        free(fold);
        free(perm);
        return NULL;
    }
    uint64_t r = 0x2545F4914F6CDD1Dull;
    for (size_t i = 0; i < s->n; i++) perm[i] = i;
    for (size_t i = s->n; i > 1; i--) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        size_t j = (size_t)(r % i), t = perm[i - 1];
        perm[i - 1] = perm[j], perm[j] = t;
    }
    size_t np = 0, nn = 0;
    for (size_t i = 0; i < s->n; i++) {
        size_t a = perm[i];
        fold[a] = s->y[a] > 0 ? (int)(np++ % (size_t)k) : (int)(nn++ % (size_t)k);
    }
    free(perm);
    return fold;
}

/* Platt scaling fitted by liblinear itself: a one-feature logistic regression
 * of the label on the out-of-fold margin (nearly unregularised). */
static int train_calibrate(const train_set *s, const double *oof, double *a, double *b)
{
    struct feature_node *nodes = malloc(3 * s->n * sizeof *nodes);
    struct feature_node **x = malloc(s->n * sizeof *x);
    int rc = nodes && x ? 0 : SQ_E_NOMEM;
    for (size_t i = 0; i < s->n && !rc; i++) {
        nodes[3 * i] = (struct feature_node){1, oof[i]};
        nodes[3 * i + 1] = (struct feature_node){2, 1.0};
        nodes[3 * i + 2] = (struct feature_node){-1, 0};
        x[i] = &nodes[3 * i];
    }
    if (!rc) {
        struct problem p = {(int)s->n, 2, s->y, x, 1.0};
        struct parameter par = {.solver_type = L2R_LR, .eps = 1e-4, .C = 1e4};
        struct model *m = train(&p, &par);
        if (!m) rc = SQ_E_INVAL;
        else {
            double sign = m->label[0] == 1 ? 1 : -1;
            *a = sign * m->w[0];
            *b = sign * m->w[1];
            free_and_destroy_model(&m);
            if (!(*a > 0)) rc = SQ_E_INVAL;
        }
    }
    free(nodes);
    free(x);
    return rc;
}

static void train_set_free(train_set *s)
{
    for (size_t i = 0; i < s->n_ids; i++) free(s->ids[i]);
    for (size_t i = 0; i < s->n; i++) free(s->x[i]);
    for (size_t i = 0; i < s->n_text; i++) proto_article_free(&s->text[i]);
    free(s->text);
    free(s->text_y);
    free(s->ids);
    free(s->label);
    free(s->used);
    free(s->x);
    free(s->y);
}

/* CV over every C; the best C's out-of-fold margins are left in oof. */
static int train_select(const train_opts *o, const train_set *s, double *oof, train_cv *best)
{
    int *fold = train_folds(s, o->folds);
    double *tmp = malloc(s->n * sizeof *tmp);
    int rc = fold && tmp ? 0 : SQ_E_NOMEM;
    best->f1 = -1;
    for (size_t i = 0; i < o->n_c && !rc; i++) {
        train_cv cv = {0};
        rc = train_cv_run(s, fold, o->folds, o, o->c[i], tmp, &cv);
        if (rc) break;
        if (!o->quiet)
            printf("cv C=%-6g P=%.4f R=%.4f F1=%.4f\n", cv.c, cv.p, cv.r, cv.f1);
        if (cv.f1 > best->f1) {
            *best = cv;
            memcpy(oof, tmp, s->n * sizeof *oof);
        }
    }
    free(fold);
    free(tmp);
    return rc;
}

static int train_build(const train_opts *o, const train_set *s, const train_cv *cv, double a, double b,
                       float **idf, lm_model **out)
{
    int *rows = malloc(s->n * sizeof *rows);
    if (!rows) return SQ_E_NOMEM;
    for (size_t i = 0; i < s->n; i++) rows[i] = (int)i;
    struct model *lm = train_fit(s, rows, s->n, o, cv->c);
    free(rows);
    lm_model *m = lm ? lm_create(&o->fo) : NULL;
    if (!m) {
        if (lm) free_and_destroy_model(&lm);
        return lm ? SQ_E_NOMEM : SQ_E_INVAL;
    }
    double sign = lm->label[0] == 1 ? 1 : -1;
    for (size_t i = 0; i < s->n_feat; i++) m->w[i] = (float)(sign * lm->w[i]);
    m->bias = sign * lm->w[s->n_feat];
    m->idf = *idf; /* the model owns it now */
    *idf = NULL;
    free_and_destroy_model(&lm);
    snprintf(m->category, sizeof m->category, "%s", o->category);
    snprintf(m->column, sizeof m->column, "%s", o->column);
    m->cal_a = a;
    m->cal_b = b;
    m->c = cv->c;
    m->threshold = 1.0 / (1.0 + exp(-(a * cv->margin + b)));
    time_t now = time(NULL);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    snprintf(m->summary, sizeof m->summary,
             "trained %s on %zu articles (%zu positive) solver=%s; %d-fold CV P=%.4f R=%.4f F1=%.4f",
             when, s->n, s->n_pos, o->solver == L2R_LR ? "lr" : "svm", o->folds, cv->p, cv->r, cv->f1);
    *out = m;
    return 0;
}

int cmd_train(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    train_opts o = {.folds = 5, .solver = L2R_L2LOSS_SVC_DUAL,
                    .c = {0.5, 1, 2, 4}, .n_c = 4,
                    .fo = {.hash_bits = 20, .word_max = 2, .char_min = 2, .char_max = 5, .char_weight = 50, .sublinear = 1}};
    int rc = train_parse_args(argc, argv, &o);
    if (rc) return rc;
    set_print_string_function(train_quiet);
    int64_t t0 = sq_clock_mono_ns();
    char err[1024] = "";
    train_set s = {.n_feat = (size_t)1 << o.fo.hash_bits};
    size_t n_bad = 0;
    rc = train_read_labels(&o, &s, err, sizeof err);
    if (!rc) rc = train_read_articles(&o, &s, &n_bad, err, sizeof err);
    float *idf = NULL;
    if (!rc && o.idf && !(idf = malloc(s.n_feat * sizeof *idf))) rc = SQ_E_NOMEM;
    if (!rc && idf) rc = train_idf(&o, &s, idf);
    if (!rc) rc = train_featurize(&o, &s, idf, err, sizeof err);
    if (!rc && s.n_pos < (size_t)o.folds)
        snprintf(err, sizeof err, "%zu positive articles: need at least one per fold (%d)", s.n_pos, o.folds),
            rc = SQ_E_EMPTY;
    double *oof = rc ? NULL : malloc(s.n * sizeof *oof);
    if (!rc && !oof) rc = SQ_E_NOMEM;
    train_cv cv = {0};
    double a = 1, b = 0;
    lm_model *m = NULL;
    if (!rc && (rc = train_select(&o, &s, oof, &cv)) != 0) snprintf(err, sizeof err, "cross-validation failed");
    if (!rc && (rc = train_calibrate(&s, oof, &a, &b)) != 0)
        snprintf(err, sizeof err, "calibration failed: the CV margins do not separate the classes");
    if (!rc && (rc = train_build(&o, &s, &cv, a, b, &idf, &m)) != 0) snprintf(err, sizeof err, "training failed");
    if (!rc) rc = lm_save(m, o.out, err, sizeof err);
    if (!rc)
        printf("train: %s -> %s: %zu articles (%zu positive, %zu unreadable lines), C=%g, threshold p>=%.3f, "
               "%d-fold CV P=%.4f R=%.4f F1=%.4f, %.1f s\n",
               o.category, o.out, s.n, s.n_pos, n_bad, cv.c, m->threshold, o.folds, cv.p, cv.r, cv.f1,
               (double)(sq_clock_mono_ns() - t0) / 1e9);
    else fprintf(stderr, "squawk train: %s\n", err[0] ? err : sq_strerror(rc));
    lm_destroy(m);
    free(idf);
    free(oof);
    train_set_free(&s);
    return rc ? 1 : 0;
}
