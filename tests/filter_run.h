/* filter_run.h -- test helpers shared by the filter tests: run a host over one article, find an alert's entity, copy and write files. */
#ifndef SQ_TEST_FILTER_RUN_H
#define SQ_TEST_FILTER_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../filters/host.h"
#include "assert.h"

/* Runs the host over (headline, body) with all=1; returns the alert of category cat or NULL. */
static inline proto_alert *run_one(filter_host *h, const char *headline, const char *body, const char *cat)
{
    proto_article a;
    ASSERT_EQ(proto_article_init(&a, "t1", headline, body), 0);
    proto_alert **v;
    size_t n;
    ASSERT_EQ(filter_host_process(h, &a, NULL, 1, &v, &n), 0);
    proto_alert *found = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!found && strcmp(v[i]->category, cat) == 0) found = v[i];
        else proto_alert_destroy(v[i]);
    }
    free(v);
    proto_article_free(&a);
    return found;
}

/* The alert's entity named name, or NULL. */
static inline const proto_entity *alert_entity(const proto_alert *al, const char *name)
{
    for (size_t i = 0; i < al->n_entities; i++)
        if (strcmp(al->entities[i].name, name) == 0) return &al->entities[i];
    return NULL;
}

static inline void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    ASSERT(a && b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) ASSERT_EQ(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

static inline void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
}

#endif
