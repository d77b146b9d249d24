/* cmd_broker.c -- squawk broker (placeholder until its issue lands). */
#include "commands.h"

static const char usage[] = "usage: squawk broker [options]\n";

int cmd_broker(int argc, char **argv)
{
    return cli_not_built("broker", argc, argv, usage);
}
