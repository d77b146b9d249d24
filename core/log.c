/* log.c -- structured, rate-limited logging to stderr or a file. */
#include "log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Level and format are read by every thread that logs (librdkafka's, the
 * reload worker) and changed by a reload on the loop: relaxed atomics. */
static FILE *log_out;
static sq_log_level log_min = SQ_LOG_INFO;
static sq_log_format log_fmt = SQ_LOG_TEXT;
#define LOAD(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)
#define STORE(v, x) __atomic_store_n(&(v), (x), __ATOMIC_RELAXED)

static const char *level_names[] = {"debug", "info", "warn", "error"};

void sq_log_setup(FILE *out, sq_log_level min, sq_log_format fmt)
{
    log_out = out;
    STORE(log_min, min);
    STORE(log_fmt, fmt);
}

void sq_log_set_level(sq_log_level min) { STORE(log_min, min); }
void sq_log_set_format(sq_log_format fmt) { STORE(log_fmt, fmt); }
int sq_log_enabled(sq_log_level lvl) { return lvl >= LOAD(log_min); }

int sq_log_parse_level(const char *s, sq_log_level *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0) {
            *out = (sq_log_level)i;
            return 0;
        }
    return -1;
}

sq_log_level sq_log_env_level(sq_log_level dflt, const char **bad)
{
    const char *v = getenv("SQUAWK_LOG__LEVEL");
    sq_log_level lv = dflt;
    if (bad) *bad = NULL;
    if (v && sq_log_parse_level(v, &lv) != 0) {
        if (bad) *bad = v;
        lv = dflt;
    }
    return lv;
}

/* An unquoted value in JSON's number grammar ("12", "-3", "0.25", "1e9")
 * is written as a number; "007", "1.", "0x1f" and "inf" stay strings. */
static int is_json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i >= n || !isdigit((unsigned char)s[i])) return 0;
    if (s[i] == '0' && i + 1 < n && isdigit((unsigned char)s[i + 1])) return 0;
    while (i < n && isdigit((unsigned char)s[i])) i++;
    if (i < n && s[i] == '.') {
        if (++i >= n || !isdigit((unsigned char)s[i])) return 0;
        while (i < n && isdigit((unsigned char)s[i])) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !isdigit((unsigned char)s[i])) return 0;
        while (i < n && isdigit((unsigned char)s[i])) i++;
    }
    return i == n;
}

/* JSON mode turns "a=1 b=x y" into "a":1,"b":"x y" -- values run until
 * the next " key=" so callers can keep one format string for both modes. */
static void emit_json_kv(FILE *f, const char *kv)
{
    const char *p = kv;
    while (*p) {
        while (*p == ' ') p++;
        const char *eq = strchr(p, '=');
        if (!eq) break;
        const char *v = eq + 1, *end = v;
        int quoted = (*v == '"');
        if (quoted) {
            /* the closing quote is the one before a space or the end: a
             * reason may quote something itself (near '"k17"') */
            v++;
            end = strchr(v, '"');
            while (end && end[1] && end[1] != ' ') end = strchr(end + 1, '"');
            if (!end) end = v + strlen(v);
        } else {
            end = strchr(v, ' ');
            if (!end) end = v + strlen(v);
        }
        if (!quoted && is_json_number(v, (size_t)(end - v))) {
            fprintf(f, ",\"%.*s\":%.*s", (int)(eq - p), p, (int)(end - v), v);
            p = end;
            continue;
        }
        fprintf(f, ",\"%.*s\":\"", (int)(eq - p), p);
        for (const char *c = v; c < end; c++) {
            if (*c == '"' || *c == '\\') fputc('\\', f);
            if ((unsigned char)*c < 0x20) { fprintf(f, "\\u%04x", *c); continue; }
            fputc(*c, f);
        }
        fputc('"', f);
        p = end + (quoted && *end ? 1 : 0);
    }
}

static void vlog(sq_log_level lvl, const char *msg, unsigned long suppressed, const char *kvfmt, va_list ap)
{
    FILE *f = log_out ? log_out : stderr;
    char kv[2048];
    struct timespec ts;
    struct tm tm;
    char tbuf[32];

    vsnprintf(kv, sizeof kv, kvfmt ? kvfmt : "", ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%S", &tm);
    flockfile(f); /* one line per event, whichever threads log at once */
    if (LOAD(log_fmt) == SQ_LOG_JSON) {
        fprintf(f, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"", tbuf,
                ts.tv_nsec / 1000000, level_names[lvl], msg);
        emit_json_kv(f, kv);
        if (suppressed) fprintf(f, ",\"suppressed\":%lu", suppressed);
        fputs("}\n", f);
    } else {
        fprintf(f, "ts=%s.%03ldZ level=%s msg=%s%s%s", tbuf, ts.tv_nsec / 1000000,
                level_names[lvl], msg, kv[0] ? " " : "", kv);
        if (suppressed) fprintf(f, " suppressed=%lu", suppressed);
        fputc('\n', f);
    }
    fflush(f);
    funlockfile(f);
}

void sq_log(sq_log_level lvl, const char *msg, const char *kvfmt, ...)
{
    if (lvl < LOAD(log_min)) return;
    va_list ap;
    va_start(ap, kvfmt);
    vlog(lvl, msg, 0, kvfmt, ap);
    va_end(ap);
}

/* A small table keyed by the msg pointer: event names are string literals,
 * so pointer identity is enough and costs nothing on the hot path. */
#define LIMIT_SLOTS 64
#define LIMIT_BURST 5
static struct {
    const char *msg;
    time_t sec;
    unsigned count;
    unsigned long suppressed;
} limits[LIMIT_SLOTS];

static pthread_mutex_t limits_mu = PTHREAD_MUTEX_INITIALIZER;

void sq_log_limited(sq_log_level lvl, const char *msg, const char *kvfmt, ...)
{
    if (lvl < LOAD(log_min)) return;
    size_t h = ((size_t)msg >> 3) % LIMIT_SLOTS;
    time_t now = time(NULL);
    pthread_mutex_lock(&limits_mu); /* plugins log through here from the reload worker too */
    if (limits[h].msg != msg) {
        limits[h].msg = msg;
        limits[h].sec = now;
        limits[h].count = 0;
        limits[h].suppressed = 0;
    }
    if (limits[h].sec != now) {
        limits[h].sec = now;
        limits[h].count = 0;
    }
    if (++limits[h].count > LIMIT_BURST) {
        limits[h].suppressed++;
        pthread_mutex_unlock(&limits_mu);
        return;
    }
    unsigned long sup = limits[h].suppressed;
    limits[h].suppressed = 0;
    pthread_mutex_unlock(&limits_mu);
    va_list ap;
    va_start(ap, kvfmt);
    vlog(lvl, msg, sup, kvfmt, ap);
    va_end(ap);
}
