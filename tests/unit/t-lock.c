/* t-lock.c: the one-runner locks on SQLite (flock) and PostgreSQL
 * (advisory locks), and the transaction lock of migrations. */
#include "common.h"

#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "lock.h"
#include "tap.h"
#include "testdb.h"

static int take(struct lock *lk, struct db *db, const char *url,
		enum lock_key key, int wait_ms)
{
	struct err e = ERR_INIT;
	int rc = lock_take(lk, db, url, key, wait_ms, &e);

	if (rc < 0)
		printf("# lock_take: %s\n", e.msg);
	err_release(&e);
	return rc;
}

/* held_by_pg: how many sessions hold the advisory lock key (pg_locks),
 * the way an operator looks for it; -1 on an error. */
static int64_t held_by_pg(struct db *db, const char *key)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	int64_t n = -1;

	/* Advisory locks belong to a database: other tests' databases on
	 * the same cluster take the same keys. */
	if (!db_query(db, &res,
		      "SELECT pid FROM pg_locks WHERE locktype = "
		      "'advisory' AND granted AND database = (SELECT oid FROM "
		      "pg_database WHERE datname = current_database()) AND "
		      "(classid::bigint << 32 | objid::bigint) = $1::bigint",
		      DB_ARGS(DB_S(key)), &e))
		n = (int64_t)db_res_rows(res);
	else
		printf("# pg_locks: %s\n", e.msg);
	db_res_free(res);
	err_release(&e);
	return n;
}

/* unlink_locks: the lock files beside the SQLite file path. */
static void unlink_locks(const char *path)
{
	static const char *const names[] = { "jobs", "relayd" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s.%s.lock", path, names[i]);

		unlink(p);
		free(p);
	}
}

/* Two runners, a and b, on one database: two connections. */
static void battery(struct db *a, const char *url, const char *tag)
{
	struct lock la = LOCK_INIT, lb = LOCK_INIT, lr = LOCK_INIT;
	bool pg = !strcmp(tag, "pg");
	struct err e = ERR_INIT;
	struct db *b = NULL;
	double t0;

	if (db_open(&b, url, NULL, &e)) {
		ok(0, "%s: a second connection: %s", tag, e.msg);
		err_release(&e);
		return;
	}
	is_int(take(&la, a, url, LOCK_JOBS, 0), 0,
	       "%s: the first runner "
	       "takes the jobs lock",
	       tag);
	is_int(take(&lb, b, url, LOCK_JOBS, 0), 1,
	       "%s: the second finds it "
	       "busy",
	       tag);
	t0 = clock_ms();
	is_int(take(&lb, b, url, LOCK_JOBS, 300), 1,
	       "%s: also after "
	       "waiting",
	       tag);
	ok(clock_ms() - t0 >= 250, "%s: ... which it did (%.0f ms)", tag,
	   clock_ms() - t0);
	is_int(take(&lr, b, url, LOCK_RELAYD, 0), 0,
	       "%s: another key is "
	       "apart",
	       tag);
	if (pg) {
		is_int(held_by_pg(a, "418430399073"), 1,
		       "%s: the jobs key is "
		       "the one operators know",
		       tag);
		is_int(held_by_pg(a, "418430399082"), 1,
		       "%s: so is the "
		       "relay's",
		       tag);
	}
	is_int(take(&la, a, url, LOCK_JOBS, 0), 0,
	       "%s: asking again while "
	       "holding it: held",
	       tag);
	lock_release(&la, a, LOCK_JOBS);
	is_int(take(&lb, b, url, LOCK_JOBS, 0), 0,
	       "%s: one release frees "
	       "it, however often it was asked for",
	       tag);
	is_int(take(&la, a, url, LOCK_JOBS, 0), 1, "%s: now the first waits",
	       tag);
	lock_release(&lb, b, LOCK_JOBS);
	lock_release(&lb, b, LOCK_JOBS); /* twice is harmless */
	ok(!lb.held, "%s: released", tag);
	is_int(take(&la, a, url, LOCK_JOBS, 0), 0,
	       "%s: the first takes it "
	       "back",
	       tag);
	lock_release(&la, a, LOCK_JOBS);
	lock_release(&lr, b, LOCK_RELAYD);

	/* The migration lock lasts as long as a transaction. */
	ok(!db_begin(a, &e) && !lock_xact(a, LOCK_MIGRATE, &e),
	   "%s: a transaction takes the migration lock", tag);
	if (pg) {
		is_int(held_by_pg(b, "418347184737"), 1, "%s: under its key",
		       tag);
		db_commit(a, &e);
		is_int(held_by_pg(b, "418347184737"), 0,
		       "%s: gone with the commit", tag);
	} else {
		db_commit(a, &e);
	}
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
	db_free(b);
	if (!pg)
		unlink_locks(url + strlen("file:"));
}

/* SQLite: the lock file beside the database; none in memory. */
static void sqlite_files(void)
{
	char *path = testdb_sqlite_path("lockfile");
	char *url = xasprintf("file:%s?mode=rwc", path);
	char *jobs = xasprintf("%s.jobs.lock", path);
	char *relay = xasprintf("%s.relayd.lock", path);
	struct lock l1 = LOCK_INIT, l2 = LOCK_INIT, m = LOCK_INIT;
	struct err e = ERR_INIT;
	struct db *db = NULL, *mem = NULL;
	struct stat st;

	if (db_open(&db, url, NULL, &e) ||
	    db_open(&mem, ":memory:", NULL, &e)) {
		ok(0, "sqlite: open: %s", e.msg);
		goto out;
	}
	is_int(take(&l1, db, url, LOCK_JOBS, 0), 0, "sqlite: jobs lock");
	ok(stat(jobs, &st) == 0, "sqlite: beside the database: %s", jobs);
	is_int(take(&l2, db, url, LOCK_RELAYD, 0), 0, "sqlite: relay lock");
	ok(stat(relay, &st) == 0, "sqlite: its own file: %s", relay);
	is_int(take(&m, mem, ":memory:", LOCK_JOBS, 0), 0,
	       "sqlite: in memory, always held");
	lock_release(&m, mem, LOCK_JOBS);
	lock_release(&l1, db, LOCK_JOBS);
	lock_release(&l2, db, LOCK_RELAYD);
out:
	err_release(&e);
	db_free(db);
	db_free(mem);
	unlink_locks(path);
	testdb_sqlite_unlink(path);
	free(jobs);
	free(relay);
	free(url);
	free(path);
}

int main(void)
{
	sqlite_files();
	testdb_run("lock", battery);
	return done_testing();
}
