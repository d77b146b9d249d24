/* hs_cache.c -- an on-disk cache of serialized Hyperscan databases, keyed by their inputs. */
#include "hs_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Two FNV-1a lanes with different seeds: 128 bits is plenty to make an
 * accidental collision between two rule sets a non-event. */
typedef struct {
    uint64_t a, b;
} hkey;

static void mix(hkey *h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h->a = (h->a ^ s[i]) * 0x100000001b3ULL;
        h->b = (h->b ^ s[i]) * 0x100000001b3ULL;
    }
}

static int cache_dir(char *out, size_t len)
{
    const char *d = getenv("SQUAWK_CACHE_DIR");
    if (d && strcmp(d, "off") == 0) return -1;
    if (d && *d)
        snprintf(out, len, "%s", d);
    else if ((d = getenv("XDG_CACHE_HOME")) && *d)
        snprintf(out, len, "%s/squawk", d);
    else if ((d = getenv("HOME")) && *d)
        snprintf(out, len, "%s/.cache/squawk", d);
    else
        return -1;
    /* Only a directory we own and no one else can write is trusted: a
     * database read from it is executed by the scanner. */
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", out);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = 0;
        mkdir(parent, 0700);
    }
    if (mkdir(out, 0700) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 022))
        return -1;
    return 0;
}

static hs_database_t *load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    hs_database_t *db = NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && st.st_size < (1 << 30) &&
        st.st_uid == geteuid()) {
        char *buf = malloc((size_t)st.st_size);
        if (buf && fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size &&
            hs_deserialize_database(buf, (size_t)st.st_size, &db) != HS_SUCCESS)
            db = NULL;
        free(buf);
    }
    fclose(f);
    return db;
}

static void store(const char *path, const hs_database_t *db)
{
    char *bytes = NULL;
    size_t n = 0;
    if (hs_serialize_database(db, &bytes, &n) != HS_SUCCESS) return;
    char tmp[4232];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
        /* write then rename: a reader never sees half a database */
        int ok = write(fd, bytes, n) == (ssize_t)n;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp, path) != 0) unlink(tmp);
    }
    free(bytes);
}

/* lens == NULL: regexes (hs_compile_multi); else literals (hs_compile_lit_multi).
 * The kind is part of the key: the same strings compiled both ways differ. */
static hs_error_t cached_compile(const char *const *patterns, const unsigned *flags,
                                 const unsigned *ids, const size_t *lens, unsigned n,
                                 hs_database_t **db, hs_compile_error_t **err)
{
    char dir[4096], path[4200];
    int cached = cache_dir(dir, sizeof dir) == 0;
    if (cached) {
        hkey h = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
        const char *v = hs_version();
        mix(&h, v, strlen(v) + 1);
        hs_platform_info_t plat;
        if (hs_populate_platform(&plat) == HS_SUCCESS) mix(&h, &plat, sizeof plat);
        if (lens) mix(&h, "lit", 4);
        for (unsigned i = 0; i < n; i++) {
            if (lens) {
                mix(&h, &lens[i], sizeof lens[i]);
                mix(&h, patterns[i], lens[i]);
            } else {
                mix(&h, patterns[i], strlen(patterns[i]) + 1);
            }
            mix(&h, &flags[i], sizeof flags[i]);
            mix(&h, &ids[i], sizeof ids[i]);
        }
        snprintf(path, sizeof path, "%s/%016llx%016llx.hsdb", dir, (unsigned long long)h.a,
                 (unsigned long long)h.b);
        if ((*db = load(path)) != NULL) return HS_SUCCESS;
    }
    hs_error_t rc = lens ? hs_compile_lit_multi(patterns, flags, ids, lens, n, HS_MODE_BLOCK, NULL, db, err)
                         : hs_compile_multi(patterns, flags, ids, n, HS_MODE_BLOCK, NULL, db, err);
    if (rc == HS_SUCCESS && cached) store(path, *db);
    return rc;
}

hs_error_t filter_hs_cache_compile_multi(const char *const *patterns, const unsigned *flags,
                                         const unsigned *ids, unsigned n, hs_database_t **db,
                                         hs_compile_error_t **err)
{
    return cached_compile(patterns, flags, ids, NULL, n, db, err);
}

hs_error_t filter_hs_cache_compile_lit_multi(const char *const *patterns, const unsigned *flags,
                                             const unsigned *ids, const size_t *lens, unsigned n,
                                             hs_database_t **db, hs_compile_error_t **err)
{
    return cached_compile(patterns, flags, ids, lens, n, db, err);
}
