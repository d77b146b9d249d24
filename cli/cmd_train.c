/* cmd_train.c -- squawk train: fit a learned category (liblinear) on labelled articles, pick C and threshold by CV. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <linear.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../filters/host.h"
#include "../filters/learned/lmodel.h"
#include "../filters/rescore.h"
#include "../proto/alert.h"
#include "../proto/article.h"
#include "commands.h"

static const char usage[] =
    "usage: squawk train --labels L.tsv --articles A.jsonl --category NAME --out NAME.model [options]\n"
    "       squawk train ... --column COL --category NAME=VALUE [--category NAME=VALUE...] --out F.model\n"
    "\n"
    "Trains a linear model (liblinear) that decides categories from hashed word\n"
    "1-2-grams (headline apart from body) and character n-grams squawk computes itself.\n"
    "C and the decision thresholds are picked by k-fold cross-validation on the given\n"
    "articles only (a C within .001 of the best CV F1 ties, and a tie goes to the largest\n"
    "C); the cross-validated precision, recall and F1 are printed. The model\n"
    "file is what the `learned` filter loads (config `model: PATH`).\n"
    "Binary (--category NAME): COL holds 0/1. Multi-class (--category NAME=VALUE): COL\n"
    "holds a class per article (any short word, 3..64 classes); one model learns every\n"
    "class, and NAME is raised when class VALUE beats all the others by the margin CV picks.\n"
    "\n"
    "options:\n"
    "  --labels FILE       TSV: id<TAB>col...; header row names the columns\n"
    "  --articles FILE     article JSON Lines (id, headline, body); only labelled ids count\n"
    "  --category NAME     category of the alerts the model raises (NAME=VALUE: multi-class,\n"
    "                      repeatable up to 8)\n"
    "  --column COL        labels column to learn (default: NAME; required for multi-class)\n"
    "  --out FILE          model file to write\n"
    "  --folds K           cross-validation folds (default 5)\n"
    "  --c LIST            comma-separated C values to try (default 0.5,1,2,4)\n"
    "  --hash-bits N       2^N feature buckets, 10..24 (default 20)\n"
    "  --char-ngrams A-B   character n-grams of lengths A..B inside words (default 2-5; 0 = off)\n"
    "  --char-weight N     length of the character n-gram block, percent of the word\n"
    "                      block's (default 50)\n"
    "  --idf               scale n-grams by inverse document frequency (default off)\n"
    "  --raw-tf            count n-grams as they occur (default: 1 + ln count)\n"
    "  --class-weight W    multi-class: 'balanced' (default; n / (classes x n_class)) or 'none'\n"
    "  --cv-scores FILE    write every article's out-of-fold class scores at the chosen C\n"
    "                      (TSV: id, class, then one score per class), for your own analysis\n"
    "  --pos-weight N      positive class weight, percent of 'balanced' (default 100)\n"
    "  --words N           word n-grams 1..N, N = 1 or 2 (default 2)\n"
    "  --word-prefix N     a word longer than N bytes also counts its first N bytes, a\n"
    "                      cheap stem (3..12; default 0 = off)\n"
    "  --group-duplicates  cross-validation keeps articles of the same text (links and\n"
    "                      punctuation aside: reposts) in one fold, so CV does not score a\n"
    "                      repost of a training article as unseen\n"
    "  --rules-features    add the built-in engine's evidence as features: rules of the invest,\n"
    "                      chips and regulatory packs that matched, entity kinds, amounts and\n"
    "                      stage cues (the learned filter computes them the same way)\n"
    "  --filter NAME       a rescoring model of built-in filter NAME (invest, chips, regulatory):\n"
    "                      word n-grams of the headline and the body's first 1,500 bytes plus\n"
    "                      NAME's own engine evidence (rules matched, vetoed or gated, evidence\n"
    "                      sum, roles, amounts, stage, entity kinds), as the filter computes\n"
    "                      them with its config key `model` (filters/README.md); --category NAME\n"
    "  --rules-weight N    length of the engine-evidence block, percent of the word block's\n"
    "                      (default 50)\n"
    "  --rules-evidence L  the evidence --rules-features adds (implies it), comma-separated:\n"
    "                      v1 (rules of the v1 regex packs), invest, chips, regulatory (rules\n"
    "                      of the token-pattern packs the built-ins scan), entities (entity\n"
    "                      kinds, amounts, stage cues); default v1,entities\n"
    "  --no-screen         compute the engine's evidence for every article; by default a\n"
    "                      rules-features model skips it when the text alone keeps every\n"
    "                      category below the text margin of the articles CV alerted\n"
    "  --screen-keep PCT   the screen keeps PCT percent of the CV alerts, 50..100 (default 100)\n"
    "  --solver lr|svm|cs  L2-regularised logistic regression, L2-loss SVM (one-vs-rest when\n"
    "                      multi-class), or Crammer-Singer multi-class SVM (default svm)\n"
    "  --quiet             print only the summary line\n";

#define TRAIN_MAX_C 16

#define TRAIN_MAX_OUT LM_MAX_OUTPUTS

typedef struct train_opts {
    const char *labels, *articles, *column, *out, *cv_scores;
    const char *filter; /* --filter: a built-in's rescoring model */
    const char *category[TRAIN_MAX_OUT]; /* "NAME" or, multi-class, "NAME=VALUE" */
    size_t n_cat;
    int multi;
    int folds, solver, quiet;
    int pos_weight; /* percent of balanced; 0 = balanced */
    int idf;
    int rules_flag; /* --rules-features given */
    int unweighted; /* multi-class: no class weights */
    int no_screen;  /* --no-screen */
    int group;      /* --group-duplicates: repeated texts share a CV fold */
    double screen_keep; /* --screen-keep: percent of the CV alerts the screen keeps */
    double c[TRAIN_MAX_C];
    size_t n_c;
    lm_opts fo;
} train_opts;

