/* test_host_config.c -- filter_host_from_config and plugin ABI 1.1/1.2: 1.0, 1.1 and 1.2 plugins side by side, the host's engine, thresholds, overrides and their typos, plugin directories, error codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/config.h"
#include "../core/error.h"
#include "../filters/engine.h"
#include "../filters/host.h"
#include "../filters/loader.h"
#include "../filters/squawk_filter.h"
#include "assert.h"
#include "filter_run.h"

#define DATA_DIR SQ_SOURCE_DIR "/filters"
#define MINI_GAZ SQ_SOURCE_DIR "/tests/data/gazetteer-mini.yml"
#define CFG_SO SQ_TEST_PLUGIN_DIR "/test_filter_plugin_cfg.so"   /* built against ABI 1.0 */
#define ERRS_SO SQ_TEST_PLUGIN_DIR "/test_filter_plugin_errs.so" /* built against ABI 1.1 */

#define ASSERT_HAS(hay, needle)                                                         \
    do {                                                                                \
        if (!strstr((hay), (needle)))                                                   \
            SQ_FAIL_("expected \"%s\" in \"%s\"", (needle), (hay));                     \
    } while (0)

static char tmpdir[256];

/* Runs h over one article (with feed hints); returns every alert (all=1). */
static proto_alert **run(filter_host *h, const char *headline, const char *url, size_t *n)
{
    proto_article a;
    ASSERT_EQ(proto_article_init(&a, "t1", headline, "Nvidia Corp. said so."), 0);
    if (url) {
        free(a.url);
        a.url = strdup(url);
        a.url_len = strlen(url);
    }
    free(a.tickers);
    a.tickers = calloc(2, sizeof *a.tickers);
    a.tickers[0] = strdup("ACME");
    a.tickers[1] = strdup("BOLT");
    a.n_tickers = 2;
    proto_alert **v;
    ASSERT_EQ(filter_host_process(h, &a, NULL, FILTER_HOST_ALL, &v, n), 0);
    proto_article_free(&a);
    return v;
}

static void free_alerts(proto_alert **v, size_t n)
{
    for (size_t i = 0; i < n; i++) proto_alert_destroy(v[i]);
    free(v);
}

static const proto_alert *of(proto_alert **v, size_t n, const char *cat)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i]->category, cat) == 0) return v[i];
    return NULL;
}

static int from(filter_host **h, const sq_config *cfg, const filter_host_overrides *ov, char *err,
                size_t errlen)
{
    setenv("SQUAWK_GAZETTEER", MINI_GAZ, 1);
    err[0] = '\0';
    int rc = filter_host_from_config(h, cfg, ov, err, errlen);
    fprintf(stderr, "   -> %s %s\n", sq_err_name(rc), err);
    return rc;
}

TEST(abi_1_0_and_1_1_plugins_load_together)
{
    const char *names[] = {CFG_SO, ERRS_SO};
    filter_host_overrides ov = {.data_dir = DATA_DIR, .filters = names, .n_filters = 2};
    filter_host *h;
    char err[1024];
    ASSERT_EQ(from(&h, NULL, &ov, err, sizeof err), 0);
    ASSERT_EQ(filter_host_n_filters(h), 2);
    ASSERT_STR_EQ(filter_host_filter_name(h, 0), "cfgtest");
    ASSERT_STR_EQ(filter_host_filter_name(h, 1), "errs");
    double t;
    ASSERT_EQ(filter_host_threshold(h, 0, &t), 0);
    ASSERT_DBL_NEAR(t, 30, 1e-9); /* 1.0: its config key `threshold` */
    ASSERT_EQ(filter_host_threshold(h, 1, &t), 0);
    ASSERT_DBL_NEAR(t, 60, 1e-9); /* 1.1: the descriptor's default_threshold */
    ASSERT_STR_EQ(filter_host_threshold_source(h, 1), "plugin");
    size_t n;
    proto_alert **v = run(h, "merger talk", "https://example.com/a", &n);
    ASSERT_EQ(n, 2);
    ASSERT(of(v, n, "keyword") != NULL);
    const proto_alert *e = of(v, n, "errs");
    ASSERT(e != NULL);
    /* 1.1: the feed's hints and the article's entity reach the plugin */
    ASSERT_STR_EQ(e->entities[0].ticker, "ACME");
    ASSERT_STR_EQ(e->entities[1].ticker, "BOLT");
    ASSERT_STR_EQ(e->entities[2].name, "https://example.com/a");
    ASSERT_STR_EQ(e->entities[3].name, "Nvidia Corp.");
    free_alerts(v, n);
    filter_host_destroy(h);
}

