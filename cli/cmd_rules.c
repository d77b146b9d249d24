/* cmd_rules.c -- `squawk rules lint|parity`: check token-pattern packs (engine v2); compare a v2 pack with the v1 regex pack it ports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "filters/calib.h"
#include "filters/gazetteer.h"
#include "filters/matcher.h"
#include "filters/tpat.h"
#include "proto/article.h"

static const char usage[] =
    "usage: squawk rules lint FILE...\n"
    "       squawk rules parity V1PACK V2PACK ARTICLES.jsonl [--rule ID] [--examples N] [--gazetteer FILE]\n"
    "\n"
    "Loads each token-pattern pack (the v2 rule language, filters/README.md) and prints every\n"
    "problem as FILE:LINE: REASON -- unknown keys, undefined lexicons and macros, company slots\n"
    "without a declared role, patterns that can never match, bad field values. A pack that loads\n"
    "prints one summary line. A file named FILTER.calib.yml is a score calibration (tools/calibrate.py)\n"
    "and is checked as one: its points, and `filter:` naming FILTER. Exit 0 when every file loads, 1 when\n"
    "one does not, 2 on usage errors.\n"
    "\n"
    "parity runs the v1 regex pack (rules/*.yml) and the v2 token pack over the headline and body of\n"
    "each article (JSON lines, '-' for stdin), the v2 pack with the gazetteer's mentions filling\n"
    "company slots as the filters do, and prints per rule id the articles where both fire, only v1,\n"
    "only v2 and the agreement both / (both + only_v1 + only_v2); then the number of rules with\n"
    "agreement >= 95% and the ten worst. --rule ID: that rule only; --examples N: up to N articles\n"
    "per side where only one pack fired, with the span in [[ ]]. --gazetteer FILE (or none):\n"
    "default $SQUAWK_DATA_DIR/gazetteer.yml, else gazetteer.yml beside the v1 pack's folder.\n";

/* A calibration file beside the packs (rules/v2/invest.calib.yml): loaded as the filter loads it,
 * so a lint of every .yml file in rules/v2 checks them all. -1 when path is no such file. */
static int lint_calib(const char *path)
{
    static const char ext[] = ".calib.yml";
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n <= sizeof ext - 1 || strcmp(base + n - (sizeof ext - 1), ext) != 0) return -1;
    char filter[256], err[512];
    snprintf(filter, sizeof filter, "%.*s", (int)(n - (sizeof ext - 1)), base);
    struct calib c;
    if (calib_load(&c, path, filter, err, sizeof err)) {
        printf("%s\n", err);
        return 1;
    }
    printf("%s: ok: calibration of %s, %zu rule points, %zu model points\n", path, filter, c.rules.n, c.model.n);
    calib_free(&c);
    return 0;
}

static int lint(const char *path)
{
    int cal = lint_calib(path);
    if (cal >= 0) return cal;
    tpat_pack *p = NULL;
    tpat_diag d = {0};
    int rc = tpat_load(&p, path, &d);
    for (size_t i = 0; i < d.n; i++) printf("%s\n", d.v[i]);
    if (rc == 0) {
        size_t slots = 0;
        for (uint32_t i = 0; i < tpat_size(p); i++) slots += tpat_rule_at(p, i)->n_slots;
        printf("%s: ok: pack %s, %zu rules, %zu lexicons, %zu roles, %zu company slots\n", path, tpat_name(p),
               tpat_size(p), tpat_n_lexicons(p), tpat_n_roles(p), slots);
    } else if (d.n == 0) {
        printf("%s:0: cannot load (error %d)\n", path, rc);
    }
    tpat_diag_free(&d);
    tpat_destroy(p);
    return rc == 0 ? 0 : 1;
}


/* ------------------------------------------------------------------ parity: v1 regex pack vs v2 token pack */

/* One rule id of either pack, and how often it fired where. */
struct prule {
    const char *id;
    int32_t v1, v2;                /* rule index in each pack, -1 when the pack lacks it */
    size_t both, only1, only2;     /* articles */
    char **ex[2];                  /* examples of only v1 [0] and only v2 [1] */
    size_t n_ex[2];
};

struct parity {
    filter_matcher *m;
    tpat_pack *p;
    filter_gaz *g;
    hs_scratch_t *scratch;
    tok_doc doc;
    tpat_result res;
    filter_matches ms;
    filter_mentions men;
    struct prule *r;
    size_t n;
    int32_t *of_v1, *of_v2;        /* pack rule index -> prule */
    uint32_t *fired[2];            /* per prule: first match + 1 in ms (v1) or res.hits (v2), 0 = none */
    const char *only;              /* --rule */
    size_t examples;               /* --examples */
    size_t articles, bad_lines;
};

