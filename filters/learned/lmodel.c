/* lmodel.c -- the learned filter's linear model: hashed n-gram features, prediction and the model file. */
#include "lmodel.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/error.h"

#define LM_MAX_WORD 48     /* bytes of a word used for character n-grams */
#define LM_MAX_TOKENS 20000 /* per field: a huge body cannot make prediction quadratic */
/* Character n-grams carry bit hash_bits in lm_vec.raw, so they sort after the
 * words and the radix sort needs only hash_bits + 1 bits. */
#define LM_CHAR_FLAG(o) (1u << (o)->hash_bits)

/* ---- hashing ---- */

static uint32_t lm_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static unsigned char lm_lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

static int lm_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* Kinds of n-gram, mixed into the hash so a word, a bigram and a character
 * n-gram of the same bytes land in different buckets. */
enum { LM_K_WORD = 1, LM_K_BIGRAM = 2, LM_K_CHAR = 3 };

static uint32_t lm_seed(uint32_t field, uint32_t kind) { return lm_mix(0x9e3779b9u * (field * 8 + kind + 1)); }

/* ---- feature extraction ---- */

static int lm_push_raw(lm_vec *v, uint32_t idx)
{
    if (v->n_raw == v->cap_raw) {
        size_t nc = v->cap_raw ? v->cap_raw * 2 : 512;
        uint32_t *r = realloc(v->raw, nc * sizeof *r);
        if (!r) return SQ_E_NOMEM;
        v->raw = r;
        v->cap_raw = nc;
    }
    v->raw[v->n_raw++] = idx;
    return 0;
}

static int lm_push_span(lm_spans *s, uint32_t idx, uint32_t field, size_t start, size_t end)
{
    if (!s) return 0;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        lm_span *v = realloc(s->v, nc * sizeof *v);
        if (!v) return SQ_E_NOMEM;
        s->v = v;
        s->cap = nc;
    }
    s->v[s->n++] = (lm_span){idx, field, (uint32_t)start, (uint32_t)end};
    return 0;
}

typedef struct lm_tok {
    size_t start, end;
    uint32_t h; /* hash of the lower-cased bytes */
} lm_tok;

/* Next token at or after *pos: a run of letters, digits and UTF-8 bytes; a
 * leading '$' stays (cashtags); a URL is one token "_url". 0 at the end. */
