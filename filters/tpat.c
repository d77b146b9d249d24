/* tpat.c -- matches a compiled token-pattern pack over one article's tokens: companies, anchors, a memoised backtracker.
 *
 * Per article: each token's word id (one hash probe), the companies (gazetteer mentions
 * mapped onto tokens, then companies recognised by form), then candidate (rule, token)
 * pairs from the anchor index. A rule runs only in the window its anchor allows, inside
 * its scope (sentence or field). The backtracker marks (instruction, token) pairs that
 * failed once a run is past its first TPAT_MEMO_AFTER steps, so a rule costs at most that
 * bound per start plus instructions x tokens of its scope; matches are
 * leftmost and do not overlap within a rule. A step budget per article bounds hostile
 * input; what it cuts short is counted in n_limited. */
#include "tpat_impl.h"

#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../core/error.h"

struct job {
    uint32_t pc, pos;
    int32_t slot, old; /* slot >= 0: a restore of the captures to the first old, not a state to explore */
};

/* A company a slot took on the path being run. A slot inside a repeat ("{COMPANY:x} ( , {COMPANY:x} )*")
 * takes one company per pass, so every company of a list is the slot's, not only the last. */
struct capture {
    uint32_t slot;
    int32_t company;
};

/* A (rule, token) pair to try, in 64 bits as the matcher keeps thousands per article: the rule
 * (16 bits: a pack holds at most 65,535, tpat_load.c), how far before the anchor token a match may
 * start (pmin to before tokens, 8 bits each: a larger pmin is kept as 255 and a larger before as
 * CAND_UNBOUNDED, the scope's first token; both only widen the window) and the token (32 bits). */
#define CAND_UNBOUNDED 255u

static inline uint64_t cand_make(uint32_t rule, uint32_t pmin, uint32_t before, uint32_t tok)
{
    return (uint64_t)rule << 48 | (uint64_t)pmin << 40 | (uint64_t)before << 32 | tok;
}
static inline uint32_t cand_rule(uint64_t c) { return (uint32_t)(c >> 48); }
static inline uint32_t cand_pmin(uint64_t c) { return (uint32_t)(c >> 40) & 255u; }
static inline uint32_t cand_before(uint64_t c) { return (uint32_t)(c >> 32) & 255u; }
static inline uint32_t cand_tok(uint64_t c) { return (uint32_t)c; }

/* A (rule, token) pair kept aside, with the window of the anchor that proposed it. */
struct deferred {
    const struct tpat_win *win;
    uint32_t rule, tok;
};

/* A rule's state in one tpat_match call: its last candidate (no pair twice) and whether it can
 * match in the scope of its last candidate's token (scope_ok, asked once per scope). */
struct rule_memo {
    uint32_t epoch;
    uint32_t last; /* 1 + the index in gen of its last candidate, 0 none */
    uint32_t scope; /* 1 + the scope's row in present << 1 | can match there; 0: none asked */
};

struct scratch {
    int32_t *wid, *tail, *comp_at; /* tail: word id of a hyphenated token's last part ("previously-announced") */
    uint8_t *covered;
    size_t cap_wid, cap_tail, cap_comp, cap_cov;
    uint32_t *forms; /* the tokens that may start or end a company by their form (form_may), in order */
    size_t n_forms, cap_forms;
    struct rule_memo *memo; /* per rule, valid when its epoch is this call's */
    size_t cap_memo;
    uint32_t epoch;
    uint64_t *gen, *cand; /* candidates (cand_make) as generated, and sorted by rule */
    size_t n_cand, cap_gen, cap_cand;
    struct deferred *later; /* the (rule, token) pairs of rules of weight <= 0, proposed only when asked */
    size_t n_later, cap_later;
    size_t *per_rule;
    size_t cap_per_rule;
    uint64_t *visited;  /* all zero between scopes: a scope clears only the words it set (dirty) */
    size_t cap_visited;
    uint32_t *dirty;
    size_t n_dirty, cap_dirty;
    struct job *stack;
    size_t cap_stack;
    struct capture *caps; /* the run's captures, in the order taken */
    size_t cap_caps;
    uint64_t *present; /* requirement bits per sentence, then per field (row_present) */
    size_t cap_present;
    uint8_t *row_done; /* per row of present: filled in this call */
    size_t cap_row_done;
    uint32_t *wstamp; /* per word of the pack: the sentence fill that last ORed its row (fill) */
    size_t cap_wstamp;
    uint32_t fill;
};

/* What one tpat_match call works on. */
struct mctx {
    const struct tpat_pack *p;
    const tok_doc *d;
    const char *const *text;
    tpat_result *r;
    struct scratch *s;
    uint32_t max_comp; /* tokens of the longest company */
    uint32_t first, end; /* the scope being matched: tokens [first, end) */
    uint32_t inst0, n_inst;
    size_t stride;       /* the memo's bits per instruction: the scope's tokens + 1 */
    uint64_t *visited;   /* the memo (scratch.visited, once reserved) */
    int32_t no_parts; /* the rule being run reads no hyphenated word's last part: -1 (ORed into a part's id), else 0 */
    uint8_t title_exact; /* the rule being run reads "=homes" as "Homes" in a Title Case headline (no unveto) */
    uint32_t rule;       /* the rule being run (tpat_result.slot_ok asks about its slots) */
    /* read at every guard and test: the pack's and the scratch's arrays (set in prepare), loaded once */
    const uint32_t *guard_at;
    const struct tpat_guard *guards;
    const int32_t *wid, *tail, *comp_at;
    uint32_t n_caps; /* captures of the path being run (scratch.caps) */
    int out_of_steps;
};

void tpat_result_init(tpat_result *r)
{
    memset(r, 0, sizeof *r);
}

static void scratch_free(struct scratch *s)
{
    if (!s) return;
    free(s->wid);
    free(s->tail);
    free(s->memo);
    free(s->comp_at);
    free(s->covered);
    free(s->forms);
    free(s->cand);
    free(s->gen);
    free(s->later);
    free(s->per_rule);
    free(s->visited);
    free(s->dirty);
    free(s->stack);
    free(s->caps);
    free(s->present);
    free(s->row_done);
    free(s->wstamp);
    free(s);
}

/* The arrays of results freed on this thread, kept for the next tpat_match: a host makes and
 * frees a result per pack and article, and growing a dozen arrays from nothing every time cost
 * more than matching a short article. At most TPAT_POOL results of at most TPAT_POOL_BYTES. */
#define TPAT_POOL 4
#define TPAT_POOL_BYTES (1u << 20)

static _Thread_local tpat_result pool[TPAT_POOL];
static _Thread_local size_t n_pool;
static pthread_key_t pool_key; /* its destructor empties a thread's pool when the thread ends */
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static int pool_ok;

static void pool_drain(void *unused)
{
    while (n_pool) {
        tpat_result *r = &pool[--n_pool];
        scratch_free(r->scratch);
        free(r->hits);
        free(r->slots);
        free(r->companies);
    }
}

static void pool_init(void)
{
    pool_ok = pthread_key_create(&pool_key, pool_drain) == 0;
}

static size_t result_bytes(const tpat_result *r)
{
    const struct scratch *s = r->scratch;
    return r->cap_hits * sizeof *r->hits + r->cap_slots * sizeof *r->slots + r->cap_companies * sizeof *r->companies +
           (s->cap_wid + s->cap_tail + s->cap_comp) * 4 + s->cap_memo * sizeof *s->memo + s->cap_cov + s->cap_forms * 4 +
           (s->cap_gen + s->cap_cand + s->cap_per_rule + s->cap_visited) * 8 + s->cap_dirty * 4 + s->cap_stack * sizeof *s->stack +
           s->cap_caps * sizeof *s->caps + s->cap_present * 8 + s->cap_row_done + s->cap_wstamp * 4 + s->cap_later * sizeof *s->later;
}

