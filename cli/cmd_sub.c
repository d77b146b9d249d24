/* cmd_sub.c -- squawk sub (placeholder until its issue lands). */
#include "commands.h"

static const char usage[] = "usage: squawk sub [options]\n";

int cmd_sub(int argc, char **argv)
{
    return cli_not_built("sub", argc, argv, usage);
}
