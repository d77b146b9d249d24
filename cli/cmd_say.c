/* cmd_say.c -- squawk say: the squawk box, a desk-side subscriber that speaks alerts aloud. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/error.h"
#include "../core/log.h"
#include "commands.h"
#include "say_queue.h"
#include "say_recv.h"
#include "say_text.h"
#include "say_voice.h"

static const char usage[] =
    "usage: squawk say -c ENDPOINT [-c ENDPOINT ...] [options]\n"
    "\n"
    "Speaks alerts aloud, one short line per article: kind, stage, the companies by name,\n"
    "the amount in words, the headline. Best score first; a stale call is never made.\n"
    "  -c, --connect EP     publisher endpoint (tcp://host:port, ipc://path); repeatable\n"
    "  --proxy EP           a squawk proxy's backend (several publishers); repeatable\n"
    "  --replay-endpoint EP replay socket of the -c/--proxy given just before; default for\n"
    "                       tcp:// is the same host at port+1; 'none' disables\n"
    "  --topic PREFIX       only topics starting with PREFIX (\"invest.\", \"chips.NVDA\");\n"
    "                       repeatable; default all\n"
    "  --min-score S        do not say alerts scoring below S (default 0)\n"
    "  --min-novelty N      do not say repeats of a story: novelty below N (default 100,\n"
    "                       first reports only; 50 also lets a second report through)\n"
    "  --max-age SECONDS    drop an alert older than this when its turn comes (default 30)\n"
    "  --urgent S           an alert scoring S or more interrupts a line that is not urgent,\n"
    "                       after its current word (default 95)\n"
    "  --backlog N          alerts that may wait; more are counted and said as\n"
    "                       \"and N more on invest\" (default 3)\n"
    "  --wav DIR            write each utterance to DIR/<UTC time>-<alert id>.wav\n"
    "  --text               print each line on stdout as it is spoken\n"
    "  --audio              also play on the default audio device (the default unless\n"
    "                       --wav or --text is given)\n"
    "  --voice NAME         espeak-ng voice (default en-us)\n"
    "  --rate WPM           words per minute, 80-450 (default 175)\n"
    "  --volume V           0-200, 100 normal (default 100)\n"
    "  --fast               without a device: do not keep a listener's time, render at once\n"
    "  --count N            exit 0 after N utterances\n"
    "  --timeout SECONDS    exit after this long\n"
    "  --replay / --no-replay  ask the replay socket for missed alerts (default on)\n"
    "  --from-start / --no-from-start\n"
    "                       on joining, also fetch what the publisher sent before (default\n"
    "                       on; what is older than --max-age is still not said)\n"
    "  --replay-timeout SECONDS  give up on a replay answer after this long (default 5)\n"
    "  -q, --quiet          no per-line log on stderr\n"
    "stderr gets one 'squawk say: said ...' line per utterance (score, waits, latency from\n"
    "receipt to the first audio sample), rate-limited say.gap / say.lost / say.restart /\n"
    "say.silent log lines, and a summary at exit (gaps, recovered, lost, restarts, silent).\n";

#define SAY_MAX_EPS 16
#define SAY_MAX_TOPICS 32

typedef struct say_opts {
    say_recv_conn eps[SAY_MAX_EPS];
    const char *topics[SAY_MAX_TOPICS];
    int n_eps, n_topics;
    say_recv_opts r;
    say_queue_opts q;
    say_voice_opts v;
    double urgent, timeout_s;
    const char *wav_dir;
    int text, audio, quiet;
    long long count;
} say_opts;

typedef struct say_state {
    say_opts *o;
    say_recv *rx;
    say_queue *q;
    say_voice *voice;
    int speaking;
    double speaking_score;
    int interrupt;
    int64_t idle_since_ns; /* CLOCK_MONOTONIC when the last line ended */
    uint64_t received, said, interrupted;
} say_state;

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

