/* novelty.c -- repeat detection: SimHash of headline + entities, over a bounded time window. */
#include "novelty.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/headline.h"

#define NOVELTY_MAX_DIST 3
/* The near-repeat index (pigeonhole): keys within distance 3 share at least one of
 * their four 16-bit blocks, so a look-up walks the stories filed under each block
 * of the new key instead of the whole ring (8192 stories on every alert was most of
 * the cost on wire feeds). */
#define NOV_BLOCKS 4
#define NOV_BUCKET_BITS 12
#define NOV_BUCKETS (1u << NOV_BUCKET_BITS)

typedef struct entry {
    uint64_t key;
    uint64_t cat;
    int64_t ms;
    uint64_t next[NOV_BLOCKS]; /* per block: seq of the story before this one in its bucket, 0 = none */
} entry;

struct filter_novelty {
    pthread_mutex_t mu;
    entry *ring; /* story seq s (1, 2, ...) lives at ring[(s - 1) % cap] until s + cap overwrites it */
    size_t cap;
    uint64_t seq;   /* stories recorded */
    size_t last;    /* the slot of story seq (walks count back from it: no division per step) */
    uint64_t *head; /* [NOV_BLOCKS][NOV_BUCKETS]: seq of the newest story filed there, 0 = none */
    int64_t window_ms;
};

filter_novelty *filter_novelty_create(unsigned window_s, size_t cap)
{
    filter_novelty *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->cap = cap ? cap : 8192;
    n->ring = calloc(n->cap, sizeof *n->ring);
    n->head = calloc((size_t)NOV_BLOCKS * NOV_BUCKETS, sizeof *n->head);
    if (!n->ring || !n->head) {
        free(n->ring);
        free(n->head);
        free(n);
        return NULL;
    }
    n->last = n->cap - 1; /* story 1 goes to slot 0 */
    n->window_ms = (int64_t)(window_s ? window_s : 86400) * 1000;
    pthread_mutex_init(&n->mu, NULL);
    return n;
}

void filter_novelty_destroy(filter_novelty *n)
{
    if (!n) return;
    pthread_mutex_destroy(&n->mu);
    free(n->ring);
    free(n->head);
    free(n);
}

void filter_novelty_take(filter_novelty *to, filter_novelty *from)
{
    if (!to || !from || to == from) return;
    pthread_mutex_lock(&from->mu);
    pthread_mutex_lock(&to->mu);
    entry *ring = to->ring;
    uint64_t *head = to->head;
    size_t cap = to->cap;
    to->ring = from->ring, to->cap = from->cap, to->seq = from->seq, to->last = from->last, to->head = from->head;
    /* from: empty -- no bucket leads to the stories its ring still holds */
    from->ring = ring, from->cap = cap, from->seq = 0, from->last = cap - 1, from->head = head;
    memset(head, 0, (size_t)NOV_BLOCKS * NOV_BUCKETS * sizeof *head);
    pthread_mutex_unlock(&to->mu);
    pthread_mutex_unlock(&from->mu);
}

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        h ^= (unsigned char)(c - 'A') < 26u ? c + 32u : c; /* tolower in the C locale, without a call */
        h *= 1099511628211ULL;
    }
    /* FNV's low bits mix poorly for short words: finish with a murmur step. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* acc[b] += weight where bit b of h is set, -weight where it is not. The bits are spread a
 * byte at a time into 0/1 bytes (byte j of the product holds bit j of the byte; adding 0x7f
 * carries it to the top without crossing bytes), so the 64 adds run as vector adds: a shift
 * and a branch per bit was most of the key's time. */
static void add_bits(int *acc, uint64_t h, int weight)
{
    unsigned char bit[64];
    for (int k = 0; k < 8; k++) {
        uint64_t y = ((h >> (8 * k)) & 0xff) * UINT64_C(0x0101010101010101) & UINT64_C(0x8040201008040201);
        y = ((y + UINT64_C(0x7f7f7f7f7f7f7f7f)) >> 7) & UINT64_C(0x0101010101010101);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        y = __builtin_bswap64(y); /* bit[8k + j] must be byte j of y's value */
#endif
        memcpy(bit + 8 * k, &y, 8);
    }
    for (int b = 0; b < 64; b++) acc[b] += bit[b] ? weight : -weight;
}

/* Letters, digits (isalnum in the C locale, without a call) and UTF-8 bytes make words. */
static int word_byte(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26u || (unsigned char)(c - '0') < 10u || c >= 0x80;
}

