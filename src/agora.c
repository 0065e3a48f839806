/* agora.c: the command-line tool: a table of commands (src/cmd-*.c). */
#include "common.h"

#include <stdarg.h>

#include "cmd.h"

static const struct cmd cmds[] = {
	{ "migrate", cmd_migrate,
	  "  migrate [--promote-admin]\n"
	  "                          apply pending migrations to DATABASE_URL;\n"
	  "                          with ADMIN_EMAIL and ADMIN_PASSWORD set, also\n"
	  "                          make sure that ADMIN account exists\n" },
	{ "user", cmd_user,
	  "  user create --email E --password P [--name N] [--admin]\n"
	  "                          create an account (USER, or ADMIN)\n" },
	{ "batch", cmd_batch,
	  "  batch <job> [args]      run one batch job now (agora batch --help\n"
	  "                          lists them), one runner at a time\n" },
	{ "cron", cmd_cron,
	  "  cron [--once] [--schedule 'M H DOM MON DOW job [args]']...\n"
	  "                          run the jobs on their schedule until SIGTERM\n" },
	{ "seed", cmd_seed,
	  "  seed --products N [--seed S]\n"
	  "                          add N generated products (no outbox events:\n"
	  "                          run reindex afterwards with Elasticsearch)\n" },
	{ "reindex", cmd_reindex,
	  "  reindex                 rebuild the product search index\n" },
	{ "config", cmd_config,
	  "  config [NAME...]        print the configuration as loaded (the\n"
	  "                          environment, then the env file)\n" },
};

static void usage(FILE *out)
{
	size_t i;

	fputs("usage: agora <command> [options]\n\ncommands:\n", out);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		fputs(cmds[i].usage, out);
	fputs("\noptions:\n"
	      "  -h, --help              show this help (also after a command)\n"
	      "  -V, --version           show the version\n"
	      "\n"
	      "Configuration comes from the environment (and AGORA_ENV_FILE);\n"
	      "see agora(1).\n",
	      out);
}

bool cmd_is_help(const char *arg)
{
	return arg && (!strcmp(arg, "-h") || !strcmp(arg, "--help"));
}

int cmd_help(const char *text)
{
	fputs(text, stdout);
	return 0;
}

int cmd_usage_error(const char *text, const char *fmt, ...)
{
	va_list ap;

	fputs("agora: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(text, stderr);
	return 2;
}

int cmd_opt(struct cmd_args *a, int argc, char **argv)
{
	int opt;

	if (!a->started) {
		a->started = true;
		optind = 1; /* argv is the command's own, from its name on */
		opterr = 0; /* the messages are ours */
	}
	/* The leading ':' tells a missing value (':') from an unknown
	 * option ('?'). */
	opt = getopt_long(argc, argv, ":h", a->opts, NULL);
	if (opt == 'h') {
		a->status = cmd_help(a->usage);
		return -1;
	}
	if (opt == ':' || opt == '?') {
		a->status =
			cmd_usage_error(a->usage,
					opt == ':' ? "%s: '%s' needs a value" :
						     "%s: bad option '%s'",
					a->name, argv[optind - 1]);
		return -1;
	}
	if (opt != -1)
		return opt;
	if (optind < argc) {
		a->status = cmd_usage_error(a->usage,
					    "%s: unexpected argument '%s'",
					    a->name, argv[optind]);
		return -1;
	}
	return 0;
}

/* A bar on stderr, redrawn in place; the caller checks for a terminal. */
void cmd_progress(const char *what, int64_t done, int64_t total)
{
	int width = 40, fill;

	fill = total > 0 ? (int)(done * width / total) : width;
	if (fill > width)
		fill = width;
	fprintf(stderr, "\r%s [%.*s%*s] %3d%% %" PRId64 "/%" PRId64, what, fill,
		"########################################", width - fill, "",
		total > 0 ? (int)(done * 100 / total) : 100, done, total);
	fflush(stderr);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	size_t i;

	if (!name) {
		usage(stderr);
		return 2;
	}
	if (cmd_is_help(name) || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
		printf("agora %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(name, cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "agora: unknown command '%s'\n\n", name);
	usage(stderr);
	return 2;
}
