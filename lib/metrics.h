/* metrics.h: request counters shared by every responder process. */
#ifndef AGORA_METRICS_H
#define AGORA_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "sbuf.h"

/*
 * The scoreboard is one file mapped shared by every responder of a
 * deployment (in the manner of Apache's): each request adds to its
 * counters with atomic instructions, so nothing is lost or double counted
 * when a responder is killed, and a new process finds the counts of the
 * ones before it. It holds no pointers and no locks.
 */
struct metrics;

enum metrics_cache {
	METRICS_CACHE_NONE,
	METRICS_CACHE_HIT,
	METRICS_CACHE_MISS
};

/* One answered request. */
struct metrics_req {
	const char *group; /* the responder: "users", "health"… */
	const char *method; /* anything outside the usual verbs is "other" */
	int status;
	double seconds;
	unsigned sql; /* statements run */
	enum metrics_cache cache;
};

/*
 * metrics_default_path: where the scoreboard lives when METRICS_FILE is
 * unset: /dev/shm/agora-metrics-<uid>-<hash of database_url>, so every
 * responder of one deployment (same user, same database) shares one and
 * two deployments on a host do not. Returns a malloc'd string.
 */
char *metrics_default_path(const char *database_url);

/*
 * metrics_open: map the scoreboard at path, creating it (mode 0600) or
 * joining the one other processes made. Returns 0 and *out (metrics_free),
 * or -1 with e set (ERR_INTERNAL) when the file cannot be made or holds
 * something else.
 */
int metrics_open(struct metrics **out, const char *path, struct err *e);
void metrics_free(struct metrics *m);

/* metrics_count: add one request. m may be NULL (nothing happens). */
void metrics_count(struct metrics *m, const struct metrics_req *q);

/*
 * metrics_render: append the counters in the Prometheus text format
 * 0.0.4: agora_http_requests_total{group,method,status},
 * agora_http_request_duration_seconds (histogram by group),
 * agora_sql_statements_total{group}, agora_cache_hits_total{group},
 * agora_cache_misses_total{group}, agora_metrics_dropped_total.
 */
void metrics_render(struct metrics *m, struct sbuf *out);

#endif
