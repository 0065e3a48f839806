/* t-daemon.c: a daemon's start-up, heartbeat positions, waits, stop
 * signal and retry backoff, on a SQLite database. */
#include "common.h"

#include <signal.h>

#include "beat.h"
#include "clock.h"
#include "daemon.h"
#include "tap.h"
#include "testdb.h"

/* position: where the heartbeat says tdaemon is ("" when unreadable). */
static char *position(struct db *db)
{
	struct err e = ERR_INIT;
	char *pos = NULL;
	long age;

	if (beat_age(db, "tdaemon", &age, &pos, &e) < 0) {
		printf("# beat_age: %s\n", e.msg);
		pos = xstrdup("");
	}
	err_release(&e);
	return pos;
}

static void test_positions(struct db *db)
{
	char txid[32] = "0", id[] = "id", type[] = "order", key[] = "1";
	char kind[] = "T", payload[] = "{}";
	struct outbox_event ev = { 7, txid, id, type, key, kind, payload };
	char *pos;
	double t0;

	daemon_alive_at(&ev);
	pos = position(db);
	is_str(pos, "seq 7", "the outbox table on SQLite: the seq");
	free(pos);

	/* The next beat is due after BEAT_INTERVAL_MS; daemon_pause keeps
	 * beating meanwhile. */
	snprintf(txid, sizeof(txid), "812");
	daemon_alive_at(&ev);
	t0 = clock_ms();
	ok(daemon_pause(BEAT_INTERVAL_MS + 300), "a pause not stopped");
	ok(clock_ms() - t0 >= BEAT_INTERVAL_MS + 300, "lasts its time");
	pos = position(db);
	is_str(pos, "txid 812 seq 7",
	       "PostgreSQL: the txid too, written "
	       "by a beat during the pause");
	free(pos);

	snprintf(txid, sizeof(txid), "order-events/1/42");
	daemon_alive_at(&ev);
	daemon_pause(BEAT_INTERVAL_MS + 300);
	pos = position(db);
	is_str(pos, "order-events/1/42", "Kafka: topic/partition/offset");
	free(pos);
}

static void test_backoff(void)
{
	long cur = 100, w;
	bool inside = true;
	int i;

	for (i = 0; i < 20; i++) {
		long before = cur;

		w = daemon_backoff(&cur, 5000);
		inside = inside && w >= before / 2 && w <= before;
	}
	ok(inside, "every wait between half the current and the current");
	is_int(cur, 5000, "the current doubles up to the cap");
}

int main(void)
{
	char *path = testdb_sqlite_path("daemon");
	char *url = xasprintf("file:%s", path);
	char prog[] = "agora-tdaemon", *argv[] = { prog, NULL };
	struct err e = ERR_INIT;
	struct db *db = NULL;
	struct cfg c;
	double t0;

	if (db_open(&db, url, NULL, &e) || migrate_run(db, NULL, &e)) {
		ok(0, "open and migrate %s: %s", url, e.msg);
		return done_testing();
	}
	db_free(db);
	setenv("AGORA_ENV_FILE", "", 1);
	setenv("DATABASE_URL", url, 1);
	db = daemon_start(1, argv, "agora-tdaemon", &c);
	ok(db != NULL, "daemon_start opens the database");
	test_positions(db);
	test_backoff();

	ok(!daemon_stopping, "not stopping yet");
	raise(SIGTERM);
	ok(daemon_stopping, "SIGTERM asks it to stop");
	t0 = clock_ms();
	ok(!daemon_pause(5000), "a pause then ends at once, false");
	ok(clock_ms() - t0 < 1000, "at once (%.0f ms)", clock_ms() - t0);

	db_free(db);
	cfg_release(&c);
	err_release(&e);
	testdb_sqlite_unlink(path);
	free(url);
	free(path);
	return done_testing();
}
