/* say_text.c -- what squawk say speaks: kind, stage, parties by name, money in words, the cleaned headline. */
#include "say_text.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/error.h"
#include "../proto/headline.h"

/* A bounded writer: appends never overflow, a full buffer just stops growing. */
typedef struct tbuf {
    char *p;
    size_t len, cap;
} tbuf;

static void tb_put(tbuf *b, const char *s, size_t n)
{
    if (b->len + 1 >= b->cap) return;
    if (n > b->cap - 1 - b->len) n = b->cap - 1 - b->len;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void tb_str(tbuf *b, const char *s) { tb_put(b, s, strlen(s)); }

static void tb_fmt(tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_fmt(tbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) tb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static int tb_init(tbuf *b, char *out, size_t outlen)
{
    if (!out || outlen == 0) return SQ_E_INVAL;
    *b = (tbuf){out, 0, outlen};
    out[0] = '\0';
    return 0;
}

/* ---- numbers */

static const char *const ones[] = {"zero",    "one",     "two",       "three",    "four",
                                   "five",    "six",     "seven",     "eight",    "nine",
                                   "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                   "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const tens[] = {"", "", "twenty", "thirty", "forty",
                                   "fifty", "sixty", "seventy", "eighty", "ninety"};

static void words_below_1000(tbuf *b, unsigned n)
{
    if (n >= 100) {
        tb_fmt(b, "%s hundred", ones[n / 100]);
        n %= 100;
        if (n) tb_str(b, " ");
        else return;
    }
    if (n < 20) tb_str(b, ones[n]);
    else if (n % 10) tb_fmt(b, "%s-%s", tens[n / 10], ones[n % 10]);
    else tb_str(b, tens[n / 10]);
}

static void words_int(tbuf *b, unsigned long long n)
{
    static const struct {
        unsigned long long v;
        const char *name;
    } groups[] = {{1000000000000ULL, "trillion"}, {1000000000ULL, "billion"},
                  {1000000ULL, "million"},        {1000ULL, "thousand"}};
    if (n == 0) {
        tb_str(b, "zero");
        return;
    }
    int first = 1;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        if (n < groups[i].v) continue;
        unsigned long long g = n / groups[i].v;
        if (!first) tb_str(b, " ");
        if (g >= 1000) words_int(b, g); /* beyond trillions: "one thousand trillion" */
        else words_below_1000(b, (unsigned)g);
        tb_fmt(b, " %s", groups[i].name);
        n %= groups[i].v;
        first = 0;
    }
    if (n) {
        if (!first) tb_str(b, " ");
        words_below_1000(b, (unsigned)n);
    }
}

/* Digits after the point are read one by one: "two point four", "one point zero five". */
static void words_digits(tbuf *b, const char *digits, size_t n)
{
    tb_str(b, " point");
    for (size_t i = 0; i < n; i++) tb_fmt(b, " %s", ones[digits[i] - '0']);
}

int say_text_number(double v, int decimals, char *out, size_t outlen)
{
    tbuf b;
    if (tb_init(&b, out, outlen) != 0) return SQ_E_INVAL;
    if (!isfinite(v) || v < 0 || v >= 1e15 || decimals < 0 || decimals > 6) return SQ_E_INVAL;
    char s[64];
    snprintf(s, sizeof s, "%.*f", decimals, v);
    char *dot = strchr(s, '.');
    words_int(&b, strtoull(s, NULL, 10));
    if (dot) {
        size_t n = strlen(dot + 1);
        while (n > 0 && dot[n] == '0') n--; /* "2.40" reads "two point four" */
        if (n) words_digits(&b, dot + 1, n);
    }
    return (int)b.len;
}

/* ---- money as written */

typedef struct money_unit {
    const char *text, *one, *many;
} money_unit;

static const money_unit prefixes[] = {
    {"US$", "dollar", "dollars"}, {"C$", "Canadian dollar", "Canadian dollars"},
    {"A$", "Australian dollar", "Australian dollars"}, {"$", "dollar", "dollars"},
    {"\xe2\x82\xac", "euro", "euros"}, {"\xc2\xa3", "pound", "pounds"}, {"\xc2\xa5", "yen", "yen"},
};
static const money_unit suffixes[] = {
    {"dollars", "dollar", "dollars"}, {"dollar", "dollar", "dollars"}, {"euros", "euro", "euros"},
    {"euro", "euro", "euros"},        {"pounds", "pound", "pounds"},   {"pound", "pound", "pounds"},
    {"yen", "yen", "yen"},            {"yuan", "yuan", "yuan"},
};
static const struct {
    const char *text, *word;
} scales[] = {
    {"trillion", "trillion"}, {"billion", "billion"}, {"million", "million"}, {"thousand", "thousand"},
    {"tn", "trillion"},       {"bln", "billion"},     {"bn", "billion"},      {"mln", "million"},
    {"mn", "million"},        {"m", "million"},       {"k", "thousand"},
};

/* Length of a word at s equal to w (case-insensitive), ending at a non-letter; 0 otherwise. */
static size_t word_at(const char *s, const char *w)
{
    size_t n = strlen(w);
    if (strncasecmp(s, w, n) != 0 || isalpha((unsigned char)s[n])) return 0;
    return n;
}

typedef struct number {
    const char *int_start; /* digits, maybe with thousands commas */
    size_t int_len;
    const char *dec;
    size_t dec_len;
} number;

static size_t parse_number(const char *s, number *n)
{
    const char *p = s;
    if (!isdigit((unsigned char)*p)) return 0;
    n->int_start = p;
    while (isdigit((unsigned char)*p) || (*p == ',' && isdigit((unsigned char)p[1]))) p++;
    n->int_len = (size_t)(p - s);
    n->dec = NULL;
    n->dec_len = 0;
    if (*p == '.' && isdigit((unsigned char)p[1])) {
        n->dec = ++p;
        while (isdigit((unsigned char)*p)) p++;
        n->dec_len = (size_t)(p - n->dec);
    }
    return (size_t)(p - s);
}

static void words_number(tbuf *b, const number *n)
{
    char digits[32];
    size_t k = 0;
    for (size_t i = 0; i < n->int_len && k < sizeof digits - 1; i++)
        if (n->int_start[i] != ',') digits[k++] = n->int_start[i];
    digits[k] = '\0';
    if (k > 15) { /* a number too long to read in words is read as written */
        tb_str(b, digits);
        return;
    }
    words_int(b, strtoull(digits, NULL, 10));
    size_t d = n->dec_len;
    while (d > 0 && n->dec[d - 1] == '0') d--;
    if (d) words_digits(b, n->dec, d > 6 ? 6 : d);
}

static int number_is_one(const number *n)
{
    return n->int_len == 1 && n->int_start[0] == '1' && n->dec_len == 0;
}

/* "$96.50": dollars and cents, the way a person reads a price. */
static void words_cents(tbuf *b, const number *n, const money_unit *u)
{
    number whole = *n;
    whole.dec = NULL;
    whole.dec_len = 0;
    words_number(b, &whole);
    tb_fmt(b, " %s", number_is_one(&whole) ? u->one : u->many);
    if (n->dec_len == 2 && strncmp(n->dec, "00", 2) != 0 && strcmp(u->one, "dollar") == 0) {
        number cents = {n->dec[0] == '0' ? n->dec + 1 : n->dec, n->dec[0] == '0' ? 1 : 2, NULL, 0};
        tb_str(b, " and ");
        words_number(b, &cents);
        tb_str(b, number_is_one(&cents) ? " cent" : " cents");
    }
}

size_t say_text_money(const char *s, char *out, size_t outlen)
{
    tbuf b;
    if (!s || tb_init(&b, out, outlen) != 0) return 0;
    const char *p = s;
    const money_unit *unit = NULL;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0] && !unit; i++)
        if (strncmp(p, prefixes[i].text, strlen(prefixes[i].text)) == 0) {
            unit = &prefixes[i];
            p += strlen(prefixes[i].text);
        }
    number lo, hi;
    size_t n = parse_number(p, &lo);
    if (n == 0) return 0;
    p += n;
    int range = 0;
    /* "$6-8 billion", "$6 to 8 billion": one scale and currency for both ends. */
    const char *q = p;
    if (*q == '-') q++;
    else if (strncmp(q, " to ", 4) == 0) q += 4;
    if (q != p) {
        if (unit && strncmp(q, unit->text, strlen(unit->text)) == 0) q += strlen(unit->text);
        if ((n = parse_number(q, &hi)) > 0) {
            p = q + n;
            range = 1;
        }
    }
    const char *scale = NULL;
    const char *sp = p + (*p == ' ');
    for (size_t i = 0; i < sizeof scales / sizeof scales[0] && !scale; i++) {
        size_t w = word_at(sp, scales[i].text);
        /* One-letter scales only when attached ("$5m"), or "m" would eat a word in prose. */
        if (w && (sp == p || strlen(scales[i].text) > 1)) {
            scale = scales[i].word;
            p = sp + w;
        }
    }
    if (!unit) {
        const char *up = p + (*p == ' ');
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0] && !unit; i++) {
            size_t w = word_at(up, suffixes[i].text);
            if (w) {
                unit = &suffixes[i];
                p = up + w;
            }
        }
        if (!unit) return 0;
    }
    if (!scale && !range && lo.dec_len) {
        words_cents(&b, &lo, unit);
        return (size_t)(p - s);
    }
    words_number(&b, &lo);
    if (range) {
        tb_str(&b, " to ");
        words_number(&b, &hi);
    }
    if (scale) tb_fmt(&b, " %s", scale);
    tb_fmt(&b, " %s", (!scale && !range && number_is_one(&lo)) ? unit->one : unit->many);
    return (size_t)(p - s);
}

