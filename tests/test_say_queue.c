/* test_say_queue.c -- squawk say's queue: admission, best score first, copies once, staleness, collapse. */
#include "../cli/say_queue.h"
#include "assert.h"

#define S 1000000000LL

static proto_alert *alert(const char *article, const char *cat, double score, unsigned novelty,
                          int64_t emit_ns)
{
    proto_alert *a = proto_alert_create();
    ASSERT(a);
    proto_alert_set(&a->article.id, article);
    proto_alert_set(&a->id, article);
    proto_alert_set(&a->category, cat);
    a->score = score;
    a->novelty = novelty;
    a->ts.emit_ns = emit_ns;
    return a;
}

static const char *pop_article(say_queue *q, int64_t now)
{
    static char id[256];
    say_item it;
    char more[256];
    int k = say_queue_pop(q, now, &it, more, sizeof more);
    if (k == SAY_POP_NONE) return "(none)";
    if (k == SAY_POP_MORE) {
        snprintf(id, sizeof id, "%s", more);
        return id;
    }
    snprintf(id, sizeof id, "%s", it.alert->article.id);
    proto_alert_destroy(it.alert);
    return id;
}

TEST(admission_and_order)
{
    say_queue_opts o = {.min_score = 50, .min_novelty = 100, .max_age_s = 30, .backlog = 10};
    say_queue *q = say_queue_create(&o);
    int64_t t = 1000 * S;
    ASSERT_EQ(say_queue_push(q, alert("a", "invest", 60, 100, t), 0, t), SAY_Q_QUEUED);
    ASSERT_EQ(say_queue_push(q, alert("b", "invest", 40, 100, t), 0, t), SAY_Q_LOW);
    ASSERT_EQ(say_queue_push(q, alert("c", "invest", 90, 50, t), 0, t), SAY_Q_REPEAT);
    ASSERT_EQ(say_queue_push(q, alert("d", "chips", 80, 100, t), 0, t), SAY_Q_QUEUED);
    /* another ticker's copy, and another category of the same article */
    ASSERT_EQ(say_queue_push(q, alert("d", "chips", 80, 100, t), 0, t), SAY_Q_COPY);
    ASSERT_EQ(say_queue_push(q, alert("d", "regulatory", 99, 100, t), 0, t), SAY_Q_COPY);
    ASSERT_EQ(say_queue_push(q, alert("e", "invest", 60, 100, t), 0, t), SAY_Q_QUEUED);
    ASSERT_DBL_NEAR(say_queue_top_score(q), 80, 1e-9);
    ASSERT_STR_EQ(pop_article(q, t), "d");
    ASSERT_STR_EQ(pop_article(q, t), "a"); /* equal scores: first received first */
    ASSERT_STR_EQ(pop_article(q, t), "e");
    ASSERT_STR_EQ(pop_article(q, t), "(none)");
    /* said already: a late copy stays unsaid */
    ASSERT_EQ(say_queue_push(q, alert("a", "invest", 60, 100, t), 0, t), SAY_Q_COPY);
    const say_queue_stats *st = say_queue_stats_get(q);
    ASSERT_EQ(st->queued, 3);
    ASSERT_EQ(st->low, 1);
    ASSERT_EQ(st->repeat, 1);
    ASSERT_EQ(st->copy, 3);
    ASSERT_STR_EQ(say_queue_verdict_name(SAY_Q_COPY), "copy");
    say_queue_destroy(q);
}

TEST(stale_when_its_turn_comes)
{
    say_queue_opts o = {.min_novelty = 0, .max_age_s = 2, .backlog = 10};
    say_queue *q = say_queue_create(&o);
    int64_t t = 1000 * S;
    say_queue_push(q, alert("old", "invest", 90, 100, t), 0, t);
    say_queue_push(q, alert("new", "invest", 50, 100, t + 2 * S), 0, t + 2 * S);
    /* a publisher clock in the future is not trusted: our receipt counts */
    say_queue_push(q, alert("future", "invest", 40, 100, t + 3600 * S), 0, t + 2 * S);
    ASSERT_STR_EQ(pop_article(q, t + 3 * S), "new");
    ASSERT_STR_EQ(pop_article(q, t + 3 * S), "future");
    ASSERT_EQ(say_queue_stats_get(q)->stale, 1);
    say_queue_destroy(q);
}

TEST(collapse)
{
    say_queue_opts o = {.min_novelty = 0, .max_age_s = 30, .backlog = 3};
    say_queue *q = say_queue_create(&o);
    int64_t t = 1000 * S;
    char id[16];
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "a%02d", i);
        say_queue_push(q, alert(id, i % 10 == 9 ? "chips" : "invest", 50 + i % 17, 100, t), 0, t);
    }
    ASSERT_EQ(say_queue_len(q), 3);
    ASSERT_EQ(say_queue_stats_get(q)->collapsed, 47);
    /* the three best (score 66: a16, a33; 65: a15 first of the 65s) */
    ASSERT_STR_EQ(pop_article(q, t), "a16");
    ASSERT_STR_EQ(pop_article(q, t), "a33");
    ASSERT_STR_EQ(pop_article(q, t), "a15");
    ASSERT_STR_EQ(pop_article(q, t), "and forty-two more on invest, and five more on chips.");
    ASSERT_STR_EQ(pop_article(q, t), "(none)");
    say_queue_destroy(q);
}

TEST(more_said_before_it_is_stale)
{
    say_queue_opts o = {.min_novelty = 0, .max_age_s = 10, .backlog = 1};
    say_queue *q = say_queue_create(&o);
    int64_t t = 1000 * S;
    say_queue_push(q, alert("x1", "invest", 60, 100, t), 0, t);
    say_queue_push(q, alert("x2", "invest", 70, 100, t), 0, t); /* x1 collapsed */
    say_queue_push(q, alert("x3", "invest", 80, 100, t + 6 * S), 0, t + 6 * S); /* x2 collapsed */
    /* x3 waits, but the count is 6 s old (> max_age/2): it goes first */
    ASSERT_STR_EQ(pop_article(q, t + 6 * S), "and two more on invest.");
    ASSERT_STR_EQ(pop_article(q, t + 6 * S), "x3");
    ASSERT_EQ(say_queue_stats_get(q)->more_lines, 1);
    say_queue_destroy(q);
}

int main(void)
{
    RUN(admission_and_order);
    RUN(stale_when_its_turn_comes);
    RUN(collapse);
    RUN(more_said_before_it_is_stale);
    return 0;
}
