/* replay_bench.c -- make bench: replay bytes a one-ticker subscriber receives to recover a gap, against the old whole-stream replay of the same seq range.
 *
 * usage: replay_bench [--alerts N] [--tickers T] [--window W]
 * An in-process publisher sends N alerts over T tickers and three categories (one message each).
 * A desk subscribed to "invest.T007" (sinks/zsub) reads along; for W alerts in the middle a
 * second subscriber of everything that never reads fills its pipe, so the publisher refuses
 * (XPUB_NODROP) and the desk loses its ticker's messages of that window. The desk finds the gap
 * in a heartbeat digest and asks for its prefix only. Then a raw DEALER asks the same seq range
 * the old way (REPLAY lo hi, every topic), which is what a topic-filtered desk used to get.
 * Prints one line of key=value pairs. */
#include <ev.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "core/clock.h"
#include "core/log.h"
#include "proto/alert.h"
#include "sinks/zmq_pub.h"
#include "sinks/zsub.h"
#include "sinks/zwire.h"

static void on_break(struct ev_loop *loop, ev_timer *w, int revents) { ev_break(loop, EVBREAK_ONE); }

static void run_for(struct ev_loop *loop, int ms)
{
    ev_now_update(loop);
    ev_timer t;
    ev_timer_init(&t, on_break, ms / 1000.0, 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    ev_timer_stop(loop, &t);
}

static void send_alert(sink *s, int i, int tickers)
{
    static const char *cats[] = {"invest", "chips", "regulatory"};
    char tick[16], buf[1600];
    snprintf(tick, sizeof tick, "T%03d", (i / 3 * 7) % tickers);
    proto_alert *a = proto_alert_create();
    snprintf(buf, sizeof buf, "rb-%d", i);
    proto_alert_set(&a->article.id, buf);
    proto_alert_set(&a->category, cats[i % 3]);
    proto_alert_set(&a->stage, "talks");
    snprintf(buf, sizeof buf, "Story %d: %s in talks over a stake, people familiar with the matter say",
             i, tick);
    proto_alert_set(&a->article.headline, buf);
    /* ~1.5 KB alerts: the window must outgrow the kernel's autotuned send buffer (4 MB) too */
    snprintf(buf, sizeof buf, "https://news.example/%d/%0*d", i, 1400, 0);
    proto_alert_set(&a->article.url, buf);
    proto_alert_set(&a->filter.name, cats[i % 3]);
    proto_alert_set(&a->filter.version, "1");
    a->score = 75;
    proto_alert_add_entity(a, tick, tick, "target", 90);
    proto_alert_add_amount(a, 2e9, "$2 billion");
    sink_submit(s, &a, 1, (uint64_t)i);
    proto_alert_destroy(a);
}

static void note_gap(const zsub_event *ev, uint64_t *lo, uint64_t *hi, int *gaps, uint64_t *lost)
{
    if (ev->kind != ZSUB_GAP || *gaps == 64) return;
    lo[*gaps] = ev->lo;
    hi[(*gaps)++] = ev->hi;
    *lost += ev->count;
}

/* Bytes (topic + body) of the old answer: REPLAY lo hi, every topic. */
static uint64_t whole_stream(struct ev_loop *loop, void *ctx, const char *rep, uint64_t lo,
                             uint64_t hi, uint64_t *msgs)
{
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(d, rep);
    char req[64];
    int n = snprintf(req, sizeof req, ZWIRE_REPLAY " %" PRIu64 " %" PRIu64, lo, hi);
    zmq_send(d, req, (size_t)n, 0);
    uint64_t bytes = 0;
    *msgs = 0;
    for (int idle = 0; idle < 2000;) {
        zmq_msg_t a, b;
        zmq_msg_init(&a);
        if (zmq_msg_recv(&a, d, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&a);
            run_for(loop, 2);
            idle++;
            continue;
        }
        if (!zmq_msg_more(&a)) { /* END */
            zmq_msg_close(&a);
            break;
        }
        zmq_msg_init(&b);
        zmq_msg_recv(&b, d, 0);
        bytes += zmq_msg_size(&a) + zmq_msg_size(&b);
        (*msgs)++;
        zmq_msg_close(&a);
        zmq_msg_close(&b);
    }
    zmq_close(d);
    return bytes;
}

int main(int argc, char **argv)
{
    int n = 20000, tickers = 200, window = 8000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--alerts") == 0) n = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--tickers") == 0) tickers = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--window") == 0) window = atoi(argv[i + 1]);
    }
    sq_log_setup(stderr, SQ_LOG_ERROR, SQ_LOG_TEXT);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    const char *eps[] = {"tcp://127.0.0.1:*"}, *reps[] = {"tcp://127.0.0.1:*"};
    /* the ring must still hold the window when the desk asks (20,000 x ~1.5 KB is ~30 MB): the 4 MiB
     * default would answer GONE and leave both replays nothing to compare */
    sink_zpub_opts o = {.endpoints = eps, .n_endpoints = 1, .replay_endpoints = reps,
                        .n_replay_endpoints = 1, .sndhwm = 100, .heartbeat_ms = 200,
                        .ring_max_bytes = (size_t)64 << 20};
    sink *s = NULL;
    char err[256], ep[256], rep[256];
    if (sink_zpub_create(&s, loop, &o, err, sizeof err) != 0) {
        fprintf(stderr, "replay_bench: %s\n", err);
        return 1;
    }
    sink_zpub_endpoint(s, 0, ep, sizeof ep);
    sink_zpub_endpoint(s, 1, rep, sizeof rep);
    const char *topics[] = {"invest.T007"};
    zsub_opts zo = {.topics = topics, .n_topics = 1};
    zsub *z = NULL;
    if (zsub_create(&z, &zo, err, sizeof err) != 0 || zsub_connect(z, ep, rep, 0) != 0) return 1;
    void *ctx = zmq_ctx_new(), *blocker = zmq_socket(ctx, ZMQ_SUB);
    int one = 1, small = 4096;
    zmq_setsockopt(blocker, ZMQ_RCVHWM, &one, sizeof one);
    zmq_setsockopt(blocker, ZMQ_RCVBUF, &small, sizeof small);
    zmq_setsockopt(blocker, ZMQ_SUBSCRIBE, "", 0);
    sink_zpub_stats st;
    zsub_event ev;
    do {
        run_for(loop, 10);
        zsub_next(z, &ev, 0);
        sink_zpub_get_stats(s, &st);
    } while (st.prefixes < 1);
    uint64_t gap_lo[64], gap_hi[64], lost_msgs = 0; /* each gap the desk asked for */
    int gaps = 0;
    for (int i = 0; i < n; i++) {
        if (i == (n - window) / 2) { /* the window starts once the publisher knows the blocker */
            zmq_connect(blocker, ep);
            do {
                run_for(loop, 5);
                sink_zpub_get_stats(s, &st);
            } while (st.prefixes < 2);
        }
        if (i == (n + window) / 2) {
            zmq_close(blocker); /* the window is over: the publisher can send again */
            blocker = NULL;
        }
        send_alert(s, i, tickers);
        if (i % 50 == 0) {
            run_for(loop, 1);
            while (zsub_next(z, &ev, 0) > 0) note_gap(&ev, gap_lo, gap_hi, &gaps, &lost_msgs);
        }
    }
    int64_t end = sq_clock_mono_ns() + 10000000000LL;
    zsub_stats zs;
    do { /* until the desk recovered what it lost */
        run_for(loop, 5);
        while (zsub_next(z, &ev, 0) > 0) note_gap(&ev, gap_lo, gap_hi, &gaps, &lost_msgs);
        zsub_get_stats(z, &zs);
    } while ((zs.recovered < lost_msgs || !lost_msgs) && sq_clock_mono_ns() < end);
    sink_zpub_get_stats(s, &st);
    uint64_t whole_msgs = 0, whole = 0;
    for (int g = 0; g < gaps; g++) {
        uint64_t m = 0;
        whole += whole_stream(loop, ctx, rep, gap_lo[g], gap_hi[g], &m);
        whole_msgs += m;
    }
    printf("alerts=%d tickers=%d dropped=%" PRIu64 " desk_lost=%" PRIu64 " desk_recovered=%" PRIu64
           " gaps=%d replay_msgs=%" PRIu64 " replay_bytes=%" PRIu64
           " whole_msgs=%" PRIu64 " whole_bytes=%" PRIu64 "\n",
           n, tickers, st.dropped, lost_msgs, zs.recovered, gaps, zs.replayed,
           zs.replay_bytes, whole_msgs, whole);
    if (blocker) zmq_close(blocker);
    zmq_ctx_term(ctx);
    zsub_destroy(z);
    sink_destroy(s);
    ev_loop_destroy(loop);
    return lost_msgs && zs.recovered >= lost_msgs ? 0 : 1;
}
