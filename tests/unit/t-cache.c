/* t-cache.c: the memory cache's TTL and LRU bound, the generations shared
 * between processes, timeouts, Redis and its near tier. */
#include "common.h"
#include "cache.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* get: 1/0/-1 as cache_get, the value (if any) in *val (static). */
static int get(struct cache *c, const char *key, const char **val)
{
	static struct sbuf sb = SBUF_INIT;
	struct err e = ERR_INIT;
	int rc;

	sbuf_reset(&sb);
	rc = cache_get(c, key, &sb, &e);
	err_release(&e);
	*val = sb.buf;
	return rc;
}

static int set(struct cache *c, const char *key, const char *val, int ttl)
{
	struct err e = ERR_INIT;
	int rc = cache_set(c, key, val, strlen(val), ttl, &e);

	if (rc)
		printf("# set %s: %s\n", key, e.msg);
	err_release(&e);
	return rc;
}

static void test_memory(void)
{
	char scope[64];
	struct cache_opts o = { .max_entries = 3, .scope = scope };
	struct cache *c;
	struct err e = ERR_INIT;
	const char *v;
	char key[16];
	int i;

	/* Its own generations: no other test's delete reaches it. */
	snprintf(scope, sizeof(scope), "t-cache memory %ld", (long)getpid());
	c = cache_open(&o);

	is_str(cache_type(c), "memory", "no host: the memory backend");
	ok(cache_ping(c, &e) == 0, "memory is always up");
	is_int(get(c, "nope", &v), 0, "an absent key is a miss");
	ok(set(c, "a", "one", 60) == 0, "set a");
	is_int(get(c, "a", &v), 1, "a is a hit");
	is_str(v, "one", "with its value");
	set(c, "a", "uno", 60);
	get(c, "a", &v);
	is_str(v, "uno", "set replaces the value");
	is_int(cache_count(c), 1, "replacing adds no entry");
	ok(cache_set(c, "bin", "x\0y", 3, 60, &e) == 0, "binary value");
	is_int(get(c, "bin", &v), 1, "binary value is a hit");
	ok(!memcmp(v, "x\0y", 3), "and keeps its NUL byte");
	cache_del(c, "bin", &e);
	is_int(get(c, "bin", &v), 0, "a deleted key is a miss");
	ok(cache_del(c, "never-there", &e) == 0,
	   "deleting an absent key is fine");

	/* LRU: a, b, c; touch a; d evicts b, the least recently used. */
	set(c, "b", "two", 60);
	set(c, "c", "three", 60);
	is_int(cache_count(c), 3, "three entries");
	get(c, "a", &v);
	set(c, "d", "four", 60);
	is_int(cache_count(c), 3, "the bound holds at 3");
	is_int(get(c, "b", &v), 0, "b, least recently used, was evicted");
	is_int(get(c, "a", &v), 1, "a, used recently, stayed");
	is_int(get(c, "c", &v), 1, "c stayed");
	is_int(get(c, "d", &v), 1, "d is in");
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		set(c, key, "v", 60);
	}
	is_int(cache_count(c), 3, "after 1000 sets the bound still holds");
	is_int(get(c, "k999", &v), 1, "the newest key is in");
	is_int(get(c, "k996", &v), 0, "an older one is out");

	/* TTL */
	set(c, "t", "short", 1);
	is_int(get(c, "t", &v), 1, "a fresh entry is a hit");
	usleep(1100 * 1000);
	is_int(get(c, "t", &v), 0, "past its TTL it is a miss");
	is_int(cache_count(c), 2, "and the expired entry is gone");
	err_release(&e);
	cache_free(c);
}

/*
 * Two handles stand for two processes of one host (they map the same
 * shared generations): a delete in one is seen by the other at once.
 * "shared" and "kept" fall in different generation slots.
 */
