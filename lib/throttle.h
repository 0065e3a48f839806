/* throttle.h: counting attempts per key in a window, shared by every
 * responder process and every replica (login throttling). */
#ifndef AGORA_THROTTLE_H
#define AGORA_THROTTLE_H

#include "cache.h"
#include "db.h"
#include "err.h"

/*
 * Counts live in Redis when the cache is Redis (a key per count, expiring
 * with its window), else in the database's login_failures table; when
 * Redis fails, the database keeps counting. A window opens with the first
 * attempt and lasts window_s seconds; the count restarts after it, as
 * @nestjs/throttler's does.
 */
struct throttle {
	struct cache *cache;
	struct db *db;
};

/*
 * throttle_take: count one attempt for key, atomically, before the work
 * it guards, so that concurrent attempts cannot all slip under the limit.
 * *retry_s receives 0 when the count is within limit, else the seconds
 * left in the window (at least 1), for Retry-After; a refused attempt
 * stays counted, as with @nestjs/throttler. Returns 0, or -1 with e set
 * when no store could count.
 */
int throttle_take(struct throttle *t, const char *key, long limit,
		  long window_s, long *retry_s, struct err *e);

/* throttle_give: take back an attempt that turned out not to count (a
 * successful login). Returns 0, or -1 with e set. */
int throttle_give(struct throttle *t, const char *key, struct err *e);

#endif
