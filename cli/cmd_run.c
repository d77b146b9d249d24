/* cmd_run.c -- squawk run (placeholder until its issue lands). */
#include "commands.h"

static const char usage[] = "usage: squawk run [options]\n";

int cmd_run(int argc, char **argv)
{
    return cli_not_built("run", argc, argv, usage);
}
