/* say_queue.c -- the alerts waiting to be said: best score first, copies once, stale dropped, overflow counted. */
#include "say_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "say_text.h"

#define SAY_SEEN 4096     /* articles remembered for copy detection */
#define SAY_MORE_CATS 8   /* categories counted separately in the "and N more" line */

typedef struct more_count {
    char cat[32];
    unsigned n;
} more_count;

struct say_queue {
    say_queue_opts o;
    say_item *items;
    size_t n;
    uint64_t seen[SAY_SEEN]; /* FNV-1a of article ids, a ring; 0 = empty */
    size_t seen_head;
    more_count more[SAY_MORE_CATS];
    int64_t more_since_ns; /* born_ns of the first alert collapsed since the last more line */
    say_queue_stats st;
};

say_queue *say_queue_create(const say_queue_opts *o)
{
    say_queue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->o = *o;
    if (q->o.backlog == 0) q->o.backlog = 1;
    q->items = calloc(q->o.backlog, sizeof *q->items);
    if (!q->items) {
        free(q);
        return NULL;
    }
    return q;
}

void say_queue_destroy(say_queue *q)
{
    if (!q) return;
    for (size_t i = 0; i < q->n; i++) proto_alert_destroy(q->items[i].alert);
    free(q->items);
    free(q);
}

static uint64_t article_key(const proto_alert *a)
{
    const char *s = a->article.id && *a->article.id ? a->article.id : (a->id ? a->id : "");
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

static int seen_has(const say_queue *q, uint64_t k)
{
    for (size_t i = 0; i < SAY_SEEN; i++)
        if (q->seen[i] == k) return 1;
    return 0;
}

static void seen_add(say_queue *q, uint64_t k)
{
    q->seen[q->seen_head] = k;
    q->seen_head = (q->seen_head + 1) % SAY_SEEN;
}

static void more_add(say_queue *q, const proto_alert *a, int64_t born_ns)
{
    const char *cat = a->category && *a->category ? a->category : "other";
    size_t i = 0;
    while (i < SAY_MORE_CATS && q->more[i].n && strcmp(q->more[i].cat, cat) != 0) i++;
    if (i == SAY_MORE_CATS) i = SAY_MORE_CATS - 1; /* a ninth category shares the last slot */
    if (!q->more[i].n) snprintf(q->more[i].cat, sizeof q->more[i].cat, "%s", cat);
    if (!q->more[0].n || born_ns < q->more_since_ns) q->more_since_ns = born_ns;
    q->more[i].n++;
    q->st.collapsed++;
}

static int64_t born_of(const proto_alert *a, int64_t now_real_ns)
{
    /* The publisher's clock, unless it claims the future: then our own receipt. */
    if (a->ts.emit_ns > 0 && a->ts.emit_ns <= now_real_ns + 5000000000LL) return a->ts.emit_ns;
    return now_real_ns;
}

int say_queue_push(say_queue *q, proto_alert *a, int64_t rx_mono_ns, int64_t now_real_ns)
{
    int v = SAY_Q_QUEUED;
    uint64_t key = article_key(a);
    if (a->score < q->o.min_score) v = SAY_Q_LOW;
    else if (a->novelty < q->o.min_novelty) v = SAY_Q_REPEAT;
    else if (seen_has(q, key)) v = SAY_Q_COPY;
    if (v != SAY_Q_QUEUED) {
        if (v == SAY_Q_LOW) q->st.low++;
        else if (v == SAY_Q_REPEAT) q->st.repeat++;
        else q->st.copy++;
        proto_alert_destroy(a);
        return v;
    }
    seen_add(q, key);
    say_item it = {a, rx_mono_ns, born_of(a, now_real_ns)};
    if (q->n == q->o.backlog) {
        size_t lo = 0; /* the lowest score; among equals the newest gives way */
        for (size_t i = 1; i < q->n; i++)
            if (q->items[i].alert->score <= q->items[lo].alert->score) lo = i;
        if (a->score <= q->items[lo].alert->score) {
            more_add(q, a, it.born_ns);
            proto_alert_destroy(a);
            return SAY_Q_COLLAPSED;
        }
        more_add(q, q->items[lo].alert, q->items[lo].born_ns);
        proto_alert_destroy(q->items[lo].alert);
        q->items[lo] = it;
        q->st.queued++;
        return SAY_Q_QUEUED; /* the new one waits; a lesser one was counted for it */
    }
    q->items[q->n++] = it;
    q->st.queued++;
    return SAY_Q_QUEUED;
}

static void drop_stale(say_queue *q, int64_t now_real_ns)
{
    int64_t max_ns = (int64_t)(q->o.max_age_s * 1e9);
    size_t w = 0;
    for (size_t i = 0; i < q->n; i++) {
        if (q->o.max_age_s > 0 && now_real_ns - q->items[i].born_ns > max_ns) {
            proto_alert_destroy(q->items[i].alert);
            q->st.stale++;
            continue;
        }
        q->items[w++] = q->items[i];
    }
    q->n = w;
}

static void more_line(say_queue *q, char *out, size_t outlen)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < SAY_MORE_CATS && q->more[i].n; i++) {
        if (len && len + 2 < outlen) len += (size_t)snprintf(out + len, outlen - len, ", ");
        if (len < outlen) {
            int n = say_text_more(q->more[i].cat, q->more[i].n, out + len, outlen - len);
            if (n > 0) len += (size_t)n;
        }
        q->more[i].n = 0;
    }
    if (len + 1 < outlen) snprintf(out + len, outlen - len, ".");
    q->st.more_lines++;
}

say_pop_kind say_queue_pop(say_queue *q, int64_t now_real_ns, say_item *item, char *more,
                           size_t morelen)
{
    drop_stale(q, now_real_ns);
    if (q->more[0].n && more && morelen > 1) {
        /* The count is said before it is itself old news, even if the backlog never empties. */
        int due = q->o.max_age_s > 0 &&
                  now_real_ns - q->more_since_ns > (int64_t)(q->o.max_age_s * 0.5e9);
        if (q->n == 0 || due) {
            more_line(q, more, morelen);
            return SAY_POP_MORE;
        }
    }
    if (q->n == 0) return SAY_POP_NONE;
    size_t best = 0; /* highest score; among equals the first received */
    for (size_t i = 1; i < q->n; i++)
        if (q->items[i].alert->score > q->items[best].alert->score) best = i;
    *item = q->items[best];
    memmove(&q->items[best], &q->items[best + 1], (q->n - best - 1) * sizeof *q->items);
    q->n--;
    return SAY_POP_ALERT;
}

size_t say_queue_len(const say_queue *q) { return q->n; }

double say_queue_top_score(const say_queue *q)
{
    double s = -1;
    for (size_t i = 0; i < q->n; i++)
        if (q->items[i].alert->score > s) s = q->items[i].alert->score;
    return s;
}

const say_queue_stats *say_queue_stats_get(const say_queue *q) { return &q->st; }

const char *say_queue_verdict_name(int v)
{
    static const char *const names[] = {"queued", "low", "repeat", "copy", "collapsed"};
    return v >= 0 && v <= SAY_Q_COLLAPSED ? names[v] : "?";
}
