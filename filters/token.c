/* token.c -- the article tokeniser of detection engine v2: words, numbers, punctuation, sentences, once per article.
 *
 * One pass per field finds token boundaries; each token's normal form (lower case,
 * fullwidth letters folded to ASCII, zero-width characters dropped, typographic
 * apostrophes as ') goes to one pool, hashed for the lexicon lookup. Never splits a
 * UTF-8 sequence; invalid bytes are single letters of no case. */
#include "token.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../core/error.h"

enum cat { CAT_SPACE, CAT_NL, CAT_ZW, CAT_ALPHA, CAT_DIGIT, CAT_PUNCT, CAT_CUR };

/* Decodes one code point at s[i]; invalid bytes decode as U+FFFD of length 1. */
static size_t dec(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
    unsigned c = s[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (!n || i + n > len) goto bad;
    uint32_t v = c & (0x3F >> (n - 1));
    for (size_t k = 1; k < n; k++) {
        if ((s[i + k] & 0xC0) != 0x80) goto bad;
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v < 0xE000))
        goto bad;
    *cp = v;
    return n;
bad:
    *cp = 0xFFFD;
    return 1;
}

/* Fullwidth ASCII reads as ASCII; typographic apostrophes and hyphens as their ASCII forms. */
static uint32_t fold(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E) return cp - 0xFEE0;
    if (cp == 0x2019 || cp == 0x02BC) return '\'';
    if (cp == 0x2010 || cp == 0x2011) return '-';
    return cp;
}


/* ASCII categories (the hot path), as digits of enum cat: 0 space, 1 newline, 3 letter, 4 digit, 5 punctuation, 6 '$'. */
static const char ascii_cat[129] = "00000000001000000000000000000000055565555555555544444444445555555333333333333333333333333335555553333333333333333333333333355550";

static inline enum cat ascii(unsigned char b)
{
    return (enum cat)(ascii_cat[b] - '0');
}

static enum cat cat_of(uint32_t cp)
{
    if (cp < 0x80) return ascii((unsigned char)cp);
    if (cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0x2060 || cp == 0xFEFF || cp == 0x00AD) return CAT_ZW;
    if (cp == 0x2028 || cp == 0x2029) return CAT_NL;
    if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
        cp == 0x3000 || cp == 0x85)
        return CAT_SPACE;
    if (cp < 0xA0) return CAT_SPACE; /* C1 controls */
    if (cp == 0xA3 || cp == 0xA5 || (cp >= 0x20A0 && cp <= 0x20CF)) return CAT_CUR;
    if ((cp >= 0xA1 && cp <= 0xBF && cp != 0xAA && cp != 0xB5 && cp != 0xBA) || cp == 0xD7 || cp == 0xF7 ||
        (cp >= 0x2010 && cp <= 0x205E) || (cp >= 0x3001 && cp <= 0x3003) || (cp >= 0x3008 && cp <= 0x3011) ||
        (cp >= 0x2190 && cp <= 0x2BFF) || cp == 0xFFFD)
        return CAT_PUNCT;
    return CAT_ALPHA;
}

/* Lower case for the scripts news uses; other letters have no case. */
static uint32_t lower(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z') return cp + 32;
    if (cp < 0xC0) return cp;
    if (cp <= 0xDE && cp != 0xD7) return cp + 32;
    if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x138 && cp != 0x149 && cp != 0x17F)
        return (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E) ? (cp & 1 ? cp + 1 : cp) : cp | 1;
    if ((cp >= 0x391 && cp <= 0x3A9) || (cp >= 0x410 && cp <= 0x42F)) return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
    return cp;
}

