/* test_filter_example.c -- the out-of-tree example plugin: install the SDK, build, load, alert. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assert.h"

static void run(const char *cmd)
{
    fprintf(stderr, "+ %s\n", cmd);
    int rc = system(cmd);
    if (rc != 0) SQ_FAIL_("command failed (%d): %s", rc, cmd);
}

int main(void)
{
    const char *bin = getenv("SQUAWK_BIN");
    ASSERT(bin != NULL);
    char dir[] = "/tmp/sq_test_example_XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' --install '%s' --prefix '%s/sdk' --component sdk >&2",
             SQ_CMAKE_COMMAND, SQ_BINARY_DIR, dir);
    run(cmd);
    snprintf(cmd, sizeof cmd,
             "PKG_CONFIG_PATH='%s/sdk/lib/pkgconfig' '%s' -S '%s/examples/earnings' -B '%s/build' "
             "-DCMAKE_BUILD_TYPE=Release >&2 && '%s' --build '%s/build' >&2",
             dir, SQ_CMAKE_COMMAND, SQ_SOURCE_DIR, dir, SQ_CMAKE_COMMAND, dir);
    run(cmd);

    char in[256], out[256];
    snprintf(in, sizeof in, "%s/article.json", dir);
    snprintf(out, sizeof out, "%s/alerts.jsonl", dir);
    FILE *f = fopen(in, "w");
    ASSERT(f != NULL);
    fputs("{\"id\": \"ex-1\", \"headline\": \"Nvidia raised its guidance for the full year\", "
          "\"body\": \"Nvidia Corp. raised its forecast after record data center sales.\"}\n"
          "{\"id\": \"ex-2\", \"headline\": \"Weather is fine\", \"body\": \"Nothing here.\"}\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' score --filter '%s/build/earnings.so' '%s' > '%s'", bin, dir, in, out);
    run(cmd);

    f = fopen(out, "r");
    ASSERT(f != NULL);
    char line[65536];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *al = json_loads(line, 0, &je);
        if (!al) SQ_FAIL_("bad JSON: %s", je.text);
        ASSERT_STR_EQ(json_string_value(json_object_get(al, "category")), "earnings");
        ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(al, "article"), "id")), "ex-1");
        ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(al, "filter"), "name")), "earnings");
        ASSERT_GE(json_number_value(json_object_get(al, "score")), 40);
        ASSERT_GE(json_array_size(json_object_get(al, "evidence")), 2);
        json_decref(al);
        n++;
    }
    fclose(f);
    ASSERT_EQ(n, 1);
    /* --explain speaks human: the rule and the text it matched */
    snprintf(cmd, sizeof cmd, "'%s' score --explain --filter '%s/build/earnings.so' '%s' > '%s'", bin,
             dir, in, out);
    run(cmd);
    f = fopen(out, "r");
    ASSERT(f != NULL);
    size_t got = fread(line, 1, sizeof line - 1, f);
    line[got] = '\0';
    fclose(f);
    ASSERT(strstr(line, "earnings  score=") != NULL);
    ASSERT(strstr(line, "evidence: raised its guidance") != NULL);
    ASSERT(strstr(line, "\"raised its guidance\"") != NULL);
    /* the example's own config map is checked by the host as well */
    snprintf(cmd, sizeof cmd, "'%s' score --filter '%s/build/earnings.so' --set earnings.colour=red '%s' "
             ">/dev/null 2>'%s'", bin, dir, in, out);
    ASSERT_NE(system(cmd), 0);
    f = fopen(out, "r");
    ASSERT(f && fgets(line, sizeof line, f));
    fclose(f);
    ASSERT(strstr(line, "earnings.so") && strstr(line, "colour"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    run(cmd);
    fprintf(stderr, "test_filter_example: ok\n");
    return 0;
}