static int lm_next_token(const char *s, size_t len, size_t *pos, lm_tok *t)
{
    size_t i = *pos;
    while (i < len && !lm_word_byte((unsigned char)s[i]) && s[i] != '$') i++;
    if (i >= len) return 0;
    t->start = i;
    if (len - i >= 7 && (!strncasecmp(s + i, "http://", 7) || (len - i >= 8 && !strncasecmp(s + i, "https://", 8)))) {
        while (i < len && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r') i++;
        t->end = *pos = i;
        t->h = 0x75726c5fu; /* "_url" */
        return 1;
    }
    uint32_t h = 2166136261u;
    if (s[i] == '$') h = (h ^ '$') * 16777619u, i++;
    while (i < len && lm_word_byte((unsigned char)s[i])) h = (h ^ lm_lower((unsigned char)s[i++])) * 16777619u;
    t->end = *pos = i;
    t->h = h;
    return 1;
}

/* Character n-grams of " word " (the word padded with one space each side). */
static int lm_char_ngrams(const lm_opts *o, uint32_t field, const char *s, const lm_tok *t, lm_vec *v,
                          lm_spans *sp)
{
    unsigned char w[LM_MAX_WORD + 2];
    size_t n = t->end - t->start;
    if (n > LM_MAX_WORD) n = LM_MAX_WORD;
    w[0] = ' ';
    for (size_t k = 0; k < n; k++) w[k + 1] = lm_lower((unsigned char)s[t->start + k]);
    w[n + 1] = ' ';
    size_t L = n + 2;
    uint32_t seed = lm_seed(field, LM_K_CHAR), mask = (1u << o->hash_bits) - 1;
    for (size_t a = 0; a < L; a++) {
        uint32_t h = 2166136261u ^ seed;
        for (size_t b = a; b < L && b - a < o->char_max; b++) {
            h = (h ^ w[b]) * 16777619u;
            if (b - a + 1 < o->char_min) continue;
            uint32_t idx = lm_mix(h) & mask;
            if (lm_push_raw(v, idx | LM_CHAR_FLAG(o))) return SQ_E_NOMEM;
            if (sp && lm_push_span(sp, idx, field, t->start, t->end)) return SQ_E_NOMEM;
        }
    }
    return 0;
}

static int lm_field(const lm_opts *o, uint32_t field, const char *s, size_t len, lm_vec *v, lm_spans *sp)
{
    uint32_t mask = (1u << o->hash_bits) - 1;
    uint32_t sw = lm_seed(field, LM_K_WORD), sb = lm_seed(field, LM_K_BIGRAM);
    size_t pos = 0, n = 0;
    lm_tok t, prev = {0, 0, 0};
    while (n < LM_MAX_TOKENS && lm_next_token(s, len, &pos, &t)) {
        uint32_t idx = lm_mix(t.h ^ sw) & mask;
        if (lm_push_raw(v, idx) || lm_push_span(sp, idx, field, t.start, t.end)) return SQ_E_NOMEM;
        if (o->word_max >= 2 && n > 0) {
            idx = lm_mix(lm_mix(prev.h ^ sb) + t.h) & mask;
            if (lm_push_raw(v, idx) || lm_push_span(sp, idx, field, prev.start, t.end)) return SQ_E_NOMEM;
        }
        if (o->char_max && t.h != 0x75726c5fu && lm_char_ngrams(o, field, s, &t, v, sp)) return SQ_E_NOMEM;
        prev = t;
        n++;
    }
    return 0;
}

/* LSD radix sort of v->raw, 8 bits a pass: qsort's comparisons were two
 * thirds of the prediction time. */
static int lm_sort_raw(lm_vec *v, unsigned bits)
{
    if (v->cap_tmp < v->n_raw) {
        uint32_t *t = realloc(v->tmp, v->cap_raw * sizeof *t);
        if (!t) return SQ_E_NOMEM;
        v->tmp = t;
        v->cap_tmp = v->cap_raw;
    }
    uint32_t *a = v->raw, *b = v->tmp;
    for (unsigned shift = 0; shift < bits; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < v->n_raw; i++) count[((a[i] >> shift) & 0xff) + 1]++;
        if (count[1] == v->n_raw) continue; /* every key 0 in this byte: already in order */
        for (int k = 0; k < 256; k++) count[k + 1] += count[k];
        for (size_t i = 0; i < v->n_raw; i++) b[count[(a[i] >> shift) & 0xff]++] = a[i];
        uint32_t *t = a;
        a = b;
        b = t;
    }
    if (a != v->raw) { /* the sorted run ended in the scratch buffer: swap the buffers */
        v->tmp = v->raw;
        v->raw = a;
        size_t c = v->cap_tmp;
        v->cap_tmp = v->cap_raw;
        v->cap_raw = c;
    }
    return 0;
}

/* Runs of equal buckets in raw[a, b) -> (bucket, tf) -> sublinear tf ->
 * unit length times scale, appended to f. */
static void lm_block(const lm_opts *o, const float *idf, const uint32_t *raw, size_t n_raw, double scale,
                     lm_feat *f, size_t *n)
{
    size_t first = *n;
    double norm = 0;
    for (size_t i = 0; i < n_raw;) {
        size_t j = i;
        while (j < n_raw && raw[j] == raw[i]) j++;
        double tf = (double)(j - i);
        double val = o->sublinear && tf > 1 ? 1.0 + log(tf) : tf;
        uint32_t idx = raw[i] & (LM_CHAR_FLAG(o) - 1);
        if (idf) val *= idf[idx];
        f[(*n)++] = (lm_feat){idx, (float)val};
        norm += val * val;
        i = j;
    }
    if (norm > 0) {
        float k = (float)(scale / sqrt(norm));
        for (size_t i = first; i < *n; i++) f[i].val *= k;
    }
}

