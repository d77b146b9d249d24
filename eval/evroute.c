/* evroute.c -- routing quality for squawk eval: the tickers alerts reach against labelled parties. */
#include "evroute.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "core/error.h"

#define EVR_MAX_CATS 8
#define EVR_MAX_SENT 32

/* Why a labelled party was not sent, and why a sent ticker was wrong: counts a check split
 * may print (they name no article) and that say whether recognition, roles or the category
 * decision lost the pair. */
enum { EVR_FN_NO_ALERT, EVR_FN_NOT_FOUND, EVR_FN_NOT_ROUTED, EVR_FN_WHYS };
enum { EVR_FP_NEGATIVE, EVR_FP_NOT_PARTY, EVR_FP_WHYS };
static const char *const evr_fn_names[EVR_FN_WHYS] = {"no alert", "not found", "not routed"};
static const char *const evr_fp_names[EVR_FP_WHYS] = {"article not a positive", "not a party"};
static const char *const evr_fn_keys[EVR_FN_WHYS] = {"no_alert", "not_found", "not_routed"};
static const char *const evr_fp_keys[EVR_FP_WHYS] = {"negative_article", "not_a_party"};

typedef struct evr_row {
    char *id;
    char *cell[EVR_MAX_CATS]; /* the parties cell as written; NULL: no column */
    uint32_t cnt[EVR_MAX_CATS][3]; /* this article's tp, fp, fn pairs, for the F1 interval */
    unsigned char seen[EVR_MAX_CATS];
} evr_row;

typedef struct evr_err {
    int wrong; /* 1: sent but not a party; 0: a party not sent; 2: a party sent in another role */
    char *line;
} evr_err;

typedef struct evr_cat {
    char name[64];
    int col; /* column index in the TSV; -1 none */
    long tp, fp, fn, articles;
    long role_ok; /* of tp: squawk's role is the labelled one */
    long fn_why[EVR_FN_WHYS], fp_why[EVR_FP_WHYS]; /* the errors by cause, for a summary line */
    evr_err *errs;
    size_t n_errs, cap_errs;
} evr_cat;

struct evroute {
    evr_row *rows;
    size_t n_rows, cap_rows;
    evr_cat cats[EVR_MAX_CATS];
    size_t n_cats;
};

static void evr_chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
}

/* Splits a TSV line in place; empty cells are kept. */
static size_t evr_split(char *line, char **out, size_t max)
{
    size_t n = 0;
    for (char *p = line; n < max;) {
        out[n++] = p;
        char *t = strchr(p, '\t');
        if (!t) break;
        *t = '\0';
        p = t + 1;
    }
    return n;
}

static int evr_header(evroute *r, char *line, const char *path, char *err, size_t errlen)
{
    char *f[32];
    size_t n = evr_split(line, f, 32);
    if (strcmp(f[0], "id") != 0) {
        snprintf(err, errlen, "%s:1: header must start with 'id'", path);
        return SQ_E_INVAL;
    }
    int any = 0;
    for (size_t c = 0; c < r->n_cats; c++) {
        char want[80];
        snprintf(want, sizeof want, "%s_parties", r->cats[c].name);
        for (size_t i = 1; i < n; i++)
            if (strcmp(f[i], want) == 0) r->cats[c].col = (int)i, any = 1;
    }
    if (!any) {
        snprintf(err, errlen, "%s:1: no <category>_parties column for the labelled categories", path);
        return SQ_E_INVAL;
    }
    return 0;
}

static int evr_row_add(evroute *r, char *line)
{
    char *f[32];
    size_t n = evr_split(line, f, 32);
    if (!f[0][0]) return 0;
    if (r->n_rows == r->cap_rows) {
        size_t nc = r->cap_rows ? r->cap_rows * 2 : 1024;
        evr_row *nr = realloc(r->rows, nc * sizeof *nr);
        if (!nr) return SQ_E_NOMEM;
        r->rows = nr;
        r->cap_rows = nc;
    }
    evr_row *row = &r->rows[r->n_rows++];
    memset(row, 0, sizeof *row);
    if (!(row->id = strdup(f[0]))) return SQ_E_NOMEM;
    for (size_t c = 0; c < r->n_cats; c++) {
        int col = r->cats[c].col;
        if (col < 0) continue;
        if (!(row->cell[c] = strdup((size_t)col < n ? f[col] : ""))) return SQ_E_NOMEM;
    }
    return 0;
}

static int evr_row_cmp(const void *a, const void *b)
{
    return strcmp(((const evr_row *)a)->id, ((const evr_row *)b)->id);
}

