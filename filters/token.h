/* token.h -- the article tokeniser of detection engine v2: words, numbers, punctuation, sentences, once per article. */
#ifndef FILTER_TOKEN_H
#define FILTER_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include "../core/visibility.h"

/* Case class of a token, from its letters and digits. */
enum tok_case {
    TOK_LOWER, /* "acquires" */
    TOK_TITLE, /* "Nvidia", "A" */
    TOK_UPPER, /* "IBM", "U.S." */
    TOK_MIXED, /* "iPhone", "H100", "2nd" */
    TOK_DIGIT, /* "10", "1,200.5" */
    TOK_PUNCT, /* ".", "$", "-", "'s" */
    TOK_OTHER  /* letters without case (CJK, ...) */
};

/* Token flags. */
enum {
    TOK_F_NUMBER = 1 << 0,   /* digits, optional , and . between digits */
    TOK_F_CURRENCY = 1 << 1, /* "$", "€", "£", "¥", "US$", "HK$" */
    TOK_F_ABBREV = 1 << 2,   /* "U.S.", "Mr.", "Inc.": the period is part of the token */
    TOK_F_CASHTAG = 1 << 3,  /* "$TSLA", "$BRK.B" */
    TOK_F_TICKER = 1 << 4,   /* "<ACME>", "<CAWL.L>" (Reuters tags) */
    TOK_F_HYPHEN = 1 << 5,   /* "start-up", "co-led" */
    TOK_F_SENT_START = 1 << 6, /* first token of its sentence */
    TOK_F_SCALE = 1 << 7,    /* "bn" of "10bn": split off a number */
    TOK_F_FOLDED = 1 << 8,   /* fullwidth letters or zero-width characters were folded away */
    TOK_F_PAST_YEAR = 1 << 9, /* a year before the article's own ("2019" in a 2025 article): tok_mark_years */
    TOK_F_OLD_YEAR = 1 << 10  /* two or more before it ("2023" in a 2025 article), or after a month more than half a
                               * year back ("July 2024" in March 2025; "December 2024" may be last month) */
};

struct tok {
    uint32_t start, end; /* bytes of the field's text */
    uint32_t sent;       /* sentence index in the article (headline sentences first) */
    uint32_t norm;       /* offset of the lower-cased, folded form in tok_doc.pool (NUL-terminated) */
    uint32_t hash;       /* FNV-1a of the norm: the lexicon lookup key */
    uint16_t norm_len;
    uint16_t flags;
    uint8_t field;       /* 0 headline, 1 body */
    uint8_t cls;         /* enum tok_case */
    uint8_t first;       /* the norm's first byte (0: empty): per-token tests read it without the pool */
};

/* The tokens of one article; reused across articles (tok_run resets it). */
typedef struct tok_doc {
    struct tok *v;
    size_t n, cap;
    char *pool;
    size_t pool_n, pool_cap;
    uint32_t n_sent;
    uint32_t *sent_first, *sent_end; /* per sentence: its first token and one past its last */
    size_t sent_cap;
    size_t field_first[3]; /* token index where each field starts; [2] = n */
    uint8_t caps[2];       /* the field is written in capitals (Reuters headlines) */
    uint8_t title[2];      /* the field is a headline in Title Case (tok_title_headline; never a body) */
    uint8_t lower[2];      /* the field has no capital at all (tok_lower_case) */
} tok_doc;

SQ_API void tok_doc_init(tok_doc *d);
SQ_API void tok_doc_free(tok_doc *d);
/* Tokenises headline (text[0]) and body (text[1]); 0 or SQ_E_NOMEM. */
SQ_API int tok_run(tok_doc *d, const char *const text[2], const size_t len[2]);
/* Marks the year numbers (four digits from 1900) that lie before the article's year (TOK_F_PAST_YEAR) and
 * old ones (TOK_F_OLD_YEAR): two years or more back, or after a month name more than TOK_OLD_MONTHS months
 * before the article's month (1-12; 0: unknown, the year decides). A rule reads "in 2019" as an earlier
 * event by the article's date, not by the year the rule was written. */
#define TOK_OLD_MONTHS 6
SQ_API void tok_mark_years(tok_doc *d, int year, int month);
/* One piece of text as field 0, for lexicon entries and literals. */
SQ_API int tok_run_text(tok_doc *d, const char *s, size_t len);
SQ_API uint32_t tok_hash(const char *s, size_t len);
/* Text written in capitals: at least 8 ASCII letters, and upper-case letters at least num/den of
 * them (the gazetteer matches such a field caselessly at 7/10; detect's wire_lead wants 10/11). */
SQ_API int tok_shouting(const char *s, size_t n, unsigned num, unsigned den);
/* Title Case text: at least 3 words of 4 or more letters, at least 8 in 10 of them with a capital
 * (its first 512 bytes); there capitals do not mark names. */
SQ_API int tok_title_case(const char *s, size_t n);
/* A headline in Title Case: three or more capitalised words and none in lower case that Title Case would
 * capitalise (articles, conjunctions, short prepositions, a hyphenated word's parts, scales and links may stay
 * lower; "buy" of "Silver Lake and Saudi Arabia's PIF buy Electronic Arts" makes that a sentence dense in names). */
SQ_API int tok_title_headline(const char *s, size_t n);
/* Text typed without capitals: 12 ASCII letters or more and not one of them upper case. */
SQ_API int tok_lower_case(const char *s, size_t n);
SQ_API const char *tok_case_name(int cls);

/* Bytes of a possessive at s[i] -- "'s" or "\u2019s" -- or 0. */
static inline size_t tok_possessive(const char *s, size_t len, size_t i)
{
    if (i + 2 <= len && s[i] == '\'' && s[i + 1] == 's') return 2;
    return i + 4 <= len && s[i] == '\xe2' && s[i + 1] == '\x80' && s[i + 2] == '\x99' && s[i + 3] == 's' ? 4 : 0;
}

static inline const char *tok_norm(const tok_doc *d, const struct tok *t)
{
    return d->pool + t->norm;
}

#endif