/* Words and character n-grams are counted and normalised as two blocks (the
 * many character n-grams would otherwise drown the words), then merged by bucket. */
static int lm_count(const lm_opts *o, const float *idf, lm_vec *v)
{
    v->n = 0;
    if (v->n_raw == 0) return 0;
    if (lm_sort_raw(v, o->hash_bits + 1)) return SQ_E_NOMEM;
    if (v->cap < 2 * v->n_raw + 1) {
        lm_feat *f = realloc(v->f, (2 * v->n_raw + 1) * sizeof *f);
        if (!f) return SQ_E_NOMEM;
        v->f = f;
        v->cap = 2 * v->n_raw + 1;
    }
    size_t nw = 0;
    while (nw < v->n_raw && !(v->raw[nw] & LM_CHAR_FLAG(o))) nw++;
    /* both blocks go to the upper half, then merge into the lower */
    lm_feat *tmp = v->f + v->n_raw;
    size_t n = 0;
    lm_block(o, idf, v->raw, nw, 1.0, tmp, &n);
    size_t mid = n;
    lm_block(o, idf, v->raw + nw, v->n_raw - nw, o->char_weight / 100.0, tmp, &n);
    size_t i = 0, j = mid, k = 0;
    while (i < mid || j < n) {
        if (j == n || (i < mid && tmp[i].idx < tmp[j].idx)) v->f[k++] = tmp[i++];
        else if (i == mid || tmp[j].idx < tmp[i].idx) v->f[k++] = tmp[j++];
        else {
            v->f[k] = tmp[i++];
            v->f[k++].val += tmp[j++].val;
        }
    }
    v->n = k;
    return 0;
}

int lm_featurize(const lm_opts *o, const float *idf, const char *head, size_t hl, const char *body,
                 size_t bl, lm_vec *out, lm_spans *spans)
{
    out->n_raw = 0;
    out->n = 0;
    if (spans) spans->n = 0;
    int rc = lm_field(o, LM_FIELD_HEADLINE, head ? head : "", head ? hl : 0, out, spans);
    if (!rc) rc = lm_field(o, LM_FIELD_BODY, body ? body : "", body ? bl : 0, out, spans);
    return rc ? rc : lm_count(o, idf, out);
}

void lm_vec_free(lm_vec *v)
{
    free(v->f);
    free(v->raw);
    free(v->tmp);
    memset(v, 0, sizeof *v);
}

