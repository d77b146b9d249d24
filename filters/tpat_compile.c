/* tpat_compile.c -- compiles one token pattern ("{COMPANY:investor} <invest_verb> ...{0,3} {COMPANY:target}") into a program.
 *
 * Grammar (filters/README.md has the user's view):
 *   alt  := seq ('|' seq)*          item := atom quant?
 *   atom := '(' alt ')' | '<' lexicon '>' | '{COMPANY' ('[' sector (',' sector)* ']')? ':' role '}' | '@' macro | '#' class
 *         | '...' | '^' | '$' | '!' atom | '=' Word | '\' word | '~' regex | word
 *   quant := '?' | '*' | '+' | '{' m '}' | '{' m ',' '}' | '{' m ',' n '}'   (then '?': lazy)
 * A fragment's jumps are relative, so {m,n} copies it. Each fragment knows its least
 * and greatest length in tokens, which gives the anchor window and "can never match". */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpat_load.h"

#define MAX_REPEAT 50
#define MAX_PROG 20000 /* instructions per rule */
/* An offset in a fragment is at most the fragment's length, and a rule longer than MAX_PROG is
 * refused: so every offset of an accepted rule fits struct tpat_inst's 16 bits. */
_Static_assert(MAX_PROG <= INT16_MAX, "tpat_inst jumps are 16 bits");
#define MAX_DEPTH 32   /* groups and macros inside each other */

struct frag {
    struct tpat_inst *v;
    size_t n, cap;
    uint32_t min, max, comp; /* tokens: least, greatest (fixed part), company slots in the greatest */
    uint8_t inf;             /* greatest length unbounded */
};

struct pick;

/* What the item just parsed can anchor. */
struct item {
    struct frag f;
    struct pick *inner; /* a group or macro: the best anchor inside it (heap), or NULL */
    int anchor;     /* 0 none, 1 a word test, 2 a company slot */
    uint32_t test;
    uint32_t qmin;
    int sol, eol;   /* the item is ^ or $ */
    int gap;        /* the item is ... (lazy, any length unless bounded) */
};

struct pctx {
    struct tpat_loader *L;
    struct tpat_crule *r;
    const char *s; /* the text being parsed (the pattern, or a macro's) */
    size_t i, line;
    int depth;
    int bad;       /* an error was reported: stop */
    uint16_t *slot_role;
    const char **slot_sector; /* [n_slots] {COMPANY[chip]:role}: the sectors, or NULL */
    uint32_t n_slots;
    size_t cap_slots, cap_sectors;
    int any_sector;
};

static void frag_free(struct frag *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}

static int emit(struct frag *f, uint8_t op, int32_t x, int32_t y, uint32_t arg)
{
    if (tpat_reserve((void **)&f->v, &f->cap, f->n + 1, sizeof *f->v)) return -1;
    f->v[f->n++] = (struct tpat_inst){.op = op, .arg = arg, .x = (int16_t)x, .y = (int16_t)y};
    return 0;
}

/* a := a b */
static int cat(struct frag *a, const struct frag *b)
{
    for (size_t k = 0; k < b->n; k++)
        if (emit(a, b->v[k].op, b->v[k].x, b->v[k].y, b->v[k].arg)) return -1;
    a->min += b->min;
    a->max += b->max;
    a->comp += b->comp;
    a->inf |= b->inf;
    return 0;
}

/* A test's identity for sharing one copy: its kind, negation, value, and the words or the
 * surface it compares; a ~regex owns its compiled form and is never shared (0). */
static uint32_t test_key(const struct tpat_test *t)
{
    if (t->kind == TT_REGEX) return 0;
    uint32_t h = (uint32_t)t->kind * 2654435761u ^ (uint32_t)t->neg * 40503u ^ t->v * 2246822519u;
    if (t->kind == TT_SET) h ^= tok_hash((const char *)t->set_w, t->set_n * sizeof *t->set_w);
    if (t->kind == TT_EXACT) h ^= tok_hash(t->exact, t->exact_len);
    return h | 1;
}

static int same_test(const struct tpat_test *a, const struct tpat_test *b)
{
    if (a->kind != b->kind || a->neg != b->neg || a->v != b->v) return 0;
    if (a->kind == TT_SET)
        return a->set_n == b->set_n && memcmp(a->set_w, b->set_w, a->set_n * sizeof *a->set_w) == 0;
    if (a->kind == TT_EXACT) return a->exact_len == b->exact_len && memcmp(a->exact, b->exact, a->exact_len) == 0;
    return 1;
}

/* The index of a test equal to t, or -1 (the loader's hash of tests; see add_test). */
static int64_t find_test(const struct tpat_loader *L, const struct tpat_test *t, uint32_t key, size_t *slot)
{
    for (size_t i = key & (L->cap_thash - 1);; i = (i + 1) & (L->cap_thash - 1)) {
        *slot = i;
        if (!L->thash[i].key) return -1;
        if (L->thash[i].key == key && same_test(&L->p->tests[L->thash[i].idx], t)) return L->thash[i].idx;
    }
}

/* Doubles an open-addressing index (slots keyed by a nonzero hash, key 0 empty) when one more of
 * its n entries would fill it past half: the loader's index of tests and of guard word sets. -1
 * out of memory. */
static int index_grow(struct tpat_thash **tab, size_t *cap, size_t n)
{
    if ((n + 1) * 2 <= *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 1024;
    struct tpat_thash *t = calloc(nc, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < *cap; i++) {
        if (!(*tab)[i].key) continue;
        size_t j = (*tab)[i].key & (nc - 1);
        while (t[j].key) j = (j + 1) & (nc - 1);
        t[j] = (*tab)[i];
    }
    free(*tab);
    *tab = t;
    *cap = nc;
    return 0;
}

/* The index of test t in the pack: an equal test's when there is one. Patterns repeat the same
 * words and lexicons thousands of times; one copy each keeps the tests the matcher reads in cache. */
static int add_test(struct pctx *c, struct tpat_test t, uint32_t *idx)
{
    struct tpat_loader *L = c->L;
    struct tpat_pack *p = L->p;
    uint32_t key = test_key(&t);
    size_t slot = 0;
    int64_t have = -1;
    if (key && (index_grow(&L->thash, &L->cap_thash, L->n_thash) || (have = find_test(L, &t, key, &slot)) >= 0)) {
        if (have < 0) return -1;
        *idx = (uint32_t)have;
        return 0;
    }
    if (p->n_tests > TPAT_INST_ARG_MAX) return -1; /* an instruction's argument is 24 bits */
    if (tpat_reserve((void **)&p->tests, &L->cap_tests, p->n_tests + 1, sizeof *p->tests)) return -1;
    p->tests[p->n_tests] = t;
    *idx = (uint32_t)p->n_tests++;
    if (key) L->thash[slot] = (struct tpat_thash){key, *idx}, L->n_thash++;
    return 0;
}

static void fail(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct pctx *c, const char *fmt, ...)
{
    if (c->bad) return;
    c->bad = 1;
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    tpat_err(c->L, c->line, "rule %s: %s", c->r->pub.id, what);
}

static int one_test(struct pctx *c, struct item *it, struct tpat_test t)
{
    if (add_test(c, t, &it->test)) return -1;
    it->anchor = t.kind < TT_CLASS ? !t.neg : 0;
    it->f.min = it->f.max = 1;
    return emit(&it->f, OP_TEST, 0, 0, it->test);
}

/* x{m,n} (n < 0: unbounded); lazy prefers fewer. */
static int repeat(const struct frag *x, uint32_t m, int n, int lazy, struct frag *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t k = 0; k < m; k++)
        if (cat(out, x)) return -1;
    int32_t len = (int32_t)x->n;
    if (n < 0) { /* L: SPLIT(body, out) body JMP L */
        if (emit(out, OP_SPLIT, lazy ? len + 2 : 1, lazy ? 1 : len + 2, 0)) return -1;
        struct frag body = *x;
        body.min = body.max = body.comp = 0;
        body.inf = 1;
        if (cat(out, &body) || emit(out, OP_JMP, -(len + 1), 0, 0)) return -1;
        return 0;
    }
    for (int k = 0; k < n - (int)m; k++) {
        int32_t to_end = (n - (int)m - k) * (len + 1);
        if (emit(out, OP_SPLIT, lazy ? to_end : 1, lazy ? 1 : to_end, 0)) return -1;
        struct frag body = *x;
        body.min = 0;
        if (cat(out, &body)) return -1;
    }
    return 0;
}

