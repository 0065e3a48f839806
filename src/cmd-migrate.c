/* cmd-migrate.c: `agora migrate` and the first ADMIN account. */
#include "common.h"

#include <getopt.h>

#include "clock.h"
#include "cmd.h"
#include "jsonx.h"
#include "log.h"
#include "migrate.h"
#include "postings.h"
#include "product.h"
#include "sbuf.h"
#include "user.h"

static const char migrate_usage[] =
	"usage: agora migrate [--promote-admin]\n"
	"\n"
	"Apply the pending migrations to DATABASE_URL. With ADMIN_EMAIL and\n"
	"ADMIN_PASSWORD set, create that ADMIN account when it does not exist.\n"
	"An existing USER of that email is left a USER, with a warning, unless\n"
	"--promote-admin is given; an existing account keeps its password.\n"
	"\n"
	"  --promote-admin   promote ADMIN_EMAIL's existing USER account\n"
	"  -h, --help        show this help\n";

struct db *cmd_setup(struct cfg *c, const char *cmdname)
{
	struct db_opts opts = { 0 };
	struct err e = ERR_INIT;
	struct db *db = NULL;
	int pending;

	cfg_load_or_die(c, 0, "agora");
	log_init("agora", c->log_level);
	opts.statement_timeout = c->db_statement_timeout;
	if (db_open(&db, c->database_url, &opts, &e) < 0)
		die("agora %s: cannot open database: %s", cmdname, e.msg);
	if (strcmp(cmdname, "migrate") != 0) {
		pending = migrate_pending(db, &e);
		if (pending < 0)
			die("agora %s: cannot read the database: %s", cmdname,
			    e.msg);
		if (pending > 0)
			die("agora %s: the database lacks %d migration%s: run "
			    "agora migrate first",
			    cmdname, pending, pending == 1 ? "" : "s");
	}
	return db;
}

void cmd_teardown(struct cfg *c, struct db *db)
{
	db_free(db);
	cfg_release(c);
}

/*
 * The ADMIN named by ADMIN_EMAIL, held to the API's rules for a new
 * account. An existing account is never changed silently: an ADMIN is
 * left alone, a USER is promoted only when asked to.
 */
static int ensure_admin(struct db *db, const struct cfg *c, bool promote,
			struct err *e)
{
	struct json_object *o = json_object_new_object();
	char role[16];
	int found, ret = -1;

	json_object_object_add(o, "email",
			       json_object_new_string(c->admin_email));
	json_object_object_add(o, "password",
			       json_object_new_string(c->admin_password));
	json_object_object_add(o, "name",
			       json_object_new_string("Administrator"));
	if (user_valid_new(o, e) < 0) {
		/* One line of the validation messages ("email must be an
		 * email"); the caller names the variables. */
		struct sbuf sb;
		size_t i;

		sbuf_init(&sb, 0, 0);
		for (i = 0; i < e->nlist; i++)
			sbuf_addf(&sb, "%s%s", i ? "; " : "", e->list[i]);
		err_release(e);
		err_set(e, ERR_BAD_REQUEST, "%s", sb.buf);
		sbuf_release(&sb);
		goto out;
	}
	found = user_role_of(db, c->admin_email, role, e);
	if (found < 0)
		goto out;
	if (!found) {
		if (user_create(db, c->admin_email, c->admin_password,
				"Administrator", "ADMIN", c->bcrypt_cost, NULL,
				e) < 0)
			goto out;
		log_msg(LOG_INFO, NULL, "migrate: ADMIN %s created",
			c->admin_email);
	} else if (strcmp(role, "ADMIN") != 0 && promote) {
		if (user_promote(db, c->admin_email, e) < 0)
			goto out;
		log_msg(LOG_WARN, NULL,
			"migrate: ADMIN_EMAIL %s was a %s "
			"account: promoted to ADMIN (--promote-admin); its "
			"password is unchanged",
			c->admin_email, role);
	} else if (strcmp(role, "ADMIN") != 0) {
		log_msg(LOG_WARN, NULL,
			"migrate: ADMIN_EMAIL %s names an "
			"existing %s account: left as it is (agora migrate "
			"--promote-admin promotes it)",
			c->admin_email, role);
	} else {
		/* The routine case says nothing, unless the operator seems
		 * to expect ADMIN_PASSWORD to take effect. */
		found = user_password_is(db, c->admin_email, c->admin_password,
					 e);
		if (found < 0)
			goto out;
		if (!found)
			log_msg(LOG_WARN, NULL,
				"migrate: the ADMIN %s has "
				"another password than ADMIN_PASSWORD, which "
				"is not applied to an existing account",
				c->admin_email);
	}
	ret = 0;
out:
	json_object_put(o);
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
		log_msg(LOG_ERROR, NULL, "migrate: %s, nothing changed: %s",
			e->msg, report.buf);
	else if (ret < 0)
		log_msg(LOG_ERROR, NULL, "migrate: folding emails: %s", e->msg);
	else if (n)
		log_msg(LOG_INFO, NULL,
			"migrate: %ld email%s folded to lower "
			"case",
			n, n == 1 ? "" : "s");
	sbuf_release(&report);
	return ret;
}

int cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "promote-admin", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_args a = { "migrate", migrate_usage, opts };
	struct cfg c;
	struct db *db;
	struct err e = ERR_INIT;
	bool promote = false;
	int applied = 0, ret = 1, opt, rc;
	int64_t indexed = 0;
	double t0;

	while ((opt = cmd_opt(&a, argc, argv)) > 0)
		if (opt == 'p')
			promote = true;
	if (opt < 0)
		return a.status;
	db = cmd_setup(&c, "migrate");
	if (migrate_run(db, &applied, &e) < 0) {
		log_msg(LOG_ERROR, NULL, "migrate: %s", e.msg);
		goto out;
	}
	/* Nothing to apply is the routine case: no line for it. */
	if (applied)
		log_msg(LOG_INFO, NULL, "migrate: %d migration%s applied",
			applied, applied == 1 ? "" : "s");
	/* Products a migration left without a search entry (PostgreSQL:
	 * the analyzer runs in agora, not in SQL). */
	if (product_tsvector_fill(db, false, &indexed, &e) < 0) {
		log_msg(LOG_ERROR, NULL, "migrate: search: %s", e.msg);
		goto out;
	}
	if (indexed)
		log_msg(LOG_INFO, NULL,
			"migrate: %" PRId64 " product%s "
			"indexed for search",
			indexed, indexed == 1 ? "" : "s");
	/* A catalogue that held products when its postings came (migration
	 * 0019) gets them now; writes wait on PostgreSQL meanwhile. */
	rc = postings_ready(db, &e);
	if (rc == 0) {
		t0 = clock_ms();
		rc = postings_build(db, &e);
		if (rc == 0)
			log_msg(LOG_INFO, NULL,
				"migrate: search postings built in %.0f ms",
				clock_ms() - t0);
	}
	if (rc < 0) {
		log_msg(LOG_ERROR, NULL, "migrate: postings: %s", e.msg);
		goto out;
	}
	if (fold_emails(db, &e) < 0)
		goto out;
	if (!c.admin_email[0] != !c.admin_password[0])
		log_msg(LOG_WARN, NULL,
			"migrate: ADMIN_EMAIL and "
			"ADMIN_PASSWORD go together: with one of them unset "
			"no ADMIN is ensured");
	if (c.admin_email[0] && c.admin_password[0] &&
	    ensure_admin(db, &c, promote, &e) < 0) {
		log_msg(LOG_ERROR, NULL,
			"migrate: ADMIN_EMAIL, "
			"ADMIN_PASSWORD: %s",
			e.msg);
		goto out;
	}
	ret = 0;
out:
	err_release(&e);
	cmd_teardown(&c, db);
	return ret;
}