void lm_spans_free(lm_spans *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

double lm_margin(const lm_model *m, const lm_vec *x)
{
    double s = m->bias;
    for (size_t i = 0; i < x->n; i++) s += (double)m->w[x->f[i].idx] * x->f[i].val;
    return s;
}

double lm_probability(const lm_model *m, double margin)
{
    return 1.0 / (1.0 + exp(-(m->cal_a * margin + m->cal_b)));
}

lm_model *lm_create(const lm_opts *o)
{
    lm_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->o = *o;
    m->w = calloc((size_t)1 << o->hash_bits, sizeof *m->w);
    if (!m->w) {
        free(m);
        return NULL;
    }
    m->threshold = 0.5;
    m->cal_a = 1;
    return m;
}

void lm_destroy(lm_model *m)
{
    if (!m) return;
    free(m->w);
    free(m->idf);
    free(m);
}

/* ---- the model file ----
 * A text header of "key value" lines, the first "squawk-learned-model <version>",
 * the last "weights <n>"; then n little-endian float32 weights; then the
 * FNV-1a 64 checksum of everything before it, little-endian. */

static uint64_t lm_fnv64(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static int lm_write_header(const lm_model *m, FILE *f)
{
    const lm_opts *o = &m->o;
    fprintf(f, "%s %d\n", LM_MAGIC, LM_FILE_VERSION);
    fprintf(f, "category %s\ncolumn %s\n", m->category, m->column);
    fprintf(f, "hash_bits %u\nword_ngrams %u\nchar_ngrams %u %u\nchar_weight %u\nsublinear_tf %u\n",
            o->hash_bits, o->word_max, o->char_min, o->char_max, o->char_weight, o->sublinear);
    fprintf(f, "bias %.9g\ncalibration %.9g %.9g\nthreshold %.9g\nC %.9g\n", m->bias, m->cal_a,
            m->cal_b, m->threshold, m->c);
    fprintf(f, "idf %d\nsummary %s\nweights %zu\n", m->idf != NULL, m->summary, (size_t)1 << o->hash_bits);
    return ferror(f) ? SQ_E_IO : 0;
}

int lm_save(const lm_model *m, const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) return SQ_E_NOMEM;
    int rc = lm_write_header(m, mem);
    size_t n = (size_t)1 << m->o.hash_bits;
    for (size_t i = 0; i < (m->idf ? 2 * n : n) && !rc; i++) {
        uint32_t u;
        memcpy(&u, i < n ? &m->w[i] : &m->idf[i - n], 4);
        unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                              (unsigned char)(u >> 24)};
        if (fwrite(b, 1, 4, mem) != 4) rc = SQ_E_IO;
    }
    if (fclose(mem) != 0 && !rc) rc = SQ_E_IO;
    if (rc) {
        free(buf);
        snprintf(err, errlen, "%s: cannot build the model", path);
        return rc;
    }
    uint64_t h = lm_fnv64((unsigned char *)buf, len);
    unsigned char tail[8];
    for (int i = 0; i < 8; i++) tail[i] = (unsigned char)(h >> (8 * i));
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fwrite(tail, 1, 8, f) != 8 || fclose(f) != 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
        if (f) fclose(f);
        free(buf);
        unlink(tmp);
        return SQ_E_IO;
    }
    free(buf);
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return SQ_E_IO;
    }
    return 0;
}

/* ---- decoding (outside bytes: every path checks lengths and ranges) ---- */

typedef struct lm_hdr {
    lm_model *m;
    unsigned seen; /* one bit per key */
    size_t n_weights;
    uint32_t idf; /* 1: the weights are followed by as many idf factors */
} lm_hdr;

static int lm_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || errno || !isfinite(d) || d < lo || d > hi) return -1;
    *out = d;
    return *end == '\0' || *end == ' ' ? 0 : -1;
}

static int lm_uint(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
    double d;
    if (lm_num(v, lo, hi, &d) || d != floor(d)) return -1;
    *out = (uint32_t)d;
    return 0;
}

static int lm_str(const char *v, char *out, size_t outlen)
{
    size_t n = strlen(v);
    if (n == 0 || n >= outlen) return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x21 || v[i] == '"' || v[i] == '\\') return -1;
    memcpy(out, v, n + 1);
    return 0;
}

