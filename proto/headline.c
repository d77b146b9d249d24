/* headline.c -- a headline's wire slugs and trailing outlet, a body's dateline: what the filters, novelty and speech read past. */
#include "headline.h"

#include <string.h>
#include <strings.h>

/* Wire services re-send and tag stories ("UPDATE 1-", "CORRECTED-UPDATE 2-", "EXCLUSIVE-", "US STOCKS-"):
 * the first SENT say how a story is sent, not what it reports; the rest name its genre (an analysis, a
 * column, a factbox), which the filters read as words ("Analysis: ..." is a view). */
static const char *const slugs[] = {
    "UPDATE", "EXCLUSIVE", "BREAKING", "RPT", "REFILE", "CORRECTED", "CORRECTION", "WRAPUP", "BRIEF", "URGENT",
    "FLASH", "ALERT", "HOT", "REUTERS", "US STOCKS", "GLOBAL MARKETS", "EMERGING MARKETS", "FOREX", "TREASURIES",
    /* genres */
    "FOCUS", "ANALYSIS", "INSIGHT", "FACTBOX", "TIMELINE", "BUZZ", "NEWSMAKER", "EXPLAINER", "DEALTALK", "COLUMN",
    "BREAKINGVIEWS", "PRESS DIGEST", "MEDIA", "PREVIEW", "SPECIAL REPORT", "GRAPHIC", "INTERVIEW", "FEATURE", "DIARY",
    "HIGHLIGHTS", NULL};
#define SENT 19

/* Outlets that feeds name after the headline. */
static const char *const outlets[] = {
    "Reuters", "Bloomberg", "Bloomberg News", "Bloomberg.com", "WSJ", "The Wall Street Journal",
    "Wall Street Journal", "Financial Times", "FT", "CNBC", "CNN", "CNN Business", "BBC", "BBC News", "AP",
    "AP News", "Associated Press", "AFP", "Axios", "TechCrunch", "The Verge", "Business Insider", "Fortune",
    "Forbes", "Barron's", "MarketWatch", "Yahoo Finance", "Nikkei Asia", "South China Morning Post", "SCMP",
    "The Information", "Seeking Alpha", "Benzinga", "The Motley Fool", "Motley Fool", "Investopedia", "Politico",
    "The Guardian", "The New York Times", "The Washington Post", "The Economist", "Semafor", "Investing.com",
    "Zacks", "Fox Business", "Sky News", "Caixin", "Yonhap", "The Economic Times", "Economic Times", "Mint",
    "Business Standard", NULL};

/* One slug at s[i]: its end past the separator and the spaces after it, or 0. */
static size_t slug_at(const char *s, size_t len, size_t i, unsigned flags)
{
    for (size_t k = 0; slugs[k] && !(flags & PROTO_SLUGS_SENT && k >= SENT); k++) {
        size_t n = strlen(slugs[k]), j = i + n;
        if (n > len - i || strncasecmp(s + i, slugs[k], n) != 0) continue;
        int caps = strncmp(s + i, slugs[k], n) == 0;
        if (j + 1 < len && s[j] == ' ' && s[j + 1] >= '0' && s[j + 1] <= '9') /* "UPDATE 2-" */
            for (j++; j < len && s[j] >= '0' && s[j] <= '9';) j++;
        while (j < len && s[j] == ' ') j++;
        if (j >= len || (s[j] != '-' && s[j] != ':' && s[j] != '|')) continue;
        /* in capitals, or in any case where asked; a sent slug also as a site's label ("Exclusive: ") */
        if (!caps && !(flags & PROTO_SLUGS_ANY_CASE) && !(flags & PROTO_SLUGS_SENT && s[j] == ':')) continue;
        for (j++; j < len && s[j] == ' ';) j++;
        return j;
    }
    return 0;
}

/* Bytes of a pictograph at s[i] -- an emoji (U+1F000-U+1FAFF), an arrow, symbol or dingbat (U+2190-U+2BFF:
 * "⚡", "✅"), a variation selector -- or 0. Posts open headlines with them ("🚨 BREAKING: ..."). */
static size_t pictograph_at(const unsigned char *s, size_t len, size_t i)
{
    if (i + 4 <= len && s[i] == 0xf0 && s[i + 1] == 0x9f && s[i + 2] >= 0x80 && s[i + 2] <= 0xab) return 4;
    if (i + 3 <= len && s[i] == 0xe2 && s[i + 1] >= 0x86 && s[i + 1] <= 0xaf) return 3;
    if (i + 3 <= len && s[i] == 0xef && s[i + 1] == 0xb8 && s[i + 2] == 0x8f) return 3;
    return 0;
}

size_t proto_headline_slugs(const char *s, size_t len, unsigned flags)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, end = 0, e;
    for (;;) { /* spaces, then a pictograph or a slug, as often as they come */
        while (i < len && s[i] == ' ') i++;
        if (i < len && (e = pictograph_at(u, len, i)) != 0) {
            for (i += e; i < len && s[i] == ' ';) i++;
            end = i;
        } else if (i < len && (e = slug_at(s, len, i, flags)) != 0) {
            i = end = e;
        } else {
            return end;
        }
    }
}

size_t proto_headline_outlet(const char *s, size_t len)
{
    static const char *const sep[] = {" - ", " | ", " \xe2\x80\x94 ", " \xe2\x80\x93 ", NULL}; /* - | em en */
    for (size_t k = 0; outlets[k]; k++) {
        size_t n = strlen(outlets[k]);
        if (n >= len || memcmp(s + len - n, outlets[k], n) != 0) continue;
        for (size_t q = 0; sep[q]; q++) {
            size_t m = strlen(sep[q]);
            if (n + m < len && memcmp(s + len - n - m, sep[q], m) == 0) return len - n - m;
        }
    }
    return len;
}

size_t proto_body_dateline(const char *s, size_t len)
{
    static const char *const agency[] = {"(Reuters)", "(Bloomberg)", "(AP)", "(AFP)", "(Dow Jones)", "(CNBC)", NULL};
    static const char *const dash[] = {"--", "-", "\xe2\x80\x94", "\xe2\x80\x93", NULL}; /* --, -, em, en */
    size_t lim = len < 80 ? len : 80;
    for (size_t i = 0; i < lim; i++) {
        if (s[i] == '.' && i + 1 < len && s[i + 1] == ' ') return 0; /* a sentence ended first: no dateline */
        if (s[i] != '(') continue;
        for (size_t k = 0; agency[k]; k++) {
            size_t n = strlen(agency[k]), j = i + n;
            if (j > len || memcmp(s + i, agency[k], n) != 0) continue;
            while (j < len && s[j] == ' ') j++;
            for (size_t q = 0; dash[q]; q++) {
                size_t m = strlen(dash[q]);
                if (j + m < len && memcmp(s + j, dash[q], m) == 0 && s[j + m] == ' ') {
                    for (j += m; j < len && s[j] == ' ';) j++;
                    return j;
                }
            }
        }
        return 0;
    }
    return 0;
}