/* ABI 1.2: a built-in filter runs the host's engine beside a 1.0 and a 1.1 plugin. */
TEST(abi_1_2_engine_plugin_beside_1_0_and_1_1)
{
    const char *names[] = {CFG_SO, ERRS_SO, "invest"};
    filter_host_overrides ov = {.data_dir = DATA_DIR, .filters = names, .n_filters = 3};
    filter_host *h;
    char err[1024];
    ASSERT_EQ(from(&h, NULL, &ov, err, sizeof err), 0);
    const struct squawk_host *s = filter_host_services(h);
    ASSERT_EQ(s->abi_minor, SQUAWK_FILTER_ABI_MINOR);
    ASSERT_EQ(SQUAWK_FILTER_ABI_MINOR, 2);
    ASSERT(SQUAWK_HOST_HAS(s, engine_close));
    size_t n;
    proto_alert **v = run(h, "Nvidia to acquire Microsoft merger", NULL, &n);
    ASSERT_EQ(n, 3);
    ASSERT(of(v, n, "keyword") != NULL);
    ASSERT(of(v, n, "errs") != NULL);
    const proto_alert *inv = of(v, n, "invest");
    ASSERT(inv != NULL);
    ASSERT_EQ(inv->n_entities, 2);
    ASSERT_STR_EQ(inv->entities[0].name, "Nvidia Corp.");
    ASSERT_STR_EQ(inv->entities[0].role, "investor");
    ASSERT_STR_EQ(inv->entities[1].name, "Microsoft Corp.");
    ASSERT_STR_EQ(inv->entities[1].role, "target");
    free_alerts(v, n);
    /* the engine serves plugins by the config their init got, nothing else */
    int not_a_config = 0;
    struct squawk_engine_spec spec = {.size = sizeof spec, .config = &not_a_config, .role_a = "a", .role_b = "b",
                                      .pack = "x.yml"};
    struct squawk_engine *e = (struct squawk_engine *)&spec;
    ASSERT_EQ(s->engine_open(s, &spec, &e, err, sizeof err), SQUAWK_E_INVAL);
    ASSERT(e == NULL);
    ASSERT_HAS(err, "spec.config must be the config init() received");
    filter_host_destroy(h);
}

/* ABI 1.2: the article's tokens through the host table, as packs match them. */
static int see_tokens(const struct squawk_host *s, const struct squawk_article *a, void *arg)
{
    const struct squawk_token *t;
    size_t n;
    ASSERT_EQ(s->tokens(a, &t, &n), 0);
    char *out = arg;
    for (size_t i = 0; i < n; i++) {
        const struct squawk_token *k = SQUAWK_AT(struct squawk_token, t, i, s->token_size);
        char one[96];
        snprintf(one, sizeof one, "%s%u:%u:%.*s=%s/%d/%x", i ? " " : "", k->field, k->sentence,
                 (int)(k->end - k->start), a->text[k->field] + k->start, k->norm, k->cls, k->flags);
        strncat(out, one, 4095 - strlen(out));
    }
    return 0;
}

TEST(tokens_through_the_host_table)
{
    filter_host_opts o = {.data_dir = DATA_DIR};
    filter_host *h;
    char err[1024], got[4096] = "";
    setenv("SQUAWK_GAZETTEER", MINI_GAZ, 1);
    ASSERT_EQ(filter_host_create(&h, &o, err, sizeof err), 0);
    proto_article a;
    ASSERT_EQ(proto_article_init(&a, "t1", "Nvidia's $10bn DEAL", "Acme bought U.S. start-up <ACME>. It closed."), 0);
    ASSERT_EQ(filter_host_visit(h, &a, see_tokens, got), 0);
    /* field:sentence:text=norm/case/flags */
    ASSERT_STR_EQ(got, "0:0:Nvidia=nvidia/1/40 0:0:'s='s/0/0 0:0:$=$/5/2 0:0:10=10/4/1 0:0:bn=bn/0/80 "
                       "0:0:DEAL=deal/2/0 1:1:Acme=acme/1/40 1:1:bought=bought/0/0 1:1:U.S.=u.s./2/4 "
                       "1:1:start-up=start-up/0/20 1:1:<ACME>=<acme>/2/10 1:1:.=./5/0 1:2:It=it/1/40 "
                       "1:2:closed=closed/0/0 1:2:.=./5/0");
    proto_article_free(&a);
    filter_host_destroy(h);
}