/* One "key value" line; returns the key's bit, 0 for an unknown key, -1 for a bad value. */
static int lm_hdr_line(lm_hdr *h, const char *key, const char *v)
{
    lm_model *m = h->m;
    lm_opts *o = &m->o;
    const char *sp = strchr(v, ' ');
    if (!strcmp(key, "category")) return lm_str(v, m->category, sizeof m->category) ? -1 : 1 << 0;
    if (!strcmp(key, "column")) return lm_str(v, m->column, sizeof m->column) ? -1 : 1 << 1;
    if (!strcmp(key, "hash_bits")) return lm_uint(v, 10, 24, &o->hash_bits) ? -1 : 1 << 2;
    if (!strcmp(key, "word_ngrams")) return lm_uint(v, 1, 2, &o->word_max) ? -1 : 1 << 3;
    if (!strcmp(key, "char_ngrams"))
        return !sp || lm_uint(v, 0, 8, &o->char_min) || lm_uint(sp + 1, 0, 8, &o->char_max) ||
                       o->char_min > o->char_max || (o->char_max && !o->char_min) || strchr(sp + 1, ' ')
                   ? -1 : 1 << 4;
    if (!strcmp(key, "sublinear_tf")) return lm_uint(v, 0, 1, &o->sublinear) ? -1 : 1 << 5;
    if (!strcmp(key, "idf")) return lm_uint(v, 0, 1, &h->idf) ? -1 : 1 << 13;
    if (!strcmp(key, "char_weight")) return lm_uint(v, 0, 1000, &o->char_weight) ? -1 : 1 << 12;
    if (!strcmp(key, "bias")) return lm_num(v, -1e6, 1e6, &m->bias) || sp ? -1 : 1 << 6;
    if (!strcmp(key, "calibration"))
        return !sp || lm_num(v, 1e-9, 1e6, &m->cal_a) || lm_num(sp + 1, -1e6, 1e6, &m->cal_b) ||
                       strchr(sp + 1, ' ')
                   ? -1 : 1 << 7;
    if (!strcmp(key, "threshold")) return lm_num(v, 0, 1, &m->threshold) || sp ? -1 : 1 << 8;
    if (!strcmp(key, "C")) return lm_num(v, 0, 1e9, &m->c) || sp ? -1 : 1 << 9;
    if (!strcmp(key, "summary")) {
        snprintf(m->summary, sizeof m->summary, "%s", v);
        return 1 << 10;
    }
    if (!strcmp(key, "weights")) {
        uint32_t n;
        if (lm_uint(v, 1, 1u << 24, &n)) return -1;
        h->n_weights = n;
        return 1 << 11;
    }
    return 0;
}

#define LM_ALL_KEYS ((1u << 14) - 1)

/* Reads the header lines; *body is where the weights start. */
static int lm_parse_header(lm_hdr *h, const unsigned char *buf, size_t len, size_t *body, char *err,
                           size_t errlen)
{
    size_t p = 0;
    for (int line = 1; h->seen != LM_ALL_KEYS; line++) {
        const unsigned char *nl = memchr(buf + p, '\n', len - p);
        if (!nl || nl - (buf + p) > 1000) {
            snprintf(err, errlen, "truncated or unterminated header at line %d", line);
            return SQ_E_TRUNCATED;
        }
        char l[1024];
        size_t n = (size_t)(nl - (buf + p));
        memcpy(l, buf + p, n);
        l[n] = '\0';
        p += n + 1;
        if (memchr(l, '\0', n)) {
            snprintf(err, errlen, "line %d holds a NUL byte", line);
            return SQ_E_BAD_FORMAT;
        }
        char *v = strchr(l, ' ');
        if (!v) {
            snprintf(err, errlen, "line %d: want 'key value'", line);
            return SQ_E_BAD_FORMAT;
        }
        *v++ = '\0';
        if (line == 1) {
            uint32_t ver;
            if (strcmp(l, LM_MAGIC)) {
                snprintf(err, errlen, "not a squawk model (no '%s' header)", LM_MAGIC);
                return SQ_E_BAD_FORMAT;
            }
            if (lm_uint(v, 0, 1000000, &ver) || ver != LM_FILE_VERSION) {
                snprintf(err, errlen, "model version %.20s is not supported (this squawk reads %d)", v,
                         LM_FILE_VERSION);
                return SQ_E_BAD_VERSION;
            }
            continue;
        }
        int bit = lm_hdr_line(h, l, v);
        if (bit <= 0 || (h->seen & (unsigned)bit)) {
            snprintf(err, errlen, "line %d: %s key '%.40s'", line,
                     bit == 0 ? "unknown" : bit < 0 ? "bad value for" : "duplicate", l);
            return SQ_E_BAD_FORMAT;
        }
        h->seen |= (unsigned)bit;
        if (bit == 1 << 11 && h->seen != LM_ALL_KEYS) {
            snprintf(err, errlen, "line %d: 'weights' before every other key", line);
            return SQ_E_MISSING;
        }
    }
    *body = p;
    return 0;
}