static void add_words(int *acc, const char *s, int weight)
{
    size_t i = 0, len = s ? strlen(s) : 0;
    while (i < len) {
        while (i < len && !word_byte((unsigned char)s[i])) i++;
        size_t j = i;
        while (j < len && word_byte((unsigned char)s[j])) j++;
        /* short words ("to", "a") carry no story identity */
        if (j - i >= 3) {
            add_bits(acc, fnv1a(s + i, j - i), weight);
        }
        i = j;
    }
}

uint64_t filter_novelty_key(const char *headline, const char *const *names, size_t n_names)
{
    int acc[64] = {0};
    /* a wire service re-sends a story as "UPDATE 1-...", "CORRECTED-UPDATE 2-...": the same story */
    add_words(acc, headline ? headline + proto_headline_slugs(headline, strlen(headline), 0) : headline, 1);
    for (size_t i = 0; i < n_names; i++) add_words(acc, names[i], 2);
    uint64_t k = 0;
    for (int b = 0; b < 64; b++)
        if (acc[b] > 0) k |= 1ULL << b;
    return k;
}

/* Bits set, by halves: without -mpopcnt __builtin_popcountll is a call into libgcc, and this
 * runs for every remembered alert of the category on every new one. */
static int bits_set(uint64_t x)
{
    x -= (x >> 1) & UINT64_C(0x5555555555555555);
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (int)((x * UINT64_C(0x0101010101010101)) >> 56);
}

int filter_novelty_distance(uint64_t a, uint64_t b) { return bits_set(a ^ b); }

/* The bucket of key's block b in category cat: a category's stories share buckets only by chance
 * (alerts of two categories on one article have one key) */
static uint64_t *bucket(filter_novelty *n, uint64_t cat, uint64_t key, int b)
{
    return &n->head[(size_t)b * NOV_BUCKETS + (((key >> (16 * b)) ^ cat) & (NOV_BUCKETS - 1))];
}

/* Does the stored key share block b with key, and no block before b (where it was counted)? */
static int first_shared_block(uint64_t stored, uint64_t key, int b)
{
    uint64_t x = stored ^ key;
    if ((x >> (16 * b)) & 0xffff) return 0;
    for (int k = 0; k < b; k++)
        if (!((x >> (16 * k)) & 0xffff)) return 0;
    return 1;
}

/* Stories of the category within the window and distance of key: each counted once,
 * under the first block it shares with key. Seqs along a bucket fall, so the walk ends
 * at the first story the ring has overwritten. */
static unsigned repeats_of(filter_novelty *n, uint64_t cat, uint64_t key, int64_t now_ms)
{
    unsigned repeats = 0;
    uint64_t gone = n->seq > n->cap ? n->seq - n->cap : 0; /* seqs <= gone were overwritten */
    /* from 100 repeats on the novelty is 0: a story re-sent all day stops the walk there */
    for (int b = 0; b < NOV_BLOCKS && repeats < 100; b++)
        for (uint64_t s = *bucket(n, cat, key, b); s > gone && repeats < 100;) {
            size_t back = (size_t)(n->seq - s); /* < cap: not overwritten */
            const entry *e = &n->ring[n->last >= back ? n->last - back : n->last + n->cap - back];
            s = e->next[b];
            if (!first_shared_block(e->key, key, b)) continue; /* another block value in this bucket */
            if (e->cat == cat && now_ms - e->ms <= n->window_ms && bits_set(e->key ^ key) <= NOVELTY_MAX_DIST)
                repeats++;
        }
    return repeats;
}

unsigned filter_novelty_observe(filter_novelty *n, const char *category, uint64_t key,
                                int64_t now_ms)
{
    uint64_t cat = fnv1a(category, strlen(category));
    pthread_mutex_lock(&n->mu);
    unsigned repeats = repeats_of(n, cat, key, now_ms);
    uint64_t s = ++n->seq;
    n->last = n->last + 1 == n->cap ? 0 : n->last + 1;
    entry *e = &n->ring[n->last];
    *e = (entry){key, cat, now_ms, {0}};
    for (int b = 0; b < NOV_BLOCKS; b++) {
        uint64_t *h = bucket(n, cat, key, b);
        e->next[b] = *h;
        *h = s;
    }
    pthread_mutex_unlock(&n->mu);
    return 100u / (1u + repeats);
}