static int cased(uint32_t cp)
{
    return (cp < 0x80 && cat_of(cp) == CAT_ALPHA) || (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
           (cp >= 0x370 && cp <= 0x4FF);
}

static size_t enc(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The gazetteer calls this on every body (it matches mostly upper-case text
 * caselessly), and a per-byte ctype call was most of the scan's own time: the
 * counts are branch-free ASCII ranges (what isupper/islower mean in the C
 * locale squawk runs in), in byte counters over 64-byte chunks, which the
 * compiler vectorises 16 bytes at a time (7x faster). The count stops once the
 * lower case outweighs what the bytes left could add in capitals: over the
 * first 2,000 Reuters articles that halved the bytes read (19.4 M -> 9.2 M
 * instructions). */
int tok_shouting(const char *s, size_t n, unsigned num, unsigned den)
{
    size_t up = 0, low = 0;
    for (size_t i = 0; i < n;) {
        size_t m = n - i < 64 ? n - i : 64;
        unsigned char u = 0, l = 0;
        for (size_t k = 0; k < m; k++) {
            unsigned char c = (unsigned char)s[i + k];
            u += (unsigned char)(c - 'A') < 26u;
            l += (unsigned char)(c - 'a') < 26u;
        }
        up += u, low += l, i += m;
        /* lower case already outweighs what the rest could add in capitals */
        if ((up + (n - i)) * (den - num) < low * num) return 0;
    }
    size_t letters = up + low;
    return letters >= 8 && up * den >= letters * num;
}

static inline int ascii_alpha(unsigned char c) { return (unsigned char)((c | 32) - 'a') < 26u; }

/* Counted as the gazetteer always did (ASCII letters; a word is a run of them). */
int tok_title_case(const char *s, size_t n)
{
    if (n > 512) n = 512;
    size_t words = 0, caps = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char p = i ? (unsigned char)s[i - 1] : 0;
        if (!ascii_alpha((unsigned char)s[i]) || (i > 0 && (ascii_alpha(p) || (unsigned char)(p - '0') < 10u))) continue;
        size_t j = i;
        while (j < n && ascii_alpha((unsigned char)s[j])) j++;
        if (j - i >= 4) { /* "eBay", "iPhone": a capital inside counts */
            words++;
            for (size_t k = i; k < j; k++)
                if ((unsigned char)(s[k] - 'A') < 26u) {
                    caps++;
                    break;
                }
        }
        i = j;
    }
    return words >= 3 && caps * 10 >= words * 8;
}

int tok_lower_case(const char *s, size_t n)
{
    size_t letters = 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)(s[i] - 'A') < 26u) return 0;
        letters += (unsigned char)(s[i] - 'a') < 26u;
    }
    return letters >= 12;
}

/* Words Title Case leaves in lower case (articles, conjunctions, prepositions). */
static const char *const title_small[] = {"a", "an", "the", "and", "but", "or", "nor", "for", "so", "yet", "as", "at",
                                          "by", "in", "of", "off", "on", "per", "to", "up", "via", "vs", "with", "from",
                                          "into", "onto", "over", "than", "upon", "amid", NULL};

/* Can a lower-case word start at s[i] in Title Case: after a letter, a digit ("$25bn"), an apostrophe
 * ("'s"), a hyphen ("Multibillion-dollar"), a non-ASCII byte, or in a link, handle or tag? */
static int title_lower_ok(const char *s, size_t i)
{
    unsigned char p = i ? (unsigned char)s[i - 1] : ' ';
    return ascii_alpha(p) || (unsigned char)(p - '0') < 10u || p >= 0x80 || strchr("'-/.@#$_", p);
}

int tok_title_headline(const char *s, size_t n)
{
    size_t caps = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ascii_alpha((unsigned char)s[i]) || title_lower_ok(s, i)) continue;
        size_t j = i, upper = 0;
        while (j < n && ascii_alpha((unsigned char)s[j])) upper += (unsigned char)(s[j++] - 'A') < 26u;
        size_t k = 0;
        while (title_small[k] && !(strlen(title_small[k]) == j - i && strncasecmp(title_small[k], s + i, j - i) == 0)) k++;
        int link = j + 1 < n && s[j] == ':' && s[j + 1] == '/'; /* "https://" */
        if (!title_small[k] && j - i >= 2 && !link) {
            if (!upper) return 0; /* a word Title Case would capitalise, in lower case */
            caps++;               /* "Agrees", "iPhone", "eBay" */
        }
        i = j;
    }
    return caps >= 3;
}

uint32_t tok_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

const char *tok_case_name(int cls)
{
    static const char *const n[] = {"lower", "title", "upper", "mixed", "digit", "punct", "other"};
    return cls >= 0 && cls <= TOK_OTHER ? n[cls] : "?";
}

void tok_doc_init(tok_doc *d)
{
    memset(d, 0, sizeof *d);
}

void tok_doc_free(tok_doc *d)
{
    free(d->v);
    free(d->pool);
    free(d->sent_first);
    free(d->sent_end);
    memset(d, 0, sizeof *d);
}

/* Per-field scanning state. */
struct scan {
    tok_doc *d;
    const unsigned char *s;
    size_t len;
    int field;
    int new_sent; /* the next token opens a sentence */
    int pending;  /* a sentence end was seen: the next token that is not closing punctuation opens one */
};

/* Room for one more token. */
static int grow_tokens(tok_doc *d)
{
    size_t cap = d->cap ? d->cap * 2 : 256;
    struct tok *v = realloc(d->v, cap * sizeof *v);
    if (!v) return SQ_E_NOMEM;
    d->v = v;
    d->cap = cap;
    return 0;
}

/* Pool room for every norm of a field of len bytes, reserved once so that no token checks it: a norm
 * has at most 3 bytes per input byte (an invalid byte becomes U+FFFD) plus its NUL, and a token has at
 * least one byte. A word's norm is written before its end is known, 16 bytes at a time: in the room of
 * the bytes not read yet, and 16 spare bytes for the field's end. */
static int reserve_pool(tok_doc *d, size_t len)
{
    size_t need = d->pool_n + len * 4 + 16;
    if (need <= d->pool_cap) return 0;
    size_t cap = d->pool_cap ? d->pool_cap : 4096;
    while (need > cap) cap *= 2;
    char *p = realloc(d->pool, cap);
    if (!p) return SQ_E_NOMEM;
    d->pool = p;
    d->pool_cap = cap;
    return 0;
}