static void admit(say_state *s, proto_alert *a, int64_t rx_ns)
{
    char id[40];
    snprintf(id, sizeof id, "%s", a->id ? a->id : "?");
    s->received++;
    int v = say_queue_push(s->q, a, rx_ns, sq_clock_realtime_ns());
    if (v != SAY_Q_QUEUED && v != SAY_Q_COPY && !s->o->quiet) /* copies are routine */
        fprintf(stderr, "squawk say: skip id=%s reason=%s\n", id, say_queue_verdict_name(v));
    if (s->speaking && s->speaking_score < s->o->urgent && say_queue_top_score(s->q) >= s->o->urgent)
        s->interrupt = 1;
}

/* Between audio buffers: take in what arrived, and tell the voice whether to stop. */
static int on_tick(void *ud, int wait_ms)
{
    say_state *s = ud;
    proto_alert *a;
    int64_t rx;
    int wait = wait_ms;
    while (!stop_flag && say_recv_next(s->rx, wait, &a, &rx) == 1) {
        admit(s, a, rx);
        wait = 0;
    }
    return stop_flag || s->interrupt;
}

/* The id comes off the wire: only [0-9A-Za-z_-] of it reaches a file name. */
static void wav_name(const say_opts *o, const char *wire_id, char *out, size_t outlen)
{
    char id[65];
    size_t n = 0;
    for (const char *p = wire_id; *p && n < sizeof id - 1; p++)
        if (isalnum((unsigned char)*p) || *p == '_' || *p == '-') id[n++] = *p;
    id[n] = '\0';
    int64_t ns = sq_clock_realtime_ns();
    time_t sec = (time_t)(ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(out, outlen, "%s/%04d%02d%02dT%02d%02d%02d.%03dZ-%s.wav", o->wav_dir,
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ns / 1000000 % 1000), n ? id : "noid");
}

static void speak(say_state *s, const char *line, const char *id, double score, int64_t rx_ns)
{
    char path[4096] = "";
    if (s->o->wav_dir) wav_name(s->o, id, path, sizeof path);
    if (s->o->text) {
        fputs(line, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    int idle = rx_ns >= s->idle_since_ns;
    say_voice_result r;
    s->speaking = 1;
    s->speaking_score = score;
    s->interrupt = 0;
    int rc = say_voice_speak(s->voice, line, path[0] ? path : NULL, on_tick, s, &r);
    s->speaking = 0;
    s->idle_since_ns = sq_clock_mono_ns();
    s->said++;
    s->interrupted += r.interrupted != 0;
    if (rc != 0)
        sq_log_limited(SQ_LOG_ERROR, "say.output", "id=%s path=\"%s\" error=%s", id, path,
                       sq_err_name(rc));
    if (s->o->quiet) return;
    int rate = say_voice_sample_rate(s->voice);
    fprintf(stderr,
            "squawk say: said id=%s score=%.1f idle=%d waited_ms=%.1f rx_to_audio_ms=%.2f "
            "audio_ms=%.0f words=%d interrupted=%d stop_pos=%d file=%s\n",
            id, score, idle, rx_ns ? (r.start_ns - rx_ns) / 1e6 : 0.0,
            rx_ns && r.first_sample_ns ? (r.first_sample_ns - rx_ns) / 1e6 : -1.0,
            r.samples * 1000.0 / rate, r.words, r.interrupted, r.stop_pos,
            path[0] ? path : "-");
}

static void say_next(say_state *s, int wait_ms)
{
    say_item it;
    char more[256];
    switch (say_queue_pop(s->q, sq_clock_realtime_ns(), &it, more, sizeof more)) {
    case SAY_POP_ALERT: {
        char line[SAY_TEXT_MAX], id[40];
        say_text_line(it.alert, line, sizeof line);
        snprintf(id, sizeof id, "%s", it.alert->id ? it.alert->id : "noid");
        double score = it.alert->score;
        proto_alert_destroy(it.alert);
        speak(s, line, id, score, it.rx_mono_ns);
        break;
    }
    case SAY_POP_MORE:
        speak(s, more, "more", 0, 0);
        break;
    default:
        on_tick(s, wait_ms);
        break;
    }
}

static int num_opt(int argc, char **argv, int *i, double lo, double hi, double *out)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "squawk say: %s needs a value\n", argv[*i]);
        return -1;
    }
    char *end;
    errno = 0;
    double v = strtod(argv[*i + 1], &end);
    if (errno || end == argv[*i + 1] || *end || v < lo || v > hi) {
        fprintf(stderr, "squawk say: %s '%s': expected a number from %g to %g\n", argv[*i],
                argv[*i + 1], lo, hi);
        return -1;
    }
    *out = v;
    (*i)++;
    return 0;
}

