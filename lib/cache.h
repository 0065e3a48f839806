/* cache.h: a small key-value cache with TTLs: Redis, or memory per process. */
#ifndef AGORA_CACHE_H
#define AGORA_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "sbuf.h"

/*
 * Two backends behind one interface, chosen by cache_open():
 *
 * - Redis (opts.redis_host set), through hiredis. Every call is bounded:
 *   connecting and each command time out after opts.timeout_ms. On any
 *   error the connection is dropped and Redis is left alone for
 *   CACHE_RETRY_MS, during which every call fails at once: a Redis outage
 *   costs a caller at most one timeout, then nothing. Keys and values
 *   travel as command arguments, never inside the command text.
 * - memory (no host): a table in this process, at most opts.max_entries
 *   entries; the least recently used one is evicted to make room, and an
 *   entry past its TTL is a miss. Other processes do not see it.
 *
 * In front of Redis sits a near tier: the same table, whose entries live
 * at most opts.near_ms, so that a hit costs no round trip. Both tables are
 * kept honest across the processes of one host by generation counters in
 * shared memory (per opts.scope, and per key): cache_del bumps the key's,
 * and an entry stored under an older generation is a miss. A delete is
 * therefore seen by every process of the host at once, and by other hosts
 * (through Redis) within near_ms. Reading the counter is a load from a shared
 * page: a hit makes no system call. Without shared memory (none mapped: logged
 * once), the near tier is off and the memory backend is per process, as before.
 *
 * A cache is a performance aid, never the truth: callers treat every
 * failure as a miss and carry on with the database.
 */

#define CACHE_RETRY_MS	  2000 /* Redis left alone after a failure */
#define CACHE_TIMEOUT_MS  100 /* default connect/command timeout */
#define CACHE_MAX_ENTRIES 1024 /* default memory bound */
#define CACHE_NEAR_MS	  1000 /* default life of a near entry over Redis */

struct cache_opts {
	const char *redis_host; /* NULL or "": the memory backend */
	int redis_port; /* 0: 6379 */
	int timeout_ms; /* 0: CACHE_TIMEOUT_MS */
	size_t max_entries; /* 0: CACHE_MAX_ENTRIES */
	int near_ms; /* Redis only; 0: CACHE_NEAR_MS, < 0: no tier */
	/* What the cached data derives from (DATABASE_URL): processes with
	 * the same scope and backend share one generation. NULL: "". */
	const char *scope;
};

struct cache;

/* cache_open: a new cache (caller frees with cache_free). Never fails and
 * never blocks: Redis is connected on first use. */
struct cache *cache_open(const struct cache_opts *opts);
void cache_free(struct cache *c);

/* cache_type: "redis" or "memory". */
const char *cache_type(const struct cache *c);

/*
 * cache_get: look key up. Returns 1 on a hit with the value appended to
 * out, 0 on a miss, -1 with e set when the backend failed (treat it as a
 * miss). A Redis failure is logged here (warn), once per failure, not
 * once per skipped call.
 */
int cache_get(struct cache *c, const char *key, struct sbuf *out,
	      struct err *e);

/* cache_set: store len bytes of val under key for ttl seconds (≥ 1),
 * replacing any old value. Returns 0, or -1 with e set. */
int cache_set(struct cache *c, const char *key, const void *val, size_t len,
	      int ttl, struct err *e);

/* cache_del: forget key (absent is fine), here and in the near tier of
 * every process of the host, even when Redis fails. Returns 0, or -1 with
 * e set. */
int cache_del(struct cache *c, const char *key, struct err *e);

/* cache_ping: is the backend up? Redis answers PING within the timeout
 * (or has failed within the last CACHE_RETRY_MS: -1 at once); memory is
 * always up. Returns 0, or -1 with e set. */
int cache_ping(struct cache *c, struct err *e);

/*
 * cache_counter: a counter shared by every process, Redis only. delta > 0
 * adds it (the first addition starts a window of window_ms, and the key
 * expires with it); delta < 0 takes it back, never below 0 and never
 * creating the key; 0 only reads. *count receives the count (0 when
 * absent) and *left_ms the time left in the window. Returns 0, or -1 with
 * e set (the memory backend too, which would count per process: callers
 * keep such counts elsewhere).
 */
int cache_counter(struct cache *c, const char *key, long delta, long window_ms,
		  long *count, long *left_ms, struct err *e);

/* cache_count: entries held in this process (the memory backend, or the
 * near tier over Redis). For tests. */
long cache_count(const struct cache *c);

#endif