/* b_1 | b_2 | ... : SPLIT(b_i, next) b_i JMP(end) ... b_n */
/* Instructions of branches [lo, hi) laid out by alt_tree (a JMP after each but the last of all). */
static size_t alt_size(const struct frag *br, size_t lo, size_t hi, int last)
{
    size_t n = 2 * (hi - lo - 1) + (last ? 0 : 1);
    for (size_t k = lo; k < hi; k++) n += br[k].n;
    return n;
}

/* Branches [lo, hi) as a tree of SPLITs, the earlier ones on each SPLIT's first path: the
 * branches are tried in the same order as by a chain of SPLITs, but a token that starts a
 * branch deep in a long alternation (an @actor of a hundred phrases) passes about log2(n)
 * SPLITs' guards instead of one per branch before it. The first branch alone takes the root's
 * first path (a lexicon's single words come first and match most often), the rest is halved.
 * Each branch but the last of all ends in a JMP to the end (instruction total of out). */
static int alt_tree(const struct frag *br, size_t lo, size_t hi, int last, size_t total, struct frag *out)
{
    if (hi - lo == 1) {
        struct frag b = br[lo];
        b.min = b.max = b.comp = 0;
        b.inf = 0;
        if (cat(out, &b)) return -1;
        return last ? 0 : emit(out, OP_JMP, (int32_t)(total - out->n), 0, 0);
    }
    size_t mid = lo == 0 ? 1 : lo + (hi - lo) / 2;
    if (emit(out, OP_SPLIT, 1, (int32_t)alt_size(br, lo, mid, 0) + 1, 0)) return -1;
    return alt_tree(br, lo, mid, 0, total, out) || alt_tree(br, mid, hi, last, total, out) ? -1 : 0;
}

static int join_alt(struct frag *br, size_t n, struct frag *out)
{
    memset(out, 0, sizeof *out);
    out->min = n ? UINT32_MAX : 0;
    for (size_t k = 0; k < n; k++) {
        if (br[k].min < out->min) out->min = br[k].min;
        if (br[k].max > out->max) out->max = br[k].max;
        if (br[k].comp > out->comp) out->comp = br[k].comp;
        out->inf |= br[k].inf;
    }
    return n ? alt_tree(br, 0, n, 1, alt_size(br, 0, n, 1), out) : 0;
}

/* <lexicon>: one test for its single words, one branch per phrase. */
static int lexicon_atom(struct pctx *c, int lx, struct item *it)
{
    if (tpat_lex_get(c->L, lx)) return -1;
    const struct tpat_lex *x = &c->L->lex[lx];
    if (!x->n && !x->n_ph) {
        fail(c, "<%s> has no words: the pattern can never match", x->name);
        return 0;
    }
    if (!x->n_ph) return one_test(c, it, (struct tpat_test){.kind = TT_LEX, .v = (uint32_t)lx});
    size_t nb = x->n_ph + (x->n ? 1 : 0), k = 0;
    struct frag *br = calloc(nb, sizeof *br);
    if (!br) return -1;
    int rc = 0;
    uint32_t t;
    if (x->n) rc = add_test(c, (struct tpat_test){.kind = TT_LEX, .v = (uint32_t)lx}, &t) ||
                   emit(&br[k], OP_TEST, 0, 0, t);
    if (x->n) br[k].min = br[k].max = 1, k++;
    for (size_t q = 0; q < x->n_ph && !rc; q++, k++) {
        x = &c->L->lex[lx];
        for (uint32_t w = 0; w < x->ph[q].n && !rc; w++)
            rc = add_test(c, (struct tpat_test){.kind = TT_WORD, .v = x->ph[q].w[w]}, &t) || emit(&br[k], OP_TEST, 0, 0, t);
        br[k].min = br[k].max = x->ph[q].n;
    }
    if (!rc) rc = join_alt(br, nb, &it->f);
    for (k = 0; k < nb; k++) frag_free(&br[k]);
    free(br);
    return rc ? -1 : 0;
}

/* A literal word: exactly one token for the tokeniser, or it could never match. */
static int word_atom(struct pctx *c, const char *w, size_t n, int exact, struct item *it)
{
    if (memchr(w, '{', n)) { /* acquir{e,es,ed}: an unnamed lexicon */
        char name[160];
        snprintf(name, sizeof name, "%.*s", (int)(n < 150 ? n : 150), w);
        int lx = tpat_lex_find(c->L, name, strlen(name));
        if (lx < 0) {
            char *nm = tpat_arena_str(&c->L->p->arena, name, strlen(name));
            if (!nm || (lx = tpat_lex_new(c->L, nm, c->line)) < 0) return -1;
            int budget = 256;
            c->L->lex[lx].state = 2;
            if (tpat_expand(c->L, lx, w, n, c->line, &budget)) return -1;
        }
        if (c->L->lex[lx].n_ph) { /* a pattern's word is one token; phrases belong in lexicons */
            fail(c, "'%.*s' expands to words that are not one token for the tokeniser: write a lexicon", (int)n, w);
            return 0;
        }
        return lexicon_atom(c, lx, it);
    }
    if (tok_run_text(&c->L->td, w, n)) return -1;
    if (c->L->td.n != 1) {
        fail(c, "'%.*s' is not one token for the tokeniser: write its parts as separate words", (int)n, w);
        return 0;
    }
    const struct tok *t = &c->L->td.v[0];
    int32_t id = tpat_word_add(c->L->p, tok_norm(&c->L->td, t), t->norm_len);
    if (id < 0) return -1;
    struct tpat_test tt = {.kind = exact ? TT_EXACT : TT_WORD, .v = (uint32_t)id};
    if (exact && !(tt.exact = tpat_arena_str(&c->L->p->arena, w, n))) return -1;
    tt.exact_len = (uint32_t)n;
    return one_test(c, it, tt);
}

static int class_atom(struct pctx *c, const char *w, size_t n, struct item *it)
{
    static const struct {
        const char *name;
        uint32_t mask;
    } cls[] = {{"num", TOK_F_NUMBER << 8}, {"cur", TOK_F_CURRENCY << 8}, {"cashtag", TOK_F_CASHTAG << 8},
               {"ticker", TOK_F_TICKER << 8}, {"scale", TOK_F_SCALE << 8}, {"abbrev", TOK_F_ABBREV << 8},
               {"past_year", TOK_F_PAST_YEAR << 8}, {"old_year", TOK_F_OLD_YEAR << 8},
               {"lower", 1 << TOK_LOWER}, {"title", 1 << TOK_TITLE}, {"upper", 1 << TOK_UPPER},
               {"mixed", 1 << TOK_MIXED}, {"digit", 1 << TOK_DIGIT}, {"punct", 1 << TOK_PUNCT},
               {"cap", 1 << TOK_TITLE | 1 << TOK_UPPER},
               {"word", 1 << TOK_LOWER | 1 << TOK_TITLE | 1 << TOK_UPPER | 1 << TOK_MIXED | 1 << TOK_OTHER}};
    if (n == 3 && memcmp(w, "any", 3) == 0) return one_test(c, it, (struct tpat_test){.kind = TT_ANY});
    for (size_t k = 0; k < sizeof cls / sizeof cls[0]; k++)
        if (strlen(cls[k].name) == n && memcmp(cls[k].name, w, n) == 0)
            return one_test(c, it, (struct tpat_test){.kind = TT_CLASS, .v = cls[k].mask});
    fail(c, "unknown token class #%.*s (num, cur, cashtag, ticker, scale, abbrev, past_year, old_year, lower, title, upper, mixed, digit, punct, cap, word, any)", (int)n, w);
    return 0;
}

/* ~ERE: one token whose whole normal form matches a POSIX extended regex ("~a3[0-8][0-9][a-z0-9]*"),
 * for word shapes a lexicon cannot list; never an anchor. */
