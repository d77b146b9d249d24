/* test_eval_engine.c -- the eval library (eval/eval.h) in-process: counts against the hand labels, threshold sources, a stub-free host from filter_host_from_config, printers, bad labels. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../core/error.h"
#include "../eval/boot.h"
#include "../eval/eval.h"
#include "../filters/host.h"
#include "assert.h"

#define DATA SQ_SOURCE_DIR "/tests/data/eval"

static char tmpdir[256];

/* The three built-ins with their defaults; one with --threshold invest=N as well. */
static filter_host *engine(const char *invest_threshold)
{
    const char *thr[] = {invest_threshold};
    filter_host_overrides ov = {.data_dir = SQ_SOURCE_DIR "/filters", .thresholds = thr,
                                .n_thresholds = invest_threshold ? 1 : 0};
    filter_host *h = NULL;
    char err[1024] = "";
    int rc = filter_host_from_config(&h, NULL, &ov, err, sizeof err);
    if (rc) fprintf(stderr, "engine: %s\n", err);
    ASSERT_EQ(rc, 0);
    return h;
}

static eval_set *run_eval(filter_host *h)
{
    eval_set *s = NULL;
    char err[512] = "";
    ASSERT_EQ(eval_create(&s, DATA "/labels.tsv", err, sizeof err), 0);
    ASSERT_EQ(eval_open_routing(s, DATA "/parties.tsv", 0, err, sizeof err), 0);
    eval_attach(s, h);
    FILE *in = fopen(DATA "/articles.jsonl", "r");
    ASSERT(in != NULL);
    ASSERT_EQ(eval_run(s, h, in, 70), 0);
    fclose(in);
    return s;
}

/* The same hand-checked outcome test_eval expects from the binary (see its comment). */
TEST(counts_match_hand_labels)
{
    filter_host *h = engine(NULL);
    eval_set *s = run_eval(h);
    static const char *const cats[] = {"invest", "chips", "regulatory"};
    static const long want[3][4] = {{2, 1, 0, 9}, {2, 0, 0, 10}, {2, 0, 1, 9}};
    for (int i = 0; i < 3; i++) {
        eval_counts c;
        ASSERT_EQ(eval_result(s, cats[i], &c), 0);
        ASSERT_EQ(c.tp, want[i][0]);
        ASSERT_EQ(c.fp, want[i][1]);
        ASSERT_EQ(c.fn, want[i][2]);
        ASSERT_EQ(c.tn, want[i][3]);
        ASSERT_EQ(c.has_filter, 1);
        ASSERT_STR_EQ(c.thr_src, "plugin");
        double t;
        ASSERT_EQ(filter_host_threshold(h, (size_t)i, &t), 0);
        ASSERT_DBL_NEAR(c.threshold, t, 1e-9);
        long tp = want[i][0], fp = want[i][1], fn = want[i][2];
        ASSERT_DBL_NEAR(c.f1, 2.0 * tp / (2.0 * tp + fp + fn), 1e-9);
    }
    eval_counts c;
    ASSERT_EQ(eval_result(s, "nosuch", &c), SQ_E_NOTFOUND);

    /* the JSON document and the table agree with the counts */
    char path[300];
    snprintf(path, sizeof path, "%s/eval.json", tmpdir);
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    eval_print_opts po = {.errors = 2, .sweep = 1};
    ASSERT_EQ(eval_print_json(s, &po, f), 0);
    fclose(f);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) SQ_FAIL_("not JSON: %s", je.text);
    json_t *inv = json_object_get(json_object_get(doc, "categories"), "invest");
    ASSERT_EQ(json_integer_value(json_object_get(inv, "fp")), 1);
    double chance = json_real_value(json_object_get(inv, "ece_chance"));
    ASSERT(chance > 0 && chance < 1); /* its alerts' scores are neither 0 nor 100 */
    ASSERT_STR_EQ(json_string_value(json_object_get(inv, "threshold_source")), "plugin");
    ASSERT_EQ(json_integer_value(json_object_get(doc, "evaluated")), 12);
    ASSERT(json_object_get(doc, "routing") != NULL);
    /* the F1's bootstrap interval holds the F1 itself */
    double f1 = json_real_value(json_object_get(inv, "f1"));
    json_t *iv = json_object_get(inv, "f1_interval");
    ASSERT(json_array_size(iv) == 2);
    ASSERT(json_real_value(json_array_get(iv, 0)) <= f1 && f1 <= json_real_value(json_array_get(iv, 1)));
    json_t *riv = json_object_get(json_object_get(json_object_get(doc, "routing"), "invest"), "f1_interval");
    ASSERT(json_array_size(riv) == 2);
    json_decref(doc);
    snprintf(path, sizeof path, "%s/eval.txt", tmpdir);
    f = fopen(path, "w+");
    ASSERT(f != NULL);
    eval_print_text(s, &po, f);
    rewind(f);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    ASSERT(strstr(buf, "evaluated 12, labelled ids not found 1, unlabelled skipped 1") != NULL);
    ASSERT(strstr(buf, "fx-flip-fp") != NULL);
    ASSERT(strstr(buf, "F1 by threshold") != NULL);

    /* per-article scores: a header, then 3 categories x 12 evaluated articles */
    snprintf(path, sizeof path, "%s/scores.tsv", tmpdir);
    ASSERT_EQ(eval_write_scores(s, path), 0);
    f = fopen(path, "r");
    ASSERT(f != NULL);
    int lines = 0;
    while (fgets(buf, sizeof buf, f)) lines++;
    fclose(f);
    ASSERT_EQ(lines, 1 + 3 * 12);
    unlink(path);
    snprintf(path, sizeof path, "%s/eval.json", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/eval.txt", tmpdir);
    unlink(path);
    eval_destroy(s);
    filter_host_destroy(h);
}

