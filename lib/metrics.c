/* metrics.c: the shared-memory scoreboard behind GET /metrics. */
#include "common.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "metrics.h"

/* Bumped whenever the layout below changes: a file of another layout is
 * refused rather than misread. */
#define METRICS_MAGIC 0x61676f726d740001ULL
#define METRICS_SLOTS 1024

/* Prometheus's default buckets, in seconds; +Inf is the count. */
static const double metrics_bounds[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define METRICS_NBOUNDS ARRAY_SIZE(metrics_bounds)

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_READY };

/*
 * One (group, method, status). A process claims a free slot with a
 * compare-and-swap, writes the key, then marks it ready; the others only
 * read ready slots. A process killed between the two leaves a claimed
 * slot that everyone skips: the key then lands in another slot, and
 * metrics_render() adds slots with equal keys together.
 */
struct metrics_slot {
	uint32_t state;
	uint32_t status;
	char group[24];
	char method[8];
	uint64_t count;
	uint64_t usec; /* summed durations */
	uint64_t sql;
	uint64_t cache_hit;
	uint64_t cache_miss;
	uint64_t bucket[METRICS_NBOUNDS]; /* not cumulative here */
};

struct metrics_file {
	uint64_t magic;
	uint64_t dropped; /* requests that found no free slot */
	struct metrics_slot slot[METRICS_SLOTS];
};

struct metrics {
	struct metrics_file *f;
};

char *metrics_default_path(const char *database_url)
{
	uint64_t h =
		hash_fnv64(HASH_FNV64_INIT, database_url, strlen(database_url));

	return xasprintf("/dev/shm/agora-metrics-%lu-%016llx",
			 (unsigned long)geteuid(), (unsigned long long)h);
}

int metrics_open(struct metrics **out, const char *path, struct err *e)
{
	struct metrics_file *f;
	struct metrics *m;
	struct stat st;
	uint64_t zero = 0;
	int fd;

	*out = NULL;
	/* O_NOFOLLOW and the owner check: /dev/shm is everyone's. */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, ERR_INTERNAL, "metrics: %s: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		return err_set(e, ERR_INTERNAL,
			       "metrics: %s: not a file of "
			       "this user",
			       path);
	}
	/* Every process sizes it the same: growing it twice is harmless,
	 * and the zeros it adds are free slots. */
	if (st.st_size != (off_t)sizeof(*f) &&
	    (st.st_size != 0 || ftruncate(fd, sizeof(*f)) < 0)) {
		close(fd);
		return err_set(e, ERR_INTERNAL,
			       "metrics: %s: size %lld is not "
			       "this version's scoreboard",
			       path, (long long)st.st_size);
	}
	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return err_set(e, ERR_INTERNAL, "metrics: mmap %s: %s", path,
			       strerror(errno));
	if (!__atomic_compare_exchange_n(&f->magic, &zero, METRICS_MAGIC, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) &&
	    zero != METRICS_MAGIC) {
		munmap(f, sizeof(*f));
		return err_set(e, ERR_INTERNAL,
			       "metrics: %s holds something "
			       "else",
			       path);
	}
	m = xcalloc(1, sizeof(*m));
	m->f = f;
	*out = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	munmap(m->f, sizeof(*m->f));
	free(m);
}

/* The verbs a label may take; the rest are "other", so a client cannot
 * make up series. */
static const char *metrics_method(const char *method)
{
	static const char *const known[] = {
		"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
	};
	size_t i;

	for (i = 0; method && i < ARRAY_SIZE(known); i++)
		if (!strcmp(method, known[i]))
			return known[i];
	return "other";
}

static bool metrics_key_is(const struct metrics_slot *s, const char *group,
			   const char *method, uint32_t status)
{
	return s->status == status && !strcmp(s->group, group) &&
	       !strcmp(s->method, method);
}

/* The ready slot of this key, claiming a free one if need be; NULL when
 * the table is full. */
