/* beat.c: the daemons' heartbeats in the table daemon_heartbeats. */
#include "common.h"

#include <unistd.h>

#include "beat.h"
#include "clock.h"
#include "log.h"

/* Rows older than this belong to instances long gone. */
#define BEAT_FORGET_S 86400

void beat_init(struct beat *b, struct db *db, const char *daemon)
{
	char host[64];

	memset(b, 0, sizeof(*b));
	b->db = db;
	snprintf(b->daemon, sizeof(b->daemon), "%s", daemon);
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(b->instance, sizeof(b->instance), "%s:%ld", host,
		 (long)getpid());
	db_now(b->started);
}

void beat_position(struct beat *b, const char *position)
{
	snprintf(b->position, sizeof(b->position), "%s", position);
}

static int beat_write(struct beat *b, struct err *e)
{
	char now[32], old[32];

	db_now(now);
	if (db_query(b->db, NULL,
		     "INSERT INTO daemon_heartbeats (daemon, instance, "
		     "position, started_at, seen_at) VALUES ($1, $2, $3, $4, "
		     "$5) ON CONFLICT (daemon, instance) DO UPDATE SET "
		     "position = excluded.position, seen_at = excluded.seen_at",
		     DB_ARGS(DB_S(b->daemon), DB_S(b->instance),
			     DB_S(b->position), DB_S(b->started), DB_S(now)),
		     e) < 0)
		return -1;
	if (b->written)
		return 0;
	clock_ago(old, BEAT_FORGET_S);
	return db_query(b->db, NULL,
			"DELETE FROM daemon_heartbeats WHERE daemon = $1 AND "
			"seen_at < $2",
			DB_ARGS(DB_S(b->daemon), DB_S(old)), e);
}

void beat_tick(struct beat *b)
{
	struct err e = ERR_INIT;

	double now = clock_ms();

	if (!b->db || (b->last > 0 && now - b->last < BEAT_INTERVAL_MS))
		return;
	b->last = now;
	if (beat_write(b, &e) < 0) {
		if (!b->failing)
			log_msg(LOG_WARN, NULL,
				"heartbeat: %s (retrying every "
				"%d ms)",
				e.msg, BEAT_INTERVAL_MS);
		b->failing = true;
	} else {
		if (b->failing)
			log_msg(LOG_INFO, NULL, "heartbeat: written again");
		b->failing = false;
		b->written = true;
	}
	err_release(&e);
}

/* "2026-11-24T14:24:26.123Z" to seconds since the epoch; -1 if not. */
static time_t beat_parse(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

int beat_age(struct db *db, const char *daemon, long *age, char **position,
	     struct err *e)
{
	enum { BEAT_SEEN, BEAT_POSITION }; /* the columns read */
	struct db_res *res = NULL;
	const char *seen;
	char buf[32];
	time_t t;

	*age = -1;
	if (position)
		*position = xstrdup("");
	if (db_query(db, &res,
		     "SELECT seen_at, position FROM daemon_heartbeats WHERE "
		     "daemon = $1 ORDER BY seen_at DESC LIMIT 1",
		     DB_ARGS(DB_S(daemon)), e) < 0)
		return -1;
	if (db_res_rows(res) == 1 &&
	    (seen = db_res_time(res, 0, BEAT_SEEN, buf)) &&
	    (t = beat_parse(seen)) >= 0) {
		/* A clock a little ahead on the daemon's host is not
		 * "seen in the future". */
		*age = time(NULL) > t ? (long)(time(NULL) - t) : 0;
		if (position) {
			free(*position);
			*position = xstrdup(db_res_str(res, 0, BEAT_POSITION));
		}
	}
	db_res_free(res);
	return 0;
}
