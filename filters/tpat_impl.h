/* tpat_impl.h -- the compiled form of a token-pattern pack, shared by its loader (tpat_load.c) and matcher (tpat.c). */
#ifndef FILTER_TPAT_IMPL_H
#define FILTER_TPAT_IMPL_H

#include "tpat.h"

/* One token test. */
/* TT_SET: one test for adjacent alternatives that are each a word or a lexicon ("( a | b | <c> )").
 * Kinds below TT_CLASS test word ids only (they can anchor a rule). */
enum tpat_test_kind { TT_WORD, TT_EXACT, TT_LEX, TT_SET, TT_CLASS, TT_ANY, TT_REGEX };

struct tpat_test {
    uint8_t kind, neg;
    uint32_t v;         /* word id, lexicon id, or class mask (bits 0-7 case class, 8-23 token flags); TT_SET: bits in set */
    const uint64_t *set;     /* TT_SET: a bit per word id below v */
    const uint32_t *set_w;   /* TT_SET: its words */
    uint32_t set_n;
    const uint64_t *first;   /* TT_REGEX: the bytes a match can start with (256 bits), or NULL: any */
    const char *req;         /* TT_REGEX: a literal every match contains ("-term" of "[a-z]+-term"), or NULL */
    uint32_t req_len;
    const char *exact;  /* TT_EXACT: the surface that must match byte for byte; TT_REGEX: a literal prefix of every match */
    void *re;           /* TT_REGEX: a compiled POSIX ERE (regex_t), matched against the normal form */
    uint32_t exact_len;
};

/* Program instructions; x and y are offsets relative to the instruction itself,
 * so a compiled fragment can be copied for {m,n}. */
enum tpat_op { OP_TEST, OP_COMPANY, OP_SPLIT, OP_JMP, OP_SOL, OP_EOL, OP_WORD, OP_MATCH };

/* OP_WORD (a word of a gap, "..."): a token and the tokens glued to it (no space
 * between: "Nvidia's", "$10bn,"), at most this many in all -- a longer run of glued
 * tokens counts as more words, so a gap of n words spans at most n times this. */
#define TPAT_WORD_TOKENS 4

/* A word meeting at most this many prefilter requirements sets their bits one by one (req_list)
 * rather than ORing its whole row. */
#define TPAT_REQ_LIST 12

/* 8 bytes, so a pack's programs (215,000 instructions over the three built-ins) stay small in
 * memory and cache: a rule has at most MAX_PROG (20,000) instructions, so its offsets fit 16 bits. */
struct tpat_inst {
    uint32_t op : 8;
    uint32_t arg : 24; /* OP_TEST: test index; OP_COMPANY: slot index */
    int16_t x, y;
};
#define TPAT_INST_ARG_MAX 0xFFFFFFu

/* Where a rule is tried: at tokens of its anchor word set (with the pattern's length
 * before the anchor), at company starts, or at every sentence start. */
enum tpat_anchor { ANCHOR_WORDS, ANCHOR_COMPANY, ANCHOR_NONE };

/* How far before an anchor token a match may start: pre_min to pre_max tokens and pre_comp
 * companies (each as long as the article's longest), or anywhere in the scope (pre_inf). */
struct tpat_win {
    uint32_t pre_min, pre_max, pre_comp;
    uint8_t pre_inf;
};

/* Window a grows to hold window b. */
static inline void tpat_win_union(struct tpat_win *a, const struct tpat_win *b)
{
    if (b->pre_min < a->pre_min) a->pre_min = b->pre_min;
    if (b->pre_max > a->pre_max) a->pre_max = b->pre_max;
    if (b->pre_comp > a->pre_comp) a->pre_comp = b->pre_comp;
    a->pre_inf |= b->pre_inf;
}

