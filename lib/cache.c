/* cache.c: the cache: Redis through hiredis, or an LRU table in memory. */
#include "common.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "cache.h"
#include "clock.h"
#include "hash.h"
#include "log.h"

/* One memory entry: in its hash chain and in the LRU list (head = most
 * recently used). */
struct cache_entry {
	char *key;
	char *val;
	size_t len;
	double expires; /* monotonic ms */
	uint64_t gen; /* the generation it was read under */
	struct cache_entry *hnext;
	struct cache_entry *prev, *next;
};

struct cache {
	bool redis;
	_Atomic uint64_t *gen; /* GEN_SLOTS shared with the host */
	int near_ms; /* Redis: life of a near entry; 0: off */
	/* The generation and key of the last cache_get, so that the value
	 * a miss leads to is stored under the generation it was read in. */
	uint64_t seen_gen;
	char *seen_key;

	/* Redis */
	char *host;
	int port;
	int timeout_ms;
	redisContext *rc; /* NULL: not connected */
	double retry_at; /* monotonic ms: skip Redis until */

	/* memory, and the near tier over Redis */
	struct cache_entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count, max;
	struct cache_entry *head, *tail;
};

/*
 * The generations: GEN_SLOTS counters, a key's being the one its hash
 * picks (two keys that share one forget each other now and then, which
 * costs a miss, never a stale hit). They live in a POSIX shared memory
 * object named after a hash of the backend and scope (and the user, so
 * that two users of one host never share it), which every process maps;
 * it outlives them, so that a process started later sees the counts.
 */
#define GEN_SLOTS 64
#define GEN_SIZE  (GEN_SLOTS * sizeof(uint64_t))

static uint32_t key_hash(const char *key)
{
	return hash_fnv32(key, strlen(key));
}

/* gen_map: the host's generations for this backend and scope, or NULL
 * (logged). */
