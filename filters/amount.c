/* amount.c -- money amounts in text ("$10bn", "500 mln dlrs", "EUR3bn", "HK$2bn") normalised to USD. */
#include "amount.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/error.h"

/* Fixed conversion rates to USD (approximate 2024-2025 averages). Alerts say
 * "how big", not "how much to the cent", so fixed rates keep scoring
 * reproducible; amounts[].text keeps the original wording. */
#define USD_PER_EUR 1.08
#define USD_PER_GBP 1.27
#define USD_PER_JPY 0.0067
#define USD_PER_CAD 0.73
#define USD_PER_AUD 0.66
#define USD_PER_CNY 0.14
#define USD_PER_CHF 1.13
#define USD_PER_HKD 0.128

typedef struct {
    const char *text;
    double rate;
} cur;

/* Prefix symbols, longest first, matched right before the number. */
static const cur prefixes[] = {
    {"US$", 1}, {"U.S.$", 1}, {"HK$", USD_PER_HKD}, {"USD", 1}, {"C$", USD_PER_CAD},
    {"A$", USD_PER_AUD}, {"CAD", USD_PER_CAD}, {"AUD", USD_PER_AUD}, {"EUR", USD_PER_EUR},
    {"GBP", USD_PER_GBP}, {"JPY", USD_PER_JPY}, {"CHF", USD_PER_CHF}, {"HKD", USD_PER_HKD},
    {"CNY", USD_PER_CNY}, {"RMB", USD_PER_CNY}, {"\xe2\x82\xac", USD_PER_EUR}, /* € */
    {"\xc2\xa3", USD_PER_GBP},                                           /* £ */
    {"\xc2\xa5", USD_PER_JPY},                                           /* ¥ */
    {"$", 1}, {NULL, 0}};

/* Suffix currency words after the number (and multiplier). */
static const cur suffixes[] = {
    {"U.S. dollars", 1}, {"US dollars", 1}, {"dollars", 1}, {"dollar", 1}, {"dlrs", 1},
    {"dlr", 1}, {"usd", 1}, {"euros", USD_PER_EUR}, {"euro", USD_PER_EUR},
    {"eur", USD_PER_EUR}, {"pounds sterling", USD_PER_GBP}, {"pounds", USD_PER_GBP},
    {"stg", USD_PER_GBP}, {"sterling", USD_PER_GBP}, {"yen", USD_PER_JPY},
    {"yuan", USD_PER_CNY}, {"Swiss francs", USD_PER_CHF}, {"Canadian dlrs", USD_PER_CAD},
    {"Australian dlrs", USD_PER_AUD}, {NULL, 0}};

typedef struct {
    const char *text;
    double mult;
} mul;

static const mul mults[] = {
    {"trillion", 1e12}, {"trln", 1e12}, {"tn", 1e12}, {"billion", 1e9}, {"bln", 1e9},
    {"bn", 1e9},        {"b", 1e9},     {"million", 1e6}, {"mln", 1e6}, {"mn", 1e6},
    {"mio", 1e6},       {"m", 1e6},     {"thousand", 1e3}, {"k", 1e3},  {NULL, 0}};

static int is_alnum_byte(unsigned char c) { return isalnum(c) || c >= 0x80; }

/* Word w (case-insensitive) at s[i], not followed by a letter. */
static size_t word_len_at(const char *s, size_t len, size_t i, const char *w)
{
    /* most numbers are followed by no unit: the first byte rejects them without a call */
    if (i >= len || tolower((unsigned char)s[i]) != tolower((unsigned char)w[0])) return 0;
    size_t n = strlen(w);
    if (i + n > len || strncasecmp(s + i, w, n) != 0) return 0;
    if (i + n < len && isalpha((unsigned char)s[i + n])) return 0;
    return n;
}

static size_t skip_space(const char *s, size_t len, size_t i, size_t max)
{
    size_t j = i;
    while (j < len && j - i < max && (s[j] == ' ' || s[j] == '\t' || s[j] == '-')) j++;
    return j;
}

/* The multiplier after a number ending at num_end ("10 bn", "500 million"): where it ends, and its
 * factor in *m; 0 when none. A single letter counts only glued to the number ("$10B"). */
static size_t mult_at(const char *s, size_t len, size_t num_end, double *m)
{
    size_t q = skip_space(s, len, num_end, 2);
    for (size_t k = 0; mults[k].text; k++) {
        size_t n = word_len_at(s, len, q, mults[k].text);
        if (n && (strlen(mults[k].text) > 1 || q == num_end)) {
            *m = mults[k].mult;
            return q + n;
        }
    }
    return 0;
}

size_t filter_amount_scale_end(const char *s, size_t len, size_t num_end)
{
    double m;
    return mult_at(s, len, num_end, &m);
}

/* "a share", "per share", "/share", "per ADS": the amount is a price per
 * unit, not the size of a deal. */
static int per_unit_after(const char *s, size_t len, size_t end)
{
    static const char *units[] = {"a share", "per share", "/share", "a common share",
                                  "per common share", "a diluted share", "per diluted share",
                                  "per ADS", "an ADS", "per ADR", "an ADR", "a unit", "per unit",
                                  NULL};
    size_t r = end;
    while (r < len && s[r] == ' ') r++;
    for (size_t k = 0; units[k]; k++)
        if (word_len_at(s, len, r, units[k])) return 1;
    return 0;
}

