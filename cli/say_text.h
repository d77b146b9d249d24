/* say_text.h -- what squawk say speaks: one short line per alert, in words a speech synthesizer reads well. */
#ifndef CLI_SAY_TEXT_H
#define CLI_SAY_TEXT_H

#include <stddef.h>

#include "../proto/alert.h"

/* The longest line say_text_line writes (bytes, with the NUL); longer input is cut at a word. */
#define SAY_TEXT_MAX 1024

/* "Investment, talks: Amazon, OpenAI, ten billion dollars. Amazon in talks to invest in OpenAI."
 * Kind, stage, up to three parties by name, one amount in words, the cleaned headline.
 * Returns the length written, or SQ_E_INVAL when out is too small to hold anything. */
int say_text_line(const proto_alert *a, char *out, size_t outlen);

/* "and forty-six more on invest": what collapsed alerts of one category are called. */
int say_text_more(const char *category, unsigned n, char *out, size_t outlen);

/* A headline for the ear: wire prefixes ("UPDATE 1-", "EXCLUSIVE-"), tickers in
 * parentheses, URLs and cashtag dollar signs dropped, money in words, ends with a stop. */
int say_text_headline(const char *headline, char *out, size_t outlen);

/* "Nvidia Corp." -> "Nvidia", "Amazon.com Inc." -> "Amazon". */
int say_text_name(const char *name, char *out, size_t outlen);

/* Cardinal number in words, up to 999 trillion: 52 -> "fifty-two", 2.4 -> "two point four"
 * (decimals as written in `decimals` digits, 0 for none). */
int say_text_number(double v, int decimals, char *out, size_t outlen);

/* Parses money as written at s ("$2.4 billion", "1.1 billion euros", "$6-8 billion",
 * "US$40mln") and writes it in words; returns the bytes of s consumed, 0 when s does not
 * start with an amount. */
size_t say_text_money(const char *s, char *out, size_t outlen);

#endif
