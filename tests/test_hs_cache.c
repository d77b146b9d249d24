/* test_hs_cache.c -- the serialized Hyperscan database cache: hit, miss, corruption, untrusted dir. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filters/hs_cache.h"
#include "tests/assert.h"

static char dir[128];

static int count_files(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".hsdb")) n++;
    if (d) closedir(d);
    return n;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx)
{
    *(int *)ctx |= 1 << id;
    return 0;
}

static int scan(hs_database_t *db, const char *text)
{
    hs_scratch_t *s = NULL;
    int hits = 0;
    ASSERT_EQ(hs_alloc_scratch(db, &s), HS_SUCCESS);
    ASSERT_EQ(hs_scan(db, text, (unsigned)strlen(text), 0, s, on_match, &hits), HS_SUCCESS);
    hs_free_scratch(s);
    return hits;
}

static hs_database_t *compile(const char *p0)
{
    const char *pats[] = {p0, "\\bprobe\\b"};
    unsigned fl[] = {HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST, HS_FLAG_SOM_LEFTMOST}, ids[] = {0, 1};
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    hs_error_t rc = filter_hs_cache_compile_multi(pats, fl, ids, 2, &db, &ce);
    if (rc != HS_SUCCESS) {
        hs_free_compile_error(ce);
        return NULL;
    }
    return db;
}

TEST(hit_and_miss)
{
    hs_database_t *db = compile("\\bacquires?\\b");
    ASSERT(db != NULL);
    ASSERT_EQ(count_files(), 1);
    ASSERT_EQ(scan(db, "X acquires Y amid probe"), 3);
    hs_free_database(db);
    db = compile("\\bacquires?\\b"); /* from the cache: same answers */
    ASSERT_EQ(count_files(), 1);
    ASSERT_EQ(scan(db, "X acquires Y amid probe"), 3);
    hs_free_database(db);
    db = compile("\\bmerger\\b"); /* another rule set, another entry */
    ASSERT_EQ(count_files(), 2);
    ASSERT_EQ(scan(db, "merger probe"), 3);
    hs_free_database(db);
    ASSERT(compile("(unclosed") == NULL); /* errors are not cached */
    ASSERT_EQ(count_files(), 2);
}

static hs_database_t *compile_lit(const char *p0, unsigned flag)
{
    const char *pats[] = {p0, "probe"};
    size_t lens[] = {strlen(p0), 5};
    unsigned fl[] = {flag, 0}, ids[] = {0, 1};
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    if (filter_hs_cache_compile_lit_multi(pats, fl, ids, lens, 2, &db, &ce) != HS_SUCCESS) {
        hs_free_compile_error(ce);
        return NULL;
    }
    return db;
}

/* The gazetteer's literal databases share the cache; a literal set is never
 * served a regex database of the same strings (nor the other way round). */
TEST(literals_cached_apart)
{
    int before = count_files();
    hs_database_t *db = compile_lit("Acme.Corp", 0);
    ASSERT(db != NULL);
    ASSERT_EQ(count_files(), before + 1);
    ASSERT_EQ(scan(db, "Acme.Corp probe"), 3);
    ASSERT_EQ(scan(db, "AcmeXCorp probe"), 2); /* '.' is a literal dot */
    hs_free_database(db);
    db = compile_lit("Acme.Corp", 0); /* from the cache */
    ASSERT_EQ(count_files(), before + 1);
    ASSERT_EQ(scan(db, "Acme.Corp probe"), 3);
    hs_free_database(db);
    db = compile_lit("Acme.Corp", HS_FLAG_CASELESS); /* other flags, other entry */
    ASSERT_EQ(count_files(), before + 2);
    ASSERT_EQ(scan(db, "ACME.CORP probe"), 3);
    hs_free_database(db);
    const char *pats[] = {"Acme.Corp", "probe"};
    unsigned fl[] = {0, 0}, ids[] = {0, 1};
    hs_compile_error_t *ce = NULL;
    ASSERT_EQ(filter_hs_cache_compile_multi(pats, fl, ids, 2, &db, &ce), HS_SUCCESS);
    ASSERT_EQ(count_files(), before + 3);
    ASSERT_EQ(scan(db, "AcmeXCorp probe"), 3); /* as a regex '.' is any byte */
    hs_free_database(db);
}

TEST(corrupt_entry_recompiles)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".hsdb")) {
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            FILE *f = fopen(p, "r+b");
            fputs("garbage garbage garbage", f);
            fclose(f);
        }
    closedir(d);
    hs_database_t *db = compile("\\bacquires?\\b");
    ASSERT(db != NULL);
    ASSERT_EQ(scan(db, "X acquires Y amid probe"), 3);
    hs_free_database(db);
}

TEST(untrusted_dir_not_used)
{
    char open_dir[160];
    snprintf(open_dir, sizeof open_dir, "%s/open", dir);
    mkdir(open_dir, 0777);
    chmod(open_dir, 0777);
    setenv("SQUAWK_CACHE_DIR", open_dir, 1);
    hs_database_t *db = compile("\\btakeover\\b");
    ASSERT(db != NULL);
    hs_free_database(db);
    DIR *d = opendir(open_dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    ASSERT_EQ(n, 0);
    rmdir(open_dir);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/squawk-hscache-%d", (int)getpid());
    setenv("SQUAWK_CACHE_DIR", dir, 1);
    RUN(hit_and_miss);
    RUN(literals_cached_apart);
    RUN(corrupt_entry_recompiles);
    RUN(untrusted_dir_not_used);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