int evroute_open(evroute **out, const char *path, const char *const *cats, size_t n_cats,
                 char *err, size_t errlen)
{
    *out = NULL;
    evroute *r = calloc(1, sizeof *r);
    if (!r) return SQ_E_NOMEM;
    for (size_t c = 0; c < n_cats && c < EVR_MAX_CATS; c++) {
        snprintf(r->cats[c].name, sizeof r->cats[c].name, "%s", cats[c]);
        r->cats[c].col = -1;
        r->n_cats++;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        evroute_destroy(r);
        return SQ_E_IO;
    }
    char *line = NULL;
    size_t cap = 0;
    int rc = 0, lineno = 0;
    while (!rc && getline(&line, &cap, f) >= 0) {
        evr_chomp(line);
        rc = ++lineno == 1 ? evr_header(r, line, path, err, errlen) : evr_row_add(r, line);
    }
    if (!rc && lineno == 0) {
        snprintf(err, errlen, "%s: empty", path);
        rc = SQ_E_INVAL;
    }
    free(line);
    fclose(f);
    if (rc) {
        evroute_destroy(r);
        return rc;
    }
    if (r->n_rows > 1) qsort(r->rows, r->n_rows, sizeof *r->rows, evr_row_cmp); /* none: rows is NULL */
    *out = r;
    return 0;
}

void evroute_destroy(evroute *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_rows; i++) {
        free(r->rows[i].id);
        for (size_t c = 0; c < EVR_MAX_CATS; c++) free(r->rows[i].cell[c]);
    }
    free(r->rows);
    for (size_t c = 0; c < r->n_cats; c++) {
        for (size_t i = 0; i < r->cats[c].n_errs; i++) free(r->cats[c].errs[i].line);
        free(r->cats[c].errs);
    }
    free(r);
}

typedef struct evr_entry {
    const char *ticker, *role;
    int tlen, rlen;
} evr_entry;

/* The next "Name=TICKER:role" entry of a cell at *p (entries split by ';');
 * the name may itself hold '=' or ':', so the last of each counts. Returns 0
 * at the end; entries without both marks are skipped. */
static int evr_next(const char **p, evr_entry *e)
{
    while (*p && **p) {
        const char *s = *p, *end = strchr(s, ';');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        *p = end ? end + 1 : NULL;
        while (*p && **p == ' ') (*p)++;
        const char *eq = NULL, *colon = NULL;
        for (const char *q = s; q < s + len; q++) {
            if (*q == '=') eq = q;
            if (*q == ':') colon = q;
        }
        if (!eq || colon <= eq + 1) continue;
        *e = (evr_entry){eq + 1, colon + 1, (int)(colon - eq - 1), (int)(s + len - colon - 1)};
        return 1;
    }
    return 0;
}

/* 1 when ticker is a party in cell, its role copied out. */
static int evr_party(const char *cell, const char *ticker, char *role, size_t rlen)
{
    evr_entry e;
    for (const char *p = cell; evr_next(&p, &e);)
        if ((size_t)e.tlen == strlen(ticker) && !strncmp(e.ticker, ticker, (size_t)e.tlen)) {
            snprintf(role, rlen, "%.*s", e.rlen, e.role);
            return 1;
        }
    return 0;
}

static void evr_err_add(evr_cat *k, int wrong, const char *fmt, const char *id, const char *tick,
                        const char *role, double rel, const char *headline)
{
    if (k->n_errs == k->cap_errs) {
        size_t nc = k->cap_errs ? k->cap_errs * 2 : 64;
        evr_err *ne = realloc(k->errs, nc * sizeof *ne);
        if (!ne) return;
        k->errs = ne;
        k->cap_errs = nc;
    }
    char buf[512];
    snprintf(buf, sizeof buf, fmt, id, tick, role, rel, headline ? headline : "");
    evr_err *e = &k->errs[k->n_errs];
    if ((e->line = strdup(buf))) {
        e->wrong = wrong;
        k->n_errs++;
    }
}

/* The entity of the passed alerts that put ticker on a topic, for the error lines. */
static const proto_entity *evr_entity(const proto_alert *const *passed, size_t n, const char *t)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < passed[i]->n_entities; j++)
            if (passed[i]->entities[j].ticker && !strcmp(passed[i]->entities[j].ticker, t))
                return &passed[i]->entities[j];
    return NULL;
}

