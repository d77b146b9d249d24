/* cmd_rules.c -- `squawk rules lint FILE...`: load token-pattern packs (engine v2) and print every problem as file:line: reason. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "filters/tpat.h"

static const char usage[] =
    "usage: squawk rules lint FILE...\n"
    "\n"
    "Loads each token-pattern pack (the v2 rule language, filters/README.md) and prints every\n"
    "problem as FILE:LINE: REASON -- unknown keys, undefined lexicons and macros, company slots\n"
    "without a declared role, patterns that can never match, bad field values. A pack that loads\n"
    "prints one summary line. Exit 0 when every pack loads, 1 when one does not, 2 on usage errors.\n";

static int lint(const char *path)
{
    tpat_pack *p = NULL;
    tpat_diag d = {0};
    int rc = tpat_load(&p, path, &d);
    for (size_t i = 0; i < d.n; i++) printf("%s\n", d.v[i]);
    if (rc == 0) {
        size_t slots = 0;
        for (uint32_t i = 0; i < tpat_size(p); i++) slots += tpat_rule_at(p, i)->n_slots;
        printf("%s: ok: pack %s, %zu rules, %zu lexicons, %zu roles, %zu company slots\n", path, tpat_name(p),
               tpat_size(p), tpat_n_lexicons(p), tpat_n_roles(p), slots);
    } else if (d.n == 0) {
        printf("%s:0: cannot load (error %d)\n", path, rc);
    }
    tpat_diag_free(&d);
    tpat_destroy(p);
    return rc == 0 ? 0 : 1;
}

int cmd_rules(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, usage)) return 0;
    if (argc < 3 || strcmp(argv[1], "lint") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    int bad = 0;
    for (int i = 2; i < argc; i++) bad |= lint(argv[i]);
    return bad ? 1 : 0;
}
