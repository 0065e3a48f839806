/* testdb.h: throwaway databases for the unit tests that need one. */
#ifndef AGORA_TESTDB_H
#define AGORA_TESTDB_H

#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "migrate.h"
#include "tap.h"

/* testdb_sqlite_path: "$TMPDIR/agora-t-TAG-PID.db" (caller frees). */
static inline char *testdb_sqlite_path(const char *tag)
{
	const char *tmp = getenv("TMPDIR");

	return xasprintf("%s/agora-t-%s-%ld.db", tmp && *tmp ? tmp : "/tmp",
			 tag, (long)getpid());
}

/* testdb_sqlite_unlink: remove a SQLite file with its WAL and shm. */
static inline void testdb_sqlite_unlink(const char *path)
{
	static const char *const sides[] = { "", "-wal", "-shm" };
	size_t i;

	for (i = 0; i < 3; i++) {
		char *p = xasprintf("%s%s", path, sides[i]);

		unlink(p);
		free(p);
	}
}

/*
 * testdb_pg_admin: a connection to AGORA_TEST_PG_URL (a superuser URL of a
 * throwaway cluster), or NULL after a TAP line saying why: a skip outside
 * CI, a failure under CI=true, where PostgreSQL is required.
 */
static inline struct db *testdb_pg_admin(void)
{
	const char *url = getenv("AGORA_TEST_PG_URL");
	const char *ci = getenv("CI");
	struct err e = ERR_INIT;
	struct db *admin = NULL;

	if (!url || !*url) {
		if (ci && !strcmp(ci, "true"))
			ok(0, "PostgreSQL required in CI"
			      " (set AGORA_TEST_PG_URL)");
		else
			ok(1, "# SKIP AGORA_TEST_PG_URL not set");
		return NULL;
	}
	if (!db_is_postgres_url(url) || db_open(&admin, url, NULL, &e)) {
		ok(0, "pg: connect to AGORA_TEST_PG_URL: %s", e.msg);
		err_release(&e);
		db_free(admin);
		return NULL;
	}
	return admin;
}

/* testdb_pg_url: AGORA_TEST_PG_URL with its database replaced by name. */
static inline char *testdb_pg_url(const char *name)
{
	const char *url = getenv("AGORA_TEST_PG_URL");
	const char *host = strstr(url, "://") + 3;
	const char *path = host + strcspn(host, "/?");
	const char *query = path + strcspn(path, "?");

	return xasprintf("%.*s/%s%s", (int)(path - url), url, name, query);
}

/* testdb_pg_create: a fresh database agora_t_TAG_PID; its URL (caller
 * frees), or NULL after a failed test point. */
static inline char *testdb_pg_create(struct db *admin, const char *tag)
{
	struct err e = ERR_INIT;
	char name[64], *sql;
	int rc;

	snprintf(name, sizeof(name), "agora_t_%s_%ld", tag, (long)getpid());
	/* identifiers cannot be parameters; the name is ours and plain */
	sql = xasprintf("CREATE DATABASE %s", name);
	rc = db_query(admin, NULL, sql, DB_NOARGS, &e);
	ok(rc == 0, "pg: create database %s%s%s", name, rc ? ": " : "", e.msg);
	free(sql);
	err_release(&e);
	return rc ? NULL : testdb_pg_url(name);
}

/* testdb_pg_drop: drop the database testdb_pg_create() made for tag. */
static inline void testdb_pg_drop(struct db *admin, const char *tag)
{
	struct err e = ERR_INIT;
	char *sql = xasprintf("DROP DATABASE IF EXISTS agora_t_%s_%ld "
			      "WITH (FORCE)",
			      tag, (long)getpid());

	ok(db_query(admin, NULL, sql, DB_NOARGS, &e) == 0,
	   "pg: drop database agora_t_%s_%ld%s%s", tag, (long)getpid(),
	   e.code ? ": " : "", e.msg);
	free(sql);
	err_release(&e);
}

/* testdb_int: the first column of the first row of sql as an integer,
 * or -1 (its error printed as a comment) when there is none. */
static inline int64_t testdb_int(struct db *db, const char *sql)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	int64_t n = -1;

	if (!db_query(db, &res, sql, DB_NOARGS, &e) && db_res_rows(res))
		n = db_res_int(res, 0, 0);
	if (e.code)
		printf("# %s\n", e.msg);
	db_res_free(res);
	err_release(&e);
	return n;
}

/*
 * testdb_settle: on PostgreSQL, wait until the rows committed so far can
 * be read.
 * A reader holds back rows while any older transaction runs, and the
 * horizon (the snapshot's xmin) is the whole cluster's: another test's
 * transaction in another database holds our rows back too. A new
 * transaction id is newer than every row committed before it; once the
 * horizon has passed it, they are all readable. 10 s at most.
 */
static inline void testdb_settle(struct db *db)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	char xid[32] = "";
	int i;

	if (db_dialect(db) != DB_POSTGRES)
		return;
	if (!db_query(db, &res, "SELECT pg_current_xact_id()::text", DB_NOARGS,
		      &e) &&
	    db_res_rows(res) == 1)
		snprintf(xid, sizeof(xid), "%s", db_res_str(res, 0, 0));
	db_res_free(res);
	for (i = 0; xid[0] && i < 500; i++) {
		res = NULL;
		bool past = !db_query(db, &res,
				      "SELECT pg_snapshot_xmin("
				      "pg_current_snapshot()) > $1::xid8",
				      DB_ARGS(DB_S(xid)), &e) &&
			    db_res_rows(res) == 1 &&
			    !strcmp(db_res_str(res, 0, 0), "t");

		db_res_free(res);
		if (past)
			break;
		usleep(20000);
	}
	if (e.code)
		printf("# settle: %s\n", e.msg);
	err_release(&e);
}

/*
 * testdb_run: battery(db, url, dialect) on a fresh migrated SQLite file,
 * then on a fresh migrated PostgreSQL database when AGORA_TEST_PG_URL is
 * set (testdb_pg_admin says what happens when it is not). dialect is
 * "sqlite" or "pg", for the test names; url lets a battery open more
 * connections to the same database. tag names the throwaway files and
 * databases.
 */
static inline void testdb_run(const char *tag,
			      void (*battery)(struct db *db, const char *url,
					      const char *dialect))
{
	struct db *admin, *db = NULL;
	struct err e = ERR_INIT;
	char *path = testdb_sqlite_path(tag);
	char *url = xasprintf("file:%s", path);

	if (!db_open(&db, url, NULL, &e) && !migrate_run(db, NULL, &e))
		battery(db, url, "sqlite");
	else
		ok(0, "sqlite: open and migrate: %s", e.msg);
	err_release(&e);
	db_free(db);
	db = NULL;
	testdb_sqlite_unlink(path);
	free(url);
	free(path);

	if (!(admin = testdb_pg_admin()))
		return;
	if ((url = testdb_pg_create(admin, tag))) {
		if (!db_open(&db, url, NULL, &e) && !migrate_run(db, NULL, &e))
			battery(db, url, "pg");
		else
			ok(0, "pg: open and migrate: %s", e.msg);
		err_release(&e);
		db_free(db);
		free(url);
		testdb_pg_drop(admin, tag);
	}
	db_free(admin);
}

#endif
