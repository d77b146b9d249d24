/* cmd_feed.c -- squawk feed (placeholder until its issue lands). */
#include "commands.h"

static const char usage[] = "usage: squawk feed [options]\n";

int cmd_feed(int argc, char **argv)
{
    return cli_not_built("feed", argc, argv, usage);
}
