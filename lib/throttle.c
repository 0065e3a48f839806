/* throttle.c: attempt counts per key and window, in Redis or the database. */
#include "common.h"

#include <time.h>

#include "throttle.h"

static long long throttle_now_ms(void)
{
	struct timespec ts;

	/* Wall clock: the windows are shared with other machines. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Redis first, when the cache is Redis; 1 when it answered, 0 when the
 * database must count instead (no Redis, or it failed: the cache logs
 * that and leaves Redis alone for a while).
 */
static int redis_counter(struct throttle *t, const char *key, long delta,
			 long window_ms, long *count, long *left_ms)
{
	struct err re = ERR_INIT;
	char *rkey;
	int rc;

	if (!t->cache || strcmp(cache_type(t->cache), "redis") != 0)
		return 0;
	rkey = xasprintf("throttle:v1:%s", key);
	rc = cache_counter(t->cache, rkey, delta, window_ms, count, left_ms,
			   &re);
	free(rkey);
	err_release(&re);
	return rc == 0;
}

/* One statement: a window that has ended restarts at one, so concurrent
 * attempts all count. It returns these columns: */
enum { TAKE_COUNT, TAKE_EXPIRES };
static int db_take(struct throttle *t, const char *key, long window_s,
		   long *count, long *left_ms, struct err *e)
{
	long long now = throttle_now_ms();
	struct db_res *res;

	if (db_query(t->db, &res,
		     "INSERT INTO login_failures (key, count, expires_ms) "
		     "VALUES ($1, 1, $2) ON CONFLICT (key) DO UPDATE SET "
		     "count = CASE WHEN login_failures.expires_ms <= $3 "
		     "THEN 1 ELSE login_failures.count + 1 END, "
		     "expires_ms = CASE WHEN login_failures.expires_ms <= $3 "
		     "THEN $2 ELSE login_failures.expires_ms END "
		     "RETURNING count, expires_ms",
		     DB_ARGS(DB_S(key), DB_I(now + window_s * 1000), DB_I(now)),
		     e) < 0)
		return -1;
	*count = (long)db_res_int(res, 0, TAKE_COUNT);
	*left_ms = (long)(db_res_int(res, 0, TAKE_EXPIRES) - now);
	db_res_free(res);
	/* Ended windows are kept no longer than the next attempt. */
	return db_query(t->db, NULL,
			"DELETE FROM login_failures WHERE expires_ms <= $1",
			DB_ARGS(DB_I(now)), e);
}

int throttle_take(struct throttle *t, const char *key, long limit,
		  long window_s, long *retry_s, struct err *e)
{
	long count = 0, left_ms = 0;

	*retry_s = 0;
	if (!redis_counter(t, key, 1, window_s * 1000, &count, &left_ms) &&
	    db_take(t, key, window_s, &count, &left_ms, e) < 0)
		return -1;
	if (count > limit)
		*retry_s = left_ms > 0 ? (left_ms + 999) / 1000 : 1;
	return 0;
}

int throttle_give(struct throttle *t, const char *key, struct err *e)
{
	long count, left_ms;

	if (redis_counter(t, key, -1, 0, &count, &left_ms))
		return 0;
	return db_query(t->db, NULL,
			"UPDATE login_failures SET count = count - 1 "
			"WHERE key = $1 AND count > 0 AND expires_ms > $2",
			DB_ARGS(DB_S(key), DB_I(throttle_now_ms())), e);
}
