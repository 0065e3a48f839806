/* migrate.c: apply the embedded SQL migrations in order, once each. */
#include "common.h"
#include "col.h"
#include "lock.h"
#include "migrate.h"

/*
 * Every step runs in a transaction that first takes the migration lock:
 * on PostgreSQL a transaction-scoped advisory lock (released by COMMIT or
 * ROLLBACK, even if the process dies), on SQLite the write lock of BEGIN
 * IMMEDIATE. A second `agora migrate` running at the same time waits, then
 * finds the version recorded and skips it. Migration files therefore must
 * not contain BEGIN/COMMIT themselves.
 */

static int migrate_lock(struct db *db, struct err *e)
{
	if (db_begin(db, e))
		return -1;
	if (db_dialect(db) != DB_POSTGRES)
		return 0;
	/* A request's statement timeout is no limit for building an index
	 * or for waiting on another migrate; SET LOCAL ends with the
	 * transaction. */
	if (db_query(db, NULL, "SET LOCAL statement_timeout = 0", DB_NOARGS,
		     e) ||
	    lock_xact(db, LOCK_MIGRATE, e)) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

static int migrate_table(struct db *db, struct err *e)
{
	const char *sql =
		db_dialect(db) == DB_POSTGRES ?
			"CREATE TABLE IF NOT EXISTS schema_migrations ("
			" version text PRIMARY KEY,"
			" applied_at timestamptz NOT NULL DEFAULT now())" :
			"CREATE TABLE IF NOT EXISTS schema_migrations ("
			" version text PRIMARY KEY,"
			" applied_at text NOT NULL"
			" DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))";

	if (migrate_lock(db, e))
		return -1;
	if (db_query(db, NULL, sql, DB_NOARGS, e)) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db, e);
}

/* migrate_blame: name the failing migration in the driver's message. */
static void migrate_blame(const struct migration *m, struct err *e)
{
	char *msg;

	if (!e)
		return;
	msg = xasprintf("migration %s: %s", m->version, e->msg);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	free(msg);
}

/* migrate_one: apply m unless recorded; *done tells whether it ran. */
static int migrate_one(struct db *db, const struct migration *m, bool *done,
		       struct err *e)
{
	struct db_res *res = NULL;
	char now[32];
	bool seen;

	*done = false;
	if (migrate_lock(db, e))
		return -1;
	if (db_query(db, &res,
		     "SELECT 1 FROM schema_migrations WHERE version = $1",
		     DB_ARGS(DB_S(m->version)), e))
		goto fail;
	seen = db_res_rows(res) > 0;
	db_res_free(res);
	if (seen) {
		db_rollback(db);
		return 0;
	}
	if (db_exec_script(db, m->sql, e)) {
		migrate_blame(m, e);
		goto fail;
	}
	db_now(now);
	if (db_query(db, NULL,
		     "INSERT INTO schema_migrations (version, applied_at)"
		     " VALUES ($1, $2)",
		     DB_ARGS(DB_S(m->version), DB_S(now)), e))
		goto fail;
	if (db_commit(db, e))
		return -1;
	*done = true;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

int migrate_run(struct db *db, int *applied, struct err *e)
{
	const struct migration *m;
	bool done;
	int n = 0;

	if (applied)
		*applied = 0;
	if (migrate_table(db, e))
		return -1;
	m = db_dialect(db) == DB_POSTGRES ? migrations_postgres :
					    migrations_sqlite;
	for (; m->version; m++) {
		if (migrate_one(db, m, &done, e))
			break;
		n += done;
	}
	if (applied)
		*applied = n;
	return m->version ? -1 : 0;
}

int migrate_pending(struct db *db, struct err *e)
{
	const struct migration *m = db_dialect(db) == DB_POSTGRES ?
					    migrations_postgres :
					    migrations_sqlite;
	struct db_res *res = NULL;
	struct err qe = ERR_INIT;
	int n = 0, seen;

	for (; m[n].version; n++)
		;
	if (db_query(db, &res, "SELECT count(*) FROM schema_migrations",
		     DB_NOARGS, &qe) < 0) {
		/* No table yet is a database never migrated; anything else
		 * (down, a timeout) is not an answer. */
		if (qe.code == ERR_UNAVAILABLE) {
			err_set(e, qe.code, "%s", qe.msg);
			err_release(&qe);
			return -1;
		}
		err_release(&qe);
		return n;
	}
	seen = (int)col_one_int(res);
	db_res_free(res);
	return seen >= n ? 0 : n - seen;
}
