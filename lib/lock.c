/* lock.c: one runner at a time: advisory locks, or flock beside SQLite. */
#include "common.h"

#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"

/*
 * Every key agora locks on PostgreSQL, in one place: arbitrary constants
 * derived from "agora" in ASCII, which must differ from one another; the
 * name makes the SQLite lock file's. Operators and the tests look for
 * these numbers in pg_locks: they never change.
 */
static const struct {
	const char *name;
	const char *pg_key;
} lock_keys[] = {
	[LOCK_JOBS] = { "jobs", "418430399073" },
	[LOCK_RELAYD] = { "relayd", "418430399082" },
	[LOCK_MIGRATE] = { "migrate", "418347184737" },
};

/* lock_path: "<database file>.<name>.lock" for a "file:" URL or a plain
 * path, or NULL for an in-memory database. */
static char *lock_path(const char *url, const char *name)
{
	const char *p = url, *q;
	size_t len;

	if (!strncmp(p, "file:", 5)) {
		p += 5;
		if (!strncmp(p, "//", 2)) {
			/* file:///abs or file://localhost/abs */
			p = strchr(p + 2, '/');
			if (!p)
				return NULL;
		}
	}
	q = strchr(p, '?');
	if (!*p || *p == ':' || q == p)
		return NULL;
	len = q ? (size_t)(q - p) : strlen(p);
	return xasprintf("%.*s.%s.lock", (int)len, p, name);
}

static int lock_file_try(struct lock *lk, const char *path, struct err *e)
{
	if (lk->fd < 0) {
		lk->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lk->fd < 0)
			return err_set(e, ERR_INTERNAL, "%s: %s", path,
				       strerror(errno));
	}
	if (flock(lk->fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return 1;
	return err_set(e, ERR_INTERNAL, "flock %s: %s", path, strerror(errno));
}

/*
 * One row when this session holds the key: held already (advisory locks
 * nest, and a holder that asks on every round must not pile up levels
 * that one unlock would leave behind), or taken now. CASE evaluates the
 * try only when the lock is not held.
 */
static int lock_pg_try(struct db *db, const char *key, struct err *e)
{
	struct db_res *res = NULL;
	char *sql = xasprintf("SELECT 1 WHERE CASE WHEN EXISTS (SELECT 1 "
			      "FROM pg_locks WHERE locktype = 'advisory' AND "
			      "pid = pg_backend_pid() AND granted AND "
			      "objsubid = 1 AND (classid::bigint << 32 | "
			      "objid::bigint) = %s) THEN true ELSE "
			      "pg_try_advisory_lock(%s) END",
			      key, key);
	int rc = db_query(db, &res, sql, DB_NOARGS, e);

	free(sql);
	if (rc < 0)
		return -1;
	rc = db_res_rows(res) == 1 ? 0 : 1;
	db_res_free(res);
	return rc;
}

int lock_take(struct lock *lk, struct db *db, const char *url,
	      enum lock_key key, int wait_ms, struct err *e)
{
	struct timespec pause = { 0, 100 * 1000000L };
	char *path = NULL;
	int waited = 0, rc;

	if (db_dialect(db) == DB_SQLITE) {
		if (lk->held)
			return 0;
		path = lock_path(url, lock_keys[key].name);
		if (!path) {
			lk->held = true;
			return 0;
		}
	}
	for (;;) {
		rc = path ? lock_file_try(lk, path, e) :
			    lock_pg_try(db, lock_keys[key].pg_key, e);
		if (rc != 1 || waited >= wait_ms)
			break;
		nanosleep(&pause, NULL);
		waited += 100;
	}
	free(path);
	lk->held = rc == 0;
	if (!lk->held && lk->fd >= 0) {
		close(lk->fd);
		lk->fd = -1;
	}
	return rc;
}

void lock_release(struct lock *lk, struct db *db, enum lock_key key)
{
	struct err e = ERR_INIT;
	char *sql;

	if (!lk->held)
		return;
	lk->held = false;
	if (lk->fd >= 0) {
		/* closing the file drops the flock */
		close(lk->fd);
		lk->fd = -1;
		return;
	}
	if (db_dialect(db) != DB_POSTGRES)
		return;
	sql = xasprintf("SELECT pg_advisory_unlock(%s)", lock_keys[key].pg_key);
	if (db_query(db, NULL, sql, DB_NOARGS, &e) < 0)
		log_msg(LOG_WARN, NULL, "%s lock: unlock: %s",
			lock_keys[key].name, e.msg);
	err_release(&e);
	free(sql);
}

int lock_xact(struct db *db, enum lock_key key, struct err *e)
{
	char *sql;
	int rc;

	if (db_dialect(db) != DB_POSTGRES)
		return 0;
	sql = xasprintf("SELECT pg_advisory_xact_lock(%s)",
			lock_keys[key].pg_key);
	rc = db_query(db, NULL, sql, DB_NOARGS, e) < 0 ? -1 : 0;
	free(sql);
	return rc;
}