static int parity_rules(struct parity *x)
{
    size_t n1 = filter_matcher_size(x->m), n2 = tpat_size(x->p);
    x->r = calloc(n1 + n2 + 1, sizeof *x->r);
    x->of_v1 = calloc(n1 + 1, sizeof *x->of_v1);
    x->of_v2 = calloc(n2 + 1, sizeof *x->of_v2);
    x->fired[0] = calloc(n1 + n2 + 1, sizeof *x->fired[0]);
    x->fired[1] = calloc(n1 + n2 + 1, sizeof *x->fired[1]);
    if (!x->r || !x->of_v1 || !x->of_v2 || !x->fired[0] || !x->fired[1]) return -1;
    for (uint32_t i = 0; i < n1; i++) {
        struct prule *u = &x->r[x->n];
        u->id = filter_matcher_rule(x->m, i)->id;
        u->v1 = (int32_t)i;
        u->v2 = tpat_find(x->p, u->id);
        x->of_v1[i] = (int32_t)x->n++;
    }
    for (uint32_t i = 0; i < n2; i++) {
        const char *id = tpat_rule_at(x->p, i)->id;
        size_t k = 0;
        while (k < x->n && strcmp(x->r[k].id, id) != 0) k++;
        if (k == x->n) x->r[x->n++] = (struct prule){.id = id, .v1 = -1, .v2 = (int32_t)i};
        x->of_v2[i] = (int32_t)k;
    }
    return 0;
}

/* "...context [[span]] context..." on one line. */
static char *parity_snippet(const char *text, size_t len, size_t s, size_t e, int field)
{
    size_t a = s > 50 ? s - 50 : 0, b = e + 50 < len ? e + 50 : len;
    while (a > 0 && a < s && ((unsigned char)text[a] & 0xC0) == 0x80) a--;
    while (b < len && ((unsigned char)text[b] & 0xC0) == 0x80) b++;
    size_t cap = (b - a) + 64;
    char *out = malloc(cap), *o = out;
    if (!out) return NULL;
    o += sprintf(o, "%s: %s", field ? "body" : "headline", a ? "..." : "");
    for (size_t i = a; i <= b; i++) {
        if (i == s) o += sprintf(o, "[[");
        if (i == e) o += sprintf(o, "]]");
        if (i < b) *o++ = (text[i] == '\n' || text[i] == '\r' || text[i] == '\t') ? ' ' : text[i];
    }
    sprintf(o, "%s", b < len ? "..." : "");
    return out;
}

static void parity_example(struct parity *x, struct prule *u, int which, const proto_article *a, size_t k)
{
    if (u->n_ex[which] >= x->examples) return;
    if (!u->ex[which] && !(u->ex[which] = calloc(x->examples, sizeof(char *)))) return;
    uint32_t field, s, e;
    if (which == 0) field = x->ms.v[k].field, s = x->ms.v[k].start, e = x->ms.v[k].end;
    else field = x->res.hits[k].field, s = x->res.hits[k].start, e = x->res.hits[k].end;
    const char *t = field ? a->body : a->headline;
    size_t len = field ? a->body_len : a->headline_len;
    char *snip = parity_snippet(t, len, s < len ? s : len, e < len ? e : len, (int)field);
    size_t need = strlen(a->id) + (snip ? strlen(snip) : 0) + 8;
    char *line = snip ? malloc(need) : NULL;
    if (line) snprintf(line, need, "%s %s", a->id, snip);
    free(snip);
    if (line) u->ex[which][u->n_ex[which]++] = line;
}