void tpat_result_free(tpat_result *r)
{
    pthread_once(&pool_once, pool_init);
    if (r->scratch && pool_ok && n_pool < TPAT_POOL && result_bytes(r) <= TPAT_POOL_BYTES &&
        pthread_setspecific(pool_key, pool) == 0) {
        pool[n_pool++] = *r;
    } else {
        scratch_free(r->scratch);
        free(r->hits);
        free(r->slots);
        free(r->companies);
    }
    memset(r, 0, sizeof *r);
}

/* A result's arrays from the pool, when it has none of its own. */
static void pool_take(tpat_result *r)
{
    if (r->scratch || r->hits || r->slots || r->companies || !n_pool) return;
    tpat_result *x = &pool[--n_pool];
    r->scratch = x->scratch;
    r->hits = x->hits, r->cap_hits = x->cap_hits;
    r->slots = x->slots, r->cap_slots = x->cap_slots;
    r->companies = x->companies, r->cap_companies = x->cap_companies;
}

/* Without a branch on w: -1 reads the zero row (tpat_impl.h). */
static int has_lex(const struct tpat_pack *p, int32_t w, uint32_t lex)
{
    size_t row = (uint32_t)w < p->n_words ? (uint32_t)w : p->n_words;
    return (int)(p->lexbits[row * p->lex_words + lex / 64] >> (lex % 64) & 1);
}

static int in_set(const struct tpat_test *t, int32_t w)
{
    return w >= 0 && (uint32_t)w < t->v && (t->set[(uint32_t)w / 64] >> ((uint32_t)w % 64) & 1);
}

/* Does s[0, n) contain the literal q[0, qn)? */
static int contains(const char *s, size_t n, const char *q, size_t qn)
{
    for (const char *p = s; qn <= n && (p = memchr(p, q[0], n - qn + 1 - (size_t)(p - s))); p++)
        if (memcmp(p, q, qn) == 0) return 1;
    return 0;
}

/* The tests that compare bytes (an exact surface, a ~regex): out of line, as they are rare. */
static __attribute__((noinline)) int test_bytes(const struct mctx *m, const struct tpat_test *t, uint32_t pos)
{
    const struct tok *k = &m->d->v[pos];
    const char *n = tok_norm(m->d, k);
    if (t->kind == TT_EXACT) {
        const char *sf = m->text[k->field] + k->start;
        if (m->wid[pos] != (int32_t)t->v || k->end - k->start != t->exact_len) return 0;
        if (memcmp(sf, t->exact, t->exact_len) == 0) return 1;
        /* a Title Case headline capitalises every word, a field in capitals every letter and one typed in
         * lower case none: "=homes" reads "Homes" and "HOMES" there, "=Trump" reads "TRUMP" and "trump", but
         * not a company's name ("Buy Home Depot");
         * an unveto asks for sentence case's lower-case word ("buys Acme Oil") */
        if (!m->title_exact || m->s->covered[pos]) return 0;
        if (m->d->caps[k->field] || m->d->lower[k->field]) return strncasecmp(sf, t->exact, t->exact_len) == 0;
        return m->d->title[k->field] && t->exact[0] >= 'a' && t->exact[0] <= 'z' && sf[0] == t->exact[0] - 'a' + 'A' &&
               memcmp(sf + 1, t->exact + 1, t->exact_len - 1) == 0;
    }
    if (t->kind != TT_REGEX) return 1; /* TT_ANY */
    return (!t->first || (t->first[(unsigned char)*n / 64] >> ((unsigned char)*n % 64) & 1)) &&
           (!t->exact_len || (k->norm_len >= t->exact_len && memcmp(n, t->exact, t->exact_len) == 0)) &&
           (!t->req_len || contains(n, k->norm_len, t->req, t->req_len)) && regexec(t->re, n, 0, NULL, 0) == 0;
}

static inline int test_tok(const struct mctx *m, const struct tpat_test *t, uint32_t pos)
{
    int32_t w = m->wid[pos], tw = m->tail[pos] | m->no_parts;
    const struct tok *k;
    int ok;
    switch (t->kind) {
    case TT_WORD: ok = w == (int32_t)t->v || tw == (int32_t)t->v; break;
    case TT_LEX: ok = has_lex(m->p, w, t->v) || has_lex(m->p, tw, t->v); break;
    case TT_SET: ok = in_set(t, w) || in_set(t, tw); break;
    case TT_CLASS: k = &m->d->v[pos], ok = (t->v >> k->cls & 1) || ((t->v >> 8) & k->flags); break;
    default: ok = test_bytes(m, t, pos);
    }
    return ok ^ t->neg;
}

void tpat_pre_make(const struct tpat_pack *p, const uint32_t *idx, size_t n, struct tpat_pre *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        const struct tpat_test *t = &p->tests[idx[i]];
        if (t->kind == TT_CLASS && !t->neg) {
            out->cls |= t->v;
        } else if (t->kind == TT_REGEX && !t->neg && t->first) {
            for (int k = 0; k < 4; k++) out->first[k] |= t->first[k];
        } else { /* any token may pass */
            out->cls = UINT32_MAX;
            return;
        }
    }
}

/* Can token pos pass one of the tests pre was made of? (0: none passes; 1: maybe) */
static int pre_may(const struct mctx *m, const struct tpat_pre *pre, uint32_t pos)
{
    const struct tok *t = &m->d->v[pos];
    unsigned char b = t->first;
    return (pre->cls >> t->cls & 1) || ((pre->cls >> 8) & t->flags) || (pre->first[b / 64] >> (b % 64) & 1);
}

/* A guard's other tests (classes, ~regexes) for a token none of its words is: out of line, as
 * few guards have them and guard_ok runs at every start and branch. */
static __attribute__((noinline)) int guard_tests(const struct mctx *m, const struct tpat_guard *g, uint32_t pos)
{
    if (!g->n_tests || !pre_may(m, g->pre, pos)) return 0;
    for (uint32_t k = 0; k < g->n_tests; k++)
        if (test_tok(m, &m->p->tests[g->tests[k]], pos)) return 1;
    return 0;
}

/* Can a path starting at instruction pc take token pos first? (its guard; see tpat_impl.h) */
static inline int guard_ok(const struct mctx *m, uint32_t pc, uint32_t pos)
{
    uint32_t gi = m->guard_at[pc];
    if (!gi) return 1;
    if (pos >= m->end) return 0; /* a guarded path takes a token */
    if (gi & GUARD_COMP && m->comp_at[pos] >= 0) return 1;
    int32_t w = m->wid[pos], tw = m->tail[pos] | m->no_parts;
    if ((w & tw) < 0 && !(gi & GUARD_TESTS)) return 0; /* both -1: no word of the pack */
    const struct tpat_guard *g = &m->guards[gi & GUARD_INDEX];
    /* without a branch on the word (a token is as often a word of the guard as not): -1 and ids
     * outside the guard's words read its zero bit nbits; a word part is rare: a branch */
    uint32_t iw = (uint32_t)w - g->lo, it = (uint32_t)tw - g->lo;
    iw = iw < g->nbits ? iw : g->nbits;
    if (g->bits[iw / 64] >> (iw % 64) & 1) return 1;
    if (tw >= 0 && it < g->nbits && (g->bits[it / 64] >> (it % 64) & 1)) return 1;
    return gi & GUARD_TESTS ? guard_tests(m, g, pos) : 0;
}

