/* commands.h -- the git-style subcommands of the squawk binary. */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

/* Each returns the process exit code: 0 ok, 1 failure, 2 usage or not built. */
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_sub(int argc, char **argv);
int cmd_say(int argc, char **argv);
int cmd_feed(int argc, char **argv);
int cmd_broker(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_rules(int argc, char **argv);

/* True when argv holds -h or --help; prints usage to stdout then. */
int cli_wants_help(int argc, char **argv, const char *usage);
/* For subcommands whose issue has not landed: says so, exits 2. */
int cli_not_built(const char *name, int argc, char **argv, const char *usage);

/* SIGINT and SIGTERM call handler, without SA_RESTART so a blocking poll returns EINTR. */
void cli_on_stop_signals(void (*handler)(int));

/* -c FILE plus --log-format/--log-level, shared by run and check: loads the
 * config (with env overrides) and sets up logging. 0, or an exit code. */
struct sq_config;
int cli_load_config(int argc, char **argv, struct sq_config *cfg, const char *usage);

#endif