/* The literal every match of ~w starts with ("divest" of "divest(s|ed)?"): matching tests it
 * before running the regex, which costs far more. 0 when w may start otherwise. */
static size_t regex_prefix(const char *w, size_t n)
{
    for (size_t k = 0, depth = 0; k < n; k++) { /* an alternation at the top makes no common prefix */
        if (w[k] == '\\') k++;
        else if (w[k] == '(') depth++;
        else if (w[k] == ')' && depth) depth--;
        else if (w[k] == '|' && !depth) return 0;
    }
    size_t k = 0;
    while (k < n && ((w[k] >= 'a' && w[k] <= 'z') || (w[k] >= '0' && w[k] <= '9') || w[k] == '-' || w[k] == '\''))
        k++;
    if (k < n && strchr("?*{", w[k])) k = k ? k - 1 : 0; /* "eyes?": the last letter may be absent */
    return k;
}

static int re_first_seq(const char *w, size_t n, uint64_t set[4]);

/* The end of the group or class opened at w[i] ('(' or '['), or n when unbalanced. */
static size_t re_close(const char *w, size_t n, size_t i)
{
    if (w[i] == '[') {
        size_t k = i + 1 + (i + 1 < n && w[i + 1] == '^');
        k += k < n && w[k] == ']'; /* "[]a]": a first ']' is a member */
        while (k < n && w[k] != ']') k++;
        return k;
    }
    for (size_t k = i + 1, depth = 1; k < n; k++) {
        if (w[k] == '\\') k++;
        else if (w[k] == '[') k = re_close(w, n, k);
        else if (w[k] == '(') depth++;
        else if (w[k] == ')' && !--depth) return k;
    }
    return n;
}

static void re_add(uint64_t set[4], unsigned lo, unsigned hi)
{
    for (unsigned b = lo; b <= hi && b < 256; b++) set[b / 64] |= UINT64_C(1) << (b % 64);
}

/* The first bytes of one atom at w[i] into set; its end in *end. 0 when it may start with any byte. */
static int re_first_atom(const char *w, size_t n, size_t i, uint64_t set[4], size_t *end)
{
    unsigned char ch = (unsigned char)w[i];
    if (ch == '\\') { /* an escaped character is itself */
        if (i + 1 >= n || !strchr(".[](){}*+?|\\^$-", w[i + 1])) return 0;
        re_add(set, (unsigned char)w[i + 1], (unsigned char)w[i + 1]);
        *end = i + 2;
        return 1;
    }
    if (ch == '[') {
        size_t e = re_close(w, n, i), k = i + 1;
        if (e >= n || w[k] == '^' || memchr(w + k, ':', e - k) || memchr(w + k, '=', e - k)) return 0;
        for (; k < e; k++) {
            unsigned lo = (unsigned char)w[k], hi = lo;
            if (k + 2 < e && w[k + 1] == '-') hi = (unsigned char)w[k + 2], k += 2;
            re_add(set, lo, hi);
        }
        *end = e + 1;
        return 1;
    }
    if (ch == '(') { /* the union of the alternatives' first bytes */
        size_t e = re_close(w, n, i), a = i + 1;
        if (e >= n) return 0;
        for (size_t k = i + 1, depth = 0; k <= e; k++) {
            if (k < e && w[k] == '\\') k++;
            else if (k < e && w[k] == '[') k = re_close(w, n, k);
            else if (k < e && (w[k] == '(' || w[k] == ')')) depth += w[k] == '(' ? 1 : (size_t)-1;
            else if (k == e || (w[k] == '|' && !depth)) {
                if (!re_first_seq(w + a, k - a, set)) return 0;
                a = k + 1;
            }
        }
        *end = e + 1;
        return 1;
    }
    if (strchr(".^$|)*+?{", ch)) return 0;
    re_add(set, ch, ch);
    *end = i + 1;
    return 1;
}

/* The first bytes of a sequence of atoms into set: an atom that may be absent ("a?", "b*",
 * "c{0,2}") adds what follows it. 0 when a match may start with any byte or be empty. */
static int re_first_seq(const char *w, size_t n, uint64_t set[4])
{
    for (size_t i = 0; i < n;) {
        size_t e;
        if (!re_first_atom(w, n, i, set, &e)) return 0;
        int opt = e < n && (w[e] == '?' || w[e] == '*' || (w[e] == '{' && e + 1 < n && w[e + 1] == '0'));
        if (!opt) return 1;
        const char *q = e < n && w[e] == '{' ? memchr(w + e, '}', n - e) : NULL;
        if (w[e] == '{' && !q) return 0;
        i = q ? (size_t)(q - w) + 1 : e + 1;
        while (i < n && strchr("?*+", w[i])) i++;
    }
    return 0;
}

/* The longest literal every match of the ERE w contains, outside groups and classes, not
 * under a quantifier that lets it be absent or repeat: its start and length (0: none). */
static size_t re_required(const char *w, size_t n, size_t *at)
{
    size_t best = 0, run = 0, run0 = 0;
    for (size_t i = 0; i < n;) {
        size_t e = i + 1, lit = 1;
        if (w[i] == '|') return 0; /* an alternation at the top: nothing is in every match */
        if (w[i] == '\\') e = i + 2;
        else if (w[i] == '[' || w[i] == '(') e = re_close(w, n, i) + 1, lit = 0;
        else if (strchr(".^$)*+?{", w[i])) lit = 0;
        if (e > n) return 0;
        int quant = e < n && strchr("?*+{", w[e]);
        if (lit && !quant && w[i] != '\\') { /* an escaped character's bytes are not the literal's */
            if (!run) run0 = i;
            if (++run > best) best = run, *at = run0;
        } else
            run = 0;
        i = e;
        while (i < n && strchr("?*+", w[i])) i++;
        if (i < n && w[i] == '{') {
            const char *q = memchr(w + i, '}', n - i);
            if (!q) return 0;
            i = (size_t)(q - w) + 1;
        }
    }
    return best;
}

/* What glibc's regcomp would pay too much for, or NULL. It nests a repetition per quantifier and
 * expands a bounded repeat into copies, so its memory doubles with each level: sixty "+" took more
 * than 12 GB, twenty "(...)+" 850 MB, "x{1000}{1000}" never ends. POSIX leaves stacked quantifiers
 * undefined, and they add nothing a single one cannot say; the shipped packs use at most 4
 * quantifiers, 1 level of groups and one repeat. */
#define REGEX_DEPTH 4
#define REGEX_QUANTS 16
#define REGEX_STR_(x) #x
#define REGEX_STR(x) REGEX_STR_(x)

/* The end of the bracket expression opening at w[k] == '[': "]" first (after "[" or "[^") is a
 * literal, and "[:alpha:]", "[.x.]", "[=e=]" inside it run to their own ":]", ".]", "=]". */
static size_t bracket_end(const char *w, size_t n, size_t k)
{
    size_t i = k + 1;
    if (i < n && w[i] == '^') i++;
    if (i < n && w[i] == ']') i++;
    for (; i < n && w[i] != ']'; i++)
        if (w[i] == '[' && i + 1 < n && (w[i + 1] == ':' || w[i + 1] == '.' || w[i + 1] == '=')) {
            char d = w[i + 1];
            for (i += 2; i + 1 < n && !(w[i] == d && w[i + 1] == ']'); i++) {}
            i++; /* on the class's "]" */
        }
    return i; /* on the closing "]", or n */
}

/* Is every number of the repeat at w[k] == '{' (to its "}") at most MAX_REPEAT? */
static int repeat_ok(const char *w, size_t n, size_t k)
{
    for (size_t i = k + 1; i < n && w[i] != '}'; i++)
        if (w[i] >= '0' && w[i] <= '9' && (i == k + 1 || !(w[i - 1] >= '0' && w[i - 1] <= '9')) &&
            strtol(w + i, NULL, 10) > MAX_REPEAT)
            return 0;
    return 1;
}