static int str_opt(int argc, char **argv, int *i, const char **out)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "squawk say: %s needs a value\n", argv[*i]);
        return -1;
    }
    *out = argv[++*i];
    return 0;
}

static int parse(int argc, char **argv, say_opts *o)
{
    double d;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc = 0;
        if (!strcmp(a, "-c") || !strcmp(a, "--connect") || !strcmp(a, "--proxy")) {
            if (o->n_eps == SAY_MAX_EPS) return fprintf(stderr, "squawk say: too many -c\n"), -1;
            o->eps[o->n_eps].proxy = !strcmp(a, "--proxy");
            rc = str_opt(argc, argv, &i, &o->eps[o->n_eps++].ep);
        } else if (!strcmp(a, "--replay-endpoint")) {
            if (o->n_eps == 0)
                return fprintf(stderr, "squawk say: --replay-endpoint must follow its -c\n"), -1;
            rc = str_opt(argc, argv, &i, &o->eps[o->n_eps - 1].replay);
            if (!rc && !strcmp(o->eps[o->n_eps - 1].replay, "none")) o->eps[o->n_eps - 1].replay = "";
        } else if (!strcmp(a, "--replay") || !strcmp(a, "--no-replay")) {
            o->r.no_replay = !strcmp(a, "--no-replay");
        } else if (!strcmp(a, "--from-start") || !strcmp(a, "--no-from-start")) {
            o->r.no_from_start = !strcmp(a, "--no-from-start");
        } else if (!strcmp(a, "--replay-timeout")) {
            rc = num_opt(argc, argv, &i, 0.1, 3600, &o->r.replay_timeout_s);
        } else if (!strcmp(a, "--topic")) {
            if (o->n_topics == SAY_MAX_TOPICS) return fprintf(stderr, "squawk say: too many --topic\n"), -1;
            rc = str_opt(argc, argv, &i, &o->topics[o->n_topics++]);
        } else if (!strcmp(a, "--min-score")) {
            rc = num_opt(argc, argv, &i, 0, 100, &o->q.min_score);
        } else if (!strcmp(a, "--min-novelty")) {
            rc = num_opt(argc, argv, &i, 0, 100, &d);
            o->q.min_novelty = (unsigned)d;
        } else if (!strcmp(a, "--max-age")) {
            rc = num_opt(argc, argv, &i, 0, 86400, &o->q.max_age_s);
        } else if (!strcmp(a, "--urgent")) {
            rc = num_opt(argc, argv, &i, 0, 101, &o->urgent);
        } else if (!strcmp(a, "--backlog")) {
            rc = num_opt(argc, argv, &i, 1, 1000, &d);
            o->q.backlog = (size_t)d;
        } else if (!strcmp(a, "--rate")) {
            rc = num_opt(argc, argv, &i, 80, 450, &d);
            o->v.rate = (int)d;
        } else if (!strcmp(a, "--volume")) {
            rc = num_opt(argc, argv, &i, 0, 200, &d);
            o->v.volume = (int)d;
        } else if (!strcmp(a, "--count")) {
            rc = num_opt(argc, argv, &i, 1, 1e15, &d);
            o->count = (long long)d;
        } else if (!strcmp(a, "--timeout")) {
            rc = num_opt(argc, argv, &i, 0, 1e9, &o->timeout_s);
        } else if (!strcmp(a, "--wav")) {
            rc = str_opt(argc, argv, &i, &o->wav_dir);
        } else if (!strcmp(a, "--voice")) {
            rc = str_opt(argc, argv, &i, &o->v.voice);
        } else if (!strcmp(a, "--text")) {
            o->text = 1;
        } else if (!strcmp(a, "--audio")) {
            o->audio = 1;
        } else if (!strcmp(a, "--fast")) {
            o->v.pace = 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else {
            fprintf(stderr, "squawk say: unknown option '%s'\n%s", a, usage);
            return -1;
        }
        if (rc) return -1;
    }
    if (o->n_eps == 0) {
        fprintf(stderr, "squawk say: at least one -c ENDPOINT is needed\n%s", usage);
        return -1;
    }
    o->r.conns = o->eps;
    o->r.n_conns = o->n_eps;
    o->r.topics = o->topics;
    o->r.n_topics = o->n_topics;
    o->v.device = o->audio || (!o->wav_dir && !o->text);
    if (o->v.device) o->v.pace = 1; /* the device keeps time itself */
    return 0;
}

