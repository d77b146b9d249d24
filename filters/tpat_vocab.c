/* tpat_vocab.c -- one word table for every token-pattern pack of a host: an article's tokens are looked up once, not once per pack.
 *
 * Each pack added gets a map from the vocabulary's word ids to its own (-1: not a word of the
 * pack). Per article, tpat_vocab_ids looks up every token's normal form, its form without an
 * abbreviation's period ("inc" of "Inc.") and a hyphenated word's last part; tpat_match_ids then
 * maps them into each pack with one array load instead of three hash probes. The ids are the
 * ones the pack's own lookups would give, so the matches are the same. */
#include "tpat_impl.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "tpat_load.h"

/* A look-up slot: the word's hash, id and where its text is, in one place. */
struct tvoc_slot {
    uint32_t hash;
    int32_t id; /* -1: empty */
    uint32_t len, off;
};

struct tpat_vocab {
    /* the word table only (words, table, pool): tpat_word_add/tpat_word_find run on it as on a pack's */
    struct tpat_pack words;
    /* the same words for tpat_vocab_ids, which looks up every token of every article: one slot
     * read and the text compared in line, where tpat_word_find reads the table, then the word,
     * then calls memcmp (rebuilt after each add; the ids are the word table's) */
    struct tvoc_slot *slots;
    size_t mask;
    /* a bit per value of a hash's low 15 bits, set when a word has it: a quarter or more of an
     * article's tokens are no word of any pack, and this 4 KB answers them from the L1 cache */
    uint64_t seen[512];
};

int tpat_vocab_create(tpat_vocab **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : SQ_E_NOMEM;
}

void tpat_vocab_destroy(tpat_vocab *v)
{
    if (!v) return;
    free(v->words.words);
    free(v->words.table);
    free(v->words.words_pool);
    free(v->slots);
    free(v);
}

size_t tpat_vocab_size(const tpat_vocab *v) { return v->words.n_words; }

/* The look-up slots of every word, at most half full (linear probing stays short). */
static int index_slots(tpat_vocab *v)
{
    size_t cap = 1024;
    while (cap < 2 * v->words.n_words) cap *= 2;
    struct tvoc_slot *t = malloc(cap * sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < cap; i++) t[i] = (struct tvoc_slot){0, -1, 0, 0};
    for (size_t w = 0; w < v->words.n_words; w++) {
        const struct tpat_word *x = &v->words.words[w];
        size_t i = x->hash & (cap - 1);
        while (t[i].id >= 0) i = (i + 1) & (cap - 1);
        t[i] = (struct tvoc_slot){x->hash, (int32_t)w, x->len, x->off};
        v->seen[(x->hash >> 6) & 511] |= UINT64_C(1) << (x->hash & 63);
    }
    free(v->slots);
    v->slots = t;
    v->mask = cap - 1;
    return 0;
}

int tpat_vocab_add(tpat_vocab *v, tpat_pack *p)
{
    int32_t *hid = malloc((p->n_words ? p->n_words : 1) * sizeof *hid);
    if (!hid) return SQ_E_NOMEM;
    for (size_t w = 0; w < p->n_words; w++)
        if ((hid[w] = tpat_word_add(&v->words, p->words_pool + p->words[w].off, p->words[w].len)) < 0) {
            free(hid);
            return SQ_E_NOMEM;
        }
    size_t n = v->words.n_words + 1; /* map[1 + id]; map[0] = -1 stands for "no id" */
    int32_t *map = malloc(n * sizeof *map);
    if (!map) {
        free(hid);
        return SQ_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) map[i] = -1;
    for (size_t w = 0; w < p->n_words; w++) map[1 + hid[w]] = (int32_t)w;
    free(hid);
    if (index_slots(v)) {
        free(map);
        return SQ_E_NOMEM;
    }
    free(p->vmap);
    p->vmap = map;
    p->n_vmap = n;
    p->vocab = v;
    return 0;
}

void tpat_ids_free(tpat_ids *ids)
{
    free(ids->word);
    memset(ids, 0, sizeof *ids);
}

/* The id of a normal form, or -1 (as tpat_word_find on the word table). Most tokens are short
 * words: comparing them a byte at a time beats a call to memcmp. */
static int32_t word_id(const tpat_vocab *v, const char *norm, size_t len, uint32_t hash)
{
    if (!v->slots || !(v->seen[(hash >> 6) & 511] >> (hash & 63) & 1)) return -1;
    for (size_t i = hash & v->mask;; i = (i + 1) & v->mask) {
        const struct tvoc_slot *sl = &v->slots[i];
        if (sl->id < 0) return -1;
        if (sl->hash != hash || sl->len != len) continue;
        const char *w = v->words.words_pool + sl->off;
        size_t k = 0;
        while (k < len && w[k] == norm[k]) k++;
        if (k == len) return sl->id;
    }
}

static int32_t tail_id(const tpat_vocab *v, const char *norm, size_t len)
{
    size_t h = tpat_hyphen_tail(norm, len);
    return h ? word_id(v, norm + h, len - h, tok_hash(norm + h, len - h)) : -1;
}

int tpat_vocab_ids(const tpat_vocab *v, const tok_doc *d, tpat_ids *ids)
{
    if (d->n > ids->cap) {
        int32_t *x = realloc(ids->word, 3 * d->n * sizeof *x);
        if (!x) return SQ_E_NOMEM;
        ids->word = x, ids->abbr = x + d->n, ids->tail = x + 2 * d->n;
        ids->cap = d->n;
    } else if (ids->word) { /* one block of three arrays of cap (none yet for an empty first article) */
        ids->abbr = ids->word + ids->cap, ids->tail = ids->word + 2 * ids->cap;
    }
    for (size_t k = 0; k < d->n; k++) {
        const struct tok *t = &d->v[k];
        const char *n = tok_norm(d, t);
        /* the slots are read at random: ask for a later token's slot now, so the misses overlap */
        if (k + 8 < d->n && v->slots) __builtin_prefetch(&v->slots[d->v[k + 8].hash & v->mask]);
        ids->word[k] = word_id(v, n, t->norm_len, t->hash);
        ids->abbr[k] = t->flags & TOK_F_ABBREV && t->norm_len > 1
                           ? word_id(v, n, t->norm_len - 1u, tok_hash(n, t->norm_len - 1u))
                           : -1;
        ids->tail[k] = t->flags & TOK_F_HYPHEN ? tail_id(v, n, t->norm_len) : -1;
    }
    ids->v = v;
    ids->n = d->n;
    return 0;
}