static const char *regex_cost(const char *w, size_t n)
{
    int after_quant = 0, depth = 0, quants = 0, repeats = 0;
    for (size_t k = 0; k < n; k++) {
        char ch = w[k];
        int quant = ch == '*' || ch == '+' || ch == '?' || ch == '{';
        if (quant && after_quant) return "a quantifier right after another (x++, x{2}?)";
        if (quant && ++quants > REGEX_QUANTS) return "more than " REGEX_STR(REGEX_QUANTS) " quantifiers";
        if (ch == '\\' && k + 1 < n) k++;
        else if (ch == '[') k = bracket_end(w, n, k);
        else if (ch == '(' && ++depth > REGEX_DEPTH) return "groups nested more than " REGEX_STR(REGEX_DEPTH) " deep";
        else if (ch == ')') depth--;
        else if (ch == '{') { /* to its "}": the repeat is one quantifier */
            if (++repeats > 1 || !repeat_ok(w, n, k)) return "repeats at most {" REGEX_STR(MAX_REPEAT) "}, one {} per regex";
            while (k + 1 < n && w[k] != '}') k++;
        }
        after_quant = quant;
    }
    return NULL;
}

static int regex_atom(struct pctx *c, const char *w, size_t n, struct item *it)
{
    struct tpat_pack *p = c->L->p;
    char buf[512];
    if (n + 3 > sizeof buf) {
        fail(c, "~regex longer than %zu bytes", sizeof buf - 3);
        return 0;
    }
    const char *why = regex_cost(w, n);
    if (why) {
        fail(c, "~%.*s: %s: glibc's regex compiler needs memory exponential in them", (int)n, w, why);
        return 0;
    }
    snprintf(buf, sizeof buf, "^%.*s$", (int)n, w);
    regex_t *re = malloc(sizeof *re);
    if (!re || tpat_reserve((void **)&p->regexes, &p->cap_regexes, p->n_regexes + 1, sizeof *p->regexes)) {
        free(re);
        return -1;
    }
    int rc = regcomp(re, buf, REG_EXTENDED | REG_NOSUB);
    if (rc) {
        char why[128];
        regerror(rc, re, why, sizeof why);
        free(re);
        fail(c, "~%.*s: %s", (int)n, w, why);
        return 0;
    }
    p->regexes[p->n_regexes++] = re;
    struct tpat_test t = {.kind = TT_REGEX, .re = re};
    t.exact_len = (uint32_t)regex_prefix(w, n);
    if (t.exact_len && !(t.exact = tpat_arena_alloc(&p->arena, t.exact_len))) return -1;
    if (t.exact_len) memcpy((char *)t.exact, w, t.exact_len);
    /* the bytes a match starts with: most tokens fail on their first byte, without regexec */
    uint64_t first[4] = {0};
    if (re_first_seq(w, n, first) && !(t.first = tpat_arena_alloc(&p->arena, sizeof first))) return -1;
    if (t.first) memcpy((uint64_t *)t.first, first, sizeof first);
    size_t at = 0;
    if ((t.req_len = (uint32_t)re_required(w, n, &at)) && !(t.req = tpat_arena_str(&p->arena, w + at, t.req_len))) return -1;
    return one_test(c, it, t);
}

/* "chip,memory" of {COMPANY[chip,memory]:role}: each a sector of the pack's sectors:; the list
 * (arena) into *out, NULL when the slot names none. 0, or -1 out of memory. */
static int slot_sectors(struct pctx *c, const char *w, size_t n, const char **out)
{
    const struct tpat_pack *p = c->L->p;
    *out = NULL;
    size_t i0 = n && w[0] == '!'; /* {COMPANY[!chip,memory]:role}: none of these sectors */
    if (n == i0) {
        fail(c, "empty sector list: write {COMPANY[sector,...]:role}");
        return 0;
    }
    for (size_t i = i0; i < n;) {
        size_t e = i;
        while (e < n && w[e] != ',') e++;
        int known = 0;
        for (size_t k = 0; k < p->n_sectors; k++)
            known |= strlen(p->sectors[k]) == e - i && memcmp(p->sectors[k], w + i, e - i) == 0;
        if (!known) {
            fail(c, "sector '%.*s' is not declared in the pack's sectors:", (int)(e - i), w + i);
            return 0;
        }
        i = e + 1;
    }
    return (*out = tpat_arena_str(&c->L->p->arena, w, n)) ? 0 : -1;
}

static int company_atom(struct pctx *c, const char *w, size_t n, struct item *it)
{
    const char *colon = memchr(w, ':', n);
    size_t tl = colon ? (size_t)(colon - w) : n;
    const char *br = memchr(w, '[', tl), *sector = NULL;
    size_t name_len = br ? (size_t)(br - w) : tl;
    if (name_len != 7 || memcmp(w, "COMPANY", 7) != 0 || (br && w[tl - 1] != ']')) {
        fail(c, "unknown slot type {%.*s} (slots are {COMPANY:role} or {COMPANY[sector]:role})", (int)n, w);
        return 0;
    }
    if (br && slot_sectors(c, br + 1, tl - name_len - 2, &sector)) return -1;
    if (c->bad) return 0;
    if (!colon || colon + 1 == w + n) {
        fail(c, "company slot without a role: write {COMPANY:role}");
        return 0;
    }
    const char *role = colon + 1;
    size_t rl = n - tl - 1;
    int ri = -1;
    for (size_t k = 0; k < c->L->p->n_roles; k++)
        if (strlen(c->L->p->roles[k]) == rl && memcmp(c->L->p->roles[k], role, rl) == 0) ri = (int)k;
    if (ri < 0) {
        fail(c, "role '%.*s' is not declared in the pack's roles:", (int)rl, role);
        return 0;
    }
    if (tpat_reserve((void **)&c->slot_role, &c->cap_slots, c->n_slots + 1, sizeof *c->slot_role) ||
        tpat_reserve((void **)&c->slot_sector, &c->cap_sectors, c->n_slots + 1, sizeof *c->slot_sector))
        return -1;
    c->slot_role[c->n_slots] = (uint16_t)ri;
    c->slot_sector[c->n_slots] = sector;
    c->any_sector |= sector != NULL;
    it->anchor = 2;
    it->f.min = it->f.comp = 1;
    return emit(&it->f, OP_COMPANY, 0, 0, c->n_slots++);
}

/* The best anchor of the top-level sequence so far. */
#define MAX_ANCHOR_TESTS 1024

/* An alternation's branches keep their own windows (a branch anchored on its first word is not
 * tried as far back as a branch whose anchor comes after a long gap): at most this many groups,
 * more share the last one's. */
#define MAX_ANCHOR_GROUPS 32

struct pick {
    int have, kind;               /* kind: ANCHOR_WORDS or ANCHOR_COMPANY */
    uint32_t pmin, pmax, pcomp;   /* the pattern's length before the item (the widest group's) */
    uint8_t pinf;
    long score;                   /* lower is better: fewer and rarer words */
    uint8_t lead_comp;            /* a company may come before the first tests (the window grows by one company) */
    uint32_t n_tests;
    uint32_t tests[MAX_ANCHOR_TESTS]; /* the tests one of which the item's first token passes */
    uint32_t n_grp;
    uint32_t grp_end[MAX_ANCHOR_GROUPS]; /* tests [grp_end[g - 1], grp_end[g]) have window grp[g] */
    struct tpat_win grp[MAX_ANCHOR_GROUPS];
};

/* One group: every test of the pick has its window. */
static void pick_single(struct pick *pk)
{
    pk->n_grp = 1;
    pk->grp_end[0] = pk->n_tests;
    pk->grp[0] = (struct tpat_win){pk->pmin, pk->pmax, pk->pcomp, pk->pinf};
}

static int parse_alt(struct pctx *c, struct frag *out, struct pick *pk);

/* A group's or macro's fragment, with the best anchor inside it (it->inner). */
static int parse_inner(struct pctx *c, struct item *it)
{
    free(it->inner);
    if (!(it->inner = calloc(1, sizeof *it->inner))) return -1;
    return parse_alt(c, &it->f, it->inner);
}

