/* cmd_check.c -- squawk check: validate the config, load every plugin, compile every rule pack. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/config.h"
#include "service/pipeline.h"

static const char usage[] =
    "usage: squawk check -c squawk.yml\n"
    "       squawk check --reference    # every key with its default and doc: config/squawk.yml\n"
    "\n"
    "Validates the configuration (unknown keys, types, librdkafka properties), loads\n"
    "every filter plugin, compiles every rule pack and the gazetteer, and prints the\n"
    "effective configuration with secrets masked. Exit 0 when it would run.\n";

int cmd_check(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    if (argc == 2 && strcmp(argv[1], "--reference") == 0) {
        sq_config_reference(stdout);
        return 0;
    }
    sq_config cfg;
    int rc = cli_load_config(argc, argv, &cfg, usage);
    if (rc) return rc;
    char err[1024] = "";
    rc = pipeline_check(&cfg, stdout, err, sizeof err);
    if (rc != 0) fprintf(stderr, "squawk check: %s\n", err);
    sq_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}