static int class_of(int up, int lo, int dig, int nocase, int first_up)
{
    int letters = up + lo + nocase;
    if (!letters) return dig ? TOK_DIGIT : TOK_PUNCT;
    if (dig) return TOK_MIXED;
    if (nocase == letters) return TOK_OTHER;
    if (!up) return TOK_LOWER;
    if (!lo) return up == 1 && letters == 1 ? TOK_TITLE : TOK_UPPER;
    return first_up && up == 1 ? TOK_TITLE : TOK_MIXED;
}

/* A token's norm as it is written, and its letters and digits for its case class (class_of asks of
 * each count only whether it is 0, 1 or more). */
struct norm_acc {
    size_t on;     /* norm bytes written */
    uint32_t h;    /* FNV-1a of those bytes */
    int up, lo, dig, nocase;
    int first_up;  /* case of the first letter: -1 none yet, -2 an ASCII letter (looked up when needed) */
};

/* The ASCII prefix of s[i, end) into the norm: lower case, hash and counts in one pass, without a
 * branch per letter, as most tokens are all ASCII. With words, stops at the first byte that is no
 * letter or digit too (a word being read before its end is known). Returns where it stopped. */
static inline size_t norm_ascii(const unsigned char *s, size_t i, size_t end, char *o, struct norm_acc *a,
                                int words)
{
    size_t on = a->on;
    uint32_t h = a->h;
    int up = 0, lo = 0, dig = 0;
    for (; i < end && s[i] < 0x80; i++) {
        unsigned b = s[i];
        int u = b - 65u < 26u, l = b - 97u < 26u, g = b - 48u < 10u; /* 'A', 'a', '0' */
        if (words && !(u | l | g)) break;
        up += u;
        lo += l;
        dig += g;
        b += (unsigned)u << 5;
        o[on++] = (char)b;
        h = (h ^ b) * 16777619u;
    }
    if (a->first_up == -1 && up + lo) a->first_up = -2;
    a->on = on;
    a->h = h;
    a->up += up;
    a->lo += lo;
    a->dig += dig;
    return i;
}

/* 0, 1 or 2 for no, one, several bits of m: all a case class asks of a count. */
static inline int count2(unsigned m)
{
    return (m != 0) + ((m & (m - 1)) != 0);
}

/* FNV-1a of h over p[0, n), n <= 16, p[0, 16) readable. A loop of n steps mispredicts its end for
 * most words (their lengths follow no pattern): eight steps always, keeping each state, and the n-th
 * picked -- it is ready as soon as a loop of n would have been, the steps past it cost only throughput.
 * (On text that repeats itself, as bench's filler does, the loop learns the lengths and wins: ~12%.) */
static inline uint32_t hash_run(uint32_t h, const unsigned char *p, unsigned n)
{
    uint32_t st[9];
    if (n > 8) {
        for (unsigned k = 0; k < 8; k++) h = (h ^ p[k]) * 16777619u;
        p += 8;
        n -= 8;
    }
    st[0] = h;
    for (unsigned k = 0; k < 8; k++) st[k + 1] = (st[k] ^ p[k]) * 16777619u;
    return st[n];
}

/* A word's run of ASCII letters and digits from s[i] into the norm, as norm_ascii(.., 1) does, 16 bytes
 * at a time (most words end in the first 16: one test per word, not per byte). Of the counts only
 * none, one or several matter (class_of): lo and dig say whether there are any. */
static inline size_t word_ascii(const unsigned char *s, size_t i, size_t len, char *o, struct norm_acc *a)
{
#if defined(__SSE2__)
    for (;;) {
        __m128i x;
        if (i + 16 <= len)
            x = _mm_loadu_si128((const __m128i *)(s + i));
        else { /* the field's last bytes, NUL-padded: a NUL ends the run */
            unsigned char pad[16] = {0};
            memcpy(pad, s + i, len - i);
            x = _mm_loadu_si128((const __m128i *)pad);
        }
        __m128i f = _mm_or_si128(x, _mm_set1_epi8(0x20)); /* letters folded to lower case */
        __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(f, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(f, _mm_set1_epi8('z' + 1)));
        __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
        __m128i upper = _mm_and_si128(alpha, _mm_cmplt_epi8(x, _mm_set1_epi8('a')));
        unsigned am = (unsigned)_mm_movemask_epi8(alpha), dm = (unsigned)_mm_movemask_epi8(digit);
        unsigned um = (unsigned)_mm_movemask_epi8(upper);
        unsigned n = (unsigned)__builtin_ctz(~(am | dm)); /* bit 16 up is set: n <= 16 */
        unsigned keep = (1u << n) - 1;
        _mm_storeu_si128((__m128i *)(o + a->on), _mm_add_epi8(x, _mm_and_si128(upper, _mm_set1_epi8(0x20))));
        am &= keep;
        um &= keep;
        if (a->first_up == -1 && am) a->first_up = (um & am & -am) != 0;
        a->up += count2(um);
        a->lo |= am != um;
        a->dig |= (dm & keep) != 0;
        a->h = hash_run(a->h, (const unsigned char *)o + a->on, n);
        a->on += n;
        i += n;
        if (n < 16) return i;
    }
#else
    return norm_ascii(s, i, len, o, a, 1);
#endif
}