/* The fallback when the written form is unreadable: 1.188e9 -> "one point two billion dollars". */
static void words_usd(tbuf *b, double usd)
{
    static const struct {
        double v;
        const char *name;
    } sc[] = {{1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}};
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++)
        if (usd >= sc[i].v) {
            double x = usd / sc[i].v;
            char w[128];
            say_text_number(x < 10 ? round(x * 10) / 10 : round(x), x < 10 ? 1 : 0, w, sizeof w);
            tb_fmt(b, "%s %s dollars", w, sc[i].name);
            return;
        }
    char w[128];
    say_text_number(round(usd), 0, w, sizeof w);
    tb_fmt(b, "%s dollars", w);
}

/* ---- headline */

/* "(NVDA.O)", "(NASDAQ: NVDA)", "(Nasdaq:NVDA, NYSE:ORCL)", "(6525.T)": a symbol list, not words. */
static size_t ticker_paren(const char *s)
{
    const char *close = strchr(s, ')');
    if (!close || close - s > 48) return 0;
    int upper = 0;
    for (const char *p = s + 1; p < close; p++) {
        const char *colon = NULL;
        if (isalpha((unsigned char)*p) && (p == s + 1 || !isalnum((unsigned char)p[-1]))) {
            const char *w = p; /* an exchange name may be mixed case when a colon follows */
            while (isalpha((unsigned char)*w)) w++;
            if (*w == ':') colon = w;
        }
        if (colon) {
            p = colon;
            continue;
        }
        if (islower((unsigned char)*p)) return 0;
        if (isupper((unsigned char)*p) || isdigit((unsigned char)*p)) upper = 1;
        else if (!strchr(" .,:;/-^", *p)) return 0;
    }
    return upper ? (size_t)(close - s + 1) : 0;
}

