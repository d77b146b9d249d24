/* time.c -- RFC 3339 timestamps to epoch milliseconds, without the C library's time zone state. */
#include <stdint.h>

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
