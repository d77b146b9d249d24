/* cmd_eval.c -- squawk eval: the command line of the evaluation engine (eval/eval.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/config.h"
#include "core/error.h"
#include "eval/eval.h"
#include "filters/host.h"

extern char **environ;

static const char usage[] =
    "usage: squawk eval --labels FILE.tsv [options]\n"
    "\n"
    "Runs the filters over labelled articles and prints precision, recall and F1\n"
    "for every category column of the labels TSV (header: id<TAB>cat...; 0/1 values).\n"
    "Only articles whose id is in the TSV count.\n"
    "\n"
    "options:\n"
    "  --labels FILE        labels TSV (required)\n"
    "  --articles FILE      article JSON Lines (default: stdin)\n"
    "  --errors N           show the N highest-scoring false positives and N missed\n"
    "                       positives per category, with their evidence\n"
    "  --threshold CAT=N    decide CAT at score >= N instead of the config's or the\n"
    "                       plugin's default (repeatable; CAT must be a loaded filter)\n"
    "  --config FILE        take filters, their thresholds and settings, data and\n"
    "                       plugin dirs from this squawk.yml (what a deployment runs)\n"
    "  --set FILTER.KEY=V   a filter config value (repeatable)\n"
    "  --filter NAME        load this filter (name or .so path; repeatable; replaces\n"
    "                       the config's list; default: invest, chips, regulatory)\n"
    "  --data-dir DIR       rule packs and gazetteer (default: the build's)\n"
    "  --plugin-dir DIR     look for plugins here first (repeatable; then the\n"
    "                       config's engine.plugin_dirs, then the build's)\n"
    "  --parties FILE       also measure routing: which ticker topics the alerts\n"
    "                       reach against the labelled parties (TSV: id,\n"
    "                       <category>_parties cells 'Name=TICKER:role; ...';\n"
    "                       '?': not listed, that kind's routing not measured)\n"
    "  --min-relevance N    route a company only at relevance >= N (default: the\n"
    "                       config's sinks.zmq.min_relevance)\n"
    "  --scores FILE        write id, category, label, best score ('-' when no\n"
    "                       alert), passed and, with --parties, the article's right,\n"
    "                       wrong and missed tickers per article (TSV) for\n"
    "                       calibration and tools/evalcmp.py\n"
    "  --sweep              also print F1 at thresholds 10, 15, ..., 90\n"
    "  --json               print one JSON document instead of tables\n"
    "  --json-out FILE      also write that JSON document to FILE\n"
    "  --width N            headline/evidence width in --errors (default 70)\n";

#define EVAL_MAX_OPTS 32

typedef struct eval_opts {
    const char *labels, *articles, *data_dir, *config, *parties, *scores;
    double min_relevance; /* < 0: the config's */
    const char *filters[EVAL_MAX_OPTS], *thr_spec[EVAL_MAX_OPTS], *sets[EVAL_MAX_OPTS];
    const char *plugin_dirs[EVAL_MAX_OPTS];
    size_t n_filters, n_thr, n_sets, n_plugin_dirs;
    long errors;
    const char *json_out;
    int sweep, json, width;
} eval_opts;

static int eval_parse_args(eval_opts *o, int argc, char **argv)
{
    static const struct option lopts[] = {
        {"labels", required_argument, 0, 'l'},    {"articles", required_argument, 0, 'a'},
        {"errors", required_argument, 0, 'e'},    {"threshold", required_argument, 0, 't'},
        {"filter", required_argument, 0, 'f'},    {"data-dir", required_argument, 0, 'd'},
        {"plugin-dir", required_argument, 0, 'p'}, {"sweep", no_argument, 0, 's'},
        {"json", no_argument, 0, 'j'},            {"width", required_argument, 0, 'w'},
        {"config", required_argument, 0, 'c'},    {"json-out", required_argument, 0, 'o'},
        {"parties", required_argument, 0, 'P'},   {"min-relevance", required_argument, 0, 'm'},
        {"scores", required_argument, 0, 'S'},    {"set", required_argument, 0, 'x'},
        {0, 0, 0, 0}};
    o->width = 70;
    o->min_relevance = -1;
    optind = 1;
    int ch;
    char *end;
    size_t nl;
    double t;
    while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
        switch (ch) {
        case 'l': o->labels = optarg; break;
        case 'a': o->articles = optarg; break;
        case 'e':
            o->errors = strtol(optarg, &end, 10);
            if (*end || o->errors < 0) goto bad;
            break;
        case 't':
            if (o->n_thr == EVAL_MAX_OPTS || filter_host_threshold_spec(optarg, &nl, &t) != 0) goto bad;
            o->thr_spec[o->n_thr++] = optarg;
            break;
        case 'x':
            if (o->n_sets == EVAL_MAX_OPTS) goto bad;
            o->sets[o->n_sets++] = optarg;
            break;
        case 'f':
            if (o->n_filters == EVAL_MAX_OPTS) goto bad;
            o->filters[o->n_filters++] = optarg;
            break;
        case 'd': o->data_dir = optarg; break;
        case 'c': o->config = optarg; break;
        case 'o': o->json_out = optarg; break;
        case 'p':
            if (o->n_plugin_dirs == EVAL_MAX_OPTS) goto bad;
            o->plugin_dirs[o->n_plugin_dirs++] = optarg;
            break;
        case 'P': o->parties = optarg; break;
        case 'S': o->scores = optarg; break;
        case 'm':
            o->min_relevance = strtod(optarg, &end);
            if (*end || !(o->min_relevance >= 0 && o->min_relevance <= 100)) goto bad;
            break;
        case 's': o->sweep = 1; break;
        case 'j': o->json = 1; break;
        case 'w':
            o->width = (int)strtol(optarg, &end, 10);
            if (*end || o->width < 10) goto bad;
            break;
        default: goto bad;
        }
    }
    if (optind != argc || !o->labels) goto bad;
    return 0;
