/* t-beat.c: heartbeat rows and their age, on SQLite and PostgreSQL. */
#include "common.h"

#include "beat.h"
#include "db.h"
#include "tap.h"
#include "testdb.h"

static long age_of(struct db *db, const char *daemon, char **pos)
{
	struct err e = ERR_INIT;
	long age = -2;

	if (beat_age(db, daemon, &age, pos, &e) < 0) {
		printf("# beat_age: %s\n", e.msg);
		age = -3;
	}
	err_release(&e);
	return age;
}

static int64_t rows(struct db *db, const char *daemon)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	int64_t n = -1;

	if (!db_query(db, &res,
		      "SELECT count(*) FROM daemon_heartbeats "
		      "WHERE daemon = $1",
		      DB_ARGS(DB_S(daemon)), &e))
		n = db_res_int(res, 0, 0);
	db_res_free(res);
	err_release(&e);
	return n;
}

static void sql(struct db *db, const char *q)
{
	struct err e = ERR_INIT;

	if (db_query(db, NULL, q, DB_NOARGS, &e))
		printf("# %s: %s\n", q, e.msg);
	err_release(&e);
}

static void battery(struct db *db, const char *url, const char *tag)
{
	struct beat b, other;
	char *pos = NULL;

	(void)url;

	is_int(age_of(db, "notifyd", &pos), -1, "%s: never seen: age -1", tag);
	is_str(pos, "", "%s: ... and no position", tag);
	free(pos);

	beat_init(&b, db, "notifyd");
	beat_tick(&b);
	is_int(rows(db, "notifyd"), 1, "%s: the first tick writes the row",
	       tag);
	is_int(age_of(db, "notifyd", &pos), 0, "%s: seen now", tag);
	free(pos);

	/* An old row: written now by the next due tick, not by an early one. */
	sql(db, "UPDATE daemon_heartbeats SET seen_at = "
		"'2020-01-01T00:00:00.000Z'");
	ok(age_of(db, "notifyd", NULL) > 86400, "%s: an old row is old", tag);
	beat_position(&b, "seq 42");
	beat_tick(&b);
	ok(age_of(db, "notifyd", NULL) > 86400,
	   "%s: a tick within the interval writes nothing", tag);
	b.last -= BEAT_INTERVAL_MS + 1000;
	beat_tick(&b);
	is_int(age_of(db, "notifyd", &pos), 0,
	       "%s: once the interval passed, the tick writes", tag);
	is_str(pos, "seq 42", "%s: with the position", tag);
	free(pos);

	/* A second instance: the newest row answers; the first instance to
	 * start forgets rows nobody wrote for a day. */
	beat_init(&other, db, "notifyd");
	snprintf(other.instance, sizeof(other.instance), "elsewhere:1");
	beat_position(&other, "seq 7");
	beat_tick(&other);
	sql(db, "UPDATE daemon_heartbeats SET seen_at = "
		"'2020-01-01T00:00:00.000Z' WHERE instance = 'elsewhere:1'");
	is_int(rows(db, "notifyd"), 2, "%s: one row per instance", tag);
	is_int(age_of(db, "notifyd", &pos), 0, "%s: the newest row counts",
	       tag);
	is_str(pos, "seq 42", "%s: ... with its position", tag);
	free(pos);
	beat_init(&other, db, "notifyd");
	snprintf(other.instance, sizeof(other.instance), "restarted:2");
	beat_tick(&other);
	is_int(rows(db, "notifyd"), 2,
	       "%s: a new instance deletes a row a day old", tag);
	is_int(age_of(db, "relayd", NULL), -1, "%s: other daemons are apart",
	       tag);
}

int main(void)
{
	testdb_run("beat", battery);
	return done_testing();
}
