/* t-migrate.c: the embedded migrations apply once, on both backends. */
#include "common.h"
#include "db.h"
#include "migrate.h"
#include "tap.h"
#include "testdb.h"

#include <sys/wait.h>
#include <unistd.h>

static int64_t one_int(struct db *db, const char *sql, const struct db_param *p,
		       size_t n)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	int64_t v = -999;

	if (!db_query(db, &res, sql, p, n, &e) && db_res_rows(res) == 1)
		v = db_res_int(res, 0, 0);
	else if (e.code)
		printf("# %s: %s\n", sql, e.msg);
	db_res_free(res);
	err_release(&e);
	return v;
}

static int qcode(struct db *db, const char *sql, const struct db_param *p,
		 size_t n)
{
	struct err e = ERR_INIT;
	int code = 0;

	if (db_query(db, NULL, sql, p, n, &e)) {
		code = e.code;
		printf("# %s -> %d %s\n", sql, e.code, e.msg);
	}
	err_release(&e);
	return code;
}

static size_t count_migrations(const struct migration *m)
{
	size_t n = 0;

	while (m[n].version)
		n++;
	return n;
}

/* check_migrated: the schema is there and usable. */
static void check_migrated(struct db *db, const char *tag)
{
	const struct migration *m = db_dialect(db) == DB_POSTGRES ?
					    migrations_postgres :
					    migrations_sqlite;
	size_t n = count_migrations(m);
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	char buf[32];
	int64_t id;

	is_int(one_int(db, "SELECT count(*) FROM schema_migrations", DB_NOARGS),
	       (int64_t)n, "%s: one row per migration", tag);
	if (!db_query(db, &res,
		      "SELECT version, applied_at"
		      " FROM schema_migrations ORDER BY version",
		      DB_NOARGS, &e) &&
	    db_res_rows(res) == n) {
		is_str(db_res_str(res, 0, 0), "0001_users",
		       "%s: first version recorded", tag);
		is_str(db_res_str(res, n - 1, 0), m[n - 1].version,
		       "%s: last version recorded", tag);
		ok(strlen(db_res_time(res, 0, 1, buf)) == 24 && buf[23] == 'Z',
		   "%s: applied_at is a time (%s)", tag, buf);
	} else {
		ok(0, "%s: read schema_migrations: %s", tag, e.msg);
	}
	db_res_free(res);
	res = NULL;
	err_release(&e);

	/* users: defaults, uniqueness, the role check */
	id = one_int(db,
		     "INSERT INTO users (email, password_hash, name)"
		     " VALUES ($1, $2, $3) RETURNING id",
		     DB_ARGS(DB_S("ann@example.com"), DB_S("x"), DB_S("Ann")));
	ok(id > 0, "%s: users insert returns an id", tag);
	if (!db_query(db, &res,
		      "SELECT role, created_at, updated_at"
		      " FROM users WHERE id = $1",
		      DB_ARGS(DB_I(id)), &e) &&
	    db_res_rows(res) == 1) {
		is_str(db_res_str(res, 0, 0), "USER", "%s: role defaults", tag);
		ok(strlen(db_res_time(res, 0, 1, buf)) == 24 &&
			   buf[10] == 'T' && buf[23] == 'Z',
		   "%s: created_at defaults to now (%s)", tag, buf);
		ok(!db_res_isnull(res, 0, 2), "%s: updated_at defaults", tag);
	} else {
		ok(0, "%s: read user back: %s", tag, e.msg);
	}
	db_res_free(res);
	err_release(&e);
	is_int(qcode(db,
		     "INSERT INTO users (email, password_hash, name)"
		     " VALUES ($1, $2, $3)",
		     DB_ARGS(DB_S("ann@example.com"), DB_S("y"),
			     DB_S("Other"))),
	       ERR_CONFLICT, "%s: email is unique", tag);
	is_int(qcode(db,
		     "INSERT INTO users (email, password_hash, name, role)"
		     " VALUES ($1, $2, $3, $4)",
		     DB_ARGS(DB_S("bob@example.com"), DB_S("y"), DB_S("Bob"),
			     DB_S("ROOT"))),
	       ERR_BAD_REQUEST, "%s: unknown role refused", tag);
	is_int(qcode(db,
		     "INSERT INTO users (email, password_hash, name, role)"
		     " VALUES ($1, $2, $3, $4)",
		     DB_ARGS(DB_S("bob@example.com"), DB_S("y"), DB_S("Bob"),
			     DB_S("ADMIN"))),
	       0, "%s: ADMIN accepted", tag);
	is_int(qcode(db,
		     "INSERT INTO users (email, name)"
		     " VALUES ($1, $2)",
		     DB_ARGS(DB_S("cy@example.com"), DB_S("Cy"))),
	       ERR_BAD_REQUEST, "%s: password_hash required", tag);
}

