/* cmd-user.c: `agora user create`. */
#include "common.h"

#include <getopt.h>

#include "cmd.h"
#include "user.h"

static int cmd_user_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "password", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "admin", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	const char *email = NULL, *password = NULL, *name = NULL;
	bool admin = false;
	struct err e = ERR_INIT;
	struct cfg c;
	struct db *db;
	int opt, ret = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'e': email = optarg; break;
		case 'p': password = optarg; break;
		case 'n': name = optarg; break;
		case 'a': admin = true; break;
		default: return 2;
		}
	}
	if (!email || !password)
		die("usage: agora user create --email E --password P [--name N] [--admin]");
	if (strlen(password) < 8)
		die("agora user create: the password must have at least 8 characters");
	db = cmd_setup(&c, "user create");
	if (user_create(db, email, password, name ? name : email,
			admin ? "ADMIN" : "USER", c.bcrypt_cost, NULL, &e) < 0) {
		fprintf(stderr, "agora user create: %s\n", e.msg);
	} else {
		printf("agora: %s %s created\n", admin ? "ADMIN" : "USER",
		       email);
		ret = 0;
	}
	err_release(&e);
	db_free(db);
	cfg_release(&c);
	return ret;
}

int cmd_user(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "create"))
		return cmd_user_create(argc - 1, argv + 1);
	fprintf(stderr, "usage: agora user create --email E --password P "
		"[--name N] [--admin]\n");
	return 2;
}