/* What deciding whether a rule can match in a scope reads (tpat.c, scope_ok), apart from the
 * rule so that a pack's thousand gates share a few cache lines: the rule's scope, field and
 * word parts, and the requirements a match needs in its scope (tpat_req.c), entry i's being
 * req[req_off[i], req_off[i + 1]): entry 0's (every path's) and, when there are more, one
 * other entry's; no entries: none. */
struct tpat_rgate {
    const uint32_t *req, *req_off;
    uint8_t scope, field, whole_words, n_entries;
};

struct tpat_crule {
    struct tpat_rule pub;
    uint32_t pc, n_inst;
    uint8_t anchor;
    const uint32_t *anchor_tests; /* ANCHOR_WORDS: the tests whose words start the tries */
    const struct tpat_win *anchor_win; /* per anchor test: the window of the branch it anchors */
    uint32_t n_anchor_tests;
    struct tpat_win pre; /* before the anchor item (a top-level alternation: its widest branch) */
    char **lift_ids;     /* its lifts: list as written, resolved to pub.lifts once every rule is read */
    size_t lifts_line;
};

/* What the first token of any match from an instruction on must be: one of the words (a bit
 * per word id from lo to lo + nbits), a token passing one of the tests (classes, ~regexes), or (comp) a
 * company's first token. Checked at each branch of a SPLIT and at a rule's start, it drops a
 * path that would fail at its first token without running it. */
/* A quick reject for a list of class and ~regex tests: a token whose case class and flags are
 * outside cls and whose normal form starts with a byte outside first passes none of them. */
struct tpat_pre {
    uint32_t cls;
    uint64_t first[4];
};

struct tpat_guard {
    const uint64_t *bits; /* bit i is word lo + i; bit nbits exists and is 0 */
    const uint32_t *tests;
    const struct tpat_pre *pre; /* of tests (NULL when none) */
    uint32_t lo, nbits, n_tests; /* lo: a multiple of 64 */
    uint8_t comp;
};

/* What a guard holds, beside its index in guard_at: a token that is no word of the pack and no
 * company start is rejected by a guard of words alone without reading the guard. */
#define GUARD_COMP (UINT32_C(1) << 31)
#define GUARD_TESTS (UINT32_C(1) << 30)
#define GUARD_INDEX (GUARD_TESTS - 1)

/* The two passes of a match: rules of positive weight, then (when they matched, or ungated) the others. */
static inline int tpat_positive(const struct tpat_crule *r)
{
    return r->pub.weight > 0;
}

struct tpat_word {
    uint32_t off, len, hash; /* in words_pool */
};

/* A slot of the word hash table: the word id (-1 empty) and its hash, so a miss needs no word. */
struct tpat_slot_w {
    int32_t wid;
    uint32_t hash;
};

/* A word's part in recognising a company by its form (tpat_pack.form). */
enum { TPAT_FORM_SUFFIX = 1, TPAT_FORM_DESCRIPTOR = 2, TPAT_FORM_COMPOUND = 4 };

