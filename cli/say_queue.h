/* say_queue.h -- what squawk say says next: admission (score, novelty, copies), priority, staleness, collapse. */
#ifndef CLI_SAY_QUEUE_H
#define CLI_SAY_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/alert.h"

typedef struct say_queue_opts {
    double min_score;     /* below: not said */
    unsigned min_novelty; /* below: a repeat of a story already reported (100 = first report only) */
    double max_age_s;     /* older when its turn comes: dropped, a stale call is worse than none */
    size_t backlog;       /* most alerts waiting; beyond, the lowest scores are only counted */
} say_queue_opts;

/* What say_queue_push did with an alert. */
typedef enum {
    SAY_Q_QUEUED = 0,
    SAY_Q_LOW,       /* score below min_score */
    SAY_Q_REPEAT,    /* novelty below min_novelty */
    SAY_Q_COPY,      /* its article was queued or said already (another ticker or category) */
    SAY_Q_COLLAPSED, /* backlog full of better ones: counted for the "and N more" line instead */
} say_queue_verdict;

typedef struct say_item {
    proto_alert *alert; /* the caller owns it after say_queue_pop */
    int64_t rx_mono_ns; /* when it was received */
    int64_t born_ns;    /* CLOCK_REALTIME its age is counted from: the publisher's emit_ns */
} say_item;

typedef enum { SAY_POP_NONE = 0, SAY_POP_ALERT, SAY_POP_MORE } say_pop_kind;

typedef struct say_queue_stats {
    uint64_t queued, low, repeat, copy, collapsed, stale, more_lines;
} say_queue_stats;

typedef struct say_queue say_queue;

say_queue *say_queue_create(const say_queue_opts *o);
void say_queue_destroy(say_queue *q);

/* Takes ownership of a in every case (frees what it does not keep). Returns a say_queue_verdict. */
int say_queue_push(say_queue *q, proto_alert *a, int64_t rx_mono_ns, int64_t now_real_ns);

/* The next thing to say. Stale alerts are dropped on the way. SAY_POP_ALERT fills *item;
 * SAY_POP_MORE writes "and N more on invest[, and M more on chips]" into more (and forgets
 * the counts): when nothing else waits, or when the oldest collapsed alert would go stale. */
say_pop_kind say_queue_pop(say_queue *q, int64_t now_real_ns, say_item *item, char *more,
                           size_t morelen);

size_t say_queue_len(const say_queue *q);
/* The best score waiting, -1 when empty. */
double say_queue_top_score(const say_queue *q);
const say_queue_stats *say_queue_stats_get(const say_queue *q);
const char *say_queue_verdict_name(int verdict);

#endif
