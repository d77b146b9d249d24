/* cmd_sub.c -- squawk sub: prints alerts and the gap, recovery and loss events of the subscriber library (sinks/zsub.h). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <jansson.h>

#include "../core/clock.h"
#include "../proto/alert.h"
#include "../sinks/zsub.h"
#include "commands.h"

static const char usage[] =
    "usage: squawk sub -c ENDPOINT [-c ENDPOINT ...] [options]\n"
    "\n"
    "Subscribes to squawk alert publishers and prints one line per alert.\n"
    "  -c, --connect EP         publisher endpoint (tcp://host:port, ipc://path); repeatable\n"
    "  --proxy EP               a squawk proxy's backend: several publishers, replay\n"
    "                           through the proxy's replay socket; repeatable\n"
    "  --replay-endpoint EP     replay socket of the -c/--proxy given just before; default\n"
    "                           for tcp:// is the same host at port+1; 'none' disables\n"
    "  --topic PREFIX           subscribe to topics starting with PREFIX (\"invest.\",\n"
    "                           \"chips.NVDA\"); repeatable; default all\n"
    "  --json                   one JSON object per line (for piping)\n"
    "  --count N                exit 0 after N alerts\n"
    "  --timeout SECONDS        stop after this long; exit 1 if --count was not reached\n"
    "  --replay / --no-replay   ask the replay socket for missed sequence numbers (default on)\n"
    "  --from-start / --no-from-start\n"
    "                           on joining, also fetch what the publisher sent before (default on)\n"
    "  --replay-timeout SECONDS give up on a replay answer after this long (default 5)\n"
    "  --rcvhwm N               alerts queued per publisher in this process (default 1000)\n"
    "  --rcvbuf BYTES           kernel receive buffer (default: the OS's, autotuned)\n"
    "  --curve-server-key Z85   the publisher's CURVE public key\n"
    "  --curve-key PREFIX       our key pair from 'squawk keygen' (PREFIX.key, PREFIX.pub)\n"
    "  -q, --quiet              no gap/recovery notes on stderr (losses are still reported)\n"
    "Gaps are found per subscription (per-topic sequence numbers and the publishers'\n"
    "heartbeat digests), so other topics' messages are never reported missing.\n"
    "Gaps, recoveries and losses go to stderr as 'squawk sub: ...' lines, e.g.\n"
    "  squawk sub: lost seq 10-19 from pub X: GONE\n"
    "  squawk sub: lost 2 of 'chips.' in seq 40-95 from pub X: GONE (oldest held 60)\n"
    "and a summary line at exit: received, recovered, lost, duplicates, replay traffic.\n";

typedef struct sub_conn {
    const char *ep, *rep; /* rep NULL = convention */
    int flags;
} sub_conn;

typedef struct sub_opts {
    const char *topics[ZSUB_MAX_TOPICS];
    int n_topics;
    int json, quiet, color;
    long long count;
    double timeout_s;
} sub_opts;

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

static void print_json(const zsub_event *ev)
{
    char *js = NULL;
    size_t len = 0;
    if (proto_alert_to_json(ev->alert, &js, &len) != 0 || len < 2) {
        free(js);
        return;
    }
    json_t *t = json_string(ev->topic);
    char *ts = t ? json_dumps(t, JSON_ENCODE_ANY) : NULL;
    printf("{\"topic\":%s,%s\n", ts ? ts : "\"\"", js + 1); /* the topic first, then the map */
    free(ts);
    json_decref(t);
    free(js);
}

static void print_alert(const sub_opts *o, const zsub_event *ev)
{
    if (o->json) {
        print_json(ev);
        return;
    }
    const proto_alert *a = ev->alert;
    int64_t ns = a->ts.emit_ns ? a->ts.emit_ns : sq_clock_realtime_ns();
    time_t sec = (time_t)(ns / 1000000000LL);
    struct tm tm;
    localtime_r(&sec, &tm);
    const char *ticker = strchr(ev->topic, '.');
    ticker = ticker ? ticker + 1 : "_";
    const char *cat = a->category ? a->category : "?";
    const char *on = "", *off = "";
    if (o->color) {
        off = "\033[0m";
        on = strcmp(cat, "invest") == 0       ? "\033[1;32m"
             : strcmp(cat, "chips") == 0      ? "\033[1;36m"
             : strcmp(cat, "regulatory") == 0 ? "\033[1;33m"
                                              : "\033[1m";
    }
    printf("%02d:%02d:%02d.%03d %s%-10s%s %-8s %5.1f %-9s %s%s\n", tm.tm_hour, tm.tm_min,
           tm.tm_sec, (int)((ns / 1000000) % 1000), on, cat, off, ticker, a->score,
           a->stage ? a->stage : "none", a->article.headline ? a->article.headline : "",
           ev->recovered ? " [replayed]" : "");
}

static void print_range(const char *what, const zsub_event *ev)
{
    if (ev->lo == ev->hi)
        fprintf(stderr, "squawk sub: %s seq %" PRIu64, what, ev->lo);
    else
        fprintf(stderr, "squawk sub: %s seq %" PRIu64 "-%" PRIu64, what, ev->lo, ev->hi);
}

