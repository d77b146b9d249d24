/* ztopics.c -- a topic-keyed hash map (open addressing, FNV-1a, grows at half full). */
#include "ztopics.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return h;
}

static ztopic *find(ztopic *tab, size_t cap, const char *k, size_t n)
{
    size_t i = fnv(k, n) & (cap - 1);
    while (tab[i].key && !(tab[i].len == n && memcmp(tab[i].key, k, n) == 0)) i = (i + 1) & (cap - 1);
    return &tab[i];
}

static int grow(ztopics *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    ztopic *tab = calloc(cap, sizeof *tab);
    if (!tab) return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].key) *find(tab, cap, m->slot[i].key, m->slot[i].len) = m->slot[i];
    free(m->slot);
    m->slot = tab;
    m->cap = cap;
    return 0;
}

ztopic *ztopics_get(ztopics *m, const char *key, size_t len, int create)
{
    if (!m->cap) {
        if (!create || grow(m) != 0) return NULL;
    }
    ztopic *e = find(m->slot, m->cap, key, len);
    if (e->key || !create) return e->key ? e : NULL;
    if ((m->n + 1) * 2 > m->cap) {
        if (grow(m) != 0) return NULL;
        e = find(m->slot, m->cap, key, len);
    }
    if (!(e->key = malloc(len + 1))) return NULL;
    memcpy(e->key, key, len);
    e->key[len] = '\0';
    e->len = len;
    e->u = 0;
    e->p = NULL;
    m->n++;
    return e;
}

void ztopics_clear(ztopics *m)
{
    for (size_t i = 0; i < m->cap; i++) free(m->slot[i].key);
    free(m->slot);
    memset(m, 0, sizeof *m);
}
