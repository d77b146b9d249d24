/* main.c -- the squawk binary: dispatches git-style subcommands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "../core/log.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"run", cmd_run, "run the pipeline: Kafka -> filters -> sinks"},
    {"check", cmd_check, "validate a config, load plugins, compile rules"},
    {"score", cmd_score, "score articles offline and print alerts as JSON Lines"},
    {"eval", cmd_eval, "measure precision/recall/F1 against labelled articles"},
    {"train", cmd_train, "train a learned category from labelled articles"},
    {"sub", cmd_sub, "subscribe to alerts (desk-side tool)"},
    {"say", cmd_say, "speak alerts aloud (the squawk box)"},
    {"feed", cmd_feed, "produce articles into a Kafka topic"},
    {"broker", cmd_broker, "start an embedded mock Kafka cluster (dev/test only)"},
    {"proxy", cmd_proxy, "XSUB/XPUB forwarder to fan in many publishers"},
    {"keygen", cmd_keygen, "write a CURVE key pair"},
    {"version", cmd_version, "print squawk's and every library's version"},
    {"rules", cmd_rules, "lint token-pattern rule packs (engine v2): file:line: reason"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: squawk <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'squawk <command> --help' for a command's options.\n");
}

int cli_wants_help(int argc, char **argv, const char *usage_text)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 1;
        }
    return 0;
}

int cli_not_built(const char *name, int argc, char **argv, const char *usage_text)
{
    if (cli_wants_help(argc, argv, usage_text)) return 0;
    fprintf(stderr, "squawk %s: not built yet\n", name);
    return 2;
}

void cli_on_stop_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) return cmd_version(1, argv + 1);
    /* eval, train and the other one-shot commands read no config: the
     * variable of log.level applies to them too (run and check read it
     * through the config as well, where a bad value is a config error) */
    const char *bad;
    sq_log_set_level(sq_log_env_level(SQ_LOG_INFO, &bad));
    if (bad) fprintf(stderr, "squawk: SQUAWK_LOG__LEVEL: '%s' is not a level (debug, info, warn, error); using info\n", bad);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "squawk: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