/* Everything but alerts goes to stderr; losses even with --quiet. */
static void print_event(const sub_opts *o, const zsub_event *ev)
{
    switch (ev->kind) {
    case ZSUB_LOST:
        if (ev->exact) {
            print_range("lost", ev);
            fprintf(stderr, " from pub %s: %s\n", ev->pub, ev->why);
        } else {
            fprintf(stderr,
                    "squawk sub: lost %" PRIu64 " of '%s' in seq %" PRIu64 "-%" PRIu64
                    " from pub %s: %s\n",
                    ev->count, ev->topic, ev->lo, ev->hi, ev->pub, ev->why);
        }
        return;
    case ZSUB_RESTART:
        fprintf(stderr, "squawk sub: publisher restart on %s: pub %s -> %s\n", ev->endpoint,
                ev->old_pub, ev->pub);
        return;
    case ZSUB_SILENT:
        fprintf(stderr, "squawk sub: no message or heartbeat from %s for %.1fs\n", ev->endpoint,
                ev->silent_s);
        return;
    case ZSUB_BAD:
        fprintf(stderr, "squawk sub: undecodable message on '%s': %s\n", ev->topic, ev->why);
        return;
    default:
        break;
    }
    if (o->quiet) return;
    if (ev->kind == ZSUB_GAP) {
        print_range("gap", ev);
        fprintf(stderr, " from pub %s: %" PRIu64 " missing on '%s'\n", ev->pub, ev->count,
                ev->topic);
    } else if (ev->kind == ZSUB_RECOVERED) {
        fprintf(stderr, "squawk sub: recovered %" PRIu64 " in seq %" PRIu64 "-%" PRIu64
                " from pub %s\n", ev->count, ev->lo, ev->hi, ev->pub);
    } else if (ev->kind == ZSUB_PUBLISHER) {
        fprintf(stderr, "squawk sub: publisher %s on %s\n", ev->pub, ev->endpoint);
    } else if (ev->kind == ZSUB_ALIVE) {
        fprintf(stderr, "squawk sub: %s is alive again\n", ev->endpoint);
    }
}

static int read_key(const char *path, char out[41])
{
    FILE *f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "squawk sub: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[128] = "";
    if (!fgets(line, sizeof line, f)) line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n \t")] = '\0';
    if (strlen(line) != 40) {
        fprintf(stderr, "squawk sub: %s: not a 40-char Z85 key\n", path);
        return -1;
    }
    memcpy(out, line, 41);
    return 0;
}

/* Options into o and conns; 0, or the exit status for a usage error. */
static int parse_args(int argc, char **argv, sub_opts *o, sub_conn *conns, int *nc,
                      zsub_opts *zo, const char **server_key, const char **key_prefix)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (!has && (strcmp(a, "-c") == 0 || strcmp(a, "--connect") == 0 ||
                     strcmp(a, "--proxy") == 0 || strcmp(a, "--replay-endpoint") == 0 ||
                     strcmp(a, "--topic") == 0 || strcmp(a, "--count") == 0 ||
                     strcmp(a, "--timeout") == 0 || strcmp(a, "--replay-timeout") == 0 ||
                     strcmp(a, "--curve-server-key") == 0 || strcmp(a, "--curve-key") == 0 ||
                     strcmp(a, "--rcvhwm") == 0 || strcmp(a, "--rcvbuf") == 0)) {
            fprintf(stderr, "squawk sub: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "-c") == 0 || strcmp(a, "--connect") == 0 || strcmp(a, "--proxy") == 0) {
            if (*nc == ZSUB_MAX_CONNS) {
                fprintf(stderr, "squawk sub: at most %d publishers\n", ZSUB_MAX_CONNS);
                return 2;
            }
            conns[*nc] = (sub_conn){argv[++i], NULL, strcmp(a, "--proxy") == 0 ? ZSUB_PROXY : 0};
            (*nc)++;
        } else if (strcmp(a, "--replay-endpoint") == 0) {
            if (*nc == 0) {
                fprintf(stderr, "squawk sub: --replay-endpoint must follow its -c\n");
                return 2;
            }
            const char *r = argv[++i];
            conns[*nc - 1].rep = strcmp(r, "none") == 0 ? "" : r;
        } else if (strcmp(a, "--topic") == 0) {
            if (o->n_topics == ZSUB_MAX_TOPICS) return 2;
            o->topics[o->n_topics++] = argv[++i];
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--count") == 0) {
            o->count = atoll(argv[++i]);
        } else if (strcmp(a, "--timeout") == 0) {
            o->timeout_s = atof(argv[++i]);
        } else if (strcmp(a, "--replay-timeout") == 0) {
            zo->replay_timeout_s = atof(argv[++i]);
        } else if (strcmp(a, "--rcvhwm") == 0) {
            zo->rcvhwm = atoi(argv[++i]);
        } else if (strcmp(a, "--rcvbuf") == 0) {
            zo->rcvbuf = atoi(argv[++i]);
        } else if (strcmp(a, "--replay") == 0 || strcmp(a, "--no-replay") == 0) {
            zo->no_replay = strcmp(a, "--no-replay") == 0;
        } else if (strcmp(a, "--from-start") == 0 || strcmp(a, "--no-from-start") == 0) {
            zo->no_from_start = strcmp(a, "--no-from-start") == 0;
        } else if (strcmp(a, "--curve-server-key") == 0) {
            *server_key = argv[++i];
        } else if (strcmp(a, "--curve-key") == 0) {
            *key_prefix = argv[++i];
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
        } else {
            fprintf(stderr, "squawk sub: unknown option '%s'\n%s", a, usage);
            return 2;
        }
    }
    if (*nc == 0) {
        fprintf(stderr, "squawk sub: at least one -c ENDPOINT is needed\n%s", usage);
        return 2;
    }
    return 0;
}

