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
#include <pthread.h>

#include "../core/log.h"

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

/* Only a directory we own and no one else can write is trusted: a database
 * read from it is executed by the scanner. 0, or why not. */
static const char *usable(const char *dir)
{
    char parent[4096];
    size_t n = strlen(dir);
    if (n >= sizeof parent) return "path too long";
    memcpy(parent, dir, n + 1);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = 0;
        mkdir(parent, 0700);
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return strerror(errno);
    struct stat st;
    if (stat(dir, &st) != 0) return strerror(errno);
    if (!S_ISDIR(st.st_mode)) return "not a directory";
    if (st.st_uid != geteuid()) return "owned by another user";
    if (st.st_mode & 022) return "writable by others";
    if (access(dir, W_OK | X_OK) != 0) return strerror(errno);
    return NULL;
}

/* Says once where the cache went (and again when that changes): a cache
 * that silently switched off costs every start tens of seconds. */
static void report(const char *dir, const char *from, const char *skipped)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static char last[4096];
    pthread_mutex_lock(&mu);
    if (strcmp(last, dir) != 0) {
        size_t n = strlen(dir);
        if (n >= sizeof last) n = sizeof last - 1;
        memcpy(last, dir, n);
        last[n] = 0;
        if (skipped[0])
            sq_warn("rules.cache", "dir=\"%s\" from=%s skipped=\"%s\"", dir, from, skipped);
        else
            sq_info("rules.cache", "dir=\"%s\" from=%s", dir, from);
    }
    pthread_mutex_unlock(&mu);
}

/* $SQUAWK_CACHE_DIR, $XDG_CACHE_HOME/squawk, $HOME/.cache/squawk,
 * /var/cache/squawk, then a private directory under $TMPDIR or /tmp. */
static int cache_dir(char *out, size_t len)
{
    const char *d = getenv("SQUAWK_CACHE_DIR");
    if (d && strcmp(d, "off") == 0) return -1;
    const char *tmp = getenv("TMPDIR");
    char cand[5][4096];
    const char *from[5] = {"SQUAWK_CACHE_DIR", "XDG_CACHE_HOME", "HOME", "system", "tmp"};
    memset(cand, 0, sizeof cand);
    if (d && *d) snprintf(cand[0], sizeof cand[0], "%s", d);
    if ((d = getenv("XDG_CACHE_HOME")) && *d) snprintf(cand[1], sizeof cand[1], "%s/squawk", d);
    if ((d = getenv("HOME")) && *d) snprintf(cand[2], sizeof cand[2], "%s/.cache/squawk", d);
    snprintf(cand[3], sizeof cand[3], "/var/cache/squawk");
    snprintf(cand[4], sizeof cand[4], "%s/squawk-cache-%u", tmp && *tmp ? tmp : "/tmp",
             (unsigned)geteuid());
    char skipped[1024] = "";
    for (int i = 0; i < 5; i++) {
        if (!cand[i][0]) continue;
        const char *why = usable(cand[i]);
        if (!why) {
            snprintf(out, len, "%s", cand[i]);
            report(out, from[i], skipped);
            return 0;
        }
        size_t sl = strlen(skipped);
        /* the system directory is only for services; its absence is no news */
        if (i != 3 || errno != EACCES)
            snprintf(skipped + sl, sizeof skipped - sl, "%s%s: %s", sl ? "; " : "", cand[i], why);
    }
    report("", "none", skipped);
    return -1;
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
