/* agora.c: the command-line tool: a table of commands (src/cmd-*.c). */
#include "common.h"

#include "cmd.h"

static const struct cmd cmds[] = {
	{ "migrate", cmd_migrate,
	  "  migrate                 apply pending migrations to DATABASE_URL;\n"
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
};

static void usage(FILE *out)
{
	size_t i;

	fputs("usage: agora <command> [options]\n\ncommands:\n", out);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		fputs(cmds[i].usage, out);
	fputs("\noptions:\n"
	      "  -h, --help              show this help\n"
	      "  -V, --version           show the version\n"
	      "\n"
	      "Configuration comes from the environment (and AGORA_ENV_FILE);\n"
	      "see docs/operations.md.\n", out);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	size_t i;

	if (!name || !strcmp(name, "-h") || !strcmp(name, "--help") ||
	    !strcmp(name, "help")) {
		usage(name ? stdout : stderr);
		return name ? 0 : 2;
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