static void negate(struct pctx *c, struct item *it)
{
    if (it->f.n != 1 || it->f.v[0].op != OP_TEST || c->L->p->tests[it->f.v[0].arg].kind == TT_SET) {
        fail(c, "'!' applies to one token test: a word, a class or a lexicon without phrases");
        return;
    }
    struct tpat_test t = c->L->p->tests[it->f.v[0].arg]; /* shared: the negation is a test of its own */
    if (t.kind == TT_ANY) {
        fail(c, "'!' before any token (#any, ...) can never match");
        return;
    }
    t.neg = 1;
    if (add_test(c, t, &it->test)) {
        fail(c, "out of memory");
        return;
    }
    it->f.v[0].arg = it->test;
    it->anchor = 0;
}

static void skip_space(struct pctx *c)
{
    while (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n') c->i++;
}

static int digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* A bare word runs to a space, a bracket, a bar or a quantifier (quant_ends 1); an escaped word to a
 * space, bracket or bar (0); a ~regex to a space only (-1). */
static size_t word_len(const struct pctx *c, size_t i, int quant_ends)
{
    size_t j = i;
    for (;; j++) {
        char ch = c->s[j];
        if (!ch || ch == ' ' || ch == '\t' || ch == '\n') break;
        if (quant_ends >= 0 && (ch == '(' || ch == ')' || ch == '|')) break;
        if (quant_ends > 0 && j > i && (ch == '?' || ch == '*' || ch == '+' || (ch == '{' && digit(c->s[j + 1]))))
            break;
    }
    return j - i;
}

static int macro_atom(struct pctx *c, const char *w, size_t n, struct item *it)
{
    struct tpat_macro *m = NULL;
    for (size_t k = 0; k < c->L->n_mac; k++)
        if (strlen(c->L->mac[k].name) == n && memcmp(c->L->mac[k].name, w, n) == 0) m = &c->L->mac[k];
    if (!m || m->busy || c->depth >= MAX_DEPTH) {
        if (!m) fail(c, "undefined macro @%.*s", (int)n, w);
        else fail(c, "macro @%s uses itself", m->name);
        return 0;
    }
    const char *s = c->s;
    size_t i = c->i, line = c->line;
    c->s = m->text;
    c->i = 0;
    c->line = m->line;
    m->busy = 1;
    c->depth++;
    int rc = parse_inner(c, it);
    if (!rc && c->s[c->i]) fail(c, "macro @%s: unbalanced ')'", m->name);
    c->depth--;
    m->busy = 0;
    c->s = s;
    c->i = i;
    c->line = line;
    return rc;
}

/* Brackets and sigils; a bare word is a literal. */
static int parse_atom(struct pctx *c, struct item *it)
{
    const char *s = c->s;
    size_t i = c->i, n;
    if (s[i] == '(') {
        c->i++;
        if (++c->depth > MAX_DEPTH) fail(c, "groups nested deeper than %d", MAX_DEPTH);
        int rc = c->bad ? 0 : parse_inner(c, it);
        c->depth--;
        if (!rc && !c->bad && s[c->i] != ')') fail(c, "'(' without ')'");
        c->i++;
        return rc;
    }
    if (s[i] == '<' || s[i] == '{') {
        const char *close = strchr(s + i, s[i] == '<' ? '>' : '}');
        if (!close) {
            fail(c, "'%c' without '%c'", s[i], s[i] == '<' ? '>' : '}');
            return 0;
        }
        c->i = (size_t)(close - s) + 1;
        if (s[i] == '{') return company_atom(c, s + i + 1, (size_t)(close - s) - i - 1, it);
        int lx = tpat_lex_find(c->L, s + i + 1, (size_t)(close - s) - i - 1);
        if (lx < 0) fail(c, "undefined lexicon <%.*s>", (int)((close - s) - (long)i - 1), s + i + 1);
        return lx < 0 ? 0 : lexicon_atom(c, lx, it);
    }
    if (strncmp(s + i, "...", 3) == 0) { /* a gap counts words, as the regexes' (\S+\s+){0,n} did */
        c->i += 3;
        it->gap = 1;
        it->f.min = 1;
        it->f.max = TPAT_WORD_TOKENS;
        return emit(&it->f, OP_WORD, 0, 0, 0);
    }
    if ((s[i] == '^' || s[i] == '$') && (!s[i + 1] || strchr(" \t\n)|", s[i + 1]))) {
        c->i++;
        it->sol = s[i] == '^';
        it->eol = s[i] == '$';
        return emit(&it->f, s[i] == '^' ? OP_SOL : OP_EOL, 0, 0, 0);
    }
    if (s[i] == '!') return c->i++, parse_atom(c, it) || (c->bad ? 0 : (negate(c, it), 0));
    int sig = s[i] == '@' || s[i] == '#' || s[i] == '=' || s[i] == '\\' || s[i] == '~';
    n = word_len(c, i + sig, s[i] == '~' ? -1 : s[i] != '\\');
    c->i = i + sig + n;
    if (!n) {
        fail(c, "'%c' needs a name after it", s[i]);
        return 0;
    }
    if (s[i] == '@') return macro_atom(c, s + i + 1, n, it);
    if (s[i] == '~') return regex_atom(c, s + i + 1, n, it);
    if (s[i] == '#') return class_atom(c, s + i + 1, n, it);
    return word_atom(c, s + i + sig, n, s[i] == '=', it);
}

/* ?, *, +, {m}, {m,}, {m,n}, each optionally followed by ? (lazy). */
static int parse_quant(struct pctx *c, uint32_t *m, int *n, int *lazy)
{
    const char *s = c->s;
    char ch = s[c->i];
    if (ch == '?' || ch == '*' || ch == '+') {
        *m = ch == '+';
        *n = ch == '?' ? 1 : -1;
        c->i++;
    } else if (ch == '{' && digit(s[c->i + 1])) {
        char *end;
        long a = strtol(s + c->i + 1, &end, 10), b = a;
        if (*end == ',') b = digit(end[1]) ? strtol(end + 1, &end, 10) : (end++, -1);
        if (*end != '}' || a > MAX_REPEAT || b > MAX_REPEAT || (b >= 0 && a > b) || b == 0) {
            fail(c, "bad repeat {%.*s}: m <= n <= %d and n > 0", (int)(strcspn(s + c->i + 1, "}")), s + c->i + 1,
                 MAX_REPEAT);
            return 1;
        }
        *m = (uint32_t)a;
        *n = (int)b;
        c->i = (size_t)(end - s) + 1;
    } else
        return 0;
    if (s[c->i] == '?') {
        *lazy = 1;
        c->i++;
    }
    return 1;
}

static int parse_item(struct pctx *c, struct item *it)
{
    memset(it, 0, sizeof *it);
    it->qmin = 1;
    if (parse_atom(c, it) || c->bad) return c->bad ? 0 : -1;
    uint32_t m = 1;
    int n = 1, lazy = 0;
    int q = parse_quant(c, &m, &n, &lazy);
    if (c->bad) return 0;
    if (it->gap) {
        lazy = 1;
        if (!q) m = 0, n = -1;
    } else if (!q)
        return 0;
    if (it->sol || it->eol) {
        fail(c, "a quantifier after ^ or $ means nothing");
        return 0;
    }
    it->qmin = m;
    struct frag r;
    if (repeat(&it->f, m, n, lazy, &r)) return -1;
    frag_free(&it->f);
    it->f = r;
    if (m == 0) it->anchor = 0;
    return 0;
}

/* Tokens of nearly every sentence of news (punctuation, function words, "said"), in strcmp
 * order: an anchor on one of them proposes its rules at most tokens of most articles, so any
 * other item of the rule is the better anchor (over Reuters "," alone proposed 29 % of all
 * (rule, token) pairs while it anchored the stop list's words out). */
static const char *const common_words[] = {
    "\"", "'", "'s", "(", ")", ",", "-", "--", ".", ":", ";", "a", "about", "after", "all", "also", "an",
    "and", "are", "as", "at", "be", "been", "but", "by", "can", "company", "could", "did", "do", "for",
    "from", "had", "has", "have", "he", "her", "his", "i", "if", "in", "into", "is", "it", "its",
    "million", "mln", "more", "new", "no", "not", "of", "on", "one", "or", "our", "out", "over", "pct",
    "percent", "said", "says", "shares", "she", "than", "that", "the", "their", "there", "they", "this",
    "to", "two", "up", "was", "we", "were", "which", "who", "will", "with", "would", "year", "you"
};

static int cmp_word(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static long test_score(const struct pctx *c, const struct tpat_test *t)
{
    const struct tpat_pack *p = c->L->p;
    const uint32_t *w = t->kind == TT_LEX ? c->L->lex[t->v].w : t->kind == TT_SET ? t->set_w : &t->v;
    size_t n = t->kind == TT_LEX ? c->L->lex[t->v].n : t->kind == TT_SET ? t->set_n : 1;
    long score = (long)n;
    for (size_t k = 0; k < n; k++)
        if (bsearch(p->words_pool + p->words[w[k]].off, common_words, sizeof common_words / sizeof *common_words,
                    sizeof *common_words, cmp_word))
            score += 1000;
    return score;
}

int tpat_first_walk(const struct tpat_inst *prog, size_t n, uint32_t pc0, int (*fn)(void *, const struct tpat_inst *),
                    void *ud)
{
    uint32_t stack[256], top = 0;
    uint8_t seen[MAX_PROG / 8 + 1];
    if (n > MAX_PROG) return 0;
    memset(seen, 0, n / 8 + 1); /* the program's bits only: this runs per instruction at load */
    stack[top++] = pc0;
    while (top) {
        uint32_t pc = stack[--top];
        if (pc >= n) return 0; /* the item can end without a token */
        if (seen[pc / 8] >> (pc % 8) & 1) continue;
        seen[pc / 8] |= (uint8_t)(1 << (pc % 8));
        const struct tpat_inst *in = &prog[pc];
        int rc = 2;
        if (in->op == OP_TEST || in->op == OP_COMPANY) {
            if (!(rc = fn(ud, in))) return 0;
        } else if (in->op == OP_SPLIT || in->op == OP_JMP) {
            if (top + 2 > sizeof stack / sizeof stack[0]) return 0;
            stack[top++] = pc + (uint32_t)in->x;
            if (in->op == OP_SPLIT) stack[top++] = pc + (uint32_t)in->y;
            continue;
        } else if (in->op != OP_SOL && in->op != OP_EOL)
            return 0;
        if (rc == 2) stack[top++] = pc + 1;
    }
    return 1;
}

struct first {
    const struct pctx *c;
    struct pick *out;
};

static int first_test(void *ud, const struct tpat_inst *in)
{
    struct first *x = ud;
    if (in->op == OP_COMPANY) {
        x->out->lead_comp = 1; /* "{COMPANY:target}? backed by": anchor on "backed", start up to a company before */
        return 2;
    }
    const struct tpat_test *t = &x->c->L->p->tests[in->arg];
    if (t->neg || t->kind == TT_ANY || x->out->n_tests == MAX_ANCHOR_TESTS) return 0;
    x->out->tests[x->out->n_tests++] = in->arg;
    /* a class or word shape is tried at every token (tpat.c, candidates): any word beats it */
    if (t->kind >= TT_CLASS) {
        x->out->score += 100000;
        return 1;
    }
    struct tpat_loader *L = x->c->L; /* a test's score never changes (its words are there when it is): once */
    if (tpat_reserve_zero((void **)&L->tscore, &L->cap_tscore, (size_t)in->arg + 1, sizeof *L->tscore)) {
        x->out->score += test_score(x->c, t); /* out of memory: the score all the same */
        return 1;
    }
    if (!L->tscore[in->arg]) L->tscore[in->arg] = 1 + test_score(x->c, t);
    x->out->score += L->tscore[in->arg] - 1;
    return 1;
}

/* The word tests one of which the first token of any match of f passes; 0 when some
 * match can start with a class, any token or a company, or f can match nothing. */
static int first_tests(const struct pctx *c, const struct frag *f, struct pick *out)
{
    struct first x = {c, out};
    out->n_tests = 0;
    out->score = 0;
    out->lead_comp = 0;
    return tpat_first_walk(f->v, f->n, 0, first_test, &x) && out->n_tests > 0;
}

/* Keeps the item as the anchor when it is better than the one so far. */
static void consider(const struct pctx *c, const struct item *it, const struct frag *before, struct pick *pk)
{
    struct pick cand;
    const struct pick *in = it->inner;
    int have = 1;
    if (it->qmin < 1) return;
    if (it->anchor == 2) {
        cand.kind = ANCHOR_COMPANY;
        cand.score = 1L << 30; /* any word beats a company start */
        cand.lead_comp = 0;
        cand.n_tests = 0;
    } else if (first_tests(c, &it->f, &cand))
        cand.kind = ANCHOR_WORDS;
    else
        have = 0;
    /* a group's own anchor may beat its first words: "( its | the ) rival" is tried at "rival" */
    if (in && in->have && in->kind == ANCHOR_WORDS && (!have || in->score < cand.score)) cand = *in, have = 2;
    if (!have || (pk->have && cand.score >= pk->score)) return;
    cand.pmin = before->min + (have == 2 ? in->pmin : 0);
    cand.pmax = before->max + (have == 2 ? in->pmax : 0);
    cand.pcomp = before->comp + (have == 2 ? in->pcomp : cand.lead_comp);
    cand.pinf = before->inf | (have == 2 ? in->pinf : 0);
    cand.have = 1;
    if (have == 2) /* the inner groups, each after what comes before the item */
        for (uint32_t g = 0; g < cand.n_grp; g++)
            cand.grp[g] = (struct tpat_win){before->min + cand.grp[g].pre_min, before->max + cand.grp[g].pre_max,
                                            before->comp + cand.grp[g].pre_comp, (uint8_t)(before->inf | cand.grp[g].pre_inf)};
    else
        pick_single(&cand);
    *pk = cand;
}

static int parse_seq(struct pctx *c, struct frag *out, struct pick *pk)
{
    int after_eol = 0, scoped = c->r->pub.scope == TPAT_SCOPE_SENTENCE;
    for (;;) {
        skip_space(c);
        char ch = c->s[c->i];
        if (!ch || ch == ')' || ch == '|' || c->bad) return 0;
        struct item it;
        int rc = parse_item(c, &it);
        if (rc || c->bad) {
            frag_free(&it.f);
            free(it.inner);
            return rc;
        }
        if (scoped && it.sol && out->min > 0) fail(c, "'^' after a token can never match in one sentence");
        if (scoped && after_eol && it.f.min > 0) fail(c, "a token after '$' can never match in one sentence");
        after_eol |= it.eol;
        if (pk) consider(c, &it, out, pk);
        rc = cat(out, &it.f);
        frag_free(&it.f);
        free(it.inner);
        if (rc) return -1;
    }
}

/* Adds a branch's anchor to the union of a top-level alternation's: the rule is tried
 * at any branch's anchor words, in a window wide enough for every branch (0: a branch
 * without word anchor, or too many words: no union). */
static int merge_pick(struct pick *all, const struct pick *b)
{
    if (!b->have || b->kind != ANCHOR_WORDS) return 0;
    if (!all->have) {
        *all = *b;
        return 1;
    }
    if (all->n_tests + b->n_tests > MAX_ANCHOR_TESTS) return 0;
    memcpy(all->tests + all->n_tests, b->tests, b->n_tests * sizeof *b->tests);
    for (uint32_t g = 0; g < b->n_grp; g++) { /* b's groups after all's; past the limit, in the last */
        if (all->n_grp < MAX_ANCHOR_GROUPS) all->grp[all->n_grp++] = b->grp[g];
        else tpat_win_union(&all->grp[all->n_grp - 1], &b->grp[g]);
        all->grp_end[all->n_grp - 1] = all->n_tests + b->grp_end[g];
    }
    all->n_tests += b->n_tests;
    all->score += b->score;
    if (b->pmin < all->pmin) all->pmin = b->pmin;
    if (b->pmax > all->pmax) all->pmax = b->pmax;
    if (b->pcomp > all->pcomp) all->pcomp = b->pcomp;
    all->pinf |= b->pinf;
    return 1;
}

/* Can branch f join a set test? One word, lexicon or set test, not negated. */
static int settable(const struct pctx *c, const struct frag *f)
{
    if (f->n != 1 || f->v[0].op != OP_TEST) return 0;
    const struct tpat_test *t = &c->L->p->tests[f->v[0].arg];
    return !t->neg && (t->kind == TT_WORD || t->kind == TT_LEX || t->kind == TT_SET);
}

/* The word ids test t passes (a lexicon's single words: its phrases are branches of their own). */
static const uint32_t *test_words(const struct pctx *c, const struct tpat_test *t, size_t *n)
{
    if (t->kind == TT_LEX) return *n = c->L->lex[t->v].n, c->L->lex[t->v].w;
    if (t->kind == TT_SET) return *n = t->set_n, t->set_w;
    *n = 1;
    return &t->v;
}

/* One TT_SET test for the settable branches br[0..n): adjacent alternatives of one token all
 * continue at the same instruction, so one test of their union matches what trying them in
 * order did, in one step instead of a SPLIT and a test each. Its bits end at its highest word
 * (v), and a set that macros repeat is kept once: the pack's copy is made only for a new one. */
static int set_test(struct pctx *c, const struct frag *br, size_t n, struct frag *out)
{
    struct tpat_pack *p = c->L->p;
    size_t nb = p->n_words / 64 + 1, total = 0, k, had = p->n_tests;
    for (size_t i = 0; i < n; i++) test_words(c, &p->tests[br[i].v[0].arg], &k), total += k;
    uint64_t *bits = calloc(nb, sizeof *bits);
    uint32_t *w = malloc((total + 1) * sizeof *w), nw = 0, top = 0, t;
    int rc = bits && w ? 0 : -1;
    for (size_t i = 0; !rc && i < n; i++) {
        const uint32_t *x = test_words(c, &p->tests[br[i].v[0].arg], &k);
        for (size_t j = 0; j < k; j++)
            if (!(bits[x[j] / 64] >> (x[j] % 64) & 1))
                bits[x[j] / 64] |= UINT64_C(1) << (x[j] % 64), w[nw++] = x[j], top = x[j] >= top ? x[j] + 1 : top;
    }
    struct tpat_test st = {.kind = TT_SET, .v = top, .set = bits, .set_w = w, .set_n = nw};
    if (!rc) rc = add_test(c, st, &t);
    if (!rc && p->n_tests > had) {
        size_t used = (top + 63) / 64;
        uint64_t *kb = tpat_arena_alloc(&p->arena, (used ? used : 1) * sizeof *kb);
        uint32_t *kw = tpat_arena_alloc(&p->arena, (nw + 1) * sizeof *kw);
        if (kb && kw) memcpy(kb, bits, used * sizeof *kb), memcpy(kw, w, nw * sizeof *kw);
        p->tests[t].set = kb, p->tests[t].set_w = kw, rc = kb && kw ? 0 : -1;
    }
    free(bits);
    free(w);
    memset(out, 0, sizeof *out);
    if (rc) return -1;
    out->min = out->max = 1;
    return emit(out, OP_TEST, 0, 0, t);
}

/* Replaces each run of two or more adjacent settable branches by one set test. */
static int merge_sets(struct pctx *c, struct frag *br, size_t *nb)
{
    size_t o = 0, n = *nb;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i; j < n && settable(c, &br[j]);) j++;
        if (j - i < 2) {
            br[o++] = br[i];
            j = i + 1;
            continue;
        }
        struct frag f;
        int rc = set_test(c, br + i, j - i, &f);
        for (size_t k = i; k < (rc ? n : j); k++) frag_free(&br[k]);
        if (rc) {
            *nb = o;
            return -1;
        }
        br[o++] = f;
    }
    *nb = o;
    return 0;
}

