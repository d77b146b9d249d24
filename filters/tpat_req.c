/* tpat_req.c -- a token-pattern pack's prefilter: the word sets (and companies) every match of a rule needs in its scope.
 *
 * Most (rule, sentence) pairs the anchor index proposes cannot match: the anchor word is
 * there, another word every match needs is not. The matcher pays for such a pair in guard
 * checks at every start of the anchor's window, in memo clearing and in steps. Here, once per
 * pack, each rule's mandatory items are found (the tests and company slots on every path from
 * its start to its MATCH) and each distinct word set among them becomes a requirement bit; a
 * word's row says which requirements it meets. Per article the matcher ORs the rows of each
 * sentence's words and runs a rule in a scope only when every requirement's bit is there. The
 * test is necessary, never sufficient, so it changes no match, only the work.
 *
 * A rule that opens with alternatives ("A ... | B ... | C ...") has few items on every path,
 * while each alternative has its own: the requirements are kept per entry (the instructions
 * the opening splits lead to), and a scope must meet every requirement of one entry. */
#include "tpat_impl.h"
#include "tpat_load.h"

#include <stdlib.h>
#include <string.h>

/* Requirements a rule keeps at most: a rule's first few mandatory items already reject
 * nearly every scope that cannot match. */
#define REQ_PER_RULE 8
/* Entries a rule's opening splits are followed to at most (each with its own requirements). */
#define REQ_ENTRIES 16

/* A requirement: the words (n ids, ascending) one of which, or a company, the scope must hold. */
struct req_set {
    uint32_t *w;
    uint32_t n, hash;
    uint32_t size; /* its words, and a company counts as many: how often a scope is likely to meet it */
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
    /* per instruction of the rule at hand (sized for the longest rule) */
    uint32_t *stack, *it, *po, *order, *idom, *pred_off, *pred, *must;
    uint8_t *state;
    int64_t *id_at; /* its requirement id, -1 none, -2 not yet known */
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

/* Is set x the words of the bits cur (n of them)? */
static int same_words(const struct req_set *x, const uint64_t *cur, uint32_t n)
{
    if (x->n != n) return 0;
    for (uint32_t k = 0; k < n; k++)
        if (!(cur[x->w[k] / 64] >> (x->w[k] % 64) & 1)) return 0;
    return 1;
}

/* The id of the set just walked (b->cur, b->comp), added when new; -1 out of memory. A set is kept
 * as its word ids, not as bits: thousands of sets of a few words each, all held until req_rows. */
static int64_t req_keep(struct req_build *b)
{
    uint32_t h = tok_hash((const char *)b->cur, b->nb * sizeof *b->cur) ^ b->comp, n = 0;
    for (size_t i = 0; i < b->nb; i++) n += (uint32_t)__builtin_popcountll(b->cur[i]);
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].hash == h && b->v[i].comp == b->comp && same_words(&b->v[i], b->cur, n)) return (int64_t)i;
    uint32_t *w = malloc((n + 1) * sizeof *w), k = 0;
    if (!w || tpat_reserve((void **)&b->v, &b->cap, b->n + 1, sizeof *b->v)) {
        free(w);
        return -1;
    }
    for (size_t i = 0; i < b->nb; i++)
        for (uint64_t x = b->cur[i]; x; x &= x - 1) w[k++] = (uint32_t)(i * 64 + (size_t)__builtin_ctzll(x));
    b->v[b->n] = (struct req_set){w, n, h, b->comp ? UINT32_MAX / 2 + n : n, b->comp};
    return (int64_t)b->n++;
}

/* The instructions that can follow instruction pc (into next); returns how many. */
static uint32_t succs(const struct tpat_inst *prog, uint32_t n, uint32_t pc, uint32_t next[2])
{
    const struct tpat_inst *in = &prog[pc];
    uint32_t nn = 0, k = 0;
    if (in->op == OP_SPLIT) next[nn++] = pc + (uint32_t)in->x, next[nn++] = pc + (uint32_t)in->y;
    else if (in->op == OP_JMP) next[nn++] = pc + (uint32_t)in->x;
    else if (in->op != OP_MATCH) next[nn++] = pc + 1;
    for (uint32_t i = 0; i < nn; i++)
        if (next[i] < n) next[k++] = next[i];
    return k;
}