/* The code point at s[i] (not ASCII) into the norm: folded, zero-width dropped, lower-cased. */
static size_t norm_cp(const struct scan *sc, size_t i, char *o, struct norm_acc *a, unsigned *flags)
{
    uint32_t raw, cp;
    size_t n = dec(sc->s, sc->len, i, &raw);
    cp = fold(raw);
    if (cp != raw) *flags |= TOK_F_FOLDED;
    enum cat c = cat_of(cp);
    if (c == CAT_ZW) {
        *flags |= TOK_F_FOLDED;
        return n;
    }
    if (c == CAT_DIGIT) a->dig++;
    else if (c == CAT_ALPHA) {
        int u = lower(cp) != cp;
        if (a->first_up == -1) a->first_up = u;
        if (u) a->up++;
        else if (cased(cp)) a->lo++;
        else a->nocase++;
    }
    size_t k = enc(lower(cp), o + a->on);
    for (size_t q = 0; q < k; q++) a->h = (a->h ^ (unsigned char)o[a->on + q]) * 16777619u;
    a->on += k;
    return n;
}

/* Is the first letter of s[i, ...) (an ASCII letter comes before any other) upper case? */
static int first_ascii_up(const unsigned char *s, size_t i)
{
    while (s[i] - 65u >= 26u && s[i] - 97u >= 26u) i++; /* 'A', 'a' */
    return s[i] <= 'Z';
}

static int acc_class(const unsigned char *s, size_t start, const struct norm_acc *a)
{
    int first_up = a->first_up == -2 ? a->up == 1 && first_ascii_up(s, start) : a->first_up == 1;
    return class_of(a->up, a->lo, a->dig, a->nocase, first_up);
}

/* The case class of a word of ASCII letters and digits, as class_of gives it, from a table: whether
 * a word is lower, title or upper case is no pattern a branch predictor learns. */
static inline int word_class(const unsigned char *s, size_t start, struct norm_acc a)
{
    static const uint8_t cls[24] = {
        /* no digit, first letter lower: up 0/1/2+ without lower case, then with */
        TOK_PUNCT, TOK_TITLE, TOK_UPPER, TOK_LOWER, TOK_MIXED, TOK_MIXED,
        /* a digit */
        TOK_DIGIT, TOK_MIXED, TOK_MIXED, TOK_MIXED, TOK_MIXED, TOK_MIXED,
        /* the same, first letter upper */
        TOK_PUNCT, TOK_TITLE, TOK_UPPER, TOK_LOWER, TOK_TITLE, TOK_MIXED,
        TOK_DIGIT, TOK_MIXED, TOK_MIXED, TOK_MIXED, TOK_MIXED, TOK_MIXED};
    int first_up = a.first_up == -2 ? first_ascii_up(s, start) : a.first_up == 1;
    int up = (a.up != 0) + (a.up > 1);
    return cls[up + 3 * (a.lo != 0) + 6 * (a.dig != 0) + 12 * first_up];
}

/* Closing punctuation after a sentence end still belongs to that sentence (norms hold no NUL). */
static int closing(const char *o, size_t on)
{
    if (on == 1) return o[0] == ')' || o[0] == ']' || o[0] == '"' || o[0] == '\'';
    return (on == 3 && memcmp(o, "\xe2\x80\x9d", 3) == 0) || (on == 2 && memcmp(o, "\xc2\xbb", 2) == 0);
}

/* Appends the token s[start, end) whose norm (on bytes, hash h) is already at the pool's end. */
static inline int push(struct scan *sc, size_t start, size_t end, unsigned flags, size_t on, uint32_t h, int cls)
{
    tok_doc *d = sc->d;
    if (d->n == d->cap && grow_tokens(d)) return SQ_E_NOMEM;
    char *o = d->pool + d->pool_n;
    if (sc->new_sent || (sc->pending && !(cls == TOK_PUNCT && closing(o, on)))) {
        d->n_sent++;
        flags |= TOK_F_SENT_START;
        sc->new_sent = sc->pending = 0;
    }
    struct tok *t = &d->v[d->n++]; /* field by field: a compound literal went through the stack */
    t->start = (uint32_t)start;
    t->end = (uint32_t)end;
    t->sent = d->n_sent ? d->n_sent - 1 : 0;
    t->norm = (uint32_t)d->pool_n;
    t->hash = h;
    t->norm_len = (uint16_t)(on > 0xFFFF ? 0xFFFF : on);
    t->flags = (uint16_t)flags;
    t->field = (uint8_t)sc->field;
    t->cls = (uint8_t)cls;
    o[on] = '\0';
    t->first = (uint8_t)o[0];
    d->pool_n += on + 1;
    return 0;
}