static size_t url_at(const char *s)
{
    if (strncasecmp(s, "http://", 7) && strncasecmp(s, "https://", 8) && strncasecmp(s, "www.", 4))
        return 0;
    size_t n = 0;
    while (s[n] && !isspace((unsigned char)s[n])) n++;
    return n;
}

/* Drops doubled spaces and spaces before punctuation, and ensures a final stop. */
static void tidy(tbuf *b)
{
    char *p = b->p;
    size_t w = 0;
    for (size_t r = 0; r < b->len; r++) {
        char c = p[r];
        if (isspace((unsigned char)c)) c = ' ';
        else if ((unsigned char)c < 0x20 || c == 0x7f) continue; /* no terminal escapes on --text */
        if (c == ' ' && (w == 0 || p[w - 1] == ' ')) continue;
        if (strchr(",.;:!?", c) && w > 0 && p[w - 1] == ' ') w--;
        p[w++] = c;
    }
    while (w > 0 && (p[w - 1] == ' ' || p[w - 1] == '-' || p[w - 1] == ',' || p[w - 1] == ':'))
        w--;
    p[w] = '\0';
    b->len = w;
    if (w > 0 && !strchr(".!?", p[w - 1])) tb_str(b, ".");
}

int say_text_headline(const char *h, char *out, size_t outlen)
{
    tbuf b;
    if (tb_init(&b, out, outlen) != 0) return SQ_E_INVAL;
    if (!h) return 0;
    size_t n;
    while (isspace((unsigned char)*h)) h++;
    h += proto_headline_slugs(h, strlen(h), PROTO_SLUGS_ANY_CASE); /* "UPDATE 2-", "EXCLUSIVE: " */
    for (const char *p = h; *p;) {
        int start = p == h || !isalnum((unsigned char)p[-1]);
        char money[160];
        if (start && (n = url_at(p)) > 0) {
            p += n;
        } else if (*p == '(' && (n = ticker_paren(p)) > 0) {
            p += n;
        } else if (start && (n = say_text_money(p, money, sizeof money)) > 0) {
            tb_str(&b, money);
            p += n;
        } else if (*p == '$' && isalpha((unsigned char)p[1])) {
            p++; /* "$TSLA": the symbol without "dollar" */
        } else {
            tb_put(&b, p++, 1);
        }
    }
    tidy(&b);
    return (int)b.len;
}

