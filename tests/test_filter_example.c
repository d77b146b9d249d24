/* test_filter_example.c -- the out-of-tree example plugin: install the SDK, build, load, and the host's engine scores it over the pack beside its .so. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assert.h"

static char dir[] = "/tmp/sq_test_example_XXXXXX";
static const char *bin;

static void run(const char *cmd)
{
    fprintf(stderr, "+ %s\n", cmd);
    int rc = system(cmd);
    if (rc != 0) SQ_FAIL_("command failed (%d): %s", rc, cmd);
}

/* A whole small file into buf. */
static void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    ASSERT(f != NULL);
    size_t got = fread(buf, 1, len - 1, f);
    buf[got] = '\0';
    fclose(f);
}

/* squawk score with args over the articles; the alerts' JSON Lines in out. */
static void score(const char *args, char *out, size_t len)
{
    char cmd[4096], path[300];
    snprintf(path, sizeof path, "%s/alerts.out", dir);
    snprintf(cmd, sizeof cmd, "'%s' score %s '%s/article.json' > '%s'", bin, args, dir, path);
    run(cmd);
    slurp(path, out, len);
}

/* The entity named name in alert al must have role. */
static void has_role(json_t *al, const char *name, const char *role)
{
    json_t *ents = json_object_get(al, "entities"), *e;
    size_t i;
    json_array_foreach(ents, i, e) if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
    {
        ASSERT_STR_EQ(json_string_value(json_object_get(e, "role")), role);
        return;
    }
    SQ_FAIL_("no entity %s", name);
}

/* The alerts: guidance raised (Micron issuer, Nvidia customer) and cut (a
 * company the gazetteer lacks, by its suffix; Intel customer); the weather and
 * analysts' forecasts (the pack's veto) raise nothing. */
static void check_alerts(const char *jsonl)
{
    const char *want_id[] = {"ex-1", "ex-3"};
    int n = 0;
    for (const char *line = jsonl; *line; n++) {
        const char *nl = strchr(line, '\n');
        json_error_t je;
        json_t *al = json_loadb(line, nl ? (size_t)(nl - line) : strlen(line), 0, &je);
        if (!al) SQ_FAIL_("bad JSON: %s", je.text);
        ASSERT(n < 2);
        ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(al, "article"), "id")), want_id[n]);
        ASSERT_STR_EQ(json_string_value(json_object_get(al, "category")), "earnings");
        ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(al, "filter"), "name")), "earnings");
        ASSERT_GE(json_number_value(json_object_get(al, "score")), 40);
        ASSERT_EQ(json_array_size(json_object_get(al, "entities")), 2);
        has_role(al, n == 0 ? "Micron Technology Inc." : "Acme Widgets Inc", "issuer");
        has_role(al, n == 0 ? "Nvidia Corp." : "Intel Corp.", "customer");
        json_t *ev = json_array_get(json_object_get(al, "evidence"), 0);
        ASSERT_STR_EQ(json_string_value(json_object_get(ev, "rule")), n == 0 ? "earnings.raise" : "earnings.cut");
        json_decref(al);
        line = nl ? nl + 1 : line + strlen(line);
    }
    ASSERT_EQ(n, 2);
}

