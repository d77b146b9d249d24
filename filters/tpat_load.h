/* tpat_load.h -- loader state shared by the pack reader (tpat_load.c) and the pattern compiler (tpat_compile.c). */
#ifndef FILTER_TPAT_LOAD_H
#define FILTER_TPAT_LOAD_H

#include <yaml.h>

#include "tpat_impl.h"

struct tpat_phrase {
    uint32_t *w;
    uint32_t n;
};

/* A lexicon being built: single words, and phrases of several tokens. */
struct tpat_lex {
    const char *name;
    size_t line;
    yaml_node_t *node; /* its entries; NULL for one made from a pattern's {a,b} word */
    int state;         /* 0 not expanded, 1 expanding, 2 done */
    int used;
    uint32_t *w;
    size_t n, cap;
    struct tpat_phrase *ph;
    size_t n_ph, cap_ph;
};

struct tpat_macro {
    const char *name, *text;
    size_t line;
    int busy; /* being expanded: a use now is a cycle */
};

struct tpat_gbits {
    uint32_t hash, nw, lo; /* the words' bits from word lo * 64 on, nw of them */
    const uint64_t *bits;
    uint32_t guard[2]; /* the guard (index) of these words and no other test, without and with companies; 0: none yet */
};

/* A slot of the loader's hashes of tests and of guard word sets (tpat_compile.c, index_grow): key 0 is empty. */
struct tpat_thash {
    uint32_t key, idx;
};

struct tpat_loader {
    struct tpat_pack *p;
    tpat_diag *diag;
    const char *file;
    yaml_document_t *doc;
    struct tpat_lex *lex;
    size_t n_lex, cap_lex;
    struct tpat_macro *mac;
    size_t n_mac;
    size_t cap_rules, cap_tests, cap_prog;
    tok_doc td; /* tokenises entries and literals exactly as articles are */
    struct tpat_gbits *gbits; /* the distinct word sets of guards so far (tpat_compile.c) */
    size_t n_gbits, cap_gbits;
    struct tpat_thash *ghash; /* gbits by hash (keyed as thash is; tpat_compile.c, index_grow) */
    size_t cap_ghash;
    long *tscore;             /* per test: 1 + its score as an anchor (tpat_compile.c, test_score), 0 not yet */
    size_t cap_tscore;
    uint32_t comp_guard;      /* the guard of companies alone, 0: none yet */
    struct tpat_thash *thash; /* the tests so far, to share equal ones */
    size_t n_thash, cap_thash;
    int n_err;
};

void tpat_err(struct tpat_loader *L, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void *tpat_arena_alloc(void **arena, size_t n);
char *tpat_arena_str(void **arena, const char *s, size_t n);
int32_t tpat_word_add(struct tpat_pack *p, const char *norm, size_t len);
int tpat_lex_new(struct tpat_loader *L, const char *name, size_t line);
int tpat_lex_find(const struct tpat_loader *L, const char *name, size_t len);
/* Expands a lexicon for use; -1 only when out of memory (problems go to tpat_err). */
int tpat_lex_get(struct tpat_loader *L, int lex);
int tpat_expand(struct tpat_loader *L, int lex, const char *s, size_t n, size_t line, int *budget);
/* Walks the paths of prog (n instructions) from pc0 to where each takes its first token: fn
 * sees each OP_TEST and OP_COMPANY reached and returns 0 (give up), 1 (the path ends there) or
 * 2 (a company the path may skip: go on after it). 0 when fn gave up or some path can take no
 * token (it reaches the end, a gap, or more branches than the walk holds). */
int tpat_first_walk(const struct tpat_inst *prog, size_t n, uint32_t pc0, int (*fn)(void *, const struct tpat_inst *),
                    void *ud);
/* Finds each rule's requirements and the words' requirement rows (tpat_req.c); 0 or -1 out of memory. */
int tpat_req_build(const struct tpat_loader *L);
/* Compiles r->pub.pattern into the pack's program; -1 only when out of memory. */
int tpat_compile_rule(struct tpat_loader *L, struct tpat_crule *r);

#endif
