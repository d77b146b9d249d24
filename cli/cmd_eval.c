/* cmd_eval.c -- squawk eval (placeholder until its issue lands). */
#include "commands.h"

static const char usage[] = "usage: squawk eval [options]\n";

int cmd_eval(int argc, char **argv)
{
    return cli_not_built("eval", argc, argv, usage);
}