static int parse_alt(struct pctx *c, struct frag *out, struct pick *pk)
{
    struct frag *br = NULL;
    size_t nb = 0, cap = 0;
    /* the branch's anchor, the union of the branches' */
    struct pick *bp = pk ? calloc(2, sizeof *bp) : NULL, *all = bp ? bp + 1 : NULL;
    memset(out, 0, sizeof *out);
    if (pk && !bp) return -1;
    int rc = 0, united = 0;
    do {
        if (nb) c->i++; /* the '|' */
        if (tpat_reserve((void **)&br, &cap, nb + 1, sizeof *br)) {
            rc = -1;
            break;
        }
        memset(&br[nb], 0, sizeof *br);
        if (bp) memset(bp, 0, sizeof *bp);
        rc = parse_seq(c, &br[nb++], bp);
        if (!rc && pk) united = (nb == 1 || united) && merge_pick(all, bp);
    } while (!rc && !c->bad && c->s[c->i] == '|');
    /* a top-level alternation: the union of its branches' anchors, else none (the
     * pattern's first words are tried last, in tpat_compile_rule) */
    if (pk) *pk = nb == 1 ? *bp : united ? *all : (struct pick){0};
    if (!rc && !c->bad) rc = merge_sets(c, br, &nb);
    if (!rc && !c->bad && nb == 1) *out = br[0], nb = 0;
    else if (!rc && !c->bad) rc = join_alt(br, nb, out);
    for (size_t k = 0; k < nb; k++) frag_free(&br[k]);
    free(br);
    free(bp);
    return rc;
}

