/* lmodel.h -- the learned filter's linear model: hashed n-gram features, prediction, explanation and the model file. */
#ifndef FILTER_LMODEL_H
#define FILTER_LMODEL_H

#include <stddef.h>
#include <stdint.h>

/* The model file format this code writes and reads (see lmodel.c). */
#define LM_FILE_VERSION 1
#define LM_MAGIC "squawk-learned-model"
#define LM_FIELD_HEADLINE 0
#define LM_FIELD_BODY 1

/* How text becomes features; stored in the model so prediction matches training. */
typedef struct lm_opts {
    uint32_t hash_bits;  /* 10..24: 2^hash_bits buckets */
    uint32_t word_max;   /* word n-grams 1..word_max (1 or 2) */
    uint32_t char_min, char_max; /* character n-grams inside words (0 0 = off) */
    uint32_t char_weight; /* percent: length of the character block against the word block's 100 */
    uint32_t sublinear;  /* 1: tf -> 1 + ln tf */
} lm_opts;

/* One feature of an article: bucket and value (L2-normalised over the article). */
typedef struct lm_feat {
    uint32_t idx;
    float val;
} lm_feat;

/* Features of one article; reused between articles to avoid allocation. */
typedef struct lm_vec {
    lm_feat *f;
    size_t n, cap;
    uint32_t *raw; /* bucket per occurrence, before counting */
    size_t n_raw, cap_raw;
    uint32_t *tmp; /* scratch for sorting raw */
    size_t cap_tmp;
} lm_vec;

/* Where an n-gram came from, for explanations: bytes [start, end) of field. */
typedef struct lm_span {
    uint32_t idx, field, start, end;
} lm_span;

typedef struct lm_spans {
    lm_span *v;
    size_t n, cap;
} lm_spans;

typedef struct lm_model {
    char category[64];
    char column[64];
    lm_opts o;
    float *w;       /* 2^hash_bits weights */
    float *idf;     /* 2^hash_bits inverse document frequencies, or NULL */
    double bias;    /* margin = w.x + bias */
    double cal_a, cal_b; /* probability = 1 / (1 + exp(-(cal_a * margin + cal_b))) */
    double threshold;    /* alert when probability >= threshold */
    double c;            /* the regularisation constant CV picked */
    char summary[512];   /* training-set summary, one line */
} lm_model;

/* Features of headline and body (headline n-grams hashed apart from body's),
 * each scaled by idf[bucket] when idf is not NULL.
 * spans, when not NULL, receives one span per n-gram occurrence. */
int lm_featurize(const lm_opts *o, const float *idf, const char *head, size_t hl, const char *body,
                 size_t bl, lm_vec *out, lm_spans *spans);
void lm_vec_free(lm_vec *v);
void lm_spans_free(lm_spans *s);

double lm_margin(const lm_model *m, const lm_vec *x);
double lm_probability(const lm_model *m, double margin);

/* Parses a model file held in memory; every error names the reason in err
 * (the caller prefixes the file name). 0 or a negative SQ_E_* code. */
int lm_decode(lm_model **out, const unsigned char *buf, size_t len, char *err, size_t errlen);
/* Reads and decodes a file; err starts with the path. */
int lm_load(lm_model **out, const char *path, char *err, size_t errlen);
/* Writes atomically (temp file + rename), so a reader never sees half a model. */
int lm_save(const lm_model *m, const char *path, char *err, size_t errlen);
lm_model *lm_create(const lm_opts *o);
void lm_destroy(lm_model *m);

#endif
