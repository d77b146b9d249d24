/* lmodel.h -- the learned filter's linear model: hashed n-gram features, prediction, explanation and the model file. */
#ifndef FILTER_LMODEL_H
#define FILTER_LMODEL_H

#include <stddef.h>
#include <stdint.h>

/* The model file format this code writes and reads (see lmodel.c). 2: several
 * classes and categories per model, biases in the weight block, a dedupe table
 * instead of sorting; version 1 files are refused (retrain them). */
#define LM_FILE_VERSION 2
#define LM_MAX_CLASSES 64 /* classes of a multi-class model */
#define LM_MAX_OUTPUTS 8  /* categories one model raises */
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
    uint32_t rules;      /* percent: length of the engine-evidence block (0 = off; see lm_engine) */
    uint32_t evidence;   /* LM_EV_* bits: which of the engine's evidence the block holds */
    uint32_t prefix;     /* 0, or 3..12: a word longer than this many bytes also counts its
                            first `prefix` bytes (a cheap stem: "regulator", "regulatory" share
                            "regul"); header key word_prefix, absent when 0 */
} lm_opts;

/* The engine evidence of a rules-features model (header key rules_evidence,
 * a comma-separated list of these names; a model without the key is
 * v1,entities, what every rules-features model was before the key). */
#define LM_EV_V1 1u         /* "v1": rules of the v1 regex packs (slow: three scans no built-in shares) */
#define LM_EV_INVEST 2u     /* "invest": rules of the v2 token-pattern pack (the built-in scans it too) */
#define LM_EV_CHIPS 4u      /* "chips": likewise */
#define LM_EV_REGULATORY 8u /* "regulatory": likewise */
#define LM_EV_ENTITIES 16u  /* "entities": entity kinds, amounts and stage cues */
#define LM_EV_ALL 31u
#define LM_EV_LEGACY (LM_EV_V1 | LM_EV_ENTITIES)
/* Writes the names of the bits of ev, comma-separated, into buf. */
void lm_evidence_format(uint32_t ev, char *buf, size_t len);
/* The bits of a comma-separated list of names, or -1 (an unknown name, or none). */
long lm_evidence_parse(const char *list);

/* The engine's evidence as features (--rules-features): the rules of the
 * built-in packs that matched (headline and body apart), the kinds of entity
 * named, amounts and stage cues, from the host services a plugin gets. */
#define LM_ENGINE_PACKS 3 /* invest, chips, regulatory */
struct squawk_host;
struct squawk_article;
struct squawk_pack;
struct squawk_tpack;
typedef struct lm_engine {
    const struct squawk_host *h;
    struct squawk_pack *packs[LM_ENGINE_PACKS];   /* LM_EV_V1 */
    struct squawk_tpack *tpacks[LM_ENGINE_PACKS]; /* LM_EV_INVEST .. LM_EV_REGULATORY */
    uint32_t evidence;
    const struct squawk_article *a; /* the article being featurised */
} lm_engine;
/* Opens the v1 packs (LM_EV_LEGACY); err says which failed. */
int lm_engine_open(lm_engine *e, const struct squawk_host *h, char *err, size_t errlen);
/* Opens the packs the LM_EV_* bits of evidence name. */
int lm_engine_open_evidence(lm_engine *e, const struct squawk_host *h, uint32_t evidence, char *err,
                            size_t errlen);

/* One feature of an article: bucket and value (L2-normalised over the article). */
typedef struct lm_feat {
    uint32_t idx;
    float val;
} lm_feat;

/* A distinct n-gram key of the article being featurised and its count. */
typedef struct lm_slot {
    uint32_t key, gen, count;
    uint32_t fi; /* its feature in lm_vec.f (unsorted featurisation) */
} lm_slot;

/* Features of one article; reused between articles to avoid allocation.
 * n-gram keys are counted in an open-addressing table stamped with a
 * generation, so nothing is cleared or sorted between articles. */
typedef struct lm_vec {
    lm_feat *f; /* sorted by idx and merged only when lm_featurize was asked to */
    size_t n, cap;
    lm_slot *tab;
    size_t tab_cap; /* power of two */
    uint32_t gen;
    uint32_t *keys; /* table slots in first-seen order */
    size_t n_keys, cap_keys;
    size_t n_raw; /* n-gram occurrences */
} lm_vec;

/* Where an n-gram came from, for explanations: bytes [start, end) of field;
 * key as counted (bucket, plus a flag bit for character n-grams). */
typedef struct lm_span {
    uint32_t key, field, start, end;
} lm_span;

typedef struct lm_spans {
    lm_span *v;
    size_t n, cap;
} lm_spans;

/* One category a model raises: when its class's margin, calibrated, passes threshold. */
typedef struct lm_out {
    char category[64];
    uint32_t cls;        /* class index; 0 in a binary model */
    double cal_a, cal_b; /* probability = 1 / (1 + exp(-(cal_a * margin + cal_b))) */
    double threshold;    /* alert when probability >= threshold */
} lm_out;

