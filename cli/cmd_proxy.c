/* cmd_proxy.c -- squawk proxy (placeholder until its issue lands). */
#include "commands.h"

static const char usage[] = "usage: squawk proxy [options]\n";

int cmd_proxy(int argc, char **argv)
{
    return cli_not_built("proxy", argc, argv, usage);
}
