/* hs_cache.h -- compiles a Hyperscan database once per rule set and reuses it across restarts. */
#ifndef FILTER_HS_CACHE_H
#define FILTER_HS_CACHE_H

#include <hs/hs.h>

/* Same contract as hs_compile_multi (block mode). The compiled database is
 * kept serialized under the cache directory, keyed by a hash of every
 * pattern, flag and id plus the Hyperscan version, so an unchanged rule pack
 * loads in milliseconds instead of seconds. The directory is the first that
 * works of $SQUAWK_CACHE_DIR, $XDG_CACHE_HOME/squawk, ~/.cache/squawk,
 * /var/cache/squawk and $TMPDIR/squawk-cache-<uid> (owned by us, not writable
 * by others), logged as rules.cache when chosen; SQUAWK_CACHE_DIR=off
 * disables caching. A missing, unreadable or stale entry just means
 * compiling; a cache that cannot be written is ignored. */
hs_error_t filter_hs_cache_compile_multi(const char *const *patterns, const unsigned *flags,
                                         const unsigned *ids, unsigned n, hs_database_t **db,
                                         hs_compile_error_t **err);

/* The same cache for hs_compile_lit_multi (block mode): the gazetteer's
 * thousands of aliases and tickers. */
hs_error_t filter_hs_cache_compile_lit_multi(const char *const *patterns, const unsigned *flags,
                                             const unsigned *ids, const size_t *lens, unsigned n,
                                             hs_database_t **db, hs_compile_error_t **err);

#endif