/* The rule's predecessor lists (CSR in b->pred_off, b->pred), for the dominators below. */
static void preds(struct req_build *b, const struct tpat_inst *prog, uint32_t n)
{
    uint32_t nx[2];
    memset(b->pred_off, 0, (n + 1) * sizeof *b->pred_off);
    for (uint32_t v = 0; v < n; v++)
        for (uint32_t k = 0, nn = succs(prog, n, v, nx); k < nn; k++) b->pred_off[nx[k] + 1]++;
    for (uint32_t v = 0; v < n; v++) b->pred_off[v + 1] += b->pred_off[v];
    memcpy(b->it, b->pred_off, n * sizeof *b->it);
    for (uint32_t v = 0; v < n; v++)
        for (uint32_t k = 0, nn = succs(prog, n, v, nx); k < nn; k++) b->pred[b->it[nx[k]]++] = v;
}

/* Depth-first from instruction from: the postorder number of each instruction it reaches (state
 * 2), and those instructions in postorder (b->order). Returns how many. */
static uint32_t postorder(struct req_build *b, const struct tpat_inst *prog, uint32_t n, uint32_t from)
{
    uint32_t top = 0, np = 0, nx[2];
    memset(b->state, 0, n);
    b->stack[top] = from, b->it[top++] = 0, b->state[from] = 1;
    while (top) {
        uint32_t v = b->stack[top - 1], nn = succs(prog, n, v, nx);
        if (b->it[top - 1] < nn) {
            uint32_t w = nx[b->it[top - 1]++];
            if (!b->state[w]) b->stack[top] = w, b->it[top++] = 0, b->state[w] = 1;
            continue;
        }
        b->state[v] = 2, b->po[v] = np, b->order[np++] = v, top--;
    }
    return np;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t common_dom(const struct req_build *b, uint32_t x, uint32_t y)
{
    while (x != y) {
        while (b->po[x] < b->po[y]) x = b->idom[x];
        while (b->po[y] < b->po[x]) y = b->idom[y];
    }
    return x;
}

/* The instructions every path from instruction from to the rule's MATCH (its last instruction)
 * passes: the dominators of MATCH (Cooper, Harvey and Kennedy's iteration), in program order in
 * b->must. Returns how many, 0 when no path reaches MATCH. */
static uint32_t must_pass(struct req_build *b, const struct tpat_inst *prog, uint32_t n, uint32_t from)
{
    const uint32_t none = UINT32_MAX;
    uint32_t np = postorder(b, prog, n, from), nm = 0;
    if (b->state[n - 1] != 2) return 0;
    for (uint32_t k = 0; k < np; k++) b->idom[b->order[k]] = none;
    b->idom[from] = from;
    for (int changed = 1; changed;) {
        changed = 0;
        for (uint32_t k = np - 1; k-- > 0;) { /* reverse postorder; from is last */
            uint32_t v = b->order[k], d = none;
            for (uint32_t q = b->pred_off[v]; q < b->pred_off[v + 1]; q++) {
                uint32_t u = b->pred[q];
                if (b->state[u] == 2 && b->idom[u] != none) d = d == none ? u : common_dom(b, u, d);
            }
            if (d != b->idom[v]) b->idom[v] = d, changed = 1;
        }
    }
    for (uint32_t v = n - 1;; v = b->idom[v]) {
        b->must[nm++] = v;
        if (v == from) break;
    }
    qsort(b->must, nm, sizeof *b->must, cmp_u32); /* the chain runs back from MATCH */
    return nm;
}

/* The requirement of instruction i of the rule: the words (or company) its first token must be,
 * when that is a set of words; -1 when not, -2 out of memory. Each instruction is walked once. */
static int64_t inst_req(struct req_build *b, const struct tpat_inst *prog, uint32_t n, uint32_t i)
{
    if (b->id_at[i] != -2) return b->id_at[i];
    memset(b->cur, 0, b->nb * sizeof *b->cur);
    b->comp = 0;
    if (prog[i].op == OP_JMP || !tpat_first_walk(prog, n, i, first_word, b)) return b->id_at[i] = -1;
    int64_t id = req_keep(b);
    return id < 0 ? -2 : (b->id_at[i] = id);
}

/* The entries of a rule's program: its opening splits and jumps followed, while there are at
 * most REQ_ENTRIES, to the instructions they lead to. Every path from the start to MATCH passes
 * one of them. Returns how many (1: the start itself). */
static uint32_t rule_entries(const struct tpat_inst *prog, uint32_t n, uint32_t *e, uint8_t *done)
{
    uint32_t ne = 1;
    memset(done, 0, n);
    e[0] = 0;
    for (uint32_t i = 0; i < ne;) {
        const struct tpat_inst *in = &prog[e[i]];
        if ((in->op != OP_SPLIT && in->op != OP_JMP) || ne + 1 > REQ_ENTRIES) {
            i++;
            continue;
        }
        uint32_t to[2] = {e[i] + (uint32_t)in->x, e[i] + (uint32_t)in->y}, nt = in->op == OP_SPLIT ? 2 : 1;
        done[e[i]] = 1;
        e[i] = e[--ne]; /* replaced by its targets, each once (a loop back is followed already) */
        for (uint32_t k = 0; k < nt; k++) {
            int dup = done[to[k]] != 0;
            for (uint32_t q = 0; q < ne; q++) dup |= e[q] == to[k];
            if (!dup) e[ne++] = to[k];
        }
    }
    return ne;
}

/* Requirements of a path from entry from, in program order: at each instruction every such path
 * passes, the words (or company) its first token must be, when that is a set of words, and not
 * one of the n_had already asked (had). Kept smallest set first, so that a scope that lacks one
 * fails at once. Returns how many (into ids), 0 when none, -1 out of memory; -2 when no path from
 * the entry matches. */
static int entry_reqs(struct req_build *b, const struct tpat_crule *r, uint32_t from, const uint32_t *had,
                      uint32_t n_had, uint32_t *ids)
{
    const struct tpat_inst *prog = b->p->prog + r->pc;
    uint32_t n = 0, nm = must_pass(b, prog, r->n_inst, from);
    if (!nm) return -2;
    for (uint32_t k = 0; k + 1 < nm && n < REQ_PER_RULE; k++) { /* the last is MATCH */
        int64_t id = inst_req(b, prog, r->n_inst, b->must[k]);
        if (id == -2) return -1;
        if (id < 0) continue;
        int dup = 0;
        for (uint32_t q = 0; q < n; q++) dup |= ids[q] == (uint32_t)id;
        for (uint32_t q = 0; q < n_had; q++) dup |= had[q] == (uint32_t)id;
        if (!dup) ids[n++] = (uint32_t)id;
    }
    for (uint32_t i = 1; i < n; i++) /* insertion sort by size: at most REQ_PER_RULE */
        for (uint32_t j = i; j > 0 && b->v[ids[j]].size < b->v[ids[j - 1]].size; j--) {
            uint32_t t = ids[j];
            ids[j] = ids[j - 1], ids[j - 1] = t;
        }
    return (int)n;
}

/* The rule's requirements (its gate's req, req_off): entry 0's are those of every path (the start's),
 * then, when the start splits, those of each entry; no entries when the rule has none. -1 out of memory. */
static int rule_reqs(struct req_build *b, struct tpat_crule *r)
{
    uint32_t e[REQ_ENTRIES], ids[(REQ_ENTRIES + 1) * REQ_PER_RULE], off[REQ_ENTRIES + 2] = {0}, kept = 1;
    const struct tpat_inst *prog = b->p->prog + r->pc;
    preds(b, prog, r->n_inst);
    for (uint32_t i = 0; i < r->n_inst; i++) b->id_at[i] = -2;
    int n = entry_reqs(b, r, 0, NULL, 0, ids);
    if (n == -1) return -1;
    off[1] = n > 0 ? (uint32_t)n : 0;
    uint32_t ne = n == -2 ? 0 : rule_entries(prog, r->n_inst, e, b->state);
    for (uint32_t i = 0; ne > 1 && i < ne; i++) {
        if ((n = entry_reqs(b, r, e[i], ids, off[1], ids + off[kept])) == -1) return -1;
        if (n == -2) continue; /* no match goes this way */
        if (n == 0) { /* an entry with no requirement beyond the start's: the start's are all there is */
            kept = 1;
            break;
        }
        off[kept + 1] = off[kept] + (uint32_t)n;
        kept++;
    }
    if (!off[kept]) return 0;
    uint32_t *keep = tpat_arena_alloc(&b->p->arena, (off[kept] + kept + 1) * sizeof *keep);
    if (!keep) return -1;
    memcpy(keep, ids, off[kept] * sizeof *keep);
    memcpy(keep + off[kept], off, (kept + 1) * sizeof *keep);
    struct tpat_rgate *g = &b->p->gates[r - b->p->rules];
    g->req = keep;
    g->req_off = keep + off[kept];
    g->n_entries = (uint8_t)kept;
    return 0;
}

/* Each word's requirements (tpat_impl.h: req_off, req_list, req_heavy, req_dense) and a company's:
 * most words meet a few of thousands, whose bits the matcher sets one by one; a word in many sets
 * ("the", "of") keeps a row to OR. Counts, then fills. */
static int req_rows(struct req_build *b)
{
    struct tpat_pack *p = b->p;
    size_t nw = p->n_words, n_heavy = 0, total = 0;
    p->n_req = b->n;
    p->req_words = (b->n + 127) / 128 * 2; /* even: the matcher ORs rows 128 bits at a time */
    p->req_off = calloc(nw + 2, sizeof *p->req_off);
    p->req_heavy = malloc((nw + 1) * sizeof *p->req_heavy);
    p->req_comp = calloc(p->req_words, sizeof *p->req_comp);
    if (!p->req_off || !p->req_heavy || !p->req_comp) return -1;
    for (size_t i = 0; i < b->n; i++)
        for (uint32_t k = 0; k < b->v[i].n; k++) p->req_off[b->v[i].w[k] + 1]++;
    for (size_t w = 0; w < nw; w++) {
        int heavy = p->req_off[w + 1] > TPAT_REQ_LIST;
        p->req_heavy[w] = heavy ? (int32_t)n_heavy++ : -1;
        total += heavy ? 0 : p->req_off[w + 1];
        p->req_off[w + 1] = (uint32_t)total;
    }
    p->req_heavy[nw] = -1; /* no word: no requirement */
    p->req_list = malloc((total + 1) * sizeof *p->req_list);
    p->req_dense = calloc(n_heavy * p->req_words + 1, sizeof *p->req_dense);
    uint32_t *at = malloc((nw + 1) * sizeof *at);
    if (!p->req_list || !p->req_dense || !at) {
        free(at);
        return -1;
    }
    memcpy(at, p->req_off, (nw + 1) * sizeof *at);
    for (size_t i = 0; i < b->n; i++) {
        for (uint32_t k = 0; k < b->v[i].n; k++) {
            uint32_t w = b->v[i].w[k];
            if (p->req_heavy[w] < 0) p->req_list[at[w]++] = (uint32_t)i;
            else p->req_dense[(size_t)p->req_heavy[w] * p->req_words + i / 64] |= UINT64_C(1) << (i % 64);
        }
        if (b->v[i].comp) p->req_comp[i / 64] |= UINT64_C(1) << (i % 64);
    }
    free(at);
    return 0;
}

/* The rule-sized work arrays; -1 out of memory. */
static int work_alloc(struct req_build *b, size_t n)
{
    uint32_t **u[] = {&b->stack, &b->it, &b->po, &b->order, &b->idom, &b->pred, &b->must};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (!(*u[i] = malloc(2 * n * sizeof **u[i]))) return -1; /* pred: two per instruction at most */
    b->pred_off = malloc((n + 1) * sizeof *b->pred_off);
    b->state = malloc(n);
    b->id_at = malloc(n * sizeof *b->id_at);
    return b->pred_off && b->state && b->id_at ? 0 : -1;
}

static void work_free(struct req_build *b)
{
    free(b->stack), free(b->it), free(b->po), free(b->order), free(b->idom), free(b->pred), free(b->must);
    free(b->pred_off), free(b->state), free(b->id_at);
}

int tpat_req_build(const struct tpat_loader *L)
{
    struct tpat_pack *p = L->p;
    struct req_build b = {.L = L, .p = p, .nb = p->n_words / 64 + 1};
    b.cur = calloc(b.nb, sizeof *b.cur);
    size_t max_inst = 1;
    for (size_t i = 0; i < p->n_rules; i++)
        if (p->rules[i].n_inst > max_inst) max_inst = p->rules[i].n_inst;
    int rc = !b.cur || work_alloc(&b, max_inst) || !(p->gates = calloc(p->n_rules + 1, sizeof *p->gates)) ? -1 : 0;
    for (size_t i = 0; !rc && i < p->n_rules; i++) {
        const struct tpat_rule *r = &p->rules[i].pub;
        p->gates[i] = (struct tpat_rgate){NULL, NULL, r->scope, r->field, r->whole_words, 0};
    }
    for (size_t i = 0; !rc && i < p->n_rules; i++) rc = rule_reqs(&b, &p->rules[i]);
    work_free(&b); /* before the rows: start-up's peak memory is here */
    free(b.cur);
    if (!rc) rc = req_rows(&b);
    for (size_t i = 0; i < b.n; i++) free(b.v[i].w);
    free(b.v);
    return rc;
}
