/* novelty.c -- repeat detection: SimHash of headline + entities, over a bounded time window. */
#include "novelty.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NOVELTY_MAX_DIST 3

typedef struct entry {
    uint64_t key;
    uint64_t cat;
    int64_t ms;
} entry;

struct filter_novelty {
    pthread_mutex_t mu;
    entry *ring;
    size_t cap, head, n;
    int64_t window_ms;
};

filter_novelty *filter_novelty_create(unsigned window_s, size_t cap)
{
    filter_novelty *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->cap = cap ? cap : 8192;
    n->ring = calloc(n->cap, sizeof *n->ring);
    if (!n->ring) {
        free(n);
        return NULL;
    }
    n->window_ms = (int64_t)(window_s ? window_s : 86400) * 1000;
    pthread_mutex_init(&n->mu, NULL);
    return n;
}

void filter_novelty_destroy(filter_novelty *n)
{
    if (!n) return;
    pthread_mutex_destroy(&n->mu);
    free(n->ring);
    free(n);
}

void filter_novelty_take(filter_novelty *to, filter_novelty *from)
{
    if (!to || !from || to == from) return;
    pthread_mutex_lock(&from->mu);
    pthread_mutex_lock(&to->mu);
    entry *ring = to->ring;
    size_t cap = to->cap;
    to->ring = from->ring, to->cap = from->cap, to->head = from->head, to->n = from->n;
    from->ring = ring, from->cap = cap, from->head = 0, from->n = 0;
    pthread_mutex_unlock(&to->mu);
    pthread_mutex_unlock(&from->mu);
}

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)tolower((unsigned char)s[i]);
        h *= 1099511628211ULL;
    }
    /* FNV's low bits mix poorly for short words: finish with a murmur step. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static void add_words(int *acc, const char *s, int weight)
{
    size_t i = 0, len = s ? strlen(s) : 0;
    while (i < len) {
        while (i < len && !isalnum((unsigned char)s[i]) && (unsigned char)s[i] < 0x80) i++;
        size_t j = i;
        while (j < len && (isalnum((unsigned char)s[j]) || (unsigned char)s[j] >= 0x80)) j++;
        /* short words ("to", "a") carry no story identity */
        if (j - i >= 3) {
            uint64_t h = fnv1a(s + i, j - i);
            for (int b = 0; b < 64; b++) acc[b] += (h >> b) & 1 ? weight : -weight;
        }
        i = j;
    }
}

/* Wire services re-send a story as "UPDATE 1-...", "BRIEF-...", "EXCLUSIVE-...",
 * "RPT-...", "CORRECTED-UPDATE 2-...": the prefix says it is the same story,
 * so it must not make the headline look new. */
static const char *skip_wire_prefixes(const char *h)
{
    static const char *tags[] = {"UPDATE",  "BRIEF",   "EXCLUSIVE", "RPT",      "REFILE",
                                 "CORRECTED", "WRAPUP", "ANALYSIS",  "INSIGHT", "FACTBOX",
                                 "BREAKINGVIEWS", "PREVIEW", "TIMELINE", NULL};
    if (!h) return h;
    for (int again = 1; again;) {
        again = 0;
        while (*h == ' ') h++;
        for (size_t k = 0; tags[k]; k++) {
            size_t n = strlen(tags[k]);
            if (strncmp(h, tags[k], n) != 0) continue;
            const char *p = h + n;
            if (*p == ' ' && isdigit((unsigned char)p[1])) { /* "UPDATE 1-" */
                p++;
                while (isdigit((unsigned char)*p)) p++;
            }
            while (*p == ' ') p++;
            if (*p != '-' && *p != ':') continue;
            h = p + 1;
            again = 1;
            break;
        }
    }
    return h;
}

uint64_t filter_novelty_key(const char *headline, const char *const *names, size_t n_names)
{
    int acc[64] = {0};
    add_words(acc, skip_wire_prefixes(headline), 1);
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

unsigned filter_novelty_observe(filter_novelty *n, const char *category, uint64_t key,
                                int64_t now_ms)
{
    uint64_t cat = fnv1a(category, strlen(category));
    unsigned repeats = 0;
    pthread_mutex_lock(&n->mu);
    /* the n entries written are ring[0, n) (head == n until the ring is full); a count needs no order */
    for (size_t i = 0; i < n->n; i++) {
        const entry *e = &n->ring[i];
        if (e->cat != cat || now_ms - e->ms > n->window_ms) continue;
        if (bits_set(e->key ^ key) <= NOVELTY_MAX_DIST) repeats++;
    }
    n->ring[n->head] = (entry){key, cat, now_ms};
    n->head = (n->head + 1) % n->cap;
    if (n->n < n->cap) n->n++;
    pthread_mutex_unlock(&n->mu);
    return 100u / (1u + repeats);
}
