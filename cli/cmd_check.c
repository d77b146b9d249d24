/* cmd_check.c -- squawk check (placeholder until its issue lands). */
#include "commands.h"

static const char usage[] = "usage: squawk check [options]\n";

int cmd_check(int argc, char **argv)
{
    return cli_not_built("check", argc, argv, usage);
}