/* 1 the first time (pc, pos) is seen in this scope, 0 after; -1 out of memory. */
static inline int visit(struct mctx *m, uint32_t pc, uint32_t pos)
{
    size_t bit = (size_t)(pc - m->inst0) * m->stride + (pos - m->first);
    uint64_t *w = &m->visited[bit / 64], b = UINT64_C(1) << (bit % 64);
    if (*w & b) return 0;
    if (!*w) { /* the word's first bit: remember to clear it */
        struct scratch *s = m->s;
        if (s->n_dirty == s->cap_dirty && tpat_reserve((void **)&s->dirty, &s->cap_dirty, s->n_dirty + 1, sizeof *s->dirty))
            return -1;
        s->dirty[s->n_dirty++] = (uint32_t)(bit / 64);
    }
    *w |= b;
    return 1;
}

/* Forgets what the memo saw: the words set since the last clear, not the whole memo. */
static void memo_clear(struct scratch *s)
{
    for (size_t i = 0; i < s->n_dirty; i++) s->visited[s->dirty[i]] = 0;
    s->n_dirty = 0;
}

static int push(struct mctx *m, size_t *top, struct job j)
{
    if (tpat_reserve((void **)&m->s->stack, &m->s->cap_stack, *top + 1, sizeof j)) return -1;
    m->s->stack[(*top)++] = j;
    return 0;
}

/* ^: only punctuation (an opening quote) between the sentence start and pos. */
static int at_sol(const struct mctx *m, uint32_t pos)
{
    const struct tok *v = m->d->v;
    while (pos > m->first && !(pos < m->d->n && v[pos].flags & TOK_F_SENT_START) && v[pos - 1].cls == TOK_PUNCT)
        pos--;
    return pos == m->first || (pos < m->d->n && v[pos].flags & TOK_F_SENT_START);
}

/* $: only punctuation (the full stop) between pos and the sentence end. */
static int at_eol(const struct mctx *m, uint32_t pos)
{
    const struct tok *v = m->d->v;
    while (pos < m->end && !(v[pos].flags & TOK_F_SENT_START) && v[pos].cls == TOK_PUNCT) pos++;
    return pos == m->end || (v[pos].flags & TOK_F_SENT_START);
}

/* The end of the word that starts at pos: the tokens glued to it (same field, no
 * space between, no sentence start), at most TPAT_WORD_TOKENS in all. */
static uint32_t word_end(const struct mctx *m, uint32_t pos)
{
    const struct tok *v = m->d->v;
    uint32_t k = pos + 1;
    while (k < m->end && k - pos < TPAT_WORD_TOKENS && v[k].field == v[k - 1].field && v[k].start == v[k - 1].end &&
           !(v[k].flags & TOK_F_SENT_START))
        k++;
    return k;
}

/* May company ci fill slot `slot` of the rule being run? Only a sector slot asks the host, and the
 * answer depends on the token alone, so the memo of failed (instruction, token) pairs stays right. */
static int slot_accepts(const struct mctx *m, uint32_t slot, int32_t ci)
{
    const char *const *want = m->p->rules[m->rule].pub.slot_sector;
    if (!m->r->slot_ok || !want || !want[slot]) return 1;
    return m->r->slot_ok(m->r->slot_ctx, m->rule, slot, &m->r->companies[ci]);
}

/* Steps a run takes before it consults the memo. Most runs fail within a dozen steps and never
 * meet a state twice, so marking every (instruction, token) cost more than it saved (Reuters,
 * FILTER_BENCH_ONLY=v2 filter_bench: 1.49 -> 1.33 s of CPU, min of 6); past this a run marks and
 * prunes as before, so a rule still costs O(steps of this bound x starts + instructions x tokens). */
#define TPAT_MEMO_AFTER 1024

/* run, counting steps in *steps: run's local, which stays in a register where tpat_result.steps
 * would be read and written back at every step. */
static inline int run_counted(struct mctx *m, uint32_t pc0, uint32_t start, uint32_t *end, uint64_t *steps)
{
    const struct tpat_inst *prog = m->p->prog;
    uint64_t budget = m->r->max_steps ? m->r->max_steps : TPAT_DEFAULT_STEPS;
    size_t top = 0;
    uint32_t unmemo = 0; /* steps taken without the memo */
    if (push(m, &top, (struct job){pc0, start, -1, 0})) return -1;
    while (top) {
        struct job j = m->s->stack[--top];
        if (j.slot >= 0) {
            m->n_caps = (uint32_t)j.old;
            continue;
        }
        for (uint32_t pc = j.pc, pos = j.pos, seen;
             (seen = unmemo < TPAT_MEMO_AFTER ? (unmemo++, 1u) : (uint32_t)visit(m, pc, pos)) != 0;) {
            if (seen == UINT32_MAX) return -1;
            if (++*steps > budget) {
                m->out_of_steps = 1;
                return 0;
            }
            const struct tpat_inst *in = &prog[pc];
            int32_t ci;
            switch (in->op) {
            case OP_TEST:
                if (pos >= m->end || !test_tok(m, &m->p->tests[in->arg], pos)) goto fail;
                pc++, pos++;
                break;
            case OP_COMPANY:
                ci = pos < m->end ? m->s->comp_at[pos] : -1;
                if (ci < 0 || m->r->companies[ci].tok_end > m->end || !slot_accepts(m, in->arg, ci)) goto fail;
                if (push(m, &top, (struct job){0, 0, 0, (int32_t)m->n_caps})) return -1;
                m->s->caps[m->n_caps++] = (struct capture){in->arg, ci}; /* room: enter_scope */
                pos = m->r->companies[ci].tok_end;
                pc++;
                break;
            case OP_SPLIT: { /* a branch whose guard rejects the token is not tried */
                int gx = guard_ok(m, pc + (uint32_t)in->x, pos), gy = guard_ok(m, pc + (uint32_t)in->y, pos);
                if (!gx && !gy) goto fail;
                if (gx && gy && push(m, &top, (struct job){pc + (uint32_t)in->y, pos, -1, 0})) return -1;
                pc += (uint32_t)(gx ? in->x : in->y);
                break;
            }
            case OP_JMP: pc += (uint32_t)in->x; break;
            case OP_SOL:
                if (!at_sol(m, pos)) goto fail;
                pc++;
                break;
            case OP_EOL:
                if (!at_eol(m, pos)) goto fail;
                pc++;
                break;
            case OP_WORD:
                if (pos >= m->end) goto fail;
                pos = word_end(m, pos);
                pc++;
                break;
            default: *end = pos; return 1;
            }
        }
    fail:;
    }
    return 0;
}

/* 1 when the rule's program matches from start (end in *end, slots in caps), 0 when not, -1 out of memory. */
static int run(struct mctx *m, uint32_t pc0, uint32_t start, uint32_t *end)
{
    uint64_t steps = m->r->steps;
    int rc = run_counted(m, pc0, start, end, &steps);
    m->r->steps = steps;
    return rc;
}

/* Does the rule's pattern open with a negated token ("!<seek_plan> seek")? That token only says
 * what the word before is not: a hit starting there would start inside the name of a company
 * before it, which detect.c reads as the rule reading the name's words. */
static int lead_negation(const struct mctx *m, const struct tpat_crule *cr)
{
    const struct tpat_inst *in = &m->p->prog[cr->pc];
    return in->op == OP_TEST && m->p->tests[in->arg].neg;
}

