/* agora.c: the command-line tool: migrations and accounts. */
#include "common.h"

#include <getopt.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "user.h"

static const char usage[] =
	"usage: agora <command> [options]\n"
	"\n"
	"commands:\n"
	"  migrate                 apply pending migrations to DATABASE_URL;\n"
	"                          with ADMIN_EMAIL and ADMIN_PASSWORD set, also\n"
	"                          make sure that ADMIN account exists\n"
	"  user create --email E --password P [--name N] [--admin]\n"
	"                          create an account (USER, or ADMIN)\n"
	"\n"
	"options:\n"
	"  -h, --help              show this help\n"
	"  -V, --version           show the version\n"
	"\n"
	"Configuration comes from the environment (and AGORA_ENV_FILE);\n"
	"see docs/operations.md.\n";

static struct db *open_db(const struct cfg *c)
{
	struct db_opts opts = { 0 };
	struct err e = ERR_INIT;
	struct db *db = NULL;

	opts.statement_timeout = c->db_statement_timeout;
	if (db_open(&db, c->database_url, &opts, &e) < 0)
		die("agora: cannot open database: %s", e.msg);
	return db;
}

/* Create the ADMIN account named by ADMIN_EMAIL, or promote it. */
static int ensure_admin(struct db *db, const struct cfg *c, struct err *e)
{
	char *email = xstrdup(c->admin_email), now[32];
	struct db_res *res = NULL;
	int ret = -1;

	user_email_fold(email);
	db_now(now);
	if (db_query(db, &res,
		     "UPDATE users SET role = 'ADMIN', updated_at = $2 "
		     "WHERE email = $1 AND role <> 'ADMIN' RETURNING id",
		     DB_ARGS(DB_S(email), DB_S(now)), e) < 0)
		goto out;
	if (db_res_rows(res) == 1) {
		printf("agora: %s promoted to ADMIN\n", email);
		ret = 0;
		goto out;
	}
	db_res_free(res);
	res = NULL;
	if (user_create(db, email, c->admin_password, "Administrator", "ADMIN",
			c->bcrypt_cost, NULL, e) == 0) {
		printf("agora: ADMIN %s created\n", email);
		ret = 0;
	} else if (e->code == ERR_CONFLICT) {
		/* Already there and already an ADMIN. */
		err_release(e);
		ret = 0;
	}
out:
	if (res)
		db_res_free(res);
	free(email);
	return ret;
}

static int cmd_migrate(int argc, char **argv)
{
	struct cfg c;
	struct db *db;
	struct err e = ERR_INIT;
	int applied = 0, ret = 1;

	if (argc > 1)
		die("agora migrate: unexpected argument '%s'", argv[1]);
	cfg_load_or_die(&c, 0, "agora");
	log_init("agora", c.log_level);
	db = open_db(&c);
	if (migrate_run(db, &applied, &e) < 0) {
		fprintf(stderr, "agora migrate: %s\n", e.msg);
		goto out;
	}
	printf("agora: %d migration%s applied\n", applied,
	       applied == 1 ? "" : "s");
	if (c.admin_email[0] && c.admin_password[0] &&
	    ensure_admin(db, &c, &e) < 0) {
		fprintf(stderr, "agora migrate: ADMIN_EMAIL: %s\n", e.msg);
		goto out;
	}
	ret = 0;
out:
	err_release(&e);
	db_free(db);
	cfg_release(&c);
	return ret;
}

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
	cfg_load_or_die(&c, 0, "agora");
	log_init("agora", c.log_level);
	db = open_db(&c);
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

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || !strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "help")) {
		fputs(usage, cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("agora %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "migrate"))
		return cmd_migrate(argc - 1, argv + 1);
	if (!strcmp(cmd, "user") && argc > 2 && !strcmp(argv[2], "create"))
		return cmd_user_create(argc - 2, argv + 2);
	fprintf(stderr, "agora: unknown command '%s'\n\n%s", cmd, usage);
	return 2;
}
