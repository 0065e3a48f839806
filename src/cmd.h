/* cmd.h: the agora CLI's commands, one file per group (src/cmd-*.c). */
#ifndef AGORA_CMD_H
#define AGORA_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "db.h"

/*
 * A command gets argv from its own name on (argv[0] = "migrate") and
 * returns the process exit status: 0 done, 1 failed, 2 bad usage.
 */
struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage; /* one or more "  name args   what" lines */
};

int cmd_migrate(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_cron(int argc, char **argv);
int cmd_seed(int argc, char **argv);
int cmd_reindex(int argc, char **argv);
int cmd_config(int argc, char **argv);

/*
 * cmd_setup: load the configuration (or exit naming the bad variable),
 * start the log and open the database (or exit 1). Every command but
 * migrate also needs a migrated database: pending migrations make it
 * exit 1 with "run agora migrate first".
 */
struct db *cmd_setup(struct cfg *c, const char *cmdname);
/* cmd_teardown: close what cmd_setup() opened. */
void cmd_teardown(struct cfg *c, struct db *db);

/* The rules every command keeps: -h or --help anywhere before other
 * work prints its usage on stdout and exits 0; a usage error prints a
 * line saying what is wrong and the usage on stderr and exits 2. */
bool cmd_is_help(const char *arg);
/* cmd_help: text on stdout; returns 0. */
int cmd_help(const char *text);
/* cmd_usage_error: "agora: <why>" then text on stderr; returns 2. */
int cmd_usage_error(const char *text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A command's options, read with getopt_long(3) by cmd_opt():
 *
 *	struct cmd_args a = { "seed", seed_usage, opts };
 *
 *	while ((opt = cmd_opt(&a, argc, argv)) > 0)
 *		switch (opt) { case 'p': …; }
 *	if (opt < 0)
 *		return a.status;
 *
 * cmd_opt() returns the next option's letter (its value in optarg), 0
 * after the last one, or -1 when it has answered for the command: the
 * usage for -h/--help (status 0), or a usage error (status 2) for an
 * unknown option, an option without its value or an argument that is no
 * option.
 */
struct cmd_args {
	const char *name; /* "user create", as the messages name it */
	const char *usage;
	const struct option *opts; /* with { "help", no_argument, NULL, 'h' } */
	int status;
	bool started;
};

int cmd_opt(struct cmd_args *a, int argc, char **argv);

/* cmd_progress: a progress bar on stderr, redrawn in place ("what
 * [####   ]  40% done/total"); only for a terminal. */
void cmd_progress(const char *what, int64_t done, int64_t total);

#endif