/* A threshold from the command line decides the category and says so. */
/* The ECE exact probabilities would show by chance: per band E|right - sum p|, over the alerts. */
TEST(ece_by_chance)
{
    double e;
    const double half[] = {50};
    ASSERT_EQ(eval_ece_chance(half, 1, 10, &e), 0);
    ASSERT_DBL_NEAR(e, 0.5, 1e-12); /* one coin: always half off */
    const double low[] = {3};
    ASSERT_EQ(eval_ece_chance(low, 1, 10, &e), 0);
    ASSERT_DBL_NEAR(e, 2 * 0.03 * 0.97, 1e-12);
    const double two[] = {50, 55}; /* one band: 0, 1 or 2 right around a mean of 1.05 */
    ASSERT_EQ(eval_ece_chance(two, 2, 10, &e), 0);
    ASSERT_DBL_NEAR(e, (0.5 * 0.45 * 1.05 + (0.5 * 0.55 + 0.5 * 0.45) * 0.05 + 0.5 * 0.55 * 0.95) / 2, 1e-12);
    const double apart[] = {50, 95}; /* two bands: each its own gap */
    ASSERT_EQ(eval_ece_chance(apart, 2, 10, &e), 0);
    ASSERT_DBL_NEAR(e, (0.5 + 2 * 0.95 * 0.05) / 2, 1e-12);
    const double sure[] = {0, 100, 100};
    ASSERT_EQ(eval_ece_chance(sure, 3, 10, &e), 0);
    ASSERT_DBL_NEAR(e, 0, 1e-12); /* nothing left to chance */
    ASSERT_EQ(eval_ece_chance(sure, 0, 10, &e), 0);
    ASSERT_DBL_NEAR(e, 0, 0); /* no alert: no error */
}

TEST(cli_threshold_decides)
{
    filter_host *h = engine("invest=99.9");
    eval_set *s = run_eval(h);
    eval_counts c;
    ASSERT_EQ(eval_result(s, "invest", &c), 0);
    ASSERT_STR_EQ(c.thr_src, "cli");
    ASSERT_DBL_NEAR(c.threshold, 99.9, 1e-9);
    ASSERT_LT(c.tp + c.fp, 3); /* fewer articles pass than at the default */
    eval_destroy(s);
    filter_host_destroy(h);
}

TEST(bad_labels_name_file_and_line)
{
    char path[300], err[512] = "";
    snprintf(path, sizeof path, "%s/bad.tsv", tmpdir);
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("id\tinvest\nx\t1\ny\tmaybe\n", f);
    fclose(f);
    eval_set *s = NULL;
    ASSERT_EQ(eval_create(&s, path, err, sizeof err), SQ_E_INVAL);
    ASSERT(s == NULL);
    ASSERT(strstr(err, path) != NULL && strstr(err, ":3:") != NULL);
    unlink(path);
    ASSERT_EQ(eval_create(&s, "/nonexistent/labels.tsv", err, sizeof err), SQ_E_IO);
}

/* The bootstrap interval: exact when every item is alike, around the F1 otherwise, the same on
 * every call (fixed seed), and refused for no items. */
TEST(boot_interval)
{
    uint32_t cnt[3 * 100];
    double lo, hi, lo2, hi2;
    for (int i = 0; i < 100; i++) cnt[3 * i] = 1, cnt[3 * i + 1] = 0, cnt[3 * i + 2] = 0;
    ASSERT_EQ(eval_boot_f1(cnt, 100, &lo, &hi), 0);
    ASSERT_DBL_NEAR(lo, 1.0, 1e-12);
    ASSERT_DBL_NEAR(hi, 1.0, 1e-12);
    for (int i = 50; i < 100; i++) cnt[3 * i] = 0, cnt[3 * i + 2] = 1; /* 50 tp, 50 fn: F1 2/3 */
    ASSERT_EQ(eval_boot_f1(cnt, 100, &lo, &hi), 0);
    ASSERT(lo < 2.0 / 3 && 2.0 / 3 < hi && lo > 0.5 && hi < 0.8);
    ASSERT_EQ(eval_boot_f1(cnt, 100, &lo2, &hi2), 0);
    ASSERT(lo == lo2 && hi == hi2);
    ASSERT_EQ(eval_boot_f1(cnt, 0, &lo, &hi), SQ_E_INVAL);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sq_test_eval_engine_XXXXXX");
    ASSERT(mkdtemp(tmpdir) != NULL);
    RUN(counts_match_hand_labels);
    RUN(ece_by_chance);
    RUN(cli_threshold_decides);
    RUN(bad_labels_name_file_and_line);
    RUN(boot_interval);
    rmdir(tmpdir);
    fprintf(stderr, "test_eval_engine: ok\n");
    return 0;
}
