/* cmd_proxy.c -- squawk proxy: an XSUB/XPUB forwarder so many publishers fan in to one address. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "commands.h"

static const char usage[] =
    "usage: squawk proxy [--frontend EP]... [--publisher EP]... [--backend EP]...\n"
    "\n"
    "Forwards alerts from many squawk publishers to one address (zmq_proxy).\n"
    "  --frontend EP   bind the XSUB side here; publishers connect to it\n"
    "                  (zmq sink endpoint \">tcp://host:port\"). Default tcp://*:5560\n"
    "  --publisher EP  connect the XSUB side to a publisher's bound endpoint\n"
    "  --backend EP    bind the XPUB side here; subscribers connect. Default tcp://*:5561\n"
    "Replay is not forwarded: subscribers ask each publisher's replay socket directly.\n"
    "SIGINT/SIGTERM stop the proxy cleanly.\n";

static void on_signal(int sig) { (void)sig; /* only to interrupt zmq_proxy's poll */ }

#define PROXY_MAX_EP 32

int cmd_proxy(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    const char *front[PROXY_MAX_EP], *pubs[PROXY_MAX_EP], *back[PROXY_MAX_EP];
    int nf = 0, np = 0, nb = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (i + 1 >= argc) {
            fprintf(stderr, "squawk proxy: '%s' needs a value or is unknown\n%s", o, usage);
            return 2;
        }
        if (strcmp(o, "--frontend") == 0 && nf < PROXY_MAX_EP)
            front[nf++] = argv[++i];
        else if (strcmp(o, "--publisher") == 0 && np < PROXY_MAX_EP)
            pubs[np++] = argv[++i];
        else if (strcmp(o, "--backend") == 0 && nb < PROXY_MAX_EP)
            back[nb++] = argv[++i];
        else {
            fprintf(stderr, "squawk proxy: unknown option '%s'\n%s", o, usage);
            return 2;
        }
    }
    if (nf == 0 && np == 0) front[nf++] = "tcp://*:5560";
    if (nb == 0) back[nb++] = "tcp://*:5561";

    /* No SA_RESTART: the signal must make zmq_proxy's poll fail with EINTR. */
    cli_on_stop_signals(on_signal);

    int rc = 1;
    void *ctx = zmq_ctx_new();
    void *xsub = zmq_socket(ctx, ZMQ_XSUB);
    void *xpub = zmq_socket(ctx, ZMQ_XPUB);
    int zero = 0;
    zmq_setsockopt(xsub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(xpub, ZMQ_LINGER, &zero, sizeof zero);
    for (int i = 0; i < nf; i++)
        if (zmq_bind(xsub, front[i]) != 0) {
            fprintf(stderr, "squawk proxy: bind %s: %s\n", front[i], zmq_strerror(errno));
            goto out;
        }
    for (int i = 0; i < np; i++)
        if (zmq_connect(xsub, pubs[i]) != 0) {
            fprintf(stderr, "squawk proxy: connect %s: %s\n", pubs[i], zmq_strerror(errno));
            goto out;
        }
    for (int i = 0; i < nb; i++)
        if (zmq_bind(xpub, back[i]) != 0) {
            fprintf(stderr, "squawk proxy: bind %s: %s\n", back[i], zmq_strerror(errno));
            goto out;
        }
    /* Resolved endpoints (tcp://...:* binds pick a port) so scripts can find us. */
    char ep[256];
    size_t sz = sizeof ep;
    if (nf && zmq_getsockopt(xsub, ZMQ_LAST_ENDPOINT, ep, &sz) == 0)
        fprintf(stderr, "squawk proxy: frontend %s\n", ep);
    sz = sizeof ep;
    if (zmq_getsockopt(xpub, ZMQ_LAST_ENDPOINT, ep, &sz) == 0)
        fprintf(stderr, "squawk proxy: backend %s\n", ep);
    fflush(stderr);
    zmq_proxy(xsub, xpub, NULL);
    if (errno == EINTR || errno == ETERM) {
        fprintf(stderr, "squawk proxy: stopped\n");
        rc = 0;
    } else {
        fprintf(stderr, "squawk proxy: %s\n", zmq_strerror(errno));
    }
out:
    zmq_close(xsub);
    zmq_close(xpub);
    zmq_ctx_term(ctx);
    return rc;
}