/* ---- names */

static const char *const corp_suffixes[] = {
    "inc", "corp", "corporation", "co", "ltd", "limited", "plc", "llc", "lp", "sa",
    "ag", "nv", "se", "holdings", "holding", "incorporated", "spa", "bv", "kk", "ab", "asa",
};

/* The token equals a suffix once dots and a trailing comma are ignored ("S.A.", "Inc.,"). */
static int is_corp_suffix(const char *tok, size_t n)
{
    char t[16];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof t - 1; i++)
        if (tok[i] != '.' && tok[i] != ',') t[k++] = (char)tolower((unsigned char)tok[i]);
    t[k] = '\0';
    for (size_t i = 0; i < sizeof corp_suffixes / sizeof corp_suffixes[0]; i++)
        if (strcmp(t, corp_suffixes[i]) == 0) return 1;
    return 0;
}

int say_text_name(const char *name, char *out, size_t outlen)
{
    tbuf b;
    if (tb_init(&b, out, outlen) != 0) return SQ_E_INVAL;
    if (!name) return 0;
    tb_str(&b, name);
    for (;;) { /* "Samsung Electronics Co. Ltd." loses both */
        while (b.len > 0 && (b.p[b.len - 1] == ' ' || b.p[b.len - 1] == ',')) b.p[--b.len] = '\0';
        char *sp = strrchr(b.p, ' ');
        if (!sp || !is_corp_suffix(sp + 1, strlen(sp + 1))) break;
        *sp = '\0';
        b.len = (size_t)(sp - b.p);
    }
    if (b.len > 4 && strcasecmp(b.p + b.len - 4, ".com") == 0) b.p[b.len -= 4] = '\0';
    char *bros = strstr(b.p, "Bros.");
    if (bros) { /* "Warner Bros." is said "Brothers" */
        char rest[SAY_TEXT_MAX];
        snprintf(rest, sizeof rest, "%s", bros + 5);
        b.len = (size_t)(bros - b.p);
        b.p[b.len] = '\0';
        tb_str(&b, "Brothers");
        tb_str(&b, rest);
    }
    return (int)b.len;
}

/* ---- the line */

static const char *kind_name(const char *category, char *buf, size_t len)
{
    if (!category || !*category) return "Alert";
    if (strcmp(category, "invest") == 0) return "Investment";
    if (strcmp(category, "chips") == 0) return "Chips deal";
    if (strcmp(category, "regulatory") == 0) return "Regulatory";
    snprintf(buf, len, "%s", category); /* a plugin's own category, capitalised */
    buf[0] = (char)toupper((unsigned char)buf[0]);
    return buf;
}

