/* tpat_req.c -- a token-pattern pack's prefilter: the word sets (and companies) every match of a rule needs in its scope.
 *
 * Most (rule, sentence) pairs the anchor index proposes cannot match: the anchor word is
 * there, another word every match needs is not. The matcher pays for such a pair in guard
 * checks at every start of the anchor's window, in memo clearing and in steps. Here, once per
 * pack, each rule's mandatory items are found (the tests and company slots on every path from
 * its start to its MATCH) and each distinct word set among them becomes a requirement bit; a
 * word's row says which requirements it meets. Per article the matcher ORs the rows of each
 * sentence's words and runs a rule in a scope only when every requirement's bit is there. The
 * test is necessary, never sufficient, so it changes no match, only the work. */
#include "tpat_impl.h"
#include "tpat_load.h"

#include <stdlib.h>
#include <string.h>

/* Requirements a rule keeps at most: a rule's first few mandatory items already reject
 * nearly every scope that cannot match. */
#define REQ_PER_RULE 8

/* Is the program's MATCH reachable from its start without passing instruction skip? */
static int reachable_without(const struct tpat_inst *prog, uint32_t n, uint32_t skip, uint32_t *stack, uint8_t *seen)
{
    size_t top = 0;
    memset(seen, 0, n);
    stack[top++] = 0;
    seen[0] = 1;
    while (top) {
        uint32_t pc = stack[--top], next[2];
        size_t nn = 0;
        if (pc == skip) continue;
        const struct tpat_inst *in = &prog[pc];
        if (in->op == OP_MATCH) return 1;
        if (in->op == OP_SPLIT) next[nn++] = pc + (uint32_t)in->x, next[nn++] = pc + (uint32_t)in->y;
        else if (in->op == OP_JMP) next[nn++] = pc + (uint32_t)in->x;
        else next[nn++] = pc + 1;
        for (size_t k = 0; k < nn; k++)
            if (next[k] < n && !seen[next[k]]) seen[next[k]] = 1, stack[top++] = next[k];
    }
    return 0;
}

/* A requirement: the words (a row of n_words bits) one of which, or a company, the scope must hold. */
struct req_set {
    uint64_t *bits;
    uint32_t hash;
    uint8_t comp;
};

struct req_build {
    const struct tpat_loader *L;
    struct tpat_pack *p;
    struct req_set *v;
    size_t n, cap;
    size_t nb;      /* uint64 per word row */
    uint64_t *cur;  /* the set being walked */
    uint8_t comp;
};

/* tpat_first_walk's callback: a positive word test adds its words, a company slot sets comp;
 * any other test (a class, a shape, a negation) could pass a word of no set: give up. */
static int first_word(void *ud, const struct tpat_inst *in)
{
    struct req_build *b = ud;
    if (in->op == OP_COMPANY) return b->comp = 1;
    const struct tpat_test *t = &b->p->tests[in->arg];
    if (t->neg || t->kind >= TT_CLASS) return 0;
    /* the words the test passes: as test_tok reads them (lexbits come from the same lists) */
    const uint32_t *w = t->kind == TT_LEX ? b->L->lex[t->v].w : t->kind == TT_SET ? t->set_w : &t->v;
    size_t n = t->kind == TT_LEX ? b->L->lex[t->v].n : t->kind == TT_SET ? t->set_n : 1;
    for (size_t k = 0; k < n; k++) b->cur[w[k] / 64] |= UINT64_C(1) << (w[k] % 64);
    return 1;
}

/* The id of the set just walked (b->cur, b->comp), added when new; -1 out of memory. */
static int64_t req_keep(struct req_build *b)
{
    uint32_t h = tok_hash((const char *)b->cur, b->nb * sizeof *b->cur) ^ b->comp;
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].hash == h && b->v[i].comp == b->comp && memcmp(b->v[i].bits, b->cur, b->nb * sizeof *b->cur) == 0)
            return (int64_t)i;
    uint64_t *bits = malloc(b->nb * sizeof *bits);
    if (!bits || tpat_reserve((void **)&b->v, &b->cap, b->n + 1, sizeof *b->v)) {
        free(bits);
        return -1;
    }
    memcpy(bits, b->cur, b->nb * sizeof *bits);
    b->v[b->n] = (struct req_set){bits, h, b->comp};
    return (int64_t)b->n++;
}

/* The rule's requirements, in program order: at each instruction every match passes, the
 * words (or company) its first token must be, when that is a set of words. -1 out of memory. */
static int rule_reqs(struct req_build *b, struct tpat_crule *r, uint32_t *stack, uint8_t *seen)
{
    const struct tpat_inst *prog = b->p->prog + r->pc;
    uint32_t ids[REQ_PER_RULE], n = 0;
    for (uint32_t i = 0; i + 1 < r->n_inst && n < REQ_PER_RULE; i++) {
        memset(b->cur, 0, b->nb * sizeof *b->cur);
        b->comp = 0;
        if (prog[i].op == OP_JMP || !tpat_first_walk(prog, r->n_inst, i, first_word, b)) continue;
        if (reachable_without(prog, r->n_inst, i, stack, seen)) continue;
        int64_t id = req_keep(b);
        if (id < 0) return -1;
        int dup = 0;
        for (uint32_t k = 0; k < n; k++) dup |= ids[k] == (uint32_t)id;
        if (!dup) ids[n++] = (uint32_t)id;
    }
    if (!n) return 0;
    uint32_t *keep = tpat_arena_alloc(&b->p->arena, n * sizeof *keep);
    if (!keep) return -1;
    memcpy(keep, ids, n * sizeof *keep);
    r->req = keep;
    r->n_req = n;
    return 0;
}

/* Each word's row of requirement bits (row n_words: no word, all zero), and the company's. */
static int req_rows(struct req_build *b)
{
    struct tpat_pack *p = b->p;
    p->n_req = b->n;
    p->req_words = (b->n + 127) / 128 * 2; /* even: the matcher ORs rows 128 bits at a time */
    p->req_bits = calloc((p->n_words + 2) * p->req_words + 1, sizeof *p->req_bits);
    if (!p->req_bits) return -1;
    p->req_comp = p->req_bits + (p->n_words + 1) * p->req_words;
    for (size_t i = 0; i < b->n; i++) {
        uint64_t bit = UINT64_C(1) << (i % 64);
        for (size_t w = 0; w < p->n_words; w++)
            if (b->v[i].bits[w / 64] >> (w % 64) & 1) p->req_bits[w * p->req_words + i / 64] |= bit;
        if (b->v[i].comp) p->req_comp[i / 64] |= bit;
    }
    return 0;
}

int tpat_req_build(const struct tpat_loader *L)
{
    struct tpat_pack *p = L->p;
    struct req_build b = {.L = L, .p = p, .nb = p->n_words / 64 + 1};
    b.cur = calloc(b.nb, sizeof *b.cur);
    uint32_t max_inst = 1;
    for (size_t i = 0; i < p->n_rules; i++)
        if (p->rules[i].n_inst > max_inst) max_inst = p->rules[i].n_inst;
    uint32_t *stack = malloc(max_inst * sizeof *stack);
    uint8_t *seen = malloc(max_inst);
    int rc = !stack || !seen || !b.cur ? -1 : 0;
    for (size_t i = 0; !rc && i < p->n_rules; i++) rc = rule_reqs(&b, &p->rules[i], stack, seen);
    if (!rc) rc = req_rows(&b);
    for (size_t i = 0; i < b.n; i++) free(b.v[i].bits);
    free(b.v);
    free(b.cur);
    free(stack);
    free(seen);
    return rc;
}