struct guard_walk {
    const struct pctx *c;
    struct tpat_guard *g;
    uint64_t *bits;
    uint32_t *tests;
};

/* A guard holds the words, other tests and companies a path's first token can be; not a
 * negation or any token (they pass nearly every token). */
static int guard_test(void *ud, const struct tpat_inst *in)
{
    struct guard_walk *x = ud;
    if (in->op == OP_COMPANY) return x->g->comp = 1;
    const struct tpat_test *t = &x->c->L->p->tests[in->arg];
    size_t k;
    if (t->neg || t->kind == TT_ANY || (t->kind >= TT_CLASS && x->g->n_tests == MAX_ANCHOR_TESTS)) return 0;
    if (t->kind >= TT_CLASS) {
        x->tests[x->g->n_tests++] = in->arg;
        return 1;
    }
    const uint32_t *w = test_words(x->c, t, &k);
    while (k--) x->bits[w[k] / 64] |= UINT64_C(1) << (w[k] % 64);
    return 1;
}

/* A guard's word bits, kept from the first word set to the last (a guard's ten-odd words are a
 * few hundred ids apart, among thousands) and once per distinct set (lexicons and macros repeat
 * the same sets): thousands of guards then fit in cache. *shared is where the index of the
 * guard of these words alone (with g->comp) is kept, NULL when the guard has no words. 0 or -1
 * out of memory. */
static int guard_bits(struct tpat_loader *L, const uint64_t *bits, size_t nb, struct tpat_guard *g, uint32_t **shared)
{
    static const uint64_t none[1];
    size_t lo = 0;
    while (nb && !bits[nb - 1]) nb--;
    while (lo < nb && !bits[lo]) lo++;
    g->bits = none, g->lo = g->nbits = 0;
    *shared = NULL;
    if (!nb) return 0;
    bits += lo, nb -= lo;
    uint32_t h = tok_hash((const char *)bits, nb * sizeof *bits) ^ (uint32_t)lo * 2654435761u, key = h ? h : 1; /* key 0: an empty slot */
    if (index_grow(&L->ghash, &L->cap_ghash, L->n_gbits)) return -1;
    size_t at = key & (L->cap_ghash - 1);
    for (; L->ghash[at].key; at = (at + 1) & (L->cap_ghash - 1)) {
        const struct tpat_gbits *x = &L->gbits[L->ghash[at].idx];
        if (L->ghash[at].key == key && x->nw == nb && x->lo == lo && memcmp(x->bits, bits, nb * sizeof *bits) == 0) {
            g->bits = x->bits, g->lo = (uint32_t)(lo * 64), g->nbits = (uint32_t)(nb * 64);
            *shared = &L->gbits[L->ghash[at].idx].guard[g->comp];
            return 0;
        }
    }
    uint64_t *keep = tpat_arena_alloc(&L->p->arena, (nb + 1) * sizeof *keep); /* + a zero word: bit nbits is 0 */
    if (!keep || tpat_reserve((void **)&L->gbits, &L->cap_gbits, L->n_gbits + 1, sizeof *L->gbits)) return -1;
    memcpy(keep, bits, nb * sizeof *keep);
    keep[nb] = 0;
    L->ghash[at] = (struct tpat_thash){key, (uint32_t)L->n_gbits};
    L->gbits[L->n_gbits++] = (struct tpat_gbits){h, (uint32_t)nb, (uint32_t)lo, keep, {0, 0}};
    g->bits = keep, g->lo = (uint32_t)(lo * 64), g->nbits = (uint32_t)(nb * 64);
    *shared = &L->gbits[L->n_gbits - 1].guard[g->comp];
    return 0;
}