static int check_wav_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "squawk say: --wav %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "squawk say: --wav %s: not a directory\n", dir);
        return -1;
    }
    return 0;
}

int cmd_say(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    say_opts o = {.q = {.min_score = 0, .min_novelty = 100, .max_age_s = 30, .backlog = 3},
                  .v = {.voice = "en-us", .rate = 175, .volume = 100, .pace = 1},
                  .urgent = 95};
    if (parse(argc, argv, &o) != 0) return 2;
    if (o.wav_dir && check_wav_dir(o.wav_dir) != 0) return 2;
    sq_log_setup(stderr, sq_log_env_level(SQ_LOG_INFO, NULL), SQ_LOG_TEXT);
    setvbuf(stdout, NULL, _IOLBF, 0);
    cli_on_stop_signals(on_signal);

    char err[256];
    say_state s = {.o = &o};
    int rc = 1;
    s.voice = say_voice_create(&o.v, err, sizeof err);
    if (!s.voice) {
        fprintf(stderr, "squawk say: %s\n", err);
        return 1;
    }
    s.q = say_queue_create(&o.q);
    s.rx = s.q ? say_recv_open(&o.r, err, sizeof err) : NULL;
    if (!s.rx) {
        fprintf(stderr, "squawk say: %s\n", s.q ? err : "out of memory");
        goto out;
    }
    if (!o.quiet)
        fprintf(stderr, "squawk say: listening on %s%s (voice %s, %d wpm, %d Hz%s%s%s)\n",
                o.eps[0].ep, o.n_eps > 1 ? " and more" : "", o.v.voice, o.v.rate,
                say_voice_sample_rate(s.voice), o.v.device ? ", audio device" : "",
                o.wav_dir ? ", wav" : "", o.text ? ", text" : "");
    int64_t deadline = o.timeout_s > 0 ? sq_clock_mono_ns() + (int64_t)(o.timeout_s * 1e9) : INT64_MAX;
    while (!stop_flag && (o.count <= 0 || (long long)s.said < o.count)) {
        int64_t left = deadline - sq_clock_mono_ns();
        if (left <= 0) break;
        say_next(&s, left < 200000000LL ? (int)(left / 1000000) + 1 : 200);
    }
    rc = 0;
    say_recv_finish(s.rx); /* what is still missing is lost: logged and counted below */
    say_recv_stats rs;
    say_recv_stats_get(s.rx, &rs);
    const say_queue_stats *st = say_queue_stats_get(s.q);
    fprintf(stderr,
            "squawk say: received=%" PRIu64 " said=%" PRIu64 " interrupted=%" PRIu64
            " low=%" PRIu64 " repeat=%" PRIu64 " copy=%" PRIu64 " collapsed=%" PRIu64
            " stale=%" PRIu64 " more_lines=%" PRIu64 " bad=%" PRIu64 " gaps=%" PRIu64
            " recovered=%" PRIu64 " lost=%" PRIu64 " restarts=%" PRIu64 " silent=%" PRIu64 "\n",
            s.received, s.said, s.interrupted, st->low, st->repeat, st->copy, st->collapsed,
            st->stale, st->more_lines, rs.bad, rs.gaps, rs.recovered, rs.lost, rs.restarts,
            rs.silent);
out:
    say_recv_close(s.rx);
    say_queue_destroy(s.q);
    say_voice_destroy(s.voice);
    return rc;
}
