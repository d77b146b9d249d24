/* fuzz_config.c -- libFuzzer target: squawk.yml loading (YAML, schema, environment overrides, dump). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

/* sq_config_load takes a path: every input goes through one temp file. */
static char path[64];

static void setup(void)
{
    if (path[0]) return;
    snprintf(path, sizeof path, "/tmp/sq-fuzz-config-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) abort();
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    /* Bytes after the first NUL are "KEY=VALUE" lines: environment overrides. */
    const uint8_t *nul = memchr(data, 0, size);
    size_t ylen = nul ? (size_t)(nul - data) : size;
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (ylen && fwrite(data, 1, ylen, f) != ylen) abort();
    fclose(f);

    char *envbuf = NULL, *env[17] = {0};
    if (nul) {
        size_t elen = size - ylen - 1;
        envbuf = malloc(elen + 1);
        if (!envbuf) abort();
        memcpy(envbuf, nul + 1, elen);
        envbuf[elen] = '\0';
        int n = 0;
        for (char *save = NULL, *t = strtok_r(envbuf, "\n", &save); t && n < 16;
             t = strtok_r(NULL, "\n", &save))
            env[n++] = t;
    }

    sq_config c;
    char err[512];
    if (sq_config_load(&c, path, env, err, sizeof err) == 0) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            sq_config_dump(&c, null);
            fclose(null);
        }
        sq_config_free(&c);
    } else if (!memchr(err, '\0', sizeof err)) {
        abort(); /* the message must be terminated */
    }
    free(envbuf);
    return 0;
}
