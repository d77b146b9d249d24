/* test_filter_seed.c -- the reference article through `squawk score`: invest, chips, regulatory. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/article.h"
#include "assert.h"

#define SEED SQ_SOURCE_DIR "/../shared/seeds/000_8052e21e807529c1.txt"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ASSERT(b && fread(b, 1, (size_t)n, f) == (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

static json_t *find_alert(json_t **alerts, size_t n, const char *cat)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(json_string_value(json_object_get(alerts[i], "category")), cat) == 0)
            return alerts[i];
    return NULL;
}

/* The entity named `name` (or with ticker) in the alert's entities. */
static json_t *entity(json_t *al, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(al, "entities"), i, e) {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && strstr(n, name)) return e;
    }
    return NULL;
}

/* Every entity of the alert but a and b is only mentioned: the article names Microsoft, Google and
 * Nvidia in passing, and a desk subscribed to them must get no topic from it. */
static void assert_only_parties(json_t *al, const char *a, const char *b)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(al, "entities"), i, e) {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && (strstr(n, a) || strstr(n, b))) continue;
        if (strcmp(json_string_value(json_object_get(e, "role")), "mentioned") != 0)
            SQ_FAIL_("%s: %s is %s, not mentioned", json_string_value(json_object_get(al, "category")), n,
                     json_string_value(json_object_get(e, "role")));
    }
}

static void assert_role(json_t *al, const char *name, const char *ticker, const char *role)
{
    json_t *e = entity(al, name);
    if (!e) SQ_FAIL_("no entity %s", name);
    ASSERT_STR_EQ(json_string_value(json_object_get(e, "role")), role);
    if (ticker) ASSERT_STR_EQ(json_string_value(json_object_get(e, "ticker")), ticker);
    else ASSERT(json_is_null(json_object_get(e, "ticker")));
    ASSERT_GT(json_number_value(json_object_get(e, "relevance")), 0);
}

static int has_evidence(json_t *al, const char *needle)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(al, "evidence"), i, e) {
        const char *t = json_string_value(json_object_get(e, "text"));
        const char *r = json_string_value(json_object_get(e, "rule"));
        ASSERT(json_integer_value(json_object_get(e, "end")) > json_integer_value(json_object_get(e, "start")));
        if ((t && strcasestr(t, needle)) || (r && strstr(r, needle))) return 1;
    }
    return 0;
}

int main(void)
{
    size_t len;
    char *text = slurp(SEED, &len);
    if (!text) {
        fprintf(stderr, "test_filter_seed: SKIP: %s is absent\n", SEED);
        return 0;
    }
    /* Wrap it: first line = headline, the rest = body. */
    char *nl = strchr(text, '\n');
    ASSERT(nl != NULL);
    *nl = '\0';
    proto_article a;
    ASSERT_EQ(proto_article_init(&a, "seed-000", text, nl + 1), 0);
    char *js;
    size_t jl;
    ASSERT_EQ(proto_article_encode_json(&a, &js, &jl), 0);
    char dir[] = "/tmp/sq_test_seed_XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    char in[128], out[128], cmd[1024];
    snprintf(in, sizeof in, "%s/seed.jsonl", dir);
    snprintf(out, sizeof out, "%s/alerts.jsonl", dir);
    FILE *f = fopen(in, "w");
    ASSERT(f != NULL);
    fwrite(js, 1, jl, f);
    fputs("\n{\"id\": broken json\n", f); /* a malformed line is counted, never fatal */
    fclose(f);
    const char *bin = getenv("SQUAWK_BIN");
    ASSERT(bin != NULL);
    snprintf(cmd, sizeof cmd, "'%s' score < '%s' > '%s'", bin, in, out);
    ASSERT_EQ(system(cmd), 0);

    json_t *alerts[16];
    size_t n = 0;
    f = fopen(out, "r");
    ASSERT(f != NULL);
    char line[1 << 16];
    while (fgets(line, sizeof line, f) && n < 16) {
        json_error_t je;
        alerts[n] = json_loads(line, 0, &je);
        if (!alerts[n]) SQ_FAIL_("bad JSON line: %s", je.text);
        ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(alerts[n], "article"), "id")),
                      "seed-000");
        ASSERT_GT(json_array_size(json_object_get(alerts[n], "evidence")), 0);
        n++;
    }
    fclose(f);
    ASSERT_EQ(n, 3);

    json_t *inv = find_alert(alerts, n, "invest");
    ASSERT(inv != NULL);
    assert_role(inv, "Amazon", "AMZN", "investor");
    assert_role(inv, "OpenAI", NULL, "target");
    assert_only_parties(inv, "Amazon", "OpenAI");
    ASSERT_STR_EQ(json_string_value(json_object_get(inv, "stage")), "talks");
    int has10 = 0;
    size_t i;
    json_t *am;
    json_array_foreach(json_object_get(inv, "amounts"), i, am)
        if (json_number_value(json_object_get(am, "usd")) == 10e9) has10 = 1;
    ASSERT(has10);
    ASSERT_GE(json_number_value(json_object_get(inv, "score")), 50);

    json_t *chips = find_alert(alerts, n, "chips");
    ASSERT(chips != NULL);
    assert_role(chips, "Amazon", "AMZN", "supplier");
    assert_role(chips, "OpenAI", NULL, "customer");
    assert_only_parties(chips, "Amazon", "OpenAI");
    ASSERT(has_evidence(chips, "Trainium"));
    ASSERT_GE(json_number_value(json_object_get(chips, "score")), 50);

    json_t *reg = find_alert(alerts, n, "regulatory");
    ASSERT(reg != NULL);
    ASSERT(has_evidence(reg, "antitrust"));
    ASSERT(has_evidence(reg, "scrutiny"));
    ASSERT_GE(json_number_value(json_object_get(reg, "score")), 50);

    for (size_t k = 0; k < n; k++) json_decref(alerts[k]);
    unlink(in);
    unlink(out);
    rmdir(dir);
    free(js);
    proto_article_free(&a);
    free(text);
    fprintf(stderr, "test_filter_seed: ok\n");
    return 0;
}
