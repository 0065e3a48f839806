/* http.c: query strings, percent-decoding, request ids, content types. */
#include "common.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#define HAVE_GETRANDOM_FN 1
#include <sys/random.h>
#endif

#include "http.h"
#include "utf8.h"

void http_kvs_release(struct http_kvs *kvs)
{
	size_t i;

	for (i = 0; i < kvs->n; i++) {
		free(kvs->v[i].key);
		free(kvs->v[i].val);
	}
	free(kvs->v);
	kvs->v = NULL;
	kvs->n = 0;
	kvs->alloc = 0;
}

void http_kvs_add(struct http_kvs *kvs, const char *key, const char *val)
{
	if (kvs->n == kvs->alloc) {
		kvs->alloc = kvs->alloc ? 2 * kvs->alloc : 8;
		kvs->v = xrealloc(kvs->v, kvs->alloc * sizeof(*kvs->v));
	}
	kvs->v[kvs->n].key = xstrdup(key);
	kvs->v[kvs->n].val = xstrdup(val);
	kvs->n++;
}

const char *http_kvs_get(const struct http_kvs *kvs, const char *key)
{
	size_t i;

	for (i = 0; i < kvs->n; i++)
		if (!strcmp(kvs->v[i].key, key))
			return kvs->v[i].val;
	return NULL;
}

size_t http_kvs_count(const struct http_kvs *kvs, const char *key)
{
	size_t i, n = 0;

	for (i = 0; i < kvs->n; i++)
		if (!strcmp(kvs->v[i].key, key))
			n++;
	return n;
}

/* A hexadecimal digit's value, either case, or -1. */
static int hexval(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

	return p ? (int)(p - digits) : -1;
}

char *http_percent_decode(const char *s, size_t len, bool plus_is_space)
{
	char *out = xmalloc(len + 1);
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (len - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				goto bad;
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			out[n++] = ' ';
		} else {
			out[n++] = s[i];
		}
	}
	out[n] = '\0';
	/* A NUL would silently cut the value short in every C string API. */
	if (memchr(out, '\0', n) || !utf8_valid(out, n))
		goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

int http_parse_query(const char *qs, struct http_kvs *kvs, struct err *e)
{
	size_t first = kvs->n, plen, klen;
	const char *p, *amp, *eq;
	char *key, *val;

	for (p = qs ? qs : ""; *p; p = *amp ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (!amp)
			amp = p + strlen(p);
		plen = (size_t)(amp - p);
		eq = memchr(p, '=', plen);
		klen = eq ? (size_t)(eq - p) : plen;
		/* Skip "&&" and, as the qs module does, pieces with no key. */
		if (klen == 0)
			continue;
		key = http_percent_decode(p, klen, true);
		val = eq ? http_percent_decode(eq + 1, plen - klen - 1, true) :
			   xstrdup("");
		if (!key || !val) {
			free(key);
			free(val);
			goto bad;
		}
		http_kvs_add(kvs, key, val);
		free(key);
		free(val);
	}
	return 0;
bad:
	/* Leave kvs as the caller passed it in. */
	while (kvs->n > first) {
		kvs->n--;
		free(kvs->v[kvs->n].key);
		free(kvs->v[kvs->n].val);
	}
	return err_set(e, ERR_BAD_REQUEST, "Malformed query string");
}

bool http_request_id_ok(const char *id)
{
	size_t n;

	if (!id)
		return false;
	for (n = 0; id[n]; n++) {
		char c = id[n];

		if (n == 64)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return n > 0;
}

static bool random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;
	int fd;

#ifdef HAVE_GETRANDOM_FN
	while (got < n) {
		r = getrandom(buf + got, n - got, GRND_NONBLOCK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == n)
		return true;
	got = 0;
#endif
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return got == n;
}

/* splitmix64: spreads a counter and the clock over all 64 bits. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Random bytes for request ids, drawn 16 ids at a time: one getrandom(2)
 * every 16 requests rather than one each. Per thread; a child of fork()
 * starts with an empty pool so that it never repeats its parent's ids.
 */
#define ID_POOL (16 * 16)
static _Thread_local unsigned char id_pool[ID_POOL];
static _Thread_local size_t id_used = ID_POOL;
static pthread_once_t id_once = PTHREAD_ONCE_INIT;

static void id_pool_forked(void)
{
	id_used = ID_POOL;
}

static void id_pool_init(void)
{
	pthread_atfork(NULL, NULL, id_pool_forked);
}

static bool id_random(unsigned char raw[16])
{
	pthread_once(&id_once, id_pool_init);
	if (id_used == ID_POOL) {
		if (!random_bytes(id_pool, ID_POOL))
			return false;
		id_used = 0;
	}
	memcpy(raw, id_pool + id_used, 16);
	/* used bytes never stay behind to be read again */
	memset(id_pool + id_used, 0, 16);
	id_used += 16;
	return true;
}

void http_request_id_new(char buf[33])
{
	static const char hex[] = "0123456789abcdef";
	static uint64_t counter;
	unsigned char raw[16];
	struct timespec ts;
	uint64_t a, b;
	size_t i;

	if (!id_random(raw)) {
		/*
		 * No entropy source (a chroot without /dev, an old kernel):
		 * an id need only be unique, not secret.
		 */
		clock_gettime(CLOCK_REALTIME, &ts);
		a = mix64((uint64_t)ts.tv_sec * 1000000000ULL +
			  (uint64_t)ts.tv_nsec);
		b = mix64(a ^ ((uint64_t)getpid() << 32) ^ ++counter);
		for (i = 0; i < 8; i++) {
			raw[i] = (unsigned char)(a >> (8 * i));
			raw[8 + i] = (unsigned char)(b >> (8 * i));
		}
	}
	for (i = 0; i < sizeof(raw); i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[32] = '\0';
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Compare a token of n bytes with lowercase `want`, ignoring case. */
static bool token_is(const char *s, size_t n, const char *want)
{
	size_t i;

	if (strlen(want) != n)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != want[i])
			return false;
	}
	return true;
}

bool http_content_type_is_json(const char *ct)
{
	const char *p, *end, *eq, *v;
	size_t vlen;

	if (!ct)
		return false;
	for (p = ct; is_ows(*p); p++)
		;
	end = p + strcspn(p, ";");
	/* The media type, with any whitespace before ';' trimmed. */
	vlen = (size_t)(end - p);
	while (vlen && is_ows(p[vlen - 1]))
		vlen--;
	if (!token_is(p, vlen, "application/json"))
		return false;
	/* Parameters: only charset matters, and it must be UTF-8. */
	while (*end == ';') {
		for (p = end + 1; is_ows(*p); p++)
			;
		end = p + strcspn(p, ";");
		eq = memchr(p, '=', (size_t)(end - p));
		if (!eq)
			continue;
		vlen = (size_t)(eq - p);
		while (vlen && is_ows(p[vlen - 1]))
			vlen--;
		if (!token_is(p, vlen, "charset"))
			continue;
		for (v = eq + 1; is_ows(*v); v++)
			;
		vlen = (size_t)(end - v);
		while (vlen && is_ows(v[vlen - 1]))
			vlen--;
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (!token_is(v, vlen, "utf-8"))
			return false;
	}
	return true;
}