/* Runs both packs over one article and counts, per rule, where they agree. */
static int parity_article(struct parity *x, const proto_article *a)
{
    const char *text[2] = {a->headline, a->body};
    size_t len[2] = {a->headline_len, a->body_len};
    x->ms.n = 0;
    for (int f = 0; f < 2; f++)
        if (len[f] && filter_matcher_db(x->m, f) &&
            filter_matcher_scan(x->m, x->scratch, f, text[f], len[f], &x->ms) != 0)
            return -1;
    filter_matches_sort(&x->ms);
    const struct squawk_mention *mv = NULL;
    size_t nm = 0;
    if (x->g) {
        if (filter_gaz_scan(x->g, x->scratch, text, len, &x->men) != 0) return -1;
        mv = x->men.v, nm = x->men.n;
    }
    if (tok_run(&x->doc, text, len) != 0 || tpat_match(x->p, &x->doc, text, mv, nm, &x->res) != 0) return -1;
    memset(x->fired[0], 0, x->n * sizeof *x->fired[0]);
    memset(x->fired[1], 0, x->n * sizeof *x->fired[1]);
    for (size_t k = x->ms.n; k-- > 0;) x->fired[0][x->of_v1[x->ms.v[k].rule]] = (uint32_t)k + 1;
    for (size_t k = x->res.n_hits; k-- > 0;) x->fired[1][x->of_v2[x->res.hits[k].rule]] = (uint32_t)k + 1;
    for (size_t i = 0; i < x->n; i++) {
        struct prule *u = &x->r[i];
        uint32_t f1 = x->fired[0][i], f2 = x->fired[1][i];
        if (f1 && f2) u->both++;
        else if (f1) u->only1++, parity_example(x, u, 0, a, f1 - 1);
        else if (f2) u->only2++, parity_example(x, u, 1, a, f2 - 1);
    }
    x->articles++;
    return 0;
}

static int parity_read(struct parity *x, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) return fprintf(stderr, "squawk rules parity: %s: %s\n", path, strerror(errno)), -1;
    char *line = NULL, why[160];
    size_t cap = 0, lineno = 0;
    ssize_t ll;
    int rc = 0;
    while (rc == 0 && (ll = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (ll == 1 && line[0] == '\n') continue;
        proto_article a;
        if (proto_article_decode(line, (size_t)ll, NULL, &a, why, sizeof why) != 0) {
            if (x->bad_lines++ < 5) fprintf(stderr, "squawk rules parity: %s:%zu: skipped: %s\n", path, lineno, why);
            continue;
        }
        rc = parity_article(x, &a);
        proto_article_free(&a);
    }
    free(line);
    if (f != stdin) fclose(f);
    if (rc) fprintf(stderr, "squawk rules parity: out of memory at %s:%zu\n", path, lineno);
    return rc;
}

static double parity_agree(const struct prule *u)
{
    size_t all = u->both + u->only1 + u->only2;
    return all ? (double)u->both / (double)all : 1.0;
}

static int cmp_agree(const void *a, const void *b)
{
    const struct prule *x = *(const struct prule *const *)a, *y = *(const struct prule *const *)b;
    double ax = parity_agree(x), ay = parity_agree(y);
    if (ax != ay) return ax < ay ? -1 : 1;
    size_t dx = x->only1 + x->only2, dy = y->only1 + y->only2;
    return dx > dy ? -1 : dx < dy;
}

static void parity_print_rule(const struct prule *u)
{
    const char *note = u->v1 < 0 ? "  (v2 only)" : u->v2 < 0 ? "  (v1 only)" : "";
    printf("%-32s %7zu %7zu %7zu %6.1f%%%s\n", u->id, u->both, u->only1, u->only2, 100 * parity_agree(u), note);
    for (int w = 0; w < 2; w++)
        for (size_t k = 0; k < u->n_ex[w]; k++) printf("    only %s: %s\n", w ? "v2" : "v1", u->ex[w][k]);
}

/* The table, then one summary line and the ten worst rules. */
static void parity_report(const struct parity *x)
{
    printf("articles: %zu (skipped lines: %zu)\n", x->articles, x->bad_lines);
    printf("%-32s %7s %7s %7s %7s\n", "rule", "both", "only_v1", "only_v2", "agree");
    const struct prule **v = calloc(x->n + 1, sizeof *v);
    size_t n = 0, fired = 0, good = 0, paired = 0;
    for (size_t i = 0; i < x->n; i++) {
        const struct prule *u = &x->r[i];
        if (x->only && strcmp(u->id, x->only) != 0) continue;
        parity_print_rule(u);
        if (u->v1 < 0 || u->v2 < 0) continue;
        paired++;
        if (u->both + u->only1 + u->only2 == 0) continue;
        fired++;
        good += parity_agree(u) >= 0.95;
        if (v) v[n++] = u;
    }
    printf("summary: %zu rules in both packs, %zu fired, %zu of them with agreement >= 95%%\n", paired, fired, good);
    if (v && n > 1) {
        qsort(v, n, sizeof *v, cmp_agree);
        printf("worst:");
        for (size_t i = 0; i < n && i < 10; i++) printf(" %s %.1f%%", v[i]->id, 100 * parity_agree(v[i]));
        printf("\n");
    }
    free(v);
}