/* Sets guard_at[r->pc + pc] for a path starting at the rule's instruction pc (when it has a guard). */
static int add_guard(struct pctx *c, uint32_t pc, uint32_t *scratch)
{
    struct tpat_pack *p = c->L->p;
    const struct tpat_crule *r = c->r;
    if (p->guard_at[r->pc + pc]) return 0;
    size_t nb = p->n_words / 64 + 1;
    uint64_t *bits = calloc(nb, sizeof *bits);
    if (!bits) return -1;
    struct tpat_guard g = {.bits = bits, .nbits = (uint32_t)p->n_words};
    struct guard_walk x = {c, &g, bits, scratch};
    uint32_t *shared = NULL;
    int has = tpat_first_walk(p->prog + r->pc, r->n_inst, pc, guard_test, &x);
    int rc = has ? guard_bits(c->L, bits, nb, &g, &shared) : 0;
    free(bits);
    if (!has || rc) return rc;
    /* guards of the same words (or of companies alone) and no other test are one guard: fewer to cache */
    if (!g.n_tests && !shared && g.comp) shared = &c->L->comp_guard;
    if (g.n_tests) shared = NULL;
    if (shared && *shared) {
        p->guard_at[r->pc + pc] = *shared;
        return 0;
    }
    uint32_t *t = g.n_tests ? tpat_arena_alloc(&p->arena, g.n_tests * sizeof *t) : NULL;
    if (g.n_tests && !t) return -1;
    if (t) memcpy(t, scratch, g.n_tests * sizeof *t);
    g.tests = t;
    struct tpat_pre *pre = g.n_tests ? tpat_arena_alloc(&p->arena, sizeof *pre) : NULL;
    if (g.n_tests && !pre) return -1;
    if (pre) tpat_pre_make(p, t, g.n_tests, pre);
    g.pre = pre;
    if (p->n_guards + 1 >= GUARD_INDEX) return 0; /* no room in guard_at: the path runs unguarded */
    if (tpat_reserve((void **)&p->guards, &p->cap_guards, p->n_guards + 2, sizeof *p->guards)) return -1;
    if (!p->n_guards) p->guards[p->n_guards++] = (struct tpat_guard){0};
    p->guards[p->n_guards] = g;
    p->guard_at[r->pc + pc] = (uint32_t)p->n_guards++ | (g.comp ? GUARD_COMP : 0) | (g.n_tests ? GUARD_TESTS : 0);
    if (shared) *shared = p->guard_at[r->pc + pc];
    return 0;
}

/* Guards for the rule's start and both branches of each of its SPLITs. */
static int guards(struct pctx *c)
{
    struct tpat_pack *p = c->L->p;
    const struct tpat_crule *r = c->r;
    if (tpat_reserve((void **)&p->guard_at, &p->cap_guard_at, p->n_prog, sizeof *p->guard_at)) return -1;
    memset(p->guard_at + r->pc, 0, r->n_inst * sizeof *p->guard_at);
    uint32_t *scratch = malloc(MAX_ANCHOR_TESTS * sizeof *scratch);
    int rc = !scratch || add_guard(c, 0, scratch);
    for (uint32_t k = 0; !rc && k < r->n_inst; k++) {
        const struct tpat_inst *in = &p->prog[r->pc + k];
        if (in->op == OP_SPLIT) rc = add_guard(c, k + (uint32_t)in->x, scratch) || add_guard(c, k + (uint32_t)in->y, scratch);
    }
    free(scratch);
    return rc ? -1 : 0;
}

/* Appends the rule's program (pattern + MATCH) to the pack and sets its anchor. */
static int slot0_first(void *ud, const struct tpat_inst *in)
{
    if (in->op == OP_COMPANY && in->arg == 0) *(uint8_t *)ud = 1;
    return 1;
}

static int install(struct pctx *c, struct frag *f, const struct pick *pk)
{
    struct tpat_pack *p = c->L->p;
    struct tpat_crule *r = c->r;
    if (emit(f, OP_MATCH, 0, 0, 0)) return -1;
    if (tpat_reserve((void **)&p->prog, &c->L->cap_prog, p->n_prog + f->n, sizeof *p->prog)) return -1;
    r->pc = (uint32_t)p->n_prog;
    r->n_inst = (uint32_t)f->n;
    memcpy(p->prog + p->n_prog, f->v, f->n * sizeof *f->v);
    p->n_prog += f->n;
    r->pub.n_slots = c->n_slots;
    r->pub.slot_lead = 0;
    if (c->n_slots) tpat_first_walk(f->v, f->n, 0, slot0_first, &r->pub.slot_lead);
    if (c->n_slots) {
        uint16_t *sr = tpat_arena_alloc(&p->arena, c->n_slots * sizeof *sr);
        if (!sr) return -1;
        memcpy(sr, c->slot_role, c->n_slots * sizeof *sr);
        r->pub.slot_role = sr;
    }
    if (c->any_sector) {
        const char **ss = tpat_arena_alloc(&p->arena, c->n_slots * sizeof *ss);
        if (!ss) return -1;
        memcpy(ss, c->slot_sector, c->n_slots * sizeof *ss);
        r->pub.slot_sector = ss;
    }
    r->anchor = pk->have ? (uint8_t)pk->kind : ANCHOR_NONE;
    if (pk->n_tests) {
        uint32_t *t = tpat_arena_alloc(&p->arena, pk->n_tests * sizeof *t);
        if (!t) return -1;
        memcpy(t, pk->tests, pk->n_tests * sizeof *t);
        r->anchor_tests = t;
        r->n_anchor_tests = pk->n_tests;
        struct tpat_win *w = tpat_arena_alloc(&p->arena, pk->n_tests * sizeof *w);
        if (!w) return -1;
        for (uint32_t k = 0, g = 0; k < pk->n_tests; k++) {
            while (g + 1 < pk->n_grp && k >= pk->grp_end[g]) g++;
            w[k] = pk->grp[g];
        }
        r->anchor_win = w;
    }
    r->pre = (struct tpat_win){pk->pmin, pk->pmax, pk->pcomp, pk->pinf};
    return 0;
}

int tpat_compile_rule(struct tpat_loader *L, struct tpat_crule *r)
{
    struct pctx c = {.L = L, .r = r, .s = r->pub.pattern, .line = r->pub.line};
    struct frag f = {0};
    struct pick pk = {0};
    int rc = parse_alt(&c, &f, &pk);
    if (!rc && !c.bad && c.s[c.i] == ')') fail(&c, "')' without '('");
    if (!rc && !c.bad && f.min == 0) fail(&c, "the pattern can match no token at all");
    if (!rc && !c.bad && f.n >= MAX_PROG) fail(&c, "the pattern compiles to more than %d steps", MAX_PROG);
    /* "a b | c d": no one item is in every match, but the whole pattern's first words are */
    if (!rc && !c.bad && !pk.have && first_tests(&c, &f, &pk))
        pk.have = 1, pk.kind = ANCHOR_WORDS, pk.pmin = pk.pmax = pk.pinf = 0, pk.pcomp = pk.lead_comp, pick_single(&pk);
    if (!rc && !c.bad) rc = install(&c, &f, &pk) || guards(&c) ? -1 : 0;
    frag_free(&f);
    free(c.slot_role);
    free(c.slot_sector);
    return rc;
}