/* Appends the token s[start, end) with its normal form, case class and sentence. */
static int emit(struct scan *sc, size_t start, size_t end, unsigned flags)
{
    char *o = sc->d->pool + sc->d->pool_n;
    struct norm_acc a = {0, 2166136261u, 0, 0, 0, 0, -1};
    for (size_t i = norm_ascii(sc->s, start, end, o, &a, 0); i < end; i = norm_ascii(sc->s, i, end, o, &a, 0))
        i += norm_cp(sc, i, o, &a, &flags);
    return push(sc, start, end, flags, a.on, a.h, acc_class(sc->s, start, &a));
}

/* Code point at i (folded), its category and byte length; i >= len reads as a space. */
static enum cat peek(const struct scan *sc, size_t i, uint32_t *cp, size_t *n)
{
    if (i >= sc->len) {
        *cp = ' ';
        *n = 0;
        return CAT_SPACE;
    }
    if (sc->s[i] < 0x80) {
        *cp = sc->s[i];
        *n = 1;
        return ascii(sc->s[i]);
    }
    *n = dec(sc->s, sc->len, i, cp);
    *cp = fold(*cp);
    return cat_of(*cp);
}

static int alnum_at(const struct scan *sc, size_t i)
{
    uint32_t cp;
    size_t n;
    enum cat c = peek(sc, i, &cp, &n);
    return c == CAT_ALPHA || c == CAT_DIGIT;
}

static int upper_at(const struct scan *sc, size_t i)
{
    return i < sc->len && sc->s[i] >= 'A' && sc->s[i] <= 'Z';
}

/* Does a word character sequence continue past the connector at i ("start-up", "O'Neill", "AT&T", "1,200.5")? */
static int joins(const struct scan *sc, size_t i, uint32_t cp, size_t n, int numeric, size_t wstart)
{
    if (cp == '-') return i > wstart && alnum_at(sc, i + n);
    if (cp == '\'') {
        if (!alnum_at(sc, i + n)) return 0;
        /* "Amazon's": the possessive is a token of its own */
        return !((sc->s[i + n] | 0x20) == 's' && !alnum_at(sc, i + n + 1));
    }
    if (cp == '&') return i > wstart && upper_at(sc, i - 1) && upper_at(sc, i + 1);
    if (!numeric || i + 1 >= sc->len || !(sc->s[i + 1] >= '0' && sc->s[i + 1] <= '9')) return 0;
    if (cp == '.') return 1;
    if (cp != ',') return 0;
    /* thousands: exactly three digits follow */
    for (size_t k = 1; k <= 3; k++)
        if (i + k >= sc->len || !(sc->s[i + k] >= '0' && sc->s[i + k] <= '9')) return 0;
    return !(i + 4 < sc->len && sc->s[i + 4] >= '0' && sc->s[i + 4] <= '9');
}

/* Is s[0, n) one of the lower-case words w (ASCII, any case)? */
static int in_list(const char *const *w, const unsigned char *s, size_t n)
{
    for (size_t k = 0; w[k]; k++) {
        /* a shorter word stops the loop at its NUL (s[j] | 0x20 is never 0): no strlen per word */
        size_t j = 0;
        while (j < n && (s[j] | 0x20) == w[k][j]) j++;
        if (j == n && !w[k][n]) return 1;
    }
    return 0;
}

/* Scale words split off a number ("10bn" -> "10" "bn"). */
static int is_scale(const unsigned char *s, size_t n)
{
    static const char *const w[] = {"k", "m", "mn", "mln", "b", "bn", "bln", "tn", "trn", "million",
                                    "billion", "trillion", "pct", NULL};
    return in_list(w, s, n);
}

/* Words whose period belongs to them ("Mr.", "Inc."): such a period never ends a sentence. */
static int is_abbrev(const unsigned char *s, size_t n)
{
    /* by length: a word before a period (every sentence end) meets only those of its own length */
    static const char *const w1[] = {"v", NULL};
    static const char *const w2[] = {"mr", "ms", "dr", "co", "jr", "sr", "st", "no", "vs", "mt", NULL};
    static const char *const w3[] = {"mrs", "inc", "ltd", "cos", "gov", "sen", "rep", "gen", "col",
                                     "jan", "feb", "aug", "oct", "nov", "dec", "plc", NULL};
    static const char *const w4[] = {"prof", "corp", "bros", "sept", "dept", NULL};
    static const char *const w6[] = {"approx", NULL};
    static const char *const *const by_len[] = {NULL, w1, w2, w3, w4, NULL, w6};
    if (n == 1 && s[0] >= 'A' && s[0] <= 'Z') return 1; /* an initial: "J. P. Morgan" */
    return n < sizeof by_len / sizeof *by_len && by_len[n] && in_list(by_len[n], s, n);
}