static int load_curve(const char *server_key, const char *key_prefix, char sec[41], char pub[41])
{
    if ((server_key != NULL) != (key_prefix != NULL)) {
        fprintf(stderr, "squawk sub: CURVE needs both --curve-server-key and --curve-key\n");
        return 2;
    }
    if (!server_key) return 0;
    char path[4096];
    if (strlen(server_key) != 40) {
        fprintf(stderr, "squawk sub: --curve-server-key must be 40 Z85 chars\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s.key", key_prefix);
    if (read_key(path, sec) != 0) return 2;
    snprintf(path, sizeof path, "%s.pub", key_prefix);
    if (read_key(path, pub) != 0) return 2;
    return 0;
}

/* Reads events until --count, --timeout or a signal; returns alerts printed. */
static long long sub_loop(zsub *z, const sub_opts *o, long long *recovered)
{
    long long got = 0;
    int64_t deadline = o->timeout_s > 0 ? sq_clock_mono_ns() + (int64_t)(o->timeout_s * 1e9)
                                        : INT64_MAX;
    zsub_event ev;
    while (!stop_flag && (o->count <= 0 || got < o->count)) {
        int64_t now = sq_clock_mono_ns();
        if (now >= deadline) break;
        int wait = deadline - now < 200000000LL ? (int)((deadline - now) / 1000000) + 1 : 200;
        int rc = zsub_next(z, &ev, wait);
        if (rc < 0) break;
        if (rc == 0) continue;
        if (ev.kind != ZSUB_ALERT) {
            print_event(o, &ev);
            continue;
        }
        print_alert(o, &ev);
        got++;
        if (ev.recovered) (*recovered)++;
    }
    return got;
}

int cmd_sub(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    sub_opts o;
    zsub_opts zo;
    sub_conn conns[ZSUB_MAX_CONNS];
    int nc = 0;
    memset(&o, 0, sizeof o);
    memset(&zo, 0, sizeof zo);
    const char *server_key = NULL, *key_prefix = NULL;
    int rc = parse_args(argc, argv, &o, conns, &nc, &zo, &server_key, &key_prefix);
    char sec[41], pub[41];
    if (rc || (rc = load_curve(server_key, key_prefix, sec, pub))) return rc;
    if (server_key) {
        zo.curve_server_key = server_key;
        zo.curve_secret_key = sec;
        zo.curve_public_key = pub;
    }
    zo.topics = o.topics;
    zo.n_topics = (size_t)o.n_topics;
    o.color = !o.json && isatty(STDOUT_FILENO);
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    zsub *z = NULL;
    char err[256] = "";
    if (zsub_create(&z, &zo, err, sizeof err) != 0) {
        fprintf(stderr, "squawk sub: %s\n", err);
        return 2;
    }
    for (int i = 0; i < nc; i++) {
        if (zsub_connect(z, conns[i].ep, conns[i].rep, conns[i].flags) != 0) {
            fprintf(stderr, "squawk sub: connect %s: %s\n", conns[i].ep, zmq_strerror(errno));
            zsub_destroy(z);
            return 2;
        }
        if (!o.quiet)
            fprintf(stderr, "squawk sub: connected %s%s\n", conns[i].ep,
                    conns[i].flags & ZSUB_PROXY ? " (proxy)" : "");
    }
    long long recovered = 0;
    long long got = sub_loop(z, &o, &recovered);
    rc = o.count > 0 && got < o.count ? 1 : 0;
    /* What is still missing at exit was not recovered: say so. */
    zsub_finish(z);
    zsub_event ev;
    while (zsub_next(z, &ev, 0) > 0)
        if (ev.kind != ZSUB_ALERT) print_event(&o, &ev);
    fflush(stdout);
    zsub_stats st;
    zsub_get_stats(z, &st);
    fprintf(stderr,
            "squawk sub: received=%lld recovered=%lld lost=%" PRIu64 " duplicates=%" PRIu64
            " replayed=%" PRIu64 " replay_bytes=%" PRIu64 " replay_dups=%" PRIu64
            " replay_foreign=%" PRIu64 "%s\n",
            got, recovered, st.lost, st.duplicates, st.replayed, st.replay_bytes, st.replay_dups,
            st.replay_foreign, rc == 1 ? " (count not reached)" : "");
    zsub_destroy(z);
    return rc;
}
