/* cmd_keygen.c -- squawk keygen (placeholder until its issue lands). */
#include "commands.h"

static const char usage[] = "usage: squawk keygen [options]\n";

int cmd_keygen(int argc, char **argv)
{
    return cli_not_built("keygen", argc, argv, usage);
}
