/* daemon.h: what agora-indexd, agora-notifyd and agora-relayd share:
 * start-up, the stop flag, interruptible waits and retry backoff. */
#ifndef AGORA_DAEMON_H
#define AGORA_DAEMON_H

#include <signal.h>
#include <stdbool.h>

#include "cfg.h"
#include "db.h"
#include "outbox.h"

/* Set by SIGTERM and SIGINT: finish the work in hand, then exit. */
extern volatile sig_atomic_t daemon_stopping;

/*
 * daemon_start: answer --help and --version (exit 0) and refuse any
 * other argument (usage on stderr, exit 2), load the
 * configuration (or exit naming the bad variable), start the log, route
 * SIGTERM and SIGINT to daemon_stopping (without SA_RESTART, so blocking
 * waits end early), ignore SIGPIPE, and open the database: a bad URL
 * exits 1; a database that is down is not fatal, the db layer reconnects
 * on the next query. The caller owns the handle (db_free) and c
 * (cfg_release). The heartbeat's daemon name is name without "agora-";
 * its first beat is the first daemon_alive or daemon_pause.
 */
struct db *daemon_start(int argc, char **argv, const char *name, struct cfg *c);

/*
 * daemon_alive: the heartbeat (lib/beat.h): the row of this daemon in
 * daemon_heartbeats is written when due, with position when it is not
 * NULL (where the daemon now is in its stream). Call it on every turn of
 * the main loop; daemon_pause calls it while it waits. Main thread only:
 * it uses the database handle of daemon_start.
 */
void daemon_alive(const char *position);
/* daemon_alive_at: the same, the position being just after ev: "seq N"
 * (and the txid on PostgreSQL), or "topic/partition/offset" from Kafka. */
void daemon_alive_at(const struct outbox_event *ev);

/* daemon_pause: sleep ms, waking early when asked to stop; false then.
 * The heartbeat goes on meanwhile. */
bool daemon_pause(long ms);
/* daemon_pause_until: the same, watching *quit instead (other threads). */
bool daemon_pause_until(long ms, volatile sig_atomic_t *quit);

/*
 * daemon_backoff: the wait before the next retry: a random value in
 * [*cur / 2, *cur] ("full jitter", so that several processes do not retry
 * in step); *cur then doubles, up to max. Start *cur at the first wait.
 */
long daemon_backoff(long *cur, long max);

#endif