/* Expected tickers are counted once each; "-" (unlisted) never. */
static void evr_missed(evr_cat *k, const char *id, const char *cell, const char **sent,
                       size_t n_sent, const proto_alert *const *passed, size_t n,
                       const char *headline)
{
    evr_entry e;
    for (const char *p = cell; evr_next(&p, &e);) {
        if (e.tlen == 1 && e.ticker[0] == '-') continue;
        char t[64], role[32];
        snprintf(t, sizeof t, "%.*s", e.tlen, e.ticker);
        snprintf(role, sizeof role, "%.*s", e.rlen, e.role);
        size_t j = 0;
        while (j < n_sent && strcmp(sent[j], t) != 0) j++;
        if (j < n_sent) continue;
        k->fn++;
        const proto_entity *pe = evr_entity(passed, n, t);
        k->fn_why[!n ? EVR_FN_NO_ALERT : pe ? EVR_FN_NOT_ROUTED : EVR_FN_NOT_FOUND]++;
        char got[64];
        snprintf(got, sizeof got, "%s, squawk: %s", role,
                 !n ? "no alert" : pe ? pe->role : "not found");
        evr_err_add(k, 0, "missed %-22s %-10s %-30s %5.1f  %s", id, t, got,
                    pe ? pe->relevance : 0, headline);
    }
}

void evroute_add(evroute *r, const char *id, size_t cat, const proto_alert *const *passed,
                 size_t n, double min_relevance, const char *headline)
{
    if (cat >= r->n_cats || r->cats[cat].col < 0) return;
    evr_row key = {.id = (char *)id};
    evr_row *row = bsearch(&key, r->rows, r->n_rows, sizeof *r->rows, evr_row_cmp);
    if (!row || (row->cell[cat] && !strcmp(row->cell[cat], "?"))) return; /* "?": parties not listed */
    evr_cat *k = &r->cats[cat];
    long tp0 = k->tp, fp0 = k->fp, fn0 = k->fn;
    const char *cell = row->cell[cat] && strcmp(row->cell[cat], "none") ? row->cell[cat] : "";
    const char *sent[EVR_MAX_SENT];
    size_t n_sent = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t[EVR_MAX_SENT];
        size_t nt = proto_alert_route_tickers(passed[i], min_relevance, t, EVR_MAX_SENT);
        for (size_t j = 0; j < nt && n_sent < EVR_MAX_SENT; j++) {
            size_t q = 0;
            while (q < n_sent && strcmp(sent[q], t[j]) != 0) q++;
            if (q == n_sent && strcmp(t[j], "_") != 0) sent[n_sent++] = t[j];
        }
    }
    k->articles++;
    for (size_t j = 0; j < n_sent; j++) {
        char role[32];
        const proto_entity *e = evr_entity(passed, n, sent[j]);
        if (evr_party(cell, sent[j], role, sizeof role)) {
            k->tp++;
            if (e && e->role && !strcmp(e->role, role)) {
                k->role_ok++;
                continue;
            }
            char got[64];
            snprintf(got, sizeof got, "%s, squawk: %s", role, e && e->role ? e->role : "?");
            evr_err_add(k, 2, "role   %-22s %-10s %-30s %5.1f  %s", id, sent[j], got, e ? e->relevance : 0, headline);
            continue;
        }
        k->fp++;
        k->fp_why[*cell ? EVR_FP_NOT_PARTY : EVR_FP_NEGATIVE]++;
        evr_err_add(k, 1, "wrong  %-22s %-10s %-30s %5.1f  %s", id, sent[j],
                    e && e->role ? e->role : "?", e ? e->relevance : 0, headline);
    }
    evr_missed(k, id, cell, sent, n_sent, passed, n, headline);
    row->seen[cat] = 1;
    row->cnt[cat][0] += (uint32_t)(k->tp - tp0), row->cnt[cat][1] += (uint32_t)(k->fp - fp0);
    row->cnt[cat][2] += (uint32_t)(k->fn - fn0);
}

int evroute_counts(const evroute *r, const char *id, size_t cat, uint32_t out[3])
{
    evr_row key = {.id = (char *)id};
    const evr_row *row = cat < r->n_cats ? bsearch(&key, r->rows, r->n_rows, sizeof *r->rows, evr_row_cmp) : NULL;
    if (!row || !row->seen[cat]) return 0;
    memcpy(out, row->cnt[cat], 3 * sizeof *out);
    return 1;
}

/* Category c's routing F1 interval over its articles (boot.c); 0 or a negative SQ_E code. */
static int evr_interval(const evroute *r, size_t c, double *lo, double *hi)
{
    uint32_t *cnt = malloc((r->n_rows ? r->n_rows : 1) * 3 * sizeof *cnt);
    size_t n = 0;
    for (size_t i = 0; cnt && i < r->n_rows; i++)
        if (r->rows[i].seen[c]) memcpy(cnt + 3 * n++, r->rows[i].cnt[c], 3 * sizeof *cnt);
    int rc = cnt ? eval_boot_f1(cnt, n, lo, hi) : SQ_E_NOMEM;
    free(cnt);
    return rc;
}

static double evr_ratio(long a, long b) { return b ? (double)a / (double)b : 0.0; }
static double evr_f1(long tp, long fp, long fn) { return tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0.0; }