/* The gazetteer: --gazetteer FILE ("none": no mentions), else $SQUAWK_DATA_DIR/gazetteer.yml, else
 * the one next to the v1 pack's rules/ folder (filters/rules/x.yml -> filters/gazetteer.yml). */
static int parity_gazetteer(struct parity *x, const char *opt, const char *v1path)
{
    char path[4096], err[1024];
    const char *env = getenv("SQUAWK_DATA_DIR");
    if (opt && strcmp(opt, "none") == 0) return 0;
    if (opt) snprintf(path, sizeof path, "%s", opt);
    else if (env && *env) snprintf(path, sizeof path, "%s/gazetteer.yml", env);
    else {
        const char *sl = strrchr(v1path, '/');
        int dl = sl ? (int)(sl - v1path) : 1;
        snprintf(path, sizeof path, "%.*s/../gazetteer.yml", dl, sl ? v1path : ".");
    }
    if (filter_gaz_load(&x->g, path, err, sizeof err) != 0) {
        fprintf(stderr, "squawk rules parity: gazetteer: %s\n", err);
        return -1;
    }
    return filter_gaz_alloc_scratch(x->g, &x->scratch) ? -1 : 0;
}

static int parity_open(struct parity *x, char **files, const char *gaz)
{
    char err[1024];
    tpat_diag d = {0};
    if (filter_matcher_load(&x->m, files[0], err, sizeof err) != 0) {
        fprintf(stderr, "squawk rules parity: %s\n", err);
        return -1;
    }
    int rc = tpat_load(&x->p, files[1], &d);
    for (size_t i = 0; i < d.n; i++) fprintf(stderr, "%s\n", d.v[i]);
    tpat_diag_free(&d);
    if (rc != 0) return -1;
    if (filter_matcher_alloc_scratch(x->m, &x->scratch) || parity_gazetteer(x, gaz, files[0]) || parity_rules(x)) return -1;
    tok_doc_init(&x->doc);
    tpat_result_init(&x->res);
    return 0;
}

static void parity_close(struct parity *x)
{
    for (size_t i = 0; x->r && i < x->n; i++)
        for (int w = 0; w < 2; w++) {
            for (size_t k = 0; k < x->r[i].n_ex[w]; k++) free(x->r[i].ex[w][k]);
            free(x->r[i].ex[w]);
        }
    free(x->r);
    free(x->of_v1);
    free(x->of_v2);
    free(x->fired[0]);
    free(x->fired[1]);
    tok_doc_free(&x->doc);
    tpat_result_free(&x->res);
    filter_matches_free(&x->ms);
    filter_mentions_free(&x->men);
    hs_free_scratch(x->scratch);
    tpat_destroy(x->p);
    filter_matcher_destroy(x->m);
    filter_gaz_destroy(x->g);
}

static int parity_known(const struct parity *x, const char *id)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->r[i].id, id) == 0) return 1;
    return 0;
}

static int parity(int argc, char **argv)
{
    struct parity x = {0};
    char *files[3];
    const char *gaz = NULL;
    int nf = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--rule") && v) x.only = v, i++;
        else if (!strcmp(a, "--gazetteer") && v) gaz = v, i++;
        else if (!strcmp(a, "--examples") && v && (x.examples = strtoul(v, &end, 10), *v && !*end) && x.examples <= 1000) i++;
        else if (a[0] != '-' || !a[1] ? nf < 3 : 0) files[nf++] = argv[i];
        else return fprintf(stderr, "squawk rules parity: bad argument '%s'\n%s", a, usage), 2;
    }
    if (nf != 3) return fputs(usage, stderr), 2;
    int rc = parity_open(&x, files, gaz) ? 1 : 0;
    if (rc == 0 && x.only && !parity_known(&x, x.only)) {
        fprintf(stderr, "squawk rules parity: no rule '%s' in either pack\n", x.only);
        rc = 2;
    }
    if (rc == 0 && parity_read(&x, files[2]) != 0) rc = 1;
    if (rc == 0) parity_report(&x);
    parity_close(&x);
    return rc;
}

int cmd_rules(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    if (argc >= 2 && strcmp(argv[1], "parity") == 0) return parity(argc, argv);
    if (argc < 3 || strcmp(argv[1], "lint") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    int bad = 0;
    for (int i = 2; i < argc; i++) bad |= lint(argv[i]);
    return bad ? 1 : 0;
}
