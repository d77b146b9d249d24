/* test_eval.c -- the corpus converters on hand-made snippets and `squawk eval` on a hand-labelled fixture. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/assert.h"

#define DATA SQ_SOURCE_DIR "/tests/data/eval"

static char tmpdir[64];

static const char *python(void)
{
    /* Converters need only the standard library; prefer Debian's interpreter. */
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

static const char *squawk(void)
{
    const char *b = getenv("SQUAWK_BIN");
    return b && *b ? b : SQ_BINARY_DIR "/squawk";
}

/* Runs cmd through the shell; returns its exit status and its stdout in *out. */
static int run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    ASSERT(p != NULL);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    ASSERT(buf != NULL);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            ASSERT(buf != NULL);
        }
    }
    buf[n] = '\0';
    int st = pclose(p);
    if (out) *out = buf;
    else free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ASSERT(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ASSERT(b != NULL);
    ASSERT_EQ(fread(b, 1, (size_t)n, f), n);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* Parses JSON Lines into an array of objects. */
static json_t *jsonl(const char *text)
{
    json_t *arr = json_array();
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len) {
            json_error_t e;
            json_t *o = json_loadb(p, len, 0, &e);
            if (!o) SQ_FAIL_("bad JSON line: %s: %.*s", e.text, (int)len, p);
            json_array_append_new(arr, o);
        }
        p += len + (nl ? 1 : 0);
    }
    return arr;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

TEST(reuters_converter_splits_ids_and_labels)
{
    char cmd[1024], *out, lab[128];
    snprintf(lab, sizeof lab, "%s/train.tsv", tmpdir);
    snprintf(cmd, sizeof cmd,
             "%s %s/tools/corpus_reuters.py %s/mini.sgm --split train --labels acq --labels-out %s"
             " 2>/dev/null",
             python(), SQ_SOURCE_DIR, DATA, lab);
    ASSERT_EQ(run(cmd, &out), 0);
    json_t *a = jsonl(out);
    /* ModApte TRAIN: LEWISSPLIT=TRAIN and TOPICS=YES, so 103 (TOPICS=NO) is out. */
    ASSERT_EQ(json_array_size(a), 2);
    json_t *d = json_array_get(a, 0);
    ASSERT_STR_EQ(str(d, "id"), "reuters-101");
    ASSERT_STR_EQ(str(d, "headline"), "EXAMPLE CO <EXM> TO BUY SAMPLE INC");
    /* Entities unescaped; the " Reuter" sign-off and &#3; are gone. */
    ASSERT_STR_EQ(str(d, "body"),
                  "Example Co said it agreed to buy Sample Inc\nfor 12 mln dlrs in cash & stock.");
    ASSERT_STR_EQ(str(d, "published"), "1987-03-02T10:15:00Z");
    ASSERT_STR_EQ(str(json_array_get(a, 1), "body"),
                  "Farmers expect a larger wheat harvest this year.");
    char *l = slurp(lab);
    ASSERT_STR_EQ(l, "id\tinvest\nreuters-101\t1\nreuters-102\t0\n");
    free(l);
    json_decref(a);
    free(out);

    snprintf(cmd, sizeof cmd, "%s %s/tools/corpus_reuters.py %s/mini.sgm --split test 2>/dev/null",
             python(), SQ_SOURCE_DIR, DATA);
    ASSERT_EQ(run(cmd, &out), 0);
    a = jsonl(out);
    ASSERT_EQ(json_array_size(a), 2);
    ASSERT_STR_EQ(str(json_array_get(a, 0), "id"), "reuters-104");
    /* An UNPROC story has no TITLE: its first line becomes the headline. */
    d = json_array_get(a, 1);
    ASSERT_STR_EQ(str(d, "id"), "reuters-105");
    ASSERT_STR_EQ(str(d, "headline"), "WEEKLY MONEY FIGURES - MARCH 3");
    ASSERT_STR_EQ(str(d, "body"), "M-1 rose 1.2 billion dlrs in the week.");
    json_decref(a);
    free(out);

    snprintf(cmd, sizeof cmd, "%s %s/tools/corpus_reuters.py %s/mini.sgm --split all 2>/dev/null",
             python(), SQ_SOURCE_DIR, DATA);
    ASSERT_EQ(run(cmd, &out), 0);
    a = jsonl(out);
    ASSERT_EQ(json_array_size(a), 6);
    ASSERT_STR_EQ(str(json_array_get(a, 2), "headline"), "NOT IN MODAPTE BECAUSE TOPICS IS NO");
    ASSERT_STR_EQ(str(json_array_get(a, 2), "body"), "");
    json_decref(a);
    free(out);
}