/* The built-ins no longer read their config: the engine does, by key. A key
 * of theirs the engine does not know would be read by nobody. An older host
 * has no engine: they say so. */
TEST(builtin_config_keys_are_engine_keys)
{
    filter_host_opts o = {.data_dir = DATA_DIR};
    filter_host *h;
    char err[1024], path[4096];
    setenv("SQUAWK_GAZETTEER", MINI_GAZ, 1);
    ASSERT_EQ(filter_host_create(&h, &o, err, sizeof err), 0);
    const char *builtins[] = {"invest", "chips", "regulatory"};
    for (int b = 0; b < 3; b++) {
        ASSERT_EQ(filter_host_resolve(h, builtins[b], path, sizeof path, err, sizeof err), 0);
        filter_plugin p;
        ASSERT_EQ(filter_loader_open(&p, path, NULL, 0, err, sizeof err), 0);
        size_t i = 0;
        for (const struct squawk_config_entry *pe; (pe = filter_loader_entry(p.desc, i)) && pe->key; i++) {
            const struct squawk_config_entry *ee = filter_engine_key(pe->key);
            if (!ee) SQ_FAIL_("%s: config key '%s' is no engine setting", builtins[b], pe->key);
            ASSERT_EQ(ee->type, pe->type);
        }
        ASSERT(i >= 12);
        /* on a 1.1 host (a table that ends before engine_open) it refuses to start, saying why */
        struct squawk_host old = *filter_host_services(h);
        old.size = (uint32_t)offsetof(struct squawk_host, engine_open);
        void *ctx = NULL;
        ASSERT_EQ(p.desc->init(&ctx, p.config, &old, err, sizeof err), SQUAWK_E_NOTIMPL);
        ASSERT_HAS(err, "needs filter ABI 1.2");
        filter_loader_close(&p);
    }
    ASSERT(filter_engine_key("bias") && !filter_engine_key("colour"));
    filter_host_destroy(h);
}

/* A plugin's error never fails the article: counted, its report dropped, the other filters run. */
TEST(plugin_errors_are_counted_never_fatal)
{
    const char *names[] = {ERRS_SO, CFG_SO};
    filter_host_overrides ov = {.data_dir = DATA_DIR, .filters = names, .n_filters = 2};
    filter_host *h;
    char err[1024];
    ASSERT_EQ(from(&h, NULL, &ov, err, sizeof err), 0);
    const int codes[] = {SQUAWK_E_NOMEM, SQUAWK_E_INVAL, SQUAWK_E_IO, SQUAWK_E_NOTFOUND,
                         SQUAWK_E_AGAIN, SQUAWK_E_TIMEOUT, SQUAWK_E_NOTIMPL, -99, 7};
    size_t nc = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < nc; i++) {
        char hl[64];
        snprintf(hl, sizeof hl, "code %d merger", codes[i]);
        size_t n;
        proto_alert **v = run(h, hl, NULL, &n);
        ASSERT_EQ(n, 1); /* the 1.0 plugin's alert only */
        ASSERT(of(v, n, "keyword") != NULL);
        free_alerts(v, n);
    }
    filter_host_stats st;
    filter_host_get_stats(h, &st);
    ASSERT_EQ(st.errors[0], nc);
    ASSERT_EQ(st.alerts[0], 0);
    ASSERT_EQ(st.errors[1], 0);
    filter_host_destroy(h);
}