static struct metrics_slot *metrics_slot(struct metrics_file *f,
					 const char *group, const char *method,
					 uint32_t status)
{
	uint64_t h = hash_fnv64(HASH_FNV64_INIT, group, strlen(group));
	size_t n;

	h = hash_fnv64(h, method, strlen(method));
	h = hash_fnv64(h, &status, sizeof(status));
	for (n = 0; n < METRICS_SLOTS; n++) {
		struct metrics_slot *s = &f->slot[(h + n) % METRICS_SLOTS];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

		if (st == SLOT_FREE) {
			if (!__atomic_compare_exchange_n(&s->state, &st,
							 SLOT_CLAIMED, false,
							 __ATOMIC_ACQ_REL,
							 __ATOMIC_ACQUIRE)) {
				/* Someone else got it first: look again. */
				if (st == SLOT_READY &&
				    metrics_key_is(s, group, method, status))
					return s;
				continue;
			}
			s->status = status;
			snprintf(s->group, sizeof(s->group), "%s", group);
			snprintf(s->method, sizeof(s->method), "%s", method);
			__atomic_store_n(&s->state, SLOT_READY,
					 __ATOMIC_RELEASE);
			return s;
		}
		if (st == SLOT_READY &&
		    metrics_key_is(s, group, method, status))
			return s;
	}
	return NULL;
}

static void metrics_add(uint64_t *v, uint64_t n)
{
	__atomic_fetch_add(v, n, __ATOMIC_RELAXED);
}

void metrics_count(struct metrics *m, const struct metrics_req *q)
{
	struct metrics_slot *s;
	char group[24];
	double sec = q->seconds > 0 ? q->seconds : 0;
	size_t b;

	if (!m)
		return;
	snprintf(group, sizeof(group), "%s", q->group ? q->group : "");
	s = metrics_slot(m->f, group, metrics_method(q->method),
			 (uint32_t)q->status);
	if (!s) {
		metrics_add(&m->f->dropped, 1);
		return;
	}
	for (b = 0; b < METRICS_NBOUNDS && sec > metrics_bounds[b]; b++)
		;
	if (b < METRICS_NBOUNDS)
		metrics_add(&s->bucket[b], 1);
	metrics_add(&s->usec, (uint64_t)(sec * 1e6));
	metrics_add(&s->sql, q->sql);
	if (q->cache == METRICS_CACHE_HIT)
		metrics_add(&s->cache_hit, 1);
	else if (q->cache == METRICS_CACHE_MISS)
		metrics_add(&s->cache_miss, 1);
	/* Last: a scrape never sees a count ahead of its buckets' sum. */
	metrics_add(&s->count, 1);
}

/* A snapshot of the ready slots, merged by key (and by group alone for
 * the per-group families). */
struct metrics_row {
	char group[24];
	char method[8];
	uint32_t status;
	uint64_t count, usec, sql, hit, miss;
	uint64_t bucket[METRICS_NBOUNDS];
};

static int metrics_row_cmp(const void *a, const void *b)
{
	const struct metrics_row *x = a, *y = b;
	int c = strcmp(x->group, y->group);

	if (!c)
		c = strcmp(x->method, y->method);
	if (!c)
		c = (x->status > y->status) - (x->status < y->status);
	return c;
}

/* Merge slot s into rows[] under (group, method, status), or under group
 * alone when by_group. Returns the new row count. */
static size_t metrics_merge(struct metrics_row *rows, size_t n,
			    const struct metrics_slot *s, bool by_group)
{
	const char *method = by_group ? "" : s->method;
	uint32_t status = by_group ? 0 : s->status;
	struct metrics_row *r = NULL;
	size_t i;

	for (i = 0; i < n && !r; i++)
		if (rows[i].status == status &&
		    !strcmp(rows[i].group, s->group) &&
		    !strcmp(rows[i].method, method))
			r = &rows[i];
	if (!r) {
		r = &rows[n++];
		memset(r, 0, sizeof(*r));
		memcpy(r->group, s->group, sizeof(r->group));
		snprintf(r->method, sizeof(r->method), "%s", method);
		r->status = status;
	}
	r->count += __atomic_load_n(&s->count, __ATOMIC_ACQUIRE);
	r->usec += __atomic_load_n(&s->usec, __ATOMIC_RELAXED);
	r->sql += __atomic_load_n(&s->sql, __ATOMIC_RELAXED);
	r->hit += __atomic_load_n(&s->cache_hit, __ATOMIC_RELAXED);
	r->miss += __atomic_load_n(&s->cache_miss, __ATOMIC_RELAXED);
	for (i = 0; i < METRICS_NBOUNDS; i++)
		r->bucket[i] +=
			__atomic_load_n(&s->bucket[i], __ATOMIC_RELAXED);
	return n;
}

