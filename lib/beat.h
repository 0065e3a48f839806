/* beat.h: the daemons' heartbeats in the database, and their age. */
#ifndef AGORA_BEAT_H
#define AGORA_BEAT_H

#include <stdbool.h>
#include <time.h>

#include "db.h"
#include "err.h"

/* A daemon writes its row this often, idle or busy... */
#define BEAT_INTERVAL_MS 2000
/* ...and /api/health reports it down when no instance has written for
 * this long (several missed beats: a slow statement is no outage). */
#define BEAT_STALE_S 15

/*
 * One daemon instance's row of daemon_heartbeats: (daemon, "host:pid"),
 * its position in its stream, when it started and when it was last seen.
 * Nothing is allocated: beat_init fills the struct, which holds db but
 * does not own it.
 */
struct beat {
	struct db *db;
	char daemon[32];
	char instance[96];
	char position[160];
	char started[32];
	double last; /* last write attempt, clock_ms(); 0: none */
	bool written; /* one write done since beat_init */
	bool failing; /* the last write failed (logged once) */
};

/* beat_init: b for daemon ("notifyd") on db; the first beat_tick writes. */
void beat_init(struct beat *b, struct db *db, const char *daemon);

/* beat_position: where the daemon is ("seq 42", "order-events/1/17"),
 * written with the next beat; longer text is cut. */
void beat_position(struct beat *b, const char *position);

/*
 * beat_tick: write the row when BEAT_INTERVAL_MS has passed since the
 * last attempt (at once after beat_init); otherwise only reads the clock.
 * A failure is logged as a warning once, until a write succeeds again;
 * the database layer's timeouts bound the call. The first write also
 * deletes this daemon's rows nobody wrote for a day.
 */
void beat_tick(struct beat *b);

/*
 * beat_age: how long ago, in whole seconds, any instance of daemon last
 * wrote its row (*age; -1 when never), and that instance's position
 * (*position, owned by the caller, "" when never; NULL: not wanted).
 * Errors: those of db_query().
 */
int beat_age(struct db *db, const char *daemon, long *age, char **position,
	     struct err *e);

#endif