struct tpat_pack {
    char name[64];
    struct tpat_crule *rules;
    size_t n_rules;
    char **roles;
    size_t n_roles;
    char **sectors; /* the sectors company slots may require ({COMPANY[chip]:target}) */
    size_t n_sectors;
    size_t n_lex;
    /* words: open addressing over word ids */
    struct tpat_word *words;
    size_t n_words, cap_words;
    struct tpat_slot_w *table;
    size_t table_mask;
    char *words_pool;
    size_t pool_n, pool_cap;
    uint64_t *lexbits; /* (n_words + 1) x lex_words: lexicons a word belongs to; row n_words is 0 (no word) */
    size_t lex_words;
    uint64_t *cue_bits; /* a bit per word: in a lexicon other than the suffixes and descriptors (a cue word) */
    /* anchors: rules to try at a word, CSR over word ids (n_words + 2 offsets; word n_words has none).
     * Every list below holds the rules of positive weight first, up to its *_mid: the others are
     * proposed only when one of those matched (tpat.c propose_later), as a gated pack asks them only then. */
    uint32_t *anchor_off, *anchor_rules, *anchor_mid;
    struct tpat_win *anchor_win; /* per anchor_rules entry: its rule's window at that word */
    uint32_t *company_rules, *free_rules;
    size_t n_company_rules, n_free_rules, company_mid, free_mid;
    uint32_t *test_rules; /* word-anchored rules some of whose anchor tests are a class or a ~regex */
    size_t n_test_rules;
    /* those anchor tests, each distinct one once (rules repeat "<cap>"), with its rules (CSR):
     * a token tries each once, not once per rule */
    uint32_t *ctests, *ctest_off, *ctest_rules, *ctest_mid;
    struct tpat_win *ctest_win; /* per ctest_rules entry: its rule's window at that test */
    size_t n_ctests;
    struct tpat_pre ctest_pre;
    uint64_t ctest_byte[256]; /* (at most 64 ctests) the ctests a token whose normal form starts with the byte may pass */
    uint8_t ctest_bytes;      /* ctest_byte holds them all */
    /* with ctest_bytes, the class ctests decided without running them: those a token's class
     * passes, those each of its flags passes, which are classes, which of those are negated */
    uint64_t ctest_cls[8], ctest_flag[16], ctest_class, ctest_neg;
    uint32_t ctest_flags; /* the flags any class ctest reads */
    struct tpat_test *tests;
    size_t n_tests;
    struct tpat_inst *prog;
    size_t n_prog;
    uint32_t *guard_at; /* per instruction: the guard of a path starting there (index into guards | GUARD_*), 0 = none */
    size_t cap_guard_at;
    struct tpat_guard *guards; /* [0] is unused: no guard */
    size_t n_guards, cap_guards;
    /* company recognition from form: lexicon ids, or -1 */
    int32_t lex_suffix, lex_descriptor, lex_compound, lex_unit;
    uint8_t *form; /* per word (n_words + 1, the last 0): TPAT_FORM_* bits, so most tokens are no form at one read */
    uint32_t max_name;
    uint8_t short_forms; /* companies found by form are also recognised by their first word elsewhere */
    uint8_t word_parts;  /* rules' default: a word also matches a hyphenated word's last part */
    /* the prefilter (tpat_req.c): the requirements word w meets, as a list req_list[req_off[w],
     * req_off[w + 1]) when they are few (TPAT_REQ_LIST or fewer), else as row req_heavy[w] of
     * req_dense (req_words each; req_heavy[w] is -1 for a word of few) */
    uint32_t *req_off, *req_list;
    int32_t *req_heavy;
    uint64_t *req_dense;
    uint64_t *req_comp; /* req_words: the requirements a company meets */
    struct tpat_rgate *gates; /* per rule */
    size_t n_req, req_words;
    const struct tpat_vocab *vocab; /* the host's vocabulary this pack was added to, or NULL */
    int32_t *vmap;                  /* [n_vmap]: 1 + its word ids -> this pack's (-1: not a word of the pack; [0] = -1) */
    size_t n_vmap;
    void **regexes; /* TT_REGEX tests' regex_t, freed with the pack */
    size_t n_regexes, cap_regexes;
    void *arena;
};

/* Grows *v (of *cap elements of elem bytes) to hold need; -1 when out of memory. */
int tpat_reserve(void **v, size_t *cap, size_t need, size_t elem);
/* The same, and the elements it adds start zero. */
int tpat_reserve_zero(void **v, size_t *cap, size_t need, size_t elem);
/* Word id of a normal form, or -1. */
int32_t tpat_word_find(const struct tpat_pack *p, const char *norm, size_t len, uint32_t hash);
/* The quick reject of n tests (tests[idx[i]]); one that could pass anything lets every token through. */
void tpat_pre_make(const struct tpat_pack *p, const uint32_t *idx, size_t n, struct tpat_pre *out);
/* Where a hyphenated word's last part starts ("announced" of "previously-announced"), or 0 when it has none. */
size_t tpat_hyphen_tail(const char *norm, size_t len);

#endif