int lm_decode(lm_model **out, const unsigned char *buf, size_t len, char *err, size_t errlen)
{
    *out = NULL;
    if (len < 8) {
        snprintf(err, errlen, "truncated (%zu bytes)", len);
        return SQ_E_TRUNCATED;
    }
    lm_opts none = {.hash_bits = 10, .word_max = 1};
    lm_hdr h = {lm_create(&none), 0, 0, 0};
    if (!h.m) return SQ_E_NOMEM;
    size_t body = 0;
    int rc = lm_parse_header(&h, buf, len - 8, &body, err, errlen);
    size_t want = (size_t)1 << h.m->o.hash_bits;
    if (!rc && h.n_weights != want) {
        snprintf(err, errlen, "weights %zu, but hash_bits %u wants %zu", h.n_weights, h.m->o.hash_bits, want);
        rc = SQ_E_BAD_FORMAT;
    }
    size_t nf = h.idf ? 2 * want : want; /* floats after the header */
    if (!rc && len - 8 - body != 4 * nf) {
        int shorter = len - 8 - body < 4 * nf;
        snprintf(err, errlen, "%s: %zu bytes of weights, want %zu", shorter ? "truncated" : "trailing bytes",
                 len - 8 - body, 4 * nf);
        rc = shorter ? SQ_E_TRUNCATED : SQ_E_TRAILING;
    }
    uint64_t sum = 0;
    for (int i = 0; i < 8 && !rc; i++) sum |= (uint64_t)buf[len - 8 + (size_t)i] << (8 * i);
    if (!rc && sum != lm_fnv64(buf, len - 8)) {
        snprintf(err, errlen, "checksum mismatch (file corrupt or truncated)");
        rc = SQ_E_BAD_FORMAT;
    }
    float *w = NULL;
    if (!rc && !(w = malloc(nf * sizeof *w))) rc = SQ_E_NOMEM;
    for (size_t i = 0; i < nf && !rc; i++) {
        const unsigned char *b = buf + body + 4 * i;
        uint32_t u = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&w[i], &u, 4);
        if (!isfinite(w[i]) || (i >= want && !(w[i] >= 0 && w[i] <= 100))) {
            snprintf(err, errlen, "%s %zu is out of range", i < want ? "weight" : "idf", i % want);
            rc = SQ_E_BAD_FORMAT;
        }
    }
    if (rc) {
        free(w);
        lm_destroy(h.m);
        return rc;
    }
    if (h.idf) {
        h.m->idf = malloc(want * sizeof *h.m->idf);
        if (!h.m->idf) {
            free(w);
            lm_destroy(h.m);
            return SQ_E_NOMEM;
        }
        memcpy(h.m->idf, w + want, want * sizeof *w);
    }
    free(h.m->w);
    h.m->w = w;
    *out = h.m;
    return 0;
}

int lm_load(lm_model **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SQ_E_IO;
    }
    size_t cap = 1 << 20, n = 0, k;
    unsigned char *buf = malloc(cap);
    while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            unsigned char *nb = cap < ((size_t)1 << 28) ? realloc(buf, cap * 2) : NULL;
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f) || !buf || n == cap;
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read (too big or i/o error)", path);
        return SQ_E_IO;
    }
    char why[256] = "";
    int rc = lm_decode(out, buf, n, why, sizeof why);
    free(buf);
    if (rc) snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}