static void build_example(void)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' --install '%s' --prefix '%s/sdk' --component sdk >&2", SQ_CMAKE_COMMAND,
             SQ_BINARY_DIR, dir);
    run(cmd);
    snprintf(cmd, sizeof cmd,
             "PKG_CONFIG_PATH='%s/sdk/lib/pkgconfig' '%s' -S '%s/examples/earnings' -B '%s/build' "
             "-DCMAKE_BUILD_TYPE=Release >&2 && '%s' --build '%s/build' >&2",
             dir, SQ_CMAKE_COMMAND, SQ_SOURCE_DIR, dir, SQ_CMAKE_COMMAND, dir);
    run(cmd);
    char in[300];
    snprintf(in, sizeof in, "%s/article.json", dir);
    FILE *f = fopen(in, "w");
    ASSERT(f != NULL);
    fputs("{\"id\": \"ex-1\", \"headline\": \"Micron raises full-year guidance\", \"body\": \"Micron Technology "
          "raised its full-year forecast on Tuesday, citing strong demand from Nvidia for its memory chips.\"}\n"
          "{\"id\": \"ex-2\", \"headline\": \"Weather is fine\", \"body\": \"Nothing here.\"}\n"
          "{\"id\": \"ex-3\", \"headline\": \"Acme Widgets Inc cuts annual outlook\", \"body\": \"Acme Widgets "
          "Inc lowered its annual outlook, citing weaker orders from Intel.\"}\n"
          "{\"id\": \"ex-4\", \"headline\": \"Analysts lift forecasts for Nvidia\", \"body\": \"Several analysts "
          "raised their price targets for Nvidia.\"}\n", f);
    fclose(f);
}

int main(void)
{
    bin = getenv("SQUAWK_BIN");
    ASSERT(bin != NULL);
    ASSERT(mkdtemp(dir) != NULL);
    build_example();
    char cmd0[1024];
    snprintf(cmd0, sizeof cmd0, "'%s' rules lint '%s/examples/earnings/earnings.yml' >&2", bin, SQ_SOURCE_DIR);
    run(cmd0);
    static char out[65536];
    char args[1024], cmd[4096];
    snprintf(args, sizeof args, "--filter '%s/build/earnings.so'", dir);
    score(args, out, sizeof out);
    check_alerts(out);

    /* --explain speaks human: the rule and the text it matched */
    snprintf(args, sizeof args, "--explain --filter '%s/build/earnings.so'", dir);
    score(args, out, sizeof out);
    ASSERT(strstr(out, "earnings  score=") != NULL);
    ASSERT(strstr(out, "evidence: earnings.raise") != NULL);
    ASSERT(strstr(out, "\"raised its full-year forecast\"") != NULL);

    /* the pack is found beside the .so, wherever it is installed and whatever the working directory */
    snprintf(cmd, sizeof cmd, "mkdir '%s/plugins' && cp '%s/build/earnings.so' '%s/build/earnings.yml' '%s/plugins/'",
             dir, dir, dir, dir);
    run(cmd);
    snprintf(args, sizeof args, "--plugin-dir '%s/plugins' --filter earnings", dir);
    snprintf(cmd, sizeof cmd, "cd / && '%s' score %s '%s/article.json' > '%s/alerts.out'", bin, args, dir, dir);
    run(cmd);
    snprintf(cmd, sizeof cmd, "%s/alerts.out", dir);
    slurp(cmd, out, sizeof out);
    check_alerts(out);

    /* the engine reads the settings the plugin declares: a high bias leaves nothing above 40 */
    snprintf(args, sizeof args, "--filter '%s/plugins/earnings.so' --set earnings.bias=40", dir);
    score(args, out, sizeof out);
    ASSERT_STR_EQ(out, "");

    /* without its pack the plugin does not load, and the error names where it looked */
    snprintf(cmd, sizeof cmd, "rm '%s/plugins/earnings.yml' && '%s' score --filter '%s/plugins/earnings.so' "
             "'%s/article.json' >/dev/null 2>'%s/err.out'", dir, bin, dir, dir, dir);
    ASSERT_NE(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/err.out", dir);
    slurp(cmd, out, sizeof out);
    snprintf(args, sizeof args, "%s/plugins/earnings.yml", dir);
    ASSERT(strstr(out, args) != NULL);

    /* the example's own config map is checked by the host as well */
    snprintf(cmd, sizeof cmd, "'%s' score --filter '%s/build/earnings.so' --set earnings.colour=red '%s/article.json' "
             ">/dev/null 2>'%s/err.out'", bin, dir, dir, dir);
    ASSERT_NE(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/err.out", dir);
    slurp(cmd, out, sizeof out);
    ASSERT(strstr(out, "earnings.so") && strstr(out, "colour"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    run(cmd);
    fprintf(stderr, "test_filter_example: ok\n");
    return 0;
}