/* End of an initialism "U.S." / "U.K." starting with the letter at i, or 0. */
static size_t initialism(const struct scan *sc, size_t i)
{
    size_t j = i + 1;
    int letters = 1;
    while (j + 1 < sc->len && sc->s[j] == '.' && ((sc->s[j + 1] | 0x20) >= 'a' && (sc->s[j + 1] | 0x20) <= 'z') &&
           !alnum_at(sc, j + 2)) {
        j += 2;
        letters++;
    }
    if (letters < 2) return 0;
    return j < sc->len && sc->s[j] == '.' ? j + 1 : j;
}

/* "EUR1.7bn", "GBP500m", "EUR 17bn": a currency code written in capitals before a number, glued
 * or after one space (the amount reader's prefix codes); the code is a currency token, the number
 * and its scale follow as for "$10bn". sp: 1 to allow the space. */
static int currency_code(const struct scan *sc, size_t i, int sp)
{
    static const char *const w[] = {"usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "hkd", "cny", "rmb", NULL};
    size_t d = i + 3 + (sp && i + 3 < sc->len && sc->s[i + 3] == ' ');
    return d < sc->len && upper_at(sc, i) && upper_at(sc, i + 1) && upper_at(sc, i + 2) && sc->s[d] >= '0' &&
           sc->s[d] <= '9' && in_list(w, sc->s + i, 3);
}

/* The rest of a word whose ASCII letters and digits s[i, j) did not end it (a connector, a non-ASCII
 * character, a scale, a "$" or a period may follow): the general rules, byte by byte. */
static int word_rest(struct scan *sc, size_t i, size_t j, int letters, size_t *out)
{
    size_t first_alpha = 0;
    int numeric = !letters, hyphen = 0;
    if (letters)
        for (first_alpha = i; !(sc->s[first_alpha] - 65u < 26u || sc->s[first_alpha] - 97u < 26u);) first_alpha++;
    for (;;) {
        /* the common case: a run of ASCII letters and digits */
        while (j < sc->len && sc->s[j] < 0x80 && (ascii_cat[sc->s[j]] == '3' || ascii_cat[sc->s[j]] == '4')) {
            if (ascii_cat[sc->s[j]] == '3') {
                if (!letters++) first_alpha = j;
                numeric = 0;
            }
            j++;
        }
        uint32_t cp;
        size_t n;
        enum cat c = peek(sc, j, &cp, &n);
        if (!n) break;
        if (c == CAT_ALPHA) {
            if (!letters++) first_alpha = j;
            numeric = 0;
        } else if (c == CAT_DIGIT || c == CAT_ZW) {
        } else if (c == CAT_PUNCT && joins(sc, j, cp, n, numeric, i)) {
            hyphen |= cp == '-';
        } else
            break;
        j += n;
    }
    *out = j;
    /* "10bn": a number and its scale; "10-K", "8-K" (a filing's name: one letter after a hyphen) stay one word */
    if (letters && first_alpha > i && sc->s[i] >= '0' && sc->s[i] <= '9' && is_scale(sc->s + first_alpha, j - first_alpha) &&
        !(j - first_alpha == 1 && sc->s[first_alpha - 1] == '-')) {
        int rc = emit(sc, i, first_alpha, TOK_F_NUMBER);
        return rc ? rc : emit(sc, first_alpha, j, TOK_F_SCALE);
    }
    /* "US$", "HK$": a currency written with its country */
    if (j - i <= 2 && j < sc->len && sc->s[j] == '$' && upper_at(sc, i) && (j - i == 1 || upper_at(sc, i + 1))) {
        *out = j + 1;
        return emit(sc, i, j + 1, TOK_F_CURRENCY);
    }
    if (j < sc->len && sc->s[j] == '.' && !hyphen && is_abbrev(sc->s + i, j - i)) {
        *out = j + 1;
        return emit(sc, i, j + 1, TOK_F_ABBREV);
    }
    return emit(sc, i, j, (numeric ? TOK_F_NUMBER : 0) | (hyphen ? TOK_F_HYPHEN : 0));
}

/* Does the ASCII run of letters and digits s[i, j) end its word before s[j] with none of the general
 * rules to apply, other than a period of an abbreviation? True for most words: those followed by a
 * space, a newline or punctuation that joins nothing. */
static int plain_end(const struct scan *sc, size_t i, size_t j, int letters)
{
    if (letters && sc->s[i] - 48u < 10u) return 0; /* a number and its scale ("10bn") */
    if (j == sc->len) return 1;
    unsigned b = sc->s[j];
    if (b >= 0x80) return 0;
    enum cat c = ascii((unsigned char)b);
    if (c == CAT_SPACE || c == CAT_NL) return 1;
    if (c != CAT_PUNCT || b == '-' || b == '\'' || b == '&') return 0;
    return letters || (b != '.' && b != ','); /* a number may go on: "1,200.5" */
}

/* A word, number, initialism or abbreviation starting at i; returns its end. */
static int scan_word(struct scan *sc, size_t i, size_t *out)
{
    /* "U.S.": the period test first, as it rarely holds */
    if (i + 1 < sc->len && sc->s[i + 1] == '.' && sc->s[i] < 0x80 &&
        ((sc->s[i] | 0x20) >= 'a' && (sc->s[i] | 0x20) <= 'z') && (*out = initialism(sc, i)))
        return emit(sc, i, *out, TOK_F_ABBREV);
    /* the common word: its norm is written while its end is looked for */
    char *o = sc->d->pool + sc->d->pool_n;
    struct norm_acc a = {0, 2166136261u, 0, 0, 0, 0, -1};
    size_t j = word_ascii(sc->s, i, sc->len, o, &a);
    /* a currency code glued to a number ("EUR1.7bn"): capitals and a digit; or a word of
     * three capitals before a space and a number ("EUR 17bn") */
    if (a.up > 1 && (a.dig ? currency_code(sc, i, 0) : !a.lo && j == i + 3 && currency_code(sc, i, 1))) {
        *out = i + 3;
        return emit(sc, i, i + 3, TOK_F_CURRENCY);
    }
    int letters = a.up + a.lo;
    if (!plain_end(sc, i, j, letters)) return word_rest(sc, i, j, letters, out);
    int cls = word_class(sc->s, i, a);
    unsigned flags = letters ? 0 : TOK_F_NUMBER;
    if (j < sc->len && sc->s[j] == '.' && letters && is_abbrev(sc->s + i, j - i)) {
        o[a.on++] = '.';
        a.h = (a.h ^ '.') * 16777619u;
        *out = j + 1;
        return push(sc, i, j + 1, TOK_F_ABBREV, a.on, a.h, cls);
    }
    *out = j;
    return push(sc, i, j, flags, a.on, a.h, cls);
}

/* "$TSLA", "$BRK.B" at i (a '$'); end or 0. Money ("$5bn") is no cashtag. */
static size_t cashtag(const struct scan *sc, size_t i)
{
    size_t j = i + 1;
    while (j < sc->len && j - i <= 6 && upper_at(sc, j)) j++;
    if (j == i + 1 || j - i > 6) return 0;
    if (j + 1 < sc->len && sc->s[j] == '.' && upper_at(sc, j + 1)) {
        size_t k = j + 1;
        while (k < sc->len && k - j <= 2 && upper_at(sc, k)) k++;
        if (k - j <= 2 && !alnum_at(sc, k)) return k;
    }
    return alnum_at(sc, j) ? 0 : j;
}

/* "<ACME>", "<CAWL.L>" at i (a '<'); end or 0. */
static size_t ticker(const struct scan *sc, size_t i)
{
    size_t j = i + 1;
    while (j < sc->len && j - i <= 6 && upper_at(sc, j)) j++;
    if (j == i + 1 || j - i > 7) return 0;
    if (j < sc->len && sc->s[j] == '.') {
        size_t k = j + 1;
        while (k < sc->len && k - j <= 3 && upper_at(sc, k)) k++;
        if (k == j + 1 || k - j > 4) return 0;
        j = k;
    }
    return j < sc->len && sc->s[j] == '>' ? j + 1 : 0;
}

/* After a newline at i: a blank line or an indented line starts a paragraph. */
static int paragraph(const struct scan *sc, size_t i)
{
    return i < sc->len && (sc->s[i] == '\n' || sc->s[i] == ' ' || sc->s[i] == '\t' || sc->s[i] == '\r');
}

/* The token at i, or the space or newline there (no token); sets *end past what it read. */
static int scan_token(struct scan *sc, size_t i, size_t *end)
{
    uint32_t cp;
    size_t n, e;
    enum cat c = peek(sc, i, &cp, &n);
    int rc = 0;
    if (c == CAT_SPACE || c == CAT_ZW || c == CAT_NL) {
        if (c == CAT_NL && paragraph(sc, i + n)) sc->pending = 1;
    } else if (c == CAT_ALPHA || c == CAT_DIGIT) {
        rc = scan_word(sc, i, &e);
        n = e - i;
    } else if (cp == '\'' && i + n < sc->len && (sc->s[i + n] | 0x20) == 's' && !alnum_at(sc, i + n + 1)) {
        rc = emit(sc, i, i + n + 1, 0); /* the possessive "'s" */
        n++;
    } else if (cp == '$' && (e = cashtag(sc, i))) {
        rc = emit(sc, i, e, TOK_F_CASHTAG);
        n = e - i;
    } else if (cp == '<' && (e = ticker(sc, i))) {
        rc = emit(sc, i, e, TOK_F_TICKER);
        n = e - i;
    } else {
        rc = emit(sc, i, i + n, c == CAT_CUR ? TOK_F_CURRENCY : 0);
        if (cp == '.' || cp == '!' || cp == '?' || cp == 0x3002) {
            uint32_t nx;
            size_t nn;
            enum cat nc = peek(sc, i + n, &nx, &nn);
            if (nc == CAT_SPACE || nc == CAT_NL || nx == '"' || nx == '\'' || nx == ')' || nx == 0x201D)
                sc->pending = 1;
        }
    }
    *end = i + n;
    return rc;
}

static int scan_field(tok_doc *d, int field, const char *text, size_t len)
{
    struct scan sc = {d, (const unsigned char *)text, len, field, 1, 0};
    size_t i = 0;
    if (reserve_pool(d, len)) return SQ_E_NOMEM;
    while (i < len) {
        size_t e;
        int rc = scan_token(&sc, i, &e);
        if (rc) return rc;
        i = e;
        if (i < len && sc.s[i] == ' ') i++; /* most tokens are followed by one space: no dispatch for it */
    }
    return 0;
}

/* A field of capitals: most words of two letters or more are UPPER. */
static uint8_t all_caps(const tok_doc *d, size_t from, size_t to)
{
    size_t up = 0, words = 0;
    for (size_t k = from; k < to; k++) {
        const struct tok *t = &d->v[k];
        /* counted without a branch: words and punctuation alternate with no pattern */
        size_t word = (t->cls != TOK_PUNCT) & (t->cls != TOK_DIGIT) & (t->norm_len >= 2);
        words += word;
        up += word & (t->cls == TOK_UPPER);
    }
    return words >= 2 && up * 10 >= words * 8;
}

static void reset(tok_doc *d)
{
    d->n = d->pool_n = 0;
    d->n_sent = 0;
    memset(d->field_first, 0, sizeof d->field_first);
    d->caps[0] = d->caps[1] = 0;
    d->title[0] = d->title[1] = 0;
    d->lower[0] = d->lower[1] = 0;
}

/* Each sentence's bounds, once per article for every pack that scopes rules by sentence. */
static int sentences(tok_doc *d)
{
    if (d->n_sent + 1 > d->sent_cap) {
        size_t cap = d->n_sent + 1 > 2 * d->sent_cap ? d->n_sent + 1 : 2 * d->sent_cap;
        uint32_t *f = realloc(d->sent_first, cap * sizeof *f), *e;
        if (f) d->sent_first = f;
        if (!f || !(e = realloc(d->sent_end, cap * sizeof *e))) return SQ_E_NOMEM;
        d->sent_end = e;
        d->sent_cap = cap;
    }
    for (uint32_t k = 0; k < d->n; k++) {
        const struct tok *t = &d->v[k];
        if (t->flags & TOK_F_SENT_START || k == 0) d->sent_first[t->sent] = k;
        d->sent_end[t->sent] = k + 1;
    }
    return 0;
}

int tok_run(tok_doc *d, const char *const text[2], const size_t len[2])
{
    reset(d);
    for (int f = 0; f < 2; f++) {
        d->field_first[f] = d->n;
        int rc = text[f] ? scan_field(d, f, text[f], len[f]) : 0;
        if (rc) return rc;
        d->caps[f] = all_caps(d, d->field_first[f], d->n);
        d->title[f] = f == 0 && text[f] && !d->caps[f] && tok_title_headline(text[f], len[f]);
        d->lower[f] = text[f] && tok_lower_case(text[f], len[f]);
    }
    d->field_first[2] = d->n;
    return sentences(d);
}

/* 1-12 for a month's name or its abbreviation, else 0 */
static int month_of(const char *w)
{
    static const char *const names[] = {"january", "february", "march", "april", "may", "june", "july", "august",
                                        "september", "october", "november", "december"};
    static const char *const abbr[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    for (int m = 0; m < 12; m++)
        if (!strcmp(w, names[m]) || !strcmp(w, abbr[m]) || (m == 8 && !strcmp(w, "sept"))) return m + 1;
    return 0;
}

void tok_mark_years(tok_doc *d, int year, int month)
{
    for (size_t k = 0; k < d->n; k++) {
        struct tok *t = &d->v[k];
        const char *w = tok_norm(d, t);
        t->flags &= (uint16_t)~(TOK_F_PAST_YEAR | TOK_F_OLD_YEAR);
        if (t->norm_len != 4 || !(t->flags & TOK_F_NUMBER)) continue;
        int y = 0, i = 0;
        while (i < 4 && w[i] >= '0' && w[i] <= '9') y = y * 10 + (w[i++] - '0');
        if (i != 4 || y < 1900 || y >= year) continue;
        t->flags |= TOK_F_PAST_YEAR;
        int m = k > 0 && month >= 1 && month <= 12 ? month_of(tok_norm(d, &d->v[k - 1])) : 0;
        if (m ? (year - y) * 12 + (month - m) > TOK_OLD_MONTHS : y < year - 1) t->flags |= TOK_F_OLD_YEAR;
    }
}

int tok_run_text(tok_doc *d, const char *s, size_t len)
{
    const char *text[2] = {s, NULL};
    size_t l[2] = {len, 0};
    return tok_run(d, text, l);
}
