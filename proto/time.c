/* time.c -- article timestamps (RFC 3339, RFC 2822, plain dates) to epoch ms, without the C library's TZ state. */
#include <stdint.h>
#include <string.h>

#include "../core/error.h"
#include "article.h"

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): timegm() would depend on the C library and TZ. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); 't' and ' ' are accepted as the
 * separator and 'z' for Z, as RFC 3339 section 5.6 allows. */
SQ_API int proto_time_parse_rfc3339(const char *s, size_t len, int64_t *ms)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int Y, M, D, h, m, sec;
    if (!s || !ms || len < 20) return SQ_E_BAD_TIME;
    if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return SQ_E_BAD_TIME;
    if (M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 60) return SQ_E_BAD_TIME;
    int dim = mdays[M - 1] + (M == 2 && is_leap(Y));
    if (D > dim) return SQ_E_BAD_TIME;
    size_t i = 19;
    int frac_ms = 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t start = i;
        int scale = 100;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            frac_ms += (s[i] - '0') * scale; /* truncate past milliseconds */
            scale /= 10;
            i++;
        }
        if (i == start) return SQ_E_BAD_TIME;
    }
    if (i >= len) return SQ_E_BAD_TIME;
    int off_min = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        int oh, om;
        if (len - i != 6 || digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return SQ_E_BAD_TIME;
        off_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return SQ_E_BAD_TIME;
    }
    if (i != len) return SQ_E_BAD_TIME;
    int64_t secs = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec;
    secs -= (int64_t)off_min * 60;
    *ms = secs * 1000 + frac_ms;
    return 0;
}

/* ---- the forms feeds really send ---------------------------------------------------- */

typedef struct tcur {
    const char *s;
    size_t i, n;
} tcur;

static void skip_ws(tcur *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t')) c->i++;
}

/* 1..max digits; returns the count read, 0 when none. */
static int num(tcur *c, int max, int *out)
{
    int k = 0, v = 0;
    while (k < max && c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
        v = v * 10 + (c->s[c->i++] - '0');
        k++;
    }
    *out = v;
    return k;
}

static int lit(tcur *c, char ch)
{
    if (c->i < c->n && c->s[c->i] == ch) {
        c->i++;
        return 1;
    }
    return 0;
}

static int word_is(tcur *c, size_t len, const char *w)
{
    if (c->n - c->i < len) return 0;
    for (size_t k = 0; k < len; k++) {
        char a = c->s[c->i + k], b = w[k];
        if ((a | 0x20) != (b | 0x20)) return 0;
    }
    return 1;
}

static int valid_civil(int Y, int M, int D, int h, int m, int sec)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (Y < 1 || Y > 9999 || M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 60) return 0;
    return D <= mdays[M - 1] + (M == 2 && is_leap(Y));
}

static int64_t civil_ms(int Y, int M, int D, int h, int m, int sec, int off_min)
{
    int64_t secs = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec;
    return (secs - (int64_t)off_min * 60) * 1000;
}

/* RFC 2822 zones: +hhmm / -hhmm, or the obsolete names RSS feeds still use. */
static int zone_2822(tcur *c, int *off_min)
{
    static const struct {
        const char *name;
        int off;
    } names[] = {{"GMT", 0},       {"UTC", 0},       {"UT", 0},        {"Z", 0},
                 {"EST", -5 * 60}, {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60},
                 {"MST", -7 * 60}, {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60}};
    if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-')) {
        int sign = c->s[c->i++] == '-' ? -1 : 1, hhmm;
        if (num(c, 4, &hhmm) != 4 || hhmm / 100 > 23 || hhmm % 100 > 59) return -1;
        *off_min = sign * ((hhmm / 100) * 60 + hhmm % 100);
        return 0;
    }
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t len = strlen(names[k].name);
        if (word_is(c, len, names[k].name)) {
            c->i += len;
            *off_min = names[k].off;
            return 0;
        }
    }
    return -1;
}

/* [Day, ]D Mon YYYY HH:MM[:SS] zone (RFC 2822 section 3.3; two-digit years as 3.3 obsoletes). */
static int parse_2822(const char *s, size_t len, int64_t *ms)
{
    static const char *months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    tcur c = {s, 0, len};
    skip_ws(&c);
    if (c.n - c.i >= 4 && c.s[c.i + 3] == ',') c.i += 4; /* the day name is not checked */
    skip_ws(&c);
    int D, M = 0, Y, h, m, sec = 0, off = 0;
    if (!num(&c, 2, &D)) return SQ_E_BAD_TIME;
    skip_ws(&c);
    for (int k = 0; k < 12; k++)
        if (word_is(&c, 3, months + 3 * k)) M = k + 1;
    if (!M) return SQ_E_BAD_TIME;
    c.i += 3;
    skip_ws(&c);
    int yd = num(&c, 4, &Y);
    if (yd == 2) Y += Y < 50 ? 2000 : 1900;
    else if (yd != 4) return SQ_E_BAD_TIME;
    skip_ws(&c);
    if (num(&c, 2, &h) != 2 || !lit(&c, ':') || num(&c, 2, &m) != 2) return SQ_E_BAD_TIME;
    if (lit(&c, ':') && num(&c, 2, &sec) != 2) return SQ_E_BAD_TIME;
    skip_ws(&c);
    if (zone_2822(&c, &off) != 0) return SQ_E_BAD_TIME;
    skip_ws(&c);
    if (c.i != c.n || !valid_civil(Y, M, D, h, m, sec)) return SQ_E_BAD_TIME;
    *ms = civil_ms(Y, M, D, h, m, sec, off);
    return 0;
}

/* YYYY-MM-DD or YYYY-MM-DD[ T]HH:MM:SS[.frac] without a zone: taken as UTC. */
static int parse_plain(const char *s, size_t len, int64_t *ms)
{
    tcur c = {s, 0, len};
    int Y, M, D, h = 0, m = 0, sec = 0, frac = 0;
    if (num(&c, 4, &Y) != 4 || !lit(&c, '-') || num(&c, 2, &M) != 2 || !lit(&c, '-') ||
        num(&c, 2, &D) != 2)
        return SQ_E_BAD_TIME;
    if (c.i < c.n) {
        if (!lit(&c, ' ') && !lit(&c, 'T')) return SQ_E_BAD_TIME;
        if (num(&c, 2, &h) != 2 || !lit(&c, ':') || num(&c, 2, &m) != 2 || !lit(&c, ':') ||
            num(&c, 2, &sec) != 2)
            return SQ_E_BAD_TIME;
        if (lit(&c, '.')) {
            int k = num(&c, 3, &frac);
            if (!k) return SQ_E_BAD_TIME;
            while (k++ < 3) frac *= 10;
            while (c.i < c.n && c.s[c.i] >= '0' && c.s[c.i] <= '9') c.i++;
        }
    }
    if (c.i != c.n || !valid_civil(Y, M, D, h, m, sec)) return SQ_E_BAD_TIME;
    *ms = civil_ms(Y, M, D, h, m, sec, 0) + frac;
    return 0;
}

SQ_API int proto_time_parse(const char *s, size_t len, int64_t *ms)
{
    if (!s || !ms) return SQ_E_BAD_TIME;
    if (proto_time_parse_rfc3339(s, len, ms) == 0) return 0;
    if (parse_plain(s, len, ms) == 0) return 0;
    return parse_2822(s, len, ms);
}