TEST(threshold_twice_is_an_error)
{
    /* 1.0: `threshold:` and config `threshold` both set */
    const char *names[] = {CFG_SO};
    const char *thr[] = {"test_filter_plugin_cfg=40"}; /* by file name */
    const char *sets[] = {"cfgtest.threshold=20"};      /* by descriptor name */
    filter_host_overrides ov = {.data_dir = DATA_DIR, .filters = names, .n_filters = 1,
                                .thresholds = thr, .n_thresholds = 1, .sets = sets, .n_sets = 1};
    filter_host *h;
    char err[1024];
    ASSERT_EQ(from(&h, NULL, &ov, err, sizeof err), SQ_E_PLUGIN_CONFIG);
    ASSERT_HAS(err, "threshold set twice");
    /* either alone is fine */
    ov.n_sets = 0;
    ASSERT_EQ(from(&h, NULL, &ov, err, sizeof err), 0);
    double t;
    ASSERT_EQ(filter_host_threshold(h, 0, &t), 0);
    ASSERT_DBL_NEAR(t, 40, 1e-9);
    ASSERT_STR_EQ(filter_host_threshold_source(h, 0), "cli");
    filter_host_destroy(h);
    /* 1.1: the host reads no config key `threshold`; the plugin has none */
    const char *errs[] = {ERRS_SO};
    const char *sets2[] = {"errs.threshold=20"};
    filter_host_overrides ov2 = {.data_dir = DATA_DIR, .filters = errs, .n_filters = 1,
                                 .sets = sets2, .n_sets = 1};
    ASSERT_EQ(from(&h, NULL, &ov2, err, sizeof err), SQ_E_PLUGIN_CONFIG);
    ASSERT_HAS(err, "unknown config key 'threshold'");
}

TEST(typos_are_errors_naming_the_key)
{
    const char *names[] = {ERRS_SO};
    filter_host *h;
    char err[1024];
    const char *bad_thr[][1] = {{"err=20"}, {"errs=200"}, {"errs"}};
    const char *want_thr[] = {"no filter named 'err'", "0..100", "NAME=N"};
    for (int i = 0; i < 3; i++) {
        filter_host_overrides ov = {.data_dir = DATA_DIR, .filters = names, .n_filters = 1,
                                    .thresholds = bad_thr[i], .n_thresholds = 1};
        ASSERT_NE(from(&h, NULL, &ov, err, sizeof err), 0);
        ASSERT_HAS(err, bad_thr[i][0]);
        ASSERT_HAS(err, want_thr[i]);
    }
    const char *bad_set[][1] = {{"err.score=1"}, {"errs.scor=1"}, {"errs.score=many"}, {"errs=1"}};
    const char *want_set[] = {"no filter named 'err'", "unknown config key 'scor'", "not an int",
                              "NAME.KEY=VALUE"};
    for (int i = 0; i < 4; i++) {
        filter_host_overrides ov = {.data_dir = DATA_DIR, .filters = names, .n_filters = 1,
                                    .sets = bad_set[i], .n_sets = 1};
        ASSERT_NE(from(&h, NULL, &ov, err, sizeof err), 0);
        ASSERT_HAS(err, want_set[i]);
    }
    const char *bad_name[] = {"nosuchfilter"};
    filter_host_overrides ov = {.data_dir = DATA_DIR, .filters = bad_name, .n_filters = 1};
    ASSERT_EQ(from(&h, NULL, &ov, err, sizeof err), SQ_E_NOTFOUND);
    ASSERT_HAS(err, "nosuchfilter: no such plugin in");
}

/* engine.plugin_dirs: your own directory first, the built-ins still found;
 * "layoffs.so" by file name; SQUAWK_FILTERS__<descriptor>__... for a plugin given by path. */