static _Atomic uint64_t *gen_map(const char *backend, const char *scope)
{
	uint64_t h = hash_fnv64(HASH_FNV64_INIT, backend, strlen(backend));
	char name[64];
	void *map;
	int fd;

	h = hash_fnv64(h, "\n", 1);
	h = hash_fnv64(h, scope, strlen(scope));
	snprintf(name, sizeof(name), "/agora-cache-%lu-%016" PRIx64,
		 (unsigned long)getuid(), h);
	fd = shm_open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	/* Zero-filled when new; the same size when not. */
	if (ftruncate(fd, GEN_SIZE) < 0) {
		close(fd);
		goto fail;
	}
	map = mmap(NULL, GEN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		goto fail;
	return map;
fail:
	log_msg(LOG_WARN, NULL,
		"cache: no shared generation %s: %s; a delete "
		"reaches only this process",
		name, strerror(errno));
	return NULL;
}

static uint64_t gen_now(const struct cache *c, const char *key)
{
	if (!c->gen)
		return 0;
	return atomic_load_explicit(&c->gen[key_hash(key) % GEN_SLOTS],
				    memory_order_acquire);
}

struct cache *cache_open(const struct cache_opts *opts)
{
	struct cache *c = xcalloc(1, sizeof(*c));

	if (opts->redis_host && *opts->redis_host) {
		c->redis = true;
		c->host = xstrdup(opts->redis_host);
		c->port = opts->redis_port > 0 ? opts->redis_port : 6379;
		c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms :
						       CACHE_TIMEOUT_MS;
	}
	if (!c->redis || opts->near_ms >= 0) {
		char backend[300];

		snprintf(backend, sizeof(backend), "%s:%d",
			 c->redis ? c->host : "memory", c->port);
		c->gen = gen_map(backend, opts->scope ? opts->scope : "");
	}
	/* Over Redis, a near tier that no delete could reach would serve a
	 * stale list for near_ms after every write: none without the
	 * generation. */
	if (c->redis && c->gen)
		c->near_ms = opts->near_ms > 0 ? opts->near_ms : CACHE_NEAR_MS;
	c->max = opts->max_entries ? opts->max_entries : CACHE_MAX_ENTRIES;
	/* About one entry per bucket when full. */
	for (c->nbuckets = 16; c->nbuckets < c->max; c->nbuckets *= 2)
		;
	c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
	return c;
}

static void mem_entry_free(struct cache_entry *en)
{
	free(en->key);
	free(en->val);
	free(en);
}

void cache_free(struct cache *c)
{
	struct cache_entry *en, *next;

	if (!c)
		return;
	if (c->rc)
		redisFree(c->rc);
	if (c->gen)
		munmap((void *)c->gen, GEN_SIZE);
	free(c->seen_key);
	free(c->host);
	for (en = c->head; en; en = next) {
		next = en->next;
		mem_entry_free(en);
	}
	free(c->buckets);
	free(c);
}

const char *cache_type(const struct cache *c)
{
	return c->redis ? "redis" : "memory";
}

long cache_count(const struct cache *c)
{
	return (long)c->count;
}

/* ---- memory -------------------------------------------------------------- */

static size_t mem_slot(const struct cache *c, const char *key)
{
	return key_hash(key) & (c->nbuckets - 1);
}

static void lru_unlink(struct cache *c, struct cache_entry *en)
{
	if (en->prev)
		en->prev->next = en->next;
	else
		c->head = en->next;
	if (en->next)
		en->next->prev = en->prev;
	else
		c->tail = en->prev;
	en->prev = en->next = NULL;
}

static void lru_push(struct cache *c, struct cache_entry *en)
{
	en->prev = NULL;
	en->next = c->head;
	if (c->head)
		c->head->prev = en;
	c->head = en;
	if (!c->tail)
		c->tail = en;
}

/* mem_find: the entry for key, or NULL; *link is where it hangs. */
static struct cache_entry *mem_find(struct cache *c, const char *key,
				    struct cache_entry ***link)
{
	struct cache_entry **p = &c->buckets[mem_slot(c, key)];

	for (; *p; p = &(*p)->hnext)
		if (!strcmp((*p)->key, key))
			break;
	*link = p;
	return *p;
}

static void mem_remove(struct cache *c, struct cache_entry *en)
{
	struct cache_entry **link;

	mem_find(c, en->key, &link);
	*link = en->hnext;
	lru_unlink(c, en);
	c->count--;
	mem_entry_free(en);
}

/* mem_get: a hit only while the entry is young and no delete has bumped
 * the generation since it was read. */
static int mem_get(struct cache *c, const char *key, struct sbuf *out,
		   uint64_t gen)
{
	struct cache_entry **link, *en = mem_find(c, key, &link);

	if (!en)
		return 0;
	if (en->gen != gen || clock_ms() >= en->expires) {
		mem_remove(c, en);
		return 0;
	}
	lru_unlink(c, en);
	lru_push(c, en);
	sbuf_add(out, en->val, en->len);
	return 1;
}

static void mem_set(struct cache *c, const char *key, const void *val,
		    size_t len, double life_ms, uint64_t gen)
{
	struct cache_entry **link, *en = mem_find(c, key, &link);

	if (en) {
		free(en->val);
		lru_unlink(c, en);
	} else {
		/* Expired entries count too: the bound is on memory held. */
		if (c->count >= c->max) {
			mem_remove(c, c->tail);
			mem_find(c, key, &link);
		}
		en = xcalloc(1, sizeof(*en));
		en->key = xstrdup(key);
		*link = en;
		c->count++;
	}
	en->val = xmemdupz(val, len);
	en->len = len;
	en->expires = clock_ms() + life_ms;
	en->gen = gen;
	lru_push(c, en);
}

static void mem_del(struct cache *c, const char *key)
{
	struct cache_entry **link, *en = mem_find(c, key, &link);

	if (en)
		mem_remove(c, en);
}

/* ---- Redis --------------------------------------------------------------- */

/* redis_fail: drop the connection and leave Redis alone for a while, so
 * that an outage costs one timeout, not one per request. */
static int redis_fail(struct cache *c, const char *what, struct err *e)
{
	const char *why = c->rc && c->rc->err ? c->rc->errstr : "bad reply";

	err_set(e, ERR_UNAVAILABLE, "redis %s:%d: %s: %s", c->host, c->port,
		what, why);
	if (c->rc) {
		redisFree(c->rc);
		c->rc = NULL;
	}
	c->retry_at = clock_ms() + CACHE_RETRY_MS;
	/* Once per failure, not once per skipped call. */
	log_msg(LOG_WARN, NULL, "cache: %s; Redis left alone for %d ms", e->msg,
		CACHE_RETRY_MS);
	return -1;
}

static int redis_ready(struct cache *c, struct err *e)
{
	struct timeval tv;

	if (c->rc)
		return 0;
	if (clock_ms() < c->retry_at)
		return err_set(e, ERR_UNAVAILABLE,
			       "redis %s:%d: skipped after a recent failure",
			       c->host, c->port);
	tv.tv_sec = c->timeout_ms / 1000;
	tv.tv_usec = (c->timeout_ms % 1000) * 1000;
	c->rc = redisConnectWithTimeout(c->host, c->port, tv);
	if (!c->rc)
		die("out of memory");
	/* hiredis 0.14 applies the connect timeout to connecting only:
	 * without this a stopped Redis would block every command forever. */
	if (c->rc->err || redisSetTimeout(c->rc, tv) != REDIS_OK)
		return redis_fail(c, "connect", e);
	return 0;
}

/* redis_cmd: run a command; returns the reply (caller frees) or NULL with
 * the connection dropped. */
static redisReply *redis_cmd(struct cache *c, struct err *e, const char *what,
			     const char *fmt, ...)
{
	redisReply *reply;
	va_list ap;

	if (redis_ready(c, e) < 0)
		return NULL;
	va_start(ap, fmt);
	reply = redisvCommand(c->rc, fmt, ap);
	va_end(ap);
	if (!reply) {
		redis_fail(c, what, e);
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		err_set(e, ERR_UNAVAILABLE, "redis %s:%d: %s: %s", c->host,
			c->port, what, reply->str);
		freeReplyObject(reply);
		redis_fail(c, what, e);
		return NULL;
	}
	return reply;
}

/* ---- the interface ------------------------------------------------------- */

/* set_gen: the generation a value for key is stored under: the one its
 * cache_get saw, if that was the last lookup, since the caller read the
 * value after it. */
static uint64_t set_gen(const struct cache *c, const char *key)
{
	if (c->seen_key && !strcmp(c->seen_key, key))
		return c->seen_gen;
	return gen_now(c, key);
}

int cache_get(struct cache *c, const char *key, struct sbuf *out, struct err *e)
{
	redisReply *reply;
	uint64_t gen = gen_now(c, key);
	int ret;

	/* Read before Redis: a delete after it makes what Redis answers
	 * stale, and the newer generation says so. */
	c->seen_gen = gen;
	if (!c->seen_key || strcmp(c->seen_key, key)) {
		free(c->seen_key);
		c->seen_key = xstrdup(key);
	}
	if (!c->redis || c->near_ms) {
		if (mem_get(c, key, out, gen))
			return 1;
		if (!c->redis)
			return 0;
	}
	reply = redis_cmd(c, e, "GET", "GET %s", key);
	if (!reply)
		return -1;
	if (reply->type == REDIS_REPLY_STRING) {
		sbuf_add(out, reply->str, reply->len);
		if (c->near_ms)
			mem_set(c, key, reply->str, reply->len, c->near_ms,
				gen);
		ret = 1;
	} else if (reply->type == REDIS_REPLY_NIL) {
		ret = 0;
	} else {
		ret = redis_fail(c, "GET", e);
	}
	freeReplyObject(reply);
	return ret;
}

int cache_set(struct cache *c, const char *key, const void *val, size_t len,
	      int ttl, struct err *e)
{
	redisReply *reply;

	if (ttl < 1)
		ttl = 1;
	if (!c->redis) {
		mem_set(c, key, val, len, ttl * 1e3, set_gen(c, key));
		return 0;
	}
	reply = redis_cmd(c, e, "SET", "SET %s %b EX %d", key, val, len, ttl);
	if (!reply)
		return -1;
	freeReplyObject(reply);
	if (c->near_ms)
		mem_set(c, key, val, len,
			ttl * 1e3 < c->near_ms ? ttl * 1e3 : c->near_ms,
			set_gen(c, key));
	return 0;
}

int cache_del(struct cache *c, const char *key, struct err *e)
{
	redisReply *reply = NULL;

	mem_del(c, key);
	if (c->redis)
		reply = redis_cmd(c, e, "DEL", "DEL %s", key);
	/* After Redis has forgotten it: a process that misses its near
	 * entry from now on reads Redis without the old value. Bumped even
	 * when Redis failed, so this host at least forgets it. */
	if (c->gen)
		atomic_fetch_add_explicit(&c->gen[key_hash(key) % GEN_SLOTS], 1,
					  memory_order_acq_rel);
	if (!c->redis)
		return 0;
	if (!reply)
		return -1;
	freeReplyObject(reply);
	return 0;
}

int cache_ping(struct cache *c, struct err *e)
{
	redisReply *reply;
	bool pong;

	if (!c->redis)
		return 0;
	reply = redis_cmd(c, e, "PING", "PING");
	if (!reply)
		return -1;
	pong = reply->type == REDIS_REPLY_STATUS && !strcmp(reply->str, "PONG");
	freeReplyObject(reply);
	return pong ? 0 : redis_fail(c, "PING", e);
}

/* One round trip, atomic in Redis: add (starting the window on the
 * first addition) or take back, then answer {count, milliseconds left}. */
static const char counter_lua[] =
	"local d = tonumber(ARGV[1]) "
	"local n = tonumber(redis.call('GET', KEYS[1]) or '0') "
	"if d > 0 then "
	"n = redis.call('INCRBY', KEYS[1], d) "
	"if n == d then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
	"elseif d < 0 and n > 0 then "
	"n = redis.call('DECRBY', KEYS[1], math.min(-d, n)) end "
	"return {n, redis.call('PTTL', KEYS[1])}";

int cache_counter(struct cache *c, const char *key, long delta, long window_ms,
		  long *count, long *left_ms, struct err *e)
{
	redisReply *reply;
	int ret;

	*count = 0;
	*left_ms = 0;
	if (!c->redis)
		return err_set(e, ERR_INTERNAL, "no shared counter in memory");
	reply = redis_cmd(c, e, "EVAL", "EVAL %s 1 %s %ld %ld", counter_lua,
			  key, delta, window_ms);
	if (!reply)
		return -1;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER ||
	    reply->element[1]->type != REDIS_REPLY_INTEGER) {
		ret = redis_fail(c, "EVAL", e);
	} else {
		*count = (long)reply->element[0]->integer;
		/* -2: no key, -1: no expiry (cannot happen here). */
		*left_ms = reply->element[1]->integer > 0 ?
				   (long)reply->element[1]->integer :
				   0;
		if (*left_ms == 0)
			*count = 0;
		ret = 0;
	}
	freeReplyObject(reply);
	return ret;
}