static void metrics_family(struct sbuf *out, const char *name, const char *type,
			   const char *help)
{
	sbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One counter family by route group: the uint64_t at offset off of each
 * row. */
static void metrics_group_counter(struct sbuf *out, const char *name,
				  const char *help,
				  const struct metrics_row *rows, size_t n,
				  size_t off)
{
	size_t i;
	uint64_t v;

	metrics_family(out, name, "counter", help);
	for (i = 0; i < n; i++) {
		memcpy(&v, (const char *)&rows[i] + off, sizeof(v));
		sbuf_addf(out, "%s{group=\"%s\"} %llu\n", name, rows[i].group,
			  (unsigned long long)v);
	}
}

void metrics_render(struct metrics *m, struct sbuf *out)
{
	struct metrics_row *keys, *groups;
	size_t nk = 0, ng = 0, i, b;
	uint64_t cum;

	keys = xcalloc(METRICS_SLOTS, sizeof(*keys));
	groups = xcalloc(METRICS_SLOTS, sizeof(*groups));
	for (i = 0; m && i < METRICS_SLOTS; i++) {
		const struct metrics_slot *s = &m->f->slot[i];

		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SLOT_READY)
			continue;
		nk = metrics_merge(keys, nk, s, false);
		ng = metrics_merge(groups, ng, s, true);
	}
	qsort(keys, nk, sizeof(*keys), metrics_row_cmp);
	qsort(groups, ng, sizeof(*groups), metrics_row_cmp);

	metrics_family(out, "agora_http_requests_total", "counter",
		       "Requests answered by the responders, by route group, "
		       "method and status.");
	for (i = 0; i < nk; i++)
		sbuf_addf(out,
			  "agora_http_requests_total{group=\"%s\","
			  "method=\"%s\",status=\"%u\"} %llu\n",
			  keys[i].group, keys[i].method,
			  (unsigned)keys[i].status,
			  (unsigned long long)keys[i].count);

	metrics_family(out, "agora_http_request_duration_seconds", "histogram",
		       "Time from the request's arrival at the responder to "
		       "its response, by route group.");
	for (i = 0; i < ng; i++) {
		for (b = 0, cum = 0; b < METRICS_NBOUNDS; b++) {
			cum += groups[i].bucket[b];
			sbuf_addf(out,
				  "agora_http_request_duration_seconds_bucket"
				  "{group=\"%s\",le=\"%g\"} %llu\n",
				  groups[i].group, metrics_bounds[b],
				  (unsigned long long)cum);
		}
		sbuf_addf(out,
			  "agora_http_request_duration_seconds_bucket"
			  "{group=\"%s\",le=\"+Inf\"} %llu\n"
			  "agora_http_request_duration_seconds_sum"
			  "{group=\"%s\"} %.6f\n"
			  "agora_http_request_duration_seconds_count"
			  "{group=\"%s\"} %llu\n",
			  groups[i].group, (unsigned long long)groups[i].count,
			  groups[i].group, (double)groups[i].usec / 1e6,
			  groups[i].group, (unsigned long long)groups[i].count);
	}

	metrics_group_counter(out, "agora_sql_statements_total",
			      "SQL statements run by requests, by route "
			      "group.",
			      groups, ng, offsetof(struct metrics_row, sql));
	metrics_group_counter(out, "agora_cache_hits_total",
			      "Requests answered from the cache, by route "
			      "group.",
			      groups, ng, offsetof(struct metrics_row, hit));
	metrics_group_counter(out, "agora_cache_misses_total",
			      "Requests that looked in the cache and computed "
			      "the answer, by route group.",
			      groups, ng, offsetof(struct metrics_row, miss));
	metrics_family(out, "agora_metrics_dropped_total", "counter",
		       "Requests not counted because the scoreboard was full.");
	sbuf_addf(out, "agora_metrics_dropped_total %llu\n",
		  m ? (unsigned long long)__atomic_load_n(&m->f->dropped,
							  __ATOMIC_RELAXED) :
		      0ULL);
	free(keys);
	free(groups);
}
