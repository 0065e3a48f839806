/* cmd.h: the agora CLI's commands, one file per group (src/cmd-*.c). */
#ifndef AGORA_CMD_H
#define AGORA_CMD_H

#include "cfg.h"
#include "db.h"

/*
 * A command gets argv from its own name on (argv[0] = "migrate") and
 * returns the process exit status: 0 done, 1 failed, 2 bad usage.
 */
struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;	/* one or more "  name args   what" lines */
};

int cmd_migrate(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_cron(int argc, char **argv);
int cmd_seed(int argc, char **argv);
int cmd_reindex(int argc, char **argv);

/* cmd_setup: load the configuration (or exit naming the bad variable),
 * start the log and open the database (or exit). */
struct db *cmd_setup(struct cfg *c, const char *cmdname);

#endif