/* One line per category: its missed and wrong pairs split by cause. */
static void evr_print_why(const evroute *r, FILE *out)
{
    fprintf(out, "routing errors by cause (counts only):\n");
    for (size_t c = 0; c < r->n_cats; c++) {
        const evr_cat *k = &r->cats[c];
        if (k->col < 0) continue;
        fprintf(out, "%-12s missed %ld (", k->name, k->fn);
        for (int i = 0; i < EVR_FN_WHYS; i++)
            fprintf(out, "%s%s %ld", i ? ", " : "", evr_fn_names[i], k->fn_why[i]);
        fprintf(out, "); wrong %ld (", k->fp);
        for (int i = 0; i < EVR_FP_WHYS; i++)
            fprintf(out, "%s%s %ld", i ? ", " : "", evr_fp_names[i], k->fp_why[i]);
        fprintf(out, ")\n");
    }
}

void evroute_print(const evroute *r, FILE *out, long errors)
{
    fprintf(out, "\nrouting (article, ticker) pairs against the labelled parties\n");
    fprintf(out, "%-12s %6s %6s %6s %6s %6s %6s %8s %6s\n", "category", "P", "R", "F1", "TP", "FP",
            "FN", "articles", "roles");
    for (size_t c = 0; c < r->n_cats; c++) {
        const evr_cat *k = &r->cats[c];
        if (k->col < 0) continue;
        fprintf(out, "%-12s %6.3f %6.3f %6.3f %6ld %6ld %6ld %8ld %6.3f\n", k->name,
                evr_ratio(k->tp, k->tp + k->fp), evr_ratio(k->tp, k->tp + k->fn),
                evr_f1(k->tp, k->fp, k->fn), k->tp, k->fp, k->fn, k->articles,
                evr_ratio(k->role_ok, k->tp));
    }
    fprintf(out, "routing F1 95%% interval (bootstrap, %d resamples of the articles):", EVAL_BOOT_RESAMPLES);
    for (size_t c = 0, first = 1; c < r->n_cats; c++) {
        double lo, hi;
        if (r->cats[c].col < 0 || evr_interval(r, c, &lo, &hi) != 0) continue;
        fprintf(out, "%s %s %.3f-%.3f", first ? "" : ",", r->cats[c].name, lo, hi);
        first = 0;
    }
    fprintf(out, "\n");
    evr_print_why(r, out);
    for (size_t c = 0; errors > 0 && c < r->n_cats; c++) {
        const evr_cat *k = &r->cats[c];
        if (k->col < 0 || !k->n_errs) continue;
        fprintf(out, "\n%s: routing errors (id, ticker, role labelled/squawk's, relevance, headline;"
                     " showing %zu of %zu)\n", k->name,
                (size_t)errors < k->n_errs ? (size_t)errors : k->n_errs, k->n_errs);
        for (size_t i = 0; i < k->n_errs && (long)i < errors; i++)
            fprintf(out, "  %s\n", k->errs[i].line);
    }
}

json_t *evroute_json(const evroute *r)
{
    json_t *o = json_object();
    for (size_t c = 0; c < r->n_cats; c++) {
        const evr_cat *k = &r->cats[c];
        if (k->col < 0) continue;
        json_t *j = json_object();
        json_object_set_new(j, "precision", json_real(evr_ratio(k->tp, k->tp + k->fp)));
        json_object_set_new(j, "recall", json_real(evr_ratio(k->tp, k->tp + k->fn)));
        json_object_set_new(j, "f1", json_real(evr_f1(k->tp, k->fp, k->fn)));
        double lo, hi;
        json_object_set_new(j, "f1_interval", evr_interval(r, c, &lo, &hi) == 0 ? json_pack("[ff]", lo, hi) : json_null());
        json_object_set_new(j, "tp", json_integer(k->tp));
        json_object_set_new(j, "fp", json_integer(k->fp));
        json_object_set_new(j, "fn", json_integer(k->fn));
        json_object_set_new(j, "articles", json_integer(k->articles));
        json_object_set_new(j, "role_agreement", json_real(evr_ratio(k->role_ok, k->tp)));
        json_t *why = json_object();
        for (int i = 0; i < EVR_FN_WHYS; i++)
            json_object_set_new(why, evr_fn_keys[i], json_integer(k->fn_why[i]));
        json_object_set_new(j, "missed_by_cause", why);
        why = json_object();
        for (int i = 0; i < EVR_FP_WHYS; i++)
            json_object_set_new(why, evr_fp_keys[i], json_integer(k->fp_why[i]));
        json_object_set_new(j, "wrong_by_cause", why);
        json_object_set_new(o, k->name, j);
    }
    return o;
}
