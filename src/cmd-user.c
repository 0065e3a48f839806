/* cmd-user.c: `agora user create`. */
#include "common.h"

#include <getopt.h>

#include "cmd.h"
#include "jsonx.h"
#include "user.h"

static const char user_usage[] =
	"usage: agora user create --email E --password P [--name N] [--admin]\n"
	"\n"
	"Create an account, held to the rules of POST /api/auth/signup: an\n"
	"email (stored lower-cased), a password of 8 to 72 characters (at\n"
	"most 72 bytes), a name of 1 to 100 characters (default: the email).\n"
	"\n"
	"  --email E         the account's email\n"
	"  --password P      its password\n"
	"  --name N          its name\n"
	"  --admin           an ADMIN rather than a USER\n"
	"  -h, --help        show this help\n";

/* The API's messages, one line. */
static int user_bad_input(struct err *e)
{
	size_t i;

	fputs("agora user create: ", stderr);
	for (i = 0; i < e->nlist; i++)
		fprintf(stderr, "%s%s", i ? "; " : "", e->list[i]);
	fputs("\n", stderr);
	err_release(e);
	return 2;
}

static int cmd_user_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "password", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "admin", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_args a = { "user create", user_usage, opts };
	const char *email = NULL, *password = NULL, *name = NULL;
	struct json_object *o;
	bool admin = false;
	struct err e = ERR_INIT;
	struct cfg c;
	struct db *db;
	int opt, ret = 1;

	while ((opt = cmd_opt(&a, argc, argv)) > 0) {
		switch (opt) {
		case 'e':
			email = optarg;
			break;
		case 'p':
			password = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'a':
			admin = true;
			break;
		}
	}
	if (opt < 0)
		return a.status;
	if (!email || !password)
		return cmd_usage_error(user_usage, "user create: --email and "
						   "--password are required");
	o = json_object_new_object();
	json_object_object_add(o, "email", json_object_new_string(email));
	json_object_object_add(o, "password", json_object_new_string(password));
	json_object_object_add(o, "name",
			       json_object_new_string(name ? name : email));
	ret = user_valid_new(o, &e);
	json_object_put(o);
	if (ret < 0)
		return user_bad_input(&e);
	ret = 1;
	db = cmd_setup(&c, "user create");
	if (user_create(db, email, password, name ? name : email,
			admin ? "ADMIN" : "USER", c.bcrypt_cost, NULL,
			&e) < 0) {
		fprintf(stderr, "agora user create: %s\n", e.msg);
	} else {
		printf("agora: %s %s created\n", admin ? "ADMIN" : "USER",
		       email);
		ret = 0;
	}
	err_release(&e);
	cmd_teardown(&c, db);
	return ret;
}

int cmd_user(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "create"))
		return cmd_user_create(argc - 1, argv + 1);
	if (argc > 1 && cmd_is_help(argv[1]))
		return cmd_help(user_usage);
	return cmd_usage_error(user_usage,
			       argc > 1 ? "user: unknown subcommand '%s'" :
					  "user: a subcommand is needed%s",
			       argc > 1 ? argv[1] : "");
}
