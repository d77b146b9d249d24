/* cmd_run.c -- squawk run: loads squawk.yml and runs the pipeline until SIGTERM/SIGINT. */
#include <ev.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/config.h"
#include "core/log.h"
#include "service/pipeline.h"

extern char **environ;

static const char usage[] =
    "usage: squawk run -c squawk.yml [--log-format text|json] [--log-level LEVEL]\n"
    "\n"
    "Runs the pipeline: consume articles from Kafka, run the filters, publish alerts\n"
    "to the sinks. Any config key can be overridden from the environment:\n"
    "SQUAWK_<SECTION>__<KEY>, e.g. SQUAWK_KAFKA__BOOTSTRAP_SERVERS=kafka:9092 or\n"
    "SQUAWK_FILTERS__INVEST__THRESHOLD=60.\n"
    "\n"
    "Signals: SIGTERM/SIGINT drain in-flight articles, flush sinks, commit offsets and\n"
    "exit 0; SIGHUP reloads rule packs, gazetteer and plugin configs (a bad reload\n"
    "keeps the old ones).\n";

/* Shared by run and check: -c FILE plus log overrides. Returns 0 or exit code. */
int cli_load_config(int argc, char **argv, sq_config *cfg, const char *usage_text)
{
    const char *path = NULL, *fmt = NULL, *lvl = NULL;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "--log-format") && i + 1 < argc)
            fmt = argv[++i];
        else if (!strcmp(argv[i], "--log-level") && i + 1 < argc)
            lvl = argv[++i];
        else {
            fprintf(stderr, "squawk: unknown option '%s'\n%s", argv[i], usage_text);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "squawk: -c squawk.yml is required\n%s", usage_text);
        return 2;
    }
    char err[1024];
    if (sq_config_load(cfg, path, environ, err, sizeof err) != 0) {
        fprintf(stderr, "squawk: config error: %s\n", err);
        return 1;
    }
    sq_log_level level = SQ_LOG_INFO;
    sq_log_parse_level(lvl ? lvl : cfg->log.level, &level);
    const char *f = fmt ? fmt : cfg->log.format;
    sq_log_setup(stderr, level, strcmp(f, "json") == 0 ? SQ_LOG_JSON : SQ_LOG_TEXT);
    return 0;
}

int cmd_run(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    sq_config cfg;
    int rc = cli_load_config(argc, argv, &cfg, usage);
    if (rc) return rc;
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    pipeline *p;
    char err[1024] = "";
    if (pipeline_create(&p, loop, &cfg, err, sizeof err) != 0) {
        sq_error("run.failed", "reason=\"%s\"", err);
        fprintf(stderr, "squawk run: %s\n", err);
        sq_config_free(&cfg);
        return 1;
    }
    rc = pipeline_run(p);
    pipeline_destroy(p);
    sq_config_free(&cfg);
    ev_loop_destroy(loop);
    return rc;
}
