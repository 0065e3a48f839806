/* t-throttle.c: attempt counts per key and window on every store: the
 * database (SQLite, PostgreSQL), Redis, and the database when Redis
 * fails. */
#include "common.h"

#include <time.h>

#include "clock.h"
#include "migrate.h"
#include "tap.h"
#include "testdb.h"
#include "throttle.h"

static long take(struct throttle *t, const char *key, long limit, long window_s)
{
	struct err e = ERR_INIT;
	long retry = -1;

	if (throttle_take(t, key, limit, window_s, &retry, &e) < 0) {
		printf("# take %s: %s\n", key, e.msg);
		retry = -1;
	}
	err_release(&e);
	return retry;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* The rules every store keeps; what names the store in each point. */
static void test_store(struct throttle *t, const char *what)
{
	char a[64], b[64];
	long retry;
	double t0;
	int i;

	/* Keys of their own: Redis outlives the test process. */
	snprintf(a, sizeof(a), "t-throttle:%ld:%s:a", (long)getpid(), what);
	snprintf(b, sizeof(b), "t-throttle:%ld:%s:b", (long)getpid(), what);
	for (i = 1; i <= 3; i++)
		is_int(take(t, a, 3, 60), 0, "%s: attempt %d of 3 passes", what,
		       i);
	retry = take(t, a, 3, 60);
	ok(retry >= 1 && retry <= 60,
	   "%s: the 4th is refused with Retry-After in the window (%ld)", what,
	   retry);
	ok(take(t, a, 3, 60) > 0, "%s: a refused attempt stays counted", what);
	is_int(take(t, b, 3, 60), 0, "%s: another key counts apart", what);

	{
		struct err e = ERR_INIT;

		ok(throttle_give(t, b, &e) == 0, "%s: give back", what);
		err_release(&e);
	}
	for (i = 1; i <= 3; i++)
		take(t, b, 3, 60);
	is_int(take(t, b, 3, 60) > 0, 1,
	       "%s: after one given back, the 4th attempt is the first "
	       "refused",
	       what);

	/* A window of one second: once it has passed, counting restarts. */
	snprintf(a, sizeof(a), "t-throttle:%ld:%s:w", (long)getpid(), what);
	t0 = clock_ms();
	take(t, a, 1, 1);
	retry = take(t, a, 1, 1);
	/* A machine busy enough to spend the window between the two takes
	 * has opened a new one: the same rule, the other outcome. */
	if (clock_ms() - t0 < 1000)
		ok(retry == 1, "%s: 1 s window: the 2nd is refused for 1 s",
		   what);
	else
		is_int(retry, 0,
		       "%s: 1 s window, spent before the 2nd: it "
		       "passes",
		       what);
	pause_ms(1100);
	is_int(take(t, a, 1, 1), 0, "%s: after the window it passes again",
	       what);
}

static long failures_rows(struct db *db)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	long n = -1;

	if (db_query(db, &res, "SELECT count(*) FROM login_failures", DB_NOARGS,
		     &e) == 0)
		n = (long)db_res_int(res, 0, 0);
	db_res_free(res);
	err_release(&e);
	return n;
}

/* The database store, then Redis in front of it when there is one, and
 * a Redis that does not answer. */
static void test_db(struct db *db, const char *dialect)
{
	const char *host = getenv("AGORA_TEST_REDIS_HOST");
	const char *port = getenv("AGORA_TEST_REDIS_PORT");
	struct throttle t = { NULL, db };
	struct cache_opts o = { 0 };
	char what[64], scope[64];
	long before;

	test_store(&t, dialect);

	/* Port 1: nothing listens; every count falls to the database. */
	snprintf(scope, sizeof(scope), "t-throttle %ld", (long)getpid());
	o.redis_host = "127.0.0.1";
	o.redis_port = 1;
	o.scope = scope;
	t.cache = cache_open(&o);
	before = failures_rows(db);
	snprintf(what, sizeof(what), "%s under a dead Redis", dialect);
	test_store(&t, what);
	ok(failures_rows(db) > before, "%s: ... the database kept the counts",
	   what);
	cache_free(t.cache);

	if (!host || !*host) {
		ok(1, "# SKIP AGORA_TEST_REDIS_HOST not set");
		return;
	}
	o.redis_host = host;
	o.redis_port = port ? (int)strtol(port, NULL, 10) : 0;
	t.cache = cache_open(&o);
	before = failures_rows(db);
	snprintf(what, sizeof(what), "Redis over %s", dialect);
	test_store(&t, what);
	is_int(failures_rows(db), before,
	       "%s: ... the database counted nothing", what);
	cache_free(t.cache);
}

static void battery(struct db *db, const char *url, const char *dialect)
{
	(void)url;
	test_db(db, dialect);
}

int main(void)
{
	testdb_run("throttle", battery);
	return done_testing();
}
