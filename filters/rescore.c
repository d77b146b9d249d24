/* rescore.c -- the built-in filters' learned rescoring: a linear model over the article's words and the engine's own evidence.
 *
 * score = P(the article reports the filter's event) x 100 from a logistic
 * model (squawk train --filter NAME) over hashed word n-grams of headline and
 * lead plus the features of the evidence the engine already computed for
 * this filter (rules matched, vetoed or gated, evidence sum, roles, amounts,
 * stage, entity kinds): hand rules fit the language they were tuned on, the
 * model weighs them against the words of fresh news. The text features are
 * made once per article and thread and shared by every filter whose model
 * reads text the same way; the engine block is per filter. */
#include "rescore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "host.h"

struct rescore {
    lm_model *m;
};

/* This thread's scratch: the article's text features (for the article of
 * `serial`, made with `o`) and one filter's engine block. */
static _Thread_local struct {
    lm_vec text, eng;
    uint64_t serial;
    lm_opts o;
    int valid;
    rescore_feature_fn sink;
    void *sink_u;
} tls;

int rescore_open(rescore **out, const char *dir, const char *path, const char *category, char *err, size_t errlen)
{
    *out = NULL;
    char full[4096];
    if (strchr(path, '/') || !dir) snprintf(full, sizeof full, "%s", path);
    else snprintf(full, sizeof full, "%s/%s", dir, path);
    lm_model *m = NULL;
    int rc = lm_load(&m, full, err, errlen);
    if (rc) return rc;
    const char *why = m->n_class != 1 || m->n_out != 1 ? "not a binary model of one category"
                      : m->idf                        ? "idf-scaled features cannot be shared between filters"
                      : strcmp(m->out[0].category, category) ? "model of another category"
                                                             : NULL;
    if (why) {
        snprintf(err, errlen, "%s: %s (category '%s', %u classes, %zu outputs); want a model of '%s' from "
                 "squawk train --filter %s", full, why, m->out[0].category, m->n_class, m->n_out, category, category);
        lm_destroy(m);
        return SQ_E_INVAL;
    }
    if (!(*out = malloc(sizeof **out))) {
        lm_destroy(m);
        return SQ_E_NOMEM;
    }
    (*out)->m = m;
    return 0;
}

int rescore_stale(const rescore *rs, const struct squawk_host *h, struct squawk_tpack *pack, const char *file,
                  char *msg, size_t len)
{
    return rs && pack && lm_rules_stale(rs->m, h, &pack, 1, file, msg, len);
}

void rescore_close(rescore *rs)
{
    if (!rs) return;
    lm_destroy(rs->m);
    free(rs);
}

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

int rescore_text(const lm_opts *o, lm_vec *v, const char *head, size_t hl, const char *body, size_t bl)
{
    if (body && bl > RESCORE_BODY_BYTES) { /* end on a word's end, never inside one */
        bl = RESCORE_BODY_BYTES;
        while (bl > 0 && is_word_byte((unsigned char)body[bl])) bl--;
    }
    int rc = lm_vec_text(o, v, LM_FIELD_HEADLINE, head, hl);
    return rc ? rc : lm_vec_text(o, v, LM_FIELD_BODY, body, bl);
}

/* The evidence sum as a feature: its integer part, clamped (a linear model
 * cannot read a number, but it can weigh each band). */
static int sum_band(const struct detect_trace *t, rescore_feature_fn fn, void *u)
{
    char b[16];
    if (!t->pos_trigger) return fn(u, 'x', 0, "no-trigger");
    double s = t->S < -2 ? -2 : t->S > 10 ? 10 : t->S;
    snprintf(b, sizeof b, "S%d", (int)floor(s));
    int rc = fn(u, 'S', 0, b);
    snprintf(b, sizeof b, "roles%d", t->roles);
    if (!rc) rc = fn(u, 'o', 0, b);
    if (!rc && t->head_trigger) rc = fn(u, 'h', 0, "head-trigger");
    if (!rc && t->amount) rc = fn(u, 'n', 0, "amount-near");
    return rc;
}

int rescore_evidence(const struct squawk_host *h, const struct squawk_article *a, const struct detect_trace *t,
                     rescore_feature_fn fn, void *u)
{
    static const char fate_kind[] = {[DETECT_LIVE] = 'r', [DETECT_VETOED] = 'v', [DETECT_GATED] = 'g'};
    int rc = sum_band(t, fn, u);
    if (!rc && t->stage != SQUAWK_STAGE_NONE) rc = fn(u, 't', 0, h->stage_name(t->stage));
    for (size_t i = 0; i < t->n_ms && !rc; i++) {
        uint32_t field;
        int fate;
        const char *id = detect_trace_match(t, i, &field, &fate);
        if (id) rc = fn(u, fate_kind[fate], field, id);
    }
    return rc ? rc : lm_host_features(h, a, fn, u);
}

/* The article's text features for o: made once per article and thread. */
static int text_of(const lm_opts *o, const struct squawk_article *a)
{
    uint64_t serial = filter_host_article_serial(a);
    if (tls.valid && tls.serial == serial && !memcmp(&tls.o, o, sizeof *o)) return 0;
    tls.valid = 0;
    int rc = lm_vec_begin(&tls.text);
    if (!rc)
        rc = rescore_text(o, &tls.text, a->text[SQUAWK_FIELD_HEADLINE], a->len[SQUAWK_FIELD_HEADLINE],
                          a->text[SQUAWK_FIELD_BODY], a->len[SQUAWK_FIELD_BODY]);
    if (!rc) rc = lm_vec_end(o, NULL, &tls.text, 0);
    if (rc) return rc;
    tls.serial = serial;
    tls.o = *o;
    tls.valid = 1;
    return 0;
}

int rescore_probability(rescore *rs, const struct squawk_host *h, const struct squawk_article *a,
                        const struct detect_trace *t, double *p)
{
    const lm_model *m = rs->m;
    int rc = text_of(&m->o, a);
    if (rc) return rc;
    double margin = lm_bias(m) + lm_dot(m, &tls.text);
    if (m->o.rules) { /* the engine block, normalised on its own as in training */
        struct lm_feat_to c = {&m->o, &tls.eng};
        rc = lm_vec_begin(&tls.eng);
        if (!rc) rc = rescore_evidence(h, a, t, lm_feat_add, &c);
        if (!rc) rc = lm_vec_end(&m->o, NULL, &tls.eng, 0);
        if (rc) return rc;
        margin += lm_dot(m, &tls.eng);
    }
    *p = lm_probability(&m->out[0], margin);
    return 0;
}

void rescore_set_sink(rescore_feature_fn fn, void *u)
{
    tls.sink = fn;
    tls.sink_u = u;
}

int rescore_sink_set(void) { return tls.sink != NULL; }

int rescore_sink(const struct squawk_host *h, const struct squawk_article *a, const struct detect_trace *t)
{
    return tls.sink ? rescore_evidence(h, a, t, tls.sink, tls.sink_u) : 0;
}

void rescore_thread_done(void)
{
    lm_vec_free(&tls.text);
    lm_vec_free(&tls.eng);
    tls.valid = 0;
}