typedef struct lm_model {
    char column[64];
    lm_opts o;
    /* 1: binary, margin = w.x + b. K >= 3: one weight vector per class (one
     * model over all labels), margin of class k = s_k - max of the others. */
    uint32_t n_class;
    float *w;   /* (2^hash_bits + 1) rows of n_class weights, bucket-major; the last row is the biases */
    float *idf; /* 2^hash_bits inverse document frequencies, or NULL */
    lm_out out[LM_MAX_OUTPUTS];
    size_t n_out;
    double c;          /* the regularisation constant CV picked */
    char summary[512]; /* training-set summary, one line */
    /* A rules-features model computes the engine's evidence only for an
     * article whose text block alone gives some output i a margin >=
     * screen[i]: squawk train sets it from the text margins of the articles
     * CV alerted, so the others, most of a stream, cost the text alone.
     * n_screen 0: always (header key rules_screen, one value per output). */
    double screen[LM_MAX_OUTPUTS];
    size_t n_screen;
    /* Of the token-pattern rules its evidence came from (ids, weights,
     * vetoes), header key rules_fingerprint; 0: unknown (older models). A
     * pack edited since training makes the loaded model's evidence drift:
     * lm_rules_stale says so. */
    uint64_t rules_fp;
} lm_model;

/* The fingerprint of n token-pattern packs' rules (NULL entries skipped). */
uint64_t lm_rules_fingerprint(const struct squawk_host *h, struct squawk_tpack *const *packs, size_t n);
/* 1 when m knows the fingerprint of its training packs and packs differ from
 * them; msg then says so and what to do (retrain). */
int lm_rules_stale(const lm_model *m, const struct squawk_host *h, struct squawk_tpack *const *packs, size_t n,
                   const char *file, char *msg, size_t len);

/* Features of headline and body (headline n-grams hashed apart from body's),
 * each scaled by idf[bucket] when idf is not NULL. sorted: out->f by bucket,
 * one entry per bucket (training, explanations); otherwise a bucket can appear
 * twice (word and character blocks), which dot products do not mind.
 * spans, when not NULL, receives one span per n-gram occurrence. */
int lm_featurize(const lm_opts *o, const float *idf, const char *head, size_t hl, const char *body,
                 size_t bl, lm_vec *out, lm_spans *spans, int sorted);
/* The same plus, when o->rules, the engine block (eng must then be given). */
int lm_featurize_eng(const lm_opts *o, const float *idf, const char *head, size_t hl, const char *body,
                     size_t bl, const lm_engine *eng, lm_vec *out, lm_spans *spans, int sorted);
void lm_vec_free(lm_vec *v);
/* After an unsorted lm_featurize: the feature of a span's key and how many
 * occurrences share it (*count), or NULL. */
const lm_feat *lm_vec_find(const lm_vec *v, uint32_t key, uint32_t *count);
void lm_spans_free(lm_spans *s);

/* Class scores s[0..n_class) of featurised x (bias included). */
void lm_scores(const lm_model *m, const lm_vec *x, double *s);
/* Margin of output o from the class scores, and its calibrated probability. */
double lm_margin(const lm_model *m, const lm_out *o, const double *s);
double lm_probability(const lm_out *o, double margin);
/* The class whose score is highest but o's own: what o had to beat (0 in a binary model). */
uint32_t lm_rival(const lm_model *m, const lm_out *o, const double *s);
/* Featurises and scores an article: p[i] = probability of output i, s = the
 * class scores (LM_MAX_CLASSES room). When the screen skipped the engine's
 * evidence, s and p are the text block's (every p below its threshold).
 * 0 or a negative SQ_E_* code. */
int lm_predict(const lm_model *m, lm_vec *x, const char *head, size_t hl, const char *body, size_t bl,
               const lm_engine *eng, double *s, double *p);

/* Parses a model file held in memory; every error names the reason in err
 * (the caller prefixes the file name). 0 or a negative SQ_E_* code. */
int lm_decode(lm_model **out, const unsigned char *buf, size_t len, char *err, size_t errlen);
/* Reads and decodes a file; err starts with the path. */
int lm_load(lm_model **out, const char *path, char *err, size_t errlen);
/* Writes atomically (temp file + rename), so a reader never sees half a model. */
int lm_save(const lm_model *m, const char *path, char *err, size_t errlen);
lm_model *lm_create(const lm_opts *o, uint32_t n_class);
void lm_destroy(lm_model *m);

/* Featurisation by parts, for a caller that names its own engine features
 * (the built-in filters' rescoring): begin, then text of each field and
 * engine-block features in any order, then end (as lm_featurize_eng would
 * count and normalise them). A vector made of two parts featurised apart
 * scores the sum of the parts: each block is normalised on its own. */
int lm_vec_begin(lm_vec *v);
int lm_vec_text(const lm_opts *o, lm_vec *v, uint32_t field, const char *s, size_t len);
/* One engine-block feature: a kind letter, the field it was found in, a name. */
int lm_vec_feature(const lm_opts *o, lm_vec *v, char what, uint32_t field, const char *name);
/* Receives one engine-evidence feature (what, field, name; see lm_vec_feature): 0 or an SQ_E_* code. */
typedef int (*lm_feature_fn)(void *u, char what, uint32_t field, const char *name);
/* The host's findings in article a as features: the kinds of entity named
 * (confirmed), amounts and stage cues, by field. Shared by --rules-features
 * and the built-ins' rescoring, so both read the same evidence. */
int lm_host_features(const struct squawk_host *h, const struct squawk_article *a, lm_feature_fn fn, void *u);
/* The lm_feature_fn that adds to one vector: u is a struct lm_feat_to. */
struct lm_feat_to {
    const lm_opts *o;
    lm_vec *v;
};
int lm_feat_add(void *u, char what, uint32_t field, const char *name);
int lm_vec_end(const lm_opts *o, const float *idf, lm_vec *v, int sorted);
/* Class 0's weights . x, without the bias; and class 0's bias. */
double lm_dot(const lm_model *m, const lm_vec *x);
double lm_bias(const lm_model *m);

#endif