static int record(struct mctx *m, const struct tpat_crule *cr, uint32_t rule, uint32_t s, uint32_t e)
{
    tpat_result *r = m->r;
    const struct tok *v = m->d->v;
    if (tpat_reserve((void **)&r->hits, &r->cap_hits, r->n_hits + 1, sizeof *r->hits) ||
        tpat_reserve((void **)&r->slots, &r->cap_slots, r->n_slots + m->n_caps, sizeof *r->slots))
        return -1;
    uint32_t last = e - 1;
    if (e > s + 1 && lead_negation(m, cr)) s++; /* "!<x> seek": the token before is context, not the rule's words */
    if (cr->pub.span == TPAT_SPAN_SENTENCE) /* a veto that runs to the end of its sentence */
        while (last + 1 < m->d->n && !(v[last + 1].flags & TOK_F_SENT_START) && v[last + 1].field == v[s].field) last++;
    struct tpat_hit *h = &r->hits[r->n_hits++];
    *h = (struct tpat_hit){rule, v[s].field, v[s].sent, s, e, v[s].start, v[last].end, (uint32_t)r->n_slots, 0};
    for (uint32_t i = 0; i < m->n_caps; i++) {
        const struct capture *c = &m->s->caps[i];
        r->slots[r->n_slots++] = (struct tpat_slot){cr->pub.slot_role[c->slot], (uint16_t)c->slot, (uint32_t)c->company};
        h->n_slots++;
    }
    return 0;
}

/* Tries starts lo..hi of one scope; *next is the first start not tried yet. */
static int try_window(struct mctx *m, uint32_t rule, uint32_t lo, uint32_t hi, uint32_t *next)
{
    const struct tpat_crule *cr = &m->p->rules[rule];
    m->rule = rule;
    for (uint32_t s = lo > *next ? lo : *next; s <= hi && s < m->end && !m->out_of_steps; s++) {
        *next = s + 1;
        if (!guard_ok(m, cr->pc, s)) continue; /* the program would fail at its first token */
        m->n_caps = 0;
        uint32_t e = 0;
        int rc = run(m, cr->pc, s, &e);
        if (rc < 0) return -1;
        if (rc != 1) continue;
        if (record(m, cr, rule, s, e)) return -1;
        /* what failed before a match may lie on a later match's path: forget it */
        memo_clear(m->s);
        if (e > s + 1) s = e - 1, *next = e;
    }
    return 0;
}

/* ------------------------------------------------------------------ companies */

static int add_company(struct mctx *m, uint32_t ts, uint32_t te, int32_t entity, uint8_t src)
{
    tpat_result *r = m->r;
    for (uint32_t k = ts; k < te; k++)
        if (m->s->covered[k]) return 0; /* the gazetteer, or an earlier form, already named these words */
    if (tpat_reserve((void **)&r->companies, &r->cap_companies, r->n_companies + 1, sizeof *r->companies)) return -1;
    r->companies[r->n_companies++] = (struct tpat_company){ts, te, entity, src};
    memset(m->s->covered + ts, 1, te - ts);
    if (te - ts > m->max_comp) m->max_comp = te - ts;
    return 0;
}

/* Gazetteer mentions onto tokens: the tokens a mention's bytes overlap. */
static int gazetteer_companies(struct mctx *m, const struct squawk_mention *men, size_t n_men)
{
    const tok_doc *d = m->d;
    for (size_t i = 0; i < n_men; i++) {
        const struct squawk_mention *x = &men[i];
        if (x->field > 1 || !(x->confirmed || x->ambiguous == 1)) continue;
        size_t lo = d->field_first[x->field], hi = d->field_first[x->field + 1];
        while (lo < hi) { /* first token ending after the mention's start */
            size_t mid = lo + (hi - lo) / 2;
            if (d->v[mid].end <= x->start) lo = mid + 1;
            else hi = mid;
        }
        size_t te = lo;
        while (te < d->field_first[x->field + 1] && d->v[te].start < x->end) te++;
        if (te > lo && add_company(m, (uint32_t)lo, (uint32_t)te, (int32_t)x->entity, TPAT_SRC_GAZETTEER)) return -1;
    }
    return 0;
}

/* Can token k be part of a company's name? Capitalised, not a function word, in a headline not a cue word. */
static int name_tok(const struct mctx *m, uint32_t k)
{
    static const char *const stop[] = {"the", "a", "an", "its", "their", "his", "her", "this", "that", "in",
                                       "on", "at", "for", "and", "of", "to", "by", "with", "from", "as", NULL};
    const struct tok *t = &m->d->v[k];
    if (t->cls != TOK_TITLE && t->cls != TOK_UPPER && t->cls != TOK_MIXED) return 0;
    unsigned char c0 = (unsigned char)m->text[t->field][t->start];
    if (c0 >= 'a' && c0 <= 'z') return 0;
    const char *n = tok_norm(m->d, t);
    for (size_t i = 0; t->norm_len <= 5 && stop[i]; i++) /* none is longer */
        if (strcmp(n, stop[i]) == 0) return 0;
    /* headlines (often Title Case or capitals) put verbs next to names: there a word the
     * pack uses as a cue ends the name; in body text "Blackstone Capital Partners LP" stays whole */
    int32_t w = m->s->wid[k];
    if (w < 0 || (t->field == 1 && !m->d->caps[1])) return 1;
    return !(m->p->cue_bits[(uint32_t)w / 64] >> ((uint32_t)w % 64) & 1);
}

static int is_suffix(const struct mctx *m, uint32_t k)
{
    return m->p->lex_suffix >= 0 && ((m->d->v[k].cls != TOK_LOWER) & has_lex(m->p, m->s->wid[k], (uint32_t)m->p->lex_suffix));
}

/* Capitalised name words from k on within k's sentence (at most max_name): the end, k when none. */
static uint32_t name_end(const struct mctx *m, uint32_t k)
{
    const tok_doc *d = m->d;
    uint32_t j = k;
    while (j < d->n && j - k < m->p->max_name && d->v[j].sent == d->v[k].sent &&
           !(j > k && d->v[j].flags & TOK_F_SENT_START) && name_tok(m, j))
        j++;
    return j;
}

static int next_in_sent(const tok_doc *d, uint32_t k)
{
    return k + 1 < d->n && d->v[k + 1].sent == d->v[k].sent && !(d->v[k + 1].flags & TOK_F_SENT_START);
}

/* Is token k a word of lexicon lx (-1: no lexicon)? */
static int in_lex(const struct mctx *m, uint32_t k, int32_t lx)
{
    return lx >= 0 && m->s->wid[k] >= 0 && has_lex(m->p, m->s->wid[k], (uint32_t)lx);
}

/* Does token k end in "-<compound>" ("Nvidia-backed", "London-based")? */
static int is_compound(const struct mctx *m, uint32_t k)
{
    /* prepare() already looked up the part after the last hyphen (tail) */
    return m->p->lex_compound >= 0 && has_lex(m->p, m->s->tail[k], (uint32_t)m->p->lex_compound);
}

/* "Alphabet's Waymo unit": token k is the 's, a name follows, then (after at most two
 * lower-case words: "robotaxi") a unit word. The name's end, or k + 1 when no unit. */
static uint32_t unit_name_end(const struct mctx *m, uint32_t k)
{
    const tok_doc *d = m->d;
    if (m->p->lex_unit < 0 || k + 2 >= d->n || strcmp(tok_norm(d, &d->v[k]), "'s") != 0) return k + 1;
    uint32_t e = name_end(m, k + 1);
    for (uint32_t j = e; e > k + 1 && j < d->n && j <= e + 2 && d->v[j].sent == d->v[k].sent; j++) {
        if (in_lex(m, j, m->p->lex_unit)) return e;
        if (d->v[j].cls != TOK_LOWER) break;
    }
    return k + 1;
}

/* The start of a suffix-form name ending at the suffix k ("Foo Holdings Ltd"), or k when none. */
static uint32_t suffix_name_start(const struct mctx *m, uint32_t k)
{
    const tok_doc *d = m->d;
    uint32_t j = k, sent = d->v[k].sent;
    while (j > m->d->sent_first[sent] && k - j < m->p->max_name && d->v[j - 1].sent == sent &&
           (name_tok(m, j - 1) ||
            (strcmp(tok_norm(d, &d->v[j - 1]), "&") == 0 && j - 1 > 0 && d->v[j - 2].sent == sent && name_tok(m, j - 2))))
        j--;
    return j < k && name_tok(m, j) ? j : k;
}