static void test_shared(void)
{
	char scope[64];
	struct cache_opts o = { .scope = scope };
	struct cache *a, *b, *other;
	struct err e = ERR_INIT;
	const char *v;

	snprintf(scope, sizeof(scope), "t-cache shared %ld", (long)getpid());
	a = cache_open(&o);
	b = cache_open(&o);
	snprintf(scope, sizeof(scope), "t-cache other %ld", (long)getpid());
	other = cache_open(&o);

	set(a, "shared", "A", 60);
	set(b, "shared", "B", 60);
	set(b, "kept", "K", 60);
	set(other, "shared", "O", 60);
	is_int(get(b, "shared", &v), 1, "b holds its own copy");
	is_str(v, "B", "each process its value (memory is per process)");
	ok(cache_del(a, "shared", &e) == 0, "a deletes the key");
	is_int(get(b, "shared", &v), 0,
	       "b misses at once: the delete reached it");
	is_int(get(b, "kept", &v), 1, "another key of b stays a hit");
	is_int(get(other, "shared", &v), 1,
	       "a process of another scope keeps its copy");

	/* b misses and reads the truth; a deletes meanwhile; what b then
	 * stores is stale and must not be served. */
	is_int(get(b, "shared", &v), 0, "b misses");
	cache_del(a, "shared", &e);
	set(b, "shared", "read before the delete", 60);
	is_int(get(b, "shared", &v), 0,
	       "a value read before a delete is not served after it");
	set(b, "shared", "fresh", 60);
	is_int(get(b, "shared", &v), 1, "a value read after it is");
	err_release(&e);
	cache_free(a);
	cache_free(b);
	cache_free(other);
}

/* A listener that never accepts: the kernel completes the handshake, so
 * a client connects and then waits for an answer that never comes, as
 * with a Redis stopped by SIGSTOP. */
