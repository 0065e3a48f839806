/* lock.h: one runner at a time, across processes and hosts. */
#ifndef AGORA_LOCK_H
#define AGORA_LOCK_H

#include <stdbool.h>

#include "db.h"
#include "err.h"

/*
 * The locks, each with its own key: holding one does not exclude the
 * others (batch jobs and relaying run side by side).
 */
enum lock_key {
	LOCK_JOBS, /* agora batch and agora cron */
	LOCK_RELAYD, /* the active agora-relayd */
	LOCK_MIGRATE, /* agora migrate (a transaction's lock) */
};

/*
 * A session lock: on PostgreSQL an advisory lock of the connection db
 * (gone with the session: a lost connection loses it), on SQLite flock()
 * on "<database file>.<name>.lock" beside the database ("agora.db" →
 * "agora.db.jobs.lock"); an in-memory SQLite database lives in one
 * process and is always held. Nothing is allocated: the struct is the
 * whole state; start it with LOCK_INIT.
 */
struct lock {
	int fd; /* SQLite: the lock file; -1: none */
	bool held;
};

#define LOCK_INIT         \
	{                 \
		-1, false \
	}

/*
 * lock_take: try to hold key for db, whose URL is url (it names the
 * SQLite file), for up to wait_ms (0: once). Returns 0 when held, 1 when
 * another runner holds it, -1 with e set (ERR_INTERNAL for a lock file
 * that cannot be opened, or the errors of db_query()). Taking a lock
 * already held asks again where that means something: on PostgreSQL
 * whether this session (perhaps a new one after a reconnection) still
 * has it, taking it back if nobody else has; never more than once deep.
 */
int lock_take(struct lock *lk, struct db *db, const char *url,
	      enum lock_key key, int wait_ms, struct err *e);

/* lock_release: give it back; harmless when not held. On PostgreSQL a
 * failure is logged (a lost session has dropped the lock already). */
void lock_release(struct lock *lk, struct db *db, enum lock_key key);

/*
 * lock_xact: inside a transaction of db (db_begin), wait for key until
 * the transaction ends: PostgreSQL's transaction advisory lock, released
 * by COMMIT or ROLLBACK even if the process dies; nothing on SQLite,
 * whose BEGIN IMMEDIATE already lets one writer in. Errors: those of
 * db_query() (a statement timeout while waiting, among them).
 */
int lock_xact(struct db *db, enum lock_key key, struct err *e);

#endif