/* Can token k start or end a company by its form: a cashtag or ticker, a suffix or descriptor
 * word, a compound's last part, or "'s"? (most tokens are none: one read of the form table) */
static inline int form_may(const struct mctx *m, uint32_t k)
{
    const struct tok *t = &m->d->v[k];
    const struct tpat_pack *p = m->p;
    int32_t w = m->s->wid[k], tw = m->s->tail[k];
    if (t->flags & (TOK_F_CASHTAG | TOK_F_TICKER)) return 1;
    if (w >= 0 && p->form[w] & (TPAT_FORM_SUFFIX | TPAT_FORM_DESCRIPTOR)) return 1;
    if (tw >= 0 && p->form[tw] & TPAT_FORM_COMPOUND) return 1;
    return t->norm_len == 2 && t->first == '\'' && tok_norm(m->d, t)[1] == 's';
}

/* Form: "$TSLA", "<ACME>", "Foo Holdings Ltd" (capitalised words before a suffix),
 * "chipmaker Nscale" (capitalised words after a descriptor; not in ALL-CAPS text),
 * "Nvidia-backed Nscale" (after a compound), "Alphabet's Waymo unit". */
static int form_companies(struct mctx *m)
{
    const tok_doc *d = m->d;
    const struct tpat_pack *p = m->p;
    for (size_t i = 0; i < m->s->n_forms; i++) {
        uint32_t k = m->s->forms[i], j;
        const struct tok *t = &d->v[k];
        int rc = 0;
        if (t->flags & (TOK_F_CASHTAG | TOK_F_TICKER)) {
            rc = add_company(m, k, k + 1, -1, t->flags & TOK_F_CASHTAG ? TPAT_SRC_CASHTAG : TPAT_SRC_TICKER);
        } else if (is_suffix(m, k) && !(k + 1 < d->n && d->v[k + 1].sent == t->sent && is_suffix(m, k + 1))) {
            /* the last of "Holdings Ltd" ends the name */
            if ((j = suffix_name_start(m, k)) < k) rc = add_company(m, j, k + 1, -1, TPAT_SRC_SUFFIX);
        } else if (!d->caps[t->field] && in_lex(m, k, p->lex_descriptor)) {
            if (next_in_sent(d, k) && (j = name_end(m, k + 1)) > k + 1) rc = add_company(m, k + 1, j, -1, TPAT_SRC_DESCRIPTOR);
        } else if (is_compound(m, k)) {
            if (next_in_sent(d, k) && (j = name_end(m, k + 1)) > k + 1) rc = add_company(m, k + 1, j, -1, TPAT_SRC_COMPOUND);
        } else if ((j = unit_name_end(m, k)) > k + 1) {
            rc = add_company(m, k + 1, j, -1, TPAT_SRC_UNIT);
        }
        if (rc) return -1;
    }
    return 0;
}

static int same_word(const tok_doc *d, uint32_t a, uint32_t b)
{
    const struct tok *x = &d->v[a], *y = &d->v[b];
    return x->hash == y->hash && x->norm_len == y->norm_len && memcmp(tok_norm(d, x), tok_norm(d, y), x->norm_len) == 0;
}

/* Another mention of company c at token k: its whole name again, or (for a name of two words
 * or more) its first word alone, not the start of a longer name. Its length, or 0. */
static uint32_t mention_at(const struct mctx *m, const struct tpat_company *c, uint32_t k)
{
    const tok_doc *d = m->d;
    uint32_t n = c->tok_end - c->tok_start, i = 0;
    while (i < n && k + i < d->n && d->v[k + i].sent == d->v[k].sent && !m->s->covered[k + i] &&
           same_word(d, c->tok_start + i, k + i))
        i++;
    if (i == n) return n;
    if (i == 0 || n < 2 || !name_tok(m, k)) return 0;
    return k + 1 < d->n && d->v[k + 1].sent == d->v[k].sent && name_tok(m, k + 1) ? 0 : 1;
}

/* A company found by form ("Nscale Ltd", "start-up Mistral") is that company wherever the
 * article names it again, in full or by its first word ("Nscale"), headline included. Not
 * for names whose first word is a word of the pack (a cue, a suffix). */
static int short_forms(struct mctx *m)
{
    size_t n0 = m->r->n_companies;
    for (size_t i = 0; m->p->short_forms && i < n0; i++) {
        struct tpat_company c = m->r->companies[i]; /* a copy: add_company may move the array */
        if (c.entity >= 0 || c.source == TPAT_SRC_CASHTAG || c.source == TPAT_SRC_TICKER) continue;
        if (m->d->v[c.tok_start].norm_len < 3 || m->s->wid[c.tok_start] >= 0) continue;
        for (uint32_t k = 0, len; k < m->d->n; k++)
            if ((len = mention_at(m, &c, k)) && add_company(m, k, k + len, -1, TPAT_SRC_SHORT)) return -1;
    }
    return 0;
}

static int cmp_company(const void *a, const void *b)
{
    const struct tpat_company *x = a, *y = b;
    if (x->tok_start != y->tok_start) return x->tok_start < y->tok_start ? -1 : 1;
    return x->tok_end > y->tok_end ? -1 : x->tok_end < y->tok_end;
}

static int find_companies(struct mctx *m, const struct squawk_mention *men, size_t n_men)
{
    memset(m->s->covered, 0, m->d->n);
    if (gazetteer_companies(m, men, n_men) || form_companies(m) || short_forms(m)) return -1;
    tpat_result *r = m->r;
    if (r->n_companies > 1) qsort(r->companies, r->n_companies, sizeof *r->companies, cmp_company);
    for (size_t k = 0; k < m->d->n; k++) m->s->comp_at[k] = -1;
    for (size_t i = r->n_companies; i-- > 0;) m->s->comp_at[r->companies[i].tok_start] = (int32_t)i;
    return 0;
}

/* ------------------------------------------------------------------ candidates and the match loop */

/* The word id of the part after a hyphenated word's last hyphen ("previously-announced",
 * "anti-takeover", "short-term"): a word test matches it too, as \b did in the regex packs. */
size_t tpat_hyphen_tail(const char *norm, size_t len)
{
    size_t h = len;
    while (h > 1 && norm[h - 1] != '-') h--;
    return h <= 1 || h >= len ? 0 : h;
}

static int32_t tail_word(const struct tpat_pack *p, const char *norm, size_t len)
{
    size_t h = tpat_hyphen_tail(norm, len);
    return h ? tpat_word_find(p, norm + h, len - h, tok_hash(norm + h, len - h)) : -1;
}

/* A vocabulary id (-1: none) in this pack's words; without branches (vmap[0] is -1), as a
 * token's ids are as often words of the pack as not. */
static int32_t vmapped(const struct tpat_pack *p, int32_t id)
{
    size_t i = (size_t)(uint32_t)(id + 1);
    return p->vmap[i < p->n_vmap ? i : 0];
}

/* Whether token k may make a company by its form: in the pass that finds its word ids, so that
 * no later pass reads every token for it. */
static inline void note_token(struct mctx *m, uint32_t k)
{
    struct scratch *s = m->s;
    s->forms[s->n_forms] = k;
    s->n_forms += (size_t)form_may(m, k);
}

/* Each token's word id and hyphen tail in the pack: from the vocabulary's ids when given, else
 * by the pack's own lookups (the same ids either way). */