TEST(twitter_converter_maps_labels)
{
    char cmd[1024], *out, lab[128];
    snprintf(lab, sizeof lab, "%s/tw.tsv", tmpdir);
    snprintf(cmd, sizeof cmd,
             "%s %s/tools/corpus_twitter.py %s/mini_tweets.csv --split mini --labels-out %s"
             " 2>/dev/null",
             python(), SQ_SOURCE_DIR, DATA, lab);
    ASSERT_EQ(run(cmd, &out), 0);
    json_t *a = jsonl(out);
    ASSERT_EQ(json_array_size(a), 3);
    ASSERT_STR_EQ(str(json_array_get(a, 0), "id"), "tw-mini-1");
    ASSERT_STR_EQ(str(json_array_get(a, 0), "headline"),
                  "Example Corp to buy Sample Inc for $3 billion & cash https://t.co/x");
    ASSERT_STR_EQ(str(json_array_get(a, 0), "body"), "");
    char *l = slurp(lab);
    /* 13 -> invest, 12 -> regulatory; no chips column at all. */
    ASSERT_STR_EQ(l, "id\tinvest\tregulatory\ntw-mini-1\t1\t0\ntw-mini-2\t0\t1\ntw-mini-3\t0\t0\n");
    free(l);
    json_decref(a);
    free(out);
}

TEST(eval_rejects_bad_usage_and_labels)
{
    char cmd[1024], bad[128];
    snprintf(cmd, sizeof cmd, "%s eval </dev/null >/dev/null 2>&1", squawk());
    ASSERT_EQ(run(cmd, NULL), 2);
    snprintf(cmd, sizeof cmd, "%s eval --labels %s/labels.tsv --threshold invest=150 </dev/null"
             " >/dev/null 2>&1", squawk(), DATA);
    ASSERT_EQ(run(cmd, NULL), 2);
    snprintf(bad, sizeof bad, "%s/bad.tsv", tmpdir);
    FILE *f = fopen(bad, "w");
    ASSERT(f != NULL);
    fputs("article\tinvest\nx\t1\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s eval --labels %s </dev/null >/dev/null 2>&1", squawk(), bad);
    ASSERT_EQ(run(cmd, NULL), 1);
    f = fopen(bad, "w");
    ASSERT(f != NULL);
    fputs("id\tinvest\nx\tyes\n", f);
    fclose(f);
    ASSERT_EQ(run(cmd, NULL), 1);
}

static json_t *cat(json_t *doc, const char *name)
{
    json_t *c = json_object_get(json_object_get(doc, "categories"), name);
    if (!c) SQ_FAIL_("category %s missing from eval output", name);
    return c;
}

static long num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) SQ_FAIL_("%s is not an integer", key);
    return (long)json_integer_value(v);
}

/* The fixture: 2 clear positives per category, 4 clear negatives (earnings, the
 * Amazon river, a dividend, a rate decision), and two rows labelled wrongly on
 * purpose so the error paths are exercised: fx-flip-fp is a plain takeover
 * labelled all 0 (an invest false positive), fx-flip-fn a museum story
 * labelled regulatory (a miss where no rule fires). One labelled id has no
 * article and one article has no label. Computed by hand:
 *   invest     TP 2 FP 1 FN 0 TN 9
 *   chips      TP 2 FP 0 FN 0 TN 10
 *   regulatory TP 2 FP 0 FN 1 TN 9
 * One squawk run only: the filter host compiles its databases at start-up. */
