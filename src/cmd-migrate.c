/* cmd-migrate.c: `agora migrate` and the first ADMIN account. */
#include "common.h"

#include "cmd.h"
#include "log.h"
#include "migrate.h"
#include "search.h"
#include "user.h"

struct db *cmd_setup(struct cfg *c, const char *cmdname)
{
	struct db_opts opts = { 0 };
	struct err e = ERR_INIT;
	struct db *db = NULL;

	cfg_load_or_die(c, 0, "agora");
	log_init("agora", c->log_level);
	opts.statement_timeout = c->db_statement_timeout;
	if (db_open(&db, c->database_url, &opts, &e) < 0)
		die("agora %s: cannot open database: %s", cmdname, e.msg);
	return db;
}

/* Create the ADMIN account named by ADMIN_EMAIL, or promote it. */
static int ensure_admin(struct db *db, const struct cfg *c, struct err *e)
{
	char *email = user_email_fold(c->admin_email), now[32];
	struct db_res *res = NULL;
	int ret = -1;

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

/*
 * Emails stored when only ASCII was folded, folded as login now folds
 * them. Accounts that would collide stop the migration with nothing
 * changed: which of two accounts keeps the address is the operator's
 * call (docs/operations.md, "Email case folding").
 */
static int fold_emails(struct db *db, struct err *e)
{
	struct sbuf report = SBUF_INIT;
	long n = 0;
	int ret;

	ret = user_fold_emails(db, &n, &report, e);
	if (ret < 0 && e->code == ERR_CONFLICT)
		fprintf(stderr, "agora migrate: %s, nothing changed:\n%s",
			e->msg, report.buf);
	else if (ret < 0)
		fprintf(stderr, "agora migrate: folding emails: %s\n", e->msg);
	else if (n)
		printf("agora: %ld email%s folded to lower case\n", n,
		       n == 1 ? "" : "s");
	sbuf_release(&report);
	return ret;
}

int cmd_migrate(int argc, char **argv)
{
	struct cfg c;
	struct db *db;
	struct err e = ERR_INIT;
	int applied = 0, ret = 1;
	int64_t indexed = 0;

	if (argc > 1)
		die("agora migrate: unexpected argument '%s'", argv[1]);
	db = cmd_setup(&c, "migrate");
	if (migrate_run(db, &applied, &e) < 0) {
		fprintf(stderr, "agora migrate: %s\n", e.msg);
		goto out;
	}
	printf("agora: %d migration%s applied\n", applied,
	       applied == 1 ? "" : "s");
	/* Products a migration left without a search entry (PostgreSQL:
	 * the analyzer runs in agora, not in SQL). */
	if (search_doc_reindex(db, false, &indexed, &e) < 0) {
		fprintf(stderr, "agora migrate: search: %s\n", e.msg);
		goto out;
	}
	if (indexed)
		printf("agora: %" PRId64 " product%s indexed for search\n",
		       indexed, indexed == 1 ? "" : "s");
	if (fold_emails(db, &e) < 0)
		goto out;
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