/* The labelled examples, as liblinear wants them (1-based sorted indices, -1 terminated). */
typedef struct train_set {
    char **ids; /* labels TSV ids, sorted */
    int *label; /* per id: 0/1, or the class index */
    int *used;  /* per id: article seen */
    size_t n_ids;
    struct feature_node **x;
    /* --rules-features: the text block alone of each article, for the screen
     * (lmodel.h, lm_model.screen): which articles the engine's evidence could
     * still make an alert */
    struct feature_node **xt;
    double *y;
    size_t n, cap;
    size_t n_pos;
    size_t n_feat; /* 2^hash_bits */
    /* liblinear sees only the buckets in use, most frequent first (its
     * weight vector then stays small and its hot part in cache); the bias
     * is feature n_used + 1 */
    uint32_t *bucket; /* compact index -> bucket */
    size_t n_used;
    /* --rules-features: the engine, reached the way the learned filter reaches it */
    filter_host *host;
    lm_engine eng;
    /* multi-class: the column's values, sorted; y holds the class index */
    char *cls[LM_MAX_CLASSES];
    size_t n_class, class_n[LM_MAX_CLASSES];
    uint32_t out_cls[TRAIN_MAX_OUT]; /* each output's class (binary: 0) */
    size_t out_pos[TRAIN_MAX_OUT];   /* its positives */
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

/* Binary: one NAME. Multi-class: NAME=VALUE each, distinct names, a --column. */
static int train_check_categories(train_opts *o)
{
    o->multi = strchr(o->category[0], '=') != NULL;
    for (size_t i = 0; i < o->n_cat; i++) {
        const char *c = o->category[i], *eq = strchr(c, '=');
        size_t n = eq ? (size_t)(eq - c) : strlen(c);
        if (!n || n >= 64 || strcspn(c, " \t\n\"\\") < strlen(c) || (eq != NULL) != o->multi ||
            (eq && (!eq[1] || strlen(eq + 1) >= 64))) {
            fprintf(stderr, "squawk train: --category '%s': want a short NAME without spaces or quotes%s\n", c,
                    o->multi ? ", and =VALUE (a class of --column) on every --category" : "");
            return 2;
        }
        for (size_t k = 0; k < i; k++)
            if (eq && !strncmp(o->category[k], c, n) && o->category[k][n] == '=') {
                fprintf(stderr, "squawk train: --category '%.*s' given twice\n", (int)n, c);
                return 2;
            }
    }
    if (!o->multi && o->n_cat > 1) {
        fprintf(stderr, "squawk train: several categories need one model over classes: --column COL and "
                        "--category NAME=VALUE for each\n");
        return 2;
    }
    if (o->multi && !o->column) {
        fprintf(stderr, "squawk train: --category NAME=VALUE needs --column (the labels column of classes)\n");
        return 2;
    }
    if (!o->multi && o->solver == MCSVM_CS) {
        fprintf(stderr, "squawk train: --solver cs is for multi-class models (--category NAME=VALUE)\n");
        return 2;
    }
    if (!o->column) o->column = o->category[0];
    return 0;
}

/* --filter: one binary category of that name, text the filter's rescoring reads the same way. */
static int train_check_filter(train_opts *o)
{
    if (!o->filter) return 0;
    const char *why = o->n_cat != 1 || strcmp(o->category[0], o->filter) ? "needs --category NAME of the same name"
                      : o->idf                                          ? "cannot use --idf (filters share the text features)"
                      : o->fo.rules == 50 && o->rules_flag              ? "replaces --rules-features (the filter's own evidence)"
                                                                        : NULL;
    if (why) fprintf(stderr, "squawk train: --filter %s %s\n", o->filter, why);
    if (!o->fo.rules) o->fo.rules = 50;
    long ev = lm_evidence_parse(o->filter); /* the header names the filter's own v2 pack */
    if (ev > 0) o->fo.evidence = (uint32_t)ev;
    return why != NULL;
}

static int train_parse_args(int argc, char **argv, train_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quiet") || !strcmp(a, "--idf") || !strcmp(a, "--rules-features") || !strcmp(a, "--raw-tf") ||
            !strcmp(a, "--no-screen") || !strcmp(a, "--group-duplicates")) {
            if (a[2] == 'q') o->quiet = 1;
            else if (a[2] == 'g') o->group = 1;
            else if (a[2] == 'n') o->no_screen = 1;
            else if (a[2] == 'i') o->idf = 1;
            else if (a[3] == 'a') o->fo.sublinear = 0;
            else o->fo.rules = 50, o->rules_flag = 1;
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
        else if (!strcmp(a, "--category")) {
            if (o->n_cat == TRAIN_MAX_OUT) bad = 1;
            else o->category[o->n_cat++] = v;
        }
        else if (!strcmp(a, "--column")) o->column = v;
        else if (!strcmp(a, "--out")) o->out = v;
        else if (!strcmp(a, "--cv-scores")) o->cv_scores = v;
        else if (!strcmp(a, "--filter")) o->filter = v;
        else if (!strcmp(a, "--rules-weight")) bad = train_parse_int(v, 1, 1000, &o->fo.rules);
        else if (!strcmp(a, "--screen-keep")) {
            char *end;
            o->screen_keep = strtod(v, &end);
            bad = *end || end == v || !(o->screen_keep >= 50 && o->screen_keep <= 100);
        }
        else if (!strcmp(a, "--rules-evidence")) {
            long e = lm_evidence_parse(v);
            if (e < 0) bad = 1;
            else o->fo.evidence = (uint32_t)e, o->fo.rules = o->fo.rules ? o->fo.rules : 50;
        }
        else if (!strcmp(a, "--class-weight")) {
            if (!strcmp(v, "none")) o->unweighted = 1;
            else if (!strcmp(v, "balanced")) o->unweighted = 0;
            else bad = 1;
        }
        else if (!strcmp(a, "--folds")) bad = train_parse_int(v, 2, 20, &k), o->folds = (int)k;
        else if (!strcmp(a, "--c")) bad = train_parse_c(v, o);
        else if (!strcmp(a, "--hash-bits")) bad = train_parse_int(v, 10, 24, &o->fo.hash_bits);
        else if (!strcmp(a, "--words")) bad = train_parse_int(v, 1, 2, &o->fo.word_max);
        else if (!strcmp(a, "--word-prefix")) {
            bad = train_parse_int(v, 0, 12, &o->fo.prefix) || (o->fo.prefix && o->fo.prefix < 3);
        }
        else if (!strcmp(a, "--char-weight")) bad = train_parse_int(v, 0, 1000, &o->fo.char_weight);
        else if (!strcmp(a, "--pos-weight")) bad = train_parse_int(v, 0, 1000, &k), o->pos_weight = (int)k;
        else if (!strcmp(a, "--solver")) {
            if (!strcmp(v, "lr")) o->solver = L2R_LR;
            else if (!strcmp(v, "svm")) o->solver = L2R_L2LOSS_SVC_DUAL;
            else if (!strcmp(v, "cs")) o->solver = MCSVM_CS;
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
    if (!o->labels || !o->articles || !o->n_cat || !o->out) {
        fprintf(stderr, "squawk train: --labels, --articles, --category and --out are required\n%s", usage);
        return 2;
    }
    return train_check_filter(o) ? 2 : train_check_categories(o);
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

/* Class values sort as numbers when both are, else as text. */
static int train_cmp_value(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    char *ex, *ey;
    long nx = strtol(x, &ex, 10), ny = strtol(y, &ey, 10);
    if (*x && *y && !*ex && !*ey) return nx < ny ? -1 : nx > ny;
    return strcmp(x, y);
}

/* Multi-class: the distinct values of the column become the classes; every
 * --category VALUE must be one. */
static int train_classes(const train_opts *o, train_set *s, char **val, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n_ids; i++) {
        size_t k = 0;
        while (k < s->n_class && strcmp(s->cls[k], val[i])) k++;
        if (k == s->n_class) {
            if (k == LM_MAX_CLASSES)
                return snprintf(err, errlen, "%s: column '%s' has more than %d classes", o->labels, o->column,
                                LM_MAX_CLASSES), SQ_E_INVAL;
            if (!(s->cls[s->n_class++] = strdup(val[i]))) return SQ_E_NOMEM;
        }
    }
    if (s->n_class < 3)
        return snprintf(err, errlen, "%s: column '%s' has %zu classes; a 0/1 column trains with --category NAME",
                        o->labels, o->column, s->n_class), SQ_E_INVAL;
    qsort(s->cls, s->n_class, sizeof *s->cls, train_cmp_value);
    for (size_t c = 0; c < o->n_cat; c++) {
        const char *v = strchr(o->category[c], '=') + 1;
        size_t k = 0;
        while (k < s->n_class && strcmp(s->cls[k], v)) k++;
        if (k == s->n_class)
            return snprintf(err, errlen, "%s: --category %s: no article of class '%s' in column '%s'", o->labels,
                            o->category[c], v, o->column), SQ_E_NOTFOUND;
        s->out_cls[c] = (uint32_t)k;
    }
    return 0;
}

/* The class index (multi-class) or 0/1 of a labels cell; -1 when bad. */
static int train_cell(const train_opts *o, const char *v)
{
    if (o->multi) return *v && strlen(v) < 64 && !strpbrk(v, " \"\\") ? 0 : -1;
    return !strcmp(v, "0") ? 0 : !strcmp(v, "1") ? 1 : -1;
}

/* Reads the labels column into s (ids sorted, label per id). */
static int train_read_labels(const train_opts *o, train_set *s, char *err, size_t errlen)
{
    FILE *f = fopen(o->labels, "r");
    if (!f) return snprintf(err, errlen, "%s: %s", o->labels, strerror(errno)), SQ_E_IO;
    char *line = NULL, *fld[64];
    size_t cap = 0, lineno = 0, ncap = 0;
    int col = -1, rc = 0;
    typedef struct { char *id, *v; } pair;
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
        if (n <= col || train_cell(o, fld[col]) < 0 || !fld[0][0]) {
            snprintf(err, errlen, "%s:%zu: want an id and %s in column '%s'", o->labels, lineno,
                     o->multi ? "a class (a short word)" : "0/1", o->column);
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
        v[s->n_ids++].v = strdup(fld[col]);
    }
    free(line);
    fclose(f);
    s->ids = calloc(s->n_ids + 1, sizeof *s->ids);
    s->label = calloc(s->n_ids + 1, sizeof *s->label);
    s->used = calloc(s->n_ids + 1, sizeof *s->used);
    char **val = calloc(s->n_ids + 1, sizeof *val);
    size_t n_rows = s->n_ids;
    if (!rc && (!s->ids || !s->label || !s->used || !val)) rc = SQ_E_NOMEM;
    for (size_t i = 0; i < s->n_ids && !rc; i++) val[i] = v[i].v;
    if (!rc && s->n_ids == 0) snprintf(err, errlen, "%s: no labelled rows", o->labels), rc = SQ_E_EMPTY;
    if (!rc && o->multi) rc = train_classes(o, s, val, err, errlen);
    for (size_t i = 0; i < s->n_ids; i++) {
        if (!rc) s->ids[i] = v[i].id;
        else free(v[i].id);
    }
    if (!rc) {
        qsort(s->ids, s->n_ids, sizeof *s->ids, train_cmp_id);
        for (size_t i = 0; i < s->n_ids; i++) {
            int y = v[i].v[0] == '1';
            if (o->multi) {
                char *const *c = bsearch(&v[i].v, s->cls, s->n_class, sizeof *s->cls, train_cmp_value);
                y = (int)(c - s->cls);
            }
            s->label[train_find(s, v[i].id)] = y;
        }
    } else s->n_ids = 0;
    for (size_t i = 0; i < n_rows; i++) free(v[i].v);
    free(val);
    free(v);
    return rc;
}

/* x as liblinear's sorted, -1 terminated nodes, the bias feature past the hashed ones. */
static struct feature_node *train_nodes(const train_set *s, const lm_vec *x)
{
    struct feature_node *f = malloc((x->n + 2) * sizeof *f);
    if (!f) return NULL;
    for (size_t i = 0; i < x->n; i++) f[i] = (struct feature_node){(int)x->f[i].idx + 1, x->f[i].val};
    f[x->n] = (struct feature_node){(int)s->n_feat + 1, 1.0};
    f[x->n + 1] = (struct feature_node){-1, 0};
    return f;
}

static int train_add(train_set *s, const lm_vec *x, const lm_vec *xt, int y)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        struct feature_node **nx = realloc(s->x, nc * sizeof *nx);
        if (!nx) return SQ_E_NOMEM;
        s->x = nx;
        double *ny = realloc(s->y, nc * sizeof *ny);
        if (!ny) return SQ_E_NOMEM;
        s->y = ny;
        if (xt) {
            struct feature_node **nt = realloc(s->xt, nc * sizeof *nt);
            if (!nt) return SQ_E_NOMEM;
            s->xt = nt;
        }
        s->cap = nc;
    }
    struct feature_node *f = train_nodes(s, x), *ft = xt ? train_nodes(s, xt) : NULL;
    if (!f || (xt && !ft)) {
        free(f);
        return SQ_E_NOMEM;
    }
    s->x[s->n] = f;
    if (xt) s->xt[s->n] = ft;
    /* binary: +1/-1; multi-class: the class index */
    s->y[s->n++] = s->n_class ? y : y ? 1 : -1;
    s->n_pos += y != 0;
    if (s->n_class) s->class_n[y]++;
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
typedef struct train_visit {
    const train_opts *o;
    const float *idf;
    lm_engine *eng;
    const proto_article *a;
    lm_vec *x;
} train_visit;

static int train_visit_fn(const struct squawk_host *h, const struct squawk_article *sa, void *arg)
{
    (void)h;
    train_visit *v = arg;
    v->eng->a = sa;
    return lm_featurize_eng(&v->o->fo, v->idf, v->a->headline, v->a->headline_len, v->a->body, v->a->body_len,
                            v->eng, v->x, NULL, 1);
}

static int train_sink_fn(void *u, char what, uint32_t field, const char *name)
{
    train_visit *v = u;
    return lm_vec_feature(&v->o->fo, v->x, what, field, name);
}

/* --filter: the text the filter reads, and its engine's evidence, which the
 * engine hands to the sink while it processes the article (rescore.c). */
static int train_filter_feats(const train_opts *o, train_set *s, const proto_article *a, lm_vec *x)
{
    train_visit v = {o, NULL, NULL, a, x};
    int rc = lm_vec_begin(x);
    if (!rc) rc = rescore_text(&o->fo, x, a->headline, a->headline_len, a->body, a->body_len);
    proto_alert **al = NULL;
    size_t n = 0;
    filter_source src = {"train", 0, 0, 0};
    rescore_set_sink(train_sink_fn, &v);
    if (!rc) rc = filter_host_process(s->host, a, &src, FILTER_HOST_ALL, &al, &n);
    rescore_set_sink(NULL, NULL);
    for (size_t i = 0; i < n; i++) proto_alert_destroy(al[i]);
    free(al);
    return rc ? rc : lm_vec_end(&o->fo, NULL, x, 1);
}

/* Sorted features of article a (through the host when the engine's evidence is wanted). */
static int train_feats(const train_opts *o, train_set *s, const proto_article *a, const float *idf, lm_vec *x)
{
    if (o->filter) return train_filter_feats(o, s, a, x);
    if (!o->fo.rules) return lm_featurize(&o->fo, idf, a->headline, a->headline_len, a->body, a->body_len, x, NULL, 1);
    train_visit v = {o, idf, &s->eng, a, x};
    return filter_host_visit(s->host, a, train_visit_fn, &v);
}

static int train_idf(const train_opts *o, train_set *s, float *idf)
{
    uint32_t *df = calloc(s->n_feat, sizeof *df);
    lm_vec x = {0};
    int rc = df ? 0 : SQ_E_NOMEM;
    for (size_t i = 0; i < s->n_text && !rc; i++) {
        const proto_article *a = &s->text[i];
        rc = train_feats(o, s, a, NULL, &x);
        for (size_t k = 0; k < x.n && !rc; k++) df[x.f[k].idx]++;
    }
    for (size_t k = 0; k < s->n_feat && !rc; k++)
        idf[k] = (float)(log((1.0 + (double)s->n_text) / (1.0 + df[k])) + 1.0);
    free(df);
    lm_vec_free(&x);
    return rc;
}

static int train_cmp_node(const void *a, const void *b)
{
    const struct feature_node *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int train_cmp_df(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b; /* (df, bucket) pairs, df descending */
    return x[0] > y[0] ? -1 : x[0] < y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Renumbers the features to the buckets in use, by document frequency (see train_set.bucket). */
static int train_compact(train_set *s)
{
    uint32_t *df = calloc(s->n_feat, sizeof *df), *to = malloc(s->n_feat * sizeof *to), *pairs = NULL;
    int rc = df && to ? 0 : SQ_E_NOMEM;
    for (size_t i = 0; i < s->n && !rc; i++)
        for (struct feature_node *f = s->x[i]; f->index != -1 && (size_t)f->index <= s->n_feat; f++)
            df[f->index - 1]++;
    size_t u = 0;
    for (size_t b = 0; b < s->n_feat && !rc; b++) u += df[b] > 0;
    if (!rc && (!(pairs = malloc(2 * (u + 1) * sizeof *pairs)) || !(s->bucket = malloc((u + 1) * sizeof *s->bucket))))
        rc = SQ_E_NOMEM;
    for (size_t b = 0, k = 0; b < s->n_feat && !rc; b++)
        if (df[b]) pairs[2 * k] = df[b], pairs[2 * k++ + 1] = (uint32_t)b;
    if (!rc) qsort(pairs, u, 2 * sizeof *pairs, train_cmp_df);
    for (size_t k = 0; k < u && !rc; k++) s->bucket[k] = pairs[2 * k + 1], to[pairs[2 * k + 1]] = (uint32_t)k + 1;
    /* an article's text-only buckets are among its own (all) buckets, so every one is mapped */
    for (size_t i = 0; i < 2 * s->n && !rc; i++) {
        struct feature_node *x = i < s->n ? s->x[i] : s->xt ? s->xt[i - s->n] : NULL;
        size_t n = 0;
        for (struct feature_node *f = x; f && f->index != -1; f++, n++)
            f->index = (size_t)f->index <= s->n_feat ? (int)to[f->index - 1] : (int)u + 1;
        if (x) qsort(x, n, sizeof *x, train_cmp_node);
    }
    s->n_used = u;
    free(df);
    free(to);
    free(pairs);
    return rc;
}

static int train_featurize(const train_opts *o, train_set *s, const float *idf, char *err, size_t errlen)
{
    lm_vec x = {0}, xt = {0};
    lm_opts text = o->fo;
    text.rules = 0; /* the blocks are normalised apart: the text block is the same without the engine's */
    int rc = 0;
    for (size_t i = 0; i < s->n_text && !rc; i++) {
        const proto_article *a = &s->text[i];
        rc = train_feats(o, s, a, idf, &x);
        int screen = o->fo.rules && !o->filter; /* a filter's rescoring runs where the rules fired: no screen */
        if (!rc && screen)
            rc = lm_featurize(&text, idf, a->headline, a->headline_len, a->body, a->body_len, &xt, NULL, 1);
        if (!rc) rc = train_add(s, &x, screen ? &xt : NULL, s->text_y[i]);
    }
    lm_vec_free(&x);
    lm_vec_free(&xt);
    if (!rc) rc = train_compact(s);
    for (size_t c = 0; c < o->n_cat; c++) s->out_pos[c] = s->n_class ? s->class_n[s->out_cls[c]] : s->n_pos;
    for (size_t k = 0; k < s->n_class && !rc; k++)
        if (!s->class_n[k])
            snprintf(err, errlen, "%s: class '%s' of column '%s' has no article", o->articles, s->cls[k],
                     o->column), rc = SQ_E_EMPTY;
    if (rc && !err[0]) snprintf(err, errlen, "%s: %s", o->articles, sq_strerror(rc));
    else if (!rc && !s->n_class && (s->n_pos == 0 || s->n_pos == s->n))
        snprintf(err, errlen, "%s: %zu labelled articles, %zu positive: need both classes", o->articles,
                 s->n, s->n_pos), rc = SQ_E_EMPTY;
    return rc;
}

/* Weights of liblinear's model per feature: one (binary) or one per class it saw. */
static int train_nw(const struct model *m)
{
    return m->nr_class == 2 && m->param.solver_type != MCSVM_CS ? 1 : m->nr_class;
}

/* Class scores of x under a liblinear model, in our class order (binary: one
 * score, positive for the category, whatever order liblinear gave the labels). */
static void train_scores(const train_set *s, const struct model *m, const struct feature_node *x, double *out)
{
    int nw = train_nw(m);
    double acc[LM_MAX_CLASSES] = {0};
    for (; x->index != -1; x++) {
        if (x->index > m->nr_feature + 1) continue;
        const double *w = m->w + (size_t)(x->index - 1) * (size_t)nw;
        for (int j = 0; j < nw; j++) acc[j] += w[j] * x->value;
    }
    if (!s->n_class) {
        out[0] = m->label[0] == 1 ? acc[0] : -acc[0];
        return;
    }
    for (size_t k = 0; k < s->n_class; k++) out[k] = -1e30; /* a class this fold never saw */
    if (nw == 1) {
        out[m->label[0]] = acc[0];
        out[m->label[1]] = -acc[0];
    } else
        for (int j = 0; j < nw; j++) out[m->label[j]] = acc[j];
}

/* Output c's margin from class scores: binary the score, multi-class its
 * class's score minus the best other class's (the filter computes the same). */
static double train_out_margin(const train_set *s, size_t c, const double *sc)
{
    if (!s->n_class) return sc[0];
    double best = -1e300;
    for (size_t k = 0; k < s->n_class; k++)
        if (k != s->out_cls[c] && sc[k] > best) best = sc[k];
    return sc[s->out_cls[c]] - best;
}

static int train_is_pos(const train_set *s, size_t c, size_t i)
{
    return s->n_class ? s->y[i] == (double)s->out_cls[c] : s->y[i] > 0;
}

static struct model *train_fit(const train_set *s, const int *rows, size_t n, const train_opts *o, double c)
{
    struct feature_node **x = malloc(n * sizeof *x);
    double *y = malloc(n * sizeof *y);
    struct model *m = NULL;
    size_t cnt[LM_MAX_CLASSES] = {0}, pos = 0;
    for (size_t i = 0; x && y && i < n; i++) {
        x[i] = s->x[rows[i]];
        y[i] = s->y[rows[i]];
        pos += y[i] > 0;
        if (s->n_class) cnt[(size_t)y[i]]++;
    }
    int wl[LM_MAX_CLASSES];
    double wv[LM_MAX_CLASSES];
    int nr = 2;
    if (s->n_class) { /* 'balanced' as scikit-learn has it: n / (classes x n_k) */
        nr = (int)s->n_class;
        for (int k = 0; k < nr; k++)
            wl[k] = k, wv[k] = cnt[k] && !o->unweighted ? (double)n / ((double)nr * (double)cnt[k]) : 1;
    } else { /* class weights balance the rare category against the rest */
        double bal = pos ? (double)(n - pos) / (double)pos : 1;
        wl[0] = 1, wl[1] = -1;
        wv[0] = o->pos_weight ? 1 + (bal - 1) * o->pos_weight / 100.0 : bal, wv[1] = 1.0;
    }
    if (x && y && (s->n_class || (pos && pos < n))) {
        struct problem p = {(int)n, (int)s->n_used + 1, y, x, 1.0};
        struct parameter par = {.solver_type = o->solver, .eps = o->solver == L2R_LR ? 0.01 : 0.1, .C = c,
                                .nr_weight = nr, .weight_label = wl, .weight = wv};
        m = train(&p, &par);
    }
    free(x);
    free(y);
    return m;
}

typedef struct train_cv {
    double f1, p, r, margin; /* best F1 and the margin threshold that gives it */
} train_cv;

/* One C's cross-validation: every output's best cut. */
typedef struct train_sel {
    double c, f1; /* mean F1 over the outputs */
    train_cv out[TRAIN_MAX_OUT];
} train_sel;

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

/* (out-of-fold margin of output c, +1/-1) for every article. */
static void train_pairs(const train_set *s, size_t c, const double *oof, double *pairs)
{
    size_t K = s->n_class ? s->n_class : 1;
    for (size_t i = 0; i < s->n; i++) {
        pairs[2 * i] = train_out_margin(s, c, oof + i * K);
        pairs[2 * i + 1] = train_is_pos(s, c, i) ? 1 : -1;
    }
}

/* Doubles of the out-of-fold scores: n x classes, twice with the text-only block. */
static size_t train_oof_len(const train_set *s)
{
    return s->n * (s->n_class ? s->n_class : 1) * (s->xt ? 2 : 1);
}

/* K-fold CV at one C: out-of-fold class scores into oof (n x classes; then as
 * many of the text block alone when s->xt), every output's best cut into sel. */
static int train_cv_run(const train_set *s, const int *fold, const train_opts *o, double c, double *oof,
                        train_sel *sel)
{
    size_t K = s->n_class ? s->n_class : 1;
    int *rows = malloc(s->n * sizeof *rows);
    double *pairs = malloc(2 * s->n * sizeof *pairs);
    int rc = rows && pairs ? 0 : SQ_E_NOMEM;
    for (int f = 0; f < o->folds && !rc; f++) {
        size_t n = 0;
        for (size_t i = 0; i < s->n; i++)
            if (fold[i] != f) rows[n++] = (int)i;
        struct model *m = train_fit(s, rows, n, o, c);
        if (!m) {
            rc = SQ_E_INVAL;
            break;
        }
        for (size_t i = 0; i < s->n; i++)
            if (fold[i] == f) {
                train_scores(s, m, s->x[i], oof + i * K);
                if (s->xt) train_scores(s, m, s->xt[i], oof + (s->n + i) * K);
            }
        free_and_destroy_model(&m);
    }
    sel->c = c;
    sel->f1 = 0;
    for (size_t k = 0; k < o->n_cat && !rc; k++) {
        train_pairs(s, k, oof, pairs);
        train_best_cut(pairs, s->n, s->out_pos[k], &sel->out[k]);
        sel->f1 += sel->out[k].f1 / (double)o->n_cat;
    }
    free(rows);
    free(pairs);
    return rc;
}

/* The text of an article as a duplicate would repeat it: headline and body,
 * words lower-cased, URLs and punctuation dropped (a re-posted headline
 * differs only in its link). */
static int train_word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (unsigned)((c | 0x20) - 'a') < 26u || c >= 0x80;
}

static int train_is_url(const char *t, size_t n)
{
    return (n >= 7 && !strncasecmp(t, "http://", 7)) || (n >= 8 && !strncasecmp(t, "https://", 8));
}

static uint64_t train_text_key(const proto_article *a)
{
    uint64_t h = 1469598103934665603ull;
    for (int f = 0; f < 2; f++) {
        const char *t = f ? a->body : a->headline;
        size_t n = t ? (f ? a->body_len : a->headline_len) : 0;
        int gap = 0; /* a word ended: one separator before the next */
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)t[i];
            if (train_is_url(t + i, n - i)) {
                while (i + 1 < n && t[i + 1] != ' ' && t[i + 1] != '\n' && t[i + 1] != '\t') i++;
                continue;
            }
            if (!train_word_byte(c)) {
                gap = 1;
                continue;
            }
            if (gap) h = (h ^ ' ') * 1099511628211ull, gap = 0;
            h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 1099511628211ull;
        }
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

/* --group-duplicates: the fold of each article's text key, the first
 * article's; an open-addressing table over the n keys. */
static int train_group_folds(const train_set *s, const size_t *perm, int *fold, size_t *n_groups)
{
    size_t cap = 1;
    while (cap < 2 * s->n) cap <<= 1;
    uint64_t *key = calloc(cap, sizeof *key);
    int *kf = malloc(cap * sizeof *kf);
    if (!key || !kf) {
        free(key);
        free(kf);
        return SQ_E_NOMEM;
    }
    for (size_t i = 0; i < s->n; i++) {
        size_t a = perm[i];
        uint64_t k = train_text_key(&s->text[a]) | 1; /* 0 marks an empty slot */
        size_t j = (size_t)(k ^ (k >> 29)) & (cap - 1);
        while (key[j] && key[j] != k) j = (j + 1) & (cap - 1);
        if (!key[j]) key[j] = k, kf[j] = fold[a], ++*n_groups;
        fold[a] = kf[j];
    }
    free(key);
    free(kf);
    return 0;
}

/* Folds stratified by class, shuffled with a fixed seed so training is
 * repeatable; with o->group, repeated texts share the fold of their first. */
static int *train_folds(const train_opts *o, const train_set *s, size_t *n_groups)
{
    int k = o->folds;
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
    size_t cnt[LM_MAX_CLASSES + 1] = {0};
    for (size_t i = 0; i < s->n; i++) {
        size_t a = perm[i], cls = s->n_class ? (size_t)s->y[a] : s->y[a] > 0;
        fold[a] = (int)(cnt[cls]++ % (size_t)k);
    }
    *n_groups = s->n;
    if (o->group && (*n_groups = 0, train_group_folds(s, perm, fold, n_groups))) {
        free(fold);
        fold = NULL;
    }
    free(perm);
    return fold;
}

/* Platt scaling fitted by liblinear itself: a one-feature logistic regression
 * of the label on output c's out-of-fold margin (nearly unregularised). */
static int train_calibrate(const train_set *s, size_t c, const double *oof, double *a, double *b)
{
    struct feature_node *nodes = malloc(3 * s->n * sizeof *nodes);
    struct feature_node **x = malloc(s->n * sizeof *x);
    double *pairs = malloc(2 * s->n * sizeof *pairs), *y = malloc(s->n * sizeof *y);
    int rc = nodes && x && pairs && y ? 0 : SQ_E_NOMEM;
    if (!rc) train_pairs(s, c, oof, pairs);
    for (size_t i = 0; i < s->n && !rc; i++) {
        nodes[3 * i] = (struct feature_node){1, pairs[2 * i]};
        nodes[3 * i + 1] = (struct feature_node){2, 1.0};
        nodes[3 * i + 2] = (struct feature_node){-1, 0};
        x[i] = &nodes[3 * i];
        y[i] = pairs[2 * i + 1];
    }
    if (!rc) {
        struct problem p = {(int)s->n, 2, y, x, 1.0};
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
    free(pairs);
    free(y);
    return rc;
}

/* --cv-scores: each article's out-of-fold class scores (binary: its one margin). */
static int train_write_cv(const train_opts *o, const train_set *s, const double *oof, char *err, size_t errlen)
{
    FILE *f = fopen(o->cv_scores, "w");
    if (!f) return snprintf(err, errlen, "%s: %s", o->cv_scores, strerror(errno)), SQ_E_IO;
    size_t K = s->n_class ? s->n_class : 1;
    fprintf(f, "id\tclass");
    for (size_t k = 0; k < K; k++) fprintf(f, "\t%s", s->n_class ? s->cls[k] : "margin");
    fputc('\n', f);
    for (size_t i = 0; i < s->n; i++) {
        if (s->n_class) fprintf(f, "%s\t%s", s->text[i].id, s->cls[(size_t)s->y[i]]);
        else fprintf(f, "%s\t%d", s->text[i].id, s->y[i] > 0);
        for (size_t k = 0; k < K; k++) fprintf(f, "\t%.6g", oof[i * K + k]);
        fputc('\n', f);
    }
    if (fclose(f)) return snprintf(err, errlen, "%s: %s", o->cv_scores, strerror(errno)), SQ_E_IO;
    return 0;
}

static void train_set_free(train_set *s)
{
    for (size_t i = 0; i < s->n_ids; i++) free(s->ids[i]);
    for (size_t i = 0; i < s->n; i++) free(s->x[i]);
    for (size_t i = 0; s->xt && i < s->n; i++) free(s->xt[i]);
    free(s->xt);
    for (size_t i = 0; i < s->n_text; i++) proto_article_free(&s->text[i]);
    for (size_t k = 0; k < s->n_class; k++) free(s->cls[k]);
    free(s->text);
    free(s->text_y);
    free(s->bucket);
    filter_host_destroy(s->host);
    free(s->ids);
    free(s->label);
    free(s->used);
    free(s->x);
    free(s->y);
}

static const char *train_name(const train_opts *o, size_t c, char *buf)
{
    size_t n = strcspn(o->category[c], "=");
    memcpy(buf, o->category[c], n);
    buf[n] = '\0';
    return buf;
}

/* CV F1 within this of the best is a tie: one article more or less right among a few hundred
 * positives moves F1 by more. A tie goes to the largest C tried, so that retraining after a change
 * that leaves CV as it was keeps its C (ties had flipped invest.lm from C=16 to 4 on .0001). */
#define TRAIN_C_TIE 0.001

/* CV over every C; the chosen C's (the best, ties to the largest) out-of-fold scores are left in oof. */
static int train_select(const train_opts *o, const train_set *s, double *oof, train_sel *best)
{
    size_t n_groups = 0, len = train_oof_len(s);
    int *fold = train_folds(o, s, &n_groups);
    double *tmp = malloc(len * o->n_c * sizeof *tmp); /* each C's out-of-fold scores */
    train_sel *sel = calloc(o->n_c, sizeof *sel);
    int rc = fold && tmp && sel ? 0 : SQ_E_NOMEM;
    if (!rc && o->group && !o->quiet)
        printf("cv: %zu articles, %zu distinct texts (links and punctuation aside): repeats share a fold\n", s->n,
               n_groups);
    char name[64];
    double top = -1;
    for (size_t i = 0; i < o->n_c && !rc; i++) {
        rc = train_cv_run(s, fold, o, o->c[i], tmp + i * len, &sel[i]);
        if (rc) break;
        for (size_t k = 0; k < o->n_cat && !o->quiet; k++)
            printf("cv C=%-6g %-12s P=%.4f R=%.4f F1=%.4f\n", sel[i].c, train_name(o, k, name), sel[i].out[k].p,
                   sel[i].out[k].r, sel[i].out[k].f1);
        fflush(stdout); /* progress, also when stdout is a file */
        if (sel[i].f1 > top) top = sel[i].f1;
    }
    size_t pick = 0;
    for (size_t i = 0; i < o->n_c && !rc; i++)
        if (sel[i].f1 >= top - TRAIN_C_TIE && (sel[pick].f1 < top - TRAIN_C_TIE || sel[i].c > sel[pick].c)) pick = i;
    if (!rc) {
        *best = sel[pick];
        memcpy(oof, tmp + pick * len, len * sizeof *oof);
    }
    free(fold);
    free(tmp);
    free(sel);
    return rc;
}

static int train_cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Out-of-fold F1 of output c when only articles whose text margins pass the screens may alert. */
static double train_screened_f1(const train_opts *o, const train_set *s, size_t c, const train_sel *sel,
                                const double *oof, const double *screen)
{
    size_t K = s->n_class ? s->n_class : 1, tp = 0, fp = 0, fn = 0;
    const double *text = oof + s->n * K;
    for (size_t i = 0; i < s->n; i++) {
        int pass = 0;
        for (size_t k = 0; k < o->n_cat; k++) pass |= train_out_margin(s, k, text + i * K) >= screen[k];
        int alert = pass && train_out_margin(s, c, oof + i * K) > sel->out[c].margin, pos = train_is_pos(s, c, i);
        tp += alert && pos, fp += alert && !pos, fn += !alert && pos;
    }
    return tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0;
}

/* The screens (lm_model.screen) from the best C's out-of-fold scores: output
 * c's is the text margin that keeps o->screen_keep percent of the articles CV
 * alerted for c, and at most c's cut. Prints what they pass and the CV F1
 * they leave. */
static int train_screen(const train_opts *o, const train_set *s, const train_sel *sel, const double *oof,
                        lm_model *m)
{
    size_t K = s->n_class ? s->n_class : 1, pass = 0;
    const double *text = oof + s->n * K;
    double *v = malloc(s->n * sizeof *v);
    if (!v) return SQ_E_NOMEM;
    for (size_t c = 0; c < o->n_cat; c++) {
        size_t n = 0;
        for (size_t i = 0; i < s->n; i++)
            if (train_out_margin(s, c, oof + i * K) > sel->out[c].margin) v[n++] = train_out_margin(s, c, text + i * K);
        qsort(v, n, sizeof *v, train_cmp_dbl);
        m->screen[c] = sel->out[c].margin;
        if (n) m->screen[c] = fmin(m->screen[c], v[(size_t)((double)n * (100.0 - o->screen_keep) / 100.0)]);
    }
    m->n_screen = o->n_cat;
    free(v);
    for (size_t i = 0; i < s->n; i++) {
        int any = 0;
        for (size_t c = 0; c < o->n_cat; c++) any |= train_out_margin(s, c, text + i * K) >= m->screen[c];
        pass += any;
    }
    char name[64];
    if (o->quiet) return 0;
    printf("screen: keeps %g%% of the CV alerts; the engine's evidence is computed for %zu of %zu articles (%.1f%%)",
           o->screen_keep, pass, s->n, 100.0 * (double)pass / (double)s->n);
    for (size_t c = 0; c < o->n_cat; c++)
        printf("; %s text margin >= %.4f, CV F1 %.4f", train_name(o, c, name), m->screen[c],
               train_screened_f1(o, s, c, sel, oof, m->screen));
    printf("\n");
    return 0;
}

/* liblinear's weights (the bias row last) into the model's bucket-major rows, in our class order. */
static void train_copy_weights(const train_set *s, const struct model *lm, lm_model *m)
{
    size_t K = m->n_class;
    int nw = train_nw(lm);
    for (size_t c = 0; c <= s->n_used; c++) {
        const double *w = lm->w + c * (size_t)nw;
        size_t r = c < s->n_used ? s->bucket[c] : s->n_feat; /* the bias row last */
        if (!s->n_class) m->w[r] = (float)(lm->label[0] == 1 ? w[0] : -w[0]);
        else if (nw == 1) {
            m->w[r * K + (size_t)lm->label[0]] = (float)w[0];
            m->w[r * K + (size_t)lm->label[1]] = (float)-w[0];
        } else
            for (int j = 0; j < nw; j++) m->w[r * K + (size_t)lm->label[j]] = (float)w[j];
    }
}

static void train_summary(const train_opts *o, const train_set *s, const train_sel *sel, lm_model *m)
{
    /* SOURCE_DATE_EPOCH (reproducible-builds.org): `make models` sets it, so a model trained
     * again from the same inputs is the same file byte for byte */
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long epoch = sde && *sde ? strtoll(sde, &end, 10) : -1;
    time_t now = epoch >= 0 && end && !*end ? (time_t)epoch : time(NULL);
    char when[32], name[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    const char *sv = o->solver == L2R_LR ? "lr" : o->solver == MCSVM_CS ? "cs" : "svm";
    size_t n = (size_t)snprintf(m->summary, sizeof m->summary, "trained %s on %zu articles, %zu classes, solver=%s",
                                when, s->n, s->n_class ? s->n_class : 2, sv);
    for (size_t k = 0; k < o->n_cat && n < sizeof m->summary; k++)
        n += (size_t)snprintf(m->summary + n, sizeof m->summary - n, "; %s (%zu positive) %d-fold CV P=%.4f R=%.4f F1=%.4f",
                              train_name(o, k, name), s->out_pos[k], o->folds, sel->out[k].p, sel->out[k].r,
                              sel->out[k].f1);
}

static int train_build(const train_opts *o, const train_set *s, const train_sel *sel, const double *cal,
                       const double *oof, float **idf, lm_model **out)
{
    int *rows = malloc(s->n * sizeof *rows);
    if (!rows) return SQ_E_NOMEM;
    for (size_t i = 0; i < s->n; i++) rows[i] = (int)i;
    struct model *lm = train_fit(s, rows, s->n, o, sel->c);
    free(rows);
    lm_model *m = lm ? lm_create(&o->fo, s->n_class ? (uint32_t)s->n_class : 1) : NULL;
    if (!m) {
        if (lm) free_and_destroy_model(&lm);
        return lm ? SQ_E_NOMEM : SQ_E_INVAL;
    }
    train_copy_weights(s, lm, m);
    free_and_destroy_model(&lm);
    m->idf = *idf; /* the model owns it now */
    *idf = NULL;
    snprintf(m->column, sizeof m->column, "%s", o->column);
    m->n_out = o->n_cat;
    for (size_t k = 0; k < o->n_cat; k++) {
        lm_out *u = &m->out[k];
        train_name(o, k, u->category);
        u->cls = s->out_cls[k];
        u->cal_a = cal[2 * k];
        u->cal_b = cal[2 * k + 1];
        u->threshold = 1.0 / (1.0 + exp(-(u->cal_a * sel->out[k].margin + u->cal_b)));
    }
    m->c = sel->c;
    train_summary(o, s, sel, m);
    if (s->xt && !o->no_screen && train_screen(o, s, sel, oof, m)) {
        lm_destroy(m);
        return SQ_E_NOMEM;
    }
    *out = m;
    return 0;
}

/* --filter: the built-in alone, with its shipped settings but no model (the evidence is the rules'). */
static int train_filter_host(const train_opts *o, train_set *s, char *err, size_t errlen)
{
    char set[128];
    snprintf(set, sizeof set, "%s.model=", o->filter);
    const char *filters[1] = {o->filter}, *sets[1] = {set};
    filter_host_overrides ov = {.filters = filters, .n_filters = 1, .sets = sets, .n_sets = 1};
    return filter_host_from_config(&s->host, NULL, &ov, err, errlen);
}

/* The fingerprint of the token-pattern rules the model's evidence comes
 * from: the evidence packs, or with --filter that filter's own pack. */
static void train_fingerprint(const train_opts *o, train_set *s, lm_model *m)
{
    if (!m->o.rules || !s->host) return;
    const struct squawk_host *h = filter_host_services(s->host);
    struct squawk_tpack *tp = NULL;
    char err[256];
    if (!o->filter) m->rules_fp = lm_rules_fingerprint(h, s->eng.tpacks, LM_ENGINE_PACKS);
    else if (h->tpack_open(h, o->filter, &tp, err, sizeof err) == 0) m->rules_fp = lm_rules_fingerprint(h, &tp, 1);
}

/* Reads, featurises and checks the training data. */
static int train_load(const train_opts *o, train_set *s, size_t *n_bad, float **idf, char *err, size_t errlen)
{
    int rc = train_read_labels(o, s, err, errlen);
    if (!rc) rc = train_read_articles(o, s, n_bad, err, errlen);
    if (!rc && o->filter) rc = train_filter_host(o, s, err, errlen);
    else if (!rc && o->fo.rules && (rc = filter_host_create(&s->host, NULL, err, errlen)) == 0)
        rc = lm_engine_open_evidence(&s->eng, filter_host_services(s->host), o->fo.evidence, err, errlen);
    if (!rc && o->idf && !(*idf = malloc(s->n_feat * sizeof **idf))) rc = SQ_E_NOMEM;
    if (!rc && *idf) rc = train_idf(o, s, *idf);
    if (!rc) rc = train_featurize(o, s, *idf, err, errlen);
    char name[64];
    for (size_t k = 0; k < o->n_cat && !rc; k++)
        if (s->out_pos[k] < (size_t)o->folds)
            snprintf(err, errlen, "%s: %zu positive articles: need at least one per fold (%d)",
                     train_name(o, k, name), s->out_pos[k], o->folds), rc = SQ_E_EMPTY;
    return rc;
}

int cmd_train(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    train_opts o = {.folds = 5, .solver = L2R_L2LOSS_SVC_DUAL, .screen_keep = 100,
                    .c = {0.5, 1, 2, 4}, .n_c = 4,
                    .fo = {.hash_bits = 20, .word_max = 2, .char_min = 2, .char_max = 5, .char_weight = 50, .sublinear = 1,
                           .evidence = LM_EV_LEGACY}};
    int rc = train_parse_args(argc, argv, &o);
    if (rc) return rc;
    set_print_string_function(train_quiet);
    int64_t t0 = sq_clock_mono_ns();
    char err[1024] = "", name[64];
    train_set s = {.n_feat = (size_t)1 << o.fo.hash_bits};
    size_t n_bad = 0;
    float *idf = NULL;
    rc = train_load(&o, &s, &n_bad, &idf, err, sizeof err);
    double *oof = rc ? NULL : malloc(train_oof_len(&s) * sizeof *oof), cal[2 * TRAIN_MAX_OUT];
    if (!rc && !oof) rc = SQ_E_NOMEM;
    train_sel sel = {0};
    lm_model *m = NULL;
    if (!rc && (rc = train_select(&o, &s, oof, &sel)) != 0) snprintf(err, sizeof err, "cross-validation failed");
    if (!rc && o.cv_scores) rc = train_write_cv(&o, &s, oof, err, sizeof err);
    for (size_t k = 0; k < o.n_cat && !rc; k++)
        if ((rc = train_calibrate(&s, k, oof, &cal[2 * k], &cal[2 * k + 1])) != 0)
            snprintf(err, sizeof err, "%s: calibration failed: the CV margins do not separate the classes",
                     train_name(&o, k, name));
    if (!rc && (rc = train_build(&o, &s, &sel, cal, oof, &idf, &m)) != 0) snprintf(err, sizeof err, "training failed");
    if (!rc) train_fingerprint(&o, &s, m);
    if (!rc) rc = lm_save(m, o.out, err, sizeof err);
    for (size_t k = 0; k < o.n_cat && !rc; k++)
        printf("train: %s -> %s: %zu articles (%zu positive, %zu unreadable lines), C=%g, threshold p>=%.3f, "
               "%d-fold CV P=%.4f R=%.4f F1=%.4f, %.1f s\n",
               m->out[k].category, o.out, s.n, s.out_pos[k], n_bad, sel.c, m->out[k].threshold, o.folds,
               sel.out[k].p, sel.out[k].r, sel.out[k].f1, (double)(sq_clock_mono_ns() - t0) / 1e9);
    if (rc) fprintf(stderr, "squawk train: %s\n", err[0] ? err : sq_strerror(rc));
    lm_destroy(m);
    free(idf);
    free(oof);
    train_set_free(&s);
    return rc ? 1 : 0;
}
