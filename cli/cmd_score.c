/* cmd_score.c -- squawk score (placeholder until its issue lands). */
#include "commands.h"

static const char usage[] = "usage: squawk score [options]\n";

int cmd_score(int argc, char **argv)
{
    return cli_not_built("score", argc, argv, usage);
}