bad:
    fputs(usage, stderr);
    return -1;
}

/* The engine: the config's (or the built-ins), as the options change it. */
static int eval_engine(const eval_opts *o, const sq_config *cfg, filter_host **h, char *err,
                       size_t errlen)
{
    filter_host_overrides ov = {.data_dir = o->data_dir, .plugin_dirs = o->plugin_dirs,
                                .n_plugin_dirs = o->n_plugin_dirs, .filters = o->filters,
                                .n_filters = o->n_filters, .thresholds = o->thr_spec,
                                .n_thresholds = o->n_thr, .sets = o->sets, .n_sets = o->n_sets};
    return filter_host_from_config(h, o->config ? cfg : NULL, &ov, err, errlen);
}

static int eval_output(const eval_set *s, const eval_opts *o)
{
    eval_print_opts po = {.errors = o->errors, .sweep = o->sweep};
    if (o->json) eval_print_json(s, &po, stdout);
    else eval_print_text(s, &po, stdout);
    if (o->scores && eval_write_scores(s, o->scores) < 0) {
        fprintf(stderr, "squawk eval: %s: cannot write\n", o->scores);
        return 1;
    }
    FILE *f = o->json_out ? fopen(o->json_out, "w") : NULL;
    if (o->json_out && (!f || eval_print_json(s, &po, f) != 0 || fclose(f) != 0)) {
        fprintf(stderr, "squawk eval: %s: cannot write\n", o->json_out);
        return 1;
    }
    return 0;
}

/* Labels, config, routing and engine; then the articles. */
static int eval_main(const eval_opts *o, eval_set *s, sq_config *cfg, char *err, size_t errlen)
{
    filter_host *h = NULL;
    if (o->config && sq_config_load(cfg, o->config, environ, err, errlen) != 0) return 1;
    double minrel = o->min_relevance >= 0 ? o->min_relevance
                    : o->config ? cfg->sinks.zmq.min_relevance : SQ_CONFIG_MIN_RELEVANCE;
    if (o->parties && eval_open_routing(s, o->parties, minrel, err, errlen) < 0) return 1;
    int rc = eval_engine(o, cfg, &h, err, errlen);
    if (rc < 0) return 1;
    eval_attach(s, h);
    FILE *in = stdin;
    if (o->articles && strcmp(o->articles, "-") != 0 && !(in = fopen(o->articles, "r"))) {
        snprintf(err, errlen, "%s: %s", o->articles, strerror(errno));
        filter_host_destroy(h);
        return 1;
    }
    rc = eval_run(s, h, in, o->width);
    if (in != stdin) fclose(in);
    filter_host_destroy(h);
    if (rc < 0) {
        snprintf(err, errlen, "filters failed: %s", sq_strerror(rc));
        return 1;
    }
    return eval_output(s, o);
}

int cmd_eval(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    eval_opts o;
    memset(&o, 0, sizeof o);
    if (eval_parse_args(&o, argc, argv) < 0) return 2;
    char err[1024] = "";
    eval_set *s = NULL;
    sq_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = eval_create(&s, o.labels, err, sizeof err) < 0 ? 1 : eval_main(&o, s, &cfg, err, sizeof err);
    if (rc && err[0]) fprintf(stderr, "squawk eval: %s\n", err);
    if (o.config) sq_config_free(&cfg);
    eval_destroy(s);
    return rc;
}