static void word_ids(struct mctx *m, const tpat_ids *ids)
{
    struct scratch *s = m->s;
    const tok_doc *d = m->d;
    s->n_forms = 0;
    if (ids && ids->v == m->p->vocab && ids->n == d->n) {
        for (uint32_t k = 0; k < d->n; k++) {
            int32_t w = vmapped(m->p, ids->word[k]);
            s->wid[k] = w >= 0 || ids->abbr[k] < 0 ? w : vmapped(m->p, ids->abbr[k]); /* few are abbreviations */
            s->tail[k] = ids->tail[k] < 0 ? -1 : vmapped(m->p, ids->tail[k]);
            note_token(m, k);
        }
        return;
    }
    for (uint32_t k = 0; k < d->n; k++) {
        const struct tok *t = &d->v[k];
        s->wid[k] = tpat_word_find(m->p, tok_norm(d, t), t->norm_len, t->hash);
        if (s->wid[k] < 0 && t->flags & TOK_F_ABBREV && t->norm_len > 1) /* "Inc." is also "inc" */
            s->wid[k] = tpat_word_find(m->p, tok_norm(d, t), t->norm_len - 1u, tok_hash(tok_norm(d, t), t->norm_len - 1u));
        s->tail[k] = t->flags & TOK_F_HYPHEN ? tail_word(m->p, tok_norm(d, t), t->norm_len) : -1;
        note_token(m, k);
    }
}

static int prepare(struct mctx *m, const tpat_ids *ids)
{
    struct scratch *s = m->s;
    size_t n = m->d->n + 1;
    if (tpat_reserve((void **)&s->wid, &s->cap_wid, n, sizeof *s->wid) ||
        tpat_reserve((void **)&s->tail, &s->cap_tail, n, sizeof *s->tail) ||
        tpat_reserve((void **)&s->comp_at, &s->cap_comp, n, sizeof *s->comp_at) ||
        tpat_reserve((void **)&s->covered, &s->cap_cov, n, 1) ||
        tpat_reserve((void **)&s->forms, &s->cap_forms, n, sizeof *s->forms))
        return -1;
    m->wid = s->wid, m->tail = s->tail, m->comp_at = s->comp_at; /* the guards' and tests' reads, one load */
    word_ids(m, ids);
    return 0;
}

static int scope_ok(struct mctx *m, const struct tpat_rgate *g, uint32_t row, const struct tok *t);

/* Rule tried at token tok, with window w, when it can match in the token's scope; the same pair
 * again (another branch's anchor, a word part) widens the pair's window instead of adding one. */
static inline int add_cand(struct mctx *m, uint32_t rule, uint32_t tok, const struct tpat_win *w)
{
    struct scratch *s = m->s;
    struct rule_memo *rm = &s->memo[rule];
    const struct tpat_rgate *g = &m->p->gates[rule];
    const struct tok *t = &m->d->v[tok];
    uint32_t row = 1 + (g->scope == TPAT_SCOPE_FIELD ? (uint32_t)m->d->n_sent + t->field : t->sent);
    if (rm->epoch != s->epoch) *rm = (struct rule_memo){s->epoch, 0, 0};
    if (rm->scope >> 1 != row) rm->scope = row << 1 | (uint32_t)scope_ok(m, g, row - 1, t);
    if (!(rm->scope & 1)) return 0; /* it cannot match there: never a candidate */
    uint64_t b = (uint64_t)w->pre_max + (uint64_t)w->pre_comp * m->max_comp;
    uint32_t before = w->pre_inf || b >= CAND_UNBOUNDED ? CAND_UNBOUNDED : (uint32_t)b;
    uint32_t pmin = w->pre_min < 255u ? w->pre_min : 255u, last = rm->last;
    if (last && cand_tok(s->gen[last - 1]) == tok) {
        uint64_t c = s->gen[last - 1];
        s->gen[last - 1] = cand_make(rule, pmin < cand_pmin(c) ? pmin : cand_pmin(c),
                                     before > cand_before(c) ? before : cand_before(c), tok);
        return 0;
    }
    if (s->n_cand == s->cap_gen && tpat_reserve((void **)&s->gen, &s->cap_gen, s->n_cand + 1, sizeof *s->gen)) return -1;
    s->gen[s->n_cand++] = cand_make(rule, pmin, before, tok);
    rm->last = (uint32_t)s->n_cand;
    return 0;
}

static inline uint64_t rule_tok(uint64_t c)
{
    return (uint64_t)cand_rule(c) << 32 | cand_tok(c);
}

/* Generated in token order, at most one per (rule, token): sorted by (rule, token). A stable
 * counting sort by rule gives that order in O(candidates + rules); the prefilter leaves a few
 * dozen candidates of a thousand rules, which an insertion sort orders for less. */
static int sort_by_rule(struct scratch *s, size_t n_rules)
{
    if (tpat_reserve((void **)&s->cand, &s->cap_cand, s->n_cand + 1, sizeof *s->cand)) return -1;
    if (s->n_cand <= 64) {
        for (size_t i = 0; i < s->n_cand; i++) {
            uint64_t c = s->gen[i], key = rule_tok(c);
            size_t j = i;
            for (; j > 0 && rule_tok(s->cand[j - 1]) > key; j--) s->cand[j] = s->cand[j - 1];
            s->cand[j] = c;
        }
        return 0;
    }
    if (tpat_reserve((void **)&s->per_rule, &s->cap_per_rule, n_rules + 1, sizeof *s->per_rule)) return -1;
    memset(s->per_rule, 0, (n_rules + 1) * sizeof *s->per_rule);
    for (size_t i = 0; i < s->n_cand; i++) s->per_rule[cand_rule(s->gen[i]) + 1]++;
    for (size_t r = 0; r < n_rules; r++) s->per_rule[r + 1] += s->per_rule[r];
    for (size_t i = 0; i < s->n_cand; i++) s->cand[s->per_rule[cand_rule(s->gen[i])]++] = s->gen[i];
    return 0;
}

/* Rule tried at token tok with window w, once the rules of positive weight matched (a gated pack
 * asks the others only then): kept aside until propose_later. */
static inline int defer(struct mctx *m, uint32_t rule, uint32_t tok, const struct tpat_win *w)
{
    struct scratch *s = m->s;
    if (s->n_later == s->cap_later && tpat_reserve((void **)&s->later, &s->cap_later, s->n_later + 1, sizeof *s->later)) return -1;
    s->later[s->n_later++] = (struct deferred){w, rule, tok};
    return 0;
}

/* Rules [lo, hi) of a list (rules, wins) at token k: those before mid (of positive weight) as
 * candidates, the others deferred. */
static inline int propose(struct mctx *m, const uint32_t *rules, const struct tpat_win *wins, uint32_t lo, uint32_t mid,
                          uint32_t hi, uint32_t k)
{
    for (uint32_t q = lo; q < mid; q++)
        if (add_cand(m, rules[q], k, &wins[q])) return -1;
    for (uint32_t q = mid; q < hi; q++)
        if (defer(m, rules[q], k, &wins[q])) return -1;
    return 0;
}

/* The rules of ctest i, as token k passes it. */
static int ctest_add(struct mctx *m, size_t i, uint32_t k)
{
    const struct tpat_pack *p = m->p;
    return propose(m, p->ctest_rules, p->ctest_win, p->ctest_off[i], p->ctest_mid[i], p->ctest_off[i + 1], k);
}

/* The rules of ctest i, when token k passes it. */
static int ctest_try(struct mctx *m, size_t i, uint32_t k)
{
    return test_tok(m, &m->p->tests[m->p->ctests[i]], k) ? ctest_add(m, i, k) : 0;
}

/* Rules anchored (also) on a class or a word shape, tried at token k: each distinct test once, only
 * those its first byte allows (ctest_byte; a pack of more than 64 such tests reads its quick reject). */