/* "shares closed at $45", "stock rose to $12": a share price named by the
 * sentence before it. */
static int share_price_before(const char *s, size_t start)
{
    size_t p = start;
    while (p > 0 && s[p - 1] == ' ') p--;
    size_t w = p;
    while (w > 0 && isalpha((unsigned char)s[w - 1])) w--;
    if (!((p - w == 2 && (strncasecmp(s + w, "at", 2) == 0 || strncasecmp(s + w, "to", 2) == 0)) ||
          (p - w == 4 && strncasecmp(s + w, "from", 4) == 0)))
        return 0;
    size_t from = w > 48 ? w - 48 : 0;
    for (size_t i = from; i + 5 <= w; i++)
        if (strncasecmp(s + i, "share", 5) == 0 || strncasecmp(s + i, "stock", 5) == 0) return 1;
    return 0;
}

/* 1 when a currency code of the prefix table ends right at s[i], as a word
 * of its own: "EUR1.7bn", "GBP500m", "CAD2bn" write the code glued to the
 * number, so the letter before the digit does not make it part of a word. */
static int code_before(const char *s, size_t i)
{
    for (size_t k = 0; prefixes[k].text; k++) {
        size_t n = strlen(prefixes[k].text);
        if (!isupper((unsigned char)prefixes[k].text[n - 1]) || i < n) continue;
        if (memcmp(s + i - n, prefixes[k].text, n) == 0 && (i == n || !isalpha((unsigned char)s[i - n - 1])))
            return 1;
    }
    return 0;
}

static int push(filter_amounts *out, double usd, uint32_t field, size_t start, size_t end)
{
    if (out->n >= FILTER_AMOUNT_MAX) return 0;
    if (out->n == out->cap) {
        size_t nc = out->cap ? out->cap * 2 : 8;
        struct squawk_amount *v = realloc(out->v, nc * sizeof *v);
        if (!v) return SQ_E_NOMEM;
        out->v = v;
        out->cap = nc;
    }
    out->v[out->n++] = (struct squawk_amount){usd, field, (uint32_t)start, (uint32_t)end};
    return 0;
}

int filter_amount_extract(const char *s, size_t len, uint32_t field, filter_amounts *out)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (!isdigit(c) || (i > 0 && (is_alnum_byte((unsigned char)s[i - 1]) && s[i - 1] != '$' &&
                                      !code_before(s, i) && (unsigned char)s[i - 1] < 0x80))) {
            i++;
            continue;
        }
        /* number: digits with thousands commas, optional decimals */
        size_t j = i;
        double v = 0;
        while (j < len && (isdigit((unsigned char)s[j]) ||
                           (s[j] == ',' && j + 3 < len + 0 && isdigit((unsigned char)s[j + 1]) &&
                            isdigit((unsigned char)s[j + 2]) && isdigit((unsigned char)s[j + 3]) &&
                            (j + 4 >= len || !isdigit((unsigned char)s[j + 4]))))) {
            if (s[j] != ',') v = v * 10 + (s[j] - '0');
            j++;
        }
        if (j < len - 1 && s[j] == '.' && isdigit((unsigned char)s[j + 1])) {
            double scale = 0.1;
            j++;
            while (j < len && isdigit((unsigned char)s[j])) {
                v += (s[j] - '0') * scale;
                scale /= 10;
                j++;
            }
        }
        size_t num_end = j;
        /* currency before the number */
        double rate = 0;
        size_t start = i;
        size_t p = i;
        while (p > 0 && s[p - 1] == ' ' && i - p < 1) p--;
        for (size_t k = 0; prefixes[k].text; k++) {
            size_t n = strlen(prefixes[k].text);
            if (p >= n && memcmp(s + p - n, prefixes[k].text, n) == 0 &&
                (p - n == 0 || !isalpha((unsigned char)s[p - n - 1]) || prefixes[k].text[0] == '$')) {
                rate = prefixes[k].rate;
                start = p - n;
                break;
            }
        }
        double m = 1;
        size_t end = mult_at(s, len, num_end, &m);
        if (!end) end = num_end;
        /* currency after */
        if (rate == 0) {
            size_t r = skip_space(s, len, end, 2);
            for (size_t k = 0; suffixes[k].text; k++) {
                size_t n = word_len_at(s, len, r, suffixes[k].text);
                if (n) {
                    rate = suffixes[k].rate;
                    end = r + n;
                    break;
                }
            }
        }
        /* A bare amount with cents ("$96.50") is a price: deals are not
         * announced to the cent. */
        int price = m == 1 && (per_unit_after(s, len, end) || share_price_before(s, start) ||
                               (num_end > i && memchr(s + i, '.', num_end - i) && v < 1e5));
        if (rate > 0 && v > 0 && !price) {
            int rc = push(out, v * m * rate, field, start, end);
            if (rc) return rc;
        }
        i = end > j ? end : j;
    }
    return 0;
}

void filter_amounts_free(filter_amounts *a)
{
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}