static int silent_listener(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	*port = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_faults(void)
{
	struct cache_opts o = { .redis_host = "127.0.0.1", .timeout_ms = 100 };
	struct cache *c;
	struct err e = ERR_INIT;
	const char *v;
	double t0, ms;
	int fd, port, i, fails;

	fd = silent_listener(&port);
	ok(fd >= 0, "a silent listener on port %d", port);
	o.redis_port = port;
	c = cache_open(&o);
	is_str(cache_type(c), "redis", "a host: the Redis backend");
	t0 = now_ms();
	is_int(get(c, "k", &v), -1, "a Redis that never answers is an error");
	ms = now_ms() - t0;
	/* Bounds tell a timeout from a hang, never from a slow machine:
	 * at least the 100 ms it waits, and seconds below forever. */
	ok(ms >= 80 && ms < 2000, "after the command timeout (%.0f ms)", ms);
	/* 20 calls that each waited the timeout again would take 2 s;
	 * skipping Redis, they take microseconds even on a busy machine. */
	t0 = now_ms();
	for (i = 0, fails = 0; i < 20; i++)
		fails += get(c, "k", &v) == -1;
	ms = now_ms() - t0;
	is_int(fails, 20, "the next calls fail too");
	ok(ms < 1000, "at once, without waiting again (20 in %.1f ms)", ms);
	ok(cache_ping(c, &e) < 0, "ping reports it down");
	ok(strstr(e.msg, "skipped") != NULL, "skipped: %s", e.msg);
	err_release(&e);
	cache_free(c);
	close(fd);

	/* Nothing listens there any more: refused at once, far below a
	 * timeout made long enough to tell the two apart. */
	o.timeout_ms = 3000;
	c = cache_open(&o);
	t0 = now_ms();
	is_int(get(c, "k", &v), -1, "a refused connection is an error");
	ms = now_ms() - t0;
	ok(ms < 1500, "and costs no timeout (%.0f ms)", ms);
	ok(cache_set(c, "k", "v", 1, 10, &e) < 0, "set fails as well");
	err_release(&e);
	ok(cache_del(c, "k", &e) < 0, "and del");
	err_release(&e);
	cache_free(c);
}

/*
 * The near tier: "near" keeps a value a minute, "direct" has no tier and
 * changes Redis behind near's back (a set bumps no generation), "writer"
 * deletes as a responder does after a write.
 */
static void test_near(const char *host, int port)
{
	char scope[64], key[64];
	struct cache_opts o = { .redis_host = host,
				.redis_port = port,
				.scope = scope };
	struct cache *near, *direct, *writer, *brief;
	struct err e = ERR_INIT;
	const char *v;

	snprintf(scope, sizeof(scope), "t-cache near %ld", (long)getpid());
	snprintf(key, sizeof(key), "agora test near %ld", (long)getpid());
	o.near_ms = 60000;
	near = cache_open(&o);
	o.near_ms = 50;
	brief = cache_open(&o);
	o.near_ms = 0;
	writer = cache_open(&o);
	o.near_ms = -1;
	direct = cache_open(&o);

	set(near, key, "one", 60);
	set(direct, key, "two", 60);
	is_int(get(near, key, &v), 1, "near: a hit");
	is_str(v, "one", "from its near tier, with no round trip to Redis");
	is_int(cache_count(near), 1, "one near entry");
	is_int(cache_count(direct), 0, "no near tier: no entry");
	ok(cache_del(writer, key, &e) == 0, "another process deletes the key");
	is_int(get(near, key, &v), 0, "near misses at once");
	set(direct, key, "three", 60);
	is_int(get(near, key, &v), 1, "then reads Redis");
	is_str(v, "three", "and gets its value");
	set(direct, key, "four", 60);
	get(near, key, &v);
	is_str(v, "three", "which it keeps near");

	is_int(get(brief, key, &v), 1, "a 50 ms tier reads Redis");
	is_str(v, "four", "its value");
	set(direct, key, "five", 60);
	usleep(150 * 1000);
	get(brief, key, &v);
	is_str(v, "five", "past 50 ms it reads Redis again");
	cache_del(writer, key, &e);
	err_release(&e);
	cache_free(near);
	cache_free(brief);
	cache_free(writer);
	cache_free(direct);
}

static void test_redis(void)
{
	const char *host = getenv("AGORA_TEST_REDIS_HOST");
	const char *port = getenv("AGORA_TEST_REDIS_PORT");
	const char *ci = getenv("CI");
	struct cache_opts o = { 0 };
	struct cache *c;
	struct err e = ERR_INIT;
	const char *v;
	char key[64], val[] = "a b\r\n*1\r\n$4\r\nPING\r\n%s %b";

	if (!host || !*host || !port || !*port) {
		if (ci && !strcmp(ci, "true"))
			ok(0, "AGORA_TEST_REDIS_HOST/PORT are set (CI=true)");
		else
			printf("ok %d - Redis # SKIP AGORA_TEST_REDIS_HOST "
			       "not set\n",
			       ++tap_n);
		return;
	}
	o.redis_host = host;
	o.redis_port = (int)strtol(port, NULL, 10);
	/* No near tier: these checks are of Redis itself. */
	o.near_ms = -1;
	c = cache_open(&o);
	ok(cache_ping(c, &e) == 0, "Redis at %s:%s answers PING %s", host, port,
	   e.msg);
	err_release(&e);
	/* Key and value with blanks, CRLF and protocol text: arguments,
	 * never command text. */
	snprintf(key, sizeof(key), "agora test %ld\r\nkey", (long)getpid());
	is_int(get(c, key, &v), 0, "a fresh key is a miss");
	ok(set(c, key, val, 60) == 0, "set");
	is_int(get(c, key, &v), 1, "then a hit");
	is_str(v, val, "the value comes back byte for byte");
	ok(cache_del(c, key, &e) == 0, "del");
	is_int(get(c, key, &v), 0, "a deleted key is a miss");
	set(c, key, "short", 1);
	is_int(get(c, key, &v), 1, "a 1 s entry is a hit");
	usleep(1500 * 1000);
	is_int(get(c, key, &v), 0, "and Redis expires it");
	err_release(&e);
	cache_free(c);
	test_near(host, o.redis_port);
}

int main(void)
{
	test_memory();
	test_shared();
	test_faults();
	test_redis();
	return done_testing();
}