static int tested_cands(struct mctx *m, uint32_t k)
{
    const struct tpat_pack *p = m->p;
    if (!p->n_ctests) return 0;
    if (p->ctest_bytes) {
        const struct tok *t = &m->d->v[k];
        uint64_t pass = p->ctest_cls[t->cls & 7];
        for (uint32_t f = t->flags & p->ctest_flags; f; f &= f - 1) pass |= p->ctest_flag[__builtin_ctz(f)];
        /* a class ctest is decided here: its rules are candidates without running the test */
        uint64_t may = p->ctest_byte[t->first] & (((pass ^ p->ctest_neg) & p->ctest_class) | ~p->ctest_class);
        for (; may; may &= may - 1) {
            size_t i = (size_t)__builtin_ctzll(may);
            if (p->ctest_class >> i & 1 ? ctest_add(m, i, k) : ctest_try(m, i, k)) return -1;
        }
        return 0;
    }
    if (!pre_may(m, &p->ctest_pre, k)) return 0;
    for (size_t i = 0; i < p->n_ctests; i++)
        if (ctest_try(m, i, k)) return -1;
    return 0;
}

/* Rules of a list with windows of their own (company_rules, free_rules) at token k, as propose. */
static int propose_own(struct mctx *m, const uint32_t *rules, size_t mid, size_t n, uint32_t k)
{
    for (size_t i = 0; i < n; i++)
        if ((i < mid ? add_cand : defer)(m, rules[i], k, &m->p->rules[rules[i]].pre)) return -1;
    return 0;
}

/* Token k's (rule, token) pairs: its anchor words, a company starting there, a sentence start
 * for rules with no anchor. */
static inline int cands_at(struct mctx *m, uint32_t k)
{
    const struct tpat_pack *p = m->p;
    struct scratch *s = m->s;
    if (tested_cands(m, k)) return -1;
    /* no word (-1) reads the empty range at n_words: no branch on the id */
    uint32_t w = (uint32_t)s->wid[k] < p->n_words ? (uint32_t)s->wid[k] : (uint32_t)p->n_words;
    if (propose(m, p->anchor_rules, p->anchor_win, p->anchor_off[w], p->anchor_mid[w], p->anchor_off[w + 1], k)) return -1;
    if (s->tail[k] >= 0) /* a hyphenated word's last part: rules that allow word parts */
        for (uint32_t a = p->anchor_off[s->tail[k]]; a < p->anchor_off[s->tail[k] + 1]; a++)
            if (!p->rules[p->anchor_rules[a]].pub.whole_words &&
                (a < p->anchor_mid[s->tail[k]] ? add_cand : defer)(m, p->anchor_rules[a], k, &p->anchor_win[a]))
                return -1;
    if (s->comp_at[k] >= 0 && propose_own(m, p->company_rules, p->company_mid, p->n_company_rules, k)) return -1;
    if (m->d->v[k].flags & TOK_F_SENT_START && propose_own(m, p->free_rules, p->free_mid, p->n_free_rules, k)) return -1;
    return 0;
}

/* Sets in have the requirements word w (of the pack) meets: a few bits, or a row ORed. */
static inline void req_fold(const struct tpat_pack *p, uint64_t *have, int32_t w)
{
    if (p->req_heavy[w] < 0) {
        for (uint32_t i = p->req_off[w]; i < p->req_off[w + 1]; i++) have[p->req_list[i] / 64] |= UINT64_C(1) << (p->req_list[i] % 64);
        return;
    }
    const uint64_t *row = p->req_dense + (size_t)p->req_heavy[w] * p->req_words;
#if defined(__SSE2__)
    for (size_t j = 0; j < p->req_words; j += 2) /* req_words is even */
        _mm_storeu_si128((__m128i *)(have + j), _mm_or_si128(_mm_loadu_si128((const __m128i *)(have + j)),
                                                             _mm_loadu_si128((const __m128i *)(row + j))));
#else
    for (size_t j = 0; j < p->req_words; j++) have[j] |= row[j];
#endif
}

/* The requirements (tpat_req.c) token k meets, into its sentence's have: its word, a hyphenated
 * word's last part (which only rules allowing word parts read: the second half). Returns whether
 * a company starts there, whose requirements the caller adds once per sentence. */
static inline int req_at(const struct mctx *m, uint64_t *have, uint32_t k)
{
    const struct tpat_pack *p = m->p;
    struct scratch *s = m->s;
    if (s->wid[k] >= 0 && s->wstamp[s->wid[k]] != s->fill) { /* a word again in its sentence adds nothing */
        s->wstamp[s->wid[k]] = s->fill;
        req_fold(p, have, s->wid[k]);
    }
    if (s->tail[k] >= 0) req_fold(p, have + p->req_words, s->tail[k]);
    return s->comp_at[k] >= 0;
}

/* The stamp after stamp, for stamps kept in arr (bytes long): on wrapping to 0 arr is cleared, so
 * that no stamp left there looks current, and the count starts again at 1. */
static uint32_t next_stamp(uint32_t stamp, void *arr, size_t bytes)
{
    if (++stamp) return stamp;
    memset(arr, 0, bytes);
    return 1;
}

/* Row row of present, filled on first use: the requirements a sentence (row < n_sent) or a field
 * (n_sent + field) meets, 2 x req_words (then those of hyphenated words' last parts). A sentence
 * no rule is proposed in is never read. */
static const uint64_t *row_present(struct mctx *m, uint32_t row)
{
    const tok_doc *d = m->d;
    struct scratch *s = m->s;
    size_t W = m->p->req_words;
    uint64_t *have = s->present + (size_t)row * 2 * W;
    if (s->row_done[row]) return have;
    s->row_done[row] = 1;
    memset(have, 0, 2 * W * sizeof *have);
    if (row < d->n_sent) {
        s->fill = next_stamp(s->fill, s->wstamp, s->cap_wstamp * sizeof *s->wstamp);
        int comp = 0;
        for (uint32_t k = d->sent_first[row]; k < d->sent_end[row]; k++) comp |= req_at(m, have, k);
        if (comp)
            for (size_t j = 0; j < W; j++) have[j] |= m->p->req_comp[j];
        return have;
    }
    size_t f = row - d->n_sent;
    if (d->field_first[f] == d->field_first[f + 1]) return have;
    for (uint32_t q = d->v[d->field_first[f]].sent; q <= d->v[d->field_first[f + 1] - 1].sent; q++) {
        const uint64_t *sent = row_present(m, q);
        for (size_t j = 0; j < 2 * W; j++) have[j] |= sent[j];
    }
    return have;
}

/* The candidate (rule, token) pairs of the rules of positive weight, sorted by rule (those of the
 * others kept aside); a rule that cannot match in a scope (scope_ok, over the scope's requirement
 * row) makes no candidate there. */
static int scan_tokens(struct mctx *m)
{
    const struct tpat_pack *p = m->p;
    struct scratch *s = m->s;
    /* memo and stamps start zero: epoch and fill 0 are never current */
    if (tpat_reserve_zero((void **)&s->memo, &s->cap_memo, p->n_rules + 1, sizeof *s->memo) ||
        tpat_reserve((void **)&s->present, &s->cap_present, (m->d->n_sent + 2) * 2 * p->req_words + 1, sizeof *s->present) ||
        tpat_reserve((void **)&s->row_done, &s->cap_row_done, m->d->n_sent + 2, 1) ||
        tpat_reserve_zero((void **)&s->wstamp, &s->cap_wstamp, p->n_words + 1, sizeof *s->wstamp))
        return -1;
    memset(s->row_done, 0, m->d->n_sent + 2);
    s->epoch = next_stamp(s->epoch, s->memo, s->cap_memo * sizeof *s->memo);
    s->n_cand = s->n_later = 0;
    for (uint32_t k = 0; k < m->d->n; k++)
        if (cands_at(m, k)) return -1;
    return sort_by_rule(s, p->n_rules);
}

