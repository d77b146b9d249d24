/* zwire.c -- the REPLAY request parser shared by the publisher and squawk proxy. */
#include "zwire.h"

#include <stdio.h>
#include <string.h>

#include "../core/error.h"

static int refuse(const char **why, const char *w)
{
    if (why) *why = w;
    return SQ_E_INVAL;
}

/* One "pub ..." or "topic ..." line of n bytes (no newline) into r. */
static int take_line(const char *l, size_t n, zwire_req *r, const char **why)
{
    size_t pl = strlen(ZWIRE_REQ_PUB), tl = strlen(ZWIRE_REQ_TOPIC);
    if (n >= pl && memcmp(l, ZWIRE_REQ_PUB, pl) == 0) {
        if (n - pl >= sizeof r->pub) return refuse(why, "bad request");
        memcpy(r->pub, l + pl, n - pl);
        r->pub[n - pl] = '\0';
        return 0;
    }
    if (n >= tl && memcmp(l, ZWIRE_REQ_TOPIC, tl) == 0) {
        if (r->n_topics == ZWIRE_REQ_MAX_TOPICS) return refuse(why, "too many topics");
        /* fits: every line is shorter than the request, which is shorter than topics */
        memcpy(r->topics + r->topics_len, l + tl, n - tl);
        r->topics_len += n - tl;
        r->topics[r->topics_len++] = '\0';
        r->n_topics++;
        return 0;
    }
    return n == 0 ? 0 : refuse(why, "bad request");
}

SQ_API int zwire_parse_request(const void *body, size_t len, zwire_req *r, const char **why)
{
    memset(r, 0, sizeof *r);
    if (!body || len >= ZWIRE_REQ_MAX || memchr(body, 0, len)) return refuse(why, "bad request");
    const char *b = body, *end = b + len;
    const char *nl = memchr(b, '\n', len);
    size_t first = nl ? (size_t)(nl - b) : len;
    char line[64];
    if (first >= sizeof line) return refuse(why, "bad request");
    memcpy(line, b, first);
    line[first] = '\0';
    unsigned long long from = 0, to = 0;
    char tail = 0;
    int n = sscanf(line, ZWIRE_REPLAY " %llu %llu %c", &from, &to, &tail);
    if (n < 1 || n > 2 || strncmp(line, ZWIRE_REPLAY " ", strlen(ZWIRE_REPLAY) + 1) != 0)
        return refuse(why, "bad request");
    r->from = from;
    r->to = n == 2 ? to : 0;
    for (const char *l = nl ? nl + 1 : end; l < end;) {
        const char *e = memchr(l, '\n', (size_t)(end - l));
        size_t ln = e ? (size_t)(e - l) : (size_t)(end - l);
        if (take_line(l, ln, r, why) != 0) return SQ_E_INVAL;
        l += ln + 1;
    }
    return 0;
}