TEST(eval_counts_match_hand_labels)
{
    char cmd[1024], *out, jpath[128];
    snprintf(jpath, sizeof jpath, "%s/eval.json", tmpdir);
    snprintf(cmd, sizeof cmd,
             "%s eval --labels %s/labels.tsv --articles - --errors 3 --sweep --json-out %s"
             " < %s/articles.jsonl",
             squawk(), DATA, jpath, DATA);
    ASSERT_EQ(run(cmd, &out), 0);
    fprintf(stderr, "%s", out);

    char *js = slurp(jpath);
    json_error_t e;
    json_t *doc = json_loads(js, 0, &e);
    if (!doc) SQ_FAIL_("eval --json-out is not JSON: %s", e.text);
    free(js);
    ASSERT_EQ(num(doc, "labelled"), 13);
    ASSERT_EQ(num(doc, "read"), 13);
    ASSERT_EQ(num(doc, "evaluated"), 12);
    ASSERT_EQ(num(doc, "labelled_not_found"), 1);
    ASSERT_EQ(num(doc, "unlabelled"), 1);
    ASSERT_EQ(num(doc, "undecodable"), 0);
    static const char *const cats[] = {"invest", "chips", "regulatory"};
    static const long want[3][4] = {{2, 1, 0, 9}, {2, 0, 0, 10}, {2, 0, 1, 9}};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = cat(doc, cats[i]);
        ASSERT(json_is_true(json_object_get(c, "has_filter")));
        ASSERT(json_is_number(json_object_get(c, "threshold")));
        ASSERT_EQ(num(c, "tp"), want[i][0]);
        ASSERT_EQ(num(c, "fp"), want[i][1]);
        ASSERT_EQ(num(c, "fn"), want[i][2]);
        ASSERT_EQ(num(c, "tn"), want[i][3]);
        long tp = want[i][0], fp = want[i][1], fn = want[i][2];
        ASSERT_DBL_NEAR(json_real_value(json_object_get(c, "precision")),
                        (double)tp / (double)(tp + fp), 1e-5);
        ASSERT_DBL_NEAR(json_real_value(json_object_get(c, "recall")),
                        (double)tp / (double)(tp + fn), 1e-5);
        ASSERT_DBL_NEAR(json_real_value(json_object_get(c, "f1")),
                        2.0 * tp / (2.0 * tp + fp + fn), 1e-5);
        ASSERT_EQ(json_array_size(json_object_get(c, "false_positives")), fp);
        ASSERT_EQ(json_array_size(json_object_get(c, "misses")), fn);
        ASSERT_EQ(json_object_size(json_object_get(c, "sweep_f1")), 17);
    }
    json_t *f = json_array_get(json_object_get(cat(doc, "invest"), "false_positives"), 0);
    ASSERT_STR_EQ(str(f, "id"), "fx-flip-fp");
    ASSERT(json_is_number(json_object_get(f, "score")));
    ASSERT(strlen(str(f, "evidence")) > 0);
    json_t *m = json_array_get(json_object_get(cat(doc, "regulatory"), "misses"), 0);
    ASSERT_STR_EQ(str(m, "id"), "fx-flip-fn");
    ASSERT(json_is_null(json_object_get(m, "score")));
    ASSERT_EQ(num(cat(doc, "regulatory"), "misses_without_alert"), 1);
    json_decref(doc);

    /* The readable table: header counts, one row per category, the error lists. */
    ASSERT(strstr(out, "evaluated 12, labelled ids not found 1, unlabelled skipped 1") != NULL);
    for (size_t i = 0; i < 3; i++) ASSERT(strstr(out, cats[i]) != NULL);
    ASSERT(strstr(out, "F1 by threshold") != NULL);
    ASSERT(strstr(out, "fx-flip-fp") != NULL);
    const char *miss = strstr(out, "fx-flip-fn");
    ASSERT(miss != NULL);
    ASSERT(strstr(miss, "no rule fired") != NULL);
    free(out);
}

/* Runs squawk eval on the fixture with parties file `parties` (in DATA) and options `opts`;
 * returns its exit code, the output in *out. */
static int eval_parties(const char *parties, const char *opts, char **out)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s eval --labels %s/labels.tsv --articles %s/articles.jsonl --parties %s/%s %s",
             squawk(), DATA, DATA, DATA, parties, opts);
    return run(cmd, out);
}

/* Routing on the same fixture with hand-written parties (tests/data/eval/parties.tsv):
 * invest sends PFE, MRNA, GOOGL (Anthropic is unlisted: never expected) and
 * PG, KMB for fx-flip-fp, whose parties are "none"; chips sends the four
 * listed parties; regulatory sends GOOGL and V, and misses Mastercard, which
 * the parties name but the text does not. Computed by hand:
 *   invest     TP 3 FP 2 FN 0
 *   chips      TP 4 FP 0 FN 0
 *   regulatory TP 2 FP 0 FN 1 */