/* The candidates of the rules scan_tokens kept aside (weight <= 0), sorted by rule. */
static int propose_later(struct mctx *m)
{
    struct scratch *s = m->s;
    s->n_cand = 0;
    for (size_t i = 0; i < s->n_later; i++)
        if (add_cand(m, s->later[i].rule, s->later[i].tok, s->later[i].win)) return -1;
    return sort_by_rule(s, m->p->n_rules);
}

/* Does a scope (have; part: with hyphenated words' last parts) hold every requirement of entry e of gate g? */
static inline int entry_met(const struct tpat_rgate *g, uint32_t e, const uint64_t *have, const uint64_t *part)
{
    for (uint32_t i = g->req_off[e]; i < g->req_off[e + 1]; i++)
        if (!((have[g->req[i] / 64] | part[g->req[i] / 64]) >> (g->req[i] % 64) & 1)) return 0;
    return 1;
}

/* Can gate g's rule match in the scope of token t (row: the scope's in present): is t in its field,
 * does the scope hold every word set one of its entries needs? */
static int scope_ok(struct mctx *m, const struct tpat_rgate *g, uint32_t row, const struct tok *t)
{
    size_t W = m->p->req_words;
    if ((g->field == TPAT_FIELD_HEADLINE && t->field != 0) || (g->field == TPAT_FIELD_BODY && t->field != 1)) return 0;
    if (!g->n_entries) return 1;
    const uint64_t *have = row_present(m, row), *part = g->whole_words ? have : have + W;
    if (!entry_met(g, 0, have, part)) return 0; /* what every path needs */
    if (g->n_entries == 1) return 1;
    for (uint32_t e = 1; e < g->n_entries; e++) /* what one of the opening alternatives needs */
        if (entry_met(g, e, have, part)) return 1;
    return 0;
}

/* Sets m->first/end to the scope of token k for rule r; clears the memo when the scope is new. */
static int enter_scope(struct mctx *m, const struct tpat_crule *r, uint32_t k)
{
    const struct tok *t = &m->d->v[k];
    uint32_t first = r->pub.scope == TPAT_SCOPE_FIELD ? (uint32_t)m->d->field_first[t->field] : m->d->sent_first[t->sent];
    uint32_t end = r->pub.scope == TPAT_SCOPE_FIELD ? (uint32_t)m->d->field_first[t->field + 1] : m->d->sent_end[t->sent];
    m->first = first;
    m->end = end;
    m->inst0 = r->pc;
    m->n_inst = r->n_inst;
    m->no_parts = r->pub.whole_words ? -1 : 0;
    m->title_exact = !r->pub.unveto;
    m->stride = end - first + 1;
    size_t words = ((size_t)r->n_inst * (end - first + 1) + 63) / 64;
    memo_clear(m->s);
    /* grown: the new words start zero, as the rest is */
    if (tpat_reserve_zero((void **)&m->s->visited, &m->s->cap_visited, words, sizeof *m->s->visited) ||
        /* a path's companies each take a token of the scope at least: it never captures more than the scope's tokens */
        tpat_reserve((void **)&m->s->caps, &m->s->cap_caps, m->stride, sizeof *m->s->caps))
        return -1;
    m->visited = m->s->visited;
    return 0;
}

/* The first token of the scope of rule r at token k. */
static uint32_t scope_first(const struct mctx *m, const struct tpat_crule *r, uint32_t k)
{
    const struct tok *t = &m->d->v[k];
    return r->pub.scope == TPAT_SCOPE_FIELD ? (uint32_t)m->d->field_first[t->field] : m->d->sent_first[t->sent];
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Turns the candidates c[0, n) of one scope (entered) into the windows of starts they allow, in
 * place (lo << 32 | hi), in order of their first start: each branch's anchor has its own window,
 * so a later anchor's may begin earlier. Returns how many. */
static size_t scope_windows(const struct mctx *m, const struct tpat_crule *r, uint64_t *c, size_t n)
{
    size_t nw = 0;
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t k = cand_tok(c[i]), pmin = cand_pmin(c[i]), before = cand_before(c[i]), lo = m->first, hi = m->end - 1;
        if (r->anchor != ANCHOR_NONE) {
            if (k < m->first + pmin) continue;
            hi = k - pmin;
            if (before != CAND_UNBOUNDED && k - m->first > before) lo = k - before;
        }
        uint64_t w = (uint64_t)lo << 32 | hi;
        sorted &= !nw || c[nw - 1] <= w;
        c[nw++] = w;
    }
    if (!sorted) qsort(c, nw, sizeof *c, cmp_u64);
    return nw;
}

/* Runs rule over the scope of its candidates c[0, n): the windows they allow, in order. */
static int match_scope(struct mctx *m, uint32_t rule, uint64_t *c, size_t n)
{
    const struct tpat_crule *r = &m->p->rules[rule];
    if (m->out_of_steps) { /* counted, never silent */
        m->r->n_limited++;
        return 0;
    }
    if (enter_scope(m, r, cand_tok(c[0]))) return -1;
    uint32_t next = m->first;
    for (size_t i = 0, nw = scope_windows(m, r, c, n); i < nw; i++) {
        if (try_window(m, rule, (uint32_t)(c[i] >> 32), (uint32_t)c[i], &next)) return -1;
        if (m->out_of_steps) { /* this scope; later ones count as they come */
            m->r->n_limited++;
            break;
        }
    }
    return 0;
}

/* The rules proposed (scan_tokens, propose_later), over their candidates. */
static int match_all(struct mctx *m)
{
    uint64_t *c = m->s->cand;
    for (size_t i = 0, j; i < m->s->n_cand; i = j) { /* a run of one rule's candidates in one scope */
        uint32_t rule = cand_rule(c[i]);
        const struct tpat_crule *r = &m->p->rules[rule];
        uint32_t first = scope_first(m, r, cand_tok(c[i]));
        for (j = i + 1; j < m->s->n_cand && cand_rule(c[j]) == rule && scope_first(m, r, cand_tok(c[j])) == first; j++)
            ;
        if (match_scope(m, rule, c + i, j - i)) return -1;
    }
    return 0;
}

static int cmp_hit(const void *a, const void *b)
{
    const struct tpat_hit *x = a, *y = b;
    if (x->tok_start != y->tok_start) return x->tok_start < y->tok_start ? -1 : 1;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

int tpat_match(const tpat_pack *p, const tok_doc *d, const char *const text[2], const struct squawk_mention *men,
               size_t n_men, tpat_result *r)
{
    return tpat_match_ids(p, d, NULL, text, men, n_men, r);
}

int tpat_match_ids(const tpat_pack *p, const tok_doc *d, const tpat_ids *ids, const char *const text[2],
                   const struct squawk_mention *men, size_t n_men, tpat_result *r)
{
    r->n_hits = r->n_slots = r->n_companies = 0;
    r->steps = 0;
    r->n_limited = 0;
    pool_take(r);
    if (!r->scratch && !(r->scratch = calloc(1, sizeof(struct scratch)))) return SQ_E_NOMEM;
    struct mctx m = {.p = p, .d = d, .text = text, .r = r, .s = r->scratch, .guard_at = p->guard_at, .guards = p->guards};
    /* the positive rules first, whether gated or not, so a gated match that goes on finds what an
     * ungated one finds (the step budget is spent in the same order) */
    if (prepare(&m, ids) || find_companies(&m, men, n_men) || scan_tokens(&m) || match_all(&m))
        return SQ_E_NOMEM;
    if ((r->n_hits || !r->gate) && (propose_later(&m) || match_all(&m))) return SQ_E_NOMEM;
    if (r->n_hits > 1) qsort(r->hits, r->n_hits, sizeof *r->hits, cmp_hit);
    return 0;
}