TEST(plugin_dirs_names_and_env)
{
    char dir[300], so[400], yml[400], text[2048], cwd[1024];
    snprintf(dir, sizeof dir, "%s/mine", tmpdir);
    ASSERT_EQ(mkdir(dir, 0755), 0);
    snprintf(so, sizeof so, "%s/layoffs.so", dir);
    copy_file(ERRS_SO, so);
    snprintf(yml, sizeof yml, "%s/squawk.yml", tmpdir);
    snprintf(text, sizeof text,
             "kafka:\n  topics: [a]\nsinks:\n  jsonl: {path: \"-\"}\nengine:\n  data_dir: %s\n  plugin_dirs: [%s]\n"
             "filters:\n  - name: layoffs\n  - name: invest\n    threshold: 33\n", DATA_DIR, dir);
    write_file(yml, text);
    sq_config cfg;
    char err[1024];
    char *env[] = {NULL};
    ASSERT_EQ(sq_config_load(&cfg, yml, env, err, sizeof err), 0);
    filter_host *h;
    ASSERT_EQ(from(&h, &cfg, NULL, err, sizeof err), 0);
    ASSERT_STR_EQ(filter_host_filter_name(h, 0), "errs");
    ASSERT_STR_EQ(filter_host_filter_name(h, 1), "invest");
    double t;
    ASSERT_EQ(filter_host_threshold(h, 1, &t), 0);
    ASSERT_DBL_NEAR(t, 33, 1e-9);
    ASSERT_STR_EQ(filter_host_threshold_source(h, 1), "config");
    filter_host_destroy(h);
    sq_config_free(&cfg);

    /* by path, tuned from the environment under its descriptor's name */
    snprintf(text, sizeof text, "kafka:\n  topics: [a]\nsinks:\n  jsonl: {path: \"-\"}\nengine:\n  data_dir: %s\nfilters:\n  - name: %s\n",
             DATA_DIR, so);
    write_file(yml, text);
    char *env2[] = {"SQUAWK_FILTERS__ERRS__THRESHOLD=75", "SQUAWK_FILTERS__ERRS__CONFIG__SCORE=80", NULL};
    ASSERT_EQ(sq_config_load(&cfg, yml, env2, err, sizeof err), 0);
    ASSERT_EQ(from(&h, &cfg, NULL, err, sizeof err), 0);
    ASSERT_EQ(filter_host_threshold(h, 0, &t), 0);
    ASSERT_DBL_NEAR(t, 75, 1e-9);
    ASSERT_STR_EQ(filter_host_threshold_source(h, 0), "env");
    size_t n;
    proto_alert **v = run(h, "anything", NULL, &n);
    ASSERT_EQ(n, 1);
    ASSERT_DBL_NEAR(v[0]->score, 80, 1e-9);
    free_alerts(v, n);
    filter_host_destroy(h);
    sq_config_free(&cfg);
    /* a variable naming no filter is an error naming it */
    char *env3[] = {"SQUAWK_FILTERS__ERS__THRESHOLD=75", NULL};
    ASSERT_EQ(sq_config_load(&cfg, yml, env3, err, sizeof err), 0);
    ASSERT_NE(from(&h, &cfg, NULL, err, sizeof err), 0);
    ASSERT_HAS(err, "SQUAWK_FILTERS__ERS__THRESHOLD");
    sq_config_free(&cfg);
    /* a value the plugin refuses, set from the environment on a short-form
     * entry: the error names the variable, not the file */
    snprintf(text, sizeof text, "kafka:\n  topics: [a]\nsinks:\n  jsonl: {path: \"-\"}\nengine:\n  data_dir: %s\nfilters: [invest]\n",
             DATA_DIR);
    write_file(yml, text);
    char *env4[] = {"SQUAWK_FILTERS__INVEST__CONFIG__MODEL_GATE=-1", NULL};
    ASSERT_EQ(sq_config_load(&cfg, yml, env4, err, sizeof err), 0);
    ASSERT_NE(from(&h, &cfg, NULL, err, sizeof err), 0);
    ASSERT_HAS(err, "SQUAWK_FILTERS__INVEST__CONFIG__MODEL_GATE: filters[invest]");
    ASSERT_HAS(err, "model_gate: -1");
    sq_config_free(&cfg);

    /* "layoffs.so" from the working directory */
    ASSERT(getcwd(cwd, sizeof cwd) != NULL);
    ASSERT_EQ(chdir(dir), 0);
    const char *names[] = {"layoffs.so"};
    filter_host_overrides ov = {.data_dir = DATA_DIR, .filters = names, .n_filters = 1};
    ASSERT_EQ(from(&h, NULL, &ov, err, sizeof err), 0);
    ASSERT_STR_EQ(filter_host_filter_name(h, 0), "errs");
    filter_host_destroy(h);
    ASSERT_EQ(chdir(cwd), 0);
    unlink(so);
    unlink(yml);
    rmdir(dir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sq_test_host_config_XXXXXX");
    ASSERT(mkdtemp(tmpdir) != NULL);
    RUN(abi_1_0_and_1_1_plugins_load_together);
    RUN(abi_1_2_engine_plugin_beside_1_0_and_1_1);
    RUN(builtin_config_keys_are_engine_keys);
    RUN(tokens_through_the_host_table);
    RUN(plugin_errors_are_counted_never_fatal);
    RUN(threshold_twice_is_an_error);
    RUN(typos_are_errors_naming_the_key);
    RUN(plugin_dirs_names_and_env);
    rmdir(tmpdir);
    fprintf(stderr, "test_host_config: ok\n");
    return 0;
}