/* Who acts is said before who is acted on: investor, supplier, regulator first. */
static int role_rank(const char *role)
{
    if (!role) return 2;
    if (!strcmp(role, "investor") || !strcmp(role, "supplier") || !strcmp(role, "regulator"))
        return 0;
    if (!strcmp(role, "target") || !strcmp(role, "seller") || !strcmp(role, "customer") || !strcmp(role, "subject")) return 1;
    return 2;
}

#define SAY_PARTIES 3
#define SAY_PARTY_RELEVANCE 50.0 /* below this an entity is "also named", not a party */

static size_t pick_parties(const proto_alert *a, const proto_entity **out)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_entities; i++) {
        const proto_entity *e = &a->entities[i];
        if (!e->name || !*e->name || e->relevance < SAY_PARTY_RELEVANCE) continue;
        size_t k = n < SAY_PARTIES ? n++ : SAY_PARTIES; /* insertion by relevance, keep 3 */
        if (k == SAY_PARTIES && e->relevance <= out[k - 1]->relevance) continue;
        if (k == SAY_PARTIES) k--;
        while (k > 0 && out[k - 1]->relevance < e->relevance) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = e;
    }
    for (size_t i = 1; i < n; i++) /* stable by role, relevance order kept within a role */
        for (size_t j = i; j > 0 && role_rank(out[j - 1]->role) > role_rank(out[j]->role); j--) {
            const proto_entity *t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

/* The amount the headline names, else the first of a million or more; NULL when none. */
static const proto_amount *pick_amount(const proto_alert *a)
{
    const char *h = a->article.headline ? a->article.headline : "";
    for (size_t i = 0; i < a->n_amounts; i++)
        if (a->amounts[i].text && *a->amounts[i].text && strstr(h, a->amounts[i].text))
            return &a->amounts[i];
    for (size_t i = 0; i < a->n_amounts; i++)
        if (a->amounts[i].usd >= 1e6) return &a->amounts[i];
    return NULL;
}

static void say_amount(tbuf *b, const proto_amount *m)
{
    char w[256];
    size_t n = m->text ? say_text_money(m->text, w, sizeof w) : 0;
    if (n > 0 && n == strlen(m->text)) tb_str(b, w);
    else if (isfinite(m->usd) && m->usd > 0) words_usd(b, m->usd);
}

int say_text_line(const proto_alert *a, char *out, size_t outlen)
{
    tbuf b;
    if (tb_init(&b, out, outlen) != 0 || !a) return SQ_E_INVAL;
    char kind[64];
    tb_str(&b, kind_name(a->category, kind, sizeof kind));
    if (a->stage && *a->stage && strcmp(a->stage, "none") != 0) tb_fmt(&b, ", %s", a->stage);
    const proto_entity *parties[SAY_PARTIES];
    size_t np = pick_parties(a, parties);
    const proto_amount *m = pick_amount(a);
    char names[SAY_PARTIES][256];
    size_t said = 0;
    for (size_t i = 0; i < np; i++) {
        say_text_name(parties[i]->name, names[said], sizeof names[0]);
        int dup = names[said][0] == '\0';
        for (size_t k = 0; k < said && !dup; k++) dup = strcasecmp(names[k], names[said]) == 0;
        if (dup) continue;
        tb_str(&b, said == 0 ? ": " : ", ");
        tb_str(&b, names[said++]);
    }
    if (m) {
        tb_str(&b, said == 0 ? ": " : ", ");
        say_amount(&b, m);
    }
    tb_str(&b, ". ");
    char head[SAY_TEXT_MAX];
    say_text_headline(a->article.headline, head, sizeof head);
    tb_str(&b, head);
    tidy(&b);
    return (int)b.len;
}

int say_text_more(const char *category, unsigned n, char *out, size_t outlen)
{
    tbuf b;
    if (tb_init(&b, out, outlen) != 0) return SQ_E_INVAL;
    char w[128];
    say_text_number(n, 0, w, sizeof w);
    tb_fmt(&b, "and %s more on %s", w, category && *category ? category : "the wire");
    return (int)b.len;
}