/* migrate_twice: first run applies all, second none. */
static void migrate_twice(struct db *db, const char *tag)
{
	const struct migration *m = db_dialect(db) == DB_POSTGRES ?
					    migrations_postgres :
					    migrations_sqlite;
	struct err e = ERR_INIT;
	int applied = -1;

	ok(count_migrations(m) >= 1, "%s: migrations embedded", tag);
	ok(!migrate_run(db, &applied, &e), "%s: first run", tag);
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
	is_int(applied, (long long)count_migrations(m),
	       "%s: first run applies all", tag);
	ok(!migrate_run(db, &applied, &e), "%s: second run", tag);
	err_release(&e);
	is_int(applied, 0, "%s: second run applies none", tag);
	ok(!migrate_run(db, NULL, &e), "%s: applied may be NULL", tag);
	err_release(&e);
	check_migrated(db, tag);
}

/* migrate_race: two processes migrate one fresh database at once; the
 * lock lets exactly one apply each migration. */
static void migrate_race(const char *url, const char *tag)
{
	struct db *db = NULL;
	struct err e = ERR_INIT;
	int applied = -1, status, total;
	size_t n;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int rc = db_open(&db, url, NULL, &e) ||
			 migrate_run(db, &applied, &e);

		if (rc)
			fprintf(stderr, "child: %s\n", e.msg);
		err_release(&e);
		db_free(db);
		_exit(rc ? 255 : applied);
	}
	ok(!db_open(&db, url, NULL, &e) && !migrate_run(db, &applied, &e),
	   "%s: concurrent run", tag);
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		   WEXITSTATUS(status) != 255,
	   "%s: concurrent child run", tag);
	total = applied + (pid > 0 ? WEXITSTATUS(status) : 0);
	n = count_migrations(db_dialect(db) == DB_POSTGRES ?
				     migrations_postgres :
				     migrations_sqlite);
	is_int(total, (long long)n, "%s: each migration applied once", tag);
	is_int(one_int(db, "SELECT count(*) FROM schema_migrations", DB_NOARGS),
	       (long long)n, "%s: recorded once", tag);
	db_free(db);
}

static void test_sqlite(void)
{
	struct db *db = NULL;
	struct err e = ERR_INIT;
	char *path, *url;
	int i;

	for (i = 0; i < 2; i++) {
		path = testdb_sqlite_path(i == 0 ? "migrate" : "migrate-race");
		url = xasprintf("file:%s", path);
		if (i == 0) {
			if (!db_open(&db, url, NULL, &e))
				migrate_twice(db, "sqlite");
			else
				ok(0, "sqlite: open: %s", e.msg);
			err_release(&e);
			db_free(db);
		} else {
			migrate_race(url, "sqlite");
		}
		testdb_sqlite_unlink(path);
		free(url);
		free(path);
	}
}

static void test_pg(void)
{
	static const char *const tags[] = { "migrate", "migrate_race" };
	struct db *admin = testdb_pg_admin(), *db = NULL;
	struct err e = ERR_INIT;
	char *url;
	int i;

	if (!admin)
		return;
	for (i = 0; i < 2; i++) {
		if (!(url = testdb_pg_create(admin, tags[i])))
			continue;
		if (i == 1) {
			migrate_race(url, "pg");
		} else if (!db_open(&db, url, NULL, &e)) {
			migrate_twice(db, "pg");
		} else {
			ok(0, "pg: open: %s", e.msg);
		}
		err_release(&e);
		db_free(db);
		db = NULL;
		free(url);
		testdb_pg_drop(admin, tags[i]);
	}
	db_free(admin);
}

int main(void)
{
	test_sqlite();
	test_pg();
	return done_testing();
}