TEST(eval_routing_matches_hand_parties)
{
    char *out;
    ASSERT_EQ(eval_parties("parties.tsv", "--json 2>/dev/null", &out), 0);
    json_error_t e;
    json_t *doc = json_loads(out, 0, &e);
    if (!doc) SQ_FAIL_("eval --json is not JSON: %s", e.text);
    free(out);
    static const char *const cats[] = {"invest", "chips", "regulatory"};
    static const long want[3][3] = {{3, 2, 0}, {4, 0, 0}, {2, 0, 1}};
    json_t *routing = json_object_get(doc, "routing");
    ASSERT(routing != NULL);
    for (size_t i = 0; i < 3; i++) {
        json_t *c = json_object_get(routing, cats[i]);
        ASSERT(c != NULL);
        ASSERT_EQ(num(c, "tp"), want[i][0]);
        ASSERT_EQ(num(c, "fp"), want[i][1]);
        ASSERT_EQ(num(c, "fn"), want[i][2]);
        ASSERT_EQ(num(c, "articles"), 8); /* fixture ids listed in parties.tsv and seen */
    }
    /* By cause: invest's two wrong tickers are fx-flip-fp's, an article with no parties;
     * regulatory's miss is Mastercard, which no alert names. */
    json_t *inv_fp = json_object_get(json_object_get(routing, "invest"), "wrong_by_cause");
    ASSERT_EQ(num(inv_fp, "negative_article"), 2);
    ASSERT_EQ(num(inv_fp, "not_a_party"), 0);
    json_t *reg_fn = json_object_get(json_object_get(routing, "regulatory"), "missed_by_cause");
    ASSERT_EQ(num(reg_fn, "not_found"), 1);
    ASSERT_EQ(num(reg_fn, "no_alert") + num(reg_fn, "not_routed"), 0);
    json_decref(doc);

    /* --errors names each wrong and missed ticker with the roles. */
    ASSERT_EQ(eval_parties("parties.tsv", "--errors 5 2>/dev/null", &out), 0);
    ASSERT(strstr(out, "routing (article, ticker) pairs") != NULL);
    ASSERT(strstr(out, "wrong  fx-flip-fp             PG         investor") != NULL);
    ASSERT(strstr(out, "missed fx-reg-2               MA         subject, squawk: not found") != NULL);
    ASSERT(strstr(out, "regulatory   missed 1 (no alert 0, not found 1, not routed 0); wrong 0") != NULL);
    free(out);

    /* A cell "?" is not listed: parties-unlisted.tsv marks fx-flip-fp's invest and fx-reg-2's
     * regulatory parties so, and those articles leave the counts of that category only. */
    ASSERT_EQ(eval_parties("parties-unlisted.tsv", "--json 2>/dev/null", &out), 0);
    if (!(doc = json_loads(out, 0, &e))) SQ_FAIL_("eval --json is not JSON: %s", e.text);
    free(out);
    static const long want_u[3][4] = {{3, 0, 0, 7}, {4, 0, 0, 8}, {1, 0, 0, 7}};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = json_object_get(json_object_get(doc, "routing"), cats[i]);
        ASSERT(c != NULL);
        ASSERT_EQ(num(c, "tp"), want_u[i][0]);
        ASSERT_EQ(num(c, "fp"), want_u[i][1]);
        ASSERT_EQ(num(c, "fn"), want_u[i][2]);
        ASSERT_EQ(num(c, "articles"), want_u[i][3]);
    }
    json_decref(doc);

    /* Role agreement: parties-swapped.tsv labels fx-inv-1's buyer the target and the bought the
     * investor, so of invest's 3 right tickers only GOOGL has the labelled role; each swap is an
     * error line, and routing F1 does not see it. */
    ASSERT_EQ(eval_parties("parties-swapped.tsv", "--json 2>/dev/null", &out), 0);
    if (!(doc = json_loads(out, 0, &e))) SQ_FAIL_("eval --json is not JSON: %s", e.text);
    free(out);
    json_t *inv = json_object_get(json_object_get(doc, "routing"), "invest");
    ASSERT_EQ(num(inv, "tp"), 3);
    ASSERT_DBL_NEAR(json_real_value(json_object_get(inv, "role_agreement")), 1.0 / 3.0, 1e-5);
    json_decref(doc);
    ASSERT_EQ(eval_parties("parties-swapped.tsv", "--errors 5 2>/dev/null", &out), 0);
    ASSERT(strstr(out, "role   fx-inv-1               PFE        target, squawk: investor") != NULL);
    ASSERT(strstr(out, "role   fx-inv-1               MRNA       investor, squawk: target") != NULL);
    free(out);

    /* A parties file without a <category>_parties column is refused. */
    ASSERT_EQ(eval_parties("labels.tsv", "2>&1", &out), 1);
    ASSERT(strstr(out, "no <category>_parties column") != NULL);
    free(out);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sq-test-eval-XXXXXX");
    ASSERT(mkdtemp(tmpdir) != NULL);
    RUN(reuters_converter_splits_ids_and_labels);
    RUN(twitter_converter_maps_labels);
    RUN(eval_rejects_bad_usage_and_labels);
    RUN(eval_counts_match_hand_labels);
    RUN(eval_routing_matches_hand_parties);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    ASSERT_EQ(run(cmd, NULL), 0);
    return 0;
}
