/* rescore.h -- the built-in filters' learned rescoring: a linear model over the article's words and the engine's own evidence. */
#ifndef FILTER_RESCORE_H
#define FILTER_RESCORE_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"
#include "detect.h"
#include "learned/lmodel.h"

/* Body bytes the model reads after the headline (then back to a word's end):
 * the lead says what the article reports, and the rest would cost time. */
#define RESCORE_BODY_BYTES 1500

typedef struct rescore rescore;

/* Loads a model for category (binary, one output of that category) from
 * path: a name without '/' is looked for in dir. err names the file and why. */
int rescore_open(rescore **out, const char *dir, const char *path, const char *category, char *err, size_t errlen);
void rescore_close(rescore *rs);
/* 1 when the model was trained on another version of pack (see lm_rules_stale); msg says so. */
int rescore_stale(const rescore *rs, const struct squawk_host *h, struct squawk_tpack *pack, const char *file,
                  char *msg, size_t len);

/* Receives one engine-evidence feature (see lm_vec_feature); 0 or an SQ_E_* code. */
typedef lm_feature_fn rescore_feature_fn;
/* The features of one filter's evidence t in article a (its matches and
 * their fate, evidence sum, roles, amounts, stage; the entity kinds, amounts
 * and cues the host found): the same for training and prediction. */
int rescore_evidence(const struct squawk_host *h, const struct squawk_article *a, const struct detect_trace *t,
                     rescore_feature_fn fn, void *u);
/* Headline and the first RESCORE_BODY_BYTES of body into v (between lm_vec_begin and lm_vec_end). */
int rescore_text(const lm_opts *o, lm_vec *v, const char *head, size_t hl, const char *body, size_t bl);

/* P(article a reports rs's event) from the trace; 0 or an SQ_E_* code. */
int rescore_probability(rescore *rs, const struct squawk_host *h, const struct squawk_article *a,
                        const struct detect_trace *t, double *p);

/* Training (squawk train --filter): while set on this thread, every engine
 * that processes an article hands its evidence features to fn (before any
 * model of its own), so training sees what prediction will. NULL: off. */
SQ_API void rescore_set_sink(rescore_feature_fn fn, void *u);
int rescore_sink(const struct squawk_host *h, const struct squawk_article *a, const struct detect_trace *t);
int rescore_sink_set(void);

/* Frees this thread's scratch (filter_host_thread_done). */
void rescore_thread_done(void);

#endif
