/* ztopics.h -- a topic-keyed hash map (open addressing, never shrinks) for the publisher's and the subscriber's per-topic state. */
#ifndef SINKS_ZTOPICS_H
#define SINKS_ZTOPICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ztopic {
    char *key; /* NULL = empty slot */
    size_t len;
    uint64_t u; /* the owner's counter */
    void *p;    /* the owner's state, freed by the owner */
} ztopic;

typedef struct ztopics {
    ztopic *slot;
    size_t cap, n;
} ztopics;

/* The entry for key; created (u = 0, p = NULL) when create is set. NULL when
 * absent (create == 0) or out of memory. Pointers stay valid until the next
 * create. */
ztopic *ztopics_get(ztopics *m, const char *key, size_t len, int create);
/* Frees the keys and the table; the owner frees the p pointers first. */
void ztopics_clear(ztopics *m);

#endif
